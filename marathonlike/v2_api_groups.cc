// V2Api: /v2/groups (reference/marathon.md §1.4, raml/v2/groups.raml).
#include <algorithm>
#include <set>
#include <utility>

#include "core/base/strings.h"
#include "marathonlike/app_info.h"
#include "marathonlike/group_json.h"
#include "marathonlike/path_id.h"
#include "marathonlike/root_group.h"
#include "marathonlike/v2_api.h"
#include "marathonlike/v2_api_internal.h"

namespace atl::marathonlike {

using v2::Json;
using v2::Message;
using v2::MethodIn;
using v2::MethodNotAllowed;

namespace {

std::string UnknownGroup(std::string_view id) { return StrCat("Group '", id, "' does not exist"); }

std::optional<PathId> GroupIdOf(std::string_view path) {
  if (path.empty()) return PathId("/");
  return ResolvePath(StrCat("/", path));
}

}  // namespace

V2Response V2Api::Groups(const V2Request& request, std::string_view rest, Timestamp now,
                         Output* out) {
  const std::string_view method = request.method;
  std::string_view s = rest.empty() ? rest : rest.substr(1);
  // .../versions and .../versions/{version}
  std::string_view part = s;
  if (part == "versions" || ConsumeSuffix(&part, "/versions")) {
    if (method != "GET") return MethodNotAllowed({"GET"});
    std::optional<PathId> id = GroupIdOf(part == "versions" ? "" : part);
    if (!id.has_value()) return Message(404, UnknownGroup(part));
    return GroupVersions(*id);
  }
  size_t at = std::string_view::npos;
  std::string_view group_part;
  if (StartsWith(s, "versions/")) {
    at = 0;
    group_part = "";
  } else if (size_t i = s.rfind("/versions/"); i != std::string_view::npos) {
    at = i + 1;
    group_part = s.substr(0, i);
  }
  if (at != std::string_view::npos) {
    std::string_view version = s.substr(at + 9);
    if (!version.empty() && version.find('/') == std::string_view::npos) {
      if (method != "GET") return MethodNotAllowed({"GET"});
      std::optional<PathId> id = GroupIdOf(group_part);
      if (!id.has_value()) return Message(404, UnknownGroup(group_part));
      return GroupVersion(request, *id, version, now);
    }
  }
  if (!MethodIn(method, {"GET", "POST", "PUT", "DELETE"})) {
    return MethodNotAllowed({"GET", "POST", "PUT", "DELETE"});
  }
  std::optional<PathId> id = GroupIdOf(s);
  if (!id.has_value()) return Message(404, UnknownGroup(s));
  if (method == "GET") return GetGroup(request, *id, now);
  if (method == "POST") return WriteGroupUpdate(request, *id, /*create=*/true, now, out);
  if (method == "PUT") return WriteGroupUpdate(request, *id, /*create=*/false, now, out);
  return DeleteGroup(request, *id, now, out);
}

namespace {

// embed=group.groups / group.apps / group.pods (Marathon's default: groups and apps) and the
// AppInfo members of each app (group.apps.counts, ...).
GroupWriteOptions GroupEmbed(const std::vector<std::string>& values, AppInfoEmbed* app_embed) {
  GroupWriteOptions options;
  *app_embed = ParseAppInfoEmbed(values);
  if (!values.empty()) {
    auto has = [&](std::string_view v) {
      return std::find(values.begin(), values.end(), v) != values.end();
    };
    // An app member (group.apps.counts...) implies the apps themselves.
    options.apps = has("group.apps") ||
                   std::any_of(values.begin(), values.end(),
                               [](const std::string& v) { return StartsWith(v, "group.apps."); });
    options.groups = has("group.groups");
    options.pods = has("group.pods");
  }
  return options;
}

}  // namespace

V2Response V2Api::GetGroup(const V2Request& request, const PathId& id, Timestamp now) {
  const Group* group = FindGroup(scheduler_.root(), id);
  if (group == nullptr) return Message(404, UnknownGroup(id));
  AppInfoEmbed app_embed;
  GroupWriteOptions options = GroupEmbed(v2::Query(request).All("embed"), &app_embed);
  if (app_embed != AppInfoEmbed{}) {
    options.app_extras = [this, app_embed, now](api::JsonWriter& w, const AppDefinition& app) {
      WriteAppInfoMembers(w, ExtrasOf(app, app_embed, now), app_embed);
    };
  }
  return Json(200, GroupToJson(*group, options));
}

V2Response V2Api::GroupVersions(const PathId& id) {
  const Group* current = FindGroup(scheduler_.root(), id);
  if (current == nullptr) return Message(404, UnknownGroup(id));
  std::set<Timestamp> versions;
  if (id == "/") {
    versions.insert(scheduler_.root_versions().begin(), scheduler_.root_versions().end());
  } else {
    // The versions of the group itself: the group as it was in each stored root.
    for (Timestamp root_version : scheduler_.root_versions()) {
      std::optional<Group> root = root_version == scheduler_.root().version
                                      ? std::optional<Group>(scheduler_.root())
                                      : versions_.ReadRootVersion(root_version);
      if (!root.has_value()) continue;
      if (const Group* g = FindGroup(*root, id)) versions.insert(g->version);
    }
  }
  versions.insert(current->version);
  api::JsonWriter w;
  w.StartArray();
  for (auto v = versions.rbegin(); v != versions.rend(); ++v) w.String(FormatIso8601(*v));
  w.EndArray();
  return Json(200, w.Finish());
}

V2Response V2Api::GroupVersion(const V2Request& request, const PathId& id, std::string_view version,
                               Timestamp now) {
  std::optional<Timestamp> ts = ParseIso8601(version);
  if (!ts.has_value()) {
    return Message(400, StrCat("Invalid version '", version, "': expected an ISO-8601 time"));
  }
  std::optional<Group> root = *ts == scheduler_.root().version
                                  ? std::optional<Group>(scheduler_.root())
                                  : versions_.ReadRootVersion(*ts);
  const Group* group = root.has_value() ? FindGroup(*root, id) : nullptr;
  if (group == nullptr) return Message(404, StrCat(UnknownGroup(id), " in version ", version));
  AppInfoEmbed app_embed;  // stored versions have no runtime members
  GroupWriteOptions options = GroupEmbed(v2::Query(request).All("embed"), &app_embed);
  (void)now;
  return Json(200, GroupToJson(*group, options));
}

V2Response V2Api::WriteGroupUpdate(const V2Request& request, const PathId& base, bool create,
                                   Timestamp now, Output* out) {
  v2::Query query(request);
  std::optional<V2Response> error;
  bool force = false;
  bool dry_run = false;
  if (!query.Bool("force", false, &force, &error) ||
      !query.Bool("dryRun", false, &dry_run, &error)) {
    return *error;
  }
  ApiOr<GroupUpdate> update = ParseValidGroupUpdate(request.body, base);
  if (!update.ok()) return v2::Error(update.error());
  const PathId id = update->id.value_or(base);
  const Group& root = scheduler_.root();
  if (create && (FindGroup(root, id) != nullptr || FindApp(root, id) != nullptr)) {
    return Message(409, StrCat("Group ", id, " is already created. Use PUT to change this group."));
  }
  absl::StatusOr<Group> target;
  if (!create && update->version.has_value()) {
    std::string version = FormatIso8601(*update->version);
    std::optional<Group> stored_root = *update->version == root.version
                                           ? std::optional<Group>(root)
                                           : versions_.ReadRootVersion(*update->version);
    const Group* stored = stored_root.has_value() ? FindGroup(*stored_root, id) : nullptr;
    if (stored == nullptr) return Message(404, StrCat(UnknownGroup(id), " in version ", version));
    target = RollbackGroup(root, *stored, now);
  } else if (!create && update->scale_by.has_value()) {
    target = ScaleGroup(root, id, *update->scale_by, now);
  } else {
    target = ApplyGroupUpdate(root, id, *update, now);
  }
  if (!target.ok()) return v2::StatusError(target.status());
  if (dry_run) {
    absl::StatusOr<DeploymentPlan> plan = scheduler_.DryRun(*std::move(target), now);
    if (!plan.ok()) return v2::StatusError(plan.status());
    api::JsonWriter w;
    WriteDryRunSteps(w, *plan);
    return Json(200, w.Finish());
  }
  DeployOptions options;
  options.force = force;
  DeployOutcome outcome = Deploy(*std::move(target), options, now, out);
  if (auto* r = std::get_if<V2Response>(&outcome)) return std::move(*r);
  V2Response r = v2::DeploymentResult(std::get<DeploymentPlan>(outcome), create ? 201 : 200);
  if (create) r.headers.emplace_back("Location", StrCat("/v2/groups", id == "/" ? "" : id));
  return r;
}

V2Response V2Api::DeleteGroup(const V2Request& request, const PathId& id, Timestamp now,
                              Output* out) {
  v2::Query query(request);
  std::optional<V2Response> error;
  bool force = false;
  if (!query.Bool("force", false, &force, &error)) return *error;
  absl::StatusOr<Group> target = RemoveGroup(scheduler_.root(), id, now);
  if (!target.ok()) return v2::StatusError(target.status());
  DeployOptions options;
  options.force = force;
  DeployOutcome outcome = Deploy(*std::move(target), options, now, out);
  if (auto* r = std::get_if<V2Response>(&outcome)) return std::move(*r);
  return v2::DeploymentResult(std::get<DeploymentPlan>(outcome));
}

}  // namespace atl::marathonlike
