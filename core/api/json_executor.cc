#include "core/api/json_executor.h"

#include <array>
#include <cctype>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/api/json.h"
#include "core/api/json_internal.h"
#include "core/api/json_model.h"
#include "core/base/strings.h"

namespace atl::api {
namespace {

namespace ec = executor_call;
namespace ee = executor_event;

// Type names by variant index.
constexpr std::array<std::string_view, 4> kCallTypes = {"SUBSCRIBE", "UPDATE", "MESSAGE",
                                                        "HEARTBEAT"};
static_assert(kCallTypes.size() == std::variant_size_v<ExecutorCall::Body>);
constexpr std::array<std::string_view, 9> kEventTypes = {
    "SUBSCRIBED", "LAUNCH", "LAUNCH_GROUP", "KILL",     "ACKNOWLEDGED",
    "MESSAGE",    "ERROR",  "SHUTDOWN",     "HEARTBEAT"};
static_assert(kEventTypes.size() == std::variant_size_v<ExecutorEvent::Body>);

// Types without a body: none is written, one sent anyway is ignored.
template <typename T>
constexpr bool kHasBody = true;
template <>
constexpr bool kHasBody<ec::Heartbeat> = false;
template <>
constexpr bool kHasBody<ee::Shutdown> = false;
template <>
constexpr bool kHasBody<ee::Heartbeat> = false;

std::string Lower(std::string_view s) {
  std::string out;
  for (char c : s) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

void WriteTaskList(JsonWriter& w, std::string_view key, const std::vector<model::TaskInfo>& tasks) {
  if (tasks.empty()) return;
  w.Key(key).StartArray();
  for (const model::TaskInfo& task : tasks) WriteTaskInfo(w, task);
  w.EndArray();
}

// ---- call bodies ----

void WriteBody(JsonWriter& w, const ec::Subscribe& b) {
  w.StartObject();
  WriteTaskList(w, "unacknowledged_tasks", b.unacknowledged_tasks);
  if (!b.unacknowledged_updates.empty()) {
    w.Key("unacknowledged_updates").StartArray();
    for (const ec::UnacknowledgedUpdate& u : b.unacknowledged_updates) {
      w.StartObject().Key("status");
      WriteTaskStatus(w, u.status);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

// An executor.Call.Update: {"status": ...}. Other keys (a `framework_id` some executors add)
// are ignored like any unknown key.
absl::Status ReadUnacknowledgedUpdate(const JsonNode& n, ec::UnacknowledgedUpdate* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Req(n, "status", &out->status, ParseTaskStatus);
}

absl::Status ParseBody(const JsonNode& n, ec::Subscribe* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Array(n, "unacknowledged_tasks", &out->unacknowledged_tasks, ParseTaskInfo));
  return Array(n, "unacknowledged_updates", &out->unacknowledged_updates, ReadUnacknowledgedUpdate);
}

void WriteBody(JsonWriter& w, const ec::Update& b) {
  w.StartObject().Key("status");
  WriteTaskStatus(w, b.status);
  w.EndObject();
}

absl::Status ParseBody(const JsonNode& n, ec::Update* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Req(n, "status", &out->status, ParseTaskStatus);
}

// Call and event MESSAGE share their shape: {"data": "<base64>"}.
template <typename T>
void WriteDataBody(JsonWriter& w, const T& b) {
  w.StartObject().Key("data").String(internal::Base64Encode(b.data)).EndObject();
}

template <typename T>
absl::Status ParseDataBody(const JsonNode& n, T* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Req(n, "data", &out->data, ReadBytes);
}

void WriteBody(JsonWriter& w, const ec::Message& b) { WriteDataBody(w, b); }
absl::Status ParseBody(const JsonNode& n, ec::Message* out) { return ParseDataBody(n, out); }

// ---- event bodies ----

void WriteBody(JsonWriter& w, const ee::Subscribed& b) {
  w.StartObject().Key("executor_info");
  WriteExecutorInfo(w, b.executor_info);
  w.Key("framework_info");
  WriteFrameworkInfo(w, b.framework_info);
  w.Key("agent_info");
  WriteAgentInfo(w, b.agent_info);
  if (b.container_id.has_value()) {
    w.Key("container_id");
    WriteId(w, *b.container_id);
  }
  w.EndObject();
}

absl::Status ParseBody(const JsonNode& n, ee::Subscribed* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "executor_info", &out->executor_info, ParseExecutorInfo));
  RETURN_IF_ERROR(Req(n, "framework_info", &out->framework_info, ParseFrameworkInfo));
  RETURN_IF_ERROR(Req(n, "agent_info", &out->agent_info, ParseAgentInfo));
  return Opt(n, "container_id", &out->container_id);
}

void WriteBody(JsonWriter& w, const ee::Launch& b) {
  w.StartObject().Key("task");
  WriteTaskInfo(w, b.task);
  w.EndObject();
}

absl::Status ParseBody(const JsonNode& n, ee::Launch* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Req(n, "task", &out->task, ParseTaskInfo);
}

// {"task_group": {"tasks": [...]}}.
void WriteBody(JsonWriter& w, const ee::LaunchGroup& b) {
  w.StartObject().Key("task_group").StartObject();
  WriteTaskList(w, "tasks", b.tasks);
  w.EndObject().EndObject();
}

absl::Status ReadTaskGroup(const JsonNode& n, std::vector<model::TaskInfo>* tasks) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Array(n, "tasks", tasks, ParseTaskInfo);
}

absl::Status ParseBody(const JsonNode& n, ee::LaunchGroup* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Req(n, "task_group", &out->tasks, ReadTaskGroup);
}

void WriteBody(JsonWriter& w, const ee::Kill& b) {
  w.StartObject().Key("task_id");
  WriteId(w, b.task_id);
  if (b.kill_policy.has_value()) {
    w.Key("kill_policy");
    WriteKillPolicy(w, *b.kill_policy);
  }
  w.EndObject();
}

absl::Status ParseBody(const JsonNode& n, ee::Kill* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "task_id", &out->task_id));
  return Opt(n, "kill_policy", &out->kill_policy, ParseKillPolicy);
}

void WriteBody(JsonWriter& w, const ee::Acknowledged& b) {
  w.StartObject().Key("task_id");
  WriteId(w, b.task_id);
  w.Key("uuid").String(internal::Base64Encode(b.uuid));
  w.EndObject();
}

absl::Status ParseBody(const JsonNode& n, ee::Acknowledged* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "task_id", &out->task_id));
  return Req(n, "uuid", &out->uuid, ReadBytes);
}

void WriteBody(JsonWriter& w, const ee::Message& b) { WriteDataBody(w, b); }
absl::Status ParseBody(const JsonNode& n, ee::Message* out) { return ParseDataBody(n, out); }

void WriteBody(JsonWriter& w, const ee::Error& b) {
  w.StartObject().Key("message").String(b.message).EndObject();
}

absl::Status ParseBody(const JsonNode& n, ee::Error* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Req(n, "message", &out->message);
}

// ---- type dispatch, shared by Call and Event ----

// Writes the body member, if the type has one, under the lower-cased type name.
template <typename Body, size_t N>
void WriteTypedBody(JsonWriter& w, const Body& body, const std::array<std::string_view, N>& names) {
  const std::string_view type = names[body.index()];
  std::visit(
      [&](const auto& value) {
        if constexpr (kHasBody<std::decay_t<decltype(value)>>) {
          w.Key(Lower(type));
          WriteBody(w, value);
        }
      },
      body);
}

// Emplaces alternative `index` of *out and reads its body from `root`.
template <typename Body, size_t I = 0>
absl::Status ParseAlternative(const JsonNode& root, size_t index, std::string_view type,
                              Body* out) {
  if constexpr (I < std::variant_size_v<Body>) {
    if (I != index) return ParseAlternative<Body, I + 1>(root, index, type, out);
    auto& value = out->template emplace<I>();
    if constexpr (!kHasBody<std::decay_t<decltype(value)>>) {
      return absl::OkStatus();
    } else {
      const std::string key = Lower(type);
      JsonNode body = root.Get(key);
      if (body.IsUnset()) return body.Error(StrCat("required by type ", type));
      return ParseBody(body, &value);
    }
  } else {
    return absl::InternalError("unreachable");
  }
}

// Reads "type" (`what` is "call" or "event") and the matching body.
template <typename Body, size_t N>
absl::Status ParseTypedBody(const JsonNode& root, const std::array<std::string_view, N>& names,
                            std::string_view what, Body* out) {
  JsonNode type_node = root.Get("type");
  if (type_node.IsUnset()) return type_node.Error("required");
  std::string type;
  RETURN_IF_ERROR(ReadString(type_node, &type));
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == type) return ParseAlternative<Body>(root, i, names[i], out);
  }
  return type_node.Error(StrCat("unknown executor ", what, " type '", type, "'"));
}

}  // namespace

absl::StatusOr<ExecutorCall> ParseExecutorCall(std::string_view json) {
  ExecutorCall call;
  RETURN_IF_ERROR(ParseJsonDocument(json, "", [&](const JsonNode& root) {
    RETURN_IF_ERROR(root.ExpectObject());
    RETURN_IF_ERROR(ParseTypedBody(root, kCallTypes, "call", &call.body));
    RETURN_IF_ERROR(Req(root, "executor_id", &call.executor_id));
    return Req(root, "framework_id", &call.framework_id);
  }));
  return call;
}

std::string SerializeExecutorCall(const ExecutorCall& call) {
  JsonWriter w;
  w.StartObject().Key("type").String(kCallTypes[call.body.index()]);
  w.Key("executor_id");
  WriteId(w, call.executor_id);
  w.Key("framework_id");
  WriteId(w, call.framework_id);
  WriteTypedBody(w, call.body, kCallTypes);
  w.EndObject();
  return w.Finish();
}

absl::StatusOr<ExecutorEvent> ParseExecutorEvent(std::string_view json) {
  ExecutorEvent event;
  RETURN_IF_ERROR(ParseJsonDocument(json, "", [&](const JsonNode& root) {
    RETURN_IF_ERROR(root.ExpectObject());
    return ParseTypedBody(root, kEventTypes, "event", &event.body);
  }));
  return event;
}

std::string SerializeExecutorEvent(const ExecutorEvent& event) {
  JsonWriter w;
  w.StartObject().Key("type").String(kEventTypes[event.body.index()]);
  WriteTypedBody(w, event.body, kEventTypes);
  w.EndObject();
  return w.Finish();
}

std::string_view ExecutorCallTypeName(const ExecutorCall::Body& body) {
  return kCallTypes[body.index()];
}

std::string_view ExecutorEventTypeName(const ExecutorEvent::Body& body) {
  return kEventTypes[body.index()];
}

}  // namespace atl::api
