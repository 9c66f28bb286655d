#include "marathonlike/task_json.h"

#include "marathonlike/task_builder.h"

namespace atl::marathonlike {
namespace {

void WriteOptionalTime(api::JsonWriter& w, std::string_view key,
                       const std::optional<Timestamp>& t) {
  if (t.has_value()) w.Key(key).String(FormatIso8601(*t));
}

void WriteInts(api::JsonWriter& w, const std::vector<int>& values) {
  w.StartArray();
  for (int v : values) w.Int(v);
  w.EndArray();
}

void WriteHealth(api::JsonWriter& w, const std::string& instance_id,
                 const TaskHealthResult& health) {
  w.StartObject();
  w.Key("instanceId").String(instance_id);
  w.Key("alive").Bool(health.alive);
  w.Key("consecutiveFailures").Int(health.consecutive_failures);
  WriteOptionalTime(w, "firstSuccess", health.first_success);
  WriteOptionalTime(w, "lastSuccess", health.last_success);
  WriteOptionalTime(w, "lastFailure", health.last_failure);
  if (health.last_failure_cause.has_value()) {
    w.Key("lastFailureCause").String(*health.last_failure_cause);
  }
  w.EndObject();
}

}  // namespace

void WriteTask(api::JsonWriter& w, const TaskView& task) {
  w.StartObject();
  w.Key("appId").String(task.app_id);
  if (!task.health_check_results.empty()) {
    std::optional<ParsedTaskId> parsed = ParseTaskId(task.id);
    const std::string& instance_id = parsed.has_value() ? parsed->instance_id.value() : task.id;
    w.Key("healthCheckResults").StartArray();
    for (const TaskHealthResult& health : task.health_check_results) {
      WriteHealth(w, instance_id, health);
    }
    w.EndArray();
  }
  w.Key("host").String(task.host);
  w.Key("id").String(task.id);
  if (!task.ip_addresses.empty()) {
    w.Key("ipAddresses").StartArray();
    for (const TaskIpAddress& ip : task.ip_addresses) {
      w.StartObject();
      w.Key("ipAddress").String(ip.ip_address);
      w.Key("protocol").String(ip.protocol);
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("ports");
  WriteInts(w, task.ports);
  if (!task.service_ports.empty()) {
    w.Key("servicePorts");
    WriteInts(w, task.service_ports);
  }
  if (!task.agent_id.empty()) w.Key("slaveId").String(task.agent_id);
  WriteOptionalTime(w, "stagedAt", task.staged_at);
  WriteOptionalTime(w, "startedAt", task.started_at);
  WriteOptionalTime(w, "version", task.version);
  w.Key("state").String(task.state);
  if (task.region.has_value()) w.Key("region").String(*task.region);
  if (task.zone.has_value()) w.Key("zone").String(*task.zone);
  w.Key("role").String(task.role);
  w.EndObject();
}

std::string TaskToJson(const TaskView& task) {
  api::JsonWriter w;
  WriteTask(w, task);
  return w.Finish();
}

}  // namespace atl::marathonlike
