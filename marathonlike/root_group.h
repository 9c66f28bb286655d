// Operations on the root group "/" (reference/marathon.md §1.4, §2.13, §2.16, §3.1, §6): every
// API write is a pure function (old root, request, now) -> new root, and plan.h diffs the two.
// Nothing here does I/O or reads a clock; `now` becomes the version of whatever changed.
//
// Invariants of every root these functions return (CheckRoot):
//   - every app and sub-group is stored under its parent: the key of a child equals its id and
//     Parent(id) is the id of the group holding it; the root's id is "/";
//   - no app shares its id with a group ("Groups and Applications may not have the same
//     identifier");
//   - the app dependency graph (DependencyGraph) has no cycle.
//
// Versions (marathon.md §2.16). Definitions that come from clients carry no meaningful version
// fields; StampVersions sets them against the previous root:
//   - new app, or IsUpgrade (config change):  version = lastConfigChangeAt = lastScalingAt = now;
//   - only `instances` changed:               version = lastScalingAt = now;
//   - unchanged definition:                   the previous version and versionInfo, untouched;
//   - a group whose subtree (apps, sub-groups, dependencies, enforceRole) changed: version = now.
// RestartApp is the one change that is not a definition change: version = lastConfigChangeAt =
// now. Mutations that change nothing return the root unchanged, versions included.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/time.h"
#include "marathonlike/group.h"
#include "marathonlike/group_json.h"  // GroupUpdate

namespace atl::marathonlike {

// --- Lookups ----------------------------------------------------------------------------------

// The app / group with this absolute id anywhere under `root`, or nullptr. Pointers stay valid
// while `root` is not modified.
const AppDefinition* FindApp(const Group& root, std::string_view id);
const Group* FindGroup(const Group& root, std::string_view id);

// Every app under `group`, at any depth, by id (sorted).
std::map<PathId, const AppDefinition*> TransitiveApps(const Group& group);
std::vector<PathId> TransitiveAppIds(const Group& group);

// `group` and every group under it, by id (sorted).
std::map<PathId, const Group*> TransitiveGroups(const Group& group);

// --- Validity ---------------------------------------------------------------------------------

// The app dependency graph: app id -> ids of the apps it depends on (must be deployed first).
// An app dependency on an app id is one edge; on a group id, one edge to every app under that
// group. A group's dependencies apply to every app under it, towards every app under each
// dependency (a group, or an app). Dependencies on ids that do not exist are ignored. An app
// that depends on a group containing itself has a self edge (a cycle). Every app is a key.
std::map<PathId, std::set<PathId>> DependencyGraph(const Group& root);

// InvalidArgument "dependency cycle: /a -> /b -> /a" naming the first cycle found (in id order,
// deterministic), OK when there is none.
absl::Status CheckNoDependencyCycles(const Group& root);

// Whether any app or group of the tree has dependencies.
bool HasDependencies(const Group& group);

// The invariants above; InvalidArgument naming the first offending id otherwise.
absl::Status CheckRoot(const Group& root);

// --- Change classification (marathon.md §3.1) ------------------------------------------------

// Whether going from `from` to `to` changes what the running tasks are: every field except
// `instances` and the version fields is compared, so labels, upgradeStrategy, backoff,
// killSelection, dependencies, deploymentProgressDeadlineSeconds... all count and trigger a
// rolling restart, like Marathon's `isUpgrade`. A field added to AppDefinition later counts too.
bool IsUpgrade(const AppDefinition& from, const AppDefinition& to);

// `instances` differs and nothing else that needs a restart (not an upgrade, and not a restart:
// Marathon only checks the former, which would turn "restart + scale" into a bare scale).
bool IsOnlyScaleChange(const AppDefinition& from, const AppDefinition& to);

// An upgrade, or a restart (lastConfigChangeAt differs with an equal definition).
bool NeedsRestart(const AppDefinition& from, const AppDefinition& to);

// --- Versions ---------------------------------------------------------------------------------

// `next` with its version fields set against `previous` (nullptr: a new app), per the rules in
// the file comment.
AppDefinition StampApp(const AppDefinition* previous, AppDefinition next, Timestamp now);

// Stamps every app of `target` against `original` (StampApp), then every group.
Group StampVersions(const Group& original, Group target, Timestamp now);

// --- Mutations: each returns the new, stamped root, or an error and changes nothing ----------

// Creates or replaces the app at app.id (absolute), creating missing parent groups. Failures:
// InvalidArgument when app.id is "/" or relative, is a group's id, or a parent is an app's id;
// when the result has a dependency cycle.
absl::StatusOr<Group> PutApp(const Group& root, AppDefinition app, Timestamp now);

// NotFound "App '/x' does not exist". Parent groups stay, even when empty (as in Marathon).
absl::StatusOr<Group> RemoveApp(const Group& root, std::string_view app_id, Timestamp now);

// Removes the group and everything under it. "/" empties the root (apps, groups,
// dependencies) and keeps it. NotFound "Group '/x' does not exist".
absl::StatusOr<Group> RemoveGroup(const Group& root, std::string_view group_id, Timestamp now);

// POST /v2/apps/{id}/restart: the same definition with version = lastConfigChangeAt = now, so
// the plan restarts every instance. NotFound "App '/x' does not exist".
absl::StatusOr<Group> RestartApp(const Group& root, std::string_view app_id, Timestamp now);

// A structural group update (PUT/POST /v2/groups; GroupUpdate is group_json.h's, GroupConversion
// .scala): each of `apps`, `groups`, `dependencies`, `enforce_role` is replace-if-present,
// keep-if-absent, and sub-groups recurse the same way; app entries are full definitions, not
// patches. Applies `update` to the group `group_id` (created with its parents when missing); the
// top-level update's own `id` is ignored (the caller resolved it into `group_id`). Ids may be
// absolute or relative (resolved against their group, an app's dependencies against the app's
// group). Apps absent from a present `apps` list are removed; sub-groups absent from a present
// `groups` list are removed with everything under them; unchanged apps keep their versions.
// The other two modes of PUT /v2/groups go to RollbackGroup (`version`) and ScaleGroup
// (`scale_by`), chosen by the caller in that order of precedence.
// Failures (InvalidArgument): `version` or `scale_by` set at the top ("For a structural update,
// no scale or version should be given."), a nested update without an id, an app or sub-group id
// that is not a direct child of its group ("identifier /app is not child of /group. Hint: use
// relative paths."), an id climbing above "/", a broken invariant of the result (an app with a
// group's id, a cycle).
absl::StatusOr<Group> ApplyGroupUpdate(const Group& root, std::string_view group_id,
                                       const GroupUpdate& update, Timestamp now);

// PUT /v2/groups/{id} {"scaleBy": f}: instances = ceil(instances × f) for every app under the
// group (a pure scale for each app that changes). The product is rounded with a 1e-9 tolerance
// (10 × 0.3 gives 3). NotFound for an unknown group; InvalidArgument unless f is finite and
// >= 0, or when a result exceeds the int range.
absl::StatusOr<Group> ScaleGroup(const Group& root, std::string_view group_id, double scale_by,
                                 Timestamp now);

// PUT /v2/groups/{id} {"version": ts}: replaces the subtree at stored.id (root included) with
// `stored`, the group as it was at that version (the caller loads it). Apps are stamped against
// the current root, so an app whose stored definition equals the current one keeps its current
// version and is not restarted. InvalidArgument when the result breaks an invariant.
absl::StatusOr<Group> RollbackGroup(const Group& root, const Group& stored, Timestamp now);

// --- Building blocks for plan.h (revert) ------------------------------------------------------

// Puts `app` as given (no stamping, no cycle check), creating missing parent groups (version
// `now`); false, changing nothing, when an app stands where a parent group should be or a group
// has the app's id. REQUIRES: app.id absolute and not "/".
bool PutAppRaw(Group* root, const AppDefinition& app, Timestamp now);
// Removes the app if present; returns whether it was.
bool RemoveAppRaw(Group* root, std::string_view app_id);
// The group with this id, created with its parents (version `now`) when missing; nullptr when
// an app stands in the way. REQUIRES: id absolute.
Group* MakeGroup(Group* root, std::string_view id, Timestamp now);
// The mutable group with this id, or nullptr.
Group* FindGroupMutable(Group* root, std::string_view id);
// Sets version = now on every group whose subtree differs from `original`'s (ignoring versions).
void StampGroups(const Group& original, Group* target, Timestamp now);

}  // namespace atl::marathonlike
