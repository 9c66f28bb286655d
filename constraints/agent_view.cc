#include "constraints/agent_view.h"

#include <algorithm>

#include "core/base/strings.h"

namespace atl::constraints {

AgentView AgentViewOf(const model::Offer& offer) {
  AgentView out;
  out.hostname = offer.hostname;
  if (offer.domain.has_value()) {
    out.region = offer.domain->region;
    out.zone = offer.domain->zone;
  }
  out.attributes = offer.attributes;
  return out;
}

std::optional<FieldValue> ReadField(FieldKind kind, std::string_view name, const AgentView& agent) {
  switch (kind) {
    case FieldKind::kHostname:
      return FieldValue{agent.hostname};
    case FieldKind::kRegion:
      if (!agent.region.has_value()) return std::nullopt;
      return FieldValue{*agent.region};
    case FieldKind::kZone:
      if (!agent.zone.has_value()) return std::nullopt;
      return FieldValue{*agent.zone};
    case FieldKind::kAttribute:
      break;
  }
  const model::Attribute* a = model::FindAttribute(agent.attributes, name);
  if (a == nullptr) return std::nullopt;
  if (a->type == model::ValueType::kSet) {
    // Marathon prints sets sorted, so {b,a} and {a,b} are the same value.
    std::vector<std::string> items = a->set;
    std::sort(items.begin(), items.end());
    return FieldValue{StrCat("{", Join(items, ","), "}")};
  }
  if (a->type == model::ValueType::kRanges) {
    // Marathon's form has no space after the comma (Mesos prints "[1-4, 6-8]").
    std::string out = "[";
    for (const model::Range& r : a->ranges.ranges()) {
      if (out.size() > 1) out += ",";
      StrAppend(&out, r.begin, "-", r.end);
    }
    return FieldValue{out + "]"};
  }
  return FieldValue{a->ValueString(), a->type == model::ValueType::kScalar};
}

std::optional<FieldValue> ReadField(const Constraint& c, const AgentView& agent) {
  return ReadField(c.kind, c.field, agent);
}

}  // namespace atl::constraints
