// Agent: the state machine of a real agent (reference/mesos.md §2, §4.3, §8). It speaks the
// agent protocol to the master (core/api/agent_protocol.h) and the v1 executor API to its
// executors (core/api/executor_api.h), and decides everything the shell (core/cmd/agent_runtime)
// then does: launch or destroy a container, send an event, checkpoint, wake up later.
// Deterministic: time is a parameter, ids come from a seeded Random, no I/O.
//
// Lifecycle of a task on this agent:
//   RUN_TASK -> the task is queued on its executor (a custom one from TaskInfo.executor, or the
//   built-in command executor whose id is the task id); a new executor gets a container
//   (LaunchExecutor) and must SUBSCRIBE within `executor_registration_timeout`; queued tasks
//   are then sent as LAUNCH events. The executor's UPDATEs are checkpointed, acknowledged to the
//   executor (ACKNOWLEDGED, after the checkpoint is durable: the shell runs Checkpoint commands
//   before any send of the same output) and forwarded to the master one at a time per task
//   (StatusUpdateStreams). When an executor's process ends, its unfinished tasks get a terminal
//   update from the agent (TASK_FAILED with REASON_EXECUTOR_TERMINATED, or
//   REASON_CONTAINER_LIMITATION_MEMORY after an OOM kill, or TASK_KILLED when a kill was asked).
//
// Recovery: the shell replays the checkpoint as in::Recover before anything else. Executors whose
// process still runs are re-attached and must re-subscribe within
// `executor_reregistration_timeout`; the agent registers with the master only once every
// recovered executor re-subscribed or was destroyed, so what it reports is current.
//
// Safety invariants (checked by tests/agent):
//   - a task's updates reach the master in the order the executor sent them, each until acked;
//   - every task the agent accepted ends with exactly one terminal update in its stream;
//   - a destroyed container's tasks are never reported running afterwards.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "core/agent/status_updates.h"
#include "core/api/agent_protocol.h"
#include "core/api/executor_api.h"
#include "core/base/random.h"

namespace atl::agent {

struct AgentOptions {
  // Reliable update retries (Mesos: 10 s doubling to 10 min).
  Duration retry_initial = Duration::Seconds(10);
  Duration retry_max = Duration::Minutes(10);
  // Registration retries (Mesos: 1 s doubling, capped at 1 min).
  Duration register_retry_initial = Duration::Seconds(1);
  Duration register_retry_max = Duration::Minutes(1);
  // A launched executor must subscribe within this (Mesos --executor_registration_timeout).
  Duration executor_registration_timeout = Duration::Minutes(1);
  // After recovery, executors must re-subscribe within this (Mesos: 2 s).
  Duration executor_reregistration_timeout = Duration::Seconds(2);
  // SHUTDOWN to an executor, then its container is destroyed after this (Mesos: 5 s), unless
  // ExecutorInfo.shutdown_grace_period says otherwise.
  Duration executor_shutdown_grace = Duration::Seconds(5);
  // Run tasks as CommandInfo.user, else as FrameworkInfo.user (Mesos --switch_user). When off,
  // only an explicit CommandInfo.user switches.
  bool switch_user = true;
  // Reported in REGISTER.
  std::string version = "atoll";
};

// An executor's event stream on this agent (the shell's connection id).
using ExecutorConn = uint64_t;

// One executor and its container as the checkpoint records it.
struct ExecutorRecord {
  model::FrameworkId framework_id;
  model::ExecutorInfo info;
  model::ContainerId container_id;
  bool command_executor = false;
  // Set once spawned; with the process start time it identifies the process after a restart.
  std::optional<int> pid;
  uint64_t pid_start_time = 0;
  bool operator==(const ExecutorRecord&) const = default;
};

// A task as the checkpoint records it.
struct TaskRecord {
  model::FrameworkId framework_id;
  model::ExecutorId executor_id;
  model::TaskInfo info;
  model::TaskState state = model::TaskState::kStaging;
  // Whether the executor was sent LAUNCH (else it waits in the executor's queue).
  bool launched = false;
  bool operator==(const TaskRecord&) const = default;
};

// Everything the agent checkpoints; in::Recover carries it back after a restart.
struct CheckpointedState {
  std::optional<model::AgentInfo> info;  // with id once registered
  std::vector<model::FrameworkInfo> frameworks;
  std::vector<ExecutorRecord> executors;
  std::vector<TaskRecord> tasks;
  // Unacknowledged updates per task, oldest first.
  std::vector<std::pair<TaskKey, std::vector<model::TaskStatus>>> updates;
  bool operator==(const CheckpointedState&) const = default;
};

namespace in {

// The checkpoint, replayed once before anything else (empty on a fresh work dir).
struct Recover {
  CheckpointedState state;
};
// A (new) connection to the master is up: register, or re-register with every task.
struct MasterConnected {};
struct MasterDisconnected {};
struct FromMaster {
  api::MasterToAgent message;
};
// An executor call. SUBSCRIBE comes with the stream `conn` that will carry its events.
struct FromExecutor {
  api::ExecutorCall call;
  ExecutorConn conn = 0;
  // The shell saw the kernel OOM-kill a process of the executor's container by the time the
  // call arrived: a terminal failure it reports is the container's memory limit (as Mesos's
  // memory isolator would report it).
  bool container_oom = false;
};
// An executor's event stream closed (the executor may reconnect).
struct ExecutorStreamClosed {
  ExecutorConn conn = 0;
};
// The container's process started (pid and its start time), or could not start.
struct ExecutorLaunched {
  model::FrameworkId framework_id;
  model::ExecutorId executor_id;
  model::ContainerId container_id;
  int pid = 0;
  uint64_t pid_start_time = 0;
};
struct ExecutorLaunchFailed {
  model::FrameworkId framework_id;
  model::ExecutorId executor_id;
  model::ContainerId container_id;
  std::string message;  // "Failed to fetch URIs: ...", "exec ...: No such file or directory"
};
// The executor's process ended. `wait_status` is unknown for a re-attached (non-child) process.
struct ExecutorExited {
  model::FrameworkId framework_id;
  model::ExecutorId executor_id;
  model::ContainerId container_id;
  std::optional<int> wait_status;
  std::string description;  // "exited with status 1", "terminated with signal Killed"
  bool oom_killed = false;  // the container hit its memory limit
};
struct Tick {};
// The agent process is stopping and destroys every container itself (`atoll up` on Ctrl-C):
// the exits that follow are kills, so their tasks end TASK_KILLED.
struct Stop {};

}  // namespace in

using Input = std::variant<in::Recover, in::MasterConnected, in::MasterDisconnected, in::FromMaster,
                           in::FromExecutor, in::ExecutorStreamClosed, in::ExecutorLaunched,
                           in::ExecutorLaunchFailed, in::ExecutorExited, in::Tick, in::Stop>;

namespace cmd {

struct SendToMaster {
  api::AgentToMaster message;
};
// Create the container (sandbox, cgroups limited to `resources`), fetch the URIs, and spawn the
// executor (the built-in command executor when `executor.command_executor`).
struct LaunchExecutor {
  ExecutorRecord executor;
  model::FrameworkInfo framework;
  model::Resources resources;  // the tasks' and the executor's, for isolation
  std::optional<std::string> user;
  // Fetched into the sandbox before the executor starts: the custom executor's
  // CommandInfo.uris, or the command task's.
  std::vector<model::CommandUri> uris;
};
struct SendToExecutor {
  ExecutorConn conn = 0;
  api::ExecutorEvent event;
};
// End an executor's event stream (it was replaced by a newer subscription).
struct CloseExecutorStream {
  ExecutorConn conn = 0;
};
// Kill the container's processes (SIGKILL to the process group and cgroup), remove its cgroups.
// An ExecutorExited input follows when the process was running.
struct DestroyContainer {
  model::FrameworkId framework_id;
  model::ExecutorId executor_id;
  model::ContainerId container_id;
};
// Durable state changes. The shell makes them durable before executing any other command of the
// same output (ACKNOWLEDGED to an executor promises the update is on disk).
struct PutAgentInfo {
  model::AgentInfo info;
};
struct PutFramework {
  model::FrameworkInfo info;
};
struct RemoveFramework {
  model::FrameworkId id;
};
struct PutExecutor {
  ExecutorRecord executor;
};
struct RemoveExecutor {
  model::FrameworkId framework_id;
  model::ExecutorId executor_id;
};
struct PutTask {
  TaskRecord task;
};
struct RemoveTask {
  TaskKey key;
};
// The task's unacknowledged updates, oldest first (empty: none).
struct PutUpdates {
  TaskKey key;
  std::vector<model::TaskStatus> updates;
};
struct WakeAt {
  Timestamp at;
};

}  // namespace cmd

using Command =
    std::variant<cmd::SendToMaster, cmd::LaunchExecutor, cmd::SendToExecutor,
                 cmd::CloseExecutorStream, cmd::DestroyContainer, cmd::PutAgentInfo,
                 cmd::PutFramework, cmd::RemoveFramework, cmd::PutExecutor, cmd::RemoveExecutor,
                 cmd::PutTask, cmd::RemoveTask, cmd::PutUpdates, cmd::WakeAt>;

// Whether a command changes the checkpoint (PutX / RemoveX): the shell makes these durable
// before it carries out the other commands of the same loop turn.
bool IsDurable(const Command& command);

struct Output {
  // The synchronous answer to a FromExecutor call: 202, or 400 with a message (SUBSCRIBE: 200
  // and the stream stays open).
  int http_status = 0;
  std::string http_body;
  std::vector<Command> commands;
};

class Agent {
 public:
  // `info` is what the agent advertises (hostname, port, resources, attributes); the id comes
  // from the master, or from the checkpoint.
  Agent(model::AgentInfo info, AgentOptions options, uint64_t seed);

  Output Handle(const Input& input, Timestamp now);

  // ---- views for /state, metrics and tests ----
  const model::AgentInfo& info() const { return info_; }
  bool registered() const { return registered_; }
  bool recovering() const { return recovering_; }
  bool shut_down() const { return shut_down_; }
  struct ExecutorView {
    const ExecutorRecord* record;
    bool subscribed;
    std::vector<model::TaskId> tasks;
  };
  std::vector<ExecutorView> executors() const;
  const std::map<TaskKey, TaskRecord>& tasks() const { return tasks_; }
  const std::map<model::FrameworkId, model::FrameworkInfo>& frameworks() const {
    return frameworks_;
  }
  size_t pending_updates() const { return streams_.pending_updates(); }
  // The executor's record, or nullptr.
  const ExecutorRecord* FindExecutorRecord(const model::FrameworkId& fw,
                                           const model::ExecutorId& id) const;
  const StatusUpdateStreams& streams() const { return streams_; }

 private:
  using ExecKey = std::pair<model::FrameworkId, model::ExecutorId>;
  enum class ExecState {
    kLaunching,    // container being created, process not subscribed yet
    kRunning,      // subscribed (conn set), or running but between streams
    kRecovering,   // re-attached after an agent restart, waiting for its re-subscription
    kTerminating,  // SHUTDOWN sent or container being destroyed; waiting for the exit
  };
  struct Executor {
    ExecutorRecord record;
    ExecState state = ExecState::kLaunching;
    std::optional<ExecutorConn> conn;
    std::set<model::TaskId> tasks;           // every task of this executor the agent knows
    std::vector<model::TaskId> queued;       // not yet sent as LAUNCH, in arrival order
    std::set<model::TaskId> kill_requested;  // kills to forward once subscribed
    std::optional<Timestamp> deadline;       // registration or shutdown deadline
    bool destroy_requested = false;
  };

  void OnRecover(Output& out, const CheckpointedState& state, Timestamp now);
  void OnMaster(Output& out, const api::MasterToAgent& message, Timestamp now);
  void OnRunTask(Output& out, const api::master_msg::RunTask& run, Timestamp now);
  void OnKillTask(Output& out, const api::master_msg::KillTask& kill, Timestamp now);
  void OnAcknowledge(Output& out, const api::master_msg::AcknowledgeUpdate& ack, Timestamp now);
  void OnExecutorCall(Output& out, const in::FromExecutor& call, Timestamp now);
  void OnSubscribe(Output& out, Executor& exec, const api::ExecutorCall& call, ExecutorConn conn,
                   Timestamp now);
  void OnExecutorUpdate(Output& out, Executor& exec, const model::TaskStatus& status, Timestamp now,
                        bool container_oom = false);
  void OnExecutorExited(Output& out, const in::ExecutorExited& exited, Timestamp now);
  void OnTick(Output& out, Timestamp now);

  // Records a new update for a task (checkpointed, queued for the master).
  void AddUpdate(Output& out, const TaskKey& key, model::TaskStatus status, Timestamp now);
  // An update made by the agent itself (source AGENT, fresh uuid) moving the task to `state`.
  void AgentUpdate(Output& out, const TaskKey& key, model::TaskState state,
                   model::TaskStatusReason reason, std::string message, Timestamp now);
  // Ends an executor: SHUTDOWN if subscribed (container destroyed after the grace), else destroy.
  void ShutdownExecutor(Output& out, Executor& exec, Timestamp now);
  void Destroy(Output& out, Executor& exec);
  // Forgets a task once its terminal update was acknowledged; the executor too when it is gone.
  void MaybeForgetTask(Output& out, const TaskKey& key);
  void SendRegister(Output& out, Timestamp now);
  void FinishRecovery(Output& out, Timestamp now);
  void SendToMaster(Output& out, api::AgentToMaster message);
  void Flush(Output& out, std::vector<api::AgentToMaster>& to_master);
  void Finish(Output& out, Timestamp now);
  void PutTaskRecord(Output& out, const TaskKey& key);
  void PutUpdatesOf(Output& out, const TaskKey& key);
  void SetDeadline(const ExecKey& key, Executor& exec, std::optional<Timestamp> at);
  Executor* FindExecutor(const model::FrameworkId& fw, const model::ExecutorId& id);
  Executor* FindByConn(ExecutorConn conn);
  model::ExecutorInfo CommandExecutorInfo(const model::TaskInfo& task) const;
  bool PartitionAware(const model::FrameworkId& fw) const;

  model::AgentInfo info_;
  AgentOptions options_;
  Random rng_;
  bool recovering_ = false;
  bool connected_ = false;
  bool registered_ = false;
  bool shut_down_ = false;
  std::optional<Timestamp> register_retry_at_;
  Duration register_backoff_;
  Duration heartbeat_interval_ = Duration::Seconds(15);
  std::optional<Timestamp> next_heartbeat_;
  std::map<model::FrameworkId, model::FrameworkInfo> frameworks_;
  std::map<ExecKey, Executor> executors_;
  std::set<std::pair<Timestamp, ExecKey>> deadlines_;
  std::map<TaskKey, TaskRecord> tasks_;
  StatusUpdateStreams streams_;
  // The uuids of every update recorded per task (until it is forgotten), so an executor's
  // resend of one already acknowledged by the scheduler is not delivered twice.
  std::map<TaskKey, std::set<std::string>> received_;
  // Custom executor exits the master has not heard of yet (told after re-registering).
  std::vector<api::agent_msg::ExecutorExited> exited_executors_;
};

}  // namespace atl::agent
