// A simulated agent: speaks the agent protocol (core/master/agent_protocol.h) exactly as the
// real agent does — registration, heartbeats, reliable ordered status updates with retries,
// kill, framework shutdown, re-registration with its tasks — but runs no processes: a task
// reaches TASK_RUNNING after `running_delay`. The status updates go through the same
// StatusUpdateStreams as the real agent's. Used by `atoll master --simulated-agents N`,
// by tests/sim and by the benchmarks. Deterministic: time is a parameter, ids are seeded.
//
// Simulated behaviour can be scripted through the task's command value:
//   "sim:finish"  -> TASK_FINISHED once running_delay has passed after RUNNING
//   "sim:fail"    -> TASK_FAILED likewise (message "Command exited with status 1")
// any other command keeps running until killed. A task with a health check reports
// healthy=true with TASK_RUNNING ("sim:unhealthy": healthy=false, and stays so; "sim:flap":
// healthy, then flips every running_delay, each flip a TASK_RUNNING update).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "core/agent/status_updates.h"
#include "core/api/agent_protocol.h"
#include "core/base/random.h"

namespace atl::agent {

struct SimulatedAgentOptions {
  // Delay from RunTask to TASK_RUNNING (0 = at once).
  Duration running_delay = Duration::Zero();
  // Send TASK_STARTING before TASK_RUNNING, as the command executor does.
  bool send_starting = true;
  // Unacknowledged updates are resent with exponential backoff (Mesos: 10 s doubling to 10 min).
  Duration retry_initial = Duration::Seconds(10);
  Duration retry_max = Duration::Minutes(10);
  // A registration without an answer is resent with backoff (Mesos: 1 s doubling to 1 min).
  Duration register_retry_initial = Duration::Seconds(1);
  Duration register_retry_max = Duration::Minutes(1);
};

class SimulatedAgent {
 public:
  struct Output {
    std::vector<api::AgentToMaster> to_master;
    std::optional<Timestamp> wake_at;  // earliest time Tick() has something to do
  };

  SimulatedAgent(model::AgentInfo info, SimulatedAgentOptions options, uint64_t seed);

  // A (new) connection to the master is up: register, or re-register with every task.
  Output Connect(Timestamp now);
  Output Handle(const api::MasterToAgent& message, Timestamp now);
  Output Tick(Timestamp now);

  // ---- views for tests and /state ----
  const model::AgentInfo& info() const { return info_; }
  bool registered() const { return registered_; }
  bool shut_down() const { return shut_down_; }
  size_t task_count() const { return tasks_.size(); }
  // Current state of a task this agent runs, if known.
  std::optional<model::TaskState> TaskStateOf(const model::FrameworkId& fw,
                                              const model::TaskId& task) const;
  // Number of updates waiting for an acknowledgement.
  size_t pending_updates() const;

 private:
  using Key = TaskKey;
  struct KeyHash {
    size_t operator()(const Key& k) const { return absl::HashOf(k.first, k.second); }
  };
  // Kept lean: the C1M benchmark holds a million of them. Unacknowledged updates live in
  // streams_, which holds nothing for a task without any.
  struct Task {
    std::shared_ptr<const model::TaskInfo> info;
    std::optional<Timestamp> transition_at;  // next scripted state change
    model::TaskState state = model::TaskState::kStaging;
    bool healthy = true;  // what its (simulated) health check says, when it has one
  };

  void Transition(Output& out, const Key& key, Task& task, model::TaskState state,
                  std::string message, Timestamp now);
  void SetTransition(const Key& key, Task& task, std::optional<Timestamp> at);
  // The scripted state change of a task whose transition timer fired.
  void ScriptedTransition(Output& out, const Key& key, Task& task, Timestamp now);
  void Finish(Output& out) const;
  void SendRegister(Output& out, Timestamp now);

  model::AgentInfo info_;
  SimulatedAgentOptions options_;
  Random rng_;
  bool registered_ = false;
  std::optional<Timestamp> register_retry_at_;
  Duration register_backoff_;
  bool shut_down_ = false;
  Duration heartbeat_interval_ = Duration::Seconds(15);
  std::optional<Timestamp> next_heartbeat_;
  std::map<model::FrameworkId, model::FrameworkInfo> frameworks_;
  // Executor exits that happened while unregistered.
  std::vector<api::agent_msg::ExecutorExited> exited_executors_;
  absl::node_hash_map<Key, Task, KeyHash> tasks_;
  // Reliable delivery of the tasks' status updates (ordered, retried until acknowledged).
  StatusUpdateStreams streams_;
  // Scripted transition timers, earliest first (at most one per task).
  std::set<std::pair<Timestamp, Key>> transitions_;
};

}  // namespace atl::agent
