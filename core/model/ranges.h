// Inclusive integer ranges ([31000-31099, 31101-32000]), kept sorted and coalesced.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace atl::model {

struct Range {
  uint64_t begin = 0;
  uint64_t end = 0;  // inclusive
  bool operator==(const Range&) const = default;
};

class Ranges {
 public:
  Ranges() = default;
  // Normalizes: sorts, merges overlapping and adjacent ranges, drops begin > end.
  explicit Ranges(std::vector<Range> ranges);

  const std::vector<Range>& ranges() const { return ranges_; }
  bool empty() const { return ranges_.empty(); }
  // Number of integers covered (the quantity of a ports resource).
  uint64_t Count() const;

  bool Contains(const Ranges& other) const;
  bool Contains(uint64_t value) const;
  void Add(const Ranges& other);
  // Removes `other`; values not present are ignored.
  void Subtract(const Ranges& other);
  // The lowest `n` values as ranges (n <= Count()).
  Ranges TakeLowest(uint64_t n) const;

  // "[31000-31099, 31101-32000]"
  std::string ToString() const;
  // Parses "[1-4, 7-7]" (brackets optional, spaces optional).
  static absl::StatusOr<Ranges> Parse(std::string_view text);

  bool operator==(const Ranges&) const = default;

 private:
  void Normalize();
  std::vector<Range> ranges_;
};

}  // namespace atl::model
