// The `atoll` binary: one executable, one subcommand per process role (DESIGN.md §1).
// Every flag can also be given as an ATOLL_* environment variable (e.g. ATOLL_PORT).
#include <spdlog/spdlog.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <thread>

#include "core/base/strings.h"
#include "core/cmd/agent_runtime.h"
#include "core/cmd/executor_runtime.h"
#include "core/cmd/fetch_main.h"
#include "core/cmd/master_runtime.h"
#include "core/cmd/scheduler_runtime.h"
#include "core/io/event_loop.h"
#include "core/io/http_scheduler_driver.h"
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
  double agent_ping_timeout = 15;
  int max_agent_ping_timeouts = 5;
  double agent_reregister_timeout = 600;
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
  app->add_option("--agent-ping-timeout", f.agent_ping_timeout,
                  "Seconds between an agent's heartbeats (Mesos --agent_ping_timeout)")
      ->check(CLI::Range(0.01, 3600.0))
      ->envname("ATOLL_AGENT_PING_TIMEOUT");
  app->add_option("--max-agent-ping-timeouts", f.max_agent_ping_timeouts,
                  "Heartbeats an agent may miss before it is marked unreachable")
      ->check(CLI::Range(1, 1000))
      ->envname("ATOLL_MAX_AGENT_PING_TIMEOUTS");
  app->add_option("--agent-reregister-timeout", f.agent_reregister_timeout,
                  "Seconds a disconnected agent has to re-register before it is unreachable")
      ->check(CLI::Range(0.01, 86400.0 * 7))
      ->envname("ATOLL_AGENT_REREGISTER_TIMEOUT");
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
  o.agent_heartbeat_interval = Duration::FromSecondsDouble(f.agent_ping_timeout);
  o.max_missed_agent_heartbeats = f.max_agent_ping_timeouts;
  o.agent_reregister_timeout = Duration::FromSecondsDouble(f.agent_reregister_timeout);
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

// Runs a master (with `agents` simulated agents) until SIGINT/SIGTERM. `embedded`, when set,
// starts in-process components once the master is up (`atoll up`'s agents) and returns their
// stop function (called on SIGINT/SIGTERM before the master stops).
using Embedded = std::function<absl::StatusOr<std::function<void()>>(
    io::EventLoop& loop, const Clock& clock, MasterRuntime& master)>;
int RunMaster(const MasterFlags& f, int agents, const model::Resources& agent_resources,
              Embedded embedded = nullptr) {
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
  std::function<void()> stop_embedded;
  if (embedded) {
    absl::StatusOr<std::function<void()>> started = embedded(loop, clock, runtime);
    if (!started.ok()) {
      spdlog::error("{}", std::string(started.status().message()));
      runtime.Stop();
      return 1;
    }
    stop_embedded = *std::move(started);
  }
  loop.StopOnSignals([&](int signo) {
    spdlog::info("signal {}: shutting down", signo);
    if (stop_embedded) stop_embedded();
    runtime.Stop();
    loop.Stop();
  });
  loop.Run();
  stop_embedded = nullptr;  // the embedded agents go before the master and the loop
  if (!runtime.fatal().ok()) {
    spdlog::critical("stopped: {}", std::string(runtime.fatal().message()));
    return 1;
  }
  return 0;
}

// The machine's resources split `agents` ways, the way a Mesos agent detects them: all cpus,
// memory minus 1 GB for the system (half when there is little), the free disk of `work_dir`
// minus 5 GB (half when there is little), and ports 31000-32000 (split into disjoint ranges so
// agents sharing a machine never hand out the same port).
model::Resources MachineShare(int agents, const std::string& work_dir, int index = 0) {
  const long cpus = std::max(1u, std::thread::hardware_concurrency());
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  double mem_mb = pages > 0 && page > 0 ? static_cast<double>(pages) * page / (1 << 20) : 4096;
  mem_mb = mem_mb > 2048 ? mem_mb - 1024 : mem_mb / 2;
  double disk_mb = 10240;
  struct statvfs fs;
  if (statvfs(work_dir.c_str(), &fs) == 0) {
    double free_mb = static_cast<double>(fs.f_bavail) * fs.f_frsize / (1 << 20);
    disk_mb = free_mb > 10240 ? free_mb - 5120 : free_mb / 2;
  }
  const int n = std::max(1, agents);
  const int span = 1001 / n;
  const int first = 31000 + index * span;
  // cpus are cgroup weights, not a hard split: on small machines every agent still offers at
  // least one, so a default one-cpu app fits (Marathon's default is cpus 1).
  std::string spec =
      StrCat("cpus:", std::max(1.0, static_cast<double>(cpus) / n),
             ";mem:", static_cast<int64_t>(mem_mb / n), ";disk:", static_cast<int64_t>(disk_mb / n),
             ";ports:[", first, "-", first + span - 1, "]");
  return *model::Resources::Parse(spec);
}

struct AgentFlags {
  std::string master = "127.0.0.1:5050";
  int port = 5051;
  std::string ip = "127.0.0.1";
  std::string hostname;
  std::string work_dir = "atoll-work/agent";
  std::string resources;
  std::string attributes;
  std::string isolation = "cgroups";
  bool cgroups_enable_cfs = false;
  bool switch_user = true;
  double executor_registration_timeout = 60;
  double executor_shutdown_grace_period = 5;
};

absl::StatusOr<AgentRuntimeOptions> ToAgentOptions(const AgentFlags& f, int agents, int index) {
  AgentRuntimeOptions o;
  std::error_code ec;
  std::filesystem::create_directories(f.work_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        StrCat("cannot create --work-dir ", f.work_dir, ": ", ec.message()));
  }
  o.work_dir = std::filesystem::absolute(f.work_dir).lexically_normal().string();
  if (!o.work_dir.empty() && o.work_dir.back() == '/') o.work_dir.pop_back();
  o.ip = f.ip;
  o.info.hostname = f.hostname.empty() ? f.ip : f.hostname;
  o.info.port = f.port;
  // Detected, then overridden by --resources item by item (Mesos semantics).
  model::Resources detected = MachineShare(agents, o.work_dir, index);
  if (!f.resources.empty()) {
    absl::StatusOr<model::Resources> given = model::Resources::Parse(f.resources);
    if (!given.ok()) {
      return absl::InvalidArgumentError(StrCat("--resources: ", given.status().message()));
    }
    for (const model::Resource& r : given->items()) {
      detected = detected.Filter([&](const model::Resource& d) { return d.name != r.name; });
    }
    detected += *given;
  }
  o.info.resources = detected;
  if (!f.attributes.empty()) {
    absl::StatusOr<model::Attributes> attributes = model::ParseAttributes(f.attributes);
    if (!attributes.ok()) {
      return absl::InvalidArgumentError(StrCat("--attributes: ", attributes.status().message()));
    }
    o.info.attributes = *attributes;
  }
  if (f.isolation != "cgroups" && f.isolation != "none") {
    return absl::InvalidArgumentError("--isolation must be 'cgroups' or 'none'");
  }
  o.cgroups = f.isolation == "cgroups";
  o.cgroups_enable_cfs = f.cgroups_enable_cfs;
  // Agents sharing a machine (atoll up, tests) keep to their own cgroups.
  o.cgroups_root = StrCat("atoll/", StableHash(o.work_dir) % 1000000007);
  o.agent.switch_user = f.switch_user;
  if (!(f.executor_registration_timeout > 0 && f.executor_registration_timeout <= 86400)) {
    return absl::InvalidArgumentError("--executor-registration-timeout must be in (0, 86400]");
  }
  o.agent.executor_registration_timeout =
      Duration::FromSecondsDouble(f.executor_registration_timeout);
  if (!(f.executor_shutdown_grace_period >= 0 && f.executor_shutdown_grace_period <= 3600)) {
    return absl::InvalidArgumentError("--executor-shutdown-grace-period must be in [0, 3600]");
  }
  o.agent.executor_shutdown_grace = Duration::FromSecondsDouble(f.executor_shutdown_grace_period);
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) o.atoll_binary = std::string(self, static_cast<size_t>(n));
  return o;
}

void AddAgentFlags(CLI::App* app, AgentFlags& f, bool embedded) {
  if (!embedded) {
    app->add_option("--master", f.master, "The master, HOST:PORT")->envname("ATOLL_MASTER");
    app->add_option("--port", f.port, "HTTP port of the agent (0 = any free port)")
        ->check(CLI::Range(0, 65535))
        ->envname("ATOLL_PORT");
    app->add_option("--ip", f.ip, "Address to listen on")->envname("ATOLL_IP");
    app->add_option("--hostname", f.hostname, "Hostname to advertise (default: --ip)")
        ->envname("ATOLL_HOSTNAME");
    app->add_option("--work-dir", f.work_dir, "Directory for sandboxes and the checkpoint")
        ->envname("ATOLL_WORK_DIR");
    app->add_option("--resources", f.resources,
                    "Resources to advertise, e.g. 'cpus:4;mem:8192;ports:[31000-32000]' "
                    "(default: detected)")
        ->envname("ATOLL_RESOURCES");
    app->add_option("--attributes", f.attributes, "Attributes, e.g. 'rack:r1;zone:a'")
        ->envname("ATOLL_ATTRIBUTES");
  }
  app->add_option("--isolation", f.isolation, "cgroups (when permitted) or none")
      ->envname("ATOLL_ISOLATION");
  app->add_flag("--cgroups-enable-cfs", f.cgroups_enable_cfs,
                "Cap each task's CPU time at its cpus (CFS quota), not only weight it")
      ->envname("ATOLL_CGROUPS_ENABLE_CFS");
  app->add_flag("--switch-user,!--no-switch-user", f.switch_user,
                "Run tasks as the framework's user (default on)")
      ->envname("ATOLL_SWITCH_USER");
  app->add_option("--executor-registration-timeout", f.executor_registration_timeout,
                  "Seconds an executor has to subscribe")
      ->envname("ATOLL_EXECUTOR_REGISTRATION_TIMEOUT");
  app->add_option("--executor-shutdown-grace-period", f.executor_shutdown_grace_period,
                  "Seconds between SHUTDOWN and destroying an executor's container")
      ->envname("ATOLL_EXECUTOR_SHUTDOWN_GRACE_PERIOD");
}

// `atoll agent`: runs one agent until SIGINT/SIGTERM. Its executors keep running: a restart
// with the same work dir recovers them.
int RunAgent(const AgentFlags& f) {
  absl::StatusOr<AgentRuntimeOptions> options = ToAgentOptions(f, 1, 0);
  if (!options.ok()) {
    spdlog::error("{}", std::string(options.status().message()));
    return 2;
  }
  HttpMasterLink::Options link;
  std::string host;
  uint16_t port = 5050;
  std::string path;
  if (!io::ParseMasterLocation(f.master, &host, &port, &path)) {
    spdlog::error("--master: '{}' is not HOST:PORT", f.master);
    return 2;
  }
  link.host = host;
  link.port = port;
  io::EventLoop loop;
  io::RealClock clock;
  AgentRuntime runtime(loop, clock, *options, std::make_unique<HttpMasterLink>(loop, link));
  io::HttpServer::Options http;
  http.address = f.ip;
  http.port = static_cast<uint16_t>(f.port);
  if (absl::Status s = runtime.Start(http); !s.ok()) {
    spdlog::error("cannot start the agent: {}", std::string(s.message()));
    return 1;
  }
  loop.StopOnSignals([&](int signo) {
    spdlog::info("signal {}: stopping (executors keep running)", signo);
    runtime.Stop(/*kill_tasks=*/false);
    loop.Stop();
  });
  loop.Run();
  if (!runtime.fatal().ok()) {
    spdlog::critical("stopped: {}", std::string(runtime.fatal().message()));
    return 1;
  }
  return 0;
}

struct SchedulerFlags {
  std::string master = "127.0.0.1:5050";
  int http_port = 8080;
  std::string http_address = "127.0.0.1";
  std::string work_dir = "atoll-work/scheduler";
  std::string framework_name = "marathon";
  std::string role = "*";
  std::string user;
  double failover_timeout = 7 * 86400.0;  // Marathon's --failover_timeout: one week
  std::string hostname;
  int64_t event_stream_max_bytes = 4 << 20;
  bool dedicated_agents_exclusive = false;
};

void AddSchedulerFlags(CLI::App* app, SchedulerFlags& f, bool embedded) {
  app->add_option("--http-port", f.http_port,
                  "Port of the /v2 REST API and /v2/events (0 = any free port)")
      ->check(CLI::Range(0, 65535))
      ->envname("ATOLL_HTTP_PORT");
  if (embedded) return;
  app->add_option("--master", f.master, "The master, HOST:PORT")->envname("ATOLL_MASTER");
  app->add_option("--http-address", f.http_address, "Address the REST API listens on")
      ->envname("ATOLL_HTTP_ADDRESS");
  app->add_option("--work-dir", f.work_dir, "Directory for the scheduler's store")
      ->envname("ATOLL_WORK_DIR");
  app->add_option("--framework-name", f.framework_name, "Framework name given to the master")
      ->envname("ATOLL_FRAMEWORK_NAME");
  app->add_option("--role", f.role, "Role to subscribe with and the apps' default role")
      ->envname("ATOLL_ROLE");
  app->add_option("--user", f.user, "User tasks run as by default (default: the current user)")
      ->envname("ATOLL_USER");
  app->add_option("--failover-timeout", f.failover_timeout,
                  "Seconds the master keeps the framework's tasks while no scheduler is "
                  "connected")
      ->check(CLI::Range(0.0, 365.0 * 86400))
      ->envname("ATOLL_FAILOVER_TIMEOUT");
  app->add_option("--hostname", f.hostname,
                  "Hostname to advertise (default: --http-address, or the machine's name)")
      ->envname("ATOLL_HOSTNAME");
  app->add_option("--event-stream-max-bytes", f.event_stream_max_bytes,
                  "A /v2/events client with more unread bytes is disconnected")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40))
      ->envname("ATOLL_EVENT_STREAM_MAX_BYTES");
  app->add_flag("--dedicated-agents-exclusive", f.dedicated_agents_exclusive,
                "Agents with a 'dedicated' attribute take only apps whose constraints ask for "
                "its value (Aurora's dedicated agents)")
      ->envname("ATOLL_DEDICATED_AGENTS_EXCLUSIVE");
}

absl::StatusOr<SchedulerRuntimeOptions> ToSchedulerOptions(const SchedulerFlags& f) {
  SchedulerRuntimeOptions o;
  o.master = f.master;
  o.http_address = f.http_address;
  o.http_port = static_cast<uint16_t>(f.http_port);
  o.work_dir = f.work_dir;
  o.framework_name = f.framework_name;
  if (f.framework_name.empty()) return absl::InvalidArgumentError("--framework-name is empty");
  if (absl::Status s = model::ValidateRole(f.role); !s.ok()) {
    return absl::InvalidArgumentError(StrCat("--role: ", s.message()));
  }
  o.role = f.role;
  o.scheduler.default_role = f.role;
  o.user = f.user;
  o.failover_timeout_seconds = f.failover_timeout;
  o.hostname = f.hostname;
  o.max_event_stream_bytes = static_cast<size_t>(f.event_stream_max_bytes);
  o.scheduler.dedicated_agents_exclusive = f.dedicated_agents_exclusive;
  return o;
}

// `atoll scheduler`: the service scheduler against a remote master until SIGINT/SIGTERM. Its
// tasks keep running; a restart with the same work dir takes the framework over again.
int RunScheduler(const SchedulerFlags& f) {
  absl::StatusOr<SchedulerRuntimeOptions> options = ToSchedulerOptions(f);
  if (!options.ok()) {
    spdlog::error("{}", std::string(options.status().message()));
    return 2;
  }
  std::string host, path;
  uint16_t port = 0;
  if (!io::ParseMasterLocation(f.master, &host, &port, &path)) {
    spdlog::error("--master: '{}' is not HOST:PORT", f.master);
    return 2;
  }
  io::EventLoop loop;
  io::RealClock clock;
  SchedulerRuntime runtime(loop, clock, *options);
  if (absl::Status s = runtime.Start(); !s.ok()) {
    spdlog::error("cannot start the scheduler: {}", std::string(s.message()));
    return 1;
  }
  loop.StopOnSignals([&](int signo) {
    spdlog::info("signal {}: stopping (tasks keep running)", signo);
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

}  // namespace
}  // namespace atl::cmd

int main(int argc, char** argv) {
  using namespace atl;
  // The command executor starts once per task: it takes no flags (the agent configures it
  // through MESOS_* variables), so skip building the whole command line for it.
  if (argc == 2 && std::string_view(argv[1]) == "executor") {
    const char* level = std::getenv("ATOLL_LOG_LEVEL");
    io::InitLogging(level != nullptr ? level : "info");
    return cmd::RunCommandExecutor();
  }
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
  std::vector<std::string> up_agent_attributes;
  up->add_option("--agent-attributes", up_agent_attributes,
                 "Attributes of the next agent, e.g. 'rack:r1;gpu:true' (repeatable: the first "
                 "for agent-0, then agent-1, ...; the others get rack:rack-i;zone:zone-i)")
      ->delimiter('\n')  // one agent per line in ATOLL_AGENT_ATTRIBUTES
      ->envname("ATOLL_AGENT_ATTRIBUTES");
  up->add_option("--work-dir", up_flags.work_dir, "Directory for all state")
      ->envname("ATOLL_WORK_DIR");

  cmd::AgentFlags up_agent_flags;
  cmd::AddAgentFlags(up, up_agent_flags, /*embedded=*/true);
  cmd::SchedulerFlags up_scheduler_flags;
  cmd::AddSchedulerFlags(up, up_scheduler_flags, /*embedded=*/true);

  cmd::SchedulerFlags scheduler_flags;
  CLI::App* scheduler = app.add_subcommand(
      "scheduler", "Run the service scheduler: Marathon's /v2 REST API against a master");
  cmd::AddSchedulerFlags(scheduler, scheduler_flags, /*embedded=*/false);

  cmd::AgentFlags agent_flags;
  CLI::App* agent = app.add_subcommand("agent", "Run an agent: tasks on this machine");
  cmd::AddAgentFlags(agent, agent_flags, /*embedded=*/false);

  CLI::App* executor = app.add_subcommand(
      "executor", "The command executor (started by agents; v1 executor API, MESOS_* env)");
  std::string fetch_request;
  CLI::App* fetch = app.add_subcommand("fetch", "Fetch URIs into a sandbox (started by agents)");
  fetch->add_option("request", fetch_request, "JSON: {sandbox, cache_dir, user, uris}")->required();

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
    if (up_agent_attributes.size() > static_cast<size_t>(up_agents)) {
      spdlog::error("--agent-attributes given {} times but there are only {} agents (--agents)",
                    up_agent_attributes.size(), up_agents);
      return 2;
    }
    for (size_t i = 0; i < up_agent_attributes.size(); ++i) {
      if (absl::StatusOr<model::Attributes> a = model::ParseAttributes(up_agent_attributes[i]);
          !a.ok()) {
        spdlog::error("--agent-attributes of agent-{}: {}", i, std::string(a.status().message()));
        return 2;
      }
    }
    cmd::MasterFlags f = up_flags;
    f.work_dir = up_flags.work_dir + "/master";
    spdlog::info("atoll up: master on {}:{} with {} local agents", f.ip, f.port, up_agents);
    auto scheduler_failed = std::make_shared<bool>(false);
    cmd::Embedded embedded =
        [&](io::EventLoop& loop, const Clock& clock,
            cmd::MasterRuntime& master) -> absl::StatusOr<std::function<void()>> {
      // Owned by the returned function only: RunMaster destroys it before the master and the
      // loop the agents use.
      auto agents = std::make_shared<std::vector<std::unique_ptr<cmd::AgentRuntime>>>();
      for (int i = 0; i < up_agents; ++i) {
        cmd::AgentFlags af = up_agent_flags;
        af.ip = f.ip;
        af.hostname = StrCat("agent-", i);
        af.work_dir = StrCat(up_flags.work_dir, "/agent-", i);
        af.attributes = static_cast<size_t>(i) < up_agent_attributes.size()
                            ? up_agent_attributes[i]
                            : StrCat("rack:rack-", i, ";zone:zone-", i);
        absl::StatusOr<cmd::AgentRuntimeOptions> o = cmd::ToAgentOptions(af, up_agents, i);
        if (!o.ok()) {
          return absl::Status(o.status().code(), StrCat("agent-", i, ": ", o.status().message()));
        }
        o->name = af.hostname;
        auto runtime = std::make_unique<cmd::AgentRuntime>(
            loop, clock, *o, std::make_unique<cmd::InProcessMasterLink>(loop, master));
        io::HttpServer::Options http;
        http.address = f.ip;
        http.port = 0;  // executors learn it from MESOS_AGENT_ENDPOINT
        if (absl::Status s = runtime->Start(http); !s.ok()) {
          return absl::Status(s.code(), StrCat("cannot start agent-", i, ": ", s.message()));
        }
        agents->push_back(std::move(runtime));
      }
      // The service scheduler, in-process against the embedded master.
      cmd::SchedulerFlags sf = up_scheduler_flags;
      sf.http_address = f.ip;
      sf.work_dir = up_flags.work_dir + "/scheduler";
      sf.master = StrCat(f.ip, ":", master.port());
      absl::StatusOr<cmd::SchedulerRuntimeOptions> so = cmd::ToSchedulerOptions(sf);
      if (!so.ok()) return so.status();
      so->in_process_master = &master;
      so->on_fatal = [&loop, scheduler_failed] {
        *scheduler_failed = true;
        loop.Stop();
      };
      auto scheduler = std::make_shared<cmd::SchedulerRuntime>(loop, clock, *so);
      if (absl::Status s = scheduler->Start(); !s.ok()) {
        return absl::Status(s.code(), StrCat("cannot start the scheduler: ", s.message()));
      }
      spdlog::info("atoll up: the Marathon /v2 API is at http://{}:{}/v2 (events: /v2/events)",
                   f.ip, scheduler->http_port());
      return std::function<void()>([agents, scheduler]() mutable {
        // Ctrl-C stops the cluster and the tasks it runs; the scheduler goes first (its
        // store keeps the apps, and its restart finds their tasks killed).
        scheduler->Stop();
        for (auto& a : *agents) a->Stop(/*kill_tasks=*/true);
      });
    };
    int code = cmd::RunMaster(f, 0, model::Resources(), embedded);
    if (*scheduler_failed) {
      spdlog::critical("atoll up: the scheduler's store failed; exiting");
      return 1;
    }
    return code;
  }
  if (scheduler->parsed()) return cmd::RunScheduler(scheduler_flags);
  if (agent->parsed()) return cmd::RunAgent(agent_flags);
  if (executor->parsed()) return cmd::RunCommandExecutor();
  if (fetch->parsed()) return cmd::RunFetch(fetch_request);
  return 0;
}
