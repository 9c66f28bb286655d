// Agent attributes (rack, zone, gen, ...): copied into offers, used for placement, never accounted.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/model/resources.h"

namespace atl::model {

struct Attribute {
  std::string name;
  ValueType type = ValueType::kText;
  std::string text;
  Scalar scalar;
  Ranges ranges;
  std::vector<std::string> set;
  bool operator==(const Attribute&) const = default;

  // The value as Mesos prints it: "r12", "3", "[1-4]", "{a,b}".
  std::string ValueString() const;
};

using Attributes = std::vector<Attribute>;

// Parses the agent flag form "rack:r1;zone:a;gen:3;slots:[1-4]": numbers become SCALAR,
// bracketed values RANGES, "{a,b}" SET, anything else TEXT.
absl::StatusOr<Attributes> ParseAttributes(std::string_view text);

// The first attribute named `name`, or nullptr.
const Attribute* FindAttribute(const Attributes& attributes, std::string_view name);

}  // namespace atl::model
