// ServiceScheduler's API operations (Deploy, DryRun, CancelDeployment, KillInstances,
// ResetDelay) and read-only views (instances, readiness, health, counts, task views, the launch
// queue), apart from its control loop in service_scheduler.cc.
#include <algorithm>
#include <utility>

#include "core/base/strings.h"
#include "core/base/uuid.h"
#include "marathonlike/path_id.h"
#include "marathonlike/plan.h"
#include "marathonlike/root_group.h"
#include "marathonlike/service_scheduler.h"
#include "marathonlike/service_scheduler_internal.h"

namespace atl::marathonlike {

using internal::DefaultRoleFor;
using internal::HasLiveTask;
using internal::KeepApps;
using internal::ServicePorts;

// ---- API operations ------------------------------------------------------------------------

absl::Status ServiceScheduler::PrepareTarget(Group& target, Timestamp now) const {
  // Service ports in use by apps that keep them.
  std::set<int> used;
  // Only apps with something to fill in are looked at: the others are as stored (the write
  // left them alone), which keeps a write O(apps) cheap lookups instead of copies.
  std::map<PathId, AppDefinition*> apps;
  std::function<void(Group&)> collect = [&](Group& g) {
    for (auto& [id, ref] : g.apps) {
      const AppDefinition& app = *ref;
      for (const PortDefinition& p : app.port_definitions) {
        if (p.port != 0) used.insert(p.port);
      }
      bool needs_filling = !app.role || app.role->empty();
      for (const PortDefinition& p : app.port_definitions) needs_filling |= p.port == 0;
      if (needs_filling) apps[id] = &ref.Mutable();
    }
    for (auto& [id, sub] : g.groups) collect(sub);
  };
  collect(target);
  // Roles first, then ports in two passes: apps that had ports reclaim them at the same index
  // before new ones are handed out, so adding an app never moves another app's ports.
  std::map<PathId, AppDefinition> before;
  for (auto& [id, app] : apps) {
    before.emplace(id, *app);
    const AppDefinition* previous = FindApp(*root_, id);
    if (!app->role || app->role->empty()) {
      app->role = previous != nullptr && previous->role
                      ? *previous->role
                      : DefaultRoleFor(target, id, options_.default_role);
    }
    if (previous == nullptr) continue;
    for (size_t k = 0; k < app->port_definitions.size(); ++k) {
      PortDefinition& p = app->port_definitions[k];
      if (p.port == 0 && k < previous->port_definitions.size() &&
          previous->port_definitions[k].port != 0 &&
          !used.contains(previous->port_definitions[k].port)) {
        p.port = previous->port_definitions[k].port;
        used.insert(p.port);
      }
    }
  }
  int next_port = options_.service_port_min;
  for (auto& [id, app] : apps) {
    for (PortDefinition& p : app->port_definitions) {
      if (p.port != 0) continue;
      while (next_port <= options_.service_port_max && used.contains(next_port)) ++next_port;
      if (next_port > options_.service_port_max) {
        return absl::InvalidArgumentError(StrCat("No free service port left in ",
                                                 options_.service_port_min, "-",
                                                 options_.service_port_max, " for app ", id));
      }
      p.port = next_port;
      used.insert(next_port);
    }
    const AppDefinition& was = before.at(id);
    if (!(*app == was)) {
      // Filling in what the client left to us is not a change by itself.
      const AppDefinition* previous = FindApp(*root_, id);
      *app = StampApp(previous, *app, now);
      // A real change keeps the stamp the caller's write gave.
      bool changed = previous == nullptr || IsUpgrade(*previous, *app) ||
                     previous->instances != app->instances;
      if (changed && was.version > app->version) {
        app->version = was.version;
        app->version_info = was.version_info;
      }
    }
  }
  return CheckRoot(target);
}

ServiceScheduler::DeployResult ServiceScheduler::Deploy(Group target, const DeployOptions& options,
                                                        Timestamp now, Output* out) {
  if (absl::Status s = PrepareTarget(target, now); !s.ok()) return s;
  // A plan keeps only the apps it affects: all that RevertRoot, the events and GET
  // /v2/deployments read, and what makes a deployment O(its apps) to copy and store rather
  // than O(every app).
  DeploymentPlan plan;
  plan.id = UuidToString(random_.Uuid());
  plan.version = now;
  plan.steps = BuildSteps(*root_, target, options.to_kill);
  std::vector<PathId> affected = AffectedAppIds(plan);
  std::set<PathId> keep(affected.begin(), affected.end());
  plan.original = KeepApps(*root_, keep);
  plan.target = KeepApps(target, keep);
  std::set<std::string> conflicting;  // deployments sharing an app with this plan
  for (const PathId& app_id : affected) {
    if (auto it = locked_.find(app_id); it != locked_.end()) {
      conflicting.insert(it->second.begin(), it->second.end());
    }
  }
  std::vector<std::string> conflicts(conflicting.begin(), conflicting.end());
  if (!conflicts.empty()) {
    if (!options.force) return Conflict{conflicts};
    for (const std::string& id : conflicts) {
      FinishDeployment(id, false, "canceled by a forced deployment", now, out);
    }
  }
  root_ = std::make_shared<const Group>(std::move(target));
  PutRootAndVersions(affected, out);
  StartDeployment(plan, now, out);
  Reconcile(now, out);
  return plan;
}

absl::StatusOr<DeploymentPlan> ServiceScheduler::DryRun(Group target, Timestamp now) const {
  if (absl::Status s = PrepareTarget(target, now); !s.ok()) return s;
  return BuildPlan("dry-run", *root_, target, now);
}

void ServiceScheduler::PutRootAndVersions(const std::vector<PathId>& changed, Output* out) {
  out->commands.push_back(cmd::PutRoot{root_});  // shared, not copied
  if (root_versions_.empty() || root_versions_.back() != root_->version) {
    root_versions_.push_back(root_->version);
  }
  while (static_cast<int>(root_versions_.size()) > options_.max_versions) {
    out->commands.push_back(cmd::RemoveRootVersion{root_versions_.front()});
    root_versions_.erase(root_versions_.begin());
  }
  // Only the apps the write changed can have a version not stored yet. Versions of deleted
  // apps stay: root versions refer to them (rollback to before a delete).
  for (const PathId& id : changed) {
    const AppDefinition* app = FindApp(*root_, id);
    if (app == nullptr) continue;
    std::vector<Timestamp>& versions = app_versions_[id];
    if (std::find(versions.begin(), versions.end(), app->version) == versions.end()) {
      versions.push_back(app->version);
      std::sort(versions.begin(), versions.end());
      out->commands.push_back(cmd::PutAppVersion{*app});
    }
    while (static_cast<int>(versions.size()) > options_.max_versions) {
      out->commands.push_back(cmd::RemoveAppVersion{id, versions.front()});
      versions.erase(versions.begin());
    }
  }
}

absl::StatusOr<std::optional<DeploymentPlan>> ServiceScheduler::CancelDeployment(
    const std::string& id, bool force, Timestamp now, Output* out) {
  auto it = deployments_.find(id);
  if (it == deployments_.end()) {
    return absl::NotFoundError(StrCat("DeploymentPlan ", id, " does not exist"));
  }
  DeploymentPlan plan = it->second.plan;
  FinishDeployment(id, false, "canceled", now, out);
  if (force) {
    Reconcile(now, out);
    return std::optional<DeploymentPlan>();
  }
  Group reverted = RevertRoot(plan, *root_, now);
  DeployResult result =
      Deploy(std::move(reverted), DeployOptions{.force = true, .to_kill = {}}, now, out);
  if (auto* s = std::get_if<absl::Status>(&result)) return *s;
  return std::optional<DeploymentPlan>(std::get<DeploymentPlan>(std::move(result)));
}

std::vector<Instance> ServiceScheduler::KillInstances(const std::vector<InstanceId>& ids, bool wipe,
                                                      Timestamp now, Output* out) {
  std::vector<Instance> killed;
  for (const InstanceId& id : ids) {
    auto it = instances_.find(id);
    if (it == instances_.end()) continue;
    Instance& inst = it->second;
    if (wipe) {
      Decommission(inst, now, out);
    } else if (HasLiveTask(inst)) {
      KillTask(inst, now, out);
    } else {
      continue;
    }
    killed.push_back(inst);
  }
  Reconcile(now, out);
  return killed;
}

absl::Status ServiceScheduler::ResetDelay(const PathId& app_id, Timestamp now, Output* out) {
  if (FindApp(*root_, app_id) == nullptr) {
    return absl::NotFoundError(StrCat("App '", app_id, "' does not exist"));
  }
  delays_.Reset(app_id);
  Reconcile(now, out);
  return absl::OkStatus();
}

// ---- views ---------------------------------------------------------------------------------

std::vector<const Instance*> ServiceScheduler::InstancesOf(const PathId& app_id) const {
  std::vector<const Instance*> out;
  auto ids = by_app_.find(app_id);
  if (ids == by_app_.end()) return out;
  out.reserve(ids->second.all.size());
  for (const auto& [id, entry] : ids->second.all) out.push_back(entry.instance);
  return out;
}

std::vector<InstanceId> ServiceScheduler::InstanceIdsOf(const PathId& app_id) const {
  auto ids = by_app_.find(app_id);
  if (ids == by_app_.end()) return {};
  std::vector<InstanceId> out;
  out.reserve(ids->second.all.size());
  for (const auto& [id, entry] : ids->second.all) out.push_back(id);
  return out;
}

const Instance* ServiceScheduler::FindInstance(const InstanceId& id) const {
  auto it = instances_.find(id);
  return it == instances_.end() ? nullptr : &it->second;
}

const Instance* ServiceScheduler::FindByTaskId(std::string_view task_id) const {
  auto it = by_task_id_.find(task_id);
  return it == by_task_id_.end() ? nullptr : FindInstance(it->second);
}

std::vector<std::string> ServiceScheduler::DeploymentsOf(const PathId& app_id) const {
  auto it = locked_.find(app_id);
  if (it == locked_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

bool ServiceScheduler::InDeployment(const PathId& app_id) const { return locked_.contains(app_id); }

bool ServiceScheduler::IsCurrent(const Instance& instance, const AppDefinition& app) const {
  // Launched from a version with the app's config: not before its last config change, and not
  // after its version (a reverted app goes back to an older version: newer instances are old).
  return instance.app_version >= app.version_info.last_config_change_at &&
         instance.app_version <= app.version;
}

bool ServiceScheduler::IsReady(const Instance& instance, const AppDefinition& app) const {
  return app.readiness_checks.empty() || instance.readiness.ready;
}

std::vector<ReadinessResult> ServiceScheduler::ReadinessOf(const AppDefinition& app) const {
  std::vector<ReadinessResult> out;
  if (app.readiness_checks.empty()) return out;
  for (const Instance* i : InstancesOf(app.id)) {
    if (!IsCurrent(*i, app) || !HasLiveTask(*i)) continue;
    ReadinessResult result{.name = app.readiness_checks.front().name,
                           .task_id = i->task_id,
                           .ready = i->readiness.ready,
                           .last_response = std::nullopt};
    if (app.readiness_checks.front().preserve_last_response && i->readiness.last_status) {
      result.last_response = ReadinessResult::Response{
          *i->readiness.last_status, i->readiness.last_content_type, i->readiness.last_body};
    }
    out.push_back(std::move(result));
  }
  return out;
}

bool ServiceScheduler::IsHealthy(const Instance& instance, const AppDefinition& app) const {
  if (instance.condition != Condition::kRunning) return false;
  if (app.health_checks.empty()) return true;
  if (instance.health.healthy) return *instance.health.healthy;
  return options_.trust_running_as_healthy;
}

TaskCounts ServiceScheduler::CountsOf(const AppDefinition& app) const {
  TaskCounts c;
  for (const Instance* i : InstancesOf(app.id)) {
    switch (i->condition) {
      case Condition::kProvisioned:
      case Condition::kStaging:
      case Condition::kStarting:
        c.staged++;
        break;
      case Condition::kRunning:
        c.running++;
        if (!app.health_checks.empty() && i->health.healthy) {
          (*i->health.healthy ? c.healthy : c.unhealthy)++;
        }
        break;
      default:
        break;
    }
  }
  return c;
}

TaskView ServiceScheduler::TaskViewOf(const Instance& instance) const {
  TaskView t;
  t.app_id = instance.app_id;
  t.id = instance.task_id;
  t.agent_id = instance.agent_id;
  t.host = instance.hostname;
  t.state = std::string(model::TaskStateName(instance.task_state));
  t.staged_at = instance.staged_at;
  t.started_at = instance.started_at;
  t.version = instance.app_version;
  t.ports = instance.host_ports;
  if (const AppDefinition* app = FindApp(*root_, instance.app_id)) {
    t.service_ports = ServicePorts(*app);
  }
  t.role = instance.role.empty() ? "*" : instance.role;
  // One result per check (Marathon's healthCheckResults), once the executor has reported.
  auto add = [&](const healthchecks::State& h) {
    t.health_check_results.push_back(TaskHealthResult{
        .alive = h.healthy.value_or(false),
        .consecutive_failures = h.consecutive_failures,
        .first_success = h.first_success,
        .last_success = h.last_success,
        .last_failure = h.last_failure,
        .last_failure_cause = h.last_failure_cause.empty()
                                  ? std::nullopt
                                  : std::optional<std::string>(h.last_failure_cause)});
  };
  if (!instance.health_checks.empty()) {
    for (const healthchecks::State& h : instance.health_checks) add(h);
  } else if (instance.health.healthy.has_value()) {
    add(instance.health);
  }
  return t;
}

const AppFailure* ServiceScheduler::LastFailureOf(const PathId& app_id) const {
  auto it = failures_.find(app_id);
  return it == failures_.end() ? nullptr : &it->second;
}

std::vector<QueueEntry> ServiceScheduler::Queue(Timestamp now, bool explain) const {
  std::map<PathId, QueueEntry> entries;
  for (const auto& [app_id, ids] : scheduled_) {
    for (const InstanceId& id : ids) {
      const Instance& inst = instances_.at(id);
      QueueEntry& e = entries[inst.app_id];
      if (e.count == 0) {
        if (auto s = queue_stats_.find(inst.app_id); s != queue_stats_.end()) e = s->second;
        e.app_id = inst.app_id;
        e.since = inst.condition_since;
      }
      e.count++;
      e.since = std::min(e.since, inst.condition_since);
    }
  }
  std::vector<QueueEntry> out;
  for (auto& [id, e] : entries) {
    if (const AppDefinition* app = FindApp(*root_, id)) {
      if (const LaunchDelays::Delay* d = delays_.Find(*app); d != nullptr && d->Until() > now) {
        e.delayed_until = d->Until();
      }
    }
    e.overdue = now - e.since >= options_.task_launch_timeout;
    const AppDefinition* app = explain ? FindApp(*root_, id) : nullptr;
    if (app != nullptr && !app->constraints.empty()) {
      // The kept counts; built here (and not kept) when no offer was matched for the app yet.
      Placements scratch;
      const AppPlacement* placement = placements_.Find(*app);
      if (placement == nullptr) {
        placement = &scratch.For(*app, [&] {
          std::vector<const InstanceView*> all;
          for (const Instance* i : InstancesOf(id)) all.push_back(i);
          return all;
        });
      }
      e.unplaceable = placements_.CheckPlaceable(
          *app, *placement,
          constraints::CheckOptions{.dedicated_agents_exclusive =
                                        options_.dedicated_agents_exclusive});
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace atl::marathonlike
