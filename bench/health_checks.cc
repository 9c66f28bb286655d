// Health checks at the edge (issue 6): --tasks HTTP health checks every --interval-ms, run by
// the executor's own checker code (cmd::HealthChecker: healthchecks::Tracker + io::Prober) in
// one event loop, against --tasks endpoints on 127.0.0.1 served from another thread, --hanging
// of which accept the connection and never answer (their probes time out). Prints the CPU the
// checkers used (percent of one core), checks completed per second, and how late probes of the
// answering endpoints started against their schedule (p50/p99/max), the measure of whether the
// hanging ones disturb the others.
//
// All checkers share one process and loop here, where on an agent each executor runs its own
// (the same code, one probe per second each): the figure leaves out 1,000 processes' timer
// wake-ups. The peer in the same run: spawning a process per check (Mesos's native checks run a
// helper process per probe), measured as the CPU of posix_spawn + wait of /bin/true, times the
// same rate.
#include <netinet/in.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <thread>
#include <vector>

#include "bench/bench_report.h"
#include "core/base/clock.h"
#include "core/base/strings.h"
#include "core/cmd/health_checker.h"
#include "core/io/event_loop.h"
#include "core/io/http_server.h"
#include "core/io/real_clock.h"
#include "spdlog/spdlog.h"

extern char** environ;

namespace {

using atl::Duration;
using atl::bench::PeakRssMb;
using atl::bench::Print;
using atl::bench::PrintSummary;
using atl::bench::SpawnCpuSeconds;
namespace io = atl::io;

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// A socket listening on 127.0.0.1 that never accepts: connections complete in the kernel's
// backlog and requests are never answered.
int HangingListener(uint16_t* port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(fd, 64) != 0) {
    return -1;
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  int tasks = 1000, hanging = 100, seconds = 20, interval_ms = 1000, timeout_ms = 1000;
  CLI::App cli{"health_checks: 1,000 HTTP health checks per second, 100 endpoints hanging"};
  cli.add_option("--tasks", tasks, "Tasks (endpoints), each checked every interval");
  cli.add_option("--hanging", hanging, "Endpoints that never answer");
  cli.add_option("--seconds", seconds, "Measured seconds (after one interval of warm-up)");
  cli.add_option("--interval-ms", interval_ms, "intervalSeconds of every check, in ms");
  cli.add_option("--timeout-ms", timeout_ms, "timeoutSeconds of every check, in ms");
  CLI11_PARSE(cli, argc, argv);
  hanging = std::clamp(hanging, 0, tasks);
  spdlog::set_level(spdlog::level::warn);  // not a line per endpoint

  // The endpoints, on their own thread and loop.
  io::EventLoop served;
  std::vector<std::unique_ptr<io::HttpServer>> servers;
  std::vector<int> hanging_fds;
  std::vector<uint16_t> ports;
  for (int k = 0; k < tasks; ++k) {
    if (k % (tasks / std::max(1, hanging) + 1) == 0 &&
        static_cast<int>(hanging_fds.size()) < hanging) {
      uint16_t port = 0;
      const int fd = HangingListener(&port);
      if (fd < 0) {
        std::fprintf(stderr, "cannot listen\n");
        return 1;
      }
      hanging_fds.push_back(fd);
      ports.push_back(port);
      continue;
    }
    auto server = std::make_unique<io::HttpServer>(
        served, io::HttpServer::Options{},
        [](const io::HttpRequest&, std::shared_ptr<io::HttpResponder> responder) {
          responder->Respond(io::HttpResponse::Text(200, "ok\n"));
        });
    if (absl::Status s = server->Start(); !s.ok()) {
      std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
      return 1;
    }
    ports.push_back(server->port());
    servers.push_back(std::move(server));
  }
  std::thread server_thread([&] { served.Run(); });

  // The checkers, in this thread's loop, their first probes spread over one interval.
  io::EventLoop loop;
  io::RealClock clock;
  std::vector<std::unique_ptr<atl::cmd::HealthChecker>> checkers;
  std::vector<double> lateness_ms;  // probes of answering endpoints, during the measurement
  std::atomic<bool> measuring{false};
  const std::vector<bool> is_hanging = [&] {
    std::vector<bool> v(static_cast<size_t>(tasks), false);
    int h = 0;
    for (int k = 0; k < tasks && h < hanging; ++k) {
      if (k % (tasks / std::max(1, hanging) + 1) == 0) {
        v[static_cast<size_t>(k)] = true;
        ++h;
      }
    }
    return v;
  }();
  for (int k = 0; k < tasks; ++k) {
    atl::model::HealthCheck check;
    check.type = atl::model::HealthCheck::Type::kHttp;
    check.http =
        atl::model::HealthCheck::Http{"http", ports[static_cast<size_t>(k)], "/health", {}, false};
    check.delay_seconds = static_cast<double>(interval_ms) / 1000.0 * k / tasks;
    check.interval_seconds = interval_ms / 1000.0;
    check.timeout_seconds = timeout_ms / 1000.0;
    check.grace_period_seconds = 0;
    check.consecutive_failures = 0;  // never kill: keep probing the hanging ones
    auto checker = std::make_unique<atl::cmd::HealthChecker>(
        loop, clock, check, std::vector<std::string>{}, [](atl::executor::in::HealthChanged) {});
    if (!is_hanging[static_cast<size_t>(k)]) {
      checker->set_lateness_observer([&](Duration late) {
        if (measuring) lateness_ms.push_back(static_cast<double>(late.nanoseconds()) / 1e6);
      });
    }
    checkers.push_back(std::move(checker));
  }

  // Warm up for one interval, then measure.
  int64_t completed_before = 0;
  double cpu_before = 0;
  auto wall_before = std::chrono::steady_clock::now();
  loop.RunAfter(Duration::Milliseconds(interval_ms), [&] {
    measuring = true;
    for (const auto& c : checkers) completed_before += c->probes_completed();
    cpu_before = ThreadCpuSeconds();
    wall_before = std::chrono::steady_clock::now();
  });
  double cpu_after = 0;
  int64_t completed_after = 0;
  double wall = 0;
  loop.RunAfter(Duration::Milliseconds(interval_ms) + Duration::Seconds(seconds), [&] {
    measuring = false;
    cpu_after = ThreadCpuSeconds();
    wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_before).count();
    for (const auto& c : checkers) completed_after += c->probes_completed();
    loop.Stop();
  });
  loop.Run();
  checkers.clear();
  served.Post([&] {
    servers.clear();
    served.Stop();
  });
  server_thread.join();
  for (int fd : hanging_fds) close(fd);

  const double checks_per_second = static_cast<double>(completed_after - completed_before) / wall;
  const double cpu_percent = (cpu_after - cpu_before) / wall * 100.0;
  Print("checks_completed_per_second", checks_per_second, "checks/s");
  Print("checker_cpu_percent_of_one_core", cpu_percent, "%");
  Print("checker_cpu_per_check_us",
        (cpu_after - cpu_before) / std::max(1.0, checks_per_second * wall) * 1e6, "us");
  PrintSummary("answering_probe_lateness", lateness_ms);
  // The peer: a process per check at the same rate.
  const double spawn_cpu = SpawnCpuSeconds(300);
  Print("process_per_check_cpu_us", spawn_cpu * 1e6, "us");
  Print("process_per_check_cpu_percent_at_this_rate", spawn_cpu * checks_per_second * 100.0, "%");
  Print("ratio_checker_cpu_over_process_per_check",
        cpu_percent / std::max(1e-9, spawn_cpu * checks_per_second * 100.0), "x");
  Print("peak_rss_mb", PeakRssMb(), "MiB");
  return 0;
}
