// JSON for the agent's checkpoint records (agent.h): how an executor, a task and a task's
// unacknowledged updates are stored on disk (core/io/agent_store keeps one such value per row).
// Model values inside use the v1 codecs of core/api/json_model.h unchanged, so a stored
// TaskInfo or TaskStatus reads exactly like the one the master sent or the executor reported.
//
//   executor: {"framework_id": {"value"}, "container_id": {"value"}, "command_executor": bool,
//              "pid": int (absent until spawned), "pid_start_time": uint64,
//              "info": ExecutorInfo}
//   task:     {"framework_id": {"value"}, "executor_id": {"value"}, "state": "TASK_RUNNING",
//              "launched": bool, "info": TaskInfo}
//   updates:  [TaskStatus, ...], oldest first
//
// Parsers fail with InvalidArgument naming the path of the offending value, rooted at
// "executor", "task" or "updates" ("task.info.task_id: required", "updates[1].state: ...").
// Pure: no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/agent/agent.h"

namespace atl::agent {

// Compact single-line JSON of the record.
std::string ExecutorRecordToJson(const ExecutorRecord& record);
// Inverse of ExecutorRecordToJson. Fails (InvalidArgument, with the path) on malformed JSON, a
// missing framework_id, container_id or info, or a value of the wrong type.
absl::StatusOr<ExecutorRecord> ParseExecutorRecord(std::string_view json);

std::string TaskRecordToJson(const TaskRecord& record);
// Inverse of TaskRecordToJson. Fails (InvalidArgument, with the path) on malformed JSON, a
// missing framework_id, executor_id, state or info, an unknown state name, or a wrong type.
absl::StatusOr<TaskRecord> ParseTaskRecord(std::string_view json);

// A task's unacknowledged updates as a JSON array, oldest first ("[]" when empty).
std::string UpdatesToJson(const std::vector<model::TaskStatus>& updates);
// Inverse of UpdatesToJson (order kept). Fails (InvalidArgument, with the path) unless the
// document is an array of valid TaskStatus objects.
absl::StatusOr<std::vector<model::TaskStatus>> ParseUpdates(std::string_view json);

}  // namespace atl::agent
