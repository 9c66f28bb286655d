// The master's durable registry: what must survive a master restart (as in Mesos: admitted
// agents, weights, quotas; never frameworks, tasks or offers, which are re-learned from
// re-registering agents and re-subscribing schedulers).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/allocator/allocator.h"
#include "core/model/info.h"

namespace atl::master {

struct Registry {
  // Admitted agents, each with `id` set; unreachable ones carry their time of unreachability.
  struct AgentEntry {
    model::AgentInfo info;
    bool unreachable = false;
    Timestamp unreachable_time;
    bool gone = false;
    bool operator==(const AgentEntry&) const = default;
  };
  std::vector<AgentEntry> agents;
  std::map<std::string, double> weights;
  std::map<std::string, allocator::Quota> quotas;
  uint64_t next_agent_number = 0;
  bool operator==(const Registry&) const = default;
};

}  // namespace atl::master
