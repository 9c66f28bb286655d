// The minimum size of an offer (--min_allocatable_resources, or a framework's per-role
// override): alternatives that are OR-ed, each a list of quantities that are AND-ed. For ranges
// (ports) the quantity is the number of values, for sets the number of items.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/resources.h"

namespace atl::allocator {

class MinAllocatable {
 public:
  // Mesos's default: cpus:0.01 | mem:32.
  static MinAllocatable Default();
  // `alternatives` empty: any non-empty offer qualifies (so does an empty alternative).
  static MinAllocatable From(const std::vector<model::Resources>& alternatives);

  // True if `offer` is non-empty and covers at least one alternative.
  bool SatisfiedBy(const model::Resources& offer) const;

 private:
  struct Requirement {
    std::string name;
    model::ValueType type = model::ValueType::kScalar;
    uint64_t amount = 0;  // milli-units for scalars, a count otherwise
  };
  std::vector<std::vector<Requirement>> alternatives_;
};

}  // namespace atl::allocator
