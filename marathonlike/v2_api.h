// V2Api: Marathon's /v2 REST API over a ServiceScheduler (reference/marathon.md §1; the RAML
// and schemas in reference/marathon/ are the contract). Pure: a request and the time in, a
// response out; writes go through the scheduler's API operations, whose commands (store
// writes, driver calls, events) are appended to the caller's Output. The shell
// (core/cmd/scheduler_runtime) makes those commands' store writes durable before it sends the
// response, so an acknowledged write is never lost.
//
// Served here: /v2/apps (+ /{id}, /{id}/restart, /{id}/tasks, /{id}/tasks/{taskId},
// /{id}/versions, /{id}/versions/{version}), /v2/groups (+ /{id}, /{id}/versions, versions/{v}),
// /v2/deployments, /v2/tasks, /v2/tasks/delete, /v2/queue, /v2/queue/{id}/delay, /v2/info,
// /v2/leader, /ping, /metrics. /v2/events is the shell's (it holds the streams): it uses
// events.h's SseFrame and EventFilter directly.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/api/json.h"
#include "core/base/time.h"
#include "marathonlike/service_scheduler.h"

namespace atl::marathonlike {

struct V2Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // percent-decoded, without the query: "/v2/apps/prod/web"
  // Decoded query parameters in order; a name may repeat (embed=...).
  std::vector<std::pair<std::string, std::string>> query;
  std::string body;
  std::string remote_address;  // "127.0.0.1:53211", for api_post_event's clientIp
  // The Accept header ("" when absent). GET /v2/tasks and /v2/apps/{id}/tasks answer
  // Marathon's text/plain endpoint lines when it asks for text/plain and not for JSON.
  std::string accept;
  bool operator==(const V2Request&) const = default;
};

struct V2Response {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  // Extra headers: Location, Marathon-Deployment-Id, Allow...
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool operator==(const V2Response&) const = default;
};

// Stored versions, read on demand (the scheduler keeps only their timestamps in memory).
class VersionReader {
 public:
  virtual ~VersionReader() = default;
  virtual std::optional<AppDefinition> ReadAppVersion(const PathId& app_id, Timestamp version) = 0;
  virtual std::optional<Group> ReadRootVersion(Timestamp version) = 0;
};

// What /v2/info and /v2/leader report.
struct V2Info {
  std::string name = "marathon";   // Marathon clients look for it
  std::string version = "1.10.0";  // the Marathon API level we implement
  std::string hostname = "127.0.0.1";
  int http_port = 8080;
  std::string master;  // "host:port" of the Mesos master
  std::string framework_name = "marathon";
  std::string atoll_version;  // our own version, reported beside
};

class V2Api {
 public:
  // `scheduler` and `versions` outlive the api.
  V2Api(ServiceScheduler& scheduler, VersionReader& versions, V2Info info);

  // Answers one request. Writes append the scheduler's commands to `out` (the response must be
  // sent only once those are durable). Never throws; bad input gets Marathon's 400/404/409/422.
  V2Response Handle(const V2Request& request, Timestamp now, Output* out);

 private:
  using DeployOptions = ServiceScheduler::DeployOptions;
  // A started deployment, or the error response (409 lock, 422...).
  using DeployOutcome = std::variant<DeploymentPlan, V2Response>;

  // ---- v2_api.cc: routing, deployments, tasks, queue, info, leader, metrics ----
  V2Response Route(const V2Request& request, Timestamp now, Output* out);
  V2Response Deployments(const V2Request& request, std::string_view rest, Timestamp now,
                         Output* out);
  V2Response ListTasks(const V2Request& request);
  V2Response DeleteTasks(const V2Request& request, Timestamp now, Output* out);
  V2Response Queue(const V2Request& request, std::string_view rest, Timestamp now, Output* out);
  V2Response Info();
  V2Response Leader(const V2Request& request);
  V2Response Metrics(Timestamp now);

  // ---- v2_api_apps.cc ----
  V2Response Apps(const V2Request& request, std::string_view rest, Timestamp now, Output* out);
  V2Response ListApps(const V2Request& request, Timestamp now);
  V2Response CreateApp(const V2Request& request, Timestamp now, Output* out);
  V2Response GetApp(const V2Request& request, const PathId& id, Timestamp now);
  V2Response GetAppsUnder(const V2Request& request, const PathId& group_id, Timestamp now);
  V2Response UpdateApp(const V2Request& request, const PathId& id, bool patch, Timestamp now,
                       Output* out);
  V2Response UpdateApps(const V2Request& request, bool patch, Timestamp now, Output* out);
  V2Response DeleteApp(const V2Request& request, const PathId& id, Timestamp now, Output* out);
  V2Response RestartApp(const V2Request& request, const PathId& id, Timestamp now, Output* out);
  V2Response AppVersions(const PathId& id);
  V2Response AppVersion(const PathId& id, std::string_view version);
  V2Response AppTasks(const V2Request& request, const PathId& id, Timestamp now, Output* out);
  V2Response AppTask(const V2Request& request, const PathId& id, std::string_view task_id,
                     Timestamp now, Output* out);

  // ---- v2_api_groups.cc ----
  V2Response Groups(const V2Request& request, std::string_view rest, Timestamp now, Output* out);
  V2Response GetGroup(const V2Request& request, const PathId& id, Timestamp now);
  V2Response GroupVersions(const PathId& id);
  V2Response GroupVersion(const V2Request& request, const PathId& id, std::string_view version,
                          Timestamp now);
  V2Response WriteGroupUpdate(const V2Request& request, const PathId& base, bool create,
                              Timestamp now, Output* out);
  V2Response DeleteGroup(const V2Request& request, const PathId& id, Timestamp now, Output* out);

  // ---- shared (v2_api.cc) ----
  // Runs ServiceScheduler::Deploy and maps Conflict/errors to Marathon's answers.
  DeployOutcome Deploy(Group target, const DeployOptions& options, Timestamp now, Output* out);
  // PutApp + Deploy + api_post_event: what POST and PUT of one app share.
  DeployOutcome PutAndDeploy(const V2Request& request, AppDefinition app, bool force, Timestamp now,
                             Output* out);
  // The kill endpoints: kills `instances` (scale/wipe from the query) and answers {"tasks"}
  // ({"task"} when `single`), or a deployment result with ?scale=true.
  V2Response KillAndAnswer(const V2Request& request, const std::vector<InstanceId>& instances,
                           bool single, Timestamp now, Output* out);
  // The app as GET writes it, cached by (id, version).
  const std::string& AppJson(const AppDefinition& app);
  // AppInfo: the cached app bytes followed by the embedded members (as WriteAppInfo).
  void WriteAppInfoCached(api::JsonWriter& w, const AppDefinition& app, const AppInfoExtras& extras,
                          const AppInfoEmbed& embed);
  AppInfoExtras ExtrasOf(const AppDefinition& app, const AppInfoEmbed& embed, Timestamp now) const;
  // The instance's task with its app's service ports.
  TaskView TaskOf(const Instance& instance) const;
  // api_post_event for the app as now stored.
  void PublishApiPost(const V2Request& request, const PathId& app_id, Timestamp now,
                      Output* out) const;
  // Marathon's text/plain task list (EndpointsHelper): per app and service port one line
  // "<app_id with / as _>\t<service port>\t<host>:<host port>\t..." over running tasks.
  std::string EndpointsText(const std::vector<const AppDefinition*>& apps) const;
  // Drops the cached definitions of the apps a deployment touches (a write made at the same
  // instant as the previous one would otherwise reuse its version).
  void ForgetCachedApps(const DeploymentPlan& plan);
  // Drops cache entries of definitions no longer current when the cache has grown.
  void PruneCache();

  ServiceScheduler& scheduler_;
  VersionReader& versions_;
  V2Info info_;
  // Serialized app definitions by (app id, version): GET /v2/apps serves cached bytes. Versions
  // are stamped on every change; entries of the apps a deployment touches are dropped anyway.
  std::map<std::pair<PathId, Timestamp>, std::string> app_json_cache_;
  // /metrics counters.
  int64_t requests_ = 0;
  std::map<int, int64_t> responses_by_class_;  // 2 -> 2xx ...
};

}  // namespace atl::marathonlike
