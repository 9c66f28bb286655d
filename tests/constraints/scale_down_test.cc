// ProposeKills: scale-down choices that keep GROUP_BY / MAX_PER spreading even.
#include "constraints/scale_down.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace atl::constraints {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

KillCandidate K(std::string id, std::string hostname, std::string_view attributes = "") {
  KillCandidate k;
  k.id = std::move(id);
  k.agent.hostname = std::move(hostname);
  if (!attributes.empty()) k.agent.attributes = *model::ParseAttributes(attributes);
  return k;
}

Constraint C(std::vector<std::string> array) { return *ParseMarathonConstraint(array).constraint; }

TEST(ProposeKills, TakesFromTheLargestGroupFirst) {
  const std::vector<KillCandidate> candidates = {K("a1", "h1", "rack:a"), K("b1", "h2", "rack:b"),
                                                 K("a2", "h3", "rack:a"), K("a3", "h4", "rack:a"),
                                                 K("c1", "h5", "rack:c"), K("b2", "h6", "rack:b")};
  // a:3 b:2 c:1: a first; then a and b tie at 2 and b1 comes first; then a.
  EXPECT_THAT(ProposeKills({C({"rack", "GROUP_BY"})}, candidates, 3),
              ElementsAre("a1", "b1", "a2"));
}

TEST(ProposeKills, KeepsCandidateOrderAmongEquals) {
  const std::vector<KillCandidate> candidates = {K("x", "h1", "rack:a"), K("y", "h2", "rack:b"),
                                                 K("z", "h3", "rack:c")};
  EXPECT_THAT(ProposeKills({C({"rack", "GROUP_BY", "3"})}, candidates, 2), ElementsAre("x", "y"));
}

TEST(ProposeKills, KillsViolatorsFirst) {
  const std::vector<KillCandidate> candidates = {K("a1", "h1", "rack:a"), K("a2", "h2", "rack:a"),
                                                 K("b1", "h3", "rack:b"), K("none", "h4"),
                                                 K("a3", "h5", "rack:a")};
  // MAX_PER 2: rack a holds 3, one too many; the agent without a rack violates it too.
  EXPECT_THAT(ProposeKills({C({"rack", "MAX_PER", "2"})}, candidates, 2),
              ElementsAre("a1", "none"));
}

TEST(ProposeKills, PrefersGroupByBalanceOverMaxPer) {
  const std::vector<KillCandidate> candidates = {K("1", "h1", "rack:a"), K("2", "h1", "rack:b"),
                                                 K("3", "h2", "rack:b")};
  // GROUP_BY rack: b is largest; MAX_PER hostname 5: h1 is largest. b wins first.
  EXPECT_THAT(
      ProposeKills({C({"hostname", "MAX_PER", "5"}), C({"rack", "GROUP_BY"})}, candidates, 1),
      ElementsAre("2"));
}

TEST(ProposeKills, ProposesNothingWithoutSpreadingConstraints) {
  const std::vector<KillCandidate> candidates = {K("1", "h1"), K("2", "h2")};
  EXPECT_THAT(ProposeKills({C({"hostname", "UNIQUE"})}, candidates, 1), IsEmpty());
  EXPECT_THAT(ProposeKills({C({"hostname", "GROUP_BY"})}, candidates, 0), IsEmpty());
  EXPECT_THAT(ProposeKills({C({"hostname", "GROUP_BY"})}, candidates, 5), ElementsAre("1", "2"));
  EXPECT_THAT(ProposeKills({C({"hostname", "GROUP_BY"})}, {}, 5), IsEmpty());
}

}  // namespace
}  // namespace atl::constraints
