// Random input sequences against the real agent, checked against the safety invariants of
// core/agent/agent.h after every step. Seeded; the seed is printed. Reproduce one with
// ATOLL_TEST_SEED=<seed> (ATOLL_AGENT_TRACE=1 prints its inputs and commands).
#include "tests/agent/agent_test_util.h"

namespace atl::agent::test_util {
namespace {

// ---------------------------------------------------------------------------------------------
// Random input sequences, checked against the safety invariants of agent.h after every step.
//
// A model of everything around the agent drives it: the shell (the checkpoint on disk, built
// from the Put/Remove commands, made durable before the other commands of an output; executor
// processes that start, fail to start, crash, or exit once destroyed), the executors (subscribe,
// report progress, resend, lose their stream, obey KILL and SHUTDOWN) and the master (registers
// the agent, launches and kills tasks, acknowledges what it receives in any order, shuts
// executors down, drops the connection). Now and then the agent restarts from the checkpoint.
// At the end everything is driven to completion and every task must have ended exactly once.

class World {
 public:
  explicit World(uint64_t seed) : rng_(seed) {
    model::FrameworkInfo ckpt = Framework("ckpt", true);
    ckpt.capabilities.push_back(model::FrameworkCapability::kPartitionAware);
    frameworks_[model::FrameworkId("fw-ckpt")] = ckpt;
    frameworks_[model::FrameworkId("fw-plain")] = Framework("plain", false);
    agent_ = std::make_unique<Agent>(AgentInfoOf(), AgentOptions{}, rng_.Next64());
    Handle(in::Recover{});
  }

  void Step();
  // Drives everything to completion and checks that every task ended exactly once.
  void Finish();

  const std::vector<std::string>& violations() const { return violations_; }
  struct Stats {
    int tasks = 0, forwarded = 0, kills = 0, restarts = 0, destroyed = 0, crashes = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  using ExecKey = std::pair<model::FrameworkId, model::ExecutorId>;
  // An executor process (once spawned) and what the executor in it knows.
  struct Proc {
    model::FrameworkId framework_id;
    model::ExecutorId executor_id;
    bool spawned = false;
    bool destroyed = false;  // DestroyContainer seen: it will be killed
    // Killed: the shell destroys containers as it is told, so one destroyed before an agent
    // restart is dead after it (the checkpoint does not record pending destructions).
    bool dead = false;
    std::optional<ExecutorConn> conn;
    std::map<model::TaskId, model::TaskInfo> tasks;  // LAUNCHed
    std::map<model::TaskId, TaskState> states;       // as the executor sees them
    std::set<model::TaskId> confirmed;               // some update of it was ACKNOWLEDGED
    std::vector<model::TaskStatus> unacked;          // sent, no ACKNOWLEDGED yet
    std::vector<model::TaskStatus> sent;
    std::set<model::TaskId> kills;
    bool shutdown = false;
  };

  bool Chance(int percent) { return rng_.Uniform(100) < static_cast<uint64_t>(percent); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[rng_.Uniform(v.size())];
  }
  void Violation(const std::string& what) {
    if (violations_.size() < 10) {
      violations_.push_back(
          StrCat("at +", (now_ - kStart).ToString(), " (input ", handled_, "): ", what));
    }
  }

  Output Handle(const Input& input);
  void ApplyDurable(const Command& c, const Input& input);
  void ApplyUpdates(const cmd::PutUpdates& p, const Input& input);
  void Accept(const TaskKey& key, const model::TaskStatus& status);
  void ApplyEffect(const Command& c);
  void OnMasterMessage(const api::AgentToMaster& m);
  void CheckViews();

  // Master
  void Connect();
  void Disconnect();
  void ReplyRegistered();
  void RunTask();
  void KillTask();
  void Acknowledge();
  void Shutdown();
  // Shell
  void ReportLaunch(const model::ContainerId& c, bool ok);
  void ReportExit(const model::ContainerId& c, bool oom);
  void Restart();
  // Executors
  void Subscribe(const model::ContainerId& c);
  void SendUpdate(const model::ContainerId& c, const model::TaskId& task);
  Output CallFrom(const Proc& p, api::ExecutorCall::Body body, ExecutorConn conn = 0) {
    return Handle(
        in::FromExecutor{api::ExecutorCall{p.executor_id, p.framework_id, std::move(body)}, conn});
  }
  std::vector<model::ContainerId> Procs(const std::function<bool(const Proc&)>& pred) const {
    std::vector<model::ContainerId> v;
    for (const auto& [c, p] : procs_) {
      if (pred(p)) v.push_back(c);
    }
    return v;
  }
  bool KnownToAgent(const model::ContainerId& c, const Proc& p) const {
    auto it = disk_executors_.find({p.framework_id, p.executor_id});
    return it != disk_executors_.end() && it->second.container_id == c;
  }
  bool Done() const {
    return procs_.empty() && agent_->tasks().empty() && agent_->pending_updates() == 0 &&
           agent_->executors().empty();
  }

  Random rng_;
  std::unique_ptr<Agent> agent_;
  Timestamp now_ = kStart;
  std::optional<Timestamp> wake_;
  int incarnation_ = 0;
  int handled_ = 0;
  int next_task_ = 0;
  int next_uuid_ = 0;
  ExecutorConn next_conn_ = 1;
  std::vector<std::string> violations_;
  Stats stats_;

  // The checkpoint.
  std::optional<model::AgentInfo> disk_info_;
  std::map<model::FrameworkId, model::FrameworkInfo> disk_frameworks_;
  std::map<ExecKey, ExecutorRecord> disk_executors_;
  std::map<TaskKey, TaskRecord> disk_tasks_;
  std::map<TaskKey, std::vector<model::TaskStatus>> disk_updates_;

  std::map<model::ContainerId, Proc> procs_;
  std::set<model::ContainerId> containers_;  // every container ever launched
  std::set<model::ContainerId> destroyed_;

  // The master.
  std::map<model::FrameworkId, model::FrameworkInfo> frameworks_;
  bool connected_ = false;
  bool register_outstanding_ = false;
  bool registered_ = false;
  std::set<model::FrameworkId> sent_framework_;
  std::vector<mmsg::AcknowledgeUpdate> inbox_;  // forwarded updates the scheduler will ack
  std::vector<TaskKey> master_tasks_;
  std::map<TaskKey, TaskState> master_latest_;
  std::map<ExecKey, int> owed_exits_;  // custom executors forgotten, not reported yet

  // What the agent did with updates.
  std::set<TaskKey> accepted_tasks_;
  std::map<TaskKey, model::ContainerId> task_container_;
  std::map<TaskKey, std::set<std::string>> accepted_uuids_;
  std::map<std::string, int> popped_in_;  // uuid -> incarnation that saw its acknowledgement
  std::set<TaskKey> terminal_accepted_;
  std::set<std::string> forwarded_uuids_;
  std::map<TaskKey, int> terminal_forwarded_;
};

// ATOLL_AGENT_TRACE=1 prints every input and the commands it produced.
std::string Describe(const Input& input) {
  return std::visit(
      Overloaded{
          [](const in::Recover& r) {
            return StrCat("Recover ", r.state.executors.size(), " execs");
          },
          [](const in::MasterConnected&) { return std::string("MasterConnected"); },
          [](const in::MasterDisconnected&) { return std::string("MasterDisconnected"); },
          [](const in::FromMaster& m) {
            return std::visit(
                Overloaded{
                    [](const mmsg::Registered&) { return std::string("Registered"); },
                    [](const mmsg::RunTask& r) {
                      return StrCat("RunTask ", r.task->task_id.value(), " on ",
                                    r.task->executor ? r.task->executor->executor_id.value()
                                                     : r.task->task_id.value());
                    },
                    [](const mmsg::KillTask& k) { return StrCat("KillTask ", k.task_id.value()); },
                    [](const mmsg::AcknowledgeUpdate& a) {
                      return StrCat("Ack ", a.task_id.value(), " ", a.uuid);
                    },
                    [](const mmsg::ShutdownFramework& f) {
                      return StrCat("ShutdownFramework ", f.framework_id.value());
                    },
                    [](const mmsg::ShutdownExecutor& e) {
                      return StrCat("ShutdownExecutor ", e.executor_id.value());
                    },
                    [](const auto&) { return std::string("other master message"); },
                },
                m.message);
          },
          [](const in::FromExecutor& c) {
            return StrCat("FromExecutor ", c.call.executor_id.value(), " body ",
                          c.call.body.index(), " conn ", c.conn);
          },
          [](const in::ExecutorStreamClosed& c) { return StrCat("StreamClosed ", c.conn); },
          [](const in::ExecutorLaunched& l) {
            return StrCat("Launched ", l.executor_id.value(), " ", l.container_id.value());
          },
          [](const in::ExecutorLaunchFailed& l) {
            return StrCat("LaunchFailed ", l.executor_id.value(), " ", l.container_id.value());
          },
          [](const in::ExecutorExited& e) {
            return StrCat("Exited ", e.executor_id.value(), " ", e.container_id.value());
          },
          [](const in::Tick&) { return std::string("Tick"); },
          [](const in::Stop&) { return std::string("Stop"); },
      },
      input);
}

std::string Describe(const Command& c) {
  return std::visit(
      Overloaded{
          [](const cmd::SendToMaster& m) { return StrCat("  ToMaster ", m.message.index()); },
          [](const cmd::LaunchExecutor& l) {
            return StrCat("  LaunchExecutor ", l.executor.info.executor_id.value(), " ",
                          l.executor.container_id.value());
          },
          [](const cmd::SendToExecutor& s) {
            return StrCat("  ToExecutor conn ", s.conn, " event ", s.event.body.index());
          },
          [](const cmd::DestroyContainer& d) {
            return StrCat("  Destroy ", d.executor_id.value(), " ", d.container_id.value());
          },
          [](const cmd::PutTask& t) {
            return StrCat("  PutTask ", t.task.info.task_id.value(), " ",
                          model::TaskStateName(t.task.state), " launched ", t.task.launched);
          },
          [](const cmd::RemoveExecutor& r) {
            return StrCat("  RemoveExecutor ", r.executor_id.value());
          },
          [](const auto&) { return std::string(); },
      },
      c);
}

Output World::Handle(const Input& input) {
  const std::optional<Timestamp> wake_before = wake_;
  Output out = agent_->Handle(input, now_);
  ++handled_;
  if (std::getenv("ATOLL_AGENT_TRACE") != nullptr) {
    std::cout << handled_ << " +" << (now_ - kStart).ToString() << " " << Describe(input) << "\n";
    for (const Command& c : out.commands) {
      if (std::string d = Describe(c); !d.empty()) std::cout << d << "\n";
    }
  }
  for (const Command& c : out.commands) ApplyDurable(c, input);
  wake_.reset();
  for (const Command& c : out.commands) ApplyEffect(c);
  if (std::holds_alternative<in::Tick>(input)) {
    const bool due = wake_before && *wake_before <= now_;
    if (!due && !DoesNothing(out)) Violation("a Tick before the WakeAt did something");
    if (wake_ && *wake_ <= now_) Violation("WakeAt not in the future after a Tick");
  }
  CheckViews();
  return out;
}

void World::ApplyDurable(const Command& c, const Input& input) {
  std::visit(
      Overloaded{
          [&](const cmd::PutAgentInfo& p) { disk_info_ = p.info; },
          [&](const cmd::PutFramework& p) {
            if (!p.info.id) Violation("PutFramework without an id");
            disk_frameworks_[p.info.id.value_or(model::FrameworkId())] = p.info;
          },
          [&](const cmd::RemoveFramework& r) { disk_frameworks_.erase(r.id); },
          [&](const cmd::PutExecutor& p) {
            disk_executors_[{p.executor.framework_id, p.executor.info.executor_id}] = p.executor;
          },
          [&](const cmd::RemoveExecutor& r) {
            auto it = disk_executors_.find({r.framework_id, r.executor_id});
            if (it == disk_executors_.end()) {
              Violation("RemoveExecutor of an unknown executor");
              return;
            }
            if (procs_.contains(it->second.container_id)) {
              Violation(StrCat("executor ", r.executor_id.value(),
                               " forgotten while its process still runs"));
            }
            if (!it->second.command_executor) ++owed_exits_[it->first];
            disk_executors_.erase(it);
          },
          [&](const cmd::PutTask& p) {
            TaskKey k{p.task.framework_id, p.task.info.task_id};
            auto it = disk_tasks_.find(k);
            if (it != disk_tasks_.end() && model::IsTerminal(it->second.state) &&
                !model::IsTerminal(p.task.state)) {
              Violation(StrCat("task ", k.second.value(), " went back from terminal"));
            }
            if (it == disk_tasks_.end() && !accepted_tasks_.contains(k)) {
              accepted_tasks_.insert(k);
              auto e = disk_executors_.find({k.first, p.task.executor_id});
              if (e == disk_executors_.end()) {
                Violation(StrCat("task ", k.second.value(), " checkpointed without its executor"));
              } else {
                task_container_[k] = e->second.container_id;
              }
            }
            disk_tasks_[k] = p.task;
          },
          [&](const cmd::RemoveTask& r) {
            auto it = disk_tasks_.find(r.key);
            if (it == disk_tasks_.end()) {
              Violation("RemoveTask of an unknown task");
              return;
            }
            if (!model::IsTerminal(it->second.state)) {
              Violation(StrCat("non-terminal task ", r.key.second.value(), " forgotten"));
            }
            if (disk_updates_.contains(r.key)) {
              Violation(StrCat("task ", r.key.second.value(), " forgotten with pending updates"));
            }
            disk_tasks_.erase(it);
          },
          [&](const cmd::PutUpdates& p) { ApplyUpdates(p, input); },
          [](const auto&) {},
      },
      c);
}

void World::ApplyUpdates(const cmd::PutUpdates& p, const Input& input) {
  const std::vector<model::TaskStatus> old =
      disk_updates_.contains(p.key) ? disk_updates_.at(p.key) : std::vector<model::TaskStatus>{};
  const std::string task = p.key.second.value();
  // A stream is a FIFO: at most its head leaves (by its acknowledgement), the rest is appended.
  size_t popped = 0;
  if (!old.empty() && (p.updates.empty() || p.updates[0].uuid != old[0].uuid)) popped = 1;
  for (size_t i = popped; i < old.size(); ++i) {
    if (i - popped >= p.updates.size() || p.updates[i - popped].uuid != old[i].uuid) {
      Violation(StrCat("updates of ", task, " rewritten rather than appended"));
      break;
    }
  }
  if (popped == 1) {
    const auto* m = std::get_if<in::FromMaster>(&input);
    const auto* ack = m == nullptr ? nullptr : std::get_if<mmsg::AcknowledgeUpdate>(&m->message);
    if (ack == nullptr || ack->uuid != old[0].uuid) {
      Violation(StrCat("an update of ", task, " was dropped without being acknowledged"));
    }
    popped_in_[old[0].uuid] = incarnation_;
  }
  for (size_t j = old.size() - popped; j < p.updates.size(); ++j) Accept(p.key, p.updates[j]);
  int terminals = 0;
  for (size_t j = 0; j < p.updates.size(); ++j) {
    if (!model::IsTerminal(p.updates[j].state)) continue;
    ++terminals;
    if (j + 1 != p.updates.size()) Violation(StrCat("an update of ", task, " after its terminal"));
  }
  if (terminals > 1) Violation(StrCat("two terminal updates queued for ", task));
  if (p.updates.empty()) {
    disk_updates_.erase(p.key);
  } else {
    disk_updates_[p.key] = p.updates;
  }
}

void World::Accept(const TaskKey& key, const model::TaskStatus& status) {
  const std::string task = key.second.value();
  if (status.uuid.size() != 16) Violation(StrCat("an update of ", task, " without a 16-byte uuid"));
  if (accepted_uuids_[key].contains(status.uuid)) {
    // Only an agent that restarted may take an update it had already delivered again.
    auto popped = popped_in_.find(status.uuid);
    if (popped == popped_in_.end() || popped->second == incarnation_) {
      Violation(StrCat("update ", status.uuid, " of ", task, " recorded twice"));
    }
  }
  accepted_uuids_[key].insert(status.uuid);
  if (terminal_accepted_.contains(key)) {
    Violation(StrCat("update ", model::TaskStateName(status.state), " of ", task,
                     " recorded after its terminal update"));
  }
  if (model::IsTerminal(status.state)) {
    terminal_accepted_.insert(key);
  } else if (auto c = task_container_.find(key);
             c != task_container_.end() && destroyed_.contains(c->second)) {
    Violation(StrCat("task ", task, " of a destroyed container reported ",
                     model::TaskStateName(status.state)));
  }
}

void World::ApplyEffect(const Command& c) {
  auto by_conn = [&](ExecutorConn conn) -> std::pair<const model::ContainerId*, Proc*> {
    for (auto& [id, p] : procs_) {
      if (p.conn == conn) return {&id, &p};
    }
    return {nullptr, nullptr};
  };
  std::visit(Overloaded{
                 [&](const cmd::SendToMaster& s) { OnMasterMessage(s.message); },
                 [&](const cmd::LaunchExecutor& l) {
                   const model::ContainerId& id = l.executor.container_id;
                   if (id.empty() || containers_.contains(id)) Violation("container id reused");
                   containers_.insert(id);
                   if (!l.resources.Contains(l.executor.info.resources)) {
                     Violation("container resources miss the executor's");
                   }
                   Proc p;
                   p.framework_id = l.executor.framework_id;
                   p.executor_id = l.executor.info.executor_id;
                   procs_[id] = std::move(p);
                 },
                 [&](const cmd::SendToExecutor& s) {
                   auto [id, p] = by_conn(s.conn);
                   if (p == nullptr) return;  // that stream is gone
                   std::visit(Overloaded{
                                  [&](const eev::Launch& l) {
                                    if (destroyed_.contains(*id)) {
                                      Violation(StrCat("LAUNCH of ", l.task.task_id.value(),
                                                       " sent to a destroyed container"));
                                    }
                                    if (p->tasks.contains(l.task.task_id)) {
                                      Violation(StrCat(l.task.task_id.value(), " launched twice"));
                                    }
                                    p->tasks[l.task.task_id] = l.task;
                                    p->states[l.task.task_id] = TaskState::kStaging;
                                  },
                                  [&](const eev::Kill& k) { p->kills.insert(k.task_id); },
                                  [&](const eev::Shutdown&) { p->shutdown = true; },
                                  [&](const eev::Acknowledged& a) {
                                    std::erase_if(p->unacked, [&](const model::TaskStatus& s) {
                                      return s.uuid == a.uuid;
                                    });
                                    p->confirmed.insert(a.task_id);
                                  },
                                  [](const auto&) {},
                              },
                              s.event.body);
                 },
                 [&](const cmd::CloseExecutorStream& close) {
                   if (auto [id, p] = by_conn(close.conn); p != nullptr) p->conn.reset();
                 },
                 [&](const cmd::DestroyContainer& d) {
                   ++stats_.destroyed;
                   destroyed_.insert(d.container_id);
                   if (auto it = procs_.find(d.container_id); it != procs_.end()) {
                     it->second.destroyed = true;
                   }
                 },
                 [&](const cmd::WakeAt& w) { wake_ = w.at; },
                 [](const auto&) {},
             },
             c);
}

void World::OnMasterMessage(const api::AgentToMaster& m) {
  std::visit(
      Overloaded{
          [&](const amsg::Register& r) {
            if (!connected_) Violation("Register while disconnected");
            register_outstanding_ = true;
            if (disk_info_ && disk_info_->id && r.info.id != disk_info_->id) {
              Violation("re-registration without the agent id");
            }
            // It reports every task it has, as it has it.
            std::map<TaskKey, TaskState> reported;
            for (const api::ReportedTask& t : r.tasks) {
              reported[{t.framework_id, t.task.task_id}] = t.state;
            }
            std::map<TaskKey, TaskState> known;
            for (const auto& [k, t] : disk_tasks_) known[k] = t.state;
            if (reported != known) {
              std::string diff;
              for (const auto& [k, st] : reported) {
                if (!known.contains(k) || known.at(k) != st) {
                  StrAppend(&diff, " reported ", k.second.value(), " ", model::TaskStateName(st));
                }
              }
              for (const auto& [k, st] : known) {
                if (!reported.contains(k) || reported.at(k) != st) {
                  StrAppend(&diff, " has ", k.second.value(), " ", model::TaskStateName(st));
                }
              }
              Violation(StrCat("Register does not report the tasks it has:", diff));
            }
          },
          [&](const amsg::StatusUpdate& u) {
            ++stats_.forwarded;
            if (!connected_ || !registered_) Violation("status update sent before REGISTERED");
            const TaskKey k{u.framework_id, u.status.task_id};
            auto d = disk_updates_.find(k);
            if (d == disk_updates_.end() || d->second.front().uuid != u.status.uuid) {
              Violation(StrCat("forwarded update of ", k.second.value(),
                               " is not the checkpointed head of its stream"));
            } else if (u.latest_state != d->second.back().state) {
              Violation("latest_state is not the newest state");
            }
            if (model::IsTerminal(u.status.state) && !forwarded_uuids_.contains(u.status.uuid) &&
                ++terminal_forwarded_[k] > 1) {
              Violation(StrCat("a second terminal update of ", k.second.value(), " forwarded"));
            }
            forwarded_uuids_.insert(u.status.uuid);
            inbox_.push_back(
                mmsg::AcknowledgeUpdate{u.framework_id, u.status.task_id, u.status.uuid});
            if (u.latest_state) master_latest_[k] = *u.latest_state;
          },
          [&](const amsg::Heartbeat&) {
            if (!registered_) Violation("heartbeat before REGISTERED");
          },
          [&](const amsg::ExecutorExited& e) {
            if (owed_exits_[{e.framework_id, e.executor_id}]-- <= 0) {
              Violation(StrCat("ExecutorExited of ", e.executor_id.value(), " with no exit"));
            }
          },
          [](const amsg::ExecutorMessage&) {},
      },
      m);
}

void World::CheckViews() {
  // The agent's memory is what a restart would recover.
  if (agent_->tasks() != disk_tasks_) Violation("tasks differ from the checkpoint");
  size_t pending = 0;
  for (const auto& [k, v] : disk_updates_) {
    const auto* p = agent_->streams().Pending(k);
    if (p == nullptr || std::vector<model::TaskStatus>(p->begin(), p->end()) != v) {
      Violation(StrCat("pending updates of ", k.second.value(), " differ from the checkpoint"));
    }
    pending += v.size();
  }
  if (agent_->pending_updates() != pending) Violation("more pending updates than checkpointed");
  std::map<ExecKey, ExecutorRecord> executors;
  for (const Agent::ExecutorView& e : agent_->executors()) {
    executors[{e.record->framework_id, e.record->info.executor_id}] = *e.record;
  }
  if (executors != disk_executors_) Violation("executors differ from the checkpoint");
}

void World::Connect() {
  connected_ = true;
  registered_ = false;
  register_outstanding_ = false;
  Output out = Handle(in::MasterConnected{});
  if (!agent_->recovering() && ToMaster<amsg::Register>(out).size() != 1) {
    Violation("no Register on a new connection");
  }
}

void World::Disconnect() {
  connected_ = false;
  registered_ = false;
  register_outstanding_ = false;
  inbox_.clear();
  Handle(in::MasterDisconnected{});
}

void World::ReplyRegistered() {
  registered_ = true;
  register_outstanding_ = false;
  sent_framework_.clear();
  Handle(in::FromMaster{mmsg::Registered{model::AgentId("S1"), Duration::Seconds(15)}});
}

void World::RunTask() {
  ++stats_.tasks;
  const model::FrameworkId fw(Chance(50) ? "fw-ckpt" : "fw-plain");
  const std::string id = StrCat("t", ++next_task_);
  const int kind = static_cast<int>(rng_.Uniform(3));
  mmsg::RunTask run;
  run.framework_id = fw;
  if (!sent_framework_.contains(fw) || Chance(20)) {
    run.framework = frameworks_.at(fw);
    sent_framework_.insert(fw);
  }
  run.task = std::make_shared<const model::TaskInfo>(
      kind == 0 ? CommandTask(id) : CustomTask(id, CustomExecutor(StrCat("e", kind))));
  master_tasks_.push_back({fw, model::TaskId(id)});
  Handle(in::FromMaster{std::move(run)});
}

void World::KillTask() {
  ++stats_.kills;
  std::vector<TaskKey> alive;
  for (const TaskKey& k : master_tasks_) {
    auto it = master_latest_.find(k);
    if (it == master_latest_.end() || !model::IsTerminal(it->second)) alive.push_back(k);
  }
  if (alive.empty() || Chance(5)) {
    alive = {{model::FrameworkId("fw-ckpt"), model::TaskId(StrCat("ghost", ++next_task_))}};
  }
  const TaskKey& k = Pick(alive);
  Handle(in::FromMaster{mmsg::KillTask{k.first, k.second, std::nullopt}});
}

void World::Acknowledge() {
  const size_t i = rng_.Uniform(inbox_.size());
  mmsg::AcknowledgeUpdate ack = inbox_[i];
  if (!Chance(10)) inbox_.erase(inbox_.begin() + static_cast<std::ptrdiff_t>(i));  // else again
  Handle(in::FromMaster{ack});
}

void World::Shutdown() {
  if (Chance(20)) {
    const model::FrameworkId fw(Chance(50) ? "fw-ckpt" : "fw-plain");
    Handle(in::FromMaster{mmsg::ShutdownFramework{fw}});
    return;
  }
  if (disk_executors_.empty()) return;
  auto it = disk_executors_.begin();
  std::advance(it, rng_.Uniform(disk_executors_.size()));
  Handle(in::FromMaster{mmsg::ShutdownExecutor{it->first.first, it->first.second}});
}

void World::ReportLaunch(const model::ContainerId& c, bool ok) {
  Proc& p = procs_.at(c);
  if (ok) {
    p.spawned = true;
    Handle(in::ExecutorLaunched{p.framework_id, p.executor_id, c,
                                static_cast<int>(1000 + rng_.Uniform(30000)), 5});
    return;
  }
  const Proc gone = p;
  procs_.erase(c);
  Handle(in::ExecutorLaunchFailed{gone.framework_id, gone.executor_id, c,
                                  "Failed to fetch URIs: 404"});
}

void World::ReportExit(const model::ContainerId& c, bool oom) {
  const Proc gone = procs_.at(c);
  procs_.erase(c);
  if (!gone.destroyed) ++stats_.crashes;
  in::ExecutorExited e{gone.framework_id, gone.executor_id, c, std::nullopt, "", oom};
  if (gone.destroyed) {
    e.description = "terminated with signal Killed";
  } else if (Chance(50)) {
    e.wait_status = 0;
    e.description = "exited with status 0";
  } else {
    e.wait_status = 256;
    e.description = "exited with status 1";
  }
  Handle(e);
}

void World::Restart() {
  ++stats_.restarts;
  ++incarnation_;
  agent_ = std::make_unique<Agent>(AgentInfoOf(), AgentOptions{}, rng_.Next64());
  connected_ = registered_ = register_outstanding_ = false;
  inbox_.clear();
  wake_.reset();
  owed_exits_.clear();  // the master learns the executors again from the re-registration
  // Launches in flight die with the agent; running executors lose their streams.
  for (auto it = procs_.begin(); it != procs_.end();) {
    if (!it->second.spawned) {
      it = procs_.erase(it);
    } else {
      it->second.conn.reset();
      it->second.dead = it->second.destroyed;
      ++it;
    }
  }
  CheckpointedState state;
  state.info = disk_info_;
  for (const auto& [id, fw] : disk_frameworks_) state.frameworks.push_back(fw);
  for (const auto& [k, e] : disk_executors_) state.executors.push_back(e);
  for (const auto& [k, t] : disk_tasks_) state.tasks.push_back(t);
  for (const auto& [k, u] : disk_updates_) state.updates.push_back({k, u});
  Handle(in::Recover{std::move(state)});
}

void World::Subscribe(const model::ContainerId& c) {
  Proc& p = procs_.at(c);
  ecall::Subscribe sub;
  for (const auto& [id, task] : p.tasks) {
    if (!p.confirmed.contains(id)) sub.unacknowledged_tasks.push_back(task);
  }
  for (const model::TaskStatus& s : p.unacked) sub.unacknowledged_updates.push_back({s});
  const ExecutorConn conn = next_conn_++;
  p.conn = conn;
  const bool known = KnownToAgent(c, p);
  Output out = CallFrom(p, std::move(sub), conn);
  if (out.http_status == 200) return;
  if (known)
    Violation(StrCat("subscription of known executor ", p.executor_id.value(), " refused"));
  procs_.erase(c);  // an executor the agent does not know gives up
}

void World::SendUpdate(const model::ContainerId& c, const model::TaskId& task) {
  Proc& p = procs_.at(c);
  TaskState next = TaskState::kKilled;
  if (!p.kills.contains(task) && !p.shutdown) {
    switch (p.states.at(task)) {
      case TaskState::kStaging:
        next = TaskState::kStarting;
        break;
      case TaskState::kStarting:
        next = TaskState::kRunning;
        break;
      default:
        next = Chance(30) ? TaskState::kRunning
                          : (Chance(70) ? TaskState::kFinished : TaskState::kFailed);
    }
  }
  model::TaskStatus s = ExecutorStatus(task.value(), next, Uuid(++next_uuid_));
  if (Chance(50)) s.executor_id = p.executor_id;
  p.states[task] = next;
  p.sent.push_back(s);
  p.unacked.push_back(s);
  const TaskKey k{p.framework_id, task};
  const bool valid = disk_tasks_.contains(k) && KnownToAgent(c, p) &&
                     disk_tasks_.at(k).executor_id == p.executor_id;
  Output out = CallFrom(p, ecall::Update{s});
  if (valid && out.http_status != 202) Violation("a valid update was refused");
}

void World::Step() {
  // Mostly short steps; now and then long enough for registration timeouts.
  static const int64_t kMillis[] = {0, 1, 100, 1000, 3000, 12000};
  now_ =
      now_ + Duration::Milliseconds(Chance(3) ? 70000 : kMillis[rng_.Uniform(std::size(kMillis))]);
  if ((wake_ && *wake_ <= now_ && Chance(70)) || Chance(3)) {
    Handle(in::Tick{});
    return;
  }
  auto alive = [](const Proc& p) { return p.spawned && !p.dead; };
  switch (rng_.Uniform(20)) {
    case 0:
      if (!connected_) {
        Connect();
      } else if (Chance(25)) {
        Disconnect();
      }
      break;
    case 1:
      if (connected_ && register_outstanding_) ReplyRegistered();
      break;
    case 2:
    case 3:
      if (registered_) RunTask();
      break;
    case 4:
      if (registered_) KillTask();
      break;
    case 5:
    case 6:
      if (registered_ && !inbox_.empty()) Acknowledge();
      break;
    case 7:
      if (registered_ && Chance(40)) Shutdown();
      break;
    case 8:
      if (registered_ && !disk_executors_.empty()) {
        auto it = disk_executors_.begin();
        std::advance(it, rng_.Uniform(disk_executors_.size()));
        Handle(in::FromMaster{mmsg::FrameworkMessage{it->first.first, it->first.second, "hi"}});
      }
      break;
    case 9: {
      auto c = Procs([](const Proc& p) { return !p.spawned; });
      if (!c.empty()) {
        const model::ContainerId id = Pick(c);
        ReportLaunch(id, procs_.at(id).destroyed ? Chance(50) : Chance(85));
      }
      break;
    }
    case 10: {
      auto c = Procs([](const Proc& p) { return p.spawned && p.destroyed; });
      if (!c.empty()) ReportExit(Pick(c), false);
      break;
    }
    case 11: {
      // An executor that was told to shut down exits; any other one crashes now and then.
      auto c = Procs([](const Proc& p) { return p.spawned && !p.destroyed; });
      if (!c.empty()) {
        const model::ContainerId id = Pick(c);
        if (procs_.at(id).shutdown || Chance(30)) ReportExit(id, Chance(20));
      }
      break;
    }
    case 12: {
      auto c =
          Procs([](const Proc& p) { return p.spawned && !p.dead && (!p.conn || p.destroyed); });
      if (!c.empty()) Subscribe(Pick(c));
      break;
    }
    case 13: {
      auto c = Procs([](const Proc& p) { return p.conn.has_value(); });
      if (!c.empty() && Chance(30)) {
        const model::ContainerId id = Pick(c);
        const ExecutorConn conn = *procs_.at(id).conn;
        procs_.at(id).conn.reset();
        Handle(in::ExecutorStreamClosed{conn});
      }
      break;
    }
    case 14:
    case 15:
    case 16: {
      std::vector<std::pair<model::ContainerId, model::TaskId>> work;
      for (const auto& [id, p] : procs_) {
        if (!p.spawned || p.dead) continue;
        for (const auto& [task, state] : p.states) {
          if (!model::IsTerminal(state)) work.push_back({id, task});
        }
      }
      if (!work.empty()) {
        const auto& [id, task] = Pick(work);
        SendUpdate(id, task);
      }
      break;
    }
    case 17: {
      auto c = Procs([](const Proc& p) { return p.spawned && !p.dead && !p.sent.empty(); });
      if (!c.empty()) {
        const Proc& p = procs_.at(Pick(c));
        CallFrom(p, ecall::Update{Pick(p.sent)});
      }
      break;
    }
    case 18: {
      auto c = Procs(alive);
      if (c.empty()) break;
      const model::ContainerId id = Pick(c);
      const Proc& p = procs_.at(id);
      if (Chance(50) && !p.tasks.empty()) {
        model::TaskStatus s = ExecutorStatus(p.tasks.begin()->first.value(),
                                             Chance(50) ? TaskState::kStaging : TaskState::kRunning,
                                             Chance(50) ? Uuid(++next_uuid_) : "short");
        if (s.state == TaskState::kRunning && s.uuid.size() == 16) s.uuid = "short";
        Output out = CallFrom(p, ecall::Update{s});
        if (out.http_status != 400 || !DoesNothing(out)) Violation("an invalid update was taken");
      } else {
        CallFrom(p, ecall::Message{"hello"});
      }
      break;
    }
    case 19:
      if (Chance(10)) Restart();
      break;
  }
}

void World::Finish() {
  for (int round = 0; round < 300 && !Done() && violations_.empty(); ++round) {
    now_ = now_ + Duration::Seconds(1);
    if (!connected_) Connect();
    if (connected_ && register_outstanding_) ReplyRegistered();
    // Executors finish their work and exit; the shell reports what happens to containers.
    for (const model::ContainerId& id : Procs([](const Proc&) { return true; })) {
      if (!procs_.contains(id)) continue;
      Proc& p = procs_.at(id);
      if (!p.spawned) {
        ReportLaunch(id, !p.destroyed);
      } else if (p.destroyed) {
        ReportExit(id, false);
      } else if (!p.conn) {
        Subscribe(id);
      } else {
        std::vector<model::TaskId> open;
        for (const auto& [task, state] : p.states) {
          if (!model::IsTerminal(state)) open.push_back(task);
        }
        for (const model::TaskId& task : open) SendUpdate(id, task);
        if (open.empty()) ReportExit(id, false);
      }
    }
    std::vector<mmsg::AcknowledgeUpdate> acks;
    acks.swap(inbox_);
    for (const mmsg::AcknowledgeUpdate& a : acks) Handle(in::FromMaster{a});
    if (wake_) {
      now_ = std::max(now_, *wake_);
      Handle(in::Tick{});
    }
  }
  if (!violations_.empty()) return;
  if (!Done()) {
    Violation(StrCat("did not settle: ", agent_->tasks().size(), " tasks, ",
                     agent_->pending_updates(), " updates, ", agent_->executors().size(),
                     " executors, ", procs_.size(), " processes left"));
    for (const Agent::ExecutorView& e : agent_->executors()) {
      Violation(StrCat("executor ", e.record->info.executor_id.value(), " container ",
                       e.record->container_id.value(), " pid ", e.record->pid.value_or(0),
                       " subscribed ", e.subscribed, " ever destroyed ",
                       destroyed_.contains(e.record->container_id)));
    }
  }
  for (const TaskKey& k : accepted_tasks_) {
    if (terminal_forwarded_[k] != 1) {
      Violation(StrCat("task ", k.second.value(), " ended with ", terminal_forwarded_[k],
                       " terminal updates"));
    }
  }
  for (const auto& [k, n] : owed_exits_) {
    if (n != 0) Violation(StrCat("exit of custom executor ", k.second.value(), " not reported"));
  }
}

TEST(AgentProperty, RandomInputsKeepTheSafetyInvariants) {
  std::vector<uint64_t> seeds;
  if (const char* env = std::getenv("ATOLL_TEST_SEED"); env != nullptr) {
    seeds.push_back(std::strtoull(env, nullptr, 10));
  } else {
    for (uint64_t s = 1; s <= 40; ++s) seeds.push_back(s * 7919);
  }
  World::Stats total;
  for (uint64_t seed : seeds) {
    std::cout << "AgentProperty seed=" << seed << "\n";
    SCOPED_TRACE("seed=" + std::to_string(seed));
    World world(seed);
    for (int step = 0; step < 1500 && world.violations().empty(); ++step) world.Step();
    if (world.violations().empty()) world.Finish();
    for (const std::string& v : world.violations()) ADD_FAILURE() << v;
    if (!world.violations().empty()) return;
    total.tasks += world.stats().tasks;
    total.forwarded += world.stats().forwarded;
    total.kills += world.stats().kills;
    total.restarts += world.stats().restarts;
    total.destroyed += world.stats().destroyed;
    total.crashes += world.stats().crashes;
  }
  std::cout << "AgentProperty tasks=" << total.tasks << " forwarded=" << total.forwarded
            << " kills=" << total.kills << " restarts=" << total.restarts
            << " destroyed=" << total.destroyed << " crashes=" << total.crashes << "\n";
  if (seeds.size() > 1) {  // the sequences reach every corner
    EXPECT_GT(total.tasks, 500);
    EXPECT_GT(total.restarts, 10);
    EXPECT_GT(total.destroyed, 50);
    EXPECT_GT(total.crashes, 20);
  }
}

}  // namespace
}  // namespace atl::agent::test_util
