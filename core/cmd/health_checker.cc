#include "core/cmd/health_checker.h"

#include <algorithm>
#include <utility>

#include "core/base/strings.h"
#include "spdlog/spdlog.h"

namespace atl::cmd {
namespace {

// Health checks of a task with host networking go to the agent's loopback, as Mesos's do.
constexpr char kTaskHost[] = "127.0.0.1";

uint16_t PortOf(const model::HealthCheck& check) {
  if (check.http) return static_cast<uint16_t>(check.http->port);
  if (check.tcp) return static_cast<uint16_t>(check.tcp->port);
  return 0;
}

std::string_view TypeName(const model::HealthCheck& check) {
  switch (check.type) {
    case model::HealthCheck::Type::kHttp:
      return check.http && check.http->scheme == "https" ? "HTTPS" : "HTTP";
    case model::HealthCheck::Type::kTcp:
      return "TCP";
    case model::HealthCheck::Type::kCommand:
      return "COMMAND";
    case model::HealthCheck::Type::kUnknown:
      break;
  }
  return "UNKNOWN";
}

}  // namespace

absl::Status HealthChecker::Validate(const model::HealthCheck& check) {
  using Type = model::HealthCheck::Type;
  switch (check.type) {
    case Type::kHttp:
      if (!check.http) return absl::InvalidArgumentError("an HTTP health check needs `http`");
      if (check.http->scheme != "" && check.http->scheme != "http" &&
          check.http->scheme != "https") {
        return absl::InvalidArgumentError(
            StrCat("unknown HTTP health check scheme '", check.http->scheme, "'"));
      }
      break;
    case Type::kTcp:
      if (!check.tcp) return absl::InvalidArgumentError("a TCP health check needs `tcp`");
      break;
    case Type::kCommand:
      if (!check.command || !check.command->value || check.command->value->empty()) {
        return absl::InvalidArgumentError("a COMMAND health check needs a command");
      }
      return absl::OkStatus();
    case Type::kUnknown:
      return absl::InvalidArgumentError("the health check has no type");
  }
  const uint32_t port = check.http ? check.http->port : check.tcp->port;
  if (port == 0 || port > 65535) {
    return absl::InvalidArgumentError(StrCat("health check port ", port, " is not a port"));
  }
  return absl::OkStatus();
}

HealthChecker::HealthChecker(io::EventLoop& loop, const Clock& clock, model::HealthCheck check,
                             std::vector<std::string> env, Report report)
    : loop_(loop),
      clock_(clock),
      check_(std::move(check)),
      env_(std::move(env)),
      report_(std::move(report)),
      tracker_(healthchecks::PolicyOf(check_), clock.Now()),
      prober_(loop) {
  Schedule();
}

HealthChecker::~HealthChecker() {
  if (timer_ != 0) loop_.Cancel(timer_);
}

void HealthChecker::Schedule() {
  if (killed_) return;
  std::optional<Timestamp> at = tracker_.next_probe_at();
  if (!at) return;  // a probe runs; its result schedules the next
  scheduled_at_ = *at;
  timer_ = loop_.RunAt(*at, [this] {
    timer_ = 0;
    Probe();
  });
}

void HealthChecker::Probe() {
  const Timestamp now = clock_.Now();
  probes_started_++;
  if (lateness_observer_) lateness_observer_(now - scheduled_at_);
  tracker_.ProbeStarted(now);
  const Duration timeout = tracker_.policy().timeout;
  auto done = [this](io::ProbeResult r) { OnResult(r); };
  using Type = model::HealthCheck::Type;
  switch (check_.type) {
    case Type::kHttp:
      prober_.Http(check_.http->scheme == "https", kTaskHost, PortOf(check_),
                   check_.http->path.empty() ? "/" : check_.http->path, timeout, done);
      return;
    case Type::kTcp:
      prober_.Tcp(kTaskHost, PortOf(check_), timeout, done);
      return;
    case Type::kCommand:
      // In the task's sandbox, with its environment, as Mesos runs command checks.
      prober_.Command(StrCat("cd \"$MESOS_SANDBOX\" 2>/dev/null; ", *check_.command->value), env_,
                      timeout, done);
      return;
    case Type::kUnknown:
      break;
  }
  OnResult(io::ProbeResult{.ok = false,
                           .status_code = 0,
                           .exit_code = -1,
                           .timed_out = false,
                           .content_type = "",
                           .body = "",
                           .cause = "the health check has no type"});
}

void HealthChecker::OnResult(const io::ProbeResult& result) {
  const Timestamp now = clock_.Now();
  probes_completed_++;
  healthchecks::Outcome outcome = healthchecks::Outcome::kUnhealthy;
  std::string cause = result.cause;
  if (result.timed_out) {
    cause = StrCat("timed out after ", tracker_.policy().timeout.ToString());
  } else if (check_.type == model::HealthCheck::Type::kHttp && result.ok) {
    outcome = healthchecks::ClassifyHttp(result.status_code, check_.http->ignore_1xx);
    cause = StrCat("HTTP ", result.status_code);
  } else if (result.ok) {
    outcome = healthchecks::Outcome::kHealthy;
  }
  if (cause.empty()) cause = "failed";
  const bool changed = tracker_.Record(outcome, cause, now);
  if (changed && tracker_.ReportDue(now)) {
    tracker_.Reported(now);
    const healthchecks::State& s = tracker_.state();
    executor::in::HealthChanged h;
    h.healthy = s.healthy.value_or(false);
    h.labels = healthchecks::ToLabels(s);
    if (tracker_.ShouldKill()) {
      h.kill = true;
      h.message = StrCat("Health check failed ", s.consecutive_failures,
                         " times in a row: ", s.last_failure_cause);
      killed_ = true;
    }
    std::weak_ptr<int> alive = alive_;
    report_(std::move(h));  // may destroy this checker (the machine stops the checks)
    if (alive.expired()) return;
  }
  Schedule();
}

HealthCheckSet::HealthCheckSet(io::EventLoop& loop, const Clock& clock,
                               std::vector<model::HealthCheck> checks,
                               const std::vector<std::string>& env, HealthChecker::Report report)
    : checks_(std::move(checks)), report_(std::move(report)), last_(checks_.size()) {
  bool unrunnable = false;
  for (size_t i = 0; i < checks_.size(); ++i) {
    if (absl::Status s = HealthChecker::Validate(checks_[i]); !s.ok()) {
      spdlog::error("Cannot run health check {} of {}: {}", i + 1, checks_.size(),
                    std::string(s.message()));
      // It keeps its slot, unhealthy for good, so the others keep their indices.
      healthchecks::State state;
      state.healthy = false;
      state.last_failure_cause = StrCat("cannot run: ", s.message());
      last_[i] = executor::in::HealthChanged{false, healthchecks::ToLabels(state), false, ""};
      checkers_.push_back(nullptr);
      unrunnable = true;
      continue;
    }
    checkers_.push_back(std::make_unique<HealthChecker>(
        loop, clock, checks_[i], env,
        [this, i](executor::in::HealthChanged h) { OnReport(i, std::move(h)); }));
  }
  if (unrunnable) {
    // Said once, on the loop (never inside the constructor).
    loop.Post([this, alive = std::weak_ptr<int>(alive_)] {
      if (!alive.expired()) Emit(false, 0, "");
    });
  }
}

void HealthCheckSet::OnReport(size_t index, executor::in::HealthChanged h) {
  if (checks_.size() == 1) {
    report_(std::move(h));  // may destroy this set
    return;
  }
  const bool kill = h.kill;
  std::string message = std::move(h.message);
  const bool failed = !h.healthy;
  last_[index] = std::move(h);
  if (!kill && !failed &&
      std::any_of(last_.begin(), last_.end(), [](const auto& l) { return !l; })) {
    return;  // not every check has spoken, and none failed: the task's health is still unknown
  }
  Emit(kill, index, message);  // may destroy this set
}

void HealthCheckSet::Emit(bool kill, size_t index, const std::string& message) {
  if (checks_.size() == 1) {
    if (last_[0]) report_(*last_[0]);  // may destroy this set
    return;
  }
  executor::in::HealthChanged combined;
  combined.healthy = !kill && std::all_of(last_.begin(), last_.end(),
                                          [](const auto& l) { return l && l->healthy; });
  if (last_[0]) combined.labels = last_[0]->labels;
  for (size_t i = 0; i < last_.size(); ++i) {
    if (!last_[i]) continue;
    for (model::Label& l : healthchecks::IndexedLabels(
             healthchecks::FromLabels(last_[i]->labels, last_[i]->healthy), i)) {
      combined.labels.push_back(std::move(l));
    }
  }
  if (kill) {
    combined.kill = true;
    combined.message = StrCat(message, " (health check ", index + 1, " of ", checks_.size(), ", ",
                              TypeName(checks_[index]), ")");
  }
  report_(std::move(combined));  // may destroy this set
}

ReadinessChecker::ReadinessChecker(io::EventLoop& loop, const Clock& clock,
                                   healthchecks::ReadinessSpec spec, Report report)
    : loop_(loop),
      clock_(clock),
      spec_(std::move(spec)),
      report_(std::move(report)),
      prober_(loop) {
  Schedule(Duration::Zero());  // as soon as the task runs, as Marathon does
}

ReadinessChecker::~ReadinessChecker() {
  if (timer_ != 0) loop_.Cancel(timer_);
}

void ReadinessChecker::Schedule(Duration delay) {
  timer_ = loop_.RunAfter(delay, [this] {
    timer_ = 0;
    prober_.Http(spec_.tls, kTaskHost, static_cast<uint16_t>(spec_.port), spec_.path, spec_.timeout,
                 spec_.preserve_last_response ? healthchecks::kMaxKeptBody : 0,
                 [this](io::ProbeResult r) { OnResult(r); });
  });
}

void ReadinessChecker::OnResult(const io::ProbeResult& result) {
  healthchecks::Readiness next = state_;
  if (result.ok) {
    next.ready = healthchecks::IsReadyStatus(spec_, result.status_code);
    next.last_status = result.status_code;
    next.last_content_type = result.content_type;
    next.last_body = result.body;
    next.last_error.clear();
  } else {
    next.last_error = result.timed_out
                          ? StrCat("timed out after ", spec_.timeout.ToString())
                          : (result.cause.empty() ? std::string("failed") : result.cause);
  }
  const bool ready = next.ready;
  const Timestamp now = clock_.Now();
  // Ready, status and error at once; the kept body or Content-Type alone now and then.
  healthchecks::Readiness without_body = next;
  without_body.last_body = state_.last_body;
  without_body.last_content_type = state_.last_content_type;
  const bool due = !reported_at_ || without_body != state_ ||
                   (next != state_ && now - *reported_at_ >= kBodyOnlyReportPeriod);
  if (due && next != state_) {
    state_ = next;
    reported_at_ = now;
    std::weak_ptr<int> alive = alive_;
    report_(executor::in::ReadinessChanged{healthchecks::ResultLabels(state_)});
    if (alive.expired()) return;  // `report` may stop the checks
  }
  if (!ready) Schedule(spec_.interval);
}

}  // namespace atl::cmd
