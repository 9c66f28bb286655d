// The v1 scheduler API JSON codec: shapes from reference/mesos.md §1.5-1.7, round trips of
// every call and event type, and how bad input is reported.
#include "core/api/json_scheduler.h"

#include <string>

#include "core/api/recordio.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/api/samples.h"

namespace atl::api {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

// ---- round trips ----

class EveryCallType : public ::testing::TestWithParam<Call> {};

TEST_P(EveryCallType, RoundTripsThroughJson) {
  const Call& call = GetParam();
  std::string json = SerializeCall(call);
  EXPECT_EQ(json.find('\n'), std::string::npos) << json;
  absl::StatusOr<Call> parsed = ParseCall(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << json;
  EXPECT_TRUE(*parsed == call) << json << "\nreserialized: " << SerializeCall(*parsed);
  EXPECT_EQ(SerializeCall(*parsed), json);
}

INSTANTIATE_TEST_SUITE_P(SchedulerCallJson, EveryCallType,
                         ::testing::ValuesIn(testing::OneCallOfEachType()),
                         [](const ::testing::TestParamInfo<Call>& info) {
                           return std::string(CallTypeName(info.param.body));
                         });

TEST(SchedulerCallJson, SamplesCoverEveryCallType) {
  std::vector<Call> calls = testing::OneCallOfEachType();
  ASSERT_THAT(calls, SizeIs(std::variant_size_v<Call::Body>));
  for (size_t i = 0; i < calls.size(); ++i) EXPECT_EQ(calls[i].body.index(), i);
}

class EveryEventType : public ::testing::TestWithParam<Event> {};

TEST_P(EveryEventType, RoundTripsThroughJson) {
  const Event& event = GetParam();
  std::string json = SerializeEvent(event);
  EXPECT_EQ(json.find('\n'), std::string::npos) << json;
  absl::StatusOr<Event> parsed = ParseEvent(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << json;
  EXPECT_TRUE(*parsed == event) << json << "\nreserialized: " << SerializeEvent(*parsed);
  EXPECT_EQ(SerializeEvent(*parsed), json);
}

INSTANTIATE_TEST_SUITE_P(SchedulerEventJson, EveryEventType,
                         ::testing::ValuesIn(testing::OneEventOfEachType()),
                         [](const ::testing::TestParamInfo<Event>& info) {
                           return std::string(EventTypeName(info.param.body));
                         });

TEST(SchedulerEventJson, SamplesCoverEveryEventType) {
  std::vector<Event> events = testing::OneEventOfEachType();
  ASSERT_THAT(events, SizeIs(std::variant_size_v<Event::Body>));
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].body.index(), i);
}

TEST(SchedulerCallJson, MinimalCallsRoundTrip) {
  for (Call::Body body : {Call::Body(call::Revive{}), Call::Body(call::Reconcile{}),
                          Call::Body(call::Accept{}), Call::Body(call::Teardown{})}) {
    Call call{std::nullopt, body};
    absl::StatusOr<Call> parsed = ParseCall(SerializeCall(call));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_TRUE(*parsed == call) << SerializeCall(call);
  }
}

// ---- exact shapes (reference/mesos.md §1.7) ----

TEST(SchedulerEventJson, SubscribedHasTheMesosShape) {
  Event event{event::Subscribed{model::FrameworkId("8c1e2f3a-5d6b-4c7d-8e9f-0a1b2c3d4e5f-0000"), 15,
                                testing::SampleMasterInfo()}};
  EXPECT_EQ(SerializeEvent(event),
            R"({"type":"SUBSCRIBED","subscribed":{"framework_id":{"value":)"
            R"("8c1e2f3a-5d6b-4c7d-8e9f-0a1b2c3d4e5f-0000"},"heartbeat_interval_seconds":15.0,)"
            R"("master_info":{"id":"8c1e2f3a-5d6b-4c7d-8e9f-0a1b2c3d4e5f","ip":16777226,)"
            R"("port":5050,"pid":"master@10.0.0.1:5050","hostname":"m1.example",)"
            R"("version":"1.11.0","address":{"hostname":"m1.example","ip":"10.0.0.1",)"
            R"("port":5050},"capabilities":[{"type":"AGENT_UPDATE"},{"type":"QUOTA_V2"}]}}})");
}

TEST(SchedulerEventJson, HeartbeatIsTwentyBytesWithoutBody) {
  std::string json = SerializeEvent(Event{event::Heartbeat{}});
  EXPECT_EQ(json, R"({"type":"HEARTBEAT"})");
  EXPECT_EQ(RecordIoEncode(json) + RecordIoEncode(json),
            "20\n{\"type\":\"HEARTBEAT\"}20\n{\"type\":\"HEARTBEAT\"}");
}

TEST(SchedulerEventJson, UpdateCarriesTheUuidAsTwentyFourBase64Chars) {
  // The doc's UPDATE, less container_status (not modelled).
  const std::string doc =
      R"({"type": "UPDATE", "update": {"status": {
        "task_id": {"value": "web.3f6c2a1e-1b2c-4d5e-8f90-123456789abc"},
        "state": "TASK_RUNNING", "source": "SOURCE_EXECUTOR",
        "reason": "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED", "healthy": true,
        "agent_id": {"value": "8c1e-S3"},
        "executor_id": {"value": "web.3f6c2a1e-1b2c-4d5e-8f90-123456789abc"},
        "timestamp": 1732170000.512, "uuid": "p2Vx3kq7QbS0m8d4Yc1uTw=="}}})";
  absl::StatusOr<Event> event = ParseEvent(doc);
  ASSERT_TRUE(event.ok()) << event.status();
  const model::TaskStatus& status = std::get<event::Update>(event->body).status;
  EXPECT_THAT(status.uuid, SizeIs(16));
  EXPECT_EQ(status.state, model::TaskState::kRunning);
  EXPECT_EQ(status.source, model::TaskStatusSource::kExecutor);
  EXPECT_EQ(status.healthy, true);
  EXPECT_EQ(status.timestamp, 1732170000.512);
  EXPECT_EQ(SerializeEvent(*event),
            R"({"type":"UPDATE","update":{"status":{"task_id":{"value":)"
            R"("web.3f6c2a1e-1b2c-4d5e-8f90-123456789abc"},"state":"TASK_RUNNING",)"
            R"("source":"SOURCE_EXECUTOR","reason":"REASON_TASK_HEALTH_CHECK_STATUS_UPDATED",)"
            R"("healthy":true,"agent_id":{"value":"8c1e-S3"},"executor_id":{"value":)"
            R"("web.3f6c2a1e-1b2c-4d5e-8f90-123456789abc"},"timestamp":1732170000.512,)"
            R"("uuid":"p2Vx3kq7QbS0m8d4Yc1uTw=="}}})");
}

TEST(SchedulerEventJson, MasterGeneratedUpdateHasNoUuidAndNoReasonWhenUnset) {
  model::TaskStatus status;
  status.task_id = model::TaskId("t");
  status.state = model::TaskState::kLost;
  status.source = model::TaskStatusSource::kMaster;
  EXPECT_EQ(SerializeEvent(Event{event::Update{status}}),
            R"({"type":"UPDATE","update":{"status":{"task_id":{"value":"t"},)"
            R"("state":"TASK_LOST","source":"SOURCE_MASTER"}}})");
}

TEST(SchedulerEventJson, OffersToAMultiRoleFrameworkShowRoleStarAndAllocationInfo) {
  model::Offer offer;
  offer.id = model::OfferId("O17");
  offer.framework_id = model::FrameworkId("F0");
  offer.agent_id = model::AgentId("S3");
  offer.hostname = "agent-3.example";
  offer.url_address = model::Address{"agent-3.example", "10.0.0.13", 5051};
  offer.allocation_role = "web";
  offer.resources =
      model::Resources(
          {model::Resource::MakeScalar("cpus", model::Scalar::FromDouble(3.9)),
           model::Resource::MakeScalar("mem", model::Scalar::FromDouble(14863)),
           model::Resource::MakeRanges("ports", model::Ranges({{31000, 31099}, {31101, 32000}}))})
          .AllocatedTo("web");
  offer.attributes = {testing::TextAttribute("rack", "r12")};
  EXPECT_EQ(
      SerializeEvent(Event{event::Offers{{offer}}}),
      R"({"type":"OFFERS","offers":{"offers":[{"id":{"value":"O17"},)"
      R"("framework_id":{"value":"F0"},"agent_id":{"value":"S3"},"hostname":"agent-3.example",)"
      R"("url":{"scheme":"http","address":{"hostname":"agent-3.example","ip":"10.0.0.13",)"
      R"json("port":5051},"path":"/slave(1)"},"allocation_info":{"role":"web"},"resources":[)json"
      R"({"name":"cpus","type":"SCALAR","scalar":{"value":3.9},"role":"*",)"
      R"("allocation_info":{"role":"web"}},)"
      R"({"name":"mem","type":"SCALAR","scalar":{"value":14863.0},"role":"*",)"
      R"("allocation_info":{"role":"web"}},)"
      R"({"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":31099},)"
      R"({"begin":31101,"end":32000}]},"role":"*","allocation_info":{"role":"web"}}],)"
      R"("attributes":[{"name":"rack","type":"TEXT","text":{"value":"r12"}}]}]}})");
}

TEST(SchedulerCallJson, DeclineWithFilters) {
  Call call{model::FrameworkId("F0"),
            call::Decline{{model::OfferId("O1"), model::OfferId("O2")}, model::Filters{120}}};
  EXPECT_EQ(SerializeCall(call),
            R"({"type":"DECLINE","framework_id":{"value":"F0"},"decline":{"offer_ids":[)"
            R"({"value":"O1"},{"value":"O2"}],"filters":{"refuse_seconds":120.0}}})");
}

TEST(SchedulerCallJson, TeardownHasNoBody) {
  EXPECT_EQ(SerializeCall(Call{model::FrameworkId("F0"), call::Teardown{}}),
            R"({"type":"TEARDOWN","framework_id":{"value":"F0"}})");
}

TEST(SchedulerEventJson, ErrorMessageIsInsideTheBody) {
  EXPECT_EQ(SerializeEvent(Event{event::Error{"Framework failed over"}}),
            R"({"type":"ERROR","error":{"message":"Framework failed over"}})");
}

// ---- parsing what real schedulers send ----

TEST(SchedulerCallJson, ParsesTheDocsAcceptWithLaunch) {
  const std::string doc = R"(
{"framework_id": {"value": "8c1e-0000"}, "type": "ACCEPT",
 "accept": {"offer_ids": [{"value": "8c1e-O17"}],
  "operations": [{"type": "LAUNCH", "launch": {"task_infos": [{
    "name": "web.1", "task_id": {"value": "web.3f6c2a1e-1b2c-4d5e-8f90-123456789abc"},
    "agent_id": {"value": "8c1e-S3"},
    "resources": [
      {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}, "role": "*", "allocation_info": {"role": "web"}},
      {"name": "mem", "type": "SCALAR", "scalar": {"value": 256.0}, "role": "*", "allocation_info": {"role": "web"}},
      {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 31005, "end": 31005}]},
       "role": "*", "allocation_info": {"role": "web"}}],
    "command": {"shell": true, "value": "./server --port $PORT0",
                "uris": [{"value": "http://artifacts.example/server.tgz", "extract": true}],
                "environment": {"variables": [
                  {"name": "PORT0", "value": "31005"},
                  {"name": "MESOS_TASK_ID", "value": "web.3f6c2a1e-1b2c-4d5e-8f90-123456789abc"}]}},
    "health_check": {"type": "HTTP", "http": {"scheme": "http", "port": 31005, "path": "/health"},
                     "delay_seconds": 15.0, "interval_seconds": 10.0, "timeout_seconds": 20.0,
                     "consecutive_failures": 3, "grace_period_seconds": 30.0},
    "kill_policy": {"grace_period": {"nanoseconds": 10000000000}},
    "labels": {"labels": [{"key": "app", "value": "web"}]}}]}}],
  "filters": {"refuse_seconds": 5.0}}}
)";
  absl::StatusOr<Call> call = ParseCall(doc);
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->framework_id, model::FrameworkId("8c1e-0000"));
  const auto& accept = std::get<call::Accept>(call->body);
  EXPECT_EQ(accept.offer_ids, std::vector<model::OfferId>{model::OfferId("8c1e-O17")});
  EXPECT_EQ(accept.filters.refuse_seconds, 5.0);
  ASSERT_THAT(accept.operations, SizeIs(1));
  const model::Operation& op = accept.operations[0];
  EXPECT_EQ(op.type, model::Operation::Type::kLaunch);
  ASSERT_THAT(op.launch_tasks, SizeIs(1));
  const model::TaskInfo& task = op.launch_tasks[0];
  EXPECT_EQ(task.name, "web.1");
  EXPECT_EQ(task.task_id.value(), "web.3f6c2a1e-1b2c-4d5e-8f90-123456789abc");
  EXPECT_EQ(task.agent_id.value(), "8c1e-S3");
  EXPECT_EQ(
      task.resources,
      model::Resources({model::Resource::MakeScalar("cpus", model::Scalar::FromMilli(500)),
                        model::Resource::MakeScalar("mem", model::Scalar::FromMilli(256000)),
                        model::Resource::MakeRanges("ports", model::Ranges({{31005, 31005}}))})
          .AllocatedTo("web"));
  ASSERT_TRUE(task.command.has_value());
  EXPECT_TRUE(task.command->shell);
  EXPECT_EQ(task.command->value, "./server --port $PORT0");
  ASSERT_THAT(task.command->uris, SizeIs(1));
  EXPECT_TRUE(task.command->uris[0].extract);
  ASSERT_TRUE(task.command->environment.has_value());
  EXPECT_EQ(task.command->environment->variables[0],
            (model::Environment::Variable{"PORT0", "31005"}));
  ASSERT_TRUE(task.health_check.has_value());
  EXPECT_EQ(task.health_check->type, model::HealthCheck::Type::kHttp);
  EXPECT_EQ(task.health_check->http, (model::HealthCheck::Http{"http", 31005, "/health", {}}));
  EXPECT_EQ(task.health_check->grace_period_seconds, 30.0);
  EXPECT_EQ(task.kill_policy, model::KillPolicy{Duration::Seconds(10)});
  EXPECT_EQ(task.labels, (model::Labels{{"app", "web"}}));
}

TEST(SchedulerCallJson, ParsesTheDocsSubscribe) {
  absl::StatusOr<Call> call = ParseCall(R"(
{"type": "SUBSCRIBE",
 "subscribe": {"framework_info": {"user": "svc-apps", "name": "apps-scheduler", "roles": ["web"],
                                  "capabilities": [{"type": "MULTI_ROLE"}, {"type": "PARTITION_AWARE"},
                                                   {"type": "TASK_KILLING_STATE"}],
                                  "failover_timeout": 604800.0, "checkpoint": true,
                                  "principal": "apps-scheduler", "hostname": "sched-1.example"},
               "suppressed_roles": []}})");
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_FALSE(call->framework_id.has_value());
  const model::FrameworkInfo& info = std::get<call::Subscribe>(call->body).framework_info;
  EXPECT_EQ(info.user, "svc-apps");
  EXPECT_EQ(info.roles, std::vector<std::string>{"web"});
  EXPECT_TRUE(info.HasCapability(model::FrameworkCapability::kMultiRole));
  EXPECT_EQ(info.failover_timeout, 604800.0);
  EXPECT_TRUE(info.checkpoint);
  EXPECT_FALSE(info.id.has_value());
}

TEST(SchedulerCallJson, ReviveAndSuppressMayOmitTheirBody) {
  absl::StatusOr<Call> revive = ParseCall(R"({"type":"REVIVE","framework_id":{"value":"F"}})");
  ASSERT_TRUE(revive.ok()) << revive.status();
  EXPECT_TRUE(std::get<call::Revive>(revive->body).roles.empty());
  absl::StatusOr<Call> suppress = ParseCall(R"({"type":"SUPPRESS","suppress":{"roles":[]}})");
  ASSERT_TRUE(suppress.ok()) << suppress.status();
}

TEST(SchedulerCallJson, ReviveWithTheDocsSingularRoleRevivesAllRoles) {
  // reference/mesos.md §1.9: "role" is an unknown key, silently ignored.
  absl::StatusOr<Call> call = ParseCall(R"({"type":"REVIVE","revive":{"role":"web"}})");
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_TRUE(std::get<call::Revive>(call->body).roles.empty());
}

TEST(SchedulerCallJson, UnknownKeysAreIgnoredAndNullMeansUnset) {
  absl::StatusOr<Call> call = ParseCall(
      R"({"type":"KILL","framework_id":null,"extra":{"deep":[1,2,{"x":null}]},)"
      R"("kill":{"task_id":{"value":"t","other":1},"agent_id":null,"kill_policy":null}})");
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_FALSE(call->framework_id.has_value());
  const auto& kill = std::get<call::Kill>(call->body);
  EXPECT_EQ(kill.task_id.value(), "t");
  EXPECT_FALSE(kill.agent_id.has_value());
  EXPECT_FALSE(kill.kill_policy.has_value());
}

TEST(SchedulerCallJson, IntegersAndDoublesMayBeNumericStrings) {
  absl::StatusOr<Call> call =
      ParseCall(R"({"type":"KILL","kill":{"task_id":{"value":"t"},)"
                R"("kill_policy":{"grace_period":{"nanoseconds":"10000000000"}}}})");
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(std::get<call::Kill>(call->body).kill_policy, model::KillPolicy{Duration::Seconds(10)});

  absl::StatusOr<Call> decline =
      ParseCall(R"({"type":"DECLINE","decline":{"filters":{"refuse_seconds":"120.5"}}})");
  ASSERT_TRUE(decline.ok()) << decline.status();
  EXPECT_EQ(std::get<call::Decline>(decline->body).filters.refuse_seconds, 120.5);
}

TEST(SchedulerCallJson, IntegralDoublesAreAcceptedForIntegers) {
  absl::StatusOr<Call> call = ParseCall(R"({"type":"KILL","kill":{"task_id":{"value":"t"},)"
                                        R"("kill_policy":{"grace_period":{"nanoseconds":1e10}}}})");
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(std::get<call::Kill>(call->body).kill_policy, model::KillPolicy{Duration::Seconds(10)});
}

TEST(SchedulerEventJson, UnknownEnumNamesInOptionalFieldsAreDropped) {
  absl::StatusOr<Event> event = ParseEvent(
      R"({"type":"UPDATE","update":{"status":{"task_id":{"value":"t"},"state":"TASK_RUNNING",)"
      R"("source":"SOURCE_MARS","reason":"REASON_FROM_THE_FUTURE"}}})");
  ASSERT_TRUE(event.ok()) << event.status();
  const model::TaskStatus& status = std::get<event::Update>(event->body).status;
  EXPECT_FALSE(status.source.has_value());
  EXPECT_EQ(status.reason, model::TaskStatusReason::kNone);
}

TEST(SchedulerCallJson, UnknownFrameworkCapabilitiesAreDropped) {
  absl::StatusOr<Call> call =
      ParseCall(R"({"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u","name":"n",)"
                R"("capabilities":[{"type":"TELEPATHY"},{"type":"MULTI_ROLE"},{}]}}})");
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(std::get<call::Subscribe>(call->body).framework_info.capabilities,
            std::vector<model::FrameworkCapability>{model::FrameworkCapability::kMultiRole});
}

TEST(SchedulerCallJson, UnknownOperationTypeIsDroppedToUnknown) {
  absl::StatusOr<Call> call = ParseCall(
      R"({"type":"ACCEPT","accept":{"operations":[{"type":"GROW_VOLUME","grow_volume":{}}]}})");
  ASSERT_TRUE(call.ok()) << call.status();
  const auto& accept = std::get<call::Accept>(call->body);
  ASSERT_THAT(accept.operations, SizeIs(1));
  EXPECT_EQ(accept.operations[0].type, model::Operation::Type::kUnknown);
}

TEST(SchedulerCallJson, AcknowledgeUuidIsDecodedFromBase64) {
  absl::StatusOr<Call> call = ParseCall(
      R"({"framework_id":{"value":"F"},"type":"ACKNOWLEDGE","acknowledge":{)"
      R"("agent_id":{"value":"S3"},"task_id":{"value":"t"},"uuid":"p2Vx3kq7QbS0m8d4Yc1uTw=="}})");
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(std::get<call::Acknowledge>(call->body).uuid,
            std::string("\xa7\x65\x71\xde\x4a\xbb\x41\xb4\xb4\x9b\xc7\x78\x61\xcd\x6e\x4f", 16));
}

// ---- errors ----

std::string CallError(std::string_view json) {
  absl::StatusOr<Call> call = ParseCall(json);
  if (call.ok()) return "OK: " + SerializeCall(*call);
  EXPECT_EQ(call.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(call.status().message());
}

std::string EventError(std::string_view json) {
  absl::StatusOr<Event> event = ParseEvent(json);
  if (event.ok()) return "OK: " + SerializeEvent(*event);
  EXPECT_EQ(event.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(event.status().message());
}

TEST(SchedulerCallJsonErrors, MalformedJson) {
  EXPECT_THAT(CallError(""), HasSubstr("invalid JSON"));
  EXPECT_THAT(CallError(R"({"type":)"), HasSubstr("invalid JSON"));
  EXPECT_THAT(CallError(R"({"type":"TEARDOWN",})"), HasSubstr("invalid JSON"));
  EXPECT_THAT(CallError("{'type':'TEARDOWN'}"), HasSubstr("invalid JSON"));
}

TEST(SchedulerCallJsonErrors, TrailingGarbageIsRejected) {
  EXPECT_EQ(CallError(R"(  {"type":"TEARDOWN"}  )"), R"(OK: {"type":"TEARDOWN"})");
  EXPECT_THAT(CallError(R"({"type":"TEARDOWN"} x)"), HasSubstr("invalid JSON at offset 20"));
  EXPECT_THAT(CallError(R"({"type":"TEARDOWN"}{"type":"TEARDOWN"})"), HasSubstr("invalid JSON"));
  EXPECT_THAT(CallError(std::string(R"({"type":"TEARDOWN"})") + std::string(1, '\0') + "junk"),
              HasSubstr("NUL byte"));
}

TEST(SchedulerCallJsonErrors, RootMustBeAnObject) {
  EXPECT_EQ(CallError("[]"), "expected an object, got an array");
  EXPECT_EQ(CallError("42"), "expected an object, got a number");
}

TEST(SchedulerCallJsonErrors, TypeIsRequiredAndMustBeKnown) {
  EXPECT_EQ(CallError(R"({"framework_id":{"value":"F"}})"), "type: required");
  EXPECT_EQ(CallError(R"({"type":7})"), "type: expected a string, got a number");
  EXPECT_EQ(CallError(R"({"type":"FLY"})"), "type: unknown call type 'FLY'");
  EXPECT_EQ(CallError(R"({"type":"accept"})"), "type: unknown call type 'accept'");
  EXPECT_EQ(CallError(R"({"type":"RECONCILE_OPERATIONS","reconcile_operations":{}})"),
            "type: call type 'RECONCILE_OPERATIONS' is not supported");
  EXPECT_EQ(EventError(R"({"type":"UPDATE_OPERATION_STATUS"})"),
            "type: event type 'UPDATE_OPERATION_STATUS' is not supported");
}

TEST(SchedulerCallJsonErrors, BodyIsRequiredForMostTypes) {
  EXPECT_EQ(CallError(R"({"type":"ACCEPT"})"), "accept: required by type ACCEPT");
  EXPECT_EQ(CallError(R"({"type":"ACCEPT_INVERSE_OFFERS"})"),
            "accept_inverse_offers: required by type ACCEPT_INVERSE_OFFERS");
  EXPECT_EQ(CallError(R"({"type":"UPDATE_FRAMEWORK","update_framework":null})"),
            "update_framework: required by type UPDATE_FRAMEWORK");
  EXPECT_EQ(EventError(R"({"type":"OFFERS"})"), "offers: required by type OFFERS");
  EXPECT_EQ(CallError(R"({"type":"KILL","kill":[]})"), "kill: expected an object, got an array");
}

TEST(SchedulerCallJsonErrors, MissingRequiredFieldNamesItsPath) {
  EXPECT_EQ(CallError(R"({"type":"ACCEPT","accept":{"operations":[{"type":"LAUNCH","launch":{)"
                      R"("task_infos":[{"name":"a","task_id":{"value":"a"},"agent_id":{"value":)"
                      R"("S"}},{"name":"b","agent_id":{"value":"S"}}]}}]}})"),
            "accept.operations[0].launch.task_infos[1].task_id: required");
  EXPECT_EQ(CallError(R"({"type":"ACCEPT","accept":{"operations":[{"type":"LAUNCH"}]}})"),
            "accept.operations[0].launch: required by the operation type");
  EXPECT_EQ(CallError(R"({"type":"KILL","kill":{"task_id":{}}})"), "kill.task_id.value: required");
  EXPECT_EQ(CallError(R"({"type":"SUBSCRIBE","subscribe":{"framework_info":{"name":"n"}}})"),
            "subscribe.framework_info.user: required");
  EXPECT_EQ(EventError(R"({"type":"UPDATE","update":{"status":{"task_id":{"value":"t"}}}})"),
            "update.status.state: required");
}

TEST(SchedulerCallJsonErrors, WrongTypesNameThePath) {
  EXPECT_EQ(CallError(R"({"type":"DECLINE","decline":{"offer_ids":{}}})"),
            "decline.offer_ids: expected an array, got an object");
  EXPECT_EQ(CallError(R"({"type":"DECLINE","decline":{"offer_ids":[{"value":1}]}})"),
            "decline.offer_ids[0].value: expected a string, got a number");
  EXPECT_EQ(CallError(R"({"type":"DECLINE","decline":{"filters":{"refuse_seconds":true}}})"),
            "decline.filters.refuse_seconds: expected a number, got a boolean");
  EXPECT_EQ(CallError(R"({"type":"DECLINE","decline":{"filters":{"refuse_seconds":"soon"}}})"),
            "decline.filters.refuse_seconds: expected a number, got 'soon'");
  EXPECT_EQ(CallError(R"({"type":"KILL","kill":{"task_id":{"value":"t"},)"
                      R"("kill_policy":{"grace_period":{"nanoseconds":1.5}}}})"),
            "kill.kill_policy.grace_period.nanoseconds: expected an integer, got 1.5");
  EXPECT_EQ(CallError(R"({"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u",)"
                      R"("name":"n","checkpoint":"yes"}}})"),
            "subscribe.framework_info.checkpoint: expected a boolean, got a string");
}

TEST(SchedulerCallJsonErrors, IntegersOutOfRange) {
  const std::string prefix =
      R"({"type":"ACCEPT","accept":{"operations":[{"type":"LAUNCH","launch":{"task_infos":[{)"
      R"("name":"a","task_id":{"value":"a"},"agent_id":{"value":"S"},)";
  EXPECT_EQ(CallError(prefix + R"("health_check":{"tcp":{"port":-1}}}]}}]}})"),
            "accept.operations[0].launch.task_infos[0].health_check.tcp.port: -1 is out of range");
  EXPECT_EQ(CallError(prefix + R"("health_check":{"consecutive_failures":4294967296}}]}}]}})"),
            "accept.operations[0].launch.task_infos[0].health_check.consecutive_failures: "
            "4294967296 is out of range");
  EXPECT_EQ(CallError(R"({"type":"KILL","kill":{"task_id":{"value":"t"},"kill_policy":{)"
                      R"("grace_period":{"nanoseconds":"9223372036854775808"}}}})"),
            "kill.kill_policy.grace_period.nanoseconds: '9223372036854775808' is out of range");
}

TEST(SchedulerCallJsonErrors, UuidMustBeBase64) {
  EXPECT_EQ(CallError(R"({"type":"ACKNOWLEDGE","acknowledge":{"agent_id":{"value":"S"},)"
                      R"("task_id":{"value":"t"},"uuid":"not base64!"}})"),
            "acknowledge.uuid: not valid base64");
  EXPECT_EQ(CallError(R"({"type":"ACKNOWLEDGE","acknowledge":{"agent_id":{"value":"S"},)"
                      R"("task_id":{"value":"t"},"uuid":"p2Vx3kq7QbS0m8d4Yc1uTw="}})"),
            "acknowledge.uuid: not valid base64");
  EXPECT_EQ(CallError(R"({"type":"ACKNOWLEDGE","acknowledge":{"agent_id":{"value":"S"},)"
                      R"("task_id":{"value":"t"}}})"),
            "acknowledge.uuid: required");
}

TEST(SchedulerCallJsonErrors, UnknownEnumInRequiredFieldIsAnError) {
  EXPECT_EQ(EventError(R"({"type":"UPDATE","update":{"status":{"task_id":{"value":"t"},)"
                       R"("state":"TASK_FLYING"}}})"),
            "update.status.state: unknown value 'TASK_FLYING'");
  EXPECT_EQ(CallError(R"({"type":"ACCEPT","accept":{"operations":[{"type":"RESERVE","reserve":{)"
                      R"("resources":[{"name":"cpus","type":"TEXT"}]}}]}})"),
            "accept.operations[0].reserve.resources[0].type: unknown value 'TEXT'");
}

TEST(SchedulerCallJsonErrors, StringsMustBeValidUtf8) {
  EXPECT_THAT(CallError("{\"type\":\"TEARDOWN\",\"x\":\"\xff\"}"), HasSubstr("invalid JSON"));
  EXPECT_EQ(CallError(R"({"type":"KILL","kill":{"task_id":{"value":"\udc00"}}})"),
            "kill.task_id.value: invalid UTF-8 in string");
  absl::StatusOr<Call> ok =
      ParseCall(R"({"type":"KILL","kill":{"task_id":{"value":"\u00e9\ud83d\ude00"}}})");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(std::get<call::Kill>(ok->body).task_id.value(), "\xc3\xa9\xf0\x9f\x98\x80");
}

TEST(SchedulerCallJsonErrors, DeepNestingIsRejected) {
  std::string deep =
      R"({"type":"TEARDOWN","x":)" + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_THAT(CallError(deep), HasSubstr("nested deeper than 64"));
  std::string fine =
      R"({"type":"TEARDOWN","x":)" + std::string(60, '[') + std::string(60, ']') + "}";
  EXPECT_EQ(CallError(fine), R"(OK: {"type":"TEARDOWN"})");
  // Brackets inside strings do not count.
  std::string quoted = R"({"type":"TEARDOWN","x":")" + std::string(100, '[') + R"(\""})";
  EXPECT_EQ(CallError(quoted), R"(OK: {"type":"TEARDOWN"})");
}

}  // namespace
}  // namespace atl::api
