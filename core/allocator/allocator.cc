// HierarchicalAllocator: the told facts (frameworks, agents, recovered resources, weights,
// quota) and the book-keeping they imply. The decisions are in allocation_run.cc.
#include "core/allocator/allocator.h"

#include <algorithm>
#include <utility>

#include "core/allocator/allocator_state.h"
#include "core/base/check.h"

namespace atl::allocator {

// ---------------------------------------------------------------------------------------------
// Helpers of the internal state.

AgentAllocation* Agent::Find(const FrameworkRole* owner) {
  for (AgentAllocation& a : allocations) {
    if (a.owner == owner) return &a;
  }
  return nullptr;
}

void Agent::EraseAllocation(AgentAllocation* entry) {
  if (entry != &allocations.back()) *entry = std::move(allocations.back());
  allocations.pop_back();
}

model::Resources Intersection(const model::Resources& have, const model::Resources& want) {
  if (have.Contains(want)) return want;
  model::Resources out;
  for (const model::Resource& r : want.items()) {
    if (have.Contains(r)) {
      out.Add(r);
      continue;
    }
    if (r.IsPersistentVolume()) continue;  // indivisible: all or nothing
    for (const model::Resource& mine : have.items()) {
      if (!model::Combinable(mine, r)) continue;
      model::Resource part = r;
      switch (r.type) {
        case model::ValueType::kScalar:
          part.scalar = std::min(r.scalar, mine.scalar);
          break;
        case model::ValueType::kRanges: {
          model::Ranges missing = r.ranges;
          missing.Subtract(mine.ranges);
          part.ranges.Subtract(missing);
          break;
        }
        case model::ValueType::kSet: {
          std::vector<std::string> common;
          std::set_intersection(r.set.begin(), r.set.end(), mine.set.begin(), mine.set.end(),
                                std::back_inserter(common));
          part.set = std::move(common);
          break;
        }
        case model::ValueType::kText:
          break;
      }
      out.Add(part);
      break;
    }
  }
  return out;
}

AllocatorState::AllocatorState(Options opts)
    : options(std::move(opts)),
      rng(options.seed),
      default_min(options.min_allocatable_resources.empty()
                      ? MinAllocatable::Default()
                      : MinAllocatable::From(options.min_allocatable_resources)) {}

Quantities AllocatorState::Fair(Quantities q) {
  if (options.fair_sharing_excluded_resource_names.empty()) return q;
  while (excluded.size() < kinds.size()) {
    const std::string& name = kinds.Name(excluded.size());
    const auto& names = options.fair_sharing_excluded_resource_names;
    excluded.push_back(std::find(names.begin(), names.end(), name) != names.end());
  }
  for (size_t k = 0; k < q.size(); ++k) {
    if (excluded[k]) q.Set(k, 0);
  }
  return q;
}

void AllocatorState::SplitScalars(const model::Resources& resources, Quantities* all,
                                  Quantities* unreserved) {
  for (const model::Resource& r : resources.items()) {
    if (r.type != model::ValueType::kScalar) continue;
    const size_t k = kinds.Intern(r.name);
    all->AddTo(k, r.scalar.milli());
    if (!r.IsReserved()) unreserved->AddTo(k, r.scalar.milli());
  }
}

Role* AllocatorState::GetOrCreateRole(const std::string& path) {
  if (auto it = roles.find(path); it != roles.end()) return it->second.get();
  Role* parent = nullptr;
  if (size_t slash = path.rfind('/'); slash != std::string::npos) {
    parent = GetOrCreateRole(path.substr(0, slash));
    ++parent->children;
  }
  auto role = std::make_unique<Role>();
  role->path = path;
  role->parent = parent;
  role->sorter = std::make_unique<DrfSorter>(/*hierarchical=*/false);
  role->sorter->AddTotal(fair_total);
  if (free_role_slots.empty()) {
    role->slot = static_cast<uint32_t>(roles_by_slot.size());
    roles_by_slot.push_back(role.get());
  } else {
    role->slot = free_role_slots.back();
    free_role_slots.pop_back();
    roles_by_slot[role->slot] = role.get();
  }
  Role* out = role.get();
  roles[path] = std::move(role);
  return out;
}

void AllocatorState::MaybeDropRole(Role* role) {
  while (role != nullptr) {
    if (!role->frameworks.empty() || role->has_quota || role->children > 0 ||
        !role->reserved.IsZero() || !role->unreserved_allocated.IsZero()) {
      return;
    }
    Role* parent = role->parent;
    if (parent != nullptr) --parent->children;
    roles_by_slot[role->slot] = nullptr;
    free_role_slots.push_back(role->slot);
    const std::string path = role->path;  // the key must outlive the erased Role
    roles.erase(path);
    role = parent;
  }
}

Framework* AllocatorState::GetOrCreateFramework(const model::FrameworkId& id) {
  std::unique_ptr<Framework>& f = frameworks[id];
  if (f == nullptr) {
    f = std::make_unique<Framework>();
    f->id = id;
  }
  return f.get();
}

void AllocatorState::SetMinAllocatable(FrameworkRole* fr) {
  const auto& overrides = fr->framework->info.min_allocatable_resources;
  if (auto it = overrides.find(fr->role->path); it != overrides.end()) {
    fr->own_min = MinAllocatable::From(it->second);
    fr->min_allocatable = &*fr->own_min;
  } else {
    fr->own_min.reset();
    fr->min_allocatable = &default_min;
  }
}

FrameworkRole* AllocatorState::TrackRole(Framework* framework, const std::string& role_name) {
  std::unique_ptr<FrameworkRole>& slot = framework->roles[role_name];
  if (slot != nullptr) return slot.get();
  slot = std::make_unique<FrameworkRole>();
  FrameworkRole* fr = slot.get();
  fr->framework = framework;
  fr->role = GetOrCreateRole(role_name);
  if (free_framework_role_slots.empty()) {
    fr->slot = static_cast<uint32_t>(framework_roles.size());
    framework_roles.push_back(fr);
  } else {
    fr->slot = free_framework_role_slots.back();
    free_framework_role_slots.pop_back();
    framework_roles[fr->slot] = fr;
  }
  SetMinAllocatable(fr);
  Role* role = fr->role;
  fr->client = role->sorter->Add(framework->id.value(), fr->slot, /*active=*/false);
  if (role->frameworks.empty()) {
    role->client = role_sorter.Add(role->path, role->slot, /*active=*/false);
  }
  role->frameworks[framework->id] = fr;
  return fr;
}

void AllocatorState::SyncActive(FrameworkRole* fr) {
  const Framework& f = *fr->framework;
  const bool want = f.known && f.active && fr->subscribed && !fr->suppressed;
  if (want == fr->sorter_active) return;
  fr->sorter_active = want;
  Role* role = fr->role;
  if (want) {
    role->sorter->Activate(f.id.value());
    if (role->active_frameworks++ == 0) role_sorter.Activate(role->path);
  } else {
    role->sorter->Deactivate(f.id.value());
    if (--role->active_frameworks == 0) role_sorter.Deactivate(role->path);
  }
}

void AllocatorState::MaybeUntrack(FrameworkRole* fr) {
  if (fr->subscribed || !fr->agents.empty()) return;
  fr->suppressed = false;
  SyncActive(fr);  // deactivates: not subscribed
  Role* role = fr->role;
  Framework* framework = fr->framework;
  role->sorter->Remove(framework->id.value());
  role->frameworks.erase(framework->id);
  if (role->frameworks.empty()) role_sorter.Remove(role->path);
  framework_roles[fr->slot] = nullptr;
  free_framework_role_slots.push_back(fr->slot);
  framework->roles.erase(role->path);  // destroys fr
  MaybeDropRole(role);
}

void AllocatorState::SetRoles(Framework* framework,
                              const std::vector<std::string>& suppressed_roles) {
  const std::vector<std::string> wanted = framework->info.EffectiveRoles();
  std::vector<FrameworkRole*> leaving;
  for (auto& [name, fr] : framework->roles) {
    if (std::find(wanted.begin(), wanted.end(), name) == wanted.end()) leaving.push_back(fr.get());
  }
  for (FrameworkRole* fr : leaving) {
    fr->subscribed = false;
    SyncActive(fr);
    MaybeUntrack(fr);  // stays while it still holds resources in the role
  }
  for (const std::string& name : wanted) {
    FrameworkRole* fr = TrackRole(framework, name);
    fr->subscribed = true;
    const bool suppress =
        std::find(suppressed_roles.begin(), suppressed_roles.end(), name) != suppressed_roles.end();
    if (fr->suppressed && !suppress) fr->filters.Clear();
    fr->suppressed = suppress;
    SetMinAllocatable(fr);
    SyncActive(fr);
  }
}

std::string AllocatorState::DefaultRole(const Framework& framework,
                                        const model::Resource& r) const {
  if (r.allocation_role) return *r.allocation_role;
  if (r.IsReserved()) return r.ReservationRole();
  if (framework.known) {
    const std::vector<std::string> roles = framework.info.EffectiveRoles();
    if (!roles.empty()) return roles.front();
  }
  return "*";
}

std::map<std::string, model::Resources> AllocatorState::ByRole(
    const Framework& framework, const model::Resources& resources) const {
  std::map<std::string, model::Resources> out;
  for (const model::Resource& r : resources.items()) {
    const std::string role = DefaultRole(framework, r);
    model::Resource copy = r;
    copy.allocation_role.reset();
    out[role].Add(copy);
  }
  return out;
}

void AllocatorState::Charge(FrameworkRole* fr, Agent* agent, const model::Resources& resources,
                            Quantities* unreserved_out) {
  Role* role = fr->role;
  Quantities all;
  Quantities unreserved;
  if (&resources == &agent->available && agent->allocations.empty()) {
    // A whole, untouched agent: its quantities are known.
    all = agent->total_scalars;
    unreserved = agent->total_unreserved_scalars;
  } else {
    SplitScalars(resources, &all, &unreserved);
  }
  model::Resources taken;
  if (&resources == &agent->available) {
    taken = std::move(agent->available);
    agent->available = model::Resources();
  } else {
    agent->available.Subtract(resources);
    taken = resources;
  }
  if (AgentAllocation* held = agent->Find(fr); held != nullptr) {
    held->resources.Add(taken);
  } else {
    agent->allocations.push_back(AgentAllocation{fr, std::move(taken)});
    fr->agents.insert(agent);
  }
  const Quantities fair = Fair(std::move(all));
  role_sorter.Allocated(role->client, fair);
  role->sorter->Allocated(fr->client, fair);
  if (!unreserved.IsZero()) {
    for (Role* r = role; r != nullptr; r = r->parent) r->unreserved_allocated.Add(unreserved);
  }
  if (unreserved_out != nullptr) *unreserved_out = std::move(unreserved);
}

void AllocatorState::Release(FrameworkRole* fr, Agent* agent, const model::Resources& resources) {
  AgentAllocation* held = agent->Find(fr);
  ATOLL_CHECK(held != nullptr && held->resources.Contains(resources))
      << "releasing " << resources.ToString() << " not held on agent " << agent->id;
  held->resources.Subtract(resources);
  if (held->resources.empty()) {
    agent->EraseAllocation(held);
    fr->agents.erase(agent);
  }
  agent->available.Add(resources);
  Quantities all;
  Quantities unreserved;
  SplitScalars(resources, &all, &unreserved);
  const Quantities fair = Fair(std::move(all));
  Role* role = fr->role;
  role_sorter.Unallocated(role->client, fair);
  role->sorter->Unallocated(fr->client, fair);
  if (!unreserved.IsZero()) {
    for (Role* r = role; r != nullptr; r = r->parent) r->unreserved_allocated.Subtract(unreserved);
  }
}

void AllocatorState::AddReservations(const model::Resources& resources, int sign) {
  for (const model::Resource& r : resources.items()) {
    if (!r.IsReserved() || r.type != model::ValueType::kScalar) continue;
    const size_t k = kinds.Intern(r.name);
    const int64_t milli = sign * r.scalar.milli();
    Role* role = GetOrCreateRole(r.ReservationRole());
    role->reserved_own.AddTo(k, milli);
    for (Role* up = role; up != nullptr; up = up->parent) up->reserved.AddTo(k, milli);
    if (sign < 0) MaybeDropRole(role);
  }
}

void AllocatorState::AddTotal(const Quantities& scalars, int sign) {
  const Quantities fair = Fair(scalars);
  if (fair.IsZero()) return;
  if (sign > 0) {
    fair_total.Add(fair);
    role_sorter.AddTotal(fair);
    for (auto& [path, role] : roles) role->sorter->AddTotal(fair);
  } else {
    fair_total.Subtract(fair);
    role_sorter.RemoveTotal(fair);
    for (auto& [path, role] : roles) role->sorter->RemoveTotal(fair);
  }
}

void AllocatorState::DropAgentFilters(uint64_t uid) {
  for (auto& [id, framework] : frameworks) {
    for (auto& [name, fr] : framework->roles) fr->filters.EraseAgent(uid);
  }
}

// ---------------------------------------------------------------------------------------------
// HierarchicalAllocator.

struct HierarchicalAllocator::State : AllocatorState {
  using AllocatorState::AllocatorState;
};

HierarchicalAllocator::HierarchicalAllocator(Options options)
    : state_(std::make_unique<State>(std::move(options))) {}

HierarchicalAllocator::~HierarchicalAllocator() = default;

void HierarchicalAllocator::AddFramework(const model::FrameworkId& id,
                                         const model::FrameworkInfo& info,
                                         const std::vector<std::string>& suppressed_roles,
                                         bool active) {
  Framework* f = state_->GetOrCreateFramework(id);
  ATOLL_CHECK(!f->known) << "framework " << id << " added twice";
  f->known = true;
  f->info = info;
  f->active = active;
  f->gpu_capable = info.HasCapability(model::FrameworkCapability::kGpuResources);
  f->shared_capable = info.HasCapability(model::FrameworkCapability::kSharedResources);
  state_->SetRoles(f, suppressed_roles);
}

void HierarchicalAllocator::UpdateFramework(const model::FrameworkId& id,
                                            const model::FrameworkInfo& info,
                                            const std::vector<std::string>& suppressed_roles) {
  auto it = state_->frameworks.find(id);
  if (it == state_->frameworks.end() || !it->second->known) return;
  Framework* f = it->second.get();
  f->info = info;
  f->gpu_capable = info.HasCapability(model::FrameworkCapability::kGpuResources);
  f->shared_capable = info.HasCapability(model::FrameworkCapability::kSharedResources);
  state_->SetRoles(f, suppressed_roles);
}

void HierarchicalAllocator::ActivateFramework(const model::FrameworkId& id) {
  auto it = state_->frameworks.find(id);
  if (it == state_->frameworks.end() || !it->second->known) return;
  Framework* f = it->second.get();
  f->active = true;
  for (auto& [name, fr] : f->roles) state_->SyncActive(fr.get());
}

void HierarchicalAllocator::DeactivateFramework(const model::FrameworkId& id) {
  auto it = state_->frameworks.find(id);
  if (it == state_->frameworks.end()) return;
  Framework* f = it->second.get();
  f->active = false;
  for (auto& [name, fr] : f->roles) {
    // As Mesos: a framework that comes back starts without filters.
    fr->filters.Clear();
    state_->SyncActive(fr.get());
  }
}

void HierarchicalAllocator::RemoveFramework(const model::FrameworkId& id) {
  auto it = state_->frameworks.find(id);
  if (it == state_->frameworks.end()) return;
  Framework* f = it->second.get();
  std::vector<FrameworkRole*> frs;
  for (auto& [name, fr] : f->roles) frs.push_back(fr.get());
  for (FrameworkRole* fr : frs) {
    std::vector<Agent*> holding(fr->agents.begin(), fr->agents.end());
    for (Agent* agent : holding) {
      const model::Resources held = agent->Find(fr)->resources;
      state_->Release(fr, agent, held);
    }
    fr->subscribed = false;
    state_->MaybeUntrack(fr);
  }
  ATOLL_CHECK(f->roles.empty()) << "framework " << id << " still tracked after removal";
  state_->frameworks.erase(it);
}

void HierarchicalAllocator::AddAgent(
    const model::AgentId& id, const model::AgentInfo& info, const model::Resources& total,
    const absl::flat_hash_map<model::FrameworkId, model::Resources>& used) {
  State& s = *state_;
  std::unique_ptr<Agent>& slot = s.agents[id];
  ATOLL_CHECK(slot == nullptr) << "agent " << id << " added twice";
  slot = std::make_unique<Agent>();
  Agent* agent = slot.get();
  agent->id = id;
  agent->uid = s.next_agent_uid++;
  agent->info = info;
  agent->total = total.Unallocated();
  agent->available = agent->total;
  agent->total_scalars = ScalarsOf(agent->total, &s.kinds);
  agent->total_unreserved_scalars = ScalarsOf(agent->total.Unreserved(), &s.kinds);
  agent->has_gpus = agent->total.GetScalar("gpus") > model::Scalar::Zero();
  agent->has_reservations = !agent->total.Reserved().empty();
  agent->has_shared = std::any_of(agent->total.items().begin(), agent->total.items().end(),
                                  [](const model::Resource& r) { return r.shared; });
  agent->position = s.agent_order.size();
  s.agent_order.push_back(agent);
  s.AddTotal(agent->total_scalars, +1);
  s.AddReservations(agent->total, +1);

  // Sorted by framework id, so clamping of an over-committed report is deterministic.
  std::vector<std::pair<model::FrameworkId, const model::Resources*>> holders;
  for (const auto& [fid, resources] : used) holders.emplace_back(fid, &resources);
  std::sort(holders.begin(), holders.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [fid, resources] : holders) {
    Framework* f = s.GetOrCreateFramework(fid);
    for (const auto& [role, part] : s.ByRole(*f, *resources)) {
      const model::Resources take = Intersection(agent->available, part);
      if (take.empty()) continue;
      FrameworkRole* fr = s.TrackRole(f, role);
      s.Charge(fr, agent, take);
      s.SyncActive(fr);
    }
  }
}

void HierarchicalAllocator::RemoveAgent(const model::AgentId& id) {
  State& s = *state_;
  auto it = s.agents.find(id);
  if (it == s.agents.end()) return;
  Agent* agent = it->second.get();
  while (!agent->allocations.empty()) {
    FrameworkRole* fr = agent->allocations.back().owner;
    const model::Resources held = agent->allocations.back().resources;
    s.Release(fr, agent, held);
    s.MaybeUntrack(fr);
  }
  s.AddTotal(agent->total_scalars, -1);
  s.AddReservations(agent->total, -1);
  s.DropAgentFilters(agent->uid);
  Agent* last = s.agent_order.back();
  s.agent_order[agent->position] = last;
  last->position = agent->position;
  s.agent_order.pop_back();
  s.agents.erase(it);
}

void HierarchicalAllocator::ActivateAgent(const model::AgentId& id) {
  if (auto it = state_->agents.find(id); it != state_->agents.end()) it->second->active = true;
}

void HierarchicalAllocator::DeactivateAgent(const model::AgentId& id) {
  if (auto it = state_->agents.find(id); it != state_->agents.end()) it->second->active = false;
}

void HierarchicalAllocator::RecoverResources(const model::FrameworkId& framework,
                                             const model::AgentId& agent_id,
                                             const model::Resources& resources,
                                             std::optional<Duration> refuse, Timestamp now) {
  State& s = *state_;
  auto fit = s.frameworks.find(framework);
  auto ait = s.agents.find(agent_id);
  if (fit == s.frameworks.end() || ait == s.agents.end()) return;
  Framework* f = fit->second.get();
  Agent* agent = ait->second.get();
  for (const auto& [role, part] : s.ByRole(*f, resources)) {
    auto frit = f->roles.find(role);
    if (frit == f->roles.end()) continue;
    FrameworkRole* fr = frit->second.get();
    const AgentAllocation* held = agent->Find(fr);
    if (held == nullptr) continue;
    // Only what is actually held comes back (a late or duplicate recovery is harmless).
    const model::Resources back = Intersection(held->resources, part);
    if (!back.empty()) s.Release(fr, agent, back);
    if (refuse.has_value()) {
      if (auto expires = DeclineFilterExpiry(*refuse, s.options.allocation_interval, now)) {
        fr->filters.Add(agent->uid, part, *expires);
      }
    }
    s.MaybeUntrack(fr);
  }
}

void HierarchicalAllocator::UpdateAllocation(const model::FrameworkId& framework,
                                             const model::AgentId& agent_id,
                                             const model::Resources& from,
                                             const model::Resources& to) {
  State& s = *state_;
  auto fit = s.frameworks.find(framework);
  auto ait = s.agents.find(agent_id);
  if (fit == s.frameworks.end() || ait == s.agents.end()) return;
  Framework* f = fit->second.get();
  Agent* agent = ait->second.get();
  const auto from_by_role = s.ByRole(*f, from);
  const auto to_by_role = s.ByRole(*f, to);
  for (const auto& [role, part] : from_by_role) {
    auto frit = f->roles.find(role);
    ATOLL_CHECK(frit != f->roles.end())
        << "UpdateAllocation: framework " << framework << " holds nothing in role " << role;
    const AgentAllocation* held = agent->Find(frit->second.get());
    ATOLL_CHECK(held != nullptr && held->resources.Contains(part))
        << "UpdateAllocation: " << part.ToString() << " is not allocated to " << framework << " on "
        << agent_id;
  }
  // The agent's total changes shape (reserved/unreserved, volume/plain disk).
  s.AddReservations(agent->total, -1);
  s.AddTotal(agent->total_scalars, -1);
  agent->total.Subtract(from.Unallocated());
  agent->total.Add(to.Unallocated());
  agent->total_scalars = ScalarsOf(agent->total, &s.kinds);
  agent->total_unreserved_scalars = ScalarsOf(agent->total.Unreserved(), &s.kinds);
  agent->has_reservations = !agent->total.Reserved().empty();
  agent->has_shared = std::any_of(agent->total.items().begin(), agent->total.items().end(),
                                  [](const model::Resource& r) { return r.shared; });
  s.AddTotal(agent->total_scalars, +1);
  s.AddReservations(agent->total, +1);

  // The framework's allocation changes the same way; `available` does not move.
  std::set<std::string> roles;
  for (const auto& [role, part] : from_by_role) roles.insert(role);
  for (const auto& [role, part] : to_by_role) roles.insert(role);
  for (const std::string& role : roles) {
    FrameworkRole* fr = s.TrackRole(f, role);
    const model::Resources none;
    auto fi = from_by_role.find(role);
    auto ti = to_by_role.find(role);
    const model::Resources& old_part = fi == from_by_role.end() ? none : fi->second;
    const model::Resources& new_part = ti == to_by_role.end() ? none : ti->second;
    AgentAllocation* held = agent->Find(fr);
    if (held == nullptr) {
      agent->allocations.push_back(AgentAllocation{fr, {}});
      fr->agents.insert(agent);
      held = &agent->allocations.back();
    }
    held->resources.Subtract(old_part);
    held->resources.Add(new_part);
    Quantities old_all, old_unreserved, new_all, new_unreserved;
    s.SplitScalars(old_part, &old_all, &old_unreserved);
    s.SplitScalars(new_part, &new_all, &new_unreserved);
    const Quantities old_fair = s.Fair(old_all);
    const Quantities new_fair = s.Fair(new_all);
    s.role_sorter.Update(fr->role->client, old_fair, new_fair);
    fr->role->sorter->Update(fr->client, old_fair, new_fair);
    for (Role* r = fr->role; r != nullptr; r = r->parent) {
      r->unreserved_allocated.Subtract(old_unreserved);
      r->unreserved_allocated.Add(new_unreserved);
    }
    if (held->resources.empty()) {
      agent->EraseAllocation(held);
      fr->agents.erase(agent);
    }
    s.MaybeUntrack(fr);
  }
}

namespace {
// Calls fn(role state) for each subscribed role of `framework` named in `roles` (all if empty).
template <typename Frameworks, typename Fn>
void ForEachNamedRole(Frameworks& frameworks, const model::FrameworkId& framework,
                      const std::vector<std::string>& roles, Fn fn) {
  auto it = frameworks.find(framework);
  if (it == frameworks.end()) return;
  for (auto& [name, fr] : it->second->roles) {
    if (!fr->subscribed) continue;
    if (!roles.empty() && std::find(roles.begin(), roles.end(), name) == roles.end()) continue;
    fn(*fr);
  }
}
}  // namespace

void HierarchicalAllocator::Revive(const model::FrameworkId& framework,
                                   const std::vector<std::string>& roles) {
  ForEachNamedRole(state_->frameworks, framework, roles, [&](auto& fr) {
    fr.filters.Clear();
    fr.suppressed = false;
    state_->SyncActive(&fr);
  });
}

void HierarchicalAllocator::Suppress(const model::FrameworkId& framework,
                                     const std::vector<std::string>& roles) {
  ForEachNamedRole(state_->frameworks, framework, roles, [&](auto& fr) {
    fr.suppressed = true;
    state_->SyncActive(&fr);
  });
}

void HierarchicalAllocator::UpdateWeights(const std::map<std::string, double>& weights) {
  for (const auto& [role, weight] : weights) {
    if (!(weight > 0)) continue;  // the master validates; never trust a bad weight
    state_->weights[role] = weight;
    state_->role_sorter.UpdateWeight(role, weight);
  }
}

void HierarchicalAllocator::UpdateQuota(const std::string& role_name, const Quota& quota) {
  State& s = *state_;
  Role* role = s.GetOrCreateRole(role_name);
  role->quota = quota;
  role->has_quota = !quota.guarantees.empty() || !quota.limits.empty();
  role->guarantees = ScalarsOf(quota.guarantees, &s.kinds);
  role->limits.clear();
  for (const model::Resource& r : quota.limits.items()) {
    if (r.type != model::ValueType::kScalar) continue;
    role->limits.emplace_back(s.kinds.Intern(r.name), r.scalar.milli());
  }
  if (role->has_quota) {
    s.quota_roles.insert(role_name);
  } else {
    s.quota_roles.erase(role_name);
  }
  s.any_guarantee = false;
  for (const std::string& q : s.quota_roles) {
    if (s.roles.at(q)->guarantees.AnyPositive()) s.any_guarantee = true;
  }
  s.MaybeDropRole(role);
}

std::vector<Allocation> HierarchicalAllocator::Allocate(Timestamp now) {
  std::vector<Agent*> agents;
  agents.reserve(state_->agent_order.size());
  for (Agent* agent : state_->agent_order) {
    if (agent->active && !agent->available.empty()) agents.push_back(agent);
  }
  return state_->Run(now, std::move(agents));
}

std::vector<Allocation> HierarchicalAllocator::Allocate(Timestamp now,
                                                        const std::vector<model::AgentId>& ids) {
  std::vector<Agent*> agents;
  absl::flat_hash_set<Agent*> seen;
  for (const model::AgentId& id : ids) {
    auto it = state_->agents.find(id);
    if (it == state_->agents.end()) continue;
    Agent* agent = it->second.get();
    if (agent->active && !agent->available.empty() && seen.insert(agent).second) {
      agents.push_back(agent);
    }
  }
  return state_->Run(now, std::move(agents));
}

std::vector<RoleSummary> HierarchicalAllocator::Roles() const {
  const State& s = *state_;
  std::map<std::string, RoleSummary> out;
  auto entry = [&](const std::string& role) -> RoleSummary& {
    RoleSummary& summary = out[role];
    summary.role = role;
    return summary;
  };
  for (const auto& [role, weight] : s.weights) entry(role);
  for (const auto& [path, role] : s.roles) {
    if (role->frameworks.empty() && !role->has_quota && role->reserved_own.IsZero()) continue;
    RoleSummary& summary = entry(path);
    for (const auto& [fid, fr] : role->frameworks) summary.frameworks.push_back(fid);
    summary.quota = role->quota;
  }
  for (const Agent* agent : s.agent_order) {
    for (const model::Resource& r : agent->total.items()) {
      if (r.IsReserved()) entry(r.ReservationRole()).reserved.Add(model::Resources{r}.Flatten());
    }
    for (const AgentAllocation& held : agent->allocations) {
      entry(held.owner->role->path).allocated.Add(held.resources.Flatten());
    }
  }
  std::vector<RoleSummary> summaries;
  for (auto& [path, summary] : out) {
    if (auto w = s.weights.find(path); w != s.weights.end()) summary.weight = w->second;
    if (auto r = s.roles.find(path); r != s.roles.end()) {
      summary.consumed_quota = ToResources(r->second->Consumed(), s.kinds);
    }
    summaries.push_back(std::move(summary));
  }
  return summaries;
}

model::Resources HierarchicalAllocator::Available(const model::AgentId& agent) const {
  auto it = state_->agents.find(agent);
  return it == state_->agents.end() ? model::Resources() : it->second->available;
}

model::Resources HierarchicalAllocator::AllocatedTo(const model::FrameworkId& framework,
                                                    const model::AgentId& agent) const {
  model::Resources out;
  auto it = state_->agents.find(agent);
  if (it == state_->agents.end()) return out;
  for (const AgentAllocation& held : it->second->allocations) {
    if (held.owner->framework->id == framework) {
      out.Add(held.resources.AllocatedTo(held.owner->role->path));
    }
  }
  return out;
}

model::Resources HierarchicalAllocator::ClusterTotal() const {
  model::Resources out;
  for (const Agent* agent : state_->agent_order) {
    if (agent->active) out.Add(agent->total.Flatten());
  }
  return out;
}

uint64_t HierarchicalAllocator::allocation_runs() const { return state_->runs; }

}  // namespace atl::allocator
