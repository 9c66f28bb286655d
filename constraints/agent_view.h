// What the checkers see of an agent: its hostname, fault domain and attributes, and how a
// constraint's field is read from them (reference/marathon.md §2.7).
#pragma once

#include <optional>
#include <string>

#include "constraints/constraint.h"
#include "core/model/attributes.h"
#include "core/model/info.h"

namespace atl::constraints {

struct AgentView {
  std::string hostname;
  std::optional<std::string> region;  // absent without a fault domain
  std::optional<std::string> zone;
  model::Attributes attributes;
  bool operator==(const AgentView&) const = default;
};

// The agent behind `offer` (hostname, domain, attributes).
AgentView AgentViewOf(const model::Offer& offer);

// A field's value at an agent, compared as a string the way Marathon compares it: text as is,
// scalars in Mesos form with up to 3 decimals ("0.8"), ranges "[1-4,6-8]", sets "{a,b}".
struct FieldValue {
  std::string text;
  bool scalar = false;  // the attribute is a SCALAR (IS then also compares numerically)
};

// The value of `c`'s field at `agent`; nullopt when the agent lacks it (no such attribute, or no
// fault domain for @region/@zone). The hostname is always present.
std::optional<FieldValue> ReadField(const Constraint& c, const AgentView& agent);

// The same for a field named by kind and name (the name matters for kAttribute only).
std::optional<FieldValue> ReadField(FieldKind kind, std::string_view name, const AgentView& agent);

}  // namespace atl::constraints
