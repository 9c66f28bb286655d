// ServiceScheduler: the state machine of the Marathon-compatible service scheduler
// (reference/marathon.md §2-§4). It owns the root group, the running deployments, every
// instance and the launch queue, and decides what the shell (core/cmd/scheduler_runtime) then
// does: driver calls to the master, store writes, events on /v2/events, wake-ups.
// Deterministic: time is a parameter, ids come from a seeded Random, no I/O.
//
// Two kinds of input:
//   - Handle(Input): what the master says through the driver (offers, status updates,
//     subscription changes) and the passing of time (Tick);
//   - the API operations (Deploy, KillInstances, CancelDeployment, ResetDelay): the REST layer
//     (v2_api.h) builds the new root group with root_group.h and hands it over; each returns
//     its answer now and appends its commands to an Output.
//
// Instances. An instance is one copy of an app, with a stable InstanceId; each launch of it is
// a task ("<app>.instance-<uuid>._app.<incarnation>"). Goal Running: a terminal task is
// relaunched (next incarnation) through the launch queue, with the app's backoff. Goal
// Decommissioned: its task is killed (KILL resent every `kill_retry` until terminal) and the
// instance is forgotten once terminal. An instance is "counted" for its app when its goal is
// Running and it is not UnreachableInactive; outside deployments the scheduler keeps every
// app's counted instances equal to `instances` (Marathon's scale check), so an instance that is
// unreachable past `unreachableStrategy.inactiveAfterSeconds` gets a replacement, and one that
// comes back makes the app one over and is scaled down (killSelection).
//
// Deployments run their steps in order; a step is done when all its actions are:
//   Start    at once (Marathon's placeholder);
//   Stop     every instance decommissioned and gone (then app_terminated_event);
//   Scale    counted == target, all of them healthy and ready, decommissioned ones gone;
//   Restart  DecideReplaceStep (restart_strategy.h) says done; it is re-run on every change.
// Healthy: running and (no health checks, or the executor's last report said healthy; the
// executor runs the app's check next to the task, see task_builder.h TaskHealthChecks).
// An instance is "current" when it runs the app's config: last_config_change_at <= its
// app_version <= version (a scale-only change does not make instances old; after a revert to
// an older version, instances of the newer one are old).
//
// Safety invariants (tests/marathonlike/service_scheduler_test.cc, tests/sim):
//   - a task is launched only from an offer the scheduler holds, and only for an instance in
//     Scheduled with goal Running, at most once per incarnation;
//   - during a restart, healthy instances never drop below the healthy floor because of our
//     kills, and running instances never exceed maxCapacity (restart_strategy.h);
//   - every write to durable state is in the Output before the answer that depends on it (the
//     shell commits the Output's store commands before it sends anything of the same turn).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/random.h"
#include "core/base/time.h"
#include "core/model/info.h"
#include "healthchecks/readiness.h"
#include "healthchecks/tracker.h"
#include "marathonlike/app_info.h"
#include "marathonlike/events.h"
#include "marathonlike/group.h"
#include "marathonlike/instance.h"
#include "marathonlike/launch_delay.h"
#include "marathonlike/offer_match.h"
#include "marathonlike/placements.h"
#include "marathonlike/plan.h"
#include "marathonlike/task_json.h"

namespace atl::marathonlike {

struct SchedulerOptions {
  // The default role of apps that name none and are not under an enforceRole group
  // (Marathon's --mesos_role).
  std::string default_role = "*";
  MatchOptions match;  // max_instances_per_offer, constraint hook
  // Declined offers stay away this long when nothing waits to launch (Marathon's
  // --decline_offer_duration), and `decline_busy` when instances wait but did not fit.
  Duration decline_idle = Duration::Seconds(120);
  Duration decline_busy = Duration::Seconds(5);
  // KILL is resent while a killed task is not terminal (Marathon's --kill_retry_timeout).
  Duration kill_retry = Duration::Seconds(10);
  // A task still STAGING/STARTING (or a launch without any update) after this is killed and
  // relaunched (Marathon's --task_launch_timeout, 5 min).
  Duration task_launch_timeout = Duration::Minutes(5);
  // Implicit reconciliation of every task (Marathon's --reconciliation_interval, 10 min).
  Duration reconcile_interval = Duration::Minutes(10);
  // Service ports for portDefinitions with port 0 (Marathon's --local_port_min/max).
  int service_port_min = 10000;
  int service_port_max = 20000;
  // App and root-group versions kept per app (Marathon's --max_versions).
  int max_versions = 50;
  // See the file comment (Healthy): whether RUNNING counts as healthy for an app with health
  // checks before the executor's first report. Off, as in Marathon: executors run the checks.
  bool trust_running_as_healthy = false;
  // Instances of one app waiting to launch at a time; more are queued as these launch, so
  // `instances: 2000000000` costs memory only for what runs.
  int max_queued_per_app = 1000;
  // Offers from agents whose maintenance window starts within this are declined
  // (AgentMaintenance), as Marathon's maintenance mode with --draining_seconds.
  Duration maintenance_draining = Duration::Zero();
  // Agents whose last unused offer /v2/queue remembers per waiting app (`lastUnusedOffers`,
  // `rejectSummaryLastOffers`); offers from further agents are counted but not remembered.
  int max_unused_offers_per_app = 1000;
  // Aurora's dedicated agents (constraints::CheckOptions): an agent with a `dedicated`
  // attribute takes only apps whose constraints ask for its value. Off: Marathon has no such
  // rule.
  bool dedicated_agents_exclusive = false;
};

// One instance as the scheduler keeps it (and stores it).
struct Instance : InstanceView {
  int incarnation = 0;  // of the current (or next) task; 0 before the first launch
  std::string task_id;  // the current task; "" while never launched
  model::TaskState task_state = model::TaskState::kStaging;  // last Mesos state of task_id
  std::string message;                                       // its last status message
  // The executor's last health report (TaskStatus.healthy and the details in its labels);
  // healthy unset until the first one.
  healthchecks::State health;
  // With several health checks: each one's own state, in the app's order (empty with one).
  std::vector<healthchecks::State> health_checks;
  // The executor's last readiness report (for apps with a readiness check).
  healthchecks::Readiness readiness;
  std::vector<int> host_ports;
  std::string role;  // the role its resources were allocated to
  std::optional<Timestamp> unreachable_since;
  std::optional<Timestamp> kill_sent_at;  // the last KILL sent for task_id
  bool operator==(const Instance&) const = default;
};

// A deployment in flight.
struct Deployment {
  // Its original and target trees hold only the apps the plan affects (every group, without
  // the other apps): enough to revert it, and small to store.
  DeploymentPlan plan;
  int current_step = 0;  // 0-based index of the step being run (== steps.size(): finishing)
  Timestamp started_at;
  Timestamp step_started_at;
  // When it fails if no step completed since step_started_at (the smallest
  // deploymentProgressDeadlineSeconds of its apps); unset: never.
  std::optional<Duration> progress_deadline;
  bool operator==(const Deployment&) const = default;
};

// A task failure remembered per app (`lastTaskFailure`).
struct AppFailure {
  TaskFailure failure;
  Timestamp version;  // the app version of the failed task
  bool operator==(const AppFailure&) const = default;
};

// Everything the scheduler stores, as Recover hands it back.
struct StoredState {
  std::optional<std::string> framework_id;
  Group root;
  std::vector<Deployment> deployments;
  std::vector<Instance> instances;
  // Stored versions per app and of the root group, oldest first.
  std::map<PathId, std::vector<Timestamp>> app_versions;
  std::vector<Timestamp> root_versions;
  bool operator==(const StoredState&) const = default;
};

namespace in {
// The stored state, given once before anything else (empty on a fresh store).
struct Recover {
  StoredState state;
};
struct Subscribed {
  std::string framework_id;
  bool resubscribed = false;  // a later SUBSCRIBED of the same driver
  std::string master;         // "host:port", for scheduler_registered_event
};
struct Disconnected {};
struct Offers {
  std::vector<model::Offer> offers;
};
struct OfferRescinded {
  model::OfferId offer_id;
};
struct StatusUpdate {
  model::TaskStatus status;
};
struct AgentLost {
  model::AgentId agent_id;
};
struct Tick {};
}  // namespace in

using Input = std::variant<in::Recover, in::Subscribed, in::Disconnected, in::Offers,
                           in::OfferRescinded, in::StatusUpdate, in::AgentLost, in::Tick>;

namespace cmd {
// ---- driver calls ----
struct Launch {
  std::vector<model::OfferId> offer_ids;  // one offer (several from one agent are not pooled)
  std::vector<model::TaskInfo> tasks;
  Duration refuse;  // filters for what is left of the offer
};
struct Decline {
  model::OfferId offer_id;
  Duration refuse;
};
struct Kill {
  model::TaskId task_id;
  std::optional<model::AgentId> agent_id;
};
// Explicit for the given tasks; implicit (every task) when empty.
struct Reconcile {
  std::vector<model::TaskStatus> tasks;
};
struct Revive {};
struct Suppress {};
// ---- durable state: the shell commits these before sending anything of the same Output ----
struct PutFrameworkId {
  std::string framework_id;
};
// The current root group, also kept as the root version `root.version` (GET
// /v2/groups/versions, PUT /v2/groups with "version"); older ones go with RemoveRootVersion.
struct PutRoot {
  std::shared_ptr<const Group> root;  // the scheduler's own (immutable once shared)
};
struct RemoveRootVersion {
  Timestamp version;
};
// One app version (GET /v2/apps/{id}/versions/{version}, rollback).
struct PutAppVersion {
  AppDefinition app;
};
struct RemoveAppVersion {
  PathId app_id;
  Timestamp version;
};
struct PutDeployment {
  Deployment deployment;
};
struct RemoveDeployment {
  std::string id;
};
struct PutInstance {
  Instance instance;
};
struct RemoveInstance {
  InstanceId id;
};
// ---- everything else ----
struct Publish {
  MarathonEvent event;
};
struct WakeAt {
  Timestamp at;
};
}  // namespace cmd

using Command =
    std::variant<cmd::Launch, cmd::Decline, cmd::Kill, cmd::Reconcile, cmd::Revive, cmd::Suppress,
                 cmd::PutFrameworkId, cmd::PutRoot, cmd::RemoveRootVersion, cmd::PutAppVersion,
                 cmd::RemoveAppVersion, cmd::PutDeployment, cmd::RemoveDeployment, cmd::PutInstance,
                 cmd::RemoveInstance, cmd::Publish, cmd::WakeAt>;

// Whether a command writes durable state (Put*/Remove*).
bool IsDurable(const Command& command);

struct Output {
  std::vector<Command> commands;
};

// The last offer of one agent that an app could not use (`lastUnusedOffers`).
struct UnusedOffer {
  std::shared_ptr<const model::Offer> offer;
  Timestamp at;
  std::vector<std::string_view> reasons;  // Marathon's names (offer_match.h), in funnel order
  std::string constraint_reason;          // the first failing constraint, when one failed
};

// How many offers one of the app's constraints turned down (beyond Marathon: its funnel has
// only UnfulfilledConstraint). Each offer counts at its first failing constraint.
struct ConstraintRejects {
  std::vector<std::string> constraint;  // as the app gives it
  int64_t declined = 0;
  std::string last_reason;  // "UNIQUE hostname: host-1 already runs 1 instance"
};

// /v2/queue: one app waiting to launch.
struct QueueEntry {
  PathId app_id;
  int count = 0;  // instances waiting to launch
  std::optional<Timestamp> delayed_until;
  // Waiting longer than task_launch_timeout (for metrics; not Marathon's `delay.overdue`, which
  // the REST layer derives from delayed_until).
  bool overdue = false;
  Timestamp since;  // when the oldest waiting instance was queued
  // processedOffersSummary: offers looked at since the app started waiting, and per reason
  // (offer_match.h names) how many were declined at that stage of Marathon's funnel (role,
  // constraint, cpus, mem, disk, gpus, ports: each offer counts once, at its first failure).
  int64_t processed_offers = 0;
  int64_t unused_offers = 0;
  std::map<std::string, int64_t, std::less<>> rejected_by_reason;
  std::optional<Timestamp> last_used_offer_at;
  std::optional<Timestamp> last_unused_offer_at;
  // Per agent (id), its last offer looked at for the app; `offer` is null and `reasons` empty
  // when that offer was used (so rejectSummaryLastOffers counts it as processed).
  std::map<std::string, UnusedOffer> last_unused_offers;
  std::vector<ConstraintRejects> constraint_rejects;  // in the app's constraint order
  // Set by Queue(): no agent known to the scheduler can take one more instance under the
  // app's constraints ("can never be met" on the cluster as it is).
  std::optional<Unplaceable> unplaceable;
};

class ServiceScheduler {
 public:
  ServiceScheduler(SchedulerOptions options, uint64_t seed);

  Output Handle(const Input& input, Timestamp now);

  // ---- API operations ----

  struct DeployOptions {
    bool force = false;  // cancel conflicting deployments (without revert) instead of 409
    // Instances to kill first, per app, for scale-only changes (DELETE ...?scale=true).
    std::map<PathId, std::vector<InstanceId>> to_kill;
  };
  // The answer to a write that conflicts with running deployments (409).
  struct Conflict {
    std::vector<std::string> deployment_ids;
  };
  // Makes `target` the root group: fills each new or changed app's role and dynamic service
  // ports, checks it (CheckRoot), stores it, and starts the deployment from the current root to
  // it (an empty plan completes at once). Errors: InvalidArgument (CheckRoot, service ports
  // exhausted) -> 422; a Conflict -> 409 unless `force`.
  using DeployResult = std::variant<DeploymentPlan, Conflict, absl::Status>;
  DeployResult Deploy(Group target, const DeployOptions& options, Timestamp now, Output* out);

  // The plan Deploy would run (PUT /v2/groups?dryRun=true), without changing anything.
  absl::StatusOr<DeploymentPlan> DryRun(Group target, Timestamp now) const;

  // DELETE /v2/deployments/{id}: without force, revert through a new deployment (its plan is
  // returned); with force, just stop it (nullopt). NotFound for an unknown id.
  absl::StatusOr<std::optional<DeploymentPlan>> CancelDeployment(const std::string& id, bool force,
                                                                 Timestamp now, Output* out);

  // Kills the tasks of `instances` (DELETE /v2/apps/{id}/tasks, POST /v2/tasks/delete):
  //   plain: the task is killed and the instance relaunched (a new incarnation);
  //   wipe:  the instance is decommissioned and forgotten; the scale check launches a new one.
  // With scale, use Deploy with DeployOptions::to_kill instead. Returns the instances killed
  // (unknown ids are skipped).
  std::vector<Instance> KillInstances(const std::vector<InstanceId>& instances, bool wipe,
                                      Timestamp now, Output* out);

  // DELETE /v2/queue/{id}/delay. NotFound if the app does not exist.
  absl::Status ResetDelay(const PathId& app_id, Timestamp now, Output* out);

  // ---- views for the REST layer ----
  const Group& root() const { return *root_; }
  const std::map<std::string, Deployment>& deployments() const { return deployments_; }
  const std::map<InstanceId, Instance>& instances() const { return instances_; }
  // The instances of one app (any goal), by id.
  std::vector<const Instance*> InstancesOf(const PathId& app_id) const;
  const Instance* FindInstance(const InstanceId& id) const;
  // The instance whose current task is `task_id`.
  const Instance* FindByTaskId(std::string_view task_id) const;
  // Ids of the deployments whose plan affects `app_id`.
  std::vector<std::string> DeploymentsOf(const PathId& app_id) const;
  TaskCounts CountsOf(const AppDefinition& app) const;
  TaskView TaskViewOf(const Instance& instance) const;
  const AppFailure* LastFailureOf(const PathId& app_id) const;
  // With `explain`, entries of apps with constraints also say whether any known agent can take
  // one more instance (QueueEntry::unplaceable; O(known agents) per such app).
  std::vector<QueueEntry> Queue(Timestamp now, bool explain = false) const;
  const std::map<PathId, std::vector<Timestamp>>& app_versions() const { return app_versions_; }
  const std::vector<Timestamp>& root_versions() const { return root_versions_; }
  const std::optional<std::string>& framework_id() const { return framework_id_; }
  bool subscribed() const { return subscribed_; }
  const SchedulerOptions& options() const { return options_; }

  // Whether the instance counts as healthy for deployments (see the file comment).
  bool IsHealthy(const Instance& instance, const AppDefinition& app) const;
  // Whether it passed the app's readiness check (always, without one).
  bool IsReady(const Instance& instance, const AppDefinition& app) const;
  // The readiness results of the app's current instances with a live task (none without a
  // readiness check): /v2/deployments currentActions and embed=app.readiness.
  std::vector<ReadinessResult> ReadinessOf(const AppDefinition& app) const;

 private:
  void Recover(const StoredState& state, Timestamp now);
  void OnSubscribed(const in::Subscribed& s, Timestamp now, Output* out);
  void OnOffers(const std::vector<model::Offer>& offers, Timestamp now, Output* out);
  // MatchOffer with the maintenance rule and the app's placement constraints (checked against
  // its placed instances). `constraint_failure` gets the first failing constraint when the
  // offer is refused because of one.
  MatchResult MatchForApp(const model::Offer& offer, const constraints::AgentView& agent,
                          const AppDefinition& app, int wanted, Timestamp now,
                          constraints::Result* constraint_failure);
  void CountReject(QueueEntry& stats, const AppDefinition& app,
                   const std::shared_ptr<const model::Offer>& offer, const MatchResult& match,
                   const constraints::Result& constraint_failure, Timestamp now) const;
  void OnStatus(const model::TaskStatus& status, Timestamp now, Output* out);
  // A status with `healthy`: keeps the report and publishes the health events. Returns
  // whether anything changed.
  bool OnHealth(Instance& inst, const AppDefinition* app, const model::TaskStatus& status,
                Timestamp now, Output* out);
  void OnAgentLost(const model::AgentId& agent_id, Output* out);
  void OnTick(Timestamp now, Output* out);

  // Drives every deployment and the scale check until nothing changes; emits revive/suppress
  // and the next wake-up.
  void Reconcile(Timestamp now, Output* out);
  bool AdvanceDeployment(Deployment& d, Timestamp now, Output* out);  // true when finished
  bool RunAction(const Action& action, Timestamp now, Output* out);   // done?
  void ScaleCheck(const AppDefinition& app, Timestamp now, Output* out);
  bool ScaleTo(const AppDefinition& app, int target, const std::vector<InstanceId>& to_kill,
               Timestamp now, Output* out);                                // true when settled
  bool RestartStep(const AppDefinition& app, Timestamp now, Output* out);  // true when done
  bool IsSettled(const AppDefinition& app, int target) const;
  void StartDeployment(DeploymentPlan plan, Timestamp now, Output* out);
  void FinishDeployment(const std::string& id, bool success, std::optional<std::string> reason,
                        Timestamp now, Output* out);
  // A task of `app`'s new version failed during a deployment: counts against its
  // rollbackAfterFailures budget.
  void CountFailureForRollback(const Instance& inst, const AppDefinition& app,
                               const std::string& message);
  // Fails the deployments whose budget ran out and deploys their previous versions.
  void RollBackPending(Timestamp now, Output* out);

  Instance& NewInstance(const AppDefinition& app, Timestamp now, Output* out);
  void QueueUpTo(const AppDefinition& app, int count, Timestamp now, Output* out);
  void Decommission(Instance& instance, Timestamp now, Output* out);
  void KillTask(Instance& instance, Timestamp now, Output* out);
  void SetCondition(Instance& instance, Condition condition, Timestamp now, Output* out);
  void Store(const Instance& instance, Output* out);
  void Expunge(const InstanceId& id, Output* out);
  // The indexes below follow every Store/Expunge.
  void Index(const Instance& instance);
  void Unindex(const Instance& instance);
  std::optional<Timestamp> DueAt(const Instance& instance) const;
  void RecomputeLocks();
  std::vector<InstanceId> InstanceIdsOf(const PathId& app_id) const;
  // Stores the root (and as a root version) and the new versions of the `changed` apps.
  void PutRootAndVersions(const std::vector<PathId>& changed, Output* out);
  absl::Status PrepareTarget(Group& target, Timestamp now) const;
  bool IsCurrent(const Instance& instance, const AppDefinition& app) const;
  bool InDeployment(const PathId& app_id) const;
  void PublishEvent(MarathonEvent event, Output* out);

  SchedulerOptions options_;
  Random random_;
  std::optional<std::string> framework_id_;
  bool subscribed_ = false;
  bool suppressed_ = false;
  bool offers_state_known_ = false;  // whether suppressed_ is what the master has
  // Replaced whole on every write and shared with the PutRoot command (no copy per write).
  std::shared_ptr<const Group> root_ = std::make_shared<const Group>();
  std::map<std::string, Deployment> deployments_;
  std::map<InstanceId, Instance> instances_;
  std::map<std::string, InstanceId, std::less<>> by_task_id_;
  // Indexes, so that an event costs what it touches, not the number of instances.
  struct AppInstances {
    struct Entry {
      const Instance* instance = nullptr;  // in instances_
      bool counted = false;                // IsCounted when last indexed
    };
    std::map<InstanceId, Entry> all;
    int counted = 0;  // entries with `counted`
  };
  std::map<PathId, AppInstances> by_app_;
  std::map<PathId, std::set<InstanceId>> scheduled_;  // goal Running and Scheduled: the queue
  std::multimap<Timestamp, InstanceId> due_;          // next kill retry / timeout / unreachable
  std::map<InstanceId, Timestamp> due_at_;
  // Live tasks still launching (Provisioned, Staging, Starting) or being killed: reconciled
  // when their agent is lost.
  std::map<InstanceId, const Instance*> launching_;
  std::set<PathId> dirty_;  // apps whose instances changed since the last Reconcile
  std::map<PathId, std::set<std::string>> locked_;  // app -> running deployments affecting it
  // Per deployment: the apps of its current step whose action is not known to be done (in
  // memory only; rebuilt by running every action of the step after a restart).
  std::map<std::string, std::set<PathId>> undone_;
  std::set<std::string> deployments_without_pass_;  // started or recovered, not yet advanced
  std::set<std::string> with_deadline_;             // deployments with a progress deadline
  std::map<PathId, std::vector<Timestamp>> app_versions_;
  std::vector<Timestamp> root_versions_;
  LaunchDelays delays_;
  std::map<PathId, AppFailure> failures_;
  std::map<PathId, QueueEntry> queue_stats_;
  // upgradeStrategy.rollbackAfterFailures: failed new-version tasks per (deployment, app), and
  // the deployments to roll back (with why) at the next Reconcile. In memory: a restart gives
  // a deployment a fresh budget.
  std::map<std::pair<std::string, PathId>, int> rollback_failures_;
  std::map<std::string, std::string> pending_rollbacks_;
  Placements placements_;  // constraint counts per app, known agents
  std::optional<Timestamp> next_reconcile_;
};

}  // namespace atl::marathonlike
