#include "marathonlike/group_json.h"

#include <utility>

#include "core/api/json_internal.h"
#include "core/base/strings.h"
#include "marathonlike/app_json.h"
#include "marathonlike/app_json_internal.h"
#include "marathonlike/app_validation.h"
#include "marathonlike/json_reader.h"
#include "marathonlike/path_id.h"

namespace atl::marathonlike {

using api::JsonNode;
using internal::ChildPath;
using internal::IndexPath;
using internal::JsonReader;

namespace {

std::optional<PathId> ReadPath(JsonReader& r, const JsonNode& n, std::string_view path,
                               const PathId& base) {
  std::string raw;
  if (!r.String(n, path, &raw)) return std::nullopt;
  std::optional<PathId> resolved = ResolvePath(raw, base);
  if (!resolved.has_value()) r.Refuse(path, StrCat("'", raw, "' climbs above the root group"));
  return resolved;
}

// `nested`: a group inside another update's `groups`, which must name itself.
void ReadGroupUpdate(JsonReader& r, const JsonNode& n, std::string_view path, const PathId& base,
                     bool nested, GroupUpdate* out) {
  if (!r.ExpectObject(n, path)) return;
  if (JsonNode id = n.Get("id"); !id.IsUnset()) {
    out->id = ReadPath(r, id, ChildPath(path, "id"), base);
  } else if (nested) {
    r.Invalid(ChildPath(path, "id"), "error.path.missing");
  }
  const PathId group = out->id.value_or(base);

  if (JsonNode apps = n.Get("apps"); !apps.IsUnset()) {
    std::string apps_path = ChildPath(path, "apps");
    out->apps.emplace();
    if (r.ExpectArray(apps, apps_path)) {
      internal::AppReadContext ctx;
      ctx.options.base_group = group;
      ctx.dependencies_relative_to_group = true;
      for (size_t i = 0; i < apps.Size(); ++i) {
        AppDefinition app;
        internal::AppObjectInfo info;
        internal::ReadAppObject(r, apps.At(i), IndexPath(apps_path, i), ctx, &app, &info);
        out->apps->push_back(std::move(app));
      }
    }
  }
  if (JsonNode groups = n.Get("groups"); !groups.IsUnset()) {
    std::string groups_path = ChildPath(path, "groups");
    out->groups.emplace();
    if (r.ExpectArray(groups, groups_path)) {
      for (size_t i = 0; i < groups.Size(); ++i) {
        GroupUpdate child;
        ReadGroupUpdate(r, groups.At(i), IndexPath(groups_path, i), group, /*nested=*/true, &child);
        out->groups->push_back(std::move(child));
      }
    }
  }
  if (JsonNode deps = n.Get("dependencies"); !deps.IsUnset()) {
    std::string deps_path = ChildPath(path, "dependencies");
    out->dependencies.emplace();
    if (r.ExpectArray(deps, deps_path)) {
      for (size_t i = 0; i < deps.Size(); ++i) {
        std::optional<PathId> dep = ReadPath(r, deps.At(i), IndexPath(deps_path, i), group);
        if (dep.has_value()) out->dependencies->push_back(std::move(*dep));
      }
    }
  }
  if (JsonNode version = n.Get("version"); !version.IsUnset()) {
    Timestamp t;
    if (r.Timestamp(version, ChildPath(path, "version"), &t)) out->version = t;
  }
  double scale_by;
  if (r.OptDouble(n, path, "scaleBy", &scale_by)) out->scale_by = scale_by;
  bool enforce_role;
  if (r.OptBool(n, path, "enforceRole", &enforce_role)) out->enforce_role = enforce_role;
}

// A group id or dependency: absolute, valid segments; the root only where `allow_root`.
void AddPathErrors(std::vector<FieldError>* errors, std::string_view path, const PathId& id,
                   bool allow_root) {
  if (allow_root && id == "/") return;
  for (std::string& error : AppIdErrors(id)) {
    // Only apps have reserved last segments ("tasks", "versions", "restart").
    if (!StartsWith(error, "must not end with")) AddFieldError(errors, path, std::move(error));
  }
}

std::string NotChild(const PathId& id, const PathId& group) {
  return StrCat("identifier ", id, " is not child of ", group, ". Hint: use relative paths.");
}

void ValidateGroupUpdateAt(const GroupUpdate& update, const PathId& group, std::string_view path,
                           bool top, std::vector<FieldError>* errors) {
  auto at = [&](std::string_view key) { return ChildPath(path, key); };
  if (update.id.has_value()) AddPathErrors(errors, at("id"), *update.id, /*allow_root=*/top);
  if (update.scale_by.has_value() && !(*update.scale_by >= 0)) {
    AddFieldError(errors, at("scaleBy"), "is less than 0");
  }
  if (update.apps.has_value()) {
    for (size_t i = 0; i < update.apps->size(); ++i) {
      const AppDefinition& app = (*update.apps)[i];
      std::string app_path = IndexPath(at("apps"), i);
      MergeFieldErrors(errors, ValidateApp(app), app_path);
      if (Parent(app.id) != group || app.id == group) {
        AddFieldError(errors, ChildPath(app_path, "id"), NotChild(app.id, group));
      }
    }
  }
  if (update.groups.has_value()) {
    for (size_t i = 0; i < update.groups->size(); ++i) {
      const GroupUpdate& child = (*update.groups)[i];
      std::string child_path = IndexPath(at("groups"), i);
      const PathId child_id = child.id.value_or(group);
      if (Parent(child_id) != group || child_id == group) {
        AddFieldError(errors, ChildPath(child_path, "id"), NotChild(child_id, group));
      }
      ValidateGroupUpdateAt(child, child_id, child_path, /*top=*/false, errors);
    }
  }
  if (update.dependencies.has_value()) {
    for (size_t i = 0; i < update.dependencies->size(); ++i) {
      AddPathErrors(errors, IndexPath(at("dependencies"), i), (*update.dependencies)[i],
                    /*allow_root=*/false);
    }
  }
}

}  // namespace

namespace {

// Parses and reads the document; a 400 comes back as the error, refusals stay in `r`.
std::optional<ApiError> ReadGroupDocument(std::string_view json, const PathId& base_group,
                                          JsonReader& r, GroupUpdate* update) {
  absl::Status status = api::ParseJsonDocument(json, "", [&](const JsonNode& root) {
    ReadGroupUpdate(r, root, "", base_group, /*nested=*/false, update);
    return absl::OkStatus();
  });
  if (!status.ok()) return ApiError::MalformedJson(std::string(status.message()));
  if (r.has_invalid()) return ApiError::InvalidJson(r.invalid());
  return std::nullopt;
}

}  // namespace

ApiOr<GroupUpdate> ParseGroupUpdate(std::string_view json, const PathId& base_group) {
  GroupUpdate update;
  JsonReader r;
  if (std::optional<ApiError> error = ReadGroupDocument(json, base_group, r, &update)) {
    return std::move(*error);
  }
  if (!r.refusals().empty()) return ApiError::InvalidObject(r.refusals());
  return update;
}

std::vector<FieldError> ValidateGroupUpdate(const GroupUpdate& update, const PathId& base_group) {
  std::vector<FieldError> errors;
  ValidateGroupUpdateAt(update, update.id.value_or(base_group), "", /*top=*/true, &errors);
  return errors;
}

ApiOr<GroupUpdate> ParseValidGroupUpdate(std::string_view json, const PathId& base_group) {
  GroupUpdate update;
  JsonReader r;
  if (std::optional<ApiError> error = ReadGroupDocument(json, base_group, r, &update)) {
    return std::move(*error);
  }
  std::vector<FieldError> errors = r.refusals();
  ValidateGroupUpdateAt(update, update.id.value_or(base_group), "", /*top=*/true, &errors);
  if (!errors.empty()) return ApiError::InvalidObject(std::move(errors));
  return update;
}

void WriteGroup(api::JsonWriter& w, const Group& group, const GroupWriteOptions& options) {
  w.StartObject();
  w.Key("id").String(group.id);
  if (options.apps) {
    w.Key("apps").StartArray();
    for (const auto& [id, app] : group.apps) {
      w.StartObject();
      WriteAppFields(w, app);
      if (options.app_extras) options.app_extras(w, app);
      w.EndObject();
    }
    w.EndArray();
  }
  if (options.groups) {
    w.Key("groups").StartArray();
    for (const auto& [id, child] : group.groups) WriteGroup(w, child, options);
    w.EndArray();
  }
  if (options.pods) w.Key("pods").StartArray().EndArray();
  w.Key("dependencies").StartArray();
  for (const PathId& d : group.dependencies) w.String(d);
  w.EndArray();
  w.Key("version").String(FormatIso8601(group.version));
  w.Key("enforceRole").Bool(group.enforce_role);
  w.EndObject();
}

std::string GroupToJson(const Group& group, const GroupWriteOptions& options) {
  api::JsonWriter w;
  WriteGroup(w, group, options);
  return w.Finish();
}

}  // namespace atl::marathonlike
