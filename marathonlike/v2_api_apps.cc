// V2Api: /v2/apps and everything under it (reference/marathon.md §1.2, raml/v2/apps.raml).
#include <algorithm>
#include <utility>

#include "core/base/strings.h"
#include "marathonlike/app_info.h"
#include "marathonlike/app_json.h"
#include "marathonlike/app_validation.h"
#include "marathonlike/path_id.h"
#include "marathonlike/root_group.h"
#include "marathonlike/task_builder.h"
#include "marathonlike/v2_api.h"
#include "marathonlike/v2_api_internal.h"

namespace atl::marathonlike {

using v2::Json;
using v2::Message;
using v2::MethodIn;
using v2::MethodNotAllowed;

namespace {

std::string UnknownApp(std::string_view id) { return StrCat("App '", id, "' does not exist"); }

std::string UnknownAppVersion(std::string_view id, std::string_view version) {
  return StrCat("App '", id, "' does not exist in version ", version);
}

// "prod/web" -> "/prod/web"; nullopt when it climbs above the root.
std::optional<PathId> AppIdOf(std::string_view path) {
  if (path.empty()) return std::nullopt;
  return ResolvePath(StrCat("/", path));
}

// "grp/*" (or "*"): every app under a group. Sets *group to the group id.
bool IsGroupWildcard(std::string_view path, std::optional<PathId>* group) {
  if (path == "*") {
    *group = PathId("/");
    return true;
  }
  std::string_view p = path;
  if (!ConsumeSuffix(&p, "/*")) return false;
  *group = AppIdOf(p);
  return true;
}

}  // namespace

V2Api::DeployOutcome V2Api::PutAndDeploy(const V2Request& request, AppDefinition app, bool force,
                                         Timestamp now, Output* out) {
  const PathId id = app.id;
  absl::StatusOr<Group> target = PutApp(scheduler_.root(), std::move(app), now);
  if (!target.ok()) return v2::StatusError(target.status());
  DeployOptions options;
  options.force = force;
  DeployOutcome outcome = Deploy(*std::move(target), options, now, out);
  if (std::holds_alternative<DeploymentPlan>(outcome)) PublishApiPost(request, id, now, out);
  return outcome;
}

V2Response V2Api::Apps(const V2Request& request, std::string_view rest, Timestamp now,
                       Output* out) {
  const std::string_view method = request.method;
  if (rest.empty()) {
    if (method == "GET") return ListApps(request, now);
    if (method == "POST") return CreateApp(request, now, out);
    if (method == "PUT") return UpdateApps(request, /*patch=*/false, now, out);
    if (method == "PATCH") return UpdateApps(request, /*patch=*/true, now, out);
    return MethodNotAllowed({"GET", "POST", "PUT", "PATCH"});
  }
  std::string_view s = rest.substr(1);
  auto resolve = [&](std::string_view part) { return AppIdOf(part); };
  std::string_view part = s;

  if (ConsumeSuffix(&part, "/restart")) {
    if (method != "POST") return MethodNotAllowed({"POST"});
    std::optional<PathId> id = resolve(part);
    if (!id.has_value()) return Message(404, UnknownApp(part));
    return RestartApp(request, *id, now, out);
  }
  part = s;
  if (ConsumeSuffix(&part, "/tasks")) {
    if (!MethodIn(method, {"GET", "DELETE"})) return MethodNotAllowed({"GET", "DELETE"});
    std::optional<PathId> group;
    if (method == "GET" && IsGroupWildcard(part, &group)) {
      if (!group.has_value() || FindGroup(scheduler_.root(), *group) == nullptr) {
        return Message(404, StrCat("Group '", part.substr(0, part.size() - 1), "' does not exist"));
      }
      api::JsonWriter w;
      w.StartObject().Key("tasks").StartArray();
      for (const auto& [app_id, app] : TransitiveApps(*FindGroup(scheduler_.root(), *group))) {
        for (const Instance* instance : scheduler_.InstancesOf(app_id)) {
          if (!instance->task_id.empty()) WriteTask(w, TaskOf(*instance));
        }
      }
      w.EndArray().EndObject();
      return Json(200, w.Finish());
    }
    std::optional<PathId> id = resolve(part);
    if (!id.has_value()) return Message(404, UnknownApp(part));
    return AppTasks(request, *id, now, out);
  }
  size_t tasks_at = s.rfind("/tasks/");
  if (tasks_at != std::string_view::npos) {
    std::string_view task_id = s.substr(tasks_at + 7);
    if (!task_id.empty() && task_id.find('/') == std::string_view::npos) {
      if (method != "DELETE") return MethodNotAllowed({"DELETE"});
      std::optional<PathId> id = resolve(s.substr(0, tasks_at));
      if (!id.has_value()) return Message(404, UnknownApp(s.substr(0, tasks_at)));
      return AppTask(request, *id, task_id, now, out);
    }
  }
  part = s;
  if (ConsumeSuffix(&part, "/versions")) {
    if (method != "GET") return MethodNotAllowed({"GET"});
    std::optional<PathId> id = resolve(part);
    if (!id.has_value()) return Message(404, UnknownApp(part));
    return AppVersions(*id);
  }
  size_t versions_at = s.rfind("/versions/");
  if (versions_at != std::string_view::npos) {
    std::string_view version = s.substr(versions_at + 10);
    if (!version.empty() && version.find('/') == std::string_view::npos) {
      if (method != "GET") return MethodNotAllowed({"GET"});
      std::optional<PathId> id = resolve(s.substr(0, versions_at));
      if (!id.has_value()) return Message(404, UnknownApp(s.substr(0, versions_at)));
      return AppVersion(*id, version);
    }
  }
  std::optional<PathId> group;
  if (IsGroupWildcard(s, &group)) {
    if (method != "GET") return MethodNotAllowed({"GET"});
    if (!group.has_value()) return Message(404, StrCat("Group '", s, "' does not exist"));
    return GetAppsUnder(request, *group, now);
  }
  std::optional<PathId> id = resolve(s);
  if (!MethodIn(method, {"GET", "PUT", "PATCH", "DELETE"})) {
    return MethodNotAllowed({"GET", "PUT", "PATCH", "DELETE"});
  }
  if (!id.has_value()) return Message(404, UnknownApp(s));
  if (method == "GET") return GetApp(request, *id, now);
  if (method == "PUT") return UpdateApp(request, *id, /*patch=*/false, now, out);
  if (method == "PATCH") return UpdateApp(request, *id, /*patch=*/true, now, out);
  return DeleteApp(request, *id, now, out);
}

// ---- GET ----

V2Response V2Api::ListApps(const V2Request& request, Timestamp now) {
  v2::Query query(request);
  std::optional<std::string> cmd = query.Get("cmd");
  std::optional<std::string> id = query.Get("id");
  std::optional<std::string> label = query.Get("label");
  auto view = [](const std::optional<std::string>& s) -> std::optional<std::string_view> {
    if (!s.has_value()) return std::nullopt;
    return std::string_view(*s);
  };
  absl::StatusOr<AppListFilter> filter = MakeAppListFilter(view(cmd), view(id), view(label));
  if (!filter.ok()) return Message(400, std::string(filter.status().message()));
  AppInfoEmbed embed = ForAppList(ParseAppInfoEmbed(query.All("embed")));
  api::JsonWriter w;
  w.StartObject().Key("apps").StartArray();
  for (const auto& [app_id, app] : TransitiveApps(scheduler_.root())) {
    if (!Matches(*filter, *app)) continue;
    WriteAppInfoCached(w, *app, ExtrasOf(*app, embed, now), embed);
  }
  w.EndArray().EndObject();
  return Json(200, w.Finish());
}

V2Response V2Api::GetApp(const V2Request& request, const PathId& id, Timestamp now) {
  const AppDefinition* app = FindApp(scheduler_.root(), id);
  if (app == nullptr) return Message(404, UnknownApp(id));
  AppInfoEmbed embed = ForSingleApp(ParseAppInfoEmbed(v2::Query(request).All("embed")));
  api::JsonWriter w;
  w.StartObject().Key("app");
  WriteAppInfoCached(w, *app, ExtrasOf(*app, embed, now), embed);
  w.EndObject();
  return Json(200, w.Finish());
}

V2Response V2Api::GetAppsUnder(const V2Request& request, const PathId& group_id, Timestamp now) {
  const Group* group = FindGroup(scheduler_.root(), group_id);
  if (group == nullptr) return Message(404, StrCat("Group '", group_id, "' does not exist"));
  AppInfoEmbed embed = ForSingleApp(ParseAppInfoEmbed(v2::Query(request).All("embed")));
  api::JsonWriter w;
  w.StartObject().Key("*").StartArray();
  for (const auto& [app_id, app] : TransitiveApps(*group)) {
    WriteAppInfoCached(w, *app, ExtrasOf(*app, embed, now), embed);
  }
  w.EndArray().EndObject();
  return Json(200, w.Finish());
}

V2Response V2Api::AppVersions(const PathId& id) {
  const AppDefinition* app = FindApp(scheduler_.root(), id);
  if (app == nullptr) return Message(404, UnknownApp(id));
  std::vector<Timestamp> versions;
  auto it = scheduler_.app_versions().find(id);
  if (it != scheduler_.app_versions().end()) versions = it->second;
  if (std::find(versions.begin(), versions.end(), app->version) == versions.end()) {
    versions.push_back(app->version);
  }
  std::sort(versions.begin(), versions.end());
  api::JsonWriter w;
  w.StartObject().Key("versions").StartArray();
  for (auto v = versions.rbegin(); v != versions.rend(); ++v) w.String(FormatIso8601(*v));
  w.EndArray().EndObject();
  return Json(200, w.Finish());
}

V2Response V2Api::AppVersion(const PathId& id, std::string_view version) {
  const AppDefinition* app = FindApp(scheduler_.root(), id);
  if (app == nullptr) return Message(404, UnknownApp(id));
  std::optional<Timestamp> ts = ParseIso8601(version);
  if (!ts.has_value()) {
    return Message(400, StrCat("Invalid version '", version, "': expected an ISO-8601 time"));
  }
  if (*ts == app->version) return Json(200, AppJson(*app));
  std::optional<AppDefinition> stored = versions_.ReadAppVersion(id, *ts);
  if (!stored.has_value()) return Message(404, UnknownAppVersion(id, version));
  return Json(200, AppJson(*stored));
}

// ---- writes ----

V2Response V2Api::CreateApp(const V2Request& request, Timestamp now, Output* out) {
  v2::Query query(request);
  std::optional<V2Response> error;
  bool force = false;
  if (!query.Bool("force", false, &force, &error)) return *error;
  ApiOr<AppDefinition> app = ParseValidApp(request.body);
  if (!app.ok()) return v2::Error(app.error());
  const PathId id = app->id;
  if (FindApp(scheduler_.root(), id) != nullptr) {
    return Message(409, StrCat("An app with id [", id, "] already exists."));
  }
  DeployOutcome outcome = PutAndDeploy(request, *std::move(app), force, now, out);
  if (auto* r = std::get_if<V2Response>(&outcome)) return std::move(*r);
  const DeploymentPlan& plan = std::get<DeploymentPlan>(outcome);
  const AppDefinition* stored = FindApp(scheduler_.root(), id);
  // Marathon answers with the app as stored, zero counts, the deployment and no tasks.
  AppInfoEmbed embed;
  embed.counts = embed.deployments = embed.tasks = true;
  AppInfoExtras extras;
  extras.deployments = {plan.id};
  api::JsonWriter w;
  if (stored != nullptr) {
    WriteAppInfoCached(w, *stored, extras, embed);
  } else {
    w.StartObject().EndObject();
  }
  V2Response r = Json(201, w.Finish());
  r.headers.emplace_back("Location", StrCat("/v2/apps", id));
  r.headers.emplace_back(v2::kDeploymentHeader, plan.id);
  return r;
}

namespace {

// The first reading of a PUT/PATCH body: its id (the URL's when given) and its fields.
ApiOr<AppPatch> ReadPatch(std::string_view body, const PathId* url_id) {
  AppReadOptions options;
  if (url_id != nullptr) options.app_id = *url_id;
  ApiOr<AppPatch> parsed = ParseAppPatch(body, options);
  if (parsed.ok() && parsed->fields.id.empty()) {
    return ApiError::InvalidJson({FieldError{"/id", {"error.path.missing"}}});
  }
  return parsed;
}

// The definition a PUT/PATCH body (already read into `parsed`) asks for, against `existing`
// (nullptr: the app is new): a stored version (rollback), a full definition, or the patch
// applied. `error` is set on failure; field-error paths get `error_prefix`.
std::optional<AppDefinition> UpdatedDefinition(std::string_view body, const AppPatch& parsed,
                                               const AppDefinition* existing, bool patch,
                                               bool partial, VersionReader& versions,
                                               std::string_view error_prefix,
                                               std::optional<V2Response>* error) {
  auto fail = [&](const ApiError& e) {
    *error = v2::Error(error_prefix.empty() ? e : v2::PrefixError(e, error_prefix));
    return std::nullopt;
  };
  const PathId& id = parsed.fields.id;
  if (patch && existing == nullptr) {
    *error = Message(404, UnknownApp(id));
    return std::nullopt;
  }
  if (parsed.version.has_value()) {  // rollback to a stored version
    if (existing != nullptr && existing->version == *parsed.version) return *existing;
    std::optional<AppDefinition> stored = versions.ReadAppVersion(id, *parsed.version);
    if (!stored.has_value()) {
      *error = Message(404, UnknownAppVersion(id, FormatIso8601(*parsed.version)));
      return std::nullopt;
    }
    return stored;
  }
  if (!patch && (!partial || existing == nullptr)) {
    AppReadOptions options;
    options.app_id = id;
    ApiOr<AppDefinition> full = ParseValidApp(body, options);
    if (!full.ok()) return fail(full.error());
    return *std::move(full);
  }
  AppDefinition next = parsed.ApplyTo(*existing);
  std::vector<FieldError> problems = ValidateApp(next);
  if (!problems.empty()) return fail(ApiError::InvalidObject(std::move(problems)));
  return next;
}

}  // namespace

V2Response V2Api::UpdateApp(const V2Request& request, const PathId& id, bool patch, Timestamp now,
                            Output* out) {
  v2::Query query(request);
  std::optional<V2Response> error;
  bool force = false;
  bool partial = true;
  if (!query.Bool("force", false, &force, &error) ||
      !query.Bool("partialUpdate", true, &partial, &error)) {
    return *error;
  }
  const AppDefinition* existing = FindApp(scheduler_.root(), id);
  const bool created = existing == nullptr;
  ApiOr<AppPatch> parsed = ReadPatch(request.body, &id);
  if (!parsed.ok()) return v2::Error(parsed.error());
  std::optional<AppDefinition> next =
      UpdatedDefinition(request.body, *parsed, existing, patch, partial, versions_, "", &error);
  if (!next.has_value()) return *error;
  DeployOutcome outcome = PutAndDeploy(request, *std::move(next), force, now, out);
  if (auto* r = std::get_if<V2Response>(&outcome)) return std::move(*r);
  const DeploymentPlan& plan = std::get<DeploymentPlan>(outcome);
  V2Response r = v2::DeploymentResult(plan, created ? 201 : 200);
  if (created) r.headers.emplace_back("Location", StrCat("/v2/apps", id));
  return r;
}

V2Response V2Api::UpdateApps(const V2Request& request, bool patch, Timestamp now, Output* out) {
  v2::Query query(request);
  std::optional<V2Response> error;
  bool force = false;
  bool partial = true;
  if (!query.Bool("force", false, &force, &error) ||
      !query.Bool("partialUpdate", true, &partial, &error)) {
    return *error;
  }
  ApiOr<std::vector<std::string>> elements = v2::SplitJsonArray(request.body);
  if (!elements.ok()) return v2::Error(elements.error());
  // One deployment for all of them: each element is applied to the root the previous ones
  // made.
  Group target = scheduler_.root();
  std::vector<PathId> ids;
  for (size_t i = 0; i < elements->size(); ++i) {
    std::string prefix = StrCat("/(", i, ")");
    ApiOr<AppPatch> parsed = ReadPatch((*elements)[i], nullptr);
    if (!parsed.ok()) return v2::Error(v2::PrefixError(parsed.error(), prefix));
    const AppDefinition* existing = FindApp(target, parsed->fields.id);
    std::optional<AppDefinition> next = UpdatedDefinition((*elements)[i], *parsed, existing, patch,
                                                          partial, versions_, prefix, &error);
    if (!next.has_value()) return *error;
    ids.push_back(next->id);
    absl::StatusOr<Group> updated = PutApp(target, *std::move(next), now);
    if (!updated.ok()) return v2::StatusError(updated.status());
    target = *std::move(updated);
  }
  DeployOptions options;
  options.force = force;
  DeployOutcome outcome = Deploy(std::move(target), options, now, out);
  if (auto* r = std::get_if<V2Response>(&outcome)) return std::move(*r);
  for (const PathId& id : ids) PublishApiPost(request, id, now, out);
  return v2::DeploymentResult(std::get<DeploymentPlan>(outcome));
}

V2Response V2Api::DeleteApp(const V2Request& request, const PathId& id, Timestamp now,
                            Output* out) {
  v2::Query query(request);
  std::optional<V2Response> error;
  bool force = true;  // Marathon's default for DELETE /v2/apps/{id}
  if (!query.Bool("force", true, &force, &error)) return *error;
  absl::StatusOr<Group> target = RemoveApp(scheduler_.root(), id, now);
  if (!target.ok()) return v2::StatusError(target.status());
  DeployOptions options;
  options.force = force;
  DeployOutcome outcome = Deploy(*std::move(target), options, now, out);
  if (auto* r = std::get_if<V2Response>(&outcome)) return std::move(*r);
  return v2::DeploymentResult(std::get<DeploymentPlan>(outcome));
}

V2Response V2Api::RestartApp(const V2Request& request, const PathId& id, Timestamp now,
                             Output* out) {
  v2::Query query(request);
  std::optional<V2Response> error;
  bool force = false;
  if (!query.Bool("force", false, &force, &error)) return *error;
  absl::StatusOr<Group> target = marathonlike::RestartApp(scheduler_.root(), id, now);
  if (!target.ok()) return v2::StatusError(target.status());
  DeployOptions options;
  options.force = force;
  DeployOutcome outcome = Deploy(*std::move(target), options, now, out);
  if (auto* r = std::get_if<V2Response>(&outcome)) return std::move(*r);
  return v2::DeploymentResult(std::get<DeploymentPlan>(outcome));
}

// ---- tasks ----

V2Response V2Api::AppTasks(const V2Request& request, const PathId& id, Timestamp now, Output* out) {
  if (FindApp(scheduler_.root(), id) == nullptr) return Message(404, UnknownApp(id));
  std::vector<const Instance*> instances = scheduler_.InstancesOf(id);
  if (request.method == "GET") {
    if (v2::WantsText(request)) {
      V2Response r;
      r.content_type = "text/plain; charset=utf-8";
      r.body = EndpointsText({FindApp(scheduler_.root(), id)});
      return r;
    }
    api::JsonWriter w;
    w.StartObject().Key("tasks").StartArray();
    for (const Instance* instance : instances) {
      if (!instance->task_id.empty()) WriteTask(w, TaskOf(*instance));
    }
    w.EndArray().EndObject();
    return Json(200, w.Finish());
  }
  std::optional<std::string> host = v2::Query(request).Get("host");
  std::vector<InstanceId> to_kill;
  for (const Instance* instance : instances) {
    if (instance->task_id.empty() || instance->goal != Goal::kRunning) continue;
    if (host.has_value() && !host->empty() && *host != "*" && instance->hostname != *host) {
      continue;
    }
    to_kill.push_back(instance->id);
  }
  return KillAndAnswer(request, to_kill, /*single=*/false, now, out);
}

V2Response V2Api::AppTask(const V2Request& request, const PathId& id, std::string_view task_id,
                          Timestamp now, Output* out) {
  if (FindApp(scheduler_.root(), id) == nullptr) return Message(404, UnknownApp(id));
  const Instance* instance = scheduler_.FindByTaskId(task_id);
  if (instance == nullptr || instance->app_id != id) {
    return Message(404, StrCat("Task '", task_id, "' does not exist"));
  }
  return KillAndAnswer(request, {instance->id}, /*single=*/true, now, out);
}

}  // namespace atl::marathonlike
