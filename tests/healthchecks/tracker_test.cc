// The health tracker on a fake clock: probe schedule, grace period, first success, flapping,
// timeouts, the kill threshold (and 0 = never), ignored 1xx answers, and the labels codec.
#include "healthchecks/tracker.h"

#include <gtest/gtest.h>

namespace atl::healthchecks {
namespace {

const Timestamp kStart = Timestamp::FromNanoseconds(1'700'000'000'000'000'000);

Timestamp At(int64_t seconds) { return kStart + Duration::Seconds(seconds); }

Policy Fast(int max_failures = 3) {
  Policy p;
  p.delay = Duration::Seconds(1);
  p.interval = Duration::Seconds(2);
  p.timeout = Duration::Seconds(1);
  p.grace_period = Duration::Seconds(10);
  p.max_consecutive_failures = max_failures;
  return p;
}

// Runs one probe at `t` with `outcome`; returns whether the state changed.
bool Probe(Tracker& tr, int64_t t, Outcome outcome, const std::string& cause = "HTTP 503") {
  tr.ProbeStarted(At(t));
  return tr.Record(outcome, cause, At(t));
}

TEST(TrackerTest, ProbesStartAfterTheDelayThenEveryIntervalNeverTwoAtOnce) {
  Tracker tr(Fast(), kStart);
  EXPECT_EQ(tr.next_probe_at(), At(1));
  tr.ProbeStarted(At(1));
  EXPECT_FALSE(tr.next_probe_at().has_value()) << "one probe at a time";
  EXPECT_EQ(tr.probe_deadline(), At(2));
  tr.Record(Outcome::kHealthy, "", At(1));
  EXPECT_EQ(tr.next_probe_at(), At(3));
  // A probe that ends after the next one was due: the next starts at once.
  tr.ProbeStarted(At(3));
  tr.Record(Outcome::kUnhealthy, "timed out", At(6));
  EXPECT_EQ(tr.next_probe_at(), At(6));
}

TEST(TrackerTest, FailuresInTheGracePeriodAreIgnoredUntilTheFirstSuccess) {
  Tracker tr(Fast(), kStart);
  EXPECT_FALSE(Probe(tr, 1, Outcome::kUnhealthy));
  EXPECT_FALSE(Probe(tr, 3, Outcome::kUnhealthy));
  EXPECT_FALSE(tr.state().healthy.has_value()) << "still starting";
  EXPECT_EQ(tr.state().consecutive_failures, 0);
  EXPECT_TRUE(Probe(tr, 5, Outcome::kHealthy));
  EXPECT_EQ(tr.state().healthy, true);
  EXPECT_EQ(tr.state().first_success, At(5));
  // After the first success, a failure counts even inside the grace period.
  EXPECT_TRUE(Probe(tr, 7, Outcome::kUnhealthy, "HTTP 500"));
  EXPECT_EQ(tr.state().healthy, false);
  EXPECT_EQ(tr.state().consecutive_failures, 1);
  EXPECT_EQ(tr.state().last_failure, At(7));
  EXPECT_EQ(tr.state().last_failure_cause, "HTTP 500");
}

TEST(TrackerTest, AfterTheGracePeriodFailuresCountWithoutAnySuccess) {
  Tracker tr(Fast(), kStart);
  EXPECT_FALSE(Probe(tr, 9, Outcome::kUnhealthy));
  EXPECT_TRUE(Probe(tr, 10, Outcome::kUnhealthy));
  EXPECT_EQ(tr.state().healthy, false);
  EXPECT_FALSE(tr.state().first_success.has_value());
}

TEST(TrackerTest, ConsecutiveFailuresReachTheKillThresholdAndASuccessResetsThem) {
  Tracker tr(Fast(3), kStart);
  Probe(tr, 11, Outcome::kHealthy);
  Probe(tr, 13, Outcome::kUnhealthy);
  Probe(tr, 15, Outcome::kUnhealthy);
  EXPECT_FALSE(tr.ShouldKill());
  EXPECT_TRUE(Probe(tr, 17, Outcome::kHealthy)) << "healthy again";
  EXPECT_EQ(tr.state().consecutive_failures, 0);
  Probe(tr, 19, Outcome::kUnhealthy);
  Probe(tr, 21, Outcome::kUnhealthy);
  EXPECT_TRUE(Probe(tr, 23, Outcome::kUnhealthy)) << "each counted failure is a change";
  EXPECT_TRUE(tr.ShouldKill());
  EXPECT_EQ(tr.state().last_success, At(17));
  EXPECT_EQ(tr.state().first_success, At(11));
}

TEST(TrackerTest, ZeroMaxFailuresNeverKills) {
  Tracker tr(Fast(0), kStart);
  for (int t = 11; t < 200; t += 2) Probe(tr, t, Outcome::kUnhealthy);
  EXPECT_EQ(tr.state().healthy, false);
  EXPECT_FALSE(tr.ShouldKill());
}

// What the executor sends as status updates: each report is one.
TEST(TrackerTest, ReportsVerdictsAndTheKillCountdownButThinsEndlessFailures) {
  // Probes every 2 s; a report is sent whenever one is due.
  auto reports = [](Tracker& tr, int from, int to, Outcome outcome) {
    int n = 0;
    for (int t = from; t < to; t += 2) {
      if (Probe(tr, t, outcome) && tr.ReportDue(At(t))) {
        tr.Reported(At(t));
        ++n;
      }
    }
    return n;
  };
  // Never kills: the first failure is reported (a new verdict), then one every 30 s.
  Tracker never(Fast(0), kStart);
  EXPECT_EQ(reports(never, 11, 13, Outcome::kHealthy), 1);
  EXPECT_EQ(reports(never, 13, 15, Outcome::kUnhealthy), 1) << "healthy -> unhealthy at once";
  EXPECT_EQ(reports(never, 15, 15 + 300, Outcome::kUnhealthy), 10)
      << "300 s of failures every 2 s: 150 probes, a report every 30 s";
  EXPECT_EQ(never.state().consecutive_failures, 151) << "the count itself is exact";
  EXPECT_EQ(reports(never, 315, 317, Outcome::kHealthy), 1) << "recovery at once";
  // Kills at 3: every failure of the countdown is reported, and the kill.
  Tracker kills(Fast(3), kStart);
  EXPECT_EQ(reports(kills, 11, 13, Outcome::kHealthy), 1);
  EXPECT_EQ(reports(kills, 13, 19, Outcome::kUnhealthy), 3);
  EXPECT_TRUE(kills.ShouldKill());
}

TEST(TrackerTest, RepeatedSuccessIsNotAChangeButFlappingIs) {
  Tracker tr(Fast(), kStart);
  EXPECT_TRUE(Probe(tr, 11, Outcome::kHealthy));
  EXPECT_FALSE(Probe(tr, 13, Outcome::kHealthy));
  EXPECT_EQ(tr.state().last_success, At(13));
  int changes = 0;
  for (int k = 0; k < 10; ++k) {
    changes += Probe(tr, 15 + 2 * k, k % 2 == 0 ? Outcome::kUnhealthy : Outcome::kHealthy);
  }
  EXPECT_EQ(changes, 10);
  EXPECT_FALSE(tr.ShouldKill()) << "never three failures in a row";
}

TEST(TrackerTest, IgnoredAnswersChangeNothing) {
  Tracker tr(Fast(), kStart);
  Probe(tr, 11, Outcome::kHealthy);
  const State before = tr.state();
  EXPECT_FALSE(Probe(tr, 13, Outcome::kIgnored));
  EXPECT_EQ(tr.state(), before);
  EXPECT_EQ(tr.next_probe_at(), At(15));
}

TEST(TrackerTest, HttpStatusesAreClassifiedAsMarathonDoes) {
  EXPECT_EQ(ClassifyHttp(200, false), Outcome::kHealthy);
  EXPECT_EQ(ClassifyHttp(302, false), Outcome::kHealthy);
  EXPECT_EQ(ClassifyHttp(399, false), Outcome::kHealthy);
  EXPECT_EQ(ClassifyHttp(400, false), Outcome::kUnhealthy);
  EXPECT_EQ(ClassifyHttp(503, false), Outcome::kUnhealthy);
  EXPECT_EQ(ClassifyHttp(101, false), Outcome::kUnhealthy);
  EXPECT_EQ(ClassifyHttp(101, true), Outcome::kIgnored);
  EXPECT_EQ(ClassifyHttp(0, true), Outcome::kUnhealthy);
}

TEST(TrackerTest, PolicyOfAMesosHealthCheck) {
  model::HealthCheck c;
  c.delay_seconds = 0;
  c.interval_seconds = 1.5;
  c.timeout_seconds = 0.25;
  c.grace_period_seconds = 300;
  c.consecutive_failures = 0;
  Policy p = PolicyOf(c);
  EXPECT_EQ(p.delay, Duration::Zero());
  EXPECT_EQ(p.interval, Duration::Milliseconds(1500));
  EXPECT_EQ(p.timeout, Duration::Milliseconds(250));
  EXPECT_EQ(p.grace_period, Duration::Seconds(300));
  EXPECT_EQ(p.max_consecutive_failures, 0);
  c.interval_seconds = -3;  // nonsense from the wire is not a negative interval
  EXPECT_EQ(PolicyOf(c).interval, Duration::Zero());
}

TEST(TrackerTest, StateTravelsInLabels) {
  State s;
  s.healthy = false;
  s.consecutive_failures = 2;
  s.first_success = At(11);
  s.last_success = At(13);
  s.last_failure = At(17);
  s.last_failure_cause = "connection refused";
  EXPECT_EQ(FromLabels(ToLabels(s), false), s);
  EXPECT_EQ(FromLabels(ToLabels(State{}), std::nullopt), State{});
  // Foreign or malformed labels are skipped.
  model::Labels odd = {
      {"other", "x"}, {kConsecutiveFailuresLabel, "many"}, {kLastSuccessLabel, std::nullopt}};
  EXPECT_EQ(FromLabels(odd, true).consecutive_failures, 0);
  EXPECT_FALSE(FromLabels(odd, true).last_success.has_value());
  EXPECT_FALSE(FromLabels(odd, true).last_failure.has_value());
}

TEST(TrackerTest, SeveralChecksTravelIndexedBesideTheFirstsUnprefixedLabels) {
  State first;
  first.healthy = true;
  first.first_success = At(11);
  first.last_success = At(12);
  State second;
  second.healthy = false;
  second.consecutive_failures = 3;
  second.last_failure = At(12);
  second.last_failure_cause = "exited with status 1";
  State third;  // not reported yet
  model::Labels labels = ToLabels(first);
  for (size_t i = 0; const State& s : {first, second, third}) {
    for (model::Label& l : IndexedLabels(s, i++)) labels.push_back(std::move(l));
  }
  EXPECT_EQ(IndexedFromLabels(labels), (std::vector<State>{first, second, third}));
  EXPECT_TRUE(CarriesDetails(labels));
  EXPECT_TRUE(CarriesDetails(IndexedLabels(second, 1))) << "indexed ones alone";
  EXPECT_TRUE(CarriesDetails(ToLabels(State{})));
  EXPECT_FALSE(
      CarriesDetails({{"atoll.ready", "true"}, {"atoll.health.x.consecutive_failures", "1"}}));
  // The unprefixed ones still read as the first check, with TaskStatus.healthy.
  State overall = first;
  overall.healthy = false;
  EXPECT_EQ(FromLabels(labels, false), overall);
  // One check: no indexed labels. A check not heard from yet is an empty State in its slot;
  // junk indices are skipped.
  EXPECT_TRUE(IndexedFromLabels(ToLabels(first)).empty());
  model::Labels gap = IndexedLabels(second, 1);
  EXPECT_EQ(IndexedFromLabels(gap), (std::vector<State>{State{}, second}));
  gap.push_back({"atoll.health.x.alive", "true"});
  gap.push_back({"atoll.health.12345.alive", "true"});
  for (model::Label& l : IndexedLabels(first, 0)) gap.push_back(std::move(l));
  EXPECT_EQ(IndexedFromLabels(gap), (std::vector<State>{first, second}));
}

}  // namespace
}  // namespace atl::healthchecks
