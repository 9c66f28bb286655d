#include "marathonlike/state_json.h"

#include <cstdint>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "core/api/json_internal.h"
#include "core/base/status.h"
#include "core/base/strings.h"
#include "core/model/task_state.h"
#include "healthchecks/readiness.h"
#include "healthchecks/tracker.h"
#include "marathonlike/app_json.h"
#include "marathonlike/app_json_internal.h"
#include "marathonlike/group_json.h"
#include "marathonlike/json_reader.h"
#include "marathonlike/path_id.h"
#include "marathonlike/plan.h"

namespace atl::marathonlike {

using api::JsonNode;
using api::JsonWriter;

namespace {

// ---- names ----

constexpr Condition kAllConditions[] = {
    Condition::kScheduled,   Condition::kProvisioned,
    Condition::kStaging,     Condition::kStarting,
    Condition::kRunning,     Condition::kKilling,
    Condition::kUnreachable, Condition::kUnreachableInactive,
    Condition::kFinished,    Condition::kFailed,
    Condition::kKilled,      Condition::kError,
    Condition::kGone,        Condition::kDropped,
    Condition::kUnknown,
};

std::optional<Condition> ParseCondition(std::string_view name) {
  for (Condition c : kAllConditions) {
    if (name == ConditionName(c)) return c;
  }
  return std::nullopt;
}

std::optional<Goal> ParseGoal(std::string_view name) {
  for (Goal g : {Goal::kRunning, Goal::kStopped, Goal::kDecommissioned}) {
    if (name == GoalName(g)) return g;
  }
  return std::nullopt;
}

std::optional<ActionType> ParseActionType(std::string_view name) {
  for (ActionType t :
       {ActionType::kStart, ActionType::kStop, ActionType::kScale, ActionType::kRestart}) {
    if (name == ActionName(t)) return t;
  }
  return std::nullopt;
}

// ---- errors ----

// A reader's status (InvalidArgument "<path>: <message>") as DataLoss about `what`.
absl::Status AsDataLoss(std::string_view what, const absl::Status& status) {
  if (status.ok()) return status;
  return absl::DataLossError(StrCat("stored ", what, ": ", status.message()));
}

std::string FieldErrorsText(const std::vector<FieldError>& errors) {
  std::vector<std::string> parts;
  for (const FieldError& e : errors) {
    parts.push_back(StrCat(internal::ReportedPath(e.path), ": ", Join(e.errors, ", ")));
  }
  return Join(parts, "; ");
}

// What the app reader collected, as a status: type errors and refusals are both unexpected in
// what we wrote ourselves.
absl::Status AppReaderStatus(const internal::JsonReader& r, std::string_view where) {
  if (r.has_invalid()) {
    return absl::InvalidArgumentError(
        StrCat(where, ": invalid app JSON: ", FieldErrorsText(r.invalid())));
  }
  if (!r.refusals().empty()) {
    return absl::InvalidArgumentError(
        StrCat(where, ": app JSON not allowed: ", FieldErrorsText(r.refusals())));
  }
  return absl::OkStatus();
}

// ---- times ----

absl::Status ReadTime(const JsonNode& n, Timestamp* out) {
  if (!n.IsString()) return n.TypeError("an ISO-8601 time");
  std::optional<Timestamp> t = ParseIso8601(n.StringValue());
  if (!t.has_value()) {
    return n.Error(StrCat("not an ISO-8601 time: '", n.StringValue(), "'"));
  }
  *out = *t;
  return absl::OkStatus();
}

absl::Status ReadPathId(const JsonNode& n, PathId* out) {
  std::string raw;
  RETURN_IF_ERROR(api::ReadString(n, &raw));
  std::optional<PathId> canonical = ResolvePath(raw, "/");
  if (!canonical.has_value() || *canonical != raw) {
    return n.Error(StrCat("not a canonical absolute path id: '", raw, "'"));
  }
  *out = std::move(raw);
  return absl::OkStatus();
}

template <typename E, typename Parse>
absl::Status ReadName(const JsonNode& n, Parse parse, E* out) {
  std::optional<E> value;
  RETURN_IF_ERROR(api::ReadEnum(n, /*required=*/true, parse, &value));
  *out = *value;
  return absl::OkStatus();
}

absl::Status ReadStringMap(const JsonNode& n, std::map<std::string, std::string>* out) {
  return n.ForEachMember([&](std::string_view key, const JsonNode& child) -> absl::Status {
    std::string value;
    RETURN_IF_ERROR(api::ReadString(child, &value));
    (*out)[std::string(key)] = std::move(value);
    return absl::OkStatus();
  });
}

// ---- apps ----

// One app object as WriteApp writes it: Marathon's reader with read_version, which must find
// nothing to complain about, and the members we always write: a canonical absolute `id` and a
// `version`. `rpath` is the app reader's path of the object; `group` its group, for relative
// ids (refused here anyway).
absl::Status ReadStoredApp(const JsonNode& n, std::string_view rpath, const PathId& group,
                           AppDefinition* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  PathId id;
  RETURN_IF_ERROR(api::Req(n, "id", &id, ReadPathId));
  if (n.Get("version").IsUnset()) return n.Get("version").Error("required");
  internal::AppReadContext ctx;
  ctx.options.base_group = group;
  ctx.options.read_version = true;
  internal::JsonReader r;
  internal::AppObjectInfo info;
  internal::ReadAppObject(r, n, rpath, ctx, out, &info);
  RETURN_IF_ERROR(AppReaderStatus(r, n.Path()));
  if (out->id != id) return n.Get("id").Error(StrCat("read as ", out->id));
  return absl::OkStatus();
}

absl::Status ReadAppRoot(const JsonNode& n, AppDefinition* out) {
  return ReadStoredApp(n, "", "/", out);
}

// ---- groups ----

// Reads the group object `n` (WriteGroup's shape with apps and groups embedded); `rpath` is the
// app reader's path of the object ("" for the document root).
absl::Status ReadGroupNode(const JsonNode& n, std::string_view rpath, Group* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(api::Req(n, "id", &out->id, ReadPathId));
  RETURN_IF_ERROR(api::Req(n, "version", &out->version, ReadTime));
  RETURN_IF_ERROR(api::Req(n, "enforceRole", &out->enforce_role));
  RETURN_IF_ERROR(api::Array(n, "dependencies", &out->dependencies, ReadPathId));

  JsonNode apps = n.Get("apps");
  if (!apps.IsUnset()) {
    RETURN_IF_ERROR(apps.ExpectArray());
    std::string apps_rpath = internal::ChildPath(rpath, "apps");
    for (size_t i = 0; i < apps.Size(); ++i) {
      JsonNode item = apps.At(i);
      AppDefinition app;
      RETURN_IF_ERROR(ReadStoredApp(item, internal::IndexPath(apps_rpath, i), out->id, &app));
      if (out->apps.count(app.id) > 0) {
        return item.Error(StrCat("duplicate app id ", app.id));
      }
      PathId id = app.id;
      out->apps.emplace(std::move(id), std::move(app));
    }
  }

  JsonNode groups = n.Get("groups");
  if (!groups.IsUnset()) {
    RETURN_IF_ERROR(groups.ExpectArray());
    std::string groups_rpath = internal::ChildPath(rpath, "groups");
    for (size_t i = 0; i < groups.Size(); ++i) {
      JsonNode item = groups.At(i);
      Group child;
      RETURN_IF_ERROR(ReadGroupNode(item, internal::IndexPath(groups_rpath, i), &child));
      if (out->groups.count(child.id) > 0 || out->apps.count(child.id) > 0) {
        return item.Error(StrCat("duplicate group id ", child.id));
      }
      PathId id = child.id;
      out->groups.emplace(std::move(id), std::move(child));
    }
  }
  return absl::OkStatus();
}

// ---- instances ----

void WriteOptTime(JsonWriter& w, std::string_view key, const std::optional<Timestamp>& t) {
  if (t.has_value()) w.Key(key).String(FormatStoredTime(*t));
}

void WriteInstance(JsonWriter& w, const Instance& i) {
  w.StartObject();
  w.Key("id").String(i.id.value());
  w.Key("appId").String(i.app_id);
  w.Key("appVersion").String(FormatStoredTime(i.app_version));
  w.Key("condition").String(ConditionName(i.condition));
  w.Key("goal").String(GoalName(i.goal));
  w.Key("conditionSince").String(FormatStoredTime(i.condition_since));
  WriteOptTime(w, "stagedAt", i.staged_at);
  WriteOptTime(w, "startedAt", i.started_at);
  w.Key("agentId").String(i.agent_id);
  w.Key("hostname").String(i.hostname);
  w.Key("agentAttributes").StartObject();
  for (const auto& [k, v] : i.agent_attributes) w.Key(k).String(v);
  w.EndObject();
  w.Key("incarnation").Int(i.incarnation);
  w.Key("taskId").String(i.task_id);
  w.Key("taskState").String(model::TaskStateName(i.task_state));
  w.Key("message").String(i.message);
  if (i.health.healthy.has_value()) {
    w.Key("healthy").Bool(*i.health.healthy);
    // The details as the executor's labels carried them (healthchecks::ToLabels).
    w.Key("health").StartObject();
    for (const model::Label& l : healthchecks::ToLabels(i.health)) w.Key(l.key).String(*l.value);
    // With several checks, each one's own (healthchecks::IndexedLabels).
    for (size_t k = 0; k < i.health_checks.size(); ++k) {
      for (const model::Label& l : healthchecks::IndexedLabels(i.health_checks[k], k)) {
        w.Key(l.key).String(*l.value);
      }
    }
    w.EndObject();
  }
  if (i.readiness != healthchecks::Readiness{}) {
    w.Key("readiness").StartObject();
    for (const model::Label& l : healthchecks::ResultLabels(i.readiness)) {
      w.Key(l.key).String(*l.value);
    }
    w.EndObject();
  }
  w.Key("hostPorts").StartArray();
  for (int p : i.host_ports) w.Int(p);
  w.EndArray();
  w.Key("role").String(i.role);
  WriteOptTime(w, "unreachableSince", i.unreachable_since);
  WriteOptTime(w, "killSentAt", i.kill_sent_at);
  w.EndObject();
}

absl::Status ReadInstance(const JsonNode& n, Instance* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  std::string id;
  RETURN_IF_ERROR(api::Req(n, "id", &id));
  if (id.empty()) return n.Get("id").Error("empty");
  out->id = InstanceId(std::move(id));
  RETURN_IF_ERROR(api::Req(n, "appId", &out->app_id, ReadPathId));
  RETURN_IF_ERROR(api::Req(n, "appVersion", &out->app_version, ReadTime));
  JsonNode condition = n.Get("condition");
  if (condition.IsUnset()) return condition.Error("required");
  RETURN_IF_ERROR(ReadName(condition, ParseCondition, &out->condition));
  JsonNode goal = n.Get("goal");
  if (goal.IsUnset()) return goal.Error("required");
  RETURN_IF_ERROR(ReadName(goal, ParseGoal, &out->goal));
  RETURN_IF_ERROR(api::Req(n, "conditionSince", &out->condition_since, ReadTime));
  RETURN_IF_ERROR(api::Opt(n, "stagedAt", &out->staged_at, ReadTime));
  RETURN_IF_ERROR(api::Opt(n, "startedAt", &out->started_at, ReadTime));
  RETURN_IF_ERROR(api::Opt(n, "agentId", &out->agent_id));
  RETURN_IF_ERROR(api::Opt(n, "hostname", &out->hostname));
  RETURN_IF_ERROR(api::Opt(n, "agentAttributes", &out->agent_attributes, ReadStringMap));
  RETURN_IF_ERROR(api::Opt(n, "incarnation", &out->incarnation));
  RETURN_IF_ERROR(api::Opt(n, "taskId", &out->task_id));
  if (JsonNode state = n.Get("taskState"); !state.IsUnset()) {
    RETURN_IF_ERROR(ReadName(state, model::ParseTaskState, &out->task_state));
  }
  RETURN_IF_ERROR(api::Opt(n, "message", &out->message));
  std::optional<bool> healthy;
  RETURN_IF_ERROR(api::Opt(n, "healthy", &healthy));
  std::map<std::string, std::string> health;
  RETURN_IF_ERROR(api::Opt(n, "health", &health, ReadStringMap));
  model::Labels labels;
  for (auto& [k, v] : health) labels.push_back(model::Label{k, v});
  out->health = healthchecks::FromLabels(labels, healthy);
  out->health_checks = healthchecks::IndexedFromLabels(labels);
  std::map<std::string, std::string> readiness;
  RETURN_IF_ERROR(api::Opt(n, "readiness", &readiness, ReadStringMap));
  model::Labels readiness_labels;
  for (auto& [k, v] : readiness) readiness_labels.push_back(model::Label{k, v});
  out->readiness =
      healthchecks::ResultFromLabels(readiness_labels).value_or(healthchecks::Readiness{});
  RETURN_IF_ERROR(api::Array(n, "hostPorts", &out->host_ports));
  RETURN_IF_ERROR(api::Opt(n, "role", &out->role));
  RETURN_IF_ERROR(api::Opt(n, "unreachableSince", &out->unreachable_since, ReadTime));
  RETURN_IF_ERROR(api::Opt(n, "killSentAt", &out->kill_sent_at, ReadTime));
  return absl::OkStatus();
}

// ---- deployments ----

void WriteDeployment(JsonWriter& w, const Deployment& d) {
  const DeploymentPlan& plan = d.plan;
  w.StartObject();
  w.Key("id").String(plan.id);
  w.Key("version").String(FormatStoredTime(plan.version));
  w.Key("original");
  WriteGroup(w, plan.original);
  w.Key("target");
  WriteGroup(w, plan.target);
  w.Key("steps").StartArray();
  for (const Step& step : plan.steps) {
    w.StartObject().Key("actions").StartArray();
    for (const Action& a : step.actions) {
      w.StartObject();
      w.Key("action").String(ActionName(a.type));
      w.Key("app").String(a.app_id);
      if (a.scale_to.has_value()) w.Key("scaleTo").Int(*a.scale_to);
      w.Key("killList").StartArray();
      for (const InstanceId& id : a.kill_list) w.String(id.value());
      w.EndArray();
      w.EndObject();
    }
    w.EndArray().EndObject();
  }
  w.EndArray();
  w.Key("currentStep").Int(d.current_step);
  w.Key("startedAt").String(FormatStoredTime(d.started_at));
  w.Key("stepStartedAt").String(FormatStoredTime(d.step_started_at));
  if (d.progress_deadline.has_value()) {
    w.Key("progressDeadlineNanos").Int64(d.progress_deadline->nanoseconds());
  }
  w.EndObject();
}

absl::Status ReadInstanceId(const JsonNode& n, InstanceId* out) {
  std::string s;
  RETURN_IF_ERROR(api::ReadString(n, &s));
  *out = InstanceId(std::move(s));
  return absl::OkStatus();
}

absl::Status ReadAction(const JsonNode& n, Action* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  JsonNode type = n.Get("action");
  if (type.IsUnset()) return type.Error("required");
  RETURN_IF_ERROR(ReadName(type, ParseActionType, &out->type));
  RETURN_IF_ERROR(api::Req(n, "app", &out->app_id, ReadPathId));
  RETURN_IF_ERROR(api::Opt(n, "scaleTo", &out->scale_to));
  RETURN_IF_ERROR(api::Array(n, "killList", &out->kill_list, ReadInstanceId));
  return absl::OkStatus();
}

absl::Status ReadStep(const JsonNode& n, Step* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  JsonNode actions = n.Get("actions");
  if (actions.IsUnset()) return actions.Error("required");
  return api::Array(n, "actions", &out->actions, ReadAction);
}

absl::Status ReadDeployment(const JsonNode& n, Deployment* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  DeploymentPlan& plan = out->plan;
  RETURN_IF_ERROR(api::Req(n, "id", &plan.id));
  if (plan.id.empty()) return n.Get("id").Error("empty");
  RETURN_IF_ERROR(api::Req(n, "version", &plan.version, ReadTime));
  for (auto [key, group] : {std::pair<const char*, Group*>{"original", &plan.original},
                            std::pair<const char*, Group*>{"target", &plan.target}}) {
    JsonNode g = n.Get(key);
    if (g.IsUnset()) return g.Error("required");
    RETURN_IF_ERROR(ReadGroupNode(g, StrCat("/", key), group));
  }
  JsonNode steps = n.Get("steps");
  if (steps.IsUnset()) return steps.Error("required");
  RETURN_IF_ERROR(api::Array(n, "steps", &plan.steps, ReadStep));
  RETURN_IF_ERROR(api::Req(n, "currentStep", &out->current_step));
  if (out->current_step < 0 || static_cast<size_t>(out->current_step) > plan.steps.size()) {
    return n.Get("currentStep")
        .Error(StrCat(out->current_step, " is not a step index (", plan.steps.size(), " steps)"));
  }
  RETURN_IF_ERROR(api::Req(n, "startedAt", &out->started_at, ReadTime));
  RETURN_IF_ERROR(api::Req(n, "stepStartedAt", &out->step_started_at, ReadTime));
  int64_t deadline_ns = 0;
  JsonNode deadline = n.Get("progressDeadlineNanos");
  if (!deadline.IsUnset()) {
    RETURN_IF_ERROR(api::ReadInt64(deadline, &deadline_ns));
    out->progress_deadline = Duration::Nanoseconds(deadline_ns);
  }
  return absl::OkStatus();
}

template <typename T, typename Read>
absl::StatusOr<T> Decode(std::string_view json, std::string_view what, Read read) {
  T value{};
  absl::Status status =
      api::ParseJsonDocument(json, what, [&](const JsonNode& root) { return read(root, &value); });
  if (!status.ok()) return AsDataLoss(what, status);
  return value;
}

absl::Status ReadGroupRoot(const JsonNode& n, Group* out) { return ReadGroupNode(n, "", out); }

// ---- root groups by reference ----

void WriteGroupRefs(JsonWriter& w, const Group& g) {
  w.StartObject();
  w.Key("id").String(g.id);
  w.Key("version").String(FormatStoredTime(g.version));
  w.Key("enforceRole").Bool(g.enforce_role);
  w.Key("dependencies").StartArray();
  for (const PathId& d : g.dependencies) w.String(d);
  w.EndArray();
  w.Key("apps").StartArray();
  for (const auto& [id, app] : g.apps) {
    w.StartObject();
    w.Key("id").String(id);
    w.Key("version").String(FormatStoredTime(app->version));
    w.EndObject();
  }
  w.EndArray();
  w.Key("groups").StartArray();
  for (const auto& [id, child] : g.groups) WriteGroupRefs(w, child);
  w.EndArray();
  w.EndObject();
}

absl::Status ReadGroupRefs(const JsonNode& n, const AppResolver& resolve, Group* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(api::Req(n, "id", &out->id, ReadPathId));
  RETURN_IF_ERROR(api::Req(n, "version", &out->version, ReadTime));
  RETURN_IF_ERROR(api::Req(n, "enforceRole", &out->enforce_role));
  RETURN_IF_ERROR(api::Array(n, "dependencies", &out->dependencies, ReadPathId));
  JsonNode apps = n.Get("apps");
  RETURN_IF_ERROR(apps.ExpectArray());
  for (size_t i = 0; i < apps.Size(); ++i) {
    JsonNode item = apps.At(i);
    RETURN_IF_ERROR(item.ExpectObject());
    PathId id;
    Timestamp version;
    RETURN_IF_ERROR(api::Req(item, "id", &id, ReadPathId));
    RETURN_IF_ERROR(api::Req(item, "version", &version, ReadTime));
    if (Parent(id) != out->id)
      return item.Error(StrCat("app ", id, " is not a child of ", out->id));
    if (out->apps.count(id) > 0) return item.Error(StrCat("duplicate app id ", id));
    absl::StatusOr<AppDefinition> app = resolve(id, version);
    if (!app.ok()) return item.Error(std::string(app.status().message()));
    if (app->id != id || app->version != version) {
      return item.Error(StrCat("the stored version of ", id, " is another app or version"));
    }
    out->apps.emplace(id, *std::move(app));
  }
  JsonNode groups = n.Get("groups");
  RETURN_IF_ERROR(groups.ExpectArray());
  for (size_t i = 0; i < groups.Size(); ++i) {
    JsonNode item = groups.At(i);
    Group child;
    RETURN_IF_ERROR(ReadGroupRefs(item, resolve, &child));
    if (Parent(child.id) != out->id) {
      return item.Error(StrCat("group ", child.id, " is not a child of ", out->id));
    }
    if (out->groups.count(child.id) > 0 || out->apps.count(child.id) > 0) {
      return item.Error(StrCat("duplicate group id ", child.id));
    }
    PathId id = child.id;
    out->groups.emplace(std::move(id), std::move(child));
  }
  return absl::OkStatus();
}

}  // namespace

std::string FormatStoredTime(Timestamp t) {
  std::string text = FormatIso8601(t);
  constexpr int64_t kNanosPerMilli = 1000000;
  int64_t sub_milli = ((t.nanoseconds() % kNanosPerMilli) + kNanosPerMilli) % kNanosPerMilli;
  if (sub_milli == 0 || text.empty() || text.back() != 'Z') return text;
  std::string digits = std::to_string(sub_milli);
  text.insert(text.size() - 1, std::string(6 - digits.size(), '0') + digits);
  return text;
}

std::string EncodeApp(const AppDefinition& app) { return AppToJson(app); }

absl::StatusOr<AppDefinition> DecodeApp(std::string_view json) {
  return Decode<AppDefinition>(json, "app", ReadAppRoot);
}

std::string EncodeGroup(const Group& group) { return GroupToJson(group); }

absl::StatusOr<Group> DecodeGroup(std::string_view json) {
  return Decode<Group>(json, "group", ReadGroupRoot);
}

std::string EncodeGroupRefs(const Group& group) {
  JsonWriter w;
  WriteGroupRefs(w, group);
  return w.Finish();
}

absl::StatusOr<Group> DecodeGroupRefs(std::string_view json, const AppResolver& resolve) {
  return Decode<Group>(json, "group", [&resolve](const JsonNode& n, Group* out) {
    return ReadGroupRefs(n, resolve, out);
  });
}

std::string EncodeInstance(const Instance& instance) {
  JsonWriter w;
  WriteInstance(w, instance);
  return w.Finish();
}

absl::StatusOr<Instance> DecodeInstance(std::string_view json) {
  return Decode<Instance>(json, "instance", ReadInstance);
}

std::string EncodeDeployment(const Deployment& deployment) {
  JsonWriter w;
  WriteDeployment(w, deployment);
  return w.Finish();
}

absl::StatusOr<Deployment> DecodeDeployment(std::string_view json) {
  return Decode<Deployment>(json, "deployment", ReadDeployment);
}

}  // namespace atl::marathonlike
