// Placement checks: may one more instance of an app go to this agent, given where its other
// instances are (reference/marathon.md §2.7)? Answers carry a human-readable reason.
#pragma once

#include <string>
#include <vector>

#include "constraints/agent_view.h"
#include "constraints/constraint.h"
#include "constraints/placement_counts.h"

namespace atl::constraints {

struct Result {
  bool ok = true;
  std::string reason;  // why not, when !ok: "UNIQUE hostname: host-1 already runs an instance"
  // Which constraint failed, as an index into the vector CheckAll / AllFailures were given; -1
  // for the dedicated-agent rule and for Check on a single constraint.
  int index = -1;
  bool operator==(const Result&) const = default;
};

// Whether one more instance may go to `agent` under `c`, with `placed` counting the app's
// current instances (REQUIRES: `placed` tracks `c`'s field). Marathon's semantics:
//   UNIQUE    no placed instance has the agent's value;
//   CLUSTER   with a value: the agent's value equals it; without: any agent while no placed
//             instance has a value, afterwards only a value some placed instance has;
//   GROUP_BY  the value is unused, or at least `number` values are used and the value's count
//             is the smallest among used values (keeps groups within one of each other; with
//             `number` = the count of values in the cluster, unused values go first);
//   LIKE      the value fully matches the regex; UNLIKE: it does not;
//   MAX_PER   fewer than `number` placed instances share the value (MAX_PER 0: never);
//   IS        the value equals the constraint's (scalars compared in Mesos form: 0.80 == 0.8);
//   IN/NOT_IN the value is one / none of the values; DEDICATED: `dedicated` equals the value.
// An agent lacking the field satisfies only UNLIKE and NOT_IN.
Result Check(const Constraint& c, const AgentView& agent, const PlacementCounts& placed);

struct CheckOptions {
  // Aurora's two-sided `dedicated`: an agent with a `dedicated` attribute takes only apps asking
  // for its value: a DEDICATED constraint equal to it, or the Marathon form of one (MarathonForm:
  // a LIKE on `dedicated` matching it; IS / CLUSTER naming it). Off by default: Marathon has no
  // such rule.
  bool dedicated_agents_exclusive = false;
};

// All of `constraints` (and the dedicated-agent rule when enabled), in this order, cheap first:
//   1. the dedicated-agent rule (one attribute lookup);
//   2. comparisons with the agent alone: IS, CLUSTER with a value, IN, NOT_IN, DEDICATED;
//   3. one count lookup: UNIQUE, MAX_PER, CLUSTER without a value;
//   4. GROUP_BY (a count and the smallest count);
//   5. regular expressions: LIKE, UNLIKE.
// Returns the first failure, or ok.
Result CheckAll(const std::vector<Constraint>& constraints, const AgentView& agent,
                const PlacementCounts& placed, const CheckOptions& options = {});

// Every failure in the same order (empty: the agent is acceptable), for /v2/queue.
std::vector<Result> AllFailures(const std::vector<Constraint>& constraints, const AgentView& agent,
                                const PlacementCounts& placed, const CheckOptions& options = {});

}  // namespace atl::constraints
