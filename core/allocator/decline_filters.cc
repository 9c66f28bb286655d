#include "core/allocator/decline_filters.h"

#include <algorithm>
#include <utility>

namespace atl::allocator {

std::optional<Timestamp> DeclineFilterExpiry(Duration refuse, Duration allocation_interval,
                                             Timestamp now) {
  if (refuse <= Duration::Zero()) return std::nullopt;
  // Shorter than one interval would expire before the next batch run could honour it.
  Duration lifetime = std::max(refuse, allocation_interval);
  lifetime = std::min(lifetime, Duration::Days(365));
  return now + lifetime;
}

void DeclineFilters::Add(uint64_t agent, model::Resources refused, Timestamp expires) {
  by_agent_[agent].push_back(Filter{std::move(refused), expires});
}

bool DeclineFilters::Hides(uint64_t agent, const model::Resources& candidate, Timestamp now) const {
  auto it = by_agent_.find(agent);
  if (it == by_agent_.end()) return false;
  for (const Filter& f : it->second) {
    if (now < f.expires && f.refused.Contains(candidate)) return true;
  }
  return false;
}

void DeclineFilters::Expire(Timestamp now) {
  for (auto it = by_agent_.begin(); it != by_agent_.end();) {
    std::vector<Filter>& filters = it->second;
    filters.erase(std::remove_if(filters.begin(), filters.end(),
                                 [&](const Filter& f) { return f.expires <= now; }),
                  filters.end());
    if (filters.empty()) {
      by_agent_.erase(it++);
    } else {
      ++it;
    }
  }
}

size_t DeclineFilters::size() const {
  size_t n = 0;
  for (const auto& [agent, filters] : by_agent_) n += filters.size();
  return n;
}

}  // namespace atl::allocator
