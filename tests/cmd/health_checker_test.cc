// core/cmd/health_checker.h run for real on an event loop against 127.0.0.1: HealthCheckSet (a
// task's several health checks, reported to the executor as one health; a listening socket, and
// a port nobody listens on) and ReadinessChecker (what it reports of a warming-up endpoint).
#include "core/cmd/health_checker.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/base/strings.h"
#include "core/io/event_loop.h"
#include "core/io/http_server.h"
#include "core/io/real_clock.h"
#include "healthchecks/tracker.h"
#include "tests/io/io_test_util.h"

namespace atl::cmd {
namespace {

namespace asio = boost::asio;
using executor::in::HealthChanged;

model::HealthCheck Tcp(uint16_t port, uint32_t failures) {
  model::HealthCheck c;
  c.type = model::HealthCheck::Type::kTcp;
  c.tcp = model::HealthCheck::Tcp{port};
  c.delay_seconds = 0;
  c.interval_seconds = 0.02;
  c.timeout_seconds = 1;
  c.grace_period_seconds = 0;
  c.consecutive_failures = failures;
  return c;
}

// A port on 127.0.0.1 that was free a moment ago: connections are refused.
uint16_t ClosedPort() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

class HealthCheckSetTest : public ::testing::Test {
 protected:
  HealthCheckSetTest() : acceptor_(loop_.context(), {asio::ip::make_address("127.0.0.1"), 0}) {}
  uint16_t open_port() const { return acceptor_.local_endpoint().port(); }

  io::EventLoop loop_;
  io::RealClock clock_;
  asio::ip::tcp::acceptor acceptor_;  // listens; the kernel completes connections
  std::vector<HealthChanged> reports_;
};

TEST_F(HealthCheckSetTest, OneCheckPassesThrough) {
  HealthCheckSet set(loop_, clock_, {Tcp(open_port(), 3)}, {},
                     [&](HealthChanged h) { reports_.push_back(std::move(h)); });
  io::testing::RunUntil(loop_, [&] { return !reports_.empty(); });
  ASSERT_EQ(reports_.size(), 1u);
  EXPECT_TRUE(reports_[0].healthy);
  EXPECT_TRUE(healthchecks::IndexedFromLabels(reports_[0].labels).empty())
      << "one check: the labels are as they always were";
}

TEST_F(HealthCheckSetTest, TheTaskIsHealthyOnlyWhenAllAreAndAnyCheckCanKillIt) {
  std::unique_ptr<HealthCheckSet> set = std::make_unique<HealthCheckSet>(
      loop_, clock_, std::vector<model::HealthCheck>{Tcp(open_port(), 0), Tcp(ClosedPort(), 3)},
      std::vector<std::string>{}, [&](HealthChanged h) {
        reports_.push_back(std::move(h));
        if (reports_.back().kill) set.reset();  // as the executor stops the checks
      });
  io::testing::RunUntil(loop_, [&] { return !reports_.empty() && reports_.back().kill; });
  ASSERT_FALSE(reports_.empty());
  // No report until both checks have spoken; then never healthy (the second always fails).
  for (const HealthChanged& h : reports_) {
    EXPECT_FALSE(h.healthy);
    std::vector<healthchecks::State> states = healthchecks::IndexedFromLabels(h.labels);
    ASSERT_EQ(states.size(), 2u);
    EXPECT_EQ(states[0].healthy, true);
    EXPECT_EQ(states[1].healthy, false);
    EXPECT_NE(states[1].last_failure_cause.find("refused"), std::string::npos)
        << states[1].last_failure_cause;
  }
  const HealthChanged& last = reports_.back();
  EXPECT_TRUE(last.kill);
  EXPECT_EQ(healthchecks::IndexedFromLabels(last.labels)[1].consecutive_failures, 3);
  EXPECT_TRUE(last.message.starts_with("Health check failed 3 times in a row: ")) << last.message;
  EXPECT_TRUE(last.message.ends_with(" (health check 2 of 2, TCP)")) << last.message;
  EXPECT_EQ(set, nullptr);
}

TEST_F(HealthCheckSetTest, AllPassingIsHealthyAndACheckThatCannotRunKeepsItsSlot) {
  model::HealthCheck broken = Tcp(0, 3);  // port 0: HealthChecker::Validate refuses it
  HealthCheckSet set(loop_, clock_, {Tcp(open_port(), 3), broken, Tcp(open_port(), 3)}, {},
                     [&](HealthChanged h) { reports_.push_back(std::move(h)); });
  io::testing::RunUntil(loop_, [&] {
    return !reports_.empty() && healthchecks::IndexedFromLabels(reports_.back().labels).size() == 3;
  });
  ASSERT_FALSE(reports_.empty());
  const HealthChanged& last = reports_.back();
  EXPECT_FALSE(last.healthy) << "one of three cannot run";
  EXPECT_FALSE(last.kill) << "and never kills";
  std::vector<healthchecks::State> states = healthchecks::IndexedFromLabels(last.labels);
  ASSERT_EQ(states.size(), 3u);
  EXPECT_EQ(states[0].healthy, true);
  EXPECT_EQ(states[1].healthy, false);
  EXPECT_TRUE(states[1].last_failure_cause.starts_with("cannot run: "))
      << states[1].last_failure_cause;
  EXPECT_EQ(states[2].healthy, true) << "the third keeps its index";

  reports_.clear();
  HealthCheckSet good(loop_, clock_, {Tcp(open_port(), 3), Tcp(open_port(), 3)}, {},
                      [&](HealthChanged h) { reports_.push_back(std::move(h)); });
  io::testing::RunUntil(loop_, [&] { return !reports_.empty(); });
  ASSERT_EQ(reports_.size(), 1u) << "one report, once both have spoken";
  EXPECT_TRUE(reports_[0].healthy);
  EXPECT_EQ(healthchecks::IndexedFromLabels(reports_[0].labels).size(), 2u);
}

TEST(ReadinessCheckerTest, ReportsStatusChangesAtOnceButABodyChangingEachProbeOnlyNowAndThen) {
  io::EventLoop loop;
  int served = 0;
  bool ready = false;
  io::HttpServer server(
      loop, io::HttpServer::Options{},
      [&](const io::HttpRequest&, std::shared_ptr<io::HttpResponder> r) {
        ++served;
        r->Respond(io::HttpResponse::Text(ready ? 200 : 503, StrCat("warming up: ", served, "%")));
      });
  ASSERT_TRUE(server.Start().ok());
  healthchecks::ReadinessSpec spec;
  spec.port = server.port();
  spec.interval = Duration::Milliseconds(10);
  spec.timeout = Duration::Seconds(5);
  spec.preserve_last_response = true;
  FakeClock clock;  // the body-only period runs on this one
  std::vector<healthchecks::Readiness> reports;
  ReadinessChecker checker(loop, clock, spec, [&](executor::in::ReadinessChanged r) {
    reports.push_back(*healthchecks::ResultFromLabels(r.labels));
  });
  io::testing::RunUntil(loop, [&] { return served >= 10; });
  ASSERT_EQ(reports.size(), 1u) << "ten different bodies, one report";
  EXPECT_EQ(reports[0].last_status, 503);
  EXPECT_EQ(reports[0].last_body, "warming up: 1%");
  EXPECT_EQ(reports[0].last_content_type, "text/plain; charset=utf-8");
  clock.Advance(ReadinessChecker::kBodyOnlyReportPeriod);
  io::testing::RunUntil(loop, [&] { return reports.size() == 2; });
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_NE(reports[1].last_body, reports[0].last_body)
      << "the latest body, once the period passed";
  EXPECT_EQ(reports[1].last_status, 503);
  ready = true;  // a new status: at once
  io::testing::RunUntil(loop, [&] { return reports.size() == 3; });
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_TRUE(reports[2].ready);
  EXPECT_EQ(reports[2].last_status, 200);
}

}  // namespace
}  // namespace atl::cmd
