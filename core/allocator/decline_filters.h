// Refused-offer filters of one (framework, role): after a decline, the agent is hidden from
// that role of that framework while the refused set contains what would be offered, until the
// filter expires (reference/mesos.md §6.5). More resources freeing up on the agent makes the
// candidate bigger than the refused set, so the filter stops matching.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/base/time.h"
#include "core/model/resources.h"

namespace atl::allocator {

// Filter lifetime: max(refuse, allocation_interval), capped at 365 days. nullopt when
// refuse <= 0 (no filter).
std::optional<Timestamp> DeclineFilterExpiry(Duration refuse, Duration allocation_interval,
                                             Timestamp now);

class DeclineFilters {
 public:
  // `refused`: unallocated form. A filter is live while now < expires.
  void Add(uint64_t agent, model::Resources refused, Timestamp expires);
  // True if a live filter on `agent` contains `candidate` (unallocated form).
  bool Hides(uint64_t agent, const model::Resources& candidate, Timestamp now) const;
  // Drops filters with expires <= now.
  void Expire(Timestamp now);
  void EraseAgent(uint64_t agent) { by_agent_.erase(agent); }
  void Clear() { by_agent_.clear(); }
  bool empty() const { return by_agent_.empty(); }
  size_t size() const;

 private:
  struct Filter {
    model::Resources refused;
    Timestamp expires;
  };
  absl::flat_hash_map<uint64_t, std::vector<Filter>> by_agent_;
};

}  // namespace atl::allocator
