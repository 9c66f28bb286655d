// The hierarchical DRF allocator: told facts by the master (agents, frameworks, what is used,
// what comes back), it decides which (framework, role) gets which agent's free resources.
// Pure and synchronous: no clock (time is a parameter), no I/O, seeded randomness only.
//
// Accounting: resources handed out by Allocate() (offers) and resources of running tasks both
// count as "allocated" to (framework, role, agent) until the master gives them back through
// RecoverResources(). DRF shares and quota consumption are computed from that.
//
// Safety invariants (checked by tests/sim after every event):
//  - per agent, allocated <= total (no over-commit), and a resource is allocated once;
//  - a suppressed role or an inactive framework receives nothing;
//  - unreserved scalars allocated to a role never push its consumption above its quota limit.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/base/time.h"
#include "core/model/info.h"

namespace atl::allocator {

struct Options {
  // Batch allocation period; also the minimum lifetime of a decline filter.
  Duration allocation_interval = Duration::Seconds(1);
  // An offer must contain at least one of these quantity sets (OR of ANDs).
  // Default as Mesos: cpus:0.01 | mem:32.
  std::vector<model::Resources> min_allocatable_resources;
  // Resource names ignored by DRF shares.
  std::vector<std::string> fair_sharing_excluded_resource_names;
  // Seed for the agent shuffle of each run (replayable).
  uint64_t seed = 1;
};

struct Quota {
  model::Resources guarantees;  // scalar quantities; empty = none
  model::Resources limits;      // scalar quantities; a name absent = no limit
  bool operator==(const Quota&) const = default;
};

struct Allocation {
  model::FrameworkId framework_id;
  std::string role;
  model::AgentId agent_id;
  model::Resources resources;  // allocation_role set to `role`
  bool operator==(const Allocation&) const = default;
};

// What /master/roles and metrics show for one role.
struct RoleSummary {
  std::string role;
  double weight = 1.0;
  model::Resources allocated;  // flattened quantities, offers included
  model::Resources reserved;   // flattened quantities
  Quota quota;
  model::Resources consumed_quota;
  std::vector<model::FrameworkId> frameworks;
};

class HierarchicalAllocator {
 public:
  explicit HierarchicalAllocator(Options options);
  ~HierarchicalAllocator();
  HierarchicalAllocator(const HierarchicalAllocator&) = delete;
  HierarchicalAllocator& operator=(const HierarchicalAllocator&) = delete;

  // ---- frameworks ----
  // Resources the framework already holds (e.g. after a master failover) come in through
  // AddAgent's `used`, possibly before the framework itself. REQUIRES: framework not yet added.
  void AddFramework(const model::FrameworkId& id, const model::FrameworkInfo& info,
                    const std::vector<std::string>& suppressed_roles, bool active);
  // Roles, suppression, min_allocatable may change. Filters of roles leaving the suppressed
  // set are cleared.
  void UpdateFramework(const model::FrameworkId& id, const model::FrameworkInfo& info,
                       const std::vector<std::string>& suppressed_roles);
  void ActivateFramework(const model::FrameworkId& id);
  void DeactivateFramework(const model::FrameworkId& id);
  // Releases everything the framework holds.
  void RemoveFramework(const model::FrameworkId& id);

  // ---- agents ----
  // `used`: what frameworks already use on it (re-registration), keyed by framework.
  void AddAgent(const model::AgentId& id, const model::AgentInfo& info,
                const model::Resources& total,
                const absl::flat_hash_map<model::FrameworkId, model::Resources>& used);
  void RemoveAgent(const model::AgentId& id);
  // An inactive agent (unreachable, draining) is skipped by Allocate().
  void ActivateAgent(const model::AgentId& id);
  void DeactivateAgent(const model::AgentId& id);

  // ---- resources ----
  // Gives back resources allocated to `framework` on `agent` (declined or rescinded offers,
  // finished tasks). With `refuse`, installs a decline filter for (framework, role, agent)
  // that hides this agent from the role while the refused set contains what would be offered,
  // for max(refuse, allocation interval) (capped at 365 days). Unknown framework/agent: no-op.
  void RecoverResources(const model::FrameworkId& framework, const model::AgentId& agent,
                        const model::Resources& resources, std::optional<Duration> refuse,
                        Timestamp now);
  // An accepted RESERVE/UNRESERVE/CREATE/DESTROY turned `from` (allocated to `framework` on
  // `agent`) into `to`: both the allocation and the agent's total change.
  // REQUIRES: `from` is allocated to `framework` on `agent`.
  void UpdateAllocation(const model::FrameworkId& framework, const model::AgentId& agent,
                        const model::Resources& from, const model::Resources& to);

  // REVIVE: un-suppress `roles` (all of the framework's roles if empty) and clear their filters.
  void Revive(const model::FrameworkId& framework, const std::vector<std::string>& roles);
  // SUPPRESS: stop offering to `roles` (all if empty). Outstanding offers are not rescinded.
  void Suppress(const model::FrameworkId& framework, const std::vector<std::string>& roles);

  // ---- roles ----
  void UpdateWeights(const std::map<std::string, double>& weights);
  // Replaces the quota of `role` (an empty Quota removes it).
  void UpdateQuota(const std::string& role, const Quota& quota);

  // ---- allocation ----
  // One allocation run over all active agents (or only `agents` when given), in the two stages
  // of reference/mesos.md §6.3. The returned allocations are already accounted as allocated.
  std::vector<Allocation> Allocate(Timestamp now);
  std::vector<Allocation> Allocate(Timestamp now, const std::vector<model::AgentId>& agents);

  // ---- introspection ----
  std::vector<RoleSummary> Roles() const;
  // Free (unallocated) resources of an agent; empty if unknown.
  model::Resources Available(const model::AgentId& agent) const;
  // What `framework` holds on `agent` (offers and tasks).
  model::Resources AllocatedTo(const model::FrameworkId& framework,
                               const model::AgentId& agent) const;
  // Total resources of active agents (flattened quantities).
  model::Resources ClusterTotal() const;
  uint64_t allocation_runs() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace atl::allocator
