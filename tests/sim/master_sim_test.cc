// Deterministic simulations of the offer engine: a master, simulated agents and scripted
// frameworks on a fake clock. Every test also checks the safety invariants after every event
// (SimCluster::violations).
#include <gtest/gtest.h>

#include "core/base/strings.h"
#include "tests/common/sim_cluster.h"

namespace atl::sim {
namespace {

using model::TaskState;
using model::TaskStatusReason;

model::FrameworkInfo Info(const std::string& name, std::vector<std::string> roles = {"*"},
                          double failover = 3600, bool partition_aware = true,
                          bool checkpoint = true) {
  model::FrameworkInfo info;
  info.user = "root";
  info.name = name;
  info.failover_timeout = failover;
  info.checkpoint = checkpoint;
  info.capabilities.push_back(model::FrameworkCapability::kMultiRole);
  if (partition_aware) info.capabilities.push_back(model::FrameworkCapability::kPartitionAware);
  info.roles = std::move(roles);
  return info;
}

SimCluster::Options Opts(int agents) {
  SimCluster::Options o;
  o.agents = agents;
  return o;
}

// A framework that launches `cpus`-sized tasks on every offer until `want` are launched,
// acknowledging every update.
void Greedy(SimCluster& c, SimCluster::Framework& fw, int want, const std::string& size,
            int* launched) {
  fw.on_event = [&c, want, size, launched](SimCluster::Framework& f, const api::Event& e) {
    SimCluster::AutoAcknowledge(c, f, e);
    const auto* offers = std::get_if<api::event::Offers>(&e.body);
    if (offers == nullptr) return;
    auto per_task = *model::Resources::Parse(size);
    for (const model::Offer& offer : offers->offers) {
      std::vector<model::TaskInfo> tasks;
      model::Resources left = offer.resources.Unallocated();
      while (*launched < want && left.Contains(per_task)) {
        left.Subtract(per_task);
        tasks.push_back(SimCluster::MakeTask(StrCat(f.info.name, "-", (*launched)++), offer, size));
      }
      if (tasks.empty()) {
        c.Decline(f, {offer.id}, 3600);
      } else {
        c.Accept(f, {offer.id}, {SimCluster::LaunchOp(tasks)});
      }
    }
  };
}

size_t RunningTasks(const SimCluster& c, const SimCluster::Framework& fw) {
  (void)c;
  std::map<std::string, TaskState> last;
  for (const model::TaskStatus& s : fw.Updates()) last[s.task_id.value()] = s.state;
  return std::count_if(last.begin(), last.end(),
                       [](const auto& kv) { return kv.second == TaskState::kRunning; });
}

TEST(MasterSim, SubscribedComesFirstThenOneOfferPerAgent) {
  SimCluster c(Opts(3));
  auto& fw = c.AddFramework(Info("a"));
  c.RunFor(Duration::Seconds(2));
  ASSERT_FALSE(fw.events.empty());
  EXPECT_EQ(api::EventTypeName(fw.events[0].body), "SUBSCRIBED");
  EXPECT_EQ(fw.live_offers.size(), 3u);
  std::set<std::string> agents;
  for (const auto& [id, offer] : fw.live_offers) {
    agents.insert(offer.agent_id.value());
    EXPECT_EQ(offer.allocation_role, "*");
    EXPECT_EQ(offer.resources.GetScalar("cpus"), model::Scalar::FromDouble(4));
    EXPECT_FALSE(offer.attributes.empty());
  }
  EXPECT_EQ(agents.size(), 3u);
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
}

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

TEST(MasterSim, DrfSplitsTheClusterEvenlyBetweenTwoGreedyFrameworks) {
  SimCluster c(Opts(6));
  int la = 0, lb = 0;
  auto& a = c.AddFramework(Info("a"));
  auto& b = c.AddFramework(Info("b"));
  Greedy(c, a, 1000, "cpus:1;mem:256", &la);
  Greedy(c, b, 1000, "cpus:1;mem:256", &lb);
  c.RunFor(Duration::Seconds(30));
  EXPECT_EQ(RunningTasks(c, a), 12u);
  EXPECT_EQ(RunningTasks(c, b), 12u);
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
}

TEST(MasterSim, WeightedRolesShareByWeight) {
  SimCluster::Options o = Opts(8);
  o.master.weights = {{"a", 3.0}, {"b", 1.0}};
  SimCluster c(o);
  int la = 0, lb = 0;
  auto& a = c.AddFramework(Info("a", {"a"}));
  auto& b = c.AddFramework(Info("b", {"b"}));
  Greedy(c, a, 1000, "cpus:4;mem:1024", &la);
  Greedy(c, b, 1000, "cpus:4;mem:1024", &lb);
  c.RunFor(Duration::Seconds(30));
  // Weighted DRF: a's share / 3 equals b's share -> a holds 6 of 8 agents.
  EXPECT_EQ(RunningTasks(c, a), 6u);
  EXPECT_EQ(RunningTasks(c, b), 2u);
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
}

TEST(MasterSim, DeclineFilterHidesTheAgentUntilItExpires) {
  SimCluster c(Opts(1));
  auto& fw = c.AddFramework(Info("a"));
  c.RunFor(Duration::Seconds(1));
  ASSERT_EQ(fw.live_offers.size(), 1u);
  c.Decline(fw, {fw.live_offers.begin()->first}, 10);
  size_t offers_before = fw.CountEvents("OFFERS");
  c.RunFor(Duration::Seconds(9));
  EXPECT_EQ(fw.CountEvents("OFFERS"), offers_before);
  c.RunFor(Duration::Seconds(2));
  EXPECT_EQ(fw.CountEvents("OFFERS"), offers_before + 1);
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
}

TEST(MasterSim, DefaultDeclineFilterIsFiveSecondsAndZeroInstallsNone) {
  SimCluster c(Opts(1));
  auto& fw = c.AddFramework(Info("a"));
  c.RunFor(Duration::Seconds(1));
  c.Decline(fw, {fw.live_offers.begin()->first});  // no filters: 5 s
  size_t n = fw.CountEvents("OFFERS");
  c.RunFor(Duration::Seconds(4));
  EXPECT_EQ(fw.CountEvents("OFFERS"), n);
  c.RunFor(Duration::Seconds(2));
  ASSERT_EQ(fw.CountEvents("OFFERS"), n + 1);
  c.Decline(fw, {fw.live_offers.begin()->first}, 0);
  c.RunFor(Duration::Milliseconds(1100));  // the next batch allocation re-offers
  EXPECT_EQ(fw.CountEvents("OFFERS"), n + 2);
}

TEST(MasterSim, ReviveClearsFiltersAndSuppressStopsOffers) {
  SimCluster c(Opts(2));
  auto& fw = c.AddFramework(Info("a"));
  c.RunFor(Duration::Seconds(1));
  std::vector<model::OfferId> ids;
  for (const auto& [id, o] : fw.live_offers) ids.push_back(id);
  c.Decline(fw, ids, 3600);
  size_t n = fw.CountEvents("OFFERS");
  c.RunFor(Duration::Seconds(5));
  EXPECT_EQ(fw.CountEvents("OFFERS"), n);
  EXPECT_EQ(c.Call(fw, api::call::Revive{}), 202);
  c.RunFor(Duration::Milliseconds(1));
  EXPECT_EQ(fw.live_offers.size(), 2u);

  EXPECT_EQ(c.Call(fw, api::call::Suppress{}), 202);
  ids.clear();
  for (const auto& [id, o] : fw.live_offers) ids.push_back(id);
  c.Decline(fw, ids, 0);
  n = fw.CountEvents("OFFERS");
  c.RunFor(Duration::Seconds(10));
  EXPECT_EQ(fw.CountEvents("OFFERS"), n);
  EXPECT_EQ(c.Call(fw, api::call::Revive{{"*"}}), 202);
  c.RunFor(Duration::Milliseconds(1));
  EXPECT_EQ(fw.CountEvents("OFFERS"), n + 1);
  EXPECT_EQ(c.Call(fw, api::call::Revive{{"not-mine"}}), 400);
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
}

TEST(MasterSim, OfferTimeoutRescindsAndTheRescindedOfferCannotLaunch) {
  SimCluster::Options o = Opts(1);
  o.master.offer_timeout = Duration::Seconds(5);
  SimCluster c(o);
  auto& fw = c.AddFramework(Info("a"));
  c.RunFor(Duration::Seconds(1));
  ASSERT_EQ(fw.live_offers.size(), 1u);
  model::Offer offer = fw.live_offers.begin()->second;
  c.RunFor(Duration::Seconds(5));
  ASSERT_EQ(fw.rescinded.size(), 1u);
  EXPECT_EQ(fw.rescinded[0], offer.id);
  c.Accept(fw, {offer.id},
           {SimCluster::LaunchOp({SimCluster::MakeTask("late", offer, "cpus:1;mem:32")})});
  c.RunFor(Duration::Milliseconds(1));
  auto updates = fw.Updates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state, TaskState::kDropped);
  EXPECT_EQ(updates[0].reason, TaskStatusReason::kInvalidOffers);
  EXPECT_EQ(updates[0].source, model::TaskStatusSource::kMaster);
  EXPECT_TRUE(updates[0].uuid.empty());
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
}

TEST(MasterSim, InvalidOffersReadAsLostForFrameworksThatAreNotPartitionAware) {
  SimCluster c(Opts(1));
  auto& fw = c.AddFramework(Info("a", {"*"}, 3600, /*partition_aware=*/false));
  c.RunFor(Duration::Seconds(1));
  model::Offer offer = fw.live_offers.begin()->second;
  c.Decline(fw, {offer.id});
  c.Accept(fw, {offer.id}, {SimCluster::LaunchOp({SimCluster::MakeTask("t", offer, "cpus:1")})});
  c.RunFor(Duration::Milliseconds(1));
  ASSERT_EQ(fw.Updates().size(), 1u);
  EXPECT_EQ(fw.Updates()[0].state, TaskState::kLost);
}

TEST(MasterSim, InvalidTasksGetTaskErrorAndTheRestOfTheOfferIsUsable) {
  SimCluster c(Opts(1));
  auto& fw = c.AddFramework(Info("a"));
  c.RunFor(Duration::Seconds(1));
  model::Offer offer = fw.live_offers.begin()->second;
  model::TaskInfo too_big = SimCluster::MakeTask("big", offer, "cpus:64");
  model::TaskInfo ok = SimCluster::MakeTask("ok", offer, "cpus:1;mem:64");
  model::TaskInfo dup = SimCluster::MakeTask("ok", offer, "cpus:1");
  model::TaskInfo no_cmd = SimCluster::MakeTask("nocmd", offer, "cpus:1");
  no_cmd.command.reset();
  c.Accept(fw, {offer.id}, {SimCluster::LaunchOp({too_big, ok, dup, no_cmd})});
  c.RunFor(Duration::Milliseconds(1));
  std::map<std::string, model::TaskStatus> first;
  for (const auto& s : fw.Updates()) first.emplace(s.task_id.value(), s);
  EXPECT_EQ(first.at("big").state, TaskState::kError);
  EXPECT_EQ(first.at("big").reason, TaskStatusReason::kTaskInvalid);
  EXPECT_NE(first.at("big").message.find("more resources"), std::string::npos);
  EXPECT_EQ(first.at("nocmd").state, TaskState::kError);
  int dup_errors = 0, ok_starting = 0;
  for (const auto& s : fw.Updates()) {
    if (s.task_id.value() == "ok" && s.state == TaskState::kError) ++dup_errors;
    if (s.task_id.value() == "ok" && s.state == TaskState::kStarting) ++ok_starting;
  }
  EXPECT_EQ(dup_errors, 1);   // the duplicate id is refused ...
  EXPECT_EQ(ok_starting, 1);  // ... and the valid task still launches
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
}

TEST(MasterSim, QuotaGuaranteeIsServedBeforeOtherRoles) {
  SimCluster c(Opts(4));
  allocator::Quota q;
  q.guarantees = *model::Resources::Parse("cpus:8;mem:1024");
  c.UpdateQuota("q", q);
  int lo = 0, lq = 0;
  auto& other = c.AddFramework(Info("other", {"other"}));
  Greedy(c, other, 1000, "cpus:1;mem:64", &lo);
  c.RunFor(Duration::Seconds(5));
  // Headroom: the other role cannot take what q's guarantee needs.
  EXPECT_LE(RunningTasks(c, other), 8u);
  auto& quota = c.AddFramework(Info("quota", {"q"}));
  Greedy(c, quota, 1000, "cpus:1;mem:64", &lq);
  c.RunFor(Duration::Seconds(5));
  EXPECT_GE(RunningTasks(c, quota), 8u);
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
}

TEST(MasterSim, AQuotaChangeRescindsTheRolesOutstandingOffers) {
  SimCluster c(Opts(2));
  auto& fw = c.AddFramework(Info("a", {"dev"}));
  auto& other = c.AddFramework(Info("b", {"ops"}));
  c.RunFor(Duration::Seconds(1));
  ASSERT_EQ(fw.live_offers.size() + other.live_offers.size(), 2u);
  size_t dev_offers = fw.live_offers.size();
  allocator::Quota q;
  q.limits = *model::Resources::Parse("cpus:1;mem:512");
  c.UpdateQuota("dev", q);
  c.RunFor(Duration::Milliseconds(1));
  EXPECT_EQ(fw.rescinded.size(), dev_offers);
  EXPECT_TRUE(other.rescinded.empty());
  // Re-offered within the new limit.
  for (const auto& [id, offer] : fw.live_offers) {
    EXPECT_LE(offer.resources.GetScalar("cpus"), model::Scalar::FromDouble(1));
  }
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

TEST(MasterSim, LaunchGroupsWithoutTasksOrWithDuplicateIdsAreRefusedWholly) {
  SimCluster c(Opts(1));
  auto& fw = c.AddFramework(Info("a"));
  c.RunFor(Duration::Seconds(1));
  model::Offer offer = fw.live_offers.begin()->second;
  model::ExecutorInfo exec;
  exec.type = model::ExecutorInfo::Type::kDefault;
  exec.executor_id = model::ExecutorId("group");
  exec.resources = *model::Resources::Parse("cpus:0.1;mem:32");
  model::Operation empty;
  empty.type = model::Operation::Type::kLaunchGroup;
  empty.group_executor = exec;
  model::Operation dup = empty;
  model::TaskInfo t = SimCluster::MakeTask("g", offer, "cpus:1");
  t.command.reset();
  dup.group_tasks = {t, t};
  c.Accept(fw, {offer.id}, {empty, dup}, 0);
  c.RunFor(Duration::Milliseconds(1));
  ASSERT_EQ(fw.Updates().size(), 2u);
  for (const auto& s : fw.Updates()) {
    EXPECT_EQ(s.state, TaskState::kError);
    EXPECT_EQ(s.reason, TaskStatusReason::kTaskGroupInvalid);
  }
  EXPECT_EQ(c.master().task_count(), 0u);
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];  // nothing leaked
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

TEST(MasterSim, UpdateFrameworkDroppingARoleRescindsItsOffers) {
  SimCluster c(Opts(2));
  auto& fw = c.AddFramework(Info("a", {"web", "batch"}));
  c.RunFor(Duration::Seconds(1));
  ASSERT_EQ(fw.live_offers.size(), 2u);
  std::set<std::string> roles;
  for (const auto& [id, o] : fw.live_offers) roles.insert(*o.allocation_role);
  model::FrameworkInfo info = fw.info;
  info.roles = {"web"};
  EXPECT_EQ(c.Call(fw, api::call::UpdateFramework{info, {}}), 200);
  c.RunFor(Duration::Seconds(2));
  for (const auto& [id, o] : fw.live_offers) EXPECT_EQ(*o.allocation_role, "web");
  // DRF gave one agent to each role (batch first: equal shares, then by name).
  EXPECT_EQ(roles, (std::set<std::string>{"batch", "web"}));
  EXPECT_EQ(fw.rescinded.size(), 1u);
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
}

TEST(MasterSim, AgentDisconnectRescindsButFrameworkDisconnectDiscardsSilently) {
  SimCluster c(Opts(2));
  auto& fw = c.AddFramework(Info("a"));
  c.RunFor(Duration::Seconds(1));
  ASSERT_EQ(fw.live_offers.size(), 2u);
  c.DisconnectAgent(0);
  c.RunFor(Duration::Milliseconds(1));
  EXPECT_EQ(fw.rescinded.size(), 1u);  // the disconnected agent's offer
  EXPECT_EQ(fw.live_offers.size(), 1u);
  // A framework that goes away loses its offers without RESCIND events (nobody to tell), and
  // after failover it gets fresh offers, never the old ones.
  model::OfferId old = fw.live_offers.begin()->first;
  c.CloseStream(fw);
  EXPECT_TRUE(c.master().offers().empty());
  c.Resubscribe(fw);
  c.RunFor(Duration::Seconds(1));
  EXPECT_EQ(fw.rescinded.size(), 1u);
  ASSERT_EQ(fw.live_offers.size(), 1u);
  EXPECT_NE(fw.live_offers.begin()->first, old);
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

TEST(MasterSim, AnAcceptMixingAgentsOrRepeatingAnOfferDropsItsTasks) {
  SimCluster c(Opts(2));
  auto& fw = c.AddFramework(Info("a"));
  c.RunFor(Duration::Seconds(1));
  ASSERT_EQ(fw.live_offers.size(), 2u);
  auto it = fw.live_offers.begin();
  model::Offer a = it->second;
  model::Offer b = (++it)->second;
  c.Accept(fw, {a.id, b.id}, {SimCluster::LaunchOp({SimCluster::MakeTask("mixed", a, "cpus:1")})});
  c.RunFor(Duration::Milliseconds(1));
  ASSERT_EQ(fw.Updates().size(), 1u);
  EXPECT_EQ(fw.Updates()[0].state, TaskState::kDropped);
  EXPECT_EQ(fw.Updates()[0].reason, TaskStatusReason::kInvalidOffers);
  EXPECT_TRUE(c.master().offers().empty());  // both discarded, resources back
  c.RunFor(Duration::Seconds(1));
  ASSERT_FALSE(fw.live_offers.empty());
  model::Offer fresh = fw.live_offers.begin()->second;
  c.Accept(fw, {fresh.id, fresh.id},
           {SimCluster::LaunchOp({SimCluster::MakeTask("twice", fresh, "cpus:1")})});
  c.RunFor(Duration::Milliseconds(1));
  EXPECT_EQ(fw.Updates().back().task_id.value(), "twice");
  EXPECT_EQ(fw.Updates().back().state, TaskState::kDropped);
  EXPECT_EQ(c.master().task_count(), 0u);
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

TEST(MasterSim, ReserveCreateLaunchInOneAcceptAndReservedResourcesStayWithTheRole) {
  SimCluster c(Opts(1));
  model::FrameworkInfo info = Info("db", {"db"});
  info.principal = "db-principal";
  auto& fw = c.AddFramework(info);
  c.RunFor(Duration::Seconds(1));
  model::Offer offer = fw.live_offers.begin()->second;
  model::Resources reserved = *model::Resources::Parse("cpus:1;mem:512;disk:1024");
  model::Resources dyn;
  for (model::Resource r : reserved.items()) {
    r.reservations.push_back({model::ReservationInfo::Type::kDynamic, "db", "db-principal", {}});
    r.allocation_role = "db";
    dyn.Add(r);
  }
  model::Operation reserve;
  reserve.type = model::Operation::Type::kReserve;
  reserve.resources = dyn;
  model::Resource volume;
  for (const model::Resource& r : dyn.items()) {
    if (r.name == "disk") volume = r;
  }
  volume.disk = model::DiskInfo{"pg-0", "db-principal", "data", "RW"};
  model::Operation create;
  create.type = model::Operation::Type::kCreate;
  create.resources = model::Resources({volume});
  model::TaskInfo task = SimCluster::MakeTask("pg", offer, "cpus:0");
  task.resources = model::Resources();
  for (const model::Resource& r : dyn.items()) {
    if (r.name != "disk") task.resources.Add(r);
  }
  task.resources.Add(volume);
  c.Accept(fw, {offer.id}, {reserve, create, SimCluster::LaunchOp({task})}, 0);
  c.RunFor(Duration::Seconds(1));
  ASSERT_FALSE(fw.Updates().empty());
  EXPECT_EQ(fw.Updates().back().state, TaskState::kStarting) << fw.Updates().back().message;
  const master::Agent& agent = c.master().agents().begin()->second;
  EXPECT_EQ(agent.total.ReservedTo("db").GetScalar("cpus"), model::Scalar::FromDouble(1));
  // A framework in another role never sees the reservation.
  auto& other = c.AddFramework(Info("other", {"other"}));
  c.RunFor(Duration::Seconds(2));
  for (const auto& [id, o] : other.live_offers) {
    EXPECT_TRUE(o.resources.Reserved().empty());
  }
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
