// real_launch: real tasks on one real agent, against a raw posix_spawn loop of the same program
// in the same run (issue: "launch 1,000 real tasks on one agent; at most 3x the raw spawn cost
// per task, with the agent holding 1 GiB of memory, and submit->exec p99 under 5 ms").
//
// One process, one io::EventLoop, in this order:
//  1. allocates and touches --ballast-mib (1 GiB) so the process that spawns is a big one, as an
//     agent would be (fork() would then be ~70x slower; posix_spawn and clone(CLONE_VM) are not);
//  2. raw baseline: posix_spawn of bench/real_launch_task --tasks times, then SIGKILL + waitpid;
//  3. a MasterRuntime (SQLite registry) and ONE AgentRuntime joined by InProcessMasterLink, with
//     a real work dir under --work-dir, cgroups when the machine allows them, and the in-process
//     C++ driver (InProcessSchedulerDriver). The framework launches --tasks command tasks from
//     the first offer (one ACCEPT, "burst"), then --paced-tasks more one at a time (the next
//     ACCEPT once the previous task is RUNNING: the latency of one launch on a loaded agent);
//  4. reads the tasks' exec stamps from their sandboxes, the RSS of this process (master + agent
//     + framework + ballast) and of every executor and task;
//  5. AgentRuntime::Stop(kill_tasks=true), TEARDOWN, reaps, checks that no task survived, and
//     removes the work dir and the cgroups root.
//
// Each task is real_launch_task, which stamps CLOCK_REALTIME into "exec_ts" (in its sandbox) as
// the first thing after exec, then sleeps. "submit" is the moment the framework calls
// LaunchTasks (the ACCEPT); "exec" is that stamp; "RUNNING" is when the framework's StatusUpdate
// sees TASK_RUNNING. An Atoll command task costs two processes: `atoll executor` (the command
// executor, which speaks HTTP to the agent) and the task.
//
// --health-checks (issue: "1,000 tasks with HTTP health checks every second: CPU used by all
// executors for checking < 25% of one core, checks per second, and the jitter of checks when
// 100 endpoints hang, p99 < 50 ms for the others"): no raw baseline and no paced phase; each task
// serves HTTP on its own port (real_launch_task with BENCH_HTTP_PORT; the first --hanging never
// answer) and carries an HTTP health check, run by its executor. After the burst, a warm-up and
// a measured window (RunHealthChecks), then the same clean-up, then a process per check as the
// peer.
//
// Prints `name value unit` lines; lines starting with '#' are notes.
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_report.h"
#include "core/api/scheduler_driver.h"
#include "core/base/strings.h"
#include "core/cmd/agent_runtime.h"
#include "core/cmd/inprocess_driver.h"
#include "core/cmd/master_link.h"
#include "core/cmd/master_runtime.h"
#include "core/io/cgroups.h"
#include "core/io/event_loop.h"
#include "core/io/log.h"
#include "core/io/process.h"
#include "core/io/real_clock.h"
#include "core/io/registry_store.h"
#include "core/model/info.h"

#ifndef ATOLL_BINARY
#define ATOLL_BINARY "atoll"
#endif
#ifndef REAL_LAUNCH_TASK
#define REAL_LAUNCH_TASK "real_launch_task"
#endif

extern char** environ;

namespace {

using atl::bench::Print;
using atl::bench::PrintSummary;
using atl::bench::SpawnCpuSeconds;

namespace fs = std::filesystem;
namespace api = atl::api;
namespace cmd = atl::cmd;
namespace io = atl::io;
namespace model = atl::model;
using atl::Duration;
using atl::StrCat;

struct Flags {
  int tasks = 1000;
  int paced_tasks = 100;
  int per_offer = 0;  // 0: as many as fit
  double cpus = 0.01;
  double mem = 1;
  int ballast_mib = 1024;
  std::string atoll = ATOLL_BINARY;
  std::string task_binary = REAL_LAUNCH_TASK;
  std::string isolation = "cgroups";
  std::string work_dir;
  bool keep_work_dir = false;
  bool only_atoll = false;  // skip the raw and spawn-path baselines (for profiling)
  bool spawn_breakdown = false;
  std::string timeline;  // per-task times, one line per task
  double allocation_interval_ms = 20;
  double timeout = 180;
  std::string log_level = "warn";
  // --health-checks: every task serves HTTP on its own port and carries an HTTP health check
  // (run by its executor); see RunHealthChecks.
  bool health_checks = false;
  bool without_checks = false;  // the same tasks and servers, no health_check: the idle baseline
  int hanging = 100;            // the first tasks' endpoints accept and never answer
  double health_seconds = 20;
  double health_warmup_seconds = 5;
  double health_interval_ms = 1000;
  double health_timeout_ms = 500;
  double health_grace_seconds = 5;
  int port_base = 20000;
};

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The clock real_launch_task stamps request arrivals with.
int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void Note(const std::string& text) {
  std::printf("# %s\n", text.c_str());
  std::fflush(stdout);
}

// A "Key:  <n> kB" line of a /proc file, in kB.
std::optional<int64_t> ProcKb(const std::string& path, std::string_view key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::string_view l = line;
    if (!atl::ConsumePrefix(&l, key) || !atl::ConsumePrefix(&l, ":")) continue;
    l = atl::Strip(l);
    atl::ConsumeSuffix(&l, "kB");
    int64_t kb = 0;
    if (atl::ParseInt64(atl::Strip(l), &kb)) return kb;
  }
  return std::nullopt;
}

// CPU time of a process in seconds, from /proc/<pid>/schedstat (ns on the CPU; /stat's ticks
// are too coarse for a process that used a few ms). 0 if gone.
double ProcCpuSeconds(pid_t pid) {
  std::ifstream in(StrCat("/proc/", pid, "/schedstat"));
  double ns = 0;
  in >> ns;
  return ns / 1e9;
}

// The same for all of a process's threads (/proc/<pid>/schedstat counts the main thread only).
double ProcessCpuSeconds(pid_t pid) {
  double seconds = 0;
  std::error_code ec;
  for (const auto& thread : fs::directory_iterator(StrCat("/proc/", pid, "/task"), ec)) {
    std::ifstream in(thread.path() / "schedstat");
    double ns = 0;
    if (in >> ns) seconds += ns / 1e9;
  }
  return seconds;
}

double SelfCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// "<ns> <pid>" as real_launch_task writes it.
bool ReadStamp(const std::string& path, int64_t* ns, pid_t* pid) {
  std::ifstream in(path);
  long long t = 0;
  int p = 0;
  if (!(in >> t >> p)) return false;
  *ns = t;
  *pid = p;
  return true;
}

// Runs `loop` until `done()` (polled every millisecond) or `timeout`; true if it held.
bool RunUntil(io::EventLoop& loop, const std::function<bool()>& done, Duration timeout) {
  bool held = false;
  io::EventLoop::TimerId poll = 0;
  std::function<void()> check = [&] {
    poll = 0;
    if (done()) {
      held = true;
      loop.Stop();
      return;
    }
    poll = loop.RunAfter(Duration::Milliseconds(1), check);
  };
  poll = loop.RunAfter(Duration::Zero(), check);
  io::EventLoop::TimerId safety = loop.RunAfter(timeout, [&] { loop.Stop(); });
  loop.Run();
  if (poll != 0) loop.Cancel(poll);
  loop.Cancel(safety);
  return held;
}

// Runs `loop` for `duration`, with no other timer of ours (RunUntil's 1 ms poll would be counted
// in this process's CPU).
void RunFor(io::EventLoop& loop, Duration duration) {
  io::EventLoop::TimerId stop = loop.RunAfter(duration, [&] { loop.Stop(); });
  loop.Run();
  loop.Cancel(stop);
}

// Waits (sleeping 1 ms) until every path exists or `timeout_s` passes; returns how many exist.
size_t WaitForFiles(const std::vector<std::string>& paths, double timeout_s) {
  const int64_t deadline = NowNs() + static_cast<int64_t>(timeout_s * 1e9);
  size_t ok = 0;
  std::vector<bool> seen(paths.size(), false);
  while (true) {
    for (size_t i = 0; i < paths.size(); ++i) {
      struct stat st;
      if (!seen[i] && ::stat(paths[i].c_str(), &st) == 0) {
        seen[i] = true;
        ++ok;
      }
    }
    if (ok == paths.size() || NowNs() > deadline) return ok;
    usleep(1000);
  }
}

// ---------------------------------------------------------------------------------------------
// 2. The raw baseline.

struct RawResult {
  double spawn_call_us = 0;  // posix_spawn's own cost per task (the loop / N)
  double wall_ms = 0;        // first spawn -> last exec stamp
  double per_task_us = 0;    // wall / N
  std::vector<double> to_exec_ms;
  double kill_wait_ms = 0;
  int64_t tasks_rss_kb = 0;
  bool ok = false;
};

RawResult RunRaw(const Flags& f, const std::string& dir) {
  RawResult r;
  fs::create_directories(dir);
  std::vector<pid_t> pids;
  std::vector<int64_t> submit(f.tasks);
  std::vector<std::string> stamps;
  pids.reserve(f.tasks);
  for (int i = 0; i < f.tasks; ++i) stamps.push_back(StrCat(dir, "/", i));
  const int64_t start = NowNs();
  for (int i = 0; i < f.tasks; ++i) {
    std::string arg0 = "real_launch_task", seconds = "600";
    char* argv[] = {arg0.data(), stamps[i].data(), seconds.data(), nullptr};
    pid_t pid = -1;
    submit[i] = NowNs();
    int rc = posix_spawn(&pid, f.task_binary.c_str(), nullptr, nullptr, argv, environ);
    if (rc != 0) {
      std::fprintf(stderr, "posix_spawn %s: %s\n", f.task_binary.c_str(), strerror(rc));
      break;
    }
    pids.push_back(pid);
  }
  const int64_t spawned = NowNs();
  r.spawn_call_us = static_cast<double>(spawned - start) / 1e3 / f.tasks;
  size_t present = WaitForFiles(stamps, 60);
  int64_t last = start;
  for (int i = 0; i < f.tasks && present == stamps.size(); ++i) {
    int64_t ns = 0;
    pid_t pid = 0;
    if (!ReadStamp(stamps[i], &ns, &pid)) continue;
    last = std::max(last, ns);
    r.to_exec_ms.push_back(static_cast<double>(ns - submit[i]) / 1e6);
  }
  for (pid_t pid : pids)
    r.tasks_rss_kb += ProcKb(StrCat("/proc/", pid, "/status"), "VmRSS").value_or(0);
  r.wall_ms = static_cast<double>(last - start) / 1e6;
  r.per_task_us = r.wall_ms * 1e3 / f.tasks;
  const int64_t kill_start = NowNs();
  for (pid_t pid : pids) kill(pid, SIGKILL);
  for (pid_t pid : pids) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  r.kill_wait_ms = static_cast<double>(NowNs() - kill_start) / 1e6;
  r.ok =
      static_cast<int>(pids.size()) == f.tasks && static_cast<int>(r.to_exec_ms.size()) == f.tasks;
  return r;
}

// ---------------------------------------------------------------------------------------------
// 2b. The agent's spawn path alone, to split the gap: per task, what AgentRuntime::Launch does
// around the exec (sandbox mkdir, io::Cgroups::Create, io::Spawn with the container's
// cgroup.procs, setsid, stdout/stderr files and cwd), for the same tiny program; then
// Cgroups::Destroy (which kills) per container.

struct SpawnPathResult {
  double mkdir_us = 0, cgroup_create_us = 0, spawn_us = 0, destroy_us = 0;
  bool ok = false;
};

// `files`: cwd, stdout/stderr files and setsid as the agent sets them (else a bare io::Spawn,
// which takes the posix_spawn path); `cgroups`: also join the container's cgroups (io::Spawn
// then takes its clone(CLONE_VM | CLONE_VFORK) path).
SpawnPathResult RunSpawnPath(const Flags& f, const std::string& dir, bool files, bool cgroups) {
  SpawnPathResult r;
  io::Cgroups cg;
  if (cgroups) cg = io::Cgroups::Detect(StrCat("atoll-bench-", getpid(), "-spawn"));
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.push_back(*e);
  std::vector<pid_t> pids;
  std::vector<std::string> ids;
  std::vector<std::string> stamps;
  int64_t mkdir_ns = 0, create_ns = 0, spawn_ns = 0;
  for (int i = 0; i < f.tasks; ++i) {
    const std::string id = StrCat("c", i);
    const std::string sandbox = StrCat(dir, "/", id);
    int64_t t0 = NowNs();
    std::error_code ec;
    fs::create_directories(sandbox, ec);
    int64_t t1 = NowNs();
    if (cg.enabled()) {
      io::Cgroups::Limits limits;
      limits.cpus = f.cpus + 0.1;
      limits.mem_bytes = static_cast<uint64_t>((f.mem + 32) * 1024 * 1024);
      if (!cg.Create(id, limits).ok()) break;
    }
    int64_t t2 = NowNs();
    io::SpawnOptions spawn;
    spawn.path = f.task_binary;
    spawn.argv = {"real_launch_task", sandbox + "/exec_ts", "600"};
    spawn.env = env;
    spawn.new_session = files;
    if (files) {
      spawn.cwd = sandbox;
      spawn.stdout_path = sandbox + "/stdout";
      spawn.stderr_path = sandbox + "/stderr";
    }
    spawn.cgroup_procs = cg.ProcsFiles(id);
    absl::StatusOr<pid_t> pid = io::Spawn(spawn);
    int64_t t3 = NowNs();
    if (!pid.ok()) {
      std::fprintf(stderr, "spawn: %s\n", std::string(pid.status().message()).c_str());
      break;
    }
    mkdir_ns += t1 - t0;
    create_ns += t2 - t1;
    spawn_ns += t3 - t2;
    pids.push_back(*pid);
    ids.push_back(id);
    stamps.push_back(sandbox + "/exec_ts");
  }
  const size_t present = WaitForFiles(stamps, 60);
  const int64_t d0 = NowNs();
  for (size_t i = 0; i < pids.size(); ++i) {
    if (cg.enabled()) {
      (void)cg.Destroy(ids[i]);
    } else {
      kill(pids[i], SIGKILL);
    }
  }
  const int64_t d1 = NowNs();
  for (pid_t pid : pids) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  for (const std::string& root : cg.RootDirs()) ::rmdir(root.c_str());
  const double n = static_cast<double>(std::max<size_t>(1, pids.size()));
  r.mkdir_us = static_cast<double>(mkdir_ns) / 1e3 / n;
  r.cgroup_create_us = static_cast<double>(create_ns) / 1e3 / n;
  r.spawn_us = static_cast<double>(spawn_ns) / 1e3 / n;
  r.destroy_us = static_cast<double>(d1 - d0) / 1e3 / n;
  r.ok = static_cast<int>(pids.size()) == f.tasks && present == stamps.size();
  return r;
}

// ---------------------------------------------------------------------------------------------
// 3. The framework.

class Launcher : public api::Scheduler {
 public:
  struct Task {
    bool paced = false;
    int64_t submit_ns = 0;
    int64_t starting_ns = 0;
    int64_t running_ns = 0;
  };

  explicit Launcher(const Flags& f) : f_(f) {}

  std::map<std::string, Task> tasks;  // by task id
  std::vector<std::string> burst_ids, paced_ids;
  int burst_running = 0, paced_running = 0;
  std::vector<std::string> failures;  // terminal updates and errors
  bool subscribed = false;
  int accepts = 0;
  // Health: what the executors reported (TASK_RUNNING with `healthy`), by task id and in all.
  std::map<std::string, bool> ever_healthy, ever_unhealthy;
  int64_t healthy_updates = 0, unhealthy_updates = 0;

  // Starts the paced phase (offers were suppressed once the burst was launched).
  void StartPaced(api::SchedulerDriver* driver) {
    phase_ = Phase::kPaced;
    (void)driver->ReviveOffers({});
  }
  bool burst_done() const { return burst_running == f_.tasks; }
  bool paced_done() const { return paced_running == f_.paced_tasks; }

  void Subscribed(api::SchedulerDriver*, const model::FrameworkId&,
                  const model::MasterInfo&) override {
    subscribed = true;
  }

  void ResourceOffers(api::SchedulerDriver* driver,
                      const std::vector<model::Offer>& offers) override {
    const model::Scalar cpus = model::Scalar::FromDouble(f_.cpus);
    const model::Scalar mem = model::Scalar::FromDouble(f_.mem);
    for (const model::Offer& offer : offers) {
      model::Scalar cpus_left = offer.resources.GetScalar("cpus");
      model::Scalar mem_left = offer.resources.GetScalar("mem");
      model::Ranges ports_left = offer.resources.GetRanges("ports");
      std::vector<model::TaskInfo> launch;
      auto fits = [&] {
        return cpus_left >= cpus && mem_left >= mem && (!f_.health_checks || !ports_left.empty());
      };
      if (phase_ == Phase::kBurst) {
        while (static_cast<int>(burst_ids.size()) < f_.tasks && fits() &&
               (f_.per_offer == 0 || static_cast<int>(launch.size()) < f_.per_offer)) {
          std::string id = StrCat("burst-", burst_ids.size());
          const bool hanging = static_cast<int>(burst_ids.size()) < f_.hanging;
          burst_ids.push_back(id);
          launch.push_back(MakeTask(offer, id));
          if (f_.health_checks) {
            // One port per task, the lowest left in the offer.
            model::Ranges port = ports_left.TakeLowest(1);
            ports_left.Subtract(port);
            AddServer(&launch.back(), offer, port, hanging);
          }
          cpus_left -= cpus;
          mem_left -= mem;
        }
      } else if (phase_ == Phase::kPaced && !paced_in_flight_ &&
                 static_cast<int>(paced_ids.size()) < f_.paced_tasks && fits()) {
        std::string id = StrCat("paced-", paced_ids.size());
        paced_ids.push_back(id);
        launch.push_back(MakeTask(offer, id));
        tasks[id].paced = true;
        paced_in_flight_ = true;
      }
      if (launch.empty()) {
        // Back at the next allocation pass (the paced phase waits for its task).
        (void)driver->DeclineOffer(offer.id, model::Filters{0.0});
        continue;
      }
      const int64_t now = NowNs();
      for (const model::TaskInfo& t : launch) tasks[t.task_id.value()].submit_ns = now;
      ++accepts;
      if (absl::Status s = driver->LaunchTasks({offer.id}, std::move(launch), model::Filters{0.0});
          !s.ok()) {
        failures.push_back(StrCat("LaunchTasks: ", s.message()));
      }
    }
    if (phase_ == Phase::kBurst && static_cast<int>(burst_ids.size()) == f_.tasks) {
      phase_ = Phase::kIdle;
      (void)driver->SuppressOffers({});
    }
  }

  void StatusUpdate(api::SchedulerDriver*, const model::TaskStatus& status) override {
    auto it = tasks.find(status.task_id.value());
    if (it == tasks.end()) return;
    Task& t = it->second;
    const int64_t now = NowNs();
    if (status.state == model::TaskState::kStarting && t.starting_ns == 0) t.starting_ns = now;
    if (status.state == model::TaskState::kRunning && t.running_ns == 0) {
      t.running_ns = now;
      if (t.paced) {
        ++paced_running;
        paced_in_flight_ = false;
      } else {
        ++burst_running;
      }
    }
    if (status.reason == model::TaskStatusReason::kTaskHealthCheckStatusUpdated && status.healthy) {
      if (*status.healthy) {
        ever_healthy[status.task_id.value()] = true;
        ++healthy_updates;
      } else {
        ever_unhealthy[status.task_id.value()] = true;
        ++unhealthy_updates;
      }
    }
    if (model::IsTerminal(status.state) && !stopping) {
      failures.push_back(StrCat(status.task_id.value(), " ", model::TaskStateName(status.state),
                                ": ", status.message));
    }
  }

  void Error(api::SchedulerDriver*, const std::string& message) override {
    failures.push_back(StrCat("driver error: ", message));
  }

  bool stopping = false;

 private:
  enum class Phase { kBurst, kIdle, kPaced };

  model::TaskInfo MakeTask(const model::Offer& offer, const std::string& id) const {
    model::TaskInfo task;
    task.name = id;
    task.task_id = model::TaskId(id);
    task.agent_id = offer.agent_id;
    model::Resources resources{
        model::Resource::MakeScalar("cpus", model::Scalar::FromDouble(f_.cpus)),
        model::Resource::MakeScalar("mem", model::Scalar::FromDouble(f_.mem))};
    task.resources =
        offer.allocation_role ? resources.AllocatedTo(*offer.allocation_role) : resources;
    model::CommandInfo command;
    command.shell = false;  // exec the program itself: no /bin/sh in between
    command.value = f_.task_binary;
    command.arguments = {"real_launch_task", "exec_ts", "600"};
    task.command = std::move(command);
    return task;
  }

  // Makes `task` an HTTP server on `port` (real_launch_task's BENCH_HTTP_PORT mode), hanging or
  // answering, with an HTTP health check of that port unless --without-checks.
  void AddServer(model::TaskInfo* task, const model::Offer& offer, const model::Ranges& port,
                 bool hanging) const {
    model::Resources ports{model::Resource::MakeRanges("ports", port)};
    task->resources.Add(offer.allocation_role ? ports.AllocatedTo(*offer.allocation_role) : ports);
    const uint32_t number = static_cast<uint32_t>(port.ranges().front().begin);
    model::Environment env;
    env.variables.push_back({"BENCH_HTTP_PORT", StrCat(number)});
    if (hanging) env.variables.push_back({"BENCH_HTTP_HANG", "1"});
    task->command->environment = std::move(env);
    if (f_.without_checks) return;
    model::HealthCheck check;
    check.type = model::HealthCheck::Type::kHttp;
    check.http = model::HealthCheck::Http{"http", number, "/health", {}, false};
    check.delay_seconds = 0;
    check.interval_seconds = f_.health_interval_ms / 1e3;
    check.timeout_seconds = f_.health_timeout_ms / 1e3;
    // Failures before the first success within the grace period are ignored (a server not yet
    // listening); after it the hanging endpoints' timeouts count, one update each.
    check.grace_period_seconds = f_.health_grace_seconds;
    check.consecutive_failures = 0;  // never kill: the hanging tasks stay and keep being probed
    task->health_check = std::move(check);
  }

  const Flags& f_;
  Phase phase_ = Phase::kBurst;
  bool paced_in_flight_ = false;
};

// For a run that timed out: where each task that is not RUNNING stands (the agent's view of
// its executor, and the tail of the executor's stderr in the sandbox).
void DescribeStuck(const cmd::AgentRuntime& agent, const Launcher& launcher,
                   const std::vector<std::string>& ids) {
  std::map<std::string, const atl::agent::Agent::ExecutorView*> by_task;
  std::vector<atl::agent::Agent::ExecutorView> views = agent.agent().executors();
  for (const auto& v : views) {
    for (const model::TaskId& t : v.tasks) by_task[t.value()] = &v;
  }
  int shown = 0;
  for (const std::string& id : ids) {
    auto t = launcher.tasks.find(id);
    if (t == launcher.tasks.end() || t->second.running_ns != 0) continue;
    if (++shown > 10) break;
    auto v = by_task.find(id);
    std::string where = "the agent has no executor for it";
    std::string tail;
    if (v != by_task.end()) {
      const auto& rec = *v->second->record;
      where = StrCat("executor pid ", rec.pid.value_or(0),
                     v->second->subscribed ? " subscribed" : " NOT subscribed");
      auto task = agent.agent().tasks().find({rec.framework_id, model::TaskId(id)});
      if (task != agent.agent().tasks().end()) {
        where += StrCat(", agent task state ", model::TaskStateName(task->second.state),
                        task->second.launched ? ", LAUNCH sent" : ", LAUNCH queued");
      }
      std::ifstream in(agent.SandboxOf(rec) + "/stderr");
      std::string line;
      std::vector<std::string> lines;
      while (std::getline(in, line)) lines.push_back(line);
      for (size_t i = lines.size() > 6 ? lines.size() - 6 : 0; i < lines.size(); ++i) {
        tail += "\n      " + lines[i];
      }
    }
    std::fprintf(stderr, "  %s: STARTING %s; %s%s\n", id.c_str(),
                 t->second.starting_ns != 0 ? "seen" : "not seen", where.c_str(), tail.c_str());
  }
  std::fprintf(stderr, "  agent: %zu updates pending to the master\n",
               agent.agent().pending_updates());
}

std::string CurrentUser() {
  struct passwd* pw = getpwuid(geteuid());
  return pw != nullptr ? pw->pw_name : "root";
}

// Reaps every child (executors the stopped agent no longer watches) within `timeout_s`.
int ReapChildren(double timeout_s) {
  const int64_t deadline = NowNs() + static_cast<int64_t>(timeout_s * 1e9);
  int reaped = 0;
  while (true) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      ++reaped;
      continue;
    }
    if (pid < 0 && errno == ECHILD) return reaped;
    if (NowNs() > deadline) return reaped;
    usleep(1000);
  }
}

bool Alive(pid_t pid) {
  if (kill(pid, 0) != 0) return false;
  std::ifstream in(StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

// An Atoll task's processes: its executor, and where its task stamped exec_ts (the sandbox).
struct Proc {
  pid_t executor = 0;
  std::string stamp;
};

// ---------------------------------------------------------------------------------------------
// 3h. --health-checks: every task is an HTTP server and its executor checks it every interval.
// After a warm-up, a window of --health-seconds: the CPU of all executors (the checkers, each in
// its own process as on a real agent), of the tasks (the servers) and of this process (master,
// agent, framework: the status updates the checks cause); the requests that reached the servers
// (logged by real_launch_task with their CLOCK_MONOTONIC arrival), and for the answering ones
// the gaps between consecutive arrivals against the interval: how late checks came, the measure
// of whether the hanging endpoints disturb the others.

struct HealthResult {
  double checks_per_second = 0;  // requests that arrived at all servers
  double executors_cpu_percent = 0;
};

HealthResult RunHealthChecks(const Flags& f, io::EventLoop& loop, const Launcher& launcher,
                             const std::map<std::string, Proc>& procs) {
  {
    std::ifstream in("/proc/loadavg");
    std::string load;
    std::getline(in, load);
    Note(StrCat("load average when all tasks run: ", load));
  }
  // By task, in launch order (the first --hanging hang); the executors split the same way, since
  // a hanging endpoint's executor also sends an update per failure.
  std::vector<pid_t> executors, hanging_executors, servers;
  std::vector<std::string> request_logs;
  std::vector<bool> hanging;
  for (const std::string& id : launcher.burst_ids) {
    auto p = procs.find(id);
    if (p == procs.end()) continue;
    const bool is_hanging = static_cast<int>(hanging.size()) < f.hanging;
    int64_t ns = 0;
    pid_t pid = 0;
    if (p->second.executor > 0) {
      (is_hanging ? hanging_executors : executors).push_back(p->second.executor);
    }
    if (ReadStamp(p->second.stamp, &ns, &pid)) servers.push_back(pid);
    const std::string& stamp = p->second.stamp;
    request_logs.push_back(stamp.substr(0, stamp.rfind('/')) + "/requests");
    hanging.push_back(is_hanging);
  }
  auto sum_cpu = [](const std::vector<pid_t>& pids) {
    double seconds = 0;
    for (pid_t pid : pids) seconds += ProcessCpuSeconds(pid);
    return seconds;
  };
  RunFor(loop, Duration::FromSecondsDouble(f.health_warmup_seconds));

  // The window. Each end reads the clock first, then the CPU counters in the same order, so the
  // few ms the reads take shift both ends alike.
  const int64_t window_start = MonotonicNs();
  const double executors_cpu_before = sum_cpu(executors);
  const double hanging_executors_cpu_before = sum_cpu(hanging_executors);
  const double servers_cpu_before = sum_cpu(servers);
  const double self_cpu_before = SelfCpuSeconds();
  const int64_t healthy_before = launcher.healthy_updates;
  const int64_t unhealthy_before = launcher.unhealthy_updates;
  RunFor(loop, Duration::FromSecondsDouble(f.health_seconds));
  const int64_t window_end = MonotonicNs();
  const double answering_executors_cpu = sum_cpu(executors) - executors_cpu_before;
  const double hanging_executors_cpu = sum_cpu(hanging_executors) - hanging_executors_cpu_before;
  const double executors_cpu = answering_executors_cpu + hanging_executors_cpu;
  const double servers_cpu = sum_cpu(servers) - servers_cpu_before;
  const double self_cpu = SelfCpuSeconds() - self_cpu_before;
  const double healthy_updates = static_cast<double>(launcher.healthy_updates - healthy_before);
  const double unhealthy_updates =
      static_cast<double>(launcher.unhealthy_updates - unhealthy_before);
  const double window = static_cast<double>(window_end - window_start) / 1e9;

  // Arrivals in the window, and the gaps between consecutive ones at each answering server.
  const double interval_ms = f.health_interval_ms;
  int64_t answered = 0, hung = 0, late_gaps = 0;
  int silent = 0;  // servers that saw no request in the window
  std::vector<double> lateness_ms;
  for (size_t i = 0; i < request_logs.size(); ++i) {
    std::ifstream in(request_logs[i]);
    long long ns = 0, previous = 0;
    int64_t count = 0;
    while (in >> ns) {
      if (ns < window_start || ns > window_end) continue;
      ++count;
      if (!hanging[i] && previous != 0) {
        const double late = static_cast<double>(ns - previous) / 1e6 - interval_ms;
        lateness_ms.push_back(late);
        if (late > 50) ++late_gaps;
      }
      previous = ns;
    }
    if (count == 0) ++silent;
    (hanging[i] ? hung : answered) += count;
  }
  const int answering_tasks = static_cast<int>(request_logs.size()) - std::min(f.hanging, f.tasks);
  int healthy_tasks = 0, unhealthy_tasks = 0, healthy_hanging = 0, unhealthy_answering = 0;
  for (size_t i = 0; i < launcher.burst_ids.size(); ++i) {
    const std::string& id = launcher.burst_ids[i];
    const bool is_hanging = static_cast<int>(i) < f.hanging;
    if (launcher.ever_healthy.contains(id)) {
      ++healthy_tasks;
      if (is_hanging) ++healthy_hanging;
    }
    if (launcher.ever_unhealthy.contains(id)) {
      ++unhealthy_tasks;
      if (!is_hanging) ++unhealthy_answering;
    }
  }
  int64_t rss_kb = 0, pss_kb = 0;
  std::vector<pid_t> all_executors = executors;
  all_executors.insert(all_executors.end(), hanging_executors.begin(), hanging_executors.end());
  for (pid_t pid : all_executors) {
    rss_kb += ProcKb(StrCat("/proc/", pid, "/status"), "VmRSS").value_or(0);
    pss_kb += ProcKb(StrCat("/proc/", pid, "/smaps_rollup"), "Pss").value_or(0);
  }

  const double checks = static_cast<double>(answered + hung);
  Print("health_window", window, "s");
  Print("health_tasks_answering", answering_tasks, "count");
  Print("health_tasks_hanging", std::min(f.hanging, f.tasks), "count");
  Print("health_checks_per_second", checks / window, "checks/s");
  Print("health_checks_answering_per_second", static_cast<double>(answered) / window, "checks/s");
  Print("health_checks_hanging_per_second", static_cast<double>(hung) / window, "checks/s");
  Print("health_tasks_without_checks_in_window", silent, "count");
  Print("health_executors_cpu_percent", executors_cpu / window * 100.0, "%");
  if (checks > 0) {
    Print("health_executor_cpu_per_check_us", executors_cpu / checks * 1e6, "us");
  }
  Print("health_executor_cpu_per_second_answering_us",
        answering_executors_cpu / window / std::max<size_t>(1, executors.size()) * 1e6, "us");
  Print("health_executor_cpu_per_second_hanging_us",
        hanging_executors_cpu / window / std::max<size_t>(1, hanging_executors.size()) * 1e6, "us");
  Print("health_servers_cpu_percent", servers_cpu / window * 100.0, "%");
  Print("health_self_cpu_percent", self_cpu / window * 100.0, "%");
  PrintSummary("health_check_lateness", lateness_ms);
  Print("health_check_gaps", static_cast<double>(lateness_ms.size()), "count");
  Print("health_check_gaps_over_interval_plus_50ms", static_cast<double>(late_gaps), "count");
  Print("health_updates_healthy_per_second", healthy_updates / window, "updates/s");
  Print("health_updates_unhealthy_per_second", unhealthy_updates / window, "updates/s");
  Print("health_tasks_reported_healthy", healthy_tasks, "count");
  Print("health_tasks_reported_unhealthy", unhealthy_tasks, "count");
  Print("health_hanging_tasks_reported_healthy", healthy_hanging, "count");
  Print("health_answering_tasks_reported_unhealthy", unhealthy_answering, "count");
  Print("health_executors_rss_total", static_cast<double>(rss_kb) / 1024.0, "MiB");
  Print("health_executors_pss_total", static_cast<double>(pss_kb) / 1024.0, "MiB");
  Note("executors' CPU is all they did in the window: checks, and the status updates of changes");
  return {checks / window, executors_cpu / window * 100.0};
}

int Run(const Flags& f) {
  // Tasks orphaned when their executor is killed come to us (not to an init that may not reap
  // them), so ReapChildren collects them too.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  // Two fds per executor stream and pidfd at least: lift the soft limit.
  rlimit nofile{};
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  std::string work = f.work_dir;
  if (work.empty()) {
    // Not /tmp by default: on the CI VM, /tmp's ext4 block groups are so churned by tests that
    // every mkdir or file creation there costs ~0.7 ms (find_inode_bit / recently_deleted)
    // against ~0.02 ms in /var/tmp on the same disk; --work-dir /tmp/x shows that effect.
    const char* base = std::getenv("TMPDIR");
    std::string tmpl =
        StrCat(base != nullptr && *base != '\0' ? base : "/var/tmp", "/atoll-real-launch-XXXXXX");
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    work = tmpl;
  }
  fs::create_directories(work);
  work = fs::absolute(work).lexically_normal().string();
  Note(StrCat("work dir ", work, " (", f.keep_work_dir ? "kept" : "removed at the end", ")"));
  Note(StrCat("atoll binary ", f.atoll, "; task binary ", f.task_binary));
  {
    std::ifstream in("/proc/loadavg");
    std::string load;
    std::getline(in, load);
    Note(StrCat("load average at start: ", load, " (", sysconf(_SC_NPROCESSORS_ONLN), " cpus)"));
  }

  // 1. The ballast.
  const size_t ballast_bytes = static_cast<size_t>(f.ballast_mib) << 20;
  std::unique_ptr<char[]> ballast(ballast_bytes > 0 ? new char[ballast_bytes] : nullptr);
  for (size_t i = 0; i < ballast_bytes; i += 4096) ballast[i] = static_cast<char>(i >> 12);
  Print("real_launch_tasks", f.tasks, "count");
  Print("real_launch_ballast", f.ballast_mib, "MiB");
  Print("real_launch_self_rss_before", ProcKb("/proc/self/status", "VmRSS").value_or(0) / 1024.0,
        "MiB");

  // 2. The raw baseline, and 2b. the agent's spawn path without the agent.
  RawResult raw;
  if (!f.only_atoll) {
    raw = RunRaw(f, work + "/raw");
    if (!raw.ok) {
      std::fprintf(stderr, "the raw baseline failed (%zu of %d stamps)\n", raw.to_exec_ms.size(),
                   f.tasks);
      return 1;
    }
    Print("raw_spawn_call_per_task", raw.spawn_call_us, "us");
    Print("raw_spawn_to_all_exec_wall", raw.wall_ms, "ms");
    Print("raw_per_task", raw.per_task_us, "us");
    PrintSummary("raw_spawn_to_exec", raw.to_exec_ms);
    Print("raw_kill_waitpid_all", raw.kill_wait_ms, "ms");
    Print("raw_tasks_rss_total", static_cast<double>(raw.tasks_rss_kb) / 1024.0, "MiB");

    if (f.spawn_breakdown) {
      SpawnPathResult bare = RunSpawnPath(f, work + "/spawn-bare", false, false);
      SpawnPathResult files = RunSpawnPath(f, work + "/spawn-files", true, false);
      Print("spawn_path_bare_io_spawn_per_task", bare.spawn_us, "us");
      Print("spawn_path_files_setsid_io_spawn_per_task", files.spawn_us, "us");
    }
    SpawnPathResult sp = RunSpawnPath(f, work + "/spawn", true, f.isolation == "cgroups");
    if (!sp.ok) {
      std::fprintf(stderr, "the spawn-path phase failed\n");
      return 1;
    }
    Print("spawn_path_sandbox_mkdir_per_task", sp.mkdir_us, "us");
    Print("spawn_path_cgroup_create_per_task", sp.cgroup_create_us, "us");
    Print("spawn_path_io_spawn_per_task", sp.spawn_us, "us");
    Print("spawn_path_destroy_per_task", sp.destroy_us, "us");
  }

  // 3. The cluster.
  io::EventLoop loop;
  io::RealClock clock;
  fs::create_directories(work + "/master");
  auto store = io::SqliteRegistryStore::Open(work + "/master/registry.db");
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", std::string(store.status().message()).c_str());
    return 1;
  }
  atl::master::Options master_options;
  master_options.allocation_interval = Duration::FromSecondsDouble(f.allocation_interval_ms / 1e3);
  master_options.seed = 42;
  cmd::MasterRuntime master(loop, clock, master_options, store->get());
  io::HttpServer::Options http;
  http.address = "127.0.0.1";
  http.port = 0;
  if (absl::Status s = master.Start(http); !s.ok()) {
    std::fprintf(stderr, "master: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  cmd::AgentRuntimeOptions agent_options;
  agent_options.work_dir = work + "/agent";
  agent_options.name = "bench-agent";
  agent_options.info.hostname = "bench-agent";
  const int all_tasks = f.tasks + f.paced_tasks;
  // What the master offers: the tasks only. The command executor's 0.1 cpus / 32 MB are added
  // by the agent to each container's cgroup limits, not charged in offers.
  // --health-checks: a port per task, below the ephemeral range (32768-) so no outgoing
  // connection takes one first.
  const std::string ports = f.health_checks
                                ? StrCat("[", f.port_base, "-", f.port_base + all_tasks - 1, "]")
                                : std::string("[31000-31099]");
  const std::string resources =
      StrCat("cpus:", std::ceil(all_tasks * f.cpus) + 1,
             ";mem:", static_cast<int64_t>(std::ceil(all_tasks * f.mem)) + 128,
             ";disk:1024;ports:", ports);
  agent_options.info.resources = *model::Resources::Parse(resources);
  agent_options.atoll_binary = f.atoll;
  agent_options.cgroups = f.isolation == "cgroups";
  agent_options.cgroups_root = StrCat("atoll-bench-", getpid());
  auto agent = std::make_unique<cmd::AgentRuntime>(
      loop, clock, agent_options, std::make_unique<cmd::InProcessMasterLink>(loop, master));
  if (absl::Status s = agent->Start(http); !s.ok()) {
    std::fprintf(stderr, "agent: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  Note(StrCat("agent resources ", resources));
  Note(StrCat("isolation: ", agent->cgroups().Describe()));
  Note("each Atoll task is two processes: the command executor (`atoll executor`) and the task");

  Launcher launcher(f);
  api::DriverOptions driver_options;
  driver_options.framework_info.user = CurrentUser();
  driver_options.framework_info.name = "real_launch";
  auto driver =
      std::make_unique<cmd::InProcessSchedulerDriver>(loop, master, &launcher, driver_options);
  loop.Post([&] { (void)driver->Start(); });
  const Duration timeout = Duration::FromSecondsDouble(f.timeout);

  // How long the loop (master + agent + framework, one thread) goes without running a 1 ms
  // timer: while it is stalled it serves no HTTP (executor SUBSCRIBEs wait) and no messages.
  int64_t last_tick = 0, max_stall_ns = 0, stalled_ns = 0;
  bool ticking = true;
  std::function<void()> tick = [&] {
    if (!ticking) return;
    const int64_t now = NowNs();
    if (last_tick != 0) {
      const int64_t gap = now - last_tick;
      max_stall_ns = std::max(max_stall_ns, gap);
      if (gap > 50'000'000) stalled_ns += gap;
    }
    last_tick = now;
    loop.RunAfter(Duration::Milliseconds(1), tick);
  };
  loop.RunAfter(Duration::Milliseconds(1), tick);
  const double cpu_before = SelfCpuSeconds();
  bool burst_ok = RunUntil(
      loop, [&] { return launcher.burst_done() || !launcher.failures.empty(); }, timeout);
  const double cpu_burst = SelfCpuSeconds() - cpu_before;
  ticking = false;
  int exit_code = 0;
  if (!burst_ok || !launcher.failures.empty()) {
    std::fprintf(stderr, "burst: %d of %d RUNNING%s\n", launcher.burst_running, f.tasks,
                 burst_ok ? "" : " (timed out)");
    for (const std::string& m : launcher.failures) std::fprintf(stderr, "  %s\n", m.c_str());
    DescribeStuck(*agent, launcher, launcher.burst_ids);
    exit_code = 1;
  }

  // 4. Stamps and memory. Every executor's sandbox holds its task's exec_ts.
  std::map<std::string, Proc> procs;  // by task id
  auto collect = [&] {
    for (const auto& view : agent->agent().executors()) {
      if (view.tasks.empty()) continue;
      procs[view.tasks.front().value()] = {view.record->pid.value_or(0),
                                           agent->SandboxOf(*view.record) + "/exec_ts"};
    }
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> timeline(
      f.timeline.empty() ? nullptr : std::fopen(f.timeline.c_str(), "w"), &std::fclose);
  if (timeline != nullptr) {
    std::fprintf(timeline.get(), "# task submit_ns starting_ns running_ns exec_ns sandbox\n");
  }
  auto exec_latencies = [&](const std::vector<std::string>& ids, std::vector<double>* to_exec,
                            std::vector<double>* to_running, int64_t* first_submit,
                            int64_t* last_running, int64_t* last_exec) {
    std::vector<std::string> paths;
    for (const std::string& id : ids) paths.push_back(procs[id].stamp);
    size_t present = WaitForFiles(paths, 10);
    if (present != paths.size()) {
      std::fprintf(stderr, "%zu of %zu exec stamps missing\n", paths.size() - present,
                   paths.size());
    }
    *first_submit = INT64_MAX;
    *last_running = 0;
    *last_exec = 0;
    for (const std::string& id : ids) {
      const Launcher::Task& t = launcher.tasks[id];
      if (t.running_ns == 0) continue;
      *first_submit = std::min(*first_submit, t.submit_ns);
      *last_running = std::max(*last_running, t.running_ns);
      to_running->push_back(static_cast<double>(t.running_ns - t.submit_ns) / 1e6);
      int64_t ns = 0;
      pid_t pid = 0;
      if (ReadStamp(procs[id].stamp, &ns, &pid)) {
        to_exec->push_back(static_cast<double>(ns - t.submit_ns) / 1e6);
        *last_exec = std::max(*last_exec, ns);
      }
      if (timeline != nullptr) {
        const std::string& stamp = procs[id].stamp;
        std::fprintf(timeline.get(), "%s %lld %lld %lld %lld %s\n", id.c_str(),
                     static_cast<long long>(t.submit_ns), static_cast<long long>(t.starting_ns),
                     static_cast<long long>(t.running_ns), static_cast<long long>(ns),
                     stamp.substr(0, stamp.rfind('/')).c_str());
      }
    }
  };
  collect();
  std::vector<double> burst_exec, burst_running;
  int64_t first_submit = 0, last_running = 0, last_exec = 0;
  exec_latencies(launcher.burst_ids, &burst_exec, &burst_running, &first_submit, &last_running,
                 &last_exec);
  std::vector<pid_t> task_pids;
  int64_t exec_rss_kb = 0, exec_pss_kb = 0, task_rss_kb = 0;
  double exec_cpu = 0;
  int executors = 0;
  for (const std::string& id : launcher.burst_ids) {
    const Proc& p = procs[id];
    if (p.executor > 0) {
      ++executors;
      exec_rss_kb += ProcKb(StrCat("/proc/", p.executor, "/status"), "VmRSS").value_or(0);
      exec_pss_kb += ProcKb(StrCat("/proc/", p.executor, "/smaps_rollup"), "Pss").value_or(0);
      exec_cpu += ProcCpuSeconds(p.executor);
    }
    int64_t ns = 0;
    pid_t pid = 0;
    if (ReadStamp(p.stamp, &ns, &pid)) {
      task_pids.push_back(pid);
      task_rss_kb += ProcKb(StrCat("/proc/", pid, "/status"), "VmRSS").value_or(0);
    }
  }
  const double self_rss = ProcKb("/proc/self/status", "VmRSS").value_or(0) / 1024.0;
  const double self_hwm = ProcKb("/proc/self/status", "VmHWM").value_or(0) / 1024.0;

  if (!burst_running.empty()) {
    const double wall_ms = static_cast<double>(last_running - first_submit) / 1e6;
    const double per_task_us = wall_ms * 1e3 / f.tasks;
    Print("atoll_accepts_for_burst", launcher.accepts, "count");
    Print("atoll_submit_to_all_running_wall", wall_ms, "ms");
    Print("atoll_submit_to_all_exec_wall", static_cast<double>(last_exec - first_submit) / 1e6,
          "ms");
    Print("atoll_per_task", per_task_us, "us");
    PrintSummary("atoll_submit_to_running", burst_running);
    PrintSummary("atoll_submit_to_exec", burst_exec);
    Print("atoll_loop_max_stall", static_cast<double>(max_stall_ns) / 1e6, "ms");
    Print("atoll_loop_time_in_stalls_over_50ms", static_cast<double>(stalled_ns) / 1e6, "ms");
    Print("atoll_cluster_cpu_per_task", cpu_burst * 1e6 / f.tasks, "us");
    Print("atoll_executor_cpu_per_task", exec_cpu * 1e6 / std::max(1, executors), "us");
    Print("atoll_self_vmrss", self_rss, "MiB");
    Print("atoll_self_vmhwm", self_hwm, "MiB");
    Print("atoll_self_vmrss_minus_ballast", self_rss - f.ballast_mib, "MiB");
    Print("atoll_executors", executors, "count");
    Print("atoll_executors_rss_total", static_cast<double>(exec_rss_kb) / 1024.0, "MiB");
    Print("atoll_executors_pss_total", static_cast<double>(exec_pss_kb) / 1024.0, "MiB");
    Print("atoll_executor_rss_each", static_cast<double>(exec_rss_kb) / 1024.0 / executors, "MiB");
    Print("atoll_tasks_rss_total", static_cast<double>(task_rss_kb) / 1024.0, "MiB");
    Print("atoll_processes_per_task", 2, "count");
    if (!f.only_atoll) {
      Print("ratio_per_task_atoll_over_raw", per_task_us / raw.per_task_us, "x");
      Print("ratio_per_task_atoll_over_raw_spawn_call", per_task_us / raw.spawn_call_us, "x");
    }
    Note("self = this one process: the master, the agent, the framework and the ballast");
  }

  HealthResult health;
  if (exit_code == 0 && f.health_checks) {
    health = RunHealthChecks(f, loop, launcher, procs);
    if (!launcher.failures.empty()) {
      for (const std::string& m : launcher.failures) std::fprintf(stderr, "  %s\n", m.c_str());
      exit_code = 1;
    }
  }

  // The paced phase: one ACCEPT at a time on the loaded agent.
  if (exit_code == 0 && f.paced_tasks > 0) {
    loop.Post([&] { launcher.StartPaced(driver.get()); });
    bool paced_ok = RunUntil(
        loop, [&] { return launcher.paced_done() || !launcher.failures.empty(); }, timeout);
    if (!paced_ok || !launcher.failures.empty()) {
      std::fprintf(stderr, "paced: %d of %d RUNNING\n", launcher.paced_running, f.paced_tasks);
      for (const std::string& m : launcher.failures) std::fprintf(stderr, "  %s\n", m.c_str());
      exit_code = 1;
    }
    collect();
    std::vector<double> paced_exec, paced_running;
    int64_t a = 0, b = 0, c = 0;
    exec_latencies(launcher.paced_ids, &paced_exec, &paced_running, &a, &b, &c);
    for (const std::string& id : launcher.paced_ids) {
      int64_t ns = 0;
      pid_t pid = 0;
      if (ReadStamp(procs[id].stamp, &ns, &pid)) task_pids.push_back(pid);
    }
    Print("atoll_paced_tasks", static_cast<double>(paced_running.size()), "count");
    PrintSummary("atoll_paced_submit_to_exec", paced_exec);
    PrintSummary("atoll_paced_submit_to_running", paced_running);
  }

  // 5. Kill everything.
  launcher.stopping = true;
  double stop_ms = 0;
  std::vector<std::string> cgroup_roots = agent->cgroups().RootDirs();
  bool stopped = false;
  loop.Post([&] {
    const int64_t t0 = NowNs();
    agent->Stop(/*kill_tasks=*/true);
    stop_ms = static_cast<double>(NowNs() - t0) / 1e6;
    driver->Stop(/*failover=*/false);
    master.Stop();
    stopped = true;
  });
  RunUntil(
      loop, [&] { return stopped; }, Duration::Seconds(60));
  RunUntil(
      loop, [] { return false; }, Duration::Milliseconds(50));  // let closes settle
  driver.reset();
  agent.reset();
  const int reaped = ReapChildren(10);
  int survivors = 0;
  for (pid_t pid : task_pids) {
    if (Alive(pid)) {
      ++survivors;
      kill(pid, SIGKILL);
    }
  }
  if (survivors > 0) ReapChildren(2);
  int cgroups_left = 0;
  for (const std::string& dir : cgroup_roots) {
    std::error_code ec;
    for (const auto& child : fs::directory_iterator(dir, ec)) {
      if (child.is_directory() && ::rmdir(child.path().c_str()) != 0) ++cgroups_left;
    }
    if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) ++cgroups_left;
  }
  Print("atoll_agent_stop_kill_tasks", stop_ms, "ms");
  Print("atoll_children_reaped_after_stop", reaped, "count");
  Print("atoll_tasks_surviving_stop", survivors, "count");
  if (cgroups_left > 0) Note(StrCat(cgroups_left, " cgroup directories could not be removed"));
  if (survivors > 0) exit_code = 1;
  if (health.checks_per_second > 0) {
    // The peer, on the now quiet box: a process per check (Mesos's native checks run a helper per
    // probe; /bin/true is its floor) at the rate the executors checked.
    const double spawn_cpu = SpawnCpuSeconds(300);
    const double spawn_percent = spawn_cpu * health.checks_per_second * 100;
    Print("process_per_check_cpu_us", spawn_cpu * 1e6, "us");
    Print("process_per_check_cpu_percent_at_this_rate", spawn_percent, "%");
    Print("ratio_executors_cpu_over_process_per_check",
          health.executors_cpu_percent / std::max(1e-9, spawn_percent), "x");
  }
  if (!f.keep_work_dir) {
    std::error_code ec;
    fs::remove_all(work, ec);
  }
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  CLI::App app{"real_launch: real tasks on one in-process agent vs a raw posix_spawn loop"};
  app.add_option("--tasks", f.tasks, "Tasks launched in one burst (and spawned raw)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--paced-tasks", f.paced_tasks,
                 "Tasks launched afterwards one at a time (0 = none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--per-offer", f.per_offer, "Burst tasks per ACCEPT (0 = all that fit)")
      ->capture_default_str();
  app.add_option("--cpus", f.cpus, "CPUs per task")->capture_default_str();
  app.add_option("--mem", f.mem, "Memory per task (MB)")->capture_default_str();
  app.add_option("--ballast-mib", f.ballast_mib, "Memory this process touches first (MiB)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--atoll", f.atoll, "The atoll binary (command executor)")->capture_default_str();
  app.add_option("--task-binary", f.task_binary, "real_launch_task")->capture_default_str();
  app.add_option("--isolation", f.isolation, "cgroups (when the machine allows) or none")
      ->check(CLI::IsMember({"cgroups", "none"}))
      ->capture_default_str();
  app.add_option("--work-dir", f.work_dir,
                 "Work dir (default: a new $TMPDIR or /var/tmp/atoll-real-launch-*)");
  app.add_flag("--keep-work-dir", f.keep_work_dir, "Keep the work dir");
  app.add_flag("--spawn-breakdown", f.spawn_breakdown,
               "Also time io::Spawn bare and with files + setsid (no cgroups)");
  app.add_option("--timeline", f.timeline,
                 "Write per-task times (submit, STARTING, RUNNING, exec; ns) to this file");
  app.add_flag("--only-atoll", f.only_atoll,
               "Skip the raw and spawn-path baselines (no ratio; for profiling)");
  app.add_option("--allocation-interval-ms", f.allocation_interval_ms,
                 "Master allocation interval (ms)")
      ->capture_default_str();
  app.add_option("--timeout", f.timeout, "Seconds per phase before giving up")
      ->capture_default_str();
  app.add_option("--log-level", f.log_level, "Log level")->capture_default_str();
  app.add_flag("--health-checks", f.health_checks,
               "Tasks serve HTTP and are health-checked by their executors; measures the checks "
               "(no raw baseline, no paced phase)");
  app.add_flag("--without-checks", f.without_checks,
               "With --health-checks: the same servers without a health_check (idle executors)");
  app.add_option("--hanging", f.hanging, "With --health-checks: endpoints that never answer")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--health-seconds", f.health_seconds, "Measured window (s)")
      ->capture_default_str();
  app.add_option("--health-warmup-seconds", f.health_warmup_seconds,
                 "Wait after all tasks are RUNNING before the window (s)")
      ->capture_default_str();
  app.add_option("--health-interval-ms", f.health_interval_ms, "Health check interval (ms)")
      ->capture_default_str();
  app.add_option("--health-timeout-ms", f.health_timeout_ms, "Health check timeout (ms)")
      ->capture_default_str();
  app.add_option("--health-grace-seconds", f.health_grace_seconds,
                 "Health check grace period (s): failures before it and the first success do "
                 "not count")
      ->capture_default_str();
  app.add_option("--port-base", f.port_base, "With --health-checks: the first task's port")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (f.health_checks) {
    f.only_atoll = true;
    f.paced_tasks = 0;
  }
  io::InitLogging(f.log_level);
  return Run(f);
}
