// The agent protocol's JSON form: every message type round-trips, the envelope has the v1
// shape, and bad input is refused with its path.
#include "core/api/json_agent.h"

#include <gtest/gtest.h>

#include "core/base/random.h"
#include "core/base/uuid.h"
#include "tests/api/samples.h"

namespace atl::api {
namespace {

using testing::SampleFrameworkInfo;
using testing::SampleResources;
using testing::SampleStatus;
using testing::SampleTask;

std::vector<AgentToMaster> OneAgentMessageOfEachType() {
  model::AgentInfo info;
  info.hostname = "agent-1.example";
  info.port = 5051;
  info.resources = SampleResources();
  info.attributes = *model::ParseAttributes("rack:r1;gen:3");
  info.id = model::AgentId("S1");
  agent_msg::Register reg{
      info,
      {{model::FrameworkId("F1"), SampleTask("t1"), model::TaskState::kRunning}},
      {SampleFrameworkInfo()},
      "atoll-0.1"};
  model::TaskStatus status = SampleStatus();
  status.uuid = UuidToBytes(Random(3).Uuid());
  return {reg,
          agent_msg::StatusUpdate{model::FrameworkId("F1"), status, model::TaskState::kFinished},
          agent_msg::Heartbeat{},
          agent_msg::ExecutorMessage{model::FrameworkId("F1"), model::ExecutorId("e"),
                                     std::string("\x00\xffhi", 4)},
          agent_msg::ExecutorExited{model::FrameworkId("F1"), model::ExecutorId("e"), 137}};
}

std::vector<MasterToAgent> OneMasterMessageOfEachType() {
  model::KillPolicy policy;
  policy.grace_period = Duration::Seconds(7);
  return {master_msg::Registered{model::AgentId("S1"), Duration::Seconds(15)},
          master_msg::RunTask{model::FrameworkId("F1"), SampleFrameworkInfo(),
                              std::make_shared<const model::TaskInfo>(SampleTask("t1"))},
          master_msg::KillTask{model::FrameworkId("F1"), model::TaskId("t1"), policy},
          master_msg::AcknowledgeUpdate{model::FrameworkId("F1"), model::TaskId("t1"),
                                        UuidToBytes(Random(4).Uuid())},
          master_msg::ShutdownFramework{model::FrameworkId("F1")},
          master_msg::ShutdownExecutor{model::FrameworkId("F1"), model::ExecutorId("e")},
          master_msg::FrameworkMessage{model::FrameworkId("F1"), model::ExecutorId("e"), "ping"},
          master_msg::CheckpointResources{SampleResources()},
          master_msg::Shutdown{"marked gone"}};
}

TEST(AgentProtocolJson, EveryAgentMessageRoundTrips) {
  auto messages = OneAgentMessageOfEachType();
  ASSERT_EQ(messages.size(), std::variant_size_v<AgentToMaster>);
  for (const AgentToMaster& m : messages) {
    std::string json = SerializeAgentToMaster(m);
    SCOPED_TRACE(json);
    EXPECT_EQ(json.find('\n'), std::string::npos);
    absl::StatusOr<AgentToMaster> back = ParseAgentToMaster(json);
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(*back, m);
    EXPECT_EQ(SerializeAgentToMaster(*back), json);
  }
}

TEST(AgentProtocolJson, EveryMasterMessageRoundTrips) {
  auto messages = OneMasterMessageOfEachType();
  ASSERT_EQ(messages.size(), std::variant_size_v<MasterToAgent>);
  for (const MasterToAgent& m : messages) {
    std::string json = SerializeMasterToAgent(m);
    SCOPED_TRACE(json);
    absl::StatusOr<MasterToAgent> back = ParseMasterToAgent(json);
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(*back, m);
    EXPECT_EQ(SerializeMasterToAgent(*back), json);
  }
}

TEST(AgentProtocolJson, EnvelopeHasTheV1Shape) {
  EXPECT_EQ(SerializeAgentToMaster(agent_msg::Heartbeat{}),
            R"({"type":"HEARTBEAT","heartbeat":{}})");
  EXPECT_EQ(
      SerializeMasterToAgent(master_msg::ShutdownFramework{model::FrameworkId("F1")}),
      R"({"type":"SHUTDOWN_FRAMEWORK","shutdown_framework":{"framework_id":{"value":"F1"}}})");
  EXPECT_EQ(
      SerializeMasterToAgent(master_msg::Registered{model::AgentId("S1"), Duration::Seconds(15)}),
      R"({"type":"REGISTERED","registered":{"agent_id":{"value":"S1"},"heartbeat_interval_seconds":15.0}})");
  EXPECT_TRUE(ParseAgentToMaster(R"({"type":"HEARTBEAT"})").ok());  // no body needed
}

TEST(AgentProtocolJson, BadInputIsRefusedWithItsPath) {
  auto error = [](absl::StatusOr<AgentToMaster> r) {
    return r.ok() ? std::string("ok") : std::string(r.status().message());
  };
  EXPECT_NE(error(ParseAgentToMaster("{nope")), "ok");
  EXPECT_NE(error(ParseAgentToMaster(R"({"type":"DANCE"})")).find("unknown agent message type"),
            std::string::npos);
  EXPECT_NE(error(ParseAgentToMaster(R"({"type":"REGISTER"})")).find("register: required"),
            std::string::npos);
  EXPECT_NE(
      error(ParseAgentToMaster(
                R"({"type":"STATUS_UPDATE","status_update":{"framework_id":{"value":"F"},)"
                R"("status":{"task_id":{"value":"t"},"state":"TASK_RUNNING","uuid":"AAAA"}}})"))
          .find("16-byte"),
      std::string::npos);
  auto master_error = ParseMasterToAgent(
      R"({"type":"REGISTERED","registered":{"agent_id":{"value":"S"},"heartbeat_interval_seconds":0}})");
  ASSERT_FALSE(master_error.ok());
  EXPECT_NE(std::string(master_error.status().message()).find("heartbeat_interval_seconds"),
            std::string::npos);
  EXPECT_FALSE(
      ParseMasterToAgent(R"({"type":"RUN_TASK","run_task":{"framework_id":{"value":"F"}}})").ok());
}

}  // namespace
}  // namespace atl::api
