#include "marathonlike/scaling.h"

#include <algorithm>
#include <set>

#include "core/base/check.h"

namespace atl::marathonlike {

namespace {

// Lower goes first (Marathon's ScalingProposition.weight).
int Weight(Condition c) {
  switch (c) {
    case Condition::kUnreachable:
      return 1;
    case Condition::kStaging:
      return 2;
    case Condition::kStarting:
      return 3;
    case Condition::kRunning:
      return 4;
    default:
      return 5;
  }
}

// The time that orders two instances in the same condition; nullopt sorts first.
std::optional<Timestamp> OrderTime(const InstanceView& i) {
  switch (i.condition) {
    case Condition::kStaging:
      return i.staged_at.has_value() ? i.staged_at : std::optional<Timestamp>(i.condition_since);
    case Condition::kStarting:
      return i.condition_since;
    default:
      return i.started_at;
  }
}

}  // namespace

KillSelection ParseKillSelection(std::string_view name) {
  return name == "OLDEST_FIRST" ? KillSelection::kOldestFirst : KillSelection::kYoungestFirst;
}

bool KillsBefore(const InstanceView& a, const InstanceView& b, KillSelection kill_selection) {
  int wa = Weight(a.condition);
  int wb = Weight(b.condition);
  if (wa != wb) return wa < wb;
  std::optional<Timestamp> ta = OrderTime(a);
  std::optional<Timestamp> tb = OrderTime(b);
  if (ta.has_value() != tb.has_value()) return !ta.has_value();  // never started: first
  if (ta.has_value() && *ta != *tb) {
    return kill_selection == KillSelection::kYoungestFirst ? *ta > *tb : *ta < *tb;
  }
  return a.id < b.id;
}

std::vector<InstanceView> SortForKill(std::vector<InstanceView> instances,
                                      KillSelection kill_selection) {
  std::sort(instances.begin(), instances.end(), [&](const InstanceView& a, const InstanceView& b) {
    return KillsBefore(a, b, kill_selection);
  });
  return instances;
}

ScalingProposition ProposeScaling(const std::vector<InstanceView>& instances,
                                  const std::vector<InstanceId>& to_kill, int scale_to,
                                  KillSelection kill_selection,
                                  const ConstraintKillProposer& rebalance) {
  ATOLL_CHECK(scale_to >= 0) << "scale_to " << scale_to;
  std::set<InstanceId> named(to_kill.begin(), to_kill.end());

  // Counted: goal Running and not UnreachableInactive (already replaced elsewhere).
  std::vector<InstanceId> sentenced;  // named and counted, in the caller's order
  std::vector<InstanceView> others;
  int counted = 0;
  for (const InstanceView& i : instances) {
    if (i.goal != Goal::kRunning || i.condition == Condition::kUnreachableInactive) continue;
    ++counted;
    if (!named.contains(i.id)) others.push_back(i);
  }
  for (const InstanceId& id : to_kill) {
    bool counted_instance = std::any_of(instances.begin(), instances.end(), [&](const auto& i) {
      return i.id == id && i.goal == Goal::kRunning &&
             i.condition != Condition::kUnreachableInactive;
    });
    if (counted_instance && std::find(sentenced.begin(), sentenced.end(), id) == sentenced.end()) {
      sentenced.push_back(id);
    }
  }

  int decommission_count = std::max(counted - scale_to, static_cast<int>(sentenced.size()));
  ScalingProposition out;
  out.to_decommission = sentenced;

  // Rebalancing kills, only among the not-named candidates, never more than still needed.
  std::set<InstanceId> chosen(sentenced.begin(), sentenced.end());
  int still_needed = decommission_count - static_cast<int>(sentenced.size());
  if (rebalance && still_needed > 0) {
    for (const InstanceId& id : rebalance(others, still_needed)) {
      if (static_cast<int>(out.to_decommission.size()) >= decommission_count) break;
      bool candidate = std::any_of(others.begin(), others.end(),
                                   [&](const InstanceView& i) { return i.id == id; });
      if (candidate && chosen.insert(id).second) out.to_decommission.push_back(id);
    }
  }

  for (const InstanceView& i : SortForKill(std::move(others), kill_selection)) {
    if (static_cast<int>(out.to_decommission.size()) >= decommission_count) break;
    if (chosen.insert(i.id).second) out.to_decommission.push_back(i.id);
  }
  out.to_start = scale_to - counted + decommission_count;
  return out;
}

}  // namespace atl::marathonlike
