// /master/state and friends, rendered from a simulated cluster's master.
#include "core/master/state_json.h"

#include <gtest/gtest.h>

#include "tests/common/sim_cluster.h"

namespace atl::master {
namespace {

using sim::SimCluster;

bool Has(const std::string& json, const std::string& fragment) {
  return json.find(fragment) != std::string::npos;
}

TEST(StateJson, ShowsAgentsFrameworksTasksOffersAndExecutors) {
  SimCluster::Options o;
  o.agents = 2;
  o.agent_resources = "cpus:4;mem:4096;ports:[31000-31099]";
  SimCluster c(o);
  model::FrameworkInfo info;
  info.user = "root";
  info.name = "web-scheduler";
  info.failover_timeout = 60;
  info.checkpoint = true;
  auto& fw = c.AddFramework(info);
  fw.on_event = [&c](SimCluster::Framework& f, const api::Event& e) {
    SimCluster::AutoAcknowledge(c, f, e);
  };
  c.RunFor(Duration::Seconds(1));
  model::Offer offer = fw.live_offers.begin()->second;
  model::TaskInfo plain =
      SimCluster::MakeTask("web.1", offer, "cpus:1;mem:128;ports:[31005-31005]");
  model::TaskInfo custom = SimCluster::MakeTask("web.2", offer, "cpus:1;mem:128");
  custom.command.reset();
  model::ExecutorInfo exec;
  exec.executor_id = model::ExecutorId("exec-1");
  exec.name = "my executor";
  exec.command = model::CommandInfo{};
  exec.command->value = "./exec";
  exec.resources = *model::Resources::Parse("cpus:0.5;mem:32");
  custom.executor = exec;
  c.Accept(fw, {offer.id}, {SimCluster::LaunchOp({plain, custom})}, 3600);
  c.RunFor(Duration::Seconds(1));
  std::string state = RenderState(c.master(), c.now());
  EXPECT_TRUE(Has(state, R"("activated_slaves":2)")) << state;
  EXPECT_TRUE(Has(state, R"("name":"web-scheduler")"));
  EXPECT_TRUE(Has(state, R"("id":"web.1","name":"web.1")"));
  EXPECT_TRUE(Has(state, R"("state":"TASK_RUNNING")"));
  EXPECT_TRUE(Has(state, R"("ports":"[31005-31005]")"));
  EXPECT_TRUE(Has(state, R"("executor_id":"exec-1","name":"my executor")"));
  // 2 cpus of tasks + 0.5 of the executor on the task's agent.
  EXPECT_TRUE(Has(state, R"("used_resources":{"cpus":2.5,)")) << state;
  EXPECT_TRUE(Has(state, R"("checkpoint":true)"));
  // The other agent's resources are still on offer.
  EXPECT_TRUE(Has(state, R"("offers":[{"id":)"));

  c.Call(fw, api::call::Kill{model::TaskId("web.1"), std::nullopt, std::nullopt});
  c.RunFor(Duration::Seconds(1));
  state = RenderState(c.master(), c.now());
  EXPECT_TRUE(Has(state, R"("completed_tasks":[{"id":"web.1")")) << state;
  EXPECT_TRUE(Has(state, R"("state":"TASK_KILLED")"));

  std::string summary = RenderStateSummary(c.master());
  EXPECT_TRUE(Has(summary, R"("TASK_RUNNING":1)")) << summary;
  std::string metrics = RenderMetricsSnapshot(c.master(), c.now());
  EXPECT_TRUE(Has(metrics, R"("master/tasks_running":1.0)")) << metrics;
  EXPECT_TRUE(Has(metrics, R"("master/frameworks_active":1.0)"));
  EXPECT_TRUE(Has(metrics, R"("master/cpus_total":8.0)"));
  std::string prometheus = RenderPrometheus(c.master(), c.now());
  EXPECT_TRUE(
      Has(prometheus, "# TYPE mesos_master_tasks_running gauge\nmesos_master_tasks_running 1\n"))
      << prometheus;
  std::string roles = RenderRoles(c.master());
  EXPECT_TRUE(Has(roles, R"("name":"*")")) << roles;
  EXPECT_TRUE(c.violations().empty()) << c.violations()[0];
}

}  // namespace
}  // namespace atl::master
