// CommandExecutor: the state machine of the built-in command executor, `atoll executor`
// (reference/mesos.md §2.3). One process per task: it subscribes to its agent over the v1
// executor API, runs the one task it is given in its own process group, reports the task's
// states with reliable UPDATEs, kills it on request, and exits once the agent has the terminal
// update. Deterministic: time is a parameter, uuids come from a seeded Random, no I/O; the shell
// (core/cmd/executor_runtime) opens the streams, posts the calls, spawns and signals the task,
// and turns what happens into inputs.
//
// Lifecycle:
//   Start -> OpenStream{SUBSCRIBE}; SUBSCRIBED -> LAUNCH -> UPDATE TASK_STARTING + SpawnTask;
//   TaskSpawned -> UPDATE TASK_RUNNING; TaskExited -> the terminal UPDATE: TASK_FINISHED (exit
//   0), TASK_FAILED ("Command exited with status 3"), TASK_KILLED (a KILL or SHUTDOWN was in
//   progress) or TASK_FAILED + REASON_MAX_COMPLETION_TIME_REACHED; once every update is
//   ACKNOWLEDGED -> Exit{0}.
//
// Kill: StopChecks first (the task stops being checked and advertised), TASK_KILLING (only for
// frameworks with the TASK_KILLING_STATE capability), then SIGTERM to the task's process group
// and SIGKILL at the end of the grace period: KILL's kill_policy, else TaskInfo.kill_policy,
// else 3 s; SHUTDOWN: the executor shutdown grace period minus 1 s; max_completion_time: 0 s.
// A later kill may bring the SIGKILL forward, never push it back.
//
// HTTP lifecycle (Aurora's, model/http_lifecycle.h, opted into by the task's labels): before the
// signals of a KILL, a SHUTDOWN or a health kill of a running task, PostLifecycle the graceful
// endpoint (/quitquitquit) and, if it was answered, wait up to its wait for the task to exit;
// then the same with the shutdown endpoint (/abortabortabort); then the signals as above. A
// failed POST skips its wait; the task's exit ends it all. A later KILL does not cut the
// lifecycle short (schedulers re-send kills) but its grace period applies to the signals. A
// SHUTDOWN, max_completion_time or giving up on the agent sets a hard deadline: the lifecycle
// is cut short so that SIGTERM still comes the task's grace period before it, and SIGKILL comes
// at it at the latest. (The agent gives a task with a lifecycle a longer shutdown grace period.)
//
// Reliability: every update is kept until the agent ACKNOWLEDGES it. Updates made while not
// subscribed wait; every (re-)SUBSCRIBE carries all unacknowledged updates (and the task, while
// it has any). When the stream is lost the executor re-subscribes with a capped exponential
// backoff for up to `recovery_timeout` (at once it gives up if the framework does not
// checkpoint: the agent cannot recover it); giving up kills the task and exits 1.
//
// Safety invariants (tests/executor checks all but the timing one after every input, in
// scripted cases and random walks; the timing one in the scripted kill cases):
//   - at most one task is ever spawned; a second LAUNCH gets TASK_FAILED and runs nothing;
//   - every UPDATE carries a fresh 16-byte uuid, source SOURCE_EXECUTOR and this executor id;
//     the launched task gets at most one terminal update and nothing after it (exactly one
//     unless the executor gave up on its agent: then nobody is left to tell);
//   - an update is sent again on every new subscription until it is acknowledged, in the order
//     the updates were made;
//   - a SIGKILL is never sent before the deadline of the kill in progress, and a deadline never
//     moves later; no signal is sent before the task was spawned or after it exited;
//   - a kill's StopChecks comes before its first lifecycle POST and its first signal, and no
//     lifecycle POST comes after a signal;
//   - Exit is the last command ever, and never comes while the task's process may still run.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/api/executor_api.h"
#include "core/base/random.h"
#include "core/base/time.h"
#include "core/model/http_lifecycle.h"

namespace atl::executor {

struct CommandExecutorOptions {
  model::FrameworkId framework_id;
  model::ExecutorId executor_id;
  // From MESOS_SLAVE_ID; set as TaskStatus.agent_id until SUBSCRIBED names the agent.
  std::optional<model::AgentId> agent_id;
  // The task's working directory (MESOS_SANDBOX; the executor's cwd).
  std::string sandbox;
  // The executor's own environment as "K=V", in order: the base of the task's environment.
  std::vector<std::string> environment;
  // MESOS_CHECKPOINT: whether the agent can recover this executor after a restart. Without it a
  // lost subscription cannot come back and the executor gives up at once.
  bool checkpoint = true;
  // MESOS_RECOVERY_TIMEOUT: how long to keep trying to (re-)subscribe before giving up.
  Duration recovery_timeout = Duration::Minutes(15);
  // Re-subscription backoff: starts at min(initial, max), doubles per failed attempt, capped at
  // max (MESOS_SUBSCRIPTION_BACKOFF_MAX).
  Duration subscription_backoff_initial = Duration::Seconds(1);
  Duration subscription_backoff_max = Duration::Seconds(2);
  // MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: the agent destroys the container this long after
  // SHUTDOWN. The task gets this minus `shutdown_margin` (at least 0) between SIGTERM and SIGKILL,
  // so that its TASK_KILLED can reach the agent before the container goes.
  Duration shutdown_grace_period = Duration::Seconds(5);
  Duration shutdown_margin = Duration::Seconds(1);
  // Between SIGTERM and SIGKILL when neither the KILL nor the task has a kill policy.
  Duration default_kill_grace = Duration::Seconds(3);
  // Exit this long after the terminal update was (re)sent to a subscribed agent, acknowledged
  // or not (Mesos: 60 s).
  Duration terminal_ack_timeout = Duration::Seconds(60);
  // Seeds the uuid generator; the runtime uses StableHash of the framework and executor ids.
  uint64_t seed = 0;
};

// Exit codes: the task's outcome travels in its updates; the code says whether the executor
// itself lost its agent.
inline constexpr int kExitOk = 0;
inline constexpr int kExitAgentLost = 1;

namespace in {

// The first input: opens the first subscription.
struct Start {
  bool operator==(const Start&) const = default;
};
// The SUBSCRIBE stream of the last OpenStream is up (200 and its head arrived); SUBSCRIBED
// follows on it.
struct Connected {
  bool operator==(const Connected&) const = default;
};
// The stream of the last OpenStream failed to open (connection refused, non-200) or ended.
struct Disconnected {
  std::string reason;
  bool operator==(const Disconnected&) const = default;
};
// An event of the current stream, in order. The shell may also inject a SHUTDOWN when the
// executor itself is told to stop (SIGTERM), connected or not.
struct Event {
  api::ExecutorEvent event;
  bool operator==(const Event&) const = default;
};
// The SpawnTask command succeeded: the task's process (and process group) id.
struct TaskSpawned {
  int pid = 0;
  bool operator==(const TaskSpawned&) const = default;
};
// The SpawnTask command failed: "exec /bin/foo: No such file or directory".
struct SpawnFailed {
  std::string message;
  bool operator==(const SpawnFailed&) const = default;
};
// The task's process ended. `wait_status` as from waitpid (nullopt when it could not be
// learned); `description` as io::DescribeWaitStatus words it: "exited with status 3",
// "terminated with signal Killed".
struct TaskExited {
  std::optional<int> wait_status;
  std::string description;
  bool operator==(const TaskExited&) const = default;
};
// A SendCall was not delivered or not answered 202. Nothing is retried at once: an UPDATE stays
// unacknowledged and goes again with the next subscription.
struct CallFailed {
  api::ExecutorCall call;
  std::string message;  // "503: Agent is recovering", "connection refused"
  bool operator==(const CallFailed&) const = default;
};
// A WakeAt deadline passed.
struct Tick {
  bool operator==(const Tick&) const = default;
};
// The task's health changed (the shell's checker, started by StartChecks, says so on every
// change, not on every probe): reported in a TASK_RUNNING update with `healthy` and `labels`
// (the checker's details, healthchecks::ToLabels). With `kill`, the task failed its health
// check too often: it is killed (its grace period) and ends TASK_KILLED, unhealthy, `message`.
struct HealthChanged {
  bool healthy = false;
  model::Labels labels;
  bool kill = false;
  std::string message;  // why it is killed: "Health check failed 3 times in a row: HTTP 503"
  bool operator==(const HealthChanged&) const = default;
};

// The readiness check's result changed (ready, or the last answer): reported in a
// TASK_RUNNING update carrying `labels` (healthchecks::ResultLabels), and in every later one.
struct ReadinessChanged {
  model::Labels labels;
  bool operator==(const ReadinessChanged&) const = default;
};

// The PostLifecycle of `step` is done: `ok` when answered 2xx or 3xx; else `detail` says why
// ("HTTP 404", "connection refused", "timed out after 1s").
struct LifecycleAnswered {
  int step = 0;
  bool ok = false;
  std::string detail;
  bool operator==(const LifecycleAnswered&) const = default;
};

}  // namespace in

using Input = std::variant<in::Start, in::Connected, in::Disconnected, in::Event, in::TaskSpawned,
                           in::SpawnFailed, in::TaskExited, in::CallFailed, in::Tick,
                           in::HealthChanged, in::ReadinessChanged, in::LifecycleAnswered>;

namespace cmd {

// Close any current stream and open a new one with `call` (a SUBSCRIBE) as the request. Its
// head comes back as Connected, its events as Event, its failure or end as Disconnected.
struct OpenStream {
  api::ExecutorCall call;
  bool operator==(const OpenStream&) const = default;
};
// POST `call`; expect 202, else CallFailed. Calls must reach the agent in the order sent (the
// shell keeps one in flight at a time): a task's updates are ordered.
struct SendCall {
  api::ExecutorCall call;
  bool operator==(const SendCall&) const = default;
};
// Start the task: execve(path, argv, env) in `cwd`, in a new session (its own process group, so
// signals reach its children), its stdout and stderr going to the sandbox's `stdout` and
// `stderr` (the shell copies them there through pipes, size-capped and rotated, and reports
// TaskExited once they are drained), as `user` when set. The result comes back as TaskSpawned or
// SpawnFailed. A `path` without a
// '/' is looked up in the PATH of `env` (execvp semantics, as Mesos does for shell=false).
struct SpawnTask {
  std::string path;               // "/bin/sh", or CommandInfo.value
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> env;   // "K=V", the whole environment
  std::string cwd;
  std::optional<std::string> user;
  bool operator==(const SpawnTask&) const = default;
};
// kill(-pgid, signo): every process of the task's group.
struct SignalTask {
  int pgid = 0;
  int signo = 0;
  bool operator==(const SignalTask&) const = default;
};
// Leave the process with `code`. Always the last command.
struct Exit {
  int code = 0;
  bool operator==(const Exit&) const = default;
};
// Send Tick at `at`; replaces the previous WakeAt. An early or extra Tick is harmless.
struct WakeAt {
  Timestamp at;
  bool operator==(const WakeAt&) const = default;
};
// Start running the task's health check next to it (the shell's prober and
// healthchecks::Tracker), from now on, until StopChecks; results come back as HealthChanged.
// COMMAND checks run with the task's environment in its sandbox.
// Also run the readiness check the scheduler put in the task's labels (`atoll.readiness.*`,
// healthchecks/readiness.h), if any; its result comes back as ReadinessChanged.
struct StartChecks {
  // TaskInfo.health_check, then those of the label api::kMoreHealthChecksLabel: the task is
  // healthy when all are (the shell reports them together).
  std::vector<model::HealthCheck> health;
  model::Labels task_labels;     // TaskInfo.labels
  std::vector<std::string> env;  // "K=V": the task's environment
  std::string cwd;
  bool operator==(const StartChecks&) const = default;
};
// Stop checking the task: it is being killed or has ended; no HealthChanged or ReadinessChanged
// after it. The first command of every kill, before any lifecycle POST or signal (even for a
// task without checks): the place where whatever advertises the task (its ServerSet
// announcement, discovery/) is withdrawn, so that clients stop sending to it before it is asked
// to stop, as Aurora's executor does.
struct StopChecks {
  bool operator==(const StopChecks&) const = default;
};
// POST `endpoint` with an empty body to 127.0.0.1:`port` (Aurora's HTTP lifecycle); the result
// comes back as LifecycleAnswered for `step` (1: the graceful endpoint, 2: the other; the
// endpoints may be the same path) within about `timeout`.
struct PostLifecycle {
  uint32_t port = 0;
  std::string endpoint;
  Duration timeout;
  int step = 0;
  bool operator==(const PostLifecycle&) const = default;
};

}  // namespace cmd

using Command =
    std::variant<cmd::OpenStream, cmd::SendCall, cmd::SpawnTask, cmd::SignalTask, cmd::Exit,
                 cmd::WakeAt, cmd::StartChecks, cmd::StopChecks, cmd::PostLifecycle>;

struct Output {
  std::vector<Command> commands;
  // What happened, for the executor's log (the sandbox's stderr), one line each.
  std::vector<std::string> log;
};

class CommandExecutor {
 public:
  explicit CommandExecutor(CommandExecutorOptions options);

  // Same prior inputs + same (input, now) => same output. Inputs after Exit are ignored.
  Output Handle(const Input& input, Timestamp now);

  // ---- views for tests and logs ----
  enum class Connection { kIdle, kConnecting, kConnected, kSubscribed, kDisconnected };
  Connection connection() const { return connection_; }
  bool exited() const { return exited_; }
  // The launched task, if any.
  const std::optional<model::TaskInfo>& task() const { return task_; }
  std::optional<int> task_pid() const { return pid_; }
  // A kill of the task is in progress (its lifecycle or its signals).
  bool killing() const { return kill_.has_value(); }
  // The last state reported for the launched task (kStaging before any).
  model::TaskState task_state() const { return task_state_; }
  // Updates not yet acknowledged by the agent, oldest first.
  std::vector<model::TaskStatus> unacknowledged_updates() const;

 private:
  enum class Phase {
    kNone,      // no task yet
    kSpawning,  // SpawnTask sent, no result yet
    kRunning,   // process running
    kDone,      // process exited, spawn failed, or the task was never runnable
  };
  enum class KillReason { kKill, kShutdown, kMaxCompletionTime, kAgentLost, kHealthCheck };
  // The steps of a kill: the HTTP lifecycle's two POSTs and waits (skipped without one), then
  // the signals.
  enum class KillStage { kGraceful, kAbort, kSignals };
  struct Kill {
    KillReason reason = KillReason::kKill;
    // SIGTERM to SIGKILL, the least a KILL or health kill asked for (none for SHUTDOWN...).
    std::optional<Duration> grace;
    // SHUTDOWN, max_completion_time, giving up: the task must be gone by then.
    std::optional<Timestamp> hard_deadline;
    KillStage stage = KillStage::kSignals;
    bool post_sent = false;      // this lifecycle stage's POST went out
    bool post_answered = false;  // ... and came back ok: waiting for the task to exit
    Timestamp stage_until;       // a lifecycle stage ends by then at the latest
    Timestamp sigkill_at;        // kSignals
    bool sigterm_sent = false;
    bool sigkill_sent = false;
  };
  struct Pending {
    model::TaskStatus status;
    bool sent = false;  // in a SUBSCRIBE or UPDATE since the last subscription began
  };

  void OnEvent(Output& out, const api::ExecutorEvent& event, Timestamp now);
  void OnSubscribed(Output& out, const api::executor_event::Subscribed& s, Timestamp now);
  void OnLaunch(Output& out, const model::TaskInfo& task, Timestamp now);
  void OnKill(Output& out, const api::executor_event::Kill& kill, Timestamp now);
  void OnShutdown(Output& out, Timestamp now);
  void OnSpawned(Output& out, int pid, Timestamp now);
  void OnSpawnFailed(Output& out, const std::string& message, Timestamp now);
  void OnExited(Output& out, const in::TaskExited& exited, Timestamp now);
  void OnAcknowledged(Output& out, const api::executor_event::Acknowledged& ack, Timestamp now);
  void OnDisconnected(Output& out, const std::string& reason, Timestamp now);
  void OnTick(Output& out, Timestamp now);
  void OnHealthChanged(Output& out, const in::HealthChanged& health, Timestamp now);
  void OnReadinessChanged(Output& out, const in::ReadinessChanged& readiness, Timestamp now);
  void OnLifecycleAnswered(Output& out, const in::LifecycleAnswered& answer, Timestamp now);
  void StopChecks(Output& out);

  // Starts or shortens a kill of the task with `grace` between SIGTERM and SIGKILL (for
  // SHUTDOWN, max_completion_time and giving up: until the hard deadline).
  void KillTask(Output& out, KillReason reason, Duration grace, Timestamp now);
  // Moves the kill on: the lifecycle's POSTs and waits, then the signals due now (SIGTERM once
  // the pid is known, SIGKILL at the deadline).
  void Escalate(Output& out, Timestamp now);
  // From /quitquitquit to /abortabortabort, or from that to the signals.
  void NextLifecycleStage(Timestamp now);
  // Ends the lifecycle: the signals' deadline is set from now.
  void EnterSignals(Timestamp now);
  // The task's own grace period: TaskInfo.kill_policy, else the default.
  Duration TaskGrace() const;
  // Makes a new update for `task_id` and sends it if subscribed (else it waits).
  void Update(Output& out, const model::TaskId& task_id, model::TaskState state,
              model::TaskStatusReason reason, std::string message, Timestamp now);
  // The terminal update of the launched task; the executor is then finishing.
  void Terminal(Output& out, model::TaskState state, model::TaskStatusReason reason,
                std::string message, Timestamp now);
  void Subscribe(Output& out, Timestamp now);
  // Stops trying to reach the agent: kills the task and exits 1 once it is gone.
  void GiveUp(Output& out, const std::string& why, Timestamp now);
  // Exits when nothing is left to do.
  void MaybeExit(Output& out);
  void DoExit(Output& out, int code);
  // Appends WakeAt when the earliest deadline changed.
  void Finish(Output& out);
  api::ExecutorCall Call(api::ExecutorCall::Body body) const;

  CommandExecutorOptions options_;
  Random rng_;

  // Connection.
  Connection connection_ = Connection::kIdle;
  Duration backoff_;
  std::optional<Timestamp> next_attempt_;       // kDisconnected: when to re-subscribe
  std::optional<Timestamp> recovery_deadline_;  // not subscribed: when to give up
  bool ever_subscribed_ = false;
  bool giving_up_ = false;
  std::optional<model::FrameworkInfo> framework_;
  std::optional<model::AgentId> agent_id_;

  // The task.
  std::optional<model::TaskInfo> task_;
  Phase phase_ = Phase::kNone;
  std::optional<int> pid_;
  model::TaskState task_state_ = model::TaskState::kStaging;
  std::optional<Kill> kill_;
  std::optional<model::HttpLifecycle> lifecycle_;  // from the task's labels
  std::optional<Timestamp> max_completion_at_;
  // Health: whether the checker runs, and the last health it reported (every later update of
  // the task carries it, as Mesos's do).
  bool checking_ = false;
  std::optional<bool> healthy_;
  model::Labels health_labels_;
  model::Labels readiness_labels_;
  std::string health_kill_message_;
  // Nothing is left to run: exit once every update is acknowledged.
  bool finishing_ = false;
  std::optional<Timestamp> terminal_deadline_;  // the terminal_ack_timeout fail-safe

  std::deque<Pending> pending_;
  std::optional<Timestamp> wake_;
  bool exited_ = false;
};

}  // namespace atl::executor
