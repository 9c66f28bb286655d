// Placement under constraints at scale (issue 5): --agents simulated agents (default 12,500, 50
// per rack) filled to ~89% by --tasks running instances (default 500,000: 500 apps of 1,000 with
// GROUP_BY rack and MAX_PER hostname 1), recovered into one ServiceScheduler. Then:
//   1. a 1,000-instance UNIQUE hostname app is submitted: time until all are launched;
//   2. a 100-instance one, the same;
//   3. 1,250 agents (25 whole racks) are lost at once: their ~50,000 instances go unreachable
//      and are replaced under GROUP_BY rack and MAX_PER; time until all replacements launched.
//
// Between the scheduler and the agents is a small in-process master: each allocation round
// (1 simulated second) it offers every agent that has free resources and is not filtered by a
// decline, applies LAUNCH/DECLINE/KILL/REVIVE/SUPPRESS, and reports launched tasks RUNNING. So
// the figures are the scheduler's: offer matching, constraint checks with the incremental
// counts, instance bookkeeping, deployments (no JSON, store, sockets or allocator; the
// allocator's pass over 10,000 agents is bench/allocation_pass).
//
// Prints `name value unit` lines. Anchors (not run here, so no ratio): Firmament places in under
// a second at 12,500 machines; Borg's online pass is under 0.5 s; a Marathon user reported ~90 s
// for a 90-instance UNIQUE deploy (reference/performance.md, reference/marathon.md).
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "bench/bench_report.h"
#include "core/base/overloaded.h"
#include "core/base/random.h"
#include "core/base/strings.h"
#include "core/base/uuid.h"
#include "marathonlike/root_group.h"
#include "marathonlike/service_scheduler.h"
#include "marathonlike/task_builder.h"

namespace {

using atl::Duration;
using atl::StrCat;
using atl::Timestamp;
using atl::bench::PeakRssMb;
using atl::bench::Print;
namespace ml = atl::marathonlike;
namespace model = atl::model;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

struct Agent {
  std::string id;
  std::string hostname;
  std::string rack;
  model::Resources free;
  Timestamp filtered_until;
  bool alive = true;
};

struct Task {
  size_t agent = 0;
  model::Resources resources;
  bool running = false;
};

// The master side: agents, offers, tasks; every scheduler command applied.
class Cluster {
 public:
  Cluster(ml::ServiceScheduler& scheduler, Timestamp now) : scheduler_(scheduler), now_(now) {}

  void AddAgent(std::string rack, const model::Resources& total) {
    const size_t k = agents_.size();
    agents_.push_back(
        Agent{StrCat("agent-", k), StrCat("host-", k), std::move(rack), total, Timestamp(), true});
    index_[agents_.back().id] = k;
  }
  // A task already running (recovered state): takes its resources.
  void AddRunning(const std::string& task_id, size_t agent, const model::Resources& r) {
    agents_[agent].free -= r;
    tasks_[task_id] = Task{agent, r, true};
  }

  // Hands `input` to the scheduler and applies what it says; returns the launches.
  int Handle(const ml::Input& input) {
    const Clock::time_point t0 = Clock::now();
    ml::Output out = scheduler_.Handle(input, now_);
    in_scheduler_ += Clock::now() - t0;
    return Apply(out);
  }
  int Apply(const ml::Output& out) {
    int launched = 0;
    for (const ml::Command& c : out.commands) {
      std::visit(atl::Overloaded{
                     [&](const ml::cmd::Launch& l) {
                       Agent& a = agents_[index_.at(open_.at(l.offer_ids[0].value()))];
                       open_.erase(l.offer_ids[0].value());
                       for (const model::TaskInfo& t : l.tasks) {
                         a.free -= t.resources;
                         tasks_[t.task_id.value()] = Task{index_.at(a.id), t.resources, false};
                         pending_running_.push_back(t.task_id.value());
                         ++launched;
                       }
                       a.filtered_until = now_ + l.refuse;
                     },
                     [&](const ml::cmd::Decline& d) {
                       Agent& a = agents_[index_.at(open_.at(d.offer_id.value()))];
                       open_.erase(d.offer_id.value());
                       a.filtered_until = now_ + d.refuse;
                     },
                     [&](const ml::cmd::Kill& k) { pending_kills_.push_back(k.task_id.value()); },
                     [&](const ml::cmd::Revive&) {
                       suppressed_ = false;
                       for (Agent& a : agents_) a.filtered_until = Timestamp();
                     },
                     [&](const ml::cmd::Suppress&) { suppressed_ = true; },
                     [&](const auto&) {},
                 },
                 c);
    }
    launched_ += launched;
    return launched;
  }

  // One allocation round: offers, then the launched tasks report RUNNING and kills end.
  // Returns the tasks launched in it.
  int Round() {
    int launched = 0;
    if (!suppressed_) {
      std::vector<model::Offer> offers;
      for (Agent& a : agents_) {
        if (!a.alive || a.free.empty() || a.filtered_until > now_) continue;
        model::Offer o;
        o.id = model::OfferId(StrCat("o-", next_offer_++));
        o.framework_id = model::FrameworkId("fw-1");
        o.agent_id = model::AgentId(a.id);
        o.hostname = a.hostname;
        o.resources = a.free;
        model::Attribute rack;
        rack.name = "rack";
        rack.text = a.rack;
        o.attributes.push_back(std::move(rack));
        open_[o.id.value()] = a.id;
        offers.push_back(std::move(o));
      }
      offered_ += static_cast<int64_t>(offers.size());
      if (!offers.empty()) launched += Handle(ml::in::Offers{std::move(offers)});
    }
    std::vector<std::string> running;
    running.swap(pending_running_);
    for (const std::string& id : running) Status(id, model::TaskState::kRunning);
    std::vector<std::string> kills;
    kills.swap(pending_kills_);
    for (const std::string& id : kills) {
      if (tasks_.contains(id)) Status(id, model::TaskState::kKilled);
    }
    now_ = now_ + Duration::Seconds(1);
    Handle(ml::in::Tick{});
    return launched;
  }

  void Status(const std::string& task_id, model::TaskState state) {
    auto it = tasks_.find(task_id);
    if (it == tasks_.end()) return;
    model::TaskStatus st;
    st.task_id = model::TaskId(task_id);
    st.state = state;
    st.agent_id = model::AgentId(agents_[it->second.agent].id);
    if (state == model::TaskState::kUnreachable) st.unreachable_time = now_;
    if (model::IsTerminal(state) || state == model::TaskState::kUnreachable) {
      if (agents_[it->second.agent].alive) agents_[it->second.agent].free += it->second.resources;
      tasks_.erase(it);
    } else {
      it->second.running = state == model::TaskState::kRunning;
    }
    Handle(ml::in::StatusUpdate{st});
  }

  // The agents [first, first + n) are lost: every task there becomes unreachable.
  int LoseAgents(size_t first, size_t n) {
    std::vector<std::string> lost;
    for (const auto& [id, t] : tasks_) {
      if (t.agent >= first && t.agent < first + n) lost.push_back(id);
    }
    for (size_t k = first; k < first + n; ++k) agents_[k].alive = false;
    for (const std::string& id : lost) Status(id, model::TaskState::kUnreachable);
    for (size_t k = first; k < first + n; ++k) {
      Handle(ml::in::AgentLost{model::AgentId(agents_[k].id)});
    }
    return static_cast<int>(lost.size());
  }

  Timestamp now() const { return now_; }
  void set_now(Timestamp t) { now_ = t; }
  Clock::duration in_scheduler() const { return in_scheduler_; }
  int64_t launched() const { return launched_; }
  int64_t offered() const { return offered_; }
  const std::vector<Agent>& agents() const { return agents_; }

 private:
  ml::ServiceScheduler& scheduler_;
  Timestamp now_;
  std::vector<Agent> agents_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> open_;  // offer id -> agent id
  std::map<std::string, Task> tasks_;
  std::vector<std::string> pending_running_;
  std::vector<std::string> pending_kills_;
  bool suppressed_ = false;
  Clock::duration in_scheduler_{};
  int64_t launched_ = 0;
  int64_t offered_ = 0;
  int64_t next_offer_ = 0;
};

model::Resources Parse(const std::string& text) { return *model::Resources::Parse(text); }

ml::AppDefinition App(std::string id, int instances, double cpus, double mem,
                      std::vector<std::vector<std::string>> constraints) {
  ml::AppDefinition app;
  app.id = std::move(id);
  app.cmd = "sleep 3600";
  app.instances = instances;
  app.cpus = cpus;
  app.mem = mem;
  app.disk = 0;
  app.constraints = std::move(constraints);
  return app;
}

// Runs allocation rounds until `target` launches happened since `base` (or `max_rounds`).
// Returns the rounds run.
int RoundsUntil(Cluster& c, int64_t base, int64_t target, int max_rounds = 600) {
  int rounds = 0;
  while (c.launched() - base < target && rounds < max_rounds) {
    c.Round();
    ++rounds;
  }
  return rounds;
}

}  // namespace

int main(int argc, char** argv) {
  int agents = 12500, per_rack = 50, apps = 500, per_app = 1000, lose = 1250;
  CLI::App cli{"constraint_placement: constrained placement over 12,500 agents, 500,000 tasks"};
  cli.add_option("--agents", agents, "Simulated agents");
  cli.add_option("--agents-per-rack", per_rack, "Agents per rack");
  cli.add_option("--apps", apps, "Existing apps (GROUP_BY rack, MAX_PER hostname 1)");
  cli.add_option("--instances-per-app", per_app, "Running instances of each existing app");
  cli.add_option("--lose", lose, "Agents lost at once in the last scenario (whole racks)");
  CLI11_PARSE(cli, argc, argv);
  const int64_t tasks = static_cast<int64_t>(apps) * per_app;

  // 45 slots of 0.5 cpus / 2 GiB per agent; 500,000 tasks over 12,500 agents use 40 (89%).
  const model::Resources agent_total = Parse("cpus:22.5;mem:92160;disk:100000;ports:[31000-32000]");
  const model::Resources existing_task = Parse("cpus:0.5;mem:2048");
  const Timestamp t0 = Timestamp::FromNanoseconds(1'700'000'000'000'000'000);

  // The existing apps, in one root.
  const Clock::time_point setup_start = Clock::now();
  ml::Group root;
  for (int a = 0; a < apps; ++a) {
    ml::AppDefinition app = App(StrCat("/existing/app-", a), per_app, 0.5, 2048,
                                {{"rack", "GROUP_BY"}, {"hostname", "MAX_PER", "1"}});
    // As the scheduler would have stored them (a role, no port to assign), so that the next
    // write does not see them changed.
    app.role = "*";
    app.port_definitions.clear();
    absl::StatusOr<ml::Group> next = ml::PutApp(root, app, t0);
    if (!next.ok()) {
      std::fprintf(stderr, "%s\n", std::string(next.status().message()).c_str());
      return 1;
    }
    root = *std::move(next);
  }
  ml::StoredState state;
  state.framework_id = "fw-1";
  state.root = root;
  state.instances.reserve(static_cast<size_t>(tasks));

  ml::ServiceScheduler scheduler(ml::SchedulerOptions{}, 42);
  Cluster cluster(scheduler, t0);
  for (int k = 0; k < agents; ++k) cluster.AddAgent(StrCat("r", k / per_rack), agent_total);
  atl::Random random(7);
  // Task t runs on agent t % agents: an app's instances sit on consecutive agents (20 racks),
  // every agent runs instances of 40 different apps.
  for (int64_t t = 0; t < tasks; ++t) {
    const int a = static_cast<int>(t / per_app);
    const size_t agent = static_cast<size_t>(t % agents);
    const ml::AppDefinition* app = ml::FindApp(root, StrCat("/existing/app-", a));
    ml::Instance i;
    const std::string uuid = atl::UuidToString(random.Uuid());
    i.id = ml::InstanceId(StrCat("existing_app-", a, ".instance-", uuid));
    i.app_id = app->id;
    i.app_version = app->version;
    i.condition = ml::Condition::kRunning;
    i.goal = ml::Goal::kRunning;
    i.condition_since = t0;
    i.staged_at = t0;
    i.started_at = t0;
    i.agent_id = cluster.agents()[agent].id;
    i.hostname = cluster.agents()[agent].hostname;
    i.agent_attributes = {{"rack", cluster.agents()[agent].rack}};
    i.incarnation = 1;
    i.task_id = ml::MakeTaskId(app->id, uuid, 1);
    i.task_state = model::TaskState::kRunning;
    i.role = "*";
    cluster.AddRunning(i.task_id, agent, existing_task);
    state.instances.push_back(std::move(i));
  }
  Print("setup_s", Seconds(Clock::now() - setup_start), "s");

  Clock::time_point t = Clock::now();
  cluster.Handle(ml::in::Recover{std::move(state)});
  cluster.Handle(ml::in::Subscribed{"fw-1", false, "master:5050"});
  Print("recover_500k_instances_s", Seconds(Clock::now() - t), "s");
  // Reconciliation answers nothing new; the first rounds settle (suppressed: nothing waits).
  cluster.Round();

  // 1 and 2: UNIQUE apps of 1,000 and 100 instances.
  for (int n : {1000, 100}) {
    const ml::AppDefinition app = App(StrCat("/unique-", n), n, 0.1, 64, {{"hostname", "UNIQUE"}});
    const int64_t base = cluster.launched();
    const Clock::duration sched_before = cluster.in_scheduler();
    const Clock::time_point start = Clock::now();
    absl::StatusOr<ml::Group> next = ml::PutApp(scheduler.root(), app, cluster.now());
    if (!next.ok()) return 1;
    ml::Output out;
    auto result = scheduler.Deploy(*next, {}, cluster.now(), &out);
    if (!std::holds_alternative<ml::DeploymentPlan>(result)) return 1;
    cluster.Apply(out);
    const int rounds = RoundsUntil(cluster, base, n);

    const double wall = Seconds(Clock::now() - start);
    Print(StrCat("unique_", n, "_launched"), static_cast<double>(cluster.launched() - base),
          "tasks");
    Print(StrCat("unique_", n, "_submit_to_all_launched_ms"), wall * 1000, "ms");
    Print(StrCat("unique_", n, "_in_scheduler_ms"),
          Seconds(cluster.in_scheduler() - sched_before) * 1000, "ms");
    Print(StrCat("unique_", n, "_offer_rounds"), rounds, "rounds");
  }

  // 3: 25 whole racks lost at once; their instances are replaced elsewhere.
  {
    const int64_t base = cluster.launched();
    const Clock::duration sched_before = cluster.in_scheduler();
    const int64_t offered_before = cluster.offered();
    const Clock::time_point start = Clock::now();
    const int lost = cluster.LoseAgents(0, static_cast<size_t>(lose));
    const Clock::time_point reported = Clock::now();
    const int rounds = RoundsUntil(cluster, base, lost);
    const double wall = Seconds(Clock::now() - start);
    Print("lost_agents", lose, "agents");
    Print("lost_instances", lost, "instances");
    Print("replaced_launched", static_cast<double>(cluster.launched() - base), "tasks");
    Print("lost_status_updates_ms", Seconds(reported - start) * 1000, "ms");
    Print("replace_all_launched_s", wall, "s");
    Print("replace_in_scheduler_s", Seconds(cluster.in_scheduler() - sched_before), "s");
    Print("replace_offer_rounds", rounds, "rounds");
    Print("replace_offers", static_cast<double>(cluster.offered() - offered_before), "offers");
  }
  // Every placement still obeys its app's constraints: MAX_PER hostname 1 for the existing
  // apps, UNIQUE hostname for the new ones (one live instance per app and host).
  {
    std::map<std::pair<std::string, std::string>, int> per_host;
    int64_t violations = 0;
    for (const auto& [id, i] : scheduler.instances()) {
      if (i.agent_id.empty() || ml::IsTerminal(i.condition)) continue;
      if (i.condition == ml::Condition::kUnreachable ||
          i.condition == ml::Condition::kUnreachableInactive) {
        continue;  // on a lost agent
      }
      if (++per_host[{i.app_id, i.hostname}] > 1) ++violations;
    }
    Print("constraint_violations", static_cast<double>(violations), "instances");
  }
  Print("peak_rss_mb", PeakRssMb(), "MiB");
  return 0;
}
