// One allocation run (reference/mesos.md §6.3): shuffle the agents, then
//   STAGE 1 (only when some role has a quota guarantee): roles with unmet guarantees, their
//           unreserved scalars chopped to the unmet guarantee;
//   STAGE 2: every role, unreserved scalars capped by quota limits and by the headroom that
//           must stay free for other roles' unmet guarantees.
// Per agent, roles are visited in role-sorter order and, per role, frameworks in that role's
// sorter order; the first eligible framework receives everything the role may take there.
#include <algorithm>
#include <utility>

#include "core/allocator/allocator_state.h"
#include "core/base/check.h"

namespace atl::allocator {

namespace {

enum class Stage { kGuarantees, kAll };

// The nearest role, from `role` up, with a quota guarantee: its guarantee covers `role`.
Role* GuaranteeRole(Role* role) {
  for (Role* r = role; r != nullptr; r = r->parent) {
    if (r->has_quota && r->guarantees.AnyPositive()) return r;
  }
  return nullptr;
}

// max(0, guarantee - consumed), by kind.
Quantities Unmet(const Role& role) {
  const Quantities consumed = role.Consumed();
  Quantities out;
  for (size_t k = 0; k < role.guarantees.size(); ++k) {
    const int64_t missing = role.guarantees.Get(k) - consumed.Get(k);
    if (missing > 0) out.Set(k, missing);
  }
  return out;
}

bool HasUnmetGuarantee(Role* role) {
  Role* g = GuaranteeRole(role);
  return g != nullptr && Unmet(*g).AnyPositive();
}

class AllocationRun {
 public:
  AllocationRun(AllocatorState& state, Timestamp now) : s_(state), now_(now) {}

  // Headroom is kept only while some role has a guarantee: available = unallocated
  // unreserved scalars of active agents, required = sum of unmet top guarantees.
  void StartHeadroom() {
    headroom_active_ = true;
    for (const Agent* agent : s_.agent_order) {
      if (!agent->active) continue;
      for (const model::Resource& r : agent->available.items()) {
        if (r.type == model::ValueType::kScalar && !r.IsReserved()) {
          headroom_available_.AddTo(s_.kinds.Intern(r.name), r.scalar.milli());
        }
      }
    }
  }

  void RunStage(Stage stage, const std::vector<Agent*>& agents) {
    constexpr size_t kNone = ~size_t{0};
    out_.reserve(out_.size() + agents.size());
    for (Agent* agent : agents) {
      if (agent->available.empty()) continue;
      // Roles are ordered once per agent (as Mesos does). The walk stops at the first role
      // that takes the whole agent; otherwise it records the rest of the order before
      // anything changes, and the remaining roles are served from that snapshot.
      s_.role_order.clear();
      size_t first = kNone;
      s_.role_sorter.ForEachActive([&](const std::string&, uint32_t tag) {
        s_.role_order.push_back(s_.roles_by_slot[tag]);
        if (first != kNone) return true;
        if (!Consider(stage, s_.role_order.back(), agent, &candidate_)) return true;
        first = s_.role_order.size() - 1;
        return candidate_.granted != &agent->available;
      });
      if (first == kNone) continue;
      Grant(stage, agent, candidate_);
      for (size_t i = first + 1; i < s_.role_order.size(); ++i) {
        if (agent->available.empty()) break;
        if (Consider(stage, s_.role_order[i], agent, &candidate_)) {
          Grant(stage, agent, candidate_);
        }
      }
    }
  }

  std::vector<Allocation> Take() { return std::move(out_); }

 private:
  // One role's decision on one agent, made before anything changes.
  struct Candidate {
    FrameworkRole* fr = nullptr;
    model::Resources offer;     // used unless the offer is the agent's whole availability
    model::Resources unshared;  // the offer without shared resources
    const model::Resources* granted = nullptr;  // &agent->available, &offer or &unshared
  };

  // Whether a framework of `role` takes something on `agent`, and what. Changes nothing.
  bool Consider(Stage stage, Role* role, Agent* agent, Candidate* c) {
    if (stage == Stage::kGuarantees && !HasUnmetGuarantee(role)) return false;
    // Unreserved plus what is reserved to the role or an ancestor; other reservations are
    // invisible to it.
    const model::Resources* offer = &agent->available;
    if (agent->has_reservations) {
      c->offer = agent->available.AllocatableTo(role->path);
      offer = &c->offer;
    }
    if (!s_.quota_roles.empty()) {
      if (offer == &agent->available) c->offer = agent->available;
      CapByQuota(stage, role, &c->offer);
      offer = &c->offer;
    }
    if (offer->empty()) return false;
    c->fr = Pick(role, agent, *offer, c);
    return c->fr != nullptr;
  }

  // Hands the candidate's resources to its framework. Afterwards nothing the role may take is
  // left on the agent (quota caps are used up too), so the role's other frameworks need not
  // be asked.
  void Grant(Stage stage, Agent* agent, const Candidate& c) {
    Role* role = c.fr->role;
    // Item-wise comparison: cheap, and an order difference only costs a conversion.
    if (c.granted->items() != role->last_offer.items()) {
      role->last_offer = *c.granted;
      role->last_offer_allocated = c.granted->AllocatedTo(role->path);
    }
    model::Resources allocated = role->last_offer_allocated;
    Quantities unreserved;
    s_.Charge(c.fr, agent, *c.granted, &unreserved);
    if (headroom_active_) {
      headroom_available_.Subtract(unreserved);
      required_stale_ = true;
    }
    Emit(stage, c.fr, agent, std::move(allocated));
  }

  // The first framework of `role`, in sorter order, that may receive `offer` on `agent`;
  // sets c->granted. Policies, cheapest first: capabilities, min_allocatable, decline filters.
  FrameworkRole* Pick(Role* role, Agent* agent, const model::Resources& offer, Candidate* c) {
    FrameworkRole* chosen = nullptr;
    bool have_unshared = false;
    // Most frameworks share the default minimum: remember its verdict for this offer.
    const MinAllocatable* known_min = nullptr;
    bool known_ok = false;
    role->sorter->ForEachActive([&](const std::string&, uint32_t tag) {
      FrameworkRole* fr = s_.framework_roles[tag];
      const Framework& f = *fr->framework;
      // GPU agents are for GPU-aware frameworks only (Mesos's --filter_gpu_resources).
      if (agent->has_gpus && !f.gpu_capable) return true;
      const model::Resources* candidate = &offer;
      if (agent->has_shared && !f.shared_capable) {
        if (!have_unshared) {
          c->unshared = offer.Filter([](const model::Resource& r) { return !r.shared; });
          have_unshared = true;
        }
        candidate = &c->unshared;
      }
      bool ok;
      if (candidate == &offer && fr->min_allocatable == known_min) {
        ok = known_ok;
      } else {
        ok = fr->min_allocatable->SatisfiedBy(*candidate);
        if (candidate == &offer) {
          known_min = fr->min_allocatable;
          known_ok = ok;
        }
      }
      if (!ok) return true;
      if (!fr->filters.empty() && fr->filters.Hides(agent->uid, *candidate, now_)) return true;
      chosen = fr;
      c->granted = candidate;
      return false;
    });
    return chosen;
  }

  const Quantities& Required() {
    if (required_stale_) {
      required_.Clear();
      for (const std::string& name : s_.quota_roles) {
        Role* role = s_.roles.at(name).get();
        // Nested guarantees are covered by their top guarantee.
        if (GuaranteeRole(role) != role || (role->parent && GuaranteeRole(role->parent))) {
          continue;
        }
        required_.Add(Unmet(*role));
      }
      required_stale_ = false;
    }
    return required_;
  }

  // Chops the offer's unreserved scalars to the quota limits of the role and its ancestors
  // and, while guarantees exist, to the headroom (stage 1: to the unmet guarantee for the
  // guaranteed kinds). Reserved resources and non-scalars are never chopped.
  void CapByQuota(Stage stage, Role* role, model::Resources* offer) {
    const size_t n = s_.kinds.size();
    cap_.assign(n, Quantities::kUnlimited);
    bool capped = false;
    for (Role* q = role; q != nullptr; q = q->parent) {
      if (q->limits.empty()) continue;
      const Quantities consumed = q->Consumed();
      for (const auto& [kind, limit] : q->limits) {
        cap_[kind] = std::min(cap_[kind], std::max<int64_t>(0, limit - consumed.Get(kind)));
      }
      capped = true;
    }
    if (headroom_active_) {
      Role* g = GuaranteeRole(role);
      const Quantities unmet = g != nullptr ? Unmet(*g) : Quantities();
      const Quantities& required = Required();
      for (size_t k = 0; k < n; ++k) {
        const int64_t surplus = headroom_available_.Get(k) - required.Get(k);
        if (stage == Stage::kGuarantees && g->guarantees.Get(k) > 0) {
          cap_[k] = std::min(cap_[k], unmet.Get(k));
        } else {
          // What the role takes within its own unmet guarantee eats no one else's headroom.
          cap_[k] = std::min(cap_[k], std::max<int64_t>(0, surplus + unmet.Get(k)));
        }
      }
      capped = true;
    }
    if (!capped) return;
    model::Resources chopped;
    for (model::Resource r : offer->items()) {
      if (r.type == model::ValueType::kScalar && !r.IsReserved()) {
        const size_t k = s_.kinds.Intern(r.name);
        const int64_t allowed = k < n ? std::min(r.scalar.milli(), cap_[k]) : r.scalar.milli();
        if (k < n) cap_[k] -= allowed;
        if (allowed <= 0) continue;
        r.scalar = model::Scalar::FromMilli(allowed);
      }
      chopped.Add(r);
    }
    *offer = std::move(chopped);
  }

  void Emit(Stage stage, FrameworkRole* fr, Agent* agent, model::Resources allocated) {
    // Stage 2 may add to what stage 1 gave the same (framework, role, agent): one offer.
    if (stage == Stage::kGuarantees || !index_.empty()) {
      auto it = index_.find({fr, agent});
      if (it != index_.end()) {
        out_[it->second].resources.Add(allocated);
        return;
      }
      if (stage == Stage::kGuarantees) index_[{fr, agent}] = out_.size();
    }
    out_.push_back(Allocation{fr->framework->id, fr->role->path, agent->id, std::move(allocated)});
  }

  AllocatorState& s_;
  const Timestamp now_;
  std::vector<Allocation> out_;
  absl::flat_hash_map<std::pair<FrameworkRole*, Agent*>, size_t> index_;
  bool headroom_active_ = false;
  Quantities headroom_available_;
  Quantities required_;
  bool required_stale_ = true;
  std::vector<int64_t> cap_;
  Candidate candidate_;
};

}  // namespace

std::vector<Allocation> AllocatorState::Run(Timestamp now, std::vector<Agent*> agents) {
  ++runs;
  for (FrameworkRole* fr : framework_roles) {
    if (fr != nullptr && !fr->filters.empty()) fr->filters.Expire(now);
  }
  if (agents.empty()) return {};
  AllocationRun run(*this, now);
  if (any_guarantee) {
    run.StartHeadroom();
    rng.Shuffle(agents);
    run.RunStage(Stage::kGuarantees, agents);
  }
  rng.Shuffle(agents);
  run.RunStage(Stage::kAll, agents);
  return run.Take();
}

}  // namespace atl::allocator
