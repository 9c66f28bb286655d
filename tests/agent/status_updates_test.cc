// StatusUpdateStreams (core/agent/status_updates.h): only a stream's head is forwarded, it is
// retried with doubling (capped) backoff until acknowledged, a stale acknowledgement changes
// nothing, and re-registration resends every head.
#include "core/agent/status_updates.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace atl::agent {
namespace {

using model::TaskState;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const Timestamp kT0 = Timestamp::FromNanoseconds(1'700'000'000'000'000'000);

TaskKey Key(const std::string& task, const std::string& fw = "fw") {
  return {model::FrameworkId(fw), model::TaskId(task)};
}

model::TaskStatus Status(const std::string& task, TaskState state, const std::string& uuid) {
  model::TaskStatus s;
  s.task_id = model::TaskId(task);
  s.state = state;
  s.uuid = uuid;
  return s;
}

// "task:uuid:latest_state" of every StatusUpdate in `out`, in order.
std::vector<std::string> Sent(const std::vector<api::AgentToMaster>& out) {
  std::vector<std::string> r;
  for (const api::AgentToMaster& m : out) {
    const auto* u = std::get_if<api::agent_msg::StatusUpdate>(&m);
    if (u == nullptr) continue;
    r.push_back(u->status.task_id.value() + ":" + u->status.uuid + ":" +
                (u->latest_state ? std::string(model::TaskStateName(*u->latest_state)) : "-"));
  }
  return r;
}

std::vector<std::string> Uuids(const std::vector<model::TaskStatus>* p) {
  std::vector<std::string> r;
  if (p == nullptr) return r;
  for (const model::TaskStatus& s : *p) r.push_back(s.uuid);
  return r;
}

class StatusUpdateStreamsTest : public ::testing::Test {
 protected:
  StatusUpdateStreams streams_{Duration::Seconds(10), Duration::Seconds(40)};
  std::vector<api::AgentToMaster> out_;
};

TEST_F(StatusUpdateStreamsTest, OnlyTheHeadIsForwardedWithTheLatestState) {
  EXPECT_TRUE(streams_.Add(Key("t1"), Status("t1", TaskState::kStarting, "u1"), kT0, true, out_));
  EXPECT_TRUE(streams_.Add(Key("t1"), Status("t1", TaskState::kRunning, "u2"), kT0, true, out_));
  EXPECT_TRUE(streams_.Add(Key("t1"), Status("t1", TaskState::kFinished, "u3"), kT0, true, out_));
  // The first went out at once (latest state then: STARTING); the others wait behind it.
  EXPECT_THAT(Sent(out_), ElementsAre("t1:u1:TASK_STARTING"));
  EXPECT_THAT(Uuids(streams_.Pending(Key("t1"))), ElementsAre("u1", "u2", "u3"));
  EXPECT_EQ(streams_.pending_updates(), 3u);
  EXPECT_TRUE(streams_.Contains(Key("t1"), "u2"));
  EXPECT_FALSE(streams_.Contains(Key("t1"), "u4"));

  out_.clear();
  EXPECT_EQ(streams_.Acknowledge(Key("t1"), "u1", kT0, true, out_),
            StatusUpdateStreams::Ack::kPopped);
  // The next head carries the newest state, so the master can release resources early.
  EXPECT_THAT(Sent(out_), ElementsAre("t1:u2:TASK_FINISHED"));
  EXPECT_THAT(Uuids(streams_.Pending(Key("t1"))), ElementsAre("u2", "u3"));
}

TEST_F(StatusUpdateStreamsTest, StreamsOfDifferentTasksAreIndependent) {
  streams_.Add(Key("t1"), Status("t1", TaskState::kRunning, "a1"), kT0, true, out_);
  streams_.Add(Key("t2"), Status("t2", TaskState::kRunning, "b1"), kT0, true, out_);
  streams_.Add(Key("t1"), Status("t1", TaskState::kFinished, "a2"), kT0, true, out_);
  EXPECT_THAT(Sent(out_), ElementsAre("t1:a1:TASK_RUNNING", "t2:b1:TASK_RUNNING"));
  EXPECT_EQ(streams_.streams(), 2u);
}

TEST_F(StatusUpdateStreamsTest, AcknowledgementOfAnythingButTheHeadIsIgnored) {
  streams_.Add(Key("t1"), Status("t1", TaskState::kStarting, "u1"), kT0, true, out_);
  streams_.Add(Key("t1"), Status("t1", TaskState::kRunning, "u2"), kT0, true, out_);
  out_.clear();
  // Not the head (yet), an unknown uuid, an unknown task, another framework's task.
  EXPECT_EQ(streams_.Acknowledge(Key("t1"), "u2", kT0, true, out_),
            StatusUpdateStreams::Ack::kIgnored);
  EXPECT_EQ(streams_.Acknowledge(Key("t1"), "nope", kT0, true, out_),
            StatusUpdateStreams::Ack::kIgnored);
  EXPECT_EQ(streams_.Acknowledge(Key("t9"), "u1", kT0, true, out_),
            StatusUpdateStreams::Ack::kIgnored);
  EXPECT_EQ(streams_.Acknowledge(Key("t1", "other"), "u1", kT0, true, out_),
            StatusUpdateStreams::Ack::kIgnored);
  EXPECT_THAT(out_, IsEmpty());
  EXPECT_THAT(Uuids(streams_.Pending(Key("t1"))), ElementsAre("u1", "u2"));
  // The retry timer of the head is untouched.
  EXPECT_EQ(streams_.next_wake(), kT0 + Duration::Seconds(10));

  // A duplicate acknowledgement of an update already popped changes nothing either.
  EXPECT_EQ(streams_.Acknowledge(Key("t1"), "u1", kT0, true, out_),
            StatusUpdateStreams::Ack::kPopped);
  out_.clear();
  EXPECT_EQ(streams_.Acknowledge(Key("t1"), "u1", kT0, true, out_),
            StatusUpdateStreams::Ack::kIgnored);
  EXPECT_THAT(out_, IsEmpty());
  EXPECT_THAT(Uuids(streams_.Pending(Key("t1"))), ElementsAre("u2"));
}

TEST_F(StatusUpdateStreamsTest, EmptyStreamsAreErased) {
  streams_.Add(Key("t1"), Status("t1", TaskState::kRunning, "u1"), kT0, true, out_);
  EXPECT_EQ(streams_.streams(), 1u);
  EXPECT_EQ(streams_.Acknowledge(Key("t1"), "u1", kT0, true, out_),
            StatusUpdateStreams::Ack::kPopped);
  EXPECT_EQ(streams_.streams(), 0u);
  EXPECT_EQ(streams_.Pending(Key("t1")), nullptr);
  EXPECT_EQ(streams_.pending_updates(), 0u);
  EXPECT_EQ(streams_.next_wake(), std::nullopt);
}

TEST_F(StatusUpdateStreamsTest, RetryBackoffDoublesUpToTheCap) {
  streams_.Add(Key("t1"), Status("t1", TaskState::kRunning, "u1"), kT0, true, out_);
  out_.clear();
  EXPECT_EQ(streams_.next_wake(), kT0 + Duration::Seconds(10));

  streams_.Tick(kT0 + Duration::Seconds(9), true, out_);  // not yet
  EXPECT_THAT(out_, IsEmpty());

  // 10 s, then 20 s, then 40 s, then capped at 40 s.
  Timestamp t = kT0 + Duration::Seconds(10);
  for (int64_t next : {20, 40, 40, 40}) {
    streams_.Tick(t, true, out_);
    EXPECT_THAT(Sent(out_), ElementsAre("t1:u1:TASK_RUNNING")) << "at +" << (t - kT0).seconds();
    out_.clear();
    ASSERT_EQ(streams_.next_wake(), t + Duration::Seconds(next));
    t = t + Duration::Seconds(next);
  }

  // An acknowledgement resets the backoff for the next update.
  streams_.Add(Key("t1"), Status("t1", TaskState::kFinished, "u2"), t, true, out_);
  EXPECT_EQ(streams_.Acknowledge(Key("t1"), "u1", t, true, out_),
            StatusUpdateStreams::Ack::kPopped);
  EXPECT_THAT(Sent(out_), ElementsAre("t1:u2:TASK_FINISHED"));
  EXPECT_EQ(streams_.next_wake(), t + Duration::Seconds(10));
}

TEST_F(StatusUpdateStreamsTest, NothingIsSentWhileDisconnectedAndForwardAllResendsEveryHead) {
  streams_.Add(Key("t2"), Status("t2", TaskState::kRunning, "b1"), kT0, false, out_);
  streams_.Add(Key("t1"), Status("t1", TaskState::kStarting, "a1"), kT0, false, out_);
  streams_.Add(Key("t1"), Status("t1", TaskState::kRunning, "a2"), kT0, false, out_);
  streams_.Add(Key("t3", "a-fw"), Status("t3", TaskState::kRunning, "c1"), kT0, false, out_);
  EXPECT_THAT(out_, IsEmpty());
  EXPECT_EQ(streams_.next_wake(), std::nullopt);  // no retry timer for what was never sent

  // After (re-)registration: each head once, in (framework, task) order, initial backoff.
  const Timestamp t = kT0 + Duration::Seconds(3);
  streams_.ForwardAll(t, out_);
  EXPECT_THAT(Sent(out_),
              ElementsAre("t3:c1:TASK_RUNNING", "t1:a1:TASK_RUNNING", "t2:b1:TASK_RUNNING"));
  EXPECT_EQ(streams_.next_wake(), t + Duration::Seconds(10));
}

TEST_F(StatusUpdateStreamsTest, RetriesDueWhileDisconnectedWaitForForwardAll) {
  streams_.Add(Key("t1"), Status("t1", TaskState::kRunning, "u1"), kT0, true, out_);
  streams_.Tick(kT0 + Duration::Seconds(10), true, out_);
  streams_.Tick(kT0 + Duration::Seconds(30), true, out_);
  ASSERT_EQ(Sent(out_).size(), 3u);  // backoff now 40 s
  out_.clear();

  // The connection is down when the retry falls due: nothing is sent, no timer is left.
  streams_.Tick(kT0 + Duration::Seconds(70), false, out_);
  EXPECT_THAT(out_, IsEmpty());
  EXPECT_EQ(streams_.next_wake(), std::nullopt);
  EXPECT_THAT(Uuids(streams_.Pending(Key("t1"))), ElementsAre("u1"));

  // Reconnected: resent at once, backoff back to its initial value.
  const Timestamp t = kT0 + Duration::Seconds(100);
  streams_.ForwardAll(t, out_);
  EXPECT_THAT(Sent(out_), ElementsAre("t1:u1:TASK_RUNNING"));
  EXPECT_EQ(streams_.next_wake(), t + Duration::Seconds(10));
  out_.clear();
  streams_.Tick(t + Duration::Seconds(10), true, out_);
  EXPECT_EQ(streams_.next_wake(), t + Duration::Seconds(30));
}

TEST_F(StatusUpdateStreamsTest, AnAcknowledgementWhileDisconnectedQueuesTheNextHead) {
  streams_.Add(Key("t1"), Status("t1", TaskState::kRunning, "u1"), kT0, true, out_);
  streams_.Add(Key("t1"), Status("t1", TaskState::kKilled, "u2"), kT0, true, out_);
  out_.clear();
  EXPECT_EQ(streams_.Acknowledge(Key("t1"), "u1", kT0, false, out_),
            StatusUpdateStreams::Ack::kPopped);
  EXPECT_THAT(out_, IsEmpty());
  EXPECT_EQ(streams_.next_wake(), std::nullopt);
  streams_.ForwardAll(kT0, out_);
  EXPECT_THAT(Sent(out_), ElementsAre("t1:u2:TASK_KILLED"));
}

TEST_F(StatusUpdateStreamsTest, DuplicatesAreDropped) {
  EXPECT_TRUE(streams_.Add(Key("t1"), Status("t1", TaskState::kRunning, "u1"), kT0, true, out_));
  EXPECT_TRUE(streams_.Add(Key("t1"), Status("t1", TaskState::kFailed, "u2"), kT0, true, out_));
  out_.clear();
  EXPECT_FALSE(streams_.Add(Key("t1"), Status("t1", TaskState::kRunning, "u1"), kT0, true, out_));
  EXPECT_FALSE(streams_.Add(Key("t1"), Status("t1", TaskState::kFailed, "u2"), kT0, true, out_));
  EXPECT_THAT(out_, IsEmpty());
  EXPECT_THAT(Uuids(streams_.Pending(Key("t1"))), ElementsAre("u1", "u2"));
  // The same uuid on another task is not a duplicate.
  EXPECT_TRUE(streams_.Add(Key("t2"), Status("t2", TaskState::kRunning, "u1"), kT0, true, out_));
}

TEST_F(StatusUpdateStreamsTest, EraseDropsTheStreamAndItsRetry) {
  streams_.Add(Key("t1"), Status("t1", TaskState::kRunning, "u1"), kT0, true, out_);
  streams_.Add(Key("t2"), Status("t2", TaskState::kRunning, "v1"), kT0 + Duration::Seconds(1), true,
               out_);
  out_.clear();
  streams_.Erase(Key("t1"));
  streams_.Erase(Key("t9"));  // unknown: nothing happens
  EXPECT_EQ(streams_.Pending(Key("t1")), nullptr);
  EXPECT_FALSE(streams_.Contains(Key("t1"), "u1"));
  EXPECT_EQ(streams_.streams(), 1u);
  EXPECT_EQ(streams_.next_wake(), kT0 + Duration::Seconds(11));
  EXPECT_EQ(streams_.Acknowledge(Key("t1"), "u1", kT0, true, out_),
            StatusUpdateStreams::Ack::kIgnored);
  streams_.Tick(kT0 + Duration::Minutes(5), true, out_);
  EXPECT_THAT(Sent(out_), ElementsAre("t2:v1:TASK_RUNNING"));
  // A new update after Erase starts a fresh stream.
  out_.clear();
  EXPECT_TRUE(streams_.Add(Key("t1"), Status("t1", TaskState::kLost, "u1"), kT0, true, out_));
  EXPECT_THAT(Sent(out_), ElementsAre("t1:u1:TASK_LOST"));
}

TEST_F(StatusUpdateStreamsTest, TickOneHandlesRetriesOneAtATimeInDeadlineAndTaskOrder) {
  streams_.Add(Key("t2"), Status("t2", TaskState::kRunning, "b1"), kT0, true, out_);
  streams_.Add(Key("t1"), Status("t1", TaskState::kRunning, "a1"), kT0, true, out_);
  streams_.Add(Key("t0"), Status("t0", TaskState::kRunning, "c1"), kT0 + Duration::Seconds(1), true,
               out_);
  out_.clear();
  const Timestamp t = kT0 + Duration::Seconds(20);

  ASSERT_NE(streams_.next_retry(), nullptr);
  EXPECT_EQ(streams_.next_retry()->at, kT0 + Duration::Seconds(10));
  EXPECT_EQ(*streams_.next_retry()->key, Key("t1"));
  EXPECT_TRUE(streams_.TickOne(t, true, out_));
  EXPECT_THAT(Sent(out_), ElementsAre("t1:a1:TASK_RUNNING"));
  EXPECT_EQ(*streams_.next_retry()->key, Key("t2"));
  EXPECT_TRUE(streams_.TickOne(t, true, out_));
  EXPECT_EQ(*streams_.next_retry()->key, Key("t0"));
  EXPECT_TRUE(streams_.TickOne(t, true, out_));
  EXPECT_THAT(Sent(out_),
              ElementsAre("t1:a1:TASK_RUNNING", "t2:b1:TASK_RUNNING", "t0:c1:TASK_RUNNING"));
  // Every retry is now 20 s ahead: none due.
  EXPECT_FALSE(streams_.TickOne(t, true, out_));
  EXPECT_EQ(streams_.next_retry()->at, t + Duration::Seconds(20));

  streams_.Erase(Key("t0"));
  streams_.Erase(Key("t1"));
  streams_.Erase(Key("t2"));
  EXPECT_EQ(streams_.next_retry(), nullptr);
  EXPECT_FALSE(streams_.TickOne(t + Duration::Hours(1), true, out_));
}

// Retry timers refer to their stream's key; many streams (rehashes) and erasures in between.
TEST_F(StatusUpdateStreamsTest, RetriesFollowManyStreamsInKeyOrder) {
  std::vector<std::string> want;
  for (int i = 0; i < 500; ++i) {
    const std::string task = "t" + std::to_string(1000 + i);
    streams_.Add(Key(task), Status(task, TaskState::kRunning, "u"), kT0, true, out_);
    if (i % 3 == 0) {
      streams_.Acknowledge(Key(task), "u", kT0, true, out_);
    } else if (i % 3 == 1) {
      streams_.Erase(Key(task));
    } else {
      want.push_back(task + ":u:TASK_RUNNING");
    }
  }
  EXPECT_EQ(streams_.streams(), want.size());
  out_.clear();
  streams_.Tick(kT0 + Duration::Seconds(10), true, out_);
  EXPECT_EQ(Sent(out_), want);
  out_.clear();
  streams_.ForwardAll(kT0 + Duration::Seconds(11), out_);
  EXPECT_EQ(Sent(out_), want);
  EXPECT_EQ(streams_.next_wake(), kT0 + Duration::Seconds(21));
}

}  // namespace
}  // namespace atl::agent
