// The v1 executor API in JSON (reference/mesos.md §2): executor.Call and executor.Event
// (core/api/executor_api.h) <-> their compact single-line JSON.
//
//   {"type":"UPDATE","executor_id":{"value":"e1"},"framework_id":{"value":"F1"},
//    "update":{"status":{...}}}
//   {"type":"LAUNCH_GROUP","launch_group":{"task_group":{"tasks":[...]}}}
//   {"type":"SHUTDOWN"}
//
// The body key is the lower-cased type. Calls always carry `executor_id` and `framework_id`.
// Call HEARTBEAT and events SHUTDOWN and HEARTBEAT have no body (one sent anyway is ignored);
// every other type requires its body. TaskInfo, TaskStatus, ExecutorInfo, FrameworkInfo,
// AgentInfo and KillPolicy use the codecs and conventions of json_model.h; `data` and `uuid`
// are base64. Entries of SUBSCRIBE's `unacknowledged_updates` are executor.Call.Update
// messages, {"status": {...}}; any other key there (e.g. a `framework_id`) is ignored.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/api/executor_api.h"

namespace atl::api {

// Parses a Call, as the agent's /api/v1/executor endpoint does. Fails with InvalidArgument
// naming the path of the first problem: malformed JSON, a missing or unknown `type`
// ("type: unknown executor call type 'FOO'"), a missing `executor_id` or `framework_id`
// ("executor_id: required"), a missing body ("subscribe: required by type SUBSCRIBE"), or any
// bad field ("update.status.state: unknown value 'TASK_DANCING'").
// Meaning is the agent's to check (uuid length, source, executor_id matching the status).
absl::StatusOr<ExecutorCall> ParseExecutorCall(std::string_view json);

// Compact single-line JSON; ParseExecutorCall(SerializeExecutorCall(c)) == c.
std::string SerializeExecutorCall(const ExecutorCall& call);

// Parses an Event, as an executor reading the agent's stream does. Fails like
// ParseExecutorCall ("type: unknown executor event type 'FOO'", "launch: required by type
// LAUNCH").
absl::StatusOr<ExecutorEvent> ParseExecutorEvent(std::string_view json);

// Compact single-line JSON, e.g. {"type":"HEARTBEAT"}; never contains a newline.
std::string SerializeExecutorEvent(const ExecutorEvent& event);

// "SUBSCRIBE", "UPDATE", ... / "SUBSCRIBED", "LAUNCH", "LAUNCH_GROUP", ... (for logs).
std::string_view ExecutorCallTypeName(const ExecutorCall::Body& body);
std::string_view ExecutorEventTypeName(const ExecutorEvent::Body& body);

}  // namespace atl::api
