// V2Api: routing and the small endpoints (/v2/deployments, /v2/tasks, /v2/queue, /v2/info,
// /v2/leader, /ping, /metrics) plus what the handlers share (deploy answers, kills, the app
// JSON cache). Apps are in v2_api_apps.cc, groups in v2_api_groups.cc.
#include "marathonlike/v2_api.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <set>
#include <utility>

#include "core/api/json_internal.h"
#include "core/base/strings.h"
#include "core/model/task_state.h"
#include "marathonlike/app_json.h"
#include "marathonlike/path_id.h"
#include "marathonlike/root_group.h"
#include "marathonlike/task_builder.h"
#include "marathonlike/v2_api_internal.h"

namespace atl::marathonlike {

// ---- shared helpers (v2_api_internal.h) ----

namespace v2 {

V2Response Json(int status, std::string body) {
  V2Response r;
  r.status = status;
  r.content_type = kJson;
  r.body = std::move(body);
  return r;
}

V2Response Message(int status, std::string_view message) {
  api::JsonWriter w;
  w.StartObject().Key("message").String(message).EndObject();
  return Json(status, w.Finish());
}

V2Response Error(const ApiError& error) { return Json(error.status, ApiErrorJson(error)); }

V2Response StatusError(const absl::Status& status) {
  std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return Message(404, message);
    case absl::StatusCode::kInvalidArgument:
      return Error(ApiError::InvalidObject({FieldError{"/", {message}}}));
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
      return Message(409, message);
    default:
      return Message(500, message);
  }
}

V2Response DeploymentResult(const DeploymentPlan& plan, int status) {
  api::JsonWriter w;
  WriteDeploymentResult(w, plan);
  V2Response r = Json(status, w.Finish());
  r.headers.emplace_back(kDeploymentHeader, plan.id);
  return r;
}

V2Response MethodNotAllowed(const std::vector<std::string_view>& allowed) {
  V2Response r = Message(405, "HTTP 405 Method Not Allowed");
  r.headers.emplace_back("Allow", Join(allowed, ", "));
  return r;
}

bool MethodIn(std::string_view method, const std::vector<std::string_view>& allowed) {
  return std::find(allowed.begin(), allowed.end(), method) != allowed.end();
}

std::optional<std::string> Query::Get(std::string_view name) const {
  for (const auto& [k, v] : request_.query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::vector<std::string> Query::All(std::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [k, v] : request_.query) {
    if (k == name) values.push_back(v);
  }
  return values;
}

namespace {
std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

bool Query::Bool(std::string_view name, bool default_value, bool* out,
                 std::optional<V2Response>* error) const {
  std::optional<std::string> value = Get(name);
  if (!value.has_value()) {
    *out = default_value;
    return true;
  }
  std::string v = Lower(Strip(*value));
  if (v == "true" || v.empty()) {
    *out = true;
    return true;
  }
  if (v == "false") {
    *out = false;
    return true;
  }
  *error = Message(400, StrCat("Invalid value for query parameter '", name, "': '", *value,
                               "' (expected true or false)"));
  return false;
}

bool WantsText(const V2Request& request) {
  return request.accept.find("text/plain") != std::string::npos &&
         request.accept.find("application/json") == std::string::npos;
}

std::string ClientIp(std::string_view remote_address) {
  std::string_view a = remote_address;
  if (StartsWith(a, "[")) {
    size_t close = a.find(']');
    if (close != std::string_view::npos) return std::string(a.substr(1, close - 1));
    return std::string(a);
  }
  size_t colon = a.rfind(':');
  if (colon != std::string_view::npos && a.find(':') == colon) a = a.substr(0, colon);
  return std::string(a);
}

namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The end of the JSON value starting at json[i] (already validated by the parser).
size_t ValueEnd(std::string_view json, size_t i) {
  int depth = 0;
  bool in_string = false;
  for (; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
        if (depth == 0) return i + 1;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return i;  // the enclosing array's end
      if (--depth == 0) return i + 1;
    } else if (depth == 0 && (c == ',' || IsJsonSpace(c))) {
      return i;
    }
  }
  return i;
}

}  // namespace

ApiOr<std::vector<std::string>> SplitJsonArray(std::string_view json) {
  bool is_array = false;
  absl::Status status = api::ParseJsonDocument(json, "", [&](const api::JsonNode& root) {
    is_array = root.IsArray();
    return absl::OkStatus();
  });
  if (!status.ok()) return ApiError::MalformedJson(std::string(status.message()));
  if (!is_array) return ApiError::InvalidJson({FieldError{"/", {"error.expected.jsarray"}}});
  std::vector<std::string> elements;
  size_t i = 0;
  while (i < json.size() && json[i] != '[') ++i;
  ++i;
  while (i < json.size()) {
    while (i < json.size() && (IsJsonSpace(json[i]) || json[i] == ',')) ++i;
    if (i >= json.size() || json[i] == ']') break;
    size_t end = ValueEnd(json, i);
    elements.emplace_back(json.substr(i, end - i));
    i = end;
  }
  return elements;
}

ApiOr<std::vector<std::string>> ParseTaskIds(std::string_view json) {
  std::vector<std::string> ids;
  std::vector<FieldError> invalid;
  absl::Status status = api::ParseJsonDocument(json, "", [&](const api::JsonNode& root) {
    if (!root.IsObject()) {
      AddFieldError(&invalid, "/", "error.expected.jsobject");
      return absl::OkStatus();
    }
    api::JsonNode list = root.Get("ids");
    if (list.IsUnset()) {
      AddFieldError(&invalid, "/ids", "error.path.missing");
      return absl::OkStatus();
    }
    if (!list.IsArray()) {
      AddFieldError(&invalid, "/ids", "error.expected.jsarray");
      return absl::OkStatus();
    }
    for (size_t i = 0; i < list.Size(); ++i) {
      api::JsonNode item = list.At(i);
      if (!item.IsString()) {
        AddFieldError(&invalid, StrCat("/ids(", i, ")"), "error.expected.jsstring");
        continue;
      }
      ids.emplace_back(item.StringValue());
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return ApiError::MalformedJson(std::string(status.message()));
  if (!invalid.empty()) return ApiError::InvalidJson(std::move(invalid));
  return ids;
}

ApiError PrefixError(const ApiError& error, std::string_view prefix) {
  if (!std::holds_alternative<std::vector<FieldError>>(error.details)) return error;
  ApiError out = error;
  std::vector<FieldError> details;
  for (const FieldError& e : error.field_errors()) {
    std::string path = e.path == "/" ? std::string(prefix) : StrCat(prefix, e.path);
    details.push_back(FieldError{path, e.errors});
  }
  out.details = std::move(details);
  return out;
}

}  // namespace v2

using v2::Json;
using v2::Message;
using v2::MethodIn;
using v2::MethodNotAllowed;

V2Api::V2Api(ServiceScheduler& scheduler, VersionReader& versions, V2Info info)
    : scheduler_(scheduler), versions_(versions), info_(std::move(info)) {}

V2Response V2Api::Handle(const V2Request& request, Timestamp now, Output* out) {
  ++requests_;
  V2Response response = Route(request, now, out);
  ++responses_by_class_[response.status / 100];
  PruneCache();
  return response;
}

V2Response V2Api::Route(const V2Request& request, Timestamp now, Output* out) {
  std::string_view path = request.path;
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const std::string_view method = request.method;

  if (path == "/ping") {
    if (!MethodIn(method, {"GET", "HEAD"})) return MethodNotAllowed({"GET", "HEAD"});
    V2Response r;
    r.content_type = "text/plain; charset=utf-8";
    r.body = "pong";
    return r;
  }
  if (path == "/metrics") {
    if (method != "GET") return MethodNotAllowed({"GET"});
    return Metrics(now);
  }
  std::string_view rest = path;
  if (!ConsumePrefix(&rest, "/v2/") && !(rest == "/v2")) {
    return Message(404, "URI not found");
  }
  auto sub = [&](std::string_view name, std::string_view* tail) {
    std::string_view r = rest;
    if (!ConsumePrefix(&r, name)) return false;
    if (!r.empty() && r.front() != '/') return false;
    *tail = r;
    return true;
  };
  std::string_view tail;
  if (sub("apps", &tail)) return Apps(request, tail, now, out);
  if (sub("groups", &tail)) return Groups(request, tail, now, out);
  if (sub("deployments", &tail)) return Deployments(request, tail, now, out);
  if (sub("queue", &tail)) return Queue(request, tail, now, out);
  if (sub("tasks", &tail)) {
    if (tail.empty()) {
      if (method != "GET") return MethodNotAllowed({"GET"});
      return ListTasks(request);
    }
    if (tail == "/delete") {
      if (method != "POST") return MethodNotAllowed({"POST"});
      return DeleteTasks(request, now, out);
    }
    return Message(404, "URI not found");
  }
  if (sub("info", &tail) && tail.empty()) {
    if (method != "GET") return MethodNotAllowed({"GET"});
    return Info();
  }
  if (sub("leader", &tail) && tail.empty()) {
    if (!MethodIn(method, {"GET", "DELETE"})) return MethodNotAllowed({"GET", "DELETE"});
    return Leader(request);
  }
  return Message(404, "URI not found");
}

// ---- shared ----

V2Api::DeployOutcome V2Api::Deploy(Group target, const DeployOptions& options, Timestamp now,
                                   Output* out) {
  ServiceScheduler::DeployResult result = scheduler_.Deploy(std::move(target), options, now, out);
  if (auto* plan = std::get_if<DeploymentPlan>(&result)) {
    ForgetCachedApps(*plan);
    return std::move(*plan);
  }
  if (auto* conflict = std::get_if<ServiceScheduler::Conflict>(&result)) {
    api::JsonWriter w;
    w.StartObject();
    w.Key("message").String(
        "App is locked by one or more deployments. Override with the option '?force=true'. "
        "View details at '/v2/deployments/<DEPLOYMENT_ID>'.");
    w.Key("deployments").StartArray();
    for (const std::string& id : conflict->deployment_ids) {
      w.StartObject().Key("id").String(id).EndObject();
    }
    w.EndArray();
    w.EndObject();
    return Json(409, w.Finish());
  }
  return v2::StatusError(std::get<absl::Status>(result));
}

V2Response V2Api::KillAndAnswer(const V2Request& request, const std::vector<InstanceId>& named,
                                bool single, Timestamp now, Output* out) {
  // A task named twice is killed (and scaled away) once: Marathon keys the tasks by instance.
  std::vector<InstanceId> instances;
  std::set<InstanceId> seen;
  for (const InstanceId& id : named) {
    if (seen.insert(id).second) instances.push_back(id);
  }
  v2::Query query(request);
  std::optional<V2Response> error;
  bool scale = false;
  bool wipe = false;
  bool force = false;
  if (!query.Bool("scale", false, &scale, &error) || !query.Bool("wipe", false, &wipe, &error) ||
      !query.Bool("force", false, &force, &error)) {
    return *error;
  }
  if (scale && wipe) return Message(400, "You cannot use scale and wipe at the same time.");
  if (scale) {
    DeployOptions options;
    options.force = force;
    std::map<PathId, int> killed;
    for (const InstanceId& id : instances) {
      const Instance* instance = scheduler_.FindInstance(id);
      if (instance == nullptr) continue;
      options.to_kill[instance->app_id].push_back(id);
      ++killed[instance->app_id];
    }
    Group target = scheduler_.root();
    for (const auto& [app_id, count] : killed) {
      const AppDefinition* app = FindApp(target, app_id);
      if (app == nullptr) continue;
      AppDefinition scaled = *app;
      scaled.instances = std::max(0, scaled.instances - count);
      absl::StatusOr<Group> next = PutApp(target, std::move(scaled), now);
      if (!next.ok()) return v2::StatusError(next.status());
      target = *std::move(next);
    }
    DeployOutcome outcome = Deploy(std::move(target), options, now, out);
    if (auto* r = std::get_if<V2Response>(&outcome)) return std::move(*r);
    return v2::DeploymentResult(std::get<DeploymentPlan>(outcome));
  }
  std::vector<Instance> killed = scheduler_.KillInstances(instances, wipe, now, out);
  api::JsonWriter w;
  w.StartObject();
  if (single) {
    w.Key("task");
    if (killed.empty()) {
      w.Null();
    } else {
      WriteTask(w, TaskOf(killed.front()));
    }
  } else {
    w.Key("tasks").StartArray();
    for (const Instance& instance : killed) WriteTask(w, TaskOf(instance));
    w.EndArray();
  }
  w.EndObject();
  return Json(200, w.Finish());
}

const std::string& V2Api::AppJson(const AppDefinition& app) {
  auto key = std::make_pair(app.id, app.version);
  auto it = app_json_cache_.find(key);
  if (it == app_json_cache_.end()) it = app_json_cache_.emplace(key, AppToJson(app)).first;
  return it->second;
}

namespace {}  // namespace

namespace v2 {}  // namespace v2

namespace {

// The members of WriteAppInfoMembers as an object ("{...}"), spliced after the cached app
// bytes; AppInfoToJson gives the same bytes (tests/marathonlike/v2_api_test.cc checks it).
std::string ExtrasJson(const AppInfoExtras& extras, const AppInfoEmbed& embed) {
  api::JsonWriter w;
  w.StartObject();
  WriteAppInfoMembers(w, extras, embed);
  w.EndObject();
  return w.Finish();
}

// Counts and life times of one set of instances (Marathon's TaskStats).
std::optional<TaskStats> StatsOf(const std::vector<const Instance*>& instances,
                                 const AppDefinition& app, Timestamp now) {
  if (instances.empty()) return std::nullopt;
  TaskStats stats;
  std::vector<double> lives;
  for (const Instance* i : instances) {
    switch (i->task_state) {
      case model::TaskState::kStaging:
      case model::TaskState::kStarting:
        ++stats.counts.staged;
        break;
      case model::TaskState::kRunning:
        ++stats.counts.running;
        if (!app.health_checks.empty() && i->health.healthy.has_value()) {
          ++(*i->health.healthy ? stats.counts.healthy : stats.counts.unhealthy);
        }
        break;
      default:
        break;
    }
    if (i->started_at.has_value() && i->task_state == model::TaskState::kRunning) {
      lives.push_back((now - *i->started_at).seconds());
    }
  }
  if (!lives.empty()) {
    std::sort(lives.begin(), lives.end());
    double sum = 0;
    for (double l : lives) sum += l;
    stats.average_life_seconds = sum / static_cast<double>(lives.size());
    size_t n = lives.size();
    stats.median_life_seconds = n % 2 == 1 ? lives[n / 2] : (lives[n / 2 - 1] + lives[n / 2]) / 2;
  }
  return stats;
}

}  // namespace

void V2Api::WriteAppInfoCached(api::JsonWriter& w, const AppDefinition& app,
                               const AppInfoExtras& extras, const AppInfoEmbed& embed) {
  const std::string& fields = AppJson(app);
  std::string more = ExtrasJson(extras, embed);
  if (more == "{}") {
    w.Raw(fields);
    return;
  }
  std::string joined;
  joined.reserve(fields.size() + more.size());
  joined.append(fields, 0, fields.size() - 1);
  joined.push_back(',');
  joined.append(more, 1, std::string::npos);
  w.Raw(joined);
}

AppInfoExtras V2Api::ExtrasOf(const AppDefinition& app, const AppInfoEmbed& embed,
                              Timestamp now) const {
  AppInfoExtras extras;
  if (embed.counts) extras.counts = scheduler_.CountsOf(app);
  if (embed.readiness) extras.readiness = scheduler_.ReadinessOf(app);
  if (embed.deployments) extras.deployments = scheduler_.DeploymentsOf(app.id);
  if (embed.tasks || embed.task_stats) {
    std::vector<const Instance*> all, after_scaling, latest, outdated;
    for (const Instance* instance : scheduler_.InstancesOf(app.id)) {
      if (instance->task_id.empty()) continue;
      if (embed.tasks) extras.tasks.push_back(TaskOf(*instance));
      all.push_back(instance);
      if (instance->staged_at.has_value() &&
          *instance->staged_at >= app.version_info.last_scaling_at) {
        after_scaling.push_back(instance);
      }
      (instance->app_version >= app.version_info.last_config_change_at ? latest : outdated)
          .push_back(instance);
    }
    if (embed.task_stats) {
      extras.task_stats.started_after_last_scaling = StatsOf(after_scaling, app, now);
      extras.task_stats.with_latest_config = StatsOf(latest, app, now);
      extras.task_stats.with_outdated_config = StatsOf(outdated, app, now);
      extras.task_stats.total_summary = StatsOf(all, app, now);
    }
  }
  if (embed.last_task_failure) {
    if (const AppFailure* failure = scheduler_.LastFailureOf(app.id)) {
      extras.last_task_failure = failure->failure;
    }
  }
  return extras;
}

TaskView V2Api::TaskOf(const Instance& instance) const {
  TaskView view = scheduler_.TaskViewOf(instance);
  if (view.service_ports.empty()) {
    if (const AppDefinition* app = FindApp(scheduler_.root(), instance.app_id)) {
      for (const PortDefinition& p : app->port_definitions) view.service_ports.push_back(p.port);
    }
  }
  return view;
}

void V2Api::PublishApiPost(const V2Request& request, const PathId& app_id, Timestamp now,
                           Output* out) const {
  const AppDefinition* app = FindApp(scheduler_.root(), app_id);
  if (app == nullptr) return;
  out->commands.push_back(
      cmd::Publish{ApiPostEvent{v2::ClientIp(request.remote_address), request.path, *app, now}});
}

std::string V2Api::EndpointsText(const std::vector<const AppDefinition*>& apps) const {
  std::string text;
  for (const AppDefinition* app : apps) {
    std::vector<const Instance*> running;
    for (const Instance* i : scheduler_.InstancesOf(app->id)) {
      if (i->condition == Condition::kRunning && !i->task_id.empty()) running.push_back(i);
    }
    const std::string id = SafeName(app->id);
    if (app->port_definitions.empty()) {
      StrAppend(&text, id, "\t \t");
      for (const Instance* i : running) StrAppend(&text, i->hostname, " \t");
      text.push_back('\n');
      continue;
    }
    for (size_t k = 0; k < app->port_definitions.size(); ++k) {
      StrAppend(&text, id, "\t", app->port_definitions[k].port, "\t");
      for (const Instance* i : running) {
        int port = k < i->host_ports.size() ? i->host_ports[k] : 0;
        StrAppend(&text, i->hostname, ":", port, "\t");
      }
      text.push_back('\n');
    }
  }
  return text;
}

namespace {
V2Response TextResponse(std::string body) {
  V2Response r;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}
}  // namespace

void V2Api::ForgetCachedApps(const DeploymentPlan& plan) {
  for (const PathId& id : AffectedAppIds(plan)) {
    auto first =
        app_json_cache_.lower_bound(std::make_pair(id, Timestamp::FromNanoseconds(INT64_MIN)));
    auto last = first;
    while (last != app_json_cache_.end() && last->first.first == id) ++last;
    app_json_cache_.erase(first, last);
  }
}

void V2Api::PruneCache() {
  std::map<PathId, const AppDefinition*> apps = TransitiveApps(scheduler_.root());
  if (app_json_cache_.size() <= 2 * apps.size() + 64) return;
  std::erase_if(app_json_cache_, [&](const auto& entry) {
    auto it = apps.find(entry.first.first);
    return it == apps.end() || it->second->version != entry.first.second;
  });
}

// ---- /v2/deployments ----

V2Response V2Api::Deployments(const V2Request& request, std::string_view rest, Timestamp now,
                              Output* out) {
  if (rest.empty()) {
    if (request.method != "GET") return MethodNotAllowed({"GET"});
    api::JsonWriter w;
    w.StartArray();
    for (const auto& [id, d] : scheduler_.deployments()) {
      DeploymentProgress progress;
      progress.current_step =
          std::min<int>(d.current_step + 1, static_cast<int>(d.plan.steps.size()));
      if (d.current_step < static_cast<int>(d.plan.steps.size())) {
        for (const Action& a : d.plan.steps[static_cast<size_t>(d.current_step)].actions) {
          const AppDefinition* app = FindApp(scheduler_.root(), a.app_id);
          if (app == nullptr || app->readiness_checks.empty()) continue;
          api::JsonWriter results;
          WriteReadinessResults(results, scheduler_.ReadinessOf(*app));
          progress.readiness_results_json[a.app_id] = results.Finish();
        }
      }
      WriteDeploymentInfo(w, d.plan, progress);
    }
    w.EndArray();
    return Json(200, w.Finish());
  }
  std::string_view id = rest.substr(1);
  if (id.empty() || id.find('/') != std::string_view::npos) return Message(404, "URI not found");
  if (request.method != "DELETE") return MethodNotAllowed({"DELETE"});
  v2::Query query(request);
  std::optional<V2Response> error;
  bool force = false;
  if (!query.Bool("force", false, &force, &error)) return *error;
  absl::StatusOr<std::optional<DeploymentPlan>> cancelled =
      scheduler_.CancelDeployment(std::string(id), force, now, out);
  if (!cancelled.ok()) {
    if (cancelled.status().code() == absl::StatusCode::kNotFound) {
      return Message(404, StrCat("DeploymentPlan ", id, " does not exist"));
    }
    return v2::StatusError(cancelled.status());
  }
  if (cancelled->has_value()) ForgetCachedApps(**cancelled);
  if (!cancelled->has_value()) {
    V2Response r;
    r.status = 202;
    return r;
  }
  return v2::DeploymentResult(**cancelled);
}

// ---- /v2/tasks ----

V2Response V2Api::ListTasks(const V2Request& request) {
  v2::Query query(request);
  std::vector<std::string> statuses = query.All("status");
  for (std::string& s : query.All("status[]")) statuses.push_back(std::move(s));
  std::set<std::string> wanted;
  static const std::set<std::string> kKnown = {
      "staging", "starting", "running", "killing",     "finished", "failed",           "killed",
      "error",   "lost",     "dropped", "unreachable", "gone",     "gone_by_operator", "unknown"};
  for (const std::string& s : statuses) {
    for (std::string_view piece : Split(s, ',')) {
      std::string v = v2::Lower(Strip(piece));
      if (StartsWith(v, "task_")) v = v.substr(5);
      if (!kKnown.contains(v)) {
        return Message(400, StrCat("Invalid value for query parameter 'status': '", s, "'"));
      }
      std::string upper = "TASK_";
      for (char c : v)
        upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
      wanted.insert(upper);
    }
  }
  if (v2::WantsText(request)) {
    std::vector<const AppDefinition*> apps;
    for (const auto& [id, app] : TransitiveApps(scheduler_.root())) apps.push_back(app);
    return TextResponse(EndpointsText(apps));
  }
  api::JsonWriter w;
  w.StartObject().Key("tasks").StartArray();
  for (const auto& [id, instance] : scheduler_.instances()) {
    if (instance.task_id.empty()) continue;
    TaskView task = TaskOf(instance);
    if (!wanted.empty() && !wanted.contains(task.state)) continue;
    WriteTask(w, task);
  }
  w.EndArray().EndObject();
  return Json(200, w.Finish());
}

V2Response V2Api::DeleteTasks(const V2Request& request, Timestamp now, Output* out) {
  ApiOr<std::vector<std::string>> ids = v2::ParseTaskIds(request.body);
  if (!ids.ok()) return v2::Error(ids.error());
  std::vector<InstanceId> instances;
  for (const std::string& task_id : *ids) {
    if (!ParseTaskId(task_id).has_value()) {
      return Message(400, StrCat("Invalid task id '", task_id, "'"));
    }
    const Instance* instance = scheduler_.FindByTaskId(task_id);
    if (instance == nullptr) continue;  // unknown tasks are skipped, as Marathon does
    instances.push_back(instance->id);
  }
  return KillAndAnswer(request, instances, /*single=*/false, now, out);
}

// ---- /v2/queue ----

namespace {

// Marathon's reject funnel (NoOfferMatchReason order); reasons we never produce stay at 0.
const std::vector<std::string>& FunnelReasons() {
  static const std::vector<std::string> kReasons = {
      kUnfulfilledRole,         kUnfulfilledConstraint, "NoCorrespondingReservationFound",
      "AgentMaintenance",       kInsufficientCpus,      kInsufficientMemory,
      kInsufficientDisk,        kInsufficientGpus,      kInsufficientPorts,
      "DeclinedScarceResources"};
  return kReasons;
}

// [{reason, declined, processed}]: each stage processes what the previous ones did not decline.
void WriteRejectSummary(api::JsonWriter& w, int64_t processed,
                        const std::map<std::string, int64_t, std::less<>>& rejected_by_reason) {
  w.StartArray();
  std::vector<std::string> reasons = FunnelReasons();
  for (const auto& [reason, count] : rejected_by_reason) {
    if (std::find(reasons.begin(), reasons.end(), reason) == reasons.end()) {
      reasons.push_back(reason);
    }
  }
  for (const std::string& reason : reasons) {
    auto it = rejected_by_reason.find(reason);
    int64_t declined = it == rejected_by_reason.end() ? 0 : it->second;
    w.StartObject();
    w.Key("reason").String(reason);
    w.Key("declined").Int64(declined);
    w.Key("processed").Int64(processed);
    w.EndObject();
    processed = std::max<int64_t>(0, processed - declined);
  }
  w.EndArray();
}

void WriteRanges(api::JsonWriter& w, const model::Ranges& ranges) {
  w.StartArray();
  for (const model::Range& r : ranges.ranges()) {
    w.StartObject();
    w.Key("begin").Int64(static_cast<int64_t>(r.begin));
    w.Key("end").Int64(static_cast<int64_t>(r.end));
    w.EndObject();
  }
  w.EndArray();
}

template <typename Text>
void WriteSet(api::JsonWriter& w, const std::vector<Text>& items) {
  w.StartArray();
  for (const Text& item : items) w.String(item);
  w.EndArray();
}

// The value of a resource or attribute under Marathon's key for its type (offer.raml); a text
// value only for attributes (`text` non-null).
void WriteValue(api::JsonWriter& w, model::ValueType type, model::Scalar scalar,
                const model::Ranges& ranges, const std::vector<std::string>& set,
                const std::string* text) {
  switch (type) {
    case model::ValueType::kScalar:
      w.Key("scalar").Double(scalar.ToDouble());
      break;
    case model::ValueType::kRanges:
      w.Key("ranges");
      WriteRanges(w, ranges);
      break;
    case model::ValueType::kSet:
      w.Key("set");
      WriteSet(w, set);
      break;
    case model::ValueType::kText:
      if (text != nullptr) w.Key("text").String(*text);
      break;
  }
}

// Marathon's Offer (raml/v2/types/offer.raml): resources with name, role and their value;
// attributes with their value.
void WriteOffer(api::JsonWriter& w, const model::Offer& offer) {
  w.StartObject();
  w.Key("id").String(offer.id.value());
  w.Key("agentId").String(offer.agent_id.value());
  w.Key("hostname").String(offer.hostname);
  w.Key("resources").StartArray();
  for (const model::Resource& r : offer.resources.items()) {
    w.StartObject();
    w.Key("name").String(r.name);
    w.Key("role").String(r.allocation_role.value_or(r.ReservationRole()));
    WriteValue(w, r.type, r.scalar, r.ranges, r.set, nullptr);
    w.EndObject();
  }
  w.EndArray();
  w.Key("attributes").StartArray();
  for (const model::Attribute& a : offer.attributes) {
    w.StartObject();
    w.Key("name").String(a.name);
    WriteValue(w, a.type, a.scalar, a.ranges, a.set, &a.text);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

// The summaries of one queue entry: since the launch attempt started, over the last offer of
// each agent, and (beyond Marathon) per constraint.
void WriteOffersSummary(api::JsonWriter& w, const QueueEntry& e) {
  w.Key("processedOffersSummary").StartObject();
  w.Key("processedOffersCount").Int64(e.processed_offers);
  w.Key("unusedOffersCount").Int64(e.unused_offers);
  if (e.last_unused_offer_at.has_value()) {
    w.Key("lastUnusedOfferAt").String(FormatIso8601(*e.last_unused_offer_at));
  }
  if (e.last_used_offer_at.has_value()) {
    w.Key("lastUsedOfferAt").String(FormatIso8601(*e.last_used_offer_at));
  }
  std::map<std::string, int64_t, std::less<>> last_offers;
  for (const auto& [agent, unused] : e.last_unused_offers) {
    if (!unused.reasons.empty()) last_offers[std::string(unused.reasons.front())]++;
  }
  w.Key("rejectSummaryLastOffers");
  WriteRejectSummary(w, static_cast<int64_t>(e.last_unused_offers.size()), last_offers);
  w.Key("rejectSummaryLaunchAttempt");
  WriteRejectSummary(w, e.processed_offers, e.rejected_by_reason);
  // Atoll: which constraint turned the UnfulfilledConstraint offers down, and why last.
  w.Key("unfulfilledConstraints").StartArray();
  for (const ConstraintRejects& c : e.constraint_rejects) {
    w.StartObject();
    w.Key("constraint");
    WriteSet(w, c.constraint);
    w.Key("declined").Int64(c.declined);
    if (!c.last_reason.empty()) w.Key("lastReason").String(c.last_reason);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void WriteLastUnusedOffers(api::JsonWriter& w, const QueueEntry& e) {
  w.Key("lastUnusedOffers").StartArray();
  for (const auto& [agent, unused] : e.last_unused_offers) {
    if (unused.offer == nullptr) continue;  // that agent's last offer was used
    w.StartObject();
    w.Key("offer");
    WriteOffer(w, *unused.offer);
    w.Key("timestamp").String(FormatIso8601(unused.at));
    w.Key("reason");
    WriteSet(w, unused.reasons);
    if (!unused.constraint_reason.empty()) {
      w.Key("constraintReason").String(unused.constraint_reason);  // Atoll
    }
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

V2Response V2Api::Queue(const V2Request& request, std::string_view rest, Timestamp now,
                        Output* out) {
  if (rest.empty()) {
    if (request.method != "GET") return MethodNotAllowed({"GET"});
    v2::Query query(request);
    bool last_unused = false;
    for (const std::string& e : query.All("embed")) {
      if (e == "lastUnusedOffers") last_unused = true;
    }
    api::JsonWriter w;
    w.StartObject().Key("queue").StartArray();
    for (const QueueEntry& e : scheduler_.Queue(now, /*explain=*/true)) {
      const AppDefinition* app = FindApp(scheduler_.root(), e.app_id);
      if (app == nullptr) continue;
      w.StartObject();
      w.Key("app").Raw(AppJson(*app));
      w.Key("count").Int(e.count);
      w.Key("role").String(app->role.value_or(scheduler_.options().default_role));
      int64_t left = 0;
      if (e.delayed_until.has_value() && *e.delayed_until > now) {
        Duration d = *e.delayed_until - now;
        left = (d.nanoseconds() + 999999999) / 1000000000;
      }
      w.Key("delay").StartObject();
      w.Key("timeLeftSeconds").Int64(left);
      // Marathon's meaning (raml/v2/types/queue.raml): waiting for offers, not backed off.
      w.Key("overdue").Bool(left == 0);
      w.EndObject();
      w.Key("since").String(FormatIso8601(e.since));
      WriteOffersSummary(w, e);
      if (last_unused) WriteLastUnusedOffers(w, e);
      if (e.unplaceable.has_value()) {
        // Atoll: the constraints rule out every agent the scheduler knows, so waiting for
        // offers alone will not place it.
        w.Key("unplaceable").StartObject();
        w.Key("message").String(e.unplaceable->message);
        w.Key("knownAgents").Int(e.unplaceable->known_agents);
        w.EndObject();
      }
      w.EndObject();
    }
    w.EndArray().EndObject();
    return Json(200, w.Finish());
  }
  // /{app id}/delay
  std::string_view id = rest;
  if (!ConsumeSuffix(&id, "/delay") || id.empty()) return Message(404, "URI not found");
  if (request.method != "DELETE") return MethodNotAllowed({"DELETE"});
  std::optional<PathId> app_id = ResolvePath(id);
  if (!app_id.has_value()) return Message(404, "URI not found");
  absl::Status status = scheduler_.ResetDelay(*app_id, now, out);
  if (status.code() == absl::StatusCode::kNotFound) {
    return Message(404, StrCat("Application ", *app_id, " not found in tasks queue."));
  }
  if (!status.ok()) return v2::StatusError(status);
  V2Response r;
  r.status = 204;
  return r;
}

// ---- /v2/info, /v2/leader, /metrics ----

V2Response V2Api::Info() {
  const SchedulerOptions& o = scheduler_.options();
  std::string leader = StrCat(info_.hostname, ":", info_.http_port);
  api::JsonWriter w;
  w.StartObject();
  w.Key("name").String(info_.name);
  w.Key("version").String(info_.version);
  w.Key("buildref").String(info_.atoll_version.empty() ? "unknown" : info_.atoll_version);
  w.Key("elected").Bool(true);
  w.Key("leader").String(leader);
  w.Key("frameworkId");
  if (scheduler_.framework_id().has_value()) {
    w.String(*scheduler_.framework_id());
  } else {
    w.Null();
  }
  if (!info_.atoll_version.empty()) w.Key("atoll_version").String(info_.atoll_version);
  w.Key("marathon_config").StartObject();
  w.Key("checkpoint").Bool(true);
  w.Key("decline_offer_duration").Int64(o.decline_idle.milliseconds());
  w.Key("executor").String("//cmd");
  w.Key("features").StartArray().EndArray();
  w.Key("framework_name").String(info_.framework_name);
  w.Key("ha").Bool(false);
  w.Key("hostname").String(info_.hostname);
  w.Key("kill_retry_timeout").Int64(o.kill_retry.milliseconds());
  w.Key("local_port_max").Int(o.service_port_max);
  w.Key("local_port_min").Int(o.service_port_min);
  w.Key("master").String(info_.master);
  w.Key("max_instances_per_offer").Int(o.match.max_instances_per_offer);
  if (!info_.master.empty()) {
    w.Key("mesos_leader_ui_url").String(StrCat("http://", info_.master, "/"));
  }
  w.Key("mesos_role").String(o.default_role);
  w.Key("reconciliation_interval").Int64(o.reconcile_interval.milliseconds());
  w.Key("task_launch_timeout").Int64(o.task_launch_timeout.milliseconds());
  w.Key("webui_url").String(StrCat("http://", leader));
  w.EndObject();
  w.Key("zookeeper_config").StartObject();
  w.Key("zk_max_versions").Int(o.max_versions);
  w.EndObject();
  w.Key("http_config").StartObject();
  w.Key("http_port").Int(info_.http_port);
  w.EndObject();
  w.EndObject();
  return Json(200, w.Finish());
}

V2Response V2Api::Leader(const V2Request& request) {
  if (request.method == "DELETE") {
    // Marathon abdicates and lets a standby take over; we run without HA, so there is no one
    // to hand over to.
    return Message(400,
                   "Leadership abdication is not supported: this scheduler runs without high "
                   "availability (no standby to take over)");
  }
  api::JsonWriter w;
  w.StartObject().Key("leader").String(StrCat(info_.hostname, ":", info_.http_port)).EndObject();
  return Json(200, w.Finish());
}

V2Response V2Api::Metrics(Timestamp now) {
  int64_t running = 0, staged = 0, killing = 0, unreachable = 0;
  for (const auto& [id, instance] : scheduler_.instances()) {
    if (instance.task_id.empty()) continue;
    switch (instance.task_state) {
      case model::TaskState::kRunning:
        ++running;
        break;
      case model::TaskState::kStaging:
      case model::TaskState::kStarting:
        ++staged;
        break;
      default:
        break;
    }
    if (instance.kill_sent_at.has_value()) ++killing;
    if (instance.unreachable_since.has_value()) ++unreachable;
  }
  int64_t queued = 0, overdue = 0;
  for (const QueueEntry& e : scheduler_.Queue(now)) {
    queued += e.count;
    if (e.overdue) overdue += e.count;
  }
  auto gauge = [](api::JsonWriter& w, std::string_view name, int64_t value) {
    w.Key(name).StartObject().Key("value").Int64(value).EndObject();
  };
  api::JsonWriter w;
  w.StartObject();
  w.Key("version").String("4.0.0");
  w.Key("gauges").StartObject();
  gauge(w, "marathon.apps.active.gauge",
        static_cast<int64_t>(TransitiveApps(scheduler_.root()).size()));
  gauge(w, "marathon.deployments.active.gauge",
        static_cast<int64_t>(scheduler_.deployments().size()));
  gauge(w, "marathon.groups.active.gauge",
        static_cast<int64_t>(TransitiveGroups(scheduler_.root()).size()));
  gauge(w, "marathon.instances.inflight-kills.gauge", killing);
  gauge(w, "marathon.instances.launch-overdue.gauge", overdue);
  gauge(w, "marathon.instances.queued.gauge", queued);
  gauge(w, "marathon.instances.running.gauge", running);
  gauge(w, "marathon.instances.staged.gauge", staged);
  gauge(w, "marathon.instances.unreachable.gauge", unreachable);
  gauge(w, "marathon.mesos.subscribed.gauge", scheduler_.subscribed() ? 1 : 0);
  w.EndObject();
  w.Key("counters").StartObject();
  w.Key("marathon.http.requests.counter").StartObject().Key("count").Int64(requests_).EndObject();
  for (const auto& [cls, count] : responses_by_class_) {
    w.Key(StrCat("marathon.http.responses.", cls, "xx.counter"))
        .StartObject()
        .Key("count")
        .Int64(count)
        .EndObject();
  }
  w.EndObject();
  w.Key("histograms").StartObject().EndObject();
  w.Key("meters").StartObject().EndObject();
  w.Key("timers").StartObject().EndObject();
  w.EndObject();
  return Json(200, w.Finish());
}

}  // namespace atl::marathonlike
