#include "marathonlike/task_json.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/base/time.h"
#include "tests/marathonlike/json_testing.h"

namespace atl::marathonlike {
namespace {

using testing::At;
using testing::ParseForTest;
using testing::StringAt;

Timestamp Iso(const char* text) { return *ParseIso8601(text); }

// The task of raml/v2/examples/app_tasks.json.
TaskView ExampleTask() {
  TaskView t;
  t.app_id = "/minecraft/survival-world";
  t.host = "srv7.hw.ca1.mesosphere.com";
  t.id = "minecraft_survival-world.instance-564bd685-4c30-11e5-98c1-be5b2935a987";
  t.ports = {31756};
  t.agent_id = "agent0";
  t.staged_at = Iso("2015-08-26T20:23:39.463Z");
  t.started_at = Iso("2015-08-26T20:23:44.678Z");
  t.version = Iso("2015-04-17T04:00:14.171Z");
  t.state = "TASK_STAGING";
  t.region = "primary";
  t.zone = "a";
  t.role = "*";
  return t;
}

std::set<std::string> Keys(const rapidjson::Value& object) {
  std::set<std::string> keys;
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    keys.insert(it->name.GetString());
  }
  return keys;
}

TEST(TaskJsonTest, TheExampleTaskIsWrittenExactly) {
  EXPECT_EQ(TaskToJson(ExampleTask()),
            R"({"appId":"/minecraft/survival-world","host":"srv7.hw.ca1.mesosphere.com",)"
            R"("id":"minecraft_survival-world.instance-564bd685-4c30-11e5-98c1-be5b2935a987",)"
            R"("ports":[31756],"slaveId":"agent0","stagedAt":"2015-08-26T20:23:39.463Z",)"
            R"("startedAt":"2015-08-26T20:23:44.678Z","version":"2015-04-17T04:00:14.171Z",)"
            R"("state":"TASK_STAGING","region":"primary","zone":"a","role":"*"})");
}

TEST(TaskJsonTest, HasTheKeysOfTheReferenceExample) {
  auto dir = testing::ReferenceDir();
  if (!dir) GTEST_SKIP() << "no Marathon reference folder";
  auto example = ParseForTest(testing::ReadFile(*dir / "raml/v2/examples/app_tasks.json"));
  auto ours = ParseForTest(TaskToJson(ExampleTask()));
  const rapidjson::Value& theirs = example["tasks"][0];
  EXPECT_EQ(Keys(ours), Keys(theirs));
  for (auto it = theirs.MemberBegin(); it != theirs.MemberEnd(); ++it) {
    EXPECT_TRUE(ours[it->name] == it->value) << it->name.GetString();
  }
}

TEST(TaskJsonTest, AMinimalTaskHasOnlyTheRequiredMembers) {
  TaskView t;
  t.id = "web.instance-1._app.1";
  t.app_id = "/web";
  t.state = "TASK_STAGING";
  t.role = "*";
  auto doc = ParseForTest(TaskToJson(t));
  EXPECT_EQ(Keys(doc), (std::set<std::string>{"appId", "host", "id", "ports", "state", "role"}));
  EXPECT_TRUE(At(doc, "/ports")->IsArray());
  EXPECT_EQ(At(doc, "/ports")->Size(), 0u);
}

TEST(TaskJsonTest, WritesServicePortsIpAddressesAndHealth) {
  TaskView t = ExampleTask();
  t.id = "minecraft_survival-world.instance-564bd685._app.3";
  t.service_ports = {10019};
  t.ip_addresses = {{"10.0.0.7", "IPv4"}, {"fe80::1", "IPv6"}};
  TaskHealthResult ok;
  ok.alive = true;
  ok.first_success = Iso("2015-08-26T20:24:00.000Z");
  ok.last_success = Iso("2015-08-26T20:25:00.001Z");
  TaskHealthResult bad;
  bad.consecutive_failures = 2;
  bad.last_failure = Iso("2015-08-26T20:25:01.5Z");
  bad.last_failure_cause = "ConnectionRefused";
  t.health_check_results = {ok, bad};
  auto doc = ParseForTest(TaskToJson(t));
  EXPECT_EQ(At(doc, "/servicePorts/0")->GetInt(), 10019);
  EXPECT_EQ(StringAt(doc, "/ipAddresses/1/ipAddress"), "fe80::1");
  EXPECT_EQ(StringAt(doc, "/ipAddresses/1/protocol"), "IPv6");
  EXPECT_EQ(StringAt(doc, "/healthCheckResults/0/instanceId"),
            "minecraft_survival-world.instance-564bd685");
  EXPECT_TRUE(At(doc, "/healthCheckResults/0/alive")->GetBool());
  EXPECT_EQ(At(doc, "/healthCheckResults/0/consecutiveFailures")->GetInt(), 0);
  EXPECT_EQ(StringAt(doc, "/healthCheckResults/0/firstSuccess"), "2015-08-26T20:24:00.000Z");
  EXPECT_EQ(StringAt(doc, "/healthCheckResults/0/lastSuccess"), "2015-08-26T20:25:00.001Z");
  EXPECT_EQ(At(doc, "/healthCheckResults/0/lastFailure"), nullptr);
  EXPECT_EQ(At(doc, "/healthCheckResults/0/lastFailureCause"), nullptr);
  EXPECT_FALSE(At(doc, "/healthCheckResults/1/alive")->GetBool());
  EXPECT_EQ(At(doc, "/healthCheckResults/1/consecutiveFailures")->GetInt(), 2);
  EXPECT_EQ(StringAt(doc, "/healthCheckResults/1/lastFailure"), "2015-08-26T20:25:01.500Z");
  EXPECT_EQ(StringAt(doc, "/healthCheckResults/1/lastFailureCause"), "ConnectionRefused");
  EXPECT_EQ(At(doc, "/healthCheckResults/1/firstSuccess"), nullptr);
}

TEST(TaskJsonTest, HealthOfAnUnparsableTaskIdUsesTheWholeId) {
  TaskView t = ExampleTask();
  t.id = "legacy.4711";
  t.health_check_results = {TaskHealthResult{}};
  auto doc = ParseForTest(TaskToJson(t));
  EXPECT_EQ(StringAt(doc, "/healthCheckResults/0/instanceId"), "legacy.4711");
}

}  // namespace
}  // namespace atl::marathonlike
