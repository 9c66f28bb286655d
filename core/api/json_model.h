// Mesos v1 JSON <-> core/model values (Resource, TaskInfo, Offer, ...), in the shapes of
// reference/mesos.md §1.3 and §1.7.
//
// Writers emit compact JSON into a JsonWriter: ids as {"value": ...}, enums by name, bytes as
// base64, repeated fields omitted when empty, and fields with a non-deprecated Mesos default
// always (CommandInfo.shell, HealthCheck timings, FrameworkInfo.failover_timeout, ...).
// Resources use the pre-refinement format (`"role": "*"`, `"role": R` plus `"reservation"`
// for a dynamic reservation) unless that format cannot say it (a refined stack, or a static
// reservation with a principal or labels), in which case they use `"reservations": [...]`.
// Both formats are accepted on input.
//
// Parsers read one node of a parsed document (see ParseJson in json.h to parse a string):
// unknown keys are ignored, null means unset, an unknown enum name in an optional field is
// dropped and in a required one is an error, integers may also be numeric strings, scalars
// are rounded to three decimals. A failure is InvalidArgument and names the path of the
// offending value: "accept.operations[0].launch.task_infos[1].task_id: required". On failure
// the output is partially filled and should be discarded.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/api/json.h"
#include "core/model/attributes.h"
#include "core/model/info.h"
#include "core/model/labels.h"
#include "core/model/resources.h"

namespace atl::api {

// Scalars whose magnitude exceeds this are rejected on input: beyond it the three-decimal
// fixed point no longer survives a trip through a double.
inline constexpr double kMaxJsonScalar = 1e12;

// {"value": "..."} for any strong id.
template <typename Tag>
void WriteId(JsonWriter& w, const Id<Tag>& id) {
  w.StartObject().Key("value").String(id.value()).EndObject();
}

// A single resource object, and a normalized Resources as an array of them.
void WriteResource(JsonWriter& w, const model::Resource& r);
void WriteResources(JsonWriter& w, const model::Resources& rs);
absl::Status ParseResource(const JsonNode& node, model::Resource* out);
// An array of resource objects, added (and so merged) into *out.
absl::Status ParseResources(const JsonNode& node, model::Resources* out);

// Mesos's unversioned-endpoint form (/master/state, /slaves): one object keyed by resource
// name, summed across roles and reservations, always with cpus, gpus, mem and disk:
//   {"cpus":4.0,"gpus":0.0,"mem":14863.0,"disk":35000.0,"ports":"[31000-31099, 31101-32000]"}
// Ranges and sets are strings ("{a, b}" for sets); other names follow in name order.
void WriteFlatResources(JsonWriter& w, const model::Resources& rs);

// An array of attribute objects (TEXT / SCALAR / RANGES / SET).
void WriteAttributes(JsonWriter& w, const model::Attributes& attributes);
absl::Status ParseAttributes(const JsonNode& node, model::Attributes* out);

// {"labels": [{"key": ..., "value": ...}]}.
void WriteLabels(JsonWriter& w, const model::Labels& labels);
absl::Status ParseLabels(const JsonNode& node, model::Labels* out);

// Capabilities are [{"type": "MULTI_ROLE"}] (unknown names dropped on input); offer_filters is
// {role: {"min_allocatable_resources": {"quantities": [{"quantities": {name: {"value"}}}]}}}.
void WriteFrameworkInfo(JsonWriter& w, const model::FrameworkInfo& info);
absl::Status ParseFrameworkInfo(const JsonNode& node, model::FrameworkInfo* out);

void WriteMasterInfo(JsonWriter& w, const model::MasterInfo& info);
absl::Status ParseMasterInfo(const JsonNode& node, model::MasterInfo* out);

void WriteAgentInfo(JsonWriter& w, const model::AgentInfo& info);
absl::Status ParseAgentInfo(const JsonNode& node, model::AgentInfo* out);

// {"fault_domain": {"region": {"name"}, "zone": {"name"}}}.
void WriteDomainInfo(JsonWriter& w, const model::DomainInfo& domain);
absl::Status ParseDomainInfo(const JsonNode& node, model::DomainInfo* out);

// CommandInfo.URI: {"value", "executable", "extract", "cache", "output_file"}; `value` is
// required, `extract` is always written (its Mesos default is true).
void WriteCommandUri(JsonWriter& w, const model::CommandUri& uri);
absl::Status ParseCommandUri(const JsonNode& node, model::CommandUri* out);

void WriteCommandInfo(JsonWriter& w, const model::CommandInfo& command);
absl::Status ParseCommandInfo(const JsonNode& node, model::CommandInfo* out);

void WriteContainerInfo(JsonWriter& w, const model::ContainerInfo& container);
absl::Status ParseContainerInfo(const JsonNode& node, model::ContainerInfo* out);

void WriteVolume(JsonWriter& w, const model::Volume& volume);
absl::Status ParseVolume(const JsonNode& node, model::Volume* out);

void WriteHealthCheck(JsonWriter& w, const model::HealthCheck& check);
absl::Status ParseHealthCheck(const JsonNode& node, model::HealthCheck* out);

// A task's health checks beyond TaskInfo.health_check (a Marathon app may have several; a
// Mesos task has one field): a JSON array of HealthCheck objects in this TaskInfo label, run by
// the command executor with the first.
inline constexpr char kMoreHealthChecksLabel[] = "atoll.more_health_checks";
std::string SerializeHealthChecks(const std::vector<model::HealthCheck>& checks);
absl::StatusOr<std::vector<model::HealthCheck>> ParseHealthChecks(std::string_view json);

// Ports travel as {"ports": {"ports": [...]}}.
void WriteDiscoveryInfo(JsonWriter& w, const model::DiscoveryInfo& discovery);
absl::Status ParseDiscoveryInfo(const JsonNode& node, model::DiscoveryInfo* out);

// {"grace_period": {"nanoseconds": N}}.
void WriteKillPolicy(JsonWriter& w, const model::KillPolicy& policy);
absl::Status ParseKillPolicy(const JsonNode& node, model::KillPolicy* out);

void WriteExecutorInfo(JsonWriter& w, const model::ExecutorInfo& executor);
absl::Status ParseExecutorInfo(const JsonNode& node, model::ExecutorInfo* out);

void WriteTaskInfo(JsonWriter& w, const model::TaskInfo& task);
absl::Status ParseTaskInfo(const JsonNode& node, model::TaskInfo* out);

// uuid and data are base64; timestamp is double seconds; reason kNone is omitted.
void WriteTaskStatus(JsonWriter& w, const model::TaskStatus& status);
absl::Status ParseTaskStatus(const JsonNode& node, model::TaskStatus* out);

void WriteFilters(JsonWriter& w, const model::Filters& filters);
absl::Status ParseFilters(const JsonNode& node, model::Filters* out);

// url is written as {"scheme": "http", "address": {...}, "path": "/slave(1)"}.
void WriteOffer(JsonWriter& w, const model::Offer& offer);
absl::Status ParseOffer(const JsonNode& node, model::Offer* out);

void WriteInverseOffer(JsonWriter& w, const model::InverseOffer& offer);
absl::Status ParseInverseOffer(const JsonNode& node, model::InverseOffer* out);

// Offer.Operation: LAUNCH, LAUNCH_GROUP, RESERVE, UNRESERVE, CREATE, DESTROY. The body of the
// operation's type is required; an unknown type name is dropped (type kUnknown, no body), as
// the field is optional in Mesos; the master rejects such an operation.
void WriteOperation(JsonWriter& w, const model::Operation& operation);
absl::Status ParseOperation(const JsonNode& node, model::Operation* out);

}  // namespace atl::api
