// Marathon's AppInfo (reference/marathon.md §1.2; raml/v2/types/app.raml `AppInfo`): an app's
// definition plus what GET /v2/apps and GET /v2/apps/{id} embed (task counts, deployments,
// tasks, lastTaskFailure, readiness results, task statistics), and the list filters of
// GET /v2/apps (`cmd=`, `id=`, `label=` selectors). Pure: the REST layer gathers the runtime
// facts into AppInfoExtras.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/api/json.h"
#include "core/base/status.h"
#include "core/base/time.h"
#include "marathonlike/app.h"
#include "marathonlike/task_json.h"

namespace atl::marathonlike {

// ---- embed= ----

// Which AppInfo members to write (Marathon's AppInfo.Embed).
struct AppInfoEmbed {
  bool tasks = false;
  bool counts = false;
  bool deployments = false;
  bool readiness = false;
  bool last_task_failure = false;
  bool task_stats = false;
  bool operator==(const AppInfoEmbed&) const = default;
};

// Parses the repeated `embed=` values as Marathon's InfoEmbedResolver does: a prefix `apps.`,
// `app.` or `group.apps.` (accepted in any context) followed by `tasks` (which also sets
// `deployments`, deprecated behaviour kept), `counts` (or `count`, the RAML's spelling),
// `deployments`, `readiness`, `lastTaskFailure`, `taskStats`, or the deprecated `failures`
// (tasks + lastTaskFailure + counts + deployments). Unknown values are ignored.
AppInfoEmbed ParseAppInfoEmbed(const std::vector<std::string>& values);

// What Marathon always embeds for compatibility: GET /v2/apps adds counts and deployments;
// GET /v2/apps/{id} adds counts, deployments, tasks and lastTaskFailure.
AppInfoEmbed ForAppList(AppInfoEmbed embed);
AppInfoEmbed ForSingleApp(AppInfoEmbed embed);

// ---- the facts behind the embedded members ----

// task.raml `TaskFailure`: the app's most recent failed task.
struct TaskFailure {
  PathId app_id;
  std::string host;
  std::string message;
  std::string state;  // "TASK_FAILED"...
  std::string task_id;
  Timestamp timestamp;
  Timestamp version;     // the app version the task ran
  std::string agent_id;  // `slaveId`, written when non-empty
  bool operator==(const TaskFailure&) const = default;
};

// task.raml `TaskCounts`.
struct TaskCounts {
  int staged = 0;
  int running = 0;
  int healthy = 0;
  int unhealthy = 0;
  bool operator==(const TaskCounts&) const = default;
};

// task.raml `TaskStats` (`lifeTime` only when set).
struct TaskStats {
  TaskCounts counts;
  std::optional<double> average_life_seconds;  // both or neither
  std::optional<double> median_life_seconds;
  bool operator==(const TaskStats&) const = default;
};

// task.raml `TaskStatsByVersion`; each group only when it has tasks.
struct TaskStatsByVersion {
  std::optional<TaskStats> started_after_last_scaling;
  std::optional<TaskStats> with_latest_config;
  std::optional<TaskStats> with_outdated_config;
  std::optional<TaskStats> total_summary;
  bool operator==(const TaskStatsByVersion&) const = default;
};

// One task's readiness check result (raml/v2/types/readinessCheck.raml
// TaskReadinessCheckResult). `lastResponse` only with preserveLastResponse; its body is cut at
// healthchecks::kMaxKeptBody bytes (the executor sends it in every later status update).
struct ReadinessResult {
  std::string name;
  std::string task_id;
  bool ready = false;
  struct Response {
    int status = 0;
    std::string content_type;
    std::string body;
    bool operator==(const Response&) const = default;
  };
  std::optional<Response> last_response;
  bool operator==(const ReadinessResult&) const = default;
};

// [{"name","taskId","ready","lastResponse"?:{"status","contentType","body"}}].
void WriteReadinessResults(api::JsonWriter& w, const std::vector<ReadinessResult>& results);

struct AppInfoExtras {
  TaskCounts counts;                       // tasksStaged/Running/Healthy/Unhealthy
  std::vector<ReadinessResult> readiness;  // readinessCheckResults
  std::vector<std::string> deployments;    // ids of the deployments affecting the app
  std::vector<TaskView> tasks;
  std::optional<TaskFailure> last_task_failure;
  TaskStatsByVersion task_stats;
};

// Writes the AppInfo object: the app's members (WriteAppFields), then, as embedded, in
// Marathon's order: tasksStaged, tasksRunning, tasksHealthy, tasksUnhealthy (counts);
// deployments ([{"id": ...}]); readinessCheckResults (the app's tasks' readiness results);
// tasks ([Task], task_json.h); lastTaskFailure (only when there is one);
// tasksStats (possibly {}). A member not embedded is absent.
void WriteAppInfo(api::JsonWriter& w, const AppDefinition& app, const AppInfoExtras& extras,
                  const AppInfoEmbed& embed);

// WriteAppInfo's members after the app's own (counts ... tasksStats), into an open object:
// what the REST layer appends to cached WriteAppFields bytes.
void WriteAppInfoMembers(api::JsonWriter& w, const AppInfoExtras& extras,
                         const AppInfoEmbed& embed);
std::string AppInfoToJson(const AppDefinition& app, const AppInfoExtras& extras,
                          const AppInfoEmbed& embed);

void WriteTaskFailure(api::JsonWriter& w, const TaskFailure& failure);

// ---- label= selectors ----

// One term of a label selector (raml/v2/apps.raml `label`). Every kind requires the label to
// exist: `tier!=web` does not match an app without a `tier` label (Marathon's LabelSelector).
struct LabelRequirement {
  enum class Op { kExists, kEquals, kNotEquals, kIn, kNotIn };
  std::string key;
  Op op = Op::kExists;
  std::vector<std::string> values;  // one for ==/!=, any number (even none) for in/notin
  bool operator==(const LabelRequirement&) const = default;
};

// A comma-separated AND of requirements; empty matches every app.
struct LabelSelector {
  std::vector<LabelRequirement> requirements;
  bool operator==(const LabelSelector&) const = default;
};

// Parses Marathon's selector syntax (LabelSelectorParsers): `key`, `key==v`, `key!=v`,
// `key in (a,b)`, `key notin (a,b)`, separated by commas; whitespace between tokens is ignored.
// Keys and values are runs of `[-A-Za-z0-9_.]` or backslash-escaped characters (`a\ b` is
// "a b", `x\,y` is "x,y"). An empty or all-blank text is the empty selector. Anything else fails
// with InvalidArgument "Can not parse label selector <text>. Reason: <what> at position <n>".
absl::StatusOr<LabelSelector> ParseLabelSelector(std::string_view text);

bool Matches(const LabelSelector& selector, const std::map<std::string, std::string>& labels);

// ---- the list filters of GET /v2/apps ----

// Each filter given must hold (AppsResource.search). `cmd`: case-insensitive substring of the
// app's cmd (apps without cmd never match); `id`: case-insensitive substring of the app id, as
// Marathon's containCaseInsensitive; `label`: the selector.
struct AppListFilter {
  std::optional<std::string> cmd;
  std::optional<std::string> id;
  std::optional<LabelSelector> label;
};

// The filter of the query parameters; fails only on a malformed `label` (see
// ParseLabelSelector), which the REST layer answers with a 400.
absl::StatusOr<AppListFilter> MakeAppListFilter(std::optional<std::string_view> cmd,
                                                std::optional<std::string_view> id,
                                                std::optional<std::string_view> label);

bool Matches(const AppListFilter& filter, const AppDefinition& app);

}  // namespace atl::marathonlike
