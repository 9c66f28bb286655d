#include "marathonlike/task_builder.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "core/api/json_model.h"
#include "core/base/strings.h"
#include "core/base/time.h"
#include "healthchecks/readiness.h"
#include "marathonlike/lifecycle_labels.h"
#include "marathonlike/path_id.h"

namespace atl::marathonlike {
namespace {

constexpr std::string_view kInstanceMarker = ".instance-";
constexpr std::string_view kIncarnationMarker = "._app.";
constexpr std::string_view kLabelPrefix = "MARATHON_APP_LABEL_";
constexpr size_t kMaxEnvironmentVarLength = 512;
constexpr size_t kMaxVariableLength = kMaxEnvironmentVarLength - kLabelPrefix.size();

// A double as Java's Double.toString prints it (what Marathon's Scala code puts in the
// environment): "1.0", "0.5", "128.0", "1.0E7", "1.0E-4".
std::string JavaDouble(double v) {
  if (v == 0) return "0.0";
  char buf[64];
  const double a = std::fabs(v);
  if (a >= 1e-3 && a < 1e7) {
    auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
    std::string s(buf, res.ptr);
    if (s.find('.') == std::string::npos) s += ".0";
    return s;
  }
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string s(buf, res.ptr);
  const size_t e = s.find('e');
  std::string mantissa = s.substr(0, e);
  if (mantissa.find('.') == std::string::npos) mantissa += ".0";
  return StrCat(mantissa, "E", std::atoi(s.c_str() + e + 1));
}

// Marathon's label key escape: every run of characters outside [a-zA-Z0-9_] becomes one '_',
// then upper case.
std::string EscapeLabelKey(std::string_view key) {
  std::string out;
  bool in_run = false;
  for (char c : key) {
    const bool plain =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (plain) {
      out += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
      in_run = false;
    } else if (!in_run) {
      out += '_';
      in_run = true;
    }
  }
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

}  // namespace

std::string MakeTaskId(const PathId& app, const std::string& instance_uuid, int incarnation) {
  return StrCat(SafeName(app), kInstanceMarker, instance_uuid, kIncarnationMarker, incarnation);
}

std::optional<ParsedTaskId> ParseTaskId(std::string_view task_id) {
  const size_t at = task_id.rfind(kInstanceMarker);
  if (at == std::string_view::npos || at == 0) return std::nullopt;
  const std::string_view safe = task_id.substr(0, at);
  const std::string_view rest = task_id.substr(at + kInstanceMarker.size());
  const size_t inc_at = rest.find(kIncarnationMarker);
  if (inc_at == std::string_view::npos || inc_at == 0) return std::nullopt;
  const std::string_view uuid = rest.substr(0, inc_at);
  const std::string_view digits = rest.substr(inc_at + kIncarnationMarker.size());
  if (uuid.find('.') != std::string_view::npos || digits.empty()) return std::nullopt;
  int incarnation = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), incarnation);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  if (safe.front() == '_' || safe.back() == '_' || safe.find("__") != std::string_view::npos) {
    return std::nullopt;
  }
  ParsedTaskId parsed;
  parsed.app_id = StrCat("/", safe);
  for (char& c : parsed.app_id) {
    if (c == '_') c = '/';
  }
  parsed.instance_uuid = std::string(uuid);
  parsed.instance_id = InstanceId(StrCat(safe, kInstanceMarker, uuid));
  parsed.incarnation = incarnation;
  return parsed;
}

std::string TaskName(const PathId& app) {
  std::vector<std::string_view> segments = Segments(app);
  std::string out;
  for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
    if (!out.empty()) out += '.';
    out += *it;
  }
  return out;
}

std::map<std::string, std::string> TaskEnvironment(const AppDefinition& app,
                                                   const std::string& task_id,
                                                   const std::string& hostname,
                                                   const std::vector<int>& host_ports,
                                                   const std::vector<int>& service_ports) {
  std::map<std::string, std::string> env;
  env["MESOS_TASK_ID"] = task_id;
  env["MARATHON_APP_ID"] = app.id;
  env["MARATHON_APP_VERSION"] = FormatIso8601(app.version);
  env["MARATHON_APP_RESOURCE_CPUS"] = JavaDouble(app.cpus);
  env["MARATHON_APP_RESOURCE_MEM"] = JavaDouble(app.mem);
  env["MARATHON_APP_RESOURCE_DISK"] = JavaDouble(app.disk);
  env["MARATHON_APP_RESOURCE_GPUS"] = StrCat(app.gpus);

  std::vector<std::string> label_keys;
  for (const auto& [key, value] : app.labels) {
    if (key.size() >= kMaxVariableLength || value.size() >= kMaxEnvironmentVarLength) continue;
    std::string escaped = EscapeLabelKey(key);
    const std::string name = StrCat(kLabelPrefix, escaped);
    if (env.count(name) == 0) label_keys.push_back(escaped);
    env[name] = value;
  }
  env["MARATHON_APP_LABELS"] = Join(label_keys, " ");

  if (!host_ports.empty()) {
    for (size_t i = 0; i < host_ports.size(); ++i) {
      const std::string port = StrCat(host_ports[i]);
      env[StrCat("PORT", i)] = port;
      if (i < app.port_definitions.size()) {
        const PortDefinition& definition = app.port_definitions[i];
        const int requested = i < service_ports.size() ? service_ports[i] : definition.port;
        env[StrCat("PORT_", requested != 0 ? requested : host_ports[i])] = port;
        if (definition.name.has_value()) env[StrCat("PORT_", Upper(*definition.name))] = port;
      }
    }
    env["PORT"] = StrCat(host_ports.front());
    env["PORTS"] = Join(host_ports, ",");
  }
  env["HOST"] = hostname;

  for (const auto& [name, value] : app.env) env[name] = value;
  return env;
}

model::TaskInfo BuildTaskInfo(const AppDefinition& app, const std::string& task_id,
                              const model::Offer& offer, const model::Resources& resources,
                              const std::vector<int>& host_ports,
                              const std::vector<int>& service_ports) {
  model::TaskInfo task;
  task.name = TaskName(app.id);
  task.task_id = model::TaskId(task_id);
  task.agent_id = offer.agent_id;
  task.resources = resources;

  model::CommandInfo command;
  if (app.cmd.has_value() && !app.cmd->empty()) {
    command.shell = true;
    command.value = *app.cmd;
  } else {
    command.shell = false;
  }
  if (app.args.has_value() && !app.args->empty()) {
    command.shell = false;
    command.arguments = *app.args;
    command.value = app.args->front();
  }
  for (const Artifact& artifact : app.fetch) {
    model::CommandUri uri;
    uri.value = artifact.uri;
    uri.extract = artifact.extract;
    uri.executable = artifact.executable;
    uri.cache = artifact.cache;
    uri.output_file = artifact.dest_path;
    command.uris.push_back(std::move(uri));
  }
  command.user = app.user;
  model::Environment environment;
  for (auto& [name, value] :
       TaskEnvironment(app, task_id, offer.hostname, host_ports, service_ports)) {
    environment.variables.push_back({name, value});
  }
  command.environment = std::move(environment);
  task.command = std::move(command);

  if (app.container.has_value()) {
    model::ContainerInfo container;
    container.type = app.container->type;
    for (const HostVolume& v : app.container->volumes) {
      container.volumes.push_back(model::Volume{v.container_path, v.host_path, v.mode});
    }
    task.container = std::move(container);
  }

  if (app.task_kill_grace_period_seconds.has_value()) {
    task.kill_policy = model::KillPolicy{Duration::Seconds(*app.task_kill_grace_period_seconds)};
  }

  for (const auto& [key, value] : app.labels) task.labels.push_back(model::Label{key, value});
  // The readiness check travels in the labels (TaskInfo has no field for it); the executor runs
  // it next to the task.
  if (!app.readiness_checks.empty()) {
    const ReadinessCheck& r = app.readiness_checks.front();
    healthchecks::ReadinessSpec spec;
    spec.name = r.name;
    spec.tls = r.protocol == "HTTPS";
    spec.path = r.path.empty() ? "/" : r.path;
    for (size_t k = 0; k < app.port_definitions.size() && k < host_ports.size(); ++k) {
      if (app.port_definitions[k].name == r.port_name) {
        spec.port = static_cast<uint32_t>(host_ports[k]);
      }
    }
    spec.interval = Duration::Seconds(std::max(1, r.interval_seconds));
    spec.timeout = Duration::Seconds(std::max(1, r.timeout_seconds));
    spec.ready_codes = r.http_status_codes_for_ready;
    spec.preserve_last_response = r.preserve_last_response;
    if (spec.port != 0) {
      for (model::Label& l : healthchecks::SpecLabels(spec)) task.labels.push_back(std::move(l));
    }
  }

  // So does Aurora's HTTP lifecycle, with its port resolved to the task's host port.
  if (std::optional<AppLifecycle> lifecycle = AppLifecycleOf(app)) {
    for (size_t k = 0; k < app.port_definitions.size() && k < host_ports.size(); ++k) {
      if (app.port_definitions[k].name == lifecycle->port_name) {
        lifecycle->lifecycle.port = static_cast<uint32_t>(host_ports[k]);
      }
    }
    if (lifecycle->lifecycle.port != 0) {
      for (model::Label& l : model::HttpLifecycleLabels(lifecycle->lifecycle)) {
        task.labels.push_back(std::move(l));
      }
    }
  }

  model::DiscoveryInfo discovery;
  discovery.visibility = "FRAMEWORK";
  discovery.name = TaskName(app.id);
  for (size_t i = 0; i < app.port_definitions.size() && i < host_ports.size(); ++i) {
    const PortDefinition& definition = app.port_definitions[i];
    for (std::string_view protocol : Split(definition.protocol, ',')) {
      model::DiscoveryInfo::Port port;
      port.number = static_cast<uint32_t>(host_ports[i]);
      port.name = definition.name.value_or("");
      port.protocol = std::string(protocol);
      for (const auto& [key, value] : definition.labels) {
        port.labels.push_back(model::Label{key, value});
      }
      discovery.ports.push_back(std::move(port));
    }
  }
  task.discovery = std::move(discovery);
  std::vector<model::HealthCheck> checks = TaskHealthChecks(app, host_ports);
  if (!checks.empty()) task.health_check = checks.front();
  if (checks.size() > 1) {
    checks.erase(checks.begin());
    task.labels.push_back({api::kMoreHealthChecksLabel, api::SerializeHealthChecks(checks)});
  }
  return task;
}

namespace {

std::optional<model::HealthCheck> HealthCheckOf(const AppHealthCheck& c,
                                                const std::vector<int>& host_ports) {
  model::HealthCheck check;
  check.delay_seconds = c.delay_seconds;
  check.interval_seconds = c.interval_seconds;
  check.timeout_seconds = c.timeout_seconds;
  check.grace_period_seconds = c.grace_period_seconds;
  check.consecutive_failures = static_cast<uint32_t>(std::max(0, c.max_consecutive_failures));
  // The port: the host port of portIndex, or the literal `port`.
  uint32_t port = 0;
  if (c.port.has_value()) {
    port = static_cast<uint32_t>(*c.port);
  } else {
    const size_t index = static_cast<size_t>(std::max(0, c.port_index.value_or(0)));
    if (index < host_ports.size()) port = static_cast<uint32_t>(host_ports[index]);
  }
  const std::string& p = c.protocol;
  if (p == "HTTP" || p == "HTTPS" || p == "MESOS_HTTP" || p == "MESOS_HTTPS") {
    check.type = model::HealthCheck::Type::kHttp;
    model::HealthCheck::Http http;
    http.scheme = (p == "HTTPS" || p == "MESOS_HTTPS") ? "https" : "http";
    http.port = port;
    http.path = c.path.empty() ? "/" : c.path;
    http.ignore_1xx = c.ignore_http1xx;
    check.http = std::move(http);
  } else if (p == "TCP" || p == "MESOS_TCP") {
    check.type = model::HealthCheck::Type::kTcp;
    check.tcp = model::HealthCheck::Tcp{port};
  } else if (p == "COMMAND") {
    check.type = model::HealthCheck::Type::kCommand;
    model::CommandInfo command;
    command.shell = true;
    command.value = c.command.value_or("");
    check.command = std::move(command);
  } else {
    return std::nullopt;  // validation refuses other protocols
  }
  return check;
}

}  // namespace

std::vector<model::HealthCheck> TaskHealthChecks(const AppDefinition& app,
                                                 const std::vector<int>& host_ports) {
  std::vector<model::HealthCheck> out;
  for (const AppHealthCheck& c : app.health_checks) {
    if (std::optional<model::HealthCheck> check = HealthCheckOf(c, host_ports)) {
      out.push_back(std::move(*check));
    }
  }
  return out;
}

}  // namespace atl::marathonlike
