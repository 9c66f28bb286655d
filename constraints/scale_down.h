// Which instances to kill when an app scales down, so that GROUP_BY and MAX_PER (Aurora
// `limit:N`) distributions stay as even as possible (Marathon's
// `Constraints.selectInstancesToKill`). The contract of marathonlike's ConstraintKillProposer,
// over plain structs; the adapter lives in marathonlike.
#pragma once

#include <string>
#include <vector>

#include "constraints/agent_view.h"
#include "constraints/constraint.h"

namespace atl::constraints {

struct KillCandidate {
  std::string id;  // the instance id, returned as is
  AgentView agent;
  bool operator==(const KillCandidate&) const = default;
};

// Up to `count` candidate ids, best first. Each pick is the candidate with, in this order of
// importance, the most GROUP_BY / MAX_PER fields it violates (its agent lacks the field, or its
// MAX_PER group is over the limit), the most GROUP_BY fields where it is in a largest group,
// the most MAX_PER fields where it is in a largest group; it is then removed from the counts
// before the next pick. So with one GROUP_BY, removals keep its groups within one of each
// other when they were. Ties go to the earlier candidate, so candidates ordered by killSelection
// keep that order among equals. Empty when `constraints` has no GROUP_BY or MAX_PER, or count <= 0.
// Cost: O(count * candidates * constraints).
std::vector<std::string> ProposeKills(const std::vector<Constraint>& constraints,
                                      const std::vector<KillCandidate>& candidates, int count);

}  // namespace atl::constraints
