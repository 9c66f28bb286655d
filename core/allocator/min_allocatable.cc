#include "core/allocator/min_allocatable.h"

namespace atl::allocator {

namespace {

// How much of `name` (of `type`) the offer holds, in the requirement's unit.
uint64_t Amount(const model::Resources& offer, const std::string& name, model::ValueType type) {
  uint64_t total = 0;
  for (const model::Resource& r : offer.items()) {
    if (r.name != name || r.type != type) continue;
    switch (type) {
      case model::ValueType::kScalar:
        total += static_cast<uint64_t>(r.scalar.milli());
        break;
      case model::ValueType::kRanges:
        total += r.ranges.Count();
        break;
      case model::ValueType::kSet:
        total += r.set.size();
        break;
      case model::ValueType::kText:
        total += 1;
        break;
    }
  }
  return total;
}

}  // namespace

MinAllocatable MinAllocatable::Default() {
  return From(
      {model::Resources{model::Resource::MakeScalar("cpus", model::Scalar::FromMilli(10))},
       model::Resources{model::Resource::MakeScalar("mem", model::Scalar::FromMilli(32000))}});
}

MinAllocatable MinAllocatable::From(const std::vector<model::Resources>& alternatives) {
  MinAllocatable out;
  for (const model::Resources& alternative : alternatives) {
    std::vector<Requirement> all_of;
    for (const model::Resource& r : alternative.items()) {
      Requirement req{r.name, r.type, 0};
      switch (r.type) {
        case model::ValueType::kScalar:
          req.amount = static_cast<uint64_t>(r.scalar.milli());
          break;
        case model::ValueType::kRanges:
          req.amount = r.ranges.Count();
          break;
        case model::ValueType::kSet:
          req.amount = r.set.size();
          break;
        case model::ValueType::kText:
          req.amount = 0;
          break;
      }
      // Items of one name but different reservations add up to one requirement.
      bool merged = false;
      for (Requirement& existing : all_of) {
        if (existing.name == req.name && existing.type == req.type) {
          existing.amount += req.amount;
          merged = true;
        }
      }
      if (!merged) all_of.push_back(std::move(req));
    }
    out.alternatives_.push_back(std::move(all_of));
  }
  return out;
}

bool MinAllocatable::SatisfiedBy(const model::Resources& offer) const {
  if (offer.empty()) return false;
  if (alternatives_.empty()) return true;
  for (const std::vector<Requirement>& all_of : alternatives_) {
    bool ok = true;
    for (const Requirement& req : all_of) {
      if (Amount(offer, req.name, req.type) < req.amount) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}

}  // namespace atl::allocator
