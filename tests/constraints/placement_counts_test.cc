// PlacementCounts: incremental per-(field, value) counts.
#include "constraints/placement_counts.h"

#include <gtest/gtest.h>

namespace atl::constraints {
namespace {

AgentView Agent(std::string hostname, std::string_view attributes = "") {
  AgentView a;
  a.hostname = std::move(hostname);
  if (!attributes.empty()) a.attributes = *model::ParseAttributes(attributes);
  return a;
}

TEST(PlacementCounts, CountsPerFieldValueAddsAndRemoves) {
  const Constraint rack = *ParseMarathonConstraint({"rack", "GROUP_BY"}).constraint;
  const Constraint host = *ParseMarathonConstraint({"hostname", "UNIQUE"}).constraint;
  const Constraint same_rack = *ParseMarathonConstraint({"rack", "MAX_PER", "3"}).constraint;
  PlacementCounts counts({rack, host, same_rack});
  counts.Add(Agent("a", "rack:r1"));
  counts.Add(Agent("b", "rack:r1"));
  counts.Add(Agent("c", "rack:r2"));
  counts.Add(Agent("d"));  // lacks rack: counted in total only
  EXPECT_EQ(counts.total(), 4);
  EXPECT_EQ(counts.Count(rack, "r1"), 2);
  EXPECT_EQ(counts.Count(same_rack, "r1"), 2);
  EXPECT_EQ(counts.Count(rack, "r9"), 0);
  EXPECT_EQ(counts.Count(host, "a"), 1);
  EXPECT_EQ(counts.DistinctValues(rack), 2);
  EXPECT_EQ(counts.DistinctValues(host), 4);
  EXPECT_EQ(counts.MinCount(rack), 1);
  EXPECT_EQ(counts.MaxCount(rack), 2);

  counts.Remove(Agent("c", "rack:r2"));
  EXPECT_EQ(counts.DistinctValues(rack), 1);
  EXPECT_EQ(counts.MinCount(rack), 2);
  counts.Remove(Agent("a", "rack:r1"));
  counts.Remove(Agent("b", "rack:r1"));
  counts.Remove(Agent("d"));
  EXPECT_EQ(counts.total(), 0);
  EXPECT_EQ(counts.MinCount(rack), std::nullopt);
  EXPECT_EQ(counts.DistinctValues(host), 0);
}

TEST(PlacementCounts, UntrackedFieldsCountZero) {
  PlacementCounts counts({});
  counts.Add(Agent("a", "rack:r1"));
  const Constraint rack = *ParseMarathonConstraint({"rack", "UNIQUE"}).constraint;
  EXPECT_EQ(counts.Count(rack, "r1"), 0);
  EXPECT_EQ(counts.DistinctValues(rack), 0);
  EXPECT_EQ(counts.total(), 1);
}

TEST(PlacementCountsDeathTest, RemovingWhatWasNeverAddedIsABrokenInvariant) {
  const Constraint rack = *ParseMarathonConstraint({"rack", "UNIQUE"}).constraint;
  PlacementCounts counts({rack});
  counts.Add(Agent("a", "rack:r1"));
  EXPECT_DEATH(counts.Remove(Agent("b", "rack:r2")), "never added");
}

}  // namespace
}  // namespace atl::constraints
