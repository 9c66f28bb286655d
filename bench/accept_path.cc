// The full accept path at C1M scale, in the deterministic simulator: offer -> ACCEPT/LAUNCH ->
// simulated TASK_RUNNING -> status update -> ACKNOWLEDGE, for --tasks tasks (default 1,000,000)
// over --agents simulated agents (default 10,000 x 64 cpus, 256 GiB, 1,000 ports) and
// --frameworks frameworks (default 100). Messages travel in-process (no JSON, no sockets): this
// measures the master, the allocator and the protocol logic, not the network.
//
// Goal (issue 2): 1M tasks in <= 60 s, peak memory < 4 GiB. Anchor: Nomad's C1M placed 1M
// containers in < 5 min (~3,750/s) on 5 servers; not run here, so no ratio is printed.
//
// Prints `name value unit` lines.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "bench/bench_report.h"
#include "core/base/strings.h"
#include "tests/common/sim_cluster.h"

namespace {

using atl::bench::PeakRssMb;
using atl::bench::Print;

using atl::Duration;
using atl::StrCat;
using atl::sim::SimCluster;
namespace model = atl::model;
namespace api = atl::api;

}  // namespace

int main(int argc, char** argv) {
  int tasks = 1'000'000, agents = 10'000, frameworks = 100;
  CLI::App app{"accept_path: the C1M-shaped accept path in the simulator"};
  app.add_option("--tasks", tasks, "Tasks to bring to RUNNING");
  app.add_option("--agents", agents, "Simulated agents");
  app.add_option("--frameworks", frameworks, "Frameworks sharing the work");
  CLI11_PARSE(app, argc, argv);

  SimCluster::Options o;
  o.agents = agents;
  o.agent_resources = "cpus:64;mem:262144;disk:1048576;ports:[31000-31999]";
  o.racks = 50;
  o.zones = 3;
  o.check_invariants = false;
  o.agent.send_starting = false;  // the path: LAUNCH -> RUNNING -> ACK
  o.master.seed = 42;
  o.seed = 42;

  auto start = std::chrono::steady_clock::now();
  SimCluster c(o);
  const int per_framework = (tasks + frameworks - 1) / frameworks;
  int launched_total = 0;
  int64_t running = 0;
  std::vector<int> launched(frameworks, 0);
  // One port and a tenth of a cpu per task: 640 tasks fill an agent's cpus.
  const model::Resources per_task = *model::Resources::Parse("cpus:0.1;mem:32");
  for (int f = 0; f < frameworks; ++f) {
    model::FrameworkInfo info;
    info.user = "bench";
    info.name = StrCat("fw", f);
    info.failover_timeout = 3600;
    info.capabilities = {model::FrameworkCapability::kMultiRole};
    info.roles = {StrCat("role", f % 10)};
    SimCluster::Framework& fw = c.AddFramework(info);
    fw.on_event = [&, f](SimCluster::Framework& self, const api::Event& e) {
      if (const auto* u = std::get_if<api::event::Update>(&e.body)) {
        if (u->status.state == model::TaskState::kRunning) ++running;
        if (!u->status.uuid.empty()) {
          c.Call(self,
                 api::call::Acknowledge{*u->status.agent_id, u->status.task_id, u->status.uuid});
        }
        self.events.clear();  // keep memory flat: the bench needs no event history
        return;
      }
      const auto* offers = std::get_if<api::event::Offers>(&e.body);
      self.events.clear();
      if (offers == nullptr) return;
      for (const model::Offer& offer : offers->offers) {
        self.live_offers.erase(offer.id);
        if (launched[f] >= per_framework) {
          c.Decline(self, {offer.id}, 3600);
          continue;
        }
        const std::string& role = *offer.allocation_role;
        model::Resources left = offer.resources.Unallocated();
        model::Ranges ports = left.GetRanges("ports");
        std::vector<model::TaskInfo> infos;
        while (launched[f] < per_framework && left.Contains(per_task) && !ports.empty()) {
          left.Subtract(per_task);
          model::Ranges port = ports.TakeLowest(1);
          ports.Subtract(port);
          model::TaskInfo t;
          t.name = StrCat("fw", f, ".", launched[f]);
          t.task_id = model::TaskId(t.name);
          t.agent_id = offer.agent_id;
          t.resources = per_task;
          t.resources.Add(model::Resource::MakeRanges("ports", port));
          t.resources = t.resources.AllocatedTo(role);
          model::CommandInfo cmd;
          cmd.value = "sleep 3600";
          t.command = std::move(cmd);
          infos.push_back(std::move(t));
          ++launched[f];
          ++launched_total;
        }
        model::Operation op;
        op.type = model::Operation::Type::kLaunch;
        op.launch_tasks = std::move(infos);
        c.Accept(self, {offer.id}, {std::move(op)}, 0);
        if (launched[f] >= per_framework) c.Call(self, api::call::Suppress{});
      }
    };
  }
  const double setup_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto run_start = std::chrono::steady_clock::now();
  const int64_t want = static_cast<int64_t>(per_framework) * frameworks;
  bool done = c.RunUntil([&] { return running >= want; }, Duration::Hours(1));
  const double run_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();

  Print("accept_path_agents", agents, "count");
  Print("accept_path_frameworks", frameworks, "count");
  Print("accept_path_tasks_running", static_cast<double>(running), "count");
  Print("accept_path_completed", done ? 1 : 0, "bool");
  Print("accept_path_setup_seconds", setup_s, "s");
  Print("accept_path_wall_seconds", run_s, "s");
  Print("accept_path_tasks_per_second", static_cast<double>(running) / run_s, "tasks/s");
  Print("accept_path_simulated_seconds",
        (c.now() - atl::Timestamp::FromNanoseconds(1'700'000'000'000'000'000)).seconds(), "s");
  Print("accept_path_events", static_cast<double>(c.events_processed()), "count");
  Print("accept_path_peak_rss", PeakRssMb(), "MiB");
  Print("accept_path_goal_seconds_for_1m", 60, "s");
  return done ? 0 : 1;
}
