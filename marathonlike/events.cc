// Marathon's events as JSON and SSE frames (events.h).
#include "marathonlike/events.h"

#include <string_view>

#include "core/api/json.h"
#include "core/base/strings.h"
#include "marathonlike/app_json.h"

namespace atl::marathonlike {

namespace {

void WriteTime(api::JsonWriter& w, std::string_view key, Timestamp t) {
  w.Key(key).String(FormatIso8601(t));
}

void WriteOptionalString(api::JsonWriter& w, std::string_view key,
                         const std::optional<std::string>& value) {
  w.Key(key);
  if (value.has_value()) {
    w.String(*value);
  } else {
    w.Null();
  }
}

// {"actions":[{"action":"ScaleApplication","app":"/a"},...]} (raml DeploymentStep).
void WriteStep(api::JsonWriter& w, const Step& step) {
  w.StartObject().Key("actions").StartArray();
  for (const Action& a : step.actions) {
    w.StartObject().Key("action").String(ActionName(a.type)).Key("app").String(a.app_id);
    w.EndObject();
  }
  w.EndArray().EndObject();
}

// The light plan of raml/v2/types/deploymentPlan.raml: {"id","steps","version"}.
void WritePlan(api::JsonWriter& w, const DeploymentPlan& plan) {
  w.StartObject().Key("id").String(plan.id).Key("steps").StartArray();
  for (const Step& step : plan.steps) WriteStep(w, step);
  w.EndArray();
  WriteTime(w, "version", plan.version);
  w.EndObject();
}

// The trailing "eventType","timestamp" every event but two ends with.
void WriteTypeAndTime(api::JsonWriter& w, const char* type, Timestamp t) {
  w.Key("eventType").String(type);
  WriteTime(w, "timestamp", t);
}

struct TypeName {
  const char* operator()(const EventStreamAttached&) const { return "event_stream_attached"; }
  const char* operator()(const EventStreamDetached&) const { return "event_stream_detached"; }
  const char* operator()(const ApiPostEvent&) const { return "api_post_event"; }
  const char* operator()(const DeploymentInfoEvent&) const { return "deployment_info"; }
  const char* operator()(const DeploymentSuccessEvent&) const { return "deployment_success"; }
  const char* operator()(const DeploymentFailedEvent&) const { return "deployment_failed"; }
  const char* operator()(const DeploymentStepSuccessEvent&) const {
    return "deployment_step_success";
  }
  const char* operator()(const DeploymentStepFailureEvent&) const {
    return "deployment_step_failure";
  }
  const char* operator()(const GroupChangeSuccessEvent&) const { return "group_change_success"; }
  const char* operator()(const GroupChangeFailedEvent&) const { return "group_change_failed"; }
  const char* operator()(const StatusUpdateEvent&) const { return "status_update_event"; }
  const char* operator()(const InstanceChangedEvent&) const { return "instance_changed_event"; }
  const char* operator()(const AppTerminatedEvent&) const { return "app_terminated_event"; }
  const char* operator()(const SchedulerRegisteredEvent&) const {
    return "scheduler_registered_event";
  }
  const char* operator()(const SchedulerReregisteredEvent&) const {
    return "scheduler_reregistered_event";
  }
  const char* operator()(const SchedulerDisconnectedEvent&) const {
    return "scheduler_disconnected_event";
  }
  const char* operator()(const FrameworkMessageEvent&) const { return "framework_message_event"; }
  const char* operator()(const HealthStatusChangedEvent&) const {
    return "health_status_changed_event";
  }
  const char* operator()(const FailedHealthCheckEvent&) const {
    return "failed_health_check_event";
  }
  const char* operator()(const UnhealthyInstanceKillEvent&) const {
    return "unhealthy_instance_kill_event";
  }
  const char* operator()(const UnknownInstanceTerminatedEvent&) const {
    return "unknown_instance_terminated_event";
  }
};

// Writes the members of `e` (type `type`) into the open object, in Marathon's order.
struct MemberWriter {
  api::JsonWriter& w;
  const char* type;

  void operator()(const EventStreamAttached& e) const {
    w.Key("remoteAddress").String(e.remote_address);
    WriteTypeAndTime(w, type, e.timestamp);
  }
  void operator()(const EventStreamDetached& e) const {
    w.Key("remoteAddress").String(e.remote_address);
    WriteTypeAndTime(w, type, e.timestamp);
  }
  void operator()(const ApiPostEvent& e) const {
    w.Key("clientIp").String(e.client_ip).Key("uri").String(e.uri);
    w.Key("appDefinition");
    WriteApp(w, e.app_definition);
    WriteTypeAndTime(w, type, e.timestamp);
  }
  void PlanAndStep(const DeploymentPlan& plan, const Step& step, Timestamp t) const {
    w.Key("plan");
    WritePlan(w, plan);
    w.Key("currentStep");
    WriteStep(w, step);
    WriteTypeAndTime(w, type, t);
  }
  void operator()(const DeploymentInfoEvent& e) const {
    PlanAndStep(e.plan, e.current_step, e.timestamp);
  }
  void operator()(const DeploymentStepSuccessEvent& e) const {
    PlanAndStep(e.plan, e.current_step, e.timestamp);
  }
  void operator()(const DeploymentStepFailureEvent& e) const {
    PlanAndStep(e.plan, e.current_step, e.timestamp);
  }
  void operator()(const DeploymentSuccessEvent& e) const {
    w.Key("id").String(e.id).Key("plan");
    WritePlan(w, e.plan);
    WriteTypeAndTime(w, type, e.timestamp);
  }
  void operator()(const DeploymentFailedEvent& e) const {
    w.Key("id").String(e.id).Key("plan");
    WritePlan(w, e.plan);
    if (e.reason.has_value()) w.Key("reason").String(*e.reason);
    WriteTypeAndTime(w, type, e.timestamp);
  }
  void operator()(const GroupChangeSuccessEvent& e) const {
    w.Key("groupId").String(e.group_id);
    WriteTime(w, "version", e.version);
    WriteTypeAndTime(w, type, e.timestamp);
  }
  void operator()(const GroupChangeFailedEvent& e) const {
    w.Key("groupId").String(e.group_id);
    WriteTime(w, "version", e.version);
    w.Key("reason").String(e.reason);
    WriteTypeAndTime(w, type, e.timestamp);
  }
  void operator()(const StatusUpdateEvent& e) const {
    w.Key("slaveId").String(e.slave_id).Key("taskId").String(e.task_id);
    w.Key("taskStatus").String(e.task_status).Key("message").String(e.message);
    w.Key("appId").String(e.app_id).Key("host").String(e.host);
    if (e.ip_addresses.has_value()) {
      w.Key("ipAddresses").StartArray();
      for (const EventIpAddress& ip : *e.ip_addresses) {
        w.StartObject().Key("ipAddress").String(ip.ip_address);
        w.Key("protocol").String(ip.protocol).EndObject();
      }
      w.EndArray();
    }
    w.Key("ports").StartArray();
    for (int port : e.ports) w.Int(port);
    w.EndArray();
    WriteTime(w, "version", e.version);
    WriteTypeAndTime(w, type, e.timestamp);
  }
  void operator()(const InstanceChangedEvent& e) const {
    w.Key("instanceId").String(e.instance_id.value());
    w.Key("condition").String(ConditionName(e.condition));
    w.Key("runSpecId").String(e.run_spec_id);
    WriteOptionalString(w, "agentId", e.agent_id);
    WriteOptionalString(w, "host", e.host);
    WriteTime(w, "runSpecVersion", e.run_spec_version);
    WriteTime(w, "timestamp", e.timestamp);
    w.Key("eventType").String(type);
    w.Key("goal").String(GoalName(e.goal));
  }
  void operator()(const UnknownInstanceTerminatedEvent& e) const {
    w.Key("instanceId").String(e.instance_id.value());
    w.Key("runSpecId").String(e.run_spec_id);
    w.Key("condition").String(ConditionName(e.condition));
    WriteTime(w, "timestamp", e.timestamp);
    w.Key("eventType").String(type);
  }
  void operator()(const AppTerminatedEvent& e) const {
    w.Key("appId").String(e.app_id);
    WriteTypeAndTime(w, type, e.timestamp);
  }
  void operator()(const SchedulerRegisteredEvent& e) const {
    w.Key("frameworkId").String(e.framework_id).Key("master").String(e.master);
    WriteTypeAndTime(w, type, e.timestamp);
  }
  void operator()(const SchedulerReregisteredEvent& e) const {
    w.Key("master").String(e.master);
    WriteTypeAndTime(w, type, e.timestamp);
  }
  void operator()(const SchedulerDisconnectedEvent& e) const {
    WriteTypeAndTime(w, type, e.timestamp);
  }
  void operator()(const FrameworkMessageEvent& e) const {
    w.Key("executorId").String(e.executor_id).Key("slaveId").String(e.slave_id);
    w.Key("message").StartArray();
    for (char c : e.message) w.Int(static_cast<signed char>(c));
    w.EndArray();
    WriteTypeAndTime(w, type, e.timestamp);
  }
  void operator()(const HealthStatusChangedEvent& e) const {
    w.Key("appId").String(e.app_id).Key("instanceId").String(e.instance_id.value());
    WriteTime(w, "version", e.version);
    w.Key("alive").Bool(e.alive);
    WriteTypeAndTime(w, type, e.timestamp);
  }
  void operator()(const FailedHealthCheckEvent& e) const {
    w.Key("appId").String(e.app_id).Key("eventType").String(type).Key("healthCheck");
    WriteHealthCheck(w, e.health_check);
    w.Key("taskId").String(e.instance_id.value());
    WriteTime(w, "timestamp", e.timestamp);
  }
  void operator()(const UnhealthyInstanceKillEvent& e) const {
    w.Key("appId").String(e.app_id).Key("taskId").String(e.task_id);
    w.Key("instanceId").String(e.instance_id.value());
    WriteTime(w, "version", e.version);
    w.Key("reason").String(e.reason).Key("host").String(e.host);
    if (e.slave_id.has_value()) w.Key("slaveId").String(*e.slave_id);
    WriteTypeAndTime(w, type, e.timestamp);
  }
};

}  // namespace

std::string EventTypeOf(const MarathonEvent& event) { return std::visit(TypeName{}, event); }

std::string EventJson(const MarathonEvent& event) {
  api::JsonWriter w;
  w.StartObject();
  std::visit(MemberWriter{w, std::visit(TypeName{}, event)}, event);
  w.EndObject();
  return w.Finish();
}

std::string SseFrame(const MarathonEvent& event) {
  return StrCat("event: ", EventTypeOf(event), "\ndata: ", EventJson(event), "\n\n");
}

std::string SseFrame(const MarathonEvent& event, uint64_t id) {
  return StrCat("id: ", id, "\n", SseFrame(event));
}

EventFilter::EventFilter(const std::vector<std::string>& event_types)
    : types_(event_types.begin(), event_types.end()) {}

bool EventFilter::Matches(const std::string& event_type) const {
  return types_.empty() || types_.contains(event_type);
}

}  // namespace atl::marathonlike
