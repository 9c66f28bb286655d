// Rolling restart arithmetic (reference/marathon.md §3.3; Marathon's
// `TaskReplaceActor.computeRestartStrategy` and `launchInstances`). Pure functions over counts
// and over one app's old/new instances; the service scheduler calls DecideReplaceStep on every
// instance or health event of an app under RestartApplication and executes the answer.
//
// Terms. N = target instances. minHealthy = ceil(N × minimumHealthCapacity). maxCapacity =
// floor(N × (1 + maximumOverCapacity)). Products are rounded with a 1e-9 tolerance so decimal
// fractions mean what they say (100 × 0.07 is 7, not 8; 100 × 1.15 is 115, not 114), where
// Marathon's raw doubles are off by one.
//
// Safety invariants of DecideReplaceStep (checked by a property test after every event):
//   - Health floor: it never decommissions a healthy instance when that would leave fewer than
//     `healthy_floor` healthy instances with goal Running (old healthy + new healthy-and-ready
//     are counted). healthy_floor = minHealthy, or minHealthy - 1 for a resident app whose
//     strategy leaves no room (minHealthy == maxCapacity: it goes one below, never above).
//   - Capacity: it never launches when old instances that are not terminal (decommissioned or
//     not: they hold resources until gone) + new instances with goal Running would exceed
//     `max_capacity` (maxCapacity, +1 for a non-resident app whose strategy leaves no room).
//   - Progress: if every new instance eventually becomes healthy and ready and every
//     decommissioned old instance eventually terminates, it reaches `done`.
#pragma once

#include <vector>

#include "marathonlike/app.h"
#include "marathonlike/instance.h"

namespace atl::marathonlike {

// ceil(n × fraction) and floor(n × fraction), tolerant of representation error (see above).
int CeilTimes(int n, double fraction);
int FloorTimes(int n, double fraction);

// The counts Marathon's computeRestartStrategy looks at, when a restart begins (or resumes
// after failover).
struct RestartCounts {
  int target_instances = 0;  // N; REQUIRES: >= 0
  UpgradeStrategy strategy;
  bool resident = false;
  int healthy = 0;            // H: old or new, goal Running, running and passing health checks
  int current_instances = 0;  // every instance of the app (old and new, any goal)
  int old_active = 0;         // old-version instances not yet terminal
  int new_started = 0;        // new-version instances already queued or started
  bool operator==(const RestartCounts&) const = default;
};

struct RestartStrategy {
  int min_healthy = 0;
  int max_capacity = 0;
  int kill_now = 0;    // old instances to decommission at once (unhealthy first)
  int launch_now = 0;  // new instances to queue at once
  bool operator==(const RestartStrategy&) const = default;
};

// Marathon's arithmetic, literally (§3.3):
//   killNow = max(0, H − minHealthy)
//   if minHealthy == maxCapacity && maxCapacity <= H:
//     resident: killNow = H − minHealthy + 1      else: maxCapacity += 1
//   if N < current: killNow = max(killNow, current − N)
//   killNow is capped at old_active (only old instances are killed)
//   launchNow = min(N − started, max(0, maxCapacity − oldActive − started))
// `old_active` counts the instances being killed now too: they hold their resources until they
// are gone, so launches wait for them (the reference's {0.5, 0.2} example, "12 − 5 − 0 = 7", is
// the count once the 5 killed ones have terminated).
RestartStrategy ComputeRestartStrategy(const RestartCounts& counts);

// One instance as the replace step sees it.
struct ReplaceInstance {
  InstanceId id;
  bool goal_running = true;  // false: already decommissioned/stopped
  bool terminal = false;     // will never run again by itself
  bool healthy = false;      // running and passing health checks (if any)
  bool ready = true;         // passing readiness checks (true when there are none)
  bool operator==(const ReplaceInstance&) const = default;
};

struct ReplaceInput {
  int target_instances = 0;  // N (>= 0; 0 degenerates to "stop every old instance")
  UpgradeStrategy strategy;
  bool resident = false;
  // Instances of other versions. Among equally bad ones, earlier entries go first: pass them in
  // kill order (e.g. SortForKill of scaling.h).
  std::vector<ReplaceInstance> old_instances;
  // Instances of the target version (including ones the launcher is relaunching).
  std::vector<ReplaceInstance> new_instances;
  bool operator==(const ReplaceInput&) const = default;
};

struct ReplaceDecision {
  // Old instances whose goal becomes Decommissioned (resident: Stopped), in order.
  std::vector<InstanceId> decommission;
  int launch = 0;     // new-version instances to queue now
  bool done = false;  // N new instances healthy and ready, every old instance terminal

  // The numbers behind the decision, for status and logs.
  int min_healthy = 0;
  int healthy_floor = 0;
  int max_capacity = 0;
  int healthy = 0;    // old healthy + new healthy-and-ready, goal Running, before this decision
  int new_ready = 0;  // new instances healthy and ready
  bool operator==(const ReplaceDecision&) const = default;
};

// The replace step, stateless: recomputes everything from the current instances, so it may be
// called on every event, repeatedly, and after failover. Rules, in order:
//   1. Old instances with goal Running that are terminal are always decommissioned (an old task
//      that died during the upgrade is replaced by a new one, not relaunched).
//   2. Keep K = max(0, healthy_floor − new_ready) old instances with goal Running, the healthy
//      ones first; decommission the others, unhealthy ones first (the initial killNow, then one
//      old instance per new instance that becomes healthy and ready).
//   3. Launch min(N − started, max(0, max_capacity − old_not_terminal − started)) where started
//      counts new instances with goal Running.
// The no-room adjustment (surge of one, or resident one below) applies whenever minHealthy ==
// maxCapacity, not only when H >= maxCapacity at the start as in Marathon, whose count-based
// actor can stall or dip below minHealthy in that corner.
ReplaceDecision DecideReplaceStep(const ReplaceInput& input);

}  // namespace atl::marathonlike
