#include "core/agent/state_json.h"

#include <map>
#include <vector>

#include "core/api/json.h"
#include "core/api/json_model.h"
#include "core/base/strings.h"

namespace atl::agent {

namespace {

void WriteTask(api::JsonWriter& w, const TaskRecord& t, const model::AgentId* agent_id) {
  w.StartObject();
  w.Key("id").String(t.info.task_id.value());
  w.Key("name").String(t.info.name);
  w.Key("framework_id").String(t.framework_id.value());
  w.Key("executor_id").String(t.executor_id.value());
  if (agent_id != nullptr) w.Key("slave_id").String(agent_id->value());
  w.Key("state").String(model::TaskStateName(t.state));
  w.Key("resources");
  api::WriteFlatResources(w, t.info.resources);
  w.EndObject();
}

struct Counts {
  std::map<model::TaskState, int> by_state;
  int executors = 0;
  int executors_subscribed = 0;
};

Counts Count(const Agent& agent) {
  Counts c;
  for (const auto& [key, task] : agent.tasks()) c.by_state[task.state]++;
  for (const Agent::ExecutorView& e : agent.executors()) {
    c.executors++;
    if (e.subscribed) c.executors_subscribed++;
  }
  return c;
}

std::vector<std::pair<std::string, double>> Metrics(const Agent& agent,
                                                    const StateContext& context) {
  Counts c = Count(agent);
  auto n = [&](model::TaskState s) {
    auto it = c.by_state.find(s);
    return it == c.by_state.end() ? 0.0 : static_cast<double>(it->second);
  };
  const model::Resources& r = agent.info().resources;
  return {
      {"slave/registered", agent.registered() ? 1 : 0},
      {"slave/recovering", agent.recovering() ? 1 : 0},
      {"slave/uptime_secs", (context.now - context.start_time).seconds()},
      {"slave/cpus_total", r.GetScalar("cpus").ToDouble()},
      {"slave/mem_total", r.GetScalar("mem").ToDouble()},
      {"slave/disk_total", r.GetScalar("disk").ToDouble()},
      {"slave/executors_running", static_cast<double>(c.executors_subscribed)},
      {"slave/executors_total", static_cast<double>(c.executors)},
      {"slave/tasks_staging", n(model::TaskState::kStaging)},
      {"slave/tasks_starting", n(model::TaskState::kStarting)},
      {"slave/tasks_running", n(model::TaskState::kRunning)},
      {"slave/tasks_killing", n(model::TaskState::kKilling)},
      {"slave/tasks_finished", n(model::TaskState::kFinished)},
      {"slave/tasks_failed", n(model::TaskState::kFailed)},
      {"slave/tasks_killed", n(model::TaskState::kKilled)},
      {"slave/tasks_lost", n(model::TaskState::kLost)},
      {"slave/status_updates_pending", static_cast<double>(agent.pending_updates())},
  };
}

}  // namespace

std::string RenderState(const Agent& agent, const StateContext& context) {
  const model::AgentInfo& info = agent.info();
  api::JsonWriter w;
  w.StartObject();
  if (info.id) w.Key("id").String(info.id->value());
  w.Key("hostname").String(info.hostname);
  w.Key("port").Int(info.port);
  w.Key("version").String("atoll");
  w.Key("start_time").Double(context.start_time.seconds());
  w.Key("master_hostname").String(context.master);
  w.Key("registered").Bool(agent.registered());
  w.Key("recovering").Bool(agent.recovering());
  w.Key("isolation").String(context.isolation);
  w.Key("resources");
  api::WriteFlatResources(w, info.resources);
  w.Key("attributes").StartObject();
  for (const model::Attribute& a : info.attributes) {
    w.Key(a.name).String(a.ValueString());
  }
  w.EndObject();

  // Executors and tasks grouped by framework, in id order.
  std::map<model::FrameworkId, std::vector<Agent::ExecutorView>> by_framework;
  for (Agent::ExecutorView& e : agent.executors()) {
    by_framework[e.record->framework_id].push_back(std::move(e));
  }
  const model::AgentId* agent_id = info.id ? &*info.id : nullptr;
  w.Key("frameworks").StartArray();
  for (const auto& [fw_id, executors] : by_framework) {
    w.StartObject();
    w.Key("id").String(fw_id.value());
    if (auto it = agent.frameworks().find(fw_id); it != agent.frameworks().end()) {
      w.Key("name").String(it->second.name);
      w.Key("user").String(it->second.user);
      w.Key("checkpoint").Bool(it->second.checkpoint);
    }
    w.Key("executors").StartArray();
    for (const Agent::ExecutorView& e : executors) {
      w.StartObject();
      w.Key("id").String(e.record->info.executor_id.value());
      w.Key("name").String(e.record->info.name);
      w.Key("container").String(e.record->container_id.value());
      w.Key("directory").String(context.directory ? context.directory(*e.record) : "");
      w.Key("subscribed").Bool(e.subscribed);
      if (e.record->pid) w.Key("pid").Int(*e.record->pid);
      std::vector<const TaskRecord*> running, queued, completed;
      for (const model::TaskId& id : e.tasks) {
        const TaskRecord& t = agent.tasks().at({fw_id, id});
        if (model::IsTerminal(t.state)) {
          completed.push_back(&t);
        } else if (!t.launched) {
          queued.push_back(&t);
        } else {
          running.push_back(&t);
        }
      }
      for (auto [key, list] : {std::pair{"tasks", &running}, std::pair{"queued_tasks", &queued},
                               std::pair{"completed_tasks", &completed}}) {
        w.Key(key).StartArray();
        for (const TaskRecord* t : *list) WriteTask(w, *t, agent_id);
        w.EndArray();
      }
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Finish();
}

std::string RenderMetricsSnapshot(const Agent& agent, const StateContext& context) {
  api::JsonWriter w;
  w.StartObject();
  for (const auto& [name, value] : Metrics(agent, context)) w.Key(name).Double(value);
  w.EndObject();
  return w.Finish();
}

std::string RenderPrometheus(const Agent& agent, const StateContext& context) {
  std::string out;
  for (const auto& [name, value] : Metrics(agent, context)) {
    std::string metric = "atoll_agent_" + name.substr(name.find('/') + 1);
    StrAppend(&out, "# TYPE ", metric, " gauge\n", metric, " ", value, "\n");
  }
  return out;
}

}  // namespace atl::agent
