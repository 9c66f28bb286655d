// The real agent after a restart (reference/mesos.md §8.3): recovered executors must
// re-subscribe before the agent registers, their unacknowledged updates are delivered once, and
// what cannot be recovered is destroyed.
#include "tests/agent/agent_test_util.h"

namespace atl::agent::test_util {
namespace {

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

}  // namespace
}  // namespace atl::agent::test_util
