// The service scheduler on the simulated cluster (tests/common/marathon_sim.h): deployments,
// scaling, dependencies, cancel/revert, and rolling restarts under random failures with the
// restart bounds checked after every event.
#include "tests/common/marathon_sim.h"

#include <gtest/gtest.h>

#include <set>

#include "core/base/overloaded.h"
#include "core/base/random.h"
#include "core/base/strings.h"
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
  app.upgrade_strategy = {.minimum_health_capacity = st[0],
                          .maximum_over_capacity = st[1],
                          .rollback_after_failures = std::nullopt};
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
  MarathonOnSim m(c, 5);
  m.PutApp(App("/web", 2));
  ASSERT_TRUE(m.RunUntil([&] { return m.scheduler().deployments().empty(); }));
  Timestamp old_version = marathonlike::FindApp(m.scheduler().root(), "/web")->version;
  // The new version has a health check that never passes (the simulated agents report
  // "sim:unhealthy" tasks unhealthy).
  AppDefinition broken = *marathonlike::FindApp(m.scheduler().root(), "/web");
  broken.health_checks.emplace_back();
  broken.cmd = "sim:unhealthy";
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

// Health checks that flap (the simulated agents flip a "sim:flap" task's health every 500 ms):
// a rolling restart into such a version keeps the bounds after every event, whatever the
// flapping does to the healthy count, and the old version keeps serving while the new one is
// not healthy enough.
TEST(MarathonSimTest, RollingRestartIntoAFlappingVersionKeepsTheBounds) {
  for (uint64_t seed : {3u, 11u, 29u}) {
    SCOPED_TRACE(StrCat("seed ", seed));
    SimCluster c(ClusterOptions(3, seed));
    MarathonOnSim m(c, seed);
    AppDefinition app = App("/svc", 6);
    app.health_checks.emplace_back();
    app.upgrade_strategy = {.minimum_health_capacity = 0.5,
                            .maximum_over_capacity = 0.5,
                            .rollback_after_failures = std::nullopt};
    m.PutApp(app);
    ASSERT_TRUE(m.RunUntil([&] { return m.scheduler().deployments().empty(); }));
    AppDefinition flapping = *marathonlike::FindApp(m.scheduler().root(), "/svc");
    flapping.cmd = "sim:flap";
    m.PutApp(flapping);
    m.RunFor(Duration::Minutes(2));
    EXPECT_TRUE(m.violations().empty())
        << m.violations().size() << " violations, first: " << m.violations()[0];
    EXPECT_TRUE(c.violations().empty());
  }
}

// A version whose checks never pass, with a progress deadline: the deployment fails when the
// deadline passes, and the old version still serves.
TEST(MarathonSimTest, ANeverHealthyVersionFailsAtItsDeadlineAndTheOldOneServes) {
  SimCluster c(ClusterOptions(2, 7));
  MarathonOnSim m(c, 7);
  AppDefinition app = App("/web", 2);
  app.health_checks.emplace_back();
  m.PutApp(app);
  ASSERT_TRUE(m.RunUntil([&] { return m.scheduler().deployments().empty(); }));
  const Timestamp old_version = marathonlike::FindApp(m.scheduler().root(), "/web")->version;
  AppDefinition broken = *marathonlike::FindApp(m.scheduler().root(), "/web");
  broken.cmd = "sim:unhealthy";
  broken.deployment_progress_deadline_seconds = 30;
  m.PutApp(broken);
  m.RunFor(Duration::Seconds(20));
  EXPECT_EQ(m.scheduler().deployments().size(), 1u) << "still waiting for health";
  ASSERT_TRUE(
      m.RunUntil([&] { return m.scheduler().deployments().empty(); }, Duration::Minutes(2)));
  int old_running = 0;
  for (const Instance* i : m.scheduler().InstancesOf("/web")) {
    old_running += i->app_version == old_version && i->condition == Condition::kRunning;
  }
  EXPECT_EQ(old_running, 2) << "the old version keeps serving (minimumHealthCapacity 1)";
  EXPECT_TRUE(m.violations().empty());
}

}  // namespace
}  // namespace atl::sim
