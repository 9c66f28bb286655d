#include "core/agent/checkpoint_json.h"

// The one use of core/api's parse-side header outside core/api: the records nest model values
// and need the same JsonNode navigation and path-carrying errors the v1 codecs use. Only this
// .cc sees it (and through it RapidJSON); checkpoint_json.h exposes strings and model types.
#include "core/api/json_internal.h"
#include "core/api/json_model.h"
#include "core/base/status.h"

namespace atl::agent {
namespace {

absl::Status ReadPid(const api::JsonNode& n, int* out) {
  int32_t pid = 0;
  RETURN_IF_ERROR(api::ReadInt32(n, &pid));
  if (pid <= 0) return n.Error("must be a positive process id");
  *out = pid;
  return absl::OkStatus();
}

absl::Status ParseExecutorRecordNode(const api::JsonNode& n, ExecutorRecord* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(api::Req(n, "framework_id", &out->framework_id));
  RETURN_IF_ERROR(api::Req(n, "container_id", &out->container_id));
  RETURN_IF_ERROR(api::Opt(n, "command_executor", &out->command_executor));
  RETURN_IF_ERROR(api::Opt(n, "pid", &out->pid, ReadPid));
  RETURN_IF_ERROR(api::Opt(n, "pid_start_time", &out->pid_start_time));
  return api::Req(n, "info", &out->info, api::ParseExecutorInfo);
}

absl::Status ParseTaskRecordNode(const api::JsonNode& n, TaskRecord* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(api::Req(n, "framework_id", &out->framework_id));
  RETURN_IF_ERROR(api::Req(n, "executor_id", &out->executor_id));
  RETURN_IF_ERROR(api::ReqEnum(n, "state", &out->state, model::ParseTaskState));
  RETURN_IF_ERROR(api::Opt(n, "launched", &out->launched));
  return api::Req(n, "info", &out->info, api::ParseTaskInfo);
}

absl::Status ParseUpdatesNode(const api::JsonNode& n, std::vector<model::TaskStatus>* out) {
  RETURN_IF_ERROR(n.ExpectArray());
  out->reserve(n.Size());
  for (size_t i = 0; i < n.Size(); ++i) {
    model::TaskStatus status;
    RETURN_IF_ERROR(api::ParseTaskStatus(n.At(i), &status));
    out->push_back(std::move(status));
  }
  return absl::OkStatus();
}

template <typename T>
absl::StatusOr<T> ParseRooted(std::string_view json, std::string_view root,
                              absl::Status (*parse)(const api::JsonNode&, T*)) {
  T value{};
  RETURN_IF_ERROR(api::ParseJsonDocument(
      json, root, [&](const api::JsonNode& node) { return parse(node, &value); }));
  return value;
}

}  // namespace

std::string ExecutorRecordToJson(const ExecutorRecord& r) {
  api::JsonWriter w;
  w.StartObject();
  w.Key("framework_id");
  api::WriteId(w, r.framework_id);
  w.Key("container_id");
  api::WriteId(w, r.container_id);
  w.Key("command_executor").Bool(r.command_executor);
  if (r.pid.has_value()) w.Key("pid").Int(*r.pid);
  w.Key("pid_start_time").Uint64(r.pid_start_time);
  w.Key("info");
  api::WriteExecutorInfo(w, r.info);
  w.EndObject();
  return w.Finish();
}

absl::StatusOr<ExecutorRecord> ParseExecutorRecord(std::string_view json) {
  return ParseRooted(json, "executor", ParseExecutorRecordNode);
}

std::string TaskRecordToJson(const TaskRecord& r) {
  api::JsonWriter w;
  w.StartObject();
  w.Key("framework_id");
  api::WriteId(w, r.framework_id);
  w.Key("executor_id");
  api::WriteId(w, r.executor_id);
  w.Key("state").String(model::TaskStateName(r.state));
  w.Key("launched").Bool(r.launched);
  w.Key("info");
  api::WriteTaskInfo(w, r.info);
  w.EndObject();
  return w.Finish();
}

absl::StatusOr<TaskRecord> ParseTaskRecord(std::string_view json) {
  return ParseRooted(json, "task", ParseTaskRecordNode);
}

std::string UpdatesToJson(const std::vector<model::TaskStatus>& updates) {
  api::JsonWriter w;
  w.StartArray();
  for (const model::TaskStatus& status : updates) api::WriteTaskStatus(w, status);
  w.EndArray();
  return w.Finish();
}

absl::StatusOr<std::vector<model::TaskStatus>> ParseUpdates(std::string_view json) {
  return ParseRooted(json, "updates", ParseUpdatesNode);
}

}  // namespace atl::agent
