// Placement constraints in the ServiceScheduler (issue 5): incremental counts followed through
// relaunches, agent loss and constraint changes; the reasons /v2/queue shows; the "can never
// be met" verdict; constraint-aware scale-down; maintenance; and a property test over random
// clusters, apps, failures and scaling.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/base/random.h"
#include "marathonlike/service_scheduler.h"
#include "tests/marathonlike/scheduler_harness.h"

namespace atl::marathonlike {
namespace {

using test_util::Harness;
using test_util::SimpleApp;

// Live (placed, not terminal) instances of an app per value of an agent attribute, hostname for
// "hostname".
std::map<std::string, int> PlacedBy(const Harness& h, const PathId& app, const std::string& field) {
  std::map<std::string, int> out;
  for (const Instance* i : h.scheduler.InstancesOf(app)) {
    if (i->agent_id.empty() || IsTerminal(i->condition)) continue;
    out[field == "hostname" ? i->hostname : i->agent_attributes.at(field)]++;
  }
  return out;
}

// Agents 0..n-1 with `rack` = "r<k % racks>".
void Racks(Harness& h, int racks) {
  int k = 0;
  for (auto& [id, a] : h.agents) {
    (void)a;
    h.attributes[id]["rack"] = StrCat("r", k++ % racks);
  }
}

const QueueEntry* EntryOf(const std::vector<QueueEntry>& queue, const PathId& app) {
  for (const QueueEntry& e : queue) {
    if (e.app_id == app) return &e;
  }
  return nullptr;
}

// `agents` agents and /web with `instances` instances, UNIQUE hostname, settled.
void StartUniqueWeb(Harness& h, int agents, int instances) {
  h.AddAgents(agents);
  h.Start();
  AppDefinition app = SimpleApp("/web", instances);
  app.constraints = {{"hostname", "UNIQUE"}};
  h.PutApp(app);
  h.Settle();
}

TEST(SchedulerConstraintsTest, UniqueExplainsTheInstanceItCannotPlaceUntilAnAgentJoins) {
  Harness h;
  StartUniqueWeb(h, 3, 4);
  EXPECT_EQ(h.Running("/web"), 3);

  std::vector<QueueEntry> queue = h.scheduler.Queue(h.now, /*explain=*/true);
  const QueueEntry* e = EntryOf(queue, "/web");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->count, 1);
  // Per constraint: which one turned the offers down, and the last reason.
  ASSERT_EQ(e->constraint_rejects.size(), 1u);
  EXPECT_EQ(e->constraint_rejects[0].constraint, (std::vector<std::string>{"hostname", "UNIQUE"}));
  EXPECT_EQ(e->constraint_rejects[0].declined, e->rejected_by_reason.at("UnfulfilledConstraint"));
  EXPECT_GT(e->constraint_rejects[0].declined, 0);
  EXPECT_TRUE(e->constraint_rejects[0].last_reason.starts_with("UNIQUE hostname: host-"))
      << e->constraint_rejects[0].last_reason;
  EXPECT_TRUE(e->constraint_rejects[0].last_reason.ends_with(" already runs 1 instance"));
  // The last offer of each agent, with Marathon's reason names.
  ASSERT_EQ(e->last_unused_offers.size(), 3u);
  for (const auto& [agent, unused] : e->last_unused_offers) {
    ASSERT_NE(unused.offer, nullptr) << agent;
    EXPECT_EQ(unused.offer->agent_id.value(), agent);
    EXPECT_EQ(unused.reasons, std::vector<std::string_view>{"UnfulfilledConstraint"});
    EXPECT_FALSE(unused.constraint_reason.empty());
  }
  // Every known agent is ruled out: said so.
  ASSERT_TRUE(e->unplaceable.has_value());
  EXPECT_EQ(e->unplaceable->known_agents, 3);
  EXPECT_EQ(e->unplaceable->message,
            "No known agent can take another instance: the constraints rule out all 3 agents "
            "([hostname,UNIQUE] rejects 3 agents)");
  EXPECT_FALSE(h.scheduler.Queue(h.now).front().unplaceable.has_value()) << "only when asked";

  // A fourth agent: the instance goes there and the queue empties.
  h.AddAgents(1);
  h.Settle();
  EXPECT_EQ(h.Running("/web"), 4);
  EXPECT_EQ(PlacedBy(h, "/web", "hostname").size(), 4u);
  EXPECT_TRUE(h.scheduler.Queue(h.now, true).empty());
  EXPECT_TRUE(h.scheduler.deployments().empty());
}

TEST(SchedulerConstraintsTest, AFailedTaskMayComeBackToItsOwnAgentButNotToAnother) {
  Harness h;
  h.AddAgents(3);
  h.Start();
  AppDefinition app = SimpleApp("/web", 3);
  app.constraints = {{"hostname", "UNIQUE"}};
  app.backoff_seconds = 0;
  h.PutApp(app);
  h.Settle();
  ASSERT_EQ(h.Running("/web"), 3);
  // Fail one task: its agent is free again for the relaunch (the ended task no longer counts).
  std::string failed;
  std::string failed_host;
  for (const Instance* i : h.scheduler.InstancesOf("/web")) {
    failed = i->task_id;
    failed_host = i->hostname;
    break;
  }
  h.Status(failed, model::TaskState::kFailed);
  h.Advance(Duration::Seconds(1));
  h.Settle();
  EXPECT_EQ(h.Running("/web"), 3);
  EXPECT_EQ(PlacedBy(h, "/web", "hostname"),
            (std::map<std::string, int>{{"host-0", 1}, {"host-1", 1}, {"host-2", 1}}));
  // Unreachable instances keep counting (they may come back): their agent takes no other one.
  for (const Instance* i : h.scheduler.InstancesOf("/web")) {
    if (i->hostname == "host-1") {
      h.Status(i->task_id, model::TaskState::kUnreachable);
      break;
    }
  }
  h.Settle();
  EXPECT_EQ(PlacedBy(h, "/web", "hostname"),
            (std::map<std::string, int>{{"host-0", 1}, {"host-1", 1}, {"host-2", 1}}));
}

TEST(SchedulerConstraintsTest, ChangingTheConstraintsRecountsFromTheInstances) {
  Harness h;
  h.AddAgents(2, "cpus:8;mem:8192;disk:1000;ports:[31000-31099]");
  h.Start();
  AppDefinition app = SimpleApp("/web", 4);
  app.constraints = {{"hostname", "MAX_PER", "2"}};
  h.PutApp(app);
  h.Settle();
  EXPECT_EQ(PlacedBy(h, "/web", "hostname"),
            (std::map<std::string, int>{{"host-0", 2}, {"host-1", 2}}));
  // Now at most 3 per host and 6 instances: the restart replaces them under the new counts.
  app.constraints = {{"hostname", "MAX_PER", "3"}};
  app.instances = 6;
  h.PutApp(app);
  h.Settle();
  EXPECT_EQ(h.Running("/web"), 6);
  EXPECT_EQ(PlacedBy(h, "/web", "hostname"),
            (std::map<std::string, int>{{"host-0", 3}, {"host-1", 3}}));
  EXPECT_TRUE(h.scheduler.deployments().empty());
}

TEST(SchedulerConstraintsTest, ScaleDownKeepsGroupByEven) {
  Harness h;
  h.AddAgents(6);
  Racks(h, 3);
  h.Start();
  AppDefinition app = SimpleApp("/web", 9);
  app.constraints = {{"rack", "GROUP_BY", "3"}};
  h.PutApp(app);
  h.Offer();
  // Rack r0's instances start last, so they are the youngest: killSelection alone would take
  // them all first.
  std::vector<std::string> later;
  for (const auto& [id, t] : h.tasks) {
    if (h.attributes.at(t.agent).at("rack") == "r0") {
      later.push_back(id);
    } else {
      h.Status(id, model::TaskState::kRunning);
    }
  }
  h.Advance(Duration::Seconds(10));
  for (const std::string& id : later) h.Status(id, model::TaskState::kRunning);
  h.Settle();
  EXPECT_EQ(PlacedBy(h, "/web", "rack"),
            (std::map<std::string, int>{{"r0", 3}, {"r1", 3}, {"r2", 3}}));
  for (int target : {7, 5, 3, 1}) {
    app.instances = target;
    h.PutApp(app);
    h.Settle();
    std::map<std::string, int> by = PlacedBy(h, "/web", "rack");
    int total = 0, lo = 1 << 30, hi = 0;
    for (const auto& [rack, n] : by) {
      total += n;
      lo = std::min(lo, n);
      hi = std::max(hi, n);
    }
    if (by.size() < 3) lo = 0;
    EXPECT_EQ(total, target);
    EXPECT_LE(hi - lo, 1) << "scaled to " << target;
  }
}

TEST(SchedulerConstraintsTest, AgentsInMaintenanceTakeNothing) {
  Harness h;
  h.AddAgents(1);
  h.Start();
  h.PutApp(SimpleApp("/web", 1));
  // The agent's maintenance window started a minute ago, for an hour.
  std::vector<model::Offer> offers;
  model::Offer o;
  o.id = model::OfferId("maint-1");
  o.framework_id = model::FrameworkId("fw-1");
  o.agent_id = model::AgentId("agent-0");
  o.hostname = "host-0";
  o.resources = h.agents.at("agent-0").free;
  o.unavailability = model::Unavailability{h.now - Duration::Minutes(1), Duration::Hours(1)};
  h.open_offers["maint-1"] = "agent-0";
  offers.push_back(o);
  h.Apply(h.scheduler.Handle(in::Offers{offers}, h.now));
  EXPECT_TRUE(h.launched.empty());
  const std::vector<QueueEntry> queue = h.scheduler.Queue(h.now);
  const QueueEntry* e = EntryOf(queue, "/web");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->rejected_by_reason.at("AgentMaintenance"), 1);
  // Once the window is over, the same agent is used.
  h.now = h.now + Duration::Hours(2);
  o.id = model::OfferId("maint-2");
  h.open_offers["maint-2"] = "agent-0";
  h.Apply(h.scheduler.Handle(in::Offers{{o}}, h.now));
  EXPECT_EQ(h.launched.size(), 1u);
}

TEST(SchedulerConstraintsTest, AWindowStartingWithinTheDrainingTimeAlreadyRefuses) {
  SchedulerOptions options;
  options.maintenance_draining = Duration::Minutes(10);
  Harness h(options);
  h.AddAgents(1);
  h.Start();
  h.PutApp(SimpleApp("/web", 1));
  model::Offer o;
  o.id = model::OfferId("soon-1");
  o.framework_id = model::FrameworkId("fw-1");
  o.agent_id = model::AgentId("agent-0");
  o.hostname = "host-0";
  o.resources = h.agents.at("agent-0").free;
  // Starts in 5 minutes: within the 10 minutes of draining.
  o.unavailability = model::Unavailability{h.now + Duration::Minutes(5), Duration::Hours(1)};
  h.open_offers["soon-1"] = "agent-0";
  h.Apply(h.scheduler.Handle(in::Offers{{o}}, h.now));
  EXPECT_TRUE(h.launched.empty());
  // Starting in an hour: not yet draining.
  o.id = model::OfferId("later-1");
  o.unavailability = model::Unavailability{h.now + Duration::Hours(1), Duration::Hours(1)};
  h.open_offers["later-1"] = "agent-0";
  h.Apply(h.scheduler.Handle(in::Offers{{o}}, h.now));
  EXPECT_EQ(h.launched.size(), 1u);
}

TEST(SchedulerConstraintsTest, TheLastUnusedOffersKeepAtMostTheConfiguredAgents) {
  SchedulerOptions options;
  options.max_unused_offers_per_app = 2;
  Harness h(options);
  StartUniqueWeb(h, 4, 5);  // 4 placed, the 5th refused by every agent
  const std::vector<QueueEntry> queue = h.scheduler.Queue(h.now, true);
  const QueueEntry* e = EntryOf(queue, "/web");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->last_unused_offers.size(), 2u);
  ASSERT_TRUE(e->unplaceable.has_value());
  EXPECT_EQ(e->unplaceable->known_agents, 4) << "the verdict still sees every agent";
}

TEST(SchedulerConstraintsTest, DedicatedAgentsTakeOnlyTheAppsAskingForThemWhenExclusive) {
  SchedulerOptions options;
  options.dedicated_agents_exclusive = true;
  Harness h(options);
  h.AddAgents(2);
  h.attributes["agent-0"] = {{"dedicated", "www/hello"}};
  h.Start();
  h.PutApp(SimpleApp("/other", 3));
  // The Marathon form of Aurora's `dedicated: www/hello` (constraints::MarathonForm).
  AppDefinition mine = SimpleApp("/hello", 2);
  mine.constraints = {{"dedicated", "LIKE", "www/hello"}};
  h.PutApp(mine);
  h.Settle();
  EXPECT_EQ(PlacedBy(h, "/other", "hostname"), (std::map<std::string, int>{{"host-1", 3}}));
  EXPECT_EQ(PlacedBy(h, "/hello", "hostname"), (std::map<std::string, int>{{"host-0", 2}}));
  // Without the option (Marathon), the dedicated agent is like any other.
  Harness plain;
  plain.AddAgents(1);
  plain.attributes["agent-0"] = {{"dedicated", "www/hello"}};
  plain.Start();
  plain.PutApp(SimpleApp("/other", 2));
  plain.Settle();
  EXPECT_EQ(plain.Running("/other"), 2);
}

TEST(SchedulerConstraintsTest, ALostAgentIsNoLongerKnown) {
  Harness h;
  StartUniqueWeb(h, 2, 3);
  ASSERT_TRUE(h.scheduler.Queue(h.now, true).front().unplaceable.has_value());
  EXPECT_EQ(h.scheduler.Queue(h.now, true).front().unplaceable->known_agents, 2);
  h.Apply(h.scheduler.Handle(in::AgentLost{model::AgentId("agent-1")}, h.now));
  EXPECT_EQ(h.scheduler.Queue(h.now, true).front().unplaceable->known_agents, 1);
}

// Random clusters (racks, zones), apps with UNIQUE / GROUP_BY / MAX_PER / LIKE / CLUSTER, and a
// random sequence of scale changes, task failures, lost agents and offer rounds. After every
// step, no app's live instances break its constraints; after settling with room enough,
// GROUP_BY groups differ by at most one.
TEST(SchedulerConstraintsTest, PropertyNoPlacementEverBreaksItsConstraints) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE(StrCat("seed ", seed));
    Random random(seed);
    SchedulerOptions options;
    Harness h(options, seed);
    const int agents = 4 + static_cast<int>(random.Uniform(6));
    const int racks = 2 + static_cast<int>(random.Uniform(2));
    h.AddAgents(agents, "cpus:8;mem:8192;disk:1000;ports:[31000-31099]");
    Racks(h, racks);
    h.Start();
    struct Spec {
      PathId id;
      std::vector<std::vector<std::string>> constraints;
    };
    const std::vector<Spec> specs = {
        {"/unique", {{"hostname", "UNIQUE"}}},
        {"/spread", {{"rack", "GROUP_BY", StrCat(racks)}}},
        {"/capped", {{"rack", "MAX_PER", "2"}, {"hostname", "MAX_PER", "1"}}},
        {"/r0", {{"rack", "LIKE", "r0"}}},
        {"/together", {{"rack", "CLUSTER"}}},
    };
    std::map<PathId, int> sizes;
    for (const Spec& s : specs) {
      AppDefinition app = SimpleApp(s.id, 1 + static_cast<int>(random.Uniform(4)));
      app.constraints = s.constraints;
      app.backoff_seconds = 0;
      sizes[s.id] = app.instances;
      h.PutApp(app);
    }
    auto check = [&](bool settled) {
      for (const Spec& s : specs) {
        std::map<std::string, int> hosts = PlacedBy(h, s.id, "hostname");
        std::map<std::string, int> by_rack = PlacedBy(h, s.id, "rack");
        if (s.id == PathId("/unique")) {
          for (const auto& [host, n] : hosts) ASSERT_LE(n, 1) << host;
        } else if (s.id == PathId("/capped")) {
          for (const auto& [host, n] : hosts) ASSERT_LE(n, 1) << host;
          for (const auto& [rack, n] : by_rack) ASSERT_LE(n, 2) << rack;
        } else if (s.id == PathId("/r0")) {
          for (const auto& [rack, n] : by_rack) ASSERT_EQ(rack, "r0");
        } else if (s.id == PathId("/together")) {
          ASSERT_LE(by_rack.size(), 1u);
        } else if (s.id == PathId("/spread") && settled) {
          int lo = 1 << 30, hi = 0, total = 0;
          for (const auto& [rack, n] : by_rack) {
            lo = std::min(lo, n);
            hi = std::max(hi, n);
            total += n;
          }
          if (static_cast<int>(by_rack.size()) < racks) lo = 0;
          if (total == sizes[s.id]) {
            ASSERT_LE(hi - lo, 1) << "GROUP_BY after settling";
          }
        }
      }
    };
    for (int step = 0; step < 40; ++step) {
      switch (random.Uniform(5)) {
        case 0: {  // scale an app
          const Spec& s = specs[random.Uniform(specs.size())];
          const AppDefinition* current = FindApp(h.scheduler.root(), s.id);
          ASSERT_NE(current, nullptr);
          if (!h.scheduler.DeploymentsOf(s.id).empty()) break;
          AppDefinition app = *current;
          app.instances = static_cast<int>(random.Uniform(7));
          sizes[s.id] = app.instances;
          h.PutApp(app);
          break;
        }
        case 1: {  // a task fails
          if (h.tasks.empty()) break;
          auto it = h.tasks.begin();
          std::advance(it, random.Uniform(h.tasks.size()));
          h.Status(it->first, model::TaskState::kFailed);
          break;
        }
        case 2: {  // a task's agent is lost and the task gone
          if (h.tasks.empty()) break;
          auto it = h.tasks.begin();
          std::advance(it, random.Uniform(h.tasks.size()));
          h.Status(it->first, model::TaskState::kGone);
          break;
        }
        default:  // offers, runs, kills
          h.Offer();
          h.RunAll();
          h.AnswerKills();
          break;
      }
      h.Advance(Duration::Seconds(1));
      check(false);
    }
    h.Settle();
    check(true);
  }
}

}  // namespace
}  // namespace atl::marathonlike
