// The JSON of the agent's checkpoint records (core/agent/checkpoint_json.h): what is stored
// reads back equal, and a damaged record is rejected with the path of the problem.
#include "core/agent/checkpoint_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "tests/api/samples.h"

namespace atl::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A custom executor, spawned: pid and process start time (clock ticks since boot) are set.
ExecutorRecord CustomExecutorRecord() {
  ExecutorRecord r;
  r.framework_id = model::FrameworkId("8c1e2f3a-0000");
  r.info = api::testing::SampleExecutor();
  r.container_id = model::ContainerId("5f0e9a7c-3b1d-4c2e-9f8a-7b6c5d4e3f2a");
  r.command_executor = false;
  r.pid = 48213;
  r.pid_start_time = 91234567;
  return r;
}

// The built-in command executor of task "sleeper.7", not spawned yet.
ExecutorRecord CommandExecutorRecord() {
  ExecutorRecord r;
  r.framework_id = model::FrameworkId("8c1e2f3a-0000");
  r.info.type = model::ExecutorInfo::Type::kDefault;
  r.info.executor_id = model::ExecutorId("sleeper.7");
  r.info.framework_id = model::FrameworkId("8c1e2f3a-0000");
  r.info.name = "Command Executor (Task: sleeper.7) (Command: sh -c 'sleep 100')";
  model::CommandInfo command;
  command.value = "/usr/lib/atoll/atoll executor";
  command.shell = false;
  r.info.command = command;
  r.info.resources =
      model::Resources({model::Resource::MakeScalar("cpus", model::Scalar::FromDouble(0.1)),
                        model::Resource::MakeScalar("mem", model::Scalar::FromDouble(32))});
  r.container_id = model::ContainerId("0b7d1e44-9c3a-4b8e-a1f2-3d4c5b6a7988");
  r.command_executor = true;
  return r;
}

model::TaskInfo CommandTask(const std::string& id) {
  model::TaskInfo t;
  t.name = "sleeper";
  t.task_id = model::TaskId(id);
  t.agent_id = model::AgentId("8c1e-S3");
  t.resources =
      model::Resources({model::Resource::MakeScalar("cpus", model::Scalar::FromDouble(0.5)),
                        model::Resource::MakeScalar("mem", model::Scalar::FromDouble(128))});
  model::CommandInfo command;
  command.value = "sleep 100";
  t.command = command;
  return t;
}

TaskRecord Task(model::TaskInfo info, model::ExecutorId executor, model::TaskState state,
                bool launched) {
  TaskRecord r;
  r.framework_id = model::FrameworkId("8c1e2f3a-0000");
  r.executor_id = std::move(executor);
  r.info = std::move(info);
  r.state = state;
  r.launched = launched;
  return r;
}

model::TaskStatus Update(model::TaskState state, model::TaskStatusSource source,
                         model::TaskStatusReason reason, std::string message, std::string uuid,
                         double timestamp) {
  model::TaskStatus s;
  s.task_id = model::TaskId("sleeper.7");
  s.state = state;
  s.source = source;
  s.reason = reason;
  s.message = std::move(message);
  s.agent_id = model::AgentId("8c1e-S3");
  s.executor_id = model::ExecutorId("sleeper.7");
  s.timestamp = timestamp;
  s.uuid = std::move(uuid);
  return s;
}

// A task's pending updates as the agent keeps them: the executor's RUNNING (with a NUL byte
// in its uuid), then a health update, then the agent's own terminal update after the
// executor's process died.
std::vector<model::TaskStatus> PendingUpdates() {
  using model::TaskState;
  using model::TaskStatusReason;
  using model::TaskStatusSource;
  model::TaskStatus running =
      Update(TaskState::kRunning, TaskStatusSource::kExecutor, TaskStatusReason::kNone, "",
             std::string("\x00\x11\x22\x33\x44\x55\x46\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff", 16),
             1732170000.25);
  model::TaskStatus healthy =
      Update(TaskState::kRunning, TaskStatusSource::kExecutor,
             TaskStatusReason::kTaskHealthCheckStatusUpdated, "health check passed",
             std::string("\xa7\x65\x71\xde\x4a\xbb\x41\xb4\xb4\x9b\xc7\x78\x61\xcd\x6e\x4f", 16),
             1732170003.5);
  healthy.healthy = true;
  healthy.data = std::string("\x01\x02\x03", 3);
  healthy.labels = {{"check", "http"}};
  model::TaskStatus failed =
      Update(TaskState::kFailed, TaskStatusSource::kAgent, TaskStatusReason::kExecutorTerminated,
             "Executor terminated: terminated with signal Killed \"quoted\"\nsecond line",
             std::string("\x10\x20\x30\x40\x50\x60\x40\x80\x90\xa0\xb0\xc0\xd0\xe0\xf0\x00", 16),
             1732170099.125);
  return {running, healthy, failed};
}

TEST(ExecutorRecordJson, CustomExecutorWithPidRoundTrips) {
  ExecutorRecord record = CustomExecutorRecord();
  std::string json = ExecutorRecordToJson(record);
  EXPECT_THAT(json, Not(HasSubstr("\n")));
  EXPECT_THAT(json, HasSubstr("\"pid\":48213"));
  absl::StatusOr<ExecutorRecord> back = ParseExecutorRecord(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, record);
}

TEST(ExecutorRecordJson, CommandExecutorWithoutPidRoundTrips) {
  ExecutorRecord record = CommandExecutorRecord();
  std::string json = ExecutorRecordToJson(record);
  EXPECT_THAT(json, Not(HasSubstr("\"pid\":")));
  absl::StatusOr<ExecutorRecord> back = ParseExecutorRecord(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, record);
  EXPECT_FALSE(back->pid.has_value());
  EXPECT_TRUE(back->command_executor);
}

TEST(ExecutorRecordJson, StartTimeKeepsAllSixtyFourBits) {
  ExecutorRecord record = CustomExecutorRecord();
  record.pid_start_time = std::numeric_limits<uint64_t>::max();
  absl::StatusOr<ExecutorRecord> back = ParseExecutorRecord(ExecutorRecordToJson(record));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->pid_start_time, std::numeric_limits<uint64_t>::max());
}

TEST(ExecutorRecordJson, RejectsAMissingInfoWithItsPath) {
  absl::StatusOr<ExecutorRecord> r = ParseExecutorRecord(
      R"({"framework_id":{"value":"f"},"container_id":{"value":"c"},"pid":12})");
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("executor.info: required"));
}

TEST(ExecutorRecordJson, RejectsANonPositivePid) {
  ExecutorRecord record = CustomExecutorRecord();
  record.pid = -1;
  absl::StatusOr<ExecutorRecord> r = ParseExecutorRecord(ExecutorRecordToJson(record));
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("executor.pid"));
}

TEST(ExecutorRecordJson, RejectsABadNestedExecutorInfoWithItsPath) {
  absl::StatusOr<ExecutorRecord> r = ParseExecutorRecord(
      R"({"framework_id":{"value":"f"},"container_id":{"value":"c"},"info":{"name":"x"}})");
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("executor.info.executor_id: required"));
}

TEST(TaskRecordJson, RoundTripsInEveryLifecycleStage) {
  const model::ExecutorId custom("exec-1");
  const model::ExecutorId command("sleeper.7");
  std::vector<TaskRecord> records = {
      // Queued on an executor that has not subscribed yet.
      Task(api::testing::SampleTask("web.1"), custom, model::TaskState::kStaging, false),
      Task(CommandTask("sleeper.7"), command, model::TaskState::kStarting, true),
      Task(CommandTask("sleeper.8"), command, model::TaskState::kRunning, true),
      Task(CommandTask("sleeper.9"), command, model::TaskState::kKilling, true),
      // Terminal, kept until the scheduler acknowledges the update.
      Task(CommandTask("sleeper.10"), command, model::TaskState::kFinished, true),
      Task(CommandTask("sleeper.11"), command, model::TaskState::kFailed, false),
  };
  for (const TaskRecord& record : records) {
    std::string json = TaskRecordToJson(record);
    EXPECT_THAT(json, HasSubstr(std::string(model::TaskStateName(record.state))));
    absl::StatusOr<TaskRecord> back = ParseTaskRecord(json);
    ASSERT_TRUE(back.ok()) << back.status() << " in " << json;
    EXPECT_EQ(*back, record) << json;
  }
}

TEST(TaskRecordJson, RejectsAnUnknownStateWithItsPath) {
  TaskRecord record =
      Task(CommandTask("t"), model::ExecutorId("t"), model::TaskState::kRunning, true);
  std::string json = TaskRecordToJson(record);
  std::string bad = json;
  bad.replace(bad.find("TASK_RUNNING"), 12, "TASK_BOGUS");
  absl::StatusOr<TaskRecord> r = ParseTaskRecord(bad);
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("task.state"));
  EXPECT_THAT(r.status().message(), HasSubstr("TASK_BOGUS"));
}

TEST(TaskRecordJson, RejectsMissingIdsAndMalformedJson) {
  absl::StatusOr<TaskRecord> r = ParseTaskRecord(R"({"framework_id":{"value":"f"}})");
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("task.executor_id: required"));

  r = ParseTaskRecord(R"({"framework_id":{"value":"f"},"executor_id":{"value":"e"},)");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);

  r = ParseTaskRecord("[]");
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("task"));
}

TEST(UpdatesJson, RoundTripOldestFirst) {
  std::vector<model::TaskStatus> updates = PendingUpdates();
  updates.push_back(api::testing::SampleStatus());
  std::string json = UpdatesToJson(updates);
  EXPECT_THAT(json, Not(HasSubstr("\n")));
  absl::StatusOr<std::vector<model::TaskStatus>> back = ParseUpdates(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, updates);
}

TEST(UpdatesJson, EmptyListIsAnEmptyArray) {
  EXPECT_EQ(UpdatesToJson({}), "[]");
  absl::StatusOr<std::vector<model::TaskStatus>> back = ParseUpdates("[]");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->empty());
}

TEST(UpdatesJson, RejectsABadElementWithItsIndex) {
  std::vector<model::TaskStatus> updates = PendingUpdates();
  std::string json = UpdatesToJson(updates);
  // Drop the state of the second update.
  size_t second = json.find("\"state\"", json.find("\"state\"") + 1);
  ASSERT_NE(second, std::string::npos);
  json.replace(second, 7, "\"statf\"");
  absl::StatusOr<std::vector<model::TaskStatus>> r = ParseUpdates(json);
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("updates[1].state: required"));
}

TEST(UpdatesJson, RejectsANonArray) {
  absl::StatusOr<std::vector<model::TaskStatus>> r = ParseUpdates(R"({"task_id":{"value":"t"}})");
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("updates"));
  EXPECT_EQ(ParseUpdates("").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace atl::agent
