// The service scheduler (marathonlike::ServiceScheduler) as a framework of the simulated
// cluster: real master, simulated agents, random offer orders (seeded allocation), tasks that
// fail or are killed behind its back, agents that disconnect. After every event it checks the
// rolling-restart bounds of reference/marathon.md §3.3:
//   - our kills never take the healthy instances below ceil(n × minimumHealthCapacity): after
//     an event in which we decommissioned a healthy instance, at least that many remain (a
//     failure may go below the floor, after which we kill no healthy instance until it is
//     restored);
//   - instances holding resources never exceed floor(n × (1 + maximumOverCapacity)) (+1 surge
//     when the strategy leaves no room).
#include <gtest/gtest.h>

#include <set>

#include "core/base/overloaded.h"
#include "core/base/random.h"
#include "marathonlike/restart_strategy.h"
#include "marathonlike/root_group.h"
#include "marathonlike/service_scheduler.h"
#include "tests/sim/sim_test_util.h"

namespace atl::sim {
namespace {

using marathonlike::AppDefinition;
using marathonlike::Condition;
using marathonlike::Goal;
using marathonlike::Instance;
using marathonlike::ServiceScheduler;

AppDefinition App(const std::string& id, int instances, std::string cmd = "sleep") {
  AppDefinition app;
  app.id = id;
  app.cmd = std::move(cmd);
  app.instances = instances;
  app.cpus = 0.5;
  app.mem = 64;
  return app;
}

// Runs a ServiceScheduler on the cluster's event stream and executes its commands.
class MarathonOnSim {
 public:
  MarathonOnSim(SimCluster& c, uint64_t seed, marathonlike::SchedulerOptions options = {})
      : c_(c), scheduler_(std::move(options), seed) {
    Apply(scheduler_.Handle(marathonlike::in::Recover{}, c_.now()));
    fw_ = &c_.AddFramework(testing::Info("marathon", {"*"}, 3600, /*partition_aware=*/false));
    fw_->on_event = [this](SimCluster::Framework& f, const api::Event& e) { OnEvent(f, e); };
  }

  ServiceScheduler& scheduler() { return scheduler_; }
  SimCluster::Framework& framework() { return *fw_; }
  const std::vector<std::string>& violations() const { return violations_; }

  // Runs `d` of simulated time, ticking the scheduler every second.
  void RunFor(Duration d) {
    Timestamp end = c_.now() + d;
    while (c_.now() < end) {
      c_.RunFor(std::min(Duration::Seconds(1), end - c_.now()));
      Handle(marathonlike::in::Tick{});
    }
  }
  bool RunUntil(const std::function<bool()>& done, Duration limit = Duration::Minutes(10)) {
    Timestamp end = c_.now() + limit;
    while (!done() && c_.now() < end) RunFor(Duration::Seconds(1));
    return done();
  }

  std::string Deploy(marathonlike::Group target) {
    marathonlike::Output out;
    auto result = scheduler_.Deploy(std::move(target), {}, c_.now(), &out);
    Apply(out);
    auto* plan = std::get_if<marathonlike::DeploymentPlan>(&result);
    EXPECT_NE(plan, nullptr);
    return plan != nullptr ? plan->id : "";
  }
  std::string PutApp(const AppDefinition& app) {
    auto root = marathonlike::PutApp(scheduler_.root(), app, c_.now());
    EXPECT_TRUE(root.ok());
    return Deploy(*root);
  }

  absl::StatusOr<std::optional<marathonlike::DeploymentPlan>> Cancel(const std::string& id,
                                                                     bool force) {
    marathonlike::Output out;
    auto result = scheduler_.CancelDeployment(id, force, c_.now(), &out);
    Apply(out);
    return result;
  }

  int RunningOf(const std::string& app) const {
    int n = 0;
    for (const Instance* i : scheduler_.InstancesOf(app)) {
      n += i->goal == Goal::kRunning && i->condition == Condition::kRunning;
    }
    return n;
  }

  // Kills a task behind the scheduler's back (a crash, an OOM kill).
  void KillBehindItsBack(const std::string& task_id) {
    c_.Call(*fw_, api::call::Kill{model::TaskId(task_id), std::nullopt, std::nullopt});
  }

  std::set<std::string> launched;  // every task id ever launched

 private:
  void OnEvent(SimCluster::Framework& f, const api::Event& e) {
    SimCluster::AutoAcknowledge(c_, f, e);
    std::visit(
        Overloaded{
            [&](const api::event::Subscribed& s) {
              Handle(marathonlike::in::Subscribed{s.framework_id.value(), subscribed_once_,
                                                  "master:5050"});
              subscribed_once_ = true;
            },
            [&](const api::event::Offers& o) { Handle(marathonlike::in::Offers{o.offers}); },
            [&](const api::event::Rescind& r) {
              Handle(marathonlike::in::OfferRescinded{r.offer_id});
            },
            [&](const api::event::Update& u) { Handle(marathonlike::in::StatusUpdate{u.status}); },
            [&](const api::event::Failure& fl) {
              if (fl.agent_id && !fl.executor_id) {
                Handle(marathonlike::in::AgentLost{*fl.agent_id});
              }
            },
            [&](const auto&) {},
        },
        e.body);
  }

  template <typename In>
  void Handle(const In& input) {
    std::map<marathonlike::InstanceId, bool> was_healthy_running;
    for (const auto& [id, i] : scheduler_.instances()) {
      const AppDefinition* app = marathonlike::FindApp(scheduler_.root(), i.app_id);
      was_healthy_running[id] =
          app != nullptr && i.goal == Goal::kRunning && scheduler_.IsHealthy(i, *app);
    }
    marathonlike::Output out = scheduler_.Handle(input, c_.now());
    CheckBounds(was_healthy_running);
    Apply(out);
  }

  std::map<std::string, int> HealthyByApp() const {
    std::map<std::string, int> out;
    for (const auto& [id, i] : scheduler_.instances()) {
      const AppDefinition* app = marathonlike::FindApp(scheduler_.root(), i.app_id);
      if (app != nullptr && i.goal == Goal::kRunning && scheduler_.IsHealthy(i, *app)) {
        out[i.app_id]++;
      }
    }
    return out;
  }

  void CheckBounds(const std::map<marathonlike::InstanceId, bool>& was_healthy_running) {
    std::map<std::string, int> healthy_after = HealthyByApp();
    for (const auto& [id, d] : scheduler_.deployments()) {
      for (size_t s = 0; s < d.plan.steps.size(); ++s) {
        for (const marathonlike::Action& a : d.plan.steps[s].actions) {
          if (a.type != marathonlike::ActionType::kRestart ||
              static_cast<int>(s) != d.current_step) {
            continue;
          }
          const AppDefinition* app = marathonlike::FindApp(scheduler_.root(), a.app_id);
          if (app == nullptr) continue;
          int n = app->instances;
          int min_healthy =
              marathonlike::CeilTimes(n, app->upgrade_strategy.minimum_health_capacity);
          int max_capacity =
              marathonlike::FloorTimes(n, 1 + app->upgrade_strategy.maximum_over_capacity);
          if (min_healthy == max_capacity) max_capacity++;
          // Our kills: healthy instances decommissioned by this event.
          int killed_healthy = 0;
          int holding = 0;
          for (const Instance* i : scheduler_.InstancesOf(a.app_id)) {
            auto was = was_healthy_running.find(i->id);
            if (was != was_healthy_running.end() && was->second && i->goal != Goal::kRunning) {
              killed_healthy++;
            }
            if (i->condition != Condition::kScheduled && !marathonlike::IsTerminal(i->condition)) {
              holding++;
            }
            if (i->goal == Goal::kRunning && i->condition == Condition::kScheduled) holding++;
          }
          auto ha = healthy_after.find(a.app_id);
          int after = ha == healthy_after.end() ? 0 : ha->second;
          if (killed_healthy > 0 && after < min_healthy) {
            violations_.push_back(StrCat(FormatIso8601(c_.now()), " ", a.app_id, ": killed ",
                                         killed_healthy, " healthy, ", after, " left, floor ",
                                         min_healthy));
          }
          if (holding > max_capacity) {
            violations_.push_back(StrCat(FormatIso8601(c_.now()), " ", a.app_id, ": ", holding,
                                         " instances over max capacity ", max_capacity));
          }
        }
      }
    }
  }

  void Apply(const marathonlike::Output& out) {
    for (const marathonlike::Command& command : out.commands) {
      std::visit(
          Overloaded{
              [&](const marathonlike::cmd::Launch& l) {
                for (const model::TaskInfo& t : l.tasks) {
                  if (!launched.insert(t.task_id.value()).second) {
                    violations_.push_back(StrCat("task launched twice: ", t.task_id.value()));
                  }
                }
                c_.Accept(*fw_, l.offer_ids, {SimCluster::LaunchOp(l.tasks)}, l.refuse.seconds());
              },
              [&](const marathonlike::cmd::Decline& d) {
                c_.Decline(*fw_, {d.offer_id}, d.refuse.seconds());
              },
              [&](const marathonlike::cmd::Kill& k) {
                c_.Call(*fw_, api::call::Kill{k.task_id, k.agent_id, std::nullopt});
              },
              [&](const marathonlike::cmd::Reconcile& r) {
                api::call::Reconcile rec;
                for (const model::TaskStatus& s : r.tasks)
                  rec.tasks.push_back({s.task_id, s.agent_id});
                c_.Call(*fw_, rec);
              },
              [&](const marathonlike::cmd::Revive&) { c_.Call(*fw_, api::call::Revive{}); },
              [&](const marathonlike::cmd::Suppress&) { c_.Call(*fw_, api::call::Suppress{}); },
              [&](const auto&) {},
          },
          command);
    }
  }

  SimCluster& c_;
  ServiceScheduler scheduler_;
  SimCluster::Framework* fw_ = nullptr;
  bool subscribed_once_ = false;
  std::vector<std::string> violations_;
};

SimCluster::Options ClusterOptions(int agents, uint64_t seed) {
  SimCluster::Options o = testing::Opts(agents);
  o.seed = seed;
  o.agent.running_delay = Duration::Milliseconds(500);
  o.agent_resources = "cpus:4;mem:8192;disk:10000;ports:[31000-32000]";
  return o;
}

TEST(MarathonSimTest, DeploysScalesAndDeletesOnTheCluster) {
  SimCluster c(ClusterOptions(3, 1));
  MarathonOnSim m(c, 1);
  m.PutApp(App("/web", 6));
  ASSERT_TRUE(m.RunUntil([&] { return m.scheduler().deployments().empty(); }));
  EXPECT_EQ(m.RunningOf("/web"), 6);
  EXPECT_EQ(testing::RunningTasks(c, m.framework()), 6u);
  AppDefinition app = *marathonlike::FindApp(m.scheduler().root(), "/web");
  app.instances = 2;
  m.PutApp(app);
  ASSERT_TRUE(m.RunUntil([&] { return m.scheduler().deployments().empty(); }));
  EXPECT_EQ(testing::RunningTasks(c, m.framework()), 2u);
  m.Deploy(*marathonlike::RemoveApp(m.scheduler().root(), "/web", c.now()));
  ASSERT_TRUE(m.RunUntil([&] { return m.scheduler().deployments().empty(); }));
  EXPECT_EQ(testing::RunningTasks(c, m.framework()), 0u);
  EXPECT_TRUE(m.scheduler().instances().empty());
  EXPECT_TRUE(m.violations().empty()) << m.violations()[0];
  EXPECT_TRUE(c.violations().empty());
}

// Rolling restarts under every strategy shape, with random failures during the restart.
class RollingRestartSim : public ::testing::TestWithParam<int> {};

TEST_P(RollingRestartSim, BoundsHoldUnderFailures) {
  const uint64_t seed = static_cast<uint64_t>(GetParam());
  Random random(seed * 7919);
  SimCluster c(ClusterOptions(4, seed));
  MarathonOnSim m(c, seed);
  const double strategies[][2] = {{1, 1}, {1, 0}, {0.5, 0.2}, {0, 0}, {0.8, 0.5}, {0.5, 0}};
  const auto& st = strategies[seed % 6];
  AppDefinition app = App("/svc", 3 + static_cast<int>(random.Uniform(8)));
  app.upgrade_strategy = {.minimum_health_capacity = st[0], .maximum_over_capacity = st[1]};
  app.backoff_seconds = 1;
  m.PutApp(app);
  ASSERT_TRUE(m.RunUntil([&] { return m.scheduler().deployments().empty(); }));
  int injected = 0;
  for (int round = 0; round < 3; ++round) {
    auto root = marathonlike::RestartApp(m.scheduler().root(), "/svc", c.now());
    ASSERT_TRUE(root.ok());
    m.Deploy(*root);
    // Random failures while it rolls.
    for (int step = 0; step < 20 && !m.scheduler().deployments().empty(); ++step) {
      m.RunFor(Duration::Milliseconds(100 + random.Uniform(600)));
      if (random.Uniform(2) == 0) {
        injected++;
        std::vector<std::string> running;
        for (const Instance* i : m.scheduler().InstancesOf("/svc")) {
          if (i->condition == Condition::kRunning) running.push_back(i->task_id);
        }
        if (!running.empty()) m.KillBehindItsBack(running[random.Uniform(running.size())]);
      }
    }
    ASSERT_TRUE(
        m.RunUntil([&] { return m.scheduler().deployments().empty(); }, Duration::Minutes(30)))
        << "restart " << round << " did not finish (seed " << seed << ")";
    const AppDefinition* now_app = marathonlike::FindApp(m.scheduler().root(), "/svc");
    ASSERT_TRUE(m.RunUntil([&] { return m.RunningOf("/svc") == now_app->instances; }));
    for (const Instance* i : m.scheduler().InstancesOf("/svc")) {
      EXPECT_EQ(i->app_version, now_app->version) << i->id;
    }
  }
  EXPECT_GE(m.launched.size(), static_cast<size_t>(app.instances * 4)) << "restarts happened";
  EXPECT_GT(injected, 0);
  EXPECT_TRUE(m.violations().empty())
      << m.violations().size() << " violations, first: " << m.violations()[0];
  EXPECT_TRUE(c.violations().empty());
}

INSTANTIATE_TEST_SUITE_P(Seeds, RollingRestartSim, ::testing::Range(1, 25));

TEST(MarathonSimTest, DependantsWaitForTheirDependencies) {
  SimCluster c(ClusterOptions(3, 3));
  MarathonOnSim m(c, 3);
  marathonlike::Group root = m.scheduler().root();
  AppDefinition db = App("/db", 2), api = App("/api", 2), web = App("/web", 2);
  api.dependencies = {"/db"};
  web.dependencies = {"/api"};
  marathonlike::PutAppRaw(&root, db, c.now());
  marathonlike::PutAppRaw(&root, api, c.now());
  marathonlike::PutAppRaw(&root, web, c.now());
  m.Deploy(marathonlike::StampVersions(m.scheduler().root(), root, c.now()));
  // Whenever an app has a task launched, its dependency runs all its instances.
  bool ordered = true;
  m.RunUntil([&] {
    if (m.RunningOf("/api") > 0 && m.RunningOf("/db") < 2) ordered = false;
    if (m.RunningOf("/web") > 0 && m.RunningOf("/api") < 2) ordered = false;
    return m.scheduler().deployments().empty();
  });
  EXPECT_TRUE(ordered);
  EXPECT_EQ(m.RunningOf("/web"), 2);
}

TEST(MarathonSimTest, CancelRevertsToThePreviousVersion) {
  SimCluster c(ClusterOptions(2, 5));
  // Health comes only from TaskStatus.healthy, which the simulated agents never report.
  marathonlike::SchedulerOptions options;
  options.trust_running_as_healthy = false;
  MarathonOnSim m(c, 5, options);
  m.PutApp(App("/web", 2));
  ASSERT_TRUE(m.RunUntil([&] { return m.scheduler().deployments().empty(); }));
  Timestamp old_version = marathonlike::FindApp(m.scheduler().root(), "/web")->version;
  // The new version has a health check that never passes.
  AppDefinition broken = *marathonlike::FindApp(m.scheduler().root(), "/web");
  broken.health_checks.emplace_back();
  std::string id = m.PutApp(broken);
  m.RunFor(Duration::Seconds(20));
  ASSERT_EQ(m.scheduler().deployments().size(), 1u);
  int old_running = 0;
  for (const Instance* i : m.scheduler().InstancesOf("/web")) {
    old_running += i->app_version == old_version && i->condition == Condition::kRunning &&
                   i->goal == Goal::kRunning;
  }
  EXPECT_EQ(old_running, 2) << "old tasks keep serving";
  auto revert = m.Cancel(id, false);
  ASSERT_TRUE(revert.ok());
  ASSERT_TRUE(m.RunUntil([&] { return m.scheduler().deployments().empty(); }));
  EXPECT_EQ(marathonlike::FindApp(m.scheduler().root(), "/web")->version, old_version);
  EXPECT_EQ(m.RunningOf("/web"), 2);
}

}  // namespace
}  // namespace atl::sim
