// Check / CheckAll / AllFailures: every operator's semantics and edge cases, as tables.
#include "constraints/check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace atl::constraints {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// An agent from Mesos attribute text ("rack:r1;gen:3"), in region eu / zone `zone` when given.
AgentView Agent(std::string hostname, std::string_view attributes = "",
                std::optional<std::string> zone = std::nullopt) {
  AgentView a;
  a.hostname = std::move(hostname);
  if (!attributes.empty()) a.attributes = *model::ParseAttributes(attributes);
  if (zone.has_value()) {
    a.region = "eu";
    a.zone = zone;
  }
  return a;
}

Constraint C(std::vector<std::string> array) {
  ParseResult r = ParseMarathonConstraint(array);
  EXPECT_TRUE(r.ok()) << testing::PrintToString(r.errors);
  return *r.constraint;
}

// Counts for `c` with one instance at each of `placed`.
PlacementCounts Placed(const std::vector<Constraint>& cs, const std::vector<AgentView>& placed) {
  PlacementCounts counts(cs);
  for (const AgentView& a : placed) counts.Add(a);
  return counts;
}

bool Accepts(const Constraint& c, const AgentView& agent,
             const std::vector<AgentView>& placed = {}) {
  return Check(c, agent, Placed({c}, placed)).ok;
}

TEST(Check, Unique) {
  const Constraint c = C({"hostname", "UNIQUE"});
  const AgentView h1 = Agent("host-1"), h2 = Agent("host-2");
  EXPECT_TRUE(Accepts(c, h1));
  EXPECT_TRUE(Accepts(c, h2, {h1}));
  EXPECT_FALSE(Accepts(c, h1, {h1}));
  EXPECT_EQ(Check(c, h1, Placed({c}, {h1})).reason,
            "UNIQUE hostname: host-1 already runs 1 instance");
  const Constraint rack = C({"rack", "UNIQUE"});
  EXPECT_EQ(
      Check(rack, Agent("host-2", "rack:r1"), Placed({rack}, {Agent("host-1", "rack:r1")})).reason,
      "UNIQUE rack: r1 (host-2) already runs 1 instance");
}

TEST(Check, ClusterWithValue) {
  const Constraint c = C({"rack", "CLUSTER", "r1"});
  EXPECT_TRUE(Accepts(c, Agent("a", "rack:r1")));
  EXPECT_FALSE(Accepts(c, Agent("b", "rack:r2")));
  EXPECT_EQ(Check(c, Agent("b", "rack:r2"), Placed({c}, {})).reason,
            "CLUSTER rack r1: r2 (b) is not r1");
}

TEST(Check, ClusterWithoutValueFollowsTheFirstPlacement) {
  const Constraint c = C({"rack", "CLUSTER"});
  const AgentView r1 = Agent("a", "rack:r1"), r2 = Agent("b", "rack:r2");
  EXPECT_TRUE(Accepts(c, r2));  // nothing placed: anywhere
  EXPECT_TRUE(Accepts(c, r1, {r1}));
  EXPECT_FALSE(Accepts(c, r2, {r1}));
  EXPECT_TRUE(Accepts(c, Agent("c", "rack:r1"), {r1, r1}));
}

TEST(Check, GroupByWithoutCountKeepsUsedGroupsEven) {
  const Constraint c = C({"rack", "GROUP_BY"});
  const AgentView r1 = Agent("a", "rack:r1"), r2 = Agent("b", "rack:r2"),
                  r3 = Agent("c", "rack:r3");
  EXPECT_TRUE(Accepts(c, r1));
  EXPECT_TRUE(Accepts(c, r1, {r1}));      // the only known group is the smallest
  EXPECT_TRUE(Accepts(c, r2, {r1, r1}));  // an unused value is always welcome
  EXPECT_FALSE(Accepts(c, r1, {r1, r1, r2}));
  EXPECT_TRUE(Accepts(c, r2, {r1, r1, r2}));
  EXPECT_TRUE(Accepts(c, r3, {r1, r1, r2}));
  EXPECT_EQ(Check(c, r1, Placed({c}, {r1, r1, r2})).reason,
            "GROUP_BY rack: r1 (a) already runs 2 instances, the smallest group 1");
}

TEST(Check, GroupByWithCountFillsUnusedGroupsFirst) {
  const Constraint c = C({"rack", "GROUP_BY", "3"});
  const AgentView r1 = Agent("a", "rack:r1"), r2 = Agent("b", "rack:r2"),
                  r3 = Agent("c", "rack:r3");
  EXPECT_FALSE(Accepts(c, r1, {r1}));
  EXPECT_EQ(Check(c, r1, Placed({c}, {r1})).reason,
            "GROUP_BY rack 3: r1 (a) already runs 1 instance while only 1 of 3 groups are used");
  EXPECT_TRUE(Accepts(c, r2, {r1}));
  EXPECT_FALSE(Accepts(c, r2, {r1, r2}));
  EXPECT_TRUE(Accepts(c, r3, {r1, r2}));
  EXPECT_TRUE(Accepts(c, r1, {r1, r2, r3}));
  EXPECT_FALSE(Accepts(c, r1, {r1, r2, r3, r1}));
}

TEST(Check, LikeAndUnlikeMatchTheWholeValue) {
  const Constraint like = C({"rack", "LIKE", "r[12]"});
  const Constraint unlike = C({"rack", "UNLIKE", "r[12]"});
  struct Case {
    std::string rack;
    bool matches;
  };
  for (const Case& t : std::vector<Case>{{"r1", true},
                                         {"r2", true},
                                         {"r3", false},
                                         {"r12", false},
                                         {"xr1", false},
                                         {"r1x", false}}) {
    const AgentView a = Agent("h", "rack:" + t.rack);
    EXPECT_EQ(Accepts(like, a), t.matches) << t.rack;
    EXPECT_EQ(Accepts(unlike, a), !t.matches) << t.rack;
  }
  // Anchors are harmless; a partial pattern needs .* to match inside.
  EXPECT_TRUE(Accepts(C({"rack", "LIKE", "^r1$"}), Agent("h", "rack:r1")));
  EXPECT_TRUE(Accepts(C({"rack", "LIKE", ".*1.*"}), Agent("h", "rack:xr1y")));
  EXPECT_EQ(Check(like, Agent("h", "rack:r3"), Placed({like}, {})).reason,
            "LIKE rack r[12]: r3 (h) does not match");
  EXPECT_EQ(Check(unlike, Agent("h", "rack:r1"), Placed({unlike}, {})).reason,
            "UNLIKE rack r[12]: r1 (h) matches");
}

TEST(Check, MaxPer) {
  const Constraint c = C({"rack", "MAX_PER", "2"});
  const AgentView r1 = Agent("a", "rack:r1");
  EXPECT_TRUE(Accepts(c, r1));
  EXPECT_TRUE(Accepts(c, r1, {r1}));
  EXPECT_FALSE(Accepts(c, r1, {r1, r1}));
  EXPECT_TRUE(Accepts(c, Agent("b", "rack:r2"), {r1, r1}));
  EXPECT_EQ(Check(c, r1, Placed({c}, {r1, r1})).reason,
            "MAX_PER rack 2: r1 (a) already runs 2 instances");
  EXPECT_FALSE(Accepts(C({"rack", "MAX_PER", "0"}), r1));  // MAX_PER 0: nowhere
}

TEST(Check, IsComparesTextAsIsAndScalarsInMesosForm) {
  EXPECT_TRUE(Accepts(C({"os", "IS", "ubuntu"}), Agent("a", "os:ubuntu")));
  EXPECT_FALSE(Accepts(C({"os", "IS", "ubuntu"}), Agent("a", "os:Ubuntu")));
  EXPECT_FALSE(Accepts(C({"os", "IS", "ubu"}), Agent("a", "os:ubuntu")));
  for (std::string v : {"0.8", "0.80", "0.8001"}) {
    EXPECT_TRUE(Accepts(C({"gen", "IS", v}), Agent("a", "gen:0.8"))) << v;
    EXPECT_TRUE(Accepts(C({"gen", "IS", "0.8"}), Agent("a", "gen:" + v))) << v;
  }
  EXPECT_FALSE(Accepts(C({"gen", "IS", "0.81"}), Agent("a", "gen:0.8")));
  EXPECT_TRUE(Accepts(C({"gen", "IS", "3"}), Agent("a", "gen:3.000")));
  EXPECT_EQ(Check(C({"os", "IS", "ubuntu"}), Agent("a", "os:debian"), Placed({}, {})).reason,
            "IS os ubuntu: debian (a) is not ubuntu");
}

TEST(Check, ComparesRangesAndSetsInMarathonTextForm) {
  const AgentView a = Agent("a", "slots:[1-4,6-8];disks:{ssd,hdd}");
  EXPECT_TRUE(Accepts(C({"slots", "CLUSTER", "[1-4,6-8]"}), a));
  EXPECT_TRUE(Accepts(C({"slots", "LIKE", "\\[1-4,.*"}), a));
  EXPECT_TRUE(Accepts(C({"disks", "CLUSTER", "{hdd,ssd}"}), a));
  // Numeric text: a scalar attribute prints in Mesos form, so LIKE sees "1.5", not "1.50".
  EXPECT_TRUE(Accepts(C({"gen", "LIKE", "1\\.5"}), Agent("a", "gen:1.50")));
  EXPECT_TRUE(Accepts(C({"gen", "CLUSTER", "2"}), Agent("a", "gen:2.0")));
}

TEST(Check, AgentLackingTheFieldSatisfiesOnlyUnlike) {
  const AgentView bare = Agent("bare");
  EXPECT_FALSE(Accepts(C({"rack", "UNIQUE"}), bare));
  EXPECT_FALSE(Accepts(C({"rack", "CLUSTER"}), bare));
  EXPECT_FALSE(Accepts(C({"rack", "CLUSTER", "r1"}), bare));
  EXPECT_FALSE(Accepts(C({"rack", "GROUP_BY"}), bare));
  EXPECT_FALSE(Accepts(C({"rack", "LIKE", ".*"}), bare));
  EXPECT_FALSE(Accepts(C({"rack", "MAX_PER", "5"}), bare));
  EXPECT_FALSE(Accepts(C({"rack", "IS", "r1"}), bare));
  EXPECT_FALSE(Accepts(C({"@zone", "GROUP_BY"}), bare));  // no fault domain
  EXPECT_TRUE(Accepts(C({"rack", "UNLIKE", ".*"}), bare));
  EXPECT_TRUE(Accepts(*ParseAuroraConstraint("rack", "!r1"), bare));
  EXPECT_FALSE(Accepts(*ParseAuroraConstraint("rack", "r1"), bare));
  EXPECT_EQ(Check(C({"rack", "LIKE", ".*"}), bare, Placed({}, {})).reason,
            "LIKE rack .*: bare has no rack");
}

TEST(Check, ReadsHostnameRegionAndZone) {
  const AgentView a = Agent("host-1", "", "eu-1a"), b = Agent("host-2", "", "eu-1b");
  EXPECT_FALSE(Accepts(C({"@zone", "UNIQUE"}), a, {a}));
  EXPECT_TRUE(Accepts(C({"@zone", "UNIQUE"}), b, {a}));
  EXPECT_FALSE(Accepts(C({"@region", "UNIQUE"}), b, {a}));
  EXPECT_TRUE(Accepts(C({"@hostname", "LIKE", "host-[0-9]+"}), a));
  // An attribute named "hostname" is shadowed by the agent's hostname.
  EXPECT_TRUE(Accepts(C({"hostname", "IS", "host-1"}), Agent("host-1", "hostname:other")));
}

TEST(Check, AuroraValuesAndDedicated) {
  const Constraint in = *ParseAuroraConstraint("zone", "a,b");
  const Constraint out = *ParseAuroraConstraint("rack", "!r12,r13");
  const Constraint limit = *ParseAuroraConstraint("host", "limit:1");
  EXPECT_TRUE(Accepts(in, Agent("h", "zone:b")));
  EXPECT_FALSE(Accepts(in, Agent("h", "zone:c")));
  EXPECT_FALSE(Accepts(out, Agent("h", "rack:r13")));
  EXPECT_TRUE(Accepts(out, Agent("h", "rack:r1")));
  EXPECT_FALSE(Accepts(limit, Agent("h"), {Agent("h")}));
  EXPECT_TRUE(Accepts(limit, Agent("g"), {Agent("h")}));
  EXPECT_EQ(Check(in, Agent("h", "zone:c"), Placed({}, {})).reason,
            "IN zone a,b: c (h) is not one of them");

  const Constraint dedicated = *ParseAuroraConstraint("dedicated", "www/hello");
  const AgentView mine = Agent("m", "dedicated:www/hello");
  const AgentView theirs = Agent("t", "dedicated:ops/db");
  const AgentView shared = Agent("s");
  EXPECT_TRUE(Accepts(dedicated, mine));
  EXPECT_FALSE(Accepts(dedicated, theirs));
  EXPECT_FALSE(Accepts(dedicated, shared));

  // The agent side: dedicated agents take only jobs naming them, when enabled.
  const CheckOptions exclusive{.dedicated_agents_exclusive = true};
  const std::vector<Constraint> plain = {C({"hostname", "UNIQUE"})};
  PlacementCounts none(plain);
  EXPECT_TRUE(CheckAll(plain, theirs, none).ok);
  EXPECT_EQ(CheckAll(plain, theirs, none, exclusive).reason, "DEDICATED: t is dedicated to ops/db");
  EXPECT_TRUE(CheckAll(plain, shared, none, exclusive).ok);
  EXPECT_TRUE(CheckAll({dedicated}, mine, PlacementCounts({dedicated}), exclusive).ok);
  // Its Marathon form (what the DSL stores in an app) opens the same agents, and only them.
  const Constraint stored = *ParseMarathonConstraint(MarathonForm(dedicated)).constraint;
  EXPECT_TRUE(CheckAll({stored}, mine, PlacementCounts({stored}), exclusive).ok);
  EXPECT_FALSE(CheckAll({stored}, theirs, PlacementCounts({stored}), exclusive).ok);
  const Constraint is = C({"dedicated", "IS", "ops/db"});
  EXPECT_TRUE(CheckAll({is}, theirs, PlacementCounts({is}), exclusive).ok);
}

TEST(CheckAll, ReturnsTheFirstFailureInCostOrderAndAllOfThem) {
  const std::vector<Constraint> cs = {C({"rack", "LIKE", "r[0-9]"}), C({"rack", "GROUP_BY", "2"}),
                                      C({"hostname", "UNIQUE"}), C({"os", "IS", "debian"})};
  const AgentView a = Agent("host-1", "rack:x1;os:ubuntu");
  const PlacementCounts placed = Placed(cs, {a});
  EXPECT_EQ(CheckAll(cs, a, placed).reason, "IS os debian: ubuntu (host-1) is not debian");
  EXPECT_EQ(CheckAll(cs, a, placed).index, 3);
  EXPECT_THAT(
      AllFailures(cs, a, placed),
      ElementsAre(Result{false, "IS os debian: ubuntu (host-1) is not debian", 3},
                  Result{false, "UNIQUE hostname: host-1 already runs 1 instance", 2},
                  Result{false,
                         "GROUP_BY rack 2: x1 (host-1) already runs 1 instance while only 1 of "
                         "2 groups are used",
                         1},
                  Result{false, "LIKE rack r[0-9]: x1 (host-1) does not match", 0}));
  const AgentView good = Agent("host-2", "rack:r2;os:debian");
  EXPECT_TRUE(CheckAll(cs, good, placed).ok);
  EXPECT_THAT(AllFailures(cs, good, placed), IsEmpty());
  EXPECT_TRUE(CheckAll({}, a, PlacementCounts({})).ok);
}

}  // namespace
}  // namespace atl::constraints
