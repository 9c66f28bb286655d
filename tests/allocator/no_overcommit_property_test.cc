// Property: whatever the sequence of agents and frameworks coming and going, allocation runs,
// recoveries with random filters, suppressions and RESERVE operations, the allocator never
// over-commits an agent, every allocation came out of what was free, and suppressed roles,
// inactive frameworks and inactive agents receive nothing.
//
// Seeded; the seed is printed. Reproduce one with ATOLL_TEST_SEED=<seed>.
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "core/allocator/allocator.h"
#include "core/base/random.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/allocator/allocator_test_util.h"

namespace atl::allocator {
namespace {

using testing::Aid;
using testing::At;
using testing::Fid;
using testing::MultiRole;
using testing::R;

const std::vector<std::string> kRoles = {"a", "b", "c/x", "c/y", "c", "*"};

struct FakeFramework {
  std::vector<std::string> roles;
  std::set<std::string> suppressed;
  bool active = true;
};

struct FakeAgent {
  model::Resources total;
  bool active = true;
};

class Simulation {
 public:
  explicit Simulation(uint64_t seed) : rng_(seed), allocator_(MakeOptions(seed)) {}

  static Options MakeOptions(uint64_t seed) {
    Options options;
    options.seed = seed;
    return options;
  }

  void Step() {
    switch (rng_.Uniform(14)) {
      case 0:
      case 1:
        AddAgent();
        break;
      case 2:
        RemoveAgent();
        break;
      case 3:
        AddFramework();
        break;
      case 4:
        RemoveFramework();
        break;
      case 5:
        ToggleFramework();
        break;
      case 6:
        ToggleSuppress();
        break;
      case 7:
        ToggleAgent();
        break;
      case 8:
      case 9:
        Allocate();
        break;
      case 10:
      case 11:
        Recover();
        break;
      case 12:
        Reserve();
        break;
      case 13:
        SetQuota();
        break;
    }
    now_ = now_ + Duration::Milliseconds(static_cast<int64_t>(rng_.Uniform(3000)));
    CheckBooks();
  }

  int allocations_seen() const { return allocations_seen_; }

 private:
  template <typename Map>
  typename Map::iterator Pick(Map& map) {
    auto it = map.begin();
    std::advance(it, static_cast<long>(rng_.Uniform(map.size())));
    return it;
  }

  void AddAgent() {
    const std::string name = "agent" + std::to_string(next_agent_++);
    std::string text = "cpus:" + std::to_string(1 + rng_.Uniform(16)) +
                       ";mem:" + std::to_string(256 * (1 + rng_.Uniform(64))) +
                       ";ports:[31000-31099]";
    if (rng_.Uniform(3) == 0) {
      const std::string& role = kRoles[rng_.Uniform(kRoles.size() - 1)];  // never "*"
      text +=
          ";cpus(" + role + "):" + std::to_string(1 + rng_.Uniform(4)) + ";disk(" + role + "):1024";
    }
    model::Resources total = R(text);
    model::AgentInfo info;
    info.hostname = name;
    allocator_.AddAgent(Aid(name), info, total, {});
    agents_[name] = FakeAgent{total, true};
  }

  void RemoveAgent() {
    if (agents_.empty()) return;
    auto it = Pick(agents_);
    allocator_.RemoveAgent(Aid(it->first));
    agents_.erase(it);
  }

  void AddFramework() {
    const std::string name = "fw" + std::to_string(next_framework_++);
    FakeFramework f;
    for (const std::string& role : kRoles) {
      if (rng_.Uniform(3) == 0) f.roles.push_back(role);
    }
    if (f.roles.empty()) f.roles.push_back(kRoles[rng_.Uniform(kRoles.size())]);
    if (rng_.Uniform(4) == 0) f.suppressed.insert(f.roles.front());
    model::FrameworkInfo info = MultiRole(f.roles);
    if (rng_.Uniform(3) == 0) {
      info.min_allocatable_resources[f.roles.front()] = {R("cpus:2;mem:512")};
    }
    allocator_.AddFramework(
        Fid(name), info, std::vector<std::string>(f.suppressed.begin(), f.suppressed.end()), true);
    frameworks_[name] = f;
  }

  void RemoveFramework() {
    if (frameworks_.empty()) return;
    auto it = Pick(frameworks_);
    allocator_.RemoveFramework(Fid(it->first));
    frameworks_.erase(it);
  }

  void ToggleFramework() {
    if (frameworks_.empty()) return;
    auto it = Pick(frameworks_);
    it->second.active = !it->second.active;
    if (it->second.active) {
      allocator_.ActivateFramework(Fid(it->first));
    } else {
      allocator_.DeactivateFramework(Fid(it->first));
    }
  }

  void ToggleSuppress() {
    if (frameworks_.empty()) return;
    auto it = Pick(frameworks_);
    FakeFramework& f = it->second;
    const std::string& role = f.roles[rng_.Uniform(f.roles.size())];
    if (f.suppressed.contains(role)) {
      allocator_.Revive(Fid(it->first), {role});
      f.suppressed.erase(role);
    } else {
      allocator_.Suppress(Fid(it->first), {role});
      f.suppressed.insert(role);
    }
  }

  void ToggleAgent() {
    if (agents_.empty()) return;
    auto it = Pick(agents_);
    it->second.active = !it->second.active;
    if (it->second.active) {
      allocator_.ActivateAgent(Aid(it->first));
    } else {
      allocator_.DeactivateAgent(Aid(it->first));
    }
  }

  std::map<std::string, model::Scalar> ConsumedCpus() {
    std::map<std::string, model::Scalar> out;
    for (const RoleSummary& r : allocator_.Roles())
      out[r.role] = r.consumed_quota.GetScalar("cpus");
    return out;
  }

  void Allocate() {
    const std::map<std::string, model::Scalar> consumed_before = ConsumedCpus();
    std::map<std::string, model::Scalar> consumed_after;
    absl::Cleanup check_limits = [&] {
      consumed_after = ConsumedCpus();
      // An allocation never pushes a role's consumption above its limit (it may already be
      // above: reservations count, and limits can be lowered).
      for (const auto& [role, limit] : limits_) {
        const model::Scalar before =
            consumed_before.contains(role) ? consumed_before.at(role) : model::Scalar();
        const model::Scalar after =
            consumed_after.contains(role) ? consumed_after.at(role) : model::Scalar();
        EXPECT_LE(after.milli(), std::max(before, limit).milli()) << "role " << role;
      }
    };
    std::map<std::string, model::Resources> before;
    for (const auto& [name, agent] : agents_) before[name] = allocator_.Available(Aid(name));
    std::vector<Allocation> out;
    if (rng_.Uniform(4) == 0 && !agents_.empty()) {
      std::vector<model::AgentId> some;
      for (const auto& [name, agent] : agents_) {
        if (rng_.Uniform(2) == 0) some.push_back(Aid(name));
      }
      out = allocator_.Allocate(now_, some);
    } else {
      out = allocator_.Allocate(now_);
    }
    std::set<std::tuple<std::string, std::string, std::string>> triples;
    for (const Allocation& a : out) {
      ++allocations_seen_;
      const std::string agent = a.agent_id.value();
      const std::string fw = a.framework_id.value();
      ASSERT_TRUE(agents_.contains(agent)) << agent;
      ASSERT_TRUE(frameworks_.contains(fw)) << fw;
      EXPECT_TRUE(agents_[agent].active) << "offer on inactive agent " << agent;
      const FakeFramework& f = frameworks_[fw];
      EXPECT_TRUE(f.active) << "offer to inactive framework " << fw;
      EXPECT_FALSE(f.suppressed.contains(a.role)) << fw << " suppressed in " << a.role;
      EXPECT_THAT(f.roles, ::testing::Contains(a.role));
      EXPECT_TRUE(triples.emplace(fw, a.role, agent).second) << "two offers for one triple";
      EXPECT_FALSE(a.resources.empty());
      for (const model::Resource& r : a.resources.items()) {
        EXPECT_EQ(r.allocation_role, a.role);
        if (r.IsReserved()) {
          EXPECT_TRUE(model::IsRoleOrDescendant(a.role, r.ReservationRole()))
              << r.ReservationRole() << " offered to " << a.role;
        }
      }
      // Out of what was free: subtracting checks containment (crashes otherwise).
      ASSERT_TRUE(before[agent].Contains(a.resources.Unallocated()))
          << a.resources.ToString() << " not in " << before[agent].ToString();
      before[agent].Subtract(a.resources.Unallocated());
      outstanding_.push_back(a);
    }
    for (const auto& [name, left] : before) {
      EXPECT_THAT(allocator_.Available(Aid(name)), testing::SameAs(left)) << name;
    }
  }

  void Recover() {
    if (outstanding_.empty()) return;
    const size_t i = rng_.Uniform(outstanding_.size());
    Allocation a = outstanding_[i];
    outstanding_[i] = outstanding_.back();
    outstanding_.pop_back();
    model::Resources back = a.resources;
    if (rng_.Uniform(2) == 0) {
      // Keep a "task" of half the cpus: give back the rest only.
      back = a.resources.Filter(
          [](const model::Resource& r) { return r.name != "cpus" || r.IsReserved(); });
    }
    std::optional<Duration> refuse;
    switch (rng_.Uniform(3)) {
      case 0:
        break;
      case 1:
        refuse = Duration::Zero();
        break;
      case 2:
        refuse = Duration::Seconds(static_cast<int64_t>(1 + rng_.Uniform(10)));
        break;
    }
    allocator_.RecoverResources(a.framework_id, a.agent_id, back, refuse, now_);
  }

  void Reserve() {
    // RESERVE 1 unreserved cpu of an outstanding offer for its role.
    for (const Allocation& a : outstanding_) {
      if (a.role == "*") continue;
      if (!agents_.contains(a.agent_id.value())) continue;
      const model::Resources held = allocator_.AllocatedTo(a.framework_id, a.agent_id);
      const model::Resources from = R("cpus:1").AllocatedTo(a.role);
      if (!held.Contains(from)) continue;
      model::Resource reserved = from.items().front();
      reserved.reservations.push_back(
          {model::ReservationInfo::Type::kDynamic, a.role, "principal", {}});
      const model::Resources to{reserved};
      allocator_.UpdateAllocation(a.framework_id, a.agent_id, from, to);
      FakeAgent& agent = agents_[a.agent_id.value()];
      agent.total.Subtract(from.Unallocated());
      agent.total.Add(to.Unallocated());
      return;
    }
  }

  void SetQuota() {
    static const std::vector<std::string> kTopRoles = {"a", "b", "c"};
    const std::string& role = kTopRoles[rng_.Uniform(kTopRoles.size())];
    Quota q;
    limits_.erase(role);
    switch (rng_.Uniform(3)) {
      case 0:
        break;
      case 1: {
        // A zero limit is not expressible: zero-valued items vanish from model::Resources.
        const int64_t limit = static_cast<int64_t>(1 + rng_.Uniform(40));
        q.limits = R("cpus:" + std::to_string(limit));
        limits_[role] = model::Scalar::FromMilli(limit * 1000);
        break;
      }
      case 2:
        q.guarantees = R("cpus:" + std::to_string(1 + rng_.Uniform(20)));
        break;
    }
    allocator_.UpdateQuota(role, q);
  }

  // Per agent: free + everything held == total, so nothing is allocated twice or lost.
  void CheckBooks() {
    for (const auto& [name, agent] : agents_) {
      model::Resources accounted = allocator_.Available(Aid(name));
      for (const auto& [fw, f] : frameworks_) {
        accounted.Add(allocator_.AllocatedTo(Fid(fw), Aid(name)).Unallocated());
      }
      ASSERT_THAT(accounted, testing::SameAs(agent.total)) << "agent " << name;
    }
  }

  Random rng_;
  HierarchicalAllocator allocator_;
  Timestamp now_ = At(0);
  std::map<std::string, FakeAgent> agents_;
  std::map<std::string, FakeFramework> frameworks_;
  std::vector<Allocation> outstanding_;
  std::map<std::string, model::Scalar> limits_;
  int next_agent_ = 0;
  int next_framework_ = 0;
  int allocations_seen_ = 0;
};

TEST(NoOvercommitProperty, RandomSequences) {
  std::vector<uint64_t> seeds;
  if (const char* env = std::getenv("ATOLL_TEST_SEED"); env != nullptr) {
    seeds.push_back(std::strtoull(env, nullptr, 10));
  } else {
    for (uint64_t s = 1; s <= 25; ++s) seeds.push_back(s * 7919);
  }
  for (uint64_t seed : seeds) {
    std::cout << "NoOvercommitProperty seed=" << seed << "\n";
    SCOPED_TRACE("seed=" + std::to_string(seed));
    Simulation sim(seed);
    for (int step = 0; step < 400; ++step) {
      SCOPED_TRACE("step=" + std::to_string(step));
      sim.Step();
      if (::testing::Test::HasFatalFailure()) return;
    }
    EXPECT_GT(sim.allocations_seen(), 20);
  }
}

}  // namespace
}  // namespace atl::allocator
