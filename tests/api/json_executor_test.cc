// The v1 executor API JSON codec: shapes from reference/mesos.md §2, round trips of every call
// and event type, and how bad input is reported.
#include "core/api/json_executor.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/api/samples.h"

namespace atl::api {
namespace {

using ::testing::HasSubstr;
using testing::SampleCommand;
using testing::SampleExecutor;
using testing::SampleFrameworkInfo;
using testing::SampleResources;
using testing::SampleStatus;
using testing::SampleTask;
using ::testing::SizeIs;

namespace ec = executor_call;
namespace ee = executor_event;

// 16 raw bytes, base64 "p2Vx3kq7QbS0m8d4Yc1uTw==" (SampleStatus().uuid).
const std::string kUuid("\xa7\x65\x71\xde\x4a\xbb\x41\xb4\xb4\x9b\xc7\x78\x61\xcd\x6e\x4f", 16);
// Not UTF-8 (a NUL, 0xff, a lone continuation byte), base64 "AP+AaGkK".
const std::string kBinary("\x00\xff\x80hi\n", 6);

// A task for the command executor: command with uris and environment, a kill policy, no
// executor of its own.
model::TaskInfo CommandTask(const std::string& id) {
  model::TaskInfo t;
  t.name = "web.1";
  t.task_id = model::TaskId(id);
  t.agent_id = model::AgentId("8c1e-S3");
  t.resources =
      model::Resources({model::Resource::MakeScalar("cpus", model::Scalar::FromDouble(0.5)),
                        model::Resource::MakeScalar("mem", model::Scalar::FromDouble(128))});
  t.command = SampleCommand();
  t.kill_policy = model::KillPolicy{Duration::Seconds(10)};
  t.data = kBinary;
  return t;
}

model::TaskStatus ExecutorStatus(const std::string& task, model::TaskState state) {
  model::TaskStatus s;
  s.task_id = model::TaskId(task);
  s.state = state;
  s.source = model::TaskStatusSource::kExecutor;
  s.executor_id = model::ExecutorId("exec-1");
  s.timestamp = 1732170000.25;
  s.uuid = kUuid;
  return s;
}

model::AgentInfo SampleAgentInfo() {
  model::AgentInfo a;
  a.hostname = "agent-3.example";
  a.port = 5051;
  a.resources = SampleResources();
  a.attributes = *model::ParseAttributes("rack:r12;gen:3");
  a.id = model::AgentId("8c1e-S3");
  a.domain = model::DomainInfo{"eu-west", "eu-west-1a"};
  return a;
}

ExecutorCall MakeCall(ExecutorCall::Body body) {
  return ExecutorCall{model::ExecutorId("exec-1"), model::FrameworkId("8c1e-0000"),
                      std::move(body)};
}

// One fully populated call of every type, in variant order.
std::vector<ExecutorCall> OneExecutorCallOfEachType() {
  model::TaskStatus finished = ExecutorStatus("web.2", model::TaskState::kFinished);
  finished.uuid = std::string(16, '\xee');
  return {MakeCall(ec::Subscribe{{SampleTask("web.1"), CommandTask("web.2")},
                                 {{SampleStatus()}, {finished}}}),
          MakeCall(ec::Update{ExecutorStatus("web.1", model::TaskState::kRunning)}),
          MakeCall(ec::Message{kBinary}), MakeCall(ec::Heartbeat{})};
}

// One fully populated event of every type, in variant order.
std::vector<ExecutorEvent> OneExecutorEventOfEachType() {
  return {ExecutorEvent{ee::Subscribed{SampleExecutor(), SampleFrameworkInfo(), SampleAgentInfo(),
                                       model::ContainerId("c-6f1d")}},
          ExecutorEvent{ee::Launch{CommandTask("web.1")}},
          ExecutorEvent{ee::LaunchGroup{{SampleTask("pod.1"), CommandTask("pod.2")}}},
          ExecutorEvent{
              ee::Kill{model::TaskId("web.1"), model::KillPolicy{Duration::Milliseconds(1500)}}},
          ExecutorEvent{ee::Acknowledged{model::TaskId("web.1"), kUuid}},
          ExecutorEvent{ee::Message{kBinary}},
          ExecutorEvent{ee::Error{"framework \"apps\" is not subscribed"}},
          ExecutorEvent{ee::Shutdown{}},
          ExecutorEvent{ee::Heartbeat{}}};
}

// ---- round trips ----

class EveryExecutorCallType : public ::testing::TestWithParam<ExecutorCall> {};

TEST_P(EveryExecutorCallType, RoundTripsThroughJson) {
  const ExecutorCall& call = GetParam();
  std::string json = SerializeExecutorCall(call);
  EXPECT_EQ(json.find('\n'), std::string::npos) << json;
  absl::StatusOr<ExecutorCall> parsed = ParseExecutorCall(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << json;
  EXPECT_TRUE(*parsed == call) << json << "\nreserialized: " << SerializeExecutorCall(*parsed);
  EXPECT_EQ(SerializeExecutorCall(*parsed), json);
}

INSTANTIATE_TEST_SUITE_P(ExecutorCallJson, EveryExecutorCallType,
                         ::testing::ValuesIn(OneExecutorCallOfEachType()),
                         [](const ::testing::TestParamInfo<ExecutorCall>& info) {
                           return std::string(ExecutorCallTypeName(info.param.body));
                         });

TEST(ExecutorCallJson, SamplesCoverEveryCallType) {
  std::vector<ExecutorCall> calls = OneExecutorCallOfEachType();
  ASSERT_THAT(calls, SizeIs(std::variant_size_v<ExecutorCall::Body>));
  for (size_t i = 0; i < calls.size(); ++i) EXPECT_EQ(calls[i].body.index(), i);
}

class EveryExecutorEventType : public ::testing::TestWithParam<ExecutorEvent> {};

TEST_P(EveryExecutorEventType, RoundTripsThroughJson) {
  const ExecutorEvent& event = GetParam();
  std::string json = SerializeExecutorEvent(event);
  EXPECT_EQ(json.find('\n'), std::string::npos) << json;
  absl::StatusOr<ExecutorEvent> parsed = ParseExecutorEvent(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << json;
  EXPECT_TRUE(*parsed == event) << json << "\nreserialized: " << SerializeExecutorEvent(*parsed);
  EXPECT_EQ(SerializeExecutorEvent(*parsed), json);
}

INSTANTIATE_TEST_SUITE_P(ExecutorEventJson, EveryExecutorEventType,
                         ::testing::ValuesIn(OneExecutorEventOfEachType()),
                         [](const ::testing::TestParamInfo<ExecutorEvent>& info) {
                           return std::string(ExecutorEventTypeName(info.param.body));
                         });

TEST(ExecutorEventJson, SamplesCoverEveryEventType) {
  std::vector<ExecutorEvent> events = OneExecutorEventOfEachType();
  ASSERT_THAT(events, SizeIs(std::variant_size_v<ExecutorEvent::Body>));
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].body.index(), i);
}

TEST(ExecutorCallJson, MinimalBodiesRoundTrip) {
  for (ExecutorCall::Body body :
       {ExecutorCall::Body(ec::Subscribe{}), ExecutorCall::Body(ec::Message{""})}) {
    ExecutorCall call = MakeCall(body);
    std::string json = SerializeExecutorCall(call);
    absl::StatusOr<ExecutorCall> parsed = ParseExecutorCall(json);
    ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << json;
    EXPECT_TRUE(*parsed == call) << json;
  }
  for (ExecutorEvent::Body body : {ExecutorEvent::Body(ee::LaunchGroup{}),
                                   ExecutorEvent::Body(ee::Kill{model::TaskId("t"), std::nullopt}),
                                   ExecutorEvent::Body(ee::Subscribed{})}) {
    ExecutorEvent event{body};
    std::string json = SerializeExecutorEvent(event);
    absl::StatusOr<ExecutorEvent> parsed = ParseExecutorEvent(json);
    ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << json;
    EXPECT_TRUE(*parsed == event) << json;
  }
}

// ---- exact Mesos shapes ----

TEST(ExecutorCallJson, HeartbeatHasIdsAndNoBody) {
  EXPECT_EQ(SerializeExecutorCall(MakeCall(ec::Heartbeat{})),
            R"({"type":"HEARTBEAT","executor_id":{"value":"exec-1"},)"
            R"("framework_id":{"value":"8c1e-0000"}})");
}

TEST(ExecutorCallJson, MessageDataIsBase64OfRawBytes) {
  EXPECT_EQ(SerializeExecutorCall(MakeCall(ec::Message{kBinary})),
            R"({"type":"MESSAGE","executor_id":{"value":"exec-1"},)"
            R"("framework_id":{"value":"8c1e-0000"},"message":{"data":"AP+AaGkK"}})");
  absl::StatusOr<ExecutorCall> call = ParseExecutorCall(
      R"({"type":"MESSAGE","executor_id":{"value":"e"},"framework_id":{"value":"F"},)"
      R"("message":{"data":"8PHy8/T19vf4+fr7/P3+/w=="}})");
  ASSERT_TRUE(call.ok()) << call.status();
  const auto& message = std::get<ec::Message>(call->body);
  ASSERT_EQ(message.data.size(), 16u);
  EXPECT_EQ(static_cast<unsigned char>(message.data[0]), 0xf0);
  EXPECT_EQ(static_cast<unsigned char>(message.data[15]), 0xff);
  EXPECT_EQ(call->executor_id, model::ExecutorId("e"));
  EXPECT_EQ(call->framework_id, model::FrameworkId("F"));
}

TEST(ExecutorCallJson, UpdateCarriesTheUuidAsTwentyFourBase64Chars) {
  std::string json = SerializeExecutorCall(
      MakeCall(ec::Update{ExecutorStatus("web.1", model::TaskState::kRunning)}));
  EXPECT_EQ(json, R"({"type":"UPDATE","executor_id":{"value":"exec-1"},)"
                  R"("framework_id":{"value":"8c1e-0000"},"update":{"status":{"task_id":)"
                  R"({"value":"web.1"},"state":"TASK_RUNNING","source":"SOURCE_EXECUTOR",)"
                  R"("executor_id":{"value":"exec-1"},"timestamp":1732170000.25,)"
                  R"("uuid":"p2Vx3kq7QbS0m8d4Yc1uTw=="}}})");
}

TEST(ExecutorCallJson, ParsesAnUpdateFromARealExecutor) {
  absl::StatusOr<ExecutorCall> call = ParseExecutorCall(
      R"({"executor_id":{"value":"web.1"},"framework_id":{"value":"8c1e-0000"},"type":"UPDATE",)"
      R"("update":{"status":{"task_id":{"value":"web.1"},"state":"TASK_FAILED",)"
      R"("source":"SOURCE_EXECUTOR","message":"Command exited with status 3",)"
      R"("executor_id":{"value":"web.1"},"uuid":"p2Vx3kq7QbS0m8d4Yc1uTw==",)"
      R"("timestamp":1732170001.5,"container_status":{"executor_pid":4242}}}})");
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->executor_id, model::ExecutorId("web.1"));
  const model::TaskStatus& status = std::get<ec::Update>(call->body).status;
  EXPECT_EQ(status.task_id, model::TaskId("web.1"));
  EXPECT_EQ(status.state, model::TaskState::kFailed);
  EXPECT_EQ(status.source, model::TaskStatusSource::kExecutor);
  EXPECT_EQ(status.message, "Command exited with status 3");
  EXPECT_EQ(status.uuid, kUuid);
  EXPECT_EQ(status.timestamp, 1732170001.5);
}

TEST(ExecutorCallJson, SubscribeAcceptsUpdatesWithOrWithoutAFrameworkId) {
  absl::StatusOr<ExecutorCall> call = ParseExecutorCall(
      R"({"type":"SUBSCRIBE","executor_id":{"value":"e"},"framework_id":{"value":"F"},)"
      R"("subscribe":{"unacknowledged_tasks":[{"name":"t","task_id":{"value":"t1"},)"
      R"("agent_id":{"value":"S1"},"command":{"value":"sleep 10"}}],)"
      R"("unacknowledged_updates":[{"framework_id":{"value":"F"},"status":{"task_id":)"
      R"({"value":"t1"},"state":"TASK_RUNNING","uuid":"p2Vx3kq7QbS0m8d4Yc1uTw=="}},)"
      R"({"status":{"task_id":{"value":"t2"},"state":"TASK_FINISHED"}}]}})");
  ASSERT_TRUE(call.ok()) << call.status();
  const auto& subscribe = std::get<ec::Subscribe>(call->body);
  ASSERT_THAT(subscribe.unacknowledged_tasks, SizeIs(1));
  EXPECT_EQ(subscribe.unacknowledged_tasks[0].task_id, model::TaskId("t1"));
  ASSERT_TRUE(subscribe.unacknowledged_tasks[0].command.has_value());
  EXPECT_EQ(subscribe.unacknowledged_tasks[0].command->value, "sleep 10");
  EXPECT_TRUE(subscribe.unacknowledged_tasks[0].command->shell);
  ASSERT_THAT(subscribe.unacknowledged_updates, SizeIs(2));
  EXPECT_EQ(subscribe.unacknowledged_updates[0].status.task_id, model::TaskId("t1"));
  EXPECT_EQ(subscribe.unacknowledged_updates[0].status.uuid, kUuid);
  EXPECT_EQ(subscribe.unacknowledged_updates[1].status.state, model::TaskState::kFinished);
  // Written back in Mesos's executor.Call.Update shape: status only.
  EXPECT_THAT(SerializeExecutorCall(*call),
              HasSubstr(R"("unacknowledged_updates":[{"status":{"task_id":{"value":"t1"})"));
}

TEST(ExecutorCallJson, EmptySubscribeHasAnEmptyBody) {
  EXPECT_EQ(SerializeExecutorCall(MakeCall(ec::Subscribe{})),
            R"({"type":"SUBSCRIBE","executor_id":{"value":"exec-1"},)"
            R"("framework_id":{"value":"8c1e-0000"},"subscribe":{}})");
}

TEST(ExecutorEventJson, BodilessEventsAreJustTheirType) {
  EXPECT_EQ(SerializeExecutorEvent(ExecutorEvent{ee::Shutdown{}}), R"({"type":"SHUTDOWN"})");
  EXPECT_EQ(SerializeExecutorEvent(ExecutorEvent{ee::Heartbeat{}}), R"({"type":"HEARTBEAT"})");
  absl::StatusOr<ExecutorEvent> shutdown =
      ParseExecutorEvent(R"({"type":"SHUTDOWN","shutdown":{"ignored":1}})");
  ASSERT_TRUE(shutdown.ok()) << shutdown.status();
  EXPECT_TRUE(std::holds_alternative<ee::Shutdown>(shutdown->body));
}

TEST(ExecutorEventJson, KillCarriesTheGracePeriodInNanoseconds) {
  EXPECT_EQ(SerializeExecutorEvent(ExecutorEvent{
                ee::Kill{model::TaskId("web.1"), model::KillPolicy{Duration::Seconds(3)}}}),
            R"({"type":"KILL","kill":{"task_id":{"value":"web.1"},)"
            R"("kill_policy":{"grace_period":{"nanoseconds":3000000000}}}})");
  EXPECT_EQ(SerializeExecutorEvent(ExecutorEvent{ee::Kill{model::TaskId("web.1"), std::nullopt}}),
            R"({"type":"KILL","kill":{"task_id":{"value":"web.1"}}})");
  absl::StatusOr<ExecutorEvent> kill =
      ParseExecutorEvent(R"({"type":"KILL","kill":{"task_id":{"value":"t"},)"
                         R"("kill_policy":{"grace_period":{"nanoseconds":"1500000000"}}}})");
  ASSERT_TRUE(kill.ok()) << kill.status();
  const auto& body = std::get<ee::Kill>(kill->body);
  EXPECT_EQ(body.task_id, model::TaskId("t"));
  ASSERT_TRUE(body.kill_policy.has_value());
  EXPECT_EQ(body.kill_policy->grace_period, Duration::Milliseconds(1500));
}

TEST(ExecutorEventJson, AcknowledgedUuidIsSixteenBytes) {
  EXPECT_EQ(SerializeExecutorEvent(ExecutorEvent{ee::Acknowledged{model::TaskId("web.1"), kUuid}}),
            R"({"type":"ACKNOWLEDGED","acknowledged":{"task_id":{"value":"web.1"},)"
            R"("uuid":"p2Vx3kq7QbS0m8d4Yc1uTw=="}})");
  absl::StatusOr<ExecutorEvent> ack =
      ParseExecutorEvent(R"({"type":"ACKNOWLEDGED","acknowledged":{"task_id":{"value":"t"},)"
                         R"("uuid":"p2Vx3kq7QbS0m8d4Yc1uTw=="}})");
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(std::get<ee::Acknowledged>(ack->body).uuid, kUuid);
  EXPECT_EQ(std::get<ee::Acknowledged>(ack->body).task_id, model::TaskId("t"));
}

TEST(ExecutorEventJson, LaunchGroupWrapsTasksInATaskGroup) {
  EXPECT_EQ(SerializeExecutorEvent(ExecutorEvent{ee::LaunchGroup{}}),
            R"({"type":"LAUNCH_GROUP","launch_group":{"task_group":{}}})");
  absl::StatusOr<ExecutorEvent> group = ParseExecutorEvent(
      R"({"type":"LAUNCH_GROUP","launch_group":{"task_group":{"tasks":[)"
      R"({"name":"a","task_id":{"value":"pod.a"},"agent_id":{"value":"S1"}},)"
      R"({"name":"b","task_id":{"value":"pod.b"},"agent_id":{"value":"S1"}}]}}})");
  ASSERT_TRUE(group.ok()) << group.status();
  const auto& tasks = std::get<ee::LaunchGroup>(group->body).tasks;
  ASSERT_THAT(tasks, SizeIs(2));
  EXPECT_EQ(tasks[0].task_id, model::TaskId("pod.a"));
  EXPECT_EQ(tasks[1].name, "b");
}

TEST(ExecutorEventJson, ParsesALaunchWithCommandEnvironmentAndUris) {
  absl::StatusOr<ExecutorEvent> launch = ParseExecutorEvent(
      R"({"type":"LAUNCH","launch":{"task":{"name":"web.1","task_id":{"value":"web.1"},)"
      R"("agent_id":{"value":"S3"},"resources":[{"name":"cpus","type":"SCALAR",)"
      R"("scalar":{"value":0.5},"role":"*"}],"command":{"uris":[{"value":)"
      R"("http://artifacts.example/server.tgz","extract":true}],"environment":{"variables":)"
      R"([{"name":"PORT0","value":"31005"}]},"shell":false,"value":"./server",)"
      R"("arguments":["./server","--port","31005"]},)"
      R"("kill_policy":{"grace_period":{"nanoseconds":10000000000}},"data":"AP+AaGkK"}}})");
  ASSERT_TRUE(launch.ok()) << launch.status();
  const model::TaskInfo& task = std::get<ee::Launch>(launch->body).task;
  EXPECT_EQ(task.task_id, model::TaskId("web.1"));
  EXPECT_EQ(task.agent_id, model::AgentId("S3"));
  ASSERT_TRUE(task.command.has_value());
  EXPECT_FALSE(task.command->shell);
  EXPECT_EQ(task.command->value, "./server");
  EXPECT_THAT(task.command->arguments, ::testing::ElementsAre("./server", "--port", "31005"));
  ASSERT_THAT(task.command->uris, SizeIs(1));
  EXPECT_EQ(task.command->uris[0].value, "http://artifacts.example/server.tgz");
  ASSERT_TRUE(task.command->environment.has_value());
  ASSERT_THAT(task.command->environment->variables, SizeIs(1));
  EXPECT_EQ(task.command->environment->variables[0].name, "PORT0");
  EXPECT_EQ(task.command->environment->variables[0].value, "31005");
  ASSERT_TRUE(task.kill_policy.has_value());
  EXPECT_EQ(task.kill_policy->grace_period, Duration::Seconds(10));
  EXPECT_EQ(task.data, kBinary);
}

TEST(ExecutorEventJson, SubscribedCarriesTheInfosAndTheContainerId) {
  std::string json = SerializeExecutorEvent(OneExecutorEventOfEachType()[0]);
  EXPECT_THAT(json, ::testing::StartsWith(R"({"type":"SUBSCRIBED","subscribed":{"executor_info":)"
                                          R"({"type":"CUSTOM","executor_id":{"value":"exec-1"})"));
  EXPECT_THAT(json, HasSubstr(R"("framework_info":{"user":"svc-apps","name":"apps-scheduler")"));
  EXPECT_THAT(json, HasSubstr(R"("agent_info":{"hostname":"agent-3.example")"));
  EXPECT_THAT(json, ::testing::EndsWith(R"("container_id":{"value":"c-6f1d"}}})"));
}

TEST(ExecutorEventJson, ErrorMessageIsInsideTheBody) {
  EXPECT_EQ(SerializeExecutorEvent(ExecutorEvent{ee::Error{"bad"}}),
            R"({"type":"ERROR","error":{"message":"bad"}})");
}

// ---- errors ----

std::string CallError(const std::string& json) {
  absl::StatusOr<ExecutorCall> call = ParseExecutorCall(json);
  if (call.ok()) return "OK: " + SerializeExecutorCall(*call);
  EXPECT_EQ(call.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(call.status().message());
}

std::string EventError(const std::string& json) {
  absl::StatusOr<ExecutorEvent> event = ParseExecutorEvent(json);
  if (event.ok()) return "OK: " + SerializeExecutorEvent(*event);
  EXPECT_EQ(event.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(event.status().message());
}

const char kIds[] = R"("executor_id":{"value":"e"},"framework_id":{"value":"F"})";

TEST(ExecutorCallJsonErrors, MalformedJsonAndRoot) {
  EXPECT_THAT(CallError(R"({"type":)"), HasSubstr("invalid JSON"));
  EXPECT_THAT(EventError(R"({"type":"SHUTDOWN"} x)"), HasSubstr("invalid JSON"));
  EXPECT_EQ(CallError("[]"), "expected an object, got an array");
  EXPECT_EQ(EventError("\"SHUTDOWN\""), "expected an object, got a string");
}

TEST(ExecutorCallJsonErrors, IdsAreRequiredInEveryCall) {
  EXPECT_EQ(CallError(R"({"type":"HEARTBEAT","framework_id":{"value":"F"}})"),
            "executor_id: required");
  EXPECT_EQ(CallError(R"({"type":"HEARTBEAT","executor_id":{"value":"e"}})"),
            "framework_id: required");
  EXPECT_EQ(CallError(R"({"type":"HEARTBEAT","executor_id":null,"framework_id":{"value":"F"}})"),
            "executor_id: required");
  EXPECT_EQ(CallError(R"({"type":"HEARTBEAT","executor_id":{},"framework_id":{"value":"F"}})"),
            "executor_id.value: required");
  EXPECT_EQ(CallError(std::string(R"({"type":"HEARTBEAT",)") + kIds + "}"),
            R"(OK: {"type":"HEARTBEAT","executor_id":{"value":"e"},"framework_id":{"value":"F"}})");
}

TEST(ExecutorCallJsonErrors, TypeIsRequiredAndMustBeKnown) {
  EXPECT_EQ(CallError(std::string("{") + kIds + "}"), "type: required");
  EXPECT_EQ(CallError(std::string(R"({"type":"FOO",)") + kIds + "}"),
            "type: unknown executor call type 'FOO'");
  EXPECT_EQ(CallError(std::string(R"({"type":"update",)") + kIds + "}"),
            "type: unknown executor call type 'update'");
  // An event type is not a call type, and the other way round.
  EXPECT_EQ(CallError(std::string(R"({"type":"LAUNCH",)") + kIds + "}"),
            "type: unknown executor call type 'LAUNCH'");
  EXPECT_EQ(EventError(R"({"type":"UPDATE"})"), "type: unknown executor event type 'UPDATE'");
  EXPECT_EQ(EventError(R"({"type":["SHUTDOWN"]})"), "type: expected a string, got an array");
}

TEST(ExecutorCallJsonErrors, BodyIsRequiredByItsType) {
  EXPECT_EQ(CallError(std::string(R"({"type":"SUBSCRIBE",)") + kIds + "}"),
            "subscribe: required by type SUBSCRIBE");
  EXPECT_EQ(CallError(std::string(R"({"type":"UPDATE","update":null,)") + kIds + "}"),
            "update: required by type UPDATE");
  EXPECT_EQ(CallError(std::string(R"({"type":"MESSAGE",)") + kIds + "}"),
            "message: required by type MESSAGE");
  EXPECT_EQ(EventError(R"({"type":"SUBSCRIBED"})"), "subscribed: required by type SUBSCRIBED");
  EXPECT_EQ(EventError(R"({"type":"LAUNCH"})"), "launch: required by type LAUNCH");
  EXPECT_EQ(EventError(R"({"type":"LAUNCH_GROUP","launch_group":{}})"),
            "launch_group.task_group: required");
  EXPECT_EQ(EventError(R"({"type":"ACKNOWLEDGED"})"),
            "acknowledged: required by type ACKNOWLEDGED");
  EXPECT_EQ(EventError(R"({"type":"ERROR"})"), "error: required by type ERROR");
}

TEST(ExecutorCallJsonErrors, MissingRequiredFieldNamesItsPath) {
  EXPECT_EQ(CallError(std::string(R"({"type":"UPDATE","update":{},)") + kIds + "}"),
            "update.status: required");
  EXPECT_EQ(
      CallError(std::string(R"({"type":"SUBSCRIBE",)") + kIds +
                R"(,"subscribe":{"unacknowledged_updates":[{"status":{"task_id":)"
                R"({"value":"t"},"state":"TASK_RUNNING"}},{"framework_id":{"value":"F"}}]}})"),
      "subscribe.unacknowledged_updates[1].status: required");
  EXPECT_EQ(CallError(std::string(R"({"type":"SUBSCRIBE",)") + kIds +
                      R"(,"subscribe":{"unacknowledged_tasks":[{"name":"t","agent_id":)"
                      R"({"value":"S"}}]}})"),
            "subscribe.unacknowledged_tasks[0].task_id: required");
  EXPECT_EQ(CallError(std::string(R"({"type":"MESSAGE","message":{},)") + kIds + "}"),
            "message.data: required");
  EXPECT_EQ(
      EventError(R"({"type":"SUBSCRIBED","subscribed":{"executor_info":)"
                 R"({"executor_id":{"value":"e"}},"framework_info":{"user":"u","name":"n"}}})"),
      "subscribed.agent_info: required");
  EXPECT_EQ(EventError(R"({"type":"LAUNCH_GROUP","launch_group":{"task_group":{"tasks":[)"
                       R"({"name":"a","task_id":{"value":"a"}}]}}})"),
            "launch_group.task_group.tasks[0].agent_id: required");
  EXPECT_EQ(EventError(R"({"type":"KILL","kill":{"kill_policy":{}}})"), "kill.task_id: required");
  EXPECT_EQ(EventError(R"({"type":"ACKNOWLEDGED","acknowledged":{"task_id":{"value":"t"}}})"),
            "acknowledged.uuid: required");
  EXPECT_EQ(EventError(R"({"type":"ERROR","error":{}})"), "error.message: required");
}

TEST(ExecutorCallJsonErrors, WrongTypesNameThePath) {
  EXPECT_EQ(CallError(R"({"type":"HEARTBEAT","executor_id":"e","framework_id":{"value":"F"}})"),
            "executor_id: expected an object, got a string");
  EXPECT_EQ(CallError(std::string(R"({"type":"SUBSCRIBE","subscribe":[],)") + kIds + "}"),
            "subscribe: expected an object, got an array");
  EXPECT_EQ(CallError(std::string(R"({"type":"SUBSCRIBE","subscribe":{"unacknowledged_tasks":)"
                                  R"({}},)") +
                      kIds + "}"),
            "subscribe.unacknowledged_tasks: expected an array, got an object");
  EXPECT_EQ(CallError(std::string(R"({"type":"UPDATE",)") + kIds +
                      R"(,"update":{"status":{"task_id":{"value":"t"},"state":5}}})"),
            "update.status.state: expected a string, got a number");
  EXPECT_EQ(CallError(std::string(R"({"type":"UPDATE",)") + kIds +
                      R"(,"update":{"status":{"task_id":{"value":"t"},"state":"TASK_DANCING"}}})"),
            "update.status.state: unknown value 'TASK_DANCING'");
  EXPECT_EQ(
      CallError(std::string(R"({"type":"MESSAGE","message":{"data":"not base64!"},)") + kIds + "}"),
      "message.data: not valid base64");
  EXPECT_EQ(CallError(std::string(R"({"type":"MESSAGE","message":{"data":42},)") + kIds + "}"),
            "message.data: expected a base64 string, got a number");
  EXPECT_EQ(EventError(R"({"type":"KILL","kill":{"task_id":{"value":"t"},)"
                       R"("kill_policy":{"grace_period":{"nanoseconds":1.5}}}})"),
            "kill.kill_policy.grace_period.nanoseconds: expected an integer, got 1.5");
  EXPECT_EQ(EventError(R"({"type":"SUBSCRIBED","subscribed":{"executor_info":)"
                       R"({"executor_id":{"value":"e"}},"framework_info":{"user":"u","name":"n"},)"
                       R"("agent_info":{"hostname":"h"},"container_id":"c"}})"),
            "subscribed.container_id: expected an object, got a string");
  EXPECT_EQ(EventError(R"({"type":"LAUNCH_GROUP","launch_group":{"task_group":[]}})"),
            "launch_group.task_group: expected an object, got an array");
  EXPECT_EQ(EventError(R"({"type":"ACKNOWLEDGED","acknowledged":{"task_id":{"value":"t"},)"
                       R"("uuid":"p2Vx3kq7QbS0m8d4Yc1uTw=!"}})"),
            "acknowledged.uuid: not valid base64");
}

}  // namespace
}  // namespace atl::api
