// ParseMarathonConstraint / ParseAuroraConstraint: Marathon's validation messages (all that
// apply) and Aurora's constraint strings.
#include "constraints/constraint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace atl::constraints {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kUnknownOperator[] =
    "operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, MAX_PER, UNLIKE or IS";
constexpr char kIsValue[] =
    "IS only supports Mesos text and float values (see "
    "http://mesos.apache.org/documentation/latest/attributes-resources/)";

std::vector<std::string> Errors(std::vector<std::string> c) { return MarathonConstraintErrors(c); }

Constraint Parsed(std::vector<std::string> c) {
  ParseResult r = ParseMarathonConstraint(c);
  EXPECT_TRUE(r.ok()) << testing::PrintToString(r.errors);
  return r.constraint.value_or(Constraint{});
}

TEST(MarathonConstraint, AcceptsEveryOperatorWithItsValueRule) {
  struct Case {
    std::vector<std::string> c;
    Operator op;
    int64_t number;
  };
  for (const Case& t : std::vector<Case>{
           {{"hostname", "UNIQUE"}, Operator::kUnique, 0},
           {{"rack", "CLUSTER"}, Operator::kCluster, 0},
           {{"rack", "CLUSTER", "r1"}, Operator::kCluster, 0},
           {{"rack", "GROUP_BY"}, Operator::kGroupBy, 0},
           {{"rack", "GROUP_BY", "3"}, Operator::kGroupBy, 3},
           {{"rack", "LIKE", "r[0-9]+"}, Operator::kLike, 0},
           {{"rack", "UNLIKE", "r1|r2"}, Operator::kUnlike, 0},
           {{"rack", "MAX_PER", "2"}, Operator::kMaxPer, 2},
           {{"rack", "MAX_PER", "0"}, Operator::kMaxPer, 0},
           {{"gen", "IS", "3"}, Operator::kIs, 0},
           {{"os", "IS", "ubuntu-22.04/x86_64"}, Operator::kIs, 0},
       }) {
    Constraint c = Parsed(t.c);
    EXPECT_EQ(c.op, t.op) << testing::PrintToString(t.c);
    EXPECT_EQ(c.number, t.number) << testing::PrintToString(t.c);
  }
}

TEST(MarathonConstraint, MatchesOperatorCaseInsensitively) {
  EXPECT_EQ(Parsed({"rack", "group_by", "2"}).op, Operator::kGroupBy);
  EXPECT_EQ(Parsed({"rack", "Like", "a"}).op, Operator::kLike);
}

TEST(MarathonConstraint, ReadsBuiltInFields) {
  EXPECT_EQ(Parsed({"hostname", "UNIQUE"}).kind, FieldKind::kHostname);
  EXPECT_EQ(Parsed({"@hostname", "UNIQUE"}).kind, FieldKind::kHostname);
  EXPECT_EQ(Parsed({"@region", "UNIQUE"}).kind, FieldKind::kRegion);
  EXPECT_EQ(Parsed({"@zone", "GROUP_BY"}).kind, FieldKind::kZone);
  EXPECT_EQ(Parsed({"host", "UNIQUE"}).kind, FieldKind::kAttribute);
  EXPECT_EQ(Parsed({"rack", "UNIQUE"}).kind, FieldKind::kAttribute);
}

TEST(MarathonConstraint, RejectsWithMarathonMessages) {
  EXPECT_THAT(Errors({"rack"}), ElementsAre("Each constraint must have either 2 or 3 fields"));
  EXPECT_THAT(Errors({"rack", "UNIQUE", "a", "b"}),
              ElementsAre("Each constraint must have either 2 or 3 fields"));
  EXPECT_THAT(Errors({"rack", "NEAR"}), ElementsAre(kUnknownOperator));
  EXPECT_THAT(Errors({"rack", "UNIQUE", "x"}), ElementsAre("UNIQUE does not accept a value"));
  EXPECT_THAT(Errors({"rack", "GROUP_BY", "two"}),
              ElementsAre("GROUP BY must define an integer value or else no value at all"));
  EXPECT_THAT(Errors({"rack", "GROUP_BY", "1.5"}),
              ElementsAre("GROUP BY must define an integer value or else no value at all"));
  EXPECT_THAT(Errors({"rack", "MAX_PER"}), ElementsAre("MAX_PER requires an integer value"));
  EXPECT_THAT(Errors({"rack", "MAX_PER", "x"}), ElementsAre("MAX_PER requires an integer value"));
  EXPECT_THAT(Errors({"rack", "MAX_PER", "99999999999"}),
              ElementsAre("MAX_PER requires an integer value"));
  EXPECT_THAT(Errors({"rack", "LIKE"}),
              ElementsAre("LIKE and UNLIKE require a non-empty, regular expression value"));
  EXPECT_THAT(Errors({"rack", "UNLIKE", ""}),
              ElementsAre("LIKE and UNLIKE require a non-empty, regular expression value"));
  EXPECT_THAT(Errors({"rack", "LIKE", "r[1-"}),
              ElementsAre("'r[1-' is not a valid regular expression"));
  EXPECT_THAT(Errors({"rack", "IS", "{a,b}"}), ElementsAre(kIsValue));
  EXPECT_THAT(Errors({"rack", "IS"}), ElementsAre(kIsValue));
}

TEST(MarathonConstraint, ReturnsEveryError) {
  EXPECT_THAT(Errors({"", "UNIQUE", "x"}), ElementsAre("missing field for constraint declaration",
                                                       "UNIQUE does not accept a value"));
  EXPECT_THAT(Errors({"", "NEAR"}),
              ElementsAre("missing field for constraint declaration", kUnknownOperator));
}

TEST(MarathonConstraint, TreatsEmptyClusterValueAsNone) {
  EXPECT_FALSE(Parsed({"rack", "CLUSTER", ""}).value.has_value());
}

TEST(MarathonConstraint, NormalizesNumericIsValues) {
  EXPECT_EQ(Parsed({"gen", "IS", "0.80"}).scalar_value, "0.8");
  EXPECT_EQ(Parsed({"gen", "IS", "r1"}).scalar_value, std::nullopt);
}

TEST(MarathonConstraint, DescribesItself) {
  EXPECT_EQ(Describe(Parsed({"hostname", "UNIQUE"})), "UNIQUE hostname");
  EXPECT_EQ(Describe(Parsed({"rack", "GROUP_BY", "3"})), "GROUP_BY rack 3");
}

TEST(AuroraConstraint, ParsesValuesListsNegationAndLimits) {
  absl::StatusOr<Constraint> one = ParseAuroraConstraint("ssd", "true");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->op, Operator::kIn);
  EXPECT_THAT(one->values, ElementsAre("true"));

  absl::StatusOr<Constraint> list = ParseAuroraConstraint("zone", "us-east-1a, us-east-1b");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->op, Operator::kIn);
  EXPECT_THAT(list->values, ElementsAre("us-east-1a", "us-east-1b"));

  absl::StatusOr<Constraint> negated = ParseAuroraConstraint("rack", "!r12,r13");
  ASSERT_TRUE(negated.ok());
  EXPECT_EQ(negated->op, Operator::kNotIn);
  EXPECT_THAT(negated->values, ElementsAre("r12", "r13"));

  absl::StatusOr<Constraint> limit = ParseAuroraConstraint("host", "limit:1");
  ASSERT_TRUE(limit.ok());
  EXPECT_EQ(limit->op, Operator::kMaxPer);
  EXPECT_EQ(limit->number, 1);
  EXPECT_EQ(limit->kind, FieldKind::kHostname);
  EXPECT_EQ(ParseAuroraConstraint("rack", "limit:2")->kind, FieldKind::kAttribute);
}

TEST(AuroraConstraint, ParsesDedicatedWithRoleCheck) {
  absl::StatusOr<Constraint> d = ParseAuroraConstraint("dedicated", "www-data/hello", "www-data");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->op, Operator::kDedicated);
  EXPECT_EQ(d->value, "www-data/hello");
  EXPECT_TRUE(ParseAuroraConstraint("dedicated", "*/hello", "www-data").ok());
  EXPECT_TRUE(ParseAuroraConstraint("dedicated", "ops/hello").ok());
  EXPECT_EQ(ParseAuroraConstraint("dedicated", "ops/hello", "www-data").status().message(),
            "dedicated: the role must be the job's role 'www-data' or '*', got 'ops/hello'");
  EXPECT_EQ(ParseAuroraConstraint("dedicated", "hello").status().message(),
            "dedicated: expected role/name, got 'hello'");
  EXPECT_FALSE(ParseAuroraConstraint("dedicated", "/hello").ok());
  EXPECT_FALSE(ParseAuroraConstraint("dedicated", "ops/").ok());
}

TEST(AuroraConstraint, RejectsBadStrings) {
  EXPECT_EQ(ParseAuroraConstraint("host", "limit:x").status().message(),
            "host: limit must be a positive integer, got 'limit:x'");
  EXPECT_FALSE(ParseAuroraConstraint("host", "limit:0").ok());
  EXPECT_FALSE(ParseAuroraConstraint("host", "limit:").ok());
  EXPECT_EQ(ParseAuroraConstraint("rack", "a,,b").status().message(),
            "rack: expected a value or a comma list of values, got 'a,,b'");
  EXPECT_FALSE(ParseAuroraConstraint("rack", "").ok());
  EXPECT_FALSE(ParseAuroraConstraint("rack", "!").ok());
  EXPECT_FALSE(ParseAuroraConstraint("", "a").ok());
}

TEST(AuroraConstraint, HasAnEquivalentMarathonForm) {
  EXPECT_THAT(MarathonForm(*ParseAuroraConstraint("host", "limit:1")),
              ElementsAre("hostname", "MAX_PER", "1"));
  EXPECT_THAT(MarathonForm(*ParseAuroraConstraint("rack", "!r1,r.2")),
              ElementsAre("rack", "UNLIKE", "(?:r1|r\\.2)"));
  EXPECT_THAT(MarathonForm(*ParseAuroraConstraint("rack", "r1")),
              ElementsAre("rack", "LIKE", "r1"));
  EXPECT_THAT(MarathonForm(Parsed({"@hostname", "GROUP_BY", "2"})),
              ElementsAre("@hostname", "GROUP_BY", "2"));
  EXPECT_THAT(MarathonConstraintErrors(MarathonForm(*ParseAuroraConstraint("dedicated", "a/b"))),
              IsEmpty());
}

}  // namespace
}  // namespace atl::constraints
