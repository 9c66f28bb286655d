// Reading Marathon app JSON (app_json.h). Writing is in app_json_write.cc.
#include "marathonlike/app_json.h"

#include <utility>

#include "core/api/json_internal.h"
#include "core/base/strings.h"
#include "marathonlike/app_json_internal.h"
#include "marathonlike/json_reader.h"
#include "marathonlike/path_id.h"

namespace atl::marathonlike {

using api::JsonNode;
using internal::CanonicalName;
using internal::ChildPath;
using internal::IndexPath;
using internal::JsonReader;

namespace {

// Marathon's FetchUri.isExtract: archives the Mesos fetcher unpacks.
bool IsArchive(std::string_view uri) {
  for (std::string_view suffix :
       {".tgz", ".tar.gz", ".tbz2", ".tar.bz2", ".txz", ".tar.xz", ".zip"}) {
    if (uri.ends_with(suffix)) return true;
  }
  return false;
}

bool IsHttpFamily(std::string_view protocol) {
  return protocol == "HTTP" || protocol == "HTTPS" || protocol == "MESOS_HTTP" ||
         protocol == "MESOS_HTTPS";
}

// Calls fn(element, element_path) for each element of the array member `key`, if it is set and
// an array. Returns whether the member was set.
template <typename Fn>
bool ForEachElement(JsonReader& r, const JsonNode& obj, std::string_view path, std::string_view key,
                    Fn fn) {
  JsonNode n = obj.Get(key);
  if (n.IsUnset()) return false;
  std::string array_path = ChildPath(path, key);
  if (!r.ExpectArray(n, array_path)) return true;
  for (size_t i = 0; i < n.Size(); ++i) fn(n.At(i), IndexPath(array_path, i));
  return true;
}

void ReadPortDefinition(JsonReader& r, const JsonNode& n, std::string_view path,
                        PortDefinition* out) {
  if (!r.ExpectObject(n, path)) return;
  r.OptInt32(n, path, "port", &out->port);
  if (r.OptString(n, path, "protocol", &out->protocol)) {
    out->protocol = CanonicalName(out->protocol, {"tcp", "udp", "udp,tcp"});
  }
  r.OptString(n, path, "name", &out->name);
  if (JsonNode labels = n.Get("labels"); !labels.IsUnset()) {
    r.StringMap(labels, ChildPath(path, "labels"), &out->labels);
  }
}

void ReadArtifact(JsonReader& r, const JsonNode& n, std::string_view path, Artifact* out) {
  if (!r.ExpectObject(n, path)) return;
  if (n.Get("uri").IsUnset()) r.Invalid(ChildPath(path, "uri"), "error.path.missing");
  r.OptString(n, path, "uri", &out->uri);
  r.OptBool(n, path, "extract", &out->extract);
  r.OptBool(n, path, "executable", &out->executable);
  r.OptBool(n, path, "cache", &out->cache);
  r.OptString(n, path, "destPath", &out->dest_path);
}

void ReadHealthCheck(JsonReader& r, const JsonNode& n, std::string_view path, AppHealthCheck* out) {
  if (!r.ExpectObject(n, path)) return;
  if (r.OptString(n, path, "protocol", &out->protocol)) {
    out->protocol = CanonicalName(out->protocol, {"HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_HTTP",
                                                  "MESOS_HTTPS", "MESOS_TCP"});
  }
  r.OptString(n, path, "path", &out->path);
  r.OptInt32(n, path, "portIndex", &out->port_index);
  r.OptInt32(n, path, "port", &out->port);
  if (JsonNode command = n.Get("command"); !command.IsUnset()) {
    std::string command_path = ChildPath(path, "command");
    if (r.ExpectObject(command, command_path)) {
      if (command.Get("value").IsUnset()) {
        r.Invalid(ChildPath(command_path, "value"), "error.path.missing");
      }
      r.OptString(command, command_path, "value", &out->command);
    }
  }
  r.OptInt32(n, path, "gracePeriodSeconds", &out->grace_period_seconds);
  r.OptInt32(n, path, "intervalSeconds", &out->interval_seconds);
  r.OptInt32(n, path, "timeoutSeconds", &out->timeout_seconds);
  r.OptInt32(n, path, "maxConsecutiveFailures", &out->max_consecutive_failures);
  r.OptInt32(n, path, "delaySeconds", &out->delay_seconds);
  r.OptBool(n, path, "ignoreHttp1xx", &out->ignore_http1xx);
  if (r.OptString(n, path, "ipProtocol", &out->ip_protocol)) {
    out->ip_protocol = CanonicalName(out->ip_protocol, {"IPv4", "IPv6"});
  }
}

void ReadReadinessCheck(JsonReader& r, const JsonNode& n, std::string_view path,
                        ReadinessCheck* out) {
  if (!r.ExpectObject(n, path)) return;
  r.OptString(n, path, "name", &out->name);
  if (r.OptString(n, path, "protocol", &out->protocol)) {
    out->protocol = CanonicalName(out->protocol, {"HTTP", "HTTPS"});
  }
  r.OptString(n, path, "path", &out->path);
  r.OptString(n, path, "portName", &out->port_name);
  r.OptInt32(n, path, "intervalSeconds", &out->interval_seconds);
  r.OptInt32(n, path, "timeoutSeconds", &out->timeout_seconds);
  std::vector<int> codes;
  ForEachElement(r, n, path, "httpStatusCodesForReady", [&](const JsonNode& e, std::string p) {
    int code = 0;
    if (r.Int32(e, p, &code)) codes.push_back(code);
  });
  // Marathon's normalizeReadinessCheck: an empty list means the default [200].
  out->http_status_codes_for_ready = codes.empty() ? std::vector<int>{200} : codes;
  r.OptBool(n, path, "preserveLastResponse", &out->preserve_last_response);
}

void ReadUpgradeStrategy(JsonReader& r, const JsonNode& n, std::string_view path,
                         UpgradeStrategy* out) {
  if (!r.ExpectObject(n, path)) return;
  *out = UpgradeStrategy{};  // a member left out takes its default, not the stored value
  r.OptDouble(n, path, "minimumHealthCapacity", &out->minimum_health_capacity);
  r.OptDouble(n, path, "maximumOverCapacity", &out->maximum_over_capacity);
  r.OptInt32(n, path, "rollbackAfterFailures", &out->rollback_after_failures);
}

void ReadUnreachableStrategy(JsonReader& r, const JsonNode& n, std::string_view path,
                             UnreachableStrategy* out) {
  if (n.IsString()) {
    std::string value;
    if (!r.String(n, path, &value)) return;
    if (CanonicalName(value, {"disabled"}) != "disabled") {
      r.Invalid(path, "error.unknown.enum.literal");
      return;
    }
    *out = UnreachableStrategy{};
    out->disabled = true;
    return;
  }
  if (!r.ExpectObject(n, path)) return;
  *out = UnreachableStrategy{};
  // RAML says int64; read as numbers so the model's doubles always write back unchanged.
  r.OptDouble(n, path, "inactiveAfterSeconds", &out->inactive_after_seconds);
  r.OptDouble(n, path, "expungeAfterSeconds", &out->expunge_after_seconds);
}

// A resource limit: a number, or "unlimited" (engaged, empty).
void ReadResourceLimit(JsonReader& r, const JsonNode& obj, std::string_view path,
                       std::string_view key, std::optional<std::optional<double>>* out) {
  JsonNode n = obj.Get(key);
  if (n.IsUnset()) return;
  std::string p = ChildPath(path, key);
  if (n.IsString()) {
    std::string value;
    if (!r.String(n, p, &value)) return;
    if (CanonicalName(value, {"unlimited"}) != "unlimited") {
      r.Invalid(p, "error.unknown.enum.literal");
      return;
    }
    *out = std::optional<double>();
    return;
  }
  double value;
  if (r.Double(n, p, &value)) *out = std::optional<double>(value);
}

void ReadVolume(JsonReader& r, const JsonNode& n, std::string_view path,
                std::vector<HostVolume>* out) {
  if (!r.ExpectObject(n, path)) return;
  if (!n.Get("persistent").IsUnset()) {
    r.Refuse(ChildPath(path, "persistent"), "persistent volumes are not supported yet");
    return;
  }
  if (!n.Get("external").IsUnset()) {
    r.Refuse(ChildPath(path, "external"), "external volumes are not supported yet");
    return;
  }
  if (!n.Get("secret").IsUnset()) {
    r.Refuse(ChildPath(path, "secret"), "secret volumes are not supported yet");
    return;
  }
  HostVolume volume;
  for (std::string_view key : {"containerPath", "hostPath"}) {
    if (n.Get(key).IsUnset()) r.Invalid(ChildPath(path, key), "error.path.missing");
  }
  r.OptString(n, path, "containerPath", &volume.container_path);
  r.OptString(n, path, "hostPath", &volume.host_path);
  if (r.OptString(n, path, "mode", &volume.mode)) {
    volume.mode = CanonicalName(volume.mode, {"RO", "RW"});
  }
  out->push_back(std::move(volume));
}

void ReadContainer(JsonReader& r, const JsonNode& n, std::string_view path, Container* out) {
  if (!r.ExpectObject(n, path)) return;
  *out = Container{};
  out->type = "DOCKER";  // the RAML default when a container names no type
  if (r.OptString(n, path, "type", &out->type)) {
    out->type = CanonicalName(out->type, {"MESOS", "DOCKER"});
  }
  // With type DOCKER the validator refuses the whole container; here only what a Mesos
  // container could carry but we cannot.
  if (!n.Get("docker").IsUnset() && out->type != "DOCKER") {
    r.Refuse(ChildPath(path, "docker"),
             "Docker images are not supported yet: use a command (cmd/args) app");
  }
  if (!n.Get("appc").IsUnset()) {
    r.Refuse(ChildPath(path, "appc"), "AppC images are not supported yet");
  }
  if (!n.Get("linuxInfo").IsUnset()) {
    r.Refuse(ChildPath(path, "linuxInfo"), "linuxInfo is not supported yet");
  }
  if (JsonNode mappings = n.Get("portMappings"); !mappings.IsUnset()) {
    std::string p = ChildPath(path, "portMappings");
    if (r.ExpectArray(mappings, p) && mappings.Size() > 0) {
      r.Refuse(p, "portMappings are not allowed with host-networking");
    }
  }
  ForEachElement(r, n, path, "volumes",
                 [&](const JsonNode& e, std::string p) { ReadVolume(r, e, p, &out->volumes); });
}

void ReadEnv(JsonReader& r, const JsonNode& n, std::string_view path,
             std::map<std::string, std::string>* out) {
  if (!r.ExpectObject(n, path)) return;
  out->clear();
  (void)n.ForEachMember([&](std::string_view key, const JsonNode& value) {
    std::string p = ChildPath(path, key);
    if (value.IsObject() && !value.Get("secret").IsUnset()) {
      r.Refuse(p, "secret references are not supported yet");
    } else {
      std::string s;
      if (r.String(value, p, &s)) out->emplace(std::string(key), std::move(s));
    }
    return absl::OkStatus();
  });
}

void ReadConstraints(JsonReader& r, const JsonNode& n, std::string_view path,
                     std::vector<std::vector<std::string>>* out) {
  if (!r.ExpectArray(n, path)) return;
  out->clear();
  for (size_t i = 0; i < n.Size(); ++i) {
    std::vector<std::string> constraint;
    if (!r.StringArray(n.At(i), IndexPath(path, i), &constraint)) continue;
    // Marathon matches the operator ignoring case and stores it upper-case.
    if (constraint.size() >= 2) {
      constraint[1] = CanonicalName(
          constraint[1], {"UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER", "IS"});
    }
    out->push_back(std::move(constraint));
  }
}

// The refusals of members the model cannot hold.
void RefuseUnsupported(JsonReader& r, const JsonNode& n, std::string_view path) {
  ForEachElement(r, n, path, "networks", [&](const JsonNode& e, std::string p) {
    if (!r.ExpectObject(e, p)) return;
    std::string mode = "container";  // the RAML default
    r.OptString(e, p, "mode", &mode);
    if (CanonicalName(mode, {"host"}) != "host") {
      r.Refuse(ChildPath(p, "mode"),
               "container networking is not supported yet: apps use host networking");
    }
  });
  if (!n.Get("ipAddress").IsUnset()) {
    r.Refuse(ChildPath(path, "ipAddress"),
             "ipAddress (IP per task) is not supported yet: apps use host networking");
  }
  if (JsonNode secrets = n.Get("secrets"); !secrets.IsUnset()) {
    std::string p = ChildPath(path, "secrets");
    bool any = false;
    if (r.ExpectObject(secrets, p)) {
      (void)secrets.ForEachMember([&](std::string_view, const JsonNode&) {
        any = true;
        return absl::OkStatus();
      });
    }
    if (any) r.Refuse(p, "secrets are not supported yet");
  }
  if (!n.Get("check").IsUnset()) {
    r.Refuse(ChildPath(path, "check"), "Mesos checks are not supported yet: use healthChecks");
  }
  bool tty = false;
  if (r.OptBool(n, path, "tty", &tty) && tty) {
    r.Refuse(ChildPath(path, "tty"), "tty is not supported yet");
  }
  if (!n.Get("residency").IsUnset()) {
    r.Refuse(ChildPath(path, "residency"),
             "resident apps (persistent volumes) are not supported yet");
  }
  if (!n.Get("executorResources").IsUnset()) {
    r.Refuse(ChildPath(path, "executorResources"),
             "executorResources is not supported for apps yet");
  }
}

void ReadId(JsonReader& r, const JsonNode& n, std::string_view path,
            const internal::AppReadContext& ctx, AppDefinition* app,
            internal::AppObjectInfo* info) {
  const AppReadOptions& options = ctx.options;
  std::string id_path = ChildPath(path, "id");
  JsonNode id = n.Get("id");
  if (id.IsUnset()) {
    if (options.app_id.has_value()) {
      app->id = *options.app_id;
    } else if (ctx.full) {
      r.Invalid(id_path, "error.path.missing");
    }
    return;
  }
  std::string raw;
  if (!r.String(id, id_path, &raw)) return;
  info->id_given = true;
  std::optional<PathId> resolved = ResolvePath(raw, options.base_group);
  if (!resolved.has_value()) {
    app->id = raw;
    r.Refuse(id_path, StrCat("'", raw, "' climbs above the root group"));
    return;
  }
  app->id = *resolved;
  if (options.app_id.has_value() && *resolved != *options.app_id) {
    r.Refuse(id_path,
             StrCat("'", raw, "' does not name the app of the URL (", *options.app_id, ")"));
  }
}

void ReadDependencies(JsonReader& r, const JsonNode& n, std::string_view path, const PathId& base,
                      std::vector<PathId>* out) {
  std::vector<std::string> raw;
  if (!r.StringArray(n, path, &raw)) return;
  out->clear();
  for (size_t i = 0; i < raw.size(); ++i) {
    std::optional<PathId> resolved = ResolvePath(raw[i], base);
    if (!resolved.has_value()) {
      r.Refuse(IndexPath(path, i), StrCat("'", raw[i], "' climbs above the root group"));
      continue;
    }
    out->push_back(*resolved);
  }
}

}  // namespace

namespace internal {

void ReadAppObject(JsonReader& r, const JsonNode& n, std::string_view path,
                   const AppReadContext& ctx, AppDefinition* app, AppObjectInfo* info) {
  if (!r.ExpectObject(n, path)) return;
  ReadId(r, n, path, ctx, app, info);
  std::set<std::string>& present = info->present;
  auto mark = [&](bool set, const char* name) {
    if (set) present.insert(name);
  };
  // Member present and not null: the field is being set (type errors are reported anyway).
  auto has = [&](std::string_view key) { return !n.Get(key).IsUnset(); };
  auto at = [&](std::string_view key) { return ChildPath(path, key); };

  mark(r.OptString(n, path, "cmd", &app->cmd), "cmd");
  if (has("args")) {
    std::vector<std::string> args;
    if (r.StringArray(n.Get("args"), at("args"), &args)) app->args = std::move(args);
    present.insert("args");
  }
  mark(r.OptString(n, path, "user", &app->user), "user");
  if (has("env")) {
    ReadEnv(r, n.Get("env"), at("env"), &app->env);
    present.insert("env");
  }
  mark(r.OptInt32(n, path, "instances", &app->instances), "instances");
  mark(r.OptDouble(n, path, "cpus", &app->cpus), "cpus");
  mark(r.OptDouble(n, path, "mem", &app->mem), "mem");
  mark(r.OptDouble(n, path, "disk", &app->disk), "disk");
  mark(r.OptInt32(n, path, "gpus", &app->gpus), "gpus");
  if (JsonNode limits = n.Get("resourceLimits"); !limits.IsUnset()) {
    ResourceLimits value;
    if (r.ExpectObject(limits, at("resourceLimits"))) {
      ReadResourceLimit(r, limits, at("resourceLimits"), "cpus", &value.cpus);
      ReadResourceLimit(r, limits, at("resourceLimits"), "mem", &value.mem);
    }
    app->resource_limits = value;
    present.insert("resourceLimits");
  }
  mark(r.OptString(n, path, "executor", &app->executor), "executor");
  if (has("constraints")) {
    ReadConstraints(r, n.Get("constraints"), at("constraints"), &app->constraints);
    present.insert("constraints");
  }
  if (has("acceptedResourceRoles")) {
    std::vector<std::string> roles;
    if (r.StringArray(n.Get("acceptedResourceRoles"), at("acceptedResourceRoles"), &roles)) {
      // The model cannot tell [] from "not given", and Marathon refuses [].
      if (roles.empty()) r.Refuse(at("acceptedResourceRoles"), "must not be empty");
      app->accepted_resource_roles = std::move(roles);
    }
    present.insert("acceptedResourceRoles");
  }
  mark(r.OptString(n, path, "role", &app->role), "role");
  if (has("labels")) {
    r.StringMap(n.Get("labels"), at("labels"), &app->labels);
    present.insert("labels");
  }

  // fetch, and the deprecated uris.
  std::optional<std::vector<Artifact>> fetch;
  if (ForEachElement(r, n, path, "fetch", [&](const JsonNode& e, std::string p) {
        if (!fetch.has_value()) fetch.emplace();
        Artifact artifact;
        ReadArtifact(r, e, p, &artifact);
        fetch->push_back(std::move(artifact));
      })) {
    if (!fetch.has_value()) fetch.emplace();
  }
  std::vector<std::string> uris;
  if (has("uris")) r.StringArray(n.Get("uris"), at("uris"), &uris);
  if (!uris.empty()) {
    if (fetch.has_value() && !fetch->empty()) {
      r.Refuse(at("uris"), "may not be set in conjunction with fetch");
    } else {
      fetch.emplace();
      for (const std::string& uri : uris) {
        Artifact artifact;
        artifact.uri = uri;
        artifact.extract = IsArchive(uri);
        fetch->push_back(std::move(artifact));
      }
    }
  }
  if (fetch.has_value()) {
    app->fetch = std::move(*fetch);
    present.insert("fetch");
  }

  // portDefinitions, and the deprecated ports.
  std::optional<std::vector<PortDefinition>> port_definitions;
  if (ForEachElement(r, n, path, "portDefinitions", [&](const JsonNode& e, std::string p) {
        if (!port_definitions.has_value()) port_definitions.emplace();
        PortDefinition definition;
        ReadPortDefinition(r, e, p, &definition);
        port_definitions->push_back(std::move(definition));
      })) {
    if (!port_definitions.has_value()) port_definitions.emplace();
  }
  std::optional<std::vector<int>> ports;
  if (ForEachElement(r, n, path, "ports", [&](const JsonNode& e, std::string p) {
        if (!ports.has_value()) ports.emplace();
        int port = 0;
        if (r.Int32(e, p, &port)) ports->push_back(port);
      })) {
    if (!ports.has_value()) ports.emplace();
  }
  if (ports.has_value() && port_definitions.has_value()) {
    std::vector<int> defined;
    for (const PortDefinition& d : *port_definitions) defined.push_back(d.port);
    if (defined != *ports) r.Refuse(path, "cannot specify both ports and port definitions");
  } else if (ports.has_value()) {
    port_definitions.emplace();
    for (int port : *ports) {
      PortDefinition definition;
      definition.port = port;
      port_definitions->push_back(std::move(definition));
    }
  }
  if (port_definitions.has_value()) {
    app->port_definitions = std::move(*port_definitions);
    present.insert("portDefinitions");
  }

  mark(r.OptBool(n, path, "requirePorts", &app->require_ports), "requirePorts");
  int seconds = 0;
  if (r.OptInt32(n, path, "backoffSeconds", &seconds)) {
    app->backoff_seconds = seconds;
    present.insert("backoffSeconds");
  }
  mark(r.OptDouble(n, path, "backoffFactor", &app->backoff_factor), "backoffFactor");
  if (r.OptInt32(n, path, "maxLaunchDelaySeconds", &seconds)) {
    app->max_launch_delay_seconds = seconds;
    present.insert("maxLaunchDelaySeconds");
  }
  if (has("upgradeStrategy")) {
    ReadUpgradeStrategy(r, n.Get("upgradeStrategy"), at("upgradeStrategy"), &app->upgrade_strategy);
    present.insert("upgradeStrategy");
  }
  if (has("unreachableStrategy")) {
    ReadUnreachableStrategy(r, n.Get("unreachableStrategy"), at("unreachableStrategy"),
                            &app->unreachable_strategy);
    present.insert("unreachableStrategy");
  }
  if (r.OptString(n, path, "killSelection", &app->kill_selection)) {
    app->kill_selection = CanonicalName(app->kill_selection, {"YOUNGEST_FIRST", "OLDEST_FIRST"});
    present.insert("killSelection");
  }
  std::vector<AppHealthCheck> health_checks;
  if (ForEachElement(r, n, path, "healthChecks", [&](const JsonNode& e, std::string p) {
        AppHealthCheck check;
        ReadHealthCheck(r, e, p, &check);
        health_checks.push_back(std::move(check));
      })) {
    app->health_checks = std::move(health_checks);
    present.insert("healthChecks");
  }
  std::vector<ReadinessCheck> readiness_checks;
  if (ForEachElement(r, n, path, "readinessChecks", [&](const JsonNode& e, std::string p) {
        ReadinessCheck check;
        ReadReadinessCheck(r, e, p, &check);
        readiness_checks.push_back(std::move(check));
      })) {
    app->readiness_checks = std::move(readiness_checks);
    present.insert("readinessChecks");
  }
  if (has("dependencies")) {
    const bool id_known = info->id_given || ctx.options.app_id.has_value();
    const PathId& base =
        ctx.dependencies_relative_to_group || !id_known ? ctx.options.base_group : app->id;
    ReadDependencies(r, n.Get("dependencies"), at("dependencies"), base, &app->dependencies);
    present.insert("dependencies");
  }
  mark(r.OptInt32(n, path, "taskKillGracePeriodSeconds", &app->task_kill_grace_period_seconds),
       "taskKillGracePeriodSeconds");
  if (has("container")) {
    Container container;
    ReadContainer(r, n.Get("container"), at("container"), &container);
    app->container = std::move(container);
    present.insert("container");
  }
  double deadline = 0;
  if (r.OptDouble(n, path, "deploymentProgressDeadlineSeconds", &deadline)) {
    app->deployment_progress_deadline_seconds = deadline;
    present.insert("deploymentProgressDeadlineSeconds");
  }
  RefuseUnsupported(r, n, path);

  if (ctx.options.read_version) {
    if (has("version")) r.Timestamp(n.Get("version"), at("version"), &app->version);
    if (JsonNode vi = n.Get("versionInfo");
        !vi.IsUnset() && r.ExpectObject(vi, at("versionInfo"))) {
      if (!vi.Get("lastScalingAt").IsUnset()) {
        r.Timestamp(vi.Get("lastScalingAt"), ChildPath(at("versionInfo"), "lastScalingAt"),
                    &app->version_info.last_scaling_at);
      }
      if (!vi.Get("lastConfigChangeAt").IsUnset()) {
        r.Timestamp(vi.Get("lastConfigChangeAt"),
                    ChildPath(at("versionInfo"), "lastConfigChangeAt"),
                    &app->version_info.last_config_change_at);
      }
    }
  } else if (!ctx.full && has("version")) {
    Timestamp version;
    if (r.Timestamp(n.Get("version"), at("version"), &version)) info->version = version;
  }
  // A patch is normalized once merged (AppPatch::ApplyTo): its checks may use stored ports.
  if (ctx.full) NormalizeApp(app);
}

}  // namespace internal

void NormalizeApp(AppDefinition* app) {
  for (AppHealthCheck& check : app->health_checks) {
    // Marathon's normalizeHealthChecks: a check that names no port uses the first one.
    if (check.protocol != "COMMAND" && !check.port.has_value() && !check.port_index.has_value() &&
        !app->port_definitions.empty()) {
      check.port_index = 0;
    }
    // Marathon's health check types have no such fields for these protocols; resetting them
    // keeps what we store equal to what we write.
    if (!IsHttpFamily(check.protocol)) check.path = AppHealthCheck{}.path;
    if (check.protocol != "HTTP" && check.protocol != "HTTPS") check.ignore_http1xx = false;
    if (check.protocol != "COMMAND") check.command.reset();
  }
}

namespace {

struct ReadResult {
  AppDefinition app;
  internal::AppObjectInfo info;
  internal::JsonReader reader;
};

// Parses `json` and reads it as one app: a 400 for syntax or type errors; refusals stay in the
// returned reader.
ApiOr<ReadResult> ReadDocument(std::string_view json, const internal::AppReadContext& ctx) {
  ReadResult result;
  absl::Status status = api::ParseJsonDocument(json, "", [&](const JsonNode& root) {
    internal::ReadAppObject(result.reader, root, "", ctx, &result.app, &result.info);
    return absl::OkStatus();
  });
  if (!status.ok()) return ApiError::MalformedJson(std::string(status.message()));
  if (result.reader.has_invalid()) return ApiError::InvalidJson(result.reader.invalid());
  return result;
}

}  // namespace

ApiOr<AppRead> ReadApp(std::string_view json, const AppReadOptions& options) {
  internal::AppReadContext ctx;
  ctx.options = options;
  ApiOr<ReadResult> read = ReadDocument(json, ctx);
  if (!read.ok()) return read.error();
  return AppRead{std::move(read->app), read->reader.refusals()};
}

ApiOr<AppDefinition> ParseApp(std::string_view json, const AppReadOptions& options) {
  ApiOr<AppRead> read = ReadApp(json, options);
  if (!read.ok()) return read.error();
  if (!read->refusals.empty()) return ApiError::InvalidObject(std::move(read->refusals));
  return std::move(read->app);
}

ApiOr<AppPatch> ParseAppPatch(std::string_view json, const AppReadOptions& options) {
  internal::AppReadContext ctx;
  ctx.options = options;
  ctx.full = false;
  ApiOr<ReadResult> read = ReadDocument(json, ctx);
  if (!read.ok()) return read.error();
  std::vector<FieldError> refusals = read->reader.refusals();
  if (read->info.version.has_value() && !read->info.present.empty()) {
    AddFieldError(&refusals, "/", "The 'version' field may only be combined with the 'id' field.");
  }
  if (!refusals.empty()) return ApiError::InvalidObject(std::move(refusals));
  return AppPatch{std::move(read->app), std::move(read->info.present), read->info.version};
}

AppDefinition AppPatch::ApplyTo(AppDefinition base) const {
  auto set = [&](const char* name) { return present.count(name) > 0; };
  const AppDefinition& f = fields;
  // Marathon replaces cmd and args independently; switching from one to the other would then
  // always fail validation with both set, so setting one alone clears the other.
  if (set("cmd")) {
    base.cmd = f.cmd;
    if (!set("args")) base.args.reset();
  }
  if (set("args")) {
    base.args = f.args;
    if (!set("cmd")) base.cmd.reset();
  }
  if (set("user")) base.user = f.user;
  if (set("env")) base.env = f.env;
  if (set("instances")) base.instances = f.instances;
  if (set("cpus")) base.cpus = f.cpus;
  if (set("mem")) base.mem = f.mem;
  if (set("disk")) base.disk = f.disk;
  if (set("gpus")) base.gpus = f.gpus;
  if (set("resourceLimits")) base.resource_limits = f.resource_limits;
  if (set("executor")) base.executor = f.executor;
  if (set("constraints")) base.constraints = f.constraints;
  if (set("acceptedResourceRoles")) base.accepted_resource_roles = f.accepted_resource_roles;
  if (set("role")) base.role = f.role;
  if (set("labels")) base.labels = f.labels;
  if (set("fetch")) base.fetch = f.fetch;
  if (set("portDefinitions")) base.port_definitions = f.port_definitions;
  if (set("requirePorts")) base.require_ports = f.require_ports;
  if (set("backoffSeconds")) base.backoff_seconds = f.backoff_seconds;
  if (set("backoffFactor")) base.backoff_factor = f.backoff_factor;
  if (set("maxLaunchDelaySeconds")) base.max_launch_delay_seconds = f.max_launch_delay_seconds;
  if (set("upgradeStrategy")) base.upgrade_strategy = f.upgrade_strategy;
  if (set("unreachableStrategy")) base.unreachable_strategy = f.unreachable_strategy;
  if (set("killSelection")) base.kill_selection = f.kill_selection;
  if (set("healthChecks")) base.health_checks = f.health_checks;
  if (set("readinessChecks")) base.readiness_checks = f.readiness_checks;
  if (set("dependencies")) base.dependencies = f.dependencies;
  if (set("taskKillGracePeriodSeconds")) {
    base.task_kill_grace_period_seconds = f.task_kill_grace_period_seconds;
  }
  if (set("container")) base.container = f.container;
  if (set("deploymentProgressDeadlineSeconds")) {
    base.deployment_progress_deadline_seconds = f.deployment_progress_deadline_seconds;
  }
  NormalizeApp(&base);
  return base;
}

}  // namespace atl::marathonlike
