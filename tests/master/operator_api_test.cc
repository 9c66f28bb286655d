// The operator side of the master: the quota update rule (all or nothing, every problem with
// its path), and operator calls answered from a master's state, with updates coming back as
// master inputs that land in the registry (so they survive a restart) and the allocator.
#include "core/master/operator_api.h"

#include <gtest/gtest.h>

#include "core/api/json_operator.h"
#include "core/base/strings.h"
#include "core/master/quota_validation.h"
#include "core/master/state_json.h"
#include "gmock/gmock.h"
#include "tests/common/sim_cluster.h"

namespace atl::master {
namespace {

using ::testing::HasSubstr;
using QuotaUpdate = api::operator_call::UpdateQuota;

model::Scalar S(double v) { return model::Scalar::FromDouble(v); }

api::QuotaConfig Config(std::string role, std::map<std::string, model::Scalar> guarantees,
                        std::map<std::string, model::Scalar> limits) {
  return api::QuotaConfig{std::move(role), std::move(guarantees), std::move(limits)};
}

std::string ErrorOf(const QuotaUpdate& update, const QuotaContext& context = {}) {
  auto result = ValidateQuotaUpdate(update, context);
  EXPECT_FALSE(result.ok());
  return result.ok() ? "" : std::string(result.status().message());
}

// ---- the quota rule ----

TEST(QuotaValidation, TurnsAllConfigsIntoOneInput) {
  QuotaUpdate update{false,
                     {Config("dev", {{"cpus", S(10)}}, {{"cpus", S(20)}, {"mem", S(2048)}}),
                      Config("*", {}, {{"gpus", S(1)}}), Config("gone", {}, {})}};
  auto inputs = ValidateQuotaUpdate(update, {});
  ASSERT_TRUE(inputs.ok()) << inputs.status();
  ASSERT_EQ(inputs->quotas.size(), 3u);  // one input: one registry write for all of them
  EXPECT_EQ(inputs->quotas.at("dev").guarantees, *model::Resources::Parse("cpus:10"));
  EXPECT_EQ(inputs->quotas.at("dev").limits, *model::Resources::Parse("cpus:20;mem:2048"));
  EXPECT_TRUE(inputs->quotas.contains("*"));
  EXPECT_EQ(inputs->quotas.at("gone"), allocator::Quota{});  // removes gone's quota
}

TEST(QuotaValidation, RefusesInvalidNestedAndUnlistedRoles) {
  EXPECT_THAT(ErrorOf({false, {Config("a b", {}, {})}}),
              HasSubstr("update_quota.quota_configs[0].role: role 'a b' contains whitespace"));
  EXPECT_EQ(ErrorOf({false, {Config("eng/web", {}, {{"cpus", S(1)}})}}),
            "update_quota.quota_configs[0].role: quota on nested role 'eng/web' is not "
            "supported: quota applies to top-level roles only");
  QuotaContext listed;
  listed.role_whitelist = {"dev"};
  EXPECT_EQ(ErrorOf({false, {Config("prod", {}, {})}}, listed),
            "update_quota.quota_configs[0].role: role 'prod' is not on the roles whitelist");
  EXPECT_TRUE(
      ValidateQuotaUpdate({false, {Config("dev", {}, {}), Config("*", {}, {})}}, listed).ok());
}

TEST(QuotaValidation, RefusesARoleGivenTwice) {
  EXPECT_EQ(
      ErrorOf({false,
               {Config("dev", {}, {}), Config("qa", {}, {}), Config("dev", {}, {{"cpus", S(1)}})}}),
      "update_quota.quota_configs[2].role: role 'dev' is also configured at "
      "update_quota.quota_configs[0]; give each role once");
}

TEST(QuotaValidation, AcceptsScalarNamesOnlyAndNonNegativeValues) {
  QuotaContext context;
  context.non_scalar_names.insert("zones");
  EXPECT_EQ(ErrorOf({false, {Config("dev", {}, {{"ports", S(10)}})}}, context),
            "update_quota.quota_configs[0].limits.ports: quota applies to scalar resources "
            "only, and 'ports' is not one");
  EXPECT_THAT(ErrorOf({false, {Config("dev", {{"zones", S(1)}}, {})}}, context),
              HasSubstr("update_quota.quota_configs[0].guarantees.zones: quota applies to "
                        "scalar resources only"));
  EXPECT_EQ(ErrorOf({false, {Config("dev", {{"cpus", S(-1)}}, {})}}),
            "update_quota.quota_configs[0].guarantees.cpus: must not be negative, got -1");
  EXPECT_EQ(ErrorOf({false, {Config("dev", {}, {{"", S(1)}})}}),
            "update_quota.quota_configs[0].limits: a resource name must not be empty");
  // A custom scalar is fine.
  EXPECT_TRUE(ValidateQuotaUpdate({false, {Config("dev", {}, {{"fpgas", S(2)}})}}, context).ok());
}

TEST(QuotaValidation, RefusesAZeroLimitWhichTheAllocatorCannotExpress) {
  EXPECT_EQ(ErrorOf({false, {Config("dev", {}, {{"cpus", S(0)}})}}),
            "update_quota.quota_configs[0].limits.cpus: a limit of 0 is not supported; give a "
            "positive limit");
  // A zero guarantee is simply no guarantee.
  EXPECT_TRUE(ValidateQuotaUpdate({false, {Config("dev", {{"cpus", S(0)}}, {})}}, {}).ok());
}

TEST(QuotaValidation, AGuaranteeMustFitUnderTheLimitOfTheSameResource) {
  EXPECT_EQ(ErrorOf({false, {Config("dev", {{"cpus", S(30)}, {"mem", S(64)}}, {{"cpus", S(20)}})}}),
            "update_quota.quota_configs[0].guarantees.cpus: the guarantee 30 exceeds the limit "
            "20");
  // No limit on mem: any guarantee fits.
  EXPECT_TRUE(
      ValidateQuotaUpdate(
          {false, {Config("dev", {{"cpus", S(20)}, {"mem", S(1e6)}}, {{"cpus", S(20)}})}}, {})
          .ok());
}

TEST(QuotaValidation, ALimitBelowCurrentConsumptionNeedsForce) {
  QuotaContext context;
  context.consumed["dev"] = *model::Resources::Parse("cpus:12;mem:100");
  QuotaUpdate update{false, {Config("dev", {}, {{"cpus", S(10)}, {"mem", S(100)}})}};
  EXPECT_EQ(ErrorOf(update, context),
            "update_quota.quota_configs[0].limits.cpus: role 'dev' consumption exceeds the new "
            "limit (it consumes 12, the limit is 10); use force to set it anyway");
  update.force = true;
  EXPECT_TRUE(ValidateQuotaUpdate(update, context).ok());
}

TEST(QuotaValidation, IsAllOrNothingAndListsEveryProblem) {
  std::string error = ErrorOf({false,
                               {Config("ok", {}, {{"cpus", S(1)}}), Config("eng/web", {}, {}),
                                Config("dev", {{"cpus", S(-2)}}, {{"mem", S(0)}})}});
  EXPECT_EQ(error,
            "update_quota.quota_configs[1].role: quota on nested role 'eng/web' is not "
            "supported: quota applies to top-level roles only; "
            "update_quota.quota_configs[2].guarantees.cpus: must not be negative, got -2; "
            "update_quota.quota_configs[2].limits.mem: a limit of 0 is not supported; give a "
            "positive limit");
}

// ---- operator calls against a master ----

model::FrameworkInfo Info(const std::string& name, std::vector<std::string> roles) {
  model::FrameworkInfo info;
  info.user = "root";
  info.name = name;
  info.failover_timeout = 3600;
  info.capabilities.push_back(model::FrameworkCapability::kMultiRole);
  info.roles = std::move(roles);
  return info;
}

class OperatorApi : public ::testing::Test {
 protected:
  OperatorApi() : cluster_(Options()) {}

  static sim::SimCluster::Options Options() {
    sim::SimCluster::Options o;
    o.agents = 2;
    o.agent_resources = "cpus:4;mem:4096;ports:[31000-31099]";
    return o;
  }

  // Answers `json` (a v1 operator call) and applies any inputs, as MasterRuntime does.
  OperatorAnswer Call(std::string_view json) {
    absl::StatusOr<api::OperatorCall> call = api::ParseOperatorCall(json);
    EXPECT_TRUE(call.ok()) << call.status();
    OperatorAnswer answer = AnswerOperatorCall(cluster_.master(), *call);
    Apply(answer);
    return answer;
  }

  void Apply(const OperatorAnswer& answer) {
    for (const Input& input : answer.inputs) {
      if (const auto* w = std::get_if<in::UpdateWeights>(&input)) {
        cluster_.UpdateWeights(w->weights);
      } else if (const auto* q = std::get_if<in::UpdateQuota>(&input)) {
        cluster_.UpdateQuotas(q->quotas);
      } else {
        ADD_FAILURE() << "an operator answer carries an unexpected input";
      }
    }
  }

  sim::SimCluster cluster_;
};

TEST_F(OperatorApi, ReadsAreAnsweredWithoutInputs) {
  OperatorAnswer health = Call(R"({"type":"GET_HEALTH"})");
  EXPECT_EQ(health.http_status, 200);
  EXPECT_EQ(health.body, R"({"type":"GET_HEALTH","get_health":{"healthy":true}})");
  EXPECT_TRUE(health.inputs.empty());
  EXPECT_THAT(Call(R"({"type":"GET_VERSION"})").body,
              HasSubstr(R"({"type":"GET_VERSION","get_version":{"version_info":)"
                        R"({"version":"1.11.0",)"));
  EXPECT_EQ(Call(R"({"type":"GET_QUOTA"})").body,
            R"({"type":"GET_QUOTA","get_quota":{"status":{}}})");
  EXPECT_EQ(Call(R"({"type":"GET_WEIGHTS"})").body, R"({"type":"GET_WEIGHTS","get_weights":{}})");
}

TEST_F(OperatorApi, UpdateWeightsGoesThroughTheMasterIntoRegistryAndAllocator) {
  OperatorAnswer update = Call(
      R"({"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"web","weight":2}]}})");
  EXPECT_EQ(update.http_status, 200);
  EXPECT_TRUE(update.body.empty());
  ASSERT_EQ(update.inputs.size(), 1u);
  EXPECT_EQ(cluster_.master().registry().weights.at("web"), 2.0);
  EXPECT_EQ(
      Call(R"({"type":"GET_WEIGHTS"})").body,
      R"({"type":"GET_WEIGHTS","get_weights":{"weight_infos":[{"role":"web","weight":2.0}]}})");
  EXPECT_EQ(RenderWeights(cluster_.master()), R"([{"role":"web","weight":2.0}])");
  EXPECT_THAT(RenderRoles(cluster_.master()), HasSubstr(R"("name":"web","weight":2.0)"));
  EXPECT_THAT(
      Call(R"({"type":"GET_ROLES"})").body,
      HasSubstr(R"({"type":"GET_ROLES","get_roles":{"roles":[{"name":"web","weight":2.0})"));
  // A second update keeps roles it does not mention.
  Call(R"({"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"db","weight":3}]}})");
  EXPECT_EQ(RenderWeights(cluster_.master()),
            R"([{"role":"db","weight":3.0},{"role":"web","weight":2.0}])");
  // Durable: a restarted master keeps them.
  cluster_.RestartMaster();
  EXPECT_EQ(RenderWeights(cluster_.master()),
            R"([{"role":"db","weight":3.0},{"role":"web","weight":2.0}])");
}

TEST_F(OperatorApi, WeightsForRolesOffTheWhitelistAreRefused) {
  sim::SimCluster::Options o = Options();
  o.master.roles = {"web"};
  sim::SimCluster listed(o);
  OperatorAnswer answer = AnswerWeightsUpdate(listed.master(), {{"web", 2.0}, {"db", 1.0}});
  EXPECT_EQ(answer.http_status, 400);
  EXPECT_EQ(answer.body,
            "Failed to validate update weights request: unknown role(s) 'db' (not on the roles "
            "whitelist)");
  EXPECT_TRUE(answer.inputs.empty());
  EXPECT_EQ(AnswerWeightsUpdate(listed.master(), {{"web", 2.0}, {"*", 1.0}}).inputs.size(), 1u);
}

TEST_F(OperatorApi, UpdateQuotaIsPersistedAndReadBackInMesosShapes) {
  OperatorAnswer update =
      Call(R"({"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[)"
           R"({"role":"dev","guarantees":{"cpus":{"value":1}},"limits":{"cpus":{"value":2},)"
           R"("mem":{"value":2048}}}]}})");
  ASSERT_EQ(update.http_status, 200) << update.body;
  EXPECT_TRUE(update.body.empty());
  const std::string status =
      R"({"infos":[{"role":"dev","guarantee":[{"name":"cpus","type":"SCALAR",)"
      R"("scalar":{"value":1.0},"role":"*"}]}],"configs":[{"role":"dev",)"
      R"("guarantees":{"cpus":{"value":1.0}},"limits":{"cpus":{"value":2.0},)"
      R"("mem":{"value":2048.0}}}]})";
  EXPECT_EQ(RenderQuota(cluster_.master()), status);
  EXPECT_EQ(Call(R"({"type":"GET_QUOTA"})").body,
            StrCat(R"({"type":"GET_QUOTA","get_quota":{"status":)", status, "}}"));
  EXPECT_THAT(RenderRoles(cluster_.master()),
              HasSubstr(R"("quota":{"role":"dev","guarantee":{"cpus":1.0,)"));
  cluster_.RestartMaster();
  EXPECT_EQ(RenderQuota(cluster_.master()), status);
  // An empty config removes it.
  Call(R"({"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[{"role":"dev"}]}})");
  EXPECT_EQ(RenderQuota(cluster_.master()), "{}");
  EXPECT_TRUE(cluster_.master().registry().quotas.empty());
}

TEST_F(OperatorApi, AnInvalidQuotaUpdateChangesNothing) {
  OperatorAnswer bad = Call(
      R"({"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[)"
      R"({"role":"ok","limits":{"cpus":{"value":1}}},{"role":"bad","limits":{"ports":{"value":1}}}]}})");
  EXPECT_EQ(bad.http_status, 400);
  EXPECT_EQ(bad.body,
            "Invalid QuotaConfig: update_quota.quota_configs[1].limits.ports: quota applies to "
            "scalar resources only, and 'ports' is not one");
  EXPECT_TRUE(bad.inputs.empty());
  EXPECT_TRUE(cluster_.master().registry().quotas.empty());
}

TEST_F(OperatorApi, ALimitBelowWhatTheRoleHoldsNeedsForce) {
  auto& fw = cluster_.AddFramework(Info("dev-fw", {"dev"}));
  ASSERT_TRUE(cluster_.RunUntil([&] { return !fw.live_offers.empty(); }));
  cluster_.RunFor(Duration::Seconds(2));  // both agents offered: dev holds 8 cpus
  const std::string update = R"({"type":"UPDATE_QUOTA","update_quota":{%s"quota_configs":[)"
                             R"({"role":"dev","limits":{"cpus":{"value":2}}}]}})";
  auto with = [&](const std::string& force) {
    std::string json = update;
    json.replace(json.find("%s"), 2, force);
    return Call(json);
  };
  OperatorAnswer refused = with("");
  EXPECT_EQ(refused.http_status, 400);
  EXPECT_THAT(refused.body,
              HasSubstr("update_quota.quota_configs[0].limits.cpus: role 'dev' consumption "
                        "exceeds the new limit (it consumes 8, the limit is 2); use force"));
  EXPECT_TRUE(cluster_.master().registry().quotas.empty());
  OperatorAnswer forced = with(R"("force":true,)");
  EXPECT_EQ(forced.http_status, 200) << forced.body;
  EXPECT_EQ(cluster_.master().registry().quotas.at("dev").limits,
            *model::Resources::Parse("cpus:2"));
  EXPECT_TRUE(cluster_.violations().empty()) << cluster_.violations()[0];
}

}  // namespace
}  // namespace atl::master
