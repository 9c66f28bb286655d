#include "marathonlike/app_info.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/base/time.h"
#include "marathonlike/app_json.h"
#include "tests/marathonlike/json_testing.h"

namespace atl::marathonlike {
namespace {

using testing::At;
using testing::ParseForTest;
using testing::StringAt;

Timestamp Iso(const char* text) { return *ParseIso8601(text); }

AppDefinition MyApp() {
  AppDefinition app;
  app.id = "/prod/myapp";
  app.cmd = "env && sleep 60";
  app.labels = {{"env", "prod"}, {"tier", "front end"}};
  app.version = Iso("2015-09-25T15:13:48.343Z");
  return app;
}

std::set<std::string> Keys(const rapidjson::Value& object) {
  std::set<std::string> keys;
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    keys.insert(it->name.GetString());
  }
  return keys;
}

// The members AppInfo adds to the app's own.
std::set<std::string> ExtraKeys(const std::string& app_info, const AppDefinition& app) {
  std::set<std::string> keys = Keys(ParseForTest(app_info));
  for (const std::string& own : Keys(ParseForTest(AppToJson(app)))) keys.erase(own);
  return keys;
}

AppInfoExtras SomeExtras() {
  AppInfoExtras extras;
  extras.counts = {1, 2, 3, 4};
  extras.deployments = {"9538079c-3898-4e32-aa31-799bf9097f74"};
  TaskView task;
  task.id = "prod_myapp.instance-1._app.1";
  task.app_id = "/prod/myapp";
  task.host = "srv1";
  task.agent_id = "agent1";
  task.state = "TASK_RUNNING";
  task.role = "*";
  extras.tasks = {task};
  extras.last_task_failure = TaskFailure{"/prod/myapp",
                                         "srv2",
                                         "Command exited with status 1",
                                         "TASK_FAILED",
                                         "prod_myapp.inst-0",
                                         Iso("2015-09-25T15:20:00.001Z"),
                                         Iso("2015-09-25T15:13:48.343Z"),
                                         "agent2"};
  return extras;
}

// ---- embed= ----

TEST(AppInfoEmbedTest, ParsesEachValueWithAnyPrefix) {
  EXPECT_EQ(ParseAppInfoEmbed({}), AppInfoEmbed{});
  AppInfoEmbed e = ParseAppInfoEmbed({"apps.counts", "app.readiness", "group.apps.taskStats"});
  EXPECT_TRUE(e.counts);
  EXPECT_TRUE(e.readiness);
  EXPECT_TRUE(e.task_stats);
  EXPECT_FALSE(e.tasks || e.deployments || e.last_task_failure);
  EXPECT_TRUE(ParseAppInfoEmbed({"apps.count"}).counts);
  EXPECT_TRUE(ParseAppInfoEmbed({"app.lastTaskFailure"}).last_task_failure);
  EXPECT_TRUE(ParseAppInfoEmbed({"apps.deployments"}).deployments);
}

TEST(AppInfoEmbedTest, TasksImplyDeployments) {
  AppInfoEmbed e = ParseAppInfoEmbed({"apps.tasks"});
  EXPECT_TRUE(e.tasks);
  EXPECT_TRUE(e.deployments);
  EXPECT_FALSE(e.counts);
}

TEST(AppInfoEmbedTest, FailuresIsTheDeprecatedShorthand) {
  AppInfoEmbed e = ParseAppInfoEmbed({"apps.failures"});
  AppInfoEmbed want;
  want.tasks = want.last_task_failure = want.counts = want.deployments = true;
  EXPECT_EQ(e, want);
}

TEST(AppInfoEmbedTest, UnknownValuesAreIgnored) {
  EXPECT_EQ(ParseAppInfoEmbed(
                {"apps.nope", "tasks", "group.groups", "apps.", "APPS.TASKS", "pods.tasks"}),
            AppInfoEmbed{});
}

TEST(AppInfoEmbedTest, CompatibilityDefaults) {
  AppInfoEmbed list = ForAppList({});
  EXPECT_TRUE(list.counts && list.deployments);
  EXPECT_FALSE(list.tasks || list.last_task_failure || list.readiness || list.task_stats);
  AppInfoEmbed single = ForSingleApp({});
  EXPECT_TRUE(single.counts && single.deployments && single.tasks && single.last_task_failure);
  EXPECT_FALSE(single.readiness || single.task_stats);
  EXPECT_TRUE(ForAppList(ParseAppInfoEmbed({"apps.taskStats"})).task_stats);
}

// ---- AppInfo ----

TEST(AppInfoTest, WithoutEmbedsItIsTheApp) {
  AppDefinition app = MyApp();
  EXPECT_EQ(AppInfoToJson(app, SomeExtras(), {}), AppToJson(app));
}

TEST(AppInfoTest, ListDefaultsAddCountsAndDeployments) {
  AppDefinition app = MyApp();
  std::string json = AppInfoToJson(app, SomeExtras(), ForAppList({}));
  EXPECT_EQ(ExtraKeys(json, app),
            (std::set<std::string>{"tasksStaged", "tasksRunning", "tasksHealthy", "tasksUnhealthy",
                                   "deployments"}));
  auto doc = ParseForTest(json);
  EXPECT_EQ(At(doc, "/tasksStaged")->GetInt(), 1);
  EXPECT_EQ(At(doc, "/tasksRunning")->GetInt(), 2);
  EXPECT_EQ(At(doc, "/tasksHealthy")->GetInt(), 3);
  EXPECT_EQ(At(doc, "/tasksUnhealthy")->GetInt(), 4);
  EXPECT_EQ(StringAt(doc, "/deployments/0/id"), "9538079c-3898-4e32-aa31-799bf9097f74");
  // Appended after the app's own members, counts first (as app_list.json shows).
  EXPECT_NE(json.find(R"("tasksStaged":1,"tasksRunning":2,"tasksHealthy":3,)"
                      R"("tasksUnhealthy":4,"deployments":[{"id":"9538079c-)"),
            std::string::npos);
  EXPECT_EQ(json.substr(0, AppToJson(app).size() - 1),
            AppToJson(app).substr(0, AppToJson(app).size() - 1));
}

TEST(AppInfoTest, NoDeploymentsIsAnEmptyList) {
  AppDefinition app = MyApp();
  auto doc = ParseForTest(AppInfoToJson(app, AppInfoExtras{}, ForAppList({})));
  EXPECT_TRUE(At(doc, "/deployments")->IsArray());
  EXPECT_EQ(At(doc, "/deployments")->Size(), 0u);
  EXPECT_EQ(At(doc, "/tasksRunning")->GetInt(), 0);
}

TEST(AppInfoTest, SingleAppEmbedsTasksAndLastTaskFailure) {
  AppDefinition app = MyApp();
  std::string json = AppInfoToJson(app, SomeExtras(), ForSingleApp({}));
  EXPECT_EQ(ExtraKeys(json, app),
            (std::set<std::string>{"tasksStaged", "tasksRunning", "tasksHealthy", "tasksUnhealthy",
                                   "deployments", "tasks", "lastTaskFailure"}));
  auto doc = ParseForTest(json);
  EXPECT_EQ(StringAt(doc, "/tasks/0/id"), "prod_myapp.instance-1._app.1");
  EXPECT_EQ(StringAt(doc, "/tasks/0/slaveId"), "agent1");
  EXPECT_NE(json.find(R"("lastTaskFailure":{"appId":"/prod/myapp","host":"srv2",)"
                      R"("message":"Command exited with status 1","state":"TASK_FAILED",)"
                      R"("taskId":"prod_myapp.inst-0","timestamp":"2015-09-25T15:20:00.001Z",)"
                      R"("version":"2015-09-25T15:13:48.343Z","slaveId":"agent2"})"),
            std::string::npos)
      << json;
}

TEST(AppInfoTest, NoLastTaskFailureMeansNoMember) {
  AppDefinition app = MyApp();
  AppInfoExtras extras = SomeExtras();
  extras.last_task_failure.reset();
  auto doc = ParseForTest(AppInfoToJson(app, extras, ForSingleApp({})));
  EXPECT_EQ(At(doc, "/lastTaskFailure"), nullptr);
  EXPECT_TRUE(At(doc, "/tasks")->IsArray());
}

TEST(AppInfoTest, ReadinessAndTaskStats) {
  AppDefinition app = MyApp();
  AppInfoExtras extras;
  std::string json =
      AppInfoToJson(app, extras, ParseAppInfoEmbed({"apps.readiness", "apps.taskStats"}));
  EXPECT_EQ(ExtraKeys(json, app), (std::set<std::string>{"readinessCheckResults", "tasksStats"}));
  EXPECT_NE(json.find(R"("readinessCheckResults":[],"tasksStats":{}})"), std::string::npos);

  // Marathon's TaskReadinessCheckResult: lastResponse only when preserved.
  extras.readiness = {
      ReadinessResult{.name = "warm",
                      .task_id = "web.instance-1._app.1",
                      .ready = false,
                      .last_response = ReadinessResult::Response{503, "text/plain", "40%\n"}},
      ReadinessResult{
          .name = "warm", .task_id = "web.instance-2._app.1", .ready = true, .last_response = {}}};
  json = AppInfoToJson(app, extras, ParseAppInfoEmbed({"apps.readiness"}));
  EXPECT_NE(json.find(R"("readinessCheckResults":[{"name":"warm","taskId":"web.instance-1._app.1",)"
                      R"("ready":false,"lastResponse":{"status":503,"contentType":"text/plain",)"
                      R"("body":"40%\n"}},{"name":"warm","taskId":"web.instance-2._app.1",)"
                      R"("ready":true}])"),
            std::string::npos)
      << json;

  TaskStats stats;
  stats.counts = {0, 3, 2, 1};
  stats.average_life_seconds = 17.5;
  stats.median_life_seconds = 12;
  extras.task_stats.total_summary = stats;
  extras.task_stats.with_latest_config = TaskStats{{0, 1, 0, 0}, {}, {}};
  json = AppInfoToJson(app, extras, ParseAppInfoEmbed({"app.taskStats"}));
  EXPECT_NE(json.find(R"("tasksStats":{"withLatestConfig":{"stats":{"counts":{"staged":0,)"
                      R"("running":1,"healthy":0,"unhealthy":0}}},"totalSummary":{"stats":)"
                      R"({"counts":{"staged":0,"running":3,"healthy":2,"unhealthy":1},)"
                      R"("lifeTime":{"averageSeconds":17.5,"medianSeconds":12}}}})"),
            std::string::npos)
      << json;
}

// ---- label selectors ----

const std::map<std::string, std::string> kLabels = {
    {"env", "prod"}, {"tier", "front end"}, {"a,b", "x(y)"}, {"empty", ""}};

bool Select(std::string_view text, const std::map<std::string, std::string>& labels = kLabels) {
  absl::StatusOr<LabelSelector> s = ParseLabelSelector(text);
  EXPECT_TRUE(s.ok()) << text << ": " << s.status();
  return s.ok() && Matches(*s, labels);
}

TEST(LabelSelectorTest, ParsesEachForm) {
  using Op = LabelRequirement::Op;
  absl::StatusOr<LabelSelector> s = ParseLabelSelector(
      "my_label, environment==production, tier!=frontend\\ tier, deployed in (us, eu), "
      "deployed notin (aa, bb)");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->requirements,
            (std::vector<LabelRequirement>{{"my_label", Op::kExists, {}},
                                           {"environment", Op::kEquals, {"production"}},
                                           {"tier", Op::kNotEquals, {"frontend tier"}},
                                           {"deployed", Op::kIn, {"us", "eu"}},
                                           {"deployed", Op::kNotIn, {"aa", "bb"}}}));
  s = ParseLabelSelector("k in ()");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->requirements, (std::vector<LabelRequirement>{{"k", Op::kIn, {}}}));
  s = ParseLabelSelector("in,notin==in");  // the operator words are fine as keys and values
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->requirements, (std::vector<LabelRequirement>{{"in", Op::kExists, {}},
                                                            {"notin", Op::kEquals, {"in"}}}));
}

TEST(LabelSelectorTest, EmptyMatchesEverything) {
  EXPECT_TRUE(Select(""));
  EXPECT_TRUE(Select("  "));
  EXPECT_TRUE(Select("", {}));
}

TEST(LabelSelectorTest, Exists) {
  EXPECT_TRUE(Select("env"));
  EXPECT_TRUE(Select("empty"));
  EXPECT_FALSE(Select("owner"));
  EXPECT_TRUE(Select("env,tier"));
  EXPECT_FALSE(Select("env,owner"));
}

TEST(LabelSelectorTest, Equality) {
  EXPECT_TRUE(Select("env==prod"));
  EXPECT_FALSE(Select("env==dev"));
  EXPECT_TRUE(Select("env!=dev"));
  EXPECT_FALSE(Select("env!=prod"));
  EXPECT_FALSE(Select("owner!=x"));  // != still needs the label
  EXPECT_TRUE(Select("env == prod , env != dev"));
}

TEST(LabelSelectorTest, Sets) {
  EXPECT_TRUE(Select("env in (dev,prod)"));
  EXPECT_TRUE(Select("env in(prod)"));
  EXPECT_FALSE(Select("env in (dev, stage)"));
  EXPECT_FALSE(Select("env in ()"));
  EXPECT_TRUE(Select("env notin (dev, stage)"));
  EXPECT_FALSE(Select("env notin (dev,prod)"));
  EXPECT_TRUE(Select("env notin ()"));
  EXPECT_FALSE(Select("owner notin (x)"));  // notin still needs the label
}

TEST(LabelSelectorTest, Escapes) {
  EXPECT_TRUE(Select("tier==front\\ end"));
  EXPECT_TRUE(Select("a\\,b==x\\(y\\)"));
  EXPECT_TRUE(Select("a\\,b in (x\\(y\\), z)"));
  EXPECT_TRUE(Select("\\e\\n\\v"));  // an escaped ordinary character is itself
}

TEST(LabelSelectorTest, MalformedSelectorsAreRejected) {
  for (const char* bad :
       {"env==", "==prod", "env=prod", "env===prod", "tier==front end", "env in", "env in (a",
        "env in (a,", "env in (a b)", "env notin a", "env,", ",env", "env,,tier", "env prod",
        "env\\", "env in (a)) ", "env!prod", "env in (,)"}) {
    absl::StatusOr<LabelSelector> s = ParseLabelSelector(bad);
    EXPECT_FALSE(s.ok()) << bad;
    if (!s.ok()) {
      EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_NE(std::string(s.status().message())
                    .find(std::string("Can not parse label selector ") + bad + ". Reason: "),
                std::string::npos)
          << s.status();
    }
  }
  absl::StatusOr<LabelSelector> s = ParseLabelSelector("env prod");
  EXPECT_NE(std::string(s.status().message()).find("at position 4"), std::string::npos)
      << s.status();
}

// ---- list filters ----

TEST(AppListFilterTest, NoFilterMatchesEverything) {
  absl::StatusOr<AppListFilter> f = MakeAppListFilter({}, {}, {});
  ASSERT_TRUE(f.ok());
  AppDefinition no_cmd;
  no_cmd.id = "/x";
  EXPECT_TRUE(Matches(*f, MyApp()));
  EXPECT_TRUE(Matches(*f, no_cmd));
}

TEST(AppListFilterTest, CmdIsACaseInsensitiveSubstring) {
  AppDefinition no_cmd = MyApp();
  no_cmd.cmd.reset();
  no_cmd.args = std::vector<std::string>{"sleep", "60"};
  auto f = MakeAppListFilter("SLEEP", {}, {});
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(Matches(*f, MyApp()));
  EXPECT_FALSE(Matches(*f, no_cmd));
  EXPECT_FALSE(Matches(*MakeAppListFilter("sleep 61", {}, {}), MyApp()));
}

TEST(AppListFilterTest, IdIsASubstring) {
  EXPECT_TRUE(Matches(*MakeAppListFilter({}, "prod/my", {}), MyApp()));
  EXPECT_TRUE(Matches(*MakeAppListFilter({}, "MyApp", {}), MyApp()));
  EXPECT_FALSE(Matches(*MakeAppListFilter({}, "/dev", {}), MyApp()));
}

TEST(AppListFilterTest, LabelSelector) {
  EXPECT_TRUE(Matches(*MakeAppListFilter({}, {}, "env==prod,tier"), MyApp()));
  EXPECT_FALSE(Matches(*MakeAppListFilter({}, {}, "env==dev"), MyApp()));
  absl::StatusOr<AppListFilter> bad = MakeAppListFilter({}, {}, "env==");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(AppListFilterTest, AllFiltersMustHold) {
  EXPECT_TRUE(Matches(*MakeAppListFilter("env", "myapp", "env in (prod)"), MyApp()));
  EXPECT_FALSE(Matches(*MakeAppListFilter("env", "other", "env in (prod)"), MyApp()));
  EXPECT_FALSE(Matches(*MakeAppListFilter("nope", "myapp", "env in (prod)"), MyApp()));
  EXPECT_FALSE(Matches(*MakeAppListFilter("env", "myapp", "env notin (prod)"), MyApp()));
}

}  // namespace
}  // namespace atl::marathonlike
