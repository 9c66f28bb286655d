// Deterministic simulations of the offer engine. Failures: framework failover, agent disconnects,
// partitions, re-registration, master restarts, and a randomised workload. Every test also checks
// the master's safety invariants after every event (SimCluster::violations).
#include <gtest/gtest.h>

#include "tests/sim/sim_test_util.h"

namespace atl::sim {
namespace {

using namespace ::atl::sim::testing;  // NOLINT: the simulation vocabulary

TEST(MasterSim, FrameworkFailoverKeepsTasksAndATimeoutTearsDown) {
  SimCluster c(Opts(1));
  int launched = 0;
  auto& fw = c.AddFramework(Info("a", {"*"}, /*failover=*/60));
  Greedy(c, fw, 2, "cpus:1", &launched);
  ASSERT_TRUE(c.RunUntil([&] { return RunningTasks(c, fw) == 2; }));
  model::FrameworkId id = *fw.id;
  c.CloseStream(fw);
  c.RunFor(Duration::Seconds(30));
  EXPECT_EQ(c.master().task_count(), 2u);
  c.Resubscribe(fw);
  c.RunFor(Duration::Seconds(1));
  EXPECT_TRUE(fw.subscribed);
  EXPECT_EQ(*fw.id, id);
  EXPECT_EQ(c.master().task_count(), 2u);

  c.CloseStream(fw);
  c.RunFor(Duration::Seconds(61));
  EXPECT_TRUE(c.master().frameworks().empty());
  ASSERT_EQ(c.master().completed_frameworks().size(), 1u);
  EXPECT_EQ(c.master().task_count(), 0u);
  // The agent killed the tasks; the master acknowledged the KILLED updates on the removed
  // framework's behalf, so the agent forgot them.
  EXPECT_EQ(c.agent(0).task_count(), 0u);
  EXPECT_EQ(c.agent(0).pending_updates(), 0u);
  // A removed framework cannot come back.
  c.Resubscribe(fw);
  c.RunFor(Duration::Milliseconds(1));
  EXPECT_EQ(api::EventTypeName(fw.events.back().body), "ERROR");
  EXPECT_TRUE(fw.closed);
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
}

TEST(MasterSim, ResubscribingWhileConnectedFailsTheOldStreamOver) {
  SimCluster c(Opts(1));
  auto& fw = c.AddFramework(Info("a"));
  c.RunFor(Duration::Seconds(1));
  master::ConnId old_conn = fw.conn;
  std::string old_stream = fw.stream_id;
  size_t old_events = fw.events.size();
  // Re-subscribe on a new stream: the old one gets ERROR and is closed.
  SimCluster::Framework copy = fw;
  c.Resubscribe(fw);
  c.RunFor(Duration::Seconds(1));
  EXPECT_NE(fw.conn, old_conn);
  EXPECT_NE(fw.stream_id, old_stream);
  bool saw_error = false;
  for (size_t i = old_events; i < fw.events.size(); ++i) {
    if (const auto* e = std::get_if<api::event::Error>(&fw.events[i].body)) {
      saw_error = e->message == "Framework failed over";
    }
  }
  EXPECT_TRUE(saw_error);
  EXPECT_TRUE(fw.subscribed);
  EXPECT_EQ(fw.live_offers.size(), 1u);  // offers regenerated for the new stream
  (void)copy;
}

TEST(MasterSim, UnreachableAgentTasksComeBackWhenItReregisters) {
  SimCluster::Options o = Opts(1);
  o.master.agent_reregister_timeout = Duration::Seconds(30);
  SimCluster c(o);
  int la = 0, lb = 0;
  auto& aware = c.AddFramework(Info("aware", {"*"}, 3600, true));
  auto& legacy = c.AddFramework(Info("legacy", {"*"}, 3600, false));
  Greedy(c, aware, 1, "cpus:1", &la);
  Greedy(c, legacy, 1, "cpus:1", &lb);
  ASSERT_TRUE(
      c.RunUntil([&] { return RunningTasks(c, aware) == 1 && RunningTasks(c, legacy) == 1; }));
  c.DisconnectAgent(0);
  c.RunFor(Duration::Seconds(32));
  EXPECT_EQ(aware.Updates().back().state, TaskState::kUnreachable);
  EXPECT_EQ(aware.Updates().back().reason, TaskStatusReason::kAgentRemoved);
  EXPECT_TRUE(aware.Updates().back().unreachable_time.has_value());
  EXPECT_EQ(legacy.Updates().back().state, TaskState::kLost);
  EXPECT_EQ(aware.CountEvents("FAILURE"), 1u);
  c.ReconnectAgent(0);
  c.RunFor(Duration::Seconds(1));
  EXPECT_EQ(aware.Updates().back().state, TaskState::kRunning);
  EXPECT_EQ(aware.Updates().back().reason, TaskStatusReason::kAgentReregistered);
  EXPECT_EQ(legacy.Updates().back().state, TaskState::kRunning);
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
}

TEST(MasterSim, ALaunchLostWithTheAgentConnectionIsDroppedWhenTheAgentReregisters) {
  SimCluster c(Opts(1));
  auto& fw = c.AddFramework(Info("a"));
  c.RunFor(Duration::Seconds(1));
  model::Offer offer = fw.live_offers.begin()->second;
  c.Accept(fw, {offer.id}, {SimCluster::LaunchOp({SimCluster::MakeTask("t", offer, "cpus:1")})});
  c.DisconnectAgent(0);  // the RUN_TASK dies with the connection
  c.ReconnectAgent(0);
  c.RunFor(Duration::Seconds(1));
  ASSERT_FALSE(fw.Updates().empty());
  EXPECT_EQ(fw.Updates().back().task_id.value(), "t");
  EXPECT_EQ(fw.Updates().back().state, TaskState::kDropped);
  EXPECT_EQ(fw.Updates().back().reason, TaskStatusReason::kAgentRestarted);
  EXPECT_EQ(c.master().task_count(), 0u);
  // Its resources are free again.
  EXPECT_EQ(
      c.master().allocator().Available(offer.agent_id).GetScalar("cpus") +
          c.master().OfferedResources(c.master().agents().at(offer.agent_id)).GetScalar("cpus"),
      model::Scalar::FromDouble(4));
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
}

TEST(MasterSim, ASilentAgentIsUnreachableAfterFiveMissedHeartbeats) {
  SimCluster c(Opts(1));
  int launched = 0;
  auto& fw = c.AddFramework(Info("a"));
  Greedy(c, fw, 1, "cpus:1", &launched);
  ASSERT_TRUE(c.RunUntil([&] { return RunningTasks(c, fw) == 1; }));
  model::AgentId agent = c.master().agents().begin()->first;
  c.SetAgentPartitioned(0, true);
  c.RunFor(Duration::Seconds(60));  // 4 intervals of silence: still registered
  EXPECT_EQ(c.master().agents().at(agent).state, master::Agent::State::kRegistered);
  c.RunFor(Duration::Seconds(31));  // past 5 x 15 s
  EXPECT_EQ(c.master().agents().at(agent).state, master::Agent::State::kUnreachable);
  EXPECT_EQ(fw.Updates().back().state, TaskState::kUnreachable);
  // Reconciliation of a task the master does not know, on that agent: UNREACHABLE.
  c.Call(fw, api::call::Reconcile{{{model::TaskId("other"), agent}}});
  c.RunFor(Duration::Milliseconds(1));
  EXPECT_EQ(fw.Updates().back().task_id.value(), "other");
  EXPECT_EQ(fw.Updates().back().state, TaskState::kUnreachable);
  EXPECT_TRUE(fw.Updates().back().unreachable_time.has_value());
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
}

TEST(MasterSim, ReconcileGivesNoAnswerWhileAgentsAreStillRecovering) {
  SimCluster c(Opts(1));
  auto& fw = c.AddFramework(Info("a"));
  c.RunFor(Duration::Seconds(1));
  c.RestartMaster();  // agents' re-registrations are in flight
  c.Resubscribe(fw);
  fw.events.clear();
  c.Call(fw, api::call::Reconcile{{{model::TaskId("ghost"), std::nullopt}}});
  EXPECT_TRUE(fw.Updates().empty());
  c.RunFor(Duration::Seconds(1));  // now every agent is back
  fw.events.clear();
  c.Call(fw, api::call::Reconcile{{{model::TaskId("ghost"), std::nullopt}}});
  c.RunFor(Duration::Milliseconds(1));
  ASSERT_EQ(fw.Updates().size(), 1u);
  EXPECT_EQ(fw.Updates()[0].state, TaskState::kUnknown);
}

TEST(MasterSim, TasksOfFrameworksThatDoNotCheckpointEndWhenTheirAgentDisconnects) {
  SimCluster c(Opts(1));
  int la = 0, lb = 0;
  auto& durable = c.AddFramework(Info("durable"));
  auto& volatile_fw = c.AddFramework(Info("volatile", {"*"}, 3600, true, /*checkpoint=*/false));
  Greedy(c, durable, 1, "cpus:1", &la);
  Greedy(c, volatile_fw, 1, "cpus:1", &lb);
  ASSERT_TRUE(c.RunUntil(
      [&] { return RunningTasks(c, durable) == 1 && RunningTasks(c, volatile_fw) == 1; }));
  c.DisconnectAgent(0);
  c.RunFor(Duration::Milliseconds(1));
  EXPECT_EQ(volatile_fw.Updates().back().state, TaskState::kGone);
  EXPECT_EQ(volatile_fw.Updates().back().reason, TaskStatusReason::kAgentDisconnected);
  EXPECT_EQ(durable.Updates().back().state, TaskState::kRunning);  // keeps running
  EXPECT_EQ(c.master().task_count(), 1u);
  // When the agent comes back, the volatile task is killed there instead of resurrected.
  c.ReconnectAgent(0);
  c.RunFor(Duration::Seconds(1));
  EXPECT_EQ(c.master().task_count(), 1u);
  EXPECT_EQ(c.agent(0).TaskStateOf(*volatile_fw.id, model::TaskId("volatile-0")), std::nullopt);
  EXPECT_EQ(c.agent(0).TaskStateOf(*durable.id, model::TaskId("durable-0")), TaskState::kRunning);
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
}

TEST(MasterSim, AKillForADisconnectedAgentIsDeliveredWhenItReregisters) {
  SimCluster c(Opts(1));
  int launched = 0;
  auto& fw = c.AddFramework(Info("a"));
  Greedy(c, fw, 1, "cpus:1", &launched);
  ASSERT_TRUE(c.RunUntil([&] { return RunningTasks(c, fw) == 1; }));
  c.DisconnectAgent(0);
  EXPECT_EQ(c.Call(fw, api::call::Kill{model::TaskId("a-0"), std::nullopt, std::nullopt}), 202);
  c.RunFor(Duration::Seconds(1));
  EXPECT_EQ(fw.Updates().back().state, TaskState::kRunning);
  c.ReconnectAgent(0);
  c.RunFor(Duration::Seconds(1));
  EXPECT_EQ(fw.Updates().back().state, TaskState::kKilled);
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
}

TEST(MasterSim, ALostRegistrationIsRetriedAndAnUnregisteredAgentDoesNotSpin) {
  SimCluster c(Opts(1));
  c.RunFor(Duration::Seconds(1));
  c.SetAgentPartitioned(0, true);
  c.ReconnectAgent(0);  // its REGISTER is lost in the partition
  uint64_t before = c.events_processed();
  c.RunFor(Duration::Seconds(120));
  // Only the master's 120 allocation ticks and the registration retries (1, 2, 4, ... 60 s)
  // happen: no busy loop on a stale deadline (that would be millions of events).
  EXPECT_LT(c.events_processed() - before, 200u);
  EXPECT_FALSE(c.agent(0).registered());
  c.SetAgentPartitioned(0, false);
  c.RunFor(Duration::Seconds(61));
  EXPECT_TRUE(c.agent(0).registered());
  EXPECT_EQ(c.master().agents().begin()->second.state, master::Agent::State::kRegistered);
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
}

TEST(MasterSim, RestartedMasterRecognisesItsAgentsAndTasks) {
  SimCluster c(Opts(2));
  int launched = 0;
  auto& fw = c.AddFramework(Info("a"));
  Greedy(c, fw, 2, "cpus:1", &launched);
  ASSERT_TRUE(c.RunUntil([&] { return RunningTasks(c, fw) == 2; }));
  std::set<model::AgentId> before;
  for (const auto& [id, a] : c.master().agents()) before.insert(id);
  c.RestartMaster();
  c.RunFor(Duration::Seconds(1));
  std::set<model::AgentId> after;
  for (const auto& [id, a] : c.master().agents()) {
    after.insert(id);
    EXPECT_EQ(a.state, master::Agent::State::kRegistered);
  }
  EXPECT_EQ(before, after);
  EXPECT_EQ(c.master().task_count(), 2u);
  c.Resubscribe(fw);
  c.RunFor(Duration::Seconds(1));
  EXPECT_TRUE(fw.subscribed);
  fw.events.clear();
  c.Call(fw, api::call::Reconcile{});
  c.RunFor(Duration::Milliseconds(1));
  ASSERT_EQ(fw.Updates().size(), 2u);
  EXPECT_EQ(fw.Updates()[0].state, TaskState::kRunning);
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
}

TEST(MasterSim, RandomisedWorkloadKeepsTheInvariants) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(StrCat("seed ", seed));
    SimCluster::Options o = Opts(5);
    o.seed = seed;
    o.master.seed = seed;
    o.master.offer_timeout = Duration::Seconds(7);
    o.agent.running_delay = Duration::Milliseconds(300);
    SimCluster c(o);
    Random rng(seed);
    std::vector<SimCluster::Framework*> fws;
    for (int i = 0; i < 3; ++i) {
      fws.push_back(&c.AddFramework(Info(StrCat("f", i), {i == 0 ? "a" : "b"})));
    }
    int next_task = 0;
    for (auto* fwp : fws) {
      fwp->on_event = [&c, &rng, &next_task](SimCluster::Framework& f, const api::Event& e) {
        SimCluster::AutoAcknowledge(c, f, e);
        const auto* offers = std::get_if<api::event::Offers>(&e.body);
        if (offers == nullptr) return;
        for (const model::Offer& offer : offers->offers) {
          switch (rng.Uniform(4)) {
            case 0:
              c.Decline(f, {offer.id}, static_cast<double>(rng.Uniform(5)));
              break;
            case 1:
              break;  // hold it (may be rescinded by the offer timeout)
            default: {
              std::string cmd = rng.Uniform(3) == 0 ? "sim:finish" : "sleep";
              c.Accept(f, {offer.id},
                       {SimCluster::LaunchOp({SimCluster::MakeTask(StrCat("t", next_task++), offer,
                                                                   "cpus:0.5;mem:100", cmd)})},
                       1);
            }
          }
        }
      };
    }
    for (int step = 0; step < 60; ++step) {
      c.RunFor(Duration::Milliseconds(500));
      int action = static_cast<int>(rng.Uniform(10));
      auto* f = fws[rng.Uniform(fws.size())];
      if (action == 0 && f->subscribed) {
        c.CloseStream(*f);
      } else if (action == 1 && !f->subscribed && f->id) {
        c.Resubscribe(*f);
      } else if (action == 2) {
        c.ReconnectAgent(static_cast<int>(rng.Uniform(c.agent_count())));
      } else if (action == 3 && f->subscribed) {
        c.Call(*f, api::call::Kill{model::TaskId(StrCat("t", rng.Uniform(next_task + 1))), {}, {}});
      } else if (action == 4 && f->subscribed) {
        c.Call(*f, api::call::Reconcile{});
      }
    }
    EXPECT_GT(next_task, 10);
    EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
  }
}

}  // namespace
}  // namespace atl::sim
