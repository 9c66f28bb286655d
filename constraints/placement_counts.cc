#include "constraints/placement_counts.h"

#include "core/base/check.h"

namespace atl::constraints {

PlacementCounts::PlacementCounts(const std::vector<Constraint>& constraints) {
  for (const Constraint& c : constraints) {
    if (Find(c) == nullptr) fields_.push_back(Field{c.kind, c.field, {}, {}});
  }
}

const PlacementCounts::Field* PlacementCounts::Find(const Constraint& c) const {
  // An app has a handful of constraints: a linear search beats hashing the name.
  for (const Field& f : fields_) {
    if (f.kind == c.kind && (c.kind != FieldKind::kAttribute || f.name == c.field)) return &f;
  }
  return nullptr;
}

void PlacementCounts::Bump(Field& f, const std::string& value, int delta) {
  int& count = f.counts[value];
  const int before = count;
  count += delta;
  ATOLL_CHECK(count >= 0) << "removed an instance that was never added at " << f.name << "="
                          << value;
  if (before > 0 && --f.histogram[before] == 0) f.histogram.erase(before);
  if (count > 0) {
    ++f.histogram[count];
  } else {
    f.counts.erase(value);
  }
}

void PlacementCounts::Add(const AgentView& agent) {
  ++total_;
  for (Field& f : fields_) {
    if (std::optional<FieldValue> v = ReadField(f.kind, f.name, agent)) Bump(f, v->text, +1);
  }
}

void PlacementCounts::Remove(const AgentView& agent) {
  ATOLL_CHECK(total_ > 0) << "removed an instance from empty placement counts";
  --total_;
  for (Field& f : fields_) {
    if (std::optional<FieldValue> v = ReadField(f.kind, f.name, agent)) Bump(f, v->text, -1);
  }
}

int PlacementCounts::Count(const Constraint& c, std::string_view value) const {
  const Field* f = Find(c);
  if (f == nullptr) return 0;
  auto it = f->counts.find(absl::string_view(value.data(), value.size()));
  return it == f->counts.end() ? 0 : it->second;
}

int PlacementCounts::DistinctValues(const Constraint& c) const {
  const Field* f = Find(c);
  return f == nullptr ? 0 : static_cast<int>(f->counts.size());
}

std::optional<int> PlacementCounts::MinCount(const Constraint& c) const {
  const Field* f = Find(c);
  if (f == nullptr || f->histogram.empty()) return std::nullopt;
  return f->histogram.begin()->first;
}

std::optional<int> PlacementCounts::MaxCount(const Constraint& c) const {
  const Field* f = Find(c);
  if (f == nullptr || f->histogram.empty()) return std::nullopt;
  return f->histogram.rbegin()->first;
}

}  // namespace atl::constraints
