// Fuzzes Marathon's /v2 REST API (marathonlike/v2_api.h) end to end: each input is one to three
// requests against a fresh ServiceScheduler that already holds apps, a group, running tasks and
// a deployment in flight. Every answer must be one of Marathon's statuses (200, 201, 202, 204,
// 400, 404, 405, 409, 422: a 5xx is a finding), and every JSON body must parse.
//
// Input: requests separated by a line "====". Each request is a request line, then the body:
//   <method> <target> [<accept>]\n<body...>
// <method> is a known name (GET, POST...), or a single byte that picks one from kMethods, or
// anything else (sent as is). <target> is "<path>?<k>=<v>&<k>=<v>" (no percent-decoding: the
// API gets decoded values); a path "@c..." stands for kRoutes[c % size] followed by the rest.
// In the path, query and body, "$T0".."$T3" become the ids of the running tasks, "$I0".."$I3"
// their instances' ids, "$D" the id of the deployment in flight, "$V" the current root
// version, "$R0".."$R9" the stored root versions (oldest first) and "$A" the current version
// of /fuzz/web, so the fuzzer can reach objects whose ids it could not guess. After the
// requests the scheduler gets offers, a task failure and time, and the read endpoints are
// checked again.
//
// Kept small for speed: the scheduler queues at most SchedulerOptions::max_queued_per_app
// instances of an app at a time (a huge `instances` is bounded in memory, tested in
// service_scheduler_test.cc), but each run stays fast when bodies do not ask for millions.
// Bodies that set `instances` or `scaleBy` to a number with more than two digits before the
// point, or in exponent form, are not sent (IsHugeScale), and the requests stop once the apps
// ask for more than kMaxInstances instances in all.
//
// With ATOLL_FUZZ_VERBOSE set, each request and its answer are printed to stderr (whole bodies
// with ATOLL_FUZZ_VERBOSE=full).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/api/json.h"
#include "core/base/time.h"
#include "core/model/info.h"
#include "marathonlike/root_group.h"
#include "marathonlike/service_scheduler.h"
#include "marathonlike/v2_api.h"

namespace {

namespace mk = atl::marathonlike;
using atl::Duration;
using atl::Timestamp;

constexpr std::string_view kMethods[] = {"GET",    "POST", "PUT",     "PATCH",
                                         "DELETE", "HEAD", "OPTIONS", "TRACE"};
constexpr std::string_view kRoutes[] = {
    "/v2/apps",
    "/v2/apps/fuzz/web",
    "/v2/apps/fuzz/web/tasks",
    "/v2/apps/fuzz/web/restart",
    "/v2/apps/fuzz/web/versions",
    "/v2/apps/fuzz/web/versions/$A",
    "/v2/apps/fuzz/web/tasks/$T0",
    "/v2/apps/fuzz/db",
    "/v2/apps/g/a",
    "/v2/apps/fuzz/*",
    "/v2/apps/pending",
    "/v2/groups",
    "/v2/groups/g",
    "/v2/groups/fuzz",
    "/v2/groups/versions",
    "/v2/groups/g/versions",
    "/v2/groups/versions/$V",
    "/v2/groups/g/versions/$V",
    "/v2/deployments",
    "/v2/deployments/$D",
    "/v2/tasks",
    "/v2/tasks/delete",
    "/v2/queue",
    "/v2/queue/pending/delay",
    "/v2/queue/fuzz/web/delay",
    "/v2/info",
    "/v2/leader",
    "/v2/events",
    "/ping",
    "/metrics",
    "/v2",
    "/",
};
constexpr int kMaxInstances = 500;
constexpr int kAllowedStatuses[] = {200, 201, 202, 204, 400, 404, 405, 409, 422};

constexpr char kWeb[] = R"({"id":"/fuzz/web","cmd":"sleep 100","instances":2,"cpus":0.1,"mem":32,)"
                        R"("labels":{"tier":"web"},"portDefinitions":[{"port":0,"name":"http"}],)"
                        R"("healthChecks":[{"protocol":"COMMAND","command":{"value":"true"}}]})";
constexpr char kDb[] = R"({"id":"/fuzz/db","cmd":"sleep 100","instances":1,"cpus":0.1,"mem":32,)"
                       R"("dependencies":["/fuzz/web"]})";
constexpr char kGroup[] =
    R"({"id":"/g","apps":[{"id":"a","cmd":"sleep 1","cpus":0.1,"mem":16}],)"
    R"("groups":[{"id":"sub","apps":[{"id":"b","args":["x"],"cpus":0.1,"mem":16}]}]})";
constexpr char kPending[] =
    R"({"id":"/pending","cmd":"sleep 1","instances":3,"cpus":0.1,"mem":16})";

// The store: every durable command the scheduler emitted.
class StoredVersions : public mk::VersionReader {
 public:
  void Apply(const mk::Output& out) {
    for (const mk::Command& c : out.commands) {
      if (auto* p = std::get_if<mk::cmd::PutAppVersion>(&c)) {
        apps_[{p->app.id, p->app.version}] = p->app;
      } else if (auto* r = std::get_if<mk::cmd::PutRoot>(&c)) {
        roots_[r->root->version] = *r->root;
      }
    }
  }
  std::optional<mk::AppDefinition> ReadAppVersion(const mk::PathId& app_id,
                                                  Timestamp version) override {
    auto it = apps_.find({app_id, version});
    if (it == apps_.end()) return std::nullopt;
    return it->second;
  }
  std::optional<mk::Group> ReadRootVersion(Timestamp version) override {
    auto it = roots_.find(version);
    if (it == roots_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::pair<mk::PathId, Timestamp>, mk::AppDefinition> apps_;
  std::map<Timestamp, mk::Group> roots_;
};

bool IsJson(const mk::V2Response& r) { return r.content_type.starts_with("application/json"); }

void CheckResponse(const mk::V2Response& r) {
  bool allowed = false;
  for (int s : kAllowedStatuses) allowed = allowed || r.status == s;
  if (!allowed) std::abort();
  if (IsJson(r) && !r.body.empty()) {
    absl::Status parsed = atl::api::ParseJsonDocument(
        r.body, "", [](const atl::api::JsonNode&) { return absl::OkStatus(); });
    if (!parsed.ok()) std::abort();
  }
}

struct World {
  mk::ServiceScheduler scheduler{mk::SchedulerOptions{}, /*seed=*/7};
  StoredVersions versions;
  mk::V2Api api{scheduler, versions, mk::V2Info{}};
  Timestamp now = Timestamp::FromNanoseconds(1'700'000'000'000'000'000);
  std::vector<atl::model::TaskInfo> launched;
  int next_offer = 0;

  void Apply(const mk::Output& out) {
    versions.Apply(out);
    for (const mk::Command& c : out.commands) {
      if (auto* l = std::get_if<mk::cmd::Launch>(&c)) {
        launched.insert(launched.end(), l->tasks.begin(), l->tasks.end());
      }
    }
  }
  void Feed(const mk::Input& input) { Apply(scheduler.Handle(input, now)); }

  mk::V2Response Call(mk::V2Request request) {
    now = now + Duration::Seconds(1);
    request.remote_address = "10.0.0.7:5555";
    mk::Output out;
    mk::V2Response r = api.Handle(request, now, &out);
    Apply(out);
    return r;
  }

  // A setup write that must succeed.
  void MustPost(std::string path, std::string body) {
    mk::V2Response r = Call(mk::V2Request{"POST", std::move(path), {}, std::move(body), "", ""});
    if (r.status != 201) std::abort();
  }

  void Offer() {
    atl::model::Offer o;
    o.id = atl::model::OfferId("offer-" + std::to_string(next_offer++));
    o.framework_id = atl::model::FrameworkId("fw-1");
    o.agent_id = atl::model::AgentId("agent-0");
    o.hostname = "host-0";
    auto resources = atl::model::Resources::Parse("cpus:8;mem:8192;disk:1000;ports:[31000-31099]");
    if (!resources.ok()) std::abort();
    o.resources = *resources;
    Feed(mk::in::Offers{{std::move(o)}});
  }

  void Running() {
    for (const atl::model::TaskInfo& t : launched) {
      atl::model::TaskStatus st;
      st.task_id = t.task_id;
      st.agent_id = t.agent_id;
      st.state = atl::model::TaskState::kRunning;
      // A checked task also passes its check, as its executor would report.
      if (t.health_check) st.healthy = true;
      Feed(mk::in::StatusUpdate{st});
    }
    launched.clear();
  }
};

// Whether `body` sets "instances" or "scaleBy" to a number that could scale an app beyond what
// a run can afford (see the file comment).
bool IsHugeScale(std::string_view body) {
  for (std::string_view key : {"\"instances\"", "\"scaleBy\""}) {
    for (size_t at = body.find(key); at != std::string_view::npos; at = body.find(key, at + 1)) {
      size_t i = at + key.size();
      while (i < body.size() && (body[i] == ' ' || body[i] == ':' || body[i] == '\n' ||
                                 body[i] == '\t' || body[i] == '\r')) {
        ++i;
      }
      int digits = 0;
      bool fraction = false;
      for (; i < body.size(); ++i) {
        char c = body[i];
        if (c == 'e' || c == 'E') return true;
        if (c == '.') fraction = true;
        if (c >= '0' && c <= '9' && !fraction) ++digits;
        if (!(c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'))) break;
      }
      if (digits > 2) return true;
    }
  }
  return false;
}

int64_t TotalInstances(const mk::Group& root) {
  int64_t total = 0;
  for (const auto& [id, app] : mk::TransitiveApps(root)) total += app->instances;
  return total;
}

void ReplaceAll(std::string* s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  for (size_t at = s->find(from); at != std::string::npos; at = s->find(from, at + to.size())) {
    s->replace(at, from.size(), to);
  }
}

// $T0.., $I0.., $D, $V, $R0.., $A.
std::vector<std::pair<std::string, std::string>> Substitutions(const World& world) {
  std::vector<std::pair<std::string, std::string>> subs;
  int i = 0;
  for (const auto& [id, instance] : world.scheduler.instances()) {
    if (i > 3) break;
    subs.emplace_back("$T" + std::to_string(i), instance.task_id);
    subs.emplace_back("$I" + std::to_string(i), id.value());
    ++i;
  }
  std::string deployment =
      world.scheduler.deployments().empty() ? "none" : world.scheduler.deployments().begin()->first;
  subs.emplace_back("$D", deployment);
  subs.emplace_back("$V", atl::FormatIso8601(world.scheduler.root().version));
  const std::vector<Timestamp>& roots = world.scheduler.root_versions();
  for (size_t r = 0; r < roots.size() && r < 10; ++r) {
    subs.emplace_back("$R" + std::to_string(r), atl::FormatIso8601(roots[r]));
  }
  const mk::AppDefinition* web = mk::FindApp(world.scheduler.root(), "/fuzz/web");
  subs.emplace_back("$A", web == nullptr ? "none" : atl::FormatIso8601(web->version));
  return subs;
}

std::string Substitute(std::string s,
                       const std::vector<std::pair<std::string, std::string>>& subs) {
  if (s.find('$') == std::string::npos) return s;
  for (const auto& [from, to] : subs) ReplaceAll(&s, from, to);
  return s;
}

std::vector<std::string_view> Split(std::string_view text, std::string_view sep, size_t max) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max) {
    size_t at = text.find(sep);
    if (at == std::string_view::npos) break;
    parts.push_back(text.substr(0, at));
    text.remove_prefix(at + sep.size());
  }
  parts.push_back(text);
  return parts;
}

mk::V2Request MakeRequest(std::string_view text,
                          const std::vector<std::pair<std::string, std::string>>& subs) {
  mk::V2Request request;
  size_t eol = text.find('\n');
  std::string_view line = text.substr(0, eol);
  request.body =
      eol == std::string_view::npos ? "" : Substitute(std::string(text.substr(eol + 1)), subs);

  std::vector<std::string_view> words = Split(line, " ", 3);
  std::string_view method = words[0];
  if (method.size() == 1) {
    request.method = kMethods[static_cast<uint8_t>(method[0]) % std::size(kMethods)];
  } else {
    request.method = std::string(method);
  }
  std::string_view target = words.size() > 1 ? words[1] : "";
  if (words.size() > 2) request.accept = std::string(words[2]);

  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  if (path.size() >= 2 && path[0] == '@') {
    request.path = std::string(kRoutes[static_cast<uint8_t>(path[1]) % std::size(kRoutes)]);
    request.path += path.substr(2);
  } else {
    request.path = std::string(path);
  }
  request.path = Substitute(std::move(request.path), subs);
  if (q != std::string_view::npos) {
    for (std::string_view pair : Split(target.substr(q + 1), "&", 64)) {
      size_t eq = pair.find('=');
      std::string name(pair.substr(0, eq));
      std::string value = eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
      request.query.emplace_back(std::move(name), Substitute(std::move(value), subs));
    }
  }
  return request;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16 * 1024) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);

  World world;
  world.Feed(mk::in::Recover{});
  world.Feed(mk::in::Subscribed{"fw-1", false, "master:5050"});
  world.MustPost("/v2/apps", kWeb);
  world.MustPost("/v2/apps", kDb);
  world.MustPost("/v2/groups", kGroup);
  // Launch and run everything, so the deployments finish and tasks exist.
  for (int i = 0; i < 3; ++i) {
    world.Offer();
    world.Running();
  }
  // One deployment left in flight (nothing offered for it).
  world.MustPost("/v2/apps", kPending);
  if (world.scheduler.deployments().size() != 1) std::abort();

  for (std::string_view text : Split(input, "\n====\n", 3)) {
    if (TotalInstances(world.scheduler.root()) > kMaxInstances) break;
    mk::V2Request request = MakeRequest(text, Substitutions(world));
    if (IsHugeScale(request.body)) break;
    static const char* verbose = std::getenv("ATOLL_FUZZ_VERBOSE");
    std::string line = verbose != nullptr ? request.method + " " + request.path : "";
    mk::V2Response response = world.Call(std::move(request));
    if (verbose != nullptr) {
      // ATOLL_FUZZ_VERBOSE=full prints whole bodies.
      int limit = std::string_view(verbose) == "full" ? INT32_MAX : 300;
      std::fprintf(stderr, "%s -> %d %.*s\n", line.c_str(), response.status, limit,
                   response.body.c_str());
    }
    CheckResponse(response);
  }
  // The scheduler carries on from whatever the requests left: offers, a failed task (for
  // lastTaskFailure and the backoff), time; then the read endpoints must still answer.
  world.Offer();
  world.Running();
  for (const auto& [id, instance] : world.scheduler.instances()) {
    if (instance.task_id.empty()) continue;
    atl::model::TaskStatus failed;
    failed.task_id = atl::model::TaskId(instance.task_id);
    failed.agent_id = atl::model::AgentId("agent-0");
    failed.state = atl::model::TaskState::kFailed;
    failed.message = "fuzz";
    world.Feed(mk::in::StatusUpdate{failed});
    break;
  }
  world.now = world.now + Duration::Minutes(10);
  world.Feed(mk::in::Tick{});
  world.Offer();
  world.Running();
  const std::vector<std::pair<std::string, std::string>> all_embeds = {
      {"embed", "apps.tasks"},           {"embed", "apps.counts"},
      {"embed", "apps.readiness"},       {"embed", "apps.taskStats"},
      {"embed", "apps.lastTaskFailure"}, {"embed", "apps.deployments"}};
  for (const char* path : {"/v2/apps", "/v2/groups", "/v2/apps/fuzz/web", "/v2/queue",
                           "/v2/deployments", "/v2/tasks", "/metrics", "/v2/info"}) {
    CheckResponse(world.Call(mk::V2Request{"GET", path, all_embeds, "", "", ""}));
  }
  return 0;
}
