#include "constraints/constraint.h"

#include <cctype>
#include <limits>

#include "core/base/strings.h"
#include "core/model/scalar.h"
#include "re2/re2.h"

namespace atl::constraints {
namespace {

constexpr char kUnknownOperator[] =
    "operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, MAX_PER, UNLIKE or IS";
constexpr char kIsValue[] =
    "IS only supports Mesos text and float values (see "
    "http://mesos.apache.org/documentation/latest/attributes-resources/)";

// Java's Integer.parseInt: optional sign, decimal digits, 32 bits; no whitespace.
bool ParseInt32(std::string_view s, int64_t* out) {
  size_t i = 0;
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return false;
  int64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
    if (v > int64_t{std::numeric_limits<int32_t>::max()} + 1) return false;
  }
  if (negative) v = -v;
  if (v > std::numeric_limits<int32_t>::max()) return false;
  *out = v;
  return true;
}

std::optional<Operator> OperatorFromName(std::string_view name) {
  std::string upper(name);
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  for (Operator op : {Operator::kUnique, Operator::kCluster, Operator::kGroupBy, Operator::kLike,
                      Operator::kUnlike, Operator::kMaxPer, Operator::kIs}) {
    if (upper == OperatorName(op)) return op;
  }
  return std::nullopt;
}

bool IsMesosTextOrScalar(std::string_view v) {
  for (char ch : v) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '_' || ch == '/' || ch == '.' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

// A full-match regex; null (and `error` set) when RE2 rejects it.
std::shared_ptr<const re2::RE2> Compile(std::string_view pattern, std::string* error) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto regex =
      std::make_shared<const re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!regex->ok()) {
    *error = regex->error();
    return nullptr;
  }
  return regex;
}

FieldKind MarathonFieldKind(std::string_view field) {
  if (field == "hostname" || field == "@hostname") return FieldKind::kHostname;
  if (field == "@region") return FieldKind::kRegion;
  if (field == "@zone") return FieldKind::kZone;
  return FieldKind::kAttribute;
}

std::string QuotedAlternatives(const std::vector<std::string>& values) {
  std::vector<std::string> quoted;
  for (const std::string& v : values) quoted.push_back(re2::RE2::QuoteMeta(v));
  return quoted.size() == 1 ? quoted[0] : StrCat("(?:", Join(quoted, "|"), ")");
}

absl::Status AuroraError(std::string_view name, std::string_view why, std::string_view text) {
  return absl::InvalidArgumentError(StrCat(name, ": ", why, ", got '", text, "'"));
}

}  // namespace

std::string_view OperatorName(Operator op) {
  switch (op) {
    case Operator::kUnique:
      return "UNIQUE";
    case Operator::kCluster:
      return "CLUSTER";
    case Operator::kGroupBy:
      return "GROUP_BY";
    case Operator::kLike:
      return "LIKE";
    case Operator::kUnlike:
      return "UNLIKE";
    case Operator::kMaxPer:
      return "MAX_PER";
    case Operator::kIs:
      return "IS";
    case Operator::kIn:
      return "IN";
    case Operator::kNotIn:
      return "NOT_IN";
    case Operator::kDedicated:
      return "DEDICATED";
  }
  return "?";
}

bool Constraint::operator==(const Constraint& o) const {
  return kind == o.kind && field == o.field && op == o.op && value == o.value &&
         values == o.values && number == o.number && scalar_value == o.scalar_value;
}

std::string Describe(const Constraint& c) {
  std::string out = StrCat(OperatorName(c.op), " ", c.field);
  if (c.op == Operator::kIn || c.op == Operator::kNotIn) {
    StrAppend(&out, " ", Join(c.values, ","));
  } else if (c.value.has_value() && !c.value->empty()) {
    StrAppend(&out, " ", *c.value);
  }
  return out;
}

ParseResult ParseMarathonConstraint(const std::vector<std::string>& c) {
  ParseResult result;
  if (c.size() < 2 || c.size() > 3) {
    result.errors.push_back("Each constraint must have either 2 or 3 fields");
    return result;
  }
  std::vector<std::string>& errors = result.errors;
  if (c[0].empty()) errors.push_back("missing field for constraint declaration");
  Constraint out;
  out.field = c[0];
  out.kind = MarathonFieldKind(c[0]);
  if (c.size() == 3) out.value = c[2];
  const std::optional<Operator> op = OperatorFromName(c[1]);
  if (!op.has_value()) {
    errors.push_back(kUnknownOperator);
    return result;
  }
  out.op = *op;
  const std::optional<std::string>& value = out.value;
  switch (out.op) {
    case Operator::kUnique:
      if (value.has_value()) errors.push_back("UNIQUE does not accept a value");
      break;
    case Operator::kCluster:
      if (value.has_value() && value->empty()) out.value.reset();
      break;
    case Operator::kGroupBy:
      if (value.has_value() && !ParseInt32(*value, &out.number)) {
        errors.push_back("GROUP BY must define an integer value or else no value at all");
      }
      break;
    case Operator::kMaxPer:
      if (!value.has_value() || !ParseInt32(*value, &out.number)) {
        errors.push_back("MAX_PER requires an integer value");
      }
      break;
    case Operator::kLike:
    case Operator::kUnlike:
      if (!value.has_value() || value->empty()) {
        errors.push_back("LIKE and UNLIKE require a non-empty, regular expression value");
      } else {
        std::string why;
        out.regex = Compile(*value, &why);
        if (out.regex == nullptr) {
          errors.push_back(StrCat("'", *value, "' is not a valid regular expression"));
        }
      }
      break;
    case Operator::kIs:
      if (!value.has_value() || !IsMesosTextOrScalar(*value)) {
        errors.push_back(kIsValue);
      } else if (double d; ParseDouble(*value, &d)) {
        out.scalar_value = model::Scalar::FromDouble(d).ToString();
      }
      break;
    case Operator::kIn:
    case Operator::kNotIn:
    case Operator::kDedicated:
      break;  // not reachable from Marathon names
  }
  if (errors.empty()) result.constraint = std::move(out);
  return result;
}

std::vector<std::string> MarathonConstraintErrors(const std::vector<std::string>& c) {
  return ParseMarathonConstraint(c).errors;
}

absl::StatusOr<Constraint> ParseAuroraConstraint(std::string_view name, std::string_view text,
                                                 std::optional<std::string_view> job_role) {
  if (name.empty()) return AuroraError("constraint", "the attribute name must not be empty", text);
  Constraint out;
  out.field = std::string(name);
  out.kind = name == "host" ? FieldKind::kHostname : FieldKind::kAttribute;
  std::string_view body = Strip(text);
  if (name == "dedicated") {
    const size_t slash = body.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == body.size() ||
        body.find(',') != std::string_view::npos || body.front() == '!') {
      return AuroraError(name, "expected role/name", text);
    }
    const std::string_view role = body.substr(0, slash);
    if (job_role.has_value() && role != "*" && role != *job_role) {
      return AuroraError(name, StrCat("the role must be the job's role '", *job_role, "' or '*'"),
                         text);
    }
    out.op = Operator::kDedicated;
    out.value = std::string(body);
    return out;
  }
  if (ConsumePrefix(&body, "limit:")) {
    if (!ParseInt32(Strip(body), &out.number) || out.number < 1) {
      return AuroraError(name, "limit must be a positive integer", text);
    }
    out.op = Operator::kMaxPer;
    out.value = std::string(Strip(body));
    return out;
  }
  out.op = ConsumePrefix(&body, "!") ? Operator::kNotIn : Operator::kIn;
  out.value = std::string(body);
  for (std::string_view v : Split(body, ',', /*skip_empty=*/false)) {
    v = Strip(v);
    if (v.empty()) return AuroraError(name, "expected a value or a comma list of values", text);
    out.values.emplace_back(v);
  }
  return out;
}

std::vector<std::string> MarathonForm(const Constraint& c) {
  // Aurora's built-in `host` is Marathon's `hostname`; a Marathon field stays as written.
  const std::string field =
      c.kind == FieldKind::kHostname && c.field == "host" ? "hostname" : c.field;
  switch (c.op) {
    case Operator::kIn:
      return {field, "LIKE", QuotedAlternatives(c.values)};
    case Operator::kNotIn:
      return {field, "UNLIKE", QuotedAlternatives(c.values)};
    case Operator::kDedicated:
      return {field, "LIKE", re2::RE2::QuoteMeta(c.value.value_or(""))};
    case Operator::kMaxPer:
      return {field, "MAX_PER", std::to_string(c.number)};
    default:
      break;
  }
  std::vector<std::string> out = {field, std::string(OperatorName(c.op))};
  if (c.value.has_value()) out.push_back(*c.value);
  return out;
}

}  // namespace atl::constraints
