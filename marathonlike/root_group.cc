#include "marathonlike/root_group.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <utility>

#include "core/base/status.h"
#include "core/base/strings.h"
#include "marathonlike/path_id.h"

namespace atl::marathonlike {

namespace {

absl::Status SameIdError(std::string_view id) {
  return absl::InvalidArgumentError(
      StrCat("Groups and Applications may not have the same identifier: ", id));
}

absl::Status NotChildError(std::string_view id, std::string_view group) {
  return absl::InvalidArgumentError(
      StrCat("identifier ", id, " is not child of ", group, ". Hint: use relative paths."));
}

void CollectApps(const Group& g, std::map<PathId, const AppDefinition*>* out) {
  for (const auto& [id, app] : g.apps) out->emplace(id, &*app);
  for (const auto& [id, sub] : g.groups) CollectApps(sub, out);
}

void CollectGroups(const Group& g, std::map<PathId, const Group*>* out) {
  out->emplace(g.id, &g);
  for (const auto& [id, sub] : g.groups) CollectGroups(sub, out);
}

std::vector<PathId> SortedUnique(std::vector<PathId> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// Stamps every app of `g` (recursively) against the same id in `original`.
void StampApps(const Group& original, Group* g, Timestamp now) {
  for (auto& [id, app] : g->apps) {
    const AppDefinition* previous = FindApp(original, id);
    // The very definition of the original tree: unchanged, nothing to stamp (the common case:
    // a write touches a few apps of many).
    if (previous != nullptr && previous == &*app) continue;
    app = StampApp(previous, *app, now);
  }
  for (auto& [id, sub] : g->groups) StampApps(original, &sub, now);
}

// Returns whether the subtree changed (ignoring group versions); stamps as it goes.
bool StampGroup(const Group* original, Group* g, Timestamp now) {
  bool changed = original == nullptr || g->apps != original->apps ||
                 g->dependencies != original->dependencies ||
                 g->enforce_role != original->enforce_role ||
                 g->groups.size() != original->groups.size();
  for (auto& [id, sub] : g->groups) {
    const Group* before = nullptr;
    if (original != nullptr) {
      auto it = original->groups.find(id);
      if (it != original->groups.end()) before = &it->second;
    }
    if (before == nullptr) changed = true;
    if (StampGroup(before, &sub, now)) changed = true;
  }
  g->version = changed ? now : original->version;
  return changed;
}

absl::StatusOr<PathId> Resolve(std::string_view id, const PathId& base) {
  std::optional<PathId> resolved = ResolvePath(id, base);
  if (!resolved.has_value()) {
    return absl::InvalidArgumentError(
        StrCat("identifier ", id, " relative to ", base, " climbs above the root group"));
  }
  return *resolved;
}

absl::StatusOr<std::vector<PathId>> ResolveAll(const std::vector<PathId>& ids, const PathId& base) {
  std::vector<PathId> out;
  out.reserve(ids.size());
  for (const PathId& id : ids) {
    ASSIGN_OR_RETURN(PathId resolved, Resolve(id, base));
    out.push_back(std::move(resolved));
  }
  return out;
}

// Resolves `id` against `group` and checks that it names a direct child of it.
absl::StatusOr<PathId> ResolveChild(std::string_view id, const PathId& group) {
  ASSIGN_OR_RETURN(PathId resolved, Resolve(id, group));
  if (resolved == group || Parent(resolved) != group) return NotChildError(resolved, group);
  return resolved;
}

absl::Status ApplyUpdateTo(Group* g, const GroupUpdate& u, Timestamp now) {
  if (u.apps.has_value()) {
    std::map<PathId, AppRef> apps;
    for (AppDefinition app : *u.apps) {
      ASSIGN_OR_RETURN(app.id, ResolveChild(app.id, g->id));
      ASSIGN_OR_RETURN(app.dependencies, ResolveAll(app.dependencies, g->id));
      PathId id = app.id;
      if (!apps.emplace(id, std::move(app)).second) {
        return absl::InvalidArgumentError(StrCat("app ", id, " is given twice"));
      }
    }
    g->apps = std::move(apps);
  }
  if (u.dependencies.has_value()) {
    ASSIGN_OR_RETURN(g->dependencies, ResolveAll(*u.dependencies, g->id));
  }
  if (u.enforce_role.has_value()) g->enforce_role = *u.enforce_role;
  if (u.groups.has_value()) {
    std::map<PathId, Group> groups;
    for (const GroupUpdate& sub : *u.groups) {
      if (!sub.id.has_value()) {
        return absl::InvalidArgumentError(StrCat("a sub-group update of ", g->id, " has no id"));
      }
      ASSIGN_OR_RETURN(PathId id, ResolveChild(*sub.id, g->id));
      if (groups.contains(id)) {
        return absl::InvalidArgumentError(StrCat("group ", id, " is given twice"));
      }
      Group child;
      auto it = g->groups.find(id);
      if (it != g->groups.end()) {
        child = std::move(it->second);
      } else {
        child.id = id;
        child.version = now;
      }
      RETURN_IF_ERROR(ApplyUpdateTo(&child, sub, now));
      groups.emplace(id, std::move(child));
    }
    g->groups = std::move(groups);
  }
  return absl::OkStatus();
}

absl::Status CheckGroup(const Group& g) {
  for (const auto& [key, app] : g.apps) {
    if (key != app->id || app->id == "/" || Parent(app->id) != g.id) {
      return absl::InvalidArgumentError(
          StrCat("app ", app->id, " is stored as '", key, "' in group ", g.id));
    }
    if (g.groups.contains(key)) return SameIdError(key);
  }
  for (const auto& [key, sub] : g.groups) {
    if (key != sub.id || sub.id == "/" || Parent(sub.id) != g.id) {
      return absl::InvalidArgumentError(
          StrCat("group ", sub.id, " is stored as '", key, "' in group ", g.id));
    }
    RETURN_IF_ERROR(CheckGroup(sub));
  }
  return absl::OkStatus();
}

// ceil(n × f) with a 1e-9 tolerance for representation error; nullopt past the int range.
std::optional<int> ScaledInstances(int n, double f) {
  double v = std::ceil(static_cast<double>(n) * f - 1e-9);
  if (v <= 0) return 0;
  if (v > static_cast<double>(std::numeric_limits<int>::max())) return std::nullopt;
  return static_cast<int>(v);
}

void ScaleApps(Group* g, double f, bool* overflow) {
  for (auto& [id, app] : g->apps) {
    std::optional<int> n = ScaledInstances(app->instances, f);
    if (!n.has_value()) {
      *overflow = true;
      return;
    }
    if (app->instances != *n) app.Mutable().instances = *n;
  }
  for (auto& [id, sub] : g->groups) ScaleApps(&sub, f, overflow);
}

// Stamps `out` against `root` and checks it.
absl::StatusOr<Group> Finish(const Group& root, Group out, Timestamp now) {
  StampApps(root, &out, now);
  StampGroups(root, &out, now);
  RETURN_IF_ERROR(CheckRoot(out));
  return out;
}

}  // namespace

// --- Lookups ----------------------------------------------------------------------------------

Group* FindGroupMutable(Group* root, std::string_view id) {
  Group* g = root;
  std::string path;
  for (std::string_view segment : Segments(id)) {
    StrAppend(&path, "/", segment);
    auto it = g->groups.find(path);
    if (it == g->groups.end()) return nullptr;
    g = &it->second;
  }
  return g;
}

const Group* FindGroup(const Group& root, std::string_view id) {
  return FindGroupMutable(const_cast<Group*>(&root), id);
}

const AppDefinition* FindApp(const Group& root, std::string_view id) {
  if (id.empty() || id == "/") return nullptr;
  const Group* parent = FindGroup(root, Parent(id));
  if (parent == nullptr) return nullptr;
  auto it = parent->apps.find(PathId(id));
  return it == parent->apps.end() ? nullptr : &*it->second;
}

std::map<PathId, const AppDefinition*> TransitiveApps(const Group& group) {
  std::map<PathId, const AppDefinition*> out;
  CollectApps(group, &out);
  return out;
}

std::vector<PathId> TransitiveAppIds(const Group& group) {
  std::vector<PathId> out;
  for (const auto& [id, app] : TransitiveApps(group)) out.push_back(id);
  return out;
}

std::map<PathId, const Group*> TransitiveGroups(const Group& group) {
  std::map<PathId, const Group*> out;
  CollectGroups(group, &out);
  return out;
}

// --- Validity ---------------------------------------------------------------------------------

std::map<PathId, std::set<PathId>> DependencyGraph(const Group& root) {
  std::map<PathId, const AppDefinition*> apps = TransitiveApps(root);
  std::map<PathId, const Group*> groups = TransitiveGroups(root);
  auto targets = [&](const PathId& dep) -> std::vector<PathId> {
    if (apps.contains(dep)) return {dep};
    auto it = groups.find(dep);
    if (it != groups.end()) return TransitiveAppIds(*it->second);
    return {};
  };
  std::map<PathId, std::set<PathId>> graph;
  for (const auto& [id, app] : apps) {
    std::set<PathId>& edges = graph[id];
    for (const PathId& dep : app->dependencies) {
      for (PathId& t : targets(dep)) edges.insert(std::move(t));
    }
  }
  for (const auto& [gid, group] : groups) {
    if (group->dependencies.empty()) continue;
    std::vector<PathId> members = TransitiveAppIds(*group);
    for (const PathId& dep : group->dependencies) {
      std::vector<PathId> ts = targets(dep);
      for (const PathId& member : members) graph[member].insert(ts.begin(), ts.end());
    }
  }
  return graph;
}

bool HasDependencies(const Group& group) {
  if (!group.dependencies.empty()) return true;
  for (const auto& [id, app] : group.apps) {
    if (!app->dependencies.empty()) return true;
  }
  for (const auto& [id, child] : group.groups) {
    if (HasDependencies(child)) return true;
  }
  return false;
}

absl::Status CheckNoDependencyCycles(const Group& root) {
  if (!HasDependencies(root)) return absl::OkStatus();  // the common case, without the graph
  std::map<PathId, std::set<PathId>> graph = DependencyGraph(root);
  enum Color { kWhite, kGray, kBlack };
  std::map<PathId, Color> color;
  std::vector<PathId> stack;
  std::vector<PathId> cycle;

  // Depth is bounded by the number of apps; dependency chains are short in practice.
  std::function<bool(const PathId&)> visit = [&](const PathId& v) -> bool {
    color[v] = kGray;
    stack.push_back(v);
    for (const PathId& w : graph[v]) {
      Color c = color[w];
      if (c == kGray) {
        auto from = std::find(stack.begin(), stack.end(), w);
        cycle.assign(from, stack.end());
        cycle.push_back(w);
        return true;
      }
      if (c == kWhite && visit(w)) return true;
    }
    stack.pop_back();
    color[v] = kBlack;
    return false;
  };
  for (const auto& [v, edges] : graph) {
    if (color[v] == kWhite && visit(v)) {
      return absl::InvalidArgumentError(StrCat("dependency cycle: ", Join(cycle, " -> ")));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRoot(const Group& root) {
  if (root.id != "/") {
    return absl::InvalidArgumentError(StrCat("the root group's id must be /, got ", root.id));
  }
  RETURN_IF_ERROR(CheckGroup(root));
  return CheckNoDependencyCycles(root);
}

// --- Change classification ----------------------------------------------------------------

bool IsUpgrade(const AppDefinition& from, const AppDefinition& to) {
  AppDefinition a = from;
  AppDefinition b = to;
  a.instances = b.instances;
  a.version = b.version;
  a.version_info = b.version_info;
  // Dependencies are a set in Marathon: order and repetition do not matter.
  a.dependencies = SortedUnique(std::move(a.dependencies));
  b.dependencies = SortedUnique(std::move(b.dependencies));
  return !(a == b);
}

bool IsOnlyScaleChange(const AppDefinition& from, const AppDefinition& to) {
  return !NeedsRestart(from, to) && from.instances != to.instances;
}

bool NeedsRestart(const AppDefinition& from, const AppDefinition& to) {
  return IsUpgrade(from, to) ||
         from.version_info.last_config_change_at != to.version_info.last_config_change_at;
}

// --- Versions -----------------------------------------------------------------------------

AppDefinition StampApp(const AppDefinition* previous, AppDefinition next, Timestamp now) {
  if (previous == nullptr || IsUpgrade(*previous, next)) {
    next.version = now;
    next.version_info = {now, now};
  } else if (previous->instances != next.instances) {
    next.version = now;
    next.version_info = {now, previous->version_info.last_config_change_at};
  } else {
    next.version = previous->version;
    next.version_info = previous->version_info;
  }
  return next;
}

void StampGroups(const Group& original, Group* target, Timestamp now) {
  StampGroup(&original, target, now);
}

Group StampVersions(const Group& original, Group target, Timestamp now) {
  StampApps(original, &target, now);
  StampGroups(original, &target, now);
  return target;
}

// --- Building blocks ----------------------------------------------------------------------

Group* MakeGroup(Group* root, std::string_view id, Timestamp now) {
  Group* g = root;
  std::string path;
  for (std::string_view segment : Segments(id)) {
    StrAppend(&path, "/", segment);
    if (g->apps.contains(path)) return nullptr;
    auto [it, inserted] = g->groups.try_emplace(path);
    if (inserted) {
      it->second.id = path;
      it->second.version = now;
    }
    g = &it->second;
  }
  return g;
}

bool PutAppRaw(Group* root, const AppDefinition& app, Timestamp now) {
  Group* parent = MakeGroup(root, Parent(app.id), now);
  if (parent == nullptr || parent->groups.contains(app.id)) return false;
  parent->apps[app.id] = app;
  return true;
}

bool RemoveAppRaw(Group* root, std::string_view app_id) {
  Group* parent = FindGroupMutable(root, Parent(app_id));
  return parent != nullptr && parent->apps.erase(PathId(app_id)) > 0;
}

// --- Mutations ----------------------------------------------------------------------------

absl::StatusOr<Group> PutApp(const Group& root, AppDefinition app, Timestamp now) {
  if (app.id.empty() || app.id.front() != '/' || app.id == "/") {
    return absl::InvalidArgumentError(
        StrCat("an app id must be an absolute path other than /, got '", app.id, "'"));
  }
  if (FindGroup(root, app.id) != nullptr) return SameIdError(app.id);
  const PathId parent = Parent(app.id);  // Segments() views into it
  std::string path;
  for (std::string_view segment : Segments(parent)) {
    StrAppend(&path, "/", segment);
    if (FindApp(root, path) != nullptr) return SameIdError(path);
  }
  Group out = root;
  const AppDefinition* previous = FindApp(root, app.id);
  AppDefinition stamped = StampApp(previous, std::move(app), now);
  if (!PutAppRaw(&out, stamped, now)) return SameIdError(stamped.id);
  StampGroups(root, &out, now);
  RETURN_IF_ERROR(CheckRoot(out));
  return out;
}

absl::StatusOr<Group> RemoveApp(const Group& root, std::string_view app_id, Timestamp now) {
  Group out = root;
  if (!RemoveAppRaw(&out, app_id)) {
    return absl::NotFoundError(StrCat("App '", app_id, "' does not exist"));
  }
  StampGroups(root, &out, now);
  return out;
}

absl::StatusOr<Group> RemoveGroup(const Group& root, std::string_view group_id, Timestamp now) {
  Group out = root;
  if (group_id == "/") {
    out.apps.clear();
    out.groups.clear();
    out.dependencies.clear();
  } else {
    Group* parent = FindGroupMutable(&out, Parent(group_id));
    if (parent == nullptr || parent->groups.erase(PathId(group_id)) == 0) {
      return absl::NotFoundError(StrCat("Group '", group_id, "' does not exist"));
    }
  }
  StampGroups(root, &out, now);
  return out;
}

absl::StatusOr<Group> RestartApp(const Group& root, std::string_view app_id, Timestamp now) {
  Group out = root;
  AppDefinition* app = nullptr;
  if (Group* parent = FindGroupMutable(&out, Parent(app_id)); parent != nullptr) {
    auto it = parent->apps.find(PathId(app_id));
    if (it != parent->apps.end()) app = &it->second.Mutable();
  }
  if (app == nullptr || app_id == "/") {
    return absl::NotFoundError(StrCat("App '", app_id, "' does not exist"));
  }
  app->version = now;
  app->version_info.last_config_change_at = now;
  StampGroups(root, &out, now);
  return out;
}

absl::StatusOr<Group> ApplyGroupUpdate(const Group& root, std::string_view group_id,
                                       const GroupUpdate& update, Timestamp now) {
  if (update.scale_by.has_value() || update.version.has_value()) {
    return absl::InvalidArgumentError(
        "For a structural update, no scale or version should be given.");
  }
  ASSIGN_OR_RETURN(PathId gid, Resolve(group_id, "/"));
  std::string path;
  for (std::string_view segment : Segments(gid)) {
    StrAppend(&path, "/", segment);
    if (FindApp(root, path) != nullptr) return SameIdError(path);
  }
  Group out = root;
  Group* g = MakeGroup(&out, gid, now);
  if (g == nullptr) return SameIdError(gid);  // unreachable after the loop above
  RETURN_IF_ERROR(ApplyUpdateTo(g, update, now));
  return Finish(root, std::move(out), now);
}

absl::StatusOr<Group> ScaleGroup(const Group& root, std::string_view group_id, double scale_by,
                                 Timestamp now) {
  if (!std::isfinite(scale_by) || scale_by < 0) {
    return absl::InvalidArgumentError(
        StrCat("scaleBy: must be a finite number >= 0, got ", scale_by));
  }
  Group out = root;
  Group* g = FindGroupMutable(&out, group_id);
  if (g == nullptr) return absl::NotFoundError(StrCat("Group '", group_id, "' does not exist"));
  bool overflow = false;
  ScaleApps(g, scale_by, &overflow);
  if (overflow) {
    return absl::InvalidArgumentError(
        StrCat("scaleBy: ", scale_by, " takes an app of ", group_id, " past the int range"));
  }
  return Finish(root, std::move(out), now);
}

absl::StatusOr<Group> RollbackGroup(const Group& root, const Group& stored, Timestamp now) {
  if (stored.id.empty() || stored.id.front() != '/') {
    return absl::InvalidArgumentError(
        StrCat("a group id must be an absolute path, got '", stored.id, "'"));
  }
  if (stored.id == "/") return Finish(root, stored, now);
  std::string path;
  for (std::string_view segment : Segments(stored.id)) {
    StrAppend(&path, "/", segment);
    if (FindApp(root, path) != nullptr) return SameIdError(path);
  }
  Group out = root;
  Group* parent = MakeGroup(&out, Parent(stored.id), now);
  if (parent == nullptr) return SameIdError(Parent(stored.id));  // unreachable after the loop
  parent->groups[stored.id] = stored;
  return Finish(root, std::move(out), now);
}

}  // namespace atl::marathonlike
