// Golden tests over Marathon's own example definitions (reference/marathon/examples): every app
// and group file is either read, validated and written back with Marathon's defaults, or refused
// with the specific 422 naming what is not supported. Our output is checked against Marathon's
// JSON Schema (schema/AppDefinition.json, additionalProperties: false), read with our own JSON
// reader. Skips when the reference folder is absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <regex>
#include <set>

#include "core/api/json_internal.h"
#include "core/base/strings.h"
#include "marathonlike/app_json.h"
#include "marathonlike/app_validation.h"
#include "marathonlike/group_json.h"
#include "tests/marathonlike/json_testing.h"

namespace atl::marathonlike {
namespace {

namespace fs = std::filesystem;
using testing::At;
using testing::ParseForTest;
using testing::ReadFile;
using testing::ReferenceDir;
using testing::StringAt;

#define SKIP_WITHOUT_REFERENCE()                      \
  std::optional<fs::path> reference = ReferenceDir(); \
  if (!reference.has_value()) GTEST_SKIP() << "no Marathon reference data"

std::vector<fs::path> FilesIn(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

const std::string kDocker(kDockerNotSupported);
const std::string kDockerImage =
    "Docker images are not supported yet: use a command (cmd/args) app";
const std::string kIpAddress =
    "ipAddress (IP per task) is not supported yet: apps use host networking";
const std::string kPersistent = "persistent volumes are not supported yet";

// The examples we refuse, with (path, error) pairs the 422 must contain.
const std::map<std::string, std::vector<std::pair<std::string, std::string>>> kRefused = {
    {"app-with-https-readiness-checks.json", {{"/container/type", kDocker}}},
    {"docker-http-server.json", {{"/container/type", kDocker}}},
    {"docker-nginx-ssl.json", {{"/container/type", kDocker}}},
    {"external-volume-mesos-app.json",
     {{"/container/volumes(0)/external", "external volumes are not supported yet"}}},
    {"healthcheck-and-volume.json",
     {{"/container/type", kDocker},
      {"/container/volumes(0)/persistent", kPersistent},
      {"/ipAddress", kIpAddress}}},
    {"ipv6-healthcheck.json",
     {{"/container/type", kDocker},
      {"/networks(0)/mode",
       "container networking is not supported yet: apps use host networking"}}},
    {"legacy-Tomcat-Docker.json", {{"/container/type", kDocker}}},
    {"legacy-bridge.json", {{"/container/type", kDocker}}},
    {"persistent-volume-app.json", {{"/container/volumes(0)/persistent", kPersistent}}},
    {"pinger-bridge-app.json", {{"/container/type", kDocker}}},
    {"pinger-container-app.json", {{"/ipAddress", kIpAddress}}},
    {"private-docker-app.json", {{"/container/type", kDocker}}},
    {"private-ucr-docker-app.json",
     {{"/container/docker", kDockerImage}, {"/secrets", "secrets are not supported yet"}}},
    {"resident-docker-app.json",
     {{"/container/type", kDocker},
      {"/container/volumes(0)/persistent", kPersistent},
      {"/ipAddress", kIpAddress},
      {"/residency", "resident apps (persistent volumes) are not supported yet"}}},
    {"ucr-docker-http-server.json", {{"/container/docker", kDockerImage}}},
};

// The examples we run, with facts about what they become.
const std::map<std::string, std::function<void(const AppDefinition&, const rapidjson::Value&)>>
    kSupported = {
        {"articles-app-simple.json",
         [](const AppDefinition& app, const rapidjson::Value& out) {
           EXPECT_EQ(app.id, "/simple");
           EXPECT_EQ(app.instances, 2);
           EXPECT_EQ(At(out, "/cpus")->GetDouble(), 0.1);
           EXPECT_EQ(At(out, "/mem")->GetInt(), 16);
           EXPECT_EQ(StringAt(out, "/portDefinitions/0/name"), "default");
         }},
        {"fake-framework.json",
         [](const AppDefinition& app, const rapidjson::Value& out) {
           EXPECT_EQ(app.labels.at("MARATHON_SINGLE_INSTANCE_APP"), "true");
           EXPECT_EQ(app.readiness_checks[0].port_name, "api");
           EXPECT_EQ(app.readiness_checks[0].http_status_codes_for_ready, std::vector<int>{200});
           EXPECT_EQ(At(out, "/healthChecks/0/maxConsecutiveFailures")->GetInt(), 0);
           EXPECT_EQ(At(out, "/upgradeStrategy/maximumOverCapacity")->GetInt(), 0);
         }},
        {"http-server.json",
         [](const AppDefinition& app, const rapidjson::Value&) {
           EXPECT_EQ(app.cmd, "/opt/mesosphere/bin/python -m http.server $PORT0");
         }},
        {"large-sleep.json",
         [](const AppDefinition& app, const rapidjson::Value& out) {
           EXPECT_EQ(app.id, "/sleep");  // relative id resolved against the root
           EXPECT_EQ(At(out, "/cpus")->GetDouble(), 3.5);
         }},
        {"legacy-Play.json",
         [](const AppDefinition& app, const rapidjson::Value& out) {
           EXPECT_EQ(app.id, "/hello-play");
           EXPECT_TRUE(At(out, "/fetch/0/extract")->GetBool());
           EXPECT_FALSE(At(out, "/fetch/0/executable")->GetBool());
           EXPECT_FALSE(At(out, "/fetch/0/cache")->GetBool());
         }},
        {"legacy-PythonSimpleHTTPServer.json",
         [](const AppDefinition& app, const rapidjson::Value& out) {
           EXPECT_EQ(app.constraints,
                     (std::vector<std::vector<std::string>>{{"hostname", "UNIQUE"}}));
           EXPECT_EQ(StringAt(out, "/constraints/0/1"), "UNIQUE");
         }},
        {"legacy-Rails.json",
         [](const AppDefinition& app, const rapidjson::Value& out) {
           EXPECT_EQ(app.env.at("RAILS_ENV"), "production");
           EXPECT_EQ(StringAt(out, "/env/RAILS_ENV"), "production");
         }},
        {"legacy-Tomcat.json", [](const AppDefinition& app,
                                  const rapidjson::Value&) { EXPECT_EQ(app.fetch.size(), 2u); }},
        {"legacy-labels.json",
         [](const AppDefinition& app, const rapidjson::Value& out) {
           EXPECT_EQ(app.labels.size(), 7u);
           EXPECT_EQ(StringAt(out, "/labels/DO"), "a deer, a female deer");
         }},
        {"mesos-app.json",
         [](const AppDefinition& app, const rapidjson::Value& out) {
           ASSERT_TRUE(app.container.has_value());
           EXPECT_EQ(StringAt(out, "/container/type"), "MESOS");
           EXPECT_EQ(At(out, "/container/volumes")->Size(), 0u);
         }},
        {"pinger-localhost-app.json",
         [](const AppDefinition& app, const rapidjson::Value& out) {
           EXPECT_TRUE(app.require_ports);
           EXPECT_EQ(At(out, "/portDefinitions/0/port")->GetInt(), 7777);
           EXPECT_EQ(StringAt(out, "/portDefinitions/0/name"), "api");
         }},
        {"readiness-and-health-app.json",
         [](const AppDefinition& app, const rapidjson::Value& out) {
           EXPECT_EQ(app.health_checks[0].port_index, 0);
           EXPECT_EQ(StringAt(out, "/readinessChecks/0/name"), "readiness");
           EXPECT_EQ(At(out, "/readinessChecks/0/timeoutSeconds")->GetInt(), 1);
         }},
        {"sleep-app.json",
         [](const AppDefinition& app, const rapidjson::Value&) { EXPECT_EQ(app.cpus, 0.01); }},
        {"unique-sleep.json", [](const AppDefinition& app,
                                 const rapidjson::Value&) { EXPECT_EQ(app.id, "/unique-sleep"); }},
};

// Members every GET answer has, with Marathon's defaults where the examples leave them out.
void ExpectMarathonDefaults(const rapidjson::Value& out) {
  EXPECT_EQ(At(out, "/backoffFactor")->GetDouble(), 1.15);
  EXPECT_EQ(At(out, "/backoffSeconds")->GetInt(), 1);
  EXPECT_EQ(At(out, "/maxLaunchDelaySeconds")->GetInt(), 300);
  EXPECT_EQ(StringAt(out, "/executor"), "");
  EXPECT_EQ(At(out, "/gpus")->GetInt(), 0);
  EXPECT_EQ(StringAt(out, "/networks/0/mode"), "host");
  EXPECT_EQ(At(out, "/networks")->Size(), 1u);
  EXPECT_EQ(StringAt(out, "/killSelection"), "YOUNGEST_FIRST");
  EXPECT_EQ(At(out, "/unreachableStrategy/inactiveAfterSeconds")->GetInt(), 0);
  EXPECT_EQ(At(out, "/unreachableStrategy/expungeAfterSeconds")->GetInt(), 0);
  EXPECT_FALSE(At(out, "/requirePorts") == nullptr);
  for (const char* key : {"/labels", "/env"}) EXPECT_TRUE(At(out, key)->IsObject()) << key;
  for (const char* key : {"/healthChecks", "/readinessChecks", "/dependencies", "/constraints",
                          "/fetch", "/portDefinitions"}) {
    EXPECT_TRUE(At(out, key)->IsArray()) << key;
  }
  EXPECT_TRUE(ParseIso8601(StringAt(out, "/version")).has_value());
  EXPECT_TRUE(ParseIso8601(StringAt(out, "/versionInfo/lastScalingAt")).has_value());
  EXPECT_TRUE(ParseIso8601(StringAt(out, "/versionInfo/lastConfigChangeAt")).has_value());
}

// ---- a tiny JSON Schema check: every member we write is declared, with the declared type ----

class SchemaChecker {
 public:
  // `schema` is the root of AppDefinition.json (read with our reader); `extra_top_level` are
  // members declared only by the newer RAML App type (or our extension).
  SchemaChecker(const api::JsonNode& schema, std::set<std::string> extra_top_level)
      : schema_(schema), extra_(std::move(extra_top_level)) {}

  // Problems of `value` against `node`, as "path: problem" lines.
  std::vector<std::string> Check(const api::JsonNode& node, const rapidjson::Value& value,
                                 const std::string& path) const {
    std::vector<std::string> problems;
    CheckInto(node, value, path, &problems);
    return problems;
  }

 private:
  void CheckInto(const api::JsonNode& node, const rapidjson::Value& value, const std::string& path,
                 std::vector<std::string>* problems) const {
    if (api::JsonNode ref = node.Get("$ref"); ref.IsString()) {
      std::string_view target = ref.StringValue();
      if (StartsWith(target, "#/definitions/")) {
        api::JsonNode definitions = schema_.Get("definitions");
        api::JsonNode def = definitions.Get(target.substr(14));
        CheckInto(def, value, path, problems);
      }
      return;
    }
    if (api::JsonNode one_of = node.Get("oneOf"); one_of.IsArray()) {
      bool any = false;
      for (size_t i = 0; i < one_of.Size() && !any; ++i) {
        api::JsonNode alternative = one_of.At(i);
        any = Check(alternative, value, path).empty();
      }
      if (!any) problems->push_back(path + ": matches no oneOf alternative");
      return;
    }
    if (api::JsonNode type = node.Get("type");
        type.IsString() && !HasType(value, type.StringValue())) {
      problems->push_back(StrCat(path, ": not of type ", type.StringValue()));
      return;
    }
    if (api::JsonNode e = node.Get("enum"); e.IsArray() && value.IsString()) {
      bool found = false;
      for (size_t i = 0; i < e.Size(); ++i) {
        api::JsonNode option = e.At(i);
        found |= option.IsString() && option.StringValue() == value.GetString();
      }
      if (!found) problems->push_back(StrCat(path, ": '", value.GetString(), "' not in enum"));
    }
    if (value.IsObject()) {
      api::JsonNode properties = node.Get("properties");
      api::JsonNode patterns = node.Get("patternProperties");
      api::JsonNode additional = node.Get("additionalProperties");
      for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) {
        std::string key(it->name.GetString(), it->name.GetStringLength());
        std::string child = path + "/" + key;
        api::JsonNode declared = properties.Get(key);
        if (declared.IsObject()) {
          CheckInto(declared, it->value, child, problems);
        } else if (patterns.IsObject()) {
          api::JsonNode any = patterns.Get(".*");
          if (any.IsObject()) CheckInto(any, it->value, child, problems);
        } else if (additional.IsObject()) {
          CheckInto(additional, it->value, child, problems);
        } else if (additional.IsBool() && !additional.BoolValue() &&
                   !(path.empty() && extra_.count(key) > 0)) {
          problems->push_back(child + ": not declared by the schema");
        }
      }
    }
    if (value.IsArray()) {
      api::JsonNode items = node.Get("items");
      for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
        std::string child = StrCat(path, "/", i);
        if (items.IsObject()) {
          CheckInto(items, value[i], child, problems);
        } else if (items.IsArray() && i < items.Size()) {
          api::JsonNode item = items.At(i);
          CheckInto(item, value[i], child, problems);
        }
      }
    }
  }

  static bool HasType(const rapidjson::Value& v, std::string_view type) {
    if (type == "string") return v.IsString();
    if (type == "integer") return v.IsInt64() || v.IsUint64();
    if (type == "number") return v.IsNumber();
    if (type == "boolean") return v.IsBool();
    if (type == "array") return v.IsArray();
    if (type == "object") return v.IsObject();
    return true;
  }

  const api::JsonNode& schema_;
  std::set<std::string> extra_;
};

// Top-level members the RAML App type (raml/v2/types/app.raml, newer than the JSON Schema)
// declares: lines "      name?:" or "      name:" inside `App:`'s properties.
std::set<std::string> RamlAppProperties(const fs::path& raml) {
  std::string text = ReadFile(raml);
  size_t start = text.find("\n  App:\n");
  size_t end = text.find("\n  AppList:\n");
  EXPECT_NE(start, std::string::npos);
  std::set<std::string> names;
  std::regex property("^      ([A-Za-z]+)\\??:");
  for (std::string_view line : Split(std::string_view(text).substr(start, end - start), '\n')) {
    std::match_results<std::string_view::const_iterator> m;
    if (std::regex_search(line.begin(), line.end(), m, property)) names.insert(m[1].str());
  }
  return names;
}

// The problems of `json` (our output for an app) against AppDefinition.json.
std::vector<std::string> SchemaProblems(const fs::path& reference, const std::string& json) {
  std::set<std::string> extras = RamlAppProperties(reference / "raml/v2/types/app.raml");
  EXPECT_TRUE(extras.count("role") && extras.count("resourceLimits") && extras.count("networks"));
  extras.insert("deploymentProgressDeadlineSeconds");  // our extension
  rapidjson::Document out = ParseForTest(json);
  std::string schema_text = ReadFile(reference / "schema/AppDefinition.json");
  std::vector<std::string> problems;
  absl::Status status = api::ParseJsonDocument(schema_text, "", [&](const api::JsonNode& schema) {
    problems = SchemaChecker(schema, extras).Check(schema, out, "");
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  return problems;
}

void ExpectMatchesSchema(const fs::path& reference, const std::string& json) {
  std::vector<std::string> problems = SchemaProblems(reference, json);
  EXPECT_TRUE(problems.empty()) << Join(problems, "\n") << "\n" << json;
}

TEST(MarathonExamples, TheSchemaCheckFindsUndeclaredAndMistypedMembers) {
  SKIP_WITHOUT_REFERENCE();
  std::vector<std::string> problems = SchemaProblems(*reference, R"({"id": "/a", "bogus": 1,
      "cpus": "1", "healthChecks": [{"protocol": "GRPC", "extra": true}],
      "upgradeStrategy": {"minimumHealthCapacity": 1, "x": 0}, "unreachableStrategy": "never",
      "role": "r"})");
  EXPECT_EQ(problems, (std::vector<std::string>{
                          "/bogus: not declared by the schema",
                          "/cpus: not of type number",
                          "/healthChecks/0/protocol: 'GRPC' not in enum",
                          "/healthChecks/0/extra: not declared by the schema",
                          "/upgradeStrategy/x: not declared by the schema",
                          "/unreachableStrategy: matches no oneOf alternative",
                      }));
}

TEST(MarathonExamples, EveryExampleAppIsRunOrRefusedWithAClearReason) {
  SKIP_WITHOUT_REFERENCE();
  std::vector<fs::path> files = FilesIn(*reference / "examples/apps");
  ASSERT_FALSE(files.empty());
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.filename().string());
    std::string name = file.filename().string();
    ApiOr<AppDefinition> app = ParseValidApp(ReadFile(file));
    if (auto refused = kRefused.find(name); refused != kRefused.end()) {
      ASSERT_FALSE(app.ok());
      EXPECT_EQ(app.error().status, 422);
      for (const auto& [path, error] : refused->second) {
        EXPECT_TRUE(app.error().Has(path, error)) << path << ": " << error << "\n"
                                                  << ApiErrorJson(app.error());
      }
      continue;
    }
    auto supported = kSupported.find(name);
    ASSERT_NE(supported, kSupported.end()) << "a new example: classify it in this test";
    ASSERT_TRUE(app.ok()) << ApiErrorJson(app.error());
    std::string json = AppToJson(*app);
    rapidjson::Document out = ParseForTest(json);
    ExpectMarathonDefaults(out);
    supported->second(*app, out);
    ExpectMatchesSchema(*reference, json);
    // What we write reads back to the same definition.
    ApiOr<AppDefinition> again = ParseValidApp(json);
    ASSERT_TRUE(again.ok()) << ApiErrorJson(again.error());
    EXPECT_EQ(*again, *app);
  }
  EXPECT_EQ(files.size(), kRefused.size() + kSupported.size());
}

TEST(MarathonExamples, EveryExampleGroupParsesValidatesAndResolvesIds) {
  SKIP_WITHOUT_REFERENCE();
  std::vector<fs::path> files = FilesIn(*reference / "examples/groups");
  ASSERT_EQ(files.size(), 2u) << "a new example: add its expectations here";
  std::map<std::string, GroupUpdate> updates;
  for (const fs::path& file : files) {
    ApiOr<GroupUpdate> update = ParseValidGroupUpdate(ReadFile(file));
    ASSERT_TRUE(update.ok()) << file << "\n" << ApiErrorJson(update.error());
    updates[file.filename().string()] = *update;
  }
  const GroupUpdate& legacy = updates.at("legacy-Group.json");
  EXPECT_EQ(legacy.id, "/department-a");
  EXPECT_EQ((*legacy.apps)[0].id, "/department-a/service-common");
  ASSERT_EQ((*legacy.apps)[0].port_definitions.size(), 1u);  // "ports": [0]
  EXPECT_EQ((*legacy.apps)[0].port_definitions[0], (PortDefinition{0, "tcp", std::nullopt, {}}));
  const GroupUpdate& product = (*legacy.groups)[0];
  EXPECT_EQ(product.id, "/department-a/product-a");
  EXPECT_EQ((*product.apps)[1].id, "/department-a/product-a/service-b");
  EXPECT_EQ((*product.apps)[1].dependencies,
            std::vector<PathId>{"/department-b/product-a/service-a"});

  const GroupUpdate& sleep = updates.at("sleep-group.json");
  EXPECT_EQ(sleep.id, "/sleep-group");
  EXPECT_EQ(sleep.apps, std::vector<AppDefinition>{});
  const GroupUpdate& inner = (*sleep.groups)[0];
  EXPECT_EQ(inner.id, "/sleep-group/sleep");
  EXPECT_EQ((*inner.apps)[1].id, "/sleep-group/sleep/goodnight-2");
  EXPECT_EQ((*inner.apps)[1].cpus, 0.01);
}

TEST(MarathonExamples, PodsAreNotApps) {
  SKIP_WITHOUT_REFERENCE();
  for (const fs::path& file : FilesIn(*reference / "examples/pods")) {
    ApiOr<AppDefinition> app = ParseValidApp(ReadFile(file));
    ASSERT_FALSE(app.ok()) << file;
    EXPECT_EQ(app.error().status, 422) << file;
    EXPECT_TRUE(app.error().Has(
        "/", "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'."))
        << file << "\n"
        << ApiErrorJson(app.error());
  }
}

TEST(MarathonExamples, RamlExampleAppIsRefusedForEachUnsupportedFeature) {
  SKIP_WITHOUT_REFERENCE();
  // raml/v2/examples/app.json uses nearly everything at once.
  ApiOr<AppDefinition> app = ParseValidApp(ReadFile(*reference / "raml/v2/examples/app.json"));
  ASSERT_FALSE(app.ok());
  const ApiError& e = app.error();
  EXPECT_TRUE(e.Has("/container/type", kDocker));
  EXPECT_TRUE(e.Has("/env/PASSWORD", "secret references are not supported yet"));
  EXPECT_TRUE(e.Has("/secrets", "secrets are not supported yet"));
  EXPECT_TRUE(e.Has("/ipAddress", kIpAddress));
  EXPECT_TRUE(e.Has("/tty", "tty is not supported yet"));
  EXPECT_TRUE(e.Has("/",
                    "AppDefinition must either contain one of 'cmd' or 'args', and/or a "
                    "'container'."));  // it has both
  // Its patch example is a valid partial update.
  ApiOr<AppPatch> patch = ParseAppPatch(ReadFile(*reference / "raml/v2/examples/app_patch.json"));
  ASSERT_TRUE(patch.ok());
  EXPECT_EQ(patch->present, std::set<std::string>{"instances"});
}

TEST(MarathonExamples, OutputWithEveryOptionalMemberMatchesTheSchema) {
  SKIP_WITHOUT_REFERENCE();
  ApiOr<AppDefinition> app = ParseValidApp(R"({
    "id": "/prod/web", "args": ["serve"], "user": "www", "role": "prod",
    "acceptedResourceRoles": ["*"], "container": {"type": "MESOS", "volumes": [
      {"containerPath": "/c", "hostPath": "/h", "mode": "RO"}]},
    "taskKillGracePeriodSeconds": 3, "resourceLimits": {"cpus": "unlimited", "mem": 512},
    "deploymentProgressDeadlineSeconds": 60, "constraints": [["rack", "GROUP_BY", "2"]],
    "fetch": [{"uri": "http://h/a", "destPath": "a"}], "env": {"A": "b"}, "labels": {"l": "v"},
    "dependencies": ["/prod/db"],
    "portDefinitions": [{"port": 0, "name": "http", "labels": {"VIP_0": "web:80"}}],
    "healthChecks": [{"protocol": "HTTP", "portIndex": 0},
                     {"protocol": "COMMAND", "command": {"value": "true"}}],
    "readinessChecks": [{"portName": "http", "timeoutSeconds": 1}]})");
  ASSERT_TRUE(app.ok()) << ApiErrorJson(app.error());
  ExpectMatchesSchema(*reference, AppToJson(*app));
  AppDefinition disabled = *app;
  disabled.unreachable_strategy.disabled = true;
  ExpectMatchesSchema(*reference, AppToJson(disabled));
}

}  // namespace
}  // namespace atl::marathonlike
