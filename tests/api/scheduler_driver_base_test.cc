// SchedulerDriverBase, driven through a fake transport that records what the base asks of it.
#include "core/api/scheduler_driver_base.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

namespace atl::api {
namespace {

using model::AgentId;
using model::FrameworkId;
using model::OfferId;
using model::TaskId;

// Records every hook call; the test plays the transport's part by calling the Handle* reports.
class FakeDriver : public SchedulerDriverBase {
 public:
  FakeDriver(Scheduler* scheduler, DriverOptions options)
      : SchedulerDriverBase(scheduler, std::move(options)) {}

  std::vector<Call> opened;  // SUBSCRIBE of each OpenStream
  std::vector<Call> sent;
  std::vector<std::optional<Call>> closed;  // last_call of each CloseStream
  std::vector<Duration> reconnects;

  // The transport's reports, made public for the test.
  using SchedulerDriverBase::HandleCallRejected;
  using SchedulerDriverBase::HandleEvent;
  using SchedulerDriverBase::HandleFatalError;
  using SchedulerDriverBase::HandleStreamClosed;
  using SchedulerDriverBase::Reconnect;

 private:
  void OpenStream(const Call& subscribe) override { opened.push_back(subscribe); }
  void SendCall(const Call& call) override { sent.push_back(call); }
  void CloseStream(std::optional<Call> last_call) override { closed.push_back(last_call); }
  void ScheduleReconnect(Duration delay) override { reconnects.push_back(delay); }
};

// Records callbacks as short strings; optional hooks let a test act from inside a callback.
class RecordingScheduler : public Scheduler {
 public:
  std::vector<std::string> log;
  std::function<void(SchedulerDriver*, const model::TaskStatus&)> on_update;
  std::function<void(SchedulerDriver*)> on_disconnected;

  void Subscribed(SchedulerDriver*, const FrameworkId& id, const model::MasterInfo& m) override {
    log.push_back("subscribed " + id.value() + " " + m.id);
  }
  void Resubscribed(SchedulerDriver*, const model::MasterInfo& m) override {
    log.push_back("resubscribed " + m.id);
  }
  void Disconnected(SchedulerDriver* d) override {
    log.push_back("disconnected");
    if (on_disconnected) on_disconnected(d);
  }
  void ResourceOffers(SchedulerDriver*, const std::vector<model::Offer>& offers) override {
    log.push_back("offers " + std::to_string(offers.size()));
  }
  void OfferRescinded(SchedulerDriver*, const OfferId& id) override {
    log.push_back("rescinded " + id.value());
  }
  void StatusUpdate(SchedulerDriver* d, const model::TaskStatus& s) override {
    log.push_back("update " + s.task_id.value() + " " + std::string(model::TaskStateName(s.state)));
    if (on_update) on_update(d, s);
  }
  void FrameworkMessage(SchedulerDriver*, const model::ExecutorId& e, const AgentId& a,
                        const std::string& data) override {
    log.push_back("message " + e.value() + "@" + a.value() + " " + data);
  }
  void AgentLost(SchedulerDriver*, const AgentId& a) override {
    log.push_back("agent lost " + a.value());
  }
  void ExecutorLost(SchedulerDriver*, const model::ExecutorId& e, const AgentId& a,
                    int status) override {
    log.push_back("executor lost " + e.value() + "@" + a.value() + " " + std::to_string(status));
  }
  void Error(SchedulerDriver* d, const std::string& message) override {
    log.push_back(std::string("error ") + std::string(DriverStateName(d->state())) + " " + message);
  }
};

DriverOptions Options() {
  DriverOptions o;
  o.framework_info.user = "alice";
  o.framework_info.name = "test";
  o.framework_info.failover_timeout = 60;
  return o;
}

Event Subscribed(const std::string& id, double heartbeat = 15) {
  model::MasterInfo master;
  master.id = "m1";
  return Event{event::Subscribed{FrameworkId(id), heartbeat, master}};
}

model::TaskStatus Status(const std::string& task, model::TaskState state, std::string uuid,
                         std::optional<AgentId> agent) {
  model::TaskStatus s;
  s.task_id = TaskId(task);
  s.state = state;
  s.uuid = std::move(uuid);
  s.agent_id = std::move(agent);
  return s;
}

const std::string kUuid(16, 'u');

TEST(SchedulerDriverBase, StartSendsSubscribeWithoutIdForANewFramework) {
  RecordingScheduler sched;
  FakeDriver d(&sched, Options());
  EXPECT_EQ(d.state(), DriverState::kNotStarted);
  ASSERT_TRUE(d.Start().ok());
  EXPECT_EQ(d.state(), DriverState::kConnecting);
  ASSERT_EQ(d.opened.size(), 1u);
  EXPECT_FALSE(d.opened[0].framework_id.has_value());
  const auto& sub = std::get<call::Subscribe>(d.opened[0].body);
  EXPECT_EQ(sub.framework_info.name, "test");
  EXPECT_FALSE(sub.framework_info.id.has_value());
  EXPECT_EQ(d.Start().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(d.stream_epoch(), 1u);
}

TEST(SchedulerDriverBase, CallsBeforeSubscribedFailWithoutSending) {
  RecordingScheduler sched;
  FakeDriver d(&sched, Options());
  EXPECT_EQ(d.KillTask(TaskId("t"), std::nullopt).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(d.Start().ok());
  EXPECT_EQ(d.DeclineOffer(OfferId("o"), {}).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(d.sent.empty());
}

TEST(SchedulerDriverBase, SubscribedKeepsTheFrameworkIdForEveryCall) {
  RecordingScheduler sched;
  FakeDriver d(&sched, Options());
  ASSERT_TRUE(d.Start().ok());
  d.HandleEvent(Subscribed("F-1", 2.0));
  EXPECT_EQ(d.state(), DriverState::kSubscribed);
  EXPECT_EQ(d.framework_id(), FrameworkId("F-1"));
  EXPECT_EQ(d.heartbeat_interval(), Duration::Seconds(2));
  EXPECT_EQ(d.liveness_timeout(), Duration::Seconds(10));
  EXPECT_EQ(sched.log, std::vector<std::string>{"subscribed F-1 m1"});

  model::Filters refuse{3600.0};
  ASSERT_TRUE(d.DeclineOffer(OfferId("o1"), refuse).ok());
  ASSERT_TRUE(d.KillTask(TaskId("t1"), AgentId("a1")).ok());
  ASSERT_TRUE(d.SendFrameworkMessage(model::ExecutorId("e"), AgentId("a1"), "hi").ok());
  ASSERT_TRUE(d.ReconcileTasks({Status("t1", model::TaskState::kRunning, "", AgentId("a1"))}).ok());
  ASSERT_TRUE(d.ReconcileTasks({}).ok());

  ASSERT_EQ(d.sent.size(), 5u);
  for (const Call& c : d.sent) EXPECT_EQ(c.framework_id, FrameworkId("F-1"));
  EXPECT_EQ(d.sent[0].body, Call::Body(call::Decline{{OfferId("o1")}, refuse}));
  EXPECT_EQ(d.sent[1].body, Call::Body(call::Kill{TaskId("t1"), AgentId("a1"), std::nullopt}));
  EXPECT_EQ(d.sent[2].body, Call::Body(call::Message{AgentId("a1"), model::ExecutorId("e"), "hi"}));
  EXPECT_EQ(d.sent[3].body,
            Call::Body(call::Reconcile{{call::Reconcile::Task{TaskId("t1"), AgentId("a1")}}}));
  EXPECT_EQ(d.sent[4].body, Call::Body(call::Reconcile{}));
}

TEST(SchedulerDriverBase, LaunchTasksIsAnAcceptWithOneLaunch) {
  RecordingScheduler sched;
  FakeDriver d(&sched, Options());
  ASSERT_TRUE(d.Start().ok());
  d.HandleEvent(Subscribed("F-1"));
  model::TaskInfo task;
  task.name = "t";
  task.task_id = TaskId("t1");
  task.agent_id = AgentId("a1");
  ASSERT_TRUE(d.LaunchTasks({OfferId("o1"), OfferId("o2")}, {task}, {5.0}).ok());
  ASSERT_TRUE(d.LaunchTasks({OfferId("o3")}, {}, {}).ok());
  EXPECT_EQ(d.LaunchTasks({}, {task}, {}).code(), absl::StatusCode::kInvalidArgument);

  ASSERT_EQ(d.sent.size(), 2u);
  const auto& accept = std::get<call::Accept>(d.sent[0].body);
  EXPECT_EQ(accept.offer_ids, (std::vector<OfferId>{OfferId("o1"), OfferId("o2")}));
  ASSERT_EQ(accept.operations.size(), 1u);
  EXPECT_EQ(accept.operations[0].type, model::Operation::Type::kLaunch);
  EXPECT_EQ(accept.operations[0].launch_tasks, std::vector<model::TaskInfo>{task});
  EXPECT_EQ(accept.filters.refuse_seconds, 5.0);
  // No tasks: an ACCEPT without operations, which the master treats as a decline.
  EXPECT_TRUE(std::get<call::Accept>(d.sent[1].body).operations.empty());
}

TEST(SchedulerDriverBase, ImplicitlyAcknowledgesUpdatesWithUuidAndAgentAfterTheCallback) {
  RecordingScheduler sched;
  FakeDriver d(&sched, Options());
  size_t sent_during_callback = 99;
  sched.on_update = [&](SchedulerDriver*, const model::TaskStatus&) {
    sent_during_callback = d.sent.size();
  };
  ASSERT_TRUE(d.Start().ok());
  d.HandleEvent(Subscribed("F-1"));

  d.HandleEvent(
      Event{event::Update{Status("t1", model::TaskState::kRunning, kUuid, AgentId("a"))}});
  EXPECT_EQ(sent_during_callback, 0u);  // the ack follows the callback's return
  ASSERT_EQ(d.sent.size(), 1u);
  EXPECT_EQ(d.sent[0].body, Call::Body(call::Acknowledge{AgentId("a"), TaskId("t1"), kUuid}));

  // Master-generated (no uuid) and agent-less updates are not acknowledged.
  d.HandleEvent(Event{event::Update{Status("t2", model::TaskState::kLost, "", AgentId("a"))}});
  d.HandleEvent(Event{event::Update{Status("t3", model::TaskState::kLost, kUuid, std::nullopt)}});
  EXPECT_EQ(d.sent.size(), 1u);
  EXPECT_EQ(sched.log.size(), 4u);

  // With implicit acks on, explicit ones are refused.
  EXPECT_EQ(d.AcknowledgeStatusUpdate(Status("t1", model::TaskState::kRunning, kUuid, AgentId("a")))
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(SchedulerDriverBase, ExplicitAcknowledgementsWhenImplicitOnesAreOff) {
  RecordingScheduler sched;
  DriverOptions options = Options();
  options.implicit_acknowledgements = false;
  FakeDriver d(&sched, options);
  ASSERT_TRUE(d.Start().ok());
  d.HandleEvent(Subscribed("F-1"));
  const model::TaskStatus running = Status("t1", model::TaskState::kRunning, kUuid, AgentId("a"));
  d.HandleEvent(Event{event::Update{running}});
  EXPECT_TRUE(d.sent.empty());
  ASSERT_TRUE(d.AcknowledgeStatusUpdate(running).ok());
  ASSERT_EQ(d.sent.size(), 1u);
  EXPECT_EQ(d.sent[0].body, Call::Body(call::Acknowledge{AgentId("a"), TaskId("t1"), kUuid}));
  EXPECT_EQ(
      d.AcknowledgeStatusUpdate(Status("t2", model::TaskState::kLost, "", AgentId("a"))).code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      d.AcknowledgeStatusUpdate(Status("t2", model::TaskState::kLost, kUuid, std::nullopt)).code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(SchedulerDriverBase, NoImplicitAckWhenTheCallbackStoppedTheDriver) {
  RecordingScheduler sched;
  FakeDriver d(&sched, Options());
  sched.on_update = [](SchedulerDriver* driver, const model::TaskStatus&) { driver->Stop(true); };
  ASSERT_TRUE(d.Start().ok());
  d.HandleEvent(Subscribed("F-1"));
  d.HandleEvent(
      Event{event::Update{Status("t1", model::TaskState::kRunning, kUuid, AgentId("a"))}});
  EXPECT_TRUE(d.sent.empty());
  EXPECT_EQ(d.state(), DriverState::kStopped);
  ASSERT_EQ(d.closed.size(), 1u);
  EXPECT_FALSE(d.closed[0].has_value());  // failover: no TEARDOWN
}

TEST(SchedulerDriverBase, DispatchesEveryEventKind) {
  RecordingScheduler sched;
  FakeDriver d(&sched, Options());
  ASSERT_TRUE(d.Start().ok());
  d.HandleEvent(Subscribed("F-1"));
  d.HandleEvent(Event{event::Offers{{model::Offer{}, model::Offer{}}}});
  d.HandleEvent(Event{event::Rescind{OfferId("o7")}});
  d.HandleEvent(Event{event::Message{AgentId("a"), model::ExecutorId("e"), "bytes"}});
  d.HandleEvent(Event{event::Failure{AgentId("a"), std::nullopt, std::nullopt}});
  d.HandleEvent(Event{event::Failure{AgentId("a"), model::ExecutorId("e"), 3}});
  d.HandleEvent(Event{event::Failure{std::nullopt, model::ExecutorId("e"), std::nullopt}});
  d.HandleEvent(Event{event::Heartbeat{}});
  EXPECT_EQ(sched.log, (std::vector<std::string>{"subscribed F-1 m1", "offers 2", "rescinded o7",
                                                 "message e@a bytes", "agent lost a",
                                                 "executor lost e@a 3", "executor lost e@ -1"}));
}

TEST(SchedulerDriverBase, EventsBeforeSubscribedOtherThanErrorAreIgnored) {
  RecordingScheduler sched;
  FakeDriver d(&sched, Options());
  d.HandleEvent(Subscribed("F-1"));  // not started: ignored
  ASSERT_TRUE(d.Start().ok());
  d.HandleEvent(Event{event::Offers{{model::Offer{}}}});
  EXPECT_TRUE(sched.log.empty());
}

TEST(SchedulerDriverBase, ErrorEventIsFatal) {
  RecordingScheduler sched;
  FakeDriver d(&sched, Options());
  ASSERT_TRUE(d.Start().ok());
  d.HandleEvent(Subscribed("F-1"));
  d.HandleEvent(Event{event::Error{"Framework failed over"}});
  EXPECT_EQ(d.state(), DriverState::kStopped);
  EXPECT_EQ(sched.log.back(), "error STOPPED Framework failed over");
  ASSERT_EQ(d.closed.size(), 1u);
  // A stopped driver ignores the stream's end and never reconnects.
  d.HandleStreamClosed("closed");
  EXPECT_TRUE(d.reconnects.empty());
  EXPECT_EQ(d.KillTask(TaskId("t"), std::nullopt).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(SchedulerDriverBase, RejectedCallsAreReportedButNotFatal) {
  RecordingScheduler sched;
  FakeDriver d(&sched, Options());
  ASSERT_TRUE(d.Start().ok());
  d.HandleEvent(Subscribed("F-1"));
  d.HandleCallRejected("KILL", 400, "bad");
  d.HandleCallRejected("ACCEPT", 0, "connection refused");
  EXPECT_EQ(d.state(), DriverState::kSubscribed);
  EXPECT_EQ(sched.log[1], "error SUBSCRIBED KILL call rejected with 400: bad");
  EXPECT_EQ(sched.log[2], "error SUBSCRIBED ACCEPT call not delivered: connection refused");
}

TEST(SchedulerDriverBase, LostStreamReportsDisconnectedAndResubscribesWithTheId) {
  RecordingScheduler sched;
  DriverOptions options = Options();
  options.reconnect_backoff_initial = Duration::Milliseconds(100);
  options.reconnect_backoff_max = Duration::Milliseconds(350);
  FakeDriver d(&sched, options);
  ASSERT_TRUE(d.Start().ok());
  d.HandleEvent(Subscribed("F-1"));

  d.HandleStreamClosed("broken pipe");
  EXPECT_EQ(d.state(), DriverState::kDisconnected);
  EXPECT_EQ(sched.log.back(), "disconnected");
  ASSERT_EQ(d.reconnects, std::vector<Duration>{Duration::Milliseconds(100)});

  d.Reconnect();
  ASSERT_EQ(d.opened.size(), 2u);
  EXPECT_EQ(d.stream_epoch(), 2u);
  EXPECT_EQ(d.opened[1].framework_id, FrameworkId("F-1"));
  EXPECT_EQ(std::get<call::Subscribe>(d.opened[1].body).framework_info.id, FrameworkId("F-1"));

  // Failed attempts back off exponentially up to the cap, without more Disconnected calls.
  d.HandleStreamClosed("refused");
  d.Reconnect();
  d.HandleStreamClosed("refused");
  d.Reconnect();
  d.HandleStreamClosed("refused");
  EXPECT_EQ(d.reconnects,
            (std::vector<Duration>{Duration::Milliseconds(100), Duration::Milliseconds(200),
                                   Duration::Milliseconds(350), Duration::Milliseconds(350)}));
  EXPECT_EQ(std::count(sched.log.begin(), sched.log.end(), "disconnected"), 1);

  // The next SUBSCRIBED is a re-subscription and resets the backoff.
  d.Reconnect();
  d.HandleEvent(Subscribed("F-1"));
  EXPECT_EQ(sched.log.back(), "resubscribed m1");
  d.HandleStreamClosed("again");
  EXPECT_EQ(d.reconnects.back(), Duration::Milliseconds(100));
}

TEST(SchedulerDriverBase, StopInsideDisconnectedCancelsTheReconnect) {
  RecordingScheduler sched;
  FakeDriver d(&sched, Options());
  sched.on_disconnected = [](SchedulerDriver* driver) { driver->Stop(true); };
  ASSERT_TRUE(d.Start().ok());
  d.HandleEvent(Subscribed("F-1"));
  d.HandleStreamClosed("gone");
  EXPECT_EQ(d.state(), DriverState::kStopped);
  EXPECT_TRUE(d.reconnects.empty());
  d.Reconnect();  // a timer that fired anyway does nothing
  EXPECT_EQ(d.opened.size(), 1u);
}

TEST(SchedulerDriverBase, StopWithoutFailoverSendsTeardownAsTheLastCall) {
  RecordingScheduler sched;
  FakeDriver d(&sched, Options());
  ASSERT_TRUE(d.Start().ok());
  d.HandleEvent(Subscribed("F-1"));
  d.Stop(false);
  ASSERT_EQ(d.closed.size(), 1u);
  ASSERT_TRUE(d.closed[0].has_value());
  EXPECT_EQ(*d.closed[0], (Call{FrameworkId("F-1"), call::Teardown{}}));
  d.Stop(false);  // idempotent
  EXPECT_EQ(d.closed.size(), 1u);
  EXPECT_EQ(d.Start().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(SchedulerDriverBase, StopBeforeSubscribedCannotTearDown) {
  RecordingScheduler sched;
  FakeDriver d(&sched, Options());
  ASSERT_TRUE(d.Start().ok());
  d.Stop(false);
  ASSERT_EQ(d.closed.size(), 1u);
  EXPECT_FALSE(d.closed[0].has_value());
  FakeDriver never_started(&sched, Options());
  never_started.Stop(false);
  EXPECT_TRUE(never_started.closed.empty());
}

TEST(SchedulerDriverBase, FatalErrorStopsAndReports) {
  RecordingScheduler sched;
  FakeDriver d(&sched, Options());
  ASSERT_TRUE(d.Start().ok());
  d.HandleFatalError("SUBSCRIBE rejected with 400: bad framework");
  EXPECT_EQ(d.state(), DriverState::kStopped);
  EXPECT_EQ(sched.log, std::vector<std::string>{"error STOPPED SUBSCRIBE rejected with 400: bad "
                                                "framework"});
  EXPECT_EQ(d.closed.size(), 1u);
}

TEST(SchedulerDriverBase, SuppressionIsRememberedForTheNextSubscribe) {
  RecordingScheduler sched;
  DriverOptions options = Options();
  options.framework_info.capabilities = {model::FrameworkCapability::kMultiRole};
  options.framework_info.roles = {"web", "batch"};
  options.suppressed_roles = {"batch"};
  FakeDriver d(&sched, options);
  ASSERT_TRUE(d.Start().ok());
  EXPECT_EQ(std::get<call::Subscribe>(d.opened[0].body).suppressed_roles,
            std::vector<std::string>{"batch"});
  d.HandleEvent(Subscribed("F-1"));

  ASSERT_TRUE(d.ReviveOffers({"batch"}).ok());
  EXPECT_TRUE(d.suppressed_roles().empty());
  ASSERT_TRUE(d.SuppressOffers({}).ok());  // all subscribed roles
  EXPECT_EQ(d.suppressed_roles(), (std::vector<std::string>{"web", "batch"}));
  EXPECT_EQ(d.sent.back().body, Call::Body(call::Suppress{}));
  ASSERT_TRUE(d.ReviveOffers({}).ok());
  EXPECT_TRUE(d.suppressed_roles().empty());
  ASSERT_TRUE(d.SuppressOffers({"web"}).ok());

  d.HandleStreamClosed("lost");
  d.Reconnect();
  EXPECT_EQ(std::get<call::Subscribe>(d.opened[1].body).suppressed_roles,
            std::vector<std::string>{"web"});
}

TEST(SchedulerDriverBase, AGivenFrameworkIdIsSentFromTheFirstSubscribe) {
  RecordingScheduler sched;
  DriverOptions options = Options();
  options.framework_info.id = FrameworkId("F-9");
  FakeDriver d(&sched, options);
  EXPECT_EQ(d.framework_id(), FrameworkId("F-9"));
  ASSERT_TRUE(d.Start().ok());
  EXPECT_EQ(d.opened[0].framework_id, FrameworkId("F-9"));
  // Taking over an existing id is still this driver's first subscription.
  d.HandleEvent(Subscribed("F-9"));
  EXPECT_EQ(sched.log, std::vector<std::string>{"subscribed F-9 m1"});
}

}  // namespace
}  // namespace atl::api
