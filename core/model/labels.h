// Labels: ordered key/value pairs (a value may be absent), as in Mesos.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace atl::model {

struct Label {
  std::string key;
  std::optional<std::string> value;
  bool operator==(const Label&) const = default;
};

using Labels = std::vector<Label>;

}  // namespace atl::model
