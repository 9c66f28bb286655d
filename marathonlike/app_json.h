// Marathon's app JSON (reference/marathon.md §1.2, §2): reading POST/PUT/PATCH bodies into a
// normalized AppDefinition, and writing an AppDefinition the way Marathon's GET returns it.
//
// Reading applies Marathon's normalization (AppNormalization.scala):
//   * defaults for absent fields (§2.1); relative `id` resolved against the base group and
//     relative `dependencies` against the app's own id (so "../db" is a sibling), as Marathon's
//     `withCanonizedIds` does;
//   * deprecated forms converted: `ports: [p...]` -> `portDefinitions` ({port: p, tcp}; both
//     given must agree), `uris` -> `fetch` (extract for archives; both non-empty is refused);
//   * `portDefinitions` defaults to one {port: 0, tcp, name "default"} only when neither
//     `ports` nor `portDefinitions` is given (an empty list means no ports);
//   * `upgradeStrategy` {1, 1} and `unreachableStrategy` {0, 0} (or "disabled") by default;
//     a missing member of a given strategy object takes its default;
//   * enum values match case-insensitively and are stored in canonical spelling;
//   * health checks other than COMMAND address port index 0 when they name no port and the
//     app has ports; readiness checks get `httpStatusCodesForReady: [200]` when empty.
// `version`/`versionInfo` in a client body are ignored (the server sets them) unless
// AppReadOptions::read_version. Unknown members, and AppInfo's read-only ones (`tasks`,
// `deployments`, counts), are ignored, so a GET answer can be posted back.
//
// Unsupported features are refused with a 422 naming them, never dropped: networks other than
// host, `ipAddress`, `secrets` and secret env values, `check`, `tty: true`, Docker images on the
// Mesos containerizer, AppC, `linuxInfo`, `portMappings`, persistent/external/secret volumes,
// `residency`, `executorResources`. Rules on the model itself (Docker containers, GPUs, custom
// executors, ranges...) are app_validation.h's.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/api/json.h"
#include "marathonlike/api_error.h"
#include "marathonlike/app.h"

namespace atl::marathonlike {

struct AppReadOptions {
  // Relative ids resolve against this group: "/" for /v2/apps.
  PathId base_group = "/";
  // The app named by the URL (PUT/PATCH /v2/apps/{id}): the body may then omit `id`; if it has
  // one, it must name the same app.
  std::optional<PathId> app_id;
  // Read `version` and `versionInfo` (for definitions we wrote ourselves). Off for client
  // bodies: the server sets them.
  bool read_version = false;
};

// The reading step alone: the normalized app, and the 422 problems only the JSON shows
// (unsupported features, conflicting deprecated fields) that the model cannot carry. Fails
// only with a 400: malformed JSON, or type errors (all of them, play-json style).
struct AppRead {
  AppDefinition app;
  std::vector<FieldError> refusals;
};
ApiOr<AppRead> ReadApp(std::string_view json, const AppReadOptions& options = {});

// ReadApp with refusals turned into a 422. Does not check the model's rules: use
// ParseValidApp (app_validation.h) for a request body.
ApiOr<AppDefinition> ParseApp(std::string_view json, const AppReadOptions& options = {});

// A partial update (PUT with partialUpdate=true, PATCH): the top-level fields the body sets.
// Nested objects replace the stored ones wholesale (`container`, `upgradeStrategy`, lists and
// maps), as Marathon does.
struct AppPatch {
  // The values of the fields set (normalized like a full definition's); others are defaults.
  AppDefinition fields;
  // Canonical JSON names of the fields set ("portDefinitions" also for `ports`, "fetch" also
  // for `uris`). `id` and `version` are never listed: see below.
  std::set<std::string> present;
  // `version` in the body: Marathon's rollback request (only `id` may accompany it).
  std::optional<Timestamp> version;

  // `base` with every present field replaced, renormalized (health check port indices).
  // Setting one of `cmd`/`args` without the other clears the other, so a patch can switch
  // between them. The id, version and versionInfo of `base` are kept.
  AppDefinition ApplyTo(AppDefinition base) const;

  bool operator==(const AppPatch&) const = default;
};
ApiOr<AppPatch> ParseAppPatch(std::string_view json, const AppReadOptions& options = {});

// Normalization that depends on several fields, run by the readers and by ApplyTo; idempotent:
// health checks other than COMMAND get port index 0 when they name no port and the app has
// ports; fields a health check's protocol ignores are reset to their defaults.
void NormalizeApp(AppDefinition* app);

// ---- writing: Marathon's GET shape ----
//
// Always written: id, backoffFactor, backoffSeconds, constraints, cpus, dependencies, disk, env,
// executor, fetch, healthChecks, instances, labels, maxLaunchDelaySeconds, mem, gpus,
// networks ([{"mode":"host"}]), portDefinitions, readinessChecks, requirePorts, upgradeStrategy,
// version, versionInfo, killSelection, unreachableStrategy. Written when set: args, cmd,
// acceptedResourceRoles (non-empty), container, resourceLimits, taskKillGracePeriodSeconds,
// user, role, and our extension deploymentProgressDeadlineSeconds. Whole numbers are written
// without a fraction (`"mem": 128`), timestamps as "2015-09-29T15:59:51.164Z".

// Writes the app's members into the object the caller has open, so the REST layer can append
// AppInfo's (tasksRunning, deployments, tasks...) before closing it.
void WriteAppFields(api::JsonWriter& w, const AppDefinition& app);
// One `healthChecks` element, as the app JSON writes it (events reuse it).
void WriteHealthCheck(api::JsonWriter& w, const AppHealthCheck& check);
// {WriteAppFields}.
void WriteApp(api::JsonWriter& w, const AppDefinition& app);
std::string AppToJson(const AppDefinition& app);

// Writes `value` as Marathon does: whole numbers without a fraction, others in their shortest
// round-trip form.
void WriteNumber(api::JsonWriter& w, double value);

}  // namespace atl::marathonlike
