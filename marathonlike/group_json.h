// Marathon's group JSON (reference/marathon.md §1.4): reading a GroupUpdate (the body of
// POST/PUT /v2/groups[/{id}]) and writing a Group the way GET /v2/groups returns it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/api/json.h"
#include "marathonlike/api_error.h"
#include "marathonlike/app.h"
#include "marathonlike/group.h"

namespace atl::marathonlike {

// A GroupUpdate as Marathon reads it, ids already absolute. Each list member is
// replace-if-present, keep-if-absent (GroupConversion.scala); which mode the update is in is
// the caller's to decide, by precedence: `version` (roll back), `scale_by`, else structural.
struct GroupUpdate {
  std::optional<PathId> id;  // resolved against the base group; absent when the body has none
  std::optional<std::vector<AppDefinition>> apps;  // full definitions, normalized, not validated
  std::optional<std::vector<GroupUpdate>> groups;  // every nested update has an id
  std::optional<std::vector<PathId>> dependencies;
  std::optional<Timestamp> version;
  std::optional<double> scale_by;
  std::optional<bool> enforce_role;
  bool operator==(const GroupUpdate&) const = default;
};

// Parses a GroupUpdate. `base_group` is the group of the URL ("/" for /v2/groups): the body's
// `id` resolves against it, and the ids, apps and dependencies inside a group resolve against
// that group (Marathon's GroupUpdate.toApp: relative app dependencies too). Nested groups must
// have an `id`. Fails with 400 for malformed JSON and type errors (paths like
// "/groups(0)/apps(1)/cpus"), 422 for what app_json.h refuses in any of its apps.
ApiOr<GroupUpdate> ParseGroupUpdate(std::string_view json, const PathId& base_group = "/");

// Every rule the update breaks, Marathon's 422 details: each app's (ValidateApp, under
// "/apps(i)"), apps and groups that are not direct children of their group ("identifier /x is
// not child of /g. Hint: use relative paths."), group ids and dependencies that are not valid
// paths, a negative scaleBy. Nested groups under "/groups(i)". An update without an id stands
// for `base_group` (the URL's).
std::vector<FieldError> ValidateGroupUpdate(const GroupUpdate& update,
                                            const PathId& base_group = "/");

// ParseGroupUpdate, then ValidateGroupUpdate: one 422 with refusals and rule errors together.
ApiOr<GroupUpdate> ParseValidGroupUpdate(std::string_view json, const PathId& base_group = "/");

// What GET /v2/groups embeds (its `embed=group.apps`, `group.groups`, `group.pods`).
struct GroupWriteOptions {
  bool apps = true;    // "apps": [...] (omitted when false)
  bool groups = true;  // "groups": [...], recursively with the same options (omitted when false)
  bool pods = true;    // "pods": [] (we have no pods)
  // Called inside each app's object after its own fields, to add AppInfo members (counts,
  // tasks, deployments). Optional.
  std::function<void(api::JsonWriter&, const AppDefinition&)> app_extras;
};

// {"id", "apps", "groups", "pods", "dependencies", "version", "enforceRole"}.
void WriteGroup(api::JsonWriter& w, const Group& group, const GroupWriteOptions& options = {});
std::string GroupToJson(const Group& group, const GroupWriteOptions& options = {});

}  // namespace atl::marathonlike
