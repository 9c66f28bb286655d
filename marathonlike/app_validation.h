// Validation of normalized app definitions (reference/marathon.md §2), returning every broken
// rule in Marathon's 422 shape: [{"path":"/upgradeStrategy/minimumHealthCapacity",
// "errors":["is greater than 1"]}], array items as "/healthChecks(0)/portIndex", rules on the
// whole app at "/". Messages are Marathon's where Marathon has one (AppValidation.scala,
// SchedulingValidation.scala); bounds read "is less than 0" / "is greater than 1".
//
// Rules, cheapest first (the order of ValidateApp's body):
//   id (path_id.h AppIdErrors); exactly one of cmd/args; instances, cpus (>= 0.001), mem, disk,
//   backoffSeconds, maxLaunchDelaySeconds, taskKillGracePeriodSeconds >= 0; backoffFactor >= 1;
//   upgradeStrategy members in [0,1]; unreachableStrategy 0 <= inactive <= expunge;
//   killSelection; resource limits not below the request; port definitions (ranges, protocols,
//   names unique and well-formed, non-zero ports unique); health checks (protocol, COMMAND
//   needs a command, port index in range, at most one MESOS_* check, no mixing of Marathon-
//   and Mesos-level checks, IPv4 only); readiness checks (at most one, portName exists,
//   timeout < interval, status codes); fetch; constraints (constraints::MarathonConstraintErrors,
//   regexes compiled by RE2); dependencies (valid absolute ids); MARATHON_SINGLE_INSTANCE_APP,
//   DCOS_MIGRATION_API_* and ATOLL_LIFECYCLE_* labels (lifecycle_labels.h); no label key
//   starting with "atoll." (reserved for the labels tasks get).
// Refused because not supported yet (a 422 that says so): container type DOCKER, gpus > 0,
// executors other than "" and "//cmd". Features the model cannot even hold (networks, secrets,
// persistent volumes, ...) are refused by the reader (app_json.h); ParseValidApp reports both.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "marathonlike/api_error.h"
#include "marathonlike/app.h"
#include "marathonlike/app_json.h"

namespace atl::marathonlike {

// Every rule `app` breaks; empty when valid. Paths are relative to the app object.
std::vector<FieldError> ValidateApp(const AppDefinition& app);

// The whole path of a request body: ReadApp, then ValidateApp. 400 for malformed JSON and type
// errors; otherwise one 422 with the reader's refusals and the rule errors together.
ApiOr<AppDefinition> ParseValidApp(std::string_view json, const AppReadOptions& options = {});

// The message for Docker containers, shared with the golden tests and the UI.
inline constexpr std::string_view kDockerNotSupported =
    "Docker containers are not supported yet: use a command (cmd/args) app";

}  // namespace atl::marathonlike
