// Builders shared by the allocator tests: parsed resources, multi-role framework infos, and a
// small harness that names agents and frameworks by plain strings.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/allocator/allocator.h"
#include "core/base/check.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace atl::allocator::testing {

inline model::Resources R(std::string_view text, std::string_view role = "*") {
  absl::StatusOr<model::Resources> r = model::Resources::Parse(text, role);
  ATOLL_CHECK(r.ok()) << "bad test resources '" << text << "'";
  return *r;
}

// Resources dynamically reserved to `role` (as a RESERVE operation makes them).
inline model::Resources Reserved(std::string_view text, const std::string& role) {
  const model::Resources plain = R(text);
  model::Resources out;
  for (model::Resource r : plain.items()) {
    r.reservations.push_back({model::ReservationInfo::Type::kDynamic, role, "principal", {}});
    out.Add(r);
  }
  return out;
}

inline model::FrameworkInfo MultiRole(std::vector<std::string> roles) {
  model::FrameworkInfo info;
  info.user = "test";
  info.name = "test-framework";
  info.roles = std::move(roles);
  info.capabilities = {model::FrameworkCapability::kMultiRole};
  return info;
}

inline model::FrameworkId Fid(const std::string& name) { return model::FrameworkId(name); }
inline model::AgentId Aid(const std::string& name) { return model::AgentId(name); }
inline Timestamp At(int64_t seconds) { return Timestamp::Epoch() + Duration::Seconds(seconds); }

// Equal as resource multisets, whatever the item order.
MATCHER_P(SameAs, expected, "is " + expected.ToString()) {
  *result_listener << "is " << arg.ToString();
  return arg.Contains(expected) && expected.Contains(arg);
}

// A thin layer over HierarchicalAllocator for readable tests.
class Harness {
 public:
  explicit Harness(Options options = {}) : allocator_(std::move(options)) {}

  HierarchicalAllocator& allocator() { return allocator_; }

  void AddAgent(const std::string& name, std::string_view resources,
                const absl::flat_hash_map<model::FrameworkId, model::Resources>& used = {}) {
    AddAgentResources(name, R(resources), used);
  }
  void AddAgentResources(
      const std::string& name, const model::Resources& total,
      const absl::flat_hash_map<model::FrameworkId, model::Resources>& used = {}) {
    model::AgentInfo info;
    info.hostname = name;
    info.resources = total;
    info.id = Aid(name);
    allocator_.AddAgent(Aid(name), info, total, used);
  }
  void AddFramework(const std::string& name, std::vector<std::string> roles,
                    std::vector<std::string> suppressed = {}) {
    allocator_.AddFramework(Fid(name), MultiRole(std::move(roles)), suppressed, true);
  }
  void AddFrameworkInfo(const std::string& name, const model::FrameworkInfo& info) {
    allocator_.AddFramework(Fid(name), info, {}, true);
  }

  std::vector<Allocation> Allocate(int64_t now_seconds = 0) {
    return allocator_.Allocate(At(now_seconds));
  }
  std::vector<Allocation> AllocateOn(const std::vector<std::string>& agents,
                                     int64_t now_seconds = 0) {
    std::vector<model::AgentId> ids;
    for (const std::string& a : agents) ids.push_back(Aid(a));
    return allocator_.Allocate(At(now_seconds), ids);
  }

  // Gives back everything `framework` holds on `agent`.
  void RecoverAll(const std::string& framework, const std::string& agent,
                  std::optional<Duration> refuse = std::nullopt, int64_t now_seconds = 0) {
    allocator_.RecoverResources(Fid(framework), Aid(agent),
                                allocator_.AllocatedTo(Fid(framework), Aid(agent)), refuse,
                                At(now_seconds));
  }
  void Recover(const Allocation& a, std::optional<Duration> refuse = std::nullopt,
               int64_t now_seconds = 0) {
    allocator_.RecoverResources(a.framework_id, a.agent_id, a.resources, refuse, At(now_seconds));
  }

  model::Resources Held(const std::string& framework, const std::string& agent) {
    return allocator_.AllocatedTo(Fid(framework), Aid(agent));
  }

 private:
  HierarchicalAllocator allocator_;
};

// Number of allocations (agents) each framework received.
inline std::map<std::string, int> CountByFramework(const std::vector<Allocation>& allocations) {
  std::map<std::string, int> out;
  for (const Allocation& a : allocations) ++out[a.framework_id.value()];
  return out;
}

// The single allocation on `agent`, or nullopt.
inline std::optional<Allocation> On(const std::vector<Allocation>& allocations,
                                    const std::string& agent) {
  std::optional<Allocation> out;
  for (const Allocation& a : allocations) {
    if (a.agent_id.value() == agent) {
      EXPECT_FALSE(out.has_value()) << "two allocations on " << agent;
      out = a;
    }
  }
  return out;
}

}  // namespace atl::allocator::testing
