#include "marathonlike/task_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/base/time.h"
#include "core/model/http_lifecycle.h"

namespace atl::marathonlike {
namespace {

using ::testing::ElementsAre;

constexpr char kTaskId[] = "prod_web.instance-0b5f7c6a-1111-2222-3333-444455556666._app.1";

model::Offer MakeOffer() {
  model::Offer offer;
  offer.id = model::OfferId("o1");
  offer.agent_id = model::AgentId("agent-7");
  offer.hostname = "node3.example.com";
  return offer;
}

AppDefinition WebApp() {
  AppDefinition app;
  app.id = "/prod/web";
  app.cmd = "python3 -m http.server $PORT0";
  app.cpus = 0.5;
  app.mem = 64;
  app.disk = 0;
  app.port_definitions = {PortDefinition{10001, "tcp", "http", {{"VIP_0", "/web:80"}}},
                          PortDefinition{0, "udp,tcp", "admin-api", {}}};
  app.labels = {{"HAPROXY_GROUP", "external"}, {"owner.team-name", "core"}};
  // 2015-09-29T15:59:51.164Z
  app.version = Timestamp::FromNanoseconds(1443542391164000000);
  return app;
}

std::map<std::string, std::string> EnvOf(const model::TaskInfo& task) {
  std::map<std::string, std::string> env;
  for (const auto& v : task.command->environment->variables) env[v.name] = v.value;
  return env;
}

TEST(TaskIdTest, RoundTrip) {
  const std::string id = MakeTaskId("/prod/web.v2/api", "abc-123", 3);
  EXPECT_EQ(id, "prod_web.v2_api.instance-abc-123._app.3");
  auto parsed = ParseTaskId(id);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->app_id, "/prod/web.v2/api");
  EXPECT_EQ(parsed->instance_id, InstanceId("prod_web.v2_api.instance-abc-123"));
  EXPECT_EQ(parsed->instance_uuid, "abc-123");
  EXPECT_EQ(parsed->incarnation, 3);
  // A segment that looks like the marker is still fine: the last marker counts.
  parsed = ParseTaskId(MakeTaskId("/a.instance-b", "u", 1));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->app_id, "/a.instance-b");
}

TEST(TaskIdTest, RejectsOtherForms) {
  for (const char* bad :
       {"", "web", "web.instance-u", "web.instance-u._app.", "web.instance-u._app.x",
        ".instance-u._app.1", "web.instance-._app.1", "web_.instance-u._app.1",
        "a__b.instance-u._app.1", "web.marathon-u", "web.instance-u.v._app.1"}) {
    EXPECT_FALSE(ParseTaskId(bad).has_value()) << bad;
  }
}

TEST(TaskBuilderTest, NameIsTheReversedId) {
  EXPECT_EQ(TaskName("/prod/web"), "web.prod");
  EXPECT_EQ(TaskName("/web"), "web");
}

TEST(TaskBuilderTest, FullEnvironment) {
  AppDefinition app = WebApp();
  model::TaskInfo task =
      BuildTaskInfo(app, kTaskId, MakeOffer(), model::Resources(), {31000, 31001}, {10001, 10002});
  std::map<std::string, std::string> expected = {
      {"MESOS_TASK_ID", kTaskId},
      {"MARATHON_APP_ID", "/prod/web"},
      {"MARATHON_APP_VERSION", "2015-09-29T15:59:51.164Z"},
      {"MARATHON_APP_RESOURCE_CPUS", "0.5"},
      {"MARATHON_APP_RESOURCE_MEM", "64.0"},
      {"MARATHON_APP_RESOURCE_DISK", "0.0"},
      {"MARATHON_APP_RESOURCE_GPUS", "0"},
      {"MARATHON_APP_LABELS", "HAPROXY_GROUP OWNER_TEAM_NAME"},
      {"MARATHON_APP_LABEL_HAPROXY_GROUP", "external"},
      {"MARATHON_APP_LABEL_OWNER_TEAM_NAME", "core"},
      {"PORT0", "31000"},
      {"PORT1", "31001"},
      {"PORT_10001", "31000"},
      {"PORT_10002", "31001"},
      {"PORT_HTTP", "31000"},
      {"PORT_ADMIN-API", "31001"},
      {"PORT", "31000"},
      {"PORTS", "31000,31001"},
      {"HOST", "node3.example.com"},
  };
  EXPECT_EQ(EnvOf(task), expected);
  // Variables are sorted by name.
  const auto& vars = task.command->environment->variables;
  for (size_t i = 1; i < vars.size(); ++i) EXPECT_LT(vars[i - 1].name, vars[i].name);
}

TEST(TaskBuilderTest, ServicePortZeroNamesTheHostPort) {
  AppDefinition app = WebApp();
  auto env = TaskEnvironment(app, kTaskId, "h", {31000, 31001}, {10001, 0});
  EXPECT_EQ(env["PORT_31001"], "31001");
  EXPECT_EQ(env.count("PORT_0"), 0u);
  // Missing service ports fall back to the definition's port.
  env = TaskEnvironment(app, kTaskId, "h", {31000, 31001}, {});
  EXPECT_EQ(env["PORT_10001"], "31000");
  EXPECT_EQ(env["PORT_31001"], "31001");
}

TEST(TaskBuilderTest, NoPortsNoPortVariables) {
  AppDefinition app = WebApp();
  app.port_definitions.clear();
  app.labels.clear();
  app.cpus = 1;
  app.disk = 0.0001;
  auto env = TaskEnvironment(app, kTaskId, "h", {}, {});
  EXPECT_EQ(env.count("PORT"), 0u);
  EXPECT_EQ(env.count("PORTS"), 0u);
  EXPECT_EQ(env.count("PORT0"), 0u);
  EXPECT_EQ(env["HOST"], "h");
  EXPECT_EQ(env["MARATHON_APP_LABELS"], "");
  EXPECT_EQ(env["MARATHON_APP_RESOURCE_CPUS"], "1.0");
  EXPECT_EQ(env["MARATHON_APP_RESOURCE_DISK"], "1.0E-4");
}

TEST(TaskBuilderTest, UserEnvOverridesInjected) {
  AppDefinition app = WebApp();
  app.env = {{"PORT0", "80"}, {"HOST", "0.0.0.0"}, {"MARATHON_APP_ID", "mine"}, {"EXTRA", "x"}};
  auto env = EnvOf(BuildTaskInfo(app, kTaskId, MakeOffer(), {}, {31000, 31001}, {10001, 10002}));
  EXPECT_EQ(env["PORT0"], "80");
  EXPECT_EQ(env["HOST"], "0.0.0.0");
  EXPECT_EQ(env["MARATHON_APP_ID"], "mine");
  EXPECT_EQ(env["EXTRA"], "x");
  EXPECT_EQ(env["PORT1"], "31001");
}

TEST(TaskBuilderTest, LongLabelsAreSkipped) {
  AppDefinition app = WebApp();
  app.labels = {{std::string(493, 'k'), "v"}, {"big", std::string(512, 'v')}, {"ok", "1"}};
  auto env = TaskEnvironment(app, kTaskId, "h", {}, {});
  EXPECT_EQ(env["MARATHON_APP_LABELS"], "OK");
  EXPECT_EQ(env.count("MARATHON_APP_LABEL_BIG"), 0u);
}

TEST(TaskBuilderTest, TaskFields) {
  AppDefinition app = WebApp();
  app.user = "nobody";
  app.task_kill_grace_period_seconds = 30;
  app.fetch = {Artifact{"https://example.com/app.tgz", true, false, true, std::nullopt},
               Artifact{"https://example.com/run.sh", false, true, false, "bin/run"}};
  auto resources = model::Resources::Parse("cpus:0.5;mem:64;ports:[31000-31001]");
  ASSERT_TRUE(resources.ok());
  model::TaskInfo task =
      BuildTaskInfo(app, kTaskId, MakeOffer(), *resources, {31000, 31001}, {10001, 10002});
  EXPECT_EQ(task.name, "web.prod");
  EXPECT_EQ(task.task_id, model::TaskId(kTaskId));
  EXPECT_EQ(task.agent_id, model::AgentId("agent-7"));
  EXPECT_EQ(task.resources, *resources);
  ASSERT_TRUE(task.command.has_value());
  EXPECT_TRUE(task.command->shell);
  EXPECT_EQ(task.command->value, "python3 -m http.server $PORT0");
  EXPECT_TRUE(task.command->arguments.empty());
  EXPECT_EQ(task.command->user, "nobody");
  EXPECT_THAT(
      task.command->uris,
      ElementsAre(model::CommandUri{"https://example.com/app.tgz", false, true, true, std::nullopt},
                  model::CommandUri{"https://example.com/run.sh", true, false, false, "bin/run"}));
  ASSERT_TRUE(task.kill_policy.has_value());
  EXPECT_EQ(task.kill_policy->grace_period, Duration::Seconds(30));
  EXPECT_THAT(task.labels, ElementsAre(model::Label{"HAPROXY_GROUP", "external"},
                                       model::Label{"owner.team-name", "core"}));
  ASSERT_TRUE(task.discovery.has_value());
  EXPECT_EQ(task.discovery->name, "web.prod");
  EXPECT_EQ(task.discovery->visibility, "FRAMEWORK");
  ASSERT_EQ(task.discovery->ports.size(), 3u);
  EXPECT_EQ(task.discovery->ports[0].number, 31000u);
  EXPECT_EQ(task.discovery->ports[0].name, "http");
  EXPECT_EQ(task.discovery->ports[0].protocol, "tcp");
  EXPECT_THAT(task.discovery->ports[0].labels, ElementsAre(model::Label{"VIP_0", "/web:80"}));
  EXPECT_EQ(task.discovery->ports[1].number, 31001u);
  EXPECT_EQ(task.discovery->ports[1].protocol, "udp");
  EXPECT_EQ(task.discovery->ports[2].number, 31001u);
  EXPECT_EQ(task.discovery->ports[2].protocol, "tcp");
  EXPECT_EQ(task.discovery->ports[2].name, "admin-api");
  EXPECT_FALSE(task.health_check.has_value());
  EXPECT_FALSE(task.container.has_value());
}

TEST(TaskBuilderTest, AnHttpLifecycleIsResolvedToTheNamedPortsHostPort) {
  AppDefinition app = WebApp();
  app.labels["ATOLL_LIFECYCLE_PORT_NAME"] = "admin-api";
  app.labels["ATOLL_LIFECYCLE_GRACEFUL_SHUTDOWN_WAIT_SECONDS"] = "8";
  model::TaskInfo task = BuildTaskInfo(app, kTaskId, MakeOffer(), {}, {31000, 31001}, {});
  std::optional<model::HttpLifecycle> lifecycle = model::HttpLifecycleFromLabels(task.labels);
  ASSERT_TRUE(lifecycle.has_value());
  EXPECT_EQ(lifecycle->port, 31001u);
  EXPECT_EQ(lifecycle->graceful_shutdown_endpoint, "/quitquitquit");
  EXPECT_EQ(lifecycle->graceful_shutdown_wait, Duration::Seconds(8));
  EXPECT_EQ(lifecycle->shutdown_wait, Duration::Seconds(5));
  // Without the label there is none.
  EXPECT_EQ(model::HttpLifecycleFromLabels(
                BuildTaskInfo(WebApp(), kTaskId, MakeOffer(), {}, {31000, 31001}, {}).labels),
            std::nullopt);
}

TEST(TaskBuilderTest, ArgsFormAndNoGracePeriod) {
  AppDefinition app = WebApp();
  app.cmd.reset();
  app.args = std::vector<std::string>{"/bin/server", "--port", "$PORT0"};
  app.container = Container{"MESOS", {HostVolume{"data", "/srv/data", "RO"}}};
  model::TaskInfo task = BuildTaskInfo(app, kTaskId, MakeOffer(), {}, {31000, 31001}, {});
  ASSERT_TRUE(task.command.has_value());
  EXPECT_FALSE(task.command->shell);
  EXPECT_EQ(task.command->value, "/bin/server");
  EXPECT_THAT(task.command->arguments, ElementsAre("/bin/server", "--port", "$PORT0"));
  EXPECT_FALSE(task.command->user.has_value());
  EXPECT_TRUE(task.command->uris.empty());
  EXPECT_FALSE(task.kill_policy.has_value());
  ASSERT_TRUE(task.container.has_value());
  EXPECT_THAT(task.container->volumes, ElementsAre(model::Volume{"data", "/srv/data", "RO"}));
}

}  // namespace
}  // namespace atl::marathonlike
