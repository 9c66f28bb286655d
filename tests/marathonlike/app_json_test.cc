// Reading and writing Marathon app JSON (marathonlike/app_json.h): normalization, the GET shape,
// partial updates, and the 400/422 error shapes.
#include "marathonlike/app_json.h"

#include <gtest/gtest.h>

#include "marathonlike/app_validation.h"
#include "tests/marathonlike/json_testing.h"

namespace atl::marathonlike {
namespace {

using testing::At;
using testing::ParseForTest;
using testing::StringAt;

AppReadOptions InGroup(PathId group) {
  AppReadOptions options;
  options.base_group = std::move(group);
  return options;
}

AppReadOptions ForApp(PathId id) {
  AppReadOptions options;
  options.app_id = std::move(id);
  return options;
}

AppReadOptions WithVersions() {
  AppReadOptions options;
  options.read_version = true;
  return options;
}

AppDefinition MustParse(std::string_view json, const AppReadOptions& options = {}) {
  ApiOr<AppDefinition> app = ParseValidApp(json, options);
  EXPECT_TRUE(app.ok()) << json << "\n" << (app.ok() ? "" : ApiErrorJson(app.error()));
  return app.ok() ? *app : AppDefinition{};
}

ApiError MustFail(std::string_view json, const AppReadOptions& options = {}) {
  ApiOr<AppDefinition> app = ParseValidApp(json, options);
  EXPECT_FALSE(app.ok()) << json;
  return app.ok() ? ApiError{} : app.error();
}

TEST(AppJson, AbsentFieldsTakeMarathonsDefaults) {
  AppDefinition app = MustParse(R"({"id": "web", "cmd": "sleep 1"})");
  EXPECT_EQ(app.id, "/web");
  EXPECT_EQ(app.cmd, "sleep 1");
  EXPECT_EQ(app.instances, 1);
  EXPECT_EQ(app.cpus, 1.0);
  EXPECT_EQ(app.mem, 128.0);
  EXPECT_EQ(app.disk, 0.0);
  EXPECT_EQ(app.gpus, 0);
  EXPECT_EQ(app.executor, "");
  EXPECT_EQ(app.backoff_seconds, 1.0);
  EXPECT_EQ(app.backoff_factor, 1.15);
  EXPECT_EQ(app.max_launch_delay_seconds, 300.0);
  EXPECT_EQ(app.upgrade_strategy, (UpgradeStrategy{1.0, 1.0, std::nullopt}));
  EXPECT_EQ(app.unreachable_strategy, (UnreachableStrategy{false, 0, 0}));
  EXPECT_EQ(app.kill_selection, "YOUNGEST_FIRST");
  EXPECT_FALSE(app.require_ports);
  ASSERT_EQ(app.port_definitions.size(), 1u);
  EXPECT_EQ(app.port_definitions[0], (PortDefinition{0, "tcp", "default", {}}));
  EXPECT_FALSE(app.container.has_value());
  EXPECT_FALSE(app.role.has_value());
}

TEST(AppJson, WritesMarathonsGetShapeInRamlOrder) {
  AppDefinition app = MustParse(R"({"id": "/web", "cmd": "sleep 1", "mem": 64.5})");
  app.version = Timestamp::FromNanoseconds(1443542391164000000);
  app.version_info = {app.version, app.version};
  EXPECT_EQ(AppToJson(app),
            R"({"id":"/web","backoffFactor":1.15,"backoffSeconds":1,"cmd":"sleep 1",)"
            R"("constraints":[],"cpus":1,"dependencies":[],"disk":0,"env":{},"executor":"",)"
            R"("fetch":[],"healthChecks":[],"instances":1,"labels":{},)"
            R"("maxLaunchDelaySeconds":300,"mem":64.5,"gpus":0,"networks":[{"mode":"host"}],)"
            R"("portDefinitions":[{"port":0,"protocol":"tcp","name":"default"}],)"
            R"("readinessChecks":[],"requirePorts":false,)"
            R"("upgradeStrategy":{"minimumHealthCapacity":1,"maximumOverCapacity":1},)"
            R"("version":"2015-09-29T15:59:51.164Z","versionInfo":{)"
            R"("lastScalingAt":"2015-09-29T15:59:51.164Z",)"
            R"("lastConfigChangeAt":"2015-09-29T15:59:51.164Z"},)"
            R"("killSelection":"YOUNGEST_FIRST",)"
            R"("unreachableStrategy":{"inactiveAfterSeconds":0,"expungeAfterSeconds":0}})");
}

TEST(AppJson, WritesOptionalFieldsOnlyWhenSet) {
  AppDefinition app = MustParse(R"({
    "id": "/web", "args": ["sleep", "1"], "user": "nobody", "role": "prod",
    "acceptedResourceRoles": ["*"], "container": {"type": "MESOS"},
    "taskKillGracePeriodSeconds": 30, "resourceLimits": {"cpus": 2, "mem": "unlimited"},
    "deploymentProgressDeadlineSeconds": 600, "unreachableStrategy": "disabled"})");
  rapidjson::Document doc = ParseForTest(AppToJson(app));
  EXPECT_EQ(At(doc, "/cmd"), nullptr);
  EXPECT_EQ(StringAt(doc, "/args/1"), "1");
  EXPECT_EQ(StringAt(doc, "/user"), "nobody");
  EXPECT_EQ(StringAt(doc, "/role"), "prod");
  EXPECT_EQ(StringAt(doc, "/acceptedResourceRoles/0"), "*");
  EXPECT_EQ(StringAt(doc, "/container/type"), "MESOS");
  EXPECT_TRUE(At(doc, "/container/volumes")->IsArray());
  EXPECT_EQ(At(doc, "/taskKillGracePeriodSeconds")->GetInt(), 30);
  EXPECT_EQ(At(doc, "/resourceLimits/cpus")->GetInt(), 2);
  EXPECT_EQ(StringAt(doc, "/resourceLimits/mem"), "unlimited");
  EXPECT_EQ(At(doc, "/deploymentProgressDeadlineSeconds")->GetInt(), 600);
  EXPECT_EQ(StringAt(doc, "/unreachableStrategy"), "disabled");

  AppDefinition plain = MustParse(R"({"id": "/web", "cmd": "x"})");
  rapidjson::Document plain_doc = ParseForTest(AppToJson(plain));
  for (const char* absent :
       {"/args", "/user", "/role", "/acceptedResourceRoles", "/container",
        "/taskKillGracePeriodSeconds", "/resourceLimits", "/deploymentProgressDeadlineSeconds"}) {
    EXPECT_EQ(At(plain_doc, absent), nullptr) << absent;
  }
}

TEST(AppJson, WholeNumbersHaveNoFractionAndOthersRoundTrip) {
  AppDefinition app = MustParse(R"({"id": "/a", "cmd": "x", "cpus": 0.1, "mem": 1e3,
                                    "backoffFactor": 1.5, "disk": 0.30000000000000004})");
  std::string json = AppToJson(app);
  EXPECT_NE(json.find(R"("cpus":0.1,)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("mem":1000,)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("disk":0.30000000000000004,)"), std::string::npos) << json;
  EXPECT_EQ(MustParse(json), app);
}

TEST(AppJson, AppInfoMembersCanBeAppendedAndArePostableBack) {
  AppDefinition app = MustParse(R"({"id": "/web", "cmd": "x"})");
  api::JsonWriter w;
  w.StartObject();
  WriteAppFields(w, app);
  w.Key("tasksRunning").Int(2).Key("deployments").StartArray().EndArray();
  w.Key("tasks").StartArray().StartObject().Key("id").String("web.1").EndObject().EndArray();
  w.EndObject();
  std::string json = w.Finish();
  EXPECT_EQ(At(ParseForTest(json), "/tasksRunning")->GetInt(), 2);
  EXPECT_EQ(MustParse(json), app);
}

TEST(AppJson, RelativeIdsResolveAgainstTheBaseGroupAndDependenciesAgainstTheApp) {
  AppReadOptions options = InGroup("/prod");
  AppDefinition app = MustParse(
      R"({"id": "web", "cmd": "x", "dependencies": ["../db", "/infra/dns", "./cache/"]})", options);
  EXPECT_EQ(app.id, "/prod/web");
  EXPECT_EQ(app.dependencies, (std::vector<PathId>{"/prod/db", "/infra/dns", "/prod/web/cache"}));
  EXPECT_EQ(MustParse(R"({"id": "../top", "cmd": "x"})", options).id, "/top");
  EXPECT_EQ(MustParse(R"({"id": "/abs/x", "cmd": "x"})", options).id, "/abs/x");

  ApiError error = MustFail(R"({"id": "../../x", "cmd": "x"})", options);
  EXPECT_EQ(error.status, 422);
  EXPECT_TRUE(error.Has("/id", "'../../x' climbs above the root group")) << ApiErrorJson(error);
}

TEST(AppJson, TheUrlsIdStandsInForAMissingIdAndMustMatchAGivenOne) {
  AppReadOptions options = ForApp("/prod/web");
  EXPECT_EQ(MustParse(R"({"cmd": "x"})", options).id, "/prod/web");
  EXPECT_EQ(MustParse(R"({"id": "/prod/web", "cmd": "x"})", options).id, "/prod/web");
  ApiError error = MustFail(R"({"id": "/prod/other", "cmd": "x"})", options);
  EXPECT_TRUE(error.Has("/id", "'/prod/other' does not name the app of the URL (/prod/web)"))
      << ApiErrorJson(error);
}

TEST(AppJson, DeprecatedPortsBecomePortDefinitions) {
  AppDefinition app = MustParse(R"({"id": "/a", "cmd": "x", "ports": [8080, 0]})");
  ASSERT_EQ(app.port_definitions.size(), 2u);
  EXPECT_EQ(app.port_definitions[0], (PortDefinition{8080, "tcp", std::nullopt, {}}));
  EXPECT_EQ(app.port_definitions[1], (PortDefinition{0, "tcp", std::nullopt, {}}));
  // An empty list means no ports; the default port only applies when neither field is given.
  EXPECT_TRUE(MustParse(R"({"id": "/a", "cmd": "x", "ports": []})").port_definitions.empty());
  EXPECT_TRUE(
      MustParse(R"({"id": "/a", "cmd": "x", "portDefinitions": []})").port_definitions.empty());
  // Both given: they must agree.
  EXPECT_EQ(MustParse(R"({"id": "/a", "cmd": "x", "ports": [80],
                          "portDefinitions": [{"port": 80, "name": "http"}]})")
                .port_definitions[0]
                .name,
            "http");
  ApiError error = MustFail(R"({"id": "/a", "cmd": "x", "ports": [81],
                                "portDefinitions": [{"port": 80}]})");
  EXPECT_TRUE(error.Has("/", "cannot specify both ports and port definitions"));
}

TEST(AppJson, DeprecatedUrisBecomeFetchExtractingArchives) {
  AppDefinition app = MustParse(R"({"id": "/a", "cmd": "x",
      "uris": ["http://h/app.tgz", "http://h/run.sh", "http://h/b.zip"]})");
  ASSERT_EQ(app.fetch.size(), 3u);
  EXPECT_TRUE(app.fetch[0].extract);
  EXPECT_FALSE(app.fetch[1].extract);
  EXPECT_TRUE(app.fetch[2].extract);
  EXPECT_FALSE(app.fetch[1].executable);
  EXPECT_FALSE(app.fetch[1].cache);
  ApiError error = MustFail(R"({"id": "/a", "cmd": "x", "uris": ["http://h/a"],
                                "fetch": [{"uri": "http://h/b"}]})");
  EXPECT_TRUE(error.Has("/uris", "may not be set in conjunction with fetch"));
  // An empty uris list changes nothing.
  EXPECT_EQ(MustParse(R"({"id": "/a", "cmd": "x", "uris": [], "fetch": [{"uri": "u"}]})").fetch,
            (std::vector<Artifact>{{"u", true, false, false, std::nullopt}}));
}

// Atoll's extension of upgradeStrategy: read, written back only when set, at least 1.
TEST(AppJson, RollbackAfterFailuresIsAnUpgradeStrategyExtension) {
  AppDefinition app = MustParse(R"({"id": "/a", "cmd": "x",
      "upgradeStrategy": {"minimumHealthCapacity": 0.5, "rollbackAfterFailures": 3}})");
  EXPECT_EQ(app.upgrade_strategy.rollback_after_failures, 3);
  EXPECT_NE(AppToJson(app).find(R"("rollbackAfterFailures":3)"), std::string::npos);
  EXPECT_EQ(AppToJson(MustParse(R"({"id": "/a", "cmd": "x"})")).find("rollbackAfterFailures"),
            std::string::npos)
      << "Marathon's JSON stays Marathon's";
  ApiOr<AppDefinition> bad = ParseValidApp(
      R"({"id": "/a", "cmd": "x", "upgradeStrategy": {"rollbackAfterFailures": 0}})", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().status, 422);
  EXPECT_TRUE(bad.error().Has("/upgradeStrategy/rollbackAfterFailures", "is less than 1"))
      << ApiErrorJson(bad.error());
}

TEST(AppJson, StrategiesTakeDefaultsForMissingMembers) {
  AppDefinition app = MustParse(R"({"id": "/a", "cmd": "x",
      "upgradeStrategy": {"minimumHealthCapacity": 0.5},
      "unreachableStrategy": {"expungeAfterSeconds": 600}})");
  EXPECT_EQ(app.upgrade_strategy, (UpgradeStrategy{0.5, 1.0, std::nullopt}));
  EXPECT_EQ(app.unreachable_strategy, (UnreachableStrategy{false, 0, 600}));
  EXPECT_TRUE(MustParse(R"({"id": "/a", "cmd": "x", "unreachableStrategy": "DISABLED"})")
                  .unreachable_strategy.disabled);
  ApiOr<AppDefinition> bad = ParseApp(R"({"id": "/a", "cmd": "x", "unreachableStrategy": "no"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().status, 400);
  EXPECT_TRUE(bad.error().Has("/unreachableStrategy", "error.unknown.enum.literal"));
}

TEST(AppJson, EnumsMatchIgnoringCaseAndAreStoredCanonically) {
  AppDefinition app = MustParse(R"({"id": "/a", "cmd": "x", "killSelection": "oldest_first",
      "constraints": [["hostname", "unique"], ["rack", "group_by", "3"]],
      "portDefinitions": [{"port": 0, "protocol": "UDP", "name": "dns"}],
      "healthChecks": [{"protocol": "tcp", "ipProtocol": "ipv4"}],
      "readinessChecks": [{"protocol": "https", "portName": "dns", "timeoutSeconds": 1}]})");
  EXPECT_EQ(app.kill_selection, "OLDEST_FIRST");
  EXPECT_EQ(app.constraints[0][1], "UNIQUE");
  EXPECT_EQ(app.constraints[1][1], "GROUP_BY");
  EXPECT_EQ(app.port_definitions[0].protocol, "udp");
  EXPECT_EQ(app.health_checks[0].protocol, "TCP");
  EXPECT_EQ(app.health_checks[0].ip_protocol, "IPv4");
  EXPECT_EQ(app.readiness_checks[0].protocol, "HTTPS");
}

TEST(AppJson, HealthChecksWithoutAPortUseTheFirstOne) {
  AppDefinition app = MustParse(R"({"id": "/a", "cmd": "x", "healthChecks": [
      {"protocol": "HTTP", "path": "/health"},
      {"protocol": "TCP", "port": 8080, "path": "/ignored", "ignoreHttp1xx": true},
      {"protocol": "COMMAND", "command": {"value": "true"}, "path": "/ignored"}]})");
  EXPECT_EQ(app.health_checks[0].port_index, 0);
  EXPECT_EQ(app.health_checks[0].path, "/health");
  EXPECT_EQ(app.health_checks[1].port_index, std::nullopt);  // `port` is given
  EXPECT_EQ(app.health_checks[1].path, "/");                 // TCP has no path
  EXPECT_FALSE(app.health_checks[1].ignore_http1xx);
  EXPECT_EQ(app.health_checks[2].port_index, std::nullopt);  // COMMAND needs no port
  EXPECT_EQ(app.health_checks[2].command, "true");
  rapidjson::Document doc = ParseForTest(AppToJson(app));
  EXPECT_EQ(StringAt(doc, "/healthChecks/0/path"), "/health");
  EXPECT_EQ(At(doc, "/healthChecks/0/portIndex")->GetInt(), 0);
  EXPECT_EQ(At(doc, "/healthChecks/1/path"), nullptr);
  EXPECT_EQ(StringAt(doc, "/healthChecks/2/command/value"), "true");
  EXPECT_EQ(At(doc, "/healthChecks/0/delaySeconds")->GetInt(), 15);
  EXPECT_EQ(StringAt(doc, "/healthChecks/0/ipProtocol"), "IPv4");
}

TEST(AppJson, ReadinessChecksDefaultTo200) {
  AppDefinition app = MustParse(R"({"id": "/a", "cmd": "x",
      "portDefinitions": [{"port": 0, "name": "http-api"}],
      "readinessChecks": [{"httpStatusCodesForReady": []}]})");
  ASSERT_EQ(app.readiness_checks.size(), 1u);
  EXPECT_EQ(app.readiness_checks[0], ReadinessCheck{});
  EXPECT_EQ(app.readiness_checks[0].http_status_codes_for_ready, std::vector<int>{200});
}

TEST(AppJson, TypeErrorsAre400sWithPlayJsonKeysAtEveryPath) {
  ApiOr<AppDefinition> one = ParseApp(R"({"id": 5})");
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(
      ApiErrorJson(one.error()),
      R"({"message":"Invalid JSON","details":[{"path":"/id","errors":["error.expected.jsstring"]}]})");
  EXPECT_EQ(one.error().status, 400);

  ApiOr<AppDefinition> many = ParseApp(R"({
    "cmd": ["x"], "cpus": "1", "instances": 1.5, "requirePorts": "yes",
    "labels": {"a": 1}, "env": {"X": ["y"]}, "constraints": "x", "upgradeStrategy": [],
    "healthChecks": [{"portIndex": "0"}, 7], "portDefinitions": [{"labels": {"k": false}}],
    "fetch": [{"extract": true}], "dependencies": [1], "container": {"volumes": [{}]},
    "taskKillGracePeriodSeconds": 3000000000})");
  ASSERT_FALSE(many.ok());
  const ApiError& e = many.error();
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.message, "Invalid JSON");
  EXPECT_TRUE(e.Has("/id", "error.path.missing"));
  EXPECT_TRUE(e.Has("/cmd", "error.expected.jsstring"));
  EXPECT_TRUE(e.Has("/cpus", "error.expected.jsnumber"));
  EXPECT_TRUE(e.Has("/instances", "error.expected.int"));
  EXPECT_TRUE(e.Has("/requirePorts", "error.expected.jsboolean"));
  EXPECT_TRUE(e.Has("/labels/a", "error.expected.jsstring"));
  EXPECT_TRUE(e.Has("/env/X", "error.expected.jsstring"));
  EXPECT_TRUE(e.Has("/constraints", "error.expected.jsarray"));
  EXPECT_TRUE(e.Has("/upgradeStrategy", "error.expected.jsobject"));
  EXPECT_TRUE(e.Has("/healthChecks(0)/portIndex", "error.expected.jsnumber"));
  EXPECT_TRUE(e.Has("/healthChecks(1)", "error.expected.jsobject"));
  EXPECT_TRUE(e.Has("/portDefinitions(0)/labels/k", "error.expected.jsstring"));
  EXPECT_TRUE(e.Has("/fetch(0)/uri", "error.path.missing"));
  EXPECT_TRUE(e.Has("/dependencies(0)", "error.expected.jsstring"));
  EXPECT_TRUE(e.Has("/container/volumes(0)/containerPath", "error.path.missing"));
  EXPECT_TRUE(e.Has("/taskKillGracePeriodSeconds", "error.expected.int"));
  EXPECT_EQ(e.field_errors().size(), 17u) << ApiErrorJson(e);

  ApiOr<AppDefinition> root = ParseApp("[1]");
  ASSERT_FALSE(root.ok());
  EXPECT_TRUE(root.error().Has("/", "error.expected.jsobject"));
}

TEST(AppJson, NullMeansNotGiven) {
  AppDefinition app = MustParse(R"({"id": "/a", "cmd": "x", "args": null, "cpus": null,
                                    "container": null, "portDefinitions": null})");
  EXPECT_EQ(app.cpus, 1.0);
  EXPECT_FALSE(app.args.has_value());
  EXPECT_FALSE(app.container.has_value());
  EXPECT_EQ(app.port_definitions.size(), 1u);
}

TEST(AppJson, MalformedJsonIsA400WithTheParsersText) {
  for (const char* bad : {"", "{", R"({"id": "/a",})", R"({"id": "/a"} x)", "{\"id\": \"\xff\"}"}) {
    ApiOr<AppDefinition> app = ParseApp(bad);
    ASSERT_FALSE(app.ok()) << bad;
    EXPECT_EQ(app.error().status, 400);
    EXPECT_EQ(app.error().message, "Invalid JSON");
    ASSERT_TRUE(std::holds_alternative<std::string>(app.error().details)) << bad;
    EXPECT_FALSE(std::get<std::string>(app.error().details).empty());
  }
  rapidjson::Document doc = ParseForTest(ApiErrorJson(ParseApp("{").error()));
  EXPECT_TRUE(At(doc, "/details")->IsString());
}

TEST(AppJson, UnsupportedFeaturesAreRefusedWithA422NamingThem) {
  struct Case {
    const char* members;
    const char* path;
    const char* error;
  };
  const Case cases[] = {
      {R"("networks": [{"mode": "container", "name": "dcos"}])", "/networks(0)/mode",
       "container networking is not supported yet: apps use host networking"},
      {R"("networks": [{"name": "dcos"}])", "/networks(0)/mode",
       "container networking is not supported yet: apps use host networking"},
      {R"("ipAddress": {"networkName": "dcos"})", "/ipAddress",
       "ipAddress (IP per task) is not supported yet: apps use host networking"},
      {R"("secrets": {"s": {"source": "/db"}})", "/secrets", "secrets are not supported yet"},
      {R"("env": {"PASSWORD": {"secret": "s"}})", "/env/PASSWORD",
       "secret references are not supported yet"},
      {R"("check": {"http": {"endpoint": "http"}})", "/check",
       "Mesos checks are not supported yet: use healthChecks"},
      {R"("tty": true)", "/tty", "tty is not supported yet"},
      {R"("container": {"type": "MESOS", "docker": {"image": "nginx"}})", "/container/docker",
       "Docker images are not supported yet: use a command (cmd/args) app"},
      {R"("container": {"type": "MESOS", "appc": {"image": "x"}})", "/container/appc",
       "AppC images are not supported yet"},
      {R"("container": {"type": "MESOS", "linuxInfo": {}})", "/container/linuxInfo",
       "linuxInfo is not supported yet"},
      {R"("container": {"type": "MESOS", "portMappings": [{"containerPort": 80}]})",
       "/container/portMappings", "portMappings are not allowed with host-networking"},
      {R"("container": {"type": "MESOS", "volumes": [{"containerPath": "d", "mode": "RW",
          "persistent": {"size": 10}}]})",
       "/container/volumes(0)/persistent", "persistent volumes are not supported yet"},
      {R"("container": {"type": "MESOS", "volumes": [{"containerPath": "d",
          "external": {"name": "v"}}]})",
       "/container/volumes(0)/external", "external volumes are not supported yet"},
      {R"("container": {"type": "MESOS", "volumes": [{"containerPath": "d", "secret": "s"}]})",
       "/container/volumes(0)/secret", "secret volumes are not supported yet"},
      {R"("container": {"type": "DOCKER", "docker": {"image": "nginx"}})", "/container/type",
       "Docker containers are not supported yet: use a command (cmd/args) app"},
      {R"("container": {"docker": {"image": "nginx"}})", "/container/type",
       "Docker containers are not supported yet: use a command (cmd/args) app"},
      {R"("residency": {"taskLostBehavior": "WAIT_FOREVER"})", "/residency",
       "resident apps (persistent volumes) are not supported yet"},
      {R"("executorResources": {"cpus": 0.1})", "/executorResources",
       "executorResources is not supported for apps yet"},
      {R"("gpus": 1)", "/gpus", "GPU resources are not supported yet"},
      {R"("executor": "/opt/my-executor")", "/executor",
       "custom executors are not supported for apps yet: use \"\" or \"//cmd\" (the command "
       "executor)"},
      {R"("acceptedResourceRoles": [])", "/acceptedResourceRoles", "must not be empty"},
  };
  for (const Case& c : cases) {
    std::string json = std::string(R"({"id": "/a", "cmd": "x", )") + c.members + "}";
    ApiError error = MustFail(json);
    EXPECT_EQ(error.status, 422) << json;
    EXPECT_EQ(error.message, "Object is not valid");
    EXPECT_TRUE(error.Has(c.path, c.error)) << json << "\n" << ApiErrorJson(error);
  }
  // What these features look like when unused is accepted.
  for (const char* members :
       {R"("networks": [{"mode": "host"}])", R"("networks": [])", R"("secrets": {})",
        R"("tty": false)", R"("container": {"type": "MESOS", "portMappings": []})",
        R"("executor": "//cmd")", R"("gpus": 0)"}) {
    MustParse(std::string(R"({"id": "/a", "cmd": "x", )") + members + "}");
  }
}

TEST(AppJson, HostVolumesOfAMesosContainerAreKept) {
  AppDefinition app = MustParse(R"({"id": "/a", "cmd": "x", "container": {"type": "mesos",
      "volumes": [{"containerPath": "/data", "hostPath": "/srv/data", "mode": "ro"}]}})");
  ASSERT_TRUE(app.container.has_value());
  EXPECT_EQ(app.container->type, "MESOS");
  EXPECT_EQ(app.container->volumes, (std::vector<HostVolume>{{"/data", "/srv/data", "RO"}}));
  EXPECT_EQ(MustParse(AppToJson(app)), app);
}

TEST(AppJson, ServerFieldsAreIgnoredUnlessAsked) {
  const char* json = R"({"id": "/a", "cmd": "x", "version": "2015-09-29T15:59:51.164Z",
      "versionInfo": {"lastScalingAt": "2015-09-29T15:59:51.164Z",
                      "lastConfigChangeAt": "2015-08-01T00:00:00.000Z"}})";
  EXPECT_EQ(MustParse(json).version, Timestamp());
  AppDefinition stored = MustParse(json, WithVersions());
  EXPECT_EQ(FormatIso8601(stored.version), "2015-09-29T15:59:51.164Z");
  EXPECT_EQ(FormatIso8601(stored.version_info.last_config_change_at), "2015-08-01T00:00:00.000Z");
  EXPECT_EQ(MustParse(AppToJson(stored), WithVersions()), stored);
  ApiOr<AppDefinition> bad = ParseApp(R"({"id": "/a", "version": "yesterday"})", WithVersions());
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.error().Has("/version", "error.expected.date.isoformat"));
}

TEST(AppJson, ARichDefinitionRoundTrips) {
  AppDefinition app = MustParse(R"({
    "id": "/prod/web", "cmd": "./run --port $PORT0", "user": "www", "instances": 3,
    "cpus": 0.25, "mem": 256, "disk": 10, "env": {"A": "1", "B": ""},
    "labels": {"HAPROXY_GROUP": "external"}, "constraints": [["hostname", "MAX_PER", "2"]],
    "acceptedResourceRoles": ["*", "prod"], "role": "prod",
    "fetch": [{"uri": "http://h/a.tgz", "cache": true, "destPath": "a.tgz"}],
    "portDefinitions": [{"port": 10001, "protocol": "udp,tcp", "name": "http",
                         "labels": {"VIP_0": "/web:80"}}, {"port": 0}],
    "requirePorts": false, "backoffSeconds": 2, "backoffFactor": 2, "maxLaunchDelaySeconds": 60,
    "upgradeStrategy": {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0.2},
    "unreachableStrategy": {"inactiveAfterSeconds": 60, "expungeAfterSeconds": 120},
    "killSelection": "OLDEST_FIRST", "taskKillGracePeriodSeconds": 5,
    "healthChecks": [{"protocol": "HTTP", "path": "/ping", "portIndex": 0,
                      "gracePeriodSeconds": 30, "intervalSeconds": 5, "timeoutSeconds": 2,
                      "maxConsecutiveFailures": 0, "ignoreHttp1xx": true},
                     {"protocol": "COMMAND", "command": {"value": "curl -f localhost"}}],
    "readinessChecks": [{"name": "ready", "portName": "http", "path": "/ready",
                         "intervalSeconds": 5, "timeoutSeconds": 2,
                         "httpStatusCodesForReady": [200, 204], "preserveLastResponse": true}],
    "dependencies": ["/prod/db"], "deploymentProgressDeadlineSeconds": 300.5,
    "resourceLimits": {"cpus": "unlimited", "mem": 512},
    "container": {"type": "MESOS", "volumes": [{"containerPath": "/c", "hostPath": "/h",
                                                "mode": "RW"}]}})");
  std::string json = AppToJson(app);
  EXPECT_EQ(MustParse(json), app) << json;
  EXPECT_EQ(AppToJson(MustParse(json)), json);
}

// ---- partial updates ----

AppPatch MustPatch(std::string_view json, const AppReadOptions& options = {}) {
  ApiOr<AppPatch> patch = ParseAppPatch(json, options);
  EXPECT_TRUE(patch.ok()) << json << "\n" << (patch.ok() ? "" : ApiErrorJson(patch.error()));
  return patch.ok() ? *patch : AppPatch{};
}

AppDefinition Stored() {
  AppDefinition app = MustParse(R"({"id": "/prod/web", "cmd": "serve", "instances": 2,
      "mem": 256, "labels": {"a": "1"},
      "upgradeStrategy": {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0.5},
      "portDefinitions": [{"port": 0, "name": "http"}, {"port": 0, "name": "admin"}]})");
  app.version = Timestamp::FromNanoseconds(1000000);
  return app;
}

TEST(AppPatch, OnlyTheFieldsPresentReplaceStoredOnes) {
  AppPatch patch = MustPatch(R"({"instances": 5, "labels": {"b": "2"}})");
  EXPECT_EQ(patch.present, (std::set<std::string>{"instances", "labels"}));
  AppDefinition merged = patch.ApplyTo(Stored());
  AppDefinition expected = Stored();
  expected.instances = 5;
  expected.labels = {{"b", "2"}};
  EXPECT_EQ(merged, expected);
}

TEST(AppPatch, NestedObjectsAreReplacedWholesale) {
  AppDefinition merged =
      MustPatch(R"({"upgradeStrategy": {"minimumHealthCapacity": 0}})").ApplyTo(Stored());
  // The missing member takes its default, not the stored 0.5.
  EXPECT_EQ(merged.upgrade_strategy, (UpgradeStrategy{0.0, 1.0, std::nullopt}));
}

TEST(AppPatch, DeprecatedFieldsPatchTheirCanonicalOnes) {
  AppPatch patch = MustPatch(R"({"ports": [9000], "uris": ["http://h/x.zip"]})");
  EXPECT_EQ(patch.present, (std::set<std::string>{"fetch", "portDefinitions"}));
  AppDefinition merged = patch.ApplyTo(Stored());
  ASSERT_EQ(merged.port_definitions.size(), 1u);
  EXPECT_EQ(merged.port_definitions[0].port, 9000);
  EXPECT_TRUE(merged.fetch[0].extract);
}

TEST(AppPatch, SettingArgsClearsCmdAndBack) {
  AppDefinition with_args = MustPatch(R"({"args": ["serve", "--fast"]})").ApplyTo(Stored());
  EXPECT_FALSE(with_args.cmd.has_value());
  EXPECT_EQ(with_args.args, (std::vector<std::string>{"serve", "--fast"}));
  AppDefinition with_cmd = MustPatch(R"({"cmd": "again"})").ApplyTo(with_args);
  EXPECT_EQ(with_cmd.cmd, "again");
  EXPECT_FALSE(with_cmd.args.has_value());
}

TEST(AppPatch, HealthChecksAreNormalizedAgainstTheMergedPorts) {
  AppDefinition no_ports = Stored();
  no_ports.port_definitions.clear();
  AppPatch patch = MustPatch(R"({"healthChecks": [{"protocol": "HTTP"}]})");
  EXPECT_EQ(patch.ApplyTo(Stored()).health_checks[0].port_index, 0);
  EXPECT_EQ(patch.ApplyTo(no_ports).health_checks[0].port_index, std::nullopt);
}

TEST(AppPatch, KeepsTheStoredIdAndVersion) {
  AppPatch patch = MustPatch(R"({"id": "/prod/web", "cpus": 2})", ForApp("/prod/web"));
  EXPECT_EQ(patch.present, std::set<std::string>{"cpus"});
  AppDefinition merged = patch.ApplyTo(Stored());
  EXPECT_EQ(merged.id, "/prod/web");
  EXPECT_EQ(merged.version, Stored().version);
  EXPECT_FALSE(ParseAppPatch(R"({"id": "/prod/other"})", ForApp("/prod/web")).ok());
}

TEST(AppPatch, AVersionAloneIsARollbackRequest) {
  AppPatch rollback = MustPatch(R"({"id": "/prod/web", "version": "2015-09-29T15:59:51.164Z"})");
  EXPECT_EQ(rollback.version, ParseIso8601("2015-09-29T15:59:51.164Z"));
  EXPECT_TRUE(rollback.present.empty());
  ApiOr<AppPatch> mixed =
      ParseAppPatch(R"({"version": "2015-09-29T15:59:51.164Z", "instances": 1})");
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.error().status, 422);
  EXPECT_TRUE(
      mixed.error().Has("/", "The 'version' field may only be combined with the 'id' field."));
}

TEST(AppPatch, RefusesWhatAFullDefinitionRefusesAndReportsTypeErrors) {
  ApiOr<AppPatch> refused = ParseAppPatch(R"({"networks": [{"mode": "container/bridge"}]})");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().status, 422);
  ApiOr<AppPatch> invalid = ParseAppPatch(R"({"instances": "3"})");
  ASSERT_FALSE(invalid.ok());
  EXPECT_TRUE(invalid.error().Has("/instances", "error.expected.jsnumber"));
  // No id needed: the URL names the app.
  EXPECT_TRUE(ParseAppPatch(R"({})").ok());
}

}  // namespace
}  // namespace atl::marathonlike
