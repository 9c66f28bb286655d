// Where every app's instances are, for placement constraints (issue 5, reference/marathon.md
// §2.7): per app, constraints/ PlacementCounts kept up to date as instances are placed, moved,
// end or are forgotten, so checking an offer costs O(constraints), not O(instances); the agents
// seen in offers, so the scheduler can tell an app whose constraints no known agent can meet;
// and the scale-down choice that keeps GROUP_BY / MAX_PER spread (constraints::ProposeKills).
//
// An instance counts at its agent while it has an agent and is not terminal: staging, running,
// killing and unreachable instances all count, the way Marathon counts them, so a replacement
// never lands next to an instance that may come back.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "constraints/agent_view.h"
#include "constraints/check.h"
#include "constraints/constraint.h"
#include "constraints/placement_counts.h"
#include "core/model/info.h"
#include "marathonlike/app.h"
#include "marathonlike/instance.h"

namespace atl::marathonlike {

// InstanceView::agent_attributes keys of the agent's fault domain (no Mesos attribute name
// starts with '@').
inline constexpr char kRegionKey[] = "@region";
inline constexpr char kZoneKey[] = "@zone";

// What an instance keeps of its agent: attributes as Mesos prints them, plus @region/@zone.
std::map<std::string, std::string> AgentAttributesOf(const model::Offer& offer);

// One app's constraints, parsed, and the counts of its placed instances.
struct AppPlacement {
  std::vector<std::vector<std::string>> source;  // the app's constraints, as given
  std::vector<constraints::Constraint> parsed;   // one per source entry when readable
  // False when an entry does not parse (validation should have refused it): nothing is placed.
  bool readable = true;
  constraints::PlacementCounts counts{{}};
};

// Why no known agent can take one more instance of an app.
struct Unplaceable {
  int known_agents = 0;
  // Per constraint (index into the app's constraints; -1: unreadable constraints), how many
  // known agents it rejects first (CheckAll's order).
  std::map<int, int> rejected_by;
  std::string message;
};

class Placements {
 public:
  // The entry of `app`, built from `instances_of_app()` when there is none yet or the app's
  // constraints changed since. Callers may add hypothetical placements to its counts if they
  // take them back before anything else touches this object.
  AppPlacement& For(const AppDefinition& app,
                    absl::FunctionRef<std::vector<const InstanceView*>()> instances_of_app);

  // The entry of `app` if it is up to date (built, and for its current constraints), else null.
  const AppPlacement* Find(const AppDefinition& app) const;

  // Follows one instance after any change (placed, moved, ended, relaunched). Cheap for apps
  // without an entry (no constraints, or never matched since the start).
  void Update(const InstanceView& instance);
  // The instance is forgotten.
  void Remove(const InstanceView& instance);
  // Drops the entry of an app that no longer exists once nothing of it is counted.
  void DropIfEmpty(const PathId& app_id);

  // The agent behind `offer` as the checkers see it, remembered as a known agent.
  const constraints::AgentView& Offered(const model::Offer& offer);
  // The agent is gone (AGENT lost / removed): no longer known.
  void ForgetAgent(const std::string& agent_id);
  size_t known_agents() const { return known_.size(); }

  // Whether one more instance of the app can go to some known agent under its constraints
  // (resources aside); nullopt when one can, or when no agent is known yet.
  std::optional<Unplaceable> CheckPlaceable(const AppDefinition& app, const AppPlacement& placement,
                                            const constraints::CheckOptions& options = {}) const;

  // Scale-down: up to `count` ids among `candidates` (in killSelection order) to kill so the
  // rest keep GROUP_BY / MAX_PER spread: unplaced candidates first, then
  // constraints::ProposeKills over the placed ones. Empty without GROUP_BY / MAX_PER.
  static std::vector<InstanceId> ProposeKills(const AppPlacement& placement,
                                              const std::vector<InstanceView>& candidates,
                                              int count);

 private:
  // An agent's view, shared by the counts of every instance there.
  struct Agent {
    std::string agent_id;
    constraints::AgentView view;
  };
  struct Entry {
    AppPlacement placement;
    // Instances counted, and the agent each was counted at.
    absl::flat_hash_map<InstanceId, std::shared_ptr<const Agent>> counted;
  };
  std::shared_ptr<const Agent> AgentOf(const InstanceView& instance);
  void Uncount(Entry& entry, const InstanceId& id);

  std::map<PathId, Entry> apps_;
  // Interned agents of counted instances (erased when no count refers to them).
  std::map<std::string, std::shared_ptr<const Agent>> agents_;
  // Agents seen in offers, by agent id.
  std::map<std::string, constraints::AgentView> known_;
};

}  // namespace atl::marathonlike
