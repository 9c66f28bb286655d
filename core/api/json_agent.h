// The agent protocol (core/api/agent_protocol.h) in JSON, for the network transport of the
// real agent: each message is one compact record {"type": "<TYPE>", "<type>": {...}} with the
// v1 conventions of the scheduler API (ids as {"value"}, bytes as base64, resources, TaskInfo
// and TaskStatus exactly as there). The message types and fields are listed in
// core/master/README.md.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/api/agent_protocol.h"

namespace atl::api {

// Fails with InvalidArgument naming the path of the first problem (bad JSON, unknown type,
// missing body or required field).
absl::StatusOr<AgentToMaster> ParseAgentToMaster(std::string_view json);
std::string SerializeAgentToMaster(const AgentToMaster& message);

absl::StatusOr<MasterToAgent> ParseMasterToAgent(std::string_view json);
std::string SerializeMasterToAgent(const MasterToAgent& message);

// "REGISTER", "STATUS_UPDATE", ... / "REGISTERED", "RUN_TASK", ...
std::string_view AgentMessageTypeName(const AgentToMaster& message);
std::string_view MasterMessageTypeName(const MasterToAgent& message);

}  // namespace atl::api
