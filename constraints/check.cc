#include "constraints/check.h"

#include <algorithm>

#include "core/base/strings.h"
#include "re2/re2.h"

namespace atl::constraints {
namespace {

constexpr char kDedicatedAttribute[] = "dedicated";

Result Fail(const Constraint& c, std::string why) {
  return Result{false, StrCat(Describe(c), ": ", why)};
}

std::string Instances(int n) { return n == 1 ? "1 instance" : StrCat(n, " instances"); }

bool FullMatch(const Constraint& c, const std::string& text) {
  return c.regex != nullptr && re2::RE2::FullMatch(text, *c.regex);
}

// The stage of CheckAll's order (see check.h).
int Stage(const Constraint& c) {
  switch (c.op) {
    case Operator::kIs:
    case Operator::kIn:
    case Operator::kNotIn:
    case Operator::kDedicated:
      return 2;
    case Operator::kCluster:
      return c.value.has_value() ? 2 : 3;
    case Operator::kUnique:
    case Operator::kMaxPer:
      return 3;
    case Operator::kGroupBy:
      return 4;
    case Operator::kLike:
    case Operator::kUnlike:
      return 5;
  }
  return 5;
}

// Whether `c` asks for the dedicated group `value`: Aurora's DEDICATED, or its Marathon form (a
// LIKE on the `dedicated` attribute matching the value; IS or CLUSTER naming it).
bool AsksFor(const Constraint& c, const std::string& value) {
  if (c.kind != FieldKind::kAttribute || c.field != kDedicatedAttribute) return false;
  switch (c.op) {
    case Operator::kDedicated:
    case Operator::kIs:
    case Operator::kCluster:
      return c.value == value;
    case Operator::kLike:
      return FullMatch(c, value);
    default:
      return false;
  }
}

Result CheckDedicatedAgent(const std::vector<Constraint>& constraints, const AgentView& agent) {
  const model::Attribute* a = model::FindAttribute(agent.attributes, kDedicatedAttribute);
  if (a == nullptr) return {};
  const std::string value = a->ValueString();
  for (const Constraint& c : constraints) {
    if (AsksFor(c, value)) return {};
  }
  return Result{false, StrCat("DEDICATED: ", agent.hostname, " is dedicated to ", value)};
}

template <typename OnFailure>
void Run(const std::vector<Constraint>& constraints, const AgentView& agent,
         const PlacementCounts& placed, const CheckOptions& options, OnFailure on_failure) {
  if (options.dedicated_agents_exclusive) {
    Result r = CheckDedicatedAgent(constraints, agent);
    if (!r.ok && !on_failure(std::move(r))) return;
  }
  for (int stage = 2; stage <= 5; ++stage) {
    for (size_t k = 0; k < constraints.size(); ++k) {
      const Constraint& c = constraints[k];
      if (Stage(c) != stage) continue;
      Result r = Check(c, agent, placed);
      if (r.ok) continue;
      r.index = static_cast<int>(k);
      if (!on_failure(std::move(r))) return;
    }
  }
}

}  // namespace

Result Check(const Constraint& c, const AgentView& agent, const PlacementCounts& placed) {
  const std::optional<FieldValue> value = ReadField(c, agent);
  if (!value.has_value()) {
    if (c.op == Operator::kUnlike || c.op == Operator::kNotIn) return {};
    return Fail(c, StrCat(agent.hostname, " has no ", c.field));
  }
  const std::string& v = value->text;
  // "host-1" for hostname fields, "r1 (host-1)" otherwise.
  const std::string at = c.kind == FieldKind::kHostname ? v : StrCat(v, " (", agent.hostname, ")");
  switch (c.op) {
    case Operator::kUnique: {
      const int n = placed.Count(c, v);
      if (n > 0) return Fail(c, StrCat(at, " already runs ", Instances(n)));
      return {};
    }
    case Operator::kCluster:
      if (c.value.has_value()) {
        if (v != *c.value) return Fail(c, StrCat(at, " is not ", *c.value));
      } else if (placed.DistinctValues(c) > 0 && placed.Count(c, v) == 0) {
        return Fail(c, StrCat(at, " is not where the placed instances are"));
      }
      return {};
    case Operator::kGroupBy: {
      const int n = placed.Count(c, v);
      if (n == 0) return {};
      const int used = placed.DistinctValues(c);
      if (used < c.number) {
        return Fail(c, StrCat(at, " already runs ", Instances(n), " while only ", used, " of ",
                              c.number, " groups are used"));
      }
      const int min = placed.MinCount(c).value_or(0);
      if (n != min) {
        return Fail(c, StrCat(at, " already runs ", Instances(n), ", the smallest group ", min));
      }
      return {};
    }
    case Operator::kLike:
      if (!FullMatch(c, v)) return Fail(c, StrCat(at, " does not match"));
      return {};
    case Operator::kUnlike:
      if (FullMatch(c, v)) return Fail(c, StrCat(at, " matches"));
      return {};
    case Operator::kMaxPer: {
      const int n = placed.Count(c, v);
      if (n >= c.number) return Fail(c, StrCat(at, " already runs ", Instances(n)));
      return {};
    }
    case Operator::kIs:
      if (v == c.value || (value->scalar && c.scalar_value.has_value() && v == *c.scalar_value)) {
        return {};
      }
      return Fail(c, StrCat(at, " is not ", c.value.value_or("")));
    case Operator::kIn:
      if (std::find(c.values.begin(), c.values.end(), v) == c.values.end()) {
        return Fail(c, StrCat(at, " is not one of them"));
      }
      return {};
    case Operator::kNotIn:
      if (std::find(c.values.begin(), c.values.end(), v) != c.values.end()) {
        return Fail(c, StrCat(at, " is one of them"));
      }
      return {};
    case Operator::kDedicated:
      if (v != c.value) return Fail(c, StrCat(at, " is not ", c.value.value_or("")));
      return {};
  }
  return {};
}

Result CheckAll(const std::vector<Constraint>& constraints, const AgentView& agent,
                const PlacementCounts& placed, const CheckOptions& options) {
  Result first;
  Run(constraints, agent, placed, options, [&](Result r) {
    first = std::move(r);
    return false;
  });
  return first;
}

std::vector<Result> AllFailures(const std::vector<Constraint>& constraints, const AgentView& agent,
                                const PlacementCounts& placed, const CheckOptions& options) {
  std::vector<Result> reasons;
  Run(constraints, agent, placed, options, [&](Result r) {
    reasons.push_back(std::move(r));
    return true;
  });
  return reasons;
}

}  // namespace atl::constraints
