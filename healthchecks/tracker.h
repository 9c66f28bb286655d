// The health of one task from its probe results (reference/marathon.md health checks, Mesos
// HealthCheck): when the next probe runs, which results count, when the task is healthy, and
// when it must be killed. Pure and deterministic: time is a parameter; the executor's shell
// runs the probes (core/io/probe.h) and feeds the results in.
//
// Rules (Marathon's and Mesos's, which agree):
//   - the first probe runs `delay` after the task started, then one every `interval` from the
//     start of the previous one (a probe still running when the next is due is not doubled);
//   - a probe that does not finish within `timeout` is a failure;
//   - failures within `grace_period` of the start are ignored until the first success;
//   - a success makes the task healthy and resets the consecutive failures; a counted failure
//     makes it unhealthy and adds one;
//   - at `max_consecutive_failures` counted failures in a row the task is to be killed
//     (0: never);
//   - an ignored result (an HTTP 1xx with ignoreHttp1xx) changes nothing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/base/time.h"
#include "core/model/info.h"
#include "core/model/labels.h"

namespace atl::healthchecks {

struct Policy {
  Duration delay = Duration::Seconds(15);
  Duration interval = Duration::Seconds(10);
  Duration timeout = Duration::Seconds(20);
  Duration grace_period = Duration::Seconds(10);
  int max_consecutive_failures = 3;  // 0: never kill
  bool operator==(const Policy&) const = default;
};

// The policy of a Mesos HealthCheck (seconds as given; consecutive_failures 0 never kills).
Policy PolicyOf(const model::HealthCheck& check);

enum class Outcome { kHealthy, kUnhealthy, kIgnored };

// An HTTP(S) answer: 200-399 healthy; 100-199 ignored with `ignore_1xx`, else unhealthy (as
// Marathon); anything else unhealthy.
Outcome ClassifyHttp(int status_code, bool ignore_1xx);

// What the task's health is, as the executor reports it and /v2 shows it (healthCheckResults).
struct State {
  std::optional<bool> healthy;  // unset until the first counted result
  int consecutive_failures = 0;
  std::optional<Timestamp> first_success;
  std::optional<Timestamp> last_success;
  std::optional<Timestamp> last_failure;
  std::string last_failure_cause;
  bool operator==(const State&) const = default;
};

class Tracker {
 public:
  Tracker(Policy policy, Timestamp started);

  // When the next probe is due (nullopt while one is running).
  std::optional<Timestamp> next_probe_at() const;
  // A probe starts now; it must end (Record) by now + timeout.
  void ProbeStarted(Timestamp now);
  bool probing() const { return probe_started_.has_value(); }
  // When the running probe times out (nullopt when none runs).
  std::optional<Timestamp> probe_deadline() const;

  // The running probe's result (a timeout is kUnhealthy with its cause). Returns whether the
  // reported State changed: the task became healthy or unhealthy, or one more failure counted.
  bool Record(Outcome outcome, const std::string& cause, Timestamp now);

  const State& state() const { return state_; }
  const Policy& policy() const { return policy_; }
  // The task reached max_consecutive_failures (never with 0).
  bool ShouldKill() const;

  // Whether the State, changed by Record, must be reported now (each report is a status update
  // through the agent, the master and the scheduler): always the first one, a new verdict
  // (healthy <-> unhealthy) and a kill; one more failure of a task already reported unhealthy
  // only while its failures can still kill it (the countdown shows in healthCheckResults), or
  // once kRepeatedFailureReportPeriod has passed since the last report. So a check that never
  // kills (max_consecutive_failures 0) and fails for a day sends an update every 30 s, not one
  // per probe; the next report carries the latest count. Call Reported(now) after reporting.
  static constexpr Duration kRepeatedFailureReportPeriod = Duration::Seconds(30);
  bool ReportDue(Timestamp now) const;
  void Reported(Timestamp now);

 private:
  Policy policy_;
  Timestamp started_;
  Timestamp next_probe_at_;
  std::optional<Timestamp> probe_started_;
  State state_;
  std::optional<State> reported_;  // the last State reported, and when
  Timestamp reported_at_;
};

// The State as TaskStatus labels (so a status update carries it to the scheduler; `healthy`
// itself travels in TaskStatus.healthy), and back. Times are milliseconds since the epoch.
inline constexpr char kConsecutiveFailuresLabel[] = "atoll.health.consecutive_failures";
inline constexpr char kFirstSuccessLabel[] = "atoll.health.first_success_ms";
inline constexpr char kLastSuccessLabel[] = "atoll.health.last_success_ms";
inline constexpr char kLastFailureLabel[] = "atoll.health.last_failure_ms";
inline constexpr char kLastFailureCauseLabel[] = "atoll.health.last_failure_cause";
model::Labels ToLabels(const State& state);
// Reads what ToLabels wrote (others are ignored, malformed values skipped); `healthy` is
// TaskStatus.healthy.
State FromLabels(const model::Labels& labels, std::optional<bool> healthy);

// A task with several health checks (Marathon allows any number of HTTP/TCP/COMMAND checks)
// is healthy when all are; TaskStatus.healthy says that, the unprefixed labels above describe
// its first check, and each check's own State travels under "atoll.health.<i>." (i from 0,
// with "alive" for its own verdict). With one check there are none of these.
model::Labels IndexedLabels(const State& state, size_t index);
// Whether `labels` carry a checker's details (ToLabels or IndexedLabels), not just a reconciled
// TaskStatus.healthy.
bool CarriesDetails(const model::Labels& labels);
// The States of checks 0, 1, ... up to the highest index present (a check with no labels yet is
// an empty State); empty without indexed labels. Indices have at most 3 digits.
std::vector<State> IndexedFromLabels(const model::Labels& labels);

}  // namespace atl::healthchecks
