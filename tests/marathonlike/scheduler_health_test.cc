// Health checks in the ServiceScheduler (issue 6): the check travels in TaskInfo, the
// executor's reports become healthCheckResults, counts and events, deployments wait for
// health, and a task the executor killed for failing its check is replaced with the reason in
// lastTaskFailure.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/api/json_model.h"
#include "healthchecks/readiness.h"
#include "healthchecks/tracker.h"
#include "marathonlike/service_scheduler.h"
#include "tests/marathonlike/scheduler_harness.h"

namespace atl::marathonlike {
namespace {

using test_util::Harness;
using test_util::SimpleApp;

AppDefinition CheckedApp(int instances) {
  AppDefinition app = SimpleApp("/web", instances);
  AppHealthCheck check;
  check.protocol = "MESOS_HTTP";
  check.path = "/health";
  check.port_index = 0;
  check.grace_period_seconds = 30;
  check.interval_seconds = 5;
  check.timeout_seconds = 2;
  check.max_consecutive_failures = 3;
  check.delay_seconds = 1;
  app.health_checks = {check};
  return app;
}

// The executor's report for `task_id` as it sends it: healthy, with the details in labels.
model::TaskStatus Report(const std::string& task_id, const healthchecks::State& state,
                         model::TaskState task_state = model::TaskState::kRunning) {
  model::TaskStatus st;
  st.task_id = model::TaskId(task_id);
  st.state = task_state;
  st.healthy = state.healthy;
  st.labels = healthchecks::ToLabels(state);
  st.reason = model::TaskStatusReason::kTaskHealthCheckStatusUpdated;
  return st;
}

TEST(SchedulerHealthTest, TheCheckTravelsToTheAgentInTheTaskInfo) {
  Harness h;
  h.AddAgents(1);
  h.Start();
  h.PutApp(CheckedApp(1));
  h.Offer();
  ASSERT_EQ(h.launched.size(), 1u);
  const model::TaskInfo& task = h.launched[0];
  ASSERT_TRUE(task.health_check);
  EXPECT_EQ(task.health_check->type, model::HealthCheck::Type::kHttp);
  ASSERT_TRUE(task.health_check->http);
  EXPECT_EQ(task.health_check->http->scheme, "http");
  EXPECT_EQ(task.health_check->http->path, "/health");
  const Instance* i = h.scheduler.FindByTaskId(task.task_id.value());
  ASSERT_NE(i, nullptr);
  ASSERT_EQ(i->host_ports.size(), 1u);
  EXPECT_EQ(task.health_check->http->port, static_cast<uint32_t>(i->host_ports[0]));
  EXPECT_EQ(task.health_check->interval_seconds, 5);
  EXPECT_EQ(task.health_check->grace_period_seconds, 30);
  EXPECT_EQ(task.health_check->consecutive_failures, 3u);
}

TEST(SchedulerHealthTest, ADeploymentWaitsForHealthAndReportsBecomeResultsAndEvents) {
  Harness h;
  h.AddAgents(1);
  h.Start();
  h.PutApp(CheckedApp(2));
  h.Offer();
  h.RunAll();  // RUNNING without a health report yet
  EXPECT_EQ(h.scheduler.deployments().size(), 1u) << "running is not healthy for a checked app";
  const AppDefinition* app = FindApp(h.scheduler.root(), "/web");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(h.scheduler.CountsOf(*app).healthy, 0);

  healthchecks::State ok;
  ok.healthy = true;
  ok.first_success = ok.last_success = h.now;
  for (const Instance* i : h.scheduler.InstancesOf("/web")) {
    h.Apply(h.scheduler.Handle(in::StatusUpdate{Report(i->task_id, ok)}, h.now));
  }
  EXPECT_TRUE(h.scheduler.deployments().empty());
  EXPECT_EQ(h.Count("health_status_changed_event"), 2);
  EXPECT_EQ(h.scheduler.CountsOf(*app).healthy, 2);

  // One turns unhealthy: counted, shown, and an event per counted failure.
  const Instance* first = h.scheduler.InstancesOf("/web").front();
  const std::string task_id = first->task_id;
  healthchecks::State bad = ok;
  bad.healthy = false;
  bad.consecutive_failures = 1;
  bad.last_failure = h.now;
  bad.last_failure_cause = "HTTP 503";
  h.Apply(h.scheduler.Handle(in::StatusUpdate{Report(task_id, bad)}, h.now));
  EXPECT_EQ(h.Count("failed_health_check_event"), 1);
  EXPECT_EQ(h.Count("health_status_changed_event"), 3);
  EXPECT_EQ(h.scheduler.CountsOf(*app).unhealthy, 1);
  TaskView view = h.scheduler.TaskViewOf(*h.scheduler.FindByTaskId(task_id));
  ASSERT_EQ(view.health_check_results.size(), 1u);
  EXPECT_FALSE(view.health_check_results[0].alive);
  EXPECT_EQ(view.health_check_results[0].consecutive_failures, 1);
  EXPECT_EQ(view.health_check_results[0].last_failure_cause, "HTTP 503");
  EXPECT_EQ(view.health_check_results[0].first_success, ok.first_success);
  // The same report again (a repeated update) changes nothing.
  h.Apply(h.scheduler.Handle(in::StatusUpdate{Report(task_id, bad)}, h.now));
  EXPECT_EQ(h.Count("failed_health_check_event"), 1);
}

TEST(SchedulerHealthTest, SeveralChecksAllRunAtTheEdgeAndEachHasItsResult) {
  Harness h;
  h.AddAgents(1);
  h.Start();
  AppDefinition app = CheckedApp(1);
  AppHealthCheck command;
  command.protocol = "COMMAND";
  command.command = "test -f ok";
  command.max_consecutive_failures = 5;
  app.health_checks.push_back(command);
  h.PutApp(app);
  h.Offer();
  ASSERT_EQ(h.launched.size(), 1u);
  // The first in TaskInfo.health_check, the other in the label the executor reads.
  const model::TaskInfo& task = h.launched[0];
  ASSERT_TRUE(task.health_check);
  EXPECT_EQ(task.health_check->type, model::HealthCheck::Type::kHttp);
  auto more = std::find_if(task.labels.begin(), task.labels.end(), [](const model::Label& l) {
    return l.key == api::kMoreHealthChecksLabel;
  });
  ASSERT_NE(more, task.labels.end());
  absl::StatusOr<std::vector<model::HealthCheck>> others = api::ParseHealthChecks(*more->value);
  ASSERT_TRUE(others.ok()) << others.status();
  ASSERT_EQ(others->size(), 1u);
  EXPECT_EQ((*others)[0].type, model::HealthCheck::Type::kCommand);
  EXPECT_EQ((*others)[0].command->value, "test -f ok");
  EXPECT_EQ((*others)[0].consecutive_failures, 5u);
  h.RunAll();

  // The executor's report: the HTTP check passes, the COMMAND one failed once.
  healthchecks::State http;
  http.healthy = true;
  http.first_success = http.last_success = h.now;
  healthchecks::State cmd = http;
  cmd.healthy = false;
  cmd.consecutive_failures = 1;
  cmd.last_failure = h.now;
  cmd.last_failure_cause = "exited with status 1";
  model::TaskStatus st = Report(task.task_id.value(), http);
  st.healthy = false;
  for (auto [state, index] : {std::pair{http, 0}, std::pair{cmd, 1}}) {
    for (model::Label& l : healthchecks::IndexedLabels(state, index)) st.labels.push_back(l);
  }
  h.Apply(h.scheduler.Handle(in::StatusUpdate{st}, h.now));
  const AppDefinition* stored = FindApp(h.scheduler.root(), "/web");
  EXPECT_EQ(h.scheduler.CountsOf(*stored).unhealthy, 1) << "healthy only when all are";
  EXPECT_EQ(h.scheduler.deployments().size(), 1u);
  EXPECT_EQ(h.Count("failed_health_check_event"), 1) << "the COMMAND check's failure";
  auto event = std::find_if(h.published.begin(), h.published.end(), [](const MarathonEvent& e) {
    return std::holds_alternative<FailedHealthCheckEvent>(e);
  });
  ASSERT_NE(event, h.published.end());
  EXPECT_EQ(std::get<FailedHealthCheckEvent>(*event).health_check, command)
      << "the event names the check that failed";
  const Instance* i = h.scheduler.FindByTaskId(task.task_id.value());
  TaskView view = h.scheduler.TaskViewOf(*i);
  ASSERT_EQ(view.health_check_results.size(), 2u);
  EXPECT_TRUE(view.health_check_results[0].alive);
  EXPECT_FALSE(view.health_check_results[1].alive);
  EXPECT_EQ(view.health_check_results[1].last_failure_cause, "exited with status 1");
  // Durable: the stored instance keeps both.
  EXPECT_EQ(i->health_checks, (std::vector<healthchecks::State>{http, cmd}));
}

TEST(SchedulerHealthTest, AnOlderVersionsFailuresAreNotNamedAfterTheNewVersionsChecks) {
  Harness h;
  h.AddAgents(1);
  h.Start();
  h.PutApp(CheckedApp(1));
  h.Offer();
  h.RunAll();
  const std::string old_task = h.launched[0].task_id.value();
  healthchecks::State ok;
  ok.healthy = true;
  ok.first_success = ok.last_success = h.now;
  h.Apply(h.scheduler.Handle(in::StatusUpdate{Report(old_task, ok)}, h.now));
  // A new version with another check: the old task runs on until the new one is healthy.
  AppDefinition v2 = *FindApp(h.scheduler.root(), "/web");
  v2.cmd = "sleep 2000";
  v2.health_checks.front().path = "/v2/health";
  h.Advance(Duration::Seconds(1));
  h.PutApp(v2);
  h.Offer();
  h.RunAll();
  ASSERT_NE(h.scheduler.FindByTaskId(old_task), nullptr);
  healthchecks::State bad = ok;
  bad.healthy = false;
  bad.consecutive_failures = 1;
  bad.last_failure_cause = "HTTP 503";
  const int before = h.Count("failed_health_check_event");
  h.Apply(h.scheduler.Handle(in::StatusUpdate{Report(old_task, bad)}, h.now));
  EXPECT_EQ(h.Count("failed_health_check_event"), before)
      << "the old task ran /health, not the new version's /v2/health";
  EXPECT_EQ(h.scheduler.TaskViewOf(*h.scheduler.FindByTaskId(old_task))
                .health_check_results.at(0)
                .consecutive_failures,
            1)
      << "its result is still kept";
}

TEST(SchedulerHealthTest, ATaskKilledForItsHealthIsReplacedAndLastTaskFailureSaysWhy) {
  Harness h;
  h.AddAgents(1);
  h.Start();
  h.PutApp(CheckedApp(1));
  h.Offer();
  h.RunAll(true);
  const std::string task_id = h.scheduler.InstancesOf("/web").front()->task_id;
  healthchecks::State bad;
  bad.healthy = false;
  bad.consecutive_failures = 3;
  bad.last_failure_cause = "connection refused";
  // The executor's TASK_KILLING already carries the final health, as every update after it.
  model::TaskStatus killing = Report(task_id, bad, model::TaskState::kKilling);
  killing.reason = model::TaskStatusReason::kNone;
  h.Apply(h.scheduler.Handle(in::StatusUpdate{killing}, h.now));
  model::TaskStatus killed = Report(task_id, bad, model::TaskState::kKilled);
  killed.message = "Health check failed 3 times in a row: connection refused";
  h.tasks.erase(task_id);
  h.agents.begin()->second.free += h.launched[0].resources;
  h.Apply(h.scheduler.Handle(in::StatusUpdate{killed}, h.now));
  EXPECT_EQ(h.Count("unhealthy_instance_kill_event"), 1);
  const AppFailure* failure = h.scheduler.LastFailureOf("/web");
  ASSERT_NE(failure, nullptr);
  EXPECT_EQ(failure->failure.state, "TASK_KILLED");
  EXPECT_EQ(failure->failure.message, "Health check failed 3 times in a row: connection refused");
  // Replaced at once (no backoff for a health kill).
  h.Offer();
  EXPECT_EQ(h.launched.size(), 2u);
}

TEST(SchedulerHealthTest, ARestartWaitsForReadinessAndShowsTheResults) {
  Harness h;
  h.AddAgents(2);
  h.Start();
  AppDefinition app = SimpleApp("/web", 1);
  app.port_definitions = {PortDefinition{0, "tcp", "http-api", {}}};
  ReadinessCheck check;
  check.name = "ready";
  check.interval_seconds = 5;
  check.timeout_seconds = 2;
  check.http_status_codes_for_ready = {200};
  check.preserve_last_response = true;
  app.readiness_checks = {check};
  h.PutApp(app);
  h.Offer();
  ASSERT_EQ(h.launched.size(), 1u);
  // The check travels in the task's labels, on the port named http-api.
  std::optional<healthchecks::ReadinessSpec> spec =
      healthchecks::SpecFromLabels(h.launched[0].labels);
  ASSERT_TRUE(spec.has_value());
  const Instance* first = h.scheduler.FindByTaskId(h.launched[0].task_id.value());
  EXPECT_EQ(spec->port, static_cast<uint32_t>(first->host_ports[0]));
  EXPECT_EQ(spec->interval, Duration::Seconds(5));
  EXPECT_TRUE(spec->preserve_last_response);
  h.RunAll();
  EXPECT_EQ(h.scheduler.deployments().size(), 1u) << "running, not ready yet";
  const AppDefinition* stored = FindApp(h.scheduler.root(), "/web");
  std::vector<ReadinessResult> results = h.scheduler.ReadinessOf(*stored);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].ready);
  // Not ready yet (503), then ready.
  model::TaskStatus st;
  st.task_id = h.launched[0].task_id;
  st.state = model::TaskState::kRunning;
  st.labels = healthchecks::ResultLabels({.ready = false,
                                          .last_status = 503,
                                          .last_content_type = "text/plain",
                                          .last_body = "warming up: 40%",
                                          .last_error = ""});
  h.Apply(h.scheduler.Handle(in::StatusUpdate{st}, h.now));
  EXPECT_EQ(h.scheduler.ReadinessOf(*stored)[0].last_response,
            (ReadinessResult::Response{503, "text/plain", "warming up: 40%"}));
  EXPECT_EQ(h.scheduler.deployments().size(), 1u);
  st.labels = healthchecks::ResultLabels({.ready = true,
                                          .last_status = 200,
                                          .last_content_type = "",
                                          .last_body = "",
                                          .last_error = ""});
  h.Apply(h.scheduler.Handle(in::StatusUpdate{st}, h.now));
  EXPECT_TRUE(h.scheduler.deployments().empty());

  // A restart: the old task is replaced only once the new one is ready.
  AppDefinition v2 = *stored;
  v2.cmd = "sleep 2000";
  h.Advance(Duration::Seconds(1));
  h.PutApp(v2);
  h.Offer();
  h.RunAll();
  ASSERT_EQ(h.launched.size(), 2u);
  EXPECT_TRUE(h.kills.empty()) << "the old task stays until the new one is ready";
  st.task_id = h.launched[1].task_id;
  h.Apply(h.scheduler.Handle(in::StatusUpdate{st}, h.now));
  EXPECT_EQ(h.kills.size(), 1u);
}

// Atoll's upgradeStrategy.rollbackAfterFailures: the new version's tasks keep failing, so the
// deployment fails (saying why) and the previous version comes back by a deployment of its own.
TEST(SchedulerHealthTest, ADeploymentRollsBackAfterItsFailureBudget) {
  Harness h;
  h.AddAgents(2);
  h.Start();
  AppDefinition app = SimpleApp("/web", 2);
  app.backoff_seconds = 0;
  h.PutApp(app);
  h.Settle();
  ASSERT_TRUE(h.scheduler.deployments().empty());
  const std::string old_cmd = *FindApp(h.scheduler.root(), "/web")->cmd;

  AppDefinition broken = *FindApp(h.scheduler.root(), "/web");
  broken.cmd = "exit 1";
  broken.upgrade_strategy.rollback_after_failures = 2;
  h.Advance(Duration::Seconds(1));
  const std::string id = h.PutApp(broken);
  // Each new task fails at once; the second failure spends the budget.
  for (int failures = 0; failures < 2; ++failures) {
    h.Offer();
    std::string failed;
    for (const auto& [task_id, t] : h.tasks) {
      const Instance* i = h.scheduler.FindByTaskId(task_id);
      if (i != nullptr && i->app_version == FindApp(h.scheduler.root(), "/web")->version &&
          t.state == model::TaskState::kStaging) {
        failed = task_id;
        break;
      }
    }
    ASSERT_FALSE(failed.empty()) << "a new task to fail (round " << failures << ")";
    h.Status(failed, model::TaskState::kFailed, std::nullopt);
    h.Advance(Duration::Seconds(1));
  }
  EXPECT_EQ(h.Count("deployment_failed"), 1);
  ASSERT_EQ(h.scheduler.deployments().size(), 1u) << "the rollback deployment";
  EXPECT_NE(h.scheduler.deployments().begin()->first, id);
  EXPECT_EQ(*FindApp(h.scheduler.root(), "/web")->cmd, old_cmd);
  h.Settle();
  EXPECT_TRUE(h.scheduler.deployments().empty());
  EXPECT_EQ(h.Running("/web"), 2);
  for (const Instance* i : h.scheduler.InstancesOf("/web")) {
    EXPECT_EQ(*FindApp(h.scheduler.root(), "/web")->cmd, old_cmd) << i->id;
  }
}

TEST(SchedulerHealthTest, WithoutABudgetFailuresNeverRollBack) {
  Harness h;
  h.AddAgents(1);
  h.Start();
  AppDefinition app = SimpleApp("/web", 1);
  app.backoff_seconds = 0;
  h.PutApp(app);
  h.Settle();
  AppDefinition broken = *FindApp(h.scheduler.root(), "/web");
  broken.cmd = "exit 1";
  h.Advance(Duration::Seconds(1));
  h.PutApp(broken);
  for (int k = 0; k < 5; ++k) {
    h.Offer();
    for (auto it = h.tasks.begin(); it != h.tasks.end(); ++it) {
      if (it->second.state == model::TaskState::kStaging) {
        h.Status(it->first, model::TaskState::kFailed, std::nullopt);
        break;
      }
    }
    h.Advance(Duration::Seconds(1));
  }
  EXPECT_EQ(h.Count("deployment_failed"), 0) << "Marathon waits";
  EXPECT_EQ(h.scheduler.deployments().size(), 1u);
}

}  // namespace
}  // namespace atl::marathonlike
