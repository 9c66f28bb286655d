#include "core/allocator/quantities.h"

#include <algorithm>

namespace atl::allocator {

size_t ResourceKinds::Intern(std::string_view name) {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return i;
  }
  names_.emplace_back(name);
  return names_.size() - 1;
}

int ResourceKinds::Find(std::string_view name) const {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

void Quantities::Set(size_t kind, int64_t milli) {
  if (kind >= milli_.size()) {
    if (milli == 0) return;
    milli_.resize(kind + 1, 0);
  }
  milli_[kind] = milli;
}

void Quantities::AddTo(size_t kind, int64_t milli) {
  if (kind >= milli_.size()) milli_.resize(kind + 1, 0);
  milli_[kind] += milli;
}

void Quantities::Add(const Quantities& other) {
  const size_t n = other.milli_.size();
  if (n > milli_.size()) milli_.resize(n, 0);
  int64_t* mine = milli_.data();
  const int64_t* theirs = other.milli_.data();
  for (size_t i = 0; i < n; ++i) mine[i] += theirs[i];
}

void Quantities::Subtract(const Quantities& other) {
  const size_t n = other.milli_.size();
  if (n > milli_.size()) milli_.resize(n, 0);
  int64_t* mine = milli_.data();
  const int64_t* theirs = other.milli_.data();
  for (size_t i = 0; i < n; ++i) mine[i] -= theirs[i];
}

bool Quantities::IsZero() const {
  return std::all_of(milli_.begin(), milli_.end(), [](int64_t v) { return v == 0; });
}

bool Quantities::AnyPositive() const {
  return std::any_of(milli_.begin(), milli_.end(), [](int64_t v) { return v > 0; });
}

bool Quantities::operator==(const Quantities& other) const {
  const size_t n = std::max(milli_.size(), other.milli_.size());
  for (size_t i = 0; i < n; ++i) {
    if (Get(i) != other.Get(i)) return false;
  }
  return true;
}

Quantities ScalarsOf(const model::Resources& resources, ResourceKinds* kinds) {
  Quantities out;
  for (const model::Resource& r : resources.items()) {
    if (r.type != model::ValueType::kScalar) continue;
    out.AddTo(kinds->Intern(r.name), r.scalar.milli());
  }
  return out;
}

model::Resources ToResources(const Quantities& quantities, const ResourceKinds& kinds) {
  model::Resources out;
  for (size_t k = 0; k < quantities.size() && k < kinds.size(); ++k) {
    if (quantities.Get(k) > 0) {
      out.Add(
          model::Resource::MakeScalar(kinds.Name(k), model::Scalar::FromMilli(quantities.Get(k))));
    }
  }
  return out;
}

}  // namespace atl::allocator
