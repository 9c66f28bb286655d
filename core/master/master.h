// The master state machine: frameworks, agents, offers, tasks, filters, status routing and
// reconciliation. Deterministic: same prior inputs + same (input, now) => same output.
// It owns no sockets, threads or clocks; core/cmd wires it to HTTP streams and agents.
//
// Connections are opaque `ConnId`s chosen by the shell: one per framework event stream (the
// SUBSCRIBE response) and one per agent.
//
// Safety invariants (tests/sim checks them after every event):
//  - a resource is in at most one outstanding offer, and offered + used <= agent total;
//  - no offer is usable after it was rescinded, declined, accepted or discarded;
//  - a framework has at most one subscribed stream; events only go to subscribed streams;
//  - every task the master knows is on a known agent and belongs to a known framework.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "core/allocator/allocator.h"
#include "core/api/scheduler_call.h"
#include "core/api/scheduler_event.h"
#include "core/base/random.h"
#include "core/base/time.h"
#include "core/api/agent_protocol.h"
#include "core/master/registry.h"

namespace atl::master {

// The agent protocol is defined in core/api (beside the scheduler API); the master speaks it.
using api::AgentToMaster;
using api::MasterToAgent;
using api::ReportedTask;
namespace agent_msg = ::atl::api::agent_msg;
namespace master_msg = ::atl::api::master_msg;

using ConnId = uint64_t;

struct Options {
  std::string hostname = "127.0.0.1";
  std::string ip = "127.0.0.1";
  int port = 5050;
  std::string version = "1.11.0";
  // Unset: offers live until used, declined or rescinded for another reason.
  std::optional<Duration> offer_timeout;
  Duration allocation_interval = Duration::Seconds(1);
  // HEARTBEAT period on framework streams (Mesos: fixed 15 s).
  Duration heartbeat_interval = Duration::Seconds(15);
  // Agents heartbeat at this period; after `max_missed_agent_heartbeats` periods of silence
  // (or a broken connection plus `agent_reregister_timeout`) an agent is unreachable.
  Duration agent_heartbeat_interval = Duration::Seconds(15);
  int max_missed_agent_heartbeats = 5;
  Duration agent_reregister_timeout = Duration::Minutes(10);
  // Roles frameworks may subscribe with; empty = any valid role.
  std::vector<std::string> roles;
  std::map<std::string, double> weights;
  std::vector<model::Resources> min_allocatable_resources;  // empty = cpus:0.01 | mem:32
  size_t max_completed_tasks_per_framework = 1000;
  size_t max_completed_frameworks = 50;
  // Seeds ids (master id, stream ids) and the allocator's agent shuffle.
  uint64_t seed = 1;
};

// ---- inputs ----
namespace in {
// A SUBSCRIBE call opening event stream `conn` (the HTTP layer rejected a SUBSCRIBE that
// carried Mesos-Stream-Id already).
struct Subscribe {
  ConnId conn = 0;
  api::Call call;
};
// Any other call, with the Mesos-Stream-Id header ("" if absent).
struct Call {
  std::string stream_id;
  api::Call call;
};
struct StreamClosed {
  ConnId conn = 0;
};
struct AgentMessage {
  ConnId conn = 0;
  AgentToMaster message;
};
struct AgentClosed {
  ConnId conn = 0;
};
// A timer requested by a WakeAt came due (spurious ticks are harmless).
struct Tick {};
struct UpdateWeights {
  std::map<std::string, double> weights;
};
// New quotas for some roles, applied and persisted together (all or nothing); an empty Quota
// removes a role's quota. Outstanding offers of those roles are rescinded, so no offer made
// under the old quota survives the change.
struct UpdateQuota {
  std::map<std::string, allocator::Quota> quotas;
};
}  // namespace in

using Input = std::variant<in::Subscribe, in::Call, in::StreamClosed, in::AgentMessage,
                           in::AgentClosed, in::Tick, in::UpdateWeights, in::UpdateQuota>;

// ---- commands ----
namespace cmd {
struct SendEvent {
  ConnId conn = 0;
  api::Event event;
};
// End a framework's event stream (after an ERROR, a failover or a teardown).
struct CloseStream {
  ConnId conn = 0;
};
struct SendToAgent {
  ConnId conn = 0;
  MasterToAgent message;
};
struct CloseAgent {
  ConnId conn = 0;
};
struct WakeAt {
  Timestamp at;
};
// Write the registry durably before acting on what depends on it.
struct PersistRegistry {
  RegistryDelta delta;
};
}  // namespace cmd

using Command = std::variant<cmd::SendEvent, cmd::CloseStream, cmd::SendToAgent, cmd::CloseAgent,
                             cmd::WakeAt, cmd::PersistRegistry>;

// The synchronous answer to an HTTP call, plus what to do.
struct Output {
  int http_status = 202;
  std::string http_body;  // text reason for 4xx
  std::string stream_id;  // set on a successful SUBSCRIBE (Mesos-Stream-Id)
  std::vector<Command> commands;
};

// ---- state, readable by the HTTP endpoints ----
struct Task {
  // Shared, immutable: the in-process agent holds the same TaskInfo (no copy per launch).
  std::shared_ptr<const model::TaskInfo> info;
  model::FrameworkId framework_id;
  model::AgentId agent_id;
  std::string role;
  model::TaskState state = model::TaskState::kStaging;
  // The last status forwarded to the framework (reconciliation answers from it).
  std::optional<model::TaskStatus> status;
  std::vector<model::TaskState> history;  // states seen, in order
  bool resources_released = false;
  Timestamp staged_at;
};

struct OfferEntry {
  model::Offer offer;  // as sent (allocation info stripped for non-MULTI_ROLE frameworks)
  std::string role;
  model::Resources resources;  // with allocation_role, as the allocator gave them
  Timestamp created;
  std::optional<Timestamp> expires;
};

struct Framework {
  model::FrameworkId id;
  model::FrameworkInfo info;
  std::optional<ConnId> conn;
  std::string stream_id;
  bool active = false;
  std::optional<Timestamp> failover_deadline;
  std::vector<std::string> suppressed_roles;
  Timestamp registered_time;
  std::optional<Timestamp> reregistered_time;
  std::optional<Timestamp> unregistered_time;
  absl::flat_hash_set<model::OfferId> offers;
  absl::flat_hash_set<model::TaskId> tasks;  // live (and terminal-but-unacknowledged) tasks
  std::deque<Task> completed_tasks;
  // Offers counters, for metrics and /master/state.
  uint64_t offers_sent = 0, offers_accepted = 0, offers_declined = 0, offers_rescinded = 0;

  bool connected() const { return conn.has_value(); }
  bool partition_aware() const {
    return info.HasCapability(model::FrameworkCapability::kPartitionAware);
  }
};

struct Agent {
  model::AgentId id;
  model::AgentInfo info;  // id set
  std::optional<ConnId> conn;
  enum class State { kRegistered, kRecovered, kUnreachable, kGone };
  State state = State::kRegistered;
  model::Resources total;
  Timestamp registered_time;
  std::optional<Timestamp> reregistered_time;
  Timestamp last_heard;
  std::optional<Timestamp> disconnected_at;
  std::optional<Timestamp> unreachable_time;
  absl::flat_hash_set<model::OfferId> offers;
  // Tasks on the agent, by framework.
  absl::flat_hash_map<model::FrameworkId, absl::flat_hash_set<model::TaskId>> tasks;
  // Custom executors running on the agent, by framework. Their resources are charged once, when
  // the first task starts them, and released when the agent reports them gone.
  struct Executor {
    model::ExecutorInfo info;
    std::string role;
    model::Resources resources;  // with allocation role
  };
  absl::flat_hash_map<model::FrameworkId, std::map<model::ExecutorId, Executor>> executors;
  // Kills asked for while the agent was disconnected; sent when it re-registers.
  std::vector<master_msg::KillTask> pending_kills;
};

struct Metrics {
  absl::flat_hash_map<std::string, uint64_t> counters;  // Mesos names: "master/messages_kill_task"
  void Inc(const std::string& name, uint64_t n = 1) { counters[name] += n; }
  uint64_t Get(const std::string& name) const {
    auto it = counters.find(name);
    return it == counters.end() ? 0 : it->second;
  }
};

class Master {
 public:
  // `registry`: as last persisted (empty on first start). Recovered agents get
  // `agent_reregister_timeout` to come back before they are marked unreachable.
  Master(Options options, Registry registry, Timestamp now);

  Output Handle(const Input& input, Timestamp now);

  // ---- read-only views ----
  const model::MasterInfo& info() const { return info_; }
  const Options& options() const { return options_; }
  Timestamp start_time() const { return start_time_; }
  const std::map<model::FrameworkId, Framework>& frameworks() const { return frameworks_; }
  const std::deque<Framework>& completed_frameworks() const { return completed_frameworks_; }
  const std::map<model::AgentId, Agent>& agents() const { return agents_; }
  const absl::flat_hash_map<model::OfferId, OfferEntry>& offers() const { return offers_; }
  const Task* FindTask(const model::FrameworkId& fw, const model::TaskId& task) const;
  const Registry& registry() const { return registry_; }
  const allocator::HierarchicalAllocator& allocator() const { return *allocator_; }
  const Metrics& metrics() const { return metrics_; }
  size_t task_count() const { return tasks_.size(); }
  // Number of live tasks per state name ("TASK_RUNNING" -> n).
  std::map<std::string, uint64_t> TaskStateCounts() const;
  // Resources used by tasks and their executors on an agent (flattened), and offered on it.
  model::Resources UsedResources(const Agent& agent) const;
  model::Resources OfferedResources(const Agent& agent) const;
  // Resources of the custom executors running on an agent (flattened).
  model::Resources ExecutorResources(const Agent& agent) const;

 private:
  struct Context;  // the output being built for one input
  using TaskKey = std::pair<model::FrameworkId, model::TaskId>;
  struct TaskKeyHash {
    size_t operator()(const TaskKey& k) const;
  };

  // master.cc: frameworks and calls.
  void OnSubscribe(Context& ctx, const in::Subscribe& s);
  void OnCall(Context& ctx, const in::Call& c);
  void OnStreamClosed(Context& ctx, ConnId conn);
  void OnTick(Context& ctx);
  void Teardown(Context& ctx, Framework& fw, const std::string& why);
  void SendToFramework(Context& ctx, Framework& fw, api::Event event);
  void Kill(Context& ctx, Framework& fw, const api::call::Kill& kill);
  // The state of the last update forwarded to the framework (STAGING before any).
  model::TaskState ForwardedState(const Task& task) const;
  void Acknowledge(Context& ctx, Framework& fw, const api::call::Acknowledge& ack);
  void Reconcile(Context& ctx, Framework& fw, const api::call::Reconcile& rec);
  model::TaskStatus MasterStatus(const Framework& fw, const model::TaskId& task,
                                 std::optional<model::AgentId> agent, model::TaskState state,
                                 model::TaskStatusReason reason, std::string message) const;
  void ScheduleWake(Context& ctx);

  // master_offers.cc: allocation, offers, accept.
  void Allocate(Context& ctx, const std::vector<model::AgentId>* agents);
  void RemoveOffer(Context& ctx, const model::OfferId& id, bool rescind,
                   std::optional<Duration> refuse);
  void Accept(Context& ctx, Framework& fw, const api::call::Accept& accept);
  void Decline(Context& ctx, Framework& fw, const api::call::Decline& decline);
  // REQUIRES: task resources (and its executor's) carry the offer's allocation role.
  absl::Status ValidateTask(const Framework& fw, const model::TaskInfo& task, const Agent& agent,
                            const model::Resources& pool) const;
  // What launching `task` charges beyond its own resources: its executor's, if that executor
  // is not running on the agent yet.
  model::Resources NewExecutorResources(const Framework& fw, const Agent& agent,
                                        const model::TaskInfo& task) const;
  void LaunchTask(Context& ctx, Framework& fw, Agent& agent, model::TaskInfo task,
                  const std::string& role);
  void RescindAgentOffers(Context& ctx, Agent& agent, bool rescind_event);

  // master_agents.cc: the agent protocol.
  void OnAgentMessage(Context& ctx, ConnId conn, const AgentToMaster& msg);
  void OnRegister(Context& ctx, ConnId conn, const agent_msg::Register& reg);
  void OnStatusUpdate(Context& ctx, Agent& agent, const agent_msg::StatusUpdate& update);
  void OnAgentClosed(Context& ctx, ConnId conn);
  void MarkUnreachable(Context& ctx, Agent& agent);
  void SendToAgent(Context& ctx, const model::AgentId& agent, MasterToAgent msg);
  void ReleaseTaskResources(Context& ctx, Task& task);
  void RemoveTask(Context& ctx, const TaskKey& key);
  // Marks the registry entry of `agent` (or, without one, the small tables) for persisting.
  void Persist(Context& ctx, const std::optional<model::AgentId>& agent);

  std::string NextId(char kind);

  Options options_;
  Registry registry_;
  Random rng_;
  model::MasterInfo info_;
  Timestamp start_time_;
  std::unique_ptr<allocator::HierarchicalAllocator> allocator_;
  std::map<model::FrameworkId, Framework> frameworks_;
  std::deque<Framework> completed_frameworks_;
  absl::flat_hash_set<model::FrameworkId> removed_framework_ids_;
  std::map<model::AgentId, Agent> agents_;
  absl::flat_hash_map<ConnId, model::AgentId> agent_by_conn_;
  absl::flat_hash_map<ConnId, model::FrameworkId> framework_by_conn_;
  absl::flat_hash_map<model::OfferId, OfferEntry> offers_;
  // Node-based: a Task is large and a flat table would carry empty slots of that size.
  absl::node_hash_map<TaskKey, Task, TaskKeyHash> tasks_;
  std::set<std::pair<Timestamp, model::OfferId>> offer_expiry_;
  Timestamp next_allocation_;
  Timestamp next_heartbeat_;
  std::optional<Timestamp> last_wake_;
  uint64_t next_framework_ = 0;
  uint64_t next_offer_ = 0;
  Metrics metrics_;
};

}  // namespace atl::master
