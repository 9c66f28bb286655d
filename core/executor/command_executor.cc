#include "core/executor/command_executor.h"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <map>
#include <utility>

#include "core/api/json_executor.h"
#include "core/api/json_model.h"
#include "core/base/overloaded.h"
#include "core/base/strings.h"
#include "core/base/uuid.h"

namespace atl::executor {

using model::TaskState;
using model::TaskStatusReason;
namespace ecall = api::executor_call;
namespace eev = api::executor_event;

namespace {

// TaskInfo labels of a readiness check (healthchecks/readiness.h writes them; the shell reads).
constexpr std::string_view kReadinessLabelPrefix = "atoll.readiness.";
constexpr std::string_view kLifecycleLabelPrefix = "atoll.lifecycle.";

// A credential for the executor's own calls: the task must not inherit it.
constexpr std::string_view kAuthTokenVariable = "MESOS_EXECUTOR_AUTHENTICATION_TOKEN";

// The task's environment: the executor's own (minus its credential), MESOS_TASK_ID, then
// CommandInfo.environment, which overrides everything (Mesos gives it the highest priority).
// Order is stable: inherited entries keep their place, new names are appended.
std::vector<std::string> TaskEnvironment(const std::vector<std::string>& base,
                                         const model::TaskInfo& task) {
  std::vector<std::string> env;
  std::map<std::string, size_t, std::less<>> index;
  auto set = [&](std::string_view name, std::string_view value) {
    std::string entry = StrCat(name, "=", value);
    if (auto it = index.find(name); it != index.end()) {
      env[it->second] = std::move(entry);
    } else {
      index.emplace(std::string(name), env.size());
      env.push_back(std::move(entry));
    }
  };
  for (const std::string& entry : base) {
    const size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    std::string_view name = std::string_view(entry).substr(0, eq);
    if (name == kAuthTokenVariable) continue;
    set(name, std::string_view(entry).substr(eq + 1));
  }
  // Mesos does not set MESOS_TASK_ID (Marathon puts it in CommandInfo.environment); we do, so
  // every task can name itself.
  set("MESOS_TASK_ID", task.task_id.value());
  if (task.command && task.command->environment) {
    for (const model::Environment::Variable& v : task.command->environment->variables) {
      if (!v.name.empty()) set(v.name, v.value);
    }
  }
  return env;
}

// How the task runs (reference/mesos.md §2.3): model::CommandLineOf.
cmd::SpawnTask BuildSpawn(const model::TaskInfo& task, const CommandExecutorOptions& options) {
  const model::CommandInfo& command = *task.command;
  cmd::SpawnTask spawn;
  model::CommandLine line = model::CommandLineOf(command);
  spawn.path = std::move(line.path);
  spawn.argv = std::move(line.argv);
  spawn.env = TaskEnvironment(options.environment, task);
  spawn.cwd = options.sandbox;
  spawn.user = command.user;
  return spawn;
}

// "exited with status 3" when the shell could not describe the status itself.
std::string Describe(const in::TaskExited& exited) {
  if (!exited.description.empty()) return exited.description;
  if (!exited.wait_status) return "ended with an unknown status";
  const int status = *exited.wait_status;
  if (WIFEXITED(status)) return StrCat("exited with status ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return StrCat("terminated with signal ", WTERMSIG(status));
  return StrCat("ended with wait status ", status);
}

bool Succeeded(const std::optional<int>& wait_status) {
  return wait_status && WIFEXITED(*wait_status) && WEXITSTATUS(*wait_status) == 0;
}

}  // namespace

CommandExecutor::CommandExecutor(CommandExecutorOptions options)
    : options_(std::move(options)),
      rng_(options_.seed),
      backoff_(std::min(options_.subscription_backoff_initial, options_.subscription_backoff_max)) {
}

Output CommandExecutor::Handle(const Input& input, Timestamp now) {
  Output out;
  if (exited_) return out;
  std::visit(Overloaded{
                 [&](const in::Start&) {
                   if (connection_ != Connection::kIdle) return;
                   recovery_deadline_ = now + options_.recovery_timeout;
                   Subscribe(out, now);
                 },
                 [&](const in::Connected&) {
                   if (connection_ != Connection::kConnecting) return;
                   connection_ = Connection::kConnected;
                   out.log.push_back("Connected to the agent");
                 },
                 [&](const in::Disconnected& d) { OnDisconnected(out, d.reason, now); },
                 [&](const in::Event& e) {
                   if (giving_up_) return;  // nobody to report to; the task is being killed
                   if (std::holds_alternative<eev::Subscribed>(e.event.body) &&
                       connection_ != Connection::kConnecting &&
                       connection_ != Connection::kConnected) {
                     return;  // no subscription is being opened
                   }
                   OnEvent(out, e.event, now);
                 },
                 [&](const in::TaskSpawned& s) { OnSpawned(out, s.pid, now); },
                 [&](const in::SpawnFailed& f) { OnSpawnFailed(out, f.message, now); },
                 [&](const in::TaskExited& e) { OnExited(out, e, now); },
                 [&](const in::CallFailed& f) {
                   // The update (if it was one) stays unacknowledged and goes with the next
                   // SUBSCRIBE.
                   out.log.push_back(StrCat(api::ExecutorCallTypeName(f.call.body),
                                            " not accepted by the agent: ", f.message));
                 },
                 [&](const in::Tick&) {
                   wake_.reset();  // the timer fired
                   OnTick(out, now);
                 },
                 [&](const in::HealthChanged& h) { OnHealthChanged(out, h, now); },
                 [&](const in::ReadinessChanged& r) { OnReadinessChanged(out, r, now); },
                 [&](const in::LifecycleAnswered& a) { OnLifecycleAnswered(out, a, now); },
             },
             input);
  if (!exited_) Finish(out);
  return out;
}

std::vector<model::TaskStatus> CommandExecutor::unacknowledged_updates() const {
  std::vector<model::TaskStatus> v;
  for (const Pending& p : pending_) v.push_back(p.status);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Events

void CommandExecutor::OnEvent(Output& out, const api::ExecutorEvent& event, Timestamp now) {
  std::visit(Overloaded{
                 [&](const eev::Subscribed& s) { OnSubscribed(out, s, now); },
                 [&](const eev::Launch& l) { OnLaunch(out, l.task, now); },
                 [&](const eev::LaunchGroup& g) {
                   // Task groups run under the default executor, never this one.
                   for (const model::TaskInfo& t : g.tasks) {
                     Update(out, t.task_id, TaskState::kFailed, TaskStatusReason::kNone,
                            "Task groups (LAUNCH_GROUP) cannot run on the command executor", now);
                   }
                 },
                 [&](const eev::Kill& k) { OnKill(out, k, now); },
                 [&](const eev::Acknowledged& a) { OnAcknowledged(out, a, now); },
                 [&](const eev::Message&) { out.log.push_back("Ignoring a framework message"); },
                 [&](const eev::Error& e) {
                   out.log.push_back(StrCat("Error from the agent: ", e.message));
                 },
                 [&](const eev::Shutdown&) { OnShutdown(out, now); },
                 [&](const eev::Heartbeat&) {},
             },
             event.body);
}

void CommandExecutor::OnSubscribed(Output& out, const eev::Subscribed& s, Timestamp now) {
  connection_ = Connection::kSubscribed;
  ever_subscribed_ = true;
  framework_ = s.framework_info;
  if (s.agent_info.id) agent_id_ = s.agent_info.id;
  backoff_ = std::min(options_.subscription_backoff_initial, options_.subscription_backoff_max);
  next_attempt_.reset();
  recovery_deadline_.reset();
  out.log.push_back(StrCat("Subscribed to agent ",
                           agent_id_ ? agent_id_->value() : std::string("(no id)"), " with ",
                           pending_.size(), " unacknowledged update(s)"));
  // Updates made after the SUBSCRIBE left were not in it.
  for (Pending& p : pending_) {
    if (p.sent) continue;
    out.commands.push_back(cmd::SendCall{Call(ecall::Update{p.status})});
    p.sent = true;
  }
  if (finishing_ && !pending_.empty()) {
    terminal_deadline_ = now + options_.terminal_ack_timeout;
  }
}

void CommandExecutor::OnLaunch(Output& out, const model::TaskInfo& task, Timestamp now) {
  if (task_ && task.task_id == task_->task_id) {
    out.log.push_back(StrCat("Ignoring a repeated LAUNCH of task ", task.task_id.value()));
    return;
  }
  if (task_ || finishing_) {
    // One task per command executor: the first one keeps running.
    Update(out, task.task_id, TaskState::kFailed, TaskStatusReason::kNone,
           "Attempted to run multiple tasks using a command executor", now);
    return;
  }
  task_ = task;
  out.log.push_back(StrCat("Received LAUNCH for task ", task.task_id.value()));
  if (!task.command || !task.command->value || task.command->value->empty()) {
    phase_ = Phase::kDone;
    Terminal(out, TaskState::kError, TaskStatusReason::kTaskInvalid,
             "The command executor needs a task with a command (CommandInfo.value)", now);
    return;
  }
  lifecycle_ = model::HttpLifecycleFromLabels(task.labels);
  if (!lifecycle_ && std::any_of(task.labels.begin(), task.labels.end(), [](const model::Label& l) {
        return l.key.starts_with(kLifecycleLabelPrefix);
      })) {
    out.log.push_back("Ignoring the task's HTTP lifecycle labels: they are incomplete or invalid");
  }
  Update(out, task.task_id, TaskState::kStarting, TaskStatusReason::kNone, "", now);
  out.commands.push_back(BuildSpawn(task, options_));
  phase_ = Phase::kSpawning;
  if (task.max_completion_time) {
    max_completion_at_ = now + std::max(*task.max_completion_time, Duration::Zero());
  }
  // TaskInfo.health_check: its checker starts in OnSpawned, once the process runs.
}

void CommandExecutor::OnKill(Output& out, const eev::Kill& kill, Timestamp now) {
  if (!task_ || kill.task_id != task_->task_id) {
    out.log.push_back(StrCat("Ignoring KILL of unknown task ", kill.task_id.value()));
    return;
  }
  if (phase_ == Phase::kDone) {
    out.log.push_back(StrCat("Ignoring KILL of task ", kill.task_id.value(), ": it already ended"));
    return;
  }
  // The KILL's policy overrides the task's; Mesos's default is 3 s.
  Duration grace = TaskGrace();
  if (kill.kill_policy && kill.kill_policy->grace_period) grace = *kill.kill_policy->grace_period;
  out.log.push_back(StrCat("Received KILL for task ", kill.task_id.value(),
                           " with grace period of ", grace.ToString()));
  KillTask(out, KillReason::kKill, grace, now);
}

void CommandExecutor::OnShutdown(Output& out, Timestamp now) {
  out.log.push_back("Received SHUTDOWN");
  if (phase_ == Phase::kSpawning || phase_ == Phase::kRunning) {
    KillTask(out, KillReason::kShutdown, options_.shutdown_grace_period - options_.shutdown_margin,
             now);
    return;
  }
  finishing_ = true;
  MaybeExit(out);
}

void CommandExecutor::OnAcknowledged(Output& out, const eev::Acknowledged& ack, Timestamp now) {
  auto it = std::find_if(pending_.begin(), pending_.end(), [&](const Pending& p) {
    return p.status.task_id == ack.task_id && p.status.uuid == ack.uuid;
  });
  if (it == pending_.end()) return;  // a duplicate
  pending_.erase(it);
  if (pending_.empty()) terminal_deadline_.reset();
  (void)now;
  MaybeExit(out);
}

// ---------------------------------------------------------------------------------------------
// The task's process

void CommandExecutor::OnSpawned(Output& out, int pid, Timestamp now) {
  if (phase_ != Phase::kSpawning) return;
  phase_ = Phase::kRunning;
  pid_ = pid;
  out.log.push_back(StrCat("Started task ", task_->task_id.value(), " as pid ", pid));
  if (kill_) {
    // Killed while starting: no TASK_RUNNING, the signals go out now.
    Escalate(out, now);
    return;
  }
  Update(out, task_->task_id, TaskState::kRunning, TaskStatusReason::kNone, "", now);
  // A health check, or a readiness check in the labels (read by the shell's checker).
  const bool readiness =
      std::any_of(task_->labels.begin(), task_->labels.end(),
                  [](const model::Label& l) { return l.key.starts_with(kReadinessLabelPrefix); });
  std::vector<model::HealthCheck> health;
  if (task_->health_check) {
    health.push_back(*task_->health_check);
    for (const model::Label& l : task_->labels) {
      if (l.key != api::kMoreHealthChecksLabel || !l.value) continue;
      absl::StatusOr<std::vector<model::HealthCheck>> more = api::ParseHealthChecks(*l.value);
      if (more.ok()) {
        health.insert(health.end(), more->begin(), more->end());
      } else {
        out.log.push_back(StrCat("Running only the first health check: the others are invalid (",
                                 more.status().message(), ")"));
      }
    }
  }
  if (!health.empty() || readiness) {
    const cmd::SpawnTask spawn = BuildSpawn(*task_, options_);
    out.commands.push_back(
        cmd::StartChecks{std::move(health), task_->labels, spawn.env, spawn.cwd});
    checking_ = true;
  }
}

void CommandExecutor::OnReadinessChanged(Output& out, const in::ReadinessChanged& readiness,
                                         Timestamp now) {
  if (!checking_ || phase_ != Phase::kRunning || kill_) return;  // a late result
  readiness_labels_ = readiness.labels;
  Update(out, task_->task_id, TaskState::kRunning, TaskStatusReason::kTaskCheckStatusUpdated, "",
         now);
}

void CommandExecutor::OnHealthChanged(Output& out, const in::HealthChanged& health, Timestamp now) {
  if (!checking_ || phase_ != Phase::kRunning || kill_) return;  // a late result
  healthy_ = health.healthy;
  health_labels_ = health.labels;
  if (health.kill) {
    health_kill_message_ = health.message;
    out.log.push_back(StrCat("Killing task ", task_->task_id.value(), ": ", health.message));
    KillTask(out, KillReason::kHealthCheck, TaskGrace(), now);
    return;
  }
  Update(out, task_->task_id, TaskState::kRunning, TaskStatusReason::kTaskHealthCheckStatusUpdated,
         "", now);
}

void CommandExecutor::StopChecks(Output& out) {
  if (!checking_) return;
  checking_ = false;
  out.commands.push_back(cmd::StopChecks{});
}

void CommandExecutor::OnSpawnFailed(Output& out, const std::string& message, Timestamp now) {
  if (phase_ != Phase::kSpawning) return;
  phase_ = Phase::kDone;
  if (giving_up_) {
    DoExit(out, kExitAgentLost);
    return;
  }
  // REASON_CONTAINER_LAUNCH_FAILED tells the scheduler the command never ran (Mesos's
  // executor sends a bare TASK_FAILED; the reason is ours).
  Terminal(out, TaskState::kFailed, TaskStatusReason::kContainerLaunchFailed,
           StrCat("Failed to launch the command: ", message), now);
}

void CommandExecutor::OnExited(Output& out, const in::TaskExited& exited, Timestamp now) {
  if (phase_ != Phase::kRunning) return;
  phase_ = Phase::kDone;
  StopChecks(out);
  const std::string how = Describe(exited);
  out.log.push_back(StrCat("Task ", task_->task_id.value(), " ", how));
  if (giving_up_) {
    DoExit(out, kExitAgentLost);
    return;
  }
  // A task killed on request is KILLED whatever its status (Mesos checks the kill first).
  if (kill_ && kill_->reason == KillReason::kMaxCompletionTime) {
    Terminal(out, TaskState::kFailed, TaskStatusReason::kMaxCompletionTimeReached,
             StrCat("Command exceeded its maximum completion time of ",
                    task_->max_completion_time->ToString(), " and ", how),
             now);
  } else if (kill_ && kill_->reason == KillReason::kHealthCheck) {
    Terminal(out, TaskState::kKilled, TaskStatusReason::kTaskHealthCheckStatusUpdated,
             StrCat(health_kill_message_, "; command ", how), now);
  } else if (kill_) {
    Terminal(out, TaskState::kKilled, TaskStatusReason::kNone, StrCat("Command ", how), now);
  } else if (Succeeded(exited.wait_status)) {
    Terminal(out, TaskState::kFinished, TaskStatusReason::kNone, StrCat("Command ", how), now);
  } else {
    Terminal(out, TaskState::kFailed, TaskStatusReason::kNone, StrCat("Command ", how), now);
  }
}

Duration CommandExecutor::TaskGrace() const {
  if (task_ && task_->kill_policy && task_->kill_policy->grace_period) {
    return std::max(*task_->kill_policy->grace_period, Duration::Zero());
  }
  return options_.default_kill_grace;
}

void CommandExecutor::KillTask(Output& out, KillReason reason, Duration grace, Timestamp now) {
  if (phase_ != Phase::kSpawning && phase_ != Phase::kRunning) return;
  grace = std::max(grace, Duration::Zero());
  const Timestamp deadline = now + grace;
  // A KILL (or the executor's own health kill) asks for a grace period between the signals; the
  // others say when the task must be gone.
  const bool hard = reason == KillReason::kShutdown || reason == KillReason::kAgentLost ||
                    reason == KillReason::kMaxCompletionTime;
  if (kill_) {
    // Already killing: a shorter grace brings the SIGKILL forward, a longer one changes nothing.
    if (hard) {
      kill_->hard_deadline = std::min(kill_->hard_deadline.value_or(deadline), deadline);
    } else {
      kill_->grace = std::min(kill_->grace.value_or(grace), grace);
    }
    if (kill_->stage == KillStage::kSignals && !kill_->sigkill_sent &&
        deadline < kill_->sigkill_at) {
      kill_->sigkill_at = deadline;
      out.log.push_back(StrCat("SIGKILL brought forward to ", grace.ToString(), " from now"));
    }
    Escalate(out, now);
    return;
  }
  kill_ = Kill{};
  kill_->reason = reason;
  if (hard) {
    kill_->hard_deadline = deadline;
  } else {
    kill_->grace = grace;
  }
  max_completion_at_.reset();
  // Unconditionally: this is also where the task stops being advertised.
  checking_ = false;
  out.commands.push_back(cmd::StopChecks{});
  if (reason != KillReason::kAgentLost && framework_ &&
      framework_->HasCapability(model::FrameworkCapability::kTaskKillingState)) {
    Update(out, task_->task_id, TaskState::kKilling, TaskStatusReason::kNone, "", now);
  }
  const bool lifecycle = lifecycle_ && phase_ == Phase::kRunning &&
                         (reason == KillReason::kKill || reason == KillReason::kShutdown ||
                          reason == KillReason::kHealthCheck);
  if (lifecycle) {
    kill_->stage = KillStage::kGraceful;
  } else {
    EnterSignals(now);
  }
  Escalate(out, now);
}

void CommandExecutor::NextLifecycleStage(Timestamp now) {
  kill_->post_sent = kill_->post_answered = false;
  if (kill_->stage == KillStage::kGraceful) {
    kill_->stage = KillStage::kAbort;
  } else {
    EnterSignals(now);
  }
}

void CommandExecutor::EnterSignals(Timestamp now) {
  kill_->stage = KillStage::kSignals;
  Timestamp at = kill_->grace ? now + *kill_->grace : *kill_->hard_deadline;
  if (kill_->hard_deadline) at = std::min(at, *kill_->hard_deadline);
  kill_->sigkill_at = at;
}

void CommandExecutor::Escalate(Output& out, Timestamp now) {
  if (!kill_ || phase_ != Phase::kRunning || kill_->sigkill_sent) return;
  while (kill_->stage != KillStage::kSignals) {
    const bool graceful = kill_->stage == KillStage::kGraceful;
    const std::string& endpoint =
        graceful ? lifecycle_->graceful_shutdown_endpoint : lifecycle_->shutdown_endpoint;
    const Duration wait = graceful ? lifecycle_->graceful_shutdown_wait : lifecycle_->shutdown_wait;
    // Under a hard deadline, SIGTERM must still come the task's grace period before it.
    if (kill_->hard_deadline && now >= *kill_->hard_deadline - TaskGrace()) {
      out.log.push_back("No time left for the HTTP lifecycle: signalling the task");
      EnterSignals(now);
      break;
    }
    if (!kill_->post_sent) {
      out.commands.push_back(cmd::PostLifecycle{lifecycle_->port, endpoint,
                                                lifecycle_->request_timeout, graceful ? 1 : 2});
      out.log.push_back(StrCat("POST ", endpoint, " to port ", lifecycle_->port));
      kill_->post_sent = true;
      // A fail-safe: the answer comes within the timeout.
      kill_->stage_until = now + lifecycle_->request_timeout + wait;
      return;
    }
    if (now < kill_->stage_until) return;
    if (kill_->post_answered) {
      out.log.push_back(StrCat("The task did not exit within ", wait.ToString(), " of ", endpoint));
    } else {
      out.log.push_back(StrCat("POST ", endpoint, " was not answered in time"));
    }
    NextLifecycleStage(now);
  }
  // A zero grace goes straight to SIGKILL: a SIGTERM the task has no time to act on is noise.
  if (!kill_->sigterm_sent && now < kill_->sigkill_at) {
    out.commands.push_back(cmd::SignalTask{*pid_, SIGTERM});
    out.log.push_back(StrCat("Sent SIGTERM to process group ", *pid_));
    kill_->sigterm_sent = true;
  }
  if (now >= kill_->sigkill_at) {
    out.commands.push_back(cmd::SignalTask{*pid_, SIGKILL});
    out.log.push_back(StrCat("Sent SIGKILL to process group ", *pid_));
    kill_->sigkill_sent = true;
  }
}

void CommandExecutor::OnLifecycleAnswered(Output& out, const in::LifecycleAnswered& answer,
                                          Timestamp now) {
  if (!kill_ || phase_ != Phase::kRunning || kill_->stage == KillStage::kSignals ||
      !kill_->post_sent || kill_->post_answered) {
    return;  // a late answer
  }
  const bool graceful = kill_->stage == KillStage::kGraceful;
  const std::string& endpoint =
      graceful ? lifecycle_->graceful_shutdown_endpoint : lifecycle_->shutdown_endpoint;
  if (answer.step != (graceful ? 1 : 2)) return;  // the other step's, late
  if (answer.ok) {
    const Duration wait = graceful ? lifecycle_->graceful_shutdown_wait : lifecycle_->shutdown_wait;
    out.log.push_back(StrCat("POST ", endpoint, " answered: waiting up to ", wait.ToString(),
                             " for the task to exit"));
    kill_->post_answered = true;
    kill_->stage_until = now + wait;
  } else {
    out.log.push_back(StrCat("POST ", endpoint, " failed (", answer.detail, "): not waiting"));
    NextLifecycleStage(now);
  }
  Escalate(out, now);
}

// ---------------------------------------------------------------------------------------------
// Updates

void CommandExecutor::Update(Output& out, const model::TaskId& task_id, TaskState state,
                             TaskStatusReason reason, std::string message, Timestamp now) {
  if (giving_up_) return;  // nobody left to tell
  model::TaskStatus s;
  s.task_id = task_id;
  s.state = state;
  s.message = std::move(message);
  s.source = model::TaskStatusSource::kExecutor;
  s.reason = reason;
  s.agent_id = agent_id_ ? agent_id_ : options_.agent_id;
  s.executor_id = options_.executor_id;
  s.timestamp = now.seconds();
  s.uuid = UuidToBytes(rng_.Uuid());
  if (task_ && task_id == task_->task_id) {
    task_state_ = state;
    // Once the checker has spoken, every update of the task says how healthy it is.
    s.healthy = healthy_;
    if (healthy_.has_value()) s.labels = health_labels_;
    s.labels.insert(s.labels.end(), readiness_labels_.begin(), readiness_labels_.end());
  }
  out.log.push_back(StrCat("Update ", model::TaskStateName(state), " for task ", task_id.value(),
                           s.message.empty() ? "" : ": ", s.message));
  Pending p{std::move(s), false};
  if (connection_ == Connection::kSubscribed) {
    out.commands.push_back(cmd::SendCall{Call(ecall::Update{p.status})});
    p.sent = true;
  }
  pending_.push_back(std::move(p));
}

void CommandExecutor::Terminal(Output& out, TaskState state, TaskStatusReason reason,
                               std::string message, Timestamp now) {
  Update(out, task_->task_id, state, reason, std::move(message), now);
  finishing_ = true;
  max_completion_at_.reset();
  if (connection_ == Connection::kSubscribed) {
    terminal_deadline_ = now + options_.terminal_ack_timeout;
  }
}

// ---------------------------------------------------------------------------------------------
// The connection

void CommandExecutor::Subscribe(Output& out, Timestamp /*now*/) {
  ecall::Subscribe sub;
  bool task_unacknowledged = false;
  for (Pending& p : pending_) {
    sub.unacknowledged_updates.push_back({p.status});
    p.sent = true;
    if (task_ && p.status.task_id == task_->task_id) task_unacknowledged = true;
  }
  if (task_unacknowledged) sub.unacknowledged_tasks.push_back(*task_);
  connection_ = Connection::kConnecting;
  next_attempt_.reset();
  out.commands.push_back(cmd::OpenStream{Call(std::move(sub))});
}

void CommandExecutor::OnDisconnected(Output& out, const std::string& reason, Timestamp now) {
  if (connection_ == Connection::kIdle || connection_ == Connection::kDisconnected) return;
  const bool was_subscribed = connection_ == Connection::kSubscribed;
  connection_ = Connection::kDisconnected;
  terminal_deadline_.reset();
  out.log.push_back(StrCat(was_subscribed ? "Lost the agent: " : "Cannot subscribe: ", reason));
  if (giving_up_) return;
  if (was_subscribed && !options_.checkpoint) {
    GiveUp(out, "the framework does not checkpoint, so the agent cannot recover this executor",
           now);
    return;
  }
  if (!recovery_deadline_) recovery_deadline_ = now + options_.recovery_timeout;
  next_attempt_ = now + backoff_;
  backoff_ = std::min(backoff_ * 2, options_.subscription_backoff_max);
}

void CommandExecutor::GiveUp(Output& out, const std::string& why, Timestamp now) {
  giving_up_ = true;
  next_attempt_.reset();
  recovery_deadline_.reset();
  terminal_deadline_.reset();
  out.log.push_back(StrCat("Giving up on the agent: ", why));
  if (phase_ == Phase::kSpawning || phase_ == Phase::kRunning) {
    KillTask(out, KillReason::kAgentLost, options_.shutdown_grace_period - options_.shutdown_margin,
             now);
    return;
  }
  DoExit(out, kExitAgentLost);
}

void CommandExecutor::OnTick(Output& out, Timestamp now) {
  Escalate(out, now);
  if (max_completion_at_ && now >= *max_completion_at_) {
    max_completion_at_.reset();
    out.log.push_back(StrCat("Task ", task_->task_id.value(),
                             " reached its maximum completion time of ",
                             task_->max_completion_time->ToString()));
    KillTask(out, KillReason::kMaxCompletionTime, Duration::Zero(), now);
  }
  if (!giving_up_ && connection_ != Connection::kSubscribed && recovery_deadline_ &&
      now >= *recovery_deadline_) {
    GiveUp(out,
           StrCat("not subscribed within the recovery timeout of ",
                  options_.recovery_timeout.ToString()),
           now);
    if (exited_) return;
  }
  if (!giving_up_ && connection_ == Connection::kDisconnected && next_attempt_ &&
      now >= *next_attempt_) {
    Subscribe(out, now);
  }
  if (terminal_deadline_ && now >= *terminal_deadline_) {
    out.log.push_back(StrCat("The terminal update was not acknowledged within ",
                             options_.terminal_ack_timeout.ToString(), "; exiting anyway"));
    DoExit(out, kExitOk);
  }
}

// ---------------------------------------------------------------------------------------------
// Exit and timers

void CommandExecutor::MaybeExit(Output& out) {
  if (!finishing_ || !pending_.empty()) return;
  if (phase_ == Phase::kSpawning || phase_ == Phase::kRunning) return;
  DoExit(out, kExitOk);
}

void CommandExecutor::DoExit(Output& out, int code) {
  out.commands.push_back(cmd::Exit{code});
  out.log.push_back(StrCat("Exiting with status ", code));
  exited_ = true;
}

void CommandExecutor::Finish(Output& out) {
  std::optional<Timestamp> next;
  auto take = [&](std::optional<Timestamp> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  if (kill_ && phase_ == Phase::kRunning && !kill_->sigkill_sent) {
    if (kill_->stage == KillStage::kSignals) {
      take(kill_->sigkill_at);
    } else {
      take(kill_->stage_until);
      if (kill_->hard_deadline) take(*kill_->hard_deadline - TaskGrace());
    }
  }
  if (phase_ == Phase::kSpawning || phase_ == Phase::kRunning) take(max_completion_at_);
  if (!giving_up_) {
    if (connection_ == Connection::kDisconnected) take(next_attempt_);
    if (connection_ != Connection::kSubscribed) take(recovery_deadline_);
  }
  take(terminal_deadline_);
  if (next && next != wake_) {
    out.commands.push_back(cmd::WakeAt{*next});
    wake_ = next;
  }
}

api::ExecutorCall CommandExecutor::Call(api::ExecutorCall::Body body) const {
  return api::ExecutorCall{options_.executor_id, options_.framework_id, std::move(body)};
}

}  // namespace atl::executor
