// v1 JSON <-> model values: resource formats, the flat endpoint form, and field rules.
#include "core/api/json_model.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/api/samples.h"

namespace atl::api {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;
using Type = model::ReservationInfo::Type;

model::Resources Resources(std::string_view json) {
  absl::StatusOr<model::Resources> rs = ParseJson(json, ParseResources);
  EXPECT_TRUE(rs.ok()) << rs.status();
  return rs.value_or(model::Resources());
}

std::string ResourcesError(std::string_view json) {
  absl::StatusOr<model::Resources> rs = ParseJson(json, ParseResources);
  if (rs.ok()) return "OK";
  return std::string(rs.status().message());
}

model::Resource Scalar(std::string name, double v) {
  return model::Resource::MakeScalar(std::move(name), model::Scalar::FromDouble(v));
}

// ---- resources ----

TEST(ResourceJson, UnreservedResourcesSayRoleStar) {
  EXPECT_EQ(ToJson(model::Resources({Scalar("cpus", 4)}), WriteResources),
            R"([{"name":"cpus","type":"SCALAR","scalar":{"value":4.0},"role":"*"}])");
  EXPECT_EQ(Resources(R"([{"name":"cpus","type":"SCALAR","scalar":{"value":4},"role":"*"}])"),
            model::Resources({Scalar("cpus", 4)}));
  EXPECT_EQ(Resources(R"([{"name":"cpus","type":"SCALAR","scalar":{"value":4}}])"),
            model::Resources({Scalar("cpus", 4)}));
}

TEST(ResourceJson, StaticReservationIsARoleWithoutReservation) {
  model::Resource r = Scalar("cpus", 8);
  r.reservations = {{Type::kStatic, "ads", "", {}}};
  const std::string json =
      R"([{"name":"cpus","type":"SCALAR","scalar":{"value":8.0},"role":"ads"}])";
  EXPECT_EQ(ToJson(model::Resources({r}), WriteResources), json);
  EXPECT_EQ(Resources(json), model::Resources({r}));
}

TEST(ResourceJson, DynamicReservationUsesThePreRefinementFormat) {
  model::Resource r = Scalar("disk", 2048);
  r.reservations = {{Type::kDynamic, "db", "apps", {{"owner", "db.1"}}}};
  r.allocation_role = "db";
  const std::string json =
      R"([{"name":"disk","type":"SCALAR","scalar":{"value":2048.0},"role":"db",)"
      R"("reservation":{"principal":"apps","labels":{"labels":[{"key":"owner","value":"db.1"}]}},)"
      R"("allocation_info":{"role":"db"}}])";
  EXPECT_EQ(ToJson(model::Resources({r}), WriteResources), json);
  EXPECT_EQ(Resources(json), model::Resources({r}));
}

TEST(ResourceJson, AcceptsTheRefinementFormat) {
  model::Resource r = Scalar("cpus", 1);
  r.reservations = {{Type::kStatic, "eng", "", {}}, {Type::kDynamic, "eng/web", "apps", {}}};
  EXPECT_EQ(Resources(R"([{"name":"cpus","type":"SCALAR","scalar":{"value":1},"reservations":[)"
                      R"({"type":"STATIC","role":"eng"},)"
                      R"({"type":"DYNAMIC","role":"eng/web","principal":"apps"}]}])"),
            model::Resources({r}));
  // A refined stack cannot be said in the pre-refinement format, so it is written refined.
  EXPECT_EQ(ToJson(model::Resources({r}), WriteResources),
            R"([{"name":"cpus","type":"SCALAR","scalar":{"value":1.0},"reservations":[)"
            R"({"type":"STATIC","role":"eng"},)"
            R"({"type":"DYNAMIC","role":"eng/web","principal":"apps"}]}])");
}

TEST(ResourceJson, SingleRefinementFormatReservationReadsLikePreRefinement) {
  EXPECT_EQ(Resources(R"([{"name":"cpus","type":"SCALAR","scalar":{"value":1},)"
                      R"("reservations":[{"type":"DYNAMIC","role":"web","principal":"p"}]}])"),
            Resources(R"([{"name":"cpus","type":"SCALAR","scalar":{"value":1},"role":"web",)"
                      R"("reservation":{"principal":"p"}}])"));
}

TEST(ResourceJson, RangesSetsVolumesAndShared) {
  model::Resource ports =
      model::Resource::MakeRanges("ports", model::Ranges({{31000, 31099}, {31101, 32000}}));
  model::Resource zones = model::Resource::MakeSet("zones", {"b", "a", "b"});
  model::Resource volume = Scalar("disk", 64);
  volume.reservations = {{Type::kDynamic, "db", "apps", {}}};
  volume.disk = model::DiskInfo{"vol-1", "apps", "data", "RW"};
  volume.shared = true;
  const std::string json =
      R"([{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":31099},)"
      R"({"begin":31101,"end":32000}]},"role":"*"},)"
      R"({"name":"zones","type":"SET","set":{"item":["a","b"]},"role":"*"},)"
      R"({"name":"disk","type":"SCALAR","scalar":{"value":64.0},"role":"db",)"
      R"("reservation":{"principal":"apps"},"disk":{"persistence":{"id":"vol-1",)"
      R"("principal":"apps"},"volume":{"container_path":"data","mode":"RW"}},"shared":{}}])";
  model::Resources rs({ports, zones, volume});
  EXPECT_EQ(ToJson(rs, WriteResources), json);
  EXPECT_EQ(Resources(json), rs);
}

TEST(ResourceJson, ParsedResourcesAreNormalized) {
  EXPECT_EQ(Resources(R"([{"name":"cpus","type":"SCALAR","scalar":{"value":0.5}},)"
                      R"({"name":"cpus","type":"SCALAR","scalar":{"value":0.25}},)"
                      R"({"name":"mem","type":"SCALAR","scalar":{"value":0}}])"),
            model::Resources({Scalar("cpus", 0.75)}));
}

TEST(ResourceJson, ScalarsKeepThreeDecimals) {
  EXPECT_EQ(Resources(R"([{"name":"cpus","type":"SCALAR","scalar":{"value":0.1234}}])"),
            model::Resources({Scalar("cpus", 0.123)}));
  EXPECT_EQ(Resources(R"([{"name":"cpus","type":"SCALAR","scalar":{"value":"0.5"}}])"),
            model::Resources({Scalar("cpus", 0.5)}));
}

TEST(ResourceJson, RangeBoundsMayBeNumericStrings) {
  EXPECT_EQ(
      Resources(R"([{"name":"ports","type":"RANGES","ranges":{"range":[)"
                R"({"begin":"31000","end":"31001"}]}}])"),
      model::Resources({model::Resource::MakeRanges("ports", model::Ranges({{31000, 31001}}))}));
}

TEST(ResourceJson, ErrorsNameThePath) {
  EXPECT_EQ(ResourcesError(R"([{"type":"SCALAR","scalar":{"value":1}}])"), "[0].name: required");
  EXPECT_EQ(ResourcesError(R"([{"name":"cpus","scalar":{"value":1}}])"), "[0].type: required");
  EXPECT_EQ(ResourcesError(R"([{"name":"cpus","type":"SCALAR"}])"),
            "[0].scalar: required by type SCALAR");
  EXPECT_EQ(ResourcesError(R"([{"name":"cpus","type":"SCALAR","scalar":{"value":-1}}])"),
            "[0].scalar.value: must not be negative, got -1");
  EXPECT_EQ(ResourcesError(R"([{"name":"cpus","type":"SCALAR","scalar":{"value":1e13}}])"),
            "[0].scalar.value: 1e+13 is out of range (magnitude at most 1e+12)");
  EXPECT_EQ(ResourcesError(R"([{"name":"p","type":"RANGES","ranges":{"range":[)"
                           R"({"begin":5,"end":3}]}}])"),
            "[0].ranges.range[0]: begin 5 is greater than end 3");
  EXPECT_EQ(ResourcesError(R"([{"name":"p","type":"RANGES","ranges":{"range":[{"begin":-5,)"
                           R"("end":3}]}}])"),
            "[0].ranges.range[0].begin: -5 is out of range");
  EXPECT_EQ(ResourcesError(R"([{"name":"cpus","type":"SCALAR","scalar":{"value":1},)"
                           R"("reservation":{"principal":"p"}}])"),
            "[0].reservation: a reservation needs a role other than '*'");
  EXPECT_EQ(ResourcesError(R"([{"name":"cpus","type":"SCALAR","scalar":{"value":1},)"
                           R"("reservations":[{"type":"DYNAMIC","role":"*"}]}])"),
            "[0].reservations[0].role: a reservation needs a role other than '*'");
  EXPECT_EQ(ResourcesError(R"([{"name":"cpus","type":"SCALAR","scalar":{"value":1},)"
                           R"("reservations":[{"type":"SOMETIMES","role":"web"}]}])"),
            "[0].reservations[0].type: unknown value 'SOMETIMES'");
  EXPECT_THAT(ResourcesError(R"([{"name":"cpus","type":"SCALAR","scalar":{"value":1},)"
                             R"("role":"/web"}])"),
              HasSubstr("[0].role: role '/web'"));
  EXPECT_EQ(ResourcesError(R"([{"name":"d","type":"SCALAR","scalar":{"value":1},"role":"db",)"
                           R"("disk":{"volume":{"container_path":"x","mode":"RX"}}}])"),
            "[0].disk.volume.mode: unknown value 'RX'");
  EXPECT_EQ(ResourcesError(R"({"name":"cpus"})"), "expected an array, got an object");
}

TEST(ResourceJson, RoundTripsTheSampleResources) {
  model::Resources rs = testing::SampleResources();
  EXPECT_EQ(Resources(ToJson(rs, WriteResources)), rs);
}

// ---- flat form of the unversioned endpoints ----

TEST(FlatResourcesJson, SumsAcrossRolesAndAlwaysHasTheFourBasics) {
  model::Resource reserved_cpus = Scalar("cpus", 1);
  reserved_cpus.reservations = {{Type::kStatic, "web", "", {}}};
  model::Resources rs(
      {Scalar("cpus", 3), reserved_cpus, Scalar("mem", 14863), Scalar("disk", 35000),
       model::Resource::MakeRanges("ports", model::Ranges({{31000, 31099}, {31101, 32000}}))});
  EXPECT_EQ(ToJson(rs, WriteFlatResources),
            R"({"cpus":4.0,"gpus":0.0,"mem":14863.0,"disk":35000.0,)"
            R"("ports":"[31000-31099, 31101-32000]"})");
}

TEST(FlatResourcesJson, OtherNamesFollowInNameOrder) {
  model::Resource zones_a = model::Resource::MakeSet("zones", {"b", "a"});
  model::Resource zones_c = model::Resource::MakeSet("zones", {"c"});
  zones_c.allocation_role = "web";
  model::Resources rs({Scalar("widgets", 2.5), zones_a, zones_c});
  EXPECT_EQ(ToJson(rs, WriteFlatResources),
            R"({"cpus":0.0,"gpus":0.0,"mem":0.0,"disk":0.0,"widgets":2.5,"zones":"{a, b, c}"})");
  EXPECT_EQ(ToJson(model::Resources(), WriteFlatResources),
            R"({"cpus":0.0,"gpus":0.0,"mem":0.0,"disk":0.0})");
}

// ---- attributes and labels ----

TEST(AttributesJson, AllFourTypes) {
  const std::string json =
      R"([{"name":"rack","type":"TEXT","text":{"value":"r12"}},)"
      R"({"name":"gen","type":"SCALAR","scalar":{"value":-3.25}},)"
      R"({"name":"slots","type":"RANGES","ranges":{"range":[{"begin":1,"end":4}]}},)"
      R"({"name":"features","type":"SET","set":{"item":["ssd","avx2"]}}])";
  EXPECT_EQ(ToJson(testing::SampleAttributes(), WriteAttributes), json);
  absl::StatusOr<model::Attributes> parsed = ParseJson(json, ParseAttributes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, testing::SampleAttributes());
}

TEST(AttributesJson, ValueMustMatchTheType) {
  absl::StatusOr<model::Attributes> parsed =
      ParseJson(R"([{"name":"rack","type":"TEXT","scalar":{"value":1}}])", ParseAttributes);
  EXPECT_EQ(parsed.status().message(), "[0].text: required by type TEXT");
}

TEST(LabelsJson, ValueIsOptional) {
  model::Labels labels = {{"a", "1"}, {"b", std::nullopt}};
  const std::string json = R"({"labels":[{"key":"a","value":"1"},{"key":"b"}]})";
  EXPECT_EQ(ToJson(labels, WriteLabels), json);
  EXPECT_EQ(ParseJson(json, ParseLabels).value(), labels);
  EXPECT_EQ(ParseJson(R"({"labels":[{"value":"1"}]})", ParseLabels).status().message(),
            "labels[0].key: required");
}

// ---- framework, master, agent ----

TEST(FrameworkInfoJson, OfferFiltersShape) {
  model::FrameworkInfo f;
  f.user = "u";
  f.name = "n";
  f.min_allocatable_resources["web"] = {model::Resources({Scalar("cpus", 1), Scalar("mem", 64)})};
  f.min_allocatable_resources["db"] = {};
  const std::string json =
      R"({"user":"u","name":"n","failover_timeout":0.0,"checkpoint":false,"offer_filters":{)"
      R"("db":{},"web":{"min_allocatable_resources":{"quantities":[{"quantities":{)"
      R"("cpus":{"value":1.0},"mem":{"value":64.0}}}]}}}})";
  EXPECT_EQ(ToJson(f, WriteFrameworkInfo), json);
  EXPECT_EQ(ParseJson(json, ParseFrameworkInfo).value(), f);
}

TEST(FrameworkInfoJson, RoundTripsTheSample) {
  model::FrameworkInfo f = testing::SampleFrameworkInfo();
  absl::StatusOr<model::FrameworkInfo> parsed =
      ParseJson(ToJson(f, WriteFrameworkInfo), ParseFrameworkInfo);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, f);
}

TEST(FrameworkInfoJson, OfferFilterQuantitiesMustBeNonNegative) {
  EXPECT_EQ(ParseJson(R"({"user":"u","name":"n","offer_filters":{"web":{)"
                      R"("min_allocatable_resources":{"quantities":[{"quantities":{)"
                      R"("cpus":{"value":-1}}}]}}}})",
                      ParseFrameworkInfo)
                .status()
                .message(),
            "offer_filters.web.min_allocatable_resources.quantities[0].quantities.cpus.value: "
            "must not be negative, got -1");
}

TEST(MasterInfoJson, PortMustBeATcpPort) {
  EXPECT_EQ(ParseJson(R"({"id":"m","ip":1,"port":70000})", ParseMasterInfo).status().message(),
            "port: 70000 is not a TCP port");
  EXPECT_EQ(ParseJson(R"({"id":"m","port":5050})", ParseMasterInfo).status().message(),
            "ip: required");
}

TEST(AgentInfoJson, RoundTripsWithDomain) {
  model::AgentInfo a;
  a.hostname = "agent-1";
  a.port = 5051;
  a.resources = testing::SampleResources();
  a.attributes = testing::SampleAttributes();
  a.id = model::AgentId("S1");
  a.domain = model::DomainInfo{"eu", "eu-1a"};
  std::string json = ToJson(a, WriteAgentInfo);
  EXPECT_THAT(json, HasSubstr(R"("domain":{"fault_domain":{"region":{"name":"eu"},)"
                              R"("zone":{"name":"eu-1a"}}})"));
  EXPECT_EQ(ParseJson(json, ParseAgentInfo).value(), a);
}

// ---- tasks and statuses ----

TEST(TaskInfoJson, RoundTripsTheSample) {
  model::TaskInfo t = testing::SampleTask("web.1");
  std::string json = ToJson(t, WriteTaskInfo);
  absl::StatusOr<model::TaskInfo> parsed = ParseJson(json, ParseTaskInfo);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, t);
}

TEST(TaskInfoJson, CommandShellDefaultsToTrueAndIsAlwaysWritten) {
  absl::StatusOr<model::CommandInfo> c = ParseJson(R"({"value":"sleep 1"})", ParseCommandInfo);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->shell);
  EXPECT_EQ(ToJson(*c, WriteCommandInfo), R"({"shell":true,"value":"sleep 1"})");
}

TEST(TaskInfoJson, HealthCheckWritesItsDefaults) {
  model::HealthCheck check;
  check.type = model::HealthCheck::Type::kTcp;
  check.tcp = model::HealthCheck::Tcp{8080};
  EXPECT_EQ(ToJson(check, WriteHealthCheck),
            R"({"type":"TCP","tcp":{"port":8080},"delay_seconds":15.0,"interval_seconds":10.0,)"
            R"("timeout_seconds":20.0,"consecutive_failures":3,"grace_period_seconds":10.0})");
  absl::StatusOr<model::HealthCheck> parsed =
      ParseJson(R"({"type":"SMOKE_SIGNALS","tcp":{"port":8080}})", ParseHealthCheck);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->type, model::HealthCheck::Type::kUnknown);
  EXPECT_EQ(parsed->delay_seconds, 15.0);
}

TEST(TaskInfoJson, ContainerTypeIsRequired) {
  EXPECT_EQ(ParseJson(R"({"volumes":[]})", ParseContainerInfo).status().message(),
            "type: required");
  EXPECT_EQ(ParseJson(R"({"type":"RKT"})", ParseContainerInfo).status().message(),
            "type: unknown value 'RKT'");
}

TEST(TaskStatusJson, BytesAreBase64) {
  model::TaskStatus s;
  s.task_id = model::TaskId("t");
  s.state = model::TaskState::kFinished;
  s.data = "hi";
  s.uuid = std::string(16, '\0');
  EXPECT_EQ(ToJson(s, WriteTaskStatus),
            R"({"task_id":{"value":"t"},"state":"TASK_FINISHED","data":"aGk=",)"
            R"("uuid":"AAAAAAAAAAAAAAAAAAAAAA=="})");
}

TEST(TaskStatusJson, Base64PaddingIsOptionalOnInput) {
  absl::StatusOr<model::TaskStatus> s = ParseJson(
      R"({"task_id":{"value":"t"},"state":"TASK_FINISHED","data":"aGk"})", ParseTaskStatus);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->data, "hi");
}

// ---- offers and operations ----

TEST(OfferJson, RoundTripsTheSample) {
  model::Offer o = testing::SampleOffer();
  std::string json = ToJson(o, WriteOffer);
  EXPECT_THAT(json, HasSubstr(R"("unavailability":{"start":{"nanoseconds":1732170000000000000},)"
                              R"("duration":{"nanoseconds":7200000000000}})"));
  absl::StatusOr<model::Offer> parsed = ParseJson(json, ParseOffer);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, o);
}

TEST(OperationJson, EveryTypeRoundTrips) {
  for (const model::Operation& op : testing::SampleOperations()) {
    std::string json = ToJson(op, WriteOperation);
    absl::StatusOr<model::Operation> parsed = ParseJson(json, ParseOperation);
    ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << json;
    EXPECT_EQ(*parsed, op) << json;
  }
}

TEST(OperationJson, ShapesOfReserveAndCreate) {
  model::Resource disk = Scalar("disk", 2048);
  disk.reservations = {{Type::kDynamic, "db", "apps", {}}};
  disk.allocation_role = "db";
  model::Operation reserve = testing::MakeOperation(model::Operation::Type::kReserve);
  reserve.resources = model::Resources({disk});
  EXPECT_EQ(ToJson(reserve, WriteOperation),
            R"({"type":"RESERVE","reserve":{"resources":[{"name":"disk","type":"SCALAR",)"
            R"("scalar":{"value":2048.0},"role":"db","reservation":{"principal":"apps"},)"
            R"("allocation_info":{"role":"db"}}]}})");
  model::Operation destroy = testing::MakeOperation(model::Operation::Type::kDestroy);
  EXPECT_EQ(ToJson(destroy, WriteOperation), R"({"type":"DESTROY","destroy":{}})");
}

TEST(OperationJson, LaunchGroupNeedsExecutorAndTaskGroup) {
  EXPECT_EQ(ParseJson(R"({"type":"LAUNCH_GROUP","launch_group":{"task_group":{}}})", ParseOperation)
                .status()
                .message(),
            "launch_group.executor: required");
  EXPECT_EQ(ParseJson(R"({"type":"LAUNCH_GROUP","launch_group":{"executor":{)"
                      R"("executor_id":{"value":"e"}}}})",
                      ParseOperation)
                .status()
                .message(),
            "launch_group.task_group: required by the operation type");
}

}  // namespace
}  // namespace atl::api
