// Launch backoff per app (reference/marathon.md §2.11, Marathon's RateLimiter): after an
// instance of an app fails, launches of that app wait. Pure and deterministic.
//
//   first counted failure:  delay = min(backoffSeconds, maxLaunchDelaySeconds)
//   every further one:      delay = min(delay x backoffFactor, maxLaunchDelaySeconds)
//   launches wait until     reference + delay   (reference = the time of the last failure)
//
// Counted failures: an instance becoming Failed, Error, Gone, Dropped or Finished (exit 0
// counts too; Killed does not). An instance reaching Staging/Starting/Running moves the
// reference time to now (the delay value stays). A delay is forgotten once `now > reference +
// maxLaunchDelaySeconds` (no failure for that long), when a deployment restarts or stops the
// app, and on `DELETE /v2/queue/{id}/delay`. Delays are kept per (app id, lastConfigChangeAt),
// so a config change starts from scratch.
#pragma once

#include <map>
#include <optional>
#include <utility>

#include "core/base/time.h"
#include "marathonlike/app.h"
#include "marathonlike/instance.h"

namespace atl::marathonlike {

class LaunchDelays {
 public:
  struct Delay {
    Duration delay;
    Timestamp reference;
    Timestamp Until() const { return reference + delay; }
    bool operator==(const Delay&) const = default;
  };

  // An instance of `app` changed to `condition` at `now`: counts a failure or moves the
  // reference, as above.
  void OnCondition(const AppDefinition& app, Condition condition, Timestamp now);

  // When launches of `app` may happen again; nullopt when not delayed (also when its delay has
  // expired at `now`, which forgets it).
  std::optional<Timestamp> DelayedUntil(const AppDefinition& app, Timestamp now);

  // The delay entry, for /v2/queue (timeLeftSeconds, overdue).
  const Delay* Find(const AppDefinition& app) const;

  // Forgets every delay of the app id (any config version).
  void Reset(const PathId& app_id);

  size_t size() const { return delays_.size(); }

 private:
  using Key = std::pair<PathId, Timestamp>;  // (app id, lastConfigChangeAt)
  static Key KeyOf(const AppDefinition& app) {
    return {app.id, app.version_info.last_config_change_at};
  }
  std::map<Key, Delay> delays_;
};

// Whether a transition to `condition` counts as a failure for the backoff.
bool CountsAsLaunchFailure(Condition condition);

}  // namespace atl::marathonlike
