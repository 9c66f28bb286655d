#include "core/model/attributes.h"

#include <cctype>

#include "core/base/strings.h"

namespace atl::model {

std::string Attribute::ValueString() const {
  switch (type) {
    case ValueType::kText:
      return text;
    case ValueType::kScalar:
      return scalar.ToString();
    case ValueType::kRanges:
      return ranges.ToString();
    case ValueType::kSet:
      return atl::StrCat("{", atl::Join(set, ","), "}");
  }
  return "";
}

absl::StatusOr<Attributes> ParseAttributes(std::string_view text) {
  Attributes out;
  for (std::string_view item : atl::Split(text, ';')) {
    item = atl::Strip(item);
    size_t colon = item.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return absl::InvalidArgumentError(atl::StrCat("attribute '", item, "': expected NAME:VALUE"));
    }
    Attribute a;
    a.name = std::string(atl::Strip(item.substr(0, colon)));
    std::string_view value = atl::Strip(item.substr(colon + 1));
    double d;
    if (!value.empty() && value.front() == '[') {
      auto r = Ranges::Parse(value);
      if (!r.ok())
        return absl::InvalidArgumentError(
            atl::StrCat("attribute '", a.name, "': ", r.status().message()));
      a.type = ValueType::kRanges;
      a.ranges = *r;
    } else if (!value.empty() && value.front() == '{' && value.back() == '}') {
      a.type = ValueType::kSet;
      for (std::string_view s : atl::Split(value.substr(1, value.size() - 2), ',')) {
        a.set.emplace_back(atl::Strip(s));
      }
    } else if (atl::ParseDouble(value, &d) && !value.empty() &&
               (std::isdigit(static_cast<unsigned char>(value.front())) || value.front() == '-')) {
      a.type = ValueType::kScalar;
      a.scalar = Scalar::FromDouble(d);
    } else {
      a.type = ValueType::kText;
      a.text = std::string(value);
    }
    out.push_back(std::move(a));
  }
  return out;
}

const Attribute* FindAttribute(const Attributes& attributes, std::string_view name) {
  for (const Attribute& a : attributes) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

}  // namespace atl::model
