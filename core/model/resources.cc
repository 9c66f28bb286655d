#include "core/model/resources.h"

#include <algorithm>
#include <cctype>

#include "core/base/check.h"
#include "core/base/strings.h"

namespace atl::model {

namespace {
const std::string kStar = "*";

bool SameShape(const Resource& a, const Resource& b) {
  return a.name == b.name && a.type == b.type && a.reservations == b.reservations &&
         a.allocation_role == b.allocation_role && a.disk == b.disk && a.shared == b.shared;
}
}  // namespace

const std::string& Resource::ReservationRole() const {
  return reservations.empty() ? kStar : reservations.back().role;
}

bool Resource::IsEmpty() const {
  switch (type) {
    case ValueType::kScalar:
      return scalar.milli() <= 0;
    case ValueType::kRanges:
      return ranges.empty();
    case ValueType::kSet:
      return set.empty();
    case ValueType::kText:
      return false;
  }
  return true;
}

Resource Resource::MakeScalar(std::string name, Scalar value) {
  Resource r;
  r.name = std::move(name);
  r.type = ValueType::kScalar;
  r.scalar = value;
  return r;
}

Resource Resource::MakeRanges(std::string name, Ranges value) {
  Resource r;
  r.name = std::move(name);
  r.type = ValueType::kRanges;
  r.ranges = std::move(value);
  return r;
}

Resource Resource::MakeSet(std::string name, std::vector<std::string> items) {
  Resource r;
  r.name = std::move(name);
  r.type = ValueType::kSet;
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  r.set = std::move(items);
  return r;
}

bool Combinable(const Resource& a, const Resource& b) {
  // Persistent volumes are indivisible: they never merge with anything, not even a copy.
  if (a.IsPersistentVolume() || b.IsPersistentVolume()) return false;
  return SameShape(a, b);
}

Resources::Resources(std::initializer_list<Resource> items) {
  for (const Resource& r : items) Add(r);
}

Resources::Resources(std::vector<Resource> items) {
  for (const Resource& r : items) Add(r);
}

void Resources::Add(const Resource& r) {
  if (r.IsEmpty()) return;
  for (Resource& mine : items_) {
    if (!Combinable(mine, r)) continue;
    switch (r.type) {
      case ValueType::kScalar:
        mine.scalar += r.scalar;
        break;
      case ValueType::kRanges:
        mine.ranges.Add(r.ranges);
        break;
      case ValueType::kSet: {
        std::vector<std::string> merged;
        std::set_union(mine.set.begin(), mine.set.end(), r.set.begin(), r.set.end(),
                       std::back_inserter(merged));
        mine.set = std::move(merged);
        break;
      }
      case ValueType::kText:
        break;
    }
    return;
  }
  items_.push_back(r);
}

void Resources::Add(const Resources& rs) {
  for (const Resource& r : rs.items_) Add(r);
}

bool Resources::Contains(const Resource& r) const {
  if (r.IsEmpty()) return true;
  for (const Resource& mine : items_) {
    if (r.IsPersistentVolume()) {
      if (mine == r) return true;
      continue;
    }
    if (!Combinable(mine, r)) continue;
    switch (r.type) {
      case ValueType::kScalar:
        return mine.scalar >= r.scalar;
      case ValueType::kRanges:
        return mine.ranges.Contains(r.ranges);
      case ValueType::kSet:
        return std::includes(mine.set.begin(), mine.set.end(), r.set.begin(), r.set.end());
      case ValueType::kText:
        return true;
    }
  }
  return false;
}

bool Resources::Contains(const Resources& rs) const {
  // Items of a normalized Resources are pairwise non-combinable, so per-item checks suffice.
  for (const Resource& r : rs.items_) {
    if (!Contains(r)) return false;
  }
  return true;
}

void Resources::Subtract(const Resources& rs) {
  for (const Resource& r : rs.items_) {
    if (r.IsEmpty()) continue;
    bool done = false;
    for (size_t i = 0; i < items_.size() && !done; ++i) {
      Resource& mine = items_[i];
      if (r.IsPersistentVolume() ? !(mine == r) : !Combinable(mine, r)) continue;
      switch (r.type) {
        case ValueType::kScalar:
          ATOLL_CHECK(mine.scalar >= r.scalar) << "subtracting " << r.name << " beyond zero";
          mine.scalar -= r.scalar;
          break;
        case ValueType::kRanges:
          mine.ranges.Subtract(r.ranges);
          break;
        case ValueType::kSet: {
          std::vector<std::string> left;
          std::set_difference(mine.set.begin(), mine.set.end(), r.set.begin(), r.set.end(),
                              std::back_inserter(left));
          mine.set = std::move(left);
          break;
        }
        case ValueType::kText:
          break;
      }
      if (r.IsPersistentVolume() || mine.IsEmpty()) items_.erase(items_.begin() + i);
      done = true;
    }
    ATOLL_CHECK(done) << "subtracting " << r.name << " that is not present";
  }
}

bool Resources::operator==(const Resources& o) const {
  return items_.size() == o.items_.size() && Contains(o) && o.Contains(*this);
}

Resources Resources::operator+(const Resources& o) const {
  Resources out = *this;
  out.Add(o);
  return out;
}

Resources Resources::operator-(const Resources& o) const {
  Resources out = *this;
  out.Subtract(o);
  return out;
}

Scalar Resources::GetScalar(std::string_view name) const {
  Scalar total;
  for (const Resource& r : items_) {
    if (r.type == ValueType::kScalar && r.name == name) total += r.scalar;
  }
  return total;
}

Ranges Resources::GetRanges(std::string_view name) const {
  Ranges total;
  for (const Resource& r : items_) {
    if (r.type == ValueType::kRanges && r.name == name) total.Add(r.ranges);
  }
  return total;
}

Resources Resources::ScalarQuantities() const {
  Resources out;
  for (const Resource& r : items_) {
    if (r.type == ValueType::kScalar) out.Add(Resource::MakeScalar(r.name, r.scalar));
  }
  return out;
}

Resources Resources::Unreserved() const {
  return Filter([](const Resource& r) { return !r.IsReserved(); });
}

Resources Resources::Reserved() const {
  return Filter([](const Resource& r) { return r.IsReserved(); });
}

Resources Resources::ReservedTo(std::string_view role) const {
  return Filter([&](const Resource& r) { return r.IsReserved() && r.ReservationRole() == role; });
}

Resources Resources::AllocatableTo(std::string_view role) const {
  return Filter([&](const Resource& r) {
    return !r.IsReserved() || IsRoleOrDescendant(role, r.ReservationRole());
  });
}

Resources Resources::Scalars() const {
  return Filter([](const Resource& r) { return r.type == ValueType::kScalar; });
}

Resources Resources::NonScalars() const {
  return Filter([](const Resource& r) { return r.type != ValueType::kScalar; });
}

Resources Resources::AllocatedTo(const std::string& role) const {
  // Fast path (the allocator's hot loop): when every item has the same allocation role, the
  // items stay pairwise non-combinable after the change, so no re-normalization is needed.
  bool uniform = true;
  for (const Resource& r : items_) {
    if (r.allocation_role != items_.front().allocation_role) uniform = false;
  }
  if (uniform) {
    Resources out = *this;
    for (Resource& r : out.items_) r.allocation_role = role;
    return out;
  }
  Resources out;
  for (Resource r : items_) {
    r.allocation_role = role;
    out.Add(r);
  }
  return out;
}

Resources Resources::Unallocated() const {
  Resources out;
  for (Resource r : items_) {
    r.allocation_role.reset();
    out.Add(r);
  }
  return out;
}

Resources Resources::Flatten() const {
  Resources out;
  for (Resource r : items_) {
    r.allocation_role.reset();
    r.reservations.clear();
    r.disk.reset();
    r.shared = false;
    out.Add(r);
  }
  return out;
}

std::string Resources::ToString() const {
  std::vector<std::string> parts;
  for (const Resource& r : items_) {
    std::string s = r.name;
    if (r.IsReserved()) atl::StrAppend(&s, "(", r.ReservationRole(), ")");
    if (r.allocation_role) atl::StrAppend(&s, "{", *r.allocation_role, "}");
    if (r.IsPersistentVolume()) atl::StrAppend(&s, "[", r.disk->persistence_id, "]");
    s += ":";
    switch (r.type) {
      case ValueType::kScalar:
        s += r.scalar.ToString();
        break;
      case ValueType::kRanges:
        s += r.ranges.ToString();
        break;
      case ValueType::kSet:
        atl::StrAppend(&s, "{", atl::Join(r.set, ","), "}");
        break;
      case ValueType::kText:
        break;
    }
    parts.push_back(std::move(s));
  }
  return atl::Join(parts, "; ");
}

absl::StatusOr<Resources> Resources::Parse(std::string_view text, std::string_view default_role) {
  Resources out;
  for (std::string_view item : atl::Split(text, ';')) {
    item = atl::Strip(item);
    size_t colon = item.find(':');
    if (colon == std::string_view::npos) {
      return absl::InvalidArgumentError(
          atl::StrCat("resource '", item, "': expected NAME[(ROLE)]:VALUE"));
    }
    std::string_view key = atl::Strip(item.substr(0, colon));
    std::string_view value = atl::Strip(item.substr(colon + 1));
    std::string_view role = default_role;
    if (size_t open = key.find('('); open != std::string_view::npos) {
      if (key.back() != ')') {
        return absl::InvalidArgumentError(atl::StrCat("resource '", item, "': missing ')'"));
      }
      role = key.substr(open + 1, key.size() - open - 2);
      key = key.substr(0, open);
    }
    if (key.empty()) {
      return absl::InvalidArgumentError(atl::StrCat("resource '", item, "': empty name"));
    }
    if (role != "*") {
      if (absl::Status s = ValidateRole(role); !s.ok()) {
        return absl::InvalidArgumentError(atl::StrCat("resource '", item, "': ", s.message()));
      }
    }
    Resource r;
    if (!value.empty() && value.front() == '[') {
      auto ranges = Ranges::Parse(value);
      if (!ranges.ok()) return ranges.status();
      r = Resource::MakeRanges(std::string(key), *ranges);
    } else if (!value.empty() && value.front() == '{') {
      if (value.back() != '}') {
        return absl::InvalidArgumentError(atl::StrCat("resource '", item, "': missing '}'"));
      }
      std::vector<std::string> items;
      for (std::string_view s : atl::Split(value.substr(1, value.size() - 2), ',')) {
        items.emplace_back(atl::Strip(s));
      }
      r = Resource::MakeSet(std::string(key), std::move(items));
    } else {
      double v;
      if (!atl::ParseDouble(value, &v) || !(v >= 0) || v > 1e15) {
        return absl::InvalidArgumentError(
            atl::StrCat("resource '", item, "': '", value, "' is not a non-negative number"));
      }
      r = Resource::MakeScalar(std::string(key), Scalar::FromDouble(v));
    }
    if (role != "*") {
      r.reservations.push_back({ReservationInfo::Type::kStatic, std::string(role), "", {}});
    }
    out.Add(r);
  }
  return out;
}

bool IsRoleOrDescendant(std::string_view role, std::string_view ancestor) {
  if (role == ancestor) return true;
  if (ancestor == "*") return false;
  return role.size() > ancestor.size() && role.substr(0, ancestor.size()) == ancestor &&
         role[ancestor.size()] == '/';
}

absl::Status ValidateRole(std::string_view role) {
  if (role == "*") return absl::OkStatus();
  if (role.empty()) return absl::InvalidArgumentError("role must not be empty");
  if (role.front() == '/' || role.back() == '/') {
    return absl::InvalidArgumentError(
        atl::StrCat("role '", role, "' must not start or end with '/'"));
  }
  for (std::string_view part : atl::Split(role, '/', /*skip_empty=*/false)) {
    if (part.empty() || part == "." || part == ".." || part.front() == '-' || part == "*") {
      return absl::InvalidArgumentError(
          atl::StrCat("role '", role, "' has an invalid component '", part, "'"));
    }
    for (char c : part) {
      if (std::isspace(static_cast<unsigned char>(c)) || c == '\\' || c < 0x20) {
        return absl::InvalidArgumentError(
            atl::StrCat("role '", role, "' contains whitespace or control characters"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace atl::model
