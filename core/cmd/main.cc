// The `atoll` binary: one executable, one subcommand per process role (DESIGN.md §1).
// Every flag can also be given as an ATOLL_* environment variable (e.g. ATOLL_PORT).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <thread>

#include "core/base/strings.h"
#include "core/cmd/master_runtime.h"
#include "core/io/event_loop.h"
#include "core/io/log.h"
#include "core/io/real_clock.h"
#include "core/io/registry_store.h"

namespace atl::cmd {
namespace {

struct MasterFlags {
  int port = 5050;
  std::string ip = "127.0.0.1";
  std::string hostname;
  std::string work_dir = "atoll-work/master";
  double offer_timeout = 0;
  double allocation_interval = 1;
  std::string roles;
  std::string weights;
  int simulated_agents = 0;
  std::string simulated_resources = "cpus:64;mem:262144;disk:1048576;ports:[31000-31999]";
  double simulated_running_delay = 0.5;
  int racks = 10;
  int zones = 3;
  uint64_t seed = 0;
};

void AddMasterFlags(CLI::App* app, MasterFlags& f, bool embedded) {
  if (!embedded) {
    app->add_option("--port", f.port, "HTTP port of the master (0 = any free port)")
        ->check(CLI::Range(0, 65535))
        ->envname("ATOLL_PORT");
    app->add_option("--work-dir", f.work_dir, "Directory for the registry")
        ->envname("ATOLL_WORK_DIR");
  }
  app->add_option("--ip", f.ip, "Address to listen on")->envname("ATOLL_IP");
  app->add_option("--hostname", f.hostname, "Hostname to advertise (default: --ip)")
      ->envname("ATOLL_HOSTNAME");
  app->add_option("--offer-timeout", f.offer_timeout,
                  "Seconds before an unused offer is rescinded (0 = never)")
      ->envname("ATOLL_OFFER_TIMEOUT");
  app->add_option("--allocation-interval", f.allocation_interval,
                  "Seconds between batch allocations")
      ->envname("ATOLL_ALLOCATION_INTERVAL");
  app->add_option("--roles", f.roles, "Comma-separated roles frameworks may use (default: any)")
      ->envname("ATOLL_ROLES");
  app->add_option("--weights", f.weights, "Role weights, e.g. 'web=2,batch=1'")
      ->envname("ATOLL_WEIGHTS");
  app->add_option("--seed", f.seed,
                  "Seed for ids and the allocator's agent shuffle (0 = from time)")
      ->envname("ATOLL_SEED");
}

absl::StatusOr<master::Options> ToOptions(const MasterFlags& f) {
  master::Options o;
  o.port = f.port;
  o.ip = f.ip;
  o.hostname = f.hostname.empty() ? f.ip : f.hostname;
  // Finite and sensible: a zero interval would spin, an infinite one overflow the clock.
  if (!(f.offer_timeout >= 0 && f.offer_timeout <= 365.0 * 86400)) {
    return absl::InvalidArgumentError("--offer-timeout must be between 0 (never) and 1 year");
  }
  if (f.offer_timeout > 0) o.offer_timeout = Duration::FromSecondsDouble(f.offer_timeout);
  if (!(f.allocation_interval >= 0.001 && f.allocation_interval <= 3600)) {
    return absl::InvalidArgumentError("--allocation-interval must be between 0.001 and 3600 s");
  }
  o.allocation_interval = Duration::FromSecondsDouble(f.allocation_interval);
  for (std::string_view r : Split(f.roles, ',')) {
    std::string role(Strip(r));
    if (absl::Status s = model::ValidateRole(role); !s.ok()) return s;
    o.roles.push_back(role);
  }
  for (std::string_view item : Split(f.weights, ',')) {
    size_t eq = item.find('=');
    double w;
    if (eq == std::string_view::npos || !ParseDouble(item.substr(eq + 1), &w) || w <= 0) {
      return absl::InvalidArgumentError(
          StrCat("--weights: '", item, "' is not ROLE=WEIGHT with a positive weight"));
    }
    std::string role(Strip(item.substr(0, eq)));
    if (absl::Status s = model::ValidateRole(role); !s.ok()) {
      return absl::InvalidArgumentError(StrCat("--weights: ", s.message()));
    }
    o.weights[role] = w;
  }
  o.seed = f.seed != 0 ? f.seed : static_cast<uint64_t>(io::RealClock().Now().nanoseconds());
  return o;
}

// Runs a master (with `agents` simulated agents) until SIGINT/SIGTERM.
int RunMaster(const MasterFlags& f, int agents, const model::Resources& agent_resources) {
  absl::StatusOr<master::Options> options = ToOptions(f);
  if (!options.ok()) {
    spdlog::error("{}", std::string(options.status().message()));
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(f.work_dir, ec);
  if (ec) {
    spdlog::error("cannot create --work-dir {}: {}", f.work_dir, ec.message());
    return 1;
  }
  auto store = io::SqliteRegistryStore::Open(f.work_dir + "/registry.db");
  if (!store.ok()) {
    spdlog::error("{}", std::string(store.status().message()));
    return 1;
  }
  io::EventLoop loop;
  io::RealClock clock;
  MasterRuntime runtime(loop, clock, *options, store->get());
  io::HttpServer::Options http;
  http.address = f.ip;
  http.port = static_cast<uint16_t>(f.port);
  if (absl::Status s = runtime.Start(http); !s.ok()) {
    spdlog::error("cannot start the master: {}", std::string(s.message()));
    return 1;
  }
  if (agents > 0) {
    agent::SimulatedAgentOptions sim;
    sim.running_delay = Duration::FromSecondsDouble(f.simulated_running_delay);
    runtime.AddSimulatedAgents(agents, agent_resources, f.racks, f.zones, sim, "agent");
    spdlog::info("{} simulated agents of {} each", agents, agent_resources.ToString());
  }
  loop.StopOnSignals([&](int signo) {
    spdlog::info("signal {}: shutting down", signo);
    runtime.Stop();
    loop.Stop();
  });
  loop.Run();
  if (!runtime.fatal().ok()) {
    spdlog::critical("stopped: {}", std::string(runtime.fatal().message()));
    return 1;
  }
  return 0;
}

model::Resources MachineShare(int agents) {
  const long cpus = std::max(1u, std::thread::hardware_concurrency());
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  double mem_mb = pages > 0 && page > 0 ? static_cast<double>(pages) * page / (1 << 20) : 4096;
  mem_mb = mem_mb > 2048 ? mem_mb - 1024 : mem_mb / 2;  // leave room for the system, as Mesos
  const int n = std::max(1, agents);
  std::string spec =
      StrCat("cpus:", static_cast<double>(cpus) / n, ";mem:", static_cast<int64_t>(mem_mb / n),
             ";disk:", 10240, ";ports:[31000-32000]");
  return *model::Resources::Parse(spec);
}

}  // namespace
}  // namespace atl::cmd

int main(int argc, char** argv) {
  using namespace atl;
  CLI::App app{"atoll: a cluster manager with a Mesos-compatible offer engine"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags (--log-level) may follow the subcommand too
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->envname("ATOLL_LOG_LEVEL");

  cmd::MasterFlags master_flags;
  CLI::App* master = app.add_subcommand("master", "Run the offer engine (Mesos v1 scheduler API)");
  cmd::AddMasterFlags(master, master_flags, /*embedded=*/false);
  master
      ->add_option("--simulated-agents", master_flags.simulated_agents,
                   "Run N in-process simulated agents (tasks reach RUNNING without processes)")
      ->check(CLI::Range(0, 1000000))
      ->envname("ATOLL_SIMULATED_AGENTS");
  master
      ->add_option("--simulated-agent-resources", master_flags.simulated_resources,
                   "Resources of each simulated agent")
      ->envname("ATOLL_SIMULATED_AGENT_RESOURCES");
  master
      ->add_option("--simulated-running-delay", master_flags.simulated_running_delay,
                   "Seconds from launch to TASK_RUNNING on simulated agents")
      ->check(CLI::Range(0.0, 3600.0))
      ->envname("ATOLL_SIMULATED_RUNNING_DELAY");
  master->add_option("--racks", master_flags.racks, "Racks the simulated agents spread over")
      ->check(CLI::PositiveNumber)
      ->envname("ATOLL_RACKS");
  master->add_option("--zones", master_flags.zones, "Zones the simulated agents spread over")
      ->check(CLI::PositiveNumber)
      ->envname("ATOLL_ZONES");

  cmd::MasterFlags up_flags;
  up_flags.work_dir = "atoll-work";
  int up_agents = 3;
  CLI::App* up = app.add_subcommand("up", "Run the embedded cluster on 127.0.0.1");
  cmd::AddMasterFlags(up, up_flags, /*embedded=*/true);
  up->add_option("--master-port", up_flags.port, "Port of the master's HTTP API")
      ->check(CLI::Range(0, 65535))
      ->envname("ATOLL_MASTER_PORT");
  up->add_option("--agents", up_agents, "Number of local agents")->envname("ATOLL_AGENTS");
  up->add_option("--work-dir", up_flags.work_dir, "Directory for all state")
      ->envname("ATOLL_WORK_DIR");

  CLI11_PARSE(app, argc, argv);
  io::InitLogging(log_level);

  if (master->parsed()) {
    auto resources = model::Resources::Parse(master_flags.simulated_resources);
    if (!resources.ok()) {
      spdlog::error("--simulated-agent-resources: {}", std::string(resources.status().message()));
      return 2;
    }
    return cmd::RunMaster(master_flags, master_flags.simulated_agents, *resources);
  }
  if (up->parsed()) {
    if (up_agents < 1) {
      spdlog::error("--agents must be at least 1");
      return 2;
    }
    cmd::MasterFlags f = up_flags;
    f.work_dir = up_flags.work_dir + "/master";
    f.racks = up_agents;
    f.zones = up_agents;
    spdlog::info(
        "atoll up: master on {}:{} with {} local agents (simulated until the agent "
        "lands: tasks run no processes yet)",
        f.ip, f.port, up_agents);
    return cmd::RunMaster(f, up_agents, cmd::MachineShare(up_agents));
  }
  return 0;
}
