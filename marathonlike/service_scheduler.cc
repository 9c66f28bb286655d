#include "marathonlike/service_scheduler.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "constraints/check.h"
#include "constraints/placement_counts.h"
#include "core/base/check.h"
#include "core/base/overloaded.h"
#include "core/base/strings.h"
#include "core/base/uuid.h"
#include "core/model/task_state.h"
#include "marathonlike/path_id.h"
#include "marathonlike/restart_strategy.h"
#include "marathonlike/root_group.h"
#include "marathonlike/scaling.h"
#include "marathonlike/service_scheduler_internal.h"
#include "marathonlike/task_builder.h"
#include "marathonlike/task_condition.h"

namespace atl::marathonlike {

namespace internal {

// Whether the instance holds (or may hold) a task on an agent.
bool HasLiveTask(const Instance& i) {
  return !i.task_id.empty() && !IsTerminal(i.condition) && i.condition != Condition::kScheduled;
}

// The app's service ports (its portDefinitions' ports, assigned by Deploy).
std::vector<int> ServicePorts(const AppDefinition& app) {
  std::vector<int> ports;
  for (const PortDefinition& p : app.port_definitions) ports.push_back(p.port);
  return ports;
}

// The role an app without one runs as: the top-level group's name under an enforceRole group,
// else the default.
std::string DefaultRoleFor(const Group& root, const PathId& app_id, const std::string& fallback) {
  size_t second = app_id.find('/', 1);
  if (second != std::string::npos) {
    PathId top = app_id.substr(0, second);
    const Group* g = FindGroup(root, top);
    if (g != nullptr && g->enforce_role) return top.substr(1);
  }
  return fallback;
}

// `g` with only the apps in `keep` (every group stays, with its dependencies).
Group KeepApps(const Group& g, const std::set<PathId>& keep) {
  Group out;
  out.id = g.id;
  out.dependencies = g.dependencies;
  out.enforce_role = g.enforce_role;
  out.version = g.version;
  for (const auto& [id, app] : g.apps) {
    if (keep.contains(id)) out.apps.emplace(id, app);
  }
  for (const auto& [id, child] : g.groups) out.groups.emplace(id, KeepApps(child, keep));
  return out;
}

}  // namespace internal

namespace {

using internal::DefaultRoleFor;
using internal::HasLiveTask;
using internal::KeepApps;
using internal::ServicePorts;

constexpr char kInstanceMarker[] = ".instance-";

// The uuid part of "<safe app>.instance-<uuid>".
std::string InstanceUuid(const InstanceId& id) {
  const std::string& v = id.value();
  size_t at = v.rfind(kInstanceMarker);
  return at == std::string::npos ? v : v.substr(at + sizeof(kInstanceMarker) - 1);
}

// The executor killed the task for failing its health check too often.
bool KilledForItsHealth(const model::TaskStatus& status) {
  return status.state == model::TaskState::kKilled &&
         status.reason == model::TaskStatusReason::kTaskHealthCheckStatusUpdated;
}

bool IsCounted(const Instance& i) {
  return i.goal == Goal::kRunning && i.condition != Condition::kUnreachableInactive;
}

void MinInto(std::optional<Timestamp>& acc, Timestamp t) {
  if (!acc || t < *acc) acc = t;
}

}  // namespace

bool IsDurable(const Command& command) {
  return std::holds_alternative<cmd::PutFrameworkId>(command) ||
         std::holds_alternative<cmd::PutRoot>(command) ||
         std::holds_alternative<cmd::RemoveRootVersion>(command) ||
         std::holds_alternative<cmd::PutAppVersion>(command) ||
         std::holds_alternative<cmd::RemoveAppVersion>(command) ||
         std::holds_alternative<cmd::PutDeployment>(command) ||
         std::holds_alternative<cmd::RemoveDeployment>(command) ||
         std::holds_alternative<cmd::PutInstance>(command) ||
         std::holds_alternative<cmd::RemoveInstance>(command);
}

ServiceScheduler::ServiceScheduler(SchedulerOptions options, uint64_t seed)
    : options_(std::move(options)), random_(seed) {}

// ---- inputs ------------------------------------------------------------------------------

Output ServiceScheduler::Handle(const Input& input, Timestamp now) {
  Output out;
  std::visit(Overloaded{
                 [&](const in::Recover& r) { Recover(r.state, now); },
                 [&](const in::Subscribed& s) { OnSubscribed(s, now, &out); },
                 [&](const in::Disconnected&) {
                   subscribed_ = false;
                   PublishEvent(SchedulerDisconnectedEvent{.timestamp = now}, &out);
                 },
                 [&](const in::Offers& o) { OnOffers(o.offers, now, &out); },
                 [&](const in::OfferRescinded&) {},
                 [&](const in::StatusUpdate& s) { OnStatus(s.status, now, &out); },
                 [&](const in::AgentLost& a) { OnAgentLost(a.agent_id, &out); },
                 [&](const in::Tick&) { OnTick(now, &out); },
             },
             input);
  Reconcile(now, &out);
  return out;
}

void ServiceScheduler::Recover(const StoredState& state, Timestamp now) {
  framework_id_ = state.framework_id;
  root_ = std::make_shared<const Group>(state.root);
  deployments_.clear();
  undone_.clear();
  for (const Deployment& d : state.deployments) deployments_[d.plan.id] = d;
  instances_.clear();
  by_task_id_.clear();
  by_app_.clear();
  scheduled_.clear();
  due_.clear();
  due_at_.clear();
  launching_.clear();
  placements_ = Placements();
  for (const Instance& i : state.instances) {
    auto [it, inserted] = instances_.emplace(i.id, i);
    if (!i.task_id.empty()) by_task_id_[i.task_id] = i.id;
    Index(it->second);
  }
  RecomputeLocks();
  for (const auto& [id, app] : TransitiveApps(*root_)) dirty_.insert(id);
  app_versions_ = state.app_versions;
  root_versions_ = state.root_versions;
  next_reconcile_ = now;
}

void ServiceScheduler::OnSubscribed(const in::Subscribed& s, Timestamp now, Output* out) {
  subscribed_ = true;
  offers_state_known_ = false;
  if (framework_id_ != s.framework_id) {
    framework_id_ = s.framework_id;
    out->commands.push_back(cmd::PutFrameworkId{s.framework_id});
  }
  if (s.resubscribed) {
    PublishEvent(SchedulerReregisteredEvent{.master = s.master, .timestamp = now}, out);
  } else {
    PublishEvent(
        SchedulerRegisteredEvent{
            .framework_id = s.framework_id, .master = s.master, .timestamp = now},
        out);
  }
  // Explicit reconciliation of every task we know, then implicit (tasks we forgot get killed
  // when the master reports them).
  cmd::Reconcile explicit_tasks;
  for (const auto& [id, i] : instances_) {
    if (!HasLiveTask(i)) continue;
    model::TaskStatus st;
    st.task_id = model::TaskId(i.task_id);
    st.state = i.task_state;
    if (!i.agent_id.empty()) st.agent_id = model::AgentId(i.agent_id);
    explicit_tasks.tasks.push_back(std::move(st));
  }
  if (!explicit_tasks.tasks.empty()) out->commands.push_back(std::move(explicit_tasks));
  out->commands.push_back(cmd::Reconcile{});
  next_reconcile_ = now + options_.reconcile_interval;
}

void ServiceScheduler::OnAgentLost(const model::AgentId& agent_id, Output* out) {
  placements_.ForgetAgent(agent_id.value());
  // The master sends each task of the agent as TASK_LOST/TASK_UNREACHABLE on its own; nothing
  // to do here but make sure tasks we believe are still launching (or being killed) there get
  // reconciled (launching_: no pass over every instance per lost agent).
  cmd::Reconcile rec;
  for (const auto& [id, i] : launching_) {
    if (i->agent_id == agent_id.value()) {
      model::TaskStatus st;
      st.task_id = model::TaskId(i->task_id);
      st.agent_id = agent_id;
      rec.tasks.push_back(std::move(st));
    }
  }
  if (subscribed_ && !rec.tasks.empty()) out->commands.push_back(std::move(rec));
}

void ServiceScheduler::OnOffers(const std::vector<model::Offer>& offers, Timestamp now,
                                Output* out) {
  // The definitions of the waiting apps, looked up once for the batch (the root does not
  // change while offers are matched).
  absl::flat_hash_map<PathId, const AppDefinition*> apps;
  auto app_of = [&](const PathId& id) {
    auto [it, inserted] = apps.try_emplace(id, nullptr);
    if (inserted) it->second = FindApp(*root_, id);
    return it->second;
  };
  const int per_offer = std::max(1, options_.match.max_instances_per_offer);
  for (const model::Offer& offer : offers) {
    if (!subscribed_) break;  // offers died with the stream
    model::Offer remaining = offer;
    std::vector<model::TaskInfo> tasks;
    bool anything_waits = false;
    const constraints::AgentView& agent = placements_.Offered(offer);
    std::shared_ptr<const model::Offer> kept;  // shared by the apps that could not use it
    // Apps with instances waiting and not delayed, in app id order (deterministic). Launching
    // changes only the current app's entry of scheduled_ (it may go), so `next` stays valid.
    for (auto it = scheduled_.begin(), next = it; it != scheduled_.end(); it = next) {
      next = std::next(it);
      const AppDefinition* app = app_of(it->first);
      if (app == nullptr) continue;
      anything_waits = true;
      if (delays_.DelayedUntil(*app, now)) continue;
      QueueEntry& stats = queue_stats_[app->id];
      stats.processed_offers++;
      constraints::Result constraint_failure;
      const int wanted = std::min(per_offer, static_cast<int>(it->second.size()));
      MatchResult match = MatchForApp(remaining, agent, *app, wanted, now, &constraint_failure);
      if (match.instances.empty()) {
        if (kept == nullptr) kept = std::make_shared<const model::Offer>(offer);
        CountReject(stats, *app, kept, match, constraint_failure, now);
        continue;
      }
      std::vector<InstanceId> ids;
      for (const InstanceId& id : it->second) {
        if (ids.size() >= match.instances.size()) break;
        ids.push_back(id);
      }
      const PathId& app_id = app->id;
      stats.last_used_offer_at = now;
      if (auto used = stats.last_unused_offers.find(offer.agent_id.value());
          used != stats.last_unused_offers.end()) {
        used->second =
            UnusedOffer{.offer = nullptr, .at = now, .reasons = {}, .constraint_reason = {}};
      } else if (static_cast<int>(stats.last_unused_offers.size()) <
                 options_.max_unused_offers_per_app) {
        stats.last_unused_offers.emplace(
            offer.agent_id.value(),
            UnusedOffer{.offer = nullptr, .at = now, .reasons = {}, .constraint_reason = {}});
      }
      for (size_t k = 0; k < match.instances.size() && k < ids.size(); ++k) {
        const MatchedInstance& m = match.instances[k];
        Instance& inst = instances_.at(ids[k]);
        if (!inst.task_id.empty()) by_task_id_.erase(inst.task_id);
        inst.incarnation++;
        inst.task_id = MakeTaskId(app_id, InstanceUuid(inst.id), inst.incarnation);
        by_task_id_[inst.task_id] = inst.id;
        inst.app_version = app->version;
        inst.agent_id = offer.agent_id.value();
        inst.hostname = offer.hostname;
        inst.agent_attributes = AgentAttributesOf(offer);  // with @region / @zone
        inst.host_ports = m.host_ports;
        inst.role = remaining.allocation_role.value_or("*");
        if (!m.resources.empty() && m.resources.items().front().allocation_role) {
          inst.role = *m.resources.items().front().allocation_role;
        }
        inst.task_state = model::TaskState::kStaging;
        inst.message.clear();
        inst.health = {};
        inst.health_checks.clear();
        inst.readiness = {};
        inst.kill_sent_at.reset();
        inst.unreachable_since.reset();
        inst.staged_at = now;
        inst.started_at.reset();
        SetCondition(inst, Condition::kProvisioned, now, out);
        delays_.OnCondition(*app, Condition::kProvisioned, now);
        tasks.push_back(BuildTaskInfo(*app, inst.task_id, remaining, m.resources, m.host_ports,
                                      ServicePorts(*app)));
        remaining.resources -= m.resources;
      }
    }
    // Anything still waiting after this offer?
    bool still_waiting = !scheduled_.empty();
    Duration refuse =
        (anything_waits && still_waiting) ? options_.decline_busy : options_.decline_idle;
    if (!tasks.empty()) {
      out->commands.push_back(cmd::Launch{{offer.id}, std::move(tasks), refuse});
    } else {
      out->commands.push_back(cmd::Decline{offer.id, refuse});
    }
  }
  if (!subscribed_) {
    // Nothing to answer: the offers are void.
  }
}

MatchResult ServiceScheduler::MatchForApp(const model::Offer& offer,
                                          const constraints::AgentView& agent,
                                          const AppDefinition& app, int wanted, Timestamp now,
                                          constraints::Result* constraint_failure) {
  MatchOptions options = options_.match;
  // What the constraint hook reads: declared here, as it outlives the hook's setup.
  struct Context {
    AppPlacement* placement;  // null: the app has no constraints
    const constraints::AgentView* agent;
    constraints::Result* failure;
    constraints::CheckOptions check;
  };
  Context ctx{
      nullptr, &agent, constraint_failure,
      constraints::CheckOptions{.dedicated_agents_exclusive = options_.dedicated_agents_exclusive}};
  if (!app.constraints.empty()) {
    // Counted per field value, kept up to date by Index/Unindex; the instances this offer
    // already took are added for each next one and taken back afterwards.
    ctx.placement = &placements_.For(app, [&] {
      std::vector<const InstanceView*> all;
      for (const Instance* i : InstancesOf(app.id)) all.push_back(i);
      return all;
    });
  }
  if (ctx.placement != nullptr || options_.dedicated_agents_exclusive) {
    // One pointer captured: std::function keeps it inline (no allocation per match).
    options.constraint_check = [c = &ctx](const model::Offer&, const AppDefinition&,
                                          int placed_in_offer) {
      static const std::vector<constraints::Constraint> kNone;
      static const constraints::PlacementCounts kNoCounts(kNone);
      if (c->placement == nullptr) {  // only the dedicated-agent rule
        constraints::Result r = constraints::CheckAll(kNone, *c->agent, kNoCounts, c->check);
        if (!r.ok && placed_in_offer == 0) *c->failure = r;
        return r.ok;
      }
      AppPlacement& p = *c->placement;
      if (!p.readable) return false;  // validation let it through: never place
      if (placed_in_offer == 0) {
        constraints::Result r = constraints::CheckAll(p.parsed, *c->agent, p.counts, c->check);
        if (r.ok) return true;
        *c->failure = std::move(r);
        return false;
      }
      for (int k = 0; k < placed_in_offer; ++k) p.counts.Add(*c->agent);
      const bool ok = constraints::CheckAll(p.parsed, *c->agent, p.counts, c->check).ok;
      for (int k = 0; k < placed_in_offer; ++k) p.counts.Remove(*c->agent);
      return ok;
    };
  }
  MatchResult match = MatchOffer(offer, app, wanted, options);
  // Maintenance (Marathon's maintenance mode): an agent whose window has started, or starts
  // within the draining time, takes nothing. Named after role and constraint, as Marathon's
  // funnel orders it.
  if (offer.unavailability.has_value() &&
      offer.unavailability->start <= now + options_.maintenance_draining &&
      (!offer.unavailability->duration.has_value() ||
       offer.unavailability->start + *offer.unavailability->duration > now)) {
    match.instances.clear();
    auto at = std::find_if(match.reasons.begin(), match.reasons.end(), [](std::string_view r) {
      return r != kUnfulfilledRole && r != kUnfulfilledConstraint;
    });
    match.reasons.insert(at, kAgentMaintenance);
  }
  return match;
}

void ServiceScheduler::CountReject(QueueEntry& stats, const AppDefinition& app,
                                   const std::shared_ptr<const model::Offer>& offer,
                                   const MatchResult& match,
                                   const constraints::Result& constraint_failure,
                                   Timestamp now) const {
  stats.unused_offers++;
  stats.last_unused_offer_at = now;
  // Marathon's funnel: an offer is declined at the first check it fails.
  if (!match.reasons.empty()) {
    auto r = stats.rejected_by_reason.find(match.reasons.front());
    if (r == stats.rejected_by_reason.end()) {
      r = stats.rejected_by_reason.emplace(std::string(match.reasons.front()), 0).first;
    }
    r->second++;
  }
  if (!constraint_failure.ok && constraint_failure.index >= 0 &&
      static_cast<size_t>(constraint_failure.index) < app.constraints.size()) {
    // Per constraint, restarted when the app's constraints change while it waits.
    bool same = stats.constraint_rejects.size() == app.constraints.size();
    for (size_t k = 0; same && k < app.constraints.size(); ++k) {
      same = stats.constraint_rejects[k].constraint == app.constraints[k];
    }
    if (!same) {
      stats.constraint_rejects.clear();
      for (const std::vector<std::string>& c : app.constraints) {
        stats.constraint_rejects.push_back(
            ConstraintRejects{.constraint = c, .declined = 0, .last_reason = {}});
      }
    }
    ConstraintRejects& r = stats.constraint_rejects[static_cast<size_t>(constraint_failure.index)];
    r.declined++;
    r.last_reason = constraint_failure.reason;
  }
  const std::string& agent_id = offer->agent_id.value();
  auto it = stats.last_unused_offers.find(agent_id);
  if (it == stats.last_unused_offers.end()) {
    if (static_cast<int>(stats.last_unused_offers.size()) >= options_.max_unused_offers_per_app) {
      return;
    }
    it = stats.last_unused_offers.emplace(agent_id, UnusedOffer{}).first;
  }
  it->second.offer = offer;
  it->second.at = now;
  it->second.reasons = match.reasons;
  it->second.constraint_reason = constraint_failure.ok ? "" : constraint_failure.reason;
}

bool ServiceScheduler::OnHealth(Instance& inst, const AppDefinition* app,
                                const model::TaskStatus& status, Timestamp now, Output* out) {
  // The details travel in the labels; an update without them (a reconciliation answer)
  // changes only `healthy`.
  const bool detailed = healthchecks::CarriesDetails(status.labels);
  healthchecks::State next = inst.health;
  std::vector<healthchecks::State> next_checks = inst.health_checks;
  if (detailed) {
    next = healthchecks::FromLabels(status.labels, status.healthy);
    next_checks = healthchecks::IndexedFromLabels(status.labels);
  } else {
    next.healthy = status.healthy;
  }
  if (app != nullptr && KilledForItsHealth(status)) {
    // Its TASK_KILLING may already have carried the same health, so this comes before the
    // no-change test.
    PublishEvent(
        UnhealthyInstanceKillEvent{.app_id = inst.app_id,
                                   .task_id = inst.task_id,
                                   .instance_id = inst.id,
                                   .version = inst.app_version,
                                   .reason = status.message,
                                   .host = inst.hostname,
                                   .slave_id = inst.agent_id.empty()
                                                   ? std::nullopt
                                                   : std::optional<std::string>(inst.agent_id),
                                   .timestamp = now},
        out);
  }
  if (next == inst.health && next_checks == inst.health_checks) return false;
  const healthchecks::State before = inst.health;
  const std::vector<healthchecks::State> before_checks = std::move(inst.health_checks);
  inst.health = next;
  inst.health_checks = std::move(next_checks);
  if (app == nullptr) return true;
  if (next.healthy != before.healthy) {
    PublishEvent(HealthStatusChangedEvent{.app_id = inst.app_id,
                                          .instance_id = inst.id,
                                          .version = inst.app_version,
                                          .alive = next.healthy.value_or(false),
                                          .timestamp = now},
                 out);
  }
  // One failed_health_check_event per counted failure, naming the check that failed.
  auto failed = [&](size_t index) {
    // An instance of an older version may have run other checks: name only current ones.
    if (index >= app->health_checks.size() || !IsCurrent(inst, *app)) return;
    PublishEvent(FailedHealthCheckEvent{.app_id = inst.app_id,
                                        .instance_id = inst.id,
                                        .health_check = app->health_checks[index],
                                        .timestamp = now},
                 out);
  };
  if (!inst.health_checks.empty()) {
    for (size_t i = 0; i < inst.health_checks.size(); ++i) {
      const int earlier = i < before_checks.size() ? before_checks[i].consecutive_failures : 0;
      if (inst.health_checks[i].healthy == false &&
          inst.health_checks[i].consecutive_failures > earlier) {
        failed(i);
      }
    }
  } else if (next.healthy == false && next.consecutive_failures > before.consecutive_failures) {
    failed(0);
  }
  return true;
}

void ServiceScheduler::OnStatus(const model::TaskStatus& status, Timestamp now, Output* out) {
  const std::string& task_id = status.task_id.value();
  auto found = by_task_id_.find(task_id);
  if (found == by_task_id_.end()) {
    // A task we do not know (an old incarnation, or forgotten): kill it unless it has ended.
    if (!model::IsTerminal(status.state) && subscribed_) {
      out->commands.push_back(cmd::Kill{status.task_id, status.agent_id});
    }
    if (model::IsTerminal(status.state)) {
      if (auto parsed = ParseTaskId(task_id); parsed && !instances_.contains(parsed->instance_id)) {
        PublishEvent(UnknownInstanceTerminatedEvent{.instance_id = parsed->instance_id,
                                                    .run_spec_id = parsed->app_id,
                                                    .condition = ConditionOf(status),
                                                    .timestamp = now},
                     out);
      }
    }
    return;
  }
  Instance& inst = instances_.at(found->second);
  const AppDefinition* app = FindApp(*root_, inst.app_id);
  Condition condition = ConditionOf(status);
  // A reconciliation answer that repeats what we know changes nothing.
  bool changed = condition != inst.condition || status.state != inst.task_state ||
                 (status.healthy.has_value() && status.healthy != inst.health.healthy);
  inst.task_state = status.state;
  if (!status.message.empty()) inst.message = status.message;
  if (status.healthy.has_value()) {
    changed |= OnHealth(inst, app, status, now, out);
  }
  if (std::optional<healthchecks::Readiness> r = healthchecks::ResultFromLabels(status.labels);
      r.has_value() && *r != inst.readiness) {
    inst.readiness = *r;
    changed = true;
  }
  if (status.agent_id && inst.agent_id.empty()) inst.agent_id = status.agent_id->value();
  if (condition == Condition::kRunning && !inst.started_at) inst.started_at = now;
  if (condition == Condition::kUnreachable) {
    if (!inst.unreachable_since) {
      inst.unreachable_since = status.unreachable_time.value_or(now);
    }
  } else {
    inst.unreachable_since.reset();
  }

  StatusUpdateEvent ev;
  ev.slave_id = inst.agent_id;
  ev.task_id = task_id;
  ev.task_status = std::string(model::TaskStateName(status.state));
  ev.message = status.message;
  ev.app_id = inst.app_id;
  ev.host = inst.hostname;
  ev.ports = inst.host_ports;
  ev.version = inst.app_version;
  ev.timestamp = now;
  if (changed) PublishEvent(std::move(ev), out);

  if (!IsTerminal(condition)) {
    // An instance we decided to kill comes back running (e.g. after a partition): kill again.
    if (inst.goal != Goal::kRunning && inst.condition != condition && subscribed_ &&
        condition != Condition::kKilling) {
      out->commands.push_back(cmd::Kill{
          model::TaskId(inst.task_id),
          inst.agent_id.empty() ? std::nullopt : std::optional(model::AgentId(inst.agent_id))});
      inst.kill_sent_at = now;
    }
    // UnreachableInactive stays until the task is really back.
    if (!(inst.condition == Condition::kUnreachableInactive &&
          condition == Condition::kUnreachable)) {
      SetCondition(inst, condition, now, out);
    } else if (changed) {
      Store(inst, out);
    }
    if (app != nullptr) delays_.OnCondition(*app, condition, now);
    return;
  }

  // The task ended.
  if (app != nullptr) delays_.OnCondition(*app, condition, now);
  // A task its executor killed for failing its health check is a failure too (Marathon's
  // lastTaskFailure says why), though not one that backs the app off.
  const bool failed = (condition != Condition::kKilled && condition != Condition::kFinished) ||
                      KilledForItsHealth(status);
  if (app != nullptr && failed) CountFailureForRollback(inst, *app, status.message);
  if (failed) {
    failures_[inst.app_id] =
        AppFailure{.failure = TaskFailure{.app_id = inst.app_id,
                                          .host = inst.hostname,
                                          .message = status.message,
                                          .state = std::string(model::TaskStateName(status.state)),
                                          .task_id = task_id,
                                          .timestamp = now,
                                          .version = inst.app_version,
                                          .agent_id = inst.agent_id},
                   .version = inst.app_version};
  }
  SetCondition(inst, condition, now, out);
  by_task_id_.erase(task_id);
  if (inst.goal != Goal::kRunning || app == nullptr) {
    Expunge(inst.id, out);
    return;
  }
  // Goal Running: relaunch through the queue, with the app's current definition.
  inst.app_version = app->version;
  inst.agent_id.clear();
  inst.hostname.clear();
  inst.agent_attributes.clear();
  inst.host_ports.clear();
  inst.health = {};
  inst.health_checks.clear();
  inst.readiness = {};
  inst.kill_sent_at.reset();
  SetCondition(inst, Condition::kScheduled, now, out);
}

void ServiceScheduler::OnTick(Timestamp now, Output* out) {
  // Only instances with something due (kill retry, launch timeout, unreachable strategy).
  std::vector<InstanceId> due;
  for (auto it = due_.begin(); it != due_.end() && it->first <= now; ++it)
    due.push_back(it->second);
  for (const InstanceId& id : due) {
    auto found = instances_.find(id);
    if (found == instances_.end()) continue;
    Instance& inst = found->second;
    const AppDefinition* app = FindApp(*root_, inst.app_id);
    // Resend KILL for tasks that do not die.
    if (inst.kill_sent_at && HasLiveTask(inst) && now - *inst.kill_sent_at >= options_.kill_retry) {
      KillTask(inst, now, out);
    }
    // Unreachable strategy.
    if (inst.unreachable_since && app != nullptr && !app->unreachable_strategy.disabled &&
        (inst.condition == Condition::kUnreachable ||
         inst.condition == Condition::kUnreachableInactive)) {
      Duration gone = now - *inst.unreachable_since;
      if (gone >= Duration::FromSecondsDouble(app->unreachable_strategy.expunge_after_seconds)) {
        if (subscribed_) {
          out->commands.push_back(cmd::Kill{
              model::TaskId(inst.task_id),
              inst.agent_id.empty() ? std::nullopt : std::optional(model::AgentId(inst.agent_id))});
        }
        Expunge(id, out);
        continue;
      }
      if (inst.condition == Condition::kUnreachable &&
          gone >= Duration::FromSecondsDouble(app->unreachable_strategy.inactive_after_seconds)) {
        SetCondition(inst, Condition::kUnreachableInactive, now, out);
      }
    }
    // Launch timeout: a task that never got to RUNNING.
    if ((inst.condition == Condition::kProvisioned || inst.condition == Condition::kStaging ||
         inst.condition == Condition::kStarting) &&
        !inst.kill_sent_at && now - inst.condition_since >= options_.task_launch_timeout) {
      KillTask(inst, now, out);
    }
    // Nothing changed (e.g. the deadline moved): keep the index right.
    if (instances_.contains(id)) Index(instances_.at(id));
  }
  if (subscribed_ && next_reconcile_ && now >= *next_reconcile_) {
    out->commands.push_back(cmd::Reconcile{});
    next_reconcile_ = now + options_.reconcile_interval;
  }
}

// ---- the control loop ----------------------------------------------------------------------

void ServiceScheduler::Reconcile(Timestamp now, Output* out) {
  RollBackPending(now, out);
  // Deployments, oldest first; a step that completes lets the next one start in the same pass.
  // Only those with something to look at: a changed app, a fresh step, a deadline passed.
  for (int pass = 0; pass < 4; ++pass) {
    std::set<std::string> candidates;
    for (const PathId& app_id : dirty_) {
      if (auto it = locked_.find(app_id); it != locked_.end()) {
        candidates.insert(it->second.begin(), it->second.end());
      }
    }
    for (const std::string& id : with_deadline_) {
      const Deployment& d = deployments_.at(id);
      if (now - d.step_started_at >= *d.progress_deadline) candidates.insert(id);
    }
    for (const std::string& id : deployments_without_pass_) candidates.insert(id);
    std::vector<std::pair<Timestamp, std::string>> order;
    for (const std::string& id : candidates) {
      if (auto it = deployments_.find(id); it != deployments_.end()) {
        order.emplace_back(it->second.started_at, id);
      }
    }
    std::sort(order.begin(), order.end());
    bool any_finished = false;
    for (const auto& [at, id] : order) {
      auto it = deployments_.find(id);
      if (it == deployments_.end()) continue;
      if (AdvanceDeployment(it->second, now, out)) any_finished = true;
    }
    if (!any_finished) break;
  }
  // Scale check of the apps that changed and that no deployment holds. Instances of an app that
  // no longer exists (its Stop was cancelled by a forced deployment) are decommissioned.
  std::set<PathId> dirty;
  dirty.swap(dirty_);
  for (const PathId& id : dirty) {
    if (InDeployment(id)) continue;
    if (const AppDefinition* app = FindApp(*root_, id)) {
      ScaleCheck(*app, now, out);
    } else {
      for (const InstanceId& iid : InstanceIdsOf(id)) {
        if (auto it = instances_.find(iid); it != instances_.end())
          Decommission(it->second, now, out);
      }
    }
  }
  dirty_.clear();

  // Offers: wanted while any instance waits to launch.
  bool wants = !scheduled_.empty();
  for (auto it = queue_stats_.begin(); it != queue_stats_.end();) {
    it = scheduled_.contains(it->first) ? std::next(it) : queue_stats_.erase(it);
  }
  if (subscribed_) {
    if (wants && (suppressed_ || !offers_state_known_)) {
      out->commands.push_back(cmd::Revive{});
      suppressed_ = false;
      offers_state_known_ = true;
    } else if (!wants && (!suppressed_ || !offers_state_known_)) {
      out->commands.push_back(cmd::Suppress{});
      suppressed_ = true;
      offers_state_known_ = true;
    }
  }

  // The next moment something is due.
  std::optional<Timestamp> wake;
  if (!due_.empty()) MinInto(wake, due_.begin()->first);
  for (const auto& [app_id, ids] : scheduled_) {
    if (const AppDefinition* app = FindApp(*root_, app_id)) {
      if (const LaunchDelays::Delay* d = delays_.Find(*app)) MinInto(wake, d->Until());
    }
  }
  for (const std::string& id : with_deadline_) {
    const Deployment& d = deployments_.at(id);
    MinInto(wake, d.step_started_at + *d.progress_deadline);
  }
  if (subscribed_ && next_reconcile_) MinInto(wake, *next_reconcile_);
  if (wake) {
    if (*wake <= now) wake = now + Duration::Milliseconds(1);
    out->commands.push_back(cmd::WakeAt{*wake});
  }
}

bool ServiceScheduler::AdvanceDeployment(Deployment& d, Timestamp now, Output* out) {
  const std::string id = d.plan.id;
  if (d.progress_deadline && now - d.step_started_at >= *d.progress_deadline) {
    FinishDeployment(id, false,
                     StrCat("no progress for ", d.progress_deadline->seconds(),
                            " seconds (deploymentProgressDeadlineSeconds) in step ",
                            d.current_step + 1, " of ", d.plan.steps.size()),
                     now, out);
    return true;
  }
  while (d.current_step < static_cast<int>(d.plan.steps.size())) {
    const Step& step = d.plan.steps[d.current_step];
    // The actions of the step not known to be done. A fresh step (or a recovered one) runs every
    // action; later, only the actions whose app changed since are looked at again.
    deployments_without_pass_.erase(id);
    auto [undone_it, fresh] = undone_.try_emplace(id);
    std::set<PathId>& undone = undone_it->second;
    if (fresh) {
      for (const Action& action : step.actions) undone.insert(action.app_id);
    }
    for (const Action& action : step.actions) {
      if (!undone.contains(action.app_id)) continue;
      if (!fresh && !dirty_.contains(action.app_id)) continue;
      if (RunAction(action, now, out)) undone.erase(action.app_id);
    }
    if (!undone.empty()) return false;
    undone_.erase(id);
    for (const Action& action : step.actions) {
      if (action.type == ActionType::kStop) {
        PublishEvent(AppTerminatedEvent{.app_id = action.app_id, .timestamp = now}, out);
      }
    }
    PublishEvent(DeploymentStepSuccessEvent{.plan = d.plan, .current_step = step, .timestamp = now},
                 out);
    d.current_step++;
    d.step_started_at = now;
    if (d.current_step < static_cast<int>(d.plan.steps.size())) {
      out->commands.push_back(cmd::PutDeployment{d});
      PublishEvent(
          DeploymentInfoEvent{
              .plan = d.plan, .current_step = d.plan.steps[d.current_step], .timestamp = now},
          out);
    }
  }
  FinishDeployment(id, true, std::nullopt, now, out);
  return true;
}

bool ServiceScheduler::RunAction(const Action& action, Timestamp now, Output* out) {
  switch (action.type) {
    case ActionType::kStart:
      return true;
    case ActionType::kStop: {
      for (const InstanceId& id : InstanceIdsOf(action.app_id)) {
        auto it = instances_.find(id);
        if (it != instances_.end() && it->second.goal == Goal::kRunning) {
          Decommission(it->second, now, out);
        }
      }
      bool done = InstanceIdsOf(action.app_id).empty();  // gone once every task ended
      if (done) {
        delays_.Reset(action.app_id);
        failures_.erase(action.app_id);
      }
      return done;
    }
    case ActionType::kScale: {
      const AppDefinition* app = FindApp(*root_, action.app_id);
      if (app == nullptr) return true;  // removed meanwhile (a forced deployment)
      return ScaleTo(*app, action.scale_to.value_or(app->instances), action.kill_list, now, out);
    }
    case ActionType::kRestart: {
      const AppDefinition* app = FindApp(*root_, action.app_id);
      if (app == nullptr) return true;
      return RestartStep(*app, now, out);
    }
  }
  return true;
}

void ServiceScheduler::ScaleCheck(const AppDefinition& app, Timestamp now, Output* out) {
  // O(1) when the app has as many counted instances as it should (most status updates).
  auto it = by_app_.find(app.id);
  const int counted = it == by_app_.end() ? 0 : it->second.counted;
  if (counted == app.instances) return;
  if (counted < app.instances) {
    QueueUpTo(app, app.instances - counted, now, out);
    return;
  }
  ScaleTo(app, app.instances, {}, now, out);
}

bool ServiceScheduler::ScaleTo(const AppDefinition& app, int target,
                               const std::vector<InstanceId>& to_kill, Timestamp now, Output* out) {
  const std::vector<const Instance*> instances = InstancesOf(app.id);
  int counted = 0;
  for (const Instance* i : instances) counted += IsCounted(*i);
  if (to_kill.empty() && counted <= target) {
    // Nothing to decommission (ProposeScaling's answer without copying every instance):
    // queue what is missing.
    QueueUpTo(app, target - counted, now, out);
    return IsSettled(app, target);
  }
  std::vector<InstanceView> views;
  views.reserve(instances.size());
  for (const Instance* i : instances) views.push_back(*i);
  const KillSelection kill_selection = ParseKillSelection(app.kill_selection);
  ConstraintKillProposer spread;  // keeps GROUP_BY / MAX_PER spread while scaling down
  if (!app.constraints.empty()) {
    spread = [&](const std::vector<InstanceView>& candidates, int count) {
      const AppPlacement& placement = placements_.For(app, [&] {
        std::vector<const InstanceView*> all;
        for (const InstanceView& v : views) all.push_back(&v);
        return all;
      });
      return Placements::ProposeKills(placement, SortForKill(candidates, kill_selection), count);
    };
  }
  ScalingProposition p = ProposeScaling(views, to_kill, target, kill_selection, spread);
  for (const InstanceId& id : p.to_decommission) {
    if (auto it = instances_.find(id); it != instances_.end()) Decommission(it->second, now, out);
  }
  QueueUpTo(app, p.to_start, now, out);
  return IsSettled(app, target);
}

bool ServiceScheduler::IsSettled(const AppDefinition& app, int target) const {
  // `target` counted instances, all healthy and ready, the decommissioned ones gone.
  int counted = 0;
  for (const Instance* i : InstancesOf(app.id)) {
    if (IsCounted(*i)) {
      counted++;
      if (!IsHealthy(*i, app) || !IsReady(*i, app)) return false;
    } else if (HasLiveTask(*i)) {
      return false;
    }
  }
  return counted == target;
}

bool ServiceScheduler::RestartStep(const AppDefinition& app, Timestamp now, Output* out) {
  std::vector<InstanceView> old_views;
  ReplaceInput input;
  input.target_instances = app.instances;
  input.strategy = app.upgrade_strategy;
  for (const Instance* i : InstancesOf(app.id)) {
    if (i->condition == Condition::kUnreachableInactive) continue;  // replaced, not counted
    if (IsCurrent(*i, app)) {
      input.new_instances.push_back(ReplaceInstance{.id = i->id,
                                                    .goal_running = i->goal == Goal::kRunning,
                                                    .terminal = IsTerminal(i->condition),
                                                    .healthy = IsHealthy(*i, app),
                                                    .ready = IsReady(*i, app)});
    } else {
      old_views.push_back(*i);
    }
  }
  for (const InstanceView& v : SortForKill(old_views, ParseKillSelection(app.kill_selection))) {
    const Instance& i = instances_.at(v.id);
    input.old_instances.push_back(
        ReplaceInstance{.id = i.id,
                        .goal_running = i.goal == Goal::kRunning,
                        .terminal = !HasLiveTask(i) && i.condition != Condition::kScheduled,
                        .healthy = IsHealthy(i, app),
                        .ready = IsReady(i, app)});
  }
  ReplaceDecision decision = DecideReplaceStep(input);
  for (const InstanceId& id : decision.decommission) {
    if (auto it = instances_.find(id); it != instances_.end()) Decommission(it->second, now, out);
  }
  QueueUpTo(app, decision.launch, now, out);
  return decision.done;
}

void ServiceScheduler::StartDeployment(DeploymentPlan plan, Timestamp now, Output* out) {
  Deployment d;
  d.started_at = now;
  d.step_started_at = now;
  for (const PathId& id : AffectedAppIds(plan)) {
    const AppDefinition* app = FindApp(plan.target, id);
    if (app == nullptr) app = FindApp(plan.original, id);
    if (app != nullptr && app->deployment_progress_deadline_seconds) {
      Duration deadline = Duration::FromSecondsDouble(*app->deployment_progress_deadline_seconds);
      if (!d.progress_deadline || deadline < *d.progress_deadline) d.progress_deadline = deadline;
    }
    // A restart or stop starts the app's backoff from scratch.
    delays_.Reset(id);
  }
  d.plan = std::move(plan);
  if (!d.plan.steps.empty()) {
    PublishEvent(
        DeploymentInfoEvent{.plan = d.plan, .current_step = d.plan.steps.front(), .timestamp = now},
        out);
  }
  out->commands.push_back(cmd::PutDeployment{d});
  for (const PathId& id : AffectedAppIds(d.plan)) {
    locked_[id].insert(d.plan.id);
    dirty_.insert(id);
  }
  undone_.erase(d.plan.id);
  deployments_without_pass_.insert(d.plan.id);
  if (d.progress_deadline) with_deadline_.insert(d.plan.id);
  deployments_[d.plan.id] = std::move(d);
}

void ServiceScheduler::CountFailureForRollback(const Instance& inst, const AppDefinition& app,
                                               const std::string& message) {
  const std::optional<int> budget = app.upgrade_strategy.rollback_after_failures;
  if (!budget || !IsCurrent(inst, app)) return;
  auto locked = locked_.find(app.id);
  if (locked == locked_.end()) return;  // not in a deployment
  for (const std::string& id : locked->second) {
    const int failed = ++rollback_failures_[{id, app.id}];
    if (failed >= *budget && !pending_rollbacks_.contains(id)) {
      pending_rollbacks_[id] =
          StrCat("rolled back: ", failed, failed == 1 ? " task" : " tasks", " of ", app.id,
                 " failed during the deployment (rollbackAfterFailures ", *budget, ")",
                 message.empty() ? "" : "; the last: ", message);
    }
  }
}

void ServiceScheduler::RollBackPending(Timestamp now, Output* out) {
  while (!pending_rollbacks_.empty()) {
    auto [id, reason] = *pending_rollbacks_.begin();
    pending_rollbacks_.erase(pending_rollbacks_.begin());
    auto it = deployments_.find(id);
    if (it == deployments_.end()) continue;
    const DeploymentPlan plan = it->second.plan;
    FinishDeployment(id, false, reason, now, out);
    // The previous version comes back through a deployment of its own (as a cancel does).
    Group reverted = RevertRoot(plan, *root_, now);
    Deploy(std::move(reverted), DeployOptions{.force = true, .to_kill = {}}, now, out);
  }
}

void ServiceScheduler::FinishDeployment(const std::string& id, bool success,
                                        std::optional<std::string> reason, Timestamp now,
                                        Output* out) {
  auto it = deployments_.find(id);
  if (it == deployments_.end()) return;
  DeploymentPlan plan = std::move(it->second.plan);
  deployments_.erase(it);
  undone_.erase(id);
  deployments_without_pass_.erase(id);
  with_deadline_.erase(id);
  for (const PathId& app_id : AffectedAppIds(plan)) {
    if (auto it = locked_.find(app_id); it != locked_.end()) {
      it->second.erase(id);
      if (it->second.empty()) locked_.erase(it);
    }
    dirty_.insert(app_id);  // free again: the scale check looks at it
  }
  out->commands.push_back(cmd::RemoveDeployment{id});
  for (auto f = rollback_failures_.lower_bound({id, PathId()});
       f != rollback_failures_.end() && f->first.first == id;) {
    f = rollback_failures_.erase(f);
  }
  if (success) {
    PublishEvent(DeploymentSuccessEvent{.id = id, .plan = std::move(plan), .timestamp = now}, out);
  } else {
    PublishEvent(
        DeploymentFailedEvent{
            .id = id, .plan = std::move(plan), .reason = std::move(reason), .timestamp = now},
        out);
  }
}

// ---- instances -----------------------------------------------------------------------------

void ServiceScheduler::QueueUpTo(const AppDefinition& app, int count, Timestamp now, Output* out) {
  // At most max_queued_per_app wait at a time: the rest are created as these launch (the app
  // changes, so its action or scale check runs again). A huge `instances` costs memory only
  // for what actually runs.
  auto queued = scheduled_.find(app.id);
  int waiting = queued == scheduled_.end() ? 0 : static_cast<int>(queued->second.size());
  int n = std::min(count, std::max(0, options_.max_queued_per_app - waiting));
  for (int k = 0; k < n; ++k) NewInstance(app, now, out);
}

Instance& ServiceScheduler::NewInstance(const AppDefinition& app, Timestamp now, Output* out) {
  Instance inst;
  inst.id = InstanceId(StrCat(SafeName(app.id), kInstanceMarker, UuidToString(random_.Uuid())));
  inst.app_id = app.id;
  inst.app_version = app.version;
  inst.condition = Condition::kScheduled;
  inst.goal = Goal::kRunning;
  inst.condition_since = now;
  auto [it, inserted] = instances_.emplace(inst.id, std::move(inst));
  ATOLL_CHECK(inserted);
  Store(it->second, out);
  PublishEvent(InstanceChangedEvent{.instance_id = it->second.id,
                                    .condition = Condition::kScheduled,
                                    .run_spec_id = app.id,
                                    .agent_id = std::nullopt,
                                    .host = std::nullopt,
                                    .run_spec_version = app.version,
                                    .goal = Goal::kRunning,
                                    .timestamp = now},
               out);
  return it->second;
}

void ServiceScheduler::Decommission(Instance& instance, Timestamp now, Output* out) {
  if (instance.goal == Goal::kDecommissioned) return;
  instance.goal = Goal::kDecommissioned;
  if (HasLiveTask(instance)) {
    KillTask(instance, now, out);
  } else {
    Expunge(instance.id, out);  // nothing runs: forgotten at once
  }
}

void ServiceScheduler::KillTask(Instance& instance, Timestamp now, Output* out) {
  instance.kill_sent_at = now;
  if (subscribed_ && !instance.task_id.empty()) {
    out->commands.push_back(cmd::Kill{model::TaskId(instance.task_id),
                                      instance.agent_id.empty()
                                          ? std::nullopt
                                          : std::optional(model::AgentId(instance.agent_id))});
  }
  Store(instance, out);
}

void ServiceScheduler::SetCondition(Instance& instance, Condition condition, Timestamp now,
                                    Output* out) {
  if (instance.condition != condition) {
    instance.condition = condition;
    instance.condition_since = now;
    PublishEvent(
        InstanceChangedEvent{
            .instance_id = instance.id,
            .condition = condition,
            .run_spec_id = instance.app_id,
            .agent_id = instance.agent_id.empty() ? std::nullopt : std::optional(instance.agent_id),
            .host = instance.hostname.empty() ? std::nullopt : std::optional(instance.hostname),
            .run_spec_version = instance.app_version,
            .goal = instance.goal,
            .timestamp = now},
        out);
  }
  Store(instance, out);
}

void ServiceScheduler::Store(const Instance& instance, Output* out) {
  Index(instance);
  out->commands.push_back(cmd::PutInstance{instance});
}

std::optional<Timestamp> ServiceScheduler::DueAt(const Instance& i) const {
  std::optional<Timestamp> due;
  if (i.kill_sent_at && HasLiveTask(i)) MinInto(due, *i.kill_sent_at + options_.kill_retry);
  if ((i.condition == Condition::kProvisioned || i.condition == Condition::kStaging ||
       i.condition == Condition::kStarting) &&
      !i.kill_sent_at) {
    MinInto(due, i.condition_since + options_.task_launch_timeout);
  }
  if (i.unreachable_since &&
      (i.condition == Condition::kUnreachable || i.condition == Condition::kUnreachableInactive)) {
    if (const AppDefinition* app = FindApp(*root_, i.app_id);
        app != nullptr && !app->unreachable_strategy.disabled) {
      const UnreachableStrategy& u = app->unreachable_strategy;
      if (i.condition == Condition::kUnreachable) {
        MinInto(due, *i.unreachable_since + Duration::FromSecondsDouble(u.inactive_after_seconds));
      }
      MinInto(due, *i.unreachable_since + Duration::FromSecondsDouble(u.expunge_after_seconds));
    }
  }
  return due;
}

void ServiceScheduler::Index(const Instance& i) {
  AppInstances& of_app = by_app_[i.app_id];
  AppInstances::Entry& entry = of_app.all[i.id];
  if (entry.instance == nullptr) entry.instance = &instances_.at(i.id);  // nodes never move
  const Instance* const slot = entry.instance;
  if (IsCounted(i) != entry.counted) {
    entry.counted = !entry.counted;
    of_app.counted += entry.counted ? 1 : -1;
  }
  if (HasLiveTask(i) &&
      (i.condition == Condition::kProvisioned || i.condition == Condition::kStaging ||
       i.condition == Condition::kStarting || i.kill_sent_at.has_value())) {
    launching_.emplace(i.id, slot);
  } else {
    launching_.erase(i.id);
  }
  placements_.Update(i);
  if (i.goal == Goal::kRunning && i.condition == Condition::kScheduled) {
    scheduled_[i.app_id].insert(i.id);
  } else if (auto it = scheduled_.find(i.app_id); it != scheduled_.end()) {
    it->second.erase(i.id);
    if (it->second.empty()) scheduled_.erase(it);
  }
  dirty_.insert(i.app_id);
  std::optional<Timestamp> due = DueAt(i);
  auto old = due_at_.find(i.id);
  if (old != due_at_.end()) {
    if (due && *due == old->second) return;
    auto [lo, hi] = due_.equal_range(old->second);
    for (auto it = lo; it != hi; ++it) {
      if (it->second == i.id) {
        due_.erase(it);
        break;
      }
    }
    due_at_.erase(old);
  }
  if (due) {
    due_.emplace(*due, i.id);
    due_at_[i.id] = *due;
  }
}

void ServiceScheduler::Unindex(const Instance& i) {
  placements_.Remove(i);
  launching_.erase(i.id);
  if (auto it = by_app_.find(i.app_id); it != by_app_.end()) {
    if (auto e = it->second.all.find(i.id); e != it->second.all.end()) {
      if (e->second.counted) it->second.counted--;
      it->second.all.erase(e);
    }
    if (it->second.all.empty()) {
      by_app_.erase(it);
      if (FindApp(*root_, i.app_id) == nullptr) placements_.DropIfEmpty(i.app_id);
    }
  }
  if (auto it = scheduled_.find(i.app_id); it != scheduled_.end()) {
    it->second.erase(i.id);
    if (it->second.empty()) scheduled_.erase(it);
  }
  if (auto old = due_at_.find(i.id); old != due_at_.end()) {
    auto [lo, hi] = due_.equal_range(old->second);
    for (auto it = lo; it != hi; ++it) {
      if (it->second == i.id) {
        due_.erase(it);
        break;
      }
    }
    due_at_.erase(old);
  }
  dirty_.insert(i.app_id);
}

void ServiceScheduler::RecomputeLocks() {
  locked_.clear();
  with_deadline_.clear();
  deployments_without_pass_.clear();
  for (const auto& [id, d] : deployments_) {
    for (const PathId& app_id : AffectedAppIds(d.plan)) locked_[app_id].insert(id);
    if (d.progress_deadline) with_deadline_.insert(id);
    deployments_without_pass_.insert(id);
  }
}

void ServiceScheduler::Expunge(const InstanceId& id_ref, Output* out) {
  const InstanceId id = id_ref;  // the caller's may be the instance's own, erased below
  auto it = instances_.find(id);
  if (it == instances_.end()) return;
  if (!it->second.task_id.empty()) {
    auto t = by_task_id_.find(it->second.task_id);
    if (t != by_task_id_.end() && t->second == id) by_task_id_.erase(t);
  }
  Unindex(it->second);
  instances_.erase(it);
  out->commands.push_back(cmd::RemoveInstance{id});
}

void ServiceScheduler::PublishEvent(MarathonEvent event, Output* out) {
  out->commands.push_back(cmd::Publish{std::move(event)});
}

}  // namespace atl::marathonlike
