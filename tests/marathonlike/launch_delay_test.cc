#include "marathonlike/launch_delay.h"

#include <gtest/gtest.h>

namespace atl::marathonlike {
namespace {

const Timestamp kT0 = Timestamp::FromNanoseconds(1'700'000'000'000'000'000);

AppDefinition App(double backoff = 1, double factor = 2, double max = 10) {
  AppDefinition app;
  app.id = "/web";
  app.backoff_seconds = backoff;
  app.backoff_factor = factor;
  app.max_launch_delay_seconds = max;
  app.version_info.last_config_change_at = kT0;
  return app;
}

Timestamp At(double seconds) { return kT0 + Duration::FromSecondsDouble(seconds); }

TEST(LaunchDelays, FailuresGrowTheDelayByTheFactorUpToTheMaximum) {
  LaunchDelays d;
  AppDefinition app = App(1, 2, 10);
  EXPECT_EQ(d.DelayedUntil(app, At(0)), std::nullopt);
  d.OnCondition(app, Condition::kFailed, At(0));
  EXPECT_EQ(d.DelayedUntil(app, At(0)), At(1));
  d.OnCondition(app, Condition::kFailed, At(1));
  EXPECT_EQ(d.DelayedUntil(app, At(1)), At(3));  // 2 s after the second failure
  d.OnCondition(app, Condition::kFinished, At(3));
  EXPECT_EQ(d.DelayedUntil(app, At(3)), At(7));  // 4 s: exit 0 counts too
  d.OnCondition(app, Condition::kError, At(7));
  EXPECT_EQ(d.DelayedUntil(app, At(7)), At(15));  // 8 s
  d.OnCondition(app, Condition::kGone, At(15));
  EXPECT_EQ(d.DelayedUntil(app, At(15)), At(25));  // capped at 10 s
  EXPECT_EQ(d.DelayedUntil(app, At(25)), std::nullopt) << "the delay has passed";
}

TEST(LaunchDelays, KilledIsNotAFailure) {
  LaunchDelays d;
  AppDefinition app = App();
  d.OnCondition(app, Condition::kKilled, At(0));
  EXPECT_EQ(d.DelayedUntil(app, At(0)), std::nullopt);
  EXPECT_EQ(d.size(), 0u);
}

TEST(LaunchDelays, ALaunchMovesTheReferenceButKeepsTheDelay) {
  LaunchDelays d;
  AppDefinition app = App(4, 2, 100);
  d.OnCondition(app, Condition::kFailed, At(0));
  d.OnCondition(app, Condition::kRunning, At(5));
  ASSERT_NE(d.Find(app), nullptr);
  EXPECT_EQ(d.Find(app)->delay, Duration::Seconds(4));
  EXPECT_EQ(d.Find(app)->reference, At(5));
  d.OnCondition(app, Condition::kFailed, At(6));
  EXPECT_EQ(d.DelayedUntil(app, At(6)), At(14)) << "8 s after the second failure";
}

TEST(LaunchDelays, NoFailureForTheMaximumDelayForgivesEverything) {
  LaunchDelays d;
  AppDefinition app = App(1, 2, 10);
  d.OnCondition(app, Condition::kFailed, At(0));
  d.OnCondition(app, Condition::kFailed, At(1));
  EXPECT_EQ(d.DelayedUntil(app, At(12)), std::nullopt);
  EXPECT_EQ(d.Find(app), nullptr) << "forgotten";
  d.OnCondition(app, Condition::kFailed, At(20));
  EXPECT_EQ(d.DelayedUntil(app, At(20)), At(21)) << "starts from backoffSeconds again";
}

TEST(LaunchDelays, AConfigChangeStartsFromScratchAndResetForgetsEveryVersion) {
  LaunchDelays d;
  AppDefinition v1 = App(1, 2, 10);
  d.OnCondition(v1, Condition::kFailed, At(0));
  d.OnCondition(v1, Condition::kFailed, At(1));
  AppDefinition v2 = v1;
  v2.version_info.last_config_change_at = At(2);
  EXPECT_EQ(d.DelayedUntil(v2, At(2)), std::nullopt);
  d.OnCondition(v2, Condition::kFailed, At(2));
  EXPECT_EQ(d.DelayedUntil(v2, At(2)), At(3));
  AppDefinition other = App();
  other.id = "/web2";  // shares the prefix: must survive the reset of /web
  d.OnCondition(other, Condition::kFailed, At(2));
  d.Reset("/web");
  EXPECT_EQ(d.Find(v1), nullptr);
  EXPECT_EQ(d.Find(v2), nullptr);
  EXPECT_NE(d.Find(other), nullptr);
}

TEST(LaunchDelays, TheFirstDelayIsCappedByTheMaximumToo) {
  LaunchDelays d;
  AppDefinition app = App(30, 2, 5);
  d.OnCondition(app, Condition::kDropped, At(0));
  EXPECT_EQ(d.DelayedUntil(app, At(0)), At(5));
}

}  // namespace
}  // namespace atl::marathonlike
