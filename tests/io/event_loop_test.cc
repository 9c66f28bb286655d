// EventLoop and RealClock against the real clock and real threads.
#include "core/io/event_loop.h"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "core/io/real_clock.h"
#include "tests/io/io_test_util.h"

namespace atl::io {
namespace {

using testing::RunUntilStopped;

TEST(RealClock, ReadsTheSystemClock) {
  RealClock clock;
  int64_t before = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  Timestamp now = clock.Now();
  int64_t after = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  EXPECT_LE(before, now.nanoseconds());
  EXPECT_LE(now.nanoseconds(), after);
}

TEST(EventLoop, PostFromAnotherThreadRunsOnTheLoopThread) {
  EventLoop loop;
  std::thread::id ran_on;
  bool was_loop_thread = false;
  std::thread poster([&] {
    loop.Post([&] {
      ran_on = std::this_thread::get_id();
      was_loop_thread = loop.IsLoopThread();
      loop.Stop();
    });
  });
  RunUntilStopped(loop);
  poster.join();
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  EXPECT_TRUE(was_loop_thread);
  EXPECT_FALSE(loop.IsLoopThread());  // Not inside Run() any more.
}

TEST(EventLoop, PostsFromOneThreadRunInOrder) {
  EventLoop loop;
  std::vector<int> order;
  std::thread poster([&] {
    for (int i = 0; i < 100; ++i) loop.Post([&order, i] { order.push_back(i); });
    loop.Post([&] { loop.Stop(); });
  });
  RunUntilStopped(loop);
  poster.join();
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

TEST(EventLoop, RunAtFiresInDeadlineOrderThenCreationOrder) {
  EventLoop loop;
  RealClock clock;
  std::vector<std::string> fired;
  Timestamp base = clock.Now() + Duration::Milliseconds(20);
  loop.RunAt(base + Duration::Milliseconds(30), [&] {
    fired.push_back("c");
    loop.Stop();
  });
  loop.RunAt(base + Duration::Milliseconds(10), [&] { fired.push_back("b1"); });
  loop.RunAt(base, [&] { fired.push_back("a"); });
  loop.RunAt(base + Duration::Milliseconds(10), [&] { fired.push_back("b2"); });
  // A deadline in the past runs on the next turn, before all of the above.
  loop.RunAt(clock.Now() - Duration::Seconds(1), [&] { fired.push_back("past"); });
  EXPECT_EQ(loop.pending_timers(), 5u);
  RunUntilStopped(loop);
  EXPECT_EQ(fired, (std::vector<std::string>{"past", "a", "b1", "b2", "c"}));
  EXPECT_EQ(loop.pending_timers(), 0u);
}

TEST(EventLoop, TimersNeverFireEarly) {
  EventLoop loop;
  RealClock clock;
  Timestamp deadline = clock.Now() + Duration::Milliseconds(15);
  Timestamp fired_at;
  loop.RunAt(deadline, [&] {
    fired_at = clock.Now();
    loop.Stop();
  });
  RunUntilStopped(loop);
  EXPECT_GE(fired_at, deadline);
}

TEST(EventLoop, CancelledTimerDoesNotFire) {
  EventLoop loop;
  bool cancelled_ran = false;
  EventLoop::TimerId doomed =
      loop.RunAfter(Duration::Milliseconds(5), [&] { cancelled_ran = true; });
  loop.RunAfter(Duration::Milliseconds(20), [&] { loop.Stop(); });
  EXPECT_TRUE(loop.Cancel(doomed));
  EXPECT_FALSE(loop.Cancel(doomed));
  EXPECT_FALSE(loop.Cancel(987654));
  RunUntilStopped(loop);
  EXPECT_FALSE(cancelled_ran);
}

TEST(EventLoop, TimerCreatedInsideATimerRunsOnALaterTurn) {
  EventLoop loop;
  std::vector<int> order;
  loop.RunAfter(Duration::Zero(), [&] {
    order.push_back(1);
    loop.RunAfter(Duration::Zero(), [&] {
      order.push_back(3);
      loop.Stop();
    });
    loop.Post([&] { order.push_back(2); });
  });
  RunUntilStopped(loop);
  // The posted callback got its turn before the new timer: timers cannot starve other work.
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(EventLoop, RunCanBeCalledAgainAfterStop) {
  EventLoop loop;
  int runs = 0;
  for (int i = 0; i < 3; ++i) {
    loop.Post([&] {
      ++runs;
      loop.Stop();
    });
    RunUntilStopped(loop);
  }
  EXPECT_EQ(runs, 3);
}

TEST(EventLoop, StopBeforeRunMakesRunReturn) {
  EventLoop loop;
  loop.Stop();
  loop.Run();  // Returns at once instead of blocking.
  SUCCEED();
}

TEST(EventLoop, StopOnSignalsHandsTheSignalToTheCallback) {
  EventLoop loop;
  std::vector<int> seen;
  loop.StopOnSignals([&](int signo) {
    seen.push_back(signo);
    if (seen.size() == 2) loop.Stop();
  });
  loop.Post([] { std::raise(SIGTERM); });
  loop.RunAfter(Duration::Milliseconds(1), [] { std::raise(SIGINT); });
  RunUntilStopped(loop);
  EXPECT_EQ(seen, (std::vector<int>{SIGTERM, SIGINT}));
}

}  // namespace
}  // namespace atl::io
