// The service scheduler (marathonlike::ServiceScheduler) as a framework of the simulated
// cluster: every cluster event becomes a scheduler input, every command a call on the
// framework's stream. With `check_bounds`, after every event it checks the rolling-restart
// bounds of reference/marathon.md §3.3 and records violations as text:
//   - our kills never take the healthy instances below ceil(n × minimumHealthCapacity): after
//     an event in which we decommissioned a healthy instance, at least that many remain (a
//     failure may go below the floor, after which we kill no healthy instance until it is
//     restored);
//   - instances holding resources never exceed floor(n × (1 + maximumOverCapacity)) (+1 surge
//     when the strategy leaves no room);
// and that no task id is launched twice. Used by tests/sim and bench/marathon_deploy.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/base/overloaded.h"
#include "core/base/strings.h"
#include "marathonlike/restart_strategy.h"
#include "marathonlike/root_group.h"
#include "marathonlike/service_scheduler.h"
#include "tests/common/sim_cluster.h"

namespace atl::sim {

// Runs a marathonlike::ServiceScheduler on the cluster's event stream and executes its commands.
class MarathonOnSim {
 public:
  MarathonOnSim(SimCluster& c, uint64_t seed, marathonlike::SchedulerOptions options = {},
                bool check_bounds = true)
      : c_(c), scheduler_(std::move(options), seed), check_bounds_(check_bounds) {
    Apply(scheduler_.Handle(marathonlike::in::Recover{}, c_.now()));
    model::FrameworkInfo info;
    info.user = "root";
    info.name = "marathon";
    info.failover_timeout = 3600;
    info.checkpoint = true;
    info.capabilities.push_back(model::FrameworkCapability::kMultiRole);
    info.roles = {"*"};
    fw_ = &c_.AddFramework(std::move(info));
    fw_->on_event = [this](SimCluster::Framework& f, const api::Event& e) { OnEvent(f, e); };
  }

  marathonlike::ServiceScheduler& scheduler() { return scheduler_; }
  SimCluster::Framework& framework() { return *fw_; }
  const std::vector<std::string>& violations() const { return violations_; }

  // Runs `d` of simulated time, ticking the scheduler every second.
  void RunFor(Duration d) {
    Timestamp end = c_.now() + d;
    while (c_.now() < end) {
      c_.RunFor(std::min(Duration::Seconds(1), end - c_.now()));
      Handle(marathonlike::in::Tick{});
    }
  }
  bool RunUntil(const std::function<bool()>& done, Duration limit = Duration::Minutes(10)) {
    Timestamp end = c_.now() + limit;
    while (!done() && c_.now() < end) RunFor(Duration::Seconds(1));
    return done();
  }

  std::string Deploy(marathonlike::Group target) {
    marathonlike::Output out;
    auto start = std::chrono::steady_clock::now();
    auto result = scheduler_.Deploy(std::move(target), {}, c_.now(), &out);
    handle_seconds_ +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Apply(out);
    auto* plan = std::get_if<marathonlike::DeploymentPlan>(&result);
    if (plan == nullptr) violations_.push_back("a deployment was refused");
    return plan != nullptr ? plan->id : "";
  }
  std::string PutApp(const marathonlike::AppDefinition& app) {
    auto root = marathonlike::PutApp(scheduler_.root(), app, c_.now());
    if (!root.ok()) {
      violations_.push_back(root.status().ToString());
      return "";
    }
    return Deploy(*root);
  }

  absl::StatusOr<std::optional<marathonlike::DeploymentPlan>> Cancel(const std::string& id,
                                                                     bool force) {
    marathonlike::Output out;
    auto result = scheduler_.CancelDeployment(id, force, c_.now(), &out);
    Apply(out);
    return result;
  }

  int RunningOf(const std::string& app) const {
    int n = 0;
    for (const marathonlike::Instance* i : scheduler_.InstancesOf(app)) {
      n += i->goal == marathonlike::Goal::kRunning &&
           i->condition == marathonlike::Condition::kRunning;
    }
    return n;
  }

  // Kills a task behind the scheduler's back (a crash, an OOM kill).
  void KillBehindItsBack(const std::string& task_id) {
    c_.Call(*fw_, api::call::Kill{model::TaskId(task_id), std::nullopt, std::nullopt});
  }

  // Wall time spent inside ServiceScheduler::Handle and Deploy (measured without check_bounds).
  double handle_seconds() const { return handle_seconds_; }

  std::set<std::string> launched;  // every task id ever launched

 private:
  void OnEvent(SimCluster::Framework& f, const api::Event& e) {
    SimCluster::AutoAcknowledge(c_, f, e);
    std::visit(
        Overloaded{
            [&](const api::event::Subscribed& s) {
              Handle(marathonlike::in::Subscribed{s.framework_id.value(), subscribed_once_,
                                                  "master:5050"});
              subscribed_once_ = true;
            },
            [&](const api::event::Offers& o) { Handle(marathonlike::in::Offers{o.offers}); },
            [&](const api::event::Rescind& r) {
              Handle(marathonlike::in::OfferRescinded{r.offer_id});
            },
            [&](const api::event::Update& u) { Handle(marathonlike::in::StatusUpdate{u.status}); },
            [&](const api::event::Failure& fl) {
              if (fl.agent_id && !fl.executor_id) {
                Handle(marathonlike::in::AgentLost{*fl.agent_id});
              }
            },
            [&](const auto&) {},
        },
        e.body);
  }

  template <typename In>
  void Handle(const In& input) {
    if (!check_bounds_) {
      auto start = std::chrono::steady_clock::now();
      marathonlike::Output out = scheduler_.Handle(input, c_.now());
      handle_seconds_ +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      Apply(out);
      return;
    }
    std::map<marathonlike::InstanceId, bool> was_healthy_running;
    for (const auto& [id, i] : scheduler_.instances()) {
      const marathonlike::AppDefinition* app = marathonlike::FindApp(scheduler_.root(), i.app_id);
      was_healthy_running[id] =
          app != nullptr && i.goal == marathonlike::Goal::kRunning && scheduler_.IsHealthy(i, *app);
    }
    marathonlike::Output out = scheduler_.Handle(input, c_.now());
    CheckBounds(was_healthy_running);
    Apply(out);
  }

  std::map<std::string, int> HealthyByApp() const {
    std::map<std::string, int> out;
    for (const auto& [id, i] : scheduler_.instances()) {
      const marathonlike::AppDefinition* app = marathonlike::FindApp(scheduler_.root(), i.app_id);
      if (app != nullptr && i.goal == marathonlike::Goal::kRunning &&
          scheduler_.IsHealthy(i, *app)) {
        out[i.app_id]++;
      }
    }
    return out;
  }

  void CheckBounds(const std::map<marathonlike::InstanceId, bool>& was_healthy_running) {
    std::map<std::string, int> healthy_after = HealthyByApp();
    for (const auto& [id, d] : scheduler_.deployments()) {
      for (size_t s = 0; s < d.plan.steps.size(); ++s) {
        for (const marathonlike::Action& a : d.plan.steps[s].actions) {
          if (a.type != marathonlike::ActionType::kRestart ||
              static_cast<int>(s) != d.current_step) {
            continue;
          }
          const marathonlike::AppDefinition* app =
              marathonlike::FindApp(scheduler_.root(), a.app_id);
          if (app == nullptr) continue;
          int n = app->instances;
          int min_healthy =
              marathonlike::CeilTimes(n, app->upgrade_strategy.minimum_health_capacity);
          int max_capacity =
              marathonlike::FloorTimes(n, 1 + app->upgrade_strategy.maximum_over_capacity);
          if (min_healthy == max_capacity) max_capacity++;
          // Our kills: healthy instances decommissioned by this event.
          int killed_healthy = 0;
          int holding = 0;
          for (const marathonlike::Instance* i : scheduler_.InstancesOf(a.app_id)) {
            auto was = was_healthy_running.find(i->id);
            if (was != was_healthy_running.end() && was->second &&
                i->goal != marathonlike::Goal::kRunning) {
              killed_healthy++;
            }
            if (i->condition != marathonlike::Condition::kScheduled &&
                !marathonlike::IsTerminal(i->condition)) {
              holding++;
            }
            if (i->goal == marathonlike::Goal::kRunning &&
                i->condition == marathonlike::Condition::kScheduled)
              holding++;
          }
          auto ha = healthy_after.find(a.app_id);
          int after = ha == healthy_after.end() ? 0 : ha->second;
          if (killed_healthy > 0 && after < min_healthy) {
            violations_.push_back(StrCat(FormatIso8601(c_.now()), " ", a.app_id, ": killed ",
                                         killed_healthy, " healthy, ", after, " left, floor ",
                                         min_healthy));
          }
          if (holding > max_capacity) {
            violations_.push_back(StrCat(FormatIso8601(c_.now()), " ", a.app_id, ": ", holding,
                                         " instances over max capacity ", max_capacity));
          }
        }
      }
    }
  }

  void Apply(const marathonlike::Output& out) {
    for (const marathonlike::Command& command : out.commands) {
      std::visit(
          Overloaded{
              [&](const marathonlike::cmd::Launch& l) {
                for (const model::TaskInfo& t : l.tasks) {
                  if (!launched.insert(t.task_id.value()).second) {
                    violations_.push_back(StrCat("task launched twice: ", t.task_id.value()));
                  }
                }
                c_.Accept(*fw_, l.offer_ids, {SimCluster::LaunchOp(l.tasks)}, l.refuse.seconds());
              },
              [&](const marathonlike::cmd::Decline& d) {
                c_.Decline(*fw_, {d.offer_id}, d.refuse.seconds());
              },
              [&](const marathonlike::cmd::Kill& k) {
                c_.Call(*fw_, api::call::Kill{k.task_id, k.agent_id, std::nullopt});
              },
              [&](const marathonlike::cmd::Reconcile& r) {
                api::call::Reconcile rec;
                for (const model::TaskStatus& s : r.tasks)
                  rec.tasks.push_back({s.task_id, s.agent_id});
                c_.Call(*fw_, rec);
              },
              [&](const marathonlike::cmd::Revive&) { c_.Call(*fw_, api::call::Revive{}); },
              [&](const marathonlike::cmd::Suppress&) { c_.Call(*fw_, api::call::Suppress{}); },
              [&](const auto&) {},
          },
          command);
    }
  }

  SimCluster& c_;
  marathonlike::ServiceScheduler scheduler_;
  SimCluster::Framework* fw_ = nullptr;
  bool subscribed_once_ = false;
  bool check_bounds_ = true;
  double handle_seconds_ = 0;  // wall time inside the scheduler (without bounds checking)
  std::vector<std::string> violations_;
};

}  // namespace atl::sim
