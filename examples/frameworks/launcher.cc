// launcher: a small framework on the C++ framework API (api::Scheduler + the HTTP driver).
//
//   launcher --master 127.0.0.1:5050 --tasks 10 --cpus 0.1 --mem 32 --command 'sleep 1000'
//
// Subscribes to the master, packs as many tasks into each offer as fit, declines offers it
// does not need for a long time, suppresses offers once every task is launched, and exits 0
// when all tasks are TASK_RUNNING. The framework then stays registered for
// --failover-timeout seconds (its tasks keep running; the master tears it down afterwards).
// With --then-kill it kills every task once all run, waits for TASK_KILLED, tears the framework
// down and exits 0. Exit 1: a task failed or the driver stopped on an error; exit 2: timeout.
#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "core/api/scheduler_driver.h"
#include "core/base/strings.h"
#include "core/io/event_loop.h"
#include "core/io/http_scheduler_driver.h"
#include "core/io/log.h"
#include "core/model/info.h"

namespace atl::examples {
namespace {

struct Flags {
  std::string master = "127.0.0.1:5050";
  int tasks = 1;
  double cpus = 0.1;
  double mem = 32;
  std::string command = "sleep 1000";
  std::string name = "launcher";
  std::string role = "*";
  std::string user;  // empty: the user running the launcher
  double failover_timeout = 3600;
  bool then_kill = false;
  double timeout = 300;
  std::string log_level = "warn";
};

// The name of the user running this process, as Mesos's C++ driver fills an empty
// FrameworkInfo.user (os::user(): getpwuid of the real uid). An agent running as root starts
// the tasks as this user (--switch-user), so it must exist there. $USER is not used: it is
// often unset (containers, cron, systemd) or stale (su, sudo).
std::string CurrentUser() {
  std::vector<char> buf(16384);
  struct passwd pw;
  struct passwd* result = nullptr;
  if (getpwuid_r(getuid(), &pw, buf.data(), buf.size(), &result) == 0 && result != nullptr) {
    return pw.pw_name;
  }
  const char* user = std::getenv("USER");  // no passwd entry for our uid: the best guess
  return user != nullptr && *user != '\0' ? user : "root";
}

class Launcher : public api::Scheduler {
 public:
  Launcher(io::EventLoop& loop, const Flags& flags) : loop_(loop), flags_(flags) {}

  int exit_code() const { return exit_code_; }

  void Subscribed(api::SchedulerDriver* driver, const model::FrameworkId& id,
                  const model::MasterInfo& master) override {
    (void)driver;
    std::printf("subscribed as framework %s to master %s\n", id.value().c_str(),
                master.pid.c_str());
  }

  void Resubscribed(api::SchedulerDriver* driver, const model::MasterInfo&) override {
    std::printf("re-subscribed; reconciling %zu tasks\n", states_.size());
    // Updates lost while disconnected come back as reconciliation answers.
    std::vector<model::TaskStatus> statuses;
    for (const auto& [id, state] : states_) {
      model::TaskStatus s;
      s.task_id = model::TaskId(id);
      statuses.push_back(s);
    }
    (void)driver->ReconcileTasks(statuses);
  }

  void Disconnected(api::SchedulerDriver*) override {
    std::printf("disconnected from the master; re-subscribing\n");
  }

  void ResourceOffers(api::SchedulerDriver* driver,
                      const std::vector<model::Offer>& offers) override {
    const model::Scalar cpus = model::Scalar::FromDouble(flags_.cpus);
    const model::Scalar mem = model::Scalar::FromDouble(flags_.mem);
    for (const model::Offer& offer : offers) {
      model::Scalar cpus_left = offer.resources.GetScalar("cpus");
      model::Scalar mem_left = offer.resources.GetScalar("mem");
      std::vector<model::TaskInfo> tasks;
      while (launched_ < flags_.tasks && cpus_left >= cpus && mem_left >= mem) {
        tasks.push_back(MakeTask(offer, launched_++));
        cpus_left -= cpus;
        mem_left -= mem;
      }
      if (tasks.empty()) {
        // Not needed: keep this agent away for an hour (ReviveOffers would undo it).
        std::printf("declining the offer of %s for an hour\n", offer.hostname.c_str());
        (void)driver->DeclineOffer(offer.id, model::Filters{3600.0});
        continue;
      }
      std::printf("launching %zu task(s) on %s\n", tasks.size(), offer.hostname.c_str());
      for (const model::TaskInfo& t : tasks)
        states_[t.task_id.value()] = model::TaskState::kStaging;
      if (absl::Status s = driver->LaunchTasks({offer.id}, std::move(tasks), model::Filters{});
          !s.ok()) {
        std::printf("launch failed: %s\n", std::string(s.message()).c_str());
      }
    }
    if (launched_ >= flags_.tasks && !suppressed_) {
      suppressed_ = driver->SuppressOffers({}).ok();
      if (suppressed_) std::printf("all %d task(s) launched; offers suppressed\n", flags_.tasks);
    }
  }

  void StatusUpdate(api::SchedulerDriver* driver, const model::TaskStatus& status) override {
    auto it = states_.find(status.task_id.value());
    if (it == states_.end()) return;
    it->second = status.state;
    const int running = Count(model::TaskState::kRunning);
    std::printf("task %s is %s%s%s (%d/%d running)\n", status.task_id.value().c_str(),
                std::string(model::TaskStateName(status.state)).c_str(),
                status.message.empty() ? "" : ": ", status.message.c_str(), running, flags_.tasks);
    if (model::IsTerminal(status.state) &&
        !(killing_ && status.state == model::TaskState::kKilled)) {
      std::printf("task %s ended unexpectedly; giving up\n", status.task_id.value().c_str());
      Finish(driver, 1, /*teardown=*/true);
      return;
    }
    if (!killing_ && running == flags_.tasks) {
      if (!flags_.then_kill) {
        std::printf("all %d task(s) are running\n", flags_.tasks);
        Finish(driver, 0, /*teardown=*/false);
        return;
      }
      killing_ = true;
      std::printf("all %d task(s) are running; killing them\n", flags_.tasks);
      for (const auto& [id, state] : states_) (void)driver->KillTask(model::TaskId(id), {});
    }
    if (killing_ && Count(model::TaskState::kKilled) == flags_.tasks) {
      std::printf("all %d task(s) are killed\n", flags_.tasks);
      Finish(driver, 0, /*teardown=*/true);
    }
  }

  void Error(api::SchedulerDriver* driver, const std::string& message) override {
    std::printf("error: %s\n", message.c_str());
    if (driver->state() == api::DriverState::kStopped) Finish(driver, 1, /*teardown=*/false);
  }

  // Ends the run: TEARDOWN (kills the tasks) or leave the framework registered (failover),
  // then stops the loop once the driver has closed its stream.
  void Finish(api::SchedulerDriver* driver, int code, bool teardown) {
    if (finished_) return;
    finished_ = true;
    exit_code_ = code;
    driver->Stop(/*failover=*/!teardown);
    StopWhenClosed(Duration::Seconds(5));
  }

  void set_driver(const io::HttpSchedulerDriver* driver) { driver_ = driver; }

 private:
  // The TEARDOWN is an HTTP request of its own: wait (a bounded time) for it to complete.
  void StopWhenClosed(Duration budget) {
    if (driver_ == nullptr || !driver_->stream_open() || budget <= Duration::Zero()) {
      loop_.Stop();
      return;
    }
    const Duration step = Duration::Milliseconds(20);
    loop_.RunAfter(step, [this, budget, step] { StopWhenClosed(budget - step); });
  }

  int Count(model::TaskState state) const {
    int n = 0;
    for (const auto& [id, s] : states_) n += s == state ? 1 : 0;
    return n;
  }

  model::TaskInfo MakeTask(const model::Offer& offer, int index) const {
    model::TaskInfo task;
    task.name = StrCat(flags_.name, "-", index);
    task.task_id = model::TaskId(StrCat(flags_.name, "-", index));
    task.agent_id = offer.agent_id;
    model::Resources resources{
        model::Resource::MakeScalar("cpus", model::Scalar::FromDouble(flags_.cpus)),
        model::Resource::MakeScalar("mem", model::Scalar::FromDouble(flags_.mem))};
    // MULTI_ROLE offers carry their allocation role; the task's resources must match it.
    task.resources =
        offer.allocation_role ? resources.AllocatedTo(*offer.allocation_role) : resources;
    model::CommandInfo command;
    command.shell = true;
    command.value = flags_.command;
    task.command = std::move(command);
    return task;
  }

  io::EventLoop& loop_;
  const Flags& flags_;
  int launched_ = 0;
  bool suppressed_ = false;
  bool killing_ = false;
  bool finished_ = false;
  int exit_code_ = 1;
  const io::HttpSchedulerDriver* driver_ = nullptr;
  std::map<std::string, model::TaskState> states_;  // by task id
};

int Main(int argc, char** argv) {
  Flags flags;
  CLI::App app{"Launches N command tasks through the v1 scheduler API and waits until they run"};
  app.add_option("--master", flags.master, "Master address HOST:PORT")->capture_default_str();
  app.add_option("--tasks", flags.tasks, "Number of tasks")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--cpus", flags.cpus, "CPUs per task")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--mem", flags.mem, "Memory per task (MB)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--command", flags.command, "Shell command of each task")->capture_default_str();
  app.add_option("--name", flags.name, "Framework name and task id prefix")->capture_default_str();
  app.add_option("--role", flags.role, "Role to subscribe with")->capture_default_str();
  app.add_option("--user", flags.user,
                 "FrameworkInfo.user: who the tasks run as (default: the current user)");
  app.add_option("--failover-timeout", flags.failover_timeout,
                 "Seconds the master keeps the framework (and its tasks) after we exit")
      ->capture_default_str();
  app.add_flag("--then-kill", flags.then_kill,
               "Once all tasks run, kill them, wait for TASK_KILLED and tear down");
  app.add_option("--timeout", flags.timeout, "Give up (exit 2) after this many seconds")
      ->capture_default_str();
  app.add_option("--log-level", flags.log_level, "Driver log level")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  io::InitLogging(flags.log_level);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);

  io::HttpSchedulerDriver::Options options;
  const size_t colon = flags.master.rfind(':');
  uint64_t port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !ParseUint64(std::string_view(flags.master).substr(colon + 1), &port) || port == 0 ||
      port > 65535) {
    std::fprintf(stderr, "--master: expected HOST:PORT, got '%s'\n", flags.master.c_str());
    return 64;
  }
  options.master_host = flags.master.substr(0, colon);
  options.master_port = static_cast<uint16_t>(port);
  model::FrameworkInfo& info = options.driver.framework_info;
  info.user = flags.user.empty() ? CurrentUser() : flags.user;
  info.name = flags.name;
  info.role = flags.role;
  info.failover_timeout = flags.failover_timeout;

  io::EventLoop loop;
  Launcher launcher(loop, flags);
  io::HttpSchedulerDriver driver(loop, &launcher, options);
  launcher.set_driver(&driver);
  loop.StopOnSignals([&](int) {
    std::printf("interrupted; leaving the framework registered\n");
    launcher.Finish(&driver, 130, /*teardown=*/false);
  });
  if (absl::Status s = driver.Start(); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  loop.RunAfter(Duration::FromSecondsDouble(flags.timeout), [&] {
    std::printf("timed out after %gs (driver %s)\n", flags.timeout,
                std::string(api::DriverStateName(driver.state())).c_str());
    launcher.Finish(&driver, 2, /*teardown=*/false);
  });
  loop.Run();
  return launcher.exit_code();
}

}  // namespace
}  // namespace atl::examples

int main(int argc, char** argv) { return atl::examples::Main(argc, argv); }
