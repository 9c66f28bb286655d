// Dense scalar quantities for the allocator's hot path: a resource name ("cpus", "mem", ...)
// is interned once into a small integer kind, and a Quantities value is a vector of milli-units
// indexed by kind. Shares, quota consumption and headroom are computed on these instead of on
// model::Resources, which carry strings, reservations and ranges.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "core/model/resources.h"

namespace atl::allocator {

// Interns scalar resource names. Kinds are never forgotten; a cluster has a handful.
class ResourceKinds {
 public:
  // The kind of `name`, interning it if new.
  size_t Intern(std::string_view name);
  // The kind of `name`, or -1 if it was never interned.
  int Find(std::string_view name) const;
  const std::string& Name(size_t kind) const { return names_[kind]; }
  size_t size() const { return names_.size(); }

 private:
  std::vector<std::string> names_;  // linear search: a few short names
};

// Milli-unit quantities by kind; kinds past the end are zero. Values may be negative only
// transiently inside arithmetic the caller controls (e.g. headroom differences).
class Quantities {
 public:
  static constexpr int64_t kUnlimited = INT64_MAX;

  int64_t Get(size_t kind) const { return kind < milli_.size() ? milli_[kind] : 0; }
  void Set(size_t kind, int64_t milli);
  void AddTo(size_t kind, int64_t milli);

  void Add(const Quantities& other);
  void Subtract(const Quantities& other);
  // Every kind is zero.
  bool IsZero() const;
  void Clear() { milli_.clear(); }
  // Some kind is positive.
  bool AnyPositive() const;
  // Number of stored kinds (trailing ones may be zero).
  size_t size() const { return milli_.size(); }
  const int64_t* data() const { return milli_.data(); }

  bool operator==(const Quantities& other) const;

 private:
  absl::InlinedVector<int64_t, 6> milli_;
};

// Scalar quantities of `resources`, all reservations and roles summed by name.
Quantities ScalarsOf(const model::Resources& resources, ResourceKinds* kinds);
// Back to model form: unreserved, unallocated scalar items (zero kinds omitted).
model::Resources ToResources(const Quantities& quantities, const ResourceKinds& kinds);

}  // namespace atl::allocator
