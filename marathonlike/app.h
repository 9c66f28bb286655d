// The Marathon app model (reference/marathon.md §2): an AppDefinition as Marathon stores it,
// after normalization (defaults filled, deprecated forms converted, ids absolute). Plain value
// types with defaulted ==; JSON in app_json.h, validation in app_validation.h.
//
// Supported today: command apps (`cmd` or `args`) on host networking with the Mesos
// containerizer (`container.type` MESOS with host volumes), resources, ports, env, labels,
// constraints (kept as given; parsed by constraints/), fetch, health and readiness checks,
// dependencies, upgrade/unreachable strategies, backoff, kill selection. Refused with a 422 that
// says so: Docker containers, container/bridge networking, secrets, GPUs, persistent and
// external volumes, `ipAddress`, `check`, `tty`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/base/time.h"

namespace atl::marathonlike {

// An absolute path id: "/prod/web/frontend". The root group is "/".
using PathId = std::string;

struct PortDefinition {
  int port = 0;                  // 0: Marathon assigns a service port
  std::string protocol = "tcp";  // "tcp", "udp", "udp,tcp"
  std::optional<std::string> name;
  std::map<std::string, std::string> labels;
  bool operator==(const PortDefinition&) const = default;
};

struct Artifact {  // `fetch[]` (and deprecated `uris[]`)
  std::string uri;
  bool extract = true;
  bool executable = false;
  bool cache = false;
  std::optional<std::string> dest_path;
  bool operator==(const Artifact&) const = default;
};

struct HostVolume {  // container.volumes[] with hostPath
  std::string container_path;
  std::string host_path;
  std::string mode = "RW";  // RO | RW
  bool operator==(const HostVolume&) const = default;
};

struct Container {  // only type MESOS is supported
  std::string type = "MESOS";
  std::vector<HostVolume> volumes;
  bool operator==(const Container&) const = default;
};

struct AppHealthCheck {
  std::string protocol = "HTTP";  // HTTP HTTPS TCP COMMAND MESOS_HTTP MESOS_HTTPS MESOS_TCP
  std::string path = "/";
  std::optional<int> port_index;
  std::optional<int> port;
  std::optional<std::string> command;  // COMMAND: {"command": {"value": ...}}
  int grace_period_seconds = 300;
  int interval_seconds = 60;
  int timeout_seconds = 20;
  int max_consecutive_failures = 3;
  int delay_seconds = 15;
  bool ignore_http1xx = false;
  std::string ip_protocol = "IPv4";
  bool operator==(const AppHealthCheck&) const = default;
};

struct ReadinessCheck {
  std::string name = "readinessCheck";
  std::string protocol = "HTTP";  // HTTP | HTTPS
  std::string path = "/";
  std::string port_name = "http-api";
  int interval_seconds = 30;
  int timeout_seconds = 10;
  std::vector<int> http_status_codes_for_ready = {200};
  bool preserve_last_response = false;
  bool operator==(const ReadinessCheck&) const = default;
};

struct UpgradeStrategy {
  double minimum_health_capacity = 1.0;
  double maximum_over_capacity = 1.0;
  // Atoll (`rollbackAfterFailures`, an Aurora feature Marathon lacks): when this many tasks of
  // the new version fail (or are killed for failing their health check) during a deployment,
  // the deployment fails and the previous version is restored. Unset: never (Marathon).
  std::optional<int> rollback_after_failures;
  bool operator==(const UpgradeStrategy&) const = default;
};

struct UnreachableStrategy {
  bool disabled = false;  // "disabled": wait forever
  double inactive_after_seconds = 0;
  double expunge_after_seconds = 0;
  bool operator==(const UnreachableStrategy&) const = default;
};

struct ResourceLimits {  // 1.10+: a number, or nullopt for "unlimited"
  std::optional<std::optional<double>> cpus;
  std::optional<std::optional<double>> mem;
  bool operator==(const ResourceLimits&) const = default;
};

struct VersionInfo {
  Timestamp last_scaling_at;
  Timestamp last_config_change_at;
  bool operator==(const VersionInfo&) const = default;
};

struct AppDefinition {
  PathId id;
  std::optional<std::string> cmd;
  std::optional<std::vector<std::string>> args;
  std::optional<std::string> user;
  std::map<std::string, std::string> env;
  int instances = 1;
  double cpus = 1.0;
  double mem = 128.0;
  double disk = 0.0;
  int gpus = 0;
  std::optional<ResourceLimits> resource_limits;
  std::string executor;  // "" or "//cmd": the command executor
  std::vector<std::vector<std::string>> constraints;
  std::vector<std::string> accepted_resource_roles;
  std::optional<std::string> role;
  std::map<std::string, std::string> labels;
  std::vector<Artifact> fetch;
  std::vector<PortDefinition> port_definitions = {PortDefinition{0, "tcp", "default", {}}};
  bool require_ports = false;
  double backoff_seconds = 1.0;
  double backoff_factor = 1.15;
  double max_launch_delay_seconds = 300.0;
  UpgradeStrategy upgrade_strategy;
  UnreachableStrategy unreachable_strategy;
  std::string kill_selection = "YOUNGEST_FIRST";  // or OLDEST_FIRST
  std::vector<AppHealthCheck> health_checks;
  std::vector<ReadinessCheck> readiness_checks;
  std::vector<PathId> dependencies;  // absolute after normalization
  std::optional<int> task_kill_grace_period_seconds;
  std::optional<Container> container;
  // Beyond Marathon: a deployment of this app that makes no progress for this long is marked
  // failed (`deployment_failed`) instead of waiting forever. Absent: Marathon's behaviour.
  std::optional<double> deployment_progress_deadline_seconds;

  // Set by the server, never by clients.
  Timestamp version;
  VersionInfo version_info;

  bool operator==(const AppDefinition&) const = default;
};

}  // namespace atl::marathonlike
