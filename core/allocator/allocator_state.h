// Internal state of HierarchicalAllocator (its State derives from AllocatorState; not part of
// the public interface): the books the
// allocator keeps per agent, framework, role and (framework, role), and the helpers that keep
// them consistent. allocator.cc handles the told facts; allocation_run.cc makes the decisions.
//
// Book-keeping invariants (checked by tests/allocator after every step):
//  - agent.available + sum(agent.allocations) == agent.total (unallocated forms);
//  - a FrameworkRole exists while its framework subscribes to the role or holds resources in it,
//    and is a client of role->sorter exactly that long;
//  - a Role is a client of the role sorter while it has a FrameworkRole;
//  - role->reserved / unreserved_allocated aggregate the role's subtree.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "core/allocator/allocator.h"
#include "core/allocator/decline_filters.h"
#include "core/allocator/drf_sorter.h"
#include "core/allocator/min_allocatable.h"
#include "core/allocator/quantities.h"
#include "core/base/random.h"

namespace atl::allocator {

struct Role;
struct Framework;
struct Agent;

// One role of one framework: the unit that receives offers.
struct FrameworkRole {
  Framework* framework = nullptr;
  Role* role = nullptr;
  uint32_t slot = 0;               // tag in role->sorter; index in AllocatorState::framework_roles
  DrfSorter::ClientId client = 0;  // in role->sorter
  bool subscribed = false;
  bool suppressed = false;
  bool sorter_active = false;  // mirrors role->sorter's activity for this client
  const MinAllocatable* min_allocatable = nullptr;  // own_min or AllocatorState::default_min
  std::optional<MinAllocatable> own_min;
  DeclineFilters filters;              // keyed by Agent::uid
  absl::flat_hash_set<Agent*> agents;  // where it holds resources in this role
};

struct Framework {
  model::FrameworkId id;
  model::FrameworkInfo info;
  // False for a placeholder created because an agent reported resources of a framework that
  // has not (re-)registered yet; it holds resources but receives nothing.
  bool known = false;
  bool active = false;
  bool gpu_capable = false;
  bool shared_capable = false;
  std::map<std::string, std::unique_ptr<FrameworkRole>> roles;  // by role name
};

struct Role {
  std::string path;
  Role* parent = nullptr;          // "eng" for "eng/web"; nullptr at the top
  uint32_t slot = 0;               // tag in the role sorter; index in AllocatorState::roles_by_slot
  DrfSorter::ClientId client = 0;  // in the role sorter, while it has frameworks
  int children = 0;                // Role objects whose parent is this one
  std::unique_ptr<DrfSorter> sorter;                        // its frameworks, flat
  std::map<model::FrameworkId, FrameworkRole*> frameworks;  // tracked ones
  int active_frameworks = 0;                                // sorter_active ones

  bool has_quota = false;
  Quota quota;
  Quantities guarantees;                           // kinds absent = no guarantee
  std::vector<std::pair<size_t, int64_t>> limits;  // (kind, milli)

  // The last conversion of an offer to this role's allocated form. model::Resources::
  // AllocatedTo re-normalizes item by item, and agents of one shape get the same conversion
  // over and over (see README "Performance").
  model::Resources last_offer;
  model::Resources last_offer_allocated;

  Quantities reserved_own;          // reservations to exactly this role, all agents
  Quantities reserved;              // ... to this role or a descendant
  Quantities unreserved_allocated;  // unreserved scalars allocated in the subtree

  // Consumed quota: all reservations of the subtree + unreserved resources allocated to it.
  Quantities Consumed() const {
    Quantities q = reserved;
    q.Add(unreserved_allocated);
    return q;
  }
};

// What one FrameworkRole holds on one agent, in unallocated form (the role is the owner's).
struct AgentAllocation {
  FrameworkRole* owner = nullptr;
  model::Resources resources;
};

struct Agent {
  model::AgentId id;
  uint64_t uid = 0;  // never reused; keys decline filters
  model::AgentInfo info;
  bool active = true;
  model::Resources total;
  model::Resources available;  // total minus allocations, unallocated form
  Quantities total_scalars;
  Quantities total_unreserved_scalars;
  bool has_gpus = false;
  bool has_reservations = false;
  bool has_shared = false;
  // One entry per holder; empty means available == total.
  absl::InlinedVector<AgentAllocation, 1> allocations;
  size_t position = 0;  // index in AllocatorState::agent_order

  AgentAllocation* Find(const FrameworkRole* owner);
  // Swap-removes an entry of `allocations`.
  void EraseAllocation(AgentAllocation* entry);
};

struct AllocatorState {
  explicit AllocatorState(Options opts);

  // ---- book-keeping helpers (allocator.cc) ----
  Role* GetOrCreateRole(const std::string& path);
  void MaybeDropRole(Role* role);
  Framework* GetOrCreateFramework(const model::FrameworkId& id);
  FrameworkRole* TrackRole(Framework* framework, const std::string& role);
  void MaybeUntrack(FrameworkRole* fr);
  void SyncActive(FrameworkRole* fr);
  void SetMinAllocatable(FrameworkRole* fr);
  void SetRoles(Framework* framework, const std::vector<std::string>& suppressed_roles);
  // Role that resources without allocation_role are charged to.
  std::string DefaultRole(const Framework& framework, const model::Resource& r) const;
  // `resources` split by allocation role, each part in unallocated form.
  std::map<std::string, model::Resources> ByRole(const Framework& framework,
                                                 const model::Resources& resources) const;

  // Fair-sharing view: excluded kinds zeroed.
  Quantities Fair(Quantities q);
  void SplitScalars(const model::Resources& resources, Quantities* all, Quantities* unreserved);
  // Moves `resources` (unallocated form, usable by fr's role) from agent.available to fr and
  // accounts them (sorters, quota consumption). `resources` may be agent.available itself:
  // the whole agent goes, without a copy. `unreserved` (optional) receives their unreserved
  // scalar quantities.
  void Charge(FrameworkRole* fr, Agent* agent, const model::Resources& resources,
              Quantities* unreserved = nullptr);
  // Gives back `resources` (unallocated form). REQUIRES: fr holds them on agent.
  void Release(FrameworkRole* fr, Agent* agent, const model::Resources& resources);
  void AddReservations(const model::Resources& resources, int sign);
  void AddTotal(const Quantities& scalars, int sign);
  void DropAgentFilters(uint64_t uid);

  // ---- one allocation run (allocation_run.cc) ----
  std::vector<Allocation> Run(Timestamp now, std::vector<Agent*> agents);

  Options options;
  Random rng;
  ResourceKinds kinds;
  std::vector<char> excluded;  // by kind: fair-sharing excluded
  MinAllocatable default_min;
  DrfSorter role_sorter{/*hierarchical=*/true};
  Quantities fair_total;  // what every sorter has as its total

  absl::flat_hash_map<model::FrameworkId, std::unique_ptr<Framework>> frameworks;
  absl::flat_hash_map<model::AgentId, std::unique_ptr<Agent>> agents;
  std::vector<Agent*> agent_order;  // insertion order (swap-removed): the pre-shuffle order
  uint64_t next_agent_uid = 1;

  absl::flat_hash_map<std::string, std::unique_ptr<Role>> roles;
  std::vector<Role*> roles_by_slot;
  std::vector<uint32_t> free_role_slots;
  std::vector<FrameworkRole*> framework_roles;  // by slot
  std::vector<uint32_t> free_framework_role_slots;
  std::map<std::string, double> weights;
  std::set<std::string> quota_roles;  // roles with a quota
  bool any_guarantee = false;

  uint64_t runs = 0;
  std::vector<Role*> role_order;  // scratch for Run
};

// The part of `want` that `have` contains (item-wise minimum / intersection).
model::Resources Intersection(const model::Resources& have, const model::Resources& want);

}  // namespace atl::allocator
