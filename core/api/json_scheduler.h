// The v1 scheduler API in JSON (reference/mesos.md §1.5-1.7): scheduler.Call and
// scheduler.Event <-> their compact single-line JSON.
//
//   {"type":"ACCEPT","framework_id":{"value":"..."},"accept":{"offer_ids":[...],...}}
//   {"type":"HEARTBEAT"}
//
// The body key is the lower-cased type ("accept_inverse_offers", "update_framework", ...).
// TEARDOWN and HEARTBEAT have no body; REVIVE and SUPPRESS may omit theirs (= all roles);
// every other type requires its body. Field conventions are those of json_model.h.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/api/scheduler_call.h"
#include "core/api/scheduler_event.h"

namespace atl::api {

// Parses a Call. Fails with InvalidArgument (the master answers 400 with the message) on
// malformed JSON, a missing or unknown `type` ("type: unknown call type 'FOO'"), a Mesos call
// type this engine does not implement (ACKNOWLEDGE_OPERATION_STATUS, RECONCILE_OPERATIONS),
// a missing body ("accept: required by type ACCEPT"), or any bad field, named by its path
// ("accept.operations[0].launch.task_infos[1].task_id: required").
// Semantic checks (framework_id present, framework_info.id matching it, uuid length, ...) are
// the master's: they apply to in-process calls as well.
absl::StatusOr<Call> ParseCall(std::string_view json);

// Compact single-line JSON; ParseCall(SerializeCall(c)) == c for every call this module can
// produce from JSON.
std::string SerializeCall(const Call& call);

// Parses an Event, as a scheduler reading a master's stream does. Fails like ParseCall;
// UPDATE_OPERATION_STATUS is not implemented and is reported as unsupported.
absl::StatusOr<Event> ParseEvent(std::string_view json);

// Compact single-line JSON, e.g. {"type":"HEARTBEAT"}; never contains a newline.
std::string SerializeEvent(const Event& event);

}  // namespace atl::api
