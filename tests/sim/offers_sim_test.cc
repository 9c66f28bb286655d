// Deterministic simulations of the offer engine. Offers: DRF, filters, revive/suppress, offer
// timeouts, quota, ACCEPT validation and operations. Every test also checks the master's safety
// invariants after every event (SimCluster::violations).
#include <gtest/gtest.h>

#include "tests/sim/sim_test_util.h"

namespace atl::sim {
namespace {

using namespace ::atl::sim::testing;  // NOLINT: the simulation vocabulary

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

}  // namespace
}  // namespace atl::sim
