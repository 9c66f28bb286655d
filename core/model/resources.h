// Resources: what agents advertise and tasks consume. Scalars (cpus, mem, disk, gpus) are
// fixed-point; ranges (ports) and sets are exact. Every resource carries its reservation stack
// (empty = unreserved, role "*") and, once offered, the role it is allocated to.
//
// A `Resources` value is normalized: items that can be combined (same name, type, reservations,
// allocation role, and neither is a persistent volume) are merged, and empty items are dropped,
// so equality and containment are structural.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/boxed.h"
#include "core/model/labels.h"
#include "core/model/ranges.h"
#include "core/model/scalar.h"

namespace atl::model {

enum class ValueType { kScalar, kRanges, kSet, kText };

struct ReservationInfo {
  enum class Type { kStatic, kDynamic };
  Type type = Type::kStatic;
  std::string role;
  std::string principal;
  Labels labels;
  bool operator==(const ReservationInfo&) const = default;
};

// Persistent volume data carried by a disk resource.
struct DiskInfo {
  std::string persistence_id;  // empty: not a persistent volume
  std::string persistence_principal;
  std::string container_path;
  std::string mode = "RW";  // "RW" or "RO"
  bool operator==(const DiskInfo&) const = default;
};

struct Resource {
  std::string name;
  ValueType type = ValueType::kScalar;
  Scalar scalar;
  Ranges ranges;
  std::vector<std::string> set;  // sorted, unique
  // Reservation stack, outermost role first; empty = unreserved ("*").
  std::vector<ReservationInfo> reservations;
  // Set while the resource is offered to / used by a role.
  std::optional<std::string> allocation_role;
  Boxed<DiskInfo> disk;  // boxed: rare, and a Resource is copied a lot
  bool shared = false;

  // The role the resource is reserved for, or "*".
  const std::string& ReservationRole() const;
  bool IsReserved() const { return !reservations.empty(); }
  bool IsPersistentVolume() const { return disk.has_value() && !disk->persistence_id.empty(); }
  bool IsEmpty() const;

  static Resource MakeScalar(std::string name, Scalar value);
  static Resource MakeRanges(std::string name, Ranges value);
  static Resource MakeSet(std::string name, std::vector<std::string> items);

  bool operator==(const Resource&) const = default;
};

class Resources {
 public:
  Resources() = default;
  Resources(std::initializer_list<Resource> items);
  explicit Resources(std::vector<Resource> items);

  // Parses Mesos's text form: "cpus:4;mem:1024;disk:2048;ports:[31000-32000];cpus(ads):8;
  // zones:{a,b}". A role in parentheses makes a static reservation; `default_role` applies
  // to items without one ("*" = unreserved).
  static absl::StatusOr<Resources> Parse(std::string_view text,
                                         std::string_view default_role = "*");

  const std::vector<Resource>& items() const { return items_; }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }

  void Add(const Resource& r);
  void Add(const Resources& rs);
  // REQUIRES: Contains(rs). Subtracting what is not there is an internal error.
  void Subtract(const Resources& rs);
  // True when every item of `rs` is covered by a combinable item here.
  bool Contains(const Resources& rs) const;
  bool Contains(const Resource& r) const;

  Resources operator+(const Resources& o) const;
  Resources operator-(const Resources& o) const;
  Resources& operator+=(const Resources& o) {
    Add(o);
    return *this;
  }
  Resources& operator-=(const Resources& o) {
    Subtract(o);
    return *this;
  }
  // Order-insensitive: the same items in any order are equal.
  bool operator==(const Resources& o) const;

  // Sum of the scalar resource `name` across all roles/reservations.
  Scalar GetScalar(std::string_view name) const;
  // Union of the ranges resource `name` across all roles/reservations.
  Ranges GetRanges(std::string_view name) const;
  // Sum of every scalar, by name, as unreserved unallocated resources (quantities).
  Resources ScalarQuantities() const;

  template <typename Pred>
  Resources Filter(Pred pred) const {
    Resources out;
    for (const Resource& r : items_) {
      if (pred(r)) out.items_.push_back(r);
    }
    return out;
  }
  Resources Unreserved() const;
  Resources Reserved() const;
  // Reserved for exactly `role`.
  Resources ReservedTo(std::string_view role) const;
  // Usable by `role`: unreserved plus reserved to `role` or one of its ancestors.
  Resources AllocatableTo(std::string_view role) const;
  Resources Scalars() const;
  Resources NonScalars() const;

  // Copies with every item's allocation role set / cleared.
  Resources AllocatedTo(const std::string& role) const;
  Resources Unallocated() const;
  // Drops reservations and allocation (a pure quantity view).
  Resources Flatten() const;

  // "cpus:4; mem:1024; ports:[31000-32000]"
  std::string ToString() const;

 private:
  std::vector<Resource> items_;
};

// True if `a` and `b` may be merged into one item.
bool Combinable(const Resource& a, const Resource& b);

// True if `role` is `ancestor` or nested under it ("eng/web" is under "eng"). "*" is an
// ancestor only of itself.
bool IsRoleOrDescendant(std::string_view role, std::string_view ancestor);

// Role name validity as Mesos defines it: non-empty, not "." or "..", no leading '-',
// no whitespace or slashes at either end, path components valid likewise.
absl::Status ValidateRole(std::string_view role);

}  // namespace atl::model
