#include "marathonlike/restart_strategy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "core/base/random.h"
#include "core/base/strings.h"

namespace atl::marathonlike {
namespace {

UpgradeStrategy Strategy(double min_health, double max_over) {
  return {min_health, max_over, std::nullopt};
}

// A restart of N = 10 instances, all old and healthy, nothing new yet.
RestartCounts TenHealthyOld(UpgradeStrategy s, bool resident = false) {
  return {.target_instances = 10,
          .strategy = s,
          .resident = resident,
          .healthy = 10,
          .current_instances = 10,
          .old_active = 10,
          .new_started = 0};
}

ReplaceInput TenOldInstances(UpgradeStrategy s, bool resident = false) {
  ReplaceInput in;
  in.target_instances = 10;
  in.strategy = s;
  in.resident = resident;
  for (int i = 0; i < 10; ++i) {
    in.old_instances.push_back({InstanceId(StrCat("old", i)), true, false, true, true});
  }
  return in;
}

// --- The worked examples of reference/marathon.md §3.3 (N = 10) ------------------------------

TEST(RestartStrategy, DefaultOneOneKeepsAllOldAndStartsTenNew) {
  RestartStrategy s = ComputeRestartStrategy(TenHealthyOld(Strategy(1, 1)));
  EXPECT_EQ(s.min_healthy, 10);
  EXPECT_EQ(s.max_capacity, 20);
  EXPECT_EQ(s.kill_now, 0);
  EXPECT_EQ(s.launch_now, 10);  // min(10, 20 - 10 - 0)

  ReplaceDecision d = DecideReplaceStep(TenOldInstances(Strategy(1, 1)));
  EXPECT_TRUE(d.decommission.empty());
  EXPECT_EQ(d.launch, 10);
  EXPECT_FALSE(d.done);
}

TEST(RestartStrategy, DefaultOneOneKillsOneOldPerNewHealthyAndReadyInstance) {
  ReplaceInput in = TenOldInstances(Strategy(1, 1));
  for (int i = 0; i < 10; ++i) {
    in.new_instances.push_back({InstanceId(StrCat("new", i)), true, false, false, false});
  }
  EXPECT_TRUE(DecideReplaceStep(in).decommission.empty());
  in.new_instances[0].healthy = true;  // healthy but not ready yet: nothing
  EXPECT_TRUE(DecideReplaceStep(in).decommission.empty());
  in.new_instances[0].ready = true;
  EXPECT_EQ(DecideReplaceStep(in).decommission.size(), 1u);
  in.new_instances[1].healthy = in.new_instances[1].ready = true;
  EXPECT_EQ(DecideReplaceStep(in).decommission.size(), 2u);
}

TEST(RestartStrategy, HalfAndTwentyPercentKillsFiveAndRunsSevenNewNextToFiveOld) {
  RestartStrategy s = ComputeRestartStrategy(TenHealthyOld(Strategy(0.5, 0.2)));
  EXPECT_EQ(s.min_healthy, 5);
  EXPECT_EQ(s.max_capacity, 12);
  EXPECT_EQ(s.kill_now, 5);
  // The five being killed hold their resources until they are gone: 12 - 10 - 0 = 2 for now.
  EXPECT_EQ(s.launch_now, 2);
  // Once they have terminated: min(10, 12 - 5 - 0) = 7 new next to the 5 old.
  RestartCounts after_kills{.target_instances = 10,
                            .strategy = Strategy(0.5, 0.2),
                            .resident = false,
                            .healthy = 5,
                            .current_instances = 5,
                            .old_active = 5,
                            .new_started = 0};
  RestartStrategy later = ComputeRestartStrategy(after_kills);
  EXPECT_EQ(later.kill_now, 0);
  EXPECT_EQ(later.launch_now, 7);

  // The replace step: kill 5 at once; launch 2, then 5 more as the killed ones terminate.
  ReplaceInput in = TenOldInstances(Strategy(0.5, 0.2));
  ReplaceDecision d = DecideReplaceStep(in);
  ASSERT_EQ(d.decommission.size(), 5u);
  EXPECT_EQ(d.launch, 2);
  for (auto& old : in.old_instances) {
    if (std::find(d.decommission.begin(), d.decommission.end(), old.id) != d.decommission.end()) {
      old.goal_running = false;
      old.terminal = true;
    }
  }
  for (int i = 0; i < 2; ++i) in.new_instances.push_back({InstanceId(StrCat("n", i))});
  d = DecideReplaceStep(in);
  EXPECT_TRUE(d.decommission.empty());
  EXPECT_EQ(d.launch, 5);  // 2 + 5 = 7 new, 5 old: 12
  for (int i = 2; i < 7; ++i) in.new_instances.push_back({InstanceId(StrCat("n", i))});
  // Then one old instance per ready new one.
  in.new_instances[0].healthy = true;
  d = DecideReplaceStep(in);
  EXPECT_EQ(d.decommission.size(), 1u);
  EXPECT_EQ(d.launch, 0);
}

TEST(RestartStrategy, OneZeroSurgesOneExtraInstanceAtATime) {
  RestartStrategy s = ComputeRestartStrategy(TenHealthyOld(Strategy(1, 0)));
  EXPECT_EQ(s.min_healthy, 10);
  EXPECT_EQ(s.max_capacity, 11);
  EXPECT_EQ(s.kill_now, 0);
  EXPECT_EQ(s.launch_now, 1);

  ReplaceInput in = TenOldInstances(Strategy(1, 0));
  ReplaceDecision d = DecideReplaceStep(in);
  EXPECT_EQ(d.max_capacity, 11);
  EXPECT_TRUE(d.decommission.empty());
  EXPECT_EQ(d.launch, 1);
  in.new_instances.push_back({InstanceId("n0"), true, false, true, true});  // healthy, ready
  d = DecideReplaceStep(in);
  EXPECT_EQ(d.decommission.size(), 1u);
  EXPECT_EQ(d.launch, 0);  // the old one still runs: 10 old + 1 new = 11
}

TEST(RestartStrategy, ZeroZeroKillsEverythingAtOnceAndStartsAsTheyTerminate) {
  RestartStrategy s = ComputeRestartStrategy(TenHealthyOld(Strategy(0, 0)));
  EXPECT_EQ(s.min_healthy, 0);
  EXPECT_EQ(s.max_capacity, 10);
  EXPECT_EQ(s.kill_now, 10);
  EXPECT_EQ(s.launch_now, 0);

  ReplaceInput in = TenOldInstances(Strategy(0, 0));
  ReplaceDecision d = DecideReplaceStep(in);
  EXPECT_EQ(d.decommission.size(), 10u);
  EXPECT_EQ(d.launch, 0);
  for (int i = 0; i < 3; ++i) in.old_instances[i] = {in.old_instances[i].id, false, true};
  for (int i = 3; i < 10; ++i) in.old_instances[i].goal_running = false;
  EXPECT_EQ(DecideReplaceStep(in).launch, 3);
}

TEST(RestartStrategy, HalfZeroResidentReplacesOneForOneOnTheSameReservations) {
  RestartStrategy s = ComputeRestartStrategy(TenHealthyOld(Strategy(0.5, 0), /*resident=*/true));
  EXPECT_EQ(s.min_healthy, 5);
  EXPECT_EQ(s.max_capacity, 10);
  EXPECT_EQ(s.kill_now, 5);
  EXPECT_EQ(s.launch_now, 0);

  ReplaceInput in = TenOldInstances(Strategy(0.5, 0), /*resident=*/true);
  ReplaceDecision d = DecideReplaceStep(in);
  EXPECT_EQ(d.decommission.size(), 5u);
  EXPECT_EQ(d.launch, 0);
  in.old_instances[9] = {in.old_instances[9].id, false, true};  // one killed one is gone
  for (int i = 5; i < 9; ++i) in.old_instances[i].goal_running = false;
  EXPECT_EQ(DecideReplaceStep(in).launch, 1);  // one for one
}

TEST(RestartStrategy, OneZeroResidentGoesOneBelowInsteadOfAbove) {
  RestartStrategy s = ComputeRestartStrategy(TenHealthyOld(Strategy(1, 0), /*resident=*/true));
  EXPECT_EQ(s.max_capacity, 10);
  EXPECT_EQ(s.kill_now, 1);
  EXPECT_EQ(s.launch_now, 0);
  ReplaceDecision d = DecideReplaceStep(TenOldInstances(Strategy(1, 0), /*resident=*/true));
  EXPECT_EQ(d.healthy_floor, 9);
  EXPECT_EQ(d.max_capacity, 10);
  EXPECT_EQ(d.decommission.size(), 1u);
}

TEST(RestartStrategy, MoreInstancesThanTargetKillsTheSurplus) {
  RestartCounts c{.target_instances = 10,
                  .strategy = Strategy(1, 1),
                  .resident = false,
                  .healthy = 14,
                  .current_instances = 15,
                  .old_active = 15,
                  .new_started = 0};
  RestartStrategy s = ComputeRestartStrategy(c);
  EXPECT_EQ(s.kill_now, 5);  // max(14 - 10, 15 - 10)
  EXPECT_EQ(s.launch_now, 5);
}

TEST(RestartStrategy, RoundsDecimalFractionsAsWritten) {
  EXPECT_EQ(CeilTimes(100, 0.07), 7);     // raw doubles: 7.000000000000001 -> 8
  EXPECT_EQ(FloorTimes(100, 1.15), 115);  // raw doubles: 114.99999999999999 -> 114
  EXPECT_EQ(CeilTimes(3, 0.7), 3);        // the docs' "ceil(3 × 0.7) = 3"
  EXPECT_EQ(CeilTimes(10, 0.55), 6);
}

TEST(RestartStrategy, KillsUnhealthyAndCrashedOldInstancesFirst) {
  ReplaceInput in = TenOldInstances(Strategy(0.5, 0.2));
  in.old_instances[7].healthy = false;
  in.old_instances[8].terminal = true;
  in.old_instances[8].healthy = false;
  ReplaceDecision d = DecideReplaceStep(in);
  ASSERT_EQ(d.decommission.size(), 5u);
  EXPECT_EQ(d.decommission[0], InstanceId("old8"));
  EXPECT_EQ(d.decommission[1], InstanceId("old7"));
  EXPECT_EQ(d.decommission[2], InstanceId("old0"));  // then the caller's order
}

TEST(RestartStrategy, AnOldInstanceThatDiesIsDecommissionedNotRelaunched) {
  ReplaceInput in = TenOldInstances(Strategy(1, 1));
  in.old_instances[3].terminal = true;
  in.old_instances[3].healthy = false;
  ReplaceDecision d = DecideReplaceStep(in);
  EXPECT_EQ(d.decommission, std::vector<InstanceId>{InstanceId("old3")});
}

TEST(RestartStrategy, DoneWhenNNewAreHealthyAndReadyAndNoOldRemains) {
  ReplaceInput in;
  in.target_instances = 2;
  in.old_instances = {{InstanceId("o"), false, false, true}};  // decommissioned, still running
  in.new_instances = {{InstanceId("a"), true, false, true, true},
                      {InstanceId("b"), true, false, true, false}};
  EXPECT_FALSE(DecideReplaceStep(in).done);  // b not ready
  in.new_instances[1].ready = true;
  EXPECT_FALSE(DecideReplaceStep(in).done);  // o not gone
  in.old_instances[0].terminal = true;
  EXPECT_TRUE(DecideReplaceStep(in).done);
}

TEST(RestartStrategy, NeverKillsHealthyOldInstancesWhileBelowTheFloor) {
  // After failover health is unknown: nothing is "healthy", so nothing may be killed for room
  // with {1, 1}; new instances start next to the old ones.
  ReplaceInput in = TenOldInstances(Strategy(1, 1));
  for (auto& old : in.old_instances) old.healthy = false;
  ReplaceDecision d = DecideReplaceStep(in);
  EXPECT_TRUE(d.decommission.empty());
  EXPECT_EQ(d.launch, 10);
}

// --- Property test -------------------------------------------------------------------------

struct SimInstance {
  InstanceId id;
  bool old = false;
  bool goal_running = true;
  bool terminal = false;
  bool healthy = false;
  bool ready = false;
};

int CountHealthy(const std::vector<SimInstance>& all) {
  return static_cast<int>(std::count_if(all.begin(), all.end(), [](const SimInstance& i) {
    return i.goal_running && !i.terminal && i.healthy;
  }));
}

int CountRunning(const std::vector<SimInstance>& all) {
  return static_cast<int>(
      std::count_if(all.begin(), all.end(), [](const SimInstance& i) { return !i.terminal; }));
}

// Random (N, strategy, residency), random interleavings of: new instances becoming healthy and
// ready, killed old ones terminating, relaunches, and (in half of the runs) failures of new and
// old instances and health flaps. After every decision: the health floor, the capacity bound;
// at the end, with failures stopped: done.
TEST(RestartStrategy, PropertyFloorCapacityAndTermination) {
  const std::vector<UpgradeStrategy> kStrategies = {
      Strategy(1, 1),   Strategy(0.5, 0.2), Strategy(1, 0),     Strategy(0, 0),
      Strategy(0.5, 0), Strategy(0.9, 0.1), Strategy(0.3, 0.7), Strategy(0.75, 0.25)};
  for (uint64_t seed = 1; seed <= 600; ++seed) {
    SCOPED_TRACE(StrCat("seed ", seed));
    Random rng(seed);
    const int n = static_cast<int>(rng.Uniform(13));
    UpgradeStrategy strategy = kStrategies[rng.Uniform(kStrategies.size())];
    if (rng.Uniform(4) == 0) {
      strategy = Strategy(static_cast<double>(rng.Uniform(11)) / 10,
                          static_cast<double>(rng.Uniform(11)) / 10);
    }
    const bool resident = rng.Uniform(4) == 0;
    const bool failures = rng.Uniform(2) == 0;
    const bool readiness = rng.Uniform(2) == 0;
    const int min_healthy = CeilTimes(n, strategy.minimum_health_capacity);
    const int base_capacity = FloorTimes(n, 1 + strategy.maximum_over_capacity);
    const bool no_room = min_healthy == base_capacity;
    const int floor = (resident && no_room) ? std::max(0, min_healthy - 1) : min_healthy;
    const int capacity = base_capacity + ((no_room && !resident) ? 1 : 0);

    std::vector<SimInstance> all;
    const int old_count = std::max(0, n + static_cast<int>(rng.Uniform(5)) - 2);
    for (int i = 0; i < old_count; ++i) {
      all.push_back({InstanceId(StrCat("old", i)), true, true, false, rng.Uniform(8) != 0, true});
    }
    const int initial_healthy = CountHealthy(all);
    const int initial_running = CountRunning(all);
    int next_id = 0;
    bool failed_yet = false;
    bool done = false;

    for (int round = 0; round < 5000 && !done; ++round) {
      const bool failures_now = failures && round < 300;
      ReplaceInput in;
      in.target_instances = n;
      in.strategy = strategy;
      in.resident = resident;
      for (const SimInstance& i : all) {
        (i.old ? in.old_instances : in.new_instances)
            .push_back({i.id, i.goal_running, i.terminal, i.healthy, i.ready});
      }
      const int healthy_before = CountHealthy(all);
      ReplaceDecision d = DecideReplaceStep(in);
      ASSERT_EQ(d.healthy_floor, floor);
      ASSERT_EQ(d.max_capacity, capacity);

      for (const InstanceId& id : d.decommission) {
        auto it = std::find_if(all.begin(), all.end(), [&](auto& i) { return i.id == id; });
        ASSERT_NE(it, all.end());
        ASSERT_TRUE(it->old && it->goal_running) << id;
        it->goal_running = false;
      }
      // Health floor: our kills never take the healthy count below the floor.
      const int healthy_after = CountHealthy(all);
      ASSERT_GE(healthy_after, std::min(floor, healthy_before)) << "round " << round;
      if (!failed_yet) {
        ASSERT_GE(healthy_after, std::min(floor, initial_healthy)) << "round " << round;
      }

      if (d.launch > 0) {
        for (int k = 0; k < d.launch; ++k) {
          all.push_back({InstanceId(StrCat("new", next_id++)), false, true, false, false, false});
        }
        // Capacity: a launch never exceeds maxCapacity (+1 in the no-room case).
        int counted = 0;
        for (const SimInstance& i : all) {
          if ((i.old && !i.terminal) || (!i.old && i.goal_running)) ++counted;
        }
        ASSERT_LE(counted, capacity) << "round " << round;
      }
      ASSERT_LE(CountRunning(all), std::max(capacity, initial_running)) << "round " << round;
      int new_count = static_cast<int>(
          std::count_if(all.begin(), all.end(), [](auto& i) { return !i.old && i.goal_running; }));
      ASSERT_LE(new_count, n);

      if (d.done) {
        for (const SimInstance& i : all) {
          if (i.old) {
            ASSERT_TRUE(i.terminal) << i.id;
          }
        }
        ASSERT_GE(d.new_ready, n);
        done = true;
        break;
      }

      // Pick one applicable event at random.
      std::vector<std::function<void()>> events;
      for (SimInstance& i : all) {
        SimInstance* p = &i;
        if (!i.old && i.goal_running && !i.terminal && !i.healthy) {
          events.push_back([p, readiness] {
            p->healthy = true;
            p->ready = !readiness;
          });
        }
        if (!i.old && !i.terminal && i.healthy && !i.ready) {
          events.push_back([p] { p->ready = true; });
        }
        if (!i.old && i.goal_running && i.terminal) {  // the launcher relaunches it
          events.push_back([p] { *p = {p->id, false, true, false, false, false}; });
        }
        if (i.old && !i.goal_running && !i.terminal) {
          events.push_back([p] {
            p->terminal = true;
            p->healthy = false;
          });
        }
        if (failures_now && rng.Uniform(4) == 0) {
          if (!i.terminal && i.goal_running) {
            events.push_back([p, &failed_yet] {
              p->terminal = true;
              p->healthy = false;
              p->ready = false;
              failed_yet = true;
            });
          }
          if (!i.terminal && i.healthy) {
            events.push_back([p, &failed_yet] {
              p->healthy = false;
              failed_yet = true;
            });
          }
          if (i.old && !i.terminal && !i.healthy) {
            events.push_back([p] { p->healthy = true; });
          }
        }
      }
      ASSERT_FALSE(events.empty()) << "stuck: nothing can happen and the restart is not done";
      events[rng.Uniform(events.size())]();
    }
    ASSERT_TRUE(done) << "n=" << n << " strategy {" << strategy.minimum_health_capacity << ", "
                      << strategy.maximum_over_capacity << "} resident=" << resident;
  }
}

}  // namespace
}  // namespace atl::marathonlike
