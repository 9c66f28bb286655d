// Aurora's HTTP lifecycle (core/model/http_lifecycle.h) for Marathon apps. Marathon's JSON has
// no field for it, so an app opts in with labels, in the style of MARATHON_SINGLE_INSTANCE_APP:
//
//   "portDefinitions": [{"port": 0, "name": "admin"}],
//   "labels": {"ATOLL_LIFECYCLE_PORT_NAME": "admin",                          required
//              "ATOLL_LIFECYCLE_GRACEFUL_SHUTDOWN_ENDPOINT": "/quitquitquit",  these: defaults
//              "ATOLL_LIFECYCLE_SHUTDOWN_ENDPOINT": "/abortabortabort",
//              "ATOLL_LIFECYCLE_GRACEFUL_SHUTDOWN_WAIT_SECONDS": "5",
//              "ATOLL_LIFECYCLE_SHUTDOWN_WAIT_SECONDS": "5"}
//
// Every kill of a task (scale down, restart, replacement, a failed health check, deletion) then
// POSTs the endpoints to the task's host port of that name before SIGTERM; the task's
// taskKillGracePeriodSeconds still applies between SIGTERM and SIGKILL.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/model/http_lifecycle.h"
#include "marathonlike/app.h"

namespace atl::marathonlike {

inline constexpr char kLifecycleLabelPrefix[] = "ATOLL_LIFECYCLE_";
inline constexpr char kLifecyclePortNameLabel[] = "ATOLL_LIFECYCLE_PORT_NAME";

struct AppLifecycle {
  std::string port_name;
  model::HttpLifecycle lifecycle;  // port 0: resolved per task from its host ports
};

struct LifecycleLabelError {
  std::string label;  // "ATOLL_LIFECYCLE_SHUTDOWN_WAIT_SECONDS"
  std::string message;
};

// The app's lifecycle, nullopt when it has none. Every label problem goes to `errors` (an
// unknown ATOLL_LIFECYCLE_ label, a bad endpoint or wait, a port name no port definition has,
// settings without ATOLL_LIFECYCLE_PORT_NAME); with problems the result is nullopt.
std::optional<AppLifecycle> AppLifecycleOf(const AppDefinition& app,
                                           std::vector<LifecycleLabelError>* errors = nullptr);

}  // namespace atl::marathonlike
