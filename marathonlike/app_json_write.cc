// Writing Marathon app JSON (app_json.h): the shape of Marathon's GET /v2/apps/{id}, members in
// the order of the RAML App type.
#include <cmath>
#include <cstdint>

#include "marathonlike/app_json.h"

namespace atl::marathonlike {

namespace {

void WriteStringMap(api::JsonWriter& w, const std::map<std::string, std::string>& map) {
  w.StartObject();
  for (const auto& [key, value] : map) w.Key(key).String(value);
  w.EndObject();
}

void WriteStrings(api::JsonWriter& w, const std::vector<std::string>& values) {
  w.StartArray();
  for (const std::string& v : values) w.String(v);
  w.EndArray();
}

void WritePortDefinition(api::JsonWriter& w, const PortDefinition& p) {
  w.StartObject().Key("port").Int(p.port).Key("protocol").String(p.protocol);
  if (p.name.has_value()) w.Key("name").String(*p.name);
  if (!p.labels.empty()) {
    w.Key("labels");
    WriteStringMap(w, p.labels);
  }
  w.EndObject();
}

void WriteArtifact(api::JsonWriter& w, const Artifact& a) {
  w.StartObject().Key("uri").String(a.uri);
  w.Key("extract").Bool(a.extract).Key("executable").Bool(a.executable).Key("cache").Bool(a.cache);
  if (a.dest_path.has_value()) w.Key("destPath").String(*a.dest_path);
  w.EndObject();
}

void WriteReadinessCheck(api::JsonWriter& w, const ReadinessCheck& c) {
  w.StartObject();
  w.Key("name").String(c.name);
  w.Key("protocol").String(c.protocol);
  w.Key("path").String(c.path);
  w.Key("portName").String(c.port_name);
  w.Key("intervalSeconds").Int(c.interval_seconds);
  w.Key("timeoutSeconds").Int(c.timeout_seconds);
  w.Key("httpStatusCodesForReady").StartArray();
  for (int code : c.http_status_codes_for_ready) w.Int(code);
  w.EndArray();
  w.Key("preserveLastResponse").Bool(c.preserve_last_response);
  w.EndObject();
}

void WriteContainer(api::JsonWriter& w, const Container& c) {
  w.StartObject().Key("type").String(c.type).Key("volumes").StartArray();
  for (const HostVolume& v : c.volumes) {
    w.StartObject();
    w.Key("containerPath").String(v.container_path);
    w.Key("hostPath").String(v.host_path);
    w.Key("mode").String(v.mode);
    w.EndObject();
  }
  w.EndArray().EndObject();
}

void WriteResourceLimit(api::JsonWriter& w, const char* key,
                        const std::optional<std::optional<double>>& limit) {
  if (!limit.has_value()) return;
  w.Key(key);
  if (limit->has_value()) {
    WriteNumber(w, **limit);
  } else {
    w.String("unlimited");
  }
}

}  // namespace

void WriteHealthCheck(api::JsonWriter& w, const AppHealthCheck& c) {
  const bool http = c.protocol == "HTTP" || c.protocol == "HTTPS";
  const bool any_http = http || c.protocol == "MESOS_HTTP" || c.protocol == "MESOS_HTTPS";
  w.StartObject();
  w.Key("gracePeriodSeconds").Int(c.grace_period_seconds);
  w.Key("intervalSeconds").Int(c.interval_seconds);
  w.Key("maxConsecutiveFailures").Int(c.max_consecutive_failures);
  if (any_http) w.Key("path").String(c.path);
  if (c.port_index.has_value()) w.Key("portIndex").Int(*c.port_index);
  if (c.port.has_value()) w.Key("port").Int(*c.port);
  w.Key("protocol").String(c.protocol);
  w.Key("ipProtocol").String(c.ip_protocol);
  w.Key("timeoutSeconds").Int(c.timeout_seconds);
  w.Key("delaySeconds").Int(c.delay_seconds);
  if (http) w.Key("ignoreHttp1xx").Bool(c.ignore_http1xx);
  if (c.command.has_value())
    w.Key("command").StartObject().Key("value").String(*c.command).EndObject();
  w.EndObject();
}

void WriteNumber(api::JsonWriter& w, double value) {
  // Whole numbers as integers, like Marathon ("mem": 128); the bound keeps the cast exact.
  if (std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < 9.0e18) {
    w.Int64(static_cast<int64_t>(value));
  } else {
    w.Double(value);
  }
}

void WriteAppFields(api::JsonWriter& w, const AppDefinition& app) {
  w.Key("id").String(app.id);
  if (!app.accepted_resource_roles.empty()) {
    w.Key("acceptedResourceRoles");
    WriteStrings(w, app.accepted_resource_roles);
  }
  if (app.args.has_value()) {
    w.Key("args");
    WriteStrings(w, *app.args);
  }
  w.Key("backoffFactor");
  WriteNumber(w, app.backoff_factor);
  w.Key("backoffSeconds");
  WriteNumber(w, app.backoff_seconds);
  if (app.cmd.has_value()) w.Key("cmd").String(*app.cmd);
  w.Key("constraints").StartArray();
  for (const std::vector<std::string>& c : app.constraints) WriteStrings(w, c);
  w.EndArray();
  if (app.container.has_value()) {
    w.Key("container");
    WriteContainer(w, *app.container);
  }
  w.Key("cpus");
  WriteNumber(w, app.cpus);
  w.Key("dependencies");
  WriteStrings(w, app.dependencies);
  w.Key("disk");
  WriteNumber(w, app.disk);
  w.Key("env");
  WriteStringMap(w, app.env);
  w.Key("executor").String(app.executor);
  w.Key("fetch").StartArray();
  for (const Artifact& a : app.fetch) WriteArtifact(w, a);
  w.EndArray();
  w.Key("healthChecks").StartArray();
  for (const AppHealthCheck& c : app.health_checks) WriteHealthCheck(w, c);
  w.EndArray();
  w.Key("instances").Int(app.instances);
  w.Key("labels");
  WriteStringMap(w, app.labels);
  w.Key("maxLaunchDelaySeconds");
  WriteNumber(w, app.max_launch_delay_seconds);
  w.Key("mem");
  WriteNumber(w, app.mem);
  w.Key("gpus").Int(app.gpus);
  // Only host networking is supported (app_json.h refuses the others).
  w.Key("networks").StartArray().StartObject().Key("mode").String("host").EndObject().EndArray();
  w.Key("portDefinitions").StartArray();
  for (const PortDefinition& p : app.port_definitions) WritePortDefinition(w, p);
  w.EndArray();
  w.Key("readinessChecks").StartArray();
  for (const ReadinessCheck& c : app.readiness_checks) WriteReadinessCheck(w, c);
  w.EndArray();
  if (app.resource_limits.has_value()) {
    w.Key("resourceLimits").StartObject();
    WriteResourceLimit(w, "cpus", app.resource_limits->cpus);
    WriteResourceLimit(w, "mem", app.resource_limits->mem);
    w.EndObject();
  }
  w.Key("requirePorts").Bool(app.require_ports);
  if (app.task_kill_grace_period_seconds.has_value()) {
    w.Key("taskKillGracePeriodSeconds").Int(*app.task_kill_grace_period_seconds);
  }
  w.Key("upgradeStrategy").StartObject();
  w.Key("minimumHealthCapacity");
  WriteNumber(w, app.upgrade_strategy.minimum_health_capacity);
  w.Key("maximumOverCapacity");
  WriteNumber(w, app.upgrade_strategy.maximum_over_capacity);
  if (app.upgrade_strategy.rollback_after_failures) {
    w.Key("rollbackAfterFailures").Int(*app.upgrade_strategy.rollback_after_failures);
  }
  w.EndObject();
  if (app.user.has_value()) w.Key("user").String(*app.user);
  w.Key("version").String(FormatIso8601(app.version));
  w.Key("versionInfo").StartObject();
  w.Key("lastScalingAt").String(FormatIso8601(app.version_info.last_scaling_at));
  w.Key("lastConfigChangeAt").String(FormatIso8601(app.version_info.last_config_change_at));
  w.EndObject();
  w.Key("killSelection").String(app.kill_selection);
  w.Key("unreachableStrategy");
  if (app.unreachable_strategy.disabled) {
    w.String("disabled");
  } else {
    w.StartObject();
    w.Key("inactiveAfterSeconds");
    WriteNumber(w, app.unreachable_strategy.inactive_after_seconds);
    w.Key("expungeAfterSeconds");
    WriteNumber(w, app.unreachable_strategy.expunge_after_seconds);
    w.EndObject();
  }
  if (app.role.has_value()) w.Key("role").String(*app.role);
  if (app.deployment_progress_deadline_seconds.has_value()) {
    w.Key("deploymentProgressDeadlineSeconds");
    WriteNumber(w, *app.deployment_progress_deadline_seconds);
  }
}

void WriteApp(api::JsonWriter& w, const AppDefinition& app) {
  w.StartObject();
  WriteAppFields(w, app);
  w.EndObject();
}

std::string AppToJson(const AppDefinition& app) {
  api::JsonWriter w;
  WriteApp(w, app);
  return w.Finish();
}

}  // namespace atl::marathonlike
