// Private to core/master: the per-input output under construction and small helpers.
#pragma once

#include <vector>

#include "core/base/overloaded.h"
#include "core/master/master.h"

namespace atl::master {

struct Master::Context {
  Timestamp now;
  Output out;
  bool allocate_all = false;
  std::vector<model::AgentId> allocate_agents;
  // Registry changes to persist (PersistRegistry goes first in the output).
  std::vector<model::AgentId> persist_agents;
  bool persist_weights = false;
  bool persist_quotas = false;
  bool persist = false;
};

}  // namespace atl::master
