// A small deterministic cluster around one ServiceScheduler, for its tests: agents with
// resources, offers made on demand, launched tasks that move STAGING -> RUNNING when told,
// kills answered with TASK_KILLED, failures injected. Every command the scheduler emits is
// checked against what the harness knows (a launch only from an offer it made, never twice
// per task id) and kept for assertions.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/base/overloaded.h"
#include "core/base/strings.h"
#include "marathonlike/root_group.h"
#include "marathonlike/service_scheduler.h"

namespace atl::marathonlike::test_util {

inline Timestamp T0() { return Timestamp::FromNanoseconds(1'700'000'000'000'000'000); }

inline AppDefinition SimpleApp(std::string id, int instances, double cpus = 0.1, double mem = 32) {
  AppDefinition app;
  app.id = std::move(id);
  app.cmd = "sleep 1000";
  app.instances = instances;
  app.cpus = cpus;
  app.mem = mem;
  return app;
}

class Harness {
 public:
  struct FakeAgent {
    std::string id;
    std::string hostname;
    model::Resources free;
  };
  struct FakeTask {
    std::string agent;
    model::Resources resources;
    model::TaskState state = model::TaskState::kStaging;
    bool kill_requested = false;
  };

  explicit Harness(SchedulerOptions options = {}, uint64_t seed = 1)
      : scheduler(std::move(options), seed), now(T0()) {}

  void AddAgents(int n, const char* resources = "cpus:4;mem:4096;disk:1000;ports:[31000-31099]") {
    for (int i = 0; i < n; ++i) {
      std::string id = StrCat("agent-", agents.size());
      auto r = model::Resources::Parse(resources);
      EXPECT_TRUE(r.ok());
      agents[id] = FakeAgent{id, StrCat("host-", agents.size()), *r};
    }
  }

  // Recover from `state` and subscribe.
  void Start(StoredState state = {}) {
    Apply(scheduler.Handle(in::Recover{std::move(state)}, now));
    Apply(scheduler.Handle(in::Subscribed{"fw-1", false, "master:5050"}, now));
  }

  void Apply(const Output& out) {
    for (const Command& c : out.commands) {
      commands.push_back(c);
      std::visit(Overloaded{
                     [&](const cmd::Launch& l) {
                       ASSERT_EQ(l.offer_ids.size(), 1u);
                       auto o = open_offers.find(l.offer_ids[0].value());
                       ASSERT_NE(o, open_offers.end()) << "launch on an unknown offer";
                       FakeAgent& a = agents.at(o->second);
                       open_offers.erase(o);
                       for (const model::TaskInfo& t : l.tasks) {
                         ASSERT_FALSE(tasks.contains(t.task_id.value()))
                             << "task launched twice: " << t.task_id;
                         ASSERT_TRUE(a.free.Contains(t.resources)) << t.task_id;
                         a.free -= t.resources;
                         tasks[t.task_id.value()] = FakeTask{a.id, t.resources};
                         launched.push_back(t);
                       }
                     },
                     [&](const cmd::Decline& d) {
                       ASSERT_TRUE(open_offers.erase(d.offer_id.value())) << "unknown offer";
                     },
                     [&](const cmd::Kill& k) { kills.push_back(k.task_id.value()); },
                     [&](const cmd::Revive&) { suppressed = false; },
                     [&](const cmd::Suppress&) { suppressed = true; },
                     [&](const cmd::Publish& p) {
                       events.push_back(EventTypeOf(p.event));
                       published.push_back(p.event);
                     },
                     [&](const cmd::WakeAt& w) { wake = w.at; },
                     [&](const auto&) {},
                 },
                 c);
    }
  }

  // One offer per agent with free resources, answered at once.
  void Offer() {
    std::vector<model::Offer> offers;
    for (auto& [id, a] : agents) {
      if (a.free.empty()) continue;
      model::Offer o;
      o.id = model::OfferId(StrCat("offer-", next_offer++));
      o.framework_id = model::FrameworkId("fw-1");
      o.agent_id = model::AgentId(id);
      o.hostname = a.hostname;
      o.resources = a.free;
      if (auto at = attributes.find(id); at != attributes.end()) {
        for (const auto& [name, value] : at->second) {
          model::Attribute attribute;
          attribute.name = name;
          attribute.text = value;
          o.attributes.push_back(std::move(attribute));
        }
      }
      if (auto d = domains.find(id); d != domains.end()) o.domain = d->second;
      open_offers[o.id.value()] = id;
      offers.push_back(std::move(o));
    }
    Apply(scheduler.Handle(in::Offers{std::move(offers)}, now));
    EXPECT_TRUE(open_offers.empty()) << "offers left unanswered";
  }

  void Status(const std::string& task_id, model::TaskState state, std::optional<bool> healthy = {},
              model::TaskStatusReason reason = model::TaskStatusReason::kNone) {
    auto it = tasks.find(task_id);
    model::TaskStatus st;
    st.task_id = model::TaskId(task_id);
    st.state = state;
    st.reason = reason;
    st.healthy = healthy;
    if (it != tasks.end()) {
      st.agent_id = model::AgentId(it->second.agent);
      it->second.state = state;
      if (model::IsTerminal(state)) {
        agents.at(it->second.agent).free += it->second.resources;
        tasks.erase(it);
      }
    }
    Apply(scheduler.Handle(in::StatusUpdate{st}, now));
  }

  // Every STAGING task becomes RUNNING.
  void RunAll(std::optional<bool> healthy = {}) {
    std::vector<std::string> ids;
    for (const auto& [id, t] : tasks) {
      if (t.state == model::TaskState::kStaging) ids.push_back(id);
    }
    for (const std::string& id : ids) Status(id, model::TaskState::kRunning, healthy);
  }

  // Answers every pending kill with TASK_KILLED.
  void AnswerKills() {
    std::vector<std::string> pending;
    pending.swap(kills);
    for (const std::string& id : pending) {
      if (tasks.contains(id)) Status(id, model::TaskState::kKilled);
    }
  }

  // Offer, run, answer kills until nothing changes (at most `rounds`).
  void Settle(int rounds = 50) {
    for (int i = 0; i < rounds; ++i) {
      std::string before = Fingerprint();
      Offer();
      RunAll();
      AnswerKills();
      if (Fingerprint() == before) break;
    }
  }

  void Advance(Duration d) {
    now = now + d;
    Apply(scheduler.Handle(in::Tick{}, now));
  }

  ServiceScheduler::DeployResult Deploy(const Group& target,
                                        ServiceScheduler::DeployOptions options = {}) {
    Output out;
    auto result = scheduler.Deploy(target, options, now, &out);
    Apply(out);
    return result;
  }
  std::string DeployOk(const Group& target, ServiceScheduler::DeployOptions options = {}) {
    auto result = Deploy(target, std::move(options));
    auto* plan = std::get_if<DeploymentPlan>(&result);
    EXPECT_NE(plan, nullptr);
    return plan ? plan->id : "";
  }
  std::string PutApp(const AppDefinition& app) {
    auto root = marathonlike::PutApp(scheduler.root(), app, now);
    EXPECT_TRUE(root.ok()) << root.status();
    return DeployOk(*root);
  }

  int Running(const PathId& app) const {
    int n = 0;
    for (const Instance* i : scheduler.InstancesOf(app)) {
      if (i->condition == Condition::kRunning) n++;
    }
    return n;
  }
  int Count(const std::string& event_type) const {
    int n = 0;
    for (const std::string& e : events) n += e == event_type;
    return n;
  }

  ServiceScheduler scheduler;
  Timestamp now;
  std::map<std::string, FakeAgent> agents;
  // Text attributes and fault domains the agents' offers carry, by agent id.
  std::map<std::string, std::map<std::string, std::string>> attributes;
  std::map<std::string, model::DomainInfo> domains;
  std::map<std::string, std::string> open_offers;  // offer id -> agent id
  std::map<std::string, FakeTask> tasks;           // live tasks by id
  std::vector<model::TaskInfo> launched;
  std::vector<std::string> kills;  // not yet answered
  std::vector<Command> commands;
  std::vector<std::string> events;       // their types
  std::vector<MarathonEvent> published;  // the events themselves
  std::optional<Timestamp> wake;
  bool suppressed = false;
  int next_offer = 0;

 private:
  // What changes when anything makes progress.
  std::string Fingerprint() const {
    std::string f;
    for (const auto& [id, i] : scheduler.instances()) {
      StrAppend(&f, id.value(), ConditionName(i.condition), static_cast<int>(i.goal), i.task_id,
                ";");
    }
    for (const auto& [id, t] : tasks) StrAppend(&f, id, static_cast<int>(t.state), ";");
    StrAppend(&f, scheduler.deployments().size());
    return f;
  }
};

}  // namespace atl::marathonlike::test_util
