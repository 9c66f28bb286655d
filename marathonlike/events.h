// Marathon's event stream (reference/marathon.md §1.7; Marathon's `core/event/Events.scala` and
// the `EventFormats` of `api/v2/json/Formats.scala`): the events as plain values, their one-line
// JSON with Marathon's key names, key order and value shapes (raml/v2/examples/events.txt), the
// Server-Sent-Events framing of GET /v2/events, and the `event_type=` filter. Pure: every event
// carries its own `timestamp`, given by the caller.
//
// JSON conventions, as Marathon writes them:
//   - every object ends with "eventType" and "timestamp" (ISO-8601, millis, `Z`), except where
//     Marathon's writer orders them otherwise (noted per event);
//   - ids and versions are strings ("/app", "2015-09-30T09:09:17.614Z");
//   - deployment events carry the light plan of raml/v2/types/deploymentPlan.raml (the "heavy"
//     format with `original`/`target` was removed in Marathon 1.8):
//       "plan":{"id":"...","steps":[{"actions":[{"action":"ScaleApplication","app":"/a"}]}],
//               "version":"..."}
//     and `currentStep` is the step object itself: {"actions":[...]}.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "core/base/time.h"
#include "marathonlike/app.h"
#include "marathonlike/instance.h"
#include "marathonlike/plan.h"

namespace atl::marathonlike {

// ---- stream ----

// {"remoteAddress","eventType":"event_stream_attached","timestamp"}: the first frame a client
// of /v2/events gets.
struct EventStreamAttached {
  std::string remote_address;
  Timestamp timestamp;
  bool operator==(const EventStreamAttached&) const = default;
};

// {"remoteAddress","eventType":"event_stream_detached","timestamp"}.
struct EventStreamDetached {
  std::string remote_address;
  Timestamp timestamp;
  bool operator==(const EventStreamDetached&) const = default;
};

// ---- API ----

// {"clientIp","uri","appDefinition":{<app as GET /v2/apps writes it>},"eventType":
// "api_post_event","timestamp"}: an app was created or changed through the REST API.
struct ApiPostEvent {
  std::string client_ip;
  std::string uri;  // the request path, e.g. "/v2/apps/my-app"
  AppDefinition app_definition;
  Timestamp timestamp;
  bool operator==(const ApiPostEvent&) const = default;
};

// ---- deployments ----

// {"plan":{...},"currentStep":{"actions":[...]},"eventType":"deployment_info","timestamp"}:
// a step of `plan` is starting. REQUIRES (for a meaningful event): `current_step` is one of
// plan.steps.
struct DeploymentInfoEvent {
  DeploymentPlan plan;
  Step current_step;
  Timestamp timestamp;
  bool operator==(const DeploymentInfoEvent&) const = default;
};

// {"plan","currentStep","eventType":"deployment_step_success","timestamp"}.
struct DeploymentStepSuccessEvent {
  DeploymentPlan plan;
  Step current_step;
  Timestamp timestamp;
  bool operator==(const DeploymentStepSuccessEvent&) const = default;
};

// {"plan","currentStep","eventType":"deployment_step_failure","timestamp"}.
struct DeploymentStepFailureEvent {
  DeploymentPlan plan;
  Step current_step;
  Timestamp timestamp;
  bool operator==(const DeploymentStepFailureEvent&) const = default;
};

// {"id","plan","eventType":"deployment_success","timestamp"}; `id` is the plan's id.
struct DeploymentSuccessEvent {
  std::string id;
  DeploymentPlan plan;
  Timestamp timestamp;
  bool operator==(const DeploymentSuccessEvent&) const = default;
};

// {"id","plan","reason","eventType":"deployment_failed","timestamp"}: failed or canceled.
// `reason` (later Marathons) is written after `plan`, only when set.
struct DeploymentFailedEvent {
  std::string id;
  DeploymentPlan plan;
  std::optional<std::string> reason;
  Timestamp timestamp;
  bool operator==(const DeploymentFailedEvent&) const = default;
};

// {"groupId","version","eventType":"group_change_success","timestamp"}: a write to the root
// group was stored; `version` is the new root's version.
struct GroupChangeSuccessEvent {
  PathId group_id;
  Timestamp version;
  Timestamp timestamp;
  bool operator==(const GroupChangeSuccessEvent&) const = default;
};

// {"groupId","version","reason","eventType":"group_change_failed","timestamp"}.
struct GroupChangeFailedEvent {
  PathId group_id;
  Timestamp version;
  std::string reason;
  Timestamp timestamp;
  bool operator==(const GroupChangeFailedEvent&) const = default;
};

// ---- tasks and instances ----

// One entry of status_update_event's "ipAddresses": {"ipAddress","protocol"}.
struct EventIpAddress {
  std::string ip_address;
  std::string protocol = "IPv4";  // "IPv4" | "IPv6" (Mesos NetworkInfo.Protocol)
  bool operator==(const EventIpAddress&) const = default;
};

// {"slaveId","taskId","taskStatus","message","appId","host","ipAddresses"?,"ports","version",
//  "eventType":"status_update_event","timestamp"}: a Mesos status update of a task.
// `ip_addresses` is written only when set (Marathon ≥ 1.4 always sets it; the 2015 transcript
// of events.txt has no such member).
struct StatusUpdateEvent {
  std::string slave_id;
  std::string task_id;
  std::string task_status;  // "TASK_RUNNING", "TASK_FAILED", ...
  std::string message;      // "" when the update has none
  PathId app_id;
  std::string host;
  std::optional<std::vector<EventIpAddress>> ip_addresses;
  std::vector<int> ports;
  Timestamp version;  // the app version the task runs
  Timestamp timestamp;
  bool operator==(const StatusUpdateEvent&) const = default;
};

// {"instanceId","condition","runSpecId","agentId","host","runSpecVersion","timestamp",
//  "eventType":"instance_changed_event","goal"} (Marathon's member order: timestamp before
// eventType). `condition` and `goal` are Marathon's names ("Running", "Decommissioned"...);
// agentId and host are null while the instance has no agent.
struct InstanceChangedEvent {
  InstanceId instance_id;
  Condition condition = Condition::kScheduled;
  PathId run_spec_id;
  std::optional<std::string> agent_id;
  std::optional<std::string> host;
  Timestamp run_spec_version;
  Goal goal = Goal::kRunning;
  Timestamp timestamp;
  bool operator==(const InstanceChangedEvent&) const = default;
};

// {"instanceId","runSpecId","condition","timestamp","eventType":
// "unknown_instance_terminated_event"}: a status update for an instance we do not know.
struct UnknownInstanceTerminatedEvent {
  InstanceId instance_id;
  PathId run_spec_id;
  Condition condition = Condition::kUnknown;
  Timestamp timestamp;
  bool operator==(const UnknownInstanceTerminatedEvent&) const = default;
};

// {"appId","eventType":"app_terminated_event","timestamp"}: the app was removed and all its
// instances are gone.
struct AppTerminatedEvent {
  PathId app_id;
  Timestamp timestamp;
  bool operator==(const AppTerminatedEvent&) const = default;
};

// ---- Mesos driver ----

// {"frameworkId","master","eventType":"scheduler_registered_event","timestamp"}.
struct SchedulerRegisteredEvent {
  std::string framework_id;
  std::string master;  // "host:port" of the master
  Timestamp timestamp;
  bool operator==(const SchedulerRegisteredEvent&) const = default;
};

// {"master","eventType":"scheduler_reregistered_event","timestamp"}.
struct SchedulerReregisteredEvent {
  std::string master;
  Timestamp timestamp;
  bool operator==(const SchedulerReregisteredEvent&) const = default;
};

// {"eventType":"scheduler_disconnected_event","timestamp"}.
struct SchedulerDisconnectedEvent {
  Timestamp timestamp;
  bool operator==(const SchedulerDisconnectedEvent&) const = default;
};

// {"executorId","slaveId","message":[bytes as signed ints, -128..127],"eventType":
// "framework_message_event","timestamp"}: an executor's message (Marathon writes the bytes as
// Java's signed bytes).
struct FrameworkMessageEvent {
  std::string executor_id;
  std::string slave_id;
  std::string message;  // raw bytes
  Timestamp timestamp;
  bool operator==(const FrameworkMessageEvent&) const = default;
};

// ---- health ----

// {"appId","instanceId","version","alive","eventType":"health_status_changed_event",
//  "timestamp"}.
struct HealthStatusChangedEvent {
  PathId app_id;
  InstanceId instance_id;
  Timestamp version;
  bool alive = false;
  Timestamp timestamp;
  bool operator==(const HealthStatusChangedEvent&) const = default;
};

// {"appId","eventType":"failed_health_check_event","healthCheck":{...},"taskId","timestamp"}:
// Marathon's own order, and it writes the instance id under the key "taskId".
struct FailedHealthCheckEvent {
  PathId app_id;
  InstanceId instance_id;
  AppHealthCheck health_check;  // written as in the app's "healthChecks"
  Timestamp timestamp;
  bool operator==(const FailedHealthCheckEvent&) const = default;
};

// {"appId","taskId","instanceId","version","reason","host","slaveId"?,"eventType":
//  "unhealthy_instance_kill_event","timestamp"}: killed for failing too many health checks.
// `slaveId` is omitted when unknown.
struct UnhealthyInstanceKillEvent {
  PathId app_id;
  std::string task_id;
  InstanceId instance_id;
  Timestamp version;
  std::string reason;
  std::string host;
  std::optional<std::string> slave_id;
  Timestamp timestamp;
  bool operator==(const UnhealthyInstanceKillEvent&) const = default;
};

using MarathonEvent =
    std::variant<EventStreamAttached, EventStreamDetached, ApiPostEvent, DeploymentInfoEvent,
                 DeploymentSuccessEvent, DeploymentFailedEvent, DeploymentStepSuccessEvent,
                 DeploymentStepFailureEvent, GroupChangeSuccessEvent, GroupChangeFailedEvent,
                 StatusUpdateEvent, InstanceChangedEvent, AppTerminatedEvent,
                 SchedulerRegisteredEvent, SchedulerReregisteredEvent, SchedulerDisconnectedEvent,
                 FrameworkMessageEvent, HealthStatusChangedEvent, FailedHealthCheckEvent,
                 UnhealthyInstanceKillEvent, UnknownInstanceTerminatedEvent>;

// Marathon's eventType: "event_stream_attached", "status_update_event", "deployment_info"...
std::string EventTypeOf(const MarathonEvent& event);

// The event as Marathon writes it on /v2/events: one line of compact JSON, no newline.
std::string EventJson(const MarathonEvent& event);

// One Server-Sent-Events frame: "event: <type>\ndata: <json>\n\n", as Marathon sends it.
std::string SseFrame(const MarathonEvent& event);
// Beyond Marathon (reference/marathon.md §6, resumable streams): the same frame preceded by
// "id: <id>\n", so a client can reconnect with `Last-Event-ID: <id>`. Ids are the caller's
// (e.g. a per-leader sequence number, increasing).
std::string SseFrame(const MarathonEvent& event, uint64_t id);

// The `event_type=` filter of GET /v2/events: built from the query's values (the parameter may
// repeat); no values means every event. Values are compared exactly (Marathon does not
// validate them: an unknown type simply matches nothing).
class EventFilter {
 public:
  EventFilter() = default;
  explicit EventFilter(const std::vector<std::string>& event_types);

  bool Matches(const std::string& event_type) const;
  bool Matches(const MarathonEvent& event) const { return Matches(EventTypeOf(event)); }
  bool matches_all() const { return types_.empty(); }

 private:
  std::set<std::string, std::less<>> types_;
};

}  // namespace atl::marathonlike
