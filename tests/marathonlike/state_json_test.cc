// The durable encoding of the scheduler's state (marathonlike/state_json.h): every field
// round-trips, and broken records are DataLoss errors naming what is wrong.
#include "marathonlike/state_json.h"

#include <gtest/gtest.h>

#include <string>

#include "core/base/strings.h"
#include "marathonlike/app_json.h"
#include "marathonlike/plan.h"

namespace atl::marathonlike {
namespace {

Timestamp Ms(int64_t ms) { return Timestamp::FromNanoseconds(ms * 1000000); }

AppDefinition MustParse(std::string_view json) {
  ApiOr<AppDefinition> app = ParseApp(json);
  EXPECT_TRUE(app.ok()) << json << "\n" << (app.ok() ? "" : ApiErrorJson(app.error()));
  return app.ok() ? *app : AppDefinition{};
}

// Every field of AppDefinition set to something other than its default.
AppDefinition RichApp() {
  AppDefinition app = MustParse(R"({
    "id": "/prod/web", "cmd": "./run --port $PORT0", "user": "www", "instances": 3,
    "cpus": 0.25, "mem": 256, "disk": 10, "env": {"A": "1", "B": ""},
    "labels": {"HAPROXY_GROUP": "external"}, "constraints": [["hostname", "MAX_PER", "2"]],
    "acceptedResourceRoles": ["*", "prod"], "role": "prod",
    "fetch": [{"uri": "http://h/a.tgz", "cache": true, "destPath": "a.tgz"},
              {"uri": "http://h/b", "extract": false, "executable": true}],
    "portDefinitions": [{"port": 10001, "protocol": "udp,tcp", "name": "http",
                         "labels": {"VIP_0": "/web:80"}}, {"port": 0}],
    "requirePorts": true, "backoffSeconds": 2, "backoffFactor": 2, "maxLaunchDelaySeconds": 60,
    "upgradeStrategy": {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0.2},
    "unreachableStrategy": {"inactiveAfterSeconds": 60, "expungeAfterSeconds": 120},
    "killSelection": "OLDEST_FIRST", "taskKillGracePeriodSeconds": 5,
    "healthChecks": [{"protocol": "HTTP", "path": "/ping", "portIndex": 0,
                      "gracePeriodSeconds": 30, "intervalSeconds": 5, "timeoutSeconds": 2,
                      "maxConsecutiveFailures": 0, "ignoreHttp1xx": true},
                     {"protocol": "MESOS_TCP", "port": 8080, "delaySeconds": 3},
                     {"protocol": "COMMAND", "command": {"value": "curl -f localhost"}}],
    "readinessChecks": [{"name": "ready", "portName": "http", "path": "/ready",
                         "intervalSeconds": 5, "timeoutSeconds": 2,
                         "httpStatusCodesForReady": [200, 204], "preserveLastResponse": true}],
    "dependencies": ["/prod/db"], "deploymentProgressDeadlineSeconds": 300.5,
    "resourceLimits": {"cpus": "unlimited", "mem": 512},
    "container": {"type": "MESOS", "volumes": [{"containerPath": "/c", "hostPath": "/h",
                                                "mode": "RO"}]}})");
  app.version = Ms(1444737600123);
  app.version_info.last_config_change_at = Ms(1444737600000);
  app.version_info.last_scaling_at = Ms(1444737600123);
  return app;
}

AppDefinition ArgsApp(PathId id) {
  AppDefinition app = MustParse(R"({"id": "/x", "args": ["serve", "--fast"], "portDefinitions": [],
      "unreachableStrategy": "disabled", "gpus": 0, "instances": 0})");
  app.id = std::move(id);
  app.version = Ms(1444737500000);
  app.version_info = {Ms(1444737500000), Ms(1444737400000)};
  return app;
}

Group RichRoot() {
  Group back;
  back.id = "/prod/back";
  back.apps["/prod/back/worker"] = ArgsApp("/prod/back/worker");
  back.dependencies = {"/prod/db"};
  back.version = Ms(1444737500001);

  Group prod;
  prod.id = "/prod";
  prod.apps["/prod/web"] = RichApp();
  prod.apps["/prod/db"] = ArgsApp("/prod/db");
  prod.groups["/prod/back"] = back;
  prod.enforce_role = true;
  prod.version = Ms(1444737600123);

  Group empty;
  empty.id = "/empty";
  empty.version = Ms(1);

  Group root;
  root.groups["/prod"] = prod;
  root.groups["/empty"] = empty;
  root.dependencies = {"/empty"};
  root.version = Ms(1444737600123);
  return root;
}

Instance RichInstance() {
  Instance i;
  i.id = InstanceId("prod_web.instance-6e0b2f9c-1111-4a3b-9c5d-000000000001");
  i.app_id = "/prod/web";
  i.app_version = Ms(1444737600123);
  i.condition = Condition::kUnreachable;
  i.goal = Goal::kDecommissioned;
  // Sub-millisecond times are kept exactly.
  i.condition_since = Timestamp::FromNanoseconds(1444737600123456789);
  i.staged_at = Timestamp::FromNanoseconds(1444737600000000001);
  i.started_at = Ms(1444737601000);
  i.agent_id = "agent-1";
  i.hostname = "host-1.example.com";
  i.agent_attributes = {{"rack", "r1"}, {"zone", "a"}};
  i.incarnation = 7;
  i.task_id = "prod_web.instance-6e0b2f9c-1111-4a3b-9c5d-000000000001._app.7";
  i.task_state = model::TaskState::kUnreachable;
  i.message = "agent lost \"quoted\" \n newline";
  i.health.healthy = false;
  i.health.consecutive_failures = 2;
  i.health.first_success = Timestamp::FromNanoseconds(1'700'000'001'000'000'000);
  i.health.last_failure = Timestamp::FromNanoseconds(1'700'000'009'000'000'000);
  i.health.last_failure_cause = "HTTP 503";
  i.health_checks = {i.health, healthchecks::State{}};
  i.health_checks[1].healthy = true;
  i.health_checks[1].last_success = Timestamp::FromNanoseconds(1'700'000'009'000'000'000);
  i.host_ports = {31000, 31001};
  i.role = "prod";
  i.unreachable_since = Ms(1444737700000);
  i.kill_sent_at = Timestamp::FromNanoseconds(1444737700000999999);
  return i;
}

Deployment RichDeployment() {
  Group original = RichRoot();
  Group target = original;
  AppDefinition& web = target.groups["/prod"].apps["/prod/web"].Mutable();
  web.instances = 1;
  web.version = Ms(1444737700000);
  web.version_info.last_scaling_at = Ms(1444737700000);
  AppDefinition& db = target.groups["/prod"].apps["/prod/db"].Mutable();
  db.cmd = "db --new";
  db.args.reset();
  db.version = Ms(1444737700000);
  db.version_info = {Ms(1444737700000), Ms(1444737700000)};
  target.groups["/prod"].groups["/prod/back"].apps.clear();
  target.groups["/new"] =
      Group{"/new", {{"/new/app", ArgsApp("/new/app")}}, {}, {}, false, Ms(1444737700000)};
  target.version = Ms(1444737700000);
  std::map<PathId, std::vector<InstanceId>> to_kill = {
      {"/prod/web", {InstanceId("prod_web.instance-a"), InstanceId("prod_web.instance-b")}}};

  Deployment d;
  d.plan = BuildPlan("5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43", original, target,
                     Timestamp::FromNanoseconds(1444737700000000042), to_kill);
  d.current_step = 1;
  d.started_at = Timestamp::FromNanoseconds(1444737700000000042);
  d.step_started_at = Ms(1444737710000);
  d.progress_deadline = Duration::Seconds(300) + Duration::Nanoseconds(500000001);
  return d;
}

TEST(StateJson, TheRichValuesAreReallyRich) {
  Deployment d = RichDeployment();
  ASSERT_GE(d.plan.steps.size(), 3u) << EncodeDeployment(d);
  bool has_kill_list = false;
  for (const Step& s : d.plan.steps) {
    for (const Action& a : s.actions) has_kill_list |= !a.kill_list.empty();
  }
  EXPECT_TRUE(has_kill_list) << EncodeDeployment(d);
  EXPECT_FALSE(RichApp().health_checks.empty());
  EXPECT_TRUE(RichApp().role.has_value());
}

TEST(StateJson, AppRoundTrips) {
  for (const AppDefinition& app : {RichApp(), ArgsApp("/a/b"), MustParse(R"({"id": "/min"})")}) {
    std::string json = EncodeApp(app);
    absl::StatusOr<AppDefinition> back = DecodeApp(json);
    ASSERT_TRUE(back.ok()) << back.status() << "\n" << json;
    EXPECT_EQ(*back, app) << json;
    EXPECT_EQ(EncodeApp(*back), json);
  }
}

TEST(StateJson, GroupRoundTrips) {
  for (const Group& group : {RichRoot(), Group{}}) {
    std::string json = EncodeGroup(group);
    EXPECT_EQ(json.find('\n'), std::string::npos);
    absl::StatusOr<Group> back = DecodeGroup(json);
    ASSERT_TRUE(back.ok()) << back.status() << "\n" << json;
    EXPECT_EQ(*back, group) << json;
    EXPECT_EQ(EncodeGroup(*back), json);
  }
}

TEST(StateJson, InstanceRoundTrips) {
  Instance bare;
  bare.id = InstanceId("a.instance-1");
  bare.app_id = "/a";
  for (const Instance& instance : {RichInstance(), bare}) {
    std::string json = EncodeInstance(instance);
    absl::StatusOr<Instance> back = DecodeInstance(json);
    ASSERT_TRUE(back.ok()) << back.status() << "\n" << json;
    EXPECT_EQ(*back, instance) << json;
    EXPECT_EQ(EncodeInstance(*back), json);
  }
}

TEST(StateJson, EveryConditionGoalAndTaskStateRoundTrips) {
  for (int c = static_cast<int>(Condition::kScheduled); c <= static_cast<int>(Condition::kUnknown);
       ++c) {
    for (Goal goal : {Goal::kRunning, Goal::kStopped, Goal::kDecommissioned}) {
      Instance i = RichInstance();
      i.condition = static_cast<Condition>(c);
      i.goal = goal;
      absl::StatusOr<Instance> back = DecodeInstance(EncodeInstance(i));
      ASSERT_TRUE(back.ok()) << back.status();
      EXPECT_EQ(*back, i);
    }
  }
  for (model::TaskState state :
       {model::TaskState::kStaging, model::TaskState::kStarting, model::TaskState::kRunning,
        model::TaskState::kKilling, model::TaskState::kFinished, model::TaskState::kFailed,
        model::TaskState::kKilled, model::TaskState::kError, model::TaskState::kLost,
        model::TaskState::kDropped, model::TaskState::kUnreachable, model::TaskState::kGone,
        model::TaskState::kGoneByOperator, model::TaskState::kUnknown}) {
    Instance i = RichInstance();
    i.task_state = state;
    absl::StatusOr<Instance> back = DecodeInstance(EncodeInstance(i));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->task_state, state);
  }
}

TEST(StateJson, DeploymentRoundTrips) {
  Deployment rich = RichDeployment();
  Deployment bare;
  bare.plan.id = "d";
  for (const Deployment& d : {rich, bare}) {
    std::string json = EncodeDeployment(d);
    absl::StatusOr<Deployment> back = DecodeDeployment(json);
    ASSERT_TRUE(back.ok()) << back.status() << "\n" << json;
    EXPECT_EQ(*back, d) << json;
    EXPECT_EQ(EncodeDeployment(*back), json);
  }
}

TEST(StateJson, TimesAreExactAndReadable) {
  EXPECT_EQ(FormatStoredTime(Ms(1443542391164)), "2015-09-29T15:59:51.164Z");
  EXPECT_EQ(FormatStoredTime(Timestamp::FromNanoseconds(1443542391164000123)),
            "2015-09-29T15:59:51.164000123Z");
  EXPECT_EQ(FormatStoredTime(Timestamp::FromNanoseconds(-1)), "1969-12-31T23:59:59.999999999Z");
  EXPECT_NE(
      EncodeInstance(RichInstance()).find("\"conditionSince\":\"2015-10-13T12:00:00.123456789Z\""),
      std::string::npos);
}

void ExpectDataLoss(const absl::Status& status, std::string_view needle) {
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_NE(std::string(status.message()).find(needle), std::string::npos)
      << status << "\nwanted: " << needle;
}

TEST(StateJson, BrokenInstancesAreDataLossNamingTheMember) {
  ExpectDataLoss(DecodeInstance("").status(), "stored instance");
  ExpectDataLoss(DecodeInstance("[]").status(), "stored instance");
  ExpectDataLoss(DecodeInstance(R"({"id":"i","appId":"/a"})").status(),
                 "instance.appVersion: required");

  auto with = [](std::string_view key, std::string_view value) {
    std::string json = EncodeInstance(RichInstance());
    std::string needle = StrCat("\"", key, "\":");
    size_t at = json.find(needle);
    EXPECT_NE(at, std::string::npos) << key;
    size_t start = at + needle.size();
    size_t end = json.find_first_of(",}", start);
    if (json[start] == '{' || json[start] == '[') end = json.find_first_of("}]", start) + 1;
    return json.substr(0, start) + std::string(value) + json.substr(end);
  };
  ExpectDataLoss(DecodeInstance(with("condition", "\"Sleeping\"")).status(),
                 "instance.condition: unknown value 'Sleeping'");
  ExpectDataLoss(DecodeInstance(with("goal", "1")).status(), "instance.goal");
  ExpectDataLoss(DecodeInstance(with("taskState", "\"RUNNING\"")).status(),
                 "instance.taskState: unknown value 'RUNNING'");
  ExpectDataLoss(DecodeInstance(with("conditionSince", "\"yesterday\"")).status(),
                 "instance.conditionSince: not an ISO-8601 time: 'yesterday'");
  ExpectDataLoss(DecodeInstance(with("killSentAt", "12")).status(),
                 "instance.killSentAt: expected an ISO-8601 time");
  ExpectDataLoss(DecodeInstance(with("appId", "\"prod/web\"")).status(),
                 "instance.appId: not a canonical absolute path id");
  ExpectDataLoss(DecodeInstance(with("hostPorts", "[\"x\"]")).status(), "instance.hostPorts");
  ExpectDataLoss(DecodeInstance(with("agentAttributes", "{\"a\":1}")).status(),
                 "instance.agentAttributes.a");
  ExpectDataLoss(DecodeInstance(with("incarnation", "1.5")).status(), "instance.incarnation");
}

TEST(StateJson, BrokenGroupsAndAppsAreDataLoss) {
  ExpectDataLoss(DecodeGroup("{").status(), "stored group");
  ExpectDataLoss(DecodeGroup(R"({"id":"/","version":"2015-09-29T15:59:51.164Z"})").status(),
                 "group.enforceRole: required");
  std::string app = EncodeApp(ArgsApp("/a"));
  ExpectDataLoss(DecodeGroup(StrCat(R"({"id":"/","version":"2015-09-29T15:59:51.164Z",)",
                                    R"("enforceRole":false,"apps":[)", app, ",", app, "]}"))
                     .status(),
                 "duplicate app id /a");
  ExpectDataLoss(
      DecodeGroup(
          R"({"id":"/","version":"2015-09-29T15:59:51.164Z",)"
          R"("enforceRole":false,"apps":[{"id":"/a","cpus":"x","version":"2015-09-29T15:59:51.164Z"}]})")
          .status(),
      "/apps(0)/cpus: error.expected.jsnumber");
  ExpectDataLoss(DecodeGroup(R"({"id":"/","version":"2015-09-29T15:59:51.164Z",)"
                             R"("enforceRole":false,"groups":[{"id":"/g"}]})")
                     .status(),
                 "group.groups[0].version: required");
  ExpectDataLoss(DecodeApp(R"({"id":"/a","instances":"3"})").status(), "stored app");
  ExpectDataLoss(DecodeApp("nope").status(), "stored app: invalid JSON");
  ExpectDataLoss(DecodeApp(R"({"id":"/a","cmd":"x"})").status(), "app.version: required");
  ExpectDataLoss(DecodeApp(R"({"id":"a","version":"2015-09-29T15:59:51.164Z"})").status(),
                 "app.id: not a canonical absolute path id: 'a'");
  ExpectDataLoss(
      DecodeApp(R"({"id":"/a","version":"2015-09-29T15:59:51.164Z","ipAddress":{}})").status(),
      "not allowed");
}

TEST(StateJson, BrokenDeploymentsAreDataLoss) {
  Deployment d = RichDeployment();
  d.current_step = 99;
  ExpectDataLoss(DecodeDeployment(EncodeDeployment(d)).status(),
                 "deployment.currentStep: 99 is not a step index");
  ExpectDataLoss(DecodeDeployment(R"({"id":"d","version":"2015-09-29T15:59:51.164Z"})").status(),
                 "deployment.original: required");
  std::string json = EncodeDeployment(RichDeployment());
  size_t at = json.find("\"action\":\"");
  ASSERT_NE(at, std::string::npos);
  json.replace(at, 10, "\"action\":\"Nuke");
  ExpectDataLoss(DecodeDeployment(json).status(), "unknown value 'Nuke");
}

}  // namespace
}  // namespace atl::marathonlike
