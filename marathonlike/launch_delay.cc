#include "marathonlike/launch_delay.h"

#include <algorithm>
#include <cstdint>

namespace atl::marathonlike {

bool CountsAsLaunchFailure(Condition condition) {
  switch (condition) {
    case Condition::kFailed:
    case Condition::kError:
    case Condition::kGone:
    case Condition::kDropped:
    case Condition::kFinished:  // a service that exits, even with 0, is restarted with backoff
      return true;
    default:
      return false;
  }
}

void LaunchDelays::OnCondition(const AppDefinition& app, Condition condition, Timestamp now) {
  const Duration max = Duration::FromSecondsDouble(std::max(0.0, app.max_launch_delay_seconds));
  auto it = delays_.find(KeyOf(app));
  if (CountsAsLaunchFailure(condition)) {
    const Duration first = std::min(Duration::FromSecondsDouble(app.backoff_seconds), max);
    if (it == delays_.end() || now > it->second.reference + max) {
      delays_[KeyOf(app)] = Delay{first, now};
      return;
    }
    Duration next = Duration::FromSecondsDouble(it->second.delay.seconds() * app.backoff_factor);
    it->second.delay = std::min(next, max);
    it->second.reference = now;
    return;
  }
  if (it != delays_.end() &&
      (condition == Condition::kStaging || condition == Condition::kStarting ||
       condition == Condition::kRunning || condition == Condition::kProvisioned)) {
    it->second.reference = now;
  }
}

std::optional<Timestamp> LaunchDelays::DelayedUntil(const AppDefinition& app, Timestamp now) {
  auto it = delays_.find(KeyOf(app));
  if (it == delays_.end()) return std::nullopt;
  const Duration max = Duration::FromSecondsDouble(std::max(0.0, app.max_launch_delay_seconds));
  if (now > it->second.reference + max) {
    delays_.erase(it);  // no failure for the longest delay: forgiven
    return std::nullopt;
  }
  if (it->second.Until() <= now) return std::nullopt;
  return it->second.Until();
}

const LaunchDelays::Delay* LaunchDelays::Find(const AppDefinition& app) const {
  auto it = delays_.find(KeyOf(app));
  return it == delays_.end() ? nullptr : &it->second;
}

void LaunchDelays::Reset(const PathId& app_id) {
  for (auto it = delays_.lower_bound({app_id, Timestamp::FromNanoseconds(INT64_MIN)});
       it != delays_.end();) {
    if (it->first.first != app_id) break;
    it = delays_.erase(it);
  }
}

}  // namespace atl::marathonlike
