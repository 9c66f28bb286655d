// Runs one task's health check next to it, in the executor's event loop: healthchecks::Tracker
// decides when probes run and what their results mean; io::Prober runs them (HTTP/HTTPS/TCP
// without a process, COMMAND as a process group with a timeout). Each change of the task's
// health, and the moment it must be killed, goes to `report` as the executor machine's input.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/base/clock.h"
#include "core/executor/command_executor.h"
#include "core/io/event_loop.h"
#include "core/io/probe.h"
#include "core/model/info.h"
#include "healthchecks/readiness.h"
#include "healthchecks/tracker.h"

namespace atl::cmd {

class HealthChecker {
 public:
  using Report = std::function<void(executor::in::HealthChanged)>;

  // Starts checking now (the first probe after the check's delay). `env` is the task's
  // environment (COMMAND checks run with it, in $MESOS_SANDBOX). `report` runs on the loop,
  // never inside the constructor. REQUIRES: Validate(check).ok().
  HealthChecker(io::EventLoop& loop, const Clock& clock, model::HealthCheck check,
                std::vector<std::string> env, Report report);
  // Stops: no probe starts and no report comes after it; running probes are abandoned (a
  // COMMAND probe's process group is killed).
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // Whether `check` can be run: a known type with its part (http, tcp, command) and a port.
  static absl::Status Validate(const model::HealthCheck& check);

  const healthchecks::State& state() const { return tracker_.state(); }

  // For metrics and bench/health_checks: probes started and finished, and a hook told how late
  // each probe started against its schedule.
  int64_t probes_started() const { return probes_started_; }
  int64_t probes_completed() const { return probes_completed_; }
  void set_lateness_observer(std::function<void(Duration)> observer) {
    lateness_observer_ = std::move(observer);
  }

 private:
  void Schedule();
  void Probe();
  void OnResult(const io::ProbeResult& result);

  io::EventLoop& loop_;
  const Clock& clock_;
  model::HealthCheck check_;
  std::vector<std::string> env_;
  Report report_;
  healthchecks::Tracker tracker_;
  io::Prober prober_;
  io::EventLoop::TimerId timer_ = 0;
  Timestamp scheduled_at_;
  int64_t probes_started_ = 0;
  int64_t probes_completed_ = 0;
  std::function<void(Duration)> lateness_observer_;
  bool killed_ = false;  // the kill was reported: nothing more to say
  // Expires with the checker: `report` may destroy it.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// All the health checks of one task (TaskInfo.health_check, then the others its labels carry;
// Marathon apps may have several), each keeping its index. With one, its reports pass through
// unchanged. With several, the task is healthy when all are: a report goes out once every check
// has spoken or any check has counted a failure, and on every change after; it carries the first
// check's labels unprefixed (as with one) plus each check's own under its index
// (healthchecks::IndexedLabels); the first check to reach its kill threshold kills the task, its
// message saying which check it was. A check that cannot run (HealthChecker::Validate) keeps its
// slot: reported unhealthy, its cause "cannot run: ...", never killing.
class HealthCheckSet {
 public:
  HealthCheckSet(io::EventLoop& loop, const Clock& clock, std::vector<model::HealthCheck> checks,
                 const std::vector<std::string>& env, HealthChecker::Report report);
  HealthCheckSet(const HealthCheckSet&) = delete;
  HealthCheckSet& operator=(const HealthCheckSet&) = delete;

  size_t size() const { return checks_.size(); }

 private:
  void OnReport(size_t index, executor::in::HealthChanged h);
  void Emit(bool kill, size_t index, const std::string& message);

  std::vector<model::HealthCheck> checks_;
  HealthChecker::Report report_;
  std::vector<std::optional<executor::in::HealthChanged>> last_;
  std::vector<std::unique_ptr<HealthChecker>> checkers_;  // null for a check that cannot run
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// Runs a task's readiness check (healthchecks/readiness.h): an HTTP(S) GET at once and then every
// interval until an answer's status is a ready one; reports through `report` each change of
// ready, status or error at once, a change of the kept body or Content-Type alone
// (preserveLastResponse) at most every kBodyOnlyReportPeriod, then stops for good once ready.
class ReadinessChecker {
 public:
  using Report = std::function<void(executor::in::ReadinessChanged)>;

  ReadinessChecker(io::EventLoop& loop, const Clock& clock, healthchecks::ReadinessSpec spec,
                   Report report);
  ~ReadinessChecker();
  ReadinessChecker(const ReadinessChecker&) = delete;
  ReadinessChecker& operator=(const ReadinessChecker&) = delete;

  const healthchecks::Readiness& state() const { return state_; }

  // A body that changes on every probe ("warming up: 40%") must not be a status update each.
  static constexpr Duration kBodyOnlyReportPeriod = Duration::Seconds(30);

 private:
  void Schedule(Duration delay);
  void OnResult(const io::ProbeResult& result);

  io::EventLoop& loop_;
  const Clock& clock_;
  healthchecks::ReadinessSpec spec_;
  Report report_;
  healthchecks::Readiness state_;  // the last reported
  std::optional<Timestamp> reported_at_;
  io::Prober prober_;
  io::EventLoop::TimerId timer_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace atl::cmd
