#include "healthchecks/tracker.h"

#include <algorithm>
#include <cstdint>
#include <map>

#include "core/base/strings.h"

namespace atl::healthchecks {
namespace {

Duration Seconds(double s) { return Duration::FromSecondsDouble(std::max(0.0, s)); }

std::optional<Timestamp> MillisOf(const std::string& text) {
  int64_t ms = 0;
  // Within what a Timestamp holds (about ±292 years around 1970).
  constexpr int64_t kMaxMs = INT64_MAX / 1000000;
  if (!ParseInt64(text, &ms) || ms > kMaxMs || ms < -kMaxMs) return std::nullopt;
  return Timestamp::FromNanoseconds(ms * 1000000);
}

}  // namespace

Policy PolicyOf(const model::HealthCheck& check) {
  Policy p;
  p.delay = Seconds(check.delay_seconds);
  p.interval = Seconds(check.interval_seconds);
  p.timeout = Seconds(check.timeout_seconds);
  p.grace_period = Seconds(check.grace_period_seconds);
  p.max_consecutive_failures =
      static_cast<int>(std::min<uint32_t>(check.consecutive_failures, 1u << 30));
  return p;
}

Outcome ClassifyHttp(int status_code, bool ignore_1xx) {
  if (status_code >= 200 && status_code < 400) return Outcome::kHealthy;
  if (status_code >= 100 && status_code < 200 && ignore_1xx) return Outcome::kIgnored;
  return Outcome::kUnhealthy;
}

Tracker::Tracker(Policy policy, Timestamp started)
    : policy_(policy), started_(started), next_probe_at_(started + policy.delay) {}

std::optional<Timestamp> Tracker::next_probe_at() const {
  if (probe_started_.has_value()) return std::nullopt;
  return next_probe_at_;
}

void Tracker::ProbeStarted(Timestamp now) {
  probe_started_ = now;
  // The next one is due an interval after this one started (at least a tick later).
  next_probe_at_ = now + std::max(policy_.interval, Duration::Milliseconds(1));
}

std::optional<Timestamp> Tracker::probe_deadline() const {
  if (!probe_started_.has_value()) return std::nullopt;
  return *probe_started_ + policy_.timeout;
}

bool Tracker::Record(Outcome outcome, const std::string& cause, Timestamp now) {
  probe_started_.reset();
  if (next_probe_at_ < now) next_probe_at_ = now;  // a slow probe: the next one at once
  switch (outcome) {
    case Outcome::kIgnored:
      return false;
    case Outcome::kHealthy: {
      const bool changed = state_.healthy != true || state_.consecutive_failures != 0;
      state_.healthy = true;
      state_.consecutive_failures = 0;
      if (!state_.first_success) state_.first_success = now;
      state_.last_success = now;
      return changed;
    }
    case Outcome::kUnhealthy:
      // Within the grace period and never healthy yet: the task may still be starting.
      if (!state_.first_success && now < started_ + policy_.grace_period) return false;
      state_.healthy = false;
      state_.consecutive_failures++;
      state_.last_failure = now;
      state_.last_failure_cause = cause;
      return true;
  }
  return false;
}

bool Tracker::ShouldKill() const {
  return policy_.max_consecutive_failures > 0 &&
         state_.consecutive_failures >= policy_.max_consecutive_failures;
}

bool Tracker::ReportDue(Timestamp now) const {
  if (!reported_) return true;
  if (state_ == *reported_) return false;
  if (state_.healthy != reported_->healthy || ShouldKill()) return true;
  if (policy_.max_consecutive_failures > 0) return true;
  return now - reported_at_ >= kRepeatedFailureReportPeriod;
}

void Tracker::Reported(Timestamp now) {
  reported_ = state_;
  reported_at_ = now;
}

model::Labels ToLabels(const State& state) {
  model::Labels out;
  auto add = [&](const char* key, std::string value) {
    out.push_back(model::Label{key, std::move(value)});
  };
  add(kConsecutiveFailuresLabel, StrCat(state.consecutive_failures));
  if (state.first_success)
    add(kFirstSuccessLabel, StrCat(state.first_success->nanoseconds() / 1000000));
  if (state.last_success)
    add(kLastSuccessLabel, StrCat(state.last_success->nanoseconds() / 1000000));
  if (state.last_failure)
    add(kLastFailureLabel, StrCat(state.last_failure->nanoseconds() / 1000000));
  if (!state.last_failure_cause.empty()) add(kLastFailureCauseLabel, state.last_failure_cause);
  return out;
}

State FromLabels(const model::Labels& labels, std::optional<bool> healthy) {
  State s;
  s.healthy = healthy;
  for (const model::Label& l : labels) {
    if (!l.value.has_value()) continue;
    const std::string& v = *l.value;
    if (l.key == kConsecutiveFailuresLabel) {
      int64_t n = 0;
      if (ParseInt64(v, &n) && n >= 0 && n < (int64_t{1} << 30)) {
        s.consecutive_failures = static_cast<int>(n);
      }
    } else if (l.key == kFirstSuccessLabel) {
      s.first_success = MillisOf(v);
    } else if (l.key == kLastSuccessLabel) {
      s.last_success = MillisOf(v);
    } else if (l.key == kLastFailureLabel) {
      s.last_failure = MillisOf(v);
    } else if (l.key == kLastFailureCauseLabel) {
      s.last_failure_cause = v;
    }
  }
  return s;
}

namespace {

constexpr std::string_view kIndexedPrefix = "atoll.health.";

// "atoll.health.<i>.<field>" -> (i, field); nullopt for other keys.
std::optional<std::pair<size_t, std::string_view>> SplitIndexed(std::string_view key) {
  if (!key.starts_with(kIndexedPrefix)) return std::nullopt;
  key.remove_prefix(kIndexedPrefix.size());
  const size_t dot = key.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot > 3) return std::nullopt;
  size_t index = 0;
  for (char c : key.substr(0, dot)) {
    if (c < '0' || c > '9') return std::nullopt;
    index = index * 10 + static_cast<size_t>(c - '0');
  }
  return std::pair{index, key.substr(dot + 1)};
}

}  // namespace

model::Labels IndexedLabels(const State& state, size_t index) {
  const std::string prefix = StrCat(kIndexedPrefix, index, ".");
  model::Labels out;
  if (state.healthy) out.push_back({StrCat(prefix, "alive"), *state.healthy ? "true" : "false"});
  for (model::Label& l : ToLabels(state)) {
    out.push_back({StrCat(prefix, std::string_view(l.key).substr(kIndexedPrefix.size())),
                   std::move(l.value)});
  }
  return out;
}

bool CarriesDetails(const model::Labels& labels) {
  return std::any_of(labels.begin(), labels.end(), [](const model::Label& l) {
    if (l.key == kConsecutiveFailuresLabel) return true;
    std::optional<std::pair<size_t, std::string_view>> split = SplitIndexed(l.key);
    return split && split->second == "consecutive_failures";
  });
}

std::vector<State> IndexedFromLabels(const model::Labels& labels) {
  // Per index, its labels renamed to the unprefixed keys FromLabels reads.
  std::map<size_t, model::Labels> by_index;
  std::map<size_t, std::optional<bool>> alive;
  for (const model::Label& l : labels) {
    std::optional<std::pair<size_t, std::string_view>> split = SplitIndexed(l.key);
    if (!split || !l.value.has_value()) continue;
    auto [index, field] = *split;
    if (field == "alive") {
      alive[index] = *l.value == "true";
    } else {
      by_index[index].push_back({StrCat(kIndexedPrefix, field), l.value});
    }
    by_index.try_emplace(index);
  }
  // Up to the highest index; a check not reported yet is a State with nothing in it.
  std::vector<State> out;
  if (by_index.empty()) return out;
  out.resize(by_index.rbegin()->first + 1);
  for (const auto& [index, own] : by_index) out[index] = FromLabels(own, alive[index]);
  return out;
}

}  // namespace atl::healthchecks
