// The master's durable registry: what must survive a master restart (as in Mesos: admitted
// agents, weights, quotas; never frameworks, tasks or offers, which are re-learned from
// re-registering agents and re-subscribing schedulers).
#pragma once

#include <map>
#include <optional>
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
  std::map<model::AgentId, AgentEntry> agents;
  std::map<std::string, double> weights;
  std::map<std::string, allocator::Quota> quotas;
  uint64_t next_agent_number = 0;
  bool operator==(const Registry&) const = default;
};

// What one input changed in the registry: stores apply it as upserts in one transaction, so
// admitting the 10,000th agent writes one row, not 10,000.
struct RegistryDelta {
  std::vector<Registry::AgentEntry> agents;                       // upserted, each with info.id set
  std::optional<std::map<std::string, double>> weights;           // replaced when set
  std::optional<std::map<std::string, allocator::Quota>> quotas;  // replaced when set
  uint64_t next_agent_number = 0;
  bool operator==(const RegistryDelta&) const = default;

  void ApplyTo(Registry* registry) const {
    for (const Registry::AgentEntry& e : agents) registry->agents[*e.info.id] = e;
    if (weights) registry->weights = *weights;
    if (quotas) registry->quotas = *quotas;
    registry->next_agent_number = next_agent_number;
  }
};

}  // namespace atl::master
