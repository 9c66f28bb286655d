#include "core/agent/simulated_agent.h"

#include <algorithm>
#include <tuple>

#include "core/base/overloaded.h"
#include "core/base/strings.h"
#include "core/base/uuid.h"

namespace atl::agent {

using model::TaskState;
namespace amsg = api::agent_msg;
namespace mmsg = api::master_msg;

SimulatedAgent::SimulatedAgent(model::AgentInfo info, SimulatedAgentOptions options, uint64_t seed)
    : info_(std::move(info)),
      options_(options),
      rng_(seed),
      streams_(options.retry_initial, options.retry_max) {}

void SimulatedAgent::Finish(Output& out) const {
  // Heartbeats only while registered: an unregistered agent has no deadline of its own.
  std::optional<Timestamp> next = registered_ ? next_heartbeat_ : register_retry_at_;
  auto earliest = [&next](std::optional<Timestamp> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  earliest(streams_.next_wake());
  if (!transitions_.empty()) earliest(transitions_.begin()->first);
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

void SimulatedAgent::SetTransition(const Key& key, Task& task, std::optional<Timestamp> at) {
  if (task.transition_at) transitions_.erase({*task.transition_at, key});
  task.transition_at = at;
  if (at) transitions_.insert({*at, key});
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
  // A health-checked task passes its check from the start (the command "sim:unhealthy" never
  // does), as a real executor reports it once the first probe answers.
  if (task.info->health_check && state == TaskState::kRunning) {
    if (task.info->command && task.info->command->value == "sim:unhealthy") task.healthy = false;
    s.healthy = task.healthy;
  }
  // The stream's latest state is task.state: every transition adds an update.
  streams_.Add(key, std::move(s), now, registered_, out.to_master);
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
            streams_.ForwardAll(now, out.to_master);
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
                SetTransition(key, task, now + Duration::Nanoseconds(1));
              }
            } else {
              SetTransition(key, task, now + options_.running_delay);
            }
          },
          [&](const mmsg::KillTask& kill) {
            Key key{kill.framework_id, kill.task_id};
            auto it = tasks_.find(key);
            if (it == tasks_.end() || model::IsTerminal(it->second.state)) return;
            SetTransition(key, it->second, std::nullopt);
            Transition(out, key, it->second, TaskState::kKilled,
                       "Command terminated with signal Terminated", now);
          },
          [&](const mmsg::AcknowledgeUpdate& ack) {
            Key key{ack.framework_id, ack.task_id};
            auto it = tasks_.find(key);
            if (it == tasks_.end()) return;
            if (streams_.Acknowledge(key, ack.uuid, now, registered_, out.to_master) !=
                StatusUpdateStreams::Ack::kPopped) {
              return;
            }
            // A terminal task is forgotten once its last update is acknowledged.
            if (streams_.Pending(key) == nullptr && model::IsTerminal(it->second.state)) {
              SetTransition(key, it->second, std::nullopt);
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
              SetTransition(key, task, std::nullopt);
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
              SetTransition(key, task, std::nullopt);
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
  // Retries and scripted transitions in (deadline, task) order; a task's retry first when
  // both fall due together.
  while (true) {
    const StatusUpdateStreams::Retry* retry = streams_.next_retry();
    if (retry != nullptr && retry->at > now) retry = nullptr;
    auto transition = transitions_.begin();
    if (transition != transitions_.end() && transition->first > now) {
      transition = transitions_.end();
    }
    if (retry != nullptr &&
        (transition == transitions_.end() ||
         std::tie(retry->at, *retry->key) <= std::tie(transition->first, transition->second))) {
      streams_.TickOne(now, registered_, out.to_master);
    } else if (transition != transitions_.end()) {
      Key key = transition->second;
      transitions_.erase(transition);
      Task& task = tasks_.at(key);
      task.transition_at.reset();
      ScriptedTransition(out, key, task, now);
    } else {
      break;
    }
  }
  Finish(out);
  return out;
}

void SimulatedAgent::ScriptedTransition(Output& out, const Key& key, Task& task, Timestamp now) {
  const std::string cmd =
      task.info->command && task.info->command->value ? *task.info->command->value : "";
  const Duration step = std::max(options_.running_delay, Duration::Nanoseconds(1));
  if (task.state == TaskState::kStaging || task.state == TaskState::kStarting) {
    Transition(out, key, task, TaskState::kRunning, "", now);
    if (cmd == "sim:finish" || cmd == "sim:fail" || cmd == "sim:flap") {
      SetTransition(key, task, now + step);
    }
  } else if (task.state == TaskState::kRunning && cmd == "sim:flap") {
    task.healthy = !task.healthy;
    Transition(out, key, task, TaskState::kRunning, "", now);
    SetTransition(key, task, now + step);
  } else if (task.state == TaskState::kRunning && cmd == "sim:finish") {
    Transition(out, key, task, TaskState::kFinished, "Command exited with status 0", now);
  } else if (task.state == TaskState::kRunning && cmd == "sim:fail") {
    Transition(out, key, task, TaskState::kFailed, "Command exited with status 1", now);
  }
}

std::optional<TaskState> SimulatedAgent::TaskStateOf(const model::FrameworkId& fw,
                                                     const model::TaskId& task) const {
  auto it = tasks_.find({fw, task});
  if (it == tasks_.end()) return std::nullopt;
  return it->second.state;
}

size_t SimulatedAgent::pending_updates() const { return streams_.pending_updates(); }

}  // namespace atl::agent
