// The agent protocol: what agents and the master say to each other. Our own (Mesos keeps its
// agent<->master protocol internal too); core/master/README.md describes it and its wire form. In-process
// transports pass these structs as they are; the HTTP transport (next to the real agent)
// encodes them as JSON records on a RecordIO stream, like the scheduler API.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/model/info.h"

namespace atl::api {

// A task as an agent reports it when it (re-)registers.
struct ReportedTask {
  model::FrameworkId framework_id;
  model::TaskInfo task;
  model::TaskState state = model::TaskState::kStaging;
  bool operator==(const ReportedTask&) const = default;
};

namespace agent_msg {

// First message on a new connection. `info.id` unset: a new agent asks to be admitted.
// `info.id` set: re-registration (after a master restart or a broken connection), with every
// task it still knows and the frameworks they belong to.
struct Register {
  model::AgentInfo info;
  std::vector<ReportedTask> tasks;
  std::vector<model::FrameworkInfo> frameworks;  // each with id set
  std::string version;
  bool operator==(const Register&) const = default;
};

// A reliable status update (status.uuid set, 16 bytes). `latest_state` is the newest state the
// agent knows for the task (it forwards updates one at a time, oldest first), so the master
// can release resources as soon as a task is terminal.
struct StatusUpdate {
  model::FrameworkId framework_id;
  model::TaskStatus status;
  std::optional<model::TaskState> latest_state;
  bool operator==(const StatusUpdate&) const = default;
};

// Liveness: sent every heartbeat interval announced in Registered.
struct Heartbeat {
  bool operator==(const Heartbeat&) const = default;
};

// Executor -> scheduler bytes (best effort).
struct ExecutorMessage {
  model::FrameworkId framework_id;
  model::ExecutorId executor_id;
  std::string data;
  bool operator==(const ExecutorMessage&) const = default;
};

// A custom executor exited (the scheduler gets a FAILURE event).
struct ExecutorExited {
  model::FrameworkId framework_id;
  model::ExecutorId executor_id;
  int32_t status = 0;
  bool operator==(const ExecutorExited&) const = default;
};

}  // namespace agent_msg

using AgentToMaster =
    std::variant<agent_msg::Register, agent_msg::StatusUpdate, agent_msg::Heartbeat,
                 agent_msg::ExecutorMessage, agent_msg::ExecutorExited>;

namespace master_msg {

// Admission (or re-admission) succeeded.
struct Registered {
  model::AgentId agent_id;
  Duration heartbeat_interval = Duration::Seconds(15);
  bool operator==(const Registered&) const = default;
};

// Run one task (command tasks get the built-in command executor). `framework` comes with the
// first task of a framework on the agent (and after the agent re-registered); the TaskInfo is
// shared and immutable, so in-process transports pass it without copying.
struct RunTask {
  model::FrameworkId framework_id;
  Boxed<model::FrameworkInfo> framework;  // boxed: absent for most launches
  std::shared_ptr<const model::TaskInfo> task;
  bool operator==(const RunTask& o) const {
    return framework_id == o.framework_id && framework == o.framework &&
           (task == o.task || (task && o.task && *task == *o.task));
  }
};

struct KillTask {
  model::FrameworkId framework_id;
  model::TaskId task_id;
  std::optional<model::KillPolicy> kill_policy;
  bool operator==(const KillTask&) const = default;
};

// The scheduler acknowledged this update: pop it and send the task's next one.
struct AcknowledgeUpdate {
  model::FrameworkId framework_id;
  model::TaskId task_id;
  std::string uuid;
  bool operator==(const AcknowledgeUpdate&) const = default;
};

// Kill every task of the framework and forget it.
struct ShutdownFramework {
  model::FrameworkId framework_id;
  bool operator==(const ShutdownFramework&) const = default;
};

struct ShutdownExecutor {
  model::FrameworkId framework_id;
  model::ExecutorId executor_id;
  bool operator==(const ShutdownExecutor&) const = default;
};

// Scheduler -> executor bytes (best effort).
struct FrameworkMessage {
  model::FrameworkId framework_id;
  model::ExecutorId executor_id;
  std::string data;
  bool operator==(const FrameworkMessage&) const = default;
};

// The agent's total resources after reservations or volumes changed (to checkpoint).
struct CheckpointResources {
  model::Resources total;
  bool operator==(const CheckpointResources&) const = default;
};

// The agent must stop (it was marked gone, or refused).
struct Shutdown {
  std::string message;
  bool operator==(const Shutdown&) const = default;
};

}  // namespace master_msg

using MasterToAgent =
    std::variant<master_msg::Registered, master_msg::RunTask, master_msg::KillTask,
                 master_msg::AcknowledgeUpdate, master_msg::ShutdownFramework,
                 master_msg::ShutdownExecutor, master_msg::FrameworkMessage,
                 master_msg::CheckpointResources, master_msg::Shutdown>;

}  // namespace atl::api
