#include "marathonlike/app_validation.h"

#include <cstdint>
#include <initializer_list>
#include <set>

#include "constraints/constraint.h"
#include "core/base/strings.h"
#include "marathonlike/lifecycle_labels.h"
#include "marathonlike/path_id.h"

namespace atl::marathonlike {

namespace {

constexpr std::string_view kSingleInstanceLabel = "MARATHON_SINGLE_INSTANCE_APP";

// Collects errors by path; the helpers below phrase the common rules.
class Errors {
 public:
  void Add(std::string_view path, std::string error) {
    AddFieldError(&list_, path, std::move(error));
  }
  void AtLeast(std::string_view path, double value, double min) {
    if (!(value >= min)) Add(path, StrCat("is less than ", min));
  }
  void AtMost(std::string_view path, double value, double max) {
    if (!(value <= max)) Add(path, StrCat("is greater than ", max));
  }
  void Between(std::string_view path, double value, double min, double max) {
    AtLeast(path, value, min);
    AtMost(path, value, max);
  }
  void OneOf(std::string_view path, std::string_view value,
             std::initializer_list<std::string_view> names) {
    for (std::string_view n : names) {
      if (n == value) return;
    }
    Add(path, StrCat("is not one of (", Join(names, ","), ")"));
  }
  void NotEmpty(std::string_view path, std::string_view value) {
    if (value.empty()) Add(path, "must not be empty");
  }
  std::vector<FieldError> Take() { return std::move(list_); }

 private:
  std::vector<FieldError> list_;
};

std::string At(std::string_view parent, std::string_view key) { return StrCat(parent, "/", key); }
std::string Item(std::string_view parent, size_t i) { return StrCat(parent, "(", i, ")"); }

// Integer.parseInt's syntax: an optional sign and decimal digits, within int32.
// `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$` (RAML LegacyName), for port names.
bool IsLegacyName(std::string_view s) {
  if (s.empty() || s.front() == '-' || s.back() == '-') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// Marathon's executor pattern `^(//cmd)|(/?[^/]+(/[^/]+)*)|$`, matched fully.
bool IsExecutorSyntax(std::string_view s) {
  if (s.empty() || s == "//cmd") return true;
  if (s.front() == '/') s.remove_prefix(1);
  if (s.empty()) return false;
  for (std::string_view part : Split(s, '/', /*skip_empty=*/false)) {
    if (part.empty()) return false;
  }
  return true;
}

bool IsMesosLevel(std::string_view protocol) {
  return protocol == "MESOS_HTTP" || protocol == "MESOS_HTTPS" || protocol == "MESOS_TCP";
}

bool IsMarathonLevel(std::string_view protocol) {
  return protocol == "HTTP" || protocol == "HTTPS" || protocol == "TCP";
}

void ValidateCommand(const AppDefinition& app, Errors& e) {
  const bool cmd = app.cmd.has_value();
  const bool args = app.args.has_value() && !app.args->empty();
  if (cmd == args) {
    e.Add("/", "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.");
  }
  if (cmd && app.cmd->empty()) e.Add("/cmd", "must not be an empty string");
  if (app.executor != "" && app.executor != "//cmd") {
    e.Add("/executor", IsExecutorSyntax(app.executor)
                           ? "custom executors are not supported for apps yet: use \"\" or "
                             "\"//cmd\" (the command executor)"
                           : "must fully match regular expression "
                             "'^(//cmd)|(/?[^/]+(/[^/]+)*)|$'");
  }
  if (app.container.has_value()) {
    const Container& c = *app.container;
    if (c.type == "DOCKER") {
      e.Add("/container/type", std::string(kDockerNotSupported));
    } else {
      e.OneOf("/container/type", c.type, {"MESOS", "DOCKER"});
    }
    for (size_t i = 0; i < c.volumes.size(); ++i) {
      std::string p = Item("/container/volumes", i);
      e.NotEmpty(At(p, "containerPath"), c.volumes[i].container_path);
      e.NotEmpty(At(p, "hostPath"), c.volumes[i].host_path);
      e.OneOf(At(p, "mode"), c.volumes[i].mode, {"RO", "RW"});
    }
  }
}

void ValidateResources(const AppDefinition& app, Errors& e) {
  e.AtLeast("/instances", app.instances, 0);
  e.AtLeast("/cpus", app.cpus, 0.001);
  e.AtLeast("/mem", app.mem, 0);
  e.AtLeast("/disk", app.disk, 0);
  if (app.gpus > 0) {
    e.Add("/gpus", "GPU resources are not supported yet");
  } else {
    e.AtLeast("/gpus", app.gpus, 0);
  }
  if (app.resource_limits.has_value()) {
    auto check = [&](const char* key, const std::optional<std::optional<double>>& limit,
                     double request) {
      if (limit.has_value() && limit->has_value() && !(**limit >= request)) {
        e.Add(At("/resourceLimits", key),
              StrCat("must be greater than or equal to ", key, " (", request, ")"));
      }
    };
    check("cpus", app.resource_limits->cpus, app.cpus);
    check("mem", app.resource_limits->mem, app.mem);
  }
  if (app.role.has_value()) e.NotEmpty("/role", *app.role);
  for (size_t i = 0; i < app.accepted_resource_roles.size(); ++i) {
    e.NotEmpty(Item("/acceptedResourceRoles", i), app.accepted_resource_roles[i]);
  }
}

void ValidateStrategies(const AppDefinition& app, Errors& e) {
  e.AtLeast("/backoffSeconds", app.backoff_seconds, 0);
  e.AtLeast("/backoffFactor", app.backoff_factor, 1);
  e.AtLeast("/maxLaunchDelaySeconds", app.max_launch_delay_seconds, 0);
  e.Between("/upgradeStrategy/minimumHealthCapacity", app.upgrade_strategy.minimum_health_capacity,
            0, 1);
  e.Between("/upgradeStrategy/maximumOverCapacity", app.upgrade_strategy.maximum_over_capacity, 0,
            1);
  if (app.upgrade_strategy.rollback_after_failures) {
    e.AtLeast("/upgradeStrategy/rollbackAfterFailures",
              *app.upgrade_strategy.rollback_after_failures, 1);
  }
  const UnreachableStrategy& u = app.unreachable_strategy;
  if (!u.disabled) {
    e.AtLeast("/unreachableStrategy/inactiveAfterSeconds", u.inactive_after_seconds, 0);
    e.AtLeast("/unreachableStrategy/expungeAfterSeconds", u.expunge_after_seconds, 0);
    if (u.inactive_after_seconds > u.expunge_after_seconds) {
      e.Add("/unreachableStrategy/inactiveAfterSeconds",
            "must be less than or equal to expungeAfterSeconds");
    }
  }
  e.OneOf("/killSelection", app.kill_selection, {"YOUNGEST_FIRST", "OLDEST_FIRST"});
  if (app.task_kill_grace_period_seconds.has_value()) {
    e.AtLeast("/taskKillGracePeriodSeconds", *app.task_kill_grace_period_seconds, 0);
  }
  if (app.deployment_progress_deadline_seconds.has_value() &&
      !(*app.deployment_progress_deadline_seconds > 0)) {
    e.Add("/deploymentProgressDeadlineSeconds", "must be greater than 0");
  }
}

void ValidatePorts(const AppDefinition& app, Errors& e) {
  std::set<std::string> names;
  std::set<int> ports;
  bool duplicate_name = false;
  bool duplicate_port = false;
  for (size_t i = 0; i < app.port_definitions.size(); ++i) {
    const PortDefinition& p = app.port_definitions[i];
    std::string path = Item("/portDefinitions", i);
    e.Between(At(path, "port"), p.port, 0, 65535);
    e.OneOf(At(path, "protocol"), p.protocol, {"tcp", "udp", "udp,tcp"});
    if (p.name.has_value()) {
      if (!IsLegacyName(*p.name)) {
        e.Add(At(path, "name"),
              "must fully match regular expression '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'");
      }
      duplicate_name |= !names.insert(*p.name).second;
    }
    if (p.port != 0) duplicate_port |= !ports.insert(p.port).second;
  }
  if (duplicate_name) e.Add("/portDefinitions", "Port names must be unique.");
  if (duplicate_port) e.Add("/portDefinitions", "Ports must be unique.");
}

void ValidateHealthChecks(const AppDefinition& app, Errors& e) {
  int mesos_level = 0;
  int marathon_level = 0;
  const size_t port_count = app.port_definitions.size();
  for (size_t i = 0; i < app.health_checks.size(); ++i) {
    const AppHealthCheck& c = app.health_checks[i];
    std::string path = Item("/healthChecks", i);
    e.OneOf(At(path, "protocol"), c.protocol,
            {"HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"});
    mesos_level += IsMesosLevel(c.protocol) ? 1 : 0;
    marathon_level += IsMarathonLevel(c.protocol) ? 1 : 0;
    if (c.protocol == "COMMAND") {
      if (!c.command.has_value() || c.command->empty()) {
        e.Add(path, "A command is required when using the COMMAND health check protocol.");
      }
    } else {
      const bool index_ok =
          c.port_index.has_value()
              ? *c.port_index >= 0 && static_cast<size_t>(*c.port_index) < port_count
              : c.port.has_value();
      if (!index_ok) {
        e.Add(path,
              "Health check port indices must address an element of the ports array or "
              "container port mappings.");
      }
    }
    if (c.port.has_value()) e.Between(At(path, "port"), *c.port, 0, 65535);
    e.AtLeast(At(path, "gracePeriodSeconds"), c.grace_period_seconds, 0);
    e.AtLeast(At(path, "intervalSeconds"), c.interval_seconds, 0);
    e.AtLeast(At(path, "timeoutSeconds"), c.timeout_seconds, 0);
    e.AtLeast(At(path, "maxConsecutiveFailures"), c.max_consecutive_failures, 0);
    e.AtLeast(At(path, "delaySeconds"), c.delay_seconds, 0);
    if (c.ip_protocol == "IPv6") {
      // Marathon allows IPv6 only for Mesos-level checks of Docker containers.
      e.Add(path,
            "IPv6 can only be used for container type DOCKER and Mesos http/https/tcp "
            "health checks");
    } else {
      e.OneOf(At(path, "ipProtocol"), c.ip_protocol, {"IPv4", "IPv6"});
    }
  }
  if (mesos_level > 1) e.Add("/", "AppDefinition can contain at most one Mesos health check");
  if (mesos_level > 0 && marathon_level > 0) {
    e.Add("/",
          "Marathon health checks (HTTP, HTTPS, TCP) and Mesos health checks (MESOS_HTTP, "
          "MESOS_HTTPS, MESOS_TCP) cannot be mixed");
  }
}

void ValidateReadinessChecks(const AppDefinition& app, Errors& e) {
  if (app.readiness_checks.size() > 1) {
    e.Add("/readinessChecks", "at most one readiness check is allowed");
  }
  for (size_t i = 0; i < app.readiness_checks.size(); ++i) {
    const ReadinessCheck& c = app.readiness_checks[i];
    std::string path = Item("/readinessChecks", i);
    e.NotEmpty(At(path, "name"), c.name);
    e.OneOf(At(path, "protocol"), c.protocol, {"HTTP", "HTTPS"});
    e.NotEmpty(At(path, "path"), c.path);
    bool port_found = false;
    for (const PortDefinition& p : app.port_definitions) port_found |= p.name == c.port_name;
    if (!port_found) {
      e.Add(At(path, "portName"),
            StrCat("No port definition reference for portName ", c.port_name));
    }
    e.AtLeast(At(path, "intervalSeconds"), c.interval_seconds, 0);
    e.AtLeast(At(path, "timeoutSeconds"), c.timeout_seconds, 1);
    if (c.timeout_seconds >= c.interval_seconds) {
      e.Add(At(path, "timeoutSeconds"), "must be less than intervalSeconds");
    }
    if (c.http_status_codes_for_ready.empty()) {
      e.Add(At(path, "httpStatusCodesForReady"), "must not be empty");
    }
    for (size_t j = 0; j < c.http_status_codes_for_ready.size(); ++j) {
      e.Between(Item(At(path, "httpStatusCodesForReady"), j), c.http_status_codes_for_ready[j], 100,
                999);
    }
  }
}

void ValidateFetchAndPlacement(const AppDefinition& app, Errors& e) {
  for (size_t i = 0; i < app.fetch.size(); ++i) {
    std::string path = Item("/fetch", i);
    e.NotEmpty(At(path, "uri"), app.fetch[i].uri);
    if (app.fetch[i].dest_path.has_value())
      e.NotEmpty(At(path, "destPath"), *app.fetch[i].dest_path);
  }
  for (size_t i = 0; i < app.constraints.size(); ++i) {
    for (std::string& error : constraints::MarathonConstraintErrors(app.constraints[i])) {
      e.Add(Item("/constraints", i), std::move(error));
    }
  }
  for (size_t i = 0; i < app.dependencies.size(); ++i) {
    // A dependency may name a group, so the app-only rule (no trailing "tasks", ...) is skipped.
    for (std::string& error : AppIdErrors(app.dependencies[i])) {
      if (!StartsWith(error, "must not end with"))
        e.Add(Item("/dependencies", i), std::move(error));
    }
  }
}

void ValidateLabels(const AppDefinition& app, Errors& e) {
  auto label = [&](std::string_view key) -> const std::string* {
    auto it = app.labels.find(std::string(key));
    return it == app.labels.end() ? nullptr : &it->second;
  };
  const std::string* single = label(kSingleInstanceLabel);
  if (single != nullptr && *single == "true") {
    if (app.instances > 1) e.Add("/", "Single instance app may only have one instance");
    if (app.upgrade_strategy.minimum_health_capacity != 0) {
      e.Add("/upgradeStrategy/minimumHealthCapacity",
            StrCat("must be 0 for a single instance app (label ", kSingleInstanceLabel, ")"));
    }
    if (app.upgrade_strategy.maximum_over_capacity != 0) {
      e.Add("/upgradeStrategy/maximumOverCapacity",
            StrCat("must be 0 for a single instance app (label ", kSingleInstanceLabel, ")"));
    }
  }
  // The executor's contract travels in TaskInfo labels under "atoll." (health, readiness,
  // lifecycle); an app's own labels go there too, so they must not pose as it.
  for (const auto& [key, value] : app.labels) {
    if (key.starts_with("atoll.")) {
      e.Add(StrCat("/labels/", key),
            "label keys starting with 'atoll.' are reserved for the labels Atoll gives tasks");
    }
  }
  std::vector<LifecycleLabelError> lifecycle;
  AppLifecycleOf(app, &lifecycle);
  for (LifecycleLabelError& error : lifecycle) {
    e.Add(StrCat("/labels/", error.label), std::move(error.message));
  }
  const std::string* migration = label("DCOS_MIGRATION_API_VERSION");
  if (migration != nullptr && !migration->empty()) {
    const std::string* framework = label("DCOS_PACKAGE_FRAMEWORK_NAME");
    const std::string* api_path = label("DCOS_MIGRATION_API_PATH");
    if (*migration != "v1" || framework == nullptr || framework->empty() || api_path == nullptr ||
        api_path->empty()) {
      e.Add("/",
            "DCOS_PACKAGE_FRAMEWORK_NAME and DCOS_MIGRATION_API_PATH must be defined when "
            "using DCOS_MIGRATION_API_VERSION");
    }
  }
}

}  // namespace

std::vector<FieldError> ValidateApp(const AppDefinition& app) {
  Errors e;
  for (std::string& error : AppIdErrors(app.id)) e.Add("/id", std::move(error));
  ValidateCommand(app, e);
  ValidateResources(app, e);
  ValidateStrategies(app, e);
  ValidatePorts(app, e);
  ValidateHealthChecks(app, e);
  ValidateReadinessChecks(app, e);
  ValidateFetchAndPlacement(app, e);
  ValidateLabels(app, e);
  return e.Take();
}

ApiOr<AppDefinition> ParseValidApp(std::string_view json, const AppReadOptions& options) {
  ApiOr<AppRead> read = ReadApp(json, options);
  if (!read.ok()) return read.error();
  std::vector<FieldError> errors = std::move(read->refusals);
  MergeFieldErrors(&errors, ValidateApp(read->app));
  if (!errors.empty()) return ApiError::InvalidObject(std::move(errors));
  return std::move(read->app);
}

}  // namespace atl::marathonlike
