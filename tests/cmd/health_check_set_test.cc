// HealthCheckSet (core/cmd/health_checker.h): a task's several health checks, run for real on
// an event loop against 127.0.0.1 (a listening socket, and a port nobody listens on), reported
// to the executor as one health.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <vector>

#include "core/cmd/health_checker.h"
#include "core/io/event_loop.h"
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

}  // namespace
}  // namespace atl::cmd
