// Strong string ids: `using TaskId = Id<struct TaskTag>;` so a TaskId never passes for an AgentId.
#pragma once

#include <compare>
#include <ostream>
#include <string>
#include <utility>

#include "absl/hash/hash.h"

namespace atl {

template <typename Tag>
class Id {
 public:
  Id() = default;
  explicit Id(std::string value) : value_(std::move(value)) {}

  const std::string& value() const { return value_; }
  bool empty() const { return value_.empty(); }

  auto operator<=>(const Id&) const = default;
  bool operator==(const Id&) const = default;

  template <typename H>
  friend H AbslHashValue(H h, const Id& id) {
    return H::combine(std::move(h), id.value_);
  }
  friend std::ostream& operator<<(std::ostream& os, const Id& id) { return os << id.value_; }

 private:
  std::string value_;
};

}  // namespace atl
