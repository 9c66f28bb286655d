#include "core/cmd/agent_runtime.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <system_error>

#include "core/agent/state_json.h"
#include "core/api/fetch_request.h"
#include "core/api/json_executor.h"
#include "core/api/recordio.h"
#include "core/base/overloaded.h"
#include "core/base/status.h"
#include "core/base/strings.h"
#include "core/cmd/v1_http.h"
#include "core/io/agent_store.h"

extern char** environ;

namespace atl::cmd {

namespace fs = std::filesystem;

namespace {

// Ids become path components of the sandbox: refuse what could escape it.
bool SafePathComponent(std::string_view id) {
  return !id.empty() && id != "." && id != ".." && id.find('/') == std::string_view::npos &&
         id.find('\0') == std::string_view::npos;
}

std::string DurationFlag(Duration d) { return StrCat(d.nanoseconds() / 1'000'000, "ms"); }

// Gives `path` to `user` (the task's sandbox must be writable by the task). Best effort: a
// failure shows up as the task's own error when it writes there.
void ChownToUser(const std::string& path, const std::string& user) {
  if (geteuid() != 0) return;
  absl::StatusOr<io::Credentials> ids = io::LookUpUser(user);
  if (!ids.ok()) return;  // the launch reports the unknown user
  if (chown(path.c_str(), ids->uid, ids->gid) != 0) {
    spdlog::warn("chown {} to {}: {}", path, user, strerror(errno));
  }
}

// The last `max` bytes of a file ("" when unreadable), trimmed.
std::string ReadFileTail(const std::string& path, size_t max) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.size() > max) data = data.substr(data.size() - max);
  return std::string(Strip(data));
}

}  // namespace

struct AgentRuntime::Container {
  agent::cmd::LaunchExecutor launch;
  std::string sandbox;
  std::optional<pid_t> pid;          // the executor (or, while fetching, nothing)
  std::optional<pid_t> fetcher_pid;  // the fetcher while it runs
  std::unique_ptr<io::ProcessWatcher> watcher;
  bool destroyed = false;  // DestroyContainer seen
  bool exited = false;     // ExecutorExited reported
};

AgentRuntime::AgentRuntime(io::EventLoop& loop, const Clock& clock, AgentRuntimeOptions options,
                           std::unique_ptr<MasterLink> link)
    : loop_(loop), clock_(clock), options_(std::move(options)), link_(std::move(link)) {}

AgentRuntime::~AgentRuntime() {
  if (!stopped_) Stop(false);
  if (wake_timer_) loop_.Cancel(wake_timer_);
}

std::string AgentRuntime::SandboxOf(const agent::ExecutorRecord& e) const {
  const model::AgentInfo& info = agent_->info();
  return StrCat(options_.work_dir, "/slaves/", info.id ? info.id->value() : "unregistered",
                "/frameworks/", e.framework_id.value(), "/executors/", e.info.executor_id.value(),
                "/runs/", e.container_id.value());
}

absl::Status AgentRuntime::Start(io::HttpServer::Options http) {
  start_time_ = clock_.Now();
  std::error_code ec;
  fs::create_directories(options_.work_dir + "/meta", ec);
  if (ec) {
    return absl::FailedPreconditionError(
        StrCat("cannot create the work dir ", options_.work_dir, ": ", ec.message()));
  }
  ASSIGN_OR_RETURN(store_, io::AgentStore::Open(options_.work_dir + "/meta/agent.db"));
  absl::StatusOr<agent::CheckpointedState> state = store_->Load();
  if (!state.ok()) {
    return absl::DataLossError(StrCat("the checkpoint in ", options_.work_dir,
                                      "/meta cannot be read (refusing to start rather than "
                                      "forget tasks): ",
                                      state.status().message()));
  }
  if (options_.cgroups) {
    cgroups_ = io::Cgroups::Detect(options_.cgroups_root);
    spdlog::info("{}: isolation: {}", options_.name, cgroups_.Describe());
  }
  server_ = std::make_unique<io::HttpServer>(
      loop_, http, [this](const io::HttpRequest& req, std::shared_ptr<io::HttpResponder> r) {
        OnHttp(req, std::move(r));
      });
  RETURN_IF_ERROR(server_->Start());
  model::AgentInfo info = options_.info;
  info.port = server_->port();
  agent_ = std::make_unique<agent::Agent>(
      info, options_.agent,
      StableHash(options_.work_dir) ^ static_cast<uint64_t>(start_time_.nanoseconds()));
  spdlog::info("{}: listening on {}:{}, work dir {}, {} executors and {} tasks checkpointed",
               options_.name, http.address, server_->port(), options_.work_dir,
               state->executors.size(), state->tasks.size());
  Handle(agent::in::Recover{*state});
  Reattach(*state);
  MasterLink::Callbacks callbacks;
  auto alive = std::weak_ptr<int>(alive_);
  callbacks.connected = [this, alive] {
    if (!alive.expired() && !stopped_) Handle(agent::in::MasterConnected{});
  };
  callbacks.message = [this, alive](api::MasterToAgent m) {
    if (alive.expired() || stopped_) return;
    if (std::holds_alternative<api::master_msg::Shutdown>(m)) {
      spdlog::warn("{}: the master asked this agent to shut down: {}", options_.name,
                   std::get<api::master_msg::Shutdown>(m).message);
    }
    Handle(agent::in::FromMaster{std::move(m)});
  };
  callbacks.disconnected = [this, alive] {
    if (!alive.expired() && !stopped_) Handle(agent::in::MasterDisconnected{});
  };
  link_->Start(std::move(callbacks));
  return absl::OkStatus();
}

void AgentRuntime::Stop(bool kill_tasks) {
  if (stopped_) return;
  if (kill_tasks && agent_) {
    // Ctrl-C of `atoll up`: every container goes, and its tasks' TASK_KILLED updates are
    // checkpointed (the master hears of them after the restart).
    Handle(agent::in::Stop{});
    for (const agent::cmd::LaunchExecutor& l : launch_queue_) {
      const agent::ExecutorRecord& e = l.executor;
      Handle(agent::in::ExecutorExited{e.framework_id, e.info.executor_id, e.container_id,
                                       std::nullopt, "killed before it started: the agent stopped",
                                       false});
    }
    launch_queue_.clear();
    // One scan of /proc for every executor's session (without cgroups the only way to reach
    // tasks in process groups of their own); with cgroups, destroying them kills everything.
    std::vector<pid_t> sessions;
    for (auto& [id, c] : containers_) {
      if (c->pid && !c->exited) sessions.push_back(*c->pid);
    }
    if (cgroups_.enabled()) {
      for (pid_t pid : sessions) (void)io::SignalProcessGroup(pid, SIGKILL);
    } else {
      io::SignalSessions(sessions, SIGKILL);
    }
    for (auto& [id, c] : containers_) {
      if (c->fetcher_pid) (void)io::SignalProcessGroup(*c->fetcher_pid, SIGKILL);
      if (cgroups_.enabled()) (void)cgroups_.Destroy(id);
      if (c->exited) continue;
      c->exited = true;
      c->watcher.reset();
      const agent::ExecutorRecord& e = c->launch.executor;
      Handle(agent::in::ExecutorExited{e.framework_id, e.info.executor_id, e.container_id,
                                       std::nullopt, "killed: the agent stopped", false});
    }
  }
  Flush();
  stopped_ = true;
  if (link_) link_->Stop();
  if (server_) server_->Stop();
  for (auto& [conn, stream] : executor_streams_) stream->Close();
  executor_streams_.clear();
  for (auto& [id, c] : containers_) c->watcher.reset();
}

uint16_t AgentRuntime::port() const { return server_ ? server_->port() : 0; }

void AgentRuntime::Handle(agent::Input input) {
  if (stopped_ || !fatal_.ok()) return;
  Apply(agent_->Handle(input, clock_.Now()));
}

void AgentRuntime::Apply(agent::Output out) {
  for (agent::Command& c : out.commands) {
    if (std::holds_alternative<agent::cmd::WakeAt>(c)) {
      Execute(c);  // timers need no durability
    } else if (agent::IsDurable(c)) {
      batch_.push_back(std::move(c));
    } else {
      pending_.push_back(std::move(c));
    }
  }
  // Group commit: everything decided in this loop turn is made durable in one transaction at
  // its end, then carried out in order.
  if (!flush_posted_ && (!batch_.empty() || !pending_.empty())) {
    flush_posted_ = true;
    loop_.Post([this, alive = std::weak_ptr<int>(alive_)] {
      if (alive.expired()) return;
      Flush();
    });
  }
}

void AgentRuntime::Flush() {
  flush_posted_ = false;
  if (!fatal_.ok()) return;
  std::vector<agent::Command> batch = std::move(batch_);
  std::vector<agent::Command> pending = std::move(pending_);
  batch_.clear();
  pending_.clear();
  if (!batch.empty()) {
    if (absl::Status s = store_->Apply(batch); !s.ok()) {
      // Acknowledging updates that are not on disk would lose them: stop instead.
      spdlog::critical("{}: cannot write the checkpoint: {}", options_.name,
                       std::string(s.message()));
      fatal_ = s;
      loop_.Stop();
      return;
    }
  }
  if (stopped_) return;
  for (agent::Command& c : pending) Execute(c);
}

void AgentRuntime::Execute(agent::Command& command) {
  std::visit(Overloaded{
                 [&](agent::cmd::SendToMaster& m) { link_->Send(std::move(m.message)); },
                 [&](agent::cmd::LaunchExecutor& l) { QueueLaunch(std::move(l)); },
                 [&](agent::cmd::SendToExecutor& s) {
                   auto it = executor_streams_.find(s.conn);
                   if (it == executor_streams_.end()) return;
                   it->second->Write(api::RecordIoEncode(api::SerializeExecutorEvent(s.event)));
                 },
                 [&](agent::cmd::CloseExecutorStream& s) {
                   auto it = executor_streams_.find(s.conn);
                   if (it == executor_streams_.end()) return;
                   std::shared_ptr<io::HttpStream> stream = it->second;
                   executor_streams_.erase(it);
                   stream->Close();
                 },
                 [&](agent::cmd::DestroyContainer& d) { DestroyContainer(d); },
                 [&](agent::cmd::WakeAt& w) {
                   if (wake_ && *wake_ <= w.at && *wake_ > clock_.Now()) return;
                   if (wake_timer_) loop_.Cancel(wake_timer_);
                   wake_ = w.at;
                   wake_timer_ = loop_.RunAt(w.at, [this, alive = std::weak_ptr<int>(alive_)] {
                     if (alive.expired()) return;
                     wake_.reset();
                     wake_timer_ = 0;
                     Handle(agent::in::Tick{});
                   });
                 },
                 [&](auto&) {},  // durable commands went to the store
             },
             command);
}

// ---------------------------------------------------------------------------------------------
// Containers

void AgentRuntime::QueueLaunch(agent::cmd::LaunchExecutor launch) {
  launch_queue_.push_back(std::move(launch));
  if (launch_posted_) return;
  launch_posted_ = true;
  loop_.Post([this, alive = std::weak_ptr<int>(alive_)] {
    if (!alive.expired()) LaunchNext();
  });
}

void AgentRuntime::LaunchNext() {
  launch_posted_ = false;
  if (stopped_ || launch_queue_.empty()) return;
  agent::cmd::LaunchExecutor launch = std::move(launch_queue_.front());
  launch_queue_.pop_front();
  if (!launch_queue_.empty()) {
    // Posted behind whatever I/O became ready meanwhile.
    launch_posted_ = true;
    loop_.Post([this, alive = std::weak_ptr<int>(alive_)] {
      if (!alive.expired()) LaunchNext();
    });
  }
  Launch(launch);
}

void AgentRuntime::Launch(const agent::cmd::LaunchExecutor& launch) {
  const agent::ExecutorRecord& e = launch.executor;
  const std::string& id = e.container_id.value();
  auto fail = [&](std::string message) {
    spdlog::warn("{}: cannot launch executor {}: {}", options_.name, e.info.executor_id.value(),
                 message);
    Handle(agent::in::ExecutorLaunchFailed{e.framework_id, e.info.executor_id, e.container_id,
                                           std::move(message)});
  };
  if (!SafePathComponent(e.framework_id.value()) ||
      !SafePathComponent(e.info.executor_id.value()) || !SafePathComponent(id)) {
    return fail(
        "Framework and executor ids must be usable as directory names (no '/', not "
        "'.' or '..')");
  }
  auto c = std::make_unique<Container>();
  c->launch = launch;
  c->sandbox = SandboxOf(e);
  std::error_code ec;
  fs::create_directories(c->sandbox, ec);
  if (ec) return fail(StrCat("Failed to create the sandbox ", c->sandbox, ": ", ec.message()));
  // runs/latest -> this run, as in Mesos.
  fs::path latest = fs::path(c->sandbox).parent_path() / "latest";
  fs::remove(latest, ec);
  fs::create_directory_symlink(id, latest, ec);
  if (launch.user) {
    // The task's user must be able to write its sandbox.
    ChownToUser(c->sandbox, *launch.user);
  }
  (void)files_.Attach(c->sandbox, c->sandbox);
  if (cgroups_.enabled()) {
    io::Cgroups::Limits limits;
    limits.cpus = launch.resources.GetScalar("cpus").ToDouble();
    if (options_.cgroups_enable_cfs) limits.cpu_limit = limits.cpus;
    limits.mem_bytes =
        static_cast<uint64_t>(launch.resources.GetScalar("mem").ToDouble() * 1024 * 1024);
    if (absl::Status s = cgroups_.Create(id, limits); !s.ok()) {
      return fail(StrCat("Failed to create the container's cgroups: ", s.message()));
    }
  }
  Container& ref = *c;
  containers_[id] = std::move(c);
  if (launch.uris.empty()) {
    SpawnExecutor(id);
    return;
  }
  // The fetcher runs as a process of its own, so downloads never block this loop; its output
  // lands in the sandbox's stdout/stderr like Mesos's fetcher log.
  io::SpawnOptions spawn;
  spawn.path = options_.atoll_binary;
  api::FetchRequest request;
  request.sandbox = ref.sandbox;
  request.cache_dir = options_.work_dir + "/fetch-cache";
  request.user = launch.user;
  request.uris = launch.uris;
  spawn.argv = {"atoll", "fetch", api::SerializeFetchRequest(request)};
  for (char** env = environ; *env != nullptr; ++env) spawn.env.push_back(*env);
  spawn.cwd = ref.sandbox;
  spawn.stdout_path = ref.sandbox + "/stdout";
  spawn.stderr_path = ref.sandbox + "/stderr";
  spawn.cgroup_procs = cgroups_.ProcsFiles(id);
  absl::StatusOr<pid_t> pid = io::Spawn(spawn);
  if (!pid.ok()) {
    containers_.erase(id);
    if (cgroups_.enabled()) (void)cgroups_.Destroy(id);
    return fail(StrCat("Failed to start the fetcher: ", pid.status().message()));
  }
  ref.fetcher_pid = *pid;
  absl::StatusOr<std::unique_ptr<io::ProcessWatcher>> watcher = io::ProcessWatcher::Watch(
      loop_, *pid, [this, alive = std::weak_ptr<int>(alive_), id](std::optional<int> status) {
        if (alive.expired() || stopped_) return;
        auto it = containers_.find(id);
        if (it == containers_.end()) return;
        Container& c = *it->second;
        c.fetcher_pid.reset();
        c.watcher.reset();
        if (c.destroyed) {
          c.exited = true;
          Handle(agent::in::ExecutorExited{
              c.launch.executor.framework_id, c.launch.executor.info.executor_id,
              c.launch.executor.container_id, status, "destroyed while fetching", false});
          return;
        }
        if (status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) {
          SpawnExecutor(id);
          return;
        }
        std::string why = ReadFileTail(c.sandbox + "/stderr", 512);
        agent::ExecutorRecord record = c.launch.executor;
        containers_.erase(it);
        if (cgroups_.enabled()) (void)cgroups_.Destroy(id);
        Handle(agent::in::ExecutorLaunchFailed{
            record.framework_id, record.info.executor_id, record.container_id,
            StrCat("Failed to fetch URIs: ",
                   why.empty() ? (status ? io::DescribeWaitStatus(*status) : "unknown") : why)});
      });
  if (watcher.ok()) ref.watcher = *std::move(watcher);
}

std::vector<std::string> AgentRuntime::ExecutorEnvironment(const Container& c) const {
  const agent::ExecutorRecord& e = c.launch.executor;
  std::map<std::string, std::string> env;
  // The executor inherits the agent's environment, as in Mesos.
  for (char** p = environ; *p != nullptr; ++p) {
    std::string_view kv(*p);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  const model::AgentInfo& info = agent_->info();
  env["MESOS_FRAMEWORK_ID"] = e.framework_id.value();
  env["MESOS_EXECUTOR_ID"] = e.info.executor_id.value();
  env["MESOS_DIRECTORY"] = c.sandbox;
  env["MESOS_SANDBOX"] = c.sandbox;
  env["MESOS_AGENT_ENDPOINT"] = StrCat(options_.ip, ":", server_->port());
  env["MESOS_SLAVE_ID"] = info.id ? info.id->value() : "";
  env["MESOS_AGENT_ID"] = env["MESOS_SLAVE_ID"];
  env["MESOS_SLAVE_PID"] = StrCat("slave(1)@", options_.ip, ":", server_->port());
  env["MESOS_CHECKPOINT"] = c.launch.framework.checkpoint ? "1" : "0";
  env["MESOS_HTTP_COMMAND_EXECUTOR"] = e.command_executor ? "1" : "0";
  Duration grace = e.info.shutdown_grace_period.value_or(options_.agent.executor_shutdown_grace);
  env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"] = DurationFlag(grace);
  env["MESOS_RECOVERY_TIMEOUT"] = "15mins";
  env["MESOS_SUBSCRIPTION_BACKOFF_MAX"] = "2secs";
  if (e.info.command && e.info.command->environment) {
    for (const auto& v : e.info.command->environment->variables) {
      env[v.name] = v.value;
    }
  }
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) out.push_back(StrCat(k, "=", v));
  return out;
}

void AgentRuntime::SpawnExecutor(const std::string& container_id) {
  Container& c = *containers_.at(container_id);
  const agent::ExecutorRecord& e = c.launch.executor;
  io::SpawnOptions spawn;
  if (e.command_executor) {
    spawn.path = options_.atoll_binary;
    spawn.argv = {"atoll", "executor"};
  } else if (e.info.command && e.info.command->value) {
    model::CommandLine line = model::CommandLineOf(*e.info.command);
    spawn.path = std::move(line.path);
    spawn.argv = std::move(line.argv);
  } else {
    agent::ExecutorRecord record = e;
    containers_.erase(container_id);
    if (cgroups_.enabled()) (void)cgroups_.Destroy(container_id);
    Handle(agent::in::ExecutorLaunchFailed{record.framework_id, record.info.executor_id,
                                           record.container_id,
                                           "ExecutorInfo.command.value is required"});
    return;
  }
  spawn.env = ExecutorEnvironment(c);
  spawn.cwd = c.sandbox;
  spawn.stdout_path = c.sandbox + "/stdout";
  spawn.stderr_path = c.sandbox + "/stderr";
  spawn.new_session = true;  // survives an agent restart; kills reach its process group
  // Executors run as the task's user (CommandInfo.user, else the framework's), as in Mesos:
  // the command executor then starts its task as that same user.
  spawn.user = c.launch.user;
  spawn.cgroup_procs = cgroups_.ProcsFiles(container_id);
  absl::StatusOr<pid_t> pid = io::Spawn(spawn);
  if (!pid.ok()) {
    agent::ExecutorRecord record = e;
    containers_.erase(container_id);
    if (cgroups_.enabled()) (void)cgroups_.Destroy(container_id);
    Handle(agent::in::ExecutorLaunchFailed{
        record.framework_id, record.info.executor_id, record.container_id,
        StrCat("Failed to launch the executor: ", pid.status().message())});
    return;
  }
  c.pid = *pid;
  uint64_t start = io::ProcessStartTime(*pid).value_or(0);
  Watch(container_id, *pid);
  Handle(
      agent::in::ExecutorLaunched{e.framework_id, e.info.executor_id, e.container_id, *pid, start});
}

void AgentRuntime::Watch(const std::string& container_id, pid_t pid) {
  absl::StatusOr<std::unique_ptr<io::ProcessWatcher>> watcher = io::ProcessWatcher::Watch(
      loop_, pid, [this, alive = std::weak_ptr<int>(alive_), container_id](std::optional<int> s) {
        if (alive.expired() || stopped_) return;
        OnExited(container_id, s);
      });
  if (!watcher.ok()) {
    // Gone already (reaped before we could watch it): report it like any exit.
    loop_.Post([this, alive = std::weak_ptr<int>(alive_), container_id] {
      if (!alive.expired() && !stopped_) OnExited(container_id, std::nullopt);
    });
    return;
  }
  containers_.at(container_id)->watcher = *std::move(watcher);
}

void AgentRuntime::OnExited(const std::string& container_id, std::optional<int> wait_status) {
  auto it = containers_.find(container_id);
  if (it == containers_.end() || it->second->exited) return;
  Container& c = *it->second;
  c.exited = true;
  c.watcher.reset();
  // Whatever it left behind goes with it: its session (the task's group is in it) when there
  // are no cgroups; with cgroups, the container's destroy kills every process in them.
  if (c.pid && !cgroups_.enabled()) io::SignalSession(*c.pid, SIGKILL);
  bool oom = cgroups_.enabled() && cgroups_.OomKilled(container_id);
  std::string description =
      wait_status ? io::DescribeWaitStatus(*wait_status)
                  : std::string(
                        "terminated (its exit status is unknown: it was not started by "
                        "this agent process)");
  const agent::ExecutorRecord& e = c.launch.executor;
  spdlog::info("{}: executor {} of framework {} {}{}", options_.name, e.info.executor_id.value(),
               e.framework_id.value(), description, oom ? " (out of memory)" : "");
  Handle(agent::in::ExecutorExited{e.framework_id, e.info.executor_id, e.container_id, wait_status,
                                   description, oom});
}

void AgentRuntime::DestroyContainer(const agent::cmd::DestroyContainer& d) {
  const std::string& id = d.container_id.value();
  auto queued = std::find_if(launch_queue_.begin(), launch_queue_.end(), [&](const auto& l) {
    return l.executor.container_id == d.container_id;
  });
  if (queued != launch_queue_.end()) {
    launch_queue_.erase(queued);  // never made: nothing to kill
    loop_.Post([this, alive = std::weak_ptr<int>(alive_), d] {
      if (alive.expired() || stopped_) return;
      Handle(agent::in::ExecutorExited{d.framework_id, d.executor_id, d.container_id, std::nullopt,
                                       "destroyed before it started", false});
    });
    return;
  }
  auto it = containers_.find(id);
  if (it == containers_.end()) {
    if (cgroups_.enabled()) (void)cgroups_.Destroy(id);
    // Nothing runs for it here (its process died with a previous agent, or never started).
    loop_.Post([this, alive = std::weak_ptr<int>(alive_), d] {
      if (alive.expired() || stopped_) return;
      Handle(agent::in::ExecutorExited{d.framework_id, d.executor_id, d.container_id, std::nullopt,
                                       "was not running", false});
    });
    return;
  }
  Container& c = *it->second;
  c.destroyed = true;
  if (c.fetcher_pid) (void)io::SignalProcessGroup(*c.fetcher_pid, SIGKILL);
  if (c.pid && !c.exited) {
    // Cgroups reach every process of the container; without them its session does.
    if (cgroups_.enabled()) {
      (void)io::SignalProcessGroup(*c.pid, SIGKILL);
    } else {
      io::SignalSession(*c.pid, SIGKILL);
    }
  }
  if (cgroups_.enabled()) {
    if (absl::Status s = cgroups_.Destroy(id); !s.ok()) {
      spdlog::warn("{}: destroying the cgroups of container {}: {}", options_.name, id,
                   std::string(s.message()));
    }
  }
  if (c.exited) {
    files_.Detach(c.sandbox);
    containers_.erase(it);
  }
  // Otherwise the watcher reports the exit, and the agent's clean-up destroy erases it.
}

void AgentRuntime::Reattach(const agent::CheckpointedState& state) {
  std::set<std::string> known;
  for (const agent::ExecutorRecord& e : state.executors) {
    const std::string& id = e.container_id.value();
    known.insert(id);
    auto c = std::make_unique<Container>();
    c->launch.executor = e;
    for (const model::FrameworkInfo& fw : state.frameworks) {
      if (fw.id == e.framework_id) c->launch.framework = fw;
    }
    c->sandbox = SandboxOf(e);
    (void)files_.Attach(c->sandbox, c->sandbox);
    c->pid = e.pid;
    containers_[id] = std::move(c);
    if (!e.pid) continue;  // never started: the agent destroys it
    absl::StatusOr<std::unique_ptr<io::ProcessWatcher>> watcher = io::ProcessWatcher::Watch(
        loop_, *e.pid, [this, alive = std::weak_ptr<int>(alive_), id](std::optional<int> s) {
          if (alive.expired() || stopped_) return;
          OnExited(id, s);
        });
    // The pidfd pins the process, so the start time check cannot race with pid reuse.
    absl::StatusOr<uint64_t> start = io::ProcessStartTime(*e.pid);
    if (watcher.ok() && start.ok() && *start == e.pid_start_time) {
      spdlog::info("{}: re-attached executor {} (pid {})", options_.name,
                   e.info.executor_id.value(), *e.pid);
      containers_[id]->watcher = *std::move(watcher);
      continue;
    }
    containers_[id]->pid.reset();  // not ours to signal: the pid may belong to someone else
    loop_.Post([this, alive = std::weak_ptr<int>(alive_), id] {
      if (!alive.expired() && !stopped_) OnExited(id, std::nullopt);
    });
  }
  if (cgroups_.enabled()) {
    for (const std::string& id : cgroups_.List()) {
      if (known.contains(id)) continue;
      spdlog::info("{}: removing the cgroups of unknown container {}", options_.name, id);
      (void)cgroups_.Destroy(id);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

void AgentRuntime::OnHttp(const io::HttpRequest& req,
                          std::shared_ptr<io::HttpResponder> responder) {
  std::string_view path = req.path;
  // Mesos serves the agent's endpoints under /slave(1) too.
  ConsumePrefix(&path, "/slave(1)");
  if (path == "/api/v1/executor") {
    OnExecutorApi(req, std::move(responder));
    return;
  }
  if (files_.Handles(req.target)) {
    responder->Respond(files_.Handle(req));
    return;
  }
  if (req.method != "GET" && req.method != "HEAD") {
    io::HttpResponse r = io::HttpResponse::Text(405, "Expecting 'GET'\n");
    r.headers.push_back({"Allow", "GET"});
    responder->Respond(std::move(r));
    return;
  }
  agent::StateContext context;
  context.now = clock_.Now();
  context.start_time = start_time_;
  context.master = link_->endpoint();
  context.directory = [this](const agent::ExecutorRecord& e) { return SandboxOf(e); };
  context.isolation = cgroups_.Describe();
  if (path == "/health") {
    responder->Respond(io::HttpResponse::Text(200, ""));
  } else if (path == "/state" || path == "/state.json") {
    responder->Respond(io::HttpResponse::Json(200, agent::RenderState(*agent_, context)));
  } else if (path == "/metrics/snapshot") {
    responder->Respond(io::HttpResponse::Json(200, agent::RenderMetricsSnapshot(*agent_, context)));
  } else if (path == "/metrics") {
    io::HttpResponse r = io::HttpResponse::Text(200, agent::RenderPrometheus(*agent_, context));
    r.headers = {{"Content-Type", "text/plain; version=0.0.4"}};
    responder->Respond(std::move(r));
  } else {
    responder->Respond(io::HttpResponse::Text(404, StrCat("No endpoint ", req.path, "\n")));
  }
}

void AgentRuntime::OnExecutorApi(const io::HttpRequest& req,
                                 std::shared_ptr<io::HttpResponder> responder) {
  std::optional<api::ExecutorCall> call =
      ParseV1Body(req, *responder, api::ParseExecutorCall, "Call");
  if (!call) return;
  if (stopped_ || !fatal_.ok()) {
    responder->Respond(io::HttpResponse::Text(503, "Agent is not running"));
    return;
  }
  bool subscribe = std::holds_alternative<api::executor_call::Subscribe>(call->body);
  if (subscribe && !AcceptsJson(req.Header("Accept"))) {
    responder->Respond(
        io::HttpResponse::Text(406, "Expecting 'Accept' to allow 'application/json'"));
    return;
  }
  agent::ExecutorConn conn = subscribe ? next_conn_++ : 0;
  agent::in::FromExecutor input{*call, conn};
  if (const auto* update = std::get_if<api::executor_call::Update>(&call->body);
      update != nullptr && update->status.state == model::TaskState::kFailed &&
      cgroups_.enabled()) {
    const agent::ExecutorRecord* e =
        agent_->FindExecutorRecord(call->framework_id, call->executor_id);
    input.container_oom = e != nullptr && cgroups_.OomKilled(e->container_id.value());
  }
  agent::Output out = agent_->Handle(input, clock_.Now());
  if (subscribe && out.http_status == 200) {
    std::shared_ptr<io::HttpStream> stream =
        responder->StartStream(200, {{"Content-Type", "application/json"}});
    executor_streams_[conn] = stream;
    stream->OnClose([this, alive = std::weak_ptr<int>(alive_), conn] {
      if (alive.expired() || stopped_) return;
      if (executor_streams_.erase(conn) == 0) return;  // closed by us
      Handle(agent::in::ExecutorStreamClosed{conn});
    });
  } else if (out.http_status >= 400) {
    responder->Respond(io::HttpResponse::Text(out.http_status, out.http_body));
  } else {
    responder->Respond(io::HttpResponse::Text(out.http_status, ""));
  }
  Apply(std::move(out));
}

}  // namespace atl::cmd
