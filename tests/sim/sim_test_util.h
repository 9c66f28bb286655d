// Helpers of the master simulations: framework infos, cluster options, a greedy framework.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/base/strings.h"
#include "tests/common/sim_cluster.h"

namespace atl::sim::testing {

using model::TaskState;
using model::TaskStatusReason;

using model::TaskState;
using model::TaskStatusReason;

inline model::FrameworkInfo Info(const std::string& name, std::vector<std::string> roles = {"*"},
                                 double failover = 3600, bool partition_aware = true,
                                 bool checkpoint = true) {
  model::FrameworkInfo info;
  info.user = "root";
  info.name = name;
  info.failover_timeout = failover;
  info.checkpoint = checkpoint;
  info.capabilities.push_back(model::FrameworkCapability::kMultiRole);
  if (partition_aware) info.capabilities.push_back(model::FrameworkCapability::kPartitionAware);
  info.roles = std::move(roles);
  return info;
}

inline SimCluster::Options Opts(int agents) {
  SimCluster::Options o;
  o.agents = agents;
  return o;
}

// A framework that launches `cpus`-sized tasks on every offer until `want` are launched,
// acknowledging every update.
inline void Greedy(SimCluster& c, SimCluster::Framework& fw, int want, const std::string& size,
                   int* launched) {
  fw.on_event = [&c, want, size, launched](SimCluster::Framework& f, const api::Event& e) {
    SimCluster::AutoAcknowledge(c, f, e);
    const auto* offers = std::get_if<api::event::Offers>(&e.body);
    if (offers == nullptr) return;
    auto per_task = *model::Resources::Parse(size);
    for (const model::Offer& offer : offers->offers) {
      std::vector<model::TaskInfo> tasks;
      model::Resources left = offer.resources.Unallocated();
      while (*launched < want && left.Contains(per_task)) {
        left.Subtract(per_task);
        tasks.push_back(SimCluster::MakeTask(StrCat(f.info.name, "-", (*launched)++), offer, size));
      }
      if (tasks.empty()) {
        c.Decline(f, {offer.id}, 3600);
      } else {
        c.Accept(f, {offer.id}, {SimCluster::LaunchOp(tasks)});
      }
    }
  };
}

inline size_t RunningTasks(const SimCluster& c, const SimCluster::Framework& fw) {
  (void)c;
  std::map<std::string, TaskState> last;
  for (const model::TaskStatus& s : fw.Updates()) last[s.task_id.value()] = s.state;
  return std::count_if(last.begin(), last.end(),
                       [](const auto& kv) { return kv.second == TaskState::kRunning; });
}

}  // namespace atl::sim::testing
