// Deterministic simulations of the offer engine. Tasks: launch, status updates and
// acknowledgements, reconciliation, kill, executors, messages. Every test also checks the master's
// safety invariants after every event (SimCluster::violations).
#include <gtest/gtest.h>

#include "tests/sim/sim_test_util.h"

namespace atl::sim {
namespace {

using namespace ::atl::sim::testing;  // NOLINT: the simulation vocabulary

TEST(MasterSim, LaunchedTaskRunsAndUpdatesAreAcknowledged) {
  SimCluster c(Opts(1));
  int launched = 0;
  auto& fw = c.AddFramework(Info("a"));
  Greedy(c, fw, 1, "cpus:1;mem:128", &launched);
  ASSERT_TRUE(c.RunUntil([&] { return RunningTasks(c, fw) == 1; }));
  std::vector<TaskState> states;
  for (const auto& s : fw.Updates()) {
    states.push_back(s.state);
    EXPECT_EQ(s.uuid.size(), 16u);
    EXPECT_EQ(s.source, model::TaskStatusSource::kExecutor);
  }
  EXPECT_EQ(states, (std::vector<TaskState>{TaskState::kStarting, TaskState::kRunning}));
  c.RunFor(Duration::Seconds(1));
  EXPECT_EQ(c.agent(0).pending_updates(), 0u);
  const master::Task* t = c.master().FindTask(*fw.id, model::TaskId("a-0"));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->state, TaskState::kRunning);
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
}

TEST(MasterSim, ReconcileAnswersEveryCase) {
  SimCluster c(Opts(2));
  int launched = 0;
  auto& fw = c.AddFramework(Info("a"));
  Greedy(c, fw, 1, "cpus:1", &launched);
  ASSERT_TRUE(c.RunUntil([&] { return RunningTasks(c, fw) == 1; }));
  fw.on_event = nullptr;
  const master::Task* t = c.master().FindTask(*fw.id, model::TaskId("a-0"));
  ASSERT_NE(t, nullptr);
  model::AgentId task_agent = t->agent_id;
  model::AgentId other_agent;
  for (const auto& [id, a] : c.master().agents()) {
    if (id != task_agent) other_agent = id;
  }
  fw.events.clear();
  api::call::Reconcile rec;
  rec.tasks = {{model::TaskId("a-0"), task_agent},
               {model::TaskId("nope"), other_agent},
               {model::TaskId("nope2"), model::AgentId("no-such-agent")},
               {model::TaskId("nope3"), std::nullopt}};
  EXPECT_EQ(c.Call(fw, rec), 202);
  c.RunFor(Duration::Milliseconds(1));
  auto u = fw.Updates();
  ASSERT_EQ(u.size(), 4u);
  EXPECT_EQ(u[0].state, TaskState::kRunning);
  EXPECT_EQ(u[0].reason, TaskStatusReason::kReconciliation);
  EXPECT_TRUE(u[0].uuid.empty());
  EXPECT_EQ(u[1].state, TaskState::kGone);
  EXPECT_EQ(u[2].state, TaskState::kUnknown);
  EXPECT_EQ(u[3].state, TaskState::kUnknown);

  fw.events.clear();
  EXPECT_EQ(c.Call(fw, api::call::Reconcile{}), 202);
  c.RunFor(Duration::Milliseconds(1));
  ASSERT_EQ(fw.Updates().size(), 1u);
  EXPECT_EQ(fw.Updates()[0].task_id.value(), "a-0");
}

TEST(MasterSim, KillAndTeardown) {
  SimCluster c(Opts(1));
  int launched = 0;
  auto& fw = c.AddFramework(Info("a"));
  Greedy(c, fw, 2, "cpus:1", &launched);
  ASSERT_TRUE(c.RunUntil([&] { return RunningTasks(c, fw) == 2; }));
  EXPECT_EQ(c.Call(fw, api::call::Kill{model::TaskId("a-0"), std::nullopt, std::nullopt}), 202);
  c.RunFor(Duration::Seconds(1));
  EXPECT_EQ(fw.Updates().back().state, TaskState::kKilled);
  EXPECT_EQ(c.master().task_count(), 1u);  // acknowledged terminal tasks are forgotten
  // Killing an unknown task answers like reconciliation.
  c.Call(fw, api::call::Kill{model::TaskId("ghost"), std::nullopt, std::nullopt});
  c.RunFor(Duration::Milliseconds(1));
  EXPECT_EQ(fw.Updates().back().task_id.value(), "ghost");
  EXPECT_EQ(fw.Updates().back().state, TaskState::kUnknown);

  EXPECT_EQ(c.Call(fw, api::call::Teardown{}), 202);
  c.RunFor(Duration::Seconds(1));
  EXPECT_TRUE(fw.closed);
  EXPECT_EQ(c.master().task_count(), 0u);
  EXPECT_EQ(c.agent(0).TaskStateOf(model::FrameworkId(c.master().completed_frameworks()[0].id),
                                   model::TaskId("a-1")),
            std::nullopt);  // killed, then acknowledged on the removed framework's behalf
  EXPECT_EQ(c.master().allocator().Available(c.master().agents().begin()->first).GetScalar("cpus"),
            model::Scalar::FromDouble(4));
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
}

TEST(MasterSim, MessagesReachExecutorsAndShutdownKillsTheirTasks) {
  SimCluster c(Opts(1));
  int launched = 0;
  auto& fw = c.AddFramework(Info("a"));
  Greedy(c, fw, 2, "cpus:1", &launched);
  ASSERT_TRUE(c.RunUntil([&] { return RunningTasks(c, fw) == 2; }));
  model::AgentId agent = c.master().agents().begin()->first;
  // The command executor's id is the task id; simulated executors echo what they get.
  EXPECT_EQ(c.Call(fw, api::call::Message{agent, model::ExecutorId("a-0"), "ping"}), 202);
  c.RunFor(Duration::Milliseconds(1));
  ASSERT_EQ(fw.CountEvents("MESSAGE"), 1u);
  const auto& m = std::get<api::event::Message>(fw.events.back().body);
  EXPECT_EQ(m.data, "ping");
  EXPECT_EQ(m.agent_id, agent);
  EXPECT_EQ(c.Call(fw, api::call::Shutdown{model::ExecutorId("a-1"), agent}), 202);
  c.RunFor(Duration::Seconds(1));
  EXPECT_EQ(fw.Updates().back().task_id.value(), "a-1");
  EXPECT_EQ(fw.Updates().back().state, TaskState::kKilled);
  EXPECT_EQ(RunningTasks(c, fw), 1u);
}

TEST(MasterSim, ReconcileNeverOvertakesAnUnacknowledgedUpdate) {
  SimCluster c(Opts(1));
  auto& fw = c.AddFramework(Info("a"));
  c.RunFor(Duration::Seconds(1));
  model::Offer offer = fw.live_offers.begin()->second;
  c.Accept(fw, {offer.id},
           {SimCluster::LaunchOp({SimCluster::MakeTask("t", offer, "cpus:1", "sim:finish")})});
  c.RunFor(Duration::Seconds(11));
  // STARTING was forwarded (and retried) without acknowledgement; the retry told the master
  // that the agent already knows FINISHED (its latest state).
  ASSERT_EQ(fw.Updates().size(), 2u);
  EXPECT_EQ(fw.Updates()[1].state, TaskState::kStarting);
  ASSERT_EQ(c.master().FindTask(*fw.id, model::TaskId("t"))->state, TaskState::kFinished);
  fw.events.clear();
  c.Call(fw, api::call::Reconcile{{{model::TaskId("t"), std::nullopt}}});
  c.RunFor(Duration::Milliseconds(1));
  ASSERT_EQ(fw.Updates().size(), 1u);
  EXPECT_EQ(fw.Updates()[0].state, TaskState::kStarting);
}

TEST(MasterSim, ACustomExecutorIsChargedOnceAndReleasedWhenItExits) {
  SimCluster c(Opts(1));
  auto& fw = c.AddFramework(Info("a"));
  fw.on_event = [&c](SimCluster::Framework& f, const api::Event& e) {
    SimCluster::AutoAcknowledge(c, f, e);
  };
  c.RunFor(Duration::Seconds(1));
  model::Offer offer = fw.live_offers.begin()->second;
  model::ExecutorInfo exec;
  exec.type = model::ExecutorInfo::Type::kCustom;
  exec.executor_id = model::ExecutorId("shared-exec");
  model::CommandInfo cmd;
  cmd.value = "./my-executor";
  exec.command = cmd;
  exec.resources = *model::Resources::Parse("cpus:0.5;mem:64");
  if (offer.allocation_role) exec.resources = exec.resources.AllocatedTo(*offer.allocation_role);
  auto on_exec = [&](const std::string& id) {
    model::TaskInfo t = SimCluster::MakeTask(id, offer, "cpus:1;mem:128");
    t.command.reset();
    t.executor = exec;
    return t;
  };
  // Two tasks on one executor: 2 x 1 cpu + the executor's 0.5 once.
  c.Accept(fw, {offer.id}, {SimCluster::LaunchOp({on_exec("e1"), on_exec("e2")})}, 3600);
  c.RunFor(Duration::Seconds(1));
  const model::AgentId agent = offer.agent_id;
  EXPECT_EQ(c.master().UsedResources(c.master().agents().at(agent)).GetScalar("cpus"),
            model::Scalar::FromDouble(2.5));
  // The next offer names the running executor.
  c.Call(fw, api::call::Revive{});
  c.RunFor(Duration::Milliseconds(1));
  ASSERT_EQ(fw.live_offers.size(), 1u);
  EXPECT_EQ(fw.live_offers.begin()->second.executor_ids,
            std::vector<model::ExecutorId>{model::ExecutorId("shared-exec")});
  c.Call(fw, api::call::Kill{model::TaskId("e1"), std::nullopt, std::nullopt});
  c.RunFor(Duration::Seconds(1));
  EXPECT_EQ(c.master().UsedResources(c.master().agents().at(agent)).GetScalar("cpus"),
            model::Scalar::FromDouble(1.5));  // e2 + the executor
  EXPECT_EQ(fw.CountEvents("FAILURE"), 0u);
  c.Call(fw, api::call::Kill{model::TaskId("e2"), std::nullopt, std::nullopt});
  c.RunFor(Duration::Seconds(1));
  EXPECT_EQ(c.master().UsedResources(c.master().agents().at(agent)).GetScalar("cpus"),
            model::Scalar::FromDouble(0));  // the executor exited with its last task
  EXPECT_EQ(fw.CountEvents("FAILURE"), 1u);
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
}

TEST(MasterSim, UpdatesMissedWhileDisconnectedArriveAfterResubscribing) {
  SimCluster c(Opts(1));
  auto& fw = c.AddFramework(Info("a"));
  c.RunFor(Duration::Seconds(1));
  model::Offer offer = fw.live_offers.begin()->second;
  c.Accept(fw, {offer.id}, {SimCluster::LaunchOp({SimCluster::MakeTask("t", offer, "cpus:1")})});
  c.CloseStream(fw);  // before any update could be delivered
  c.RunFor(Duration::Seconds(5));
  fw.events.clear();
  c.Resubscribe(fw);
  fw.on_event = [&c](SimCluster::Framework& f, const api::Event& e) {
    SimCluster::AutoAcknowledge(c, f, e);
  };
  c.RunFor(Duration::Seconds(30));  // the agent's retry (10 s, then 20 s) delivers them
  std::vector<TaskState> states;
  for (const auto& s : fw.Updates()) states.push_back(s.state);
  EXPECT_EQ(states, (std::vector<TaskState>{TaskState::kStarting, TaskState::kRunning}));
  EXPECT_EQ(c.agent(0).pending_updates(), 0u);
}

TEST(MasterSim, UnacknowledgedUpdatesAreRetriedWithBackoff) {
  SimCluster c(Opts(1));
  auto& fw = c.AddFramework(Info("a"));
  c.RunFor(Duration::Seconds(1));
  model::Offer offer = fw.live_offers.begin()->second;
  c.Accept(fw, {offer.id}, {SimCluster::LaunchOp({SimCluster::MakeTask("t", offer, "cpus:1")})});
  c.RunFor(Duration::Seconds(1));
  ASSERT_EQ(fw.Updates().size(), 1u);  // STARTING; RUNNING waits for its ack
  c.RunFor(Duration::Seconds(10));
  ASSERT_EQ(fw.Updates().size(), 2u);  // retried after 10 s
  EXPECT_EQ(fw.Updates()[1].state, TaskState::kStarting);
  EXPECT_EQ(fw.Updates()[1].uuid, fw.Updates()[0].uuid);
  c.RunFor(Duration::Seconds(20));
  EXPECT_EQ(fw.Updates().size(), 3u);  // then after 20 s
  auto s = fw.Updates().back();
  c.Call(fw, api::call::Acknowledge{*s.agent_id, s.task_id, s.uuid});
  c.RunFor(Duration::Milliseconds(1));
  EXPECT_EQ(fw.Updates().back().state, TaskState::kRunning);
}

}  // namespace
}  // namespace atl::sim
