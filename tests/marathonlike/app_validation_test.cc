// Validation of app definitions (marathonlike/app_validation.h): one test per rule, each naming
// the path and message Marathon's 422 carries.
#include "marathonlike/app_validation.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "marathonlike/app_json.h"

namespace atl::marathonlike {
namespace {

AppDefinition Valid() {
  AppDefinition app;
  app.id = "/prod/web";
  app.cmd = "serve";
  return app;
}

ApiError ErrorsOf(const AppDefinition& app) { return ApiError::InvalidObject(ValidateApp(app)); }

// Expects `mutate(Valid())` to fail exactly with `error` at `path` (among possibly others).
void ExpectError(const std::function<void(AppDefinition&)>& mutate, std::string_view path,
                 std::string_view error) {
  AppDefinition app = Valid();
  mutate(app);
  ApiError e = ErrorsOf(app);
  EXPECT_TRUE(e.Has(path, error)) << "want " << path << ": " << error << "\ngot "
                                  << ApiErrorJson(e);
}

TEST(AppValidation, AValidAppHasNoErrors) {
  EXPECT_TRUE(ValidateApp(Valid()).empty()) << ApiErrorJson(ErrorsOf(Valid()));
}

TEST(AppValidation, TheBriefsExampleHasMarathonsExactShape) {
  AppDefinition app = Valid();
  app.upgrade_strategy.minimum_health_capacity = 1.5;
  EXPECT_EQ(
      ApiErrorJson(ErrorsOf(app)),
      R"({"message":"Object is not valid","details":[)"
      R"({"path":"/upgradeStrategy/minimumHealthCapacity","errors":["is greater than 1"]}]})");
}

TEST(AppValidation, Ids) {
  ExpectError([](AppDefinition& a) { a.id = "/"; }, "/id",
              "Path must contain at least one path element");
  ExpectError([](AppDefinition& a) { a.id = "/prod/tasks"; }, "/id", "must not end with 'tasks'");
  AppDefinition upper = Valid();
  upper.id = "/Prod/web";
  EXPECT_FALSE(ErrorsOf(upper).field_errors().empty());
  EXPECT_EQ(ErrorsOf(upper).field_errors()[0].path, "/id");
}

TEST(AppValidation, ExactlyOneOfCmdAndArgs) {
  const char* kMessage =
      "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.";
  ExpectError([](AppDefinition& a) { a.args = {{"serve"}}; }, "/", kMessage);
  ExpectError([](AppDefinition& a) { a.cmd.reset(); }, "/", kMessage);
  ExpectError(
      [](AppDefinition& a) {
        a.cmd.reset();
        a.args = std::vector<std::string>{};
      },
      "/", kMessage);
  ExpectError([](AppDefinition& a) { a.cmd = ""; }, "/cmd", "must not be an empty string");
  AppDefinition args = Valid();
  args.cmd.reset();
  args.args = {{"serve", "--port", "80"}};
  EXPECT_TRUE(ValidateApp(args).empty());
}

TEST(AppValidation, ResourceBounds) {
  ExpectError([](AppDefinition& a) { a.instances = -1; }, "/instances", "is less than 0");
  ExpectError([](AppDefinition& a) { a.cpus = 0; }, "/cpus", "is less than 0.001");
  ExpectError([](AppDefinition& a) { a.mem = -1; }, "/mem", "is less than 0");
  ExpectError([](AppDefinition& a) { a.disk = -0.5; }, "/disk", "is less than 0");
  ExpectError([](AppDefinition& a) { a.gpus = -1; }, "/gpus", "is less than 0");
  ExpectError([](AppDefinition& a) { a.gpus = 1; }, "/gpus", "GPU resources are not supported yet");
  ExpectError(
      [](AppDefinition& a) {
        a.resource_limits = ResourceLimits{std::optional<double>(0.5), {}};
      },
      "/resourceLimits/cpus", "must be greater than or equal to cpus (1)");
  ExpectError([](AppDefinition& a) { a.role = ""; }, "/role", "must not be empty");
  ExpectError(
      [](AppDefinition& a) {
        a.accepted_resource_roles = {"*", ""};
      },
      "/acceptedResourceRoles(1)", "must not be empty");
  AppDefinition unlimited = Valid();
  unlimited.resource_limits = ResourceLimits{std::optional<double>(), std::optional<double>(4096)};
  EXPECT_TRUE(ValidateApp(unlimited).empty());
}

TEST(AppValidation, BackoffAndStrategies) {
  ExpectError([](AppDefinition& a) { a.backoff_factor = 0.5; }, "/backoffFactor", "is less than 1");
  ExpectError([](AppDefinition& a) { a.backoff_seconds = -1; }, "/backoffSeconds",
              "is less than 0");
  ExpectError([](AppDefinition& a) { a.max_launch_delay_seconds = -1; }, "/maxLaunchDelaySeconds",
              "is less than 0");
  ExpectError([](AppDefinition& a) { a.upgrade_strategy.maximum_over_capacity = -0.1; },
              "/upgradeStrategy/maximumOverCapacity", "is less than 0");
  ExpectError([](AppDefinition& a) { a.upgrade_strategy.maximum_over_capacity = 2; },
              "/upgradeStrategy/maximumOverCapacity", "is greater than 1");
  ExpectError(
      [](AppDefinition& a) {
        a.unreachable_strategy.inactive_after_seconds = 600;
        a.unreachable_strategy.expunge_after_seconds = 300;
      },
      "/unreachableStrategy/inactiveAfterSeconds",
      "must be less than or equal to expungeAfterSeconds");
  ExpectError([](AppDefinition& a) { a.unreachable_strategy.expunge_after_seconds = -1; },
              "/unreachableStrategy/expungeAfterSeconds", "is less than 0");
  AppDefinition disabled = Valid();
  disabled.unreachable_strategy = {true, 600, 300};  // values of a disabled strategy don't count
  EXPECT_TRUE(ValidateApp(disabled).empty());
  ExpectError([](AppDefinition& a) { a.kill_selection = "RANDOM"; }, "/killSelection",
              "is not one of (YOUNGEST_FIRST,OLDEST_FIRST)");
  ExpectError([](AppDefinition& a) { a.task_kill_grace_period_seconds = -1; },
              "/taskKillGracePeriodSeconds", "is less than 0");
  ExpectError([](AppDefinition& a) { a.deployment_progress_deadline_seconds = 0; },
              "/deploymentProgressDeadlineSeconds", "must be greater than 0");
}

TEST(AppValidation, PortDefinitions) {
  auto ports = [](std::vector<PortDefinition> defs) {
    return [defs](AppDefinition& a) { a.port_definitions = defs; };
  };
  ExpectError(ports({{0, "tcp", "http", {}}, {0, "tcp", "http", {}}}), "/portDefinitions",
              "Port names must be unique.");
  ExpectError(ports({{80, "tcp", {}, {}}, {80, "udp", {}, {}}}), "/portDefinitions",
              "Ports must be unique.");
  ExpectError(ports({{70000, "tcp", {}, {}}}), "/portDefinitions(0)/port", "is greater than 65535");
  ExpectError(ports({{0, "sctp", {}, {}}}), "/portDefinitions(0)/protocol",
              "is not one of (tcp,udp,udp,tcp)");
  ExpectError(ports({{0, "tcp", "Bad_Name", {}}}), "/portDefinitions(0)/name",
              "must fully match regular expression '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'");
  AppDefinition random_ports = Valid();
  random_ports.port_definitions = {{0, "tcp", {}, {}}, {0, "udp,tcp", {}, {}}};
  EXPECT_TRUE(ValidateApp(random_ports).empty());  // port 0 may repeat
}

AppHealthCheck Check(std::string protocol) {
  AppHealthCheck c;
  c.protocol = std::move(protocol);
  c.port_index = 0;
  return c;
}

TEST(AppValidation, HealthChecks) {
  auto checks = [](std::vector<AppHealthCheck> list) {
    return [list](AppDefinition& a) { a.health_checks = list; };
  };
  ExpectError(checks({Check("FOO")}), "/healthChecks(0)/protocol",
              "is not one of (HTTP,HTTPS,TCP,COMMAND,MESOS_HTTP,MESOS_HTTPS,MESOS_TCP)");
  AppHealthCheck command = Check("COMMAND");
  command.port_index.reset();
  ExpectError(checks({command}), "/healthChecks(0)",
              "A command is required when using the COMMAND health check protocol.");
  const char* kPortIndex =
      "Health check port indices must address an element of the ports array or container port "
      "mappings.";
  AppHealthCheck far = Check("HTTP");
  far.port_index = 1;
  ExpectError(checks({far}), "/healthChecks(0)", kPortIndex);
  AppHealthCheck unported = Check("TCP");
  unported.port_index.reset();
  ExpectError(
      [&](AppDefinition& a) {
        a.port_definitions.clear();
        a.health_checks = {unported};
      },
      "/healthChecks(0)", kPortIndex);
  AppHealthCheck fixed_port = unported;
  fixed_port.port = 8080;
  AppDefinition ok = Valid();
  ok.port_definitions.clear();
  ok.health_checks = {fixed_port};
  EXPECT_TRUE(ValidateApp(ok).empty());
  ExpectError(checks({Check("MESOS_HTTP"), Check("MESOS_TCP")}), "/",
              "AppDefinition can contain at most one Mesos health check");
  ExpectError(checks({Check("HTTP"), Check("MESOS_TCP")}), "/",
              "Marathon health checks (HTTP, HTTPS, TCP) and Mesos health checks (MESOS_HTTP, "
              "MESOS_HTTPS, MESOS_TCP) cannot be mixed");
  AppHealthCheck v6 = Check("MESOS_HTTP");
  v6.ip_protocol = "IPv6";
  ExpectError(checks({v6}), "/healthChecks(0)",
              "IPv6 can only be used for container type DOCKER and Mesos http/https/tcp health "
              "checks");
  AppHealthCheck negative = Check("HTTP");
  negative.interval_seconds = -1;
  negative.port = 70000;
  ExpectError(checks({negative}), "/healthChecks(0)/intervalSeconds", "is less than 0");
  ExpectError(checks({negative}), "/healthChecks(0)/port", "is greater than 65535");
  // A Marathon-level check alongside a command check is how old apps did it: allowed.
  AppHealthCheck curl = Check("COMMAND");
  curl.command = "curl -f localhost";
  AppDefinition legacy = Valid();
  legacy.health_checks = {Check("HTTP"), curl};
  EXPECT_TRUE(ValidateApp(legacy).empty()) << ApiErrorJson(ErrorsOf(legacy));
}

TEST(AppValidation, HttpLifecycleLabels) {
  auto with = [](std::map<std::string, std::string> labels) {
    return [labels](AppDefinition& a) {
      a.port_definitions = {{0, "tcp", "admin", {}}};
      a.labels = labels;
    };
  };
  AppDefinition ok = Valid();
  with({{"ATOLL_LIFECYCLE_PORT_NAME", "admin"},
        {"ATOLL_LIFECYCLE_GRACEFUL_SHUTDOWN_ENDPOINT", "/quit"},
        {"ATOLL_LIFECYCLE_SHUTDOWN_WAIT_SECONDS", "0"}})(ok);
  EXPECT_TRUE(ValidateApp(ok).empty()) << ApiErrorJson(ErrorsOf(ok));
  ExpectError(with({{"ATOLL_LIFECYCLE_PORT_NAME", "http"}}), "/labels/ATOLL_LIFECYCLE_PORT_NAME",
              "No port definition reference for portName http");
  ExpectError(
      [](AppDefinition& a) {
        a.port_definitions = {{0, "tcp", std::nullopt, {}}};  // unnamed
        a.labels = {{"ATOLL_LIFECYCLE_PORT_NAME", ""}};
      },
      "/labels/ATOLL_LIFECYCLE_PORT_NAME", "must name a port definition (not be empty)");
  ExpectError(with({{"ATOLL_LIFECYCLE_SHUTDOWN_WAIT_SECONDS", "5"}}),
              "/labels/ATOLL_LIFECYCLE_PORT_NAME",
              "must name the port serving the lifecycle endpoints when other ATOLL_LIFECYCLE_ "
              "labels are set");
  ExpectError(with({{"ATOLL_LIFECYCLE_PORT_NAME", "admin"},
                    {"ATOLL_LIFECYCLE_SHUTDOWN_ENDPOINT", "abort now"}}),
              "/labels/ATOLL_LIFECYCLE_SHUTDOWN_ENDPOINT",
              "'abort now' is not a request path: it must start with '/' and contain no spaces");
  ExpectError(with({{"ATOLL_LIFECYCLE_PORT_NAME", "admin"},
                    {"ATOLL_LIFECYCLE_GRACEFUL_SHUTDOWN_WAIT_SECONDS", "301"}}),
              "/labels/ATOLL_LIFECYCLE_GRACEFUL_SHUTDOWN_WAIT_SECONDS",
              "'301' must be a whole number of seconds from 0 to 300");
  ExpectError(with({{"ATOLL_LIFECYCLE_PORT_NAME", "admin"}, {"ATOLL_LIFECYCLE_PORT", "8080"}}),
              "/labels/ATOLL_LIFECYCLE_PORT",
              "unknown lifecycle label; known: ATOLL_LIFECYCLE_PORT_NAME, "
              "ATOLL_LIFECYCLE_GRACEFUL_SHUTDOWN_ENDPOINT, ATOLL_LIFECYCLE_SHUTDOWN_ENDPOINT, "
              "ATOLL_LIFECYCLE_GRACEFUL_SHUTDOWN_WAIT_SECONDS, "
              "ATOLL_LIFECYCLE_SHUTDOWN_WAIT_SECONDS");
  ExpectError(with({{"atoll.lifecycle.port", "8080"}}), "/labels/atoll.lifecycle.port",
              "label keys starting with 'atoll.' are reserved for the labels Atoll gives tasks");
}

TEST(AppValidation, ReadinessChecks) {
  auto with = [](std::function<void(ReadinessCheck&)> change, int count = 1) {
    return [change, count](AppDefinition& a) {
      a.port_definitions = {{0, "tcp", "http-api", {}}};
      ReadinessCheck c;
      change(c);
      a.readiness_checks.assign(count, c);
    };
  };
  AppDefinition ok = Valid();
  with([](ReadinessCheck&) {})(ok);
  EXPECT_TRUE(ValidateApp(ok).empty()) << ApiErrorJson(ErrorsOf(ok));
  ExpectError(with([](ReadinessCheck&) {}, 2), "/readinessChecks",
              "at most one readiness check is allowed");
  ExpectError(with([](ReadinessCheck& c) { c.port_name = "admin"; }),
              "/readinessChecks(0)/portName", "No port definition reference for portName admin");
  ExpectError(with([](ReadinessCheck& c) { c.timeout_seconds = 30; }),
              "/readinessChecks(0)/timeoutSeconds", "must be less than intervalSeconds");
  ExpectError(with([](ReadinessCheck& c) { c.timeout_seconds = 0; }),
              "/readinessChecks(0)/timeoutSeconds", "is less than 1");
  ExpectError(with([](ReadinessCheck& c) { c.protocol = "TCP"; }), "/readinessChecks(0)/protocol",
              "is not one of (HTTP,HTTPS)");
  ExpectError(with([](ReadinessCheck& c) {
                c.http_status_codes_for_ready = {200, 42};
              }),
              "/readinessChecks(0)/httpStatusCodesForReady(1)", "is less than 100");
  ExpectError(with([](ReadinessCheck& c) { c.name = ""; }), "/readinessChecks(0)/name",
              "must not be empty");
}

// The constraint rules themselves are constraints/'s (tests/constraints/constraint_test.cc);
// here: they are applied to every entry and reported at its path.
TEST(AppValidation, ConstraintsAreCheckedByTheConstraintsLibrary) {
  using C = std::vector<std::string>;
  AppDefinition ok = Valid();
  ok.constraints = {C{"hostname", "UNIQUE"}, C{"rack", "GROUP_BY", "3"}, C{"rack", "like", "r.*"}};
  EXPECT_TRUE(ValidateApp(ok).empty()) << ApiErrorJson(ErrorsOf(ok));
  ExpectError(
      [](AppDefinition& a) {
        a.constraints = {C{"hostname", "UNIQUE"}, C{"x"}};
      },
      "/constraints(1)", "Each constraint must have either 2 or 3 fields");
  ExpectError(
      [](AppDefinition& a) {
        a.constraints = {C{"rack", "MAX_PER", "2.5"}};
      },
      "/constraints(0)", "MAX_PER requires an integer value");
  ExpectError(
      [](AppDefinition& a) {
        a.constraints = {C{"host", "LIKE", "web-(["}};
      },
      "/constraints(0)", "'web-([' is not a valid regular expression");
  ExpectError(
      [](AppDefinition& a) {
        a.constraints = {C{"host", "SOMETIMES"}};
      },
      "/constraints(0)",
      "operator must be one of the following UNIQUE, CLUSTER, GROUP_BY, LIKE, MAX_PER, "
      "UNLIKE or IS");
  // Every error of every entry.
  AppDefinition two = Valid();
  two.constraints = {C{"", "MAX_PER"}, C{"hostname", "UNIQUE", "x"}};
  ApiError e = ErrorsOf(two);
  EXPECT_TRUE(e.Has("/constraints(0)", "missing field for constraint declaration"))
      << ApiErrorJson(e);
  EXPECT_TRUE(e.Has("/constraints(0)", "MAX_PER requires an integer value")) << ApiErrorJson(e);
  EXPECT_TRUE(e.Has("/constraints(1)", "UNIQUE does not accept a value")) << ApiErrorJson(e);
}

TEST(AppValidation, DependenciesMustBeValidPaths) {
  AppDefinition ok = Valid();
  ok.dependencies = {"/prod/db", "/prod/tasks"};  // may name a group called "tasks"
  EXPECT_TRUE(ValidateApp(ok).empty());
  AppDefinition bad = Valid();
  bad.dependencies = {"/prod/db", "/Prod_DB"};
  ApiError e = ErrorsOf(bad);
  ASSERT_EQ(e.field_errors().size(), 1u) << ApiErrorJson(e);
  EXPECT_EQ(e.field_errors()[0].path, "/dependencies(1)");
}

TEST(AppValidation, SingleInstanceAndMigrationLabels) {
  auto single = [](AppDefinition& a) { a.labels["MARATHON_SINGLE_INSTANCE_APP"] = "true"; };
  ExpectError(
      [&](AppDefinition& a) {
        single(a);
        a.instances = 2;
      },
      "/", "Single instance app may only have one instance");
  ExpectError(single, "/upgradeStrategy/minimumHealthCapacity",
              "must be 0 for a single instance app (label MARATHON_SINGLE_INSTANCE_APP)");
  ExpectError(single, "/upgradeStrategy/maximumOverCapacity",
              "must be 0 for a single instance app (label MARATHON_SINGLE_INSTANCE_APP)");
  AppDefinition ok = Valid();
  single(ok);
  ok.upgrade_strategy = {0, 0, std::nullopt};
  EXPECT_TRUE(ValidateApp(ok).empty());
  ExpectError([](AppDefinition& a) { a.labels["DCOS_MIGRATION_API_VERSION"] = "v1"; }, "/",
              "DCOS_PACKAGE_FRAMEWORK_NAME and DCOS_MIGRATION_API_PATH must be defined when using "
              "DCOS_MIGRATION_API_VERSION");
}

TEST(AppValidation, ContainersAndExecutors) {
  ExpectError(
      [](AppDefinition& a) {
        a.container = Container{"DOCKER", {}};
      },
      "/container/type", kDockerNotSupported);
  ExpectError(
      [](AppDefinition& a) {
        a.container = Container{"RKT", {}};
      },
      "/container/type", "is not one of (MESOS,DOCKER)");
  ExpectError(
      [](AppDefinition& a) {
        a.container = Container{"MESOS", {{"", "/h", "RX"}}};
      },
      "/container/volumes(0)/containerPath", "must not be empty");
  ExpectError(
      [](AppDefinition& a) {
        a.container = Container{"MESOS", {{"/c", "/h", "RX"}}};
      },
      "/container/volumes(0)/mode", "is not one of (RO,RW)");
  ExpectError([](AppDefinition& a) { a.executor = "//"; }, "/executor",
              "must fully match regular expression '^(//cmd)|(/?[^/]+(/[^/]+)*)|$'");
  AppDefinition cmd_executor = Valid();
  cmd_executor.executor = "//cmd";
  EXPECT_TRUE(ValidateApp(cmd_executor).empty());
}

TEST(AppValidation, FetchUrisMustBeGiven) {
  ExpectError([](AppDefinition& a) { a.fetch = {Artifact{}}; }, "/fetch(0)/uri",
              "must not be empty");
}

TEST(AppValidation, ParseValidAppReportsRefusalsAndRulesTogether) {
  ApiOr<AppDefinition> app = ParseValidApp(
      R"({"id": "/a", "cmd": "x", "cpus": 0, "networks": [{"mode": "container/bridge"}]})");
  ASSERT_FALSE(app.ok());
  EXPECT_EQ(app.error().status, 422);
  EXPECT_TRUE(app.error().Has("/cpus", "is less than 0.001"));
  EXPECT_TRUE(app.error().Has(
      "/networks(0)/mode", "container networking is not supported yet: apps use host networking"));
  // Type errors win: nothing is validated until the JSON reads.
  ApiOr<AppDefinition> typed = ParseValidApp(R"({"id": "/a", "cmd": "x", "cpus": "0"})");
  ASSERT_FALSE(typed.ok());
  EXPECT_EQ(typed.error().status, 400);
  EXPECT_EQ(typed.error().field_errors().size(), 1u);
}

}  // namespace
}  // namespace atl::marathonlike
