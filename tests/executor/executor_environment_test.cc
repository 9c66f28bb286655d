// The command executor's configuration from the environment its agent sets
// (reference/mesos.md §2.2), and Mesos duration strings.
#include "core/executor/executor_environment.h"

#include <gtest/gtest.h>

#include "core/base/random.h"

namespace atl::executor {
namespace {

TEST(ParseMesosDuration, ReadsStoutUnits) {
  EXPECT_EQ(*ParseMesosDuration("15mins"), Duration::Minutes(15));
  EXPECT_EQ(*ParseMesosDuration("2secs"), Duration::Seconds(2));
  EXPECT_EQ(*ParseMesosDuration("100ms"), Duration::Milliseconds(100));
  EXPECT_EQ(*ParseMesosDuration("1.5hrs"), Duration::Minutes(90));
  EXPECT_EQ(*ParseMesosDuration("3days"), Duration::Days(3));
  EXPECT_EQ(*ParseMesosDuration("1weeks"), Duration::Days(7));
  EXPECT_EQ(*ParseMesosDuration("250us"), Duration::Microseconds(250));
  EXPECT_EQ(*ParseMesosDuration("7ns"), Duration::Nanoseconds(7));
}

TEST(ParseMesosDuration, ReadsWhatDurationToStringPrints) {
  EXPECT_EQ(*ParseMesosDuration(Duration::Seconds(5).ToString()), Duration::Seconds(5));
  EXPECT_EQ(*ParseMesosDuration(Duration::Milliseconds(1500).ToString()),
            Duration::Milliseconds(1500));
  EXPECT_EQ(*ParseMesosDuration("5s"), Duration::Seconds(5));
}

TEST(ParseMesosDuration, RejectsJunkWithTheValue) {
  EXPECT_EQ(ParseMesosDuration("15x").status().message(), "unknown duration unit 'x' in '15x'");
  EXPECT_EQ(ParseMesosDuration("abc").status().message(), "invalid duration 'abc'");
  EXPECT_EQ(ParseMesosDuration("-5secs").status().message(), "invalid duration '-5secs'");
  EXPECT_EQ(ParseMesosDuration("15").status().message(),
            "duration '15' has no unit (e.g. '2secs')");
  EXPECT_FALSE(ParseMesosDuration("").ok());
  EXPECT_FALSE(ParseMesosDuration("1.2.3secs").ok());
}

std::vector<std::string> AgentEnvironment() {
  return {"PATH=/usr/bin:/bin",
          "MESOS_FRAMEWORK_ID=F1",
          "MESOS_EXECUTOR_ID=web.1",
          "MESOS_DIRECTORY=/work/slaves/S1/frameworks/F1/executors/web.1/runs/c1",
          "MESOS_SANDBOX=/work/slaves/S1/frameworks/F1/executors/web.1/runs/c1",
          "MESOS_AGENT_ENDPOINT=127.0.0.1:5051",
          "MESOS_SLAVE_ID=S1",
          "MESOS_CHECKPOINT=1",
          "MESOS_HTTP_COMMAND_EXECUTOR=1",
          "MESOS_RECOVERY_TIMEOUT=15mins",
          "MESOS_SUBSCRIPTION_BACKOFF_MAX=2secs",
          "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD=5secs"};
}

TEST(ReadExecutorEnvironment, ReadsEverythingTheAgentSets) {
  const std::vector<std::string> env = AgentEnvironment();
  absl::StatusOr<ExecutorEnvironment> e = ReadExecutorEnvironment(env);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->agent_host, "127.0.0.1");
  EXPECT_EQ(e->agent_port, 5051);
  const CommandExecutorOptions& o = e->options;
  EXPECT_EQ(o.framework_id.value(), "F1");
  EXPECT_EQ(o.executor_id.value(), "web.1");
  EXPECT_EQ(o.agent_id, model::AgentId("S1"));
  EXPECT_EQ(o.sandbox, "/work/slaves/S1/frameworks/F1/executors/web.1/runs/c1");
  EXPECT_TRUE(o.checkpoint);
  EXPECT_EQ(o.recovery_timeout, Duration::Minutes(15));
  EXPECT_EQ(o.subscription_backoff_max, Duration::Seconds(2));
  EXPECT_EQ(o.shutdown_grace_period, Duration::Seconds(5));
  EXPECT_EQ(o.environment, env);
  EXPECT_EQ(o.seed, StableHash("F1/web.1"));
}

TEST(ReadExecutorEnvironment, OptionalVariablesKeepTheirDefaults) {
  absl::StatusOr<ExecutorEnvironment> e = ReadExecutorEnvironment(
      {"MESOS_FRAMEWORK_ID=F1", "MESOS_EXECUTOR_ID=e", "MESOS_DIRECTORY=/sb",
       "MESOS_AGENT_ENDPOINT=[::1]:5051", "MESOS_CHECKPOINT=0"});
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->agent_host, "::1");
  EXPECT_EQ(e->options.sandbox, "/sb") << "MESOS_DIRECTORY stands in for MESOS_SANDBOX";
  EXPECT_FALSE(e->options.checkpoint);
  EXPECT_FALSE(e->options.agent_id.has_value());
  CommandExecutorOptions defaults;
  EXPECT_EQ(e->options.recovery_timeout, defaults.recovery_timeout);
  EXPECT_EQ(e->options.subscription_backoff_max, defaults.subscription_backoff_max);
  EXPECT_EQ(e->options.shutdown_grace_period, defaults.shutdown_grace_period);
}

TEST(ReadExecutorEnvironment, ListsEveryProblem) {
  absl::StatusOr<ExecutorEnvironment> e = ReadExecutorEnvironment(
      {"MESOS_FRAMEWORK_ID=F1", "MESOS_AGENT_ENDPOINT=localhost", "MESOS_RECOVERY_TIMEOUT=15x",
       "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD=soon"});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(e.status().message(),
            "MESOS_EXECUTOR_ID: required\n"
            "MESOS_AGENT_ENDPOINT: expected 'ip:port' (e.g. 127.0.0.1:5051), got 'localhost'\n"
            "MESOS_SANDBOX: required (or MESOS_DIRECTORY)\n"
            "MESOS_RECOVERY_TIMEOUT: unknown duration unit 'x' in '15x'\n"
            "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: invalid duration 'soon'");
}

TEST(ReadExecutorEnvironment, RejectsABadPort) {
  for (const char* endpoint : {"127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:http", ":5051"}) {
    std::vector<std::string> env = AgentEnvironment();
    env.push_back(std::string("MESOS_AGENT_ENDPOINT=") + endpoint);
    // The first occurrence wins (getenv): put the bad one first.
    std::swap(env.front(), env.back());
    EXPECT_FALSE(ReadExecutorEnvironment(env).ok()) << endpoint;
  }
}

TEST(ParseMesosBytes, ReadsStoutUnitsAndBareBytes) {
  EXPECT_EQ(*ParseMesosBytes("4096"), 4096u);
  EXPECT_EQ(*ParseMesosBytes("512B"), 512u);
  EXPECT_EQ(*ParseMesosBytes("64KB"), 64u << 10);
  EXPECT_EQ(*ParseMesosBytes("10MB"), 10u << 20);
  EXPECT_EQ(*ParseMesosBytes("2GB"), uint64_t{2} << 30);
  EXPECT_EQ(*ParseMesosBytes("1TB"), uint64_t{1} << 40);
  EXPECT_EQ(ParseMesosBytes("10XB").status().message(),
            "invalid size '10XB' (e.g. '10MB' or '4096')");
  for (const char* bad : {"", "MB", "-1MB", "1.5MB", "10 MB", "99999999999999TB"}) {
    EXPECT_FALSE(ParseMesosBytes(bad).ok()) << bad;
  }
}

TEST(ReadExecutorEnvironment, SandboxLogRotationDefaultsAndOverrides) {
  absl::StatusOr<ExecutorEnvironment> e = ReadExecutorEnvironment(AgentEnvironment());
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->sandbox_log_max_bytes, 10u << 20);
  EXPECT_EQ(e->sandbox_log_max_files, 5);

  std::vector<std::string> env = AgentEnvironment();
  env.push_back("ATOLL_SANDBOX_LOG_MAX_BYTES=2MB");
  env.push_back("ATOLL_SANDBOX_LOG_MAX_FILES=0");
  e = ReadExecutorEnvironment(env);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->sandbox_log_max_bytes, 2u << 20);
  EXPECT_EQ(e->sandbox_log_max_files, 0);
}

TEST(ReadExecutorEnvironment, RejectsBadSandboxLogRotation) {
  std::vector<std::string> env = AgentEnvironment();
  env.push_back("ATOLL_SANDBOX_LOG_MAX_BYTES=100");
  env.push_back("ATOLL_SANDBOX_LOG_MAX_FILES=many");
  absl::StatusOr<ExecutorEnvironment> e = ReadExecutorEnvironment(env);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(),
            "ATOLL_SANDBOX_LOG_MAX_BYTES: '100' is below the minimum of 4096 bytes\n"
            "ATOLL_SANDBOX_LOG_MAX_FILES: expected 0 to 1000, got 'many'");
  env = AgentEnvironment();
  env.push_back("ATOLL_SANDBOX_LOG_MAX_BYTES=ten");
  env.push_back("ATOLL_SANDBOX_LOG_MAX_FILES=1001");
  e = ReadExecutorEnvironment(env);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(),
            "ATOLL_SANDBOX_LOG_MAX_BYTES: invalid size 'ten' (e.g. '10MB' or '4096')\n"
            "ATOLL_SANDBOX_LOG_MAX_FILES: expected 0 to 1000, got '1001'");
}

}  // namespace
}  // namespace atl::executor
