// The synchronous answers of the master to scheduler calls: the status codes and messages a
// v1 framework sees (reference/mesos.md §1.1, §1.4).
#include <gtest/gtest.h>

#include "core/master/master.h"

namespace atl::master {
namespace {

model::FrameworkInfo Info() {
  model::FrameworkInfo info;
  info.user = "root";
  info.name = "test";
  info.failover_timeout = 60;
  return info;
}

api::Call SubscribeCall(model::FrameworkInfo info, std::optional<model::FrameworkId> id = {}) {
  api::Call call;
  call.framework_id = id;
  call.body = api::call::Subscribe{std::move(info), {}};
  return call;
}

std::vector<api::Event> EventsTo(const Output& out, ConnId conn) {
  std::vector<api::Event> events;
  for (const Command& c : out.commands) {
    if (const auto* s = std::get_if<cmd::SendEvent>(&c); s && s->conn == conn) {
      events.push_back(s->event);
    }
  }
  return events;
}

bool Closes(const Output& out, ConnId conn) {
  for (const Command& c : out.commands) {
    if (const auto* s = std::get_if<cmd::CloseStream>(&c); s && s->conn == conn) return true;
  }
  return false;
}

class MasterCalls : public ::testing::Test {
 protected:
  MasterCalls() : master_(Options{}, Registry{}, Timestamp::FromNanoseconds(1'000'000'000)) {}

  // Subscribes on `conn`; returns the framework id.
  model::FrameworkId Subscribe(ConnId conn) {
    Output out = master_.Handle(in::Subscribe{conn, SubscribeCall(Info())}, now_);
    EXPECT_EQ(out.http_status, 200);
    stream_ = out.stream_id;
    auto events = EventsTo(out, conn);
    EXPECT_FALSE(events.empty());
    return std::get<api::event::Subscribed>(events[0].body).framework_id;
  }

  Output Call(std::string stream, std::optional<model::FrameworkId> id, api::Call::Body body) {
    api::Call call;
    call.framework_id = std::move(id);
    call.body = std::move(body);
    return master_.Handle(in::Call{std::move(stream), call}, now_);
  }

  Timestamp now_ = Timestamp::FromNanoseconds(1'000'000'000);
  Master master_;
  std::string stream_;
};

TEST_F(MasterCalls, SubscribeAnswersWithAStreamIdAndSubscribedFirst) {
  Output out = master_.Handle(in::Subscribe{7, SubscribeCall(Info())}, now_);
  EXPECT_EQ(out.http_status, 200);
  EXPECT_EQ(out.stream_id.size(), 36u);
  auto events = EventsTo(out, 7);
  ASSERT_FALSE(events.empty());
  const auto& sub = std::get<api::event::Subscribed>(events[0].body);
  EXPECT_EQ(sub.heartbeat_interval_seconds, 15.0);
  ASSERT_TRUE(sub.master_info.has_value());
  EXPECT_EQ(sub.framework_id.value(), master_.info().id + "-0000");
  EXPECT_EQ(sub.master_info->pid, "master@127.0.0.1:5050");
  EXPECT_EQ(sub.master_info->ip, 16777343u);  // 127.0.0.1 packed as Mesos does
}

TEST_F(MasterCalls, ResubscribeNeedsBothFrameworkIdsAndTheyMustMatch) {
  model::FrameworkInfo info = Info();
  info.id = model::FrameworkId("x");
  EXPECT_EQ(master_.Handle(in::Subscribe{1, SubscribeCall(info)}, now_).http_status, 400);
  EXPECT_EQ(master_.Handle(in::Subscribe{1, SubscribeCall(Info(), model::FrameworkId("x"))}, now_)
                .http_status,
            400);
  EXPECT_EQ(master_.Handle(in::Subscribe{1, SubscribeCall(info, model::FrameworkId("y"))}, now_)
                .http_status,
            400);
}

TEST_F(MasterCalls, InvalidFrameworkInfoIsAnErrorEventOnTheStream) {
  model::FrameworkInfo info = Info();
  info.roles = {"web"};  // roles without MULTI_ROLE
  Output out = master_.Handle(in::Subscribe{3, SubscribeCall(info)}, now_);
  EXPECT_EQ(out.http_status, 200);
  auto events = EventsTo(out, 3);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(std::get<api::event::Error>(events[0].body).message.find("MULTI_ROLE"),
            std::string::npos);
  EXPECT_TRUE(Closes(out, 3));
  EXPECT_TRUE(master_.frameworks().empty());

  info = Info();
  info.capabilities = {model::FrameworkCapability::kMultiRole};
  info.roles = {"bad role"};
  out = master_.Handle(in::Subscribe{4, SubscribeCall(info)}, now_);
  EXPECT_TRUE(Closes(out, 4));
}

TEST_F(MasterCalls, CallsAreCheckedForFrameworkStreamAndSubscription) {
  model::FrameworkId id = Subscribe(1);
  EXPECT_EQ(Call(stream_, id, api::call::Revive{}).http_status, 202);
  Output out = Call(stream_, std::nullopt, api::call::Revive{});
  EXPECT_EQ(out.http_status, 400);
  EXPECT_EQ(out.http_body, "Expecting 'framework_id' to be present");
  out = Call(stream_, model::FrameworkId("nope"), api::call::Revive{});
  EXPECT_EQ(out.http_status, 400);
  EXPECT_EQ(out.http_body, "Framework cannot be found");
  out = Call("", id, api::call::Revive{});
  EXPECT_EQ(out.http_status, 400);
  EXPECT_NE(out.http_body.find("Mesos-Stream-Id"), std::string::npos);
  out = Call("0b1f6c64-7e3a-4c2e-9d55-3f1c2b8a9e10", id, api::call::Revive{});
  EXPECT_EQ(out.http_status, 400);
  EXPECT_NE(out.http_body.find("didn't match"), std::string::npos);
  // Disconnected (failover pending): 403.
  master_.Handle(in::StreamClosed{1}, now_);
  out = Call(stream_, id, api::call::Revive{});
  EXPECT_EQ(out.http_status, 403);
}

TEST_F(MasterCalls, AcknowledgementsNeedA16ByteUuid) {
  model::FrameworkId id = Subscribe(1);
  Output out =
      Call(stream_, id, api::call::Acknowledge{model::AgentId("a"), model::TaskId("t"), "short"});
  EXPECT_EQ(out.http_status, 400);
  out = Call(stream_, id,
             api::call::Acknowledge{model::AgentId("a"), model::TaskId("t"), std::string(16, 'x')});
  EXPECT_EQ(out.http_status, 202);
}

TEST_F(MasterCalls, UpdateFrameworkIsSynchronousAndGuardsImmutableFields) {
  model::FrameworkId id = Subscribe(1);
  model::FrameworkInfo info = Info();
  info.id = id;
  info.name = "renamed";
  EXPECT_EQ(Call(stream_, id, api::call::UpdateFramework{info, {}}).http_status, 200);
  EXPECT_EQ(master_.frameworks().at(id).info.name, "renamed");
  info.user = "someone-else";
  EXPECT_EQ(Call(stream_, id, api::call::UpdateFramework{info, {}}).http_status, 400);
}

TEST_F(MasterCalls, HeartbeatsFlowOnTheStreamEveryFifteenSeconds) {
  Subscribe(1);
  int heartbeats = 0;
  for (int s = 1; s <= 46; ++s) {
    Output out = master_.Handle(in::Tick{}, now_ + Duration::Seconds(s));
    for (const api::Event& e : EventsTo(out, 1)) {
      if (std::holds_alternative<api::event::Heartbeat>(e.body)) ++heartbeats;
    }
  }
  EXPECT_EQ(heartbeats, 3);
}

TEST_F(MasterCalls, FailoverTimeoutZeroTearsDownOnDisconnect) {
  model::FrameworkInfo info = Info();
  info.failover_timeout = 0;
  master_.Handle(in::Subscribe{1, SubscribeCall(info)}, now_);
  ASSERT_EQ(master_.frameworks().size(), 1u);
  master_.Handle(in::StreamClosed{1}, now_);
  EXPECT_TRUE(master_.frameworks().empty());
  EXPECT_EQ(master_.completed_frameworks().size(), 1u);
}

TEST(MasterRoles, OnlyTheMastersRolesMayBeUsedWhenItListsThem) {
  Options options;
  options.roles = {"web", "batch"};
  Timestamp now = Timestamp::FromNanoseconds(1'000'000'000);
  Master master(options, Registry{}, now);
  model::FrameworkInfo info = Info();
  info.capabilities = {model::FrameworkCapability::kMultiRole};
  info.roles = {"web"};
  Output ok = master.Handle(in::Subscribe{1, SubscribeCall(info)}, now);
  EXPECT_FALSE(Closes(ok, 1));
  info.roles = {"web", "ads"};
  Output refused = master.Handle(in::Subscribe{2, SubscribeCall(info)}, now);
  ASSERT_TRUE(Closes(refused, 2));
  EXPECT_NE(std::get<api::event::Error>(EventsTo(refused, 2)[0].body).message.find("'ads'"),
            std::string::npos);
}

}  // namespace
}  // namespace atl::master
