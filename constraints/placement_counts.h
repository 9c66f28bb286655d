// Per-(field, value) instance counts of one app, kept incrementally as instances are placed and
// removed, so a constraint check costs O(1) per constraint instead of a scan of the tasks
// (DESIGN.md §4).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "constraints/agent_view.h"
#include "constraints/constraint.h"

namespace atl::constraints {

// Invariants: for every tracked field, the sum of the per-value counts plus the instances whose
// agent lacks the field equals total(); no value has a count of 0 or less (it is erased);
// histogram counts match the per-value counts.
class PlacementCounts {
 public:
  // Tracks the fields of `constraints` (each distinct field once). Instances at agents lacking a
  // field count in total() only.
  explicit PlacementCounts(const std::vector<Constraint>& constraints);

  // One more instance at `agent`.
  void Add(const AgentView& agent);
  // One instance fewer at `agent`. REQUIRES: an instance at an agent with the same tracked field
  // values was added and not yet removed (a broken invariant otherwise: crashes).
  void Remove(const AgentView& agent);

  // All instances added and not removed.
  int total() const { return total_; }
  // Instances whose agent has `value` in `c`'s field (0 for an untracked field).
  int Count(const Constraint& c, std::string_view value) const;
  // How many distinct values of `c`'s field the instances use.
  int DistinctValues(const Constraint& c) const;
  // The smallest / largest count among the used values; nullopt when none is used.
  std::optional<int> MinCount(const Constraint& c) const;
  std::optional<int> MaxCount(const Constraint& c) const;

 private:
  struct Field {
    FieldKind kind;
    std::string name;
    absl::flat_hash_map<std::string, int> counts;  // value -> instances (> 0)
    std::map<int, int> histogram;                  // count -> number of values with it
  };
  const Field* Find(const Constraint& c) const;
  static void Bump(Field& f, const std::string& value, int delta);

  std::vector<Field> fields_;
  int total_ = 0;
};

}  // namespace atl::constraints
