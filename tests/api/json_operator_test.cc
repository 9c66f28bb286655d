// The operator JSON of the master: the PUT /master/weights body, the v1 operator calls this
// master serves (mesos.v1.master.Call), their responses and the quota status, in the shapes of
// reference/mesos.md §6.6, §6.7 and §10, and how bad input is reported (path and value).
#include "core/api/json_operator.h"

#include <string>

#include "core/base/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace atl::api {
namespace {

using ::testing::HasSubstr;

model::Scalar S(double v) { return model::Scalar::FromDouble(v); }

std::string ErrorOf(std::string_view json) {
  absl::StatusOr<OperatorCall> call = ParseOperatorCall(json);
  EXPECT_FALSE(call.ok()) << json;
  return call.ok() ? "" : std::string(call.status().message());
}

std::string WeightsErrorOf(std::string_view json) {
  absl::StatusOr<std::map<std::string, double>> weights = ParseWeights(json);
  EXPECT_FALSE(weights.ok()) << json;
  return weights.ok() ? "" : std::string(weights.status().message());
}

// ---- PUT /master/weights ----

TEST(WeightsJson, ParsesTheMesosListOfRoleAndWeight) {
  auto weights = ParseWeights(R"([{"role":"web","weight":2.0},{"role":"batch","weight":0.5}])");
  ASSERT_TRUE(weights.ok()) << weights.status();
  EXPECT_EQ(*weights, (std::map<std::string, double>{{"batch", 0.5}, {"web", 2.0}}));
}

TEST(WeightsJson, AcceptsNestedRolesTheStarRoleNumericStringsAndAnEmptyList) {
  auto weights = ParseWeights(R"([{"role":"eng/web","weight":"3"},{"role":"*","weight":1.5e0}])");
  ASSERT_TRUE(weights.ok()) << weights.status();
  EXPECT_EQ(*weights, (std::map<std::string, double>{{"*", 1.5}, {"eng/web", 3.0}}));
  auto none = ParseWeights("[]");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(WeightsJson, TrimsRolesAndKeepsTheLastWeightOfARepeatedRole) {
  auto weights = ParseWeights(R"([{"role":" web ","weight":2},{"role":"web","weight":4}])");
  ASSERT_TRUE(weights.ok()) << weights.status();
  EXPECT_EQ(*weights, (std::map<std::string, double>{{"web", 4.0}}));
}

TEST(WeightsJson, RejectsNonPositiveWeightsWithTheirPath) {
  EXPECT_EQ(WeightsErrorOf(R"([{"role":"a","weight":1},{"role":"b","weight":-1}])"),
            "[1].weight: must be positive, got -1");
  EXPECT_EQ(WeightsErrorOf(R"([{"role":"a","weight":0}])"), "[0].weight: must be positive, got 0");
  EXPECT_THAT(WeightsErrorOf(R"([{"role":"a","weight":1e400}])"),
              HasSubstr("Number too big"));  // refused by the JSON parser itself
  EXPECT_EQ(WeightsErrorOf(R"([{"role":"a","weight":"Infinity"}])"),
            "[0].weight: expected a number, got 'Infinity'");
  EXPECT_EQ(WeightsErrorOf(R"([{"role":"a","weight":true}])"),
            "[0].weight: expected a number, got a boolean");
}

TEST(WeightsJson, RejectsInvalidRolesWithTheirPath) {
  EXPECT_EQ(WeightsErrorOf(R"([{"weight":1}])"), "[0].role: required");
  EXPECT_THAT(WeightsErrorOf(R"([{"role":"a b","weight":1}])"),
              HasSubstr("[0].role: role 'a b' contains whitespace"));
  EXPECT_THAT(WeightsErrorOf(R"([{"role":"-x","weight":1}])"),
              HasSubstr("[0].role: role '-x' has an invalid component '-x'"));
  EXPECT_THAT(WeightsErrorOf(R"([{"role":"a/","weight":1}])"), HasSubstr("[0].role: "));
  EXPECT_EQ(WeightsErrorOf(R"([{"role":"","weight":1}])"), "[0].role: role must not be empty");
}

TEST(WeightsJson, ReportsEveryBadElementAtOnce) {
  EXPECT_EQ(WeightsErrorOf(R"([{"role":"ok","weight":1},{"role":"","weight":-2},7])"),
            "[1].role: role must not be empty; [1].weight: must be positive, got -2; "
            "[2]: expected an object, got a number");
}

TEST(WeightsJson, CapsAVeryLongErrorList) {
  std::string body = "[";
  for (int i = 0; i < 100; ++i) body += std::string(i ? "," : "") + R"({"role":"r","weight":0})";
  body += "]";
  std::string error = WeightsErrorOf(body);
  EXPECT_THAT(error, HasSubstr("[19].weight: must be positive, got 0; and 80 more"));
  EXPECT_THAT(error, ::testing::Not(HasSubstr("[20]")));
}

TEST(WeightsJson, RejectsWhatIsNotAList) {
  EXPECT_EQ(WeightsErrorOf(R"({"role":"a","weight":1})"), "expected an array, got an object");
  EXPECT_FALSE(ParseWeights("[").ok());
  EXPECT_FALSE(ParseWeights("").ok());
}

TEST(WeightsJson, SerializesAsTheMesosList) {
  EXPECT_EQ(SerializeWeights({{"web", 2.0}, {"batch", 0.5}}),
            R"([{"role":"batch","weight":0.5},{"role":"web","weight":2.0}])");
  EXPECT_EQ(SerializeWeights({}), "[]");
}

// ---- v1 operator calls ----

TEST(OperatorCallJson, ParsesEachBodilessCall) {
  struct Case {
    std::string json;
    OperatorCall::Body body;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"type":"GET_HEALTH"})", operator_call::GetHealth{}},
           {R"({"type":"GET_VERSION"})", operator_call::GetVersion{}},
           {R"({"type":"GET_ROLES"})", operator_call::GetRoles{}},
           {R"({"type":"GET_WEIGHTS"})", operator_call::GetWeights{}},
           {R"({"type":"GET_QUOTA","get_quota":{"ignored":1}})", operator_call::GetQuota{}},
       }) {
    absl::StatusOr<OperatorCall> call = ParseOperatorCall(c.json);
    ASSERT_TRUE(call.ok()) << c.json << ": " << call.status();
    EXPECT_TRUE(call->body == c.body) << c.json;
  }
}

TEST(OperatorCallJson, ParsesUpdateWeights) {
  auto call = ParseOperatorCall(R"({"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[)"
                                R"({"role":"web","weight":2.0},{"role":"batch","weight":4}]}})");
  ASSERT_TRUE(call.ok()) << call.status();
  const auto& update = std::get<operator_call::UpdateWeights>(call->body);
  EXPECT_EQ(update.weights, (std::map<std::string, double>{{"batch", 4.0}, {"web", 2.0}}));
}

TEST(OperatorCallJson, ParsesUpdateQuotaAsInTheMesosDocs) {
  auto call = ParseOperatorCall(R"({
      "type": "UPDATE_QUOTA",
      "update_quota": {
        "force": true,
        "quota_configs": [
          {"role": "dev", "guarantees": {"cpus": {"value": 10}},
           "limits": {"cpus": {"value": 20}, "mem": {"value": 2048}}},
          {"role": "test", "limits": {"disk": {"value": "512.5"}}},
          {"role": "gone"}
        ]
      }
    })");
  ASSERT_TRUE(call.ok()) << call.status();
  const auto& update = std::get<operator_call::UpdateQuota>(call->body);
  EXPECT_TRUE(update.force);
  ASSERT_EQ(update.configs.size(), 3u);
  EXPECT_EQ(update.configs[0],
            (QuotaConfig{"dev", {{"cpus", S(10)}}, {{"cpus", S(20)}, {"mem", S(2048)}}}));
  EXPECT_EQ(update.configs[1], (QuotaConfig{"test", {}, {{"disk", S(512.5)}}}));
  EXPECT_EQ(update.configs[2], (QuotaConfig{"gone", {}, {}}));
}

TEST(OperatorCallJson, UpdateQuotaDefaultsForceToFalseAndKeepsZerosAndNegativesForTheMaster) {
  auto call = ParseOperatorCall(
      R"({"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[)"
      R"({"role":"dev","guarantees":{"gpus":{"value":0}},"limits":{"cpus":{"value":-1}}}]}})");
  ASSERT_TRUE(call.ok()) << call.status();
  const auto& update = std::get<operator_call::UpdateQuota>(call->body);
  EXPECT_FALSE(update.force);
  EXPECT_EQ(update.configs[0], (QuotaConfig{"dev", {{"gpus", S(0)}}, {{"cpus", S(-1)}}}));
}

TEST(OperatorCallJson, ReportsTypeProblems) {
  EXPECT_EQ(ErrorOf(R"({})"), "type: required");
  EXPECT_EQ(ErrorOf(R"({"type":7})"), "type: expected a string, got a number");
  EXPECT_EQ(ErrorOf(R"({"type":"FLY"})"), "type: unknown call type 'FLY'");
  EXPECT_EQ(ErrorOf(R"({"type":"GET_STATE"})"), "type: call type 'GET_STATE' is not supported");
  EXPECT_EQ(ErrorOf(R"({"type":"SET_QUOTA"})"), "type: call type 'SET_QUOTA' is not supported");
  EXPECT_EQ(ErrorOf(R"({"type":"SUBSCRIBE"})"), "type: call type 'SUBSCRIBE' is not supported");
  EXPECT_EQ(ErrorOf(R"([])"), "expected an object, got an array");
  EXPECT_FALSE(ParseOperatorCall(R"({"type":"GET_HEALTH"} x)").ok());
}

TEST(OperatorCallJson, ReportsBodyProblemsWithTheirPath) {
  EXPECT_EQ(ErrorOf(R"({"type":"UPDATE_WEIGHTS"})"),
            "update_weights: required by type UPDATE_WEIGHTS");
  EXPECT_EQ(ErrorOf(R"({"type":"UPDATE_QUOTA"})"), "update_quota: required by type UPDATE_QUOTA");
  EXPECT_EQ(ErrorOf(R"({"type":"UPDATE_QUOTA","update_quota":[]})"),
            "update_quota: expected an object, got an array");
  EXPECT_EQ(ErrorOf(R"({"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[)"
                    R"({"role":"a","weight":-1},{"role":"b c","weight":1}]}})"),
            "update_weights.weight_infos[0].weight: must be positive, got -1; "
            "update_weights.weight_infos[1].role: role 'b c' contains whitespace or control "
            "characters");
  EXPECT_EQ(ErrorOf(R"({"type":"UPDATE_QUOTA","update_quota":{"force":"yes"}})"),
            "update_quota.force: expected a boolean, got a string");
  EXPECT_EQ(ErrorOf(R"({"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[{}]}})"),
            "update_quota.quota_configs[0].role: required");
  EXPECT_EQ(ErrorOf(R"({"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[)"
                    R"({"role":"a","limits":{"cpus":10}}]}})"),
            "update_quota.quota_configs[0].limits.cpus: expected an object, got a number");
  EXPECT_EQ(ErrorOf(R"({"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[)"
                    R"({"role":"a","guarantees":{"mem":{"value":"lots"}}}]}})"),
            "update_quota.quota_configs[0].guarantees.mem.value: expected a number, got 'lots'");
  EXPECT_EQ(ErrorOf(R"({"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[)"
                    R"({"role":"a","limits":[]}]}})"),
            "update_quota.quota_configs[0].limits: expected an object, got an array");
  EXPECT_THAT(ErrorOf(R"({"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[)"
                      R"({"role":"a","limits":{"mem":{"value":1e13}}}]}})"),
              HasSubstr("update_quota.quota_configs[0].limits.mem.value: 1e+13 is out of range"));
}

std::vector<OperatorCall> OneCallOfEachType() {
  return {
      {operator_call::GetHealth{}},
      {operator_call::GetVersion{}},
      {operator_call::GetRoles{}},
      {operator_call::GetWeights{}},
      {operator_call::GetQuota{}},
      {operator_call::UpdateWeights{{{"batch", 0.25}, {"eng/web", 3.0}}}},
      {operator_call::UpdateQuota{
          true,
          {QuotaConfig{"dev", {{"cpus", S(1.5)}}, {{"cpus", S(2)}, {"mem", S(2048)}}},
           QuotaConfig{"test", {}, {{"gpus", S(0)}}}, QuotaConfig{"gone", {}, {}}}}},
  };
}

TEST(OperatorCallJson, SamplesCoverEveryCallType) {
  std::vector<OperatorCall> calls = OneCallOfEachType();
  ASSERT_EQ(calls.size(), std::variant_size_v<OperatorCall::Body>);
  for (size_t i = 0; i < calls.size(); ++i) EXPECT_EQ(calls[i].body.index(), i);
}

TEST(OperatorCallJson, EveryCallTypeRoundTrips) {
  for (const OperatorCall& call : OneCallOfEachType()) {
    std::string json = SerializeOperatorCall(call);
    EXPECT_EQ(json.find('\n'), std::string::npos) << json;
    absl::StatusOr<OperatorCall> parsed = ParseOperatorCall(json);
    ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << json;
    EXPECT_TRUE(*parsed == call) << json;
    EXPECT_EQ(SerializeOperatorCall(*parsed), json);
  }
}

TEST(OperatorCallJson, SerializesInMesosShapes) {
  EXPECT_EQ(SerializeOperatorCall({operator_call::GetQuota{}}), R"({"type":"GET_QUOTA"})");
  EXPECT_EQ(SerializeOperatorCall({operator_call::UpdateWeights{{{"web", 2.0}}}}),
            R"({"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":)"
            R"([{"role":"web","weight":2.0}]}})");
  EXPECT_EQ(SerializeOperatorCall({operator_call::UpdateQuota{
                false, {QuotaConfig{"dev", {{"cpus", S(10)}}, {{"cpus", S(20)}}}}}}),
            R"({"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[{"role":"dev",)"
            R"("guarantees":{"cpus":{"value":10.0}},"limits":{"cpus":{"value":20.0}}}]}})");
}

// ---- responses ----

TEST(OperatorResponseJson, HealthAndVersion) {
  EXPECT_EQ(SerializeOperatorResponse({operator_response::GetHealth{true}}),
            R"({"type":"GET_HEALTH","get_health":{"healthy":true}})");
  operator_response::GetVersion version;
  version.version = "1.11.0";
  version.build_user = "atoll";
  EXPECT_EQ(SerializeOperatorResponse({version}),
            R"({"type":"GET_VERSION","get_version":{"version_info":{"version":"1.11.0",)"
            R"("build_time":0.0,"build_user":"atoll"}}})");
}

TEST(OperatorResponseJson, Weights) {
  EXPECT_EQ(
      SerializeOperatorResponse({operator_response::GetWeights{{{"web", 2.0}}}}),
      R"({"type":"GET_WEIGHTS","get_weights":{"weight_infos":[{"role":"web","weight":2.0}]}})");
  EXPECT_EQ(SerializeOperatorResponse({operator_response::GetWeights{}}),
            R"({"type":"GET_WEIGHTS","get_weights":{}})");
}

TEST(OperatorResponseJson, RolesAsMesosV1Role) {
  RoleInfo star{"*", 1.0, {}, {}};
  RoleInfo dev{"dev",
               2.5,
               {model::FrameworkId("f-1")},
               model::Resources::Parse("cpus:0.5;mem:512")->AllocatedTo("dev")};
  EXPECT_EQ(SerializeOperatorResponse({operator_response::GetRoles{{star, dev}}}),
            R"({"type":"GET_ROLES","get_roles":{"roles":[{"name":"*","weight":1.0},)"
            R"({"name":"dev","weight":2.5,"frameworks":[{"value":"f-1"}],"resources":[)"
            R"({"name":"cpus","type":"SCALAR","scalar":{"value":0.5},"role":"*",)"
            R"("allocation_info":{"role":"dev"}},)"
            R"({"name":"mem","type":"SCALAR","scalar":{"value":512.0},"role":"*",)"
            R"("allocation_info":{"role":"dev"}}]}]}})");
}

TEST(OperatorResponseJson, QuotaStatusHasLegacyInfosThenConfigs) {
  std::vector<QuotaConfig> configs = {
      QuotaConfig{"dev", {{"cpus", S(10)}}, {{"cpus", S(20)}, {"mem", S(2048)}}},
      QuotaConfig{"test", {}, {{"mem", S(256)}}}};
  const std::string status =
      R"({"infos":[{"role":"dev","guarantee":[{"name":"cpus","type":"SCALAR",)"
      R"("scalar":{"value":10.0},"role":"*"}]},{"role":"test"}],)"
      R"("configs":[{"role":"dev","guarantees":{"cpus":{"value":10.0}},)"
      R"("limits":{"cpus":{"value":20.0},"mem":{"value":2048.0}}},)"
      R"({"role":"test","limits":{"mem":{"value":256.0}}}]})";
  EXPECT_EQ(SerializeQuotaStatus(configs), status);
  EXPECT_EQ(SerializeOperatorResponse({operator_response::GetQuota{configs}}),
            StrCat(R"({"type":"GET_QUOTA","get_quota":{"status":)", status, "}}"));
  EXPECT_EQ(SerializeQuotaStatus({}), "{}");
}

}  // namespace
}  // namespace atl::api
