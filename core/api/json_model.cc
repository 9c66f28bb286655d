// json_model.h, part 2: framework, master and agent infos, tasks, statuses, offers and
// operations. (Resources, attributes and labels are in json_resources.cc.)
#include "core/api/json_model.h"

#include <string>
#include <vector>

#include "core/api/json_internal.h"
#include "core/api/json_values.h"
#include "core/base/strings.h"

namespace atl::api {
namespace {

using model::FrameworkCapability;

// ---- small shapes ----

// Ports are int32 in Mesos's Address and uint32 elsewhere; only TCP ports make sense.
absl::Status ReadPort(const JsonNode& n, int* out) {
  int32_t port;
  RETURN_IF_ERROR(ReadInt32(n, &port));
  if (port < 0 || port > 65535) return n.Error(atl::StrCat(port, " is not a TCP port"));
  *out = port;
  return absl::OkStatus();
}

void WriteAddress(JsonWriter& w, const model::Address& address) {
  w.StartObject();
  if (!address.hostname.empty()) w.Key("hostname").String(address.hostname);
  if (!address.ip.empty()) w.Key("ip").String(address.ip);
  w.Key("port").Int(address.port);
  w.EndObject();
}

absl::Status ReadAddress(const JsonNode& n, model::Address* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Opt(n, "hostname", &out->hostname));
  RETURN_IF_ERROR(Opt(n, "ip", &out->ip));
  return Req(n, "port", &out->port, ReadPort);
}

// {"name": ...} (RegionInfo, ZoneInfo).
absl::Status ReadNamed(const JsonNode& n, std::string* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Req(n, "name", out);
}

// [{"type": NAME}, ...]: capability lists; entries without a type are skipped.
absl::Status ReadTypeList(const JsonNode& obj, std::string_view key,
                          std::vector<std::string>* out) {
  JsonNode list = obj.Get(key);
  if (list.IsUnset()) return absl::OkStatus();
  RETURN_IF_ERROR(list.ExpectArray());
  for (size_t i = 0; i < list.Size(); ++i) {
    JsonNode item = list.At(i);
    RETURN_IF_ERROR(item.ExpectObject());
    std::string type;
    RETURN_IF_ERROR(Opt(item, "type", &type));
    if (!type.empty()) out->push_back(std::move(type));
  }
  return absl::OkStatus();
}

void WriteTypeList(JsonWriter& w, std::string_view key,
                   const std::vector<std::string_view>& types) {
  if (types.empty()) return;
  w.Key(key).StartArray();
  for (std::string_view type : types) w.StartObject().Key("type").String(type).EndObject();
  w.EndArray();
}

// ---- FrameworkInfo.offer_filters ----

// ResourceQuantities: {"quantities": {"cpus": {"value": 1}, ...}}.
absl::Status ReadResourceQuantities(const JsonNode& n, model::Resources* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  JsonNode quantities = n.Get("quantities");
  if (quantities.IsUnset()) return absl::OkStatus();
  return quantities.ForEachMember([&](std::string_view name, const JsonNode& value) {
    model::Scalar scalar;
    RETURN_IF_ERROR(ReadScalarValue(value, /*non_negative=*/true, &scalar));
    out->Add(model::Resource::MakeScalar(std::string(name), scalar));
    return absl::OkStatus();
  });
}

// OfferFilters: {"min_allocatable_resources": {"quantities": [ResourceQuantities, ...]}}.
absl::Status ReadOfferFilters(const JsonNode& n, std::vector<model::Resources>* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  JsonNode min = n.Get("min_allocatable_resources");
  if (min.IsUnset()) return absl::OkStatus();
  RETURN_IF_ERROR(min.ExpectObject());
  return Array(min, "quantities", out, ReadResourceQuantities);
}

void WriteOfferFilters(JsonWriter& w, const std::vector<model::Resources>& alternatives) {
  w.StartObject();
  if (!alternatives.empty()) {
    w.Key("min_allocatable_resources").StartObject().Key("quantities").StartArray();
    for (const model::Resources& quantities : alternatives) {
      w.StartObject().Key("quantities").StartObject();
      const model::Resources scalars = quantities.ScalarQuantities();
      for (const model::Resource& r : scalars.items()) {
        w.Key(r.name);
        WriteScalarValue(w, r.scalar);
      }
      w.EndObject().EndObject();
    }
    w.EndArray().EndObject();
  }
  w.EndObject();
}

// ---- command, container, health check, discovery ----

absl::Status ReadUri(const JsonNode& n, model::CommandUri* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "value", &out->value));
  RETURN_IF_ERROR(Opt(n, "executable", &out->executable));
  RETURN_IF_ERROR(Opt(n, "extract", &out->extract));
  RETURN_IF_ERROR(Opt(n, "cache", &out->cache));
  return Opt(n, "output_file", &out->output_file);
}

absl::Status ReadVariable(const JsonNode& n, model::Environment::Variable* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "name", &out->name));
  return Opt(n, "value", &out->value);
}

absl::Status ReadEnvironment(const JsonNode& n, model::Environment* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Array(n, "variables", &out->variables, ReadVariable);
}

std::optional<model::HealthCheck::Type> ParseHealthCheckType(std::string_view name) {
  using Type = model::HealthCheck::Type;
  if (name == "UNKNOWN") return Type::kUnknown;
  if (name == "COMMAND") return Type::kCommand;
  if (name == "HTTP") return Type::kHttp;
  if (name == "TCP") return Type::kTcp;
  return std::nullopt;
}

std::string_view HealthCheckTypeName(model::HealthCheck::Type type) {
  switch (type) {
    case model::HealthCheck::Type::kUnknown:
      return "UNKNOWN";
    case model::HealthCheck::Type::kCommand:
      return "COMMAND";
    case model::HealthCheck::Type::kHttp:
      return "HTTP";
    case model::HealthCheck::Type::kTcp:
      return "TCP";
  }
  return "UNKNOWN";
}

absl::Status ReadHttpCheck(const JsonNode& n, model::HealthCheck::Http* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Opt(n, "scheme", &out->scheme));
  RETURN_IF_ERROR(Req(n, "port", &out->port));
  RETURN_IF_ERROR(Opt(n, "path", &out->path));
  RETURN_IF_ERROR(Opt(n, "ignore_1xx", &out->ignore_1xx));
  return Array(n, "statuses", &out->statuses);
}

absl::Status ReadTcpCheck(const JsonNode& n, model::HealthCheck::Tcp* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Req(n, "port", &out->port);
}

std::optional<std::string> ParseVisibility(std::string_view name) {
  return OneOf(name, {"FRAMEWORK", "CLUSTER", "EXTERNAL"});
}

absl::Status ReadDiscoveryPort(const JsonNode& n, model::DiscoveryInfo::Port* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "number", &out->number));
  RETURN_IF_ERROR(Opt(n, "name", &out->name));
  RETURN_IF_ERROR(Opt(n, "protocol", &out->protocol));
  RETURN_IF_ERROR(OptEnum(n, "visibility", &out->visibility, ParseVisibility));
  return Opt(n, "labels", &out->labels, ParseLabels);
}

std::optional<model::ExecutorInfo::Type> ParseExecutorType(std::string_view name) {
  if (name == "UNKNOWN") return model::ExecutorInfo::Type::kUnknown;
  if (name == "DEFAULT") return model::ExecutorInfo::Type::kDefault;
  if (name == "CUSTOM") return model::ExecutorInfo::Type::kCustom;
  return std::nullopt;
}

// ---- offers ----

absl::Status ReadUnavailability(const JsonNode& n, model::Unavailability* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "start", &out->start, ReadTimeInfo));
  return Opt(n, "duration", &out->duration, ReadDurationInfo);
}

void WriteUnavailability(JsonWriter& w, const model::Unavailability& u) {
  w.StartObject().Key("start");
  WriteTimeInfo(w, u.start);
  if (u.duration.has_value()) {
    w.Key("duration");
    WriteDurationInfo(w, *u.duration);
  }
  w.EndObject();
}

// URL: {"scheme", "address", "path", ...}; only the address is kept.
absl::Status ReadUrlAddress(const JsonNode& n, model::Address* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  std::string scheme;
  RETURN_IF_ERROR(Req(n, "scheme", &scheme));
  return Req(n, "address", out, ReadAddress);
}

// Writes `key` and the task list, or nothing when empty (repeated fields are omitted).
void WriteTaskList(JsonWriter& w, std::string_view key, const std::vector<model::TaskInfo>& tasks) {
  if (tasks.empty()) return;
  w.Key(key).StartArray();
  for (const model::TaskInfo& task : tasks) WriteTaskInfo(w, task);
  w.EndArray();
}

void WriteResourcesField(JsonWriter& w, std::string_view key, const model::Resources& rs) {
  if (rs.empty()) return;
  w.Key(key);
  WriteResources(w, rs);
}

void WriteLabelsField(JsonWriter& w, const model::Labels& labels) {
  if (labels.empty()) return;
  w.Key("labels");
  WriteLabels(w, labels);
}

// The body object of an operation: {"<key>": {...}}, required.
absl::Status RequireBody(const JsonNode& body) {
  if (body.IsUnset()) return body.Error("required by the operation type");
  return body.ExpectObject();
}

}  // namespace

// ---- FrameworkInfo, MasterInfo, AgentInfo, DomainInfo ----

void WriteFrameworkInfo(JsonWriter& w, const model::FrameworkInfo& info) {
  w.StartObject();
  w.Key("user").String(info.user);
  w.Key("name").String(info.name);
  if (info.id.has_value()) {
    w.Key("id");
    WriteId(w, *info.id);
  }
  w.Key("failover_timeout").Double(info.failover_timeout);
  w.Key("checkpoint").Bool(info.checkpoint);
  if (info.role.has_value()) w.Key("role").String(*info.role);
  if (!info.roles.empty()) {
    w.Key("roles").StartArray();
    for (const std::string& role : info.roles) w.String(role);
    w.EndArray();
  }
  if (!info.hostname.empty()) w.Key("hostname").String(info.hostname);
  if (!info.principal.empty()) w.Key("principal").String(info.principal);
  if (!info.webui_url.empty()) w.Key("webui_url").String(info.webui_url);
  std::vector<std::string_view> capabilities;
  for (FrameworkCapability c : info.capabilities) {
    capabilities.push_back(model::FrameworkCapabilityName(c));
  }
  WriteTypeList(w, "capabilities", capabilities);
  WriteLabelsField(w, info.labels);
  if (!info.min_allocatable_resources.empty()) {
    w.Key("offer_filters").StartObject();
    for (const auto& [role, alternatives] : info.min_allocatable_resources) {
      w.Key(role);
      WriteOfferFilters(w, alternatives);
    }
    w.EndObject();
  }
  w.EndObject();
}

absl::Status ParseFrameworkInfo(const JsonNode& n, model::FrameworkInfo* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "user", &out->user));
  RETURN_IF_ERROR(Req(n, "name", &out->name));
  RETURN_IF_ERROR(Opt(n, "id", &out->id));
  RETURN_IF_ERROR(Opt(n, "failover_timeout", &out->failover_timeout));
  RETURN_IF_ERROR(Opt(n, "checkpoint", &out->checkpoint));
  RETURN_IF_ERROR(Opt(n, "role", &out->role));
  RETURN_IF_ERROR(Array(n, "roles", &out->roles));
  RETURN_IF_ERROR(Opt(n, "hostname", &out->hostname));
  RETURN_IF_ERROR(Opt(n, "principal", &out->principal));
  RETURN_IF_ERROR(Opt(n, "webui_url", &out->webui_url));
  std::vector<std::string> capabilities;
  RETURN_IF_ERROR(ReadTypeList(n, "capabilities", &capabilities));
  for (const std::string& name : capabilities) {
    // Unknown capabilities are dropped, as Mesos drops unknown enum values.
    if (auto c = model::ParseFrameworkCapability(name)) out->capabilities.push_back(*c);
  }
  RETURN_IF_ERROR(Opt(n, "labels", &out->labels, ParseLabels));
  JsonNode filters = n.Get("offer_filters");
  if (!filters.IsUnset()) {
    RETURN_IF_ERROR(filters.ForEachMember([&](std::string_view role, const JsonNode& f) {
      std::vector<model::Resources> alternatives;
      RETURN_IF_ERROR(ReadOfferFilters(f, &alternatives));
      // Duplicate keys: the first one wins, as everywhere else.
      out->min_allocatable_resources.emplace(std::string(role), std::move(alternatives));
      return absl::OkStatus();
    }));
  }
  return absl::OkStatus();
}

void WriteMasterInfo(JsonWriter& w, const model::MasterInfo& info) {
  w.StartObject();
  w.Key("id").String(info.id);
  w.Key("ip").Uint(info.ip);
  w.Key("port").Int(info.port);
  if (!info.pid.empty()) w.Key("pid").String(info.pid);
  if (!info.hostname.empty()) w.Key("hostname").String(info.hostname);
  if (!info.version.empty()) w.Key("version").String(info.version);
  if (info.address != model::Address{}) {
    w.Key("address");
    WriteAddress(w, info.address);
  }
  WriteTypeList(w, "capabilities",
                std::vector<std::string_view>(info.capabilities.begin(), info.capabilities.end()));
  w.EndObject();
}

absl::Status ParseMasterInfo(const JsonNode& n, model::MasterInfo* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "id", &out->id));
  RETURN_IF_ERROR(Req(n, "ip", &out->ip));
  RETURN_IF_ERROR(Req(n, "port", &out->port, ReadPort));
  RETURN_IF_ERROR(Opt(n, "pid", &out->pid));
  RETURN_IF_ERROR(Opt(n, "hostname", &out->hostname));
  RETURN_IF_ERROR(Opt(n, "version", &out->version));
  RETURN_IF_ERROR(Opt(n, "address", &out->address, ReadAddress));
  // Master capabilities stay strings: a scheduler should see the ones it does not know.
  return ReadTypeList(n, "capabilities", &out->capabilities);
}

void WriteAgentInfo(JsonWriter& w, const model::AgentInfo& info) {
  w.StartObject();
  w.Key("hostname").String(info.hostname);
  w.Key("port").Int(info.port);
  WriteResourcesField(w, "resources", info.resources);
  if (!info.attributes.empty()) {
    w.Key("attributes");
    WriteAttributes(w, info.attributes);
  }
  if (info.id.has_value()) {
    w.Key("id");
    WriteId(w, *info.id);
  }
  if (info.domain.has_value()) {
    w.Key("domain");
    WriteDomainInfo(w, *info.domain);
  }
  w.EndObject();
}

absl::Status ParseAgentInfo(const JsonNode& n, model::AgentInfo* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "hostname", &out->hostname));
  RETURN_IF_ERROR(Opt(n, "port", &out->port, ReadPort));
  RETURN_IF_ERROR(Opt(n, "resources", &out->resources, ParseResources));
  RETURN_IF_ERROR(Opt(n, "attributes", &out->attributes, ParseAttributes));
  RETURN_IF_ERROR(Opt(n, "id", &out->id));
  return Opt(n, "domain", &out->domain, ParseDomainInfo);
}

void WriteDomainInfo(JsonWriter& w, const model::DomainInfo& domain) {
  w.StartObject().Key("fault_domain").StartObject();
  w.Key("region").StartObject().Key("name").String(domain.region).EndObject();
  w.Key("zone").StartObject().Key("name").String(domain.zone).EndObject();
  w.EndObject().EndObject();
}

absl::Status ParseDomainInfo(const JsonNode& n, model::DomainInfo* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  JsonNode fault_domain = n.Get("fault_domain");
  if (fault_domain.IsUnset()) return absl::OkStatus();
  RETURN_IF_ERROR(fault_domain.ExpectObject());
  RETURN_IF_ERROR(Req(fault_domain, "region", &out->region, ReadNamed));
  return Req(fault_domain, "zone", &out->zone, ReadNamed);
}

// ---- CommandInfo, ContainerInfo, Volume, HealthCheck, DiscoveryInfo, KillPolicy ----

void WriteCommandUri(JsonWriter& w, const model::CommandUri& uri) {
  w.StartObject().Key("value").String(uri.value);
  if (uri.executable) w.Key("executable").Bool(true);
  w.Key("extract").Bool(uri.extract);
  if (uri.cache) w.Key("cache").Bool(true);
  if (uri.output_file.has_value()) w.Key("output_file").String(*uri.output_file);
  w.EndObject();
}

absl::Status ParseCommandUri(const JsonNode& node, model::CommandUri* out) {
  return ReadUri(node, out);
}

void WriteCommandInfo(JsonWriter& w, const model::CommandInfo& command) {
  w.StartObject();
  if (!command.uris.empty()) {
    w.Key("uris").StartArray();
    for (const model::CommandUri& uri : command.uris) WriteCommandUri(w, uri);
    w.EndArray();
  }
  if (command.environment.has_value()) {
    w.Key("environment").StartObject();
    if (!command.environment->variables.empty()) {
      w.Key("variables").StartArray();
      for (const model::Environment::Variable& v : command.environment->variables) {
        w.StartObject().Key("name").String(v.name).Key("value").String(v.value).EndObject();
      }
      w.EndArray();
    }
    w.EndObject();
  }
  w.Key("shell").Bool(command.shell);
  if (command.value.has_value()) w.Key("value").String(*command.value);
  if (!command.arguments.empty()) {
    w.Key("arguments").StartArray();
    for (const std::string& arg : command.arguments) w.String(arg);
    w.EndArray();
  }
  if (command.user.has_value()) w.Key("user").String(*command.user);
  w.EndObject();
}

absl::Status ParseCommandInfo(const JsonNode& n, model::CommandInfo* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Array(n, "uris", &out->uris, ReadUri));
  RETURN_IF_ERROR(Opt(n, "environment", &out->environment, ReadEnvironment));
  RETURN_IF_ERROR(Opt(n, "shell", &out->shell));
  RETURN_IF_ERROR(Opt(n, "value", &out->value));
  RETURN_IF_ERROR(Array(n, "arguments", &out->arguments));
  return Opt(n, "user", &out->user);
}

void WriteContainerInfo(JsonWriter& w, const model::ContainerInfo& container) {
  w.StartObject();
  w.Key("type").String(container.type);
  if (!container.volumes.empty()) {
    w.Key("volumes").StartArray();
    for (const model::Volume& v : container.volumes) WriteVolume(w, v);
    w.EndArray();
  }
  if (container.hostname.has_value()) w.Key("hostname").String(*container.hostname);
  w.EndObject();
}

absl::Status ParseContainerInfo(const JsonNode& n, model::ContainerInfo* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(ReqEnum(n, "type", &out->type, [](std::string_view name) {
    return OneOf(name, {"MESOS", "DOCKER"});
  }));
  RETURN_IF_ERROR(Array(n, "volumes", &out->volumes, ParseVolume));
  return Opt(n, "hostname", &out->hostname);
}

void WriteVolume(JsonWriter& w, const model::Volume& volume) {
  w.StartObject();
  w.Key("container_path").String(volume.container_path);
  if (volume.host_path.has_value()) w.Key("host_path").String(*volume.host_path);
  w.Key("mode").String(volume.mode);
  w.EndObject();
}

absl::Status ParseVolume(const JsonNode& n, model::Volume* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "container_path", &out->container_path));
  RETURN_IF_ERROR(Opt(n, "host_path", &out->host_path));
  return ReqEnum(n, "mode", &out->mode, ParseVolumeMode);
}

void WriteHealthCheck(JsonWriter& w, const model::HealthCheck& check) {
  w.StartObject();
  if (check.type != model::HealthCheck::Type::kUnknown) {
    w.Key("type").String(HealthCheckTypeName(check.type));
  }
  if (check.command.has_value()) {
    w.Key("command");
    WriteCommandInfo(w, *check.command);
  }
  if (check.http.has_value()) {
    const model::HealthCheck::Http& http = *check.http;
    w.Key("http").StartObject();
    if (!http.scheme.empty()) w.Key("scheme").String(http.scheme);
    w.Key("port").Uint(http.port);
    if (!http.path.empty()) w.Key("path").String(http.path);
    if (!http.statuses.empty()) {
      w.Key("statuses").StartArray();
      for (uint32_t status : http.statuses) w.Uint(status);
      w.EndArray();
    }
    if (http.ignore_1xx) w.Key("ignore_1xx").Bool(true);  // Atoll's extension
    w.EndObject();
  }
  if (check.tcp.has_value()) {
    w.Key("tcp").StartObject().Key("port").Uint(check.tcp->port).EndObject();
  }
  w.Key("delay_seconds").Double(check.delay_seconds);
  w.Key("interval_seconds").Double(check.interval_seconds);
  w.Key("timeout_seconds").Double(check.timeout_seconds);
  w.Key("consecutive_failures").Uint(check.consecutive_failures);
  w.Key("grace_period_seconds").Double(check.grace_period_seconds);
  w.EndObject();
}

absl::Status ParseHealthCheck(const JsonNode& n, model::HealthCheck* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(OptEnum(n, "type", &out->type, ParseHealthCheckType));
  RETURN_IF_ERROR(Opt(n, "command", &out->command, ParseCommandInfo));
  RETURN_IF_ERROR(Opt(n, "http", &out->http, ReadHttpCheck));
  RETURN_IF_ERROR(Opt(n, "tcp", &out->tcp, ReadTcpCheck));
  RETURN_IF_ERROR(Opt(n, "delay_seconds", &out->delay_seconds));
  RETURN_IF_ERROR(Opt(n, "interval_seconds", &out->interval_seconds));
  RETURN_IF_ERROR(Opt(n, "timeout_seconds", &out->timeout_seconds));
  RETURN_IF_ERROR(Opt(n, "consecutive_failures", &out->consecutive_failures));
  return Opt(n, "grace_period_seconds", &out->grace_period_seconds);
}

void WriteDiscoveryInfo(JsonWriter& w, const model::DiscoveryInfo& d) {
  w.StartObject();
  w.Key("visibility").String(d.visibility);
  if (!d.name.empty()) w.Key("name").String(d.name);
  if (!d.environment.empty()) w.Key("environment").String(d.environment);
  if (!d.location.empty()) w.Key("location").String(d.location);
  if (!d.version.empty()) w.Key("version").String(d.version);
  if (!d.ports.empty()) {
    w.Key("ports").StartObject().Key("ports").StartArray();
    for (const model::DiscoveryInfo::Port& port : d.ports) {
      w.StartObject().Key("number").Uint(port.number);
      if (!port.name.empty()) w.Key("name").String(port.name);
      if (!port.protocol.empty()) w.Key("protocol").String(port.protocol);
      if (!port.visibility.empty()) w.Key("visibility").String(port.visibility);
      WriteLabelsField(w, port.labels);
      w.EndObject();
    }
    w.EndArray().EndObject();
  }
  WriteLabelsField(w, d.labels);
  w.EndObject();
}

absl::Status ParseDiscoveryInfo(const JsonNode& n, model::DiscoveryInfo* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(ReqEnum(n, "visibility", &out->visibility, ParseVisibility));
  RETURN_IF_ERROR(Opt(n, "name", &out->name));
  RETURN_IF_ERROR(Opt(n, "environment", &out->environment));
  RETURN_IF_ERROR(Opt(n, "location", &out->location));
  RETURN_IF_ERROR(Opt(n, "version", &out->version));
  JsonNode ports = n.Get("ports");
  if (!ports.IsUnset()) {
    RETURN_IF_ERROR(ports.ExpectObject());
    RETURN_IF_ERROR(Array(ports, "ports", &out->ports, ReadDiscoveryPort));
  }
  return Opt(n, "labels", &out->labels, ParseLabels);
}

void WriteKillPolicy(JsonWriter& w, const model::KillPolicy& policy) {
  w.StartObject();
  if (policy.grace_period.has_value()) {
    w.Key("grace_period");
    WriteDurationInfo(w, *policy.grace_period);
  }
  w.EndObject();
}

absl::Status ParseKillPolicy(const JsonNode& n, model::KillPolicy* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Opt(n, "grace_period", &out->grace_period, ReadDurationInfo);
}

// ---- ExecutorInfo, TaskInfo, TaskStatus ----

void WriteExecutorInfo(JsonWriter& w, const model::ExecutorInfo& e) {
  w.StartObject();
  if (e.type == model::ExecutorInfo::Type::kDefault) w.Key("type").String("DEFAULT");
  if (e.type == model::ExecutorInfo::Type::kCustom) w.Key("type").String("CUSTOM");
  w.Key("executor_id");
  WriteId(w, e.executor_id);
  if (e.framework_id.has_value()) {
    w.Key("framework_id");
    WriteId(w, *e.framework_id);
  }
  if (e.command.has_value()) {
    w.Key("command");
    WriteCommandInfo(w, *e.command);
  }
  if (e.container.has_value()) {
    w.Key("container");
    WriteContainerInfo(w, *e.container);
  }
  WriteResourcesField(w, "resources", e.resources);
  if (!e.name.empty()) w.Key("name").String(e.name);
  WriteLabelsField(w, e.labels);
  if (e.shutdown_grace_period.has_value()) {
    w.Key("shutdown_grace_period");
    WriteDurationInfo(w, *e.shutdown_grace_period);
  }
  w.EndObject();
}

absl::Status ParseExecutorInfo(const JsonNode& n, model::ExecutorInfo* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(OptEnum(n, "type", &out->type, ParseExecutorType));
  RETURN_IF_ERROR(Req(n, "executor_id", &out->executor_id));
  RETURN_IF_ERROR(Opt(n, "framework_id", &out->framework_id));
  RETURN_IF_ERROR(Opt(n, "command", &out->command, ParseCommandInfo));
  RETURN_IF_ERROR(Opt(n, "container", &out->container, ParseContainerInfo));
  RETURN_IF_ERROR(Opt(n, "resources", &out->resources, ParseResources));
  RETURN_IF_ERROR(Opt(n, "name", &out->name));
  RETURN_IF_ERROR(Opt(n, "labels", &out->labels, ParseLabels));
  return Opt(n, "shutdown_grace_period", &out->shutdown_grace_period, ReadDurationInfo);
}

void WriteTaskInfo(JsonWriter& w, const model::TaskInfo& t) {
  w.StartObject();
  w.Key("name").String(t.name);
  w.Key("task_id");
  WriteId(w, t.task_id);
  w.Key("agent_id");
  WriteId(w, t.agent_id);
  WriteResourcesField(w, "resources", t.resources);
  if (t.executor.has_value()) {
    w.Key("executor");
    WriteExecutorInfo(w, *t.executor);
  }
  if (t.command.has_value()) {
    w.Key("command");
    WriteCommandInfo(w, *t.command);
  }
  if (t.container.has_value()) {
    w.Key("container");
    WriteContainerInfo(w, *t.container);
  }
  if (t.health_check.has_value()) {
    w.Key("health_check");
    WriteHealthCheck(w, *t.health_check);
  }
  if (t.kill_policy.has_value()) {
    w.Key("kill_policy");
    WriteKillPolicy(w, *t.kill_policy);
  }
  if (!t.data.empty()) w.Key("data").String(internal::Base64Encode(t.data));
  WriteLabelsField(w, t.labels);
  if (t.discovery.has_value()) {
    w.Key("discovery");
    WriteDiscoveryInfo(w, *t.discovery);
  }
  if (t.max_completion_time.has_value()) {
    w.Key("max_completion_time");
    WriteDurationInfo(w, *t.max_completion_time);
  }
  w.EndObject();
}

absl::Status ParseTaskInfo(const JsonNode& n, model::TaskInfo* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "name", &out->name));
  RETURN_IF_ERROR(Req(n, "task_id", &out->task_id));
  RETURN_IF_ERROR(Req(n, "agent_id", &out->agent_id));
  RETURN_IF_ERROR(Opt(n, "resources", &out->resources, ParseResources));
  RETURN_IF_ERROR(Opt(n, "executor", &out->executor, ParseExecutorInfo));
  RETURN_IF_ERROR(Opt(n, "command", &out->command, ParseCommandInfo));
  RETURN_IF_ERROR(Opt(n, "container", &out->container, ParseContainerInfo));
  RETURN_IF_ERROR(Opt(n, "health_check", &out->health_check, ParseHealthCheck));
  RETURN_IF_ERROR(Opt(n, "kill_policy", &out->kill_policy, ParseKillPolicy));
  RETURN_IF_ERROR(Opt(n, "data", &out->data, ReadBytes));
  RETURN_IF_ERROR(Opt(n, "labels", &out->labels, ParseLabels));
  RETURN_IF_ERROR(Opt(n, "discovery", &out->discovery, ParseDiscoveryInfo));
  return Opt(n, "max_completion_time", &out->max_completion_time, ReadDurationInfo);
}

void WriteTaskStatus(JsonWriter& w, const model::TaskStatus& s) {
  w.StartObject();
  w.Key("task_id");
  WriteId(w, s.task_id);
  w.Key("state").String(model::TaskStateName(s.state));
  if (!s.message.empty()) w.Key("message").String(s.message);
  if (s.source.has_value()) w.Key("source").String(model::SourceName(*s.source));
  if (s.reason != model::TaskStatusReason::kNone) {
    w.Key("reason").String(model::ReasonName(s.reason));
  }
  if (!s.data.empty()) w.Key("data").String(internal::Base64Encode(s.data));
  if (s.healthy.has_value()) w.Key("healthy").Bool(*s.healthy);
  if (s.agent_id.has_value()) {
    w.Key("agent_id");
    WriteId(w, *s.agent_id);
  }
  if (s.executor_id.has_value()) {
    w.Key("executor_id");
    WriteId(w, *s.executor_id);
  }
  if (s.timestamp.has_value()) w.Key("timestamp").Double(*s.timestamp);
  if (!s.uuid.empty()) w.Key("uuid").String(internal::Base64Encode(s.uuid));
  WriteLabelsField(w, s.labels);
  if (s.unreachable_time.has_value()) {
    w.Key("unreachable_time");
    WriteTimeInfo(w, *s.unreachable_time);
  }
  w.EndObject();
}

absl::Status ParseTaskStatus(const JsonNode& n, model::TaskStatus* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "task_id", &out->task_id));
  RETURN_IF_ERROR(ReqEnum(n, "state", &out->state, model::ParseTaskState));
  RETURN_IF_ERROR(Opt(n, "message", &out->message));
  RETURN_IF_ERROR(OptEnum(n, "source", &out->source, model::ParseSource));
  RETURN_IF_ERROR(OptEnum(n, "reason", &out->reason, model::ParseReason));
  RETURN_IF_ERROR(Opt(n, "data", &out->data, ReadBytes));
  RETURN_IF_ERROR(Opt(n, "healthy", &out->healthy));
  RETURN_IF_ERROR(Opt(n, "agent_id", &out->agent_id));
  RETURN_IF_ERROR(Opt(n, "executor_id", &out->executor_id));
  RETURN_IF_ERROR(Opt(n, "timestamp", &out->timestamp));
  RETURN_IF_ERROR(Opt(n, "uuid", &out->uuid, ReadBytes));
  RETURN_IF_ERROR(Opt(n, "labels", &out->labels, ParseLabels));
  return Opt(n, "unreachable_time", &out->unreachable_time, ReadTimeInfo);
}

// ---- Filters, Offer, InverseOffer, Operation ----

void WriteFilters(JsonWriter& w, const model::Filters& filters) {
  w.StartObject();
  if (filters.refuse_seconds.has_value()) w.Key("refuse_seconds").Double(*filters.refuse_seconds);
  w.EndObject();
}

absl::Status ParseFilters(const JsonNode& n, model::Filters* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Opt(n, "refuse_seconds", &out->refuse_seconds);
}

void WriteOffer(JsonWriter& w, const model::Offer& offer) {
  w.StartObject();
  w.Key("id");
  WriteId(w, offer.id);
  w.Key("framework_id");
  WriteId(w, offer.framework_id);
  w.Key("agent_id");
  WriteId(w, offer.agent_id);
  w.Key("hostname").String(offer.hostname);
  if (offer.url_address.has_value()) {
    w.Key("url").StartObject().Key("scheme").String("http").Key("address");
    WriteAddress(w, *offer.url_address);
    w.Key("path").String("/slave(1)").EndObject();
  }
  if (offer.allocation_role.has_value()) {
    w.Key("allocation_info").StartObject().Key("role").String(*offer.allocation_role).EndObject();
  }
  WriteResourcesField(w, "resources", offer.resources);
  if (!offer.attributes.empty()) {
    w.Key("attributes");
    WriteAttributes(w, offer.attributes);
  }
  if (!offer.executor_ids.empty()) {
    w.Key("executor_ids").StartArray();
    for (const model::ExecutorId& id : offer.executor_ids) WriteId(w, id);
    w.EndArray();
  }
  if (offer.domain.has_value()) {
    w.Key("domain");
    WriteDomainInfo(w, *offer.domain);
  }
  if (offer.unavailability.has_value()) {
    w.Key("unavailability");
    WriteUnavailability(w, *offer.unavailability);
  }
  w.EndObject();
}

absl::Status ParseOffer(const JsonNode& n, model::Offer* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "id", &out->id));
  RETURN_IF_ERROR(Req(n, "framework_id", &out->framework_id));
  RETURN_IF_ERROR(Req(n, "agent_id", &out->agent_id));
  RETURN_IF_ERROR(Req(n, "hostname", &out->hostname));
  RETURN_IF_ERROR(Opt(n, "url", &out->url_address, ReadUrlAddress));
  RETURN_IF_ERROR(ReadAllocationInfo(n, &out->allocation_role));
  RETURN_IF_ERROR(Opt(n, "resources", &out->resources, ParseResources));
  RETURN_IF_ERROR(Opt(n, "attributes", &out->attributes, ParseAttributes));
  RETURN_IF_ERROR(Array(n, "executor_ids", &out->executor_ids));
  RETURN_IF_ERROR(Opt(n, "domain", &out->domain, ParseDomainInfo));
  return Opt(n, "unavailability", &out->unavailability, ReadUnavailability);
}

void WriteInverseOffer(JsonWriter& w, const model::InverseOffer& offer) {
  w.StartObject();
  w.Key("id");
  WriteId(w, offer.id);
  w.Key("framework_id");
  WriteId(w, offer.framework_id);
  if (offer.agent_id.has_value()) {
    w.Key("agent_id");
    WriteId(w, *offer.agent_id);
  }
  w.Key("unavailability");
  WriteUnavailability(w, offer.unavailability);
  w.EndObject();
}

absl::Status ParseInverseOffer(const JsonNode& n, model::InverseOffer* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "id", &out->id));
  RETURN_IF_ERROR(Req(n, "framework_id", &out->framework_id));
  RETURN_IF_ERROR(Opt(n, "agent_id", &out->agent_id));
  return Req(n, "unavailability", &out->unavailability, ReadUnavailability);
}

void WriteOperation(JsonWriter& w, const model::Operation& op) {
  using Type = model::Operation::Type;
  w.StartObject();
  if (op.type != Type::kUnknown) w.Key("type").String(model::OperationTypeName(op.type));
  if (op.id.has_value()) {
    w.Key("id");
    WriteId(w, *op.id);
  }
  switch (op.type) {
    case Type::kUnknown:
      break;
    case Type::kLaunch:
      w.Key("launch").StartObject();
      WriteTaskList(w, "task_infos", op.launch_tasks);
      w.EndObject();
      break;
    case Type::kLaunchGroup:
      w.Key("launch_group").StartObject();
      if (op.group_executor.has_value()) {
        w.Key("executor");
        WriteExecutorInfo(w, *op.group_executor);
      }
      w.Key("task_group").StartObject();
      WriteTaskList(w, "tasks", op.group_tasks);
      w.EndObject().EndObject();
      break;
    case Type::kReserve:
    case Type::kUnreserve:
      w.Key(op.type == Type::kReserve ? "reserve" : "unreserve").StartObject();
      WriteResourcesField(w, "resources", op.resources);
      w.EndObject();
      break;
    case Type::kCreate:
    case Type::kDestroy:
      w.Key(op.type == Type::kCreate ? "create" : "destroy").StartObject();
      WriteResourcesField(w, "volumes", op.resources);
      w.EndObject();
      break;
  }
  w.EndObject();
}

absl::Status ParseOperation(const JsonNode& n, model::Operation* out) {
  using Type = model::Operation::Type;
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(OptEnum(n, "type", &out->type, model::ParseOperationType));
  RETURN_IF_ERROR(Opt(n, "id", &out->id));
  switch (out->type) {
    case Type::kUnknown:
      return absl::OkStatus();
    case Type::kLaunch: {
      JsonNode launch = n.Get("launch");
      RETURN_IF_ERROR(RequireBody(launch));
      return Array(launch, "task_infos", &out->launch_tasks, ParseTaskInfo);
    }
    case Type::kLaunchGroup: {
      JsonNode group = n.Get("launch_group");
      RETURN_IF_ERROR(RequireBody(group));
      RETURN_IF_ERROR(Req(group, "executor", &out->group_executor, ParseExecutorInfo));
      JsonNode task_group = group.Get("task_group");
      RETURN_IF_ERROR(RequireBody(task_group));
      return Array(task_group, "tasks", &out->group_tasks, ParseTaskInfo);
    }
    case Type::kReserve:
    case Type::kUnreserve: {
      JsonNode body = n.Get(out->type == Type::kReserve ? "reserve" : "unreserve");
      RETURN_IF_ERROR(RequireBody(body));
      return Opt(body, "resources", &out->resources, ParseResources);
    }
    case Type::kCreate:
    case Type::kDestroy: {
      JsonNode body = n.Get(out->type == Type::kCreate ? "create" : "destroy");
      RETURN_IF_ERROR(RequireBody(body));
      return Opt(body, "volumes", &out->resources, ParseResources);
    }
  }
  return absl::OkStatus();
}

std::string SerializeHealthChecks(const std::vector<model::HealthCheck>& checks) {
  JsonWriter w;
  w.StartArray();
  for (const model::HealthCheck& c : checks) WriteHealthCheck(w, c);
  w.EndArray();
  return w.Finish();
}

absl::StatusOr<std::vector<model::HealthCheck>> ParseHealthChecks(std::string_view json) {
  std::vector<model::HealthCheck> checks;
  RETURN_IF_ERROR(ParseJsonDocument(json, "", [&](const JsonNode& root) -> absl::Status {
    RETURN_IF_ERROR(root.ExpectArray());
    for (size_t i = 0; i < root.Size(); ++i) {
      RETURN_IF_ERROR(ParseHealthCheck(root.At(i), &checks.emplace_back()));
    }
    return absl::OkStatus();
  }));
  return checks;
}

}  // namespace atl::api
