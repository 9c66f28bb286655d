// Marathon's Task JSON (reference/marathon.md §1.2, §1.3, §4.1; raml/v2/types/task.raml,
// example raml/v2/examples/app_tasks.json): what GET /v2/apps/{id}/tasks, GET /v2/tasks, the
// kill endpoints and AppInfo's `tasks` write for one task. Pure: the REST layer fills a TaskView
// from the scheduler's instance records and calls WriteTask.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/api/json.h"
#include "core/base/time.h"
#include "marathonlike/app.h"

namespace atl::marathonlike {

// One IP address of the task's container (`ipAddresses[]`).
struct TaskIpAddress {
  std::string ip_address;
  std::string protocol = "IPv4";  // "IPv4" or "IPv6"
  bool operator==(const TaskIpAddress&) const = default;
};

// The state of one Marathon-side health check for the task (raml/v2/types/healthCheck.raml
// `Health`); `instanceId` is derived from the task id when written.
struct TaskHealthResult {
  bool alive = false;
  int consecutive_failures = 0;
  std::optional<Timestamp> first_success;
  std::optional<Timestamp> last_success;
  std::optional<Timestamp> last_failure;
  std::optional<std::string> last_failure_cause;
  bool operator==(const TaskHealthResult&) const = default;
};

// What the REST layer knows about one task.
struct TaskView {
  std::string id;        // "prod_web.instance-<uuid>._app.1"
  PathId app_id;         // "/prod/web"
  std::string agent_id;  // `slaveId`; empty while not placed
  std::string host;      // the agent's hostname
  std::string state;     // the Mesos state name: "TASK_RUNNING", "TASK_STAGING"...
  std::optional<Timestamp> staged_at;
  std::optional<Timestamp> started_at;
  std::optional<Timestamp> version;  // the app version the task runs
  std::vector<int> ports;            // host ports
  std::vector<int> service_ports;    // the app's service ports (/v2/tasks fills them)
  std::vector<TaskIpAddress> ip_addresses;
  std::vector<TaskHealthResult> health_check_results;  // one per Marathon health check
  std::optional<std::string> region;
  std::optional<std::string> zone;
  std::string role;  // the role its resources were allocated to ("*" when unreserved)
  bool operator==(const TaskView&) const = default;
};

// Writes the task as one JSON object, in the example's member order:
//   appId, healthCheckResults?, host, id, ipAddresses?, ports, servicePorts?, slaveId?,
//   stagedAt?, startedAt?, version?, state, region?, zone?, role.
// Always written: appId, host, id, ports (possibly []), state, role. Written only when
// non-empty: healthCheckResults, ipAddresses, servicePorts (as Marathon's EnrichedTask writer
// does), slaveId. Written only when set: stagedAt, startedAt, version, region, zone; absent
// members are left out, never `null`. Times are ISO-8601 with millis and `Z`. Each health result
// is {instanceId, alive, consecutiveFailures, firstSuccess?, lastSuccess?, lastFailure?,
// lastFailureCause?}, instanceId taken from the task id (the whole id if it does not parse).
// `localVolumes` and `checkResult` are not modeled and never written.
void WriteTask(api::JsonWriter& w, const TaskView& task);
std::string TaskToJson(const TaskView& task);

}  // namespace atl::marathonlike
