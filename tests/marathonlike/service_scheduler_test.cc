#include "marathonlike/service_scheduler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "marathonlike/task_builder.h"
#include "tests/marathonlike/scheduler_harness.h"

namespace atl::marathonlike {
namespace {

using test_util::Harness;
using test_util::SimpleApp;
using ::testing::Contains;

// What a store holding every durable command would give back after a restart.
void ApplyDurable(StoredState& s, const Command& c) {
  std::visit(
      Overloaded{
          [&](const cmd::PutFrameworkId& p) { s.framework_id = p.framework_id; },
          [&](const cmd::PutRoot& p) {
            s.root = *p.root;
            s.root_versions.push_back(p.root->version);
          },
          [&](const cmd::PutDeployment& p) {
            std::erase_if(s.deployments,
                          [&](const Deployment& d) { return d.plan.id == p.deployment.plan.id; });
            s.deployments.push_back(p.deployment);
          },
          [&](const cmd::RemoveDeployment& p) {
            std::erase_if(s.deployments, [&](const Deployment& d) { return d.plan.id == p.id; });
          },
          [&](const cmd::PutInstance& p) {
            std::erase_if(s.instances, [&](const Instance& i) { return i.id == p.instance.id; });
            s.instances.push_back(p.instance);
          },
          [&](const cmd::RemoveInstance& p) {
            std::erase_if(s.instances, [&](const Instance& i) { return i.id == p.id; });
          },
          [&](const cmd::PutAppVersion& p) { s.app_versions[p.app.id].push_back(p.app.version); },
          [&](const auto&) {},
      },
      c);
}

StoredState Stored(const Harness& h) {
  StoredState s;
  for (const Command& c : h.commands) ApplyDurable(s, c);
  return s;
}

std::vector<const Instance*> Live(const Harness& h, const PathId& app) {
  std::vector<const Instance*> out;
  for (const Instance* i : h.scheduler.InstancesOf(app)) {
    if (i->goal == Goal::kRunning) out.push_back(i);
  }
  return out;
}

TEST(ServiceSchedulerTest, CreateLaunchesEveryInstanceAndCompletesTheDeployment) {
  Harness h;
  h.AddAgents(2);
  h.Start();
  EXPECT_TRUE(h.suppressed) << "nothing to launch: offers suppressed";
  std::string id = h.PutApp(SimpleApp("/web", 3));
  EXPECT_FALSE(h.suppressed) << "instances wait: offers revived";
  EXPECT_EQ(h.scheduler.deployments().size(), 1u);
  EXPECT_THAT(h.events, Contains("deployment_info"));
  h.Offer();
  EXPECT_EQ(h.launched.size(), 3u);
  EXPECT_EQ(h.scheduler.deployments().size(), 1u) << "not done before the tasks run";
  h.RunAll();
  EXPECT_EQ(h.Running("/web"), 3);
  EXPECT_TRUE(h.scheduler.deployments().empty());
  EXPECT_EQ(h.Count("deployment_success"), 1);
  EXPECT_TRUE(h.suppressed);
  // Task ids are Marathon's, and the environment names the app.
  auto parsed = ParseTaskId(h.launched[0].task_id.value());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->app_id, "/web");
  EXPECT_EQ(parsed->incarnation, 1);
  const AppDefinition* app = FindApp(h.scheduler.root(), "/web");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->role, "*");
  ASSERT_EQ(app->port_definitions.size(), 1u);
  EXPECT_EQ(app->port_definitions[0].port, 10000) << "service port assigned";
  TaskCounts counts = h.scheduler.CountsOf(*app);
  EXPECT_EQ(counts.running, 3);
  EXPECT_EQ(counts.staged, 0);
  (void)id;
}

TEST(ServiceSchedulerTest, ServicePortsAreUniqueAndKeptAcrossUpdates) {
  Harness h;
  h.AddAgents(1);
  h.Start();
  h.PutApp(SimpleApp("/a", 1));
  h.PutApp(SimpleApp("/b", 1));
  h.Settle();
  const AppDefinition* a = FindApp(h.scheduler.root(), "/a");
  const AppDefinition* b = FindApp(h.scheduler.root(), "/b");
  EXPECT_EQ(a->port_definitions[0].port, 10000);
  EXPECT_EQ(b->port_definitions[0].port, 10001);
  Timestamp version = a->version;
  size_t launched = h.launched.size();
  // The client sends its JSON again, port 0 included: nothing changes, nothing restarts.
  h.now = h.now + Duration::Seconds(5);
  h.PutApp(SimpleApp("/a", 1));
  h.Settle();
  EXPECT_EQ(FindApp(h.scheduler.root(), "/a")->port_definitions[0].port, 10000);
  EXPECT_EQ(FindApp(h.scheduler.root(), "/a")->version, version);
  EXPECT_EQ(h.launched.size(), launched);
}

TEST(ServiceSchedulerTest, ScaleDownKillsTheYoungestAndWaitsForTheKills) {
  Harness h;
  h.AddAgents(1);
  h.Start();
  h.PutApp(SimpleApp("/web", 2));
  h.Settle();
  h.now = h.now + Duration::Seconds(10);
  AppDefinition app = *FindApp(h.scheduler.root(), "/web");
  app.instances = 4;
  h.PutApp(app);
  h.Settle();
  ASSERT_EQ(h.Running("/web"), 4);
  std::vector<std::string> youngest;
  for (const Instance* i : h.scheduler.InstancesOf("/web")) {
    if (i->started_at == h.now) youngest.push_back(i->task_id);
  }
  ASSERT_EQ(youngest.size(), 2u);
  h.now = h.now + Duration::Seconds(10);
  app.instances = 2;
  h.PutApp(app);
  std::sort(h.kills.begin(), h.kills.end());
  std::sort(youngest.begin(), youngest.end());
  EXPECT_EQ(h.kills, youngest);
  EXPECT_EQ(h.scheduler.deployments().size(), 1u) << "waits for TASK_KILLED";
  h.AnswerKills();
  EXPECT_TRUE(h.scheduler.deployments().empty());
  EXPECT_EQ(h.scheduler.InstancesOf("/web").size(), 2u) << "killed instances forgotten";
}

TEST(ServiceSchedulerTest, AFailedTaskIsRelaunchedAfterTheBackoff) {
  Harness h;
  h.AddAgents(1);
  h.Start();
  AppDefinition app = SimpleApp("/web", 1);
  app.backoff_seconds = 10;
  h.PutApp(app);
  h.Settle();
  ASSERT_EQ(h.launched.size(), 1u);
  std::string first = h.launched[0].task_id.value();
  h.Status(first, model::TaskState::kFailed);
  const AppFailure* failure = h.scheduler.LastFailureOf("/web");
  ASSERT_NE(failure, nullptr);
  EXPECT_EQ(failure->failure.task_id, first);
  EXPECT_EQ(failure->failure.state, "TASK_FAILED");
  h.Offer();
  EXPECT_EQ(h.launched.size(), 1u) << "delayed by backoffSeconds";
  std::vector<QueueEntry> queue = h.scheduler.Queue(h.now);
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue[0].count, 1);
  ASSERT_TRUE(queue[0].delayed_until.has_value());
  EXPECT_EQ(*queue[0].delayed_until, h.now + Duration::Seconds(10));
  ASSERT_TRUE(h.wake.has_value());
  EXPECT_LE(*h.wake, h.now + Duration::Seconds(10));
  h.Advance(Duration::Seconds(10));
  h.Offer();
  ASSERT_EQ(h.launched.size(), 2u);
  auto a = ParseTaskId(first), b = ParseTaskId(h.launched[1].task_id.value());
  EXPECT_EQ(a->instance_id, b->instance_id) << "the same instance, relaunched";
  EXPECT_EQ(b->incarnation, 2);
}

TEST(ServiceSchedulerTest, ResetDelayLaunchesAtOnce) {
  Harness h;
  h.AddAgents(1);
  h.Start();
  AppDefinition app = SimpleApp("/web", 1);
  app.backoff_seconds = 100;
  h.PutApp(app);
  h.Settle();
  h.Status(h.launched[0].task_id.value(), model::TaskState::kFailed);
  h.Offer();
  EXPECT_EQ(h.launched.size(), 1u);
  Output out;
  EXPECT_TRUE(h.scheduler.ResetDelay("/web", h.now, &out).ok());
  EXPECT_EQ(h.scheduler.ResetDelay("/nope", h.now, &out).code(), absl::StatusCode::kNotFound);
  h.Apply(out);
  h.Offer();
  EXPECT_EQ(h.launched.size(), 2u);
}

TEST(ServiceSchedulerTest, OffersThatDoNotFitAreCountedPerReason) {
  Harness h;
  h.AddAgents(1, "cpus:1;mem:64;ports:[31000-31010]");
  h.Start();
  h.PutApp(SimpleApp("/big", 1, 2, 128));
  h.Offer();
  h.Offer();
  std::vector<QueueEntry> queue = h.scheduler.Queue(h.now);
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue[0].processed_offers, 2);
  EXPECT_EQ(queue[0].unused_offers, 2);
  // Declined at the first failing check of Marathon's funnel (cpus before mem).
  EXPECT_EQ(queue[0].rejected_by_reason["InsufficientCpus"], 2);
  EXPECT_FALSE(queue[0].rejected_by_reason.contains("InsufficientMemory"));
  // Declined briefly: something still waits.
  auto decline = std::find_if(h.commands.begin(), h.commands.end(), [](const Command& c) {
    return std::holds_alternative<cmd::Decline>(c);
  });
  ASSERT_NE(decline, h.commands.end());
  EXPECT_EQ(std::get<cmd::Decline>(*decline).refuse, Duration::Seconds(5));
}

TEST(ServiceSchedulerTest, RollingRestartKeepsTheHealthFloor) {
  Harness h;
  h.AddAgents(3);
  h.Start();
  AppDefinition app = SimpleApp("/web", 4);
  app.upgrade_strategy = {.minimum_health_capacity = 0.5,
                          .maximum_over_capacity = 0,
                          .rollback_after_failures = std::nullopt};
  h.PutApp(app);
  h.Settle();
  ASSERT_EQ(h.Running("/web"), 4);
  h.now = h.now + Duration::Seconds(60);
  auto root = RestartApp(h.scheduler.root(), "/web", h.now);
  ASSERT_TRUE(root.ok());
  h.DeployOk(*root);
  // min 2 healthy, max 4: two old killed at once, two new launched once they are gone.
  EXPECT_EQ(h.kills.size(), 2u);
  h.Offer();
  size_t before = h.launched.size();
  h.AnswerKills();
  h.Offer();
  EXPECT_EQ(h.launched.size(), before + 2);
  h.Settle();
  EXPECT_TRUE(h.scheduler.deployments().empty());
  const AppDefinition* now_app = FindApp(h.scheduler.root(), "/web");
  for (const Instance* i : h.scheduler.InstancesOf("/web")) {
    EXPECT_EQ(i->app_version, now_app->version);
    EXPECT_EQ(i->condition, Condition::kRunning);
  }
  EXPECT_EQ(h.scheduler.InstancesOf("/web").size(), 4u);
}

TEST(ServiceSchedulerTest, ConflictingDeploymentsAreRefusedUnlessForced) {
  Harness h;
  h.AddAgents(1);
  h.Start();
  std::string first = h.PutApp(SimpleApp("/web", 2));
  auto root = PutApp(h.scheduler.root(), SimpleApp("/web", 3), h.now + Duration::Seconds(1));
  ASSERT_TRUE(root.ok());
  auto result = h.Deploy(*root);
  auto* conflict = std::get_if<ServiceScheduler::Conflict>(&result);
  ASSERT_NE(conflict, nullptr);
  EXPECT_EQ(conflict->deployment_ids, std::vector<std::string>{first});
  EXPECT_EQ(FindApp(h.scheduler.root(), "/web")->instances, 2) << "nothing changed";
  // Another app is not locked.
  h.PutApp(SimpleApp("/other", 1));
  result = h.Deploy(*PutApp(h.scheduler.root(), SimpleApp("/web", 3), h.now),
                    {.force = true, .to_kill = {}});
  ASSERT_TRUE(std::holds_alternative<DeploymentPlan>(result));
  EXPECT_FALSE(h.scheduler.deployments().contains(first));
  EXPECT_EQ(h.Count("deployment_failed"), 1);
  h.Settle();
  EXPECT_EQ(h.Running("/web"), 3);
  EXPECT_TRUE(h.scheduler.deployments().empty());
}

TEST(ServiceSchedulerTest, CancelRevertsThroughANewDeployment) {
  Harness h;
  h.AddAgents(1, "cpus:1;mem:4096;ports:[31000-31099]");
  h.Start();
  h.PutApp(SimpleApp("/web", 2));
  h.Settle();
  Timestamp old_version = FindApp(h.scheduler.root(), "/web")->version;
  // Scale to 20: only 10 fit (0.1 cpus each), so the deployment hangs.
  h.now = h.now + Duration::Seconds(1);
  AppDefinition bigger = *FindApp(h.scheduler.root(), "/web");
  bigger.instances = 20;
  std::string id = h.PutApp(bigger);
  h.Settle();
  ASSERT_EQ(h.scheduler.deployments().size(), 1u);
  Output out;
  auto revert = h.scheduler.CancelDeployment(id, false, h.now, &out);
  h.Apply(out);
  ASSERT_TRUE(revert.ok());
  ASSERT_TRUE(revert->has_value());
  EXPECT_EQ(FindApp(h.scheduler.root(), "/web")->instances, 2);
  EXPECT_EQ(FindApp(h.scheduler.root(), "/web")->version, old_version);
  h.Settle();
  EXPECT_TRUE(h.scheduler.deployments().empty());
  EXPECT_EQ(Live(h, "/web").size(), 2u);
  EXPECT_EQ(h.Running("/web"), 2);
  Output out2;
  EXPECT_EQ(h.scheduler.CancelDeployment("nope", false, h.now, &out2).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ServiceSchedulerTest, DeletingAnAppKillsItsTasksThenReportsItTerminated) {
  Harness h;
  h.AddAgents(1);
  h.Start();
  h.PutApp(SimpleApp("/web", 2));
  h.Settle();
  auto root = RemoveApp(h.scheduler.root(), "/web", h.now);
  ASSERT_TRUE(root.ok());
  h.DeployOk(*root);
  EXPECT_EQ(h.kills.size(), 2u);
  EXPECT_EQ(h.Count("app_terminated_event"), 0);
  h.AnswerKills();
  EXPECT_TRUE(h.scheduler.instances().empty());
  EXPECT_EQ(h.Count("app_terminated_event"), 1);
  EXPECT_TRUE(h.scheduler.deployments().empty());
  // Its versions stay: root versions refer to them.
  EXPECT_TRUE(h.scheduler.app_versions().contains("/web"));
}

TEST(ServiceSchedulerTest, DependenciesDeployFirst) {
  Harness h;
  h.AddAgents(1);
  h.Start();
  Group root = h.scheduler.root();
  AppDefinition db = SimpleApp("/db", 1);
  AppDefinition web = SimpleApp("/web", 1);
  web.dependencies = {"/db"};
  PutAppRaw(&root, db, h.now);
  PutAppRaw(&root, web, h.now);
  root = StampVersions(h.scheduler.root(), root, h.now);
  h.DeployOk(root);
  h.Offer();
  ASSERT_EQ(h.launched.size(), 1u);
  EXPECT_EQ(ParseTaskId(h.launched[0].task_id.value())->app_id, "/db");
  h.RunAll();
  h.Offer();
  ASSERT_EQ(h.launched.size(), 2u);
  EXPECT_EQ(ParseTaskId(h.launched[1].task_id.value())->app_id, "/web");
  h.RunAll();
  EXPECT_TRUE(h.scheduler.deployments().empty());
}

TEST(ServiceSchedulerTest, KillRelaunchesButWipeReplacesTheInstance) {
  Harness h;
  h.AddAgents(1);
  h.Start();
  h.PutApp(SimpleApp("/web", 2));
  h.Settle();
  std::vector<const Instance*> instances = h.scheduler.InstancesOf("/web");
  InstanceId a = instances[0]->id, b = instances[1]->id;
  Output out;
  std::vector<Instance> killed =
      h.scheduler.KillInstances({a, InstanceId("nope")}, false, h.now, &out);
  h.Apply(out);
  ASSERT_EQ(killed.size(), 1u);
  h.Settle();
  ASSERT_NE(h.scheduler.FindInstance(a), nullptr) << "same instance, next incarnation";
  EXPECT_EQ(h.scheduler.FindInstance(a)->incarnation, 2);
  Output out2;
  h.scheduler.KillInstances({b}, true, h.now, &out2);
  h.Apply(out2);
  h.Settle();
  EXPECT_EQ(h.scheduler.FindInstance(b), nullptr);
  EXPECT_EQ(h.Running("/web"), 2) << "a new instance took its place";
}

TEST(ServiceSchedulerTest, ALostAgentGetsItsLaunchingTasksReconciledOnly) {
  Harness h;
  h.AddAgents(1);
  h.Start();
  h.PutApp(SimpleApp("/web", 2));
  h.Offer();
  ASSERT_EQ(h.launched.size(), 2u);
  const std::string running = h.launched[0].task_id.value();
  const std::string staging = h.launched[1].task_id.value();
  h.Status(running, model::TaskState::kRunning);
  h.commands.clear();
  h.Apply(h.scheduler.Handle(in::AgentLost{model::AgentId("agent-0")}, h.now));
  // The master reports the running task itself; only the one still launching is asked about.
  std::vector<std::string> asked;
  for (const Command& c : h.commands) {
    if (const auto* r = std::get_if<cmd::Reconcile>(&c)) {
      for (const model::TaskStatus& st : r->tasks) asked.push_back(st.task_id.value());
    }
  }
  EXPECT_EQ(asked, std::vector<std::string>{staging});
}

TEST(ServiceSchedulerTest, UnreachableInstancesAreReplacedThenExpunged) {
  Harness h;
  h.AddAgents(2);
  h.Start();
  AppDefinition app = SimpleApp("/web", 1);
  app.unreachable_strategy = {
      .disabled = false, .inactive_after_seconds = 60, .expunge_after_seconds = 600};
  h.PutApp(app);
  h.Settle();
  std::string task = h.launched[0].task_id.value();
  h.Status(task, model::TaskState::kUnreachable);
  EXPECT_EQ(h.scheduler.FindByTaskId(task)->condition, Condition::kUnreachable);
  h.Offer();
  EXPECT_EQ(h.launched.size(), 1u) << "no replacement before inactiveAfterSeconds";
  h.Advance(Duration::Seconds(60));
  EXPECT_EQ(h.scheduler.FindByTaskId(task)->condition, Condition::kUnreachableInactive);
  h.Settle();
  EXPECT_EQ(h.launched.size(), 2u) << "replaced";
  // It comes back: one too many, one is killed (the youngest: the replacement).
  h.Status(task, model::TaskState::kRunning);
  EXPECT_EQ(h.kills.size(), 1u);
  h.AnswerKills();
  EXPECT_EQ(h.Running("/web"), 1);
  EXPECT_EQ(h.scheduler.FindByTaskId(task)->condition, Condition::kRunning);
  // Unreachable again, past expungeAfterSeconds: killed and forgotten.
  h.Status(task, model::TaskState::kUnreachable);
  h.Advance(Duration::Seconds(600));
  EXPECT_EQ(h.scheduler.FindByTaskId(task), nullptr);
  EXPECT_THAT(h.kills, Contains(task));
}

TEST(ServiceSchedulerTest, UnknownTasksAreKilled) {
  Harness h;
  h.AddAgents(1);
  h.Start();
  h.Status("stranger", model::TaskState::kRunning);
  EXPECT_THAT(h.kills, Contains("stranger"));
}

TEST(ServiceSchedulerTest, TasksStuckStagingAreKilledAndRelaunched) {
  Harness h;
  h.AddAgents(1);
  h.Start();
  h.PutApp(SimpleApp("/web", 1));
  h.Offer();
  ASSERT_EQ(h.launched.size(), 1u);
  h.Advance(Duration::Minutes(5));
  EXPECT_THAT(h.kills, Contains(h.launched[0].task_id.value()));
  h.AnswerKills();
  h.Settle();
  EXPECT_EQ(h.Running("/web"), 1);
}

TEST(ServiceSchedulerTest, KillsAreRetriedUntilTheTaskEnds) {
  Harness h;
  h.AddAgents(1);
  h.Start();
  h.PutApp(SimpleApp("/web", 1));
  h.Settle();
  h.DeployOk(*RemoveApp(h.scheduler.root(), "/web", h.now));
  ASSERT_EQ(h.kills.size(), 1u);
  h.Advance(Duration::Seconds(10));
  EXPECT_EQ(h.kills.size(), 2u);
}

TEST(ServiceSchedulerTest, ADeploymentPastItsProgressDeadlineFails) {
  Harness h;
  h.AddAgents(1, "cpus:1;mem:4096;ports:[31000-31099]");
  h.Start();
  AppDefinition app = SimpleApp("/web", 20);  // only 10 fit
  app.deployment_progress_deadline_seconds = 30;
  h.PutApp(app);
  h.Settle();
  EXPECT_EQ(h.scheduler.deployments().size(), 1u);
  ASSERT_TRUE(h.wake.has_value());
  h.Advance(Duration::Seconds(30));
  EXPECT_TRUE(h.scheduler.deployments().empty());
  EXPECT_EQ(h.Count("deployment_failed"), 1);
  EXPECT_EQ(h.Running("/web"), 10) << "what runs keeps running";
}

TEST(ServiceSchedulerTest, RecoveryResumesADeploymentWithoutDuplicatingTasks) {
  Harness h;
  h.AddAgents(2);
  h.Start();
  h.PutApp(SimpleApp("/web", 2));
  h.Settle();
  h.now = h.now + Duration::Seconds(30);
  h.DeployOk(*RestartApp(h.scheduler.root(), "/web", h.now));
  h.Offer();  // new tasks launched, not yet running
  size_t launched = h.launched.size();
  ASSERT_EQ(launched, 4u);

  // kill -9: a new scheduler from what was stored.
  StoredState stored = Stored(h);
  ASSERT_EQ(stored.framework_id, "fw-1");
  ASSERT_EQ(stored.deployments.size(), 1u);
  Harness h2;
  h2.now = h.now;
  h2.agents = h.agents;
  h2.tasks = h.tasks;
  h2.Apply(h2.scheduler.Handle(in::Recover{stored}, h2.now));
  EXPECT_EQ(h2.scheduler.framework_id(), "fw-1");
  h2.Apply(h2.scheduler.Handle(in::Subscribed{"fw-1", false, "master:5050"}, h2.now));
  // Reconciliation tells the running state of every task.
  for (auto& [id, t] : std::map<std::string, Harness::FakeTask>(h2.tasks)) {
    h2.Status(id, t.state);
  }
  h2.Settle();
  EXPECT_TRUE(h2.scheduler.deployments().empty());
  EXPECT_EQ(h2.launched.size(), 0u) << "nothing launched twice";
  EXPECT_EQ(h2.Running("/web"), 2);
  const AppDefinition* app = FindApp(h2.scheduler.root(), "/web");
  for (const Instance* i : h2.scheduler.InstancesOf("/web"))
    EXPECT_EQ(i->app_version, app->version);
}

TEST(ServiceSchedulerTest, StatusUpdatesBecomeEvents) {
  Harness h;
  h.AddAgents(1);
  h.Start();
  h.PutApp(SimpleApp("/web", 1));
  h.Settle();
  EXPECT_GE(h.Count("status_update_event"), 1);
  EXPECT_GE(h.Count("instance_changed_event"), 3);  // Scheduled, Provisioned, Running
  EXPECT_EQ(h.Count("scheduler_registered_event"), 1);
  // A reconciliation answer that repeats the state is not an event.
  int before = h.Count("status_update_event");
  h.Status(h.launched[0].task_id.value(), model::TaskState::kRunning);
  EXPECT_EQ(h.Count("status_update_event"), before);
}

TEST(ServiceSchedulerTest, AHugeAppQueuesAFewInstancesAtATime) {
  SchedulerOptions options;
  options.max_queued_per_app = 10;
  Harness h(options);
  h.AddAgents(1, "cpus:4;mem:4096;ports:[31000-31099]");
  h.Start();
  h.PutApp(SimpleApp("/huge", 2'000'000'000));
  EXPECT_EQ(h.scheduler.instances().size(), 10u);
  h.Offer();  // 5 launch (max per offer), 5 more are queued
  EXPECT_EQ(h.launched.size(), 5u);
  EXPECT_EQ(h.scheduler.Queue(h.now)[0].count, 10);
  h.Settle(5);
  EXPECT_LE(h.scheduler.Queue(h.now)[0].count, 10);
  EXPECT_EQ(h.scheduler.deployments().size(), 1u) << "still deploying, bounded";
}

// UNIQUE and the /v2/queue reasons: scheduler_constraints_test.cc.
TEST(ServiceSchedulerTest, MaxPerAndLikeOnAttributesAndTheFaultDomain) {
  Harness h;
  h.AddAgents(4);
  h.Start();
  // Agents 0 and 1 in rack r1, 2 and 3 in rack r2; zones a/b.
  int k = 0;
  for (auto& [id, a] : h.agents) {
    (void)a;
    h.attributes[id] = {{"rack", k < 2 ? "r1" : "r2"}};
    h.domains[id] = model::DomainInfo{"eu", k % 2 == 0 ? "a" : "b"};
    ++k;
  }
  AppDefinition spread = SimpleApp("/spread", 4);
  spread.constraints = {{"rack", "MAX_PER", "2"}, {"@zone", "MAX_PER", "2"}};
  h.PutApp(spread);
  AppDefinition only_r2 = SimpleApp("/r2", 3);
  only_r2.constraints = {{"rack", "LIKE", "r2"}};
  h.PutApp(only_r2);
  h.Settle();
  std::map<std::string, int> by_rack, by_zone;
  for (const Instance* i : h.scheduler.InstancesOf("/spread")) {
    by_rack[i->agent_attributes.at("rack")]++;
    by_zone[i->agent_attributes.at("@zone")]++;
  }
  EXPECT_EQ(by_rack, (std::map<std::string, int>{{"r1", 2}, {"r2", 2}}));
  EXPECT_EQ(by_zone, (std::map<std::string, int>{{"a", 2}, {"b", 2}}));
  EXPECT_EQ(h.Running("/r2"), 3);
  for (const Instance* i : h.scheduler.InstancesOf("/r2")) {
    EXPECT_EQ(i->agent_attributes.at("rack"), "r2");
  }
}

}  // namespace
}  // namespace atl::marathonlike
