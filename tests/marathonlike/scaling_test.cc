#include "marathonlike/scaling.h"

#include <gtest/gtest.h>

#include <vector>

namespace atl::marathonlike {
namespace {

Timestamp At(int64_t seconds) { return Timestamp::FromNanoseconds(seconds * 1000000000); }

InstanceView Running(const char* id, int64_t started) {
  InstanceView i;
  i.id = InstanceId(id);
  i.condition = Condition::kRunning;
  i.condition_since = At(started);
  i.staged_at = At(started - 1);
  i.started_at = At(started);
  return i;
}

InstanceView In(const char* id, Condition c, int64_t since) {
  InstanceView i;
  i.id = InstanceId(id);
  i.condition = c;
  i.condition_since = At(since);
  i.staged_at = At(since);
  return i;
}

std::vector<InstanceId> Ids(std::initializer_list<const char*> ids) {
  std::vector<InstanceId> out;
  for (const char* id : ids) out.emplace_back(id);
  return out;
}

TEST(Scaling, KillsByConditionUnreachableStagingStartingRunningThenOthers) {
  std::vector<InstanceView> instances = {Running("run", 10), In("killing", Condition::kKilling, 5),
                                         In("starting", Condition::kStarting, 20),
                                         In("staging", Condition::kStaging, 30),
                                         In("unreachable", Condition::kUnreachable, 1)};
  ScalingProposition p = ProposeScaling(instances, {}, 0, KillSelection::kYoungestFirst);
  EXPECT_EQ(p.to_decommission, Ids({"unreachable", "staging", "starting", "run", "killing"}));
  EXPECT_EQ(p.to_start, 0);
}

TEST(Scaling, YoungestFirstByDefaultOldestFirstOnRequest) {
  std::vector<InstanceView> instances = {Running("mid", 20), Running("young", 30),
                                         Running("old", 10)};
  EXPECT_EQ(ProposeScaling(instances, {}, 1, ParseKillSelection("YOUNGEST_FIRST")).to_decommission,
            Ids({"young", "mid"}));
  EXPECT_EQ(ProposeScaling(instances, {}, 1, ParseKillSelection("OLDEST_FIRST")).to_decommission,
            Ids({"old", "mid"}));
  EXPECT_EQ(ParseKillSelection(""), KillSelection::kYoungestFirst);
}

TEST(Scaling, StagingInstancesAreOrderedByStagingTime) {
  std::vector<InstanceView> instances = {In("s1", Condition::kStaging, 1),
                                         In("s3", Condition::kStaging, 3),
                                         In("s2", Condition::kStaging, 2)};
  EXPECT_EQ(ProposeScaling(instances, {}, 0, KillSelection::kYoungestFirst).to_decommission,
            Ids({"s3", "s2", "s1"}));
}

TEST(Scaling, ExplicitlyNamedInstancesGoFirstEvenBeyondTheSurplus) {
  std::vector<InstanceView> instances = {Running("a", 1), Running("b", 2), Running("c", 3)};
  // Kill-and-scale: scale 3 -> 2 naming the oldest.
  ScalingProposition p = ProposeScaling(instances, Ids({"a"}), 2, KillSelection::kYoungestFirst);
  EXPECT_EQ(p.to_decommission, Ids({"a"}));
  EXPECT_EQ(p.to_start, 0);
  // Kill without scaling: the named one goes and is replaced.
  p = ProposeScaling(instances, Ids({"a", "b"}), 3, KillSelection::kYoungestFirst);
  EXPECT_EQ(p.to_decommission, Ids({"a", "b"}));
  EXPECT_EQ(p.to_start, 2);
}

TEST(Scaling, NotCountedInstancesAreNeitherKilledNorCounted) {
  InstanceView gone = Running("decommissioned", 5);
  gone.goal = Goal::kDecommissioned;
  InstanceView inactive = In("inactive", Condition::kUnreachableInactive, 1);
  std::vector<InstanceView> instances = {gone, inactive, Running("a", 1), Running("b", 2)};
  ScalingProposition p =
      ProposeScaling(instances, Ids({"decommissioned"}), 1, KillSelection::kYoungestFirst);
  EXPECT_EQ(p.to_decommission, Ids({"b"}));
  EXPECT_EQ(p.to_start, 0);
  p = ProposeScaling(instances, {}, 4, KillSelection::kYoungestFirst);
  EXPECT_TRUE(p.to_decommission.empty());
  EXPECT_EQ(p.to_start, 2);
}

TEST(Scaling, ConstraintRebalancingComesAfterNamedAndBeforeConditionOrder) {
  std::vector<InstanceView> instances = {Running("a", 1), Running("b", 2), Running("c", 3),
                                         Running("d", 4)};
  int asked = -1;
  ConstraintKillProposer rebalance = [&](const std::vector<InstanceView>& candidates, int count) {
    asked = count;
    EXPECT_EQ(candidates.size(), 3u);  // "d" is named, not a candidate
    return Ids({"a", "zzz", "d"});     // unknown and named ids are ignored
  };
  ScalingProposition p =
      ProposeScaling(instances, Ids({"d"}), 1, KillSelection::kYoungestFirst, rebalance);
  EXPECT_EQ(asked, 2);
  EXPECT_EQ(p.to_decommission, Ids({"d", "a", "c"}));
}

}  // namespace
}  // namespace atl::marathonlike
