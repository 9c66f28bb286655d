// Group JSON (marathonlike/group_json.h): GroupUpdate bodies and the GET /v2/groups shape.
#include "marathonlike/group_json.h"

#include <gtest/gtest.h>

#include "marathonlike/app_json.h"
#include "tests/marathonlike/json_testing.h"

namespace atl::marathonlike {
namespace {

using testing::At;
using testing::ParseForTest;
using testing::StringAt;

GroupUpdate MustParse(std::string_view json, const PathId& base = "/") {
  ApiOr<GroupUpdate> update = ParseValidGroupUpdate(json, base);
  EXPECT_TRUE(update.ok()) << json << "\n" << (update.ok() ? "" : ApiErrorJson(update.error()));
  return update.ok() ? *update : GroupUpdate{};
}

TEST(GroupUpdateJson, RelativeIdsResolveAgainstTheirGroup) {
  GroupUpdate update = MustParse(R"({
    "id": "department-a",
    "dependencies": ["../shared"],
    "apps": [{"id": "common", "cmd": "x", "dependencies": ["db", "/infra/dns"]}],
    "groups": [{"id": "product-a",
                "apps": [{"id": "service-a", "cmd": "x"},
                         {"id": "/department-a/product-a/service-b", "cmd": "x"}]}]})",
                                 "/");
  EXPECT_EQ(update.id, "/department-a");
  EXPECT_EQ(update.dependencies, (std::vector<PathId>{"/shared"}));
  ASSERT_TRUE(update.apps.has_value());
  EXPECT_EQ((*update.apps)[0].id, "/department-a/common");
  // Inside a group update, relative app dependencies resolve against the group.
  EXPECT_EQ((*update.apps)[0].dependencies,
            (std::vector<PathId>{"/department-a/db", "/infra/dns"}));
  ASSERT_TRUE(update.groups.has_value());
  const GroupUpdate& product = (*update.groups)[0];
  EXPECT_EQ(product.id, "/department-a/product-a");
  EXPECT_EQ((*product.apps)[0].id, "/department-a/product-a/service-a");
  EXPECT_EQ((*product.apps)[1].id, "/department-a/product-a/service-b");
  // Apps are full definitions with Marathon's defaults.
  EXPECT_EQ((*product.apps)[0].mem, 128.0);
}

TEST(GroupUpdateJson, TheBodysIdResolvesAgainstTheUrlsGroup) {
  EXPECT_EQ(MustParse(R"({"id": "b"})", "/a").id, "/a/b");
  GroupUpdate no_id = MustParse(R"({"apps": [{"id": "x", "cmd": "y"}]})", "/a");
  EXPECT_FALSE(no_id.id.has_value());
  EXPECT_EQ((*no_id.apps)[0].id, "/a/x");
}

TEST(GroupUpdateJson, ListsArePresentOnlyWhenGiven) {
  GroupUpdate update = MustParse(R"({"id": "/g", "scaleBy": 1.5, "enforceRole": true,
                                     "version": "2015-09-29T15:59:51.164Z"})");
  EXPECT_FALSE(update.apps.has_value());
  EXPECT_FALSE(update.groups.has_value());
  EXPECT_FALSE(update.dependencies.has_value());
  EXPECT_EQ(update.scale_by, 1.5);
  EXPECT_EQ(update.enforce_role, true);
  EXPECT_EQ(update.version, ParseIso8601("2015-09-29T15:59:51.164Z"));
  GroupUpdate empty = MustParse(R"({"id": "/g", "apps": [], "groups": [], "dependencies": []})");
  EXPECT_EQ(empty.apps, std::vector<AppDefinition>{});
  EXPECT_EQ(empty.groups, std::vector<GroupUpdate>{});
}

TEST(GroupUpdateJson, TypeErrorsCarryNestedPaths) {
  ApiOr<GroupUpdate> update = ParseGroupUpdate(R"({"id": "/g", "scaleBy": "2",
      "groups": [{"apps": [{"id": "a", "cmd": "x"}, {"id": "b", "cpus": "1"}]}]})");
  ASSERT_FALSE(update.ok());
  const ApiError& e = update.error();
  EXPECT_EQ(e.status, 400);
  EXPECT_TRUE(e.Has("/scaleBy", "error.expected.jsnumber"));
  EXPECT_TRUE(e.Has("/groups(0)/id", "error.path.missing"));
  EXPECT_TRUE(e.Has("/groups(0)/apps(1)/cpus", "error.expected.jsnumber")) << ApiErrorJson(e);
  ApiOr<GroupUpdate> malformed = ParseGroupUpdate("{\"id\": ");
  ASSERT_FALSE(malformed.ok());
  EXPECT_TRUE(std::holds_alternative<std::string>(malformed.error().details));
}

TEST(GroupUpdateJson, AppsAreValidatedUnderTheirPathAndMustBeChildren) {
  ApiOr<GroupUpdate> update = ParseValidGroupUpdate(R"({"id": "/g", "scaleBy": -1,
      "apps": [{"id": "/other/app", "cmd": "x"}, {"id": "ok", "cmd": "x", "cpus": 0},
               {"id": "net", "cmd": "x", "networks": [{"mode": "container"}]}],
      "groups": [{"id": "/elsewhere"}, {"id": "sub", "apps": [{"id": "deep/er", "cmd": "x"}]}]})");
  ASSERT_FALSE(update.ok());
  const ApiError& e = update.error();
  EXPECT_EQ(e.status, 422);
  EXPECT_TRUE(
      e.Has("/apps(0)/id", "identifier /other/app is not child of /g. Hint: use relative paths."));
  EXPECT_TRUE(e.Has("/apps(1)/cpus", "is less than 0.001"));
  EXPECT_TRUE(e.Has("/apps(2)/networks(0)/mode",
                    "container networking is not supported yet: apps use host networking"));
  EXPECT_TRUE(e.Has("/groups(0)/id",
                    "identifier /elsewhere is not child of /g. Hint: use relative paths."));
  EXPECT_TRUE(e.Has("/groups(1)/apps(0)/id",
                    "identifier /g/sub/deep/er is not child of /g/sub. Hint: use relative paths."));
  EXPECT_TRUE(e.Has("/scaleBy", "is less than 0")) << ApiErrorJson(e);
}

AppDefinition App(const PathId& id) {
  AppDefinition app;
  app.id = id;
  app.cmd = "sleep 1";
  return app;
}

Group Tree() {
  Group root;
  root.version = Timestamp::FromNanoseconds(1443542391164000000);
  Group prod;
  prod.id = "/prod";
  prod.dependencies = {"/infra"};
  prod.enforce_role = true;
  prod.apps["/prod/web"] = App("/prod/web");
  root.groups["/prod"] = prod;
  root.apps["/tool"] = App("/tool");
  return root;
}

TEST(GroupJson, WritesMarathonsGroupInfoShape) {
  rapidjson::Document doc = ParseForTest(GroupToJson(Tree()));
  EXPECT_EQ(StringAt(doc, "/id"), "/");
  EXPECT_EQ(StringAt(doc, "/apps/0/id"), "/tool");
  EXPECT_EQ(StringAt(doc, "/apps/0/networks/0/mode"), "host");  // full app shape
  EXPECT_EQ(StringAt(doc, "/groups/0/id"), "/prod");
  EXPECT_EQ(StringAt(doc, "/groups/0/apps/0/id"), "/prod/web");
  EXPECT_EQ(StringAt(doc, "/groups/0/dependencies/0"), "/infra");
  EXPECT_TRUE(At(doc, "/groups/0/enforceRole")->GetBool());
  EXPECT_TRUE(At(doc, "/pods")->IsArray());
  EXPECT_EQ(At(doc, "/pods")->Size(), 0u);
  EXPECT_TRUE(At(doc, "/dependencies")->IsArray());
  EXPECT_EQ(StringAt(doc, "/version"), "2015-09-29T15:59:51.164Z");
  EXPECT_FALSE(At(doc, "/enforceRole")->GetBool());
  // Keys in Marathon's order.
  std::string json = GroupToJson(Group{});
  EXPECT_EQ(json, R"({"id":"/","apps":[],"groups":[],"pods":[],"dependencies":[],)"
                  R"("version":"1970-01-01T00:00:00.000Z","enforceRole":false})");
}

TEST(GroupJson, EmbedOptionsAndAppExtras) {
  GroupWriteOptions options;
  options.groups = false;
  options.pods = false;
  options.app_extras = [](api::JsonWriter& w, const AppDefinition& app) {
    w.Key("tasksRunning").Int(app.id == "/tool" ? 3 : 0);
  };
  rapidjson::Document doc = ParseForTest(GroupToJson(Tree(), options));
  EXPECT_EQ(At(doc, "/groups"), nullptr);
  EXPECT_EQ(At(doc, "/pods"), nullptr);
  EXPECT_EQ(At(doc, "/apps/0/tasksRunning")->GetInt(), 3);
  options.apps = false;
  EXPECT_EQ(At(ParseForTest(GroupToJson(Tree(), options)), "/apps"), nullptr);
}

}  // namespace
}  // namespace atl::marathonlike
