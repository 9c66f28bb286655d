// Building the Mesos TaskInfo for one instance of an app, as Marathon's TaskBuilder does
// (reference/marathon.md §1.2 task ids, §2.3 environment, §2.5 ports, §2.16 fetch/user/kill
// grace), and Marathon's task ids. Pure: everything variable (ids, offer, ports) is a parameter.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/info.h"
#include "core/model/resources.h"
#include "marathonlike/app.h"
#include "marathonlike/instance.h"

namespace atl::marathonlike {

// "<SafeName(app)>.instance-<uuid>._app.<incarnation>", e.g.
// "prod_web.instance-6c4d…._app.1". REQUIRES: `app` absolute, `instance_uuid` without '.'.
std::string MakeTaskId(const PathId& app, const std::string& instance_uuid, int incarnation);

struct ParsedTaskId {
  PathId app_id;           // "/prod/web"
  InstanceId instance_id;  // "prod_web.instance-<uuid>"
  std::string instance_uuid;
  int incarnation = 0;
  bool operator==(const ParsedTaskId&) const = default;
};

// The inverse of MakeTaskId; nullopt for anything not of that form (including Marathon's legacy
// "app.<uuid>" and "app.marathon-<uuid>" ids, which we never create).
std::optional<ParsedTaskId> ParseTaskId(std::string_view task_id);

// Marathon's task name and discovery name: the id's segments reversed, joined by '.'
// (`PathId.toHostname`): "/prod/web" -> "web.prod".
std::string TaskName(const PathId& app);

// The environment Marathon gives a task (EnvironmentHelper / TaskBuilder.commandInfo):
// MESOS_TASK_ID, MARATHON_APP_ID, MARATHON_APP_VERSION (ISO-8601, millis, Z),
// MARATHON_APP_RESOURCE_CPUS/MEM/DISK (as Java prints doubles: "1.0", "0.5") and _GPUS,
// MARATHON_APP_LABELS (escaped keys, space-separated; always present) and
// MARATHON_APP_LABEL_<escaped key> (non-[A-Za-z0-9_] runs -> '_', uppercased; labels with a key
// of 493+ or a value of 512+ characters are skipped); when there are host ports: PORT<i>,
// PORT_<service port> (PORT_<host port> when the service port is 0), PORT_<NAME uppercased>,
// PORT (first), PORTS (comma list); HOST. Then the app's `env`, which overrides all of them.
// `service_ports[i]` is portDefinitions[i]'s service port (missing entries: its `port`).
std::map<std::string, std::string> TaskEnvironment(const AppDefinition& app,
                                                   const std::string& task_id,
                                                   const std::string& hostname,
                                                   const std::vector<int>& host_ports,
                                                   const std::vector<int>& service_ports);

// The TaskInfo for one instance of `app` (command executor, host networking) placed on `offer`
// with `resources` and `host_ports` (from MatchOffer). Name and discovery name per TaskName;
// command: `cmd` through the shell, or `args` as argv (shell=false, value=args[0]); `user`;
// `fetch` as URIs (destPath -> output_file); the environment of TaskEnvironment, sorted by name;
// kill policy from taskKillGracePeriodSeconds; the app's labels (sorted by key); discovery info
// (FRAMEWORK visibility, one port per protocol of each portDefinition, numbered with its host
// port, with its name and labels); host volumes of a MESOS container as bind mounts.
// health_check (and the label of the other checks): TaskHealthChecks.
model::TaskInfo BuildTaskInfo(const AppDefinition& app, const std::string& task_id,
                              const model::Offer& offer, const model::Resources& resources,
                              const std::vector<int>& host_ports,
                              const std::vector<int>& service_ports);

// The app's health checks as the executor runs them next to the task: every protocol,
// Marathon's (HTTP, HTTPS, TCP, COMMAND) and Mesos's (MESOS_HTTP, MESOS_HTTPS, MESOS_TCP), runs
// at the edge, so checks scale with agents rather than with the scheduler. HTTP(S) probes the
// path on the host port of `portIndex` (or the literal `port`), TCP connects to it, COMMAND runs
// through the shell; delay, interval, timeout, grace period and maxConsecutiveFailures (0: never
// kill) carry over. The first goes in TaskInfo.health_check; a Mesos task has one field, so the
// others travel in the label api::kMoreHealthChecksLabel, and the task is healthy when all are.
std::vector<model::HealthCheck> TaskHealthChecks(const AppDefinition& app,
                                                 const std::vector<int>& host_ports);

}  // namespace atl::marathonlike
