#include "marathonlike/app_info.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "core/base/strings.h"
#include "marathonlike/app_json.h"

namespace atl::marathonlike {

// ---- embed= ----

AppInfoEmbed ParseAppInfoEmbed(const std::vector<std::string>& values) {
  AppInfoEmbed embed;
  for (const std::string& value : values) {
    std::string_view v = value;
    if (!ConsumePrefix(&v, "group.apps.") && !ConsumePrefix(&v, "apps.") &&
        !ConsumePrefix(&v, "app.")) {
      continue;
    }
    if (v == "tasks") {
      embed.tasks = true;
      embed.deployments = true;  // deprecated: apps.tasks implies apps.deployments
    } else if (v == "counts" || v == "count") {
      embed.counts = true;
    } else if (v == "deployments") {
      embed.deployments = true;
    } else if (v == "readiness") {
      embed.readiness = true;
    } else if (v == "lastTaskFailure") {
      embed.last_task_failure = true;
    } else if (v == "taskStats") {
      embed.task_stats = true;
    } else if (v == "failures") {
      embed.tasks = embed.last_task_failure = embed.counts = embed.deployments = true;
    }
  }
  return embed;
}

AppInfoEmbed ForAppList(AppInfoEmbed embed) {
  embed.counts = embed.deployments = true;
  return embed;
}

AppInfoEmbed ForSingleApp(AppInfoEmbed embed) {
  embed.counts = embed.deployments = embed.tasks = embed.last_task_failure = true;
  return embed;
}

// ---- writing ----

namespace {

void WriteCounts(api::JsonWriter& w, const TaskCounts& c) {
  w.StartObject();
  w.Key("staged").Int(c.staged);
  w.Key("running").Int(c.running);
  w.Key("healthy").Int(c.healthy);
  w.Key("unhealthy").Int(c.unhealthy);
  w.EndObject();
}

void WriteStats(api::JsonWriter& w, std::string_view key, const std::optional<TaskStats>& stats) {
  if (!stats.has_value()) return;
  w.Key(key).StartObject().Key("stats").StartObject();
  w.Key("counts");
  WriteCounts(w, stats->counts);
  if (stats->average_life_seconds.has_value() && stats->median_life_seconds.has_value()) {
    w.Key("lifeTime").StartObject();
    w.Key("averageSeconds");
    WriteNumber(w, *stats->average_life_seconds);
    w.Key("medianSeconds");
    WriteNumber(w, *stats->median_life_seconds);
    w.EndObject();
  }
  w.EndObject().EndObject();
}

}  // namespace

void WriteTaskFailure(api::JsonWriter& w, const TaskFailure& failure) {
  w.StartObject();
  w.Key("appId").String(failure.app_id);
  w.Key("host").String(failure.host);
  w.Key("message").String(failure.message);
  w.Key("state").String(failure.state);
  w.Key("taskId").String(failure.task_id);
  w.Key("timestamp").String(FormatIso8601(failure.timestamp));
  w.Key("version").String(FormatIso8601(failure.version));
  if (!failure.agent_id.empty()) w.Key("slaveId").String(failure.agent_id);
  w.EndObject();
}

void WriteReadinessResults(api::JsonWriter& w, const std::vector<ReadinessResult>& results) {
  w.StartArray();
  for (const ReadinessResult& r : results) {
    w.StartObject();
    w.Key("name").String(r.name);
    w.Key("taskId").String(r.task_id);
    w.Key("ready").Bool(r.ready);
    if (r.last_response) {
      w.Key("lastResponse").StartObject();
      w.Key("status").Int(r.last_response->status);
      w.Key("contentType").String(r.last_response->content_type);
      w.Key("body").String(r.last_response->body);
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();
}

void WriteAppInfoMembers(api::JsonWriter& w, const AppInfoExtras& extras,
                         const AppInfoEmbed& embed) {
  if (embed.counts) {
    w.Key("tasksStaged").Int(extras.counts.staged);
    w.Key("tasksRunning").Int(extras.counts.running);
    w.Key("tasksHealthy").Int(extras.counts.healthy);
    w.Key("tasksUnhealthy").Int(extras.counts.unhealthy);
  }
  if (embed.deployments) {
    w.Key("deployments").StartArray();
    for (const std::string& id : extras.deployments) {
      w.StartObject().Key("id").String(id).EndObject();
    }
    w.EndArray();
  }
  if (embed.readiness) {
    w.Key("readinessCheckResults");
    WriteReadinessResults(w, extras.readiness);
  }
  if (embed.tasks) {
    w.Key("tasks").StartArray();
    for (const TaskView& task : extras.tasks) WriteTask(w, task);
    w.EndArray();
  }
  if (embed.last_task_failure && extras.last_task_failure.has_value()) {
    w.Key("lastTaskFailure");
    WriteTaskFailure(w, *extras.last_task_failure);
  }
  if (embed.task_stats) {
    const TaskStatsByVersion& s = extras.task_stats;
    w.Key("tasksStats").StartObject();
    WriteStats(w, "startedAfterLastScaling", s.started_after_last_scaling);
    WriteStats(w, "withLatestConfig", s.with_latest_config);
    WriteStats(w, "withOutdatedConfig", s.with_outdated_config);
    WriteStats(w, "totalSummary", s.total_summary);
    w.EndObject();
  }
}

void WriteAppInfo(api::JsonWriter& w, const AppDefinition& app, const AppInfoExtras& extras,
                  const AppInfoEmbed& embed) {
  w.StartObject();
  WriteAppFields(w, app);
  WriteAppInfoMembers(w, extras, embed);
  w.EndObject();
}

std::string AppInfoToJson(const AppDefinition& app, const AppInfoExtras& extras,
                          const AppInfoEmbed& embed) {
  api::JsonWriter w;
  WriteAppInfo(w, app, extras, embed);
  return w.Finish();
}

// ---- label= selectors ----

namespace {

bool IsTermChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A recursive-descent parser over the selector text; `pos_` is a byte offset.
class SelectorParser {
 public:
  explicit SelectorParser(std::string_view text) : text_(text) {}

  absl::StatusOr<LabelSelector> Parse() {
    LabelSelector selector;
    SkipBlanks();
    if (AtEnd()) return selector;
    while (true) {
      LabelRequirement req;
      if (!ParseRequirement(&req)) return Error();
      selector.requirements.push_back(std::move(req));
      SkipBlanks();
      if (AtEnd()) return selector;
      if (!Consume(",")) {
        Fail("expected ',' or end of input");
        return Error();
      }
    }
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  void SkipBlanks() {
    while (!AtEnd() && IsBlank(text_[pos_])) ++pos_;
  }
  bool Consume(std::string_view token) {
    SkipBlanks();
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  bool Fail(std::string_view what) {
    if (reason_.empty()) reason_ = StrCat(what, " at position ", pos_);
    return false;
  }
  absl::Status Error() const {
    return absl::InvalidArgumentError(
        StrCat("Can not parse label selector ", text_, ". Reason: ", reason_));
  }

  // A key or value; `raw` gets the text as written (to tell the operators from escaped words).
  bool ParseTerm(std::string* term, std::string_view* raw = nullptr) {
    SkipBlanks();
    size_t start = pos_;
    term->clear();
    while (!AtEnd()) {
      char c = text_[pos_];
      if (c == '\\') {
        if (pos_ + 1 >= text_.size()) return Fail("dangling escape character");
        term->push_back(text_[pos_ + 1]);
        pos_ += 2;
      } else if (IsTermChar(c)) {
        term->push_back(c);
        ++pos_;
      } else {
        break;
      }
    }
    if (pos_ == start) return Fail("expected a label key or value");
    if (raw != nullptr) *raw = text_.substr(start, pos_ - start);
    return true;
  }

  bool ParseRequirement(LabelRequirement* req) {
    if (!ParseTerm(&req->key)) return false;
    SkipBlanks();
    if (AtEnd() || text_[pos_] == ',') {
      req->op = LabelRequirement::Op::kExists;
      return true;
    }
    if (Consume("==") || Consume("!=")) {
      req->op =
          text_[pos_ - 2] == '=' ? LabelRequirement::Op::kEquals : LabelRequirement::Op::kNotEquals;
      std::string value;
      if (!ParseTerm(&value)) return false;
      req->values.push_back(std::move(value));
      return true;
    }
    std::string op;
    std::string_view raw;
    size_t op_pos = pos_;
    static constexpr char kWantOp[] = "expected '==', '!=', 'in', 'notin', ',' or end of input";
    if (!IsTermChar(text_[pos_]) && text_[pos_] != '\\') return Fail(kWantOp);
    if (!ParseTerm(&op, &raw)) return false;
    if (raw != "in" && raw != "notin") {
      pos_ = op_pos;
      return Fail(kWantOp);
    }
    req->op = raw == "in" ? LabelRequirement::Op::kIn : LabelRequirement::Op::kNotIn;
    if (!Consume("(")) return Fail("expected '('");
    if (Consume(")")) return true;
    while (true) {
      std::string value;
      if (!ParseTerm(&value)) return false;
      req->values.push_back(std::move(value));
      if (Consume(")")) return true;
      if (!Consume(",")) return Fail("expected ',' or ')'");
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string reason_;
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ContainsIgnoringCase(std::string_view haystack, std::string_view needle) {
  return Lower(haystack).find(Lower(needle)) != std::string::npos;
}

}  // namespace

absl::StatusOr<LabelSelector> ParseLabelSelector(std::string_view text) {
  return SelectorParser(text).Parse();
}

bool Matches(const LabelSelector& selector, const std::map<std::string, std::string>& labels) {
  for (const LabelRequirement& req : selector.requirements) {
    auto it = labels.find(req.key);
    if (it == labels.end()) return false;
    const std::string& value = it->second;
    bool listed = std::find(req.values.begin(), req.values.end(), value) != req.values.end();
    switch (req.op) {
      case LabelRequirement::Op::kExists:
        break;
      case LabelRequirement::Op::kEquals:
      case LabelRequirement::Op::kIn:
        if (!listed) return false;
        break;
      case LabelRequirement::Op::kNotEquals:
      case LabelRequirement::Op::kNotIn:
        if (listed) return false;
        break;
    }
  }
  return true;
}

// ---- the list filters of GET /v2/apps ----

absl::StatusOr<AppListFilter> MakeAppListFilter(std::optional<std::string_view> cmd,
                                                std::optional<std::string_view> id,
                                                std::optional<std::string_view> label) {
  AppListFilter filter;
  if (cmd.has_value()) filter.cmd = std::string(*cmd);
  if (id.has_value()) filter.id = std::string(*id);
  if (label.has_value()) {
    absl::StatusOr<LabelSelector> selector = ParseLabelSelector(*label);
    if (!selector.ok()) return selector.status();
    filter.label = *std::move(selector);
  }
  return filter;
}

bool Matches(const AppListFilter& filter, const AppDefinition& app) {
  if (filter.cmd.has_value() &&
      !(app.cmd.has_value() && ContainsIgnoringCase(*app.cmd, *filter.cmd))) {
    return false;
  }
  if (filter.id.has_value() && !ContainsIgnoringCase(app.id, *filter.id)) return false;
  if (filter.label.has_value() && !Matches(*filter.label, app.labels)) return false;
  return true;
}

}  // namespace atl::marathonlike
