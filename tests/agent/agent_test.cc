// Specification of the real agent's state machine (core/agent/agent.h, reference/mesos.md §2,
// §4.3, §8): registration, command and custom executors, the executor API, reliable status
// updates, kills, executor failures, shutdown, recovery after a restart, timers; then random
// input sequences checked against the agent's safety invariants after every step.
//
// The random test is seeded; the seed is printed. Reproduce one with ATOLL_TEST_SEED=<seed>
// (ATOLL_AGENT_TRACE=1 prints its inputs and commands).
#include "core/agent/agent.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/base/overloaded.h"
#include "core/base/strings.h"

namespace atl::agent {
namespace {

using model::TaskState;
using model::TaskStatusReason;
namespace amsg = api::agent_msg;
namespace mmsg = api::master_msg;
namespace ecall = api::executor_call;
namespace eev = api::executor_event;

const Timestamp kStart = Timestamp::FromNanoseconds(1'700'000'000'000'000'000);

// ---------------------------------------------------------------------------------------------
// Builders

model::Resources R(std::string_view text) { return *model::Resources::Parse(text); }

model::AgentInfo AgentInfoOf() {
  model::AgentInfo info;
  info.hostname = "agent1.example";
  info.port = 5051;
  info.resources = R("cpus:8;mem:8192;disk:10000");
  return info;
}

model::FrameworkInfo Framework(std::string name, bool checkpoint = true) {
  model::FrameworkInfo fw;
  fw.user = "alice";
  fw.name = std::move(name);
  fw.checkpoint = checkpoint;
  fw.failover_timeout = 3600;
  return fw;
}

model::TaskInfo CommandTask(const std::string& id, std::string_view resources = "cpus:1;mem:128") {
  model::TaskInfo t;
  t.name = id;
  t.task_id = model::TaskId(id);
  t.agent_id = model::AgentId("S1");
  t.resources = R(resources);
  t.command.emplace();
  t.command->value = "sleep 1000";
  return t;
}

model::ExecutorInfo CustomExecutor(const std::string& id) {
  model::ExecutorInfo e;
  e.type = model::ExecutorInfo::Type::kCustom;
  e.executor_id = model::ExecutorId(id);
  e.name = "my executor";
  e.command.emplace();
  e.command->value = "./my-executor";
  e.resources = R("cpus:0.5;mem:64");
  return e;
}

model::TaskInfo CustomTask(const std::string& id, const model::ExecutorInfo& executor) {
  model::TaskInfo t = CommandTask(id);
  t.command.reset();
  t.executor = executor;
  return t;
}

// A 16-byte status-update uuid, readable in failure messages.
std::string Uuid(int n) {
  std::string u = StrCat("uuid-", n);
  u.resize(16, '.');
  return u;
}

model::TaskStatus ExecutorStatus(const std::string& task, TaskState state, std::string uuid) {
  model::TaskStatus s;
  s.task_id = model::TaskId(task);
  s.state = state;
  s.source = model::TaskStatusSource::kExecutor;
  s.uuid = std::move(uuid);
  return s;
}

// The checkpoint an agent restarts from.
class CheckpointBuilder {
 public:
  CheckpointBuilder() {
    state_.info = AgentInfoOf();
    state_.info->id = model::AgentId("S1");
  }
  CheckpointBuilder& Framework(const model::FrameworkId& id, model::FrameworkInfo fw) {
    fw.id = id;
    state_.frameworks.push_back(std::move(fw));
    return *this;
  }
  // The command executor of `task` (or `custom`), with a pid when its process was spawned.
  CheckpointBuilder& Executor(const model::FrameworkId& fw, const model::TaskInfo& task,
                              std::optional<int> pid) {
    ExecutorRecord r;
    r.framework_id = fw;
    r.command_executor = !task.executor;
    if (task.executor) {
      r.info = *task.executor;
    } else {
      r.info.executor_id = model::ExecutorId(task.task_id.value());
      r.info.resources = R("cpus:0.1;mem:32");
    }
    r.info.framework_id = fw;
    r.container_id = model::ContainerId(StrCat("container-", r.info.executor_id.value()));
    r.pid = pid;
    r.pid_start_time = pid ? 777 : 0;
    state_.executors.push_back(std::move(r));
    return *this;
  }
  CheckpointBuilder& Task(const model::FrameworkId& fw, const model::TaskInfo& task,
                          TaskState state, bool launched) {
    model::ExecutorId executor =
        task.executor ? task.executor->executor_id : model::ExecutorId(task.task_id.value());
    state_.tasks.push_back({fw, executor, task, state, launched});
    return *this;
  }
  CheckpointBuilder& Updates(const model::FrameworkId& fw, const std::string& task,
                             std::vector<model::TaskStatus> updates) {
    state_.updates.push_back({{fw, model::TaskId(task)}, std::move(updates)});
    return *this;
  }
  const CheckpointedState& state() const { return state_; }

 private:
  CheckpointedState state_;
};

// ---------------------------------------------------------------------------------------------
// Reading an Output

template <typename T>
std::vector<T> All(const Output& out) {
  std::vector<T> v;
  for (const Command& c : out.commands) {
    if (const T* t = std::get_if<T>(&c)) v.push_back(*t);
  }
  return v;
}

template <typename M>
std::vector<M> ToMaster(const Output& out) {
  std::vector<M> v;
  for (const cmd::SendToMaster& s : All<cmd::SendToMaster>(out)) {
    if (const M* m = std::get_if<M>(&s.message)) v.push_back(*m);
  }
  return v;
}

std::vector<amsg::StatusUpdate> Forwarded(const Output& out) {
  return ToMaster<amsg::StatusUpdate>(out);
}

// The events of type E sent on `conn`.
template <typename E>
std::vector<E> Events(const Output& out, ExecutorConn conn) {
  std::vector<E> v;
  for (const cmd::SendToExecutor& s : All<cmd::SendToExecutor>(out)) {
    if (s.conn != conn) continue;
    if (const E* e = std::get_if<E>(&s.event.body)) v.push_back(*e);
  }
  return v;
}

// Names of the events sent on `conn`, in order.
std::vector<std::string> EventNames(const Output& out, ExecutorConn conn) {
  std::vector<std::string> v;
  for (const cmd::SendToExecutor& s : All<cmd::SendToExecutor>(out)) {
    if (s.conn != conn) continue;
    v.push_back(std::visit(Overloaded{
                               [](const eev::Subscribed&) { return "SUBSCRIBED"; },
                               [](const eev::Launch&) { return "LAUNCH"; },
                               [](const eev::LaunchGroup&) { return "LAUNCH_GROUP"; },
                               [](const eev::Kill&) { return "KILL"; },
                               [](const eev::Acknowledged&) { return "ACKNOWLEDGED"; },
                               [](const eev::Message&) { return "MESSAGE"; },
                               [](const eev::Error&) { return "ERROR"; },
                               [](const eev::Shutdown&) { return "SHUTDOWN"; },
                               [](const eev::Heartbeat&) { return "HEARTBEAT"; },
                           },
                           s.event.body));
  }
  return v;
}

// The position of the first command satisfying `pred` (-1: none).
template <typename T, typename Pred>
int IndexOf(const Output& out, Pred pred) {
  for (size_t i = 0; i < out.commands.size(); ++i) {
    if (const T* t = std::get_if<T>(&out.commands[i]); t != nullptr && pred(*t)) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

// The containers destroyed, as "<executor id>/<container id>".
std::vector<std::string> Destroyed(const Output& out) {
  std::vector<std::string> v;
  for (const cmd::DestroyContainer& d : All<cmd::DestroyContainer>(out)) {
    v.push_back(StrCat(d.executor_id.value(), "/", d.container_id.value()));
  }
  return v;
}

std::optional<Timestamp> WakeAt(const Output& out) {
  std::optional<Timestamp> at;
  for (const cmd::WakeAt& w : All<cmd::WakeAt>(out)) at = w.at;
  return at;
}

// Nothing but (possibly) a WakeAt.
bool DoesNothing(const Output& out) {
  return std::all_of(out.commands.begin(), out.commands.end(),
                     [](const Command& c) { return std::holds_alternative<cmd::WakeAt>(c); });
}

std::vector<TaskState> States(const std::vector<model::TaskStatus>& updates) {
  std::vector<TaskState> v;
  for (const model::TaskStatus& s : updates) v.push_back(s.state);
  return v;
}

// ---------------------------------------------------------------------------------------------
// The fixture: one agent, a clock, and one framework "fw-1".

class AgentTest : public ::testing::Test {
 protected:
  AgentTest() : agent_(AgentInfoOf(), AgentOptions{}, 7) {}

  void NewAgent(AgentOptions options) { agent_ = Agent(AgentInfoOf(), std::move(options), 7); }

  Output Do(const Input& input) { return agent_.Handle(input, now_); }
  Output TickAt(Timestamp at) {
    now_ = at;
    return Do(in::Tick{});
  }
  Output FromMaster(api::MasterToAgent m) { return Do(in::FromMaster{std::move(m)}); }

  // A fresh agent, connected and registered as S1; heartbeats every hour, out of the way.
  void StartRegistered() {
    Do(in::Recover{});
    Do(in::MasterConnected{});
    FromMaster(mmsg::Registered{model::AgentId("S1"), Duration::Hours(1)});
  }

  Output Run(const model::TaskInfo& task) { return Run(task, fw_); }
  Output Run(const model::TaskInfo& task, const model::FrameworkInfo& fw) {
    mmsg::RunTask run;
    run.framework_id = fw_id_;
    run.framework = fw;
    run.task = std::make_shared<const model::TaskInfo>(task);
    return FromMaster(std::move(run));
  }
  Output Kill(const std::string& task, std::optional<model::KillPolicy> policy = std::nullopt) {
    return FromMaster(mmsg::KillTask{fw_id_, model::TaskId(task), policy});
  }
  Output Ack(const std::string& task, const std::string& uuid) {
    return FromMaster(mmsg::AcknowledgeUpdate{fw_id_, model::TaskId(task), uuid});
  }

  Output Call(const std::string& executor, api::ExecutorCall::Body body, ExecutorConn conn = 0) {
    return Do(in::FromExecutor{
        api::ExecutorCall{model::ExecutorId(executor), fw_id_, std::move(body)}, conn});
  }
  Output Subscribe(const std::string& executor, ExecutorConn conn, ecall::Subscribe s = {}) {
    return Call(executor, std::move(s), conn);
  }
  Output Update(const std::string& executor, model::TaskStatus status) {
    return Call(executor, ecall::Update{std::move(status)});
  }
  Output Update(const std::string& executor, const std::string& task, TaskState state,
                const std::string& uuid) {
    return Update(executor, ExecutorStatus(task, state, uuid));
  }

  model::ContainerId Container(const std::string& executor) const {
    for (const Agent::ExecutorView& e : agent_.executors()) {
      if (e.record->info.executor_id.value() == executor) return e.record->container_id;
    }
    ADD_FAILURE() << "no executor " << executor;
    return {};
  }
  Output Launched(const std::string& executor, int pid = 4242) {
    return Do(
        in::ExecutorLaunched{fw_id_, model::ExecutorId(executor), Container(executor), pid, 99});
  }
  Output Exited(const std::string& executor, std::string description = "exited with status 1",
                bool oom = false, std::optional<int> wait_status = 256) {
    return Do(in::ExecutorExited{fw_id_, model::ExecutorId(executor), Container(executor),
                                 wait_status, std::move(description), oom});
  }

  // Runs command task `id` and subscribes its executor on `conn`.
  void RunSubscribed(const std::string& id, ExecutorConn conn) {
    Run(CommandTask(id));
    Launched(id);
    ASSERT_EQ(Subscribe(id, conn).http_status, 200);
  }

  TaskKey Key(const std::string& task) const { return {fw_id_, model::TaskId(task)}; }
  std::vector<model::TaskStatus> Pending(const std::string& task) const {
    const auto* p = agent_.streams().Pending(Key(task));
    return p == nullptr ? std::vector<model::TaskStatus>{}
                        : std::vector<model::TaskStatus>(p->begin(), p->end());
  }

  Agent agent_;
  Timestamp now_ = kStart;
  model::FrameworkId fw_id_{"fw-1"};
  model::FrameworkInfo fw_ = Framework("web");
};

// ---------------------------------------------------------------------------------------------
// Registration and liveness

TEST_F(AgentTest, RegistersOnConnectAndRetriesWithDoublingBackoffUntilRegistered) {
  EXPECT_TRUE(DoesNothing(Do(in::Recover{})));
  Output out = Do(in::MasterConnected{});
  auto regs = ToMaster<amsg::Register>(out);
  ASSERT_EQ(regs.size(), 1u);
  EXPECT_FALSE(regs[0].info.id.has_value());  // a new agent asks for an id
  EXPECT_EQ(regs[0].info.hostname, "agent1.example");
  EXPECT_EQ(regs[0].info.resources, R("cpus:8;mem:8192;disk:10000"));
  EXPECT_EQ(regs[0].version, "atoll");
  EXPECT_TRUE(regs[0].tasks.empty());
  EXPECT_EQ(WakeAt(out), kStart + Duration::Seconds(1));

  // 1 s doubling, capped at 1 min.
  Timestamp at = kStart;
  const int gaps[] = {1, 2, 4, 8, 16, 32, 60, 60};
  for (size_t i = 0; i < std::size(gaps); ++i) {
    SCOPED_TRACE(StrCat("retry ", i));
    at = at + Duration::Seconds(gaps[i]);
    EXPECT_TRUE(DoesNothing(TickAt(at - Duration::Milliseconds(1))));
    out = TickAt(at);
    ASSERT_EQ(ToMaster<amsg::Register>(out).size(), 1u);
    if (i + 1 < std::size(gaps)) {
      EXPECT_EQ(WakeAt(out), at + Duration::Seconds(gaps[i + 1]));
    }
  }

  out = FromMaster(mmsg::Registered{model::AgentId("S1"), Duration::Seconds(15)});
  EXPECT_TRUE(agent_.registered());
  ASSERT_EQ(All<cmd::PutAgentInfo>(out).size(), 1u);
  EXPECT_EQ(All<cmd::PutAgentInfo>(out)[0].info.id, model::AgentId("S1"));
  EXPECT_EQ(agent_.info().id, model::AgentId("S1"));
  EXPECT_EQ(WakeAt(out), now_ + Duration::Seconds(15));  // the heartbeat, no more retries
  EXPECT_TRUE(ToMaster<amsg::Register>(TickAt(now_ + Duration::Minutes(1))).empty());
  // A duplicate REGISTERED changes nothing.
  EXPECT_TRUE(DoesNothing(FromMaster(mmsg::Registered{model::AgentId("S1")})));
}

TEST_F(AgentTest, HeartbeatsAtTheIntervalTheMasterAnnounced) {
  Do(in::Recover{});
  EXPECT_EQ(WakeAt(Do(in::Tick{})), std::nullopt);  // not connected: nothing to do
  Do(in::MasterConnected{});
  Output out = FromMaster(mmsg::Registered{model::AgentId("S1"), Duration::Seconds(5)});
  EXPECT_TRUE(ToMaster<amsg::Heartbeat>(out).empty());
  EXPECT_EQ(WakeAt(out), kStart + Duration::Seconds(5));
  EXPECT_TRUE(DoesNothing(TickAt(kStart + Duration::Seconds(4))));
  out = TickAt(kStart + Duration::Seconds(5));
  EXPECT_EQ(ToMaster<amsg::Heartbeat>(out).size(), 1u);
  EXPECT_EQ(WakeAt(out), kStart + Duration::Seconds(10));
  out = TickAt(kStart + Duration::Seconds(10));
  EXPECT_EQ(ToMaster<amsg::Heartbeat>(out).size(), 1u);

  // No heartbeats while the connection is down.
  Do(in::MasterDisconnected{});
  EXPECT_TRUE(DoesNothing(TickAt(kStart + Duration::Seconds(15))));
}

TEST_F(AgentTest, ReconnectingToTheMasterReregistersWithEveryTaskAndResendsPendingHeads) {
  StartRegistered();
  RunSubscribed("t1", 11);
  Update("t1", "t1", TaskState::kRunning, Uuid(1));  // forwarded, not acknowledged yet
  Run(CommandTask("t2"));                            // queued on its executor

  Do(in::MasterDisconnected{});
  EXPECT_FALSE(agent_.registered());
  // Updates wait while disconnected: neither the new one nor a retry of the head goes out.
  Output out = Update("t1", "t1", TaskState::kFinished, Uuid(2));
  EXPECT_TRUE(Forwarded(out).empty());
  EXPECT_EQ(All<cmd::SendToExecutor>(out).size(), 1u);  // still ACKNOWLEDGED to the executor
  EXPECT_TRUE(Forwarded(TickAt(now_ + Duration::Seconds(30))).empty());

  out = Do(in::MasterConnected{});
  auto regs = ToMaster<amsg::Register>(out);
  ASSERT_EQ(regs.size(), 1u);
  EXPECT_EQ(regs[0].info.id, model::AgentId("S1"));
  ASSERT_EQ(regs[0].tasks.size(), 2u);
  EXPECT_EQ(regs[0].tasks[0].task.task_id, model::TaskId("t1"));
  EXPECT_EQ(regs[0].tasks[0].state, TaskState::kFinished);  // the latest state it knows
  EXPECT_EQ(regs[0].tasks[1].task.task_id, model::TaskId("t2"));
  EXPECT_EQ(regs[0].tasks[1].state, TaskState::kStaging);
  EXPECT_EQ(regs[0].tasks[1].framework_id, fw_id_);
  ASSERT_EQ(regs[0].frameworks.size(), 1u);
  EXPECT_EQ(regs[0].frameworks[0].id, fw_id_);
  EXPECT_EQ(regs[0].frameworks[0].name, "web");
  EXPECT_TRUE(Forwarded(out).empty());

  out = FromMaster(mmsg::Registered{model::AgentId("S1"), Duration::Hours(1)});
  auto fwd = Forwarded(out);
  ASSERT_EQ(fwd.size(), 1u);  // only the head of t1's stream
  EXPECT_EQ(fwd[0].status.uuid, Uuid(1));
  EXPECT_EQ(fwd[0].latest_state, TaskState::kFinished);
}

// ---------------------------------------------------------------------------------------------
// Command tasks and the executor API

TEST_F(AgentTest, CommandTaskGetsACommandExecutorChargedWithItsOverhead) {
  StartRegistered();
  Output out = Run(CommandTask("t1"));
  EXPECT_TRUE(All<cmd::SendToMaster>(out).empty());

  auto fws = All<cmd::PutFramework>(out);
  ASSERT_EQ(fws.size(), 1u);
  EXPECT_EQ(fws[0].info.id, fw_id_);
  EXPECT_EQ(fws[0].info.name, "web");

  auto launches = All<cmd::LaunchExecutor>(out);
  ASSERT_EQ(launches.size(), 1u);
  const cmd::LaunchExecutor& l = launches[0];
  EXPECT_TRUE(l.executor.command_executor);
  EXPECT_EQ(l.executor.framework_id, fw_id_);
  EXPECT_EQ(l.executor.info.executor_id, model::ExecutorId("t1"));  // the task's id
  EXPECT_EQ(l.executor.info.framework_id, fw_id_);
  EXPECT_EQ(l.executor.info.name, "Command Executor (Task: t1) (Command: sh -c 'sleep 1000')");
  EXPECT_FALSE(l.executor.container_id.empty());
  EXPECT_FALSE(l.executor.pid.has_value());
  EXPECT_EQ(l.resources, R("cpus:1.1;mem:160"));  // the task + 0.1 cpus and 32 MB
  EXPECT_EQ(l.user, "alice");                     // FrameworkInfo.user (switch_user)
  EXPECT_EQ(l.framework.name, "web");

  auto execs = All<cmd::PutExecutor>(out);
  ASSERT_EQ(execs.size(), 1u);
  EXPECT_EQ(execs[0].executor, l.executor);
  auto tasks = All<cmd::PutTask>(out);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].task.info, CommandTask("t1"));
  EXPECT_EQ(tasks[0].task.executor_id, model::ExecutorId("t1"));
  EXPECT_EQ(tasks[0].task.state, TaskState::kStaging);
  EXPECT_FALSE(tasks[0].task.launched);
  // The executor must subscribe within the registration timeout.
  EXPECT_EQ(WakeAt(out), now_ + Duration::Minutes(1));

  // Its process started: the pid is checkpointed.
  out = Launched("t1", 4242);
  ASSERT_EQ(All<cmd::PutExecutor>(out).size(), 1u);
  EXPECT_EQ(All<cmd::PutExecutor>(out)[0].executor.pid, 4242);
  EXPECT_EQ(All<cmd::PutExecutor>(out)[0].executor.pid_start_time, 99u);
}

TEST_F(AgentTest, TasksRunAsTheCommandUserElseAsTheFrameworkUser) {
  StartRegistered();
  model::TaskInfo t = CommandTask("t1");
  t.command->user = "bob";
  EXPECT_EQ(All<cmd::LaunchExecutor>(Run(t))[0].user, "bob");

  AgentOptions no_switch;
  no_switch.switch_user = false;
  NewAgent(no_switch);
  StartRegistered();
  EXPECT_EQ(All<cmd::LaunchExecutor>(Run(CommandTask("t2")))[0].user, std::nullopt);
  model::TaskInfo t3 = CommandTask("t3");
  t3.command->user = "bob";
  EXPECT_EQ(All<cmd::LaunchExecutor>(Run(t3))[0].user, "bob");
}

TEST_F(AgentTest, SubscribeIsAnswered200WithSubscribedThenTheQueuedLaunch) {
  StartRegistered();
  Run(CommandTask("t1"));
  Launched("t1");
  Output out = Subscribe("t1", 11);
  EXPECT_EQ(out.http_status, 200);
  EXPECT_EQ(EventNames(out, 11), (std::vector<std::string>{"SUBSCRIBED", "LAUNCH"}));
  auto sub = Events<eev::Subscribed>(out, 11);
  ASSERT_EQ(sub.size(), 1u);
  EXPECT_EQ(sub[0].executor_info.executor_id, model::ExecutorId("t1"));
  EXPECT_EQ(sub[0].framework_info.name, "web");
  EXPECT_EQ(sub[0].framework_info.id, fw_id_);
  EXPECT_EQ(sub[0].agent_info.id, model::AgentId("S1"));
  EXPECT_EQ(sub[0].container_id, Container("t1"));
  EXPECT_EQ(Events<eev::Launch>(out, 11)[0].task, CommandTask("t1"));
  auto puts = All<cmd::PutTask>(out);
  ASSERT_EQ(puts.size(), 1u);
  EXPECT_TRUE(puts[0].task.launched);
  EXPECT_TRUE(agent_.executors()[0].subscribed);
  // The registration deadline is gone: only the hourly heartbeat remains.
  EXPECT_EQ(WakeAt(out), kStart + Duration::Hours(1));
  EXPECT_TRUE(All<cmd::DestroyContainer>(TickAt(now_ + Duration::Minutes(2))).empty());

  // A second subscription (a new stream) replaces the first one; the executor lists the task
  // it has, so it is not launched again.
  out = Subscribe("t1", 12, ecall::Subscribe{{CommandTask("t1")}, {}});
  EXPECT_EQ(out.http_status, 200);
  ASSERT_EQ(All<cmd::CloseExecutorStream>(out).size(), 1u);
  EXPECT_EQ(All<cmd::CloseExecutorStream>(out)[0].conn, 11u);
  EXPECT_EQ(EventNames(out, 12), std::vector<std::string>{"SUBSCRIBED"});  // no second LAUNCH
}

TEST_F(AgentTest, InvalidUpdatesAreRejectedWith400) {
  StartRegistered();
  RunSubscribed("t1", 11);
  Run(CommandTask("t2"));
  struct Case {
    std::string name;
    std::string executor;
    model::TaskStatus status;
    std::string body;
  };
  model::TaskStatus short_uuid = ExecutorStatus("t1", TaskState::kRunning, "0123456789abcde");
  model::TaskStatus staging = ExecutorStatus("t1", TaskState::kStaging, Uuid(1));
  model::TaskStatus from_agent = ExecutorStatus("t1", TaskState::kRunning, Uuid(1));
  from_agent.source = model::TaskStatusSource::kAgent;
  model::TaskStatus wrong_executor = ExecutorStatus("t1", TaskState::kRunning, Uuid(1));
  wrong_executor.executor_id = model::ExecutorId("t2");
  const std::vector<Case> cases = {
      {"short uuid", "t1", short_uuid, "Received invalid UPDATE: 'status.uuid' must be 16 bytes"},
      {"no uuid", "t1", ExecutorStatus("t1", TaskState::kRunning, ""),
       "Received invalid UPDATE: 'status.uuid' must be 16 bytes"},
      {"staging", "t1", staging,
       "Received invalid UPDATE: 'status.state' must not be TASK_STAGING"},
      {"source", "t1", from_agent,
       "Received invalid UPDATE: 'status.source' must be SOURCE_EXECUTOR"},
      {"executor id", "t1", wrong_executor,
       "Received invalid UPDATE: 'status.executor_id' does not match the call's 'executor_id'"},
      {"unknown task", "t1", ExecutorStatus("nope", TaskState::kRunning, Uuid(1)),
       "Received invalid UPDATE: Task 'nope' is not a task of executor 't1'"},
      {"another executor's task", "t1", ExecutorStatus("t2", TaskState::kRunning, Uuid(1)),
       "Received invalid UPDATE: Task 't2' is not a task of executor 't1'"},
      {"unknown executor", "ghost", ExecutorStatus("t1", TaskState::kRunning, Uuid(1)),
       "Executor 'ghost' of framework 'fw-1' is not known to this agent"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Output out = Update(c.executor, c.status);
    EXPECT_EQ(out.http_status, 400);
    EXPECT_EQ(out.http_body, c.body);
    EXPECT_TRUE(DoesNothing(out));
  }
  EXPECT_EQ(agent_.pending_updates(), 0u);
  EXPECT_EQ(agent_.tasks().at(Key("t1")).state, TaskState::kStaging);
  // Other calls from an unknown executor are refused the same way.
  EXPECT_EQ(Subscribe("ghost", 5).http_status, 400);
  EXPECT_EQ(Call("ghost", ecall::Heartbeat{}).http_status, 400);
  EXPECT_EQ(Call("t1", ecall::Heartbeat{}).http_status, 202);
}

TEST_F(AgentTest, UpdateIsCheckpointedThenAcknowledgedAndForwardedToTheMaster) {
  StartRegistered();
  RunSubscribed("t1", 11);
  Output out = Update("t1", "t1", TaskState::kRunning, Uuid(1));
  EXPECT_EQ(out.http_status, 202);

  const int put_task = IndexOf<cmd::PutTask>(
      out, [](const cmd::PutTask& p) { return p.task.state == TaskState::kRunning; });
  const int put_updates = IndexOf<cmd::PutUpdates>(out, [&](const cmd::PutUpdates& p) {
    return p.key == Key("t1") && p.updates.size() == 1 && p.updates[0].uuid == Uuid(1);
  });
  const int acked = IndexOf<cmd::SendToExecutor>(out, [&](const cmd::SendToExecutor& s) {
    return s.conn == 11 && s.event.body == api::ExecutorEvent::Body{
                                               eev::Acknowledged{model::TaskId("t1"), Uuid(1)}};
  });
  ASSERT_GE(put_task, 0);
  ASSERT_GE(put_updates, 0);
  ASSERT_GE(acked, 0);
  EXPECT_LT(put_task, acked);  // ACKNOWLEDGED promises the update is durable
  EXPECT_LT(put_updates, acked);

  auto fwd = Forwarded(out);
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].framework_id, fw_id_);
  EXPECT_EQ(fwd[0].status.task_id, model::TaskId("t1"));
  EXPECT_EQ(fwd[0].status.state, TaskState::kRunning);
  EXPECT_EQ(fwd[0].status.uuid, Uuid(1));
  EXPECT_EQ(fwd[0].status.source, model::TaskStatusSource::kExecutor);
  EXPECT_EQ(fwd[0].status.agent_id, model::AgentId("S1"));
  EXPECT_EQ(fwd[0].status.executor_id, model::ExecutorId("t1"));
  EXPECT_EQ(fwd[0].status.timestamp, now_.seconds());
  EXPECT_EQ(fwd[0].latest_state, TaskState::kRunning);
  EXPECT_EQ(agent_.tasks().at(Key("t1")).state, TaskState::kRunning);
}

TEST_F(AgentTest, OnlyTheHeadOfATasksStreamIsForwardedTheNextOneAfterItsAcknowledgement) {
  StartRegistered();
  RunSubscribed("t1", 11);
  EXPECT_EQ(Forwarded(Update("t1", "t1", TaskState::kStarting, Uuid(1))).size(), 1u);
  EXPECT_TRUE(Forwarded(Update("t1", "t1", TaskState::kRunning, Uuid(2))).empty());
  EXPECT_TRUE(Forwarded(Update("t1", "t1", TaskState::kFinished, Uuid(3))).empty());
  EXPECT_EQ(
      States(Pending("t1")),
      (std::vector<TaskState>{TaskState::kStarting, TaskState::kRunning, TaskState::kFinished}));

  // Acknowledgements of anything but the head are dropped.
  EXPECT_TRUE(DoesNothing(Ack("t1", Uuid(3))));
  EXPECT_TRUE(DoesNothing(Ack("t1", Uuid(9))));
  EXPECT_TRUE(DoesNothing(Ack("other", Uuid(1))));

  Output out = Ack("t1", Uuid(1));
  auto fwd = Forwarded(out);
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].status.uuid, Uuid(2));
  EXPECT_EQ(fwd[0].latest_state, TaskState::kFinished);  // the master may release resources
  ASSERT_EQ(All<cmd::PutUpdates>(out).size(), 1u);
  EXPECT_EQ(All<cmd::PutUpdates>(out)[0].updates.size(), 2u);
  EXPECT_TRUE(DoesNothing(Ack("t1", Uuid(1))));  // a duplicate

  fwd = Forwarded(Ack("t1", Uuid(2)));
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].status.uuid, Uuid(3));

  // The terminal update acknowledged: the task is forgotten (its executor lives on until it
  // exits).
  out = Ack("t1", Uuid(3));
  EXPECT_TRUE(Forwarded(out).empty());
  ASSERT_EQ(All<cmd::PutUpdates>(out).size(), 1u);
  EXPECT_TRUE(All<cmd::PutUpdates>(out)[0].updates.empty());
  ASSERT_EQ(All<cmd::RemoveTask>(out).size(), 1u);
  EXPECT_EQ(All<cmd::RemoveTask>(out)[0].key, Key("t1"));
  EXPECT_TRUE(agent_.tasks().empty());
  EXPECT_EQ(agent_.pending_updates(), 0u);
  ASSERT_EQ(agent_.executors().size(), 1u);
  EXPECT_TRUE(agent_.executors()[0].tasks.empty());

  out = Exited("t1", "exited with status 0");
  EXPECT_TRUE(Forwarded(out).empty());
  EXPECT_EQ(All<cmd::RemoveExecutor>(out).size(), 1u);
  EXPECT_TRUE(ToMaster<amsg::ExecutorExited>(out).empty());  // command executors are not told
  EXPECT_TRUE(agent_.executors().empty());
}

TEST_F(AgentTest, UnacknowledgedHeadIsResentWithBackoffFromTenSecondsDoubling) {
  StartRegistered();
  RunSubscribed("t1", 11);
  const Timestamp sent = now_;
  Output out = Update("t1", "t1", TaskState::kRunning, Uuid(1));
  EXPECT_EQ(WakeAt(out), sent + Duration::Seconds(10));
  Timestamp at = sent;
  const int gaps[] = {10, 20, 40, 80, 160, 320, 600, 600};  // capped at 10 min
  for (size_t i = 0; i < std::size(gaps); ++i) {
    SCOPED_TRACE(StrCat("retry ", i));
    at = at + Duration::Seconds(gaps[i]);
    EXPECT_TRUE(Forwarded(TickAt(at - Duration::Milliseconds(1))).empty());
    out = TickAt(at);
    auto fwd = Forwarded(out);
    ASSERT_EQ(fwd.size(), 1u);
    EXPECT_EQ(fwd[0].status.uuid, Uuid(1));
    if (i + 1 < std::size(gaps)) {
      EXPECT_EQ(WakeAt(out), at + Duration::Seconds(gaps[i + 1]));
    }
  }
  // Acknowledged: no more retries.
  Ack("t1", Uuid(1));
  EXPECT_TRUE(Forwarded(TickAt(at + Duration::Hours(2))).empty());
}

TEST_F(AgentTest, ResentUpdateIsAcknowledgedAgainButNeverForwardedTwice) {
  StartRegistered();
  RunSubscribed("t1", 11);
  Update("t1", "t1", TaskState::kStarting, Uuid(1));
  Update("t1", "t1", TaskState::kRunning, Uuid(2));

  // While still queued.
  Output out = Update("t1", "t1", TaskState::kRunning, Uuid(2));
  EXPECT_EQ(out.http_status, 202);
  EXPECT_EQ(Events<eev::Acknowledged>(out, 11).size(), 1u);
  EXPECT_TRUE(Forwarded(out).empty());
  EXPECT_EQ(agent_.pending_updates(), 2u);

  // After the master acknowledged them (the executor missed the ACKNOWLEDGED events).
  Ack("t1", Uuid(1));
  Ack("t1", Uuid(2));
  for (int uuid : {2, 1}) {
    SCOPED_TRACE(StrCat("resend of ", uuid));
    out = Update("t1", "t1", uuid == 1 ? TaskState::kStarting : TaskState::kRunning, Uuid(uuid));
    EXPECT_EQ(out.http_status, 202);
    EXPECT_EQ(Events<eev::Acknowledged>(out, 11).size(), 1u);
    EXPECT_TRUE(Forwarded(out).empty());
    EXPECT_EQ(agent_.pending_updates(), 0u);
    EXPECT_EQ(agent_.tasks().at(Key("t1")).state, TaskState::kRunning);
  }
}

TEST_F(AgentTest, MessagesGoBothWaysBestEffort) {
  StartRegistered();
  RunSubscribed("t1", 11);
  Output out = FromMaster(mmsg::FrameworkMessage{fw_id_, model::ExecutorId("t1"), "ping"});
  ASSERT_EQ(Events<eev::Message>(out, 11).size(), 1u);
  EXPECT_EQ(Events<eev::Message>(out, 11)[0].data, "ping");
  EXPECT_TRUE(DoesNothing(FromMaster(mmsg::FrameworkMessage{fw_id_, model::ExecutorId("x"), "p"})));

  out = Call("t1", ecall::Message{"pong"});
  EXPECT_EQ(out.http_status, 202);
  auto msgs = ToMaster<amsg::ExecutorMessage>(out);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0], (amsg::ExecutorMessage{fw_id_, model::ExecutorId("t1"), "pong"}));
}

// ---------------------------------------------------------------------------------------------
// Custom executors

TEST_F(AgentTest, CustomExecutorRunsSeveralTasksAndItsExitIsReportedToTheMaster) {
  StartRegistered();
  model::ExecutorInfo e = CustomExecutor("exec-1");
  e.command->user = "carol";
  Output out = Run(CustomTask("a", e));
  auto launches = All<cmd::LaunchExecutor>(out);
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_FALSE(launches[0].executor.command_executor);
  EXPECT_EQ(launches[0].executor.info.executor_id, model::ExecutorId("exec-1"));
  EXPECT_EQ(launches[0].executor.info.command, e.command);
  EXPECT_EQ(launches[0].resources, R("cpus:1.5;mem:192"));  // the task's and the executor's
  EXPECT_EQ(launches[0].user, "carol");                     // the executor's CommandInfo.user

  out = Run(CustomTask("b", e));
  EXPECT_TRUE(All<cmd::LaunchExecutor>(out).empty());  // the same executor
  ASSERT_EQ(All<cmd::PutTask>(out).size(), 1u);
  EXPECT_EQ(All<cmd::PutTask>(out)[0].task.executor_id, model::ExecutorId("exec-1"));

  Launched("exec-1");
  out = Subscribe("exec-1", 21);
  EXPECT_EQ(EventNames(out, 21), (std::vector<std::string>{"SUBSCRIBED", "LAUNCH", "LAUNCH"}));
  auto launch = Events<eev::Launch>(out, 21);
  EXPECT_EQ(launch[0].task.task_id, model::TaskId("a"));
  EXPECT_EQ(launch[1].task.task_id, model::TaskId("b"));

  // A third task goes straight to the subscribed executor.
  out = Run(CustomTask("c", e));
  EXPECT_EQ(EventNames(out, 21), std::vector<std::string>{"LAUNCH"});
  EXPECT_TRUE(All<cmd::PutTask>(out)[0].task.launched);

  Update("exec-1", "a", TaskState::kFinished, Uuid(1));
  Ack("a", Uuid(1));
  out = Exited("exec-1", "exited with status 1", false, 256);
  auto fwd = Forwarded(out);
  ASSERT_EQ(fwd.size(), 2u);  // b and c, not the finished a
  for (const amsg::StatusUpdate& u : fwd) {
    EXPECT_EQ(u.status.state, TaskState::kFailed);
    EXPECT_EQ(u.status.reason, TaskStatusReason::kExecutorTerminated);
    EXPECT_EQ(u.status.source, model::TaskStatusSource::kAgent);
    EXPECT_EQ(u.status.message, "Executor exited with status 1");
    EXPECT_EQ(u.status.uuid.size(), 16u);
  }
  EXPECT_EQ(ToMaster<amsg::ExecutorExited>(out),
            (std::vector<amsg::ExecutorExited>{{fw_id_, model::ExecutorId("exec-1"), 256}}));
  ASSERT_EQ(All<cmd::DestroyContainer>(out).size(), 1u);  // whatever it left behind
  EXPECT_EQ(All<cmd::RemoveExecutor>(out).size(), 1u);
  EXPECT_TRUE(agent_.executors().empty());
}

TEST_F(AgentTest, CustomExecutorExitWhileDisconnectedIsReportedAfterReregistering) {
  StartRegistered();
  Run(CustomTask("a", CustomExecutor("exec-1")));
  Launched("exec-1");
  Do(in::MasterDisconnected{});
  EXPECT_TRUE(ToMaster<amsg::ExecutorExited>(Exited("exec-1")).empty());
  Do(in::MasterConnected{});
  Output out = FromMaster(mmsg::Registered{model::AgentId("S1")});
  EXPECT_EQ(ToMaster<amsg::ExecutorExited>(out).size(), 1u);
  EXPECT_EQ(Forwarded(out).size(), 1u);  // a's TASK_FAILED
}

TEST_F(AgentTest, TaskForATerminatingExecutorIsDropped) {
  StartRegistered();
  model::ExecutorInfo e = CustomExecutor("exec-1");
  Run(CustomTask("a", e));
  Launched("exec-1");
  Subscribe("exec-1", 21);
  FromMaster(mmsg::ShutdownExecutor{fw_id_, model::ExecutorId("exec-1")});
  Output out = Run(CustomTask("b", e));
  EXPECT_TRUE(All<cmd::LaunchExecutor>(out).empty());
  EXPECT_TRUE(Events<eev::Launch>(out, 21).empty());
  auto fwd = Forwarded(out);
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].status.task_id, model::TaskId("b"));
  EXPECT_EQ(fwd[0].status.state, TaskState::kLost);  // not PARTITION_AWARE
}

// ---------------------------------------------------------------------------------------------
// Kills

TEST_F(AgentTest, KillingAQueuedTaskKillsItDuringLaunchAndShutsItsExecutorDown) {
  StartRegistered();
  Run(CommandTask("t1"));
  Launched("t1");
  const model::ContainerId container = Container("t1");
  Output out = Kill("t1");
  auto fwd = Forwarded(out);
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].status.state, TaskState::kKilled);
  EXPECT_EQ(fwd[0].status.reason, TaskStatusReason::kTaskKilledDuringLaunch);
  EXPECT_EQ(fwd[0].status.source, model::TaskStatusSource::kAgent);
  EXPECT_EQ(fwd[0].status.executor_id, model::ExecutorId("t1"));
  EXPECT_EQ(Destroyed(out), (std::vector<std::string>{"t1/" + container.value()}));

  // A subscription racing the destruction gets nothing to run.
  out = Subscribe("t1", 11);
  EXPECT_EQ(EventNames(out, 11), std::vector<std::string>{"SUBSCRIBED"});

  out = Exited("t1", "terminated with signal Killed");
  EXPECT_TRUE(Forwarded(out).empty());
  EXPECT_TRUE(All<cmd::DestroyContainer>(out).empty());  // already asked for
  EXPECT_EQ(All<cmd::RemoveExecutor>(out).size(), 1u);
  EXPECT_EQ(All<cmd::RemoveTask>(Ack("t1", fwd[0].status.uuid)).size(), 1u);
  EXPECT_TRUE(agent_.tasks().empty());
}

TEST_F(AgentTest, KillingOneQueuedTaskOfACustomExecutorKeepsTheExecutorForTheOthers) {
  StartRegistered();
  model::ExecutorInfo e = CustomExecutor("exec-1");
  Run(CustomTask("a", e));
  Run(CustomTask("b", e));
  Output out = Kill("a");
  EXPECT_EQ(Forwarded(out).size(), 1u);
  EXPECT_TRUE(All<cmd::DestroyContainer>(out).empty());
  Launched("exec-1");
  out = Subscribe("exec-1", 21);
  auto launch = Events<eev::Launch>(out, 21);
  ASSERT_EQ(launch.size(), 1u);
  EXPECT_EQ(launch[0].task.task_id, model::TaskId("b"));
}

TEST_F(AgentTest, KillOfALaunchedTaskIsForwardedToItsExecutor) {
  StartRegistered();
  RunSubscribed("t1", 11);
  Update("t1", "t1", TaskState::kRunning, Uuid(1));
  Ack("t1", Uuid(1));
  model::KillPolicy policy{Duration::Seconds(7)};
  Output out = Kill("t1", policy);
  auto kills = Events<eev::Kill>(out, 11);
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_EQ(kills[0].task_id, model::TaskId("t1"));
  EXPECT_EQ(kills[0].kill_policy, policy);
  EXPECT_TRUE(Forwarded(out).empty());  // the executor reports the outcome

  auto fwd = Forwarded(Update("t1", "t1", TaskState::kKilled, Uuid(2)));
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].status.state, TaskState::kKilled);
  EXPECT_EQ(fwd[0].status.source, model::TaskStatusSource::kExecutor);
  EXPECT_TRUE(Forwarded(Exited("t1", "exited with status 0")).empty());
}

TEST_F(AgentTest, KillOfAnUnknownTaskIsAnsweredWithALostUpdate) {
  StartRegistered();
  auto fwd = Forwarded(Kill("ghost"));
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].status.task_id, model::TaskId("ghost"));
  EXPECT_EQ(fwd[0].status.state, TaskState::kLost);
  EXPECT_EQ(fwd[0].status.uuid.size(), 16u);
  EXPECT_TRUE(Forwarded(Kill("ghost")).empty());  // still on its way
  Ack("ghost", fwd[0].status.uuid);
  EXPECT_EQ(agent_.pending_updates(), 0u);
}

// ---------------------------------------------------------------------------------------------
// Executor failures

TEST_F(AgentTest, ExecutorExitFailsItsUnfinishedTasks) {
  struct Case {
    std::string name;
    bool kill_first;
    bool oom;
    TaskState state;
    TaskStatusReason reason;
  };
  const std::vector<Case> cases = {
      {"crash", false, false, TaskState::kFailed, TaskStatusReason::kExecutorTerminated},
      {"after a kill", true, false, TaskState::kKilled, TaskStatusReason::kExecutorTerminated},
      {"oom", false, true, TaskState::kFailed, TaskStatusReason::kContainerLimitationMemory},
      {"oom after a kill", true, true, TaskState::kFailed,
       TaskStatusReason::kContainerLimitationMemory},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    agent_ = Agent(AgentInfoOf(), AgentOptions{}, 7);
    StartRegistered();
    RunSubscribed("t1", 11);
    Update("t1", "t1", TaskState::kRunning, Uuid(1));
    Ack("t1", Uuid(1));
    if (c.kill_first) Kill("t1");
    Output out = Exited("t1", "terminated with signal Killed", c.oom, std::nullopt);
    auto fwd = Forwarded(out);
    ASSERT_EQ(fwd.size(), 1u);
    EXPECT_EQ(fwd[0].status.state, c.state);
    EXPECT_EQ(fwd[0].status.reason, c.reason);
    EXPECT_EQ(fwd[0].status.source, model::TaskStatusSource::kAgent);
    EXPECT_EQ(fwd[0].status.executor_id, model::ExecutorId("t1"));
    EXPECT_NE(fwd[0].status.uuid, Uuid(1));
    if (!c.oom) {
      EXPECT_EQ(fwd[0].status.message, "Executor terminated with signal Killed");
    }
    EXPECT_EQ(All<cmd::RemoveExecutor>(out).size(), 1u);
    EXPECT_EQ(Destroyed(out).size(), 1u);
    EXPECT_EQ(agent_.tasks().at(Key("t1")).state, c.state);
  }
}

TEST_F(AgentTest, LaunchLostWithABrokenStreamIsSentAgainOnResubscription) {
  StartRegistered();
  RunSubscribed("t1", 11);           // LAUNCH went out on stream 11...
  Do(in::ExecutorStreamClosed{11});  // ...which broke before the executor read it
  Output out = Subscribe("t1", 12);  // the executor knows no task
  EXPECT_EQ(EventNames(out, 12), (std::vector<std::string>{"SUBSCRIBED", "LAUNCH"}));
  // Once the executor reported on it, a resubscription without it does not relaunch it.
  Update("t1", "t1", TaskState::kStarting, Uuid(1));
  Do(in::ExecutorStreamClosed{12});
  EXPECT_EQ(EventNames(Subscribe("t1", 13), 13), std::vector<std::string>{"SUBSCRIBED"});
}

TEST_F(AgentTest, StoppingTheAgentKillsItsTasksWhenTheirContainersGo) {
  StartRegistered();
  RunSubscribed("t1", 11);
  Update("t1", "t1", TaskState::kRunning, Uuid(1));
  Ack("t1", Uuid(1));
  Run(CommandTask("t2"));  // queued: its executor never subscribed
  Output stop = Do(in::Stop{});
  auto killed = Forwarded(stop);
  ASSERT_EQ(killed.size(), 1u);
  EXPECT_EQ(killed[0].status.task_id, model::TaskId("t2"));
  EXPECT_EQ(killed[0].status.state, TaskState::kKilled);
  EXPECT_EQ(killed[0].status.reason, TaskStatusReason::kTaskKilledDuringLaunch);
  EXPECT_TRUE(Destroyed(stop).empty()) << "the shell destroys the containers itself";
  Output exited = Exited("t1", "killed: the agent stopped", false, std::nullopt);
  auto fwd = Forwarded(exited);
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].status.state, TaskState::kKilled);
  EXPECT_EQ(agent_.tasks().at(Key("t1")).state, TaskState::kKilled);
}

TEST_F(AgentTest, FailureReportedAfterAnOomKillIsTheContainersMemoryLimit) {
  StartRegistered();
  RunSubscribed("t1", 11);
  Update("t1", "t1", TaskState::kRunning, Uuid(1));
  Ack("t1", Uuid(1));
  in::FromExecutor call{
      api::ExecutorCall{model::ExecutorId("t1"), fw_id_,
                        ecall::Update{ExecutorStatus("t1", TaskState::kFailed, Uuid(2))}},
      0, /*container_oom=*/true};
  Output out = Do(call);
  EXPECT_EQ(out.http_status, 202);
  auto fwd = Forwarded(out);
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].status.state, TaskState::kFailed);
  EXPECT_EQ(fwd[0].status.reason, TaskStatusReason::kContainerLimitationMemory);
  EXPECT_TRUE(StartsWith(fwd[0].status.message, "Memory limit exceeded: "))
      << fwd[0].status.message;
  EXPECT_EQ(fwd[0].status.uuid, Uuid(2)) << "still the executor's update, acknowledged as such";
}

TEST_F(AgentTest, ExecutorExitAfterAnUnacknowledgedUpdateQueuesTheFailureBehindIt) {
  StartRegistered();
  RunSubscribed("t1", 11);
  Update("t1", "t1", TaskState::kRunning, Uuid(1));
  EXPECT_TRUE(Forwarded(Exited("t1")).empty());  // RUNNING is still the head
  EXPECT_EQ(States(Pending("t1")),
            (std::vector<TaskState>{TaskState::kRunning, TaskState::kFailed}));
  auto fwd = Forwarded(Ack("t1", Uuid(1)));
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].status.state, TaskState::kFailed);
  // A late call of the dead executor is refused: it is gone.
  EXPECT_EQ(Update("t1", "t1", TaskState::kRunning, Uuid(1)).http_status, 400);
  EXPECT_EQ(agent_.tasks().at(Key("t1")).state, TaskState::kFailed);
}

TEST_F(AgentTest, ExecutorThatDoesNotSubscribeInTimeIsDestroyedAndItsTasksFail) {
  StartRegistered();
  Run(CommandTask("t1"));
  Launched("t1");
  const model::ContainerId container = Container("t1");
  EXPECT_TRUE(DoesNothing(TickAt(kStart + Duration::Seconds(59))));
  Output out = TickAt(kStart + Duration::Minutes(1));
  auto fwd = Forwarded(out);
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].status.state, TaskState::kFailed);
  EXPECT_EQ(fwd[0].status.reason, TaskStatusReason::kExecutorRegistrationTimeout);
  EXPECT_EQ(fwd[0].status.message, "Executor did not register within 1mins");
  EXPECT_EQ(Destroyed(out), (std::vector<std::string>{"t1/" + container.value()}));

  // Too late: it gets nothing to run, and its updates do not revive the task.
  out = Subscribe("t1", 11);
  EXPECT_TRUE(Events<eev::Launch>(out, 11).empty());
  out = Update("t1", "t1", TaskState::kRunning, Uuid(1));
  EXPECT_TRUE(Forwarded(out).empty());
  EXPECT_EQ(agent_.tasks().at(Key("t1")).state, TaskState::kFailed);

  out = Exited("t1", "terminated with signal Killed");
  EXPECT_TRUE(Forwarded(out).empty());
  EXPECT_EQ(All<cmd::RemoveExecutor>(out).size(), 1u);
}

TEST_F(AgentTest, ContainerLaunchFailureFailsItsTasks) {
  StartRegistered();
  Run(CommandTask("t1"));
  Output out = Do(in::ExecutorLaunchFailed{fw_id_, model::ExecutorId("t1"), Container("t1"),
                                           "Failed to fetch URIs: 404"});
  auto fwd = Forwarded(out);
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].status.state, TaskState::kFailed);
  EXPECT_EQ(fwd[0].status.reason, TaskStatusReason::kContainerLaunchFailed);
  EXPECT_EQ(fwd[0].status.message, "Failed to fetch URIs: 404");
  EXPECT_EQ(All<cmd::RemoveExecutor>(out).size(), 1u);
  EXPECT_TRUE(ToMaster<amsg::ExecutorExited>(out).empty());
  EXPECT_TRUE(agent_.executors().empty());
  EXPECT_EQ(WakeAt(out), now_ + Duration::Seconds(10));  // the retry, no registration deadline
  // A stale report about another container of the same executor id changes nothing.
  EXPECT_TRUE(DoesNothing(Do(
      in::ExecutorLaunchFailed{fw_id_, model::ExecutorId("t1"), model::ContainerId("old"), "x"})));
}

TEST_F(AgentTest, CustomExecutorLaunchFailureIsReportedToTheMaster) {
  // The master charges a custom executor's resources until it hears the executor is gone.
  StartRegistered();
  Run(CustomTask("a", CustomExecutor("exec-1")));
  Output out = Do(in::ExecutorLaunchFailed{fw_id_, model::ExecutorId("exec-1"), Container("exec-1"),
                                           "exec: No such file"});
  EXPECT_EQ(Forwarded(out).size(), 1u);
  auto exited = ToMaster<amsg::ExecutorExited>(out);
  ASSERT_EQ(exited.size(), 1u);
  EXPECT_EQ(exited[0].executor_id, model::ExecutorId("exec-1"));
}

// ---------------------------------------------------------------------------------------------
// Shutdown

TEST_F(AgentTest, ShutdownFrameworkStopsItsExecutorsAndDestroysThemAfterTheGracePeriod) {
  StartRegistered();
  RunSubscribed("t1", 11);
  model::ExecutorInfo e = CustomExecutor("exec-1");
  e.shutdown_grace_period = Duration::Seconds(20);
  Run(CustomTask("a", e));
  Launched("exec-1");
  Subscribe("exec-1", 21);
  Run(CommandTask("t3"));  // never subscribes
  const model::ContainerId c1 = Container("t1"), c2 = Container("exec-1"), c3 = Container("t3");

  const Timestamp t0 = now_;
  Output out = FromMaster(mmsg::ShutdownFramework{fw_id_});
  EXPECT_EQ(EventNames(out, 11), std::vector<std::string>{"SHUTDOWN"});
  EXPECT_EQ(EventNames(out, 21), std::vector<std::string>{"SHUTDOWN"});
  // The queued task is killed and its executor, not subscribed, destroyed at once.
  auto fwd = Forwarded(out);
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].status.task_id, model::TaskId("t3"));
  EXPECT_EQ(fwd[0].status.reason, TaskStatusReason::kTaskKilledDuringLaunch);
  EXPECT_EQ(Destroyed(out), (std::vector<std::string>{"t3/" + c3.value()}));
  EXPECT_EQ(WakeAt(out), t0 + Duration::Seconds(5));
  Ack("t3", fwd[0].status.uuid);

  EXPECT_TRUE(DoesNothing(TickAt(t0 + Duration::Milliseconds(4999))));
  out = TickAt(t0 + Duration::Seconds(5));  // the default grace, for the command executor
  EXPECT_EQ(Destroyed(out), (std::vector<std::string>{"t1/" + c1.value()}));
  EXPECT_EQ(WakeAt(out), t0 + Duration::Seconds(20));
  out = TickAt(t0 + Duration::Seconds(20));  // ExecutorInfo.shutdown_grace_period
  EXPECT_EQ(Destroyed(out), (std::vector<std::string>{"exec-1/" + c2.value()}));

  fwd = Forwarded(Exited("t1", "terminated with signal Killed"));
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].status.state, TaskState::kKilled);
  EXPECT_EQ(fwd[0].status.reason, TaskStatusReason::kExecutorTerminated);
}

TEST_F(AgentTest, ShutdownExecutorThatExitsWithinTheGraceIsNotDestroyedAgain) {
  StartRegistered();
  RunSubscribed("t1", 11);
  Output out = FromMaster(mmsg::ShutdownExecutor{fw_id_, model::ExecutorId("t1")});
  EXPECT_EQ(EventNames(out, 11), std::vector<std::string>{"SHUTDOWN"});
  EXPECT_TRUE(All<cmd::DestroyContainer>(out).empty());
  Update("t1", "t1", TaskState::kKilled, Uuid(1));
  out = Exited("t1", "exited with status 0");
  EXPECT_TRUE(Forwarded(out).empty());                    // its own TASK_KILLED stands
  EXPECT_EQ(All<cmd::DestroyContainer>(out).size(), 1u);  // cleanup of the cgroups
  EXPECT_TRUE(All<cmd::DestroyContainer>(TickAt(now_ + Duration::Seconds(5))).empty());
  EXPECT_TRUE(agent_.executors().empty());
}

TEST_F(AgentTest, ResubscriptionDuringShutdownIsToldToShutDownAgain) {
  StartRegistered();
  RunSubscribed("t1", 11);
  FromMaster(mmsg::ShutdownExecutor{fw_id_, model::ExecutorId("t1")});
  Do(in::ExecutorStreamClosed{11});
  Output out = Subscribe("t1", 12);
  EXPECT_EQ(EventNames(out, 12), (std::vector<std::string>{"SUBSCRIBED", "SHUTDOWN"}));
}

// ---------------------------------------------------------------------------------------------
// Recovery after an agent restart

class AgentRecoveryTest : public AgentTest {
 protected:
  // A checkpointing framework with command task t1 RUNNING on a live executor.
  CheckpointBuilder RunningTask(bool checkpoint = true) {
    CheckpointBuilder cp;
    cp.Framework(fw_id_, Framework("web", checkpoint))
        .Executor(fw_id_, CommandTask("t1"), 4242)
        .Task(fw_id_, CommandTask("t1"), TaskState::kRunning, true);
    return cp;
  }
};

TEST_F(AgentRecoveryTest, RecoveredExecutorMustResubscribeBeforeTheAgentRegisters) {
  Output out = Do(in::Recover{RunningTask().state()});
  EXPECT_TRUE(agent_.recovering());
  EXPECT_TRUE(All<cmd::DestroyContainer>(out).empty());
  EXPECT_EQ(WakeAt(out), kStart + Duration::Seconds(2));
  EXPECT_EQ(agent_.info().id, model::AgentId("S1"));
  EXPECT_TRUE(ToMaster<amsg::Register>(Do(in::MasterConnected{})).empty());
  EXPECT_TRUE(DoesNothing(TickAt(kStart + Duration::Seconds(1))));

  out = Subscribe("t1", 11);
  EXPECT_EQ(out.http_status, 200);
  EXPECT_EQ(EventNames(out, 11), std::vector<std::string>{"SUBSCRIBED"});  // no second LAUNCH
  EXPECT_FALSE(agent_.recovering());
  auto regs = ToMaster<amsg::Register>(out);
  ASSERT_EQ(regs.size(), 1u);
  EXPECT_EQ(regs[0].info.id, model::AgentId("S1"));
  ASSERT_EQ(regs[0].tasks.size(), 1u);
  EXPECT_EQ(regs[0].tasks[0].state, TaskState::kRunning);
  ASSERT_EQ(regs[0].frameworks.size(), 1u);
  EXPECT_EQ(regs[0].frameworks[0].id, fw_id_);
  EXPECT_TRUE(All<cmd::DestroyContainer>(TickAt(kStart + Duration::Seconds(2))).empty());
}

TEST_F(AgentRecoveryTest, RecoveredExecutorThatDoesNotResubscribeIsDestroyedAndItsTasksFail) {
  Do(in::Recover{RunningTask().state()});
  Do(in::MasterConnected{});
  Output out = TickAt(kStart + Duration::Seconds(2));
  EXPECT_EQ(All<cmd::DestroyContainer>(out).size(), 1u);
  EXPECT_TRUE(Forwarded(out).empty());  // not registered yet
  auto pending = Pending("t1");
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].state, TaskState::kFailed);
  EXPECT_EQ(pending[0].reason, TaskStatusReason::kExecutorReregistrationTimeout);
  EXPECT_EQ(pending[0].message, "Executor did not re-register within 2secs");
  auto regs = ToMaster<amsg::Register>(out);
  ASSERT_EQ(regs.size(), 1u);
  EXPECT_EQ(regs[0].tasks[0].state, TaskState::kFailed);

  auto fwd = Forwarded(FromMaster(mmsg::Registered{model::AgentId("S1"), Duration::Hours(1)}));
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].status.reason, TaskStatusReason::kExecutorReregistrationTimeout);
  EXPECT_TRUE(
      Forwarded(Exited("t1", "terminated with signal Killed", false, std::nullopt)).empty());
}

TEST_F(AgentRecoveryTest, ResubscriptionDeliversUnacknowledgedUpdatesExactlyOnce) {
  CheckpointBuilder cp = RunningTask();
  cp.Updates(fw_id_, "t1", {ExecutorStatus("t1", TaskState::kRunning, Uuid(1))});
  Do(in::Recover{cp.state()});
  Do(in::MasterConnected{});
  ecall::Subscribe sub;
  sub.unacknowledged_updates = {{ExecutorStatus("t1", TaskState::kRunning, Uuid(1))},
                                {ExecutorStatus("t1", TaskState::kFinished, Uuid(2))}};
  Output out = Subscribe("t1", 11, sub);
  auto acks = Events<eev::Acknowledged>(out, 11);
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[0].uuid, Uuid(1));
  EXPECT_EQ(acks[1].uuid, Uuid(2));
  EXPECT_EQ(States(Pending("t1")),
            (std::vector<TaskState>{TaskState::kRunning, TaskState::kFinished}));
  EXPECT_TRUE(Forwarded(out).empty());
  ASSERT_EQ(ToMaster<amsg::Register>(out).size(), 1u);

  auto fwd = Forwarded(FromMaster(mmsg::Registered{model::AgentId("S1"), Duration::Hours(1)}));
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].status.uuid, Uuid(1));
  EXPECT_EQ(fwd[0].latest_state, TaskState::kFinished);
  fwd = Forwarded(Ack("t1", Uuid(1)));
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].status.uuid, Uuid(2));
  EXPECT_EQ(All<cmd::RemoveTask>(Ack("t1", Uuid(2))).size(), 1u);
}

TEST_F(AgentRecoveryTest, TasksTheExecutorAlreadyHasAreNotLaunchedAgain) {
  model::ExecutorInfo e = CustomExecutor("exec-1");
  CheckpointBuilder cp;
  cp.Framework(fw_id_, Framework("web"))
      .Executor(fw_id_, CustomTask("a", e), 4242)
      .Task(fw_id_, CustomTask("a", e), TaskState::kStaging, false)
      .Task(fw_id_, CustomTask("b", e), TaskState::kStaging, false);
  Do(in::Recover{cp.state()});
  ecall::Subscribe sub;
  sub.unacknowledged_tasks = {CustomTask("a", e)};
  Output out = Subscribe("exec-1", 21, sub);
  auto launch = Events<eev::Launch>(out, 21);
  ASSERT_EQ(launch.size(), 1u);
  EXPECT_EQ(launch[0].task.task_id, model::TaskId("b"));
  EXPECT_TRUE(agent_.tasks().at(Key("a")).launched);
  EXPECT_TRUE(agent_.tasks().at(Key("b")).launched);
}

TEST_F(AgentRecoveryTest, PendingUpdatesFromTheCheckpointAreForwardedOnceRegistered) {
  CheckpointBuilder cp;
  cp.Framework(fw_id_, Framework("web"))
      .Task(fw_id_, CommandTask("t1"), TaskState::kFinished, true)
      .Updates(fw_id_, "t1",
               {ExecutorStatus("t1", TaskState::kRunning, Uuid(1)),
                ExecutorStatus("t1", TaskState::kFinished, Uuid(2))});
  Output out = Do(in::Recover{cp.state()});
  EXPECT_FALSE(agent_.recovering());  // no executor to wait for
  EXPECT_TRUE(Forwarded(out).empty());
  out = Do(in::MasterConnected{});
  EXPECT_TRUE(Forwarded(out).empty());
  auto regs = ToMaster<amsg::Register>(out);
  ASSERT_EQ(regs.size(), 1u);
  EXPECT_EQ(regs[0].tasks[0].state, TaskState::kFinished);

  auto fwd = Forwarded(FromMaster(mmsg::Registered{model::AgentId("S1"), Duration::Hours(1)}));
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].status.uuid, Uuid(1));
  EXPECT_EQ(fwd[0].latest_state, TaskState::kFinished);
  // Retried like any other head.
  EXPECT_EQ(Forwarded(TickAt(now_ + Duration::Seconds(10))).size(), 1u);
  EXPECT_EQ(Forwarded(Ack("t1", Uuid(1)))[0].status.uuid, Uuid(2));
  EXPECT_EQ(All<cmd::RemoveTask>(Ack("t1", Uuid(2))).size(), 1u);
}

TEST_F(AgentRecoveryTest, NonCheckpointingFrameworksExecutorIsDestroyed) {
  CheckpointBuilder cp = RunningTask(/*checkpoint=*/false);
  cp.Task(fw_id_, CommandTask("t2"), TaskState::kStaging, false);
  // t2 is queued on t1's executor, to watch a racing subscription.
  CheckpointedState state = cp.state();
  state.tasks.back().executor_id = model::ExecutorId("t1");
  Output out = Do(in::Recover{state});
  EXPECT_EQ(All<cmd::DestroyContainer>(out).size(), 1u);
  EXPECT_FALSE(agent_.recovering());
  EXPECT_EQ(ToMaster<amsg::Register>(Do(in::MasterConnected{})).size(), 1u);

  // Its subscription may race the kill; it gets nothing to run.
  out = Subscribe("t1", 11);
  EXPECT_TRUE(Events<eev::Launch>(out, 11).empty());
  // Nor is it reported running again.
  EXPECT_TRUE(Forwarded(Update("t1", "t1", TaskState::kRunning, Uuid(5))).empty());
  EXPECT_EQ(agent_.pending_updates(), 0u);

  out = Exited("t1", "terminated with signal Killed", false, std::nullopt);
  auto pending = Pending("t1");
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_TRUE(model::IsTerminal(pending[0].state));
  EXPECT_TRUE(model::IsTerminal(agent_.tasks().at(Key("t2")).state));
  EXPECT_TRUE(agent_.executors().empty());
}

TEST_F(AgentRecoveryTest, ExecutorThatNeverStartedIsGivenUpAtOnce) {
  // LaunchExecutor was issued but the agent stopped before the pid was checkpointed: there is
  // no process to wait for, so no ExecutorExited will ever come.
  CheckpointBuilder cp;
  cp.Framework(fw_id_, Framework("web"))
      .Executor(fw_id_, CommandTask("t1"), std::nullopt)
      .Task(fw_id_, CommandTask("t1"), TaskState::kStaging, false);
  Output out = Do(in::Recover{cp.state()});
  EXPECT_EQ(All<cmd::DestroyContainer>(out).size(), 1u);  // whatever was created
  EXPECT_EQ(All<cmd::RemoveExecutor>(out).size(), 1u);
  EXPECT_TRUE(agent_.executors().empty());
  auto pending = Pending("t1");
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].state, TaskState::kFailed);
  EXPECT_FALSE(agent_.recovering());
  Do(in::MasterConnected{});
  EXPECT_EQ(Forwarded(FromMaster(mmsg::Registered{model::AgentId("S1")})).size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Timers

TEST_F(AgentTest, WakeAtIsAlwaysTheEarliestDeadline) {
  Do(in::Recover{});
  Do(in::MasterConnected{});
  Output out = FromMaster(mmsg::Registered{model::AgentId("S1"), Duration::Seconds(15)});
  const Timestamp t0 = now_;
  EXPECT_EQ(WakeAt(out), t0 + Duration::Seconds(15));  // heartbeat

  now_ = t0 + Duration::Seconds(1);
  out = Run(CommandTask("t1"));  // registration deadline at 61 s
  EXPECT_EQ(WakeAt(out), t0 + Duration::Seconds(15));
  Launched("t1");
  now_ = t0 + Duration::Seconds(2);
  Subscribe("t1", 11);
  now_ = t0 + Duration::Seconds(8);
  out = Update("t1", "t1", TaskState::kRunning, Uuid(1));  // retry at 18 s
  EXPECT_EQ(WakeAt(out), t0 + Duration::Seconds(15));
  out = TickAt(t0 + Duration::Seconds(15));  // heartbeat; next at 30 s
  EXPECT_EQ(ToMaster<amsg::Heartbeat>(out).size(), 1u);
  EXPECT_EQ(WakeAt(out), t0 + Duration::Seconds(18));
  out = TickAt(t0 + Duration::Seconds(18));  // retry; next at 38 s
  EXPECT_EQ(Forwarded(out).size(), 1u);
  EXPECT_EQ(WakeAt(out), t0 + Duration::Seconds(30));
  now_ = t0 + Duration::Seconds(20);
  out = FromMaster(mmsg::ShutdownExecutor{fw_id_, model::ExecutorId("t1")});  // destroy at 25 s
  EXPECT_EQ(WakeAt(out), t0 + Duration::Seconds(25));
  out = TickAt(t0 + Duration::Seconds(25));
  EXPECT_EQ(All<cmd::DestroyContainer>(out).size(), 1u);
  EXPECT_EQ(WakeAt(out), t0 + Duration::Seconds(30));
}

TEST_F(AgentTest, MasterShutdownStopsExecutorsAndRegistration) {
  StartRegistered();
  RunSubscribed("t1", 11);
  Output out = FromMaster(mmsg::Shutdown{"Agent has been marked gone"});
  EXPECT_TRUE(agent_.shut_down());
  EXPECT_EQ(EventNames(out, 11), std::vector<std::string>{"SHUTDOWN"});
  Do(in::MasterDisconnected{});
  EXPECT_TRUE(ToMaster<amsg::Register>(Do(in::MasterConnected{})).empty());
}

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
}  // namespace atl::agent
