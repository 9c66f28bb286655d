#include "marathonlike/v2_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/base/overloaded.h"
#include "marathonlike/app_info.h"
#include "marathonlike/root_group.h"
#include "tests/marathonlike/json_testing.h"
#include "tests/marathonlike/scheduler_harness.h"

namespace atl::marathonlike {
namespace {

using test_util::Harness;
using testing::At;
using ::testing::HasSubstr;
using testing::ParseForTest;
using testing::StringAt;

// Stored versions as the shell's store would hold them: every PutAppVersion / PutRoot the
// scheduler emitted.
class FakeVersions : public VersionReader {
 public:
  explicit FakeVersions(const Harness* h) : h_(h) {}
  std::optional<AppDefinition> ReadAppVersion(const PathId& app_id, Timestamp version) override {
    ++app_reads;
    for (const Command& c : h_->commands) {
      if (auto* p = std::get_if<cmd::PutAppVersion>(&c)) {
        if (p->app.id == app_id && p->app.version == version) return p->app;
      }
    }
    return std::nullopt;
  }
  std::optional<Group> ReadRootVersion(Timestamp version) override {
    for (const Command& c : h_->commands) {
      if (auto* p = std::get_if<cmd::PutRoot>(&c)) {
        if (p->root->version == version) return *p->root;
      }
    }
    return std::nullopt;
  }
  int app_reads = 0;

 private:
  const Harness* h_;
};

std::string HeaderOf(const V2Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "<no " + std::string(name) + " header>";
}

class V2ApiTest : public ::testing::Test {
 protected:
  V2ApiTest() : versions(&h), api(h.scheduler, versions, MakeInfo()) {
    h.AddAgents(2);
    h.Start();
  }

  static V2Info MakeInfo() {
    V2Info info;
    info.hostname = "marathon.local";
    info.http_port = 8080;
    info.master = "master:5050";
    info.atoll_version = "0.1.0";
    return info;
  }

  // One request; writes move the clock by a second first, so every version differs.
  V2Response Call(std::string method, std::string path, std::string body = "",
                  std::vector<std::pair<std::string, std::string>> query = {}) {
    if (method != "GET") h.now = h.now + Duration::Seconds(1);
    V2Request request{std::move(method), std::move(path), std::move(query),
                      std::move(body),   "10.0.0.7:5555", ""};
    last_out = Output{};
    V2Response response = api.Handle(request, h.now, &last_out);
    h.Apply(last_out);
    return response;
  }

  std::string CreateApp(const std::string& json) {
    V2Response r = Call("POST", "/v2/apps", json);
    EXPECT_EQ(r.status, 201) << r.body;
    return HeaderOf(r, "Marathon-Deployment-Id");
  }

  std::vector<MarathonEvent> Published() const {
    std::vector<MarathonEvent> events;
    for (const Command& c : last_out.commands) {
      if (auto* p = std::get_if<cmd::Publish>(&c)) events.push_back(p->event);
    }
    return events;
  }

  const AppDefinition& App(const PathId& id) {
    const AppDefinition* app = FindApp(h.scheduler.root(), id);
    EXPECT_NE(app, nullptr) << id;
    static const AppDefinition kNone;
    return app != nullptr ? *app : kNone;
  }

  Harness h;
  FakeVersions versions;
  V2Api api;
  Output last_out;
};

constexpr char kWeb[] = R"({"id":"/prod/web","cmd":"sleep 100","instances":2,"cpus":0.1,"mem":32,)"
                        R"("labels":{"tier":"web"}})";

// ---- /v2/apps ----

TEST_F(V2ApiTest, CreateAnswersLikeMarathon) {
  V2Response r = Call("POST", "/v2/apps", kWeb);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.content_type, "application/json; charset=utf-8");
  EXPECT_EQ(HeaderOf(r, "Location"), "/v2/apps/prod/web");
  auto doc = ParseForTest(r.body);
  EXPECT_EQ(StringAt(doc, "/id"), "/prod/web");
  EXPECT_EQ(StringAt(doc, "/deployments/0/id"), HeaderOf(r, "Marathon-Deployment-Id"));
  EXPECT_EQ(At(doc, "/tasksStaged")->GetInt(), 0);
  EXPECT_EQ(At(doc, "/tasksRunning")->GetInt(), 0);
  EXPECT_TRUE(At(doc, "/tasks")->IsArray());
  EXPECT_EQ(StringAt(doc, "/version"), FormatIso8601(h.now));
  EXPECT_EQ(StringAt(doc, "/role"), "*");  // filled by the scheduler before storing
  EXPECT_EQ(App("/prod/web").instances, 2);

  // api_post_event, as Marathon publishes it for a POST.
  std::vector<MarathonEvent> events = Published();
  auto post = std::find_if(events.begin(), events.end(), [](const MarathonEvent& e) {
    return std::holds_alternative<ApiPostEvent>(e);
  });
  ASSERT_NE(post, events.end());
  const ApiPostEvent& e = std::get<ApiPostEvent>(*post);
  EXPECT_EQ(e.client_ip, "10.0.0.7");
  EXPECT_EQ(e.uri, "/v2/apps");
  EXPECT_EQ(e.app_definition, App("/prod/web"));

  V2Response again = Call("POST", "/v2/apps", kWeb);
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.body, R"({"message":"An app with id [/prod/web] already exists."})");
}

TEST_F(V2ApiTest, CreateRefusesBadBodies) {
  V2Response malformed = Call("POST", "/v2/apps", "{");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_THAT(malformed.body, HasSubstr(R"("message":"Invalid JSON")"));
  V2Response typed = Call("POST", "/v2/apps", R"({"id":5,"cmd":"x"})");
  EXPECT_EQ(typed.status, 400);
  EXPECT_THAT(typed.body, HasSubstr("error.expected.jsstring"));
  V2Response invalid = Call("POST", "/v2/apps", R"({"id":"/x","cmd":"x","cpus":-1})");
  EXPECT_EQ(invalid.status, 422);
  auto doc = ParseForTest(invalid.body);
  EXPECT_EQ(StringAt(doc, "/message"), "Object is not valid");
  EXPECT_EQ(StringAt(doc, "/details/0/path"), "/cpus");
  V2Response bad_force = Call("POST", "/v2/apps", kWeb, {{"force", "maybe"}});
  EXPECT_EQ(bad_force.status, 400);
  EXPECT_TRUE(h.scheduler.root().apps.empty() && h.scheduler.root().groups.empty());
}

TEST_F(V2ApiTest, GetOneAppAndTheNotFoundMessage) {
  CreateApp(kWeb);
  V2Response r = Call("GET", "/v2/apps/prod/web");
  ASSERT_EQ(r.status, 200) << r.body;
  auto doc = ParseForTest(r.body);
  EXPECT_EQ(StringAt(doc, "/app/id"), "/prod/web");
  // Marathon's compatibility embeds for one app: counts, deployments, tasks.
  EXPECT_TRUE(At(doc, "/app/tasksStaged") != nullptr);
  EXPECT_TRUE(At(doc, "/app/deployments")->IsArray());
  EXPECT_TRUE(At(doc, "/app/tasks")->IsArray());
  EXPECT_EQ(At(doc, "/app/lastTaskFailure"), nullptr);

  V2Response missing = Call("GET", "/v2/apps/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, R"({"message":"App '/nope' does not exist"})");

  V2Response under = Call("GET", "/v2/apps/prod/*");
  ASSERT_EQ(under.status, 200) << under.body;
  auto all = ParseForTest(under.body);
  EXPECT_EQ(StringAt(all, "/*/0/id"), "/prod/web");
}

TEST_F(V2ApiTest, ListFiltersByCmdIdAndLabel) {
  CreateApp(kWeb);
  CreateApp(R"({"id":"/db","cmd":"postgres -D /data","cpus":0.1,"mem":32})");
  CreateApp(R"({"id":"/worker","args":["run"],"cpus":0.1,"mem":32,"labels":{"tier":"back"}})");
  auto ids = [&](std::vector<std::pair<std::string, std::string>> query) {
    V2Response r = Call("GET", "/v2/apps", "", std::move(query));
    EXPECT_EQ(r.status, 200) << r.body;
    auto doc = ParseForTest(r.body);
    std::vector<std::string> out;
    for (const auto& app : (*At(doc, "/apps")).GetArray()) {
      out.emplace_back(app["id"].GetString());
      EXPECT_TRUE(app.HasMember("tasksRunning"));  // counts are always embedded in the list
      EXPECT_TRUE(app.HasMember("deployments"));
      EXPECT_FALSE(app.HasMember("tasks"));
    }
    return out;
  };
  EXPECT_THAT(ids({}), ::testing::ElementsAre("/db", "/prod/web", "/worker"));
  EXPECT_THAT(ids({{"cmd", "SLEEP"}}), ::testing::ElementsAre("/prod/web"));
  EXPECT_THAT(ids({{"id", "Wor"}}), ::testing::ElementsAre("/worker"));
  EXPECT_THAT(ids({{"label", "tier"}}), ::testing::ElementsAre("/prod/web", "/worker"));
  EXPECT_THAT(ids({{"label", "tier==web"}}), ::testing::ElementsAre("/prod/web"));
  EXPECT_THAT(ids({{"label", "tier notin (web)"}}), ::testing::ElementsAre("/worker"));
  V2Response bad = Call("GET", "/v2/apps", "", {{"label", "tier=="}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("Can not parse label selector"));
}

TEST_F(V2ApiTest, TheCachedListIsWhatWriteAppInfoWrites) {
  CreateApp(kWeb);
  h.Settle();
  ASSERT_EQ(h.Running("/prod/web"), 2);
  for (int round = 0; round < 2; ++round) {  // the second time from the cache
    V2Response r = Call(
        "GET", "/v2/apps", "",
        {{"embed", "apps.tasks"}, {"embed", "apps.readiness"}, {"embed", "apps.lastTaskFailure"}});
    ASSERT_EQ(r.status, 200);
    const AppDefinition& app = App("/prod/web");
    AppInfoEmbed embed =
        ForAppList(ParseAppInfoEmbed({"apps.tasks", "apps.readiness", "apps.lastTaskFailure"}));
    AppInfoExtras extras;
    extras.counts = h.scheduler.CountsOf(app);
    extras.deployments = h.scheduler.DeploymentsOf(app.id);
    for (const Instance* i : h.scheduler.InstancesOf(app.id)) {
      extras.tasks.push_back(h.scheduler.TaskViewOf(*i));
    }
    EXPECT_EQ(r.body, StrCat(R"({"apps":[)", AppInfoToJson(app, extras, embed), "]}"));
  }
  V2Response stats = Call("GET", "/v2/apps", "", {{"embed", "apps.taskStats"}});
  auto doc = ParseForTest(stats.body);
  EXPECT_EQ(At(doc, "/apps/0/tasksStats/totalSummary/stats/counts/running")->GetInt(), 2);
  EXPECT_TRUE(At(doc, "/apps/0/tasksStats/withLatestConfig/stats/lifeTime/averageSeconds") !=
              nullptr);
}

TEST_F(V2ApiTest, UpdatesArePartialByDefault) {
  CreateApp(kWeb);
  h.Settle();
  V2Response r = Call("PUT", "/v2/apps/prod/web", R"({"cmd":"sleep 200"})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto doc = ParseForTest(r.body);
  EXPECT_EQ(StringAt(doc, "/deploymentId"), HeaderOf(r, "Marathon-Deployment-Id"));
  EXPECT_EQ(StringAt(doc, "/version"), FormatIso8601(h.now));
  EXPECT_EQ(App("/prod/web").cmd, "sleep 200");
  EXPECT_EQ(App("/prod/web").instances, 2);
  EXPECT_EQ(App("/prod/web").labels.at("tier"), "web");
  std::vector<MarathonEvent> events = Published();
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const MarathonEvent& e) {
    return std::holds_alternative<ApiPostEvent>(e) &&
           std::get<ApiPostEvent>(e).uri == "/v2/apps/prod/web";
  }));
  h.Settle();

  V2Response patch = Call("PATCH", "/v2/apps/prod/web", R"({"instances":3})");
  ASSERT_EQ(patch.status, 200) << patch.body;
  EXPECT_EQ(App("/prod/web").instances, 3);
  EXPECT_EQ(App("/prod/web").cmd, "sleep 200");
  h.Settle();

  V2Response full = Call("PUT", "/v2/apps/prod/web", R"({"cmd":"sleep 300","mem":32})",
                         {{"partialUpdate", "false"}});
  ASSERT_EQ(full.status, 200) << full.body;
  EXPECT_EQ(App("/prod/web").instances, 1);  // the default: a full replacement
  EXPECT_TRUE(App("/prod/web").labels.empty());

  EXPECT_EQ(Call("PATCH", "/v2/apps/missing", R"({"instances":1})").status, 404);
  V2Response invalid =
      Call("PATCH", "/v2/apps/prod/web", R"({"instances":-1})", {{"force", "true"}});
  EXPECT_EQ(invalid.status, 422) << invalid.body;
  V2Response other_id = Call("PUT", "/v2/apps/prod/web", R"({"id":"/other","cmd":"x"})");
  EXPECT_EQ(other_id.status, 422) << other_id.body;
}

TEST_F(V2ApiTest, PutCreatesAMissingApp) {
  V2Response r = Call("PUT", "/v2/apps/new", R"({"cmd":"sleep 1","cpus":0.1,"mem":16})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(HeaderOf(r, "Location"), "/v2/apps/new");
  EXPECT_EQ(App("/new").cmd, "sleep 1");
  EXPECT_TRUE(ParseForTest(r.body).HasMember("deploymentId"));
}

TEST_F(V2ApiTest, PutAndPatchOfAnArrayMakeOneDeployment) {
  V2Response r = Call("PUT", "/v2/apps",
                      R"([{"id":"/a","cmd":"sleep 1","mem":16,"cpus":0.1},)"
                      R"( {"id":"b","cmd":"sleep 2","mem":16,"cpus":0.1}])");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(App("/a").cmd, "sleep 1");
  EXPECT_EQ(App("/b").cmd, "sleep 2");
  EXPECT_EQ(h.scheduler.deployments().size(), 1u);
  h.Settle();

  V2Response patch = Call("PATCH", "/v2/apps", R"([{"id":"/a","instances":2}])");
  ASSERT_EQ(patch.status, 200) << patch.body;
  EXPECT_EQ(App("/a").instances, 2);
  EXPECT_EQ(Call("PATCH", "/v2/apps", R"([{"id":"/zzz","instances":2}])").status, 404);

  V2Response invalid =
      Call("PUT", "/v2/apps", R"([{"id":"/c","cmd":"x"},{"id":"/d","cmd":"y","cpus":-1}])",
           {{"force", "true"}});
  ASSERT_EQ(invalid.status, 422) << invalid.body;
  EXPECT_EQ(StringAt(ParseForTest(invalid.body), "/details/0/path"), "/(1)/cpus");
  EXPECT_EQ(FindApp(h.scheduler.root(), "/c"), nullptr);             // all or nothing
  EXPECT_EQ(Call("PUT", "/v2/apps", R"({"id":"/a"})").status, 400);  // not an array
}

TEST_F(V2ApiTest, VersionsAndRollback) {
  CreateApp(kWeb);
  Timestamp first = App("/prod/web").version;
  h.Settle();
  ASSERT_EQ(Call("PUT", "/v2/apps/prod/web", R"({"cmd":"sleep 200"})").status, 200);
  Timestamp second = App("/prod/web").version;
  h.Settle();

  V2Response list = Call("GET", "/v2/apps/prod/web/versions");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body, StrCat(R"({"versions":[")", FormatIso8601(second), R"(",")",
                              FormatIso8601(first), R"("]})"));

  V2Response old = Call("GET", StrCat("/v2/apps/prod/web/versions/", FormatIso8601(first)));
  ASSERT_EQ(old.status, 200) << old.body;
  EXPECT_EQ(StringAt(ParseForTest(old.body), "/cmd"), "sleep 100");
  EXPECT_EQ(Call("GET", "/v2/apps/prod/web/versions/2001-01-01T00:00:00.000Z").status, 404);
  EXPECT_EQ(Call("GET", "/v2/apps/prod/web/versions/yesterday").status, 400);
  EXPECT_EQ(Call("GET", "/v2/apps/nope/versions").status, 404);

  V2Response rollback =
      Call("PUT", "/v2/apps/prod/web", StrCat(R"({"version":")", FormatIso8601(first), R"("})"));
  ASSERT_EQ(rollback.status, 200) << rollback.body;
  EXPECT_EQ(App("/prod/web").cmd, "sleep 100");
  EXPECT_GT(App("/prod/web").version, second);
  V2Response unknown =
      Call("PUT", "/v2/apps/prod/web", R"({"version":"2001-01-01T00:00:00.000Z"})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body,
            R"({"message":"App '/prod/web' does not exist in version 2001-01-01T00:00:00.000Z"})");
}

TEST_F(V2ApiTest, RestartAndDelete) {
  CreateApp(kWeb);
  h.Settle();
  V2Response r = Call("POST", "/v2/apps/prod/web/restart");
  ASSERT_EQ(r.status, 200) << r.body;
  std::string id = StringAt(ParseForTest(r.body), "/deploymentId");
  V2Response deployments = Call("GET", "/v2/deployments");
  auto doc = ParseForTest(deployments.body);
  ASSERT_TRUE(doc.IsArray());
  ASSERT_EQ(doc.Size(), 1u) << deployments.body;
  EXPECT_EQ(StringAt(doc, "/0/id"), id);
  EXPECT_EQ(StringAt(doc, "/0/steps/0/actions/0/action"), "RestartApplication");
  EXPECT_EQ(At(doc, "/0/currentStep")->GetInt(), 1);
  EXPECT_EQ(At(doc, "/0/totalSteps")->GetInt(), 1);
  EXPECT_EQ(Call("POST", "/v2/apps/nope/restart").status, 404);
  V2Response wrong = Call("GET", "/v2/apps/prod/web/restart");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(HeaderOf(wrong, "Allow"), "POST");
  h.Settle();
  EXPECT_TRUE(h.scheduler.deployments().empty());

  V2Response del = Call("DELETE", "/v2/apps/prod/web");
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(FindApp(h.scheduler.root(), "/prod/web"), nullptr);
  EXPECT_EQ(Call("GET", "/v2/apps/prod/web").status, 404);
  EXPECT_EQ(Call("DELETE", "/v2/apps/prod/web").status, 404);
}

TEST_F(V2ApiTest, ALockedAppAnswers409UnlessForced) {
  h.agents.clear();  // nothing launches: the deployment keeps running
  std::string first = CreateApp(kWeb);
  V2Response locked = Call("PUT", "/v2/apps/prod/web", R"({"cmd":"sleep 5"})");
  ASSERT_EQ(locked.status, 409) << locked.body;
  auto doc = ParseForTest(locked.body);
  EXPECT_EQ(StringAt(doc, "/message"),
            "App is locked by one or more deployments. Override with the option '?force=true'. "
            "View details at '/v2/deployments/<DEPLOYMENT_ID>'.");
  EXPECT_EQ(StringAt(doc, "/deployments/0/id"), first);
  EXPECT_EQ(App("/prod/web").cmd, "sleep 100");
  V2Response forced = Call("PUT", "/v2/apps/prod/web", R"({"cmd":"sleep 5"})", {{"force", "true"}});
  EXPECT_EQ(forced.status, 200) << forced.body;
  EXPECT_EQ(App("/prod/web").cmd, "sleep 5");
}

// ---- /v2/deployments ----

TEST_F(V2ApiTest, CancelADeploymentRevertsItOrJustStopsIt) {
  h.agents.clear();
  std::string id = CreateApp(kWeb);
  V2Response missing = Call("DELETE", "/v2/deployments/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, R"({"message":"DeploymentPlan nope does not exist"})");

  V2Response revert = Call("DELETE", StrCat("/v2/deployments/", id));
  ASSERT_EQ(revert.status, 200) << revert.body;
  std::string revert_id = HeaderOf(revert, "Marathon-Deployment-Id");
  EXPECT_NE(revert_id, id);
  EXPECT_EQ(FindApp(h.scheduler.root(), "/prod/web"), nullptr);  // the creation is undone

  std::string second = CreateApp(R"({"id":"/other","cmd":"x","cpus":0.1,"mem":16})");
  V2Response forced = Call("DELETE", StrCat("/v2/deployments/", second), "", {{"force", "true"}});
  EXPECT_EQ(forced.status, 202);
  EXPECT_TRUE(forced.body.empty());
  EXPECT_NE(FindApp(h.scheduler.root(), "/other"), nullptr);  // nothing rolled back
  EXPECT_FALSE(h.scheduler.deployments().contains(second));
  EXPECT_EQ(Call("GET", "/v2/deployments/x").status, 405);
}

// ---- tasks and kills ----

TEST_F(V2ApiTest, TasksOfAnAppAndOfEveryApp) {
  CreateApp(kWeb);
  h.Settle();
  ASSERT_EQ(h.Running("/prod/web"), 2);
  V2Response r = Call("GET", "/v2/apps/prod/web/tasks");
  ASSERT_EQ(r.status, 200);
  auto doc = ParseForTest(r.body);
  ASSERT_EQ(At(doc, "/tasks")->Size(), 2u);
  EXPECT_EQ(StringAt(doc, "/tasks/0/appId"), "/prod/web");
  EXPECT_EQ(StringAt(doc, "/tasks/0/state"), "TASK_RUNNING");
  EXPECT_THAT(StringAt(doc, "/tasks/0/host"), HasSubstr("host-"));
  EXPECT_TRUE(At(doc, "/tasks/0/servicePorts")->IsArray());

  auto count = [&](std::vector<std::pair<std::string, std::string>> query) -> int {
    V2Response all = Call("GET", "/v2/tasks", "", std::move(query));
    EXPECT_EQ(all.status, 200) << all.body;
    return static_cast<int>(At(ParseForTest(all.body), "/tasks")->Size());
  };
  EXPECT_EQ(count({}), 2);
  EXPECT_EQ(count({{"status", "running"}}), 2);
  EXPECT_EQ(count({{"status", "staging"}}), 0);
  EXPECT_EQ(count({{"status[]", "staging"}, {"status[]", "running"}}), 2);
  EXPECT_EQ(Call("GET", "/v2/tasks", "", {{"status", "sleeping"}}).status, 400);
  EXPECT_EQ(Call("GET", "/v2/apps/nope/tasks").status, 404);
  // text/plain: Marathon's endpoint lines (service port, then host:port of each running task).
  V2Request text{"GET", "/v2/tasks", {}, "", "10.0.0.7:5555", "text/plain"};
  Output none;
  V2Response lines = api.Handle(text, h.now, &none);
  EXPECT_THAT(lines.content_type, HasSubstr("text/plain"));
  const AppDefinition& app = App("/prod/web");
  ASSERT_EQ(app.port_definitions.size(), 1u);
  std::string expected = StrCat("prod_web\t", app.port_definitions[0].port, "\t");
  for (const Instance* i : h.scheduler.InstancesOf("/prod/web")) {
    StrAppend(&expected, i->hostname, ":", i->host_ports.at(0), "\t");
  }
  EXPECT_EQ(lines.body, expected + "\n");
  text.path = "/v2/apps/prod/web/tasks";
  EXPECT_EQ(api.Handle(text, h.now, &none).body, expected + "\n");
  text.accept = "application/json, text/plain";
  EXPECT_THAT(api.Handle(text, h.now, &none).body, HasSubstr(R"({"tasks":[)"));

  V2Response under = Call("GET", "/v2/apps/prod/*/tasks");
  EXPECT_EQ(At(ParseForTest(under.body), "/tasks")->Size(), 2u);
}

TEST_F(V2ApiTest, KillOneTaskRelaunchesIt) {
  CreateApp(kWeb);
  h.Settle();
  std::string task = h.scheduler.InstancesOf("/prod/web")[0]->task_id;
  V2Response r = Call("DELETE", StrCat("/v2/apps/prod/web/tasks/", task));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(StringAt(ParseForTest(r.body), "/task/id"), task);
  EXPECT_THAT(h.kills, ::testing::Contains(task));
  h.Settle();
  EXPECT_EQ(h.Running("/prod/web"), 2);
  EXPECT_EQ(App("/prod/web").instances, 2);

  V2Response unknown = Call("DELETE", "/v2/apps/prod/web/tasks/nope.instance-x._app.1");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body, R"({"message":"Task 'nope.instance-x._app.1' does not exist"})");
  EXPECT_EQ(
      Call("DELETE", "/v2/apps/prod/web/tasks", "", {{"scale", "true"}, {"wipe", "true"}}).status,
      400);
}

TEST_F(V2ApiTest, KillWithScaleLowersInstances) {
  CreateApp(kWeb);
  h.Settle();
  std::string task = h.scheduler.InstancesOf("/prod/web")[0]->task_id;
  V2Response r = Call("DELETE", StrCat("/v2/apps/prod/web/tasks/", task), "", {{"scale", "true"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(ParseForTest(r.body).HasMember("deploymentId"));
  EXPECT_EQ(App("/prod/web").instances, 1);
  h.Settle();
  EXPECT_EQ(h.Running("/prod/web"), 1);
  EXPECT_EQ(h.scheduler.FindByTaskId(task), nullptr);  // the named one went

  V2Response all = Call("DELETE", "/v2/apps/prod/web/tasks", "", {{"scale", "true"}});
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(App("/prod/web").instances, 0);
}

TEST_F(V2ApiTest, KillByHostAndThroughTasksDelete) {
  CreateApp(kWeb);
  h.Settle();
  std::vector<const Instance*> instances = h.scheduler.InstancesOf("/prod/web");
  ASSERT_EQ(instances.size(), 2u);
  std::string host = instances[0]->hostname;
  int on_host = 0;
  for (const Instance* i : instances) on_host += i->hostname == host;
  V2Response by_host = Call("DELETE", "/v2/apps/prod/web/tasks", "", {{"host", host}});
  ASSERT_EQ(by_host.status, 200) << by_host.body;
  EXPECT_EQ(static_cast<int>(At(ParseForTest(by_host.body), "/tasks")->Size()), on_host);
  h.Settle();

  std::string task = h.scheduler.InstancesOf("/prod/web")[1]->task_id;
  V2Response killed = Call("POST", "/v2/tasks/delete", StrCat(R"({"ids":[")", task, R"("]})"));
  ASSERT_EQ(killed.status, 200) << killed.body;
  EXPECT_EQ(StringAt(ParseForTest(killed.body), "/tasks/0/id"), task);
  h.Settle();

  std::string other = h.scheduler.InstancesOf("/prod/web")[0]->task_id;
  V2Response scaled =
      Call("POST", "/v2/tasks/delete",
           StrCat(R"({"ids":[")", other, R"(","gone.instance-x._app.1"]})"), {{"scale", "true"}});
  ASSERT_EQ(scaled.status, 200) << scaled.body;
  EXPECT_EQ(App("/prod/web").instances, 1);

  EXPECT_EQ(Call("POST", "/v2/tasks/delete", R"({"ids":["not-a-task-id"]})").status, 400);
  EXPECT_EQ(Call("POST", "/v2/tasks/delete", R"({"ids":"x"})").status, 400);
  EXPECT_EQ(Call("POST", "/v2/tasks/delete", "[").status, 400);
}

// Found by tests/fuzz/v2_api_fuzz: a task named twice scaled its app down twice.
TEST_F(V2ApiTest, ATaskNamedTwiceIsKilledOnce) {
  CreateApp(kWeb);
  h.Settle();
  std::string task = h.scheduler.InstancesOf("/prod/web")[0]->task_id;
  std::string twice = StrCat(R"({"ids":[")", task, R"(",")", task, R"("]})");
  V2Response killed = Call("POST", "/v2/tasks/delete", twice);
  ASSERT_EQ(killed.status, 200) << killed.body;
  EXPECT_EQ(At(ParseForTest(killed.body), "/tasks")->Size(), 1u);
  h.Settle();

  task = h.scheduler.InstancesOf("/prod/web")[0]->task_id;
  twice = StrCat(R"({"ids":[")", task, R"(",")", task, R"("]})");
  V2Response scaled = Call("POST", "/v2/tasks/delete", twice, {{"scale", "true"}});
  ASSERT_EQ(scaled.status, 200) << scaled.body;
  EXPECT_EQ(App("/prod/web").instances, 1);
  h.Settle();
  EXPECT_EQ(h.Running("/prod/web"), 1);
}

TEST_F(V2ApiTest, AWriteAtTheSameInstantIsNotServedFromTheCache) {
  CreateApp(kWeb);
  ASSERT_THAT(Call("GET", "/v2/apps").body, HasSubstr(R"("cmd":"sleep 100")"));
  // Same `now` as the creation: the new definition gets the same version.
  V2Request patch{
      "PATCH", "/v2/apps/prod/web", {{"force", "true"}}, R"({"cmd":"sleep 7"})", "10.0.0.7:5555",
      ""};
  Output out;
  ASSERT_EQ(api.Handle(patch, h.now, &out).status, 200);
  h.Apply(out);
  EXPECT_THAT(Call("GET", "/v2/apps").body, HasSubstr(R"("cmd":"sleep 7")"));
}

// ---- /v2/groups ----

TEST_F(V2ApiTest, GroupsCreateGetAndConflict) {
  V2Response r =
      Call("POST", "/v2/groups",
           R"({"id":"/prod","apps":[{"id":"web","cmd":"sleep 1","cpus":0.1,"mem":16}]})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(HeaderOf(r, "Location"), "/v2/groups/prod");
  EXPECT_TRUE(ParseForTest(r.body).HasMember("deploymentId"));
  EXPECT_EQ(App("/prod/web").cmd, "sleep 1");
  V2Response again = Call("POST", "/v2/groups", R"({"id":"/prod"})");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.body,
            R"({"message":"Group /prod is already created. Use PUT to change this group."})");
  h.Settle();

  V2Response root = Call("GET", "/v2/groups");
  ASSERT_EQ(root.status, 200);
  auto doc = ParseForTest(root.body);
  EXPECT_EQ(StringAt(doc, "/id"), "/");
  EXPECT_EQ(StringAt(doc, "/groups/0/id"), "/prod");
  EXPECT_EQ(StringAt(doc, "/groups/0/apps/0/id"), "/prod/web");

  V2Response prod =
      Call("GET", "/v2/groups/prod", "", {{"embed", "group.apps"}, {"embed", "group.apps.counts"}});
  auto p = ParseForTest(prod.body);
  EXPECT_EQ(StringAt(p, "/id"), "/prod");
  EXPECT_EQ(At(p, "/groups"), nullptr);
  EXPECT_EQ(At(p, "/apps/0/tasksRunning")->GetInt(), 1);
  EXPECT_EQ(Call("GET", "/v2/groups/nope").body, R"({"message":"Group '/nope' does not exist"})");
  V2Response invalid =
      Call("POST", "/v2/groups", R"({"id":"/x","apps":[{"id":"/y/z","cmd":"a"}]})");
  EXPECT_EQ(invalid.status, 422) << invalid.body;
}

TEST_F(V2ApiTest, GroupDryRunScaleByRollbackAndDelete) {
  ASSERT_EQ(Call("PUT", "/v2/groups/prod",
                 R"({"apps":[{"id":"web","cmd":"sleep 1","cpus":0.1,"mem":16}]})")
                .status,
            200);
  Timestamp first = h.scheduler.root().version;
  h.Settle();

  V2Response dry = Call("PUT", "/v2/groups/prod",
                        R"({"apps":[{"id":"web","cmd":"sleep 1","cpus":0.1,"mem":16},)"
                        R"({"id":"db","cmd":"sleep 2","cpus":0.1,"mem":16}]})",
                        {{"dryRun", "true"}});
  ASSERT_EQ(dry.status, 200) << dry.body;
  EXPECT_THAT(dry.body,
              HasSubstr(R"({"steps":[{"actions":[{"action":"StartApplication","app":"/prod/db"}]},)"
                        R"({"actions":[{"action":"ScaleApplication","app":"/prod/db"})"));
  EXPECT_EQ(FindApp(h.scheduler.root(), "/prod/db"), nullptr);  // nothing deployed

  V2Response scale = Call("PUT", "/v2/groups/prod", R"({"scaleBy":3})");
  ASSERT_EQ(scale.status, 200) << scale.body;
  EXPECT_EQ(App("/prod/web").instances, 3);
  h.Settle();

  V2Response versions = Call("GET", "/v2/groups/versions");
  ASSERT_EQ(versions.status, 200);
  auto v = ParseForTest(versions.body);
  ASSERT_TRUE(v.IsArray());
  EXPECT_EQ(std::string(v[v.Size() - 1].GetString()), FormatIso8601(first));
  EXPECT_EQ(std::string(v[0].GetString()), FormatIso8601(h.scheduler.root().version));
  V2Response prod_versions = Call("GET", "/v2/groups/prod/versions");
  ASSERT_EQ(prod_versions.status, 200);
  EXPECT_EQ(ParseForTest(prod_versions.body).Size(), 2u);
  V2Response at_first = Call("GET", StrCat("/v2/groups/prod/versions/", FormatIso8601(first)));
  ASSERT_EQ(at_first.status, 200) << at_first.body;
  EXPECT_EQ(At(ParseForTest(at_first.body), "/apps/0/instances")->GetInt(), 1);

  V2Response rollback =
      Call("PUT", "/v2/groups/prod", StrCat(R"({"version":")", FormatIso8601(first), R"("})"));
  ASSERT_EQ(rollback.status, 200) << rollback.body;
  EXPECT_EQ(App("/prod/web").instances, 1);
  h.Settle();

  V2Response del = Call("DELETE", "/v2/groups/prod");
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(FindGroup(h.scheduler.root(), "/prod"), nullptr);
  EXPECT_EQ(Call("DELETE", "/v2/groups/prod").status, 404);
  EXPECT_EQ(Call("PATCH", "/v2/groups/prod").status, 405);
}

// Adding an app next to an unchanged one must not restart the unchanged one. Disabled: the
// scheduler's PrepareTarget hands the new /prod/db (first in id order) the service port /prod/web
// holds, then moves /prod/web to the next port, which makes it a config change (restart). It
// should keep every existing app's ports before assigning new ones.
TEST_F(V2ApiTest, AddingASiblingDoesNotRestartAnUnchangedApp) {
  ASSERT_EQ(Call("PUT", "/v2/groups/prod",
                 R"({"apps":[{"id":"web","cmd":"sleep 1","cpus":0.1,"mem":16}]})")
                .status,
            200);
  h.Settle();
  V2Response dry = Call("PUT", "/v2/groups/prod",
                        R"({"apps":[{"id":"web","cmd":"sleep 1","cpus":0.1,"mem":16},)"
                        R"({"id":"db","cmd":"sleep 2","cpus":0.1,"mem":16}]})",
                        {{"dryRun", "true"}});
  EXPECT_EQ(dry.body, R"({"steps":[{"actions":[{"action":"StartApplication","app":"/prod/db"}]},)"
                      R"({"actions":[{"action":"ScaleApplication","app":"/prod/db"}]}]})");
}

TEST_F(V2ApiTest, GroupErrorsAndEmbeds) {
  ASSERT_EQ(Call("PUT", "/v2/groups/prod",
                 R"({"apps":[{"id":"web","cmd":"sleep 1","cpus":0.1,"mem":16}]})")
                .status,
            200);
  EXPECT_EQ(Call("PUT", "/v2/groups/prod", R"({"version":"2001-01-01T00:00:00.000Z"})").body,
            R"({"message":"Group '/prod' does not exist in version 2001-01-01T00:00:00.000Z"})");
  EXPECT_EQ(Call("GET", "/v2/groups/prod/versions/someday").status, 400);
  EXPECT_EQ(Call("GET", "/v2/groups/prod/versions/2001-01-01T00:00:00.000Z").status, 404);
  EXPECT_EQ(Call("GET", "/v2/groups/nope/versions").status, 404);
  EXPECT_EQ(Call("PUT", "/v2/groups/prod", "{").status, 400);
  EXPECT_EQ(Call("PUT", "/v2/groups/prod", R"({"scaleBy":-1})").status, 422);
  EXPECT_EQ(Call("PUT", "/v2/groups/prod", R"({"scaleBy":2})").status, 409);  // still deploying
  V2Response forced = Call("PUT", "/v2/groups/prod", R"({"scaleBy":2})", {{"force", "true"}});
  EXPECT_EQ(forced.status, 200) << forced.body;

  // An app member implies the apps; groups are then left out.
  V2Response tasks = Call("GET", "/v2/groups", "", {{"embed", "group.apps.tasks"}});
  auto doc = ParseForTest(tasks.body);
  EXPECT_EQ(At(doc, "/groups"), nullptr);
  EXPECT_TRUE(At(doc, "/apps")->IsArray());
  V2Response one = Call("GET", "/v2/groups/prod", "", {{"embed", "group.apps.tasks"}});
  EXPECT_TRUE(At(ParseForTest(one.body), "/apps/0/tasks")->IsArray()) << one.body;

  V2Response del_root = Call("DELETE", "/v2/groups", "", {{"force", "true"}});
  EXPECT_EQ(del_root.status, 200) << del_root.body;
  EXPECT_TRUE(h.scheduler.root().groups.empty());
}

// ---- /v2/queue ----

TEST_F(V2ApiTest, QueueShowsWhyAnAppDoesNotLaunch) {
  CreateApp(R"({"id":"/big","cmd":"x","cpus":0.1,"mem":100000})");
  h.Offer();
  V2Response r = Call("GET", "/v2/queue", "", {{"embed", "lastUnusedOffers"}});
  ASSERT_EQ(r.status, 200);
  auto doc = ParseForTest(r.body);
  EXPECT_EQ(StringAt(doc, "/queue/0/app/id"), "/big");
  EXPECT_EQ(At(doc, "/queue/0/count")->GetInt(), 1);
  EXPECT_EQ(StringAt(doc, "/queue/0/role"), "*");
  EXPECT_TRUE(At(doc, "/queue/0/delay/overdue")->GetBool());
  EXPECT_EQ(At(doc, "/queue/0/delay/timeLeftSeconds")->GetInt(), 0);
  EXPECT_EQ(At(doc, "/queue/0/processedOffersSummary/processedOffersCount")->GetInt(), 2);
  EXPECT_EQ(At(doc, "/queue/0/processedOffersSummary/unusedOffersCount")->GetInt(), 2);
  const rapidjson::Value* funnel =
      At(doc, "/queue/0/processedOffersSummary/rejectSummaryLastOffers");
  ASSERT_NE(funnel, nullptr);
  bool found = false;
  for (const auto& step : funnel->GetArray()) {
    if (std::string(step["reason"].GetString()) == "InsufficientMemory") {
      found = true;
      EXPECT_EQ(step["declined"].GetInt(), 2);
      EXPECT_EQ(step["processed"].GetInt(), 2);
    }
  }
  EXPECT_TRUE(found) << r.body;
  EXPECT_TRUE(At(doc, "/queue/0/lastUnusedOffers")->IsArray());

  V2Response reset = Call("DELETE", "/v2/queue/big/delay");
  EXPECT_EQ(reset.status, 204);
  V2Response unknown = Call("DELETE", "/v2/queue/nope/delay");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body, R"({"message":"Application /nope not found in tasks queue."})");
}

TEST_F(V2ApiTest, QueueNamesTheConstraintAndTheOffersItRefused) {
  h.attributes["agent-0"] = {{"rack", "r1"}};
  h.attributes["agent-1"] = {{"rack", "r2"}};
  CreateApp(R"({"id":"/u","cmd":"x","cpus":0.1,"mem":16,"instances":3,
                "constraints":[["hostname","UNIQUE"]]})");
  h.Settle();
  V2Response r = Call("GET", "/v2/queue", "", {{"embed", "lastUnusedOffers"}});
  ASSERT_EQ(r.status, 200);
  auto doc = ParseForTest(r.body);
  EXPECT_EQ(At(doc, "/queue/0/count")->GetInt(), 1) << r.body;
  const rapidjson::Value* per = At(doc, "/queue/0/processedOffersSummary/unfulfilledConstraints");
  ASSERT_NE(per, nullptr) << r.body;
  ASSERT_EQ(per->Size(), 1u);
  EXPECT_EQ(StringAt(doc, "/queue/0/processedOffersSummary/unfulfilledConstraints/0/constraint/1"),
            "UNIQUE");
  EXPECT_GT(At(doc, "/queue/0/processedOffersSummary/unfulfilledConstraints/0/declined")->GetInt(),
            0);
  EXPECT_TRUE(StringAt(doc, "/queue/0/processedOffersSummary/unfulfilledConstraints/0/lastReason")
                  .starts_with("UNIQUE hostname: host-"));
  // The last offer of each agent, in Marathon's Offer shape.
  const rapidjson::Value* unused = At(doc, "/queue/0/lastUnusedOffers");
  ASSERT_NE(unused, nullptr);
  ASSERT_EQ(unused->Size(), 2u) << r.body;
  EXPECT_EQ(StringAt(doc, "/queue/0/lastUnusedOffers/0/offer/agentId"), "agent-0");
  EXPECT_EQ(StringAt(doc, "/queue/0/lastUnusedOffers/0/offer/hostname"), "host-0");
  EXPECT_EQ(StringAt(doc, "/queue/0/lastUnusedOffers/0/offer/attributes/0/name"), "rack");
  EXPECT_EQ(StringAt(doc, "/queue/0/lastUnusedOffers/0/offer/attributes/0/text"), "r1");
  EXPECT_EQ(StringAt(doc, "/queue/0/lastUnusedOffers/0/offer/resources/0/name"), "cpus");
  EXPECT_EQ(StringAt(doc, "/queue/0/lastUnusedOffers/0/offer/resources/0/role"), "*");
  EXPECT_TRUE(At(doc, "/queue/0/lastUnusedOffers/0/offer/resources/0/scalar")->IsNumber());
  EXPECT_EQ(StringAt(doc, "/queue/0/lastUnusedOffers/0/reason/0"), "UnfulfilledConstraint");
  EXPECT_EQ(StringAt(doc, "/queue/0/lastUnusedOffers/0/constraintReason"),
            "UNIQUE hostname: host-0 already runs 1 instance");
  // Over the last offer of each agent: both refused for the constraint.
  const rapidjson::Value* last = At(doc, "/queue/0/processedOffersSummary/rejectSummaryLastOffers");
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(StringAt(doc, "/queue/0/processedOffersSummary/rejectSummaryLastOffers/1/reason"),
            "UnfulfilledConstraint");
  EXPECT_EQ(At(doc, "/queue/0/processedOffersSummary/rejectSummaryLastOffers/1/declined")->GetInt(),
            2);
  EXPECT_EQ(StringAt(doc, "/queue/0/unplaceable/message"),
            "No known agent can take another instance: the constraints rule out all 2 agents "
            "([hostname,UNIQUE] rejects 2 agents)");
  EXPECT_EQ(At(doc, "/queue/0/unplaceable/knownAgents")->GetInt(), 2);
  // Without the embed, no offers.
  auto plain = ParseForTest(Call("GET", "/v2/queue").body);
  EXPECT_EQ(At(plain, "/queue/0/lastUnusedOffers"), nullptr);
}

// ---- info, leader, ping, metrics, routing ----

TEST_F(V2ApiTest, InfoLeaderPingAndMetrics) {
  V2Response info = Call("GET", "/v2/info");
  ASSERT_EQ(info.status, 200);
  auto doc = ParseForTest(info.body);
  EXPECT_EQ(StringAt(doc, "/name"), "marathon");
  EXPECT_EQ(StringAt(doc, "/leader"), "marathon.local:8080");
  EXPECT_EQ(StringAt(doc, "/frameworkId"), "fw-1");
  EXPECT_TRUE(At(doc, "/elected")->GetBool());
  EXPECT_EQ(At(doc, "/http_config/http_port")->GetInt(), 8080);
  EXPECT_EQ(StringAt(doc, "/marathon_config/master"), "master:5050");
  EXPECT_EQ(At(doc, "/zookeeper_config/zk_max_versions")->GetInt(), 50);

  EXPECT_EQ(Call("GET", "/v2/leader").body, R"({"leader":"marathon.local:8080"})");
  EXPECT_EQ(Call("DELETE", "/v2/leader").status, 400);

  V2Response ping = Call("GET", "/ping");
  EXPECT_EQ(ping.body, "pong");
  EXPECT_THAT(ping.content_type, HasSubstr("text/plain"));

  CreateApp(kWeb);
  h.Settle();
  V2Response metrics = Call("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  auto m = ParseForTest(metrics.body);
  EXPECT_EQ(StringAt(m, "/version"), "4.0.0");
  EXPECT_EQ(At(m, "/gauges/marathon.apps.active.gauge/value")->GetInt(), 1);
  EXPECT_EQ(At(m, "/gauges/marathon.instances.running.gauge/value")->GetInt(), 2);
  EXPECT_EQ(At(m, "/gauges/marathon.deployments.active.gauge/value")->GetInt(), 0);
  EXPECT_GE(At(m, "/counters/marathon.http.requests.counter/count")->GetInt(), 5);
}

TEST_F(V2ApiTest, UnknownPathsAndWrongMethods) {
  EXPECT_EQ(Call("GET", "/v2/nothing").status, 404);
  EXPECT_EQ(Call("GET", "/v3/apps").status, 404);
  EXPECT_EQ(Call("GET", "/v2/tasks/x").status, 404);
  V2Response info = Call("POST", "/v2/info");
  EXPECT_EQ(info.status, 405);
  EXPECT_EQ(HeaderOf(info, "Allow"), "GET");
  V2Response apps = Call("DELETE", "/v2/apps");
  EXPECT_EQ(apps.status, 405);
  EXPECT_EQ(HeaderOf(apps, "Allow"), "GET, POST, PUT, PATCH");
  EXPECT_EQ(Call("GET", "/v2/tasks/delete").status, 405);
  EXPECT_EQ(Call("GET", "/v2/apps/").status, 200);  // a trailing slash is the same path
}

}  // namespace
}  // namespace atl::marathonlike
