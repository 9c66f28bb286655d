// The agent's read endpoints rendered from an Agent, in the shapes of Mesos's agent:
//   /state            {"id","hostname","port","resources","attributes","version","start_time",
//                      "master_hostname","registered","frameworks":[{"id","name","user","role",
//                      "executors":[{"id","name","container","directory","resources",
//                      "tasks":[...],"queued_tasks":[...],"completed_tasks":[...]}]}]}
//   /metrics/snapshot {"slave/registered":1,"slave/tasks_running":N,...}
//   /metrics          the same in the Prometheus text format (atoll_agent_* names).
#pragma once

#include <functional>
#include <string>

#include "core/agent/agent.h"

namespace atl::agent {

struct StateContext {
  Timestamp now;
  Timestamp start_time;
  std::string master;  // "host:port" the agent talks to
  // The sandbox directory of an executor's container.
  std::function<std::string(const ExecutorRecord&)> directory;
  // Whether containers are isolated with cgroups ("cgroups v1", "none: not root").
  std::string isolation;
};

std::string RenderState(const Agent& agent, const StateContext& context);
std::string RenderMetricsSnapshot(const Agent& agent, const StateContext& context);
std::string RenderPrometheus(const Agent& agent, const StateContext& context);

}  // namespace atl::agent
