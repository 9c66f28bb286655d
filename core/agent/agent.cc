#include "core/agent/agent.h"

#include <algorithm>

#include "core/base/overloaded.h"
#include "core/base/strings.h"
#include "core/base/uuid.h"
#include "core/model/http_lifecycle.h"

namespace atl::agent {

using model::TaskState;
using model::TaskStatusReason;
namespace amsg = api::agent_msg;
namespace mmsg = api::master_msg;
namespace ecall = api::executor_call;
namespace eev = api::executor_event;

namespace {

std::string DurationText(Duration d) {
  int64_t s = d.nanoseconds() / 1'000'000'000;
  if (s % 60 == 0 && s >= 60) return StrCat(s / 60, "mins");
  return StrCat(s, "secs");
}

}  // namespace

bool IsDurable(const Command& command) {
  // Spelled out per alternative, so a new command does not compile until it is classified.
  return std::visit(Overloaded{
                        [](const cmd::SendToMaster&) { return false; },
                        [](const cmd::LaunchExecutor&) { return false; },
                        [](const cmd::SendToExecutor&) { return false; },
                        [](const cmd::CloseExecutorStream&) { return false; },
                        [](const cmd::DestroyContainer&) { return false; },
                        [](const cmd::WakeAt&) { return false; },
                        [](const cmd::PutAgentInfo&) { return true; },
                        [](const cmd::PutFramework&) { return true; },
                        [](const cmd::RemoveFramework&) { return true; },
                        [](const cmd::PutExecutor&) { return true; },
                        [](const cmd::RemoveExecutor&) { return true; },
                        [](const cmd::PutTask&) { return true; },
                        [](const cmd::RemoveTask&) { return true; },
                        [](const cmd::PutUpdates&) { return true; },
                    },
                    command);
}

Agent::Agent(model::AgentInfo info, AgentOptions options, uint64_t seed)
    : info_(std::move(info)),
      options_(std::move(options)),
      rng_(seed),
      streams_(options_.retry_initial, options_.retry_max) {}

Output Agent::Handle(const Input& input, Timestamp now) {
  Output out;
  std::visit(Overloaded{
                 [&](const in::Recover& r) { OnRecover(out, r.state, now); },
                 [&](const in::MasterConnected&) {
                   connected_ = true;
                   registered_ = false;
                   next_heartbeat_.reset();
                   if (!recovering_ && !shut_down_) {
                     register_backoff_ = options_.register_retry_initial;
                     SendRegister(out, now);
                   }
                 },
                 [&](const in::MasterDisconnected&) {
                   connected_ = false;
                   registered_ = false;
                   next_heartbeat_.reset();
                   register_retry_at_.reset();
                 },
                 [&](const in::FromMaster& m) {
                   if (!shut_down_) OnMaster(out, m.message, now);
                 },
                 [&](const in::FromExecutor& c) { OnExecutorCall(out, c, now); },
                 [&](const in::ExecutorStreamClosed& c) {
                   if (Executor* exec = FindByConn(c.conn)) exec->conn.reset();
                 },
                 [&](const in::ExecutorLaunched& l) {
                   Executor* exec = FindExecutor(l.framework_id, l.executor_id);
                   if (exec == nullptr || exec->record.container_id != l.container_id) return;
                   exec->record.pid = l.pid;
                   exec->record.pid_start_time = l.pid_start_time;
                   out.commands.push_back(cmd::PutExecutor{exec->record});
                 },
                 [&](const in::ExecutorLaunchFailed& f) {
                   Executor* exec = FindExecutor(f.framework_id, f.executor_id);
                   if (exec == nullptr || exec->record.container_id != f.container_id) return;
                   ExecKey key{f.framework_id, f.executor_id};
                   for (const model::TaskId& id : exec->tasks) {
                     TaskKey tk{f.framework_id, id};
                     if (!model::IsTerminal(tasks_.at(tk).state)) {
                       AgentUpdate(out, tk, TaskState::kFailed,
                                   TaskStatusReason::kContainerLaunchFailed, f.message, now);
                     }
                   }
                   if (!exec->record.command_executor) {
                     // The master charges a custom executor until it hears it is gone.
                     amsg::ExecutorExited exited{f.framework_id, f.executor_id, -1};
                     if (registered_) {
                       SendToMaster(out, std::move(exited));
                     } else {
                       exited_executors_.push_back(std::move(exited));
                     }
                   }
                   SetDeadline(key, *exec, std::nullopt);
                   executors_.erase(key);
                   out.commands.push_back(cmd::RemoveExecutor{f.framework_id, f.executor_id});
                   if (recovering_) FinishRecovery(out, now);
                 },
                 [&](const in::ExecutorExited& e) { OnExecutorExited(out, e, now); },
                 [&](const in::Tick&) { OnTick(out, now); },
                 [&](const in::Stop&) {
                   for (auto& [key, exec] : executors_) {
                     for (const model::TaskId& id : exec.queued) {
                       TaskKey tk{key.first, id};
                       if (!model::IsTerminal(tasks_.at(tk).state)) {
                         AgentUpdate(
                             out, tk, TaskState::kKilled, TaskStatusReason::kTaskKilledDuringLaunch,
                             "Killed before delivery to the executor: the agent stopped", now);
                       }
                     }
                     exec.queued.clear();
                     exec.state = ExecState::kTerminating;
                     exec.destroy_requested = true;
                     SetDeadline(key, exec, std::nullopt);
                   }
                 },
             },
             input);
  Finish(out, now);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Master side

void Agent::SendToMaster(Output& out, api::AgentToMaster message) {
  out.commands.push_back(cmd::SendToMaster{std::move(message)});
}

void Agent::Flush(Output& out, std::vector<api::AgentToMaster>& to_master) {
  for (api::AgentToMaster& m : to_master) SendToMaster(out, std::move(m));
  to_master.clear();
}

void Agent::SendRegister(Output& out, Timestamp now) {
  // Resent with backoff until REGISTERED arrives (Mesos: 1 s doubling, capped at 1 min).
  register_retry_at_ = now + register_backoff_;
  register_backoff_ = std::min(register_backoff_ * 2, options_.register_retry_max);
  amsg::Register reg;
  reg.info = info_;
  reg.version = options_.version;
  for (const auto& [key, task] : tasks_) reg.tasks.push_back({key.first, task.info, task.state});
  for (const auto& [id, fw] : frameworks_) reg.frameworks.push_back(fw);
  SendToMaster(out, std::move(reg));
}

void Agent::OnMaster(Output& out, const api::MasterToAgent& message, Timestamp now) {
  std::visit(Overloaded{
                 [&](const mmsg::Registered& r) {
                   if (registered_)
                     return;  // a duplicate: everything pending is already on its way
                   registered_ = true;
                   register_retry_at_.reset();
                   if (info_.id != r.agent_id) {
                     info_.id = r.agent_id;
                     out.commands.push_back(cmd::PutAgentInfo{info_});
                   }
                   heartbeat_interval_ = r.heartbeat_interval;
                   next_heartbeat_ = now + heartbeat_interval_;
                   for (amsg::ExecutorExited& e : exited_executors_)
                     SendToMaster(out, std::move(e));
                   exited_executors_.clear();
                   std::vector<api::AgentToMaster> msgs;
                   streams_.ForwardAll(now, msgs);
                   Flush(out, msgs);
                 },
                 [&](const mmsg::RunTask& run) { OnRunTask(out, run, now); },
                 [&](const mmsg::KillTask& kill) { OnKillTask(out, kill, now); },
                 [&](const mmsg::AcknowledgeUpdate& ack) { OnAcknowledge(out, ack, now); },
                 [&](const mmsg::ShutdownFramework& s) {
                   for (auto& [key, exec] : executors_) {
                     if (key.first == s.framework_id) ShutdownExecutor(out, exec, now);
                   }
                 },
                 [&](const mmsg::ShutdownExecutor& s) {
                   if (Executor* exec = FindExecutor(s.framework_id, s.executor_id)) {
                     ShutdownExecutor(out, *exec, now);
                   }
                 },
                 [&](const mmsg::FrameworkMessage& m) {
                   Executor* exec = FindExecutor(m.framework_id, m.executor_id);
                   if (exec == nullptr || !exec->conn) return;  // best effort, as in Mesos
                   out.commands.push_back(
                       cmd::SendToExecutor{*exec->conn, api::ExecutorEvent{eev::Message{m.data}}});
                 },
                 [&](const mmsg::CheckpointResources& c) {
                   info_.resources = c.total;
                   out.commands.push_back(cmd::PutAgentInfo{info_});
                 },
                 [&](const mmsg::Shutdown&) {
                   shut_down_ = true;
                   registered_ = false;
                   register_retry_at_.reset();
                   next_heartbeat_.reset();
                   for (auto& [key, exec] : executors_) ShutdownExecutor(out, exec, now);
                 },
             },
             message);
}

model::ExecutorInfo Agent::CommandExecutorInfo(const model::TaskInfo& task) const {
  model::ExecutorInfo e;
  e.executor_id = model::ExecutorId(task.task_id.value());
  std::string command = task.command && task.command->value ? *task.command->value : std::string();
  if (command.size() > 15) command = command.substr(0, 12) + "...";
  e.name = StrCat("Command Executor (Task: ", task.task_id.value(), ") (Command: sh -c '", command,
                  "')");
  // Mesos charges the command executor 0.1 cpus and 32 MB on top of the task.
  e.resources.Add(model::Resource::MakeScalar("cpus", model::Scalar::FromMilli(100)));
  e.resources.Add(model::Resource::MakeScalar("mem", model::Scalar::FromMilli(32'000)));
  // The executor needs the task's grace period plus time to report, and a task with an HTTP
  // lifecycle the time of its two POSTs and waits before that.
  const std::optional<model::HttpLifecycle> lifecycle = model::HttpLifecycleFromLabels(task.labels);
  if (task.kill_policy && task.kill_policy->grace_period) {
    e.shutdown_grace_period = *task.kill_policy->grace_period + Duration::Seconds(2);
  } else if (lifecycle) {
    e.shutdown_grace_period = options_.executor_shutdown_grace;
  }
  if (lifecycle) *e.shutdown_grace_period += lifecycle->Budget();
  return e;
}

bool Agent::PartitionAware(const model::FrameworkId& fw) const {
  auto it = frameworks_.find(fw);
  return it != frameworks_.end() &&
         it->second.HasCapability(model::FrameworkCapability::kPartitionAware);
}

void Agent::OnRunTask(Output& out, const mmsg::RunTask& run, Timestamp now) {
  if (!run.task) return;
  const model::TaskInfo& task = *run.task;
  TaskKey key{run.framework_id, task.task_id};
  if (tasks_.contains(key)) return;  // duplicate delivery
  if (run.framework) {
    model::FrameworkInfo fw = *run.framework;
    fw.id = run.framework_id;
    if (frameworks_[run.framework_id] != fw) {
      frameworks_[run.framework_id] = fw;
      out.commands.push_back(cmd::PutFramework{fw});
    }
  } else if (!frameworks_.contains(run.framework_id)) {
    model::FrameworkInfo fw;
    fw.id = run.framework_id;
    frameworks_[run.framework_id] = fw;
    out.commands.push_back(cmd::PutFramework{fw});
  }
  const model::FrameworkInfo& framework = frameworks_.at(run.framework_id);

  model::ExecutorInfo info = task.executor ? *task.executor : CommandExecutorInfo(task);
  info.framework_id = run.framework_id;
  ExecKey ekey{run.framework_id, info.executor_id};
  TaskRecord record{run.framework_id, info.executor_id, task, TaskState::kStaging, false};
  tasks_[key] = record;

  auto it = executors_.find(ekey);
  if (it != executors_.end() && it->second.state == ExecState::kTerminating) {
    // Mesos: a task for an executor that is shutting down is dropped.
    out.commands.push_back(cmd::PutTask{record});
    it->second.tasks.insert(task.task_id);
    AgentUpdate(out, key, PartitionAware(run.framework_id) ? TaskState::kDropped : TaskState::kLost,
                TaskStatusReason::kExecutorTerminated, "Executor is terminating", now);
    return;
  }
  if (it == executors_.end()) {
    Executor exec;
    exec.record.framework_id = run.framework_id;
    exec.record.info = info;
    exec.record.container_id = model::ContainerId(UuidToString(rng_.Uuid()));
    exec.record.command_executor = !task.executor;
    it = executors_.emplace(ekey, std::move(exec)).first;
    Executor& e = it->second;
    SetDeadline(ekey, e, now + options_.executor_registration_timeout);
    out.commands.push_back(cmd::PutExecutor{e.record});
    cmd::LaunchExecutor launch;
    launch.executor = e.record;
    launch.framework = framework;
    launch.resources = task.resources + info.resources;
    const model::CommandInfo* command = task.executor ? (info.command ? &*info.command : nullptr)
                                                      : (task.command ? &*task.command : nullptr);
    if (command != nullptr) launch.uris = command->uris;
    if (command != nullptr && command->user) {
      launch.user = *command->user;
    } else if (options_.switch_user && !framework.user.empty()) {
      launch.user = framework.user;
    }
    out.commands.push_back(std::move(launch));
  }
  Executor& exec = it->second;
  exec.tasks.insert(task.task_id);
  if (exec.conn && exec.state == ExecState::kRunning) {
    tasks_[key].launched = true;
    out.commands.push_back(cmd::SendToExecutor{*exec.conn, api::ExecutorEvent{eev::Launch{task}}});
  } else {
    exec.queued.push_back(task.task_id);
  }
  out.commands.push_back(cmd::PutTask{tasks_[key]});
}

void Agent::OnKillTask(Output& out, const mmsg::KillTask& kill, Timestamp now) {
  TaskKey key{kill.framework_id, kill.task_id};
  auto it = tasks_.find(key);
  if (it == tasks_.end()) {
    // The master believes the task is here, but the agent never had it (or forgot it): tell it
    // reliably, as Mesos does, so the framework can move on.
    if (streams_.Pending(key) != nullptr) return;  // its last update is still on its way
    model::TaskStatus s;
    s.task_id = kill.task_id;
    s.state = PartitionAware(kill.framework_id) ? TaskState::kDropped : TaskState::kLost;
    s.reason = TaskStatusReason::kExecutorTerminated;
    s.message = "Attempted to kill an unknown task";
    s.source = model::TaskStatusSource::kAgent;
    s.agent_id = info_.id;
    s.timestamp = now.seconds();
    s.uuid = UuidToBytes(rng_.Uuid());
    AddUpdate(out, key, std::move(s), now);
    return;
  }
  TaskRecord& task = it->second;
  if (model::IsTerminal(task.state)) return;
  Executor* exec = FindExecutor(task.framework_id, task.executor_id);
  if (exec == nullptr) return;  // its exit is being reported
  if (!task.launched) {
    exec->queued.erase(std::remove(exec->queued.begin(), exec->queued.end(), kill.task_id),
                       exec->queued.end());
    AgentUpdate(out, key, TaskState::kKilled, TaskStatusReason::kTaskKilledDuringLaunch,
                "Killed before delivery to the executor", now);
    bool others = std::any_of(exec->tasks.begin(), exec->tasks.end(), [&](const auto& id) {
      return !model::IsTerminal(tasks_.at({kill.framework_id, id}).state);
    });
    if (!others) ShutdownExecutor(out, *exec, now);
    return;
  }
  exec->kill_requested.insert(kill.task_id);
  if (exec->conn) {
    out.commands.push_back(cmd::SendToExecutor{
        *exec->conn, api::ExecutorEvent{eev::Kill{kill.task_id, kill.kill_policy}}});
  }
}

void Agent::OnAcknowledge(Output& out, const mmsg::AcknowledgeUpdate& ack, Timestamp now) {
  TaskKey key{ack.framework_id, ack.task_id};
  std::vector<api::AgentToMaster> msgs;
  if (streams_.Acknowledge(key, ack.uuid, now, connected_ && registered_, msgs) ==
      StatusUpdateStreams::Ack::kIgnored) {
    return;
  }
  Flush(out, msgs);
  PutUpdatesOf(out, key);
  MaybeForgetTask(out, key);
}

void Agent::MaybeForgetTask(Output& out, const TaskKey& key) {
  if (streams_.Pending(key) != nullptr) return;
  auto it = tasks_.find(key);
  if (it == tasks_.end() || !model::IsTerminal(it->second.state)) return;
  if (Executor* exec = FindExecutor(key.first, it->second.executor_id)) {
    exec->tasks.erase(key.second);
    exec->kill_requested.erase(key.second);
  }
  tasks_.erase(it);
  received_.erase(key);
  out.commands.push_back(cmd::RemoveTask{key});
}

// ---------------------------------------------------------------------------------------------
// Executor side

Agent::Executor* Agent::FindExecutor(const model::FrameworkId& fw, const model::ExecutorId& id) {
  auto it = executors_.find({fw, id});
  return it == executors_.end() ? nullptr : &it->second;
}

const ExecutorRecord* Agent::FindExecutorRecord(const model::FrameworkId& fw,
                                                const model::ExecutorId& id) const {
  auto it = executors_.find({fw, id});
  return it == executors_.end() ? nullptr : &it->second.record;
}

Agent::Executor* Agent::FindByConn(ExecutorConn conn) {
  for (auto& [key, exec] : executors_) {
    if (exec.conn == conn) return &exec;
  }
  return nullptr;
}

void Agent::SetDeadline(const ExecKey& key, Executor& exec, std::optional<Timestamp> at) {
  if (exec.deadline) deadlines_.erase({*exec.deadline, key});
  exec.deadline = at;
  if (at) deadlines_.insert({*at, key});
}

void Agent::OnExecutorCall(Output& out, const in::FromExecutor& c, Timestamp now) {
  const api::ExecutorCall& call = c.call;
  Executor* exec = FindExecutor(call.framework_id, call.executor_id);
  if (exec == nullptr) {
    out.http_status = 400;
    out.http_body = StrCat("Executor '", call.executor_id.value(), "' of framework '",
                           call.framework_id.value(), "' is not known to this agent");
    return;
  }
  std::visit(
      Overloaded{
          [&](const ecall::Subscribe&) {
            out.http_status = 200;
            OnSubscribe(out, *exec, call, c.conn, now);
          },
          [&](const ecall::Update& u) {
            const model::TaskStatus& s = u.status;
            std::string error;
            if (s.uuid.size() != 16) {
              error = "'status.uuid' must be 16 bytes";
            } else if (s.state == TaskState::kStaging) {
              error = "'status.state' must not be TASK_STAGING";
            } else if (s.source && *s.source != model::TaskStatusSource::kExecutor) {
              error = "'status.source' must be SOURCE_EXECUTOR";
            } else if (s.executor_id && *s.executor_id != call.executor_id) {
              error = "'status.executor_id' does not match the call's 'executor_id'";
            } else if (!exec->tasks.contains(s.task_id)) {
              error = StrCat("Task '", s.task_id.value(), "' is not a task of executor '",
                             call.executor_id.value(), "'");
            }
            if (!error.empty()) {
              out.http_status = 400;
              out.http_body = StrCat("Received invalid UPDATE: ", error);
              return;
            }
            out.http_status = 202;
            OnExecutorUpdate(out, *exec, s, now, c.container_oom);
          },
          [&](const ecall::Message& m) {
            out.http_status = 202;
            if (registered_) {
              SendToMaster(out, amsg::ExecutorMessage{call.framework_id, call.executor_id, m.data});
            }
          },
          [&](const ecall::Heartbeat&) { out.http_status = 202; },
      },
      call.body);
}

void Agent::OnSubscribe(Output& out, Executor& exec, const api::ExecutorCall& call,
                        ExecutorConn conn, Timestamp now) {
  const ExecKey key{call.framework_id, call.executor_id};
  const auto& sub = std::get<ecall::Subscribe>(call.body);
  if (exec.conn && *exec.conn != conn) {
    out.commands.push_back(cmd::CloseExecutorStream{*exec.conn});
  }
  exec.conn = conn;
  if (exec.state != ExecState::kTerminating) {
    exec.state = ExecState::kRunning;
    SetDeadline(key, exec, std::nullopt);
  }
  eev::Subscribed subscribed;
  subscribed.executor_info = exec.record.info;
  subscribed.framework_info = frameworks_.at(call.framework_id);
  subscribed.agent_info = info_;
  subscribed.container_id = exec.record.container_id;
  out.commands.push_back(cmd::SendToExecutor{conn, api::ExecutorEvent{std::move(subscribed)}});

  // After an agent restart the executor knows tasks the checkpoint may still show as queued.
  for (const model::TaskInfo& t : sub.unacknowledged_tasks) {
    TaskKey tk{call.framework_id, t.task_id};
    auto it = tasks_.find(tk);
    if (it == tasks_.end() || it->second.launched) continue;
    it->second.launched = true;
    exec.queued.erase(std::remove(exec.queued.begin(), exec.queued.end(), t.task_id),
                      exec.queued.end());
    out.commands.push_back(cmd::PutTask{it->second});
  }
  // Updates it sent while the agent was down (or whose ACKNOWLEDGED it never saw).
  for (const ecall::UnacknowledgedUpdate& u : sub.unacknowledged_updates) {
    if (u.status.uuid.size() != 16 || !exec.tasks.contains(u.status.task_id)) continue;
    OnExecutorUpdate(out, exec, u.status, now);
  }
  if (exec.state != ExecState::kTerminating) {
    // A LAUNCH written to a stream that broke before the executor read it is lost: a task the
    // executor does not list and never reported on is launched again (an executor ignores a
    // LAUNCH of a task it already has).
    std::set<model::TaskId> known;
    for (const model::TaskInfo& t : sub.unacknowledged_tasks) known.insert(t.task_id);
    for (const model::TaskId& id : exec.tasks) {
      TaskRecord& t = tasks_.at({call.framework_id, id});
      if (!t.launched || t.state != TaskState::kStaging || known.contains(id)) continue;
      out.commands.push_back(cmd::SendToExecutor{conn, api::ExecutorEvent{eev::Launch{t.info}}});
    }
    for (const model::TaskId& id : exec.queued) {
      TaskRecord& t = tasks_.at({call.framework_id, id});
      if (model::IsTerminal(t.state)) continue;
      t.launched = true;
      out.commands.push_back(cmd::SendToExecutor{conn, api::ExecutorEvent{eev::Launch{t.info}}});
      out.commands.push_back(cmd::PutTask{t});
    }
    exec.queued.clear();
  }
  for (const model::TaskId& id : exec.kill_requested) {
    out.commands.push_back(cmd::SendToExecutor{conn, api::ExecutorEvent{eev::Kill{id, {}}}});
  }
  if (exec.state == ExecState::kTerminating && !exec.destroy_requested) {
    out.commands.push_back(cmd::SendToExecutor{conn, api::ExecutorEvent{eev::Shutdown{}}});
  }
  if (recovering_) FinishRecovery(out, now);
}

void Agent::OnExecutorUpdate(Output& out, Executor& exec, const model::TaskStatus& status,
                             Timestamp now, bool container_oom) {
  TaskKey key{exec.record.framework_id, status.task_id};
  const ExecutorConn* conn = exec.conn ? &*exec.conn : nullptr;
  auto ack = [&] {
    if (conn == nullptr) return;
    out.commands.push_back(cmd::SendToExecutor{
        *conn, api::ExecutorEvent{eev::Acknowledged{status.task_id, status.uuid}}});
  };
  TaskRecord& task = tasks_.at(key);
  auto received = received_.find(key);
  if (received != received_.end() && received->second.contains(status.uuid)) {
    ack();  // a resend: already recorded (and maybe already acknowledged by the scheduler)
    return;
  }
  if (model::IsTerminal(task.state)) {
    ack();  // nothing follows a terminal update; the executor may stop resending it
    return;
  }
  if (exec.destroy_requested && !model::IsTerminal(status.state)) {
    ack();  // its container is being killed: a task of it is never reported alive again
    return;
  }
  model::TaskStatus s = status;
  s.source = model::TaskStatusSource::kExecutor;
  s.agent_id = info_.id;
  s.executor_id = exec.record.info.executor_id;
  if (!s.timestamp) s.timestamp = now.seconds();
  if (container_oom && s.state == TaskState::kFailed) {
    // The task died of the container's memory limit: say so, as Mesos's isolator does.
    s.reason = TaskStatusReason::kContainerLimitationMemory;
    s.message = StrCat("Memory limit exceeded: ", s.message);
    s.source = model::TaskStatusSource::kAgent;
  }
  task.state = s.state;
  out.commands.push_back(cmd::PutTask{task});
  received_[key].insert(s.uuid);
  AddUpdate(out, key, std::move(s), now);
  ack();  // after the checkpoint commands above: the shell makes them durable first
}

void Agent::AddUpdate(Output& out, const TaskKey& key, model::TaskStatus status, Timestamp now) {
  std::vector<api::AgentToMaster> msgs;
  streams_.Add(key, std::move(status), now, connected_ && registered_, msgs);
  Flush(out, msgs);
  PutUpdatesOf(out, key);
}

void Agent::AgentUpdate(Output& out, const TaskKey& key, TaskState state, TaskStatusReason reason,
                        std::string message, Timestamp now) {
  TaskRecord& task = tasks_.at(key);
  task.state = state;
  out.commands.push_back(cmd::PutTask{task});
  model::TaskStatus s;
  s.task_id = key.second;
  s.state = state;
  s.reason = reason;
  s.message = std::move(message);
  s.source = model::TaskStatusSource::kAgent;
  s.agent_id = info_.id;
  s.executor_id = task.executor_id;
  s.timestamp = now.seconds();
  s.uuid = UuidToBytes(rng_.Uuid());
  AddUpdate(out, key, std::move(s), now);
}

void Agent::PutUpdatesOf(Output& out, const TaskKey& key) {
  cmd::PutUpdates put{key, {}};
  if (const auto* pending = streams_.Pending(key)) {
    put.updates.assign(pending->begin(), pending->end());
  }
  out.commands.push_back(std::move(put));
}

void Agent::ShutdownExecutor(Output& out, Executor& exec, Timestamp now) {
  const ExecKey key{exec.record.framework_id, exec.record.info.executor_id};
  for (const model::TaskId& id : exec.queued) {
    TaskKey tk{key.first, id};
    if (!model::IsTerminal(tasks_.at(tk).state)) {
      AgentUpdate(out, tk, TaskState::kKilled, TaskStatusReason::kTaskKilledDuringLaunch,
                  "Killed before delivery to the executor", now);
    }
  }
  exec.queued.clear();
  if (exec.state == ExecState::kTerminating) return;
  exec.state = ExecState::kTerminating;
  if (exec.conn) {
    out.commands.push_back(cmd::SendToExecutor{*exec.conn, api::ExecutorEvent{eev::Shutdown{}}});
    Duration grace =
        exec.record.info.shutdown_grace_period.value_or(options_.executor_shutdown_grace);
    SetDeadline(key, exec, now + grace);
  } else {
    Destroy(out, exec);
  }
}

void Agent::Destroy(Output& out, Executor& exec) {
  const ExecKey key{exec.record.framework_id, exec.record.info.executor_id};
  exec.state = ExecState::kTerminating;
  SetDeadline(key, exec, std::nullopt);
  if (exec.destroy_requested) return;
  exec.destroy_requested = true;
  out.commands.push_back(cmd::DestroyContainer{key.first, key.second, exec.record.container_id});
}

void Agent::OnExecutorExited(Output& out, const in::ExecutorExited& e, Timestamp now) {
  Executor* exec = FindExecutor(e.framework_id, e.executor_id);
  if (exec == nullptr || exec->record.container_id != e.container_id) return;
  const ExecKey key{e.framework_id, e.executor_id};
  for (const model::TaskId& id : exec->tasks) {
    TaskKey tk{e.framework_id, id};
    if (model::IsTerminal(tasks_.at(tk).state)) continue;
    if (e.oom_killed) {
      AgentUpdate(out, tk, TaskState::kFailed, TaskStatusReason::kContainerLimitationMemory,
                  "Memory limit exceeded: the container was killed by the OOM killer", now);
    } else if (exec->state == ExecState::kTerminating || exec->kill_requested.contains(id)) {
      AgentUpdate(out, tk, TaskState::kKilled, TaskStatusReason::kExecutorTerminated,
                  StrCat("Executor ", e.description), now);
    } else {
      AgentUpdate(out, tk, TaskState::kFailed, TaskStatusReason::kExecutorTerminated,
                  StrCat("Executor ", e.description.empty() ? "terminated" : e.description), now);
    }
  }
  if (!exec->record.command_executor) {
    amsg::ExecutorExited exited{e.framework_id, e.executor_id, e.wait_status.value_or(-1)};
    if (registered_) {
      SendToMaster(out, std::move(exited));
    } else {
      exited_executors_.push_back(std::move(exited));
    }
  }
  if (!exec->destroy_requested) {
    // Remove the cgroups and any process the executor left behind.
    out.commands.push_back(cmd::DestroyContainer{key.first, key.second, e.container_id});
  }
  std::vector<model::TaskId> tasks(exec->tasks.begin(), exec->tasks.end());
  SetDeadline(key, *exec, std::nullopt);
  executors_.erase(key);
  out.commands.push_back(cmd::RemoveExecutor{key.first, key.second});
  for (const model::TaskId& id : tasks) MaybeForgetTask(out, {key.first, id});
  if (recovering_) FinishRecovery(out, now);
}

// ---------------------------------------------------------------------------------------------
// Recovery, timers

void Agent::OnRecover(Output& out, const CheckpointedState& state, Timestamp now) {
  if (state.info && state.info->id) info_.id = state.info->id;
  for (const model::FrameworkInfo& fw : state.frameworks) {
    if (fw.id) frameworks_[*fw.id] = fw;
  }
  std::vector<in::ExecutorExited> never_started;
  for (const ExecutorRecord& r : state.executors) {
    Executor exec;
    exec.record = r;
    const ExecKey key{r.framework_id, r.info.executor_id};
    auto fw = frameworks_.find(r.framework_id);
    bool checkpointed = fw != frameworks_.end() && fw->second.checkpoint;
    auto& e = executors_.emplace(key, std::move(exec)).first->second;
    if (!r.pid) {
      // Its launch died with the agent: no process to wait for, so no ExecutorExited comes.
      // It ends below, once its tasks are loaded (its container is destroyed there).
      never_started.push_back({r.framework_id, r.info.executor_id, r.container_id, std::nullopt,
                               "did not start before the agent restarted"});
    } else if (!checkpointed) {
      // Its framework did not ask for recovery (Mesos kills those; the master already
      // reported their tasks lost when the agent went away).
      Destroy(out, e);
    } else {
      e.state = ExecState::kRecovering;
      SetDeadline(key, e, now + options_.executor_reregistration_timeout);
    }
  }
  for (const TaskRecord& t : state.tasks) {
    TaskKey key{t.framework_id, t.info.task_id};
    tasks_[key] = t;
    if (Executor* exec = FindExecutor(t.framework_id, t.executor_id)) {
      exec->tasks.insert(t.info.task_id);
      if (!t.launched && !model::IsTerminal(t.state)) exec->queued.push_back(t.info.task_id);
    }
  }
  std::vector<api::AgentToMaster> unused;
  for (const auto& [key, updates] : state.updates) {
    for (const model::TaskStatus& s : updates) {
      streams_.Add(key, s, now, false, unused);
      received_[key].insert(s.uuid);
    }
  }
  for (const in::ExecutorExited& e : never_started) OnExecutorExited(out, e, now);
  recovering_ = true;
  FinishRecovery(out, now);
}

void Agent::FinishRecovery(Output& out, Timestamp now) {
  for (const auto& [key, exec] : executors_) {
    if (exec.state == ExecState::kRecovering) return;
  }
  recovering_ = false;
  if (connected_ && !registered_ && !shut_down_) {
    register_backoff_ = options_.register_retry_initial;
    SendRegister(out, now);
  }
}

void Agent::OnTick(Output& out, Timestamp now) {
  if (registered_ && next_heartbeat_ && *next_heartbeat_ <= now) {
    SendToMaster(out, amsg::Heartbeat{});
    next_heartbeat_ = now + heartbeat_interval_;
  }
  std::vector<api::AgentToMaster> msgs;
  streams_.Tick(now, connected_ && registered_, msgs);
  Flush(out, msgs);
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    ExecKey key = deadlines_.begin()->second;
    Executor& exec = executors_.at(key);
    SetDeadline(key, exec, std::nullopt);
    if (exec.state == ExecState::kLaunching || exec.state == ExecState::kRecovering) {
      bool launching = exec.state == ExecState::kLaunching;
      Duration timeout = launching ? options_.executor_registration_timeout
                                   : options_.executor_reregistration_timeout;
      for (const model::TaskId& id : exec.tasks) {
        TaskKey tk{key.first, id};
        if (model::IsTerminal(tasks_.at(tk).state)) continue;
        AgentUpdate(out, tk, TaskState::kFailed,
                    launching ? TaskStatusReason::kExecutorRegistrationTimeout
                              : TaskStatusReason::kExecutorReregistrationTimeout,
                    StrCat("Executor did not ", launching ? "register" : "re-register", " within ",
                           DurationText(timeout)),
                    now);
      }
      exec.queued.clear();
    }
    Destroy(out, exec);
  }
  // After the timeouts above, so the tasks it reports are in their current state.
  if (connected_ && !registered_ && !recovering_ && !shut_down_ && register_retry_at_ &&
      *register_retry_at_ <= now) {
    SendRegister(out, now);
  }
  if (recovering_) FinishRecovery(out, now);
}

void Agent::Finish(Output& out, Timestamp /*now*/) {
  std::optional<Timestamp> next;
  auto take = [&](std::optional<Timestamp> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  if (!registered_ && connected_ && !recovering_) take(register_retry_at_);
  if (registered_) take(next_heartbeat_);
  take(streams_.next_wake());
  if (!deadlines_.empty()) take(deadlines_.begin()->first);
  if (next) out.commands.push_back(cmd::WakeAt{*next});
}

std::vector<Agent::ExecutorView> Agent::executors() const {
  std::vector<ExecutorView> v;
  for (const auto& [key, exec] : executors_) {
    v.push_back({&exec.record, exec.conn.has_value(),
                 std::vector<model::TaskId>(exec.tasks.begin(), exec.tasks.end())});
  }
  return v;
}

}  // namespace atl::agent
