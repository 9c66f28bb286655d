#include "core/api/json_agent.h"

#include <array>
#include <cctype>

#include "core/api/json.h"
#include "core/api/json_internal.h"
#include "core/api/json_model.h"
#include "core/api/json_values.h"
#include "core/base/overloaded.h"
#include "core/base/strings.h"

namespace atl::api {
namespace {

constexpr std::array<std::string_view, 5> kAgentTypes = {"REGISTER", "STATUS_UPDATE", "HEARTBEAT",
                                                         "EXECUTOR_MESSAGE", "EXECUTOR_EXITED"};
static_assert(kAgentTypes.size() == std::variant_size_v<AgentToMaster>);
constexpr std::array<std::string_view, 9> kMasterTypes = {"REGISTERED",
                                                          "RUN_TASK",
                                                          "KILL_TASK",
                                                          "ACKNOWLEDGE_UPDATE",
                                                          "SHUTDOWN_FRAMEWORK",
                                                          "SHUTDOWN_EXECUTOR",
                                                          "FRAMEWORK_MESSAGE",
                                                          "CHECKPOINT_RESOURCES",
                                                          "SHUTDOWN"};
static_assert(kMasterTypes.size() == std::variant_size_v<MasterToAgent>);

std::string Lower(std::string_view s) {
  std::string out;
  for (char c : s) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

// ---- agent -> master ----

void Write(JsonWriter& w, const agent_msg::Register& m) {
  w.StartObject().Key("info");
  WriteAgentInfo(w, m.info);
  if (!m.tasks.empty()) {
    w.Key("tasks").StartArray();
    for (const ReportedTask& t : m.tasks) {
      w.StartObject().Key("framework_id");
      WriteId(w, t.framework_id);
      w.Key("task");
      WriteTaskInfo(w, t.task);
      w.Key("state").String(model::TaskStateName(t.state));
      w.EndObject();
    }
    w.EndArray();
  }
  if (!m.frameworks.empty()) {
    w.Key("frameworks").StartArray();
    for (const model::FrameworkInfo& f : m.frameworks) WriteFrameworkInfo(w, f);
    w.EndArray();
  }
  if (!m.version.empty()) w.Key("version").String(m.version);
  w.EndObject();
}

absl::Status ReadReportedTask(const JsonNode& n, ReportedTask* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "framework_id", &out->framework_id));
  RETURN_IF_ERROR(Req(n, "task", &out->task, ParseTaskInfo));
  return ReqEnum(n, "state", &out->state, model::ParseTaskState);
}

absl::Status Read(const JsonNode& n, agent_msg::Register* out) {
  RETURN_IF_ERROR(Req(n, "info", &out->info, ParseAgentInfo));
  RETURN_IF_ERROR(Array(n, "tasks", &out->tasks, ReadReportedTask));
  RETURN_IF_ERROR(Array(n, "frameworks", &out->frameworks, ParseFrameworkInfo));
  return Opt(n, "version", &out->version);
}

void Write(JsonWriter& w, const agent_msg::StatusUpdate& m) {
  w.StartObject().Key("framework_id");
  WriteId(w, m.framework_id);
  w.Key("status");
  WriteTaskStatus(w, m.status);
  if (m.latest_state) w.Key("latest_state").String(model::TaskStateName(*m.latest_state));
  w.EndObject();
}

absl::Status Read(const JsonNode& n, agent_msg::StatusUpdate* out) {
  RETURN_IF_ERROR(Req(n, "framework_id", &out->framework_id));
  RETURN_IF_ERROR(Req(n, "status", &out->status, ParseTaskStatus));
  if (out->status.uuid.size() != 16) {
    JsonNode status = n.Get("status");
    return status.Error("a reliable update needs a 16-byte 'uuid'");
  }
  return OptEnum(n, "latest_state", &out->latest_state, model::ParseTaskState);
}

void Write(JsonWriter& w, const agent_msg::Heartbeat&) { w.StartObject().EndObject(); }
absl::Status Read(const JsonNode&, agent_msg::Heartbeat*) { return absl::OkStatus(); }

// ExecutorMessage (agent -> master) and FrameworkMessage (master -> agent) share a shape.
template <typename T>
void WriteMessage(JsonWriter& w, const T& m) {
  w.StartObject().Key("framework_id");
  WriteId(w, m.framework_id);
  w.Key("executor_id");
  WriteId(w, m.executor_id);
  w.Key("data").String(internal::Base64Encode(m.data));
  w.EndObject();
}
template <typename T>
absl::Status ReadMessage(const JsonNode& n, T* out) {
  RETURN_IF_ERROR(Req(n, "framework_id", &out->framework_id));
  RETURN_IF_ERROR(Req(n, "executor_id", &out->executor_id));
  return Req(n, "data", &out->data, ReadBytes);
}

void Write(JsonWriter& w, const agent_msg::ExecutorMessage& m) { WriteMessage(w, m); }
absl::Status Read(const JsonNode& n, agent_msg::ExecutorMessage* out) {
  return ReadMessage(n, out);
}

void Write(JsonWriter& w, const agent_msg::ExecutorExited& m) {
  w.StartObject().Key("framework_id");
  WriteId(w, m.framework_id);
  w.Key("executor_id");
  WriteId(w, m.executor_id);
  w.Key("status").Int(m.status);
  w.EndObject();
}
absl::Status Read(const JsonNode& n, agent_msg::ExecutorExited* out) {
  RETURN_IF_ERROR(Req(n, "framework_id", &out->framework_id));
  RETURN_IF_ERROR(Req(n, "executor_id", &out->executor_id));
  return Opt(n, "status", &out->status);
}

// ---- master -> agent ----

void Write(JsonWriter& w, const master_msg::Registered& m) {
  w.StartObject().Key("agent_id");
  WriteId(w, m.agent_id);
  w.Key("heartbeat_interval_seconds").Double(m.heartbeat_interval.seconds());
  w.EndObject();
}
absl::Status Read(const JsonNode& n, master_msg::Registered* out) {
  RETURN_IF_ERROR(Req(n, "agent_id", &out->agent_id));
  double seconds = out->heartbeat_interval.seconds();
  RETURN_IF_ERROR(Opt(n, "heartbeat_interval_seconds", &seconds));
  if (!(seconds > 0 && seconds <= 86400)) {
    JsonNode field = n.Get("heartbeat_interval_seconds");
    return field.Error(StrCat("must be in (0, 86400], got ", seconds));
  }
  out->heartbeat_interval = Duration::FromSecondsDouble(seconds);
  return absl::OkStatus();
}

void Write(JsonWriter& w, const master_msg::RunTask& m) {
  w.StartObject().Key("framework_id");
  WriteId(w, m.framework_id);
  if (m.framework) {
    w.Key("framework");
    WriteFrameworkInfo(w, *m.framework);
  }
  if (m.task) {
    w.Key("task");
    WriteTaskInfo(w, *m.task);
  }
  w.EndObject();
}
absl::Status Read(const JsonNode& n, master_msg::RunTask* out) {
  RETURN_IF_ERROR(Req(n, "framework_id", &out->framework_id));
  RETURN_IF_ERROR(Opt(n, "framework", &out->framework, ParseFrameworkInfo));
  model::TaskInfo task;
  RETURN_IF_ERROR(Req(n, "task", &task, ParseTaskInfo));
  out->task = std::make_shared<const model::TaskInfo>(std::move(task));
  return absl::OkStatus();
}

void Write(JsonWriter& w, const master_msg::KillTask& m) {
  w.StartObject().Key("framework_id");
  WriteId(w, m.framework_id);
  w.Key("task_id");
  WriteId(w, m.task_id);
  if (m.kill_policy) {
    w.Key("kill_policy");
    WriteKillPolicy(w, *m.kill_policy);
  }
  w.EndObject();
}
absl::Status Read(const JsonNode& n, master_msg::KillTask* out) {
  RETURN_IF_ERROR(Req(n, "framework_id", &out->framework_id));
  RETURN_IF_ERROR(Req(n, "task_id", &out->task_id));
  return Opt(n, "kill_policy", &out->kill_policy, ParseKillPolicy);
}

void Write(JsonWriter& w, const master_msg::AcknowledgeUpdate& m) {
  w.StartObject().Key("framework_id");
  WriteId(w, m.framework_id);
  w.Key("task_id");
  WriteId(w, m.task_id);
  w.Key("uuid").String(internal::Base64Encode(m.uuid));
  w.EndObject();
}
absl::Status Read(const JsonNode& n, master_msg::AcknowledgeUpdate* out) {
  RETURN_IF_ERROR(Req(n, "framework_id", &out->framework_id));
  RETURN_IF_ERROR(Req(n, "task_id", &out->task_id));
  return Req(n, "uuid", &out->uuid, ReadBytes);
}

void Write(JsonWriter& w, const master_msg::ShutdownFramework& m) {
  w.StartObject().Key("framework_id");
  WriteId(w, m.framework_id);
  w.EndObject();
}
absl::Status Read(const JsonNode& n, master_msg::ShutdownFramework* out) {
  return Req(n, "framework_id", &out->framework_id);
}

void Write(JsonWriter& w, const master_msg::ShutdownExecutor& m) {
  w.StartObject().Key("framework_id");
  WriteId(w, m.framework_id);
  w.Key("executor_id");
  WriteId(w, m.executor_id);
  w.EndObject();
}
absl::Status Read(const JsonNode& n, master_msg::ShutdownExecutor* out) {
  RETURN_IF_ERROR(Req(n, "framework_id", &out->framework_id));
  return Req(n, "executor_id", &out->executor_id);
}

void Write(JsonWriter& w, const master_msg::FrameworkMessage& m) { WriteMessage(w, m); }
absl::Status Read(const JsonNode& n, master_msg::FrameworkMessage* out) {
  return ReadMessage(n, out);
}

void Write(JsonWriter& w, const master_msg::CheckpointResources& m) {
  w.StartObject().Key("total");
  WriteResources(w, m.total);
  w.EndObject();
}
absl::Status Read(const JsonNode& n, master_msg::CheckpointResources* out) {
  return Req(n, "total", &out->total, ParseResources);
}

void Write(JsonWriter& w, const master_msg::Shutdown& m) {
  w.StartObject().Key("message").String(m.message);
  w.EndObject();
}
absl::Status Read(const JsonNode& n, master_msg::Shutdown* out) {
  return Opt(n, "message", &out->message);
}

// ---- the envelope ----

template <typename Variant, size_t N>
std::string Serialize(const Variant& message, const std::array<std::string_view, N>& names) {
  JsonWriter w;
  const std::string_view type = names[message.index()];
  w.StartObject().Key("type").String(type);
  std::visit(
      [&](const auto& body) {
        w.Key(Lower(type));
        Write(w, body);
      },
      message);
  w.EndObject();
  return w.Finish();
}

template <typename Variant, size_t I = 0>
absl::Status ParseAlternative(const JsonNode& root, size_t index, std::string_view key,
                              Variant* out) {
  if constexpr (I < std::variant_size_v<Variant>) {
    if (I != index) return ParseAlternative<Variant, I + 1>(root, index, key, out);
    auto& body = out->template emplace<I>();
    JsonNode n = root.Get(key);
    if (n.IsUnset()) {
      if constexpr (std::is_same_v<std::decay_t<decltype(body)>, agent_msg::Heartbeat>) {
        return absl::OkStatus();  // HEARTBEAT needs no body
      }
      return n.Error("required");
    }
    RETURN_IF_ERROR(n.ExpectObject());
    return Read(n, &body);
  } else {
    return absl::InternalError("unreachable");
  }
}

template <typename Variant, size_t N>
absl::StatusOr<Variant> Parse(std::string_view json, const std::array<std::string_view, N>& names,
                              std::string_view what) {
  Variant out;
  RETURN_IF_ERROR(ParseJsonDocument(json, "", [&](const JsonNode& root) -> absl::Status {
    RETURN_IF_ERROR(root.ExpectObject());
    std::string type;
    RETURN_IF_ERROR(Req(root, "type", &type));
    for (size_t i = 0; i < N; ++i) {
      if (names[i] == type) return ParseAlternative<Variant>(root, i, Lower(type), &out);
    }
    JsonNode type_node = root.Get("type");
    return type_node.Error(StrCat("unknown ", what, " message type '", type, "'"));
  }));
  return out;
}

}  // namespace

absl::StatusOr<AgentToMaster> ParseAgentToMaster(std::string_view json) {
  return Parse<AgentToMaster>(json, kAgentTypes, "agent");
}

std::string SerializeAgentToMaster(const AgentToMaster& message) {
  return Serialize(message, kAgentTypes);
}

absl::StatusOr<MasterToAgent> ParseMasterToAgent(std::string_view json) {
  return Parse<MasterToAgent>(json, kMasterTypes, "master");
}

std::string SerializeMasterToAgent(const MasterToAgent& message) {
  return Serialize(message, kMasterTypes);
}

std::string_view AgentMessageTypeName(const AgentToMaster& message) {
  return kAgentTypes[message.index()];
}

std::string_view MasterMessageTypeName(const MasterToAgent& message) {
  return kMasterTypes[message.index()];
}

}  // namespace atl::api
