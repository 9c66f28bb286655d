// Deployment plans (reference/marathon.md §1.5, §3.1, §3.2; Marathon's `DeploymentPlan` and
// `DeploymentPlanReverter`): the diff of two root groups as ordered steps of parallel actions.
// Pure: the id and the time are given by the caller.
//
// BuildPlan, exactly as Marathon:
//   step 1: StopApplication for every app of `original` absent from `target`;
//   step 2: StartApplication (scale_to 0, a placeholder kept for API compatibility) for every
//           app of `target` absent from `original`;
//   then:   the affected apps (new, changed in any field, removed) present in `target`, grouped
//           by the length of their longest dependency chain in `target`'s DependencyGraph
//           (root_group.h), shortest first, so dependencies are deployed before their
//           dependants; per app: new -> ScaleApplication(instances); only `instances` changed,
//           or a change of any kind to 0 instances -> ScaleApplication (with the caller's kill
//           list for kill-and-scale); NeedsRestart -> RestartApplication; otherwise nothing.
//   Empty steps are dropped; actions in a step are sorted by app id.
// Invariants: an app appears in at most one action of a plan, except a new app (StartApplication
// in step 2, then its ScaleApplication); an affected app's layer comes after the layers of the
// affected apps it depends on.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/api/json.h"
#include "core/base/time.h"
#include "marathonlike/group.h"
#include "marathonlike/instance.h"

namespace atl::marathonlike {

enum class ActionType { kStart, kStop, kScale, kRestart };

// "StartApplication", "StopApplication", "ScaleApplication", "RestartApplication".
const char* ActionName(ActionType type);

struct Action {
  ActionType type = ActionType::kScale;
  PathId app_id;
  std::optional<int> scale_to;        // kStart: 0, kScale: the target instances
  std::vector<InstanceId> kill_list;  // kScale: instances to kill first (kill-and-scale)
  bool operator==(const Action&) const = default;
};

struct Step {
  std::vector<Action> actions;  // run in parallel
  bool operator==(const Step&) const = default;
};

struct DeploymentPlan {
  std::string id;     // a UUID, given by the caller
  Timestamp version;  // when the plan was made (the target root's version)
  Group original;
  Group target;
  std::vector<Step> steps;  // run one after the other
  bool empty() const { return steps.empty(); }
  bool operator==(const DeploymentPlan&) const = default;
};

// The diff of `original` and `target` (see the file comment). `to_kill` names instances to kill
// for apps whose change is scale-only (ignored for others). REQUIRES: `target` passes
// CheckRoot (no dependency cycle); with a cycle the layering is still finite but meaningless.
DeploymentPlan BuildPlan(std::string id, const Group& original, const Group& target,
                         Timestamp version,
                         const std::map<PathId, std::vector<InstanceId>>& to_kill = {});

// BuildPlan's steps alone, without copying the trees into a plan (the scheduler keeps only the
// affected apps in its plans).
std::vector<Step> BuildSteps(const Group& original, const Group& target,
                             const std::map<PathId, std::vector<InstanceId>>& to_kill = {});

// The ids of the apps named by any action, sorted (Marathon's affectedRunSpecIds).
std::vector<PathId> AffectedAppIds(const DeploymentPlan& plan);

// The app ids both plans touch, sorted; two plans conflict (the 409 lock of §3.2) when this is
// not empty.
std::vector<PathId> ConflictingAppIds(const DeploymentPlan& a, const DeploymentPlan& b);
bool IsAffectedBy(const DeploymentPlan& a, const DeploymentPlan& b);

// DELETE /v2/deployments/{id}: `current` with the changes of `plan` undone, as Marathon's
// DeploymentPlanReverter: apps the plan changed or removed get their `original` definition back
// (with its old version fields), apps it added are removed; then groups, innermost first: a
// group the plan removed gets its dependencies back (re-created when missing), a changed group
// gets its removed dependencies back and its added ones dropped, a group the plan added is
// removed if still empty with the same dependencies, else loses the dependencies it came with.
// Changes made by other deployments since are kept. Groups that end up different are stamped
// `now`.
Group RevertRoot(const DeploymentPlan& plan, const Group& current, Timestamp now);

// The plan that takes `current` to RevertRoot(plan, current, now).
DeploymentPlan RevertPlan(const DeploymentPlan& plan, const Group& current, std::string new_id,
                          Timestamp now);

// Where a running plan is, for GET /v2/deployments.
struct DeploymentProgress {
  int current_step = 0;  // 1-based index of the step being run; 0 before the first one
  // Per app of the current step: its `readinessCheckResults` array as compact JSON (absent: []).
  std::map<PathId, std::string> readiness_results_json;
};

// One element of GET /v2/deployments:
// {"id","version","affectedApps":[...],"affectedPods":[],"steps":[{"actions":[{"action","app"}]}],
//  "currentActions":[{"action","app","readinessCheckResults":[...]}],"currentStep","totalSteps"}
void WriteDeploymentInfo(api::JsonWriter& w, const DeploymentPlan& plan,
                         const DeploymentProgress& progress);

// The dryRun answer of PUT /v2/groups: {"steps":[{"actions":[{"action":"...","app":"/x"}]}]}.
void WriteDryRunSteps(api::JsonWriter& w, const DeploymentPlan& plan);

// The body of a write that started a deployment: {"deploymentId":"...","version":"..."}.
void WriteDeploymentResult(api::JsonWriter& w, const DeploymentPlan& plan);

}  // namespace atl::marathonlike
