// The service scheduler at scale, in the deterministic simulator: --apps apps of
// --instances-per-app instances (default 100 × 100 = 10,000) deployed in one group write over
// --agents simulated agents (default 500), then all of them restarted in one write (rolling,
// upgradeStrategy {1, 1}), with the real master, allocator and simulated agents between.
// Messages travel in-process (no JSON, no sockets, no store): this measures the scheduler's
// decisions (offer matching, instance bookkeeping, deployment steps) plus the engine under it.
//
// Prints `name value unit` lines: wall time, simulated time, and the share of the wall time
// spent inside ServiceScheduler::Handle / API calls. Anchor (not run here, so no ratio):
// Marathon users reported minutes for deployments of thousands of instances (reference/
// marathon.md, complaints).
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "bench/bench_report.h"
#include "core/base/strings.h"
#include "marathonlike/root_group.h"
#include "tests/common/marathon_sim.h"

namespace {

using atl::bench::PeakRssMb;
using atl::bench::Print;

using atl::Duration;
using atl::StrCat;
using atl::sim::SimCluster;
namespace ml = atl::marathonlike;

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

int main(int argc, char** argv) {
  int apps = 100, per_app = 100, agents = 500;
  CLI::App cli{"marathon_deploy: deploy and restart 10,000 instances in the simulator"};
  cli.add_option("--apps", apps, "Apps in the group");
  cli.add_option("--instances-per-app", per_app, "Instances of each app");
  cli.add_option("--agents", agents, "Simulated agents");
  CLI11_PARSE(cli, argc, argv);

  SimCluster::Options o;
  o.agents = agents;
  o.agent_resources = "cpus:64;mem:262144;disk:1048576;ports:[31000-31999]";
  o.racks = 25;
  o.zones = 3;
  o.check_invariants = false;
  o.agent.running_delay = Duration::Milliseconds(500);
  o.seed = 42;
  o.master.seed = 42;
  SimCluster c(o);
  atl::sim::MarathonOnSim m(c, 42, {}, /*check_bounds=*/false);
  m.RunFor(Duration::Seconds(1));  // subscribed, agents registered

  ml::Group root = m.scheduler().root();
  for (int a = 0; a < apps; ++a) {
    ml::AppDefinition app;
    app.id = StrCat("/bench/app-", a);
    app.cmd = "sleep";
    app.instances = per_app;
    app.cpus = 0.1;
    app.mem = 32;
    ml::PutAppRaw(&root, app, c.now());
  }
  const int total = apps * per_app;
  auto all_done = [&] {
    if (!m.scheduler().deployments().empty()) return false;
    return static_cast<int>(m.scheduler().instances().size()) == total;
  };

  auto t0 = std::chrono::steady_clock::now();
  atl::Timestamp sim0 = c.now();
  m.Deploy(ml::StampVersions(m.scheduler().root(), root, c.now()));
  bool ok = m.RunUntil(all_done, Duration::Minutes(30));
  double deploy_wall = Seconds(std::chrono::steady_clock::now() - t0);
  double deploy_sim = (c.now() - sim0).seconds();
  Print("deploy_ok", ok, "bool");
  Print("deploy_instances", total, "instances");
  Print("deploy_wall_seconds", deploy_wall, "s");
  Print("deploy_simulated_seconds", deploy_sim, "s");
  Print("deploy_instances_per_wall_second", total / deploy_wall, "instances/s");

  // Restart everything: a new env var for every app (a config change: rolling restart).
  ml::Group next = m.scheduler().root();
  for (const auto& [id, app] : ml::TransitiveApps(m.scheduler().root())) {
    ml::AppDefinition changed = *app;
    changed.env["RESTART"] = "1";
    ml::PutAppRaw(&next, changed, c.now());
  }
  auto t1 = std::chrono::steady_clock::now();
  atl::Timestamp sim1 = c.now();
  m.Deploy(ml::StampVersions(m.scheduler().root(), next, c.now()));
  auto restarted = [&] {
    if (!m.scheduler().deployments().empty()) return false;
    for (const auto& [id, i] : m.scheduler().instances()) {
      const ml::AppDefinition* app = ml::FindApp(m.scheduler().root(), i.app_id);
      if (app == nullptr || i.app_version != app->version ||
          i.condition != ml::Condition::kRunning) {
        return false;
      }
    }
    return static_cast<int>(m.scheduler().instances().size()) == total;
  };
  ok = m.RunUntil(restarted, Duration::Minutes(30));
  double restart_wall = Seconds(std::chrono::steady_clock::now() - t1);
  Print("restart_ok", ok, "bool");
  Print("restart_wall_seconds", restart_wall, "s");
  Print("restart_simulated_seconds", (c.now() - sim1).seconds(), "s");
  Print("restart_instances_per_wall_second", total / restart_wall, "instances/s");
  Print("scheduler_handle_seconds", m.handle_seconds(), "s");
  Print("scheduler_share_of_wall", m.handle_seconds() / (deploy_wall + restart_wall), "ratio");
  Print("events_processed", static_cast<double>(c.events_processed()), "events");
  Print("peak_rss", PeakRssMb(), "MiB");
  return ok ? 0 : 1;
}
