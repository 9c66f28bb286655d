// Which instances go when an app scales down (reference/marathon.md §2.12, Marathon's
// `ScalingProposition`). Pure: the same instances and arguments give the same answer.
//
// Order of the decommission candidates, among instances with goal Running that are not
// UnreachableInactive (others are not counted at all):
//   1. instances named explicitly by the caller (kill-and-scale, DELETE .../tasks?scale=true);
//   2. instances a constraint rebalancer proposes (GROUP_BY / MAX_PER spreading), through the
//      `ConstraintKillProposer` hook; none by default;
//   3. the rest by condition: Unreachable, Staging, Starting, Running, then anything else; inside
//      one condition by time per `killSelection` (Staging: staged_at, Starting: condition_since,
//      otherwise started_at with "never started" first): YOUNGEST_FIRST (latest first, the
//      default) or OLDEST_FIRST; ties by instance id, so the order is total.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "marathonlike/instance.h"

namespace atl::marathonlike {

enum class KillSelection { kYoungestFirst, kOldestFirst };

// "YOUNGEST_FIRST" / "OLDEST_FIRST" (AppDefinition::kill_selection); anything else gives the
// default, kYoungestFirst (validation rejects other values before they get here).
KillSelection ParseKillSelection(std::string_view name);

// Extension point for constraints/: given the candidates that are not explicitly named (goal
// Running, counted) and how many more must go, returns up to `count` of their ids whose removal
// rebalances GROUP_BY / MAX_PER spreading, best first. Ids not among the candidates are ignored.
using ConstraintKillProposer =
    std::function<std::vector<InstanceId>(const std::vector<InstanceView>& candidates, int count)>;

struct ScalingProposition {
  std::vector<InstanceId> to_decommission;  // in kill order
  int to_start = 0;                         // new instances to queue
  bool operator==(const ScalingProposition&) const = default;
};

// Scales the counted instances of one app to `scale_to`: decommissions
// max(counted - scale_to, named-and-counted) instances (named first, then rebalancing, then
// condition/time order) and starts scale_to - counted + decommissioned new ones.
// `to_kill` ids that are not counted instances are ignored. REQUIRES: scale_to >= 0.
ScalingProposition ProposeScaling(const std::vector<InstanceView>& instances,
                                  const std::vector<InstanceId>& to_kill, int scale_to,
                                  KillSelection kill_selection,
                                  const ConstraintKillProposer& rebalance = nullptr);

// Whether `a` should be killed before `b` in step 3 above (a strict weak order; total with the
// id tie-break).
bool KillsBefore(const InstanceView& a, const InstanceView& b, KillSelection kill_selection);

// `instances` sorted by KillsBefore (step 3 alone: no goal filtering).
std::vector<InstanceView> SortForKill(std::vector<InstanceView> instances,
                                      KillSelection kill_selection);

}  // namespace atl::marathonlike
