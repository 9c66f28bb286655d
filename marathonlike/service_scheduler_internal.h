// Helpers shared by service_scheduler.cc and service_scheduler_api.cc (not part of the API).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "marathonlike/app.h"
#include "marathonlike/group.h"
#include "marathonlike/path_id.h"
#include "marathonlike/service_scheduler.h"

namespace atl::marathonlike::internal {

// Whether the instance holds (or may hold) a task on an agent.
bool HasLiveTask(const Instance& i);
// The app's service ports (its portDefinitions' ports, assigned by Deploy).
std::vector<int> ServicePorts(const AppDefinition& app);
// The role an app without one runs as: the top-level group's name under an enforceRole group,
// else `fallback`.
std::string DefaultRoleFor(const Group& root, const PathId& app_id, const std::string& fallback);
// `g` with only the apps in `keep` (every group stays, with its dependencies).
Group KeepApps(const Group& g, const std::set<PathId>& keep);

}  // namespace atl::marathonlike::internal
