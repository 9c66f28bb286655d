// Specification of the real agent's state machine (core/agent/agent.h, reference/mesos.md §2,
// §4.3, §8): registration, command and custom executors, the executor API, reliable status
// updates, kills, executor failures, shutdown, timers. Recovery is in agent_recovery_test.cc,
// random input sequences in agent_property_test.cc.
#include "core/model/http_lifecycle.h"
#include "tests/agent/agent_test_util.h"

namespace atl::agent::test_util {
namespace {

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

TEST_F(AgentTest, ACommandTaskWithAnHttpLifecycleGetsTimeForItBeforeItsContainerGoes) {
  StartRegistered();
  model::HttpLifecycle lifecycle;
  lifecycle.port = 31001;
  model::TaskInfo plain = CommandTask("t1");
  plain.labels = model::HttpLifecycleLabels(lifecycle);
  auto launches = All<cmd::LaunchExecutor>(Run(plain));
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].executor.info.shutdown_grace_period, Duration::Seconds(5 + 12))
      << "the agent's default grace plus the lifecycle's two POSTs and waits";

  model::TaskInfo with_policy = CommandTask("t2");
  with_policy.kill_policy = model::KillPolicy{Duration::Seconds(10)};
  with_policy.labels = plain.labels;
  launches = All<cmd::LaunchExecutor>(Run(with_policy));
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].executor.info.shutdown_grace_period, Duration::Seconds(10 + 2 + 12));

  launches = All<cmd::LaunchExecutor>(Run(CommandTask("t3")));
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].executor.info.shutdown_grace_period, std::nullopt)
      << "neither: the agent's default";
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

}  // namespace
}  // namespace atl::agent::test_util
