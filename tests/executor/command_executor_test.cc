// The built-in command executor as a specification (reference/mesos.md §2.3, §4.3): what it
// asks of its shell for every input, exactly, with a fake clock. A checker verifies the safety
// invariants of core/executor/command_executor.h after every input.
#include "core/executor/command_executor.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <iostream>
#include <map>
#include <ostream>
#include <set>

#include "core/api/json_executor.h"
#include "core/api/json_model.h"
#include "core/base/clock.h"
#include "core/base/uuid.h"

namespace atl::executor {
namespace cmd {

// Readable failures: calls as their JSON.
void PrintTo(const OpenStream& o, std::ostream* os) {
  *os << "OpenStream" << api::SerializeExecutorCall(o.call);
}
void PrintTo(const SendCall& s, std::ostream* os) {
  *os << "SendCall" << api::SerializeExecutorCall(s.call);
}
void PrintTo(const SpawnTask& s, std::ostream* os) {
  *os << "SpawnTask{" << s.path << ", argv:";
  for (const auto& a : s.argv) *os << " '" << a << "'";
  *os << ", env:";
  for (const auto& e : s.env) *os << " '" << e << "'";
  *os << ", cwd: " << s.cwd << ", user: " << s.user.value_or("-") << "}";
}
void PrintTo(const SignalTask& s, std::ostream* os) {
  *os << "SignalTask{" << s.pgid << ", " << s.signo << "}";
}
void PrintTo(const Exit& e, std::ostream* os) { *os << "Exit{" << e.code << "}"; }
void PrintTo(const WakeAt& w, std::ostream* os) { *os << "WakeAt{" << w.at.nanoseconds() << "}"; }
void PrintTo(const StopChecks&, std::ostream* os) { *os << "StopChecks{}"; }
void PrintTo(const PostLifecycle& p, std::ostream* os) {
  *os << "PostLifecycle{" << p.port << ", " << p.endpoint << ", " << p.timeout.ToString() << ", "
      << p.step << "}";
}

}  // namespace cmd

namespace {

using model::TaskState;
using model::TaskStatusReason;
namespace ecall = api::executor_call;
namespace eev = api::executor_event;
using Commands = std::vector<Command>;

constexpr uint64_t kSeed = 20240611;
constexpr int kPid = 4242;

Command Sig(int signo) { return cmd::SignalTask{kPid, signo}; }
int ExitStatus(int code) { return code << 8; }  // as waitpid reports exit(code)
int SignalStatus(int signo) { return signo; }   // as waitpid reports death by `signo`

CommandExecutorOptions Options() {
  CommandExecutorOptions o;
  o.framework_id = model::FrameworkId("F1");
  o.executor_id = model::ExecutorId("web.1");
  o.agent_id = model::AgentId("S1");
  o.sandbox = "/var/lib/atoll/sandbox";
  o.environment = {"PATH=/usr/bin:/bin", "MESOS_SANDBOX=/var/lib/atoll/sandbox",
                   "MESOS_EXECUTOR_AUTHENTICATION_TOKEN=secret", "HOME=/root"};
  o.checkpoint = true;
  o.recovery_timeout = Duration::Minutes(15);
  o.subscription_backoff_max = Duration::Seconds(2);
  o.shutdown_grace_period = Duration::Seconds(5);
  o.seed = kSeed;
  return o;
}

model::TaskInfo Task(std::string id = "web.1") {
  model::TaskInfo t;
  t.name = "web";
  t.task_id = model::TaskId(std::move(id));
  t.agent_id = model::AgentId("S1");
  model::CommandInfo c;
  c.shell = true;
  c.value = "python3 -m http.server $PORT0";
  c.environment = model::Environment{{{"PORT0", "31000"}, {"HOME", "/app"}}};
  t.command = c;
  return t;
}

api::ExecutorEvent Subscribed(bool task_killing_state = false) {
  eev::Subscribed s;
  s.executor_info.executor_id = model::ExecutorId("web.1");
  s.framework_info.name = "marathonlike";
  s.framework_info.id = model::FrameworkId("F1");
  if (task_killing_state) {
    s.framework_info.capabilities = {model::FrameworkCapability::kTaskKillingState};
  }
  s.agent_info.id = model::AgentId("S1");
  s.agent_info.hostname = "host-1";
  return {s};
}

api::ExecutorEvent Launch(model::TaskInfo task) { return {eev::Launch{std::move(task)}}; }
api::ExecutorEvent Kill(std::optional<Duration> grace = std::nullopt, std::string id = "web.1") {
  eev::Kill k{model::TaskId(std::move(id)), std::nullopt};
  if (grace) k.kill_policy = model::KillPolicy{grace};
  return {k};
}
api::ExecutorEvent Ack(const model::TaskStatus& s) {
  return {eev::Acknowledged{s.task_id, s.uuid}};
}
api::ExecutorEvent Shutdown() { return {eev::Shutdown{}}; }

// Drives one CommandExecutor, keeps the expected uuid sequence (the same seeded Random), and
// checks the safety invariants after every input.
class CommandExecutorTest : public ::testing::Test {
 protected:
  CommandExecutorTest() { Reset(Options()); }

  // A fresh executor, and a fresh invariant checker for it.
  void Reset(CommandExecutorOptions options) {
    options_ = options;
    executor_ = std::make_unique<CommandExecutor>(options);
    rng_ = std::make_unique<Random>(options.seed);
    t0_ = clock_.Now();
    seen_.clear();
    running_.reset();
    terminal_seen_ = sigkill_sent_ = spawned_ = exited_ = stop_checks_seen_ = signal_seen_ = false;
    posts_ = 0;
  }

  Commands In(const Input& input) {
    if (const auto* s = std::get_if<in::TaskSpawned>(&input)) running_ = s->pid;
    Output out = executor_->Handle(input, clock_.Now());
    CheckInvariants(input, out);
    if (std::holds_alternative<in::TaskExited>(input)) running_.reset();
    return out.commands;
  }
  Commands Ev(api::ExecutorEvent e) { return In(in::Event{std::move(e)}); }
  Commands TickAt(Duration since_start) {
    clock_.AdvanceTo(t0_ + since_start);
    return In(in::Tick{});
  }

  // The next update the executor will make, as it must look.
  model::TaskStatus Next(TaskState state, std::string task = "web.1",
                         TaskStatusReason reason = TaskStatusReason::kNone,
                         std::string message = "") {
    model::TaskStatus s;
    s.task_id = model::TaskId(std::move(task));
    s.state = state;
    s.message = std::move(message);
    s.source = model::TaskStatusSource::kExecutor;
    s.reason = reason;
    s.agent_id = model::AgentId("S1");
    s.executor_id = model::ExecutorId("web.1");
    s.timestamp = clock_.Now().seconds();
    s.uuid = UuidToBytes(rng_->Uuid());
    return s;
  }
  api::ExecutorCall Call(api::ExecutorCall::Body body) {
    return {model::ExecutorId("web.1"), model::FrameworkId("F1"), std::move(body)};
  }
  Command Send(const model::TaskStatus& s) { return cmd::SendCall{Call(ecall::Update{s})}; }
  Command Open(std::vector<model::TaskInfo> tasks = {},
               std::vector<model::TaskStatus> updates = {}) {
    ecall::Subscribe sub;
    sub.unacknowledged_tasks = std::move(tasks);
    for (auto& u : updates) sub.unacknowledged_updates.push_back({u});
    return cmd::OpenStream{Call(std::move(sub))};
  }
  Command WakeAt(Duration since_start) { return cmd::WakeAt{t0_ + since_start}; }

  cmd::SpawnTask ExpectedSpawn() {
    return cmd::SpawnTask{"/bin/sh",
                          {"sh", "-c", "python3 -m http.server $PORT0"},
                          {"PATH=/usr/bin:/bin", "MESOS_SANDBOX=/var/lib/atoll/sandbox",
                           "HOME=/app", "MESOS_TASK_ID=web.1", "PORT0=31000"},
                          "/var/lib/atoll/sandbox",
                          std::nullopt};
  }

  // Start, connect, subscribe: nothing is sent but the SUBSCRIBE.
  void Subscribe(bool task_killing_state = false) {
    ASSERT_EQ(In(in::Start{}), (Commands{Open(), WakeAt(options_.recovery_timeout)}));
    ASSERT_EQ(In(in::Connected{}), Commands{});
    ASSERT_EQ(Ev(Subscribed(task_killing_state)), Commands{});
  }
  // Subscribe, launch `task` and spawn it: STARTING and RUNNING are sent (and returned).
  std::pair<model::TaskStatus, model::TaskStatus> Run(model::TaskInfo task = Task(),
                                                      bool task_killing_state = false) {
    Subscribe(task_killing_state);
    model::TaskStatus starting = Next(TaskState::kStarting, task.task_id.value());
    Commands launched = Ev(Launch(task));
    EXPECT_EQ(launched.size(), task.max_completion_time ? 3u : 2u);
    EXPECT_EQ(launched.at(0), Send(starting));
    model::TaskStatus running = Next(TaskState::kRunning, task.task_id.value());
    EXPECT_EQ(In(in::TaskSpawned{kPid}), Commands{Send(running)});
    return {starting, running};
  }

  void CheckInvariants(const Input& input, const Output& out) {
    for (size_t i = 0; i < out.commands.size(); ++i) {
      const Command& c = out.commands[i];
      ASSERT_FALSE(exited_) << "a command after Exit";
      std::vector<model::TaskStatus> updates;
      if (const auto* s = std::get_if<cmd::SendCall>(&c)) {
        EXPECT_EQ(s->call.executor_id.value(), "web.1");
        EXPECT_EQ(s->call.framework_id.value(), "F1");
        if (const auto* u = std::get_if<ecall::Update>(&s->call.body)) updates.push_back(u->status);
      }
      if (const auto* o = std::get_if<cmd::OpenStream>(&c)) {
        const auto* sub = std::get_if<ecall::Subscribe>(&o->call.body);
        ASSERT_NE(sub, nullptr) << "streams are opened by SUBSCRIBE";
        for (const auto& u : sub->unacknowledged_updates) updates.push_back(u.status);
      }
      for (const model::TaskStatus& s : updates) {
        EXPECT_EQ(s.uuid.size(), 16u);
        EXPECT_EQ(s.source, model::TaskStatusSource::kExecutor);
        EXPECT_EQ(s.executor_id, model::ExecutorId("web.1"));
        EXPECT_NE(s.state, TaskState::kStaging);
        auto [it, fresh] = seen_.emplace(s.uuid, s);
        if (!fresh) {
          EXPECT_EQ(it->second, s) << "a resent update must be the same update";
          continue;
        }
        if (executor_->task() && s.task_id == executor_->task()->task_id) {
          EXPECT_FALSE(terminal_seen_) << "an update after the terminal one";
          if (model::IsTerminal(s.state)) terminal_seen_ = true;
        }
      }
      if (std::holds_alternative<cmd::StopChecks>(c)) stop_checks_seen_ = true;
      if (std::holds_alternative<cmd::PostLifecycle>(c)) {
        EXPECT_TRUE(stop_checks_seen_) << "a lifecycle POST before StopChecks";
        EXPECT_FALSE(signal_seen_) << "a lifecycle POST after a signal";
        ASSERT_TRUE(running_.has_value()) << "a lifecycle POST to a task that is not running";
        ++posts_;
      }
      if (const auto* sig = std::get_if<cmd::SignalTask>(&c)) {
        EXPECT_TRUE(stop_checks_seen_) << "a signal before StopChecks";
        signal_seen_ = true;
        ASSERT_TRUE(running_.has_value()) << "a signal to a task that is not running";
        EXPECT_EQ(sig->pgid, *running_);
        if (sig->signo == SIGKILL) {
          EXPECT_FALSE(sigkill_sent_) << "SIGKILL twice";
          sigkill_sent_ = true;
        }
      }
      if (std::holds_alternative<cmd::SpawnTask>(c)) {
        EXPECT_FALSE(spawned_) << "a second task spawned";
        spawned_ = true;
      }
      if (std::holds_alternative<cmd::Exit>(c)) {
        EXPECT_EQ(i + 1, out.commands.size()) << "Exit must be the last command";
        EXPECT_FALSE(running_.has_value() && !std::holds_alternative<in::TaskExited>(input))
            << "Exit while the task runs";
        exited_ = true;
      }
    }
    EXPECT_EQ(executor_->exited(), exited_);
  }

  FakeClock clock_;
  Timestamp t0_;
  CommandExecutorOptions options_;
  std::unique_ptr<CommandExecutor> executor_;
  std::unique_ptr<Random> rng_;
  // Invariant checker state.
  std::map<std::string, model::TaskStatus> seen_;
  std::optional<int> running_;
  bool terminal_seen_ = false;
  bool sigkill_sent_ = false;
  bool spawned_ = false;
  bool exited_ = false;
  bool stop_checks_seen_ = false;
  bool signal_seen_ = false;
  int posts_ = 0;
};

// ---------------------------------------------------------------------------------------------
// The happy path

TEST_F(CommandExecutorTest, RunsTheTaskReportsEveryStateAndExitsAfterTheTerminalAck) {
  Subscribe();
  EXPECT_EQ(executor_->connection(), CommandExecutor::Connection::kSubscribed);

  clock_.Advance(Duration::Milliseconds(10));
  model::TaskStatus starting = Next(TaskState::kStarting);
  EXPECT_EQ(Ev(Launch(Task())), (Commands{Send(starting), ExpectedSpawn()}));

  clock_.Advance(Duration::Milliseconds(5));
  model::TaskStatus running = Next(TaskState::kRunning);
  EXPECT_EQ(In(in::TaskSpawned{kPid}), Commands{Send(running)});
  EXPECT_EQ(executor_->task_state(), TaskState::kRunning);
  EXPECT_EQ(executor_->task_pid(), kPid);

  EXPECT_EQ(Ev(Ack(starting)), Commands{});
  EXPECT_EQ(Ev(Ack(running)), Commands{});
  EXPECT_TRUE(executor_->unacknowledged_updates().empty());

  clock_.Advance(Duration::Seconds(100));
  model::TaskStatus finished =
      Next(TaskState::kFinished, "web.1", TaskStatusReason::kNone, "Command exited with status 0");
  EXPECT_EQ(In(in::TaskExited{ExitStatus(0), "exited with status 0"}),
            (Commands{Send(finished), cmd::WakeAt{clock_.Now() + Duration::Seconds(60)}}));
  EXPECT_FALSE(executor_->exited());

  EXPECT_EQ(Ev(Ack(finished)), Commands{cmd::Exit{0}});
  EXPECT_TRUE(executor_->exited());
  EXPECT_EQ(In(in::Tick{}), Commands{}) << "nothing after Exit";
}

TEST_F(CommandExecutorTest, ExecutesANonShellCommandWithItsArgumentsAsArgv) {
  model::TaskInfo task = Task();
  task.command->shell = false;
  task.command->value = "./server";
  task.command->arguments = {"./server", "--port", "31000"};
  task.command->user = "nobody";
  Subscribe();
  model::TaskStatus starting = Next(TaskState::kStarting);
  cmd::SpawnTask spawn = ExpectedSpawn();
  spawn.path = "./server";
  spawn.argv = {"./server", "--port", "31000"};
  spawn.user = "nobody";
  EXPECT_EQ(Ev(Launch(task)), (Commands{Send(starting), spawn}));
}

TEST_F(CommandExecutorTest, ExecutesANonShellCommandWithoutArgumentsAsItsOwnArgvZero) {
  model::TaskInfo task = Task();
  task.command->shell = false;
  task.command->value = "/usr/bin/yes";
  task.command->environment.reset();
  Subscribe();
  model::TaskStatus starting = Next(TaskState::kStarting);
  cmd::SpawnTask spawn{"/usr/bin/yes",
                       {"/usr/bin/yes"},
                       {"PATH=/usr/bin:/bin", "MESOS_SANDBOX=/var/lib/atoll/sandbox", "HOME=/root",
                        "MESOS_TASK_ID=web.1"},
                       "/var/lib/atoll/sandbox",
                       std::nullopt};
  EXPECT_EQ(Ev(Launch(task)), (Commands{Send(starting), spawn}));
}

TEST_F(CommandExecutorTest, CommandEnvironmentOverridesEvenMesosTaskId) {
  model::TaskInfo task = Task();
  task.command->environment->variables.push_back({"MESOS_TASK_ID", "custom"});
  Subscribe();
  Commands out = Ev(Launch(task));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(std::get<cmd::SpawnTask>(out[1]).env,
            (std::vector<std::string>{"PATH=/usr/bin:/bin", "MESOS_SANDBOX=/var/lib/atoll/sandbox",
                                      "HOME=/app", "MESOS_TASK_ID=custom", "PORT0=31000"}));
}

// ---------------------------------------------------------------------------------------------
// Exit codes and signals

TEST_F(CommandExecutorTest, NonZeroExitIsTaskFailedWithTheStatus) {
  Run();
  model::TaskStatus failed =
      Next(TaskState::kFailed, "web.1", TaskStatusReason::kNone, "Command exited with status 3");
  EXPECT_EQ(In(in::TaskExited{ExitStatus(3), "exited with status 3"}),
            (Commands{Send(failed), cmd::WakeAt{clock_.Now() + Duration::Seconds(60)}}));
  EXPECT_EQ(executor_->task_state(), TaskState::kFailed);
}

TEST_F(CommandExecutorTest, DeathBySignalIsTaskFailedNamingTheSignal) {
  Run();
  model::TaskStatus failed = Next(TaskState::kFailed, "web.1", TaskStatusReason::kNone,
                                  "Command terminated with signal Killed");
  EXPECT_EQ(In(in::TaskExited{SignalStatus(SIGKILL), "terminated with signal Killed"}),
            (Commands{Send(failed), cmd::WakeAt{clock_.Now() + Duration::Seconds(60)}}));
}

TEST_F(CommandExecutorTest, DescribesTheWaitStatusItselfWhenTheShellDidNot) {
  Run();
  model::TaskStatus failed =
      Next(TaskState::kFailed, "web.1", TaskStatusReason::kNone, "Command exited with status 7");
  EXPECT_EQ(In(in::TaskExited{ExitStatus(7), ""}).at(0), Send(failed));
}

TEST_F(CommandExecutorTest, UnknownWaitStatusIsTaskFailed) {
  Run();
  model::TaskStatus failed = Next(TaskState::kFailed, "web.1", TaskStatusReason::kNone,
                                  "Command ended with an unknown status");
  EXPECT_EQ(In(in::TaskExited{std::nullopt, ""}).at(0), Send(failed));
}

// ---------------------------------------------------------------------------------------------
// Kill

TEST_F(CommandExecutorTest, KillSendsSigtermThenSigkillAtTheEndOfTheTaskGracePeriod) {
  model::TaskInfo task = Task();
  task.kill_policy = model::KillPolicy{Duration::Seconds(10)};
  Run(task);
  const Timestamp killed_at = clock_.Now();
  EXPECT_EQ(Ev(Kill()), (Commands{cmd::StopChecks{}, Sig(SIGTERM),
                                  cmd::WakeAt{killed_at + Duration::Seconds(10)}}));
  EXPECT_EQ(executor_->task_state(), TaskState::kRunning)
      << "no TASK_KILLING without the capability";

  // An early tick re-arms the timer and signals nothing.
  clock_.AdvanceTo(killed_at + Duration::Milliseconds(9999));
  EXPECT_EQ(In(in::Tick{}), Commands{cmd::WakeAt{killed_at + Duration::Seconds(10)}});
  clock_.AdvanceTo(killed_at + Duration::Seconds(10));
  EXPECT_EQ(In(in::Tick{}), Commands{Sig(SIGKILL)});

  model::TaskStatus killed = Next(TaskState::kKilled, "web.1", TaskStatusReason::kNone,
                                  "Command terminated with signal Killed");
  EXPECT_EQ(In(in::TaskExited{SignalStatus(SIGKILL), "terminated with signal Killed"}),
            (Commands{Send(killed), cmd::WakeAt{clock_.Now() + Duration::Seconds(60)}}));
  EXPECT_EQ(Ev(Ack(killed)), Commands{}) << "STARTING and RUNNING are still unacknowledged";
  EXPECT_EQ(executor_->unacknowledged_updates().size(), 2u);
}

// ---------------------------------------------------------------------------------------------
// Health checks (run by the shell's checker; the machine starts, stops and reports them)

model::TaskInfo CheckedTask() {
  model::TaskInfo task = Task();
  model::HealthCheck check;
  check.type = model::HealthCheck::Type::kHttp;
  check.http = model::HealthCheck::Http{"http", 31000, "/health", {}};
  task.health_check = check;
  task.kill_policy = model::KillPolicy{Duration::Seconds(2)};
  return task;
}

TEST_F(CommandExecutorTest, HealthChecksStartWithTheTaskAndEveryChangeIsAnUpdate) {
  const model::TaskInfo task = CheckedTask();
  Subscribe();
  Ev(Launch(task));
  Next(TaskState::kStarting);
  model::TaskStatus running = Next(TaskState::kRunning);
  const cmd::SpawnTask spawn = ExpectedSpawn();
  EXPECT_EQ(In(in::TaskSpawned{kPid}),
            (Commands{Send(running),
                      cmd::StartChecks{{*task.health_check}, task.labels, spawn.env, spawn.cwd}}));

  const model::Labels labels = {{"atoll.health.consecutive_failures", "0"}};
  model::TaskStatus healthy =
      Next(TaskState::kRunning, "web.1", TaskStatusReason::kTaskHealthCheckStatusUpdated);
  healthy.healthy = true;
  healthy.labels = labels;
  EXPECT_EQ(In(in::HealthChanged{true, labels, false, ""}), Commands{Send(healthy)});

  // The framework's kill stops the checks; a late result is ignored; the terminal update
  // still says how healthy the task last was.
  EXPECT_EQ(Ev(Kill()), (Commands{cmd::StopChecks{}, Sig(SIGTERM),
                                  cmd::WakeAt{clock_.Now() + Duration::Seconds(2)}}));
  EXPECT_EQ(In(in::HealthChanged{false, {}, true, "late"}), Commands{});
  model::TaskStatus killed = Next(TaskState::kKilled, "web.1", TaskStatusReason::kNone,
                                  "Command terminated with signal Terminated");
  killed.healthy = true;
  killed.labels = labels;
  EXPECT_EQ(In(in::TaskExited{SignalStatus(SIGTERM), "terminated with signal Terminated"}),
            (Commands{Send(killed), cmd::WakeAt{clock_.Now() + Duration::Seconds(60)}}));
}

TEST_F(CommandExecutorTest, TheOtherHealthChecksOfTheLabelRunWithTheFirst) {
  model::TaskInfo task = CheckedTask();
  model::HealthCheck command;
  command.type = model::HealthCheck::Type::kCommand;
  command.command = model::CommandInfo{};
  command.command->value = "test -f ok";
  task.labels = {{api::kMoreHealthChecksLabel, api::SerializeHealthChecks({command})}};
  Subscribe();
  Ev(Launch(task));
  Next(TaskState::kStarting);
  Next(TaskState::kRunning);
  Commands out = In(in::TaskSpawned{kPid});
  ASSERT_EQ(out.size(), 2u);
  const auto* start = std::get_if<cmd::StartChecks>(&out[1]);
  ASSERT_NE(start, nullptr);
  ASSERT_EQ(start->health.size(), 2u);
  EXPECT_EQ(start->health[0], *task.health_check);
  EXPECT_EQ(start->health[1].type, model::HealthCheck::Type::kCommand);
  EXPECT_EQ(start->health[1].command->value, "test -f ok");

  // A broken label: the first check still runs.
  Reset(Options());
  task.labels = {{api::kMoreHealthChecksLabel, "[{\"type\": 7"}};
  Subscribe();
  Ev(Launch(task));
  Next(TaskState::kStarting);
  Next(TaskState::kRunning);
  out = In(in::TaskSpawned{kPid});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(std::get<cmd::StartChecks>(out[1]).health,
            std::vector<model::HealthCheck>{*task.health_check});
}

TEST_F(CommandExecutorTest, AFailedHealthCheckKillsTheTaskWithItsGracePeriodAndSaysWhy) {
  const model::TaskInfo task = CheckedTask();
  Subscribe();
  Ev(Launch(task));
  Next(TaskState::kStarting);
  Next(TaskState::kRunning);
  In(in::TaskSpawned{kPid});
  const model::Labels labels = {{"atoll.health.consecutive_failures", "3"}};
  const std::string why = "Health check failed 3 times in a row: HTTP 503";
  EXPECT_EQ(In(in::HealthChanged{false, labels, true, why}),
            (Commands{cmd::StopChecks{}, Sig(SIGTERM),
                      cmd::WakeAt{clock_.Now() + Duration::Seconds(2)}}));
  model::TaskStatus killed =
      Next(TaskState::kKilled, "web.1", TaskStatusReason::kTaskHealthCheckStatusUpdated,
           why + "; command terminated with signal Terminated");
  killed.healthy = false;
  killed.labels = labels;
  EXPECT_EQ(In(in::TaskExited{SignalStatus(SIGTERM), "terminated with signal Terminated"}),
            (Commands{Send(killed), cmd::WakeAt{clock_.Now() + Duration::Seconds(60)}}));
}

TEST_F(CommandExecutorTest, AReadinessCheckInTheLabelsStartsTheCheckerAndItsResultIsReported) {
  model::TaskInfo task = Task();
  task.labels = {{"atoll.readiness.scheme", "http"}, {"atoll.readiness.port", "31000"}};
  Subscribe();
  Ev(Launch(task));
  Next(TaskState::kStarting);
  model::TaskStatus running = Next(TaskState::kRunning);
  const cmd::SpawnTask spawn = ExpectedSpawn();
  EXPECT_EQ(In(in::TaskSpawned{kPid}),
            (Commands{Send(running), cmd::StartChecks{{}, task.labels, spawn.env, spawn.cwd}}));
  const model::Labels ready = {{"atoll.ready", "true"}, {"atoll.readiness.last_status", "200"}};
  model::TaskStatus update =
      Next(TaskState::kRunning, "web.1", TaskStatusReason::kTaskCheckStatusUpdated);
  update.labels = ready;
  EXPECT_EQ(In(in::ReadinessChanged{ready}), Commands{Send(update)});
  EXPECT_FALSE(executor_->unacknowledged_updates().back().healthy.has_value())
      << "no health without a health check";
}

TEST_F(CommandExecutorTest, ATaskWithoutAHealthCheckStartsNoChecksAndIgnoresResults) {
  Run();
  EXPECT_EQ(In(in::HealthChanged{false, {}, true, "no checker runs"}), Commands{});
}

TEST_F(CommandExecutorTest, TaskKilledEvenWhenItExitsZeroOnSigterm) {
  Run();
  Ev(Kill());
  model::TaskStatus killed =
      Next(TaskState::kKilled, "web.1", TaskStatusReason::kNone, "Command exited with status 0");
  EXPECT_EQ(In(in::TaskExited{ExitStatus(0), "exited with status 0"}).at(0), Send(killed));
}

TEST_F(CommandExecutorTest, DefaultGracePeriodIsThreeSeconds) {
  Run();
  EXPECT_EQ(Ev(Kill()), (Commands{cmd::StopChecks{}, Sig(SIGTERM),
                                  cmd::WakeAt{clock_.Now() + Duration::Seconds(3)}}));
}

TEST_F(CommandExecutorTest, KillPolicyOfTheKillOverridesTheTasksAndAShorterSecondKillWins) {
  model::TaskInfo task = Task();
  task.kill_policy = model::KillPolicy{Duration::Seconds(10)};
  Run(task);
  const Timestamp t = clock_.Now();
  EXPECT_EQ(Ev(Kill(Duration::Seconds(30))),
            (Commands{cmd::StopChecks{}, Sig(SIGTERM), cmd::WakeAt{t + Duration::Seconds(30)}}));

  clock_.AdvanceTo(t + Duration::Seconds(1));
  EXPECT_EQ(Ev(Kill(Duration::Seconds(5))), Commands{cmd::WakeAt{t + Duration::Seconds(6)}})
      << "shortened, no second SIGTERM";
  clock_.AdvanceTo(t + Duration::Seconds(2));
  EXPECT_EQ(Ev(Kill(Duration::Seconds(60))), Commands{}) << "never lengthened";
  EXPECT_EQ(Ev(Kill()), Commands{}) << "the task's 10 s would end later too";

  clock_.AdvanceTo(t + Duration::Seconds(6));
  EXPECT_EQ(In(in::Tick{}), Commands{Sig(SIGKILL)});
  clock_.AdvanceTo(t + Duration::Seconds(7));
  EXPECT_EQ(Ev(Kill(Duration::Zero())), Commands{}) << "SIGKILL already sent";
}

TEST_F(CommandExecutorTest, ZeroGraceGoesStraightToSigkill) {
  Run();
  EXPECT_EQ(Ev(Kill(Duration::Zero())), (Commands{cmd::StopChecks{}, Sig(SIGKILL)}));
}

TEST_F(CommandExecutorTest, TaskKillingIsSentOnlyToFrameworksWithTheCapability) {
  Run(Task(), /*task_killing_state=*/true);
  model::TaskStatus killing = Next(TaskState::kKilling);
  EXPECT_EQ(Ev(Kill()), (Commands{cmd::StopChecks{}, Send(killing), Sig(SIGTERM),
                                  cmd::WakeAt{clock_.Now() + Duration::Seconds(3)}}));
  EXPECT_EQ(executor_->task_state(), TaskState::kKilling);
  EXPECT_EQ(Ev(Kill(Duration::Seconds(1))),
            Commands{cmd::WakeAt{clock_.Now() + Duration::Seconds(1)}})
      << "one TASK_KILLING only";
}

TEST_F(CommandExecutorTest, KillWhileStartingSignalsOnceSpawnedAndSkipsTaskRunning) {
  Subscribe(/*task_killing_state=*/true);
  model::TaskStatus starting = Next(TaskState::kStarting);
  EXPECT_EQ(Ev(Launch(Task())), (Commands{Send(starting), ExpectedSpawn()}));
  model::TaskStatus killing = Next(TaskState::kKilling);
  EXPECT_EQ(Ev(Kill()), (Commands{cmd::StopChecks{}, Send(killing)})) << "no pid to signal yet";
  clock_.Advance(Duration::Milliseconds(1));
  EXPECT_EQ(In(in::TaskSpawned{kPid}),
            (Commands{Sig(SIGTERM), cmd::WakeAt{clock_.Now() - Duration::Milliseconds(1) +
                                                Duration::Seconds(3)}}));
}

TEST_F(CommandExecutorTest, KillOfAnotherTaskOrAfterTheEndIsIgnored) {
  Run();
  EXPECT_EQ(Ev(Kill(std::nullopt, "web.2")), Commands{});
  model::TaskStatus finished =
      Next(TaskState::kFinished, "web.1", TaskStatusReason::kNone, "Command exited with status 0");
  EXPECT_EQ(In(in::TaskExited{ExitStatus(0), "exited with status 0"}).at(0), Send(finished));
  EXPECT_EQ(Ev(Kill()), Commands{});
}

// ---------------------------------------------------------------------------------------------
// Shutdown

TEST_F(CommandExecutorTest, ShutdownKillsWithTheShutdownGraceLessOneSecond) {
  auto [starting, running] = Run();
  const Timestamp t = clock_.Now();
  EXPECT_EQ(Ev(Shutdown()),
            (Commands{cmd::StopChecks{}, Sig(SIGTERM), cmd::WakeAt{t + Duration::Seconds(4)}}));
  clock_.AdvanceTo(t + Duration::Seconds(4));
  EXPECT_EQ(In(in::Tick{}), Commands{Sig(SIGKILL)});
  model::TaskStatus killed = Next(TaskState::kKilled, "web.1", TaskStatusReason::kNone,
                                  "Command terminated with signal Killed");
  EXPECT_EQ(In(in::TaskExited{SignalStatus(SIGKILL), "terminated with signal Killed"}),
            (Commands{Send(killed), cmd::WakeAt{clock_.Now() + Duration::Seconds(60)}}));
  EXPECT_EQ(Ev(Ack(starting)), Commands{});
  EXPECT_EQ(Ev(Ack(running)), Commands{});
  EXPECT_EQ(Ev(Ack(killed)), Commands{cmd::Exit{0}});
}

TEST_F(CommandExecutorTest, ShutdownShortensAKillAndAShortShutdownGraceIsZero) {
  CommandExecutorOptions o = Options();
  o.shutdown_grace_period = Duration::Milliseconds(500);
  Reset(o);
  Run();
  EXPECT_EQ(Ev(Kill()), (Commands{cmd::StopChecks{}, Sig(SIGTERM),
                                  cmd::WakeAt{clock_.Now() + Duration::Seconds(3)}}));
  EXPECT_EQ(Ev(Shutdown()), Commands{Sig(SIGKILL)});
}

TEST_F(CommandExecutorTest, ShutdownBeforeAnyTaskExitsAtOnce) {
  Subscribe();
  EXPECT_EQ(Ev(Shutdown()), Commands{cmd::Exit{0}});
}

TEST_F(CommandExecutorTest, ShutdownInjectedWhileDisconnectedStillKillsTheTask) {
  model::TaskInfo task = Task();
  auto [starting, running] = Run(task);
  const Timestamp t = clock_.Now();
  EXPECT_EQ(In(in::Disconnected{"gone"}), Commands{cmd::WakeAt{t + Duration::Seconds(1)}});
  // The runtime turns SIGTERM into SHUTDOWN.
  EXPECT_EQ(Ev(Shutdown()), (Commands{cmd::StopChecks{}, Sig(SIGTERM)}))
      << "the retry at +1 s is still earlier";
  model::TaskStatus killed = Next(TaskState::kKilled, "web.1", TaskStatusReason::kNone,
                                  "Command terminated with signal Terminated");
  EXPECT_EQ(In(in::TaskExited{SignalStatus(SIGTERM), "terminated with signal Terminated"}),
            Commands{});
  clock_.AdvanceTo(t + Duration::Seconds(1));
  EXPECT_EQ(In(in::Tick{}), (Commands{Open({task}, {starting, running, killed}),
                                      cmd::WakeAt{t + Duration::Minutes(15)}}));
}

TEST_F(CommandExecutorTest, SubscribedWithoutASubscriptionInProgressIsIgnored) {
  Subscribe();
  EXPECT_EQ(In(in::Disconnected{"gone"}), Commands{WakeAt(Duration::Seconds(1))});
  EXPECT_EQ(Ev(Subscribed()), Commands{});
  EXPECT_EQ(executor_->connection(), CommandExecutor::Connection::kDisconnected);
}

// ---------------------------------------------------------------------------------------------
// max_completion_time

TEST_F(CommandExecutorTest, MaxCompletionTimeKillsTheTaskAndFailsIt) {
  model::TaskInfo task = Task();
  task.max_completion_time = Duration::Seconds(10);
  task.kill_policy = model::KillPolicy{Duration::Seconds(30)};
  Subscribe();
  const Timestamp t = clock_.Now();
  model::TaskStatus starting = Next(TaskState::kStarting);
  EXPECT_EQ(Ev(Launch(task)),
            (Commands{Send(starting), ExpectedSpawn(), cmd::WakeAt{t + Duration::Seconds(10)}}));
  model::TaskStatus running = Next(TaskState::kRunning);
  EXPECT_EQ(In(in::TaskSpawned{kPid}), Commands{Send(running)});

  clock_.AdvanceTo(t + Duration::Seconds(10));
  EXPECT_EQ(In(in::Tick{}), (Commands{cmd::StopChecks{}, Sig(SIGKILL)})) << "no grace (as Mesos)";
  model::TaskStatus failed =
      Next(TaskState::kFailed, "web.1", TaskStatusReason::kMaxCompletionTimeReached,
           "Command exceeded its maximum completion time of 10s and terminated with signal "
           "Killed");
  EXPECT_EQ(In(in::TaskExited{SignalStatus(SIGKILL), "terminated with signal Killed"}).at(0),
            Send(failed));
}

TEST_F(CommandExecutorTest, MaxCompletionTimeDoesNotFireAfterAKillStarted) {
  model::TaskInfo task = Task();
  task.max_completion_time = Duration::Seconds(10);
  Run(task);
  const Timestamp t = clock_.Now();
  EXPECT_EQ(Ev(Kill(Duration::Seconds(20))),
            (Commands{cmd::StopChecks{}, Sig(SIGTERM), cmd::WakeAt{t + Duration::Seconds(20)}}));
  clock_.AdvanceTo(t + Duration::Seconds(10));
  EXPECT_EQ(In(in::Tick{}), Commands{cmd::WakeAt{t + Duration::Seconds(20)}});
  model::TaskStatus killed = Next(TaskState::kKilled, "web.1", TaskStatusReason::kNone,
                                  "Command terminated with signal Terminated");
  EXPECT_EQ(In(in::TaskExited{SignalStatus(SIGTERM), "terminated with signal Terminated"}).at(0),
            Send(killed));
}

TEST_F(CommandExecutorTest, TaskFinishingBeforeItsMaxCompletionTimeIsFinished) {
  model::TaskInfo task = Task();
  task.max_completion_time = Duration::Seconds(10);
  Run(task);
  model::TaskStatus finished =
      Next(TaskState::kFinished, "web.1", TaskStatusReason::kNone, "Command exited with status 0");
  EXPECT_EQ(In(in::TaskExited{ExitStatus(0), "exited with status 0"}),
            (Commands{Send(finished), cmd::WakeAt{clock_.Now() + Duration::Seconds(60)}}));
  clock_.Advance(Duration::Seconds(10));
  EXPECT_EQ(In(in::Tick{}), Commands{cmd::WakeAt{clock_.Now() + Duration::Seconds(50)}})
      << "no signal to a task that ended";
}

// ---------------------------------------------------------------------------------------------
// Spawn failure, bad tasks, a second launch

TEST_F(CommandExecutorTest, SpawnFailureIsTaskFailedWithContainerLaunchFailed) {
  Subscribe();
  model::TaskStatus starting = Next(TaskState::kStarting);
  EXPECT_EQ(Ev(Launch(Task())), (Commands{Send(starting), ExpectedSpawn()}));
  model::TaskStatus failed =
      Next(TaskState::kFailed, "web.1", TaskStatusReason::kContainerLaunchFailed,
           "Failed to launch the command: exec /bin/sh: No such file or directory");
  EXPECT_EQ(In(in::SpawnFailed{"exec /bin/sh: No such file or directory"}),
            (Commands{Send(failed), cmd::WakeAt{clock_.Now() + Duration::Seconds(60)}}));
  EXPECT_EQ(Ev(Ack(failed)), Commands{});
  EXPECT_EQ(Ev(Ack(starting)), Commands{cmd::Exit{0}});
}

TEST_F(CommandExecutorTest, TaskWithoutACommandIsTaskError) {
  model::TaskInfo task = Task();
  task.command.reset();
  Subscribe();
  model::TaskStatus error =
      Next(TaskState::kError, "web.1", TaskStatusReason::kTaskInvalid,
           "The command executor needs a task with a command (CommandInfo.value)");
  EXPECT_EQ(Ev(Launch(task)),
            (Commands{Send(error), cmd::WakeAt{clock_.Now() + Duration::Seconds(60)}}));
  EXPECT_EQ(Ev(Ack(error)), Commands{cmd::Exit{0}});
}

TEST_F(CommandExecutorTest, SecondLaunchFailsThatTaskAndLeavesTheFirstRunning) {
  auto [starting, running] = Run();
  model::TaskStatus rejected = Next(TaskState::kFailed, "web.2", TaskStatusReason::kNone,
                                    "Attempted to run multiple tasks using a command executor");
  EXPECT_EQ(Ev(Launch(Task("web.2"))), Commands{Send(rejected)});
  EXPECT_EQ(executor_->task_state(), TaskState::kRunning);
  EXPECT_EQ(executor_->task()->task_id.value(), "web.1");
  EXPECT_EQ(Ev(Launch(Task("web.1"))), Commands{}) << "a repeated LAUNCH is not a second task";

  model::TaskStatus finished =
      Next(TaskState::kFinished, "web.1", TaskStatusReason::kNone, "Command exited with status 0");
  EXPECT_EQ(In(in::TaskExited{ExitStatus(0), "exited with status 0"}).at(0), Send(finished));
  EXPECT_EQ(Ev(Ack(starting)), Commands{});
  EXPECT_EQ(Ev(Ack(running)), Commands{});
  EXPECT_EQ(Ev(Ack(finished)), Commands{}) << "web.2's update is not acknowledged yet";
  EXPECT_EQ(Ev(Ack(rejected)), Commands{cmd::Exit{0}});
}

TEST_F(CommandExecutorTest, LaunchGroupIsRefused) {
  Subscribe();
  model::TaskStatus a = Next(TaskState::kFailed, "pod.1", TaskStatusReason::kNone,
                             "Task groups (LAUNCH_GROUP) cannot run on the command executor");
  model::TaskStatus b = Next(TaskState::kFailed, "pod.2", TaskStatusReason::kNone,
                             "Task groups (LAUNCH_GROUP) cannot run on the command executor");
  EXPECT_EQ(Ev({eev::LaunchGroup{{Task("pod.1"), Task("pod.2")}}}), (Commands{Send(a), Send(b)}));
}

// ---------------------------------------------------------------------------------------------
// Reliability: acknowledgements and re-subscription

TEST_F(CommandExecutorTest, DuplicateAndUnknownAcknowledgementsAreIgnored) {
  auto [starting, running] = Run();
  EXPECT_EQ(Ev(Ack(starting)), Commands{});
  EXPECT_EQ(Ev(Ack(starting)), Commands{});
  model::TaskStatus other = running;
  other.uuid = std::string(16, 'x');
  EXPECT_EQ(Ev(Ack(other)), Commands{});
  EXPECT_EQ(executor_->unacknowledged_updates(), std::vector<model::TaskStatus>{running});
}

TEST_F(CommandExecutorTest, ResubscribesWithBackoffAndResendsUnacknowledgedUpdates) {
  model::TaskInfo task = Task();
  auto [starting, running] = Run(task);
  EXPECT_EQ(Ev(Ack(starting)), Commands{});
  const Timestamp t = clock_.Now();

  // The agent goes away: retry after 1 s, then 2 s (the cap), give up after 15 min.
  EXPECT_EQ(In(in::Disconnected{"connection reset"}),
            Commands{cmd::WakeAt{t + Duration::Seconds(1)}});
  EXPECT_EQ(executor_->connection(), CommandExecutor::Connection::kDisconnected);

  // The task ends meanwhile: its update waits.
  clock_.AdvanceTo(t + Duration::Milliseconds(500));
  model::TaskStatus finished =
      Next(TaskState::kFinished, "web.1", TaskStatusReason::kNone, "Command exited with status 0");
  EXPECT_EQ(In(in::TaskExited{ExitStatus(0), "exited with status 0"}), Commands{});

  clock_.AdvanceTo(t + Duration::Seconds(1));
  EXPECT_EQ(In(in::Tick{}),
            (Commands{Open({task}, {running, finished}), cmd::WakeAt{t + Duration::Minutes(15)}}));
  EXPECT_EQ(In(in::Disconnected{"connection refused"}),
            Commands{cmd::WakeAt{t + Duration::Seconds(3)}});
  clock_.AdvanceTo(t + Duration::Seconds(3));
  EXPECT_EQ(In(in::Tick{}),
            (Commands{Open({task}, {running, finished}), cmd::WakeAt{t + Duration::Minutes(15)}}));
  EXPECT_EQ(In(in::Disconnected{"503"}), Commands{cmd::WakeAt{t + Duration::Seconds(5)}});
  clock_.AdvanceTo(t + Duration::Seconds(5));
  EXPECT_EQ(In(in::Tick{}),
            (Commands{Open({task}, {running, finished}), cmd::WakeAt{t + Duration::Minutes(15)}}));

  // Back: the SUBSCRIBE carried everything; the terminal ack fail-safe starts.
  EXPECT_EQ(In(in::Connected{}), Commands{});
  EXPECT_EQ(Ev(Subscribed()),
            Commands{cmd::WakeAt{t + Duration::Seconds(5) + Duration::Seconds(60)}});
  EXPECT_EQ(Ev(Ack(running)), Commands{});
  EXPECT_EQ(Ev(Ack(finished)), Commands{cmd::Exit{0}});
}

TEST_F(CommandExecutorTest, UpdatesMadeWhileSubscribingAreSentOnceSubscribed) {
  model::TaskInfo task = Task();
  auto [starting, running] = Run(task);
  const Timestamp t = clock_.Now();
  EXPECT_EQ(In(in::Disconnected{"agent restarting"}),
            Commands{cmd::WakeAt{t + Duration::Seconds(1)}});
  clock_.AdvanceTo(t + Duration::Seconds(1));
  EXPECT_EQ(In(in::Tick{}),
            (Commands{Open({task}, {starting, running}), cmd::WakeAt{t + Duration::Minutes(15)}}));
  EXPECT_EQ(In(in::Connected{}), Commands{});
  model::TaskStatus failed =
      Next(TaskState::kFailed, "web.1", TaskStatusReason::kNone, "Command exited with status 1");
  EXPECT_EQ(In(in::TaskExited{ExitStatus(1), "exited with status 1"}), Commands{});
  EXPECT_EQ(Ev(Subscribed()),
            (Commands{Send(failed), cmd::WakeAt{clock_.Now() + Duration::Seconds(60)}}));
}

TEST_F(CommandExecutorTest, FailedCallIsResentWithTheNextSubscription) {
  model::TaskInfo task = Task();
  auto [starting, running] = Run(task);
  EXPECT_EQ(In(in::CallFailed{Call(ecall::Update{running}), "503: Agent is recovering"}),
            Commands{});
  EXPECT_EQ(Ev(Ack(starting)), Commands{});
  const Timestamp t = clock_.Now();
  EXPECT_EQ(In(in::Disconnected{"stream ended"}), Commands{cmd::WakeAt{t + Duration::Seconds(1)}});
  clock_.AdvanceTo(t + Duration::Seconds(1));
  EXPECT_EQ(In(in::Tick{}),
            (Commands{Open({task}, {running}), cmd::WakeAt{t + Duration::Minutes(15)}}));
}

TEST_F(CommandExecutorTest, ReSubscriptionOmitsTheTaskOnceAllItsUpdatesAreAcknowledged) {
  auto [starting, running] = Run();
  Ev(Ack(starting));
  Ev(Ack(running));
  const Timestamp t = clock_.Now();
  EXPECT_EQ(In(in::Disconnected{"gone"}), Commands{cmd::WakeAt{t + Duration::Seconds(1)}});
  clock_.AdvanceTo(t + Duration::Seconds(1));
  EXPECT_EQ(In(in::Tick{}), (Commands{Open(), cmd::WakeAt{t + Duration::Minutes(15)}}));
}

TEST_F(CommandExecutorTest, GivesUpAfterTheRecoveryTimeoutKillsTheTaskAndExitsOne) {
  CommandExecutorOptions o = Options();
  o.recovery_timeout = Duration::Seconds(10);
  Reset(o);
  Run();
  const Timestamp t = clock_.Now();
  EXPECT_EQ(In(in::Disconnected{"gone"}), Commands{cmd::WakeAt{t + Duration::Seconds(1)}});
  // Attempts at 1, 3, 5, 7, 9 s all fail.
  for (int at : {1, 3, 5, 7, 9}) {
    clock_.AdvanceTo(t + Duration::Seconds(at));
    Commands out = In(in::Tick{});
    ASSERT_EQ(out.size(), 2u) << at;
    EXPECT_TRUE(std::holds_alternative<cmd::OpenStream>(out[0]));
    EXPECT_EQ(out[1], Command(cmd::WakeAt{t + Duration::Seconds(10)}));
    // The next attempt at +11 s would come after giving up: the timer stays at +10 s.
    EXPECT_EQ(In(in::Disconnected{"refused"}),
              at + 2 < 10 ? Commands{cmd::WakeAt{t + Duration::Seconds(at + 2)}} : Commands{});
  }
  clock_.AdvanceTo(t + Duration::Seconds(10));
  EXPECT_EQ(In(in::Tick{}),
            (Commands{cmd::StopChecks{}, Sig(SIGTERM), cmd::WakeAt{t + Duration::Seconds(14)}}))
      << "killed with the shutdown grace, and no more attempts";
  clock_.AdvanceTo(t + Duration::Seconds(14));
  EXPECT_EQ(In(in::Tick{}), Commands{Sig(SIGKILL)});
  EXPECT_EQ(In(in::TaskExited{SignalStatus(SIGKILL), "terminated with signal Killed"}),
            Commands{cmd::Exit{kExitAgentLost}});
}

TEST_F(CommandExecutorTest, WithoutCheckpointingALostAgentEndsTheExecutorAtOnce) {
  CommandExecutorOptions o = Options();
  o.checkpoint = false;
  Reset(o);
  Run();
  EXPECT_EQ(In(in::Disconnected{"gone"}),
            (Commands{cmd::StopChecks{}, Sig(SIGTERM),
                      cmd::WakeAt{clock_.Now() + Duration::Seconds(4)}}));
  EXPECT_EQ(In(in::TaskExited{SignalStatus(SIGTERM), "terminated with signal Terminated"}),
            Commands{cmd::Exit{kExitAgentLost}});
}

TEST_F(CommandExecutorTest, NeverSubscribingWithoutATaskExitsOneAfterTheRecoveryTimeout) {
  EXPECT_EQ(In(in::Start{}), (Commands{Open(), WakeAt(Duration::Minutes(15))}));
  EXPECT_EQ(In(in::Disconnected{"refused"}), Commands{WakeAt(Duration::Seconds(1))});
  clock_.AdvanceTo(t0_ + Duration::Minutes(15));
  EXPECT_EQ(In(in::Tick{}), Commands{cmd::Exit{kExitAgentLost}});
}

TEST_F(CommandExecutorTest, ExitsSixtySecondsAfterTheTerminalUpdateWithoutAnAck) {
  Run();
  const Timestamp t = clock_.Now();
  model::TaskStatus finished =
      Next(TaskState::kFinished, "web.1", TaskStatusReason::kNone, "Command exited with status 0");
  EXPECT_EQ(In(in::TaskExited{ExitStatus(0), "exited with status 0"}),
            (Commands{Send(finished), cmd::WakeAt{t + Duration::Seconds(60)}}));
  clock_.AdvanceTo(t + Duration::Seconds(59));
  EXPECT_EQ(In(in::Tick{}), Commands{cmd::WakeAt{t + Duration::Seconds(60)}});
  clock_.AdvanceTo(t + Duration::Seconds(60));
  EXPECT_EQ(In(in::Tick{}), Commands{cmd::Exit{0}});
}

// ---------------------------------------------------------------------------------------------
// Aurora's HTTP lifecycle (model/http_lifecycle.h): POSTs and waits before the signals

model::TaskInfo LifecycleTask(Duration graceful_wait = Duration::Seconds(5),
                              Duration shutdown_wait = Duration::Seconds(5)) {
  model::TaskInfo task = Task();
  model::HttpLifecycle lifecycle;
  lifecycle.port = 31001;
  lifecycle.graceful_shutdown_wait = graceful_wait;
  lifecycle.shutdown_wait = shutdown_wait;
  task.labels = model::HttpLifecycleLabels(lifecycle);
  return task;
}

Command WakeAtAbs(Timestamp at) { return cmd::WakeAt{at}; }
Command Quit() { return cmd::PostLifecycle{31001, "/quitquitquit", Duration::Seconds(1), 1}; }
Command Abort() { return cmd::PostLifecycle{31001, "/abortabortabort", Duration::Seconds(1), 2}; }

TEST_F(CommandExecutorTest, HttpLifecyclePostsQuitThenAbortThenSignals) {
  model::TaskInfo task = LifecycleTask();
  task.kill_policy = model::KillPolicy{Duration::Seconds(2)};
  Run(task);
  const Timestamp t = clock_.Now();
  // StopChecks (where announcements go) before anything reaches the task; the POST's fail-safe
  // deadline is its timeout plus its wait.
  EXPECT_EQ(Ev(Kill()), (Commands{cmd::StopChecks{}, Quit(), WakeAtAbs(t + Duration::Seconds(6))}));
  clock_.AdvanceTo(t + Duration::Milliseconds(100));
  EXPECT_EQ(In(in::LifecycleAnswered{1, true, ""}),
            Commands{WakeAtAbs(t + Duration::Milliseconds(5100))})
      << "answered: wait 5 s for the task to exit";
  clock_.AdvanceTo(t + Duration::Milliseconds(5100));
  EXPECT_EQ(In(in::Tick{}), (Commands{Abort(), WakeAtAbs(t + Duration::Milliseconds(11100))}));
  EXPECT_EQ(In(in::LifecycleAnswered{1, true, ""}), Commands{})
      << "a late answer to the first POST is not the second's (the paths may be the same)";
  clock_.AdvanceTo(t + Duration::Milliseconds(5200));
  EXPECT_EQ(In(in::LifecycleAnswered{2, true, ""}),
            Commands{WakeAtAbs(t + Duration::Milliseconds(10200))});
  clock_.AdvanceTo(t + Duration::Milliseconds(10200));
  EXPECT_EQ(In(in::Tick{}), (Commands{Sig(SIGTERM), WakeAtAbs(t + Duration::Milliseconds(12200))}))
      << "then SIGTERM, with the task's grace period";
  EXPECT_EQ(In(in::LifecycleAnswered{2, true, ""}), Commands{}) << "late";
  clock_.AdvanceTo(t + Duration::Milliseconds(12200));
  EXPECT_EQ(In(in::Tick{}), Commands{Sig(SIGKILL)});
  model::TaskStatus killed = Next(TaskState::kKilled, "web.1", TaskStatusReason::kNone,
                                  "Command terminated with signal Killed");
  EXPECT_EQ(In(in::TaskExited{SignalStatus(SIGKILL), "terminated with signal Killed"}),
            (Commands{Send(killed), WakeAtAbs(clock_.Now() + Duration::Seconds(60))}));
}

TEST_F(CommandExecutorTest, HttpLifecycleEndsWhenTheTaskExitsAndSendsNoSignal) {
  Run(LifecycleTask(), /*task_killing_state=*/true);
  model::TaskStatus killing = Next(TaskState::kKilling);
  EXPECT_EQ(Ev(Kill()), (Commands{cmd::StopChecks{}, Send(killing), Quit(),
                                  WakeAtAbs(clock_.Now() + Duration::Seconds(6))}));
  EXPECT_EQ(In(in::LifecycleAnswered{1, true, ""}),
            Commands{WakeAtAbs(clock_.Now() + Duration::Seconds(5))});
  clock_.Advance(Duration::Seconds(2));
  model::TaskStatus killed =
      Next(TaskState::kKilled, "web.1", TaskStatusReason::kNone, "Command exited with status 0");
  EXPECT_EQ(In(in::TaskExited{ExitStatus(0), "exited with status 0"}),
            (Commands{Send(killed), WakeAtAbs(clock_.Now() + Duration::Seconds(60))}))
      << "killed on request, whatever its status; no signal, no second POST";
  EXPECT_FALSE(signal_seen_);
}

TEST_F(CommandExecutorTest, AFailedLifecyclePostSkipsItsWaitAndAnUnansweredOneTimesOut) {
  Run(LifecycleTask());
  const Timestamp t = clock_.Now();
  EXPECT_EQ(Ev(Kill()), (Commands{cmd::StopChecks{}, Quit(), WakeAtAbs(t + Duration::Seconds(6))}));
  EXPECT_EQ(In(in::LifecycleAnswered{1, false, "connection refused"}), Commands{Abort()})
      << "a refused POST goes straight on (its fail-safe is the same t + 6 s)";
  // The abort POST is never answered: its fail-safe (timeout + wait) ends it.
  clock_.AdvanceTo(t + Duration::Seconds(6));
  EXPECT_EQ(In(in::Tick{}), (Commands{Sig(SIGTERM), WakeAtAbs(t + Duration::Seconds(9))}))
      << "the default 3 s grace";
  EXPECT_EQ(In(in::LifecycleAnswered{2, false, "timed out"}), Commands{});
}

TEST_F(CommandExecutorTest, ARepeatedKillDoesNotCutTheLifecycleShortButItsGraceApplies) {
  Run(LifecycleTask(Duration::Seconds(20), Duration::Zero()));
  const Timestamp t = clock_.Now();
  EXPECT_EQ(Ev(Kill()),
            (Commands{cmd::StopChecks{}, Quit(), WakeAtAbs(t + Duration::Seconds(21))}));
  EXPECT_EQ(In(in::LifecycleAnswered{1, true, ""}), Commands{WakeAtAbs(t + Duration::Seconds(20))});
  clock_.AdvanceTo(t + Duration::Seconds(10));  // the scheduler's kill retry
  EXPECT_EQ(Ev(Kill(Duration::Seconds(1))), Commands{});
  clock_.AdvanceTo(t + Duration::Seconds(20));
  EXPECT_EQ(In(in::Tick{}), (Commands{Abort(), WakeAtAbs(t + Duration::Seconds(21))}));
  clock_.AdvanceTo(t + Duration::Milliseconds(20500));
  EXPECT_EQ(In(in::LifecycleAnswered{2, true, ""}),
            (Commands{Sig(SIGTERM), WakeAtAbs(t + Duration::Milliseconds(21500))}))
      << "a zero wait; then the retried KILL's 1 s grace";
}

TEST_F(CommandExecutorTest, ShutdownRunsTheLifecycleWithinTheAgentsDeadline) {
  // The agent gave this executor its task's grace + 2 s + the lifecycle's budget (12 s).
  CommandExecutorOptions o = Options();
  o.shutdown_grace_period = Duration::Seconds(3 + 2 + 12);
  Reset(o);
  Run(LifecycleTask());
  const Timestamp t = clock_.Now();
  EXPECT_EQ(Ev(Shutdown()),
            (Commands{cmd::StopChecks{}, Quit(), WakeAtAbs(t + Duration::Seconds(6))}));
  clock_.AdvanceTo(t + Duration::Seconds(6));
  EXPECT_EQ(In(in::Tick{}), (Commands{Abort(), WakeAtAbs(t + Duration::Seconds(12))}));
  clock_.AdvanceTo(t + Duration::Seconds(12));
  EXPECT_EQ(In(in::Tick{}), (Commands{Sig(SIGTERM), WakeAtAbs(t + Duration::Seconds(16))}))
      << "SIGKILL at the shutdown deadline (grace less 1 s), SIGTERM at least 3 s before it";
}

TEST_F(CommandExecutorTest, AShortShutdownCutsTheLifecycleToKeepTheTasksGrace) {
  Run(LifecycleTask());  // shutdown grace 5 s: 4 s to work with, 3 s of it for the signals
  const Timestamp t = clock_.Now();
  EXPECT_EQ(Ev(Shutdown()),
            (Commands{cmd::StopChecks{}, Quit(), WakeAtAbs(t + Duration::Seconds(1))}));
  clock_.AdvanceTo(t + Duration::Seconds(1));
  EXPECT_EQ(In(in::Tick{}), (Commands{Sig(SIGTERM), WakeAtAbs(t + Duration::Seconds(4))}));
  // A SHUTDOWN in the middle of a KILL's lifecycle cuts it the same way.
  Reset(Options());
  Run(LifecycleTask());
  const Timestamp u = clock_.Now();
  EXPECT_EQ(Ev(Kill()), (Commands{cmd::StopChecks{}, Quit(), WakeAtAbs(u + Duration::Seconds(6))}));
  clock_.AdvanceTo(u + Duration::Seconds(2));
  EXPECT_EQ(Ev(Shutdown()), Commands{WakeAtAbs(u + Duration::Seconds(3))})
      << "the deadline is 4 s from now; the lifecycle may use all but the task's 3 s grace";
  clock_.AdvanceTo(u + Duration::Seconds(3));
  EXPECT_EQ(In(in::Tick{}), (Commands{Sig(SIGTERM), WakeAtAbs(u + Duration::Seconds(6))}));
}

TEST_F(CommandExecutorTest, AHealthKillRunsTheLifecycleButAKillWhileStartingDoesNot) {
  model::TaskInfo task = LifecycleTask();
  task.health_check = CheckedTask().health_check;
  Subscribe();
  Ev(Launch(task));
  Next(TaskState::kStarting);
  Next(TaskState::kRunning);
  In(in::TaskSpawned{kPid});
  EXPECT_EQ(In(in::HealthChanged{false, {}, true, "Health check failed 3 times in a row"}),
            (Commands{cmd::StopChecks{}, Quit(), WakeAtAbs(clock_.Now() + Duration::Seconds(6))}));

  Reset(Options());
  Subscribe();
  Ev(Launch(LifecycleTask()));
  Next(TaskState::kStarting);
  EXPECT_EQ(Ev(Kill()), (Commands{cmd::StopChecks{}})) << "nothing serves the endpoints yet";
  EXPECT_EQ(In(in::TaskSpawned{kPid}),
            (Commands{Sig(SIGTERM), WakeAtAbs(clock_.Now() + Duration::Seconds(3))}));
}

TEST_F(CommandExecutorTest, InvalidLifecycleLabelsAreIgnored) {
  model::TaskInfo task = Task();
  task.labels = {{"atoll.lifecycle.port", "99999"}};
  Run(task);
  EXPECT_EQ(Ev(Kill()), (Commands{cmd::StopChecks{}, Sig(SIGTERM),
                                  WakeAtAbs(clock_.Now() + Duration::Seconds(3))}));
}

// Random kills of a running task with an HTTP lifecycle: KILLs with random graces, SHUTDOWNs,
// answers that come, fail or never come, time passing. Whatever happens, the invariants hold
// (StopChecks first, no POST after a signal) and driving only the timers the machine asks for
// always ends in SIGKILL (the task here never exits by itself): no kill stalls in a stage.
TEST_F(CommandExecutorTest, EveryKillWithALifecycleEndsInSigkillWhateverHappens) {
  int posts = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    SCOPED_TRACE(testing::Message() << "seed " << seed);
    CommandExecutorOptions o = Options();
    o.shutdown_grace_period = Duration::Seconds(static_cast<int64_t>(2 + seed % 20));
    Reset(o);
    Random r(seed);
    model::TaskInfo task = LifecycleTask(Duration::Milliseconds(r.Uniform(4000)),
                                         Duration::Milliseconds(r.Uniform(4000)));
    if (r.Uniform(2) == 0) task.kill_policy = model::KillPolicy{Duration::Seconds(r.Uniform(5))};
    Run(task, r.Uniform(2) == 0);
    std::optional<Timestamp> wake;
    std::vector<int> posted;
    auto apply = [&](const Input& input) {
      for (const Command& c : In(input)) {
        if (const auto* p = std::get_if<cmd::PostLifecycle>(&c)) posted.push_back(p->step);
        if (const auto* w = std::get_if<cmd::WakeAt>(&c)) wake = w->at;
      }
    };
    apply(in::Event{Kill()});
    for (int step = 0; step < 12 && !sigkill_sent_; ++step) {
      clock_.Advance(Duration::Milliseconds(static_cast<int64_t>(r.Uniform(2500))));
      switch (r.Uniform(5)) {
        case 0:
          apply(in::Event{Kill(Duration::Milliseconds(r.Uniform(6000)))});
          break;
        case 1:
          if (r.Uniform(3) == 0) apply(in::Event{Shutdown()});
          break;
        case 2:
          if (!posted.empty()) {
            apply(in::LifecycleAnswered{posted.front(), r.Uniform(2) == 0, "refused"});
            posted.erase(posted.begin());
          }
          break;
        default:
          if (wake && *wake <= clock_.Now()) apply(in::Tick{});
          break;
      }
      if (HasFailure()) return;
    }
    // Only the timers now: SIGKILL must come.
    for (int tick = 0; tick < 10 && !sigkill_sent_; ++tick) {
      ASSERT_TRUE(wake.has_value()) << "a kill in progress with no timer";
      if (*wake > clock_.Now()) clock_.AdvanceTo(*wake);
      const std::optional<Timestamp> before = wake;
      apply(in::Tick{});
      if (wake == before && !sigkill_sent_) wake.reset();
    }
    EXPECT_TRUE(sigkill_sent_) << "the kill stalled";
    posts += posts_;
  }
  EXPECT_GT(posts, 300) << "the lifecycle ran";
}

// Random shells: any order of inputs a real shell could produce keeps the invariants (the
// checker runs after every input). Prints its seed on failure.
TEST_F(CommandExecutorTest, KeepsItsInvariantsUnderRandomInputs) {
  int spawns = 0, sigkills = 0, exits = 0, posts = 0, stalls_checked = 0;
  for (uint64_t seed = 1; seed <= 1000; ++seed) {
    SCOPED_TRACE(testing::Message() << "seed " << seed);
    CommandExecutorOptions o = Options();
    o.checkpoint = seed % 5 != 0;
    o.recovery_timeout = Duration::Seconds(static_cast<int64_t>(5 + seed % 20));
    Reset(o);
    Random r(seed);
    bool stream = false, spawn_pending = false, task_alive = false;
    std::optional<Timestamp> wake;
    std::vector<int> posted;  // lifecycle POSTs (their steps) not answered yet
    auto apply = [&](const Input& input) {
      Commands out = In(input);
      for (const Command& c : out) {
        if (const auto* p = std::get_if<cmd::PostLifecycle>(&c)) posted.push_back(p->step);
        if (std::holds_alternative<cmd::OpenStream>(c)) stream = true;
        if (std::holds_alternative<cmd::SpawnTask>(c)) spawn_pending = true;
        if (const auto* w = std::get_if<cmd::WakeAt>(&c)) wake = w->at;
      }
    };
    apply(in::Start{});
    for (int step = 0; step < 80 && !executor_->exited(); ++step) {
      clock_.Advance(Duration::Milliseconds(static_cast<int64_t>(r.Uniform(1500))));
      switch (r.Uniform(12)) {
        case 0:
          if (stream) apply(in::Connected{});
          break;
        case 1:
          if (stream) apply(in::Event{Subscribed(r.Uniform(2) == 0)});
          break;
        case 2:
          if (stream) {
            model::TaskInfo t = Task(r.Uniform(4) == 0 ? "web.2" : "web.1");
            if (r.Uniform(3) == 0) t.max_completion_time = Duration::Seconds(2);
            if (r.Uniform(3) == 0) t.kill_policy = model::KillPolicy{Duration::Seconds(4)};
            if (r.Uniform(3) != 0) {
              model::HttpLifecycle lifecycle;
              lifecycle.port = 31001;
              lifecycle.graceful_shutdown_wait = Duration::Milliseconds(r.Uniform(3000));
              lifecycle.shutdown_wait = Duration::Milliseconds(r.Uniform(3000));
              t.labels = model::HttpLifecycleLabels(lifecycle);
            }
            apply(in::Event{Launch(t)});
          }
          break;
        case 3:
          if (stream) {
            std::optional<Duration> grace;
            if (r.Uniform(2) == 0) grace = Duration::Milliseconds(r.Uniform(5000));
            apply(in::Event{Kill(grace)});
          }
          break;
        case 4:
        case 5: {
          std::vector<model::TaskStatus> pending = executor_->unacknowledged_updates();
          if (stream && !pending.empty()) apply(in::Event{Ack(pending[r.Uniform(pending.size())])});
          break;
        }
        case 6:
          if (stream && r.Uniform(4) == 0) apply(in::Event{Shutdown()});
          break;
        case 7:
          if (stream) {
            stream = false;
            apply(in::Disconnected{"random"});
          }
          break;
        case 8:
          if (spawn_pending) {
            spawn_pending = false;
            if (r.Uniform(5) == 0) {
              apply(in::SpawnFailed{"exec: nope"});
            } else {
              task_alive = true;
              apply(in::TaskSpawned{kPid});
            }
          }
          break;
        case 9:
          if (task_alive) {
            task_alive = false;
            apply(in::TaskExited{ExitStatus(static_cast<int>(r.Uniform(3))), ""});
          }
          break;
        case 10:
          if (!posted.empty() && r.Uniform(2) == 0) {
            const int step = posted.front();
            posted.erase(posted.begin());
            apply(in::LifecycleAnswered{step, r.Uniform(3) != 0, "refused"});
          } else {
            apply(in::CallFailed{Call(ecall::Heartbeat{}), "503"});
          }
          break;
        default:
          if (wake && *wake > clock_.Now()) clock_.AdvanceTo(*wake);
          apply(in::Tick{});
          break;
      }
      if (HasFailure()) return;
    }
    // Liveness: a kill in progress of a task that never exits ends in SIGKILL, with no input but
    // the timers the machine asked for (no POST is ever answered).
    if (task_alive && !executor_->exited() && executor_->killing()) {
      for (int tick = 0; tick < 10 && !sigkill_sent_; ++tick) {
        ASSERT_TRUE(wake.has_value()) << "a kill in progress with no timer";
        if (*wake > clock_.Now()) clock_.AdvanceTo(*wake);
        const std::optional<Timestamp> before = wake;
        apply(in::Tick{});
        if (wake == before && !sigkill_sent_) wake.reset();  // not re-armed: must be done
      }
      EXPECT_TRUE(sigkill_sent_) << "the kill stalled";
      ++stalls_checked;
    }
    spawns += spawned_;
    sigkills += sigkill_sent_;
    exits += exited_;
    posts += posts_;
  }
  // The walk must reach the interesting states, or it proves little.
  EXPECT_GT(spawns, 300);
  EXPECT_GT(sigkills, 60);
  EXPECT_GT(exits, 300);
  EXPECT_GT(posts, 5);
  EXPECT_GT(stalls_checked, 5);
  std::cout << "random walks: " << spawns << " spawns, " << sigkills << " SIGKILLs, " << exits
            << " exits, " << posts << " lifecycle POSTs, " << stalls_checked
            << " kills driven to SIGKILL of 1000\n";
}

TEST_F(CommandExecutorTest, IsDeterministic) {
  auto run = [](CommandExecutor& e) {
    FakeClock clock;
    std::vector<Output> outs;
    auto step = [&](const Input& in) {
      outs.push_back(e.Handle(in, clock.Now()));
      clock.Advance(Duration::Milliseconds(7));
    };
    step(in::Start{});
    step(in::Event{Subscribed(true)});
    step(in::Event{Launch(Task())});
    step(in::TaskSpawned{kPid});
    step(in::Event{Kill()});
    step(in::TaskExited{SignalStatus(SIGTERM), "terminated with signal Terminated"});
    std::vector<Command> all;
    for (const Output& o : outs) all.insert(all.end(), o.commands.begin(), o.commands.end());
    return all;
  };
  CommandExecutor a(Options()), b(Options());
  EXPECT_EQ(run(a), run(b));
}

}  // namespace
}  // namespace atl::executor
