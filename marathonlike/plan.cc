#include "marathonlike/plan.h"

#include <algorithm>
#include <functional>
#include <set>
#include <utility>

#include "marathonlike/path_id.h"
#include "marathonlike/root_group.h"

namespace atl::marathonlike {

namespace {

// Length (in apps) of the longest dependency chain starting at each app. A back edge (only
// possible with a cycle, which validation rejects) does not extend a chain, so this terminates.
std::map<PathId, int> LongestChains(const std::map<PathId, std::set<PathId>>& graph) {
  std::map<PathId, int> length;
  std::set<PathId> on_path;
  std::function<int(const PathId&)> visit = [&](const PathId& v) -> int {
    auto known = length.find(v);
    if (known != length.end()) return known->second;
    on_path.insert(v);
    int best = 0;
    auto edges = graph.find(v);
    if (edges != graph.end()) {
      for (const PathId& w : edges->second) {
        if (on_path.contains(w)) continue;
        best = std::max(best, visit(w));
      }
    }
    on_path.erase(v);
    length[v] = best + 1;
    return best + 1;
  };
  for (const auto& [v, edges] : graph) visit(v);
  return length;
}

void WriteAction(api::JsonWriter& w, const Action& a) {
  w.Key("action").String(ActionName(a.type));
  w.Key("app").String(a.app_id);
}

void WriteSteps(api::JsonWriter& w, const DeploymentPlan& plan) {
  w.StartArray();
  for (const Step& step : plan.steps) {
    w.StartObject().Key("actions").StartArray();
    for (const Action& a : step.actions) {
      w.StartObject();
      WriteAction(w, a);
      w.EndObject();
    }
    w.EndArray().EndObject();
  }
  w.EndArray();
}

// `deps` plus every element of `add` it lacks, minus every element of `remove`; order kept.
std::vector<PathId> EditDependencies(std::vector<PathId> deps, const std::vector<PathId>& add,
                                     const std::vector<PathId>& remove) {
  for (const PathId& d : add) {
    if (std::find(deps.begin(), deps.end(), d) == deps.end()) deps.push_back(d);
  }
  std::erase_if(deps, [&](const PathId& d) {
    return std::find(remove.begin(), remove.end(), d) != remove.end();
  });
  return deps;
}

// Elements of `a` not in `b`.
std::vector<PathId> Minus(const std::vector<PathId>& a, const std::vector<PathId>& b) {
  std::vector<PathId> out;
  for (const PathId& x : a) {
    if (std::find(b.begin(), b.end(), x) == b.end()) out.push_back(x);
  }
  return out;
}

}  // namespace

const char* ActionName(ActionType type) {
  switch (type) {
    case ActionType::kStart:
      return "StartApplication";
    case ActionType::kStop:
      return "StopApplication";
    case ActionType::kScale:
      return "ScaleApplication";
    case ActionType::kRestart:
      return "RestartApplication";
  }
  return "ScaleApplication";
}

DeploymentPlan BuildPlan(std::string id, const Group& original, const Group& target,
                         Timestamp version,
                         const std::map<PathId, std::vector<InstanceId>>& to_kill) {
  DeploymentPlan plan;
  plan.id = std::move(id);
  plan.version = version;
  plan.original = original;
  plan.target = target;
  plan.steps = BuildSteps(original, target, to_kill);
  return plan;
}

namespace {

// Calls fn(id, before, after) for every app of either tree (nullptr on the side that lacks
// it), walking both trees side by side: no map of all apps is built, and a shared definition
// (AppRef) compares by pointer.
template <typename Fn>
void ForEachAppPair(const Group* a, const Group* b, Fn& fn) {
  static const Group kEmpty;
  const Group& ga = a != nullptr ? *a : kEmpty;
  const Group& gb = b != nullptr ? *b : kEmpty;
  auto ia = ga.apps.begin(), ib = gb.apps.begin();
  while (ia != ga.apps.end() || ib != gb.apps.end()) {
    if (ib == gb.apps.end() || (ia != ga.apps.end() && ia->first < ib->first)) {
      fn(ia->first, &*ia->second, nullptr);
      ++ia;
    } else if (ia == ga.apps.end() || ib->first < ia->first) {
      fn(ib->first, nullptr, &*ib->second);
      ++ib;
    } else {
      fn(ia->first, &*ia->second, &*ib->second);
      ++ia;
      ++ib;
    }
  }
  auto ja = ga.groups.begin(), jb = gb.groups.begin();
  while (ja != ga.groups.end() || jb != gb.groups.end()) {
    if (jb == gb.groups.end() || (ja != ga.groups.end() && ja->first < jb->first)) {
      ForEachAppPair(&ja->second, nullptr, fn);
      ++ja;
    } else if (ja == ga.groups.end() || jb->first < ja->first) {
      ForEachAppPair(nullptr, &jb->second, fn);
      ++jb;
    } else {
      ForEachAppPair(&ja->second, &jb->second, fn);
      ++ja;
      ++jb;
    }
  }
}

}  // namespace

std::vector<Step> BuildSteps(const Group& original, const Group& target,
                             const std::map<PathId, std::vector<InstanceId>>& to_kill) {
  // Step 1: stops; step 2: start placeholders; then dependency layers over the affected apps
  // present in the target (removed apps are affected too but only stopped).
  // (No dependency anywhere, the common case: one layer, without building the graph.)
  std::map<PathId, int> chain;
  if (HasDependencies(target)) chain = LongestChains(DependencyGraph(target));
  Step stops;
  Step starts;
  std::map<int, Step> layers;
  auto visit = [&](const PathId& app_id, const AppDefinition* old, const AppDefinition* app) {
    if (app == nullptr) {
      stops.actions.push_back({ActionType::kStop, app_id, {}, {}});
      return;
    }
    std::optional<Action> action;
    if (old == nullptr) {
      starts.actions.push_back({ActionType::kStart, app_id, 0, {}});
      action = Action{ActionType::kScale, app_id, app->instances, {}};
    } else if (old == app || *old == *app) {
      return;  // not affected (the same shared definition: no need to compare)
    } else if (IsOnlyScaleChange(*old, *app) || (app->instances == 0 && NeedsRestart(*old, *app))) {
      // Restarting zero instances is stopping the old ones: a scale to 0 does exactly that.
      action = Action{ActionType::kScale, app_id, app->instances, {}};
      auto kills = to_kill.find(app_id);
      if (kills != to_kill.end() && IsOnlyScaleChange(*old, *app)) {
        action->kill_list = kills->second;
      }
    } else if (NeedsRestart(*old, *app)) {
      action = Action{ActionType::kRestart, app_id, {}, {}};
    }
    if (action.has_value()) {
      auto c = chain.find(app_id);
      layers[c == chain.end() ? 0 : c->second].actions.push_back(std::move(*action));
    }
  };
  ForEachAppPair(&original, &target, visit);

  std::vector<Step> steps;
  steps.push_back(std::move(stops));
  steps.push_back(std::move(starts));
  for (auto& [length, step] : layers) steps.push_back(std::move(step));
  std::erase_if(steps, [](const Step& s) { return s.actions.empty(); });
  // Actions by app id, whatever the walk's group order.
  for (Step& step : steps) {
    std::sort(step.actions.begin(), step.actions.end(),
              [](const Action& x, const Action& y) { return x.app_id < y.app_id; });
  }
  return steps;
}

std::vector<PathId> AffectedAppIds(const DeploymentPlan& plan) {
  std::set<PathId> ids;
  for (const Step& step : plan.steps) {
    for (const Action& a : step.actions) ids.insert(a.app_id);
  }
  return {ids.begin(), ids.end()};
}

std::vector<PathId> ConflictingAppIds(const DeploymentPlan& a, const DeploymentPlan& b) {
  std::vector<PathId> ia = AffectedAppIds(a);
  std::vector<PathId> ib = AffectedAppIds(b);
  std::vector<PathId> out;
  std::set_intersection(ia.begin(), ia.end(), ib.begin(), ib.end(), std::back_inserter(out));
  return out;
}

bool IsAffectedBy(const DeploymentPlan& a, const DeploymentPlan& b) {
  return !ConflictingAppIds(a, b).empty();
}

Group RevertRoot(const DeploymentPlan& plan, const Group& current, Timestamp now) {
  Group result = current;

  // Apps first, so groups emptied by the revert can be recognised below.
  std::map<PathId, const AppDefinition*> before = TransitiveApps(plan.original);
  std::map<PathId, const AppDefinition*> after = TransitiveApps(plan.target);
  std::set<PathId> app_ids;
  for (const auto& [id, app] : before) app_ids.insert(id);
  for (const auto& [id, app] : after) app_ids.insert(id);
  for (const PathId& id : app_ids) {
    auto old = before.find(id);
    auto neu = after.find(id);
    if (old != before.end() && neu != after.end() && *old->second == *neu->second) continue;
    if (old != before.end()) {
      // Changed or removed by the plan: its original definition back. An app standing in the
      // way (another deployment's change) wins; nothing is forced over it.
      PutAppRaw(&result, *old->second, now);
    } else {
      RemoveAppRaw(&result, id);  // added by the plan
    }
  }

  // Groups, innermost first (descending ids put "/a/b" before "/a").
  std::map<PathId, const Group*> gbefore = TransitiveGroups(plan.original);
  std::map<PathId, const Group*> gafter = TransitiveGroups(plan.target);
  std::set<PathId, std::greater<>> group_ids;
  for (const auto& [id, g] : gbefore) group_ids.insert(id);
  for (const auto& [id, g] : gafter) group_ids.insert(id);
  for (const PathId& id : group_ids) {
    auto old_it = gbefore.find(id);
    auto new_it = gafter.find(id);
    const Group* old_group = old_it == gbefore.end() ? nullptr : old_it->second;
    const Group* new_group = new_it == gafter.end() ? nullptr : new_it->second;
    if (old_group != nullptr && new_group == nullptr) {
      // Removed by the plan: back, with its dependencies.
      Group* g = MakeGroup(&result, id, now);
      if (g == nullptr) continue;  // an app took its id since
      g->enforce_role = old_group->enforce_role;
      g->dependencies = EditDependencies(g->dependencies, old_group->dependencies, {});
    } else if (old_group != nullptr) {
      Group* g = FindGroupMutable(&result, id);
      if (g == nullptr) continue;  // removed by someone else since
      g->dependencies =
          EditDependencies(g->dependencies, Minus(old_group->dependencies, new_group->dependencies),
                           Minus(new_group->dependencies, old_group->dependencies));
    } else {
      Group* g = FindGroupMutable(&result, id);
      if (g == nullptr) continue;
      if (g->apps.empty() && g->groups.empty() && g->dependencies == new_group->dependencies) {
        FindGroupMutable(&result, Parent(id))->groups.erase(id);
      } else if (!new_group->dependencies.empty()) {
        g->dependencies = EditDependencies(g->dependencies, {}, new_group->dependencies);
      }
    }
  }

  StampGroups(current, &result, now);
  return result;
}

DeploymentPlan RevertPlan(const DeploymentPlan& plan, const Group& current, std::string new_id,
                          Timestamp now) {
  return BuildPlan(std::move(new_id), current, RevertRoot(plan, current, now), now);
}

void WriteDeploymentInfo(api::JsonWriter& w, const DeploymentPlan& plan,
                         const DeploymentProgress& progress) {
  w.StartObject();
  w.Key("id").String(plan.id);
  w.Key("version").String(FormatIso8601(plan.version));
  w.Key("affectedApps").StartArray();
  for (const PathId& id : AffectedAppIds(plan)) w.String(id);
  w.EndArray();
  w.Key("affectedPods").StartArray().EndArray();
  w.Key("steps");
  WriteSteps(w, plan);
  w.Key("currentActions").StartArray();
  if (progress.current_step >= 1 && progress.current_step <= static_cast<int>(plan.steps.size())) {
    for (const Action& a : plan.steps[progress.current_step - 1].actions) {
      w.StartObject();
      WriteAction(w, a);
      w.Key("readinessCheckResults");
      auto results = progress.readiness_results_json.find(a.app_id);
      if (results != progress.readiness_results_json.end()) {
        w.Raw(results->second);
      } else {
        w.StartArray().EndArray();
      }
      w.EndObject();
    }
  }
  w.EndArray();
  w.Key("currentStep").Int(progress.current_step);
  w.Key("totalSteps").Int(static_cast<int32_t>(plan.steps.size()));
  w.EndObject();
}

void WriteDryRunSteps(api::JsonWriter& w, const DeploymentPlan& plan) {
  w.StartObject().Key("steps");
  WriteSteps(w, plan);
  w.EndObject();
}

void WriteDeploymentResult(api::JsonWriter& w, const DeploymentPlan& plan) {
  w.StartObject();
  w.Key("deploymentId").String(plan.id);
  w.Key("version").String(FormatIso8601(plan.version));
  w.EndObject();
}

}  // namespace atl::marathonlike
