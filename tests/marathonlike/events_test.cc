#include "marathonlike/events.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "marathonlike/app_json.h"
#include "tests/marathonlike/json_testing.h"

namespace atl::marathonlike {
namespace {

using testing::ParseForTest;
using testing::ReadFile;
using testing::ReferenceDir;

Timestamp T(const char* iso) {
  std::optional<Timestamp> t = ParseIso8601(iso);
  EXPECT_TRUE(t.has_value()) << iso;
  return t.value_or(Timestamp());
}

const char* const kNow = "2015-09-30T12:44:30.061Z";

// The three events of raml/v2/examples/events.txt, in order.
std::vector<MarathonEvent> TranscriptEvents() {
  EventStreamAttached attached{"0:0:0:0:0:0:0:1", T("2015-09-30T12:44:30.061Z")};
  StatusUpdateEvent failed;
  failed.slave_id = "20150707-153709-218108076-5050-25588-S6";
  failed.task_id = "foo.0664256e-6771-11e5-94e1-be5b2935a987";
  failed.task_status = "TASK_FAILED";
  failed.message =
      "Failed to launch container: Failed to fetch all URIs for container "
      "'59d5cd89-091f-4454-940a-d9eb4361c640' with exit status: 256";
  failed.app_id = "/foo";
  failed.host = "srv5.hw.ca1.mesosphere.com";
  failed.ports = {31776};
  failed.version = T("2015-09-30T09:09:17.614Z");
  failed.timestamp = T("2015-09-30T12:44:45.681Z");
  StatusUpdateEvent running;
  running.slave_id = "20150707-153709-201330860-5050-12052-S0";
  running.task_id = "test-app.5dd78972-6771-11e5-94e1-be5b2935a987";
  running.task_status = "TASK_RUNNING";
  running.message = "";
  running.app_id = "/test-app";
  running.host = "srv4.hw.ca1.mesosphere.com";
  running.ports = {31182};
  running.version = T("2015-09-11T22:11:03.156Z");
  running.timestamp = T("2015-09-30T12:47:11.286Z");
  return {attached, failed, running};
}

DeploymentPlan SmallPlan() {
  DeploymentPlan plan;
  plan.id = "97c136bf-5a28-4821-9d94-480d9fbb01c8";
  plan.version = T("2015-09-30T09:09:17.614Z");
  plan.steps = {Step{{Action{ActionType::kStart, "/a", 0, {}}}},
                Step{{Action{ActionType::kScale, "/a", 2, {}},
                      Action{ActionType::kRestart, "/b", std::nullopt, {}}}}};
  return plan;
}

constexpr char kSmallPlanJson[] =
    R"({"id":"97c136bf-5a28-4821-9d94-480d9fbb01c8","steps":[)"
    R"({"actions":[{"action":"StartApplication","app":"/a"}]},)"
    R"({"actions":[{"action":"ScaleApplication","app":"/a"},)"
    R"({"action":"RestartApplication","app":"/b"}]}],"version":"2015-09-30T09:09:17.614Z"})";

AppHealthCheck TcpCheck() {
  AppHealthCheck check;
  check.protocol = "MESOS_TCP";
  check.port_index = 0;
  return check;
}

// One event of every type, with the member names Marathon writes, in its order.
std::vector<std::pair<MarathonEvent, std::vector<std::string>>> AllEventsAndKeys() {
  const Timestamp now = T(kNow);
  const Timestamp version = T("2015-09-30T09:09:17.614Z");
  const DeploymentPlan plan = SmallPlan();
  AppDefinition app;
  app.id = "/my-app";
  app.cmd = "sleep 30";
  StatusUpdateEvent status;
  status.ip_addresses = std::vector<EventIpAddress>{{"10.0.0.7", "IPv4"}};
  status.timestamp = now;
  const std::vector<std::string> kPlanStep = {"plan", "currentStep", "eventType", "timestamp"};
  return {
      {EventStreamAttached{"1.2.3.4", now}, {"remoteAddress", "eventType", "timestamp"}},
      {EventStreamDetached{"1.2.3.4", now}, {"remoteAddress", "eventType", "timestamp"}},
      {ApiPostEvent{"1.2.3.4", "/v2/apps/my-app", app, now},
       {"clientIp", "uri", "appDefinition", "eventType", "timestamp"}},
      {DeploymentInfoEvent{plan, plan.steps[0], now}, kPlanStep},
      {DeploymentStepSuccessEvent{plan, plan.steps[0], now}, kPlanStep},
      {DeploymentStepFailureEvent{plan, plan.steps[1], now}, kPlanStep},
      {DeploymentSuccessEvent{plan.id, plan, now}, {"id", "plan", "eventType", "timestamp"}},
      {DeploymentFailedEvent{plan.id, plan, "canceled", now},
       {"id", "plan", "reason", "eventType", "timestamp"}},
      {GroupChangeSuccessEvent{"/", version, now},
       {"groupId", "version", "eventType", "timestamp"}},
      {GroupChangeFailedEvent{"/", version, "boom", now},
       {"groupId", "version", "reason", "eventType", "timestamp"}},
      {status,
       {"slaveId", "taskId", "taskStatus", "message", "appId", "host", "ipAddresses", "ports",
        "version", "eventType", "timestamp"}},
      {InstanceChangedEvent{InstanceId("my-app.instance-1"), Condition::kRunning, "/my-app",
                            "agent-1", "host-1", version, Goal::kRunning, now},
       {"instanceId", "condition", "runSpecId", "agentId", "host", "runSpecVersion", "timestamp",
        "eventType", "goal"}},
      {AppTerminatedEvent{"/my-app", now}, {"appId", "eventType", "timestamp"}},
      {SchedulerRegisteredEvent{"fw-1", "10.0.0.1:5050", now},
       {"frameworkId", "master", "eventType", "timestamp"}},
      {SchedulerReregisteredEvent{"10.0.0.1:5050", now}, {"master", "eventType", "timestamp"}},
      {SchedulerDisconnectedEvent{now}, {"eventType", "timestamp"}},
      {FrameworkMessageEvent{"exec-1", "agent-1", "hi", now},
       {"executorId", "slaveId", "message", "eventType", "timestamp"}},
      {HealthStatusChangedEvent{"/my-app", InstanceId("my-app.instance-1"), version, true, now},
       {"appId", "instanceId", "version", "alive", "eventType", "timestamp"}},
      {FailedHealthCheckEvent{"/my-app", InstanceId("my-app.instance-1"), TcpCheck(), now},
       {"appId", "eventType", "healthCheck", "taskId", "timestamp"}},
      {UnhealthyInstanceKillEvent{"/my-app", "my-app.task-1", InstanceId("my-app.instance-1"),
                                  version, "HealthCheckFailed", "host-1", "agent-1", now},
       {"appId", "taskId", "instanceId", "version", "reason", "host", "slaveId", "eventType",
        "timestamp"}},
      {UnknownInstanceTerminatedEvent{InstanceId("x.instance-2"), "/x", Condition::kFailed, now},
       {"instanceId", "runSpecId", "condition", "timestamp", "eventType"}},
  };
}

std::vector<std::string> KeysOf(const std::string& json) {
  rapidjson::Document doc = ParseForTest(json);
  std::vector<std::string> keys;
  if (!doc.IsObject()) return keys;
  for (const auto& m : doc.GetObject()) keys.emplace_back(m.name.GetString());
  return keys;
}

TEST(EventsTest, EveryEventHasMarathonsKeysTypeAndTimestamp) {
  const auto all = AllEventsAndKeys();
  ASSERT_EQ(all.size(), std::variant_size_v<MarathonEvent>);
  std::set<std::string> types;
  for (const auto& [event, keys] : all) {
    const std::string type = EventTypeOf(event);
    SCOPED_TRACE(type);
    EXPECT_TRUE(types.insert(type).second) << "two alternatives named " << type;
    const std::string json = EventJson(event);
    EXPECT_EQ(json.find('\n'), std::string::npos);
    EXPECT_EQ(KeysOf(json), keys) << json;
    rapidjson::Document doc = ParseForTest(json);
    EXPECT_EQ(testing::StringAt(doc, "/eventType"), type);
    EXPECT_EQ(testing::StringAt(doc, "/timestamp"), kNow);
  }
}

TEST(EventsTest, TranscriptFramesExactly) {
  const std::vector<MarathonEvent> events = TranscriptEvents();
  EXPECT_EQ(EventJson(events[0]),
            R"({"remoteAddress":"0:0:0:0:0:0:0:1","eventType":"event_stream_attached",)"
            R"("timestamp":"2015-09-30T12:44:30.061Z"})");
  EXPECT_EQ(SseFrame(events[2]),
            "event: status_update_event\n"
            R"(data: {"slaveId":"20150707-153709-201330860-5050-12052-S0",)"
            R"("taskId":"test-app.5dd78972-6771-11e5-94e1-be5b2935a987",)"
            R"("taskStatus":"TASK_RUNNING","message":"","appId":"/test-app",)"
            R"("host":"srv4.hw.ca1.mesosphere.com","ports":[31182],)"
            R"("version":"2015-09-11T22:11:03.156Z","eventType":"status_update_event",)"
            R"("timestamp":"2015-09-30T12:47:11.286Z"})"
            "\n\n");
}

TEST(EventsTest, ReferenceTranscriptIsReproducedByteForByte) {
  std::optional<std::filesystem::path> dir = ReferenceDir();
  if (!dir.has_value()) GTEST_SKIP() << "no Marathon reference folder";
  const std::string transcript = ReadFile(*dir / "raml/v2/examples/events.txt");
  ASSERT_FALSE(transcript.empty());
  std::string ours;
  for (const MarathonEvent& e : TranscriptEvents()) ours += SseFrame(e);
  // The file ends with one more newline than the stream's last frame.
  EXPECT_EQ(ours + "\n", transcript);
}

TEST(EventsTest, StatusUpdateWritesIpAddressesWhenSet) {
  StatusUpdateEvent e;
  e.slave_id = "s";
  e.task_id = "t";
  e.task_status = "TASK_STAGING";
  e.app_id = "/a";
  e.host = "h";
  e.ip_addresses = std::vector<EventIpAddress>{{"10.0.0.7", "IPv4"}, {"fe80::1", "IPv6"}};
  e.version = T("2015-09-30T09:09:17.614Z");
  e.timestamp = T(kNow);
  EXPECT_EQ(EventJson(e),
            R"({"slaveId":"s","taskId":"t","taskStatus":"TASK_STAGING","message":"",)"
            R"("appId":"/a","host":"h","ipAddresses":[{"ipAddress":"10.0.0.7","protocol":"IPv4"},)"
            R"({"ipAddress":"fe80::1","protocol":"IPv6"}],"ports":[],)"
            R"("version":"2015-09-30T09:09:17.614Z","eventType":"status_update_event",)"
            R"("timestamp":"2015-09-30T12:44:30.061Z"})");
}

TEST(EventsTest, DeploymentEventsCarryTheLightPlanAndTheStepObject) {
  const DeploymentPlan plan = SmallPlan();
  EXPECT_EQ(EventJson(DeploymentInfoEvent{plan, plan.steps[1], T(kNow)}),
            std::string(R"({"plan":)") + kSmallPlanJson +
                R"(,"currentStep":{"actions":[{"action":"ScaleApplication","app":"/a"},)"
                R"({"action":"RestartApplication","app":"/b"}]},"eventType":"deployment_info",)"
                R"("timestamp":"2015-09-30T12:44:30.061Z"})");
  EXPECT_EQ(EventJson(DeploymentSuccessEvent{plan.id, plan, T(kNow)}),
            std::string(R"({"id":"97c136bf-5a28-4821-9d94-480d9fbb01c8","plan":)") +
                kSmallPlanJson +
                R"(,"eventType":"deployment_success","timestamp":"2015-09-30T12:44:30.061Z"})");
  // Without a reason, deployment_failed has Marathon 1.x's {id, plan} only.
  EXPECT_EQ(KeysOf(EventJson(DeploymentFailedEvent{plan.id, plan, std::nullopt, T(kNow)})),
            (std::vector<std::string>{"id", "plan", "eventType", "timestamp"}));
  // An empty plan still has its steps list.
  DeploymentPlan empty;
  empty.id = "e";
  empty.version = T(kNow);
  EXPECT_EQ(EventJson(DeploymentSuccessEvent{"e", empty, T(kNow)}),
            R"({"id":"e","plan":{"id":"e","steps":[],"version":"2015-09-30T12:44:30.061Z"},)"
            R"("eventType":"deployment_success","timestamp":"2015-09-30T12:44:30.061Z"})");
}

TEST(EventsTest, SmallEventsExactly) {
  const Timestamp now = T(kNow);
  const Timestamp version = T("2015-09-30T09:09:17.614Z");
  EXPECT_EQ(EventJson(AppTerminatedEvent{"/my-app", now}),
            R"({"appId":"/my-app","eventType":"app_terminated_event",)"
            R"("timestamp":"2015-09-30T12:44:30.061Z"})");
  EXPECT_EQ(EventJson(GroupChangeFailedEvent{"/prod", version, "conflict", now}),
            R"({"groupId":"/prod","version":"2015-09-30T09:09:17.614Z","reason":"conflict",)"
            R"("eventType":"group_change_failed","timestamp":"2015-09-30T12:44:30.061Z"})");
  EXPECT_EQ(EventJson(SchedulerDisconnectedEvent{now}),
            R"({"eventType":"scheduler_disconnected_event",)"
            R"("timestamp":"2015-09-30T12:44:30.061Z"})");
  EXPECT_EQ(
      EventJson(HealthStatusChangedEvent{"/a", InstanceId("a.instance-1"), version, false, now}),
      R"({"appId":"/a","instanceId":"a.instance-1","version":"2015-09-30T09:09:17.614Z",)"
      R"("alive":false,"eventType":"health_status_changed_event",)"
      R"("timestamp":"2015-09-30T12:44:30.061Z"})");
  // Java's signed bytes.
  EXPECT_EQ(EventJson(FrameworkMessageEvent{"e", "s", std::string("A\xff", 2), now}),
            R"({"executorId":"e","slaveId":"s","message":[65,-1],)"
            R"("eventType":"framework_message_event","timestamp":"2015-09-30T12:44:30.061Z"})");
  // slaveId is left out when unknown.
  EXPECT_EQ(EventJson(UnhealthyInstanceKillEvent{"/a", "a.t1", InstanceId("a.instance-1"), version,
                                                 "HealthCheckFailed", "h", std::nullopt, now}),
            R"({"appId":"/a","taskId":"a.t1","instanceId":"a.instance-1",)"
            R"("version":"2015-09-30T09:09:17.614Z","reason":"HealthCheckFailed","host":"h",)"
            R"("eventType":"unhealthy_instance_kill_event",)"
            R"("timestamp":"2015-09-30T12:44:30.061Z"})");
}

TEST(EventsTest, InstanceEventsUseMarathonsNamesAndNulls) {
  const Timestamp now = T(kNow);
  EXPECT_EQ(EventJson(InstanceChangedEvent{
                InstanceId("a.instance-1"), Condition::kScheduled, "/a", std::nullopt, std::nullopt,
                T("2015-09-30T09:09:17.614Z"), Goal::kDecommissioned, now}),
            R"({"instanceId":"a.instance-1","condition":"Scheduled","runSpecId":"/a",)"
            R"("agentId":null,"host":null,"runSpecVersion":"2015-09-30T09:09:17.614Z",)"
            R"("timestamp":"2015-09-30T12:44:30.061Z","eventType":"instance_changed_event",)"
            R"("goal":"Decommissioned"})");
  EXPECT_EQ(EventJson(UnknownInstanceTerminatedEvent{InstanceId("a.instance-2"), "/a",
                                                     Condition::kGone, now}),
            R"({"instanceId":"a.instance-2","runSpecId":"/a","condition":"Gone",)"
            R"("timestamp":"2015-09-30T12:44:30.061Z",)"
            R"("eventType":"unknown_instance_terminated_event"})");
}

TEST(EventsTest, ApiPostEventEmbedsTheAppAsGetWritesIt) {
  AppDefinition app;
  app.id = "/my-app";
  app.cmd = "sleep 30";
  app.instances = 2;
  const std::string json =
      EventJson(ApiPostEvent{"0:0:0:0:0:0:0:1", "/v2/apps/my-app", app, T(kNow)});
  EXPECT_EQ(json, R"({"clientIp":"0:0:0:0:0:0:0:1","uri":"/v2/apps/my-app","appDefinition":)" +
                      AppToJson(app) +
                      R"(,"eventType":"api_post_event","timestamp":"2015-09-30T12:44:30.061Z"})");
}

TEST(EventsTest, FailedHealthCheckEmbedsTheCheckAsTheAppWritesIt) {
  AppDefinition app;
  app.id = "/a";
  app.health_checks = {TcpCheck()};
  AppHealthCheck command;
  command.protocol = "COMMAND";
  command.command = "curl -f \"http://localhost/\"";
  for (const AppHealthCheck& check : {TcpCheck(), command}) {
    app.health_checks = {check};
    rapidjson::Document app_doc = ParseForTest(AppToJson(app));
    rapidjson::Document event_doc = ParseForTest(
        EventJson(FailedHealthCheckEvent{"/a", InstanceId("a.instance-1"), check, T(kNow)}));
    const rapidjson::Value* ours = testing::At(event_doc, "/healthCheck");
    ASSERT_NE(ours, nullptr);
    EXPECT_TRUE(*ours == app_doc["healthChecks"][0]);
    EXPECT_EQ(testing::StringAt(event_doc, "/taskId"), "a.instance-1");
  }
}

TEST(EventsTest, SseFramesWithAndWithoutId) {
  const MarathonEvent e = AppTerminatedEvent{"/a", T(kNow)};
  const std::string data = EventJson(e);
  EXPECT_EQ(SseFrame(e), "event: app_terminated_event\ndata: " + data + "\n\n");
  EXPECT_EQ(SseFrame(e, 42), "id: 42\nevent: app_terminated_event\ndata: " + data + "\n\n");
  EXPECT_EQ(SseFrame(e, 18446744073709551615ULL).substr(0, 25), "id: 18446744073709551615\n");
}

TEST(EventsTest, EventFilter) {
  const MarathonEvent status = TranscriptEvents()[1];
  const MarathonEvent attached = TranscriptEvents()[0];

  EventFilter all;
  EXPECT_TRUE(all.matches_all());
  EXPECT_TRUE(all.Matches("anything"));
  EXPECT_TRUE(all.Matches(status));
  EXPECT_TRUE(EventFilter(std::vector<std::string>{}).matches_all());

  EventFilter some({"status_update_event", "deployment_info", "status_update_event"});
  EXPECT_FALSE(some.matches_all());
  EXPECT_TRUE(some.Matches("status_update_event"));
  EXPECT_TRUE(some.Matches("deployment_info"));
  EXPECT_TRUE(some.Matches(status));
  EXPECT_FALSE(some.Matches(attached));
  EXPECT_FALSE(some.Matches("deployment_success"));
  EXPECT_FALSE(some.Matches("STATUS_UPDATE_EVENT"));  // exact, as Marathon

  EventFilter unknown({"no_such_event"});
  EXPECT_FALSE(unknown.Matches(status));
}

}  // namespace
}  // namespace atl::marathonlike
