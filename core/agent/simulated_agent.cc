#include "core/agent/simulated_agent.h"

#include <algorithm>

#include "core/base/overloaded.h"
#include "core/base/strings.h"
#include "core/base/uuid.h"

namespace atl::agent {

using model::TaskState;
namespace amsg = api::agent_msg;
namespace mmsg = api::master_msg;

SimulatedAgent::SimulatedAgent(model::AgentInfo info, SimulatedAgentOptions options, uint64_t seed)
    : info_(std::move(info)), options_(options), rng_(seed) {}

void SimulatedAgent::Finish(Output& out) const {
  // Heartbeats only while registered: an unregistered agent has no deadline of its own.
  std::optional<Timestamp> next = registered_ ? next_heartbeat_ : register_retry_at_;
  if (!timers_.empty()) {
    Timestamp t = timers_.begin()->first;
    next = next ? std::min(*next, t) : t;
  }
  out.wake_at = next;
}

SimulatedAgent::Output SimulatedAgent::Connect(Timestamp now) {
  Output out;
  if (shut_down_) return out;
  registered_ = false;
  next_heartbeat_.reset();
  register_backoff_ = options_.register_retry_initial;
  SendRegister(out, now);
  Finish(out);
  return out;
}

void SimulatedAgent::SendRegister(Output& out, Timestamp now) {
  // Until REGISTERED arrives the registration is resent with backoff (Mesos: 1 s doubling,
  // capped at 1 min), so a lost REGISTER never leaves the agent out of the cluster.
  register_retry_at_ = now + register_backoff_;
  register_backoff_ = std::min(register_backoff_ * 2, options_.register_retry_max);
  amsg::Register reg;
  reg.info = info_;
  reg.version = "atoll-sim";
  std::vector<Key> keys;
  for (const auto& [key, task] : tasks_) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  for (const Key& key : keys) {
    const Task& task = tasks_.at(key);
    reg.tasks.push_back({key.first, *task.info, task.state});
  }
  for (const auto& [id, fw] : frameworks_) reg.frameworks.push_back(fw);
  out.to_master.push_back(std::move(reg));
}

void SimulatedAgent::SetTimer(const Key& key, Task& /*task*/, std::optional<Timestamp>& slot,
                              std::optional<Timestamp> at) {
  if (slot) {
    auto it = timers_.find({*slot, key});
    if (it != timers_.end()) timers_.erase(it);  // one entry: the other slot may share it
  }
  slot = at;
  if (at) timers_.insert({*at, key});
}

void SimulatedAgent::SendHead(Output& out, const Key& key, Task& task, Timestamp now) {
  if (task.pending.empty() || !registered_) return;
  out.to_master.push_back(amsg::StatusUpdate{key.first, task.pending.front(), task.state});
  SetTimer(key, task, task.retry_at, now + task.backoff);
}

void SimulatedAgent::Transition(Output& out, const Key& key, Task& task, TaskState state,
                                std::string message, Timestamp now) {
  task.state = state;
  model::TaskStatus s;
  s.task_id = key.second;
  s.state = state;
  s.source = model::TaskStatusSource::kExecutor;
  s.message = std::move(message);
  s.agent_id = info_.id;
  s.executor_id = task.info->executor ? task.info->executor->executor_id
                                      : model::ExecutorId(task.info->task_id.value());
  s.timestamp = now.seconds();
  s.uuid = UuidToBytes(rng_.Uuid());
  task.pending.push_back(std::move(s));
  if (task.pending.size() == 1) {
    task.backoff = options_.retry_initial;
    SendHead(out, key, task, now);
  }
  // A custom executor exits with its last task (the command executor is not reported).
  if (model::IsTerminal(state) && task.info->executor) {
    const model::ExecutorId& exec = task.info->executor->executor_id;
    bool others = false;
    for (const auto& [k, t] : tasks_) {
      if (k.first == key.first && k != key && t.info->executor &&
          t.info->executor->executor_id == exec && !model::IsTerminal(t.state)) {
        others = true;
        break;
      }
    }
    if (!others) {
      amsg::ExecutorExited exited{key.first, exec, 0};
      if (registered_) {
        out.to_master.push_back(std::move(exited));
      } else {
        exited_executors_.push_back(std::move(exited));  // told after re-registering
      }
    }
  }
}

SimulatedAgent::Output SimulatedAgent::Handle(const api::MasterToAgent& message, Timestamp now) {
  Output out;
  if (shut_down_) return out;
  std::visit(
      Overloaded{
          [&](const mmsg::Registered& r) {
            if (registered_) return;  // a duplicate: everything pending is already on its way
            registered_ = true;
            register_retry_at_.reset();
            info_.id = r.agent_id;
            heartbeat_interval_ = r.heartbeat_interval;
            next_heartbeat_ = now + heartbeat_interval_;
            // Executors that ended while the master could not hear us.
            for (amsg::ExecutorExited& e : exited_executors_) out.to_master.push_back(std::move(e));
            exited_executors_.clear();
            // Updates that waited for the master go out now, oldest per task.
            std::vector<Key> keys;
            for (const auto& [key, task] : tasks_) {
              if (!task.pending.empty()) keys.push_back(key);
            }
            std::sort(keys.begin(), keys.end());
            for (const Key& key : keys) {
              Task& task = tasks_.at(key);
              task.backoff = options_.retry_initial;
              SendHead(out, key, task, now);
            }
          },
          [&](const mmsg::RunTask& run) {
            if (!run.task) return;
            Key key{run.framework_id, run.task->task_id};
            if (tasks_.contains(key)) return;  // duplicate delivery
            if (run.framework) {
              frameworks_[run.framework_id] = *run.framework;
              frameworks_[run.framework_id].id = run.framework_id;
            }
            Task& task = tasks_[key];
            task.info = run.task;
            if (options_.send_starting) Transition(out, key, task, TaskState::kStarting, "", now);
            if (options_.running_delay == Duration::Zero()) {
              Transition(out, key, task, TaskState::kRunning, "", now);
              const std::string cmd =
                  task.info->command && task.info->command->value ? *task.info->command->value : "";
              if (cmd == "sim:finish" || cmd == "sim:fail") {
                SetTimer(key, task, task.transition_at, now + Duration::Nanoseconds(1));
              }
            } else {
              SetTimer(key, task, task.transition_at, now + options_.running_delay);
            }
          },
          [&](const mmsg::KillTask& kill) {
            Key key{kill.framework_id, kill.task_id};
            auto it = tasks_.find(key);
            if (it == tasks_.end() || model::IsTerminal(it->second.state)) return;
            SetTimer(key, it->second, it->second.transition_at, std::nullopt);
            Transition(out, key, it->second, TaskState::kKilled,
                       "Command terminated with signal Terminated", now);
          },
          [&](const mmsg::AcknowledgeUpdate& ack) {
            Key key{ack.framework_id, ack.task_id};
            auto it = tasks_.find(key);
            if (it == tasks_.end()) return;
            Task& task = it->second;
            if (task.pending.empty() || task.pending.front().uuid != ack.uuid) return;
            task.pending.erase(task.pending.begin());
            // Most tasks sit acknowledged for their whole life: give the buffer back.
            if (task.pending.empty()) std::vector<model::TaskStatus>().swap(task.pending);
            SetTimer(key, task, task.retry_at, std::nullopt);
            if (!task.pending.empty()) {
              task.backoff = options_.retry_initial;
              SendHead(out, key, task, now);
            } else if (model::IsTerminal(task.state)) {
              SetTimer(key, task, task.transition_at, std::nullopt);
              tasks_.erase(it);
            }
          },
          [&](const mmsg::ShutdownFramework& s) {
            std::vector<Key> keys;
            for (const auto& [key, task] : tasks_) {
              if (key.first == s.framework_id && !model::IsTerminal(task.state))
                keys.push_back(key);
            }
            std::sort(keys.begin(), keys.end());
            for (const Key& key : keys) {
              Task& task = tasks_.at(key);
              SetTimer(key, task, task.transition_at, std::nullopt);
              Transition(out, key, task, TaskState::kKilled, "Framework shut down", now);
            }
            frameworks_.erase(s.framework_id);
          },
          [&](const mmsg::ShutdownExecutor& s) {
            std::vector<Key> keys;
            for (const auto& [key, task] : tasks_) {
              model::ExecutorId exec = task.info->executor ? task.info->executor->executor_id
                                                           : model::ExecutorId(key.second.value());
              if (key.first == s.framework_id && exec == s.executor_id &&
                  !model::IsTerminal(task.state)) {
                keys.push_back(key);
              }
            }
            std::sort(keys.begin(), keys.end());
            for (const Key& key : keys) {
              Task& task = tasks_.at(key);
              SetTimer(key, task, task.transition_at, std::nullopt);
              Transition(out, key, task, TaskState::kKilled, "Executor shut down", now);
            }
          },
          [&](const mmsg::FrameworkMessage& m) {
            // Simulated executors echo what they are sent.
            out.to_master.push_back(amsg::ExecutorMessage{m.framework_id, m.executor_id, m.data});
          },
          [&](const mmsg::CheckpointResources& c) { info_.resources = c.total; },
          [&](const mmsg::Shutdown&) {
            shut_down_ = true;
            registered_ = false;
            register_retry_at_.reset();
          },
      },
      message);
  Finish(out);
  return out;
}

SimulatedAgent::Output SimulatedAgent::Tick(Timestamp now) {
  Output out;
  if (shut_down_) return out;
  if (!registered_ && register_retry_at_ && *register_retry_at_ <= now) SendRegister(out, now);
  if (registered_ && next_heartbeat_ && *next_heartbeat_ <= now) {
    out.to_master.push_back(amsg::Heartbeat{});
    next_heartbeat_ = now + heartbeat_interval_;
  }
  while (!timers_.empty() && timers_.begin()->first <= now) {
    auto [at, key] = *timers_.begin();
    timers_.erase(timers_.begin());
    Task& task = tasks_.at(key);
    if (task.retry_at == at) {
      task.retry_at.reset();
      if (!task.pending.empty() && registered_) {
        task.backoff = std::min(task.backoff * 2, options_.retry_max);
        SendHead(out, key, task, now);
      }
    }
    if (task.transition_at == at) {
      task.transition_at.reset();
      const std::string cmd =
          task.info->command && task.info->command->value ? *task.info->command->value : "";
      if (task.state == TaskState::kStaging || task.state == TaskState::kStarting) {
        Transition(out, key, task, TaskState::kRunning, "", now);
        if (cmd == "sim:finish" || cmd == "sim:fail") {
          SetTimer(key, task, task.transition_at,
                   now + std::max(options_.running_delay, Duration::Nanoseconds(1)));
        }
      } else if (task.state == TaskState::kRunning && cmd == "sim:finish") {
        Transition(out, key, task, TaskState::kFinished, "Command exited with status 0", now);
      } else if (task.state == TaskState::kRunning && cmd == "sim:fail") {
        Transition(out, key, task, TaskState::kFailed, "Command exited with status 1", now);
      }
    }
  }
  Finish(out);
  return out;
}

std::optional<TaskState> SimulatedAgent::TaskStateOf(const model::FrameworkId& fw,
                                                     const model::TaskId& task) const {
  auto it = tasks_.find({fw, task});
  if (it == tasks_.end()) return std::nullopt;
  return it->second.state;
}

size_t SimulatedAgent::pending_updates() const {
  size_t n = 0;
  for (const auto& [key, task] : tasks_) n += task.pending.size();
  return n;
}

}  // namespace atl::agent
