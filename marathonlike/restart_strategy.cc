#include "marathonlike/restart_strategy.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/base/check.h"

namespace atl::marathonlike {

namespace {

constexpr double kTolerance = 1e-9;

int ClampToInt(double v) {
  if (!(v > 0)) return 0;  // also NaN
  if (v >= static_cast<double>(std::numeric_limits<int>::max())) {
    return std::numeric_limits<int>::max();
  }
  return static_cast<int>(v);
}

struct Bounds {
  int min_healthy = 0;
  int max_capacity = 0;  // before any no-room adjustment
};

Bounds ComputeBounds(int n, const UpgradeStrategy& s) {
  return {CeilTimes(n, s.minimum_health_capacity), FloorTimes(n, 1.0 + s.maximum_over_capacity)};
}

}  // namespace

int CeilTimes(int n, double fraction) { return ClampToInt(std::ceil(n * fraction - kTolerance)); }

int FloorTimes(int n, double fraction) { return ClampToInt(std::floor(n * fraction + kTolerance)); }

RestartStrategy ComputeRestartStrategy(const RestartCounts& c) {
  ATOLL_CHECK(c.target_instances >= 0 && c.healthy >= 0 && c.old_active >= 0 &&
              c.new_started >= 0 && c.current_instances >= 0)
      << "negative count";
  const int n = c.target_instances;
  Bounds b = ComputeBounds(n, c.strategy);
  RestartStrategy out;
  out.min_healthy = b.min_healthy;
  out.max_capacity = b.max_capacity;
  out.kill_now = std::max(0, c.healthy - b.min_healthy);
  if (b.min_healthy == b.max_capacity && b.max_capacity <= c.healthy) {
    if (c.resident) {
      out.kill_now = c.healthy - b.min_healthy + 1;  // one below, never above
    } else {
      out.max_capacity += 1;  // surge of one
    }
  }
  if (n < c.current_instances) out.kill_now = std::max(out.kill_now, c.current_instances - n);
  out.kill_now = std::min(out.kill_now, c.old_active);
  out.launch_now = std::min(std::max(0, n - c.new_started),
                            std::max(0, out.max_capacity - c.old_active - c.new_started));
  return out;
}

ReplaceDecision DecideReplaceStep(const ReplaceInput& in) {
  ATOLL_CHECK(in.target_instances >= 0) << "target_instances " << in.target_instances;
  const int n = in.target_instances;
  Bounds b = ComputeBounds(n, in.strategy);
  ReplaceDecision out;
  out.min_healthy = b.min_healthy;
  out.max_capacity = b.max_capacity;
  out.healthy_floor = b.min_healthy;
  if (b.min_healthy == b.max_capacity) {
    if (in.resident) {
      out.healthy_floor = std::max(0, b.min_healthy - 1);
    } else {
      out.max_capacity += 1;
    }
  }

  int started = 0;
  for (const ReplaceInstance& i : in.new_instances) {
    if (!i.goal_running) continue;  // decommissioned by someone else: not ours to count
    ++started;
    if (!i.terminal && i.healthy && i.ready) ++out.new_ready;
  }

  // Old instances with goal Running in kill order: terminal, then unhealthy, then healthy; the
  // caller's order among equals. The last `keep` alive ones stay, the rest go.
  auto badness = [](const ReplaceInstance& i) { return i.terminal ? 2 : (i.healthy ? 0 : 1); };
  std::vector<const ReplaceInstance*> kill_order;
  int old_healthy = 0;
  int old_alive = 0;
  for (const ReplaceInstance& i : in.old_instances) {
    if (!i.goal_running) continue;
    kill_order.push_back(&i);
    if (!i.terminal) ++old_alive;
    if (badness(i) == 0) ++old_healthy;
  }
  std::stable_sort(kill_order.begin(), kill_order.end(),
                   [&](const ReplaceInstance* a, const ReplaceInstance* b) {
                     return badness(*a) > badness(*b);
                   });
  out.healthy = old_healthy + out.new_ready;

  const int keep = std::min(old_alive, std::max(0, out.healthy_floor - out.new_ready));
  const int to_decommission = static_cast<int>(kill_order.size()) - keep;
  for (int k = 0; k < to_decommission; ++k) out.decommission.push_back(kill_order[k]->id);

  int old_not_terminal = 0;
  for (const ReplaceInstance& i : in.old_instances) {
    if (!i.terminal) ++old_not_terminal;
  }
  out.launch = std::min(std::max(0, n - started),
                        std::max(0, out.max_capacity - old_not_terminal - started));

  // Terminal old instances still decommissioned by this very decision need no waiting.
  out.done = out.new_ready >= n && old_not_terminal == 0;
  return out;
}

}  // namespace atl::marathonlike
