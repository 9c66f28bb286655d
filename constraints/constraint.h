// A placement constraint, parsed from Marathon's `[field, OPERATOR, value?]` arrays or from
// Aurora's job DSL strings (reference/marathon.md §2.7, reference/aurora-discovery.md §1.3).
// Parsing validates and compiles (regexes once); checking lives in check.h.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace re2 {
class RE2;
}

namespace atl::constraints {

enum class Operator {
  // Marathon.
  kUnique,
  kCluster,
  kGroupBy,
  kLike,
  kUnlike,
  kMaxPer,
  kIs,
  // Aurora only (Aurora's `limit:N` is kMaxPer).
  kIn,         // "a,b": the value is one of `values`
  kNotIn,      // "!a,b": the value is none of `values`, or the agent lacks the field
  kDedicated,  // `dedicated: role/name`: the agent's `dedicated` attribute equals `value`
};

// "UNIQUE", ..., "IS"; "IN", "NOT_IN", "DEDICATED" for the Aurora forms.
std::string_view OperatorName(Operator op);

// Where the compared value comes from.
enum class FieldKind {
  kHostname,   // Marathon `hostname` / `@hostname`, Aurora `host`
  kRegion,     // `@region` (the agent's fault domain)
  kZone,       // `@zone`
  kAttribute,  // any other name: an agent attribute
};

struct Constraint {
  FieldKind kind = FieldKind::kAttribute;
  std::string field;  // as written ("hostname", "@zone", "rack", Aurora "host")
  Operator op = Operator::kUnique;
  // Marathon: the third element as written. Aurora: the text after `limit:`, the dedicated
  // value, or the list as written (without `!`).
  std::optional<std::string> value;
  std::vector<std::string> values;  // kIn / kNotIn: the comma list, trimmed
  // kMaxPer: the limit. kGroupBy: the minimum number of groups (0 without a value).
  int64_t number = 0;
  // kIs: the value in Mesos scalar form ("0.80" -> "0.8") when it is a number, compared with
  // scalar attributes.
  std::optional<std::string> scalar_value;
  std::shared_ptr<const re2::RE2> regex;  // kLike / kUnlike: compiled for a full match

  // Compares what was parsed (kind, field, op, value, values, number), not the compiled regex.
  bool operator==(const Constraint& other) const;
};

// ["rack", "GROUP_BY", "3"]-like text for reasons and logs: "GROUP_BY rack 3", "UNIQUE hostname",
// "IN rack a,b".
std::string Describe(const Constraint& c);

// A parsed constraint, or every validation error (Marathon's texts; the caller reports them at
// `/constraints(i)` in a 422).
struct ParseResult {
  std::optional<Constraint> constraint;  // set iff errors is empty
  std::vector<std::string> errors;
  bool ok() const { return errors.empty(); }
};

// Parses and validates a Marathon constraint `[field, OPERATOR, value?]`. The operator is
// matched case-insensitively. Errors (all that apply):
//   "Each constraint must have either 2 or 3 fields" (alone),
//   "missing field for constraint declaration",
//   "operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, MAX_PER, UNLIKE or IS",
//   "UNIQUE does not accept a value",
//   "GROUP BY must define an integer value or else no value at all",
//   "MAX_PER requires an integer value",
//   "LIKE and UNLIKE require a non-empty, regular expression value",
//   "'<value>' is not a valid regular expression" (RE2 syntax: no backreferences or lookaround),
//   "IS only supports Mesos text and float values (see http://mesos.apache.org/...)".
// An empty CLUSTER value means "no value" (Marathon treats "" as unset).
ParseResult ParseMarathonConstraint(const std::vector<std::string>& c);

// The errors alone: a drop-in for marathonlike's AppConstraintErrors.
std::vector<std::string> MarathonConstraintErrors(const std::vector<std::string>& c);

// Parses one entry of an Aurora job's `constraints` map: `name` is an agent attribute or the
// built-in `host`; `text` is a value, a comma list ("a,b": any of them), a negated list ("!a,b":
// none of them), "limit:N" (at most N instances per distinct value; N a positive integer), or,
// for name `dedicated`, "role/name". When `job_role` is given, a dedicated role must equal it or
// be "*". Fails with InvalidArgument "<name>: <why>, got '<text>'".
absl::StatusOr<Constraint> ParseAuroraConstraint(std::string_view name, std::string_view text,
                                                 std::optional<std::string_view> job_role = {});

// The Marathon array that checks the same thing, so the DSL can store Aurora constraints in an
// app definition: IN/NOT_IN become LIKE/UNLIKE of the quoted alternatives, `host` becomes
// `hostname`, DEDICATED becomes a LIKE on `dedicated` (losing the agent-side exclusivity, which
// CheckOptions restores).
std::vector<std::string> MarathonForm(const Constraint& c);

}  // namespace atl::constraints
