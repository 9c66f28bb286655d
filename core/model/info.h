// The Mesos value types the engine passes around: FrameworkInfo, AgentInfo, MasterInfo, Offer,
// TaskInfo, CommandInfo, ExecutorInfo, HealthCheck, DiscoveryInfo, Volume, TaskStatus, Filters
// and offer Operations. Plain values with public fields; JSON lives in core/api.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/base/boxed.h"
#include "core/base/time.h"
#include "core/model/attributes.h"
#include "core/model/ids.h"
#include "core/model/labels.h"
#include "core/model/resources.h"
#include "core/model/task_state.h"

namespace atl::model {

enum class FrameworkCapability {
  kRevocableResources,
  kTaskKillingState,
  kGpuResources,
  kSharedResources,
  kPartitionAware,
  kMultiRole,
  kReservationRefinement,
  kRegionAware,
};

std::string_view FrameworkCapabilityName(FrameworkCapability c);
std::optional<FrameworkCapability> ParseFrameworkCapability(std::string_view name);

struct DomainInfo {
  std::string region;
  std::string zone;
  bool operator==(const DomainInfo&) const = default;
};

struct FrameworkInfo {
  std::string user;
  std::string name;
  std::optional<FrameworkId> id;
  double failover_timeout = 0;  // seconds; 0 = tear down on disconnect
  bool checkpoint = false;
  std::optional<std::string> role;  // deprecated single role (default "*")
  std::vector<std::string> roles;   // requires MULTI_ROLE
  std::string principal;
  std::string hostname;
  std::string webui_url;
  Labels labels;
  std::vector<FrameworkCapability> capabilities;
  // Per-role minimum allocatable resources: alternatives (OR) of quantity lists (AND).
  std::map<std::string, std::vector<Resources>> min_allocatable_resources;

  bool HasCapability(FrameworkCapability c) const;
  // The roles the framework subscribes with: `roles` for MULTI_ROLE, else {role or "*"}.
  std::vector<std::string> EffectiveRoles() const;
  bool operator==(const FrameworkInfo&) const = default;
};

struct Address {
  std::string hostname;
  std::string ip;
  int port = 0;
  bool operator==(const Address&) const = default;
};

struct MasterInfo {
  std::string id;
  uint32_t ip = 0;  // IPv4 packed in network byte order, read as a host integer
  int port = 5050;
  std::string pid;  // "master@127.0.0.1:5050"
  std::string hostname;
  std::string version;
  Address address;
  std::vector<std::string> capabilities;  // "AGENT_UPDATE", "QUOTA_V2", ...
  bool operator==(const MasterInfo&) const = default;
};

struct AgentInfo {
  std::string hostname;
  int port = 5051;
  Resources resources;
  Attributes attributes;
  std::optional<AgentId> id;
  std::optional<DomainInfo> domain;
  bool operator==(const AgentInfo&) const = default;
};

struct Environment {
  struct Variable {
    std::string name;
    std::string value;
    bool operator==(const Variable&) const = default;
  };
  std::vector<Variable> variables;
  bool operator==(const Environment&) const = default;
};

struct CommandUri {
  std::string value;
  bool executable = false;
  bool extract = true;
  bool cache = false;
  std::optional<std::string> output_file;
  bool operator==(const CommandUri&) const = default;
};

struct CommandInfo {
  std::vector<CommandUri> uris;
  std::optional<Environment> environment;
  bool shell = true;
  std::optional<std::string> value;
  std::vector<std::string> arguments;
  std::optional<std::string> user;
  bool operator==(const CommandInfo&) const = default;
};

// The program and argv a CommandInfo runs, as Mesos runs it: `/bin/sh -c value` for a shell
// command, else `value` executed with `arguments` as its whole argv (argv[0] included, as in
// execvp(value, arguments)), or just {value} when there are no arguments.
// REQUIRES: command.value is set.
struct CommandLine {
  std::string path;
  std::vector<std::string> argv;
};
CommandLine CommandLineOf(const CommandInfo& command);

struct Volume {
  std::string container_path;
  std::optional<std::string> host_path;
  std::string mode = "RW";  // "RW" | "RO"
  bool operator==(const Volume&) const = default;
};

// Only the MESOS container type without an image is supported; `volumes` are bind mounts.
struct ContainerInfo {
  std::string type = "MESOS";
  std::vector<Volume> volumes;
  std::optional<std::string> hostname;
  bool operator==(const ContainerInfo&) const = default;
};

struct HealthCheck {
  enum class Type { kUnknown, kCommand, kHttp, kTcp };
  struct Http {
    std::string scheme;  // "http" (default) or "https"
    uint32_t port = 0;
    std::string path;
    std::vector<uint32_t> statuses;
    // Atoll (Marathon's ignoreHttp1xx): a 1xx answer neither passes nor fails the check.
    bool ignore_1xx = false;
    bool operator==(const Http&) const = default;
  };
  struct Tcp {
    uint32_t port = 0;
    bool operator==(const Tcp&) const = default;
  };
  Type type = Type::kUnknown;
  double delay_seconds = 15.0;
  double interval_seconds = 10.0;
  double timeout_seconds = 20.0;
  uint32_t consecutive_failures = 3;
  double grace_period_seconds = 10.0;
  std::optional<CommandInfo> command;
  std::optional<Http> http;
  std::optional<Tcp> tcp;
  bool operator==(const HealthCheck&) const = default;
};

struct DiscoveryInfo {
  struct Port {
    uint32_t number = 0;
    std::string name;
    std::string protocol;
    std::string visibility;
    Labels labels;
    bool operator==(const Port&) const = default;
  };
  std::string visibility = "FRAMEWORK";  // FRAMEWORK | CLUSTER | EXTERNAL
  std::string name;
  std::string environment;
  std::string location;
  std::string version;
  std::vector<Port> ports;
  Labels labels;
  bool operator==(const DiscoveryInfo&) const = default;
};

struct KillPolicy {
  std::optional<Duration> grace_period;
  bool operator==(const KillPolicy&) const = default;
};

struct ExecutorInfo {
  enum class Type { kUnknown, kDefault, kCustom };
  Type type = Type::kUnknown;
  ExecutorId executor_id;
  std::optional<FrameworkId> framework_id;
  std::optional<CommandInfo> command;
  std::optional<ContainerInfo> container;
  Resources resources;
  std::string name;
  Labels labels;
  std::optional<Duration> shutdown_grace_period;
  bool operator==(const ExecutorInfo&) const = default;
};

struct TaskInfo {
  std::string name;
  TaskId task_id;
  AgentId agent_id;
  Resources resources;
  // Rarely-set large fields are boxed (heap, std::optional's interface) to keep a task small.
  Boxed<ExecutorInfo> executor;
  std::optional<CommandInfo> command;
  Boxed<ContainerInfo> container;
  Boxed<HealthCheck> health_check;
  std::optional<KillPolicy> kill_policy;
  std::string data;  // bytes
  Labels labels;
  Boxed<DiscoveryInfo> discovery;
  std::optional<Duration> max_completion_time;
  bool operator==(const TaskInfo&) const = default;
};

struct TaskStatus {
  TaskId task_id;
  TaskState state = TaskState::kStaging;
  std::string message;
  std::optional<TaskStatusSource> source;
  TaskStatusReason reason = TaskStatusReason::kNone;
  std::string data;  // bytes
  std::optional<AgentId> agent_id;
  std::optional<ExecutorId> executor_id;
  std::optional<double> timestamp;  // seconds since the epoch
  std::string uuid;                 // 16 raw bytes when set; empty for master-generated updates
  std::optional<bool> healthy;
  Labels labels;
  std::optional<Timestamp> unreachable_time;
  bool operator==(const TaskStatus&) const = default;
};

struct Filters {
  std::optional<double> refuse_seconds;  // default 5 s
  bool operator==(const Filters&) const = default;
};

struct Unavailability {
  Timestamp start;
  std::optional<Duration> duration;
  bool operator==(const Unavailability&) const = default;
};

struct Offer {
  OfferId id;
  FrameworkId framework_id;
  AgentId agent_id;
  std::string hostname;
  std::optional<Address> url_address;          // the agent's endpoint: url {scheme, address, path}
  std::optional<std::string> allocation_role;  // allocation_info.role (MULTI_ROLE only)
  Resources resources;
  Attributes attributes;
  std::vector<ExecutorId> executor_ids;
  std::optional<DomainInfo> domain;
  std::optional<Unavailability> unavailability;
  bool operator==(const Offer&) const = default;
};

struct InverseOffer {
  OfferId id;
  FrameworkId framework_id;
  std::optional<AgentId> agent_id;
  Unavailability unavailability;
  bool operator==(const InverseOffer&) const = default;
};

struct Operation {
  enum class Type { kUnknown, kLaunch, kLaunchGroup, kReserve, kUnreserve, kCreate, kDestroy };
  Type type = Type::kUnknown;
  std::optional<OperationId> id;
  std::vector<TaskInfo> launch_tasks;          // LAUNCH.task_infos
  std::optional<ExecutorInfo> group_executor;  // LAUNCH_GROUP.executor
  std::vector<TaskInfo> group_tasks;           // LAUNCH_GROUP.task_group.tasks
  Resources resources;  // RESERVE / UNRESERVE resources, CREATE / DESTROY volumes
  bool operator==(const Operation&) const = default;
};

std::string_view OperationTypeName(Operation::Type t);
std::optional<Operation::Type> ParseOperationType(std::string_view name);

}  // namespace atl::model
