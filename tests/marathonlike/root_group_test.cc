#include "marathonlike/root_group.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace atl::marathonlike {
namespace {

const Timestamp kT1 = Timestamp::FromNanoseconds(1'000'000'000'000);
const Timestamp kT2 = Timestamp::FromNanoseconds(2'000'000'000'000);
const Timestamp kT3 = Timestamp::FromNanoseconds(3'000'000'000'000);

AppDefinition App(std::string id, int instances = 1, std::vector<PathId> dependencies = {}) {
  AppDefinition app;
  app.id = std::move(id);
  app.cmd = "sleep 1000";
  app.instances = instances;
  app.dependencies = std::move(dependencies);
  return app;
}

Group Put(const Group& root, AppDefinition app, Timestamp now = kT1) {
  absl::StatusOr<Group> out = PutApp(root, std::move(app), now);
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : root;
}

// --- Lookups and put -------------------------------------------------------------------------

TEST(RootGroup, PutAppCreatesMissingParentGroupsLikeMkdirP) {
  Group root = Put(Group{}, App("/prod/web/frontend"));
  ASSERT_NE(FindGroup(root, "/prod"), nullptr);
  ASSERT_NE(FindGroup(root, "/prod/web"), nullptr);
  EXPECT_EQ(FindGroup(root, "/prod/web")->version, kT1);
  ASSERT_NE(FindApp(root, "/prod/web/frontend"), nullptr);
  EXPECT_EQ(FindApp(root, "/prod/web/frontend")->cmd, "sleep 1000");
  EXPECT_EQ(FindApp(root, "/prod/web"), nullptr);
  EXPECT_EQ(FindGroup(root, "/prod/web/frontend"), nullptr);
  EXPECT_EQ(FindGroup(root, "/"), &root);
  EXPECT_TRUE(CheckRoot(root).ok());
}

TEST(RootGroup, TransitiveAppsListsEveryAppUnderAGroup) {
  Group root = Put(Put(Put(Group{}, App("/a/x")), App("/a/b/y")), App("/c"));
  EXPECT_EQ(TransitiveAppIds(root), (std::vector<PathId>{"/a/b/y", "/a/x", "/c"}));
  EXPECT_EQ(TransitiveAppIds(*FindGroup(root, "/a")), (std::vector<PathId>{"/a/b/y", "/a/x"}));
  EXPECT_EQ(TransitiveGroups(root).size(), 3u);  // "/", "/a", "/a/b"
}

TEST(RootGroup, PutAppRefusesTheRootAGroupsIdAndAnAppAsParent) {
  Group root = Put(Group{}, App("/a/b"));
  EXPECT_EQ(PutApp(root, App("/"), kT2).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PutApp(root, App("rel"), kT2).status().code(), absl::StatusCode::kInvalidArgument);
  absl::Status group_id = PutApp(root, App("/a"), kT2).status();
  EXPECT_EQ(group_id.message(), "Groups and Applications may not have the same identifier: /a");
  absl::Status under_app = PutApp(root, App("/a/b/c"), kT2).status();
  EXPECT_EQ(under_app.message(), "Groups and Applications may not have the same identifier: /a/b");
}

TEST(RootGroup, RemoveAppKeepsItsParentGroups) {
  Group root = Put(Group{}, App("/a/b"));
  absl::StatusOr<Group> out = RemoveApp(root, "/a/b", kT2);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(FindApp(*out, "/a/b"), nullptr);
  ASSERT_NE(FindGroup(*out, "/a"), nullptr);
  EXPECT_EQ(FindGroup(*out, "/a")->version, kT2);
  EXPECT_EQ(RemoveApp(root, "/nope", kT2).status().message(), "App '/nope' does not exist");
}

TEST(RootGroup, RemoveGroupRemovesTheSubtreeAndTheRootEmptiesIt) {
  Group root = Put(Put(Group{}, App("/a/b/c")), App("/d"));
  absl::StatusOr<Group> out = RemoveGroup(root, "/a", kT2);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(TransitiveAppIds(*out), std::vector<PathId>{"/d"});
  absl::StatusOr<Group> empty = RemoveGroup(root, "/", kT2);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->apps.empty() && empty->groups.empty());
  EXPECT_EQ(empty->id, "/");
  EXPECT_EQ(RemoveGroup(root, "/x", kT2).status().code(), absl::StatusCode::kNotFound);
}

// --- Versions ----------------------------------------------------------------------------------

TEST(RootGroup, AConfigChangeSetsAllThreeTimestamps) {
  Group root = Put(Group{}, App("/a", 2), kT1);
  const AppDefinition* a = FindApp(root, "/a");
  EXPECT_EQ(a->version, kT1);
  EXPECT_EQ(a->version_info, (VersionInfo{kT1, kT1}));

  AppDefinition changed = App("/a", 2);
  changed.cmd = "sleep 2000";
  root = Put(root, changed, kT2);
  a = FindApp(root, "/a");
  EXPECT_EQ(a->version, kT2);
  EXPECT_EQ(a->version_info, (VersionInfo{kT2, kT2}));
  EXPECT_EQ(root.version, kT2);
}

TEST(RootGroup, APureScaleSetsVersionAndLastScalingAtOnly) {
  Group root = Put(Group{}, App("/a", 2), kT1);
  root = Put(root, App("/a", 5), kT2);
  const AppDefinition* a = FindApp(root, "/a");
  EXPECT_EQ(a->instances, 5);
  EXPECT_EQ(a->version, kT2);
  EXPECT_EQ(a->version_info.last_scaling_at, kT2);
  EXPECT_EQ(a->version_info.last_config_change_at, kT1);
}

TEST(RootGroup, ARestartSetsVersionAndLastConfigChangeAtOnly) {
  Group root = Put(Put(Group{}, App("/a", 2), kT1), App("/a", 3), kT2);
  absl::StatusOr<Group> out = RestartApp(root, "/a", kT3);
  ASSERT_TRUE(out.ok());
  const AppDefinition* a = FindApp(*out, "/a");
  EXPECT_EQ(a->version, kT3);
  EXPECT_EQ(a->version_info.last_config_change_at, kT3);
  EXPECT_EQ(a->version_info.last_scaling_at, kT2);
  EXPECT_EQ(out->version, kT3);
  EXPECT_EQ(RestartApp(root, "/b", kT3).status().code(), absl::StatusCode::kNotFound);
}

TEST(RootGroup, AnUnchangedDefinitionKeepsItsVersionsAndTheRootIsUntouched) {
  Group root = Put(Group{}, App("/g/a"), kT1);
  Group same = Put(root, App("/g/a"), kT2);
  EXPECT_EQ(same, root);
  EXPECT_EQ(FindApp(same, "/g/a")->version, kT1);
}

TEST(RootGroup, ClientVersionFieldsAreIgnored) {
  AppDefinition app = App("/a");
  app.version = kT3;
  app.version_info = {kT3, kT3};
  Group root = Put(Group{}, app, kT1);
  EXPECT_EQ(FindApp(root, "/a")->version, kT1);
}

TEST(RootGroup, IsUpgradeCoversRuntimeFieldsIncludingLabelsStrategyAndBackoff) {
  AppDefinition a = App("/a");
  AppDefinition b = a;
  b.instances = 7;
  b.version = kT3;
  EXPECT_FALSE(IsUpgrade(a, b));
  EXPECT_TRUE(IsOnlyScaleChange(a, b));
  EXPECT_FALSE(NeedsRestart(a, b));

  auto upgrade = [&](auto change) {
    AppDefinition c = a;
    change(c);
    return IsUpgrade(a, c) && !IsOnlyScaleChange(a, c) && NeedsRestart(a, c);
  };
  EXPECT_TRUE(upgrade([](AppDefinition& c) { c.labels["x"] = "y"; }));
  EXPECT_TRUE(upgrade([](AppDefinition& c) { c.upgrade_strategy.minimum_health_capacity = 0.5; }));
  EXPECT_TRUE(upgrade([](AppDefinition& c) { c.backoff_factor = 2; }));
  EXPECT_TRUE(upgrade([](AppDefinition& c) { c.max_launch_delay_seconds = 10; }));
  EXPECT_TRUE(upgrade([](AppDefinition& c) { c.kill_selection = "OLDEST_FIRST"; }));
  EXPECT_TRUE(upgrade([](AppDefinition& c) { c.env["K"] = "V"; }));
  EXPECT_TRUE(upgrade([](AppDefinition& c) { c.cpus = 2; }));
  EXPECT_TRUE(upgrade([](AppDefinition& c) { c.dependencies = {"/b"}; }));
  EXPECT_TRUE(upgrade([](AppDefinition& c) { c.unreachable_strategy.disabled = true; }));
  EXPECT_TRUE(upgrade([](AppDefinition& c) { c.task_kill_grace_period_seconds = 5; }));

  AppDefinition reordered = a;
  a.dependencies = {"/x", "/y"};
  reordered.dependencies = {"/y", "/x", "/x"};
  EXPECT_FALSE(IsUpgrade(a, reordered));

  AppDefinition restarted = a;
  restarted.version_info.last_config_change_at = kT3;
  EXPECT_FALSE(IsUpgrade(a, restarted));
  EXPECT_TRUE(NeedsRestart(a, restarted));
}

// --- Group updates -----------------------------------------------------------------------------

TEST(RootGroup, GroupUpdateRemovesAppsOmittedFromAPresentAppsList) {
  Group root = Put(Put(Group{}, App("/g/a"), kT1), App("/g/b"), kT1);
  GroupUpdate update;
  update.apps = std::vector<AppDefinition>{App("a")};  // relative to /g
  absl::StatusOr<Group> out = ApplyGroupUpdate(root, "/g", update, kT2);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(TransitiveAppIds(*out), std::vector<PathId>{"/g/a"});
  // /g/a is unchanged: its version stays.
  EXPECT_EQ(FindApp(*out, "/g/a")->version, kT1);
  EXPECT_EQ(FindGroup(*out, "/g")->version, kT2);
}

TEST(RootGroup, GroupUpdateKeepsSubGroupsWhenTheGroupsKeyIsOmitted) {
  Group root = Put(Put(Group{}, App("/g/sub/a"), kT1), App("/g/b"), kT1);
  GroupUpdate update;
  update.apps = std::vector<AppDefinition>{App("/g/b", 3)};
  absl::StatusOr<Group> out = ApplyGroupUpdate(root, "/g", update, kT2);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(TransitiveAppIds(*out), (std::vector<PathId>{"/g/b", "/g/sub/a"}));
  EXPECT_EQ(FindApp(*out, "/g/b")->instances, 3);
  EXPECT_EQ(FindGroup(*out, "/g/sub")->version, kT1);  // untouched subtree

  // A present `groups` list without "sub" removes it, with its apps.
  update.groups = std::vector<GroupUpdate>{};
  out = ApplyGroupUpdate(root, "/g", update, kT2);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(TransitiveAppIds(*out), std::vector<PathId>{"/g/b"});
}

TEST(RootGroup, GroupUpdateRecursesIntoSubGroupsAndReplacesDependencies) {
  Group root = Put(Put(Group{}, App("/g/sub/a"), kT1), App("/g/sub/b"), kT1);
  GroupUpdate sub;
  sub.id = "sub";
  sub.dependencies = std::vector<PathId>{"../db"};
  // No `apps` key: /g/sub keeps both apps.
  GroupUpdate fresh;
  fresh.id = "/g/new";
  fresh.apps = std::vector<AppDefinition>{App("x", 1, {"../sub/a"})};
  GroupUpdate update;
  update.groups = std::vector<GroupUpdate>{sub, fresh};
  absl::StatusOr<Group> out = ApplyGroupUpdate(root, "/g", update, kT2);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(TransitiveAppIds(*out), (std::vector<PathId>{"/g/new/x", "/g/sub/a", "/g/sub/b"}));
  EXPECT_EQ(FindGroup(*out, "/g/sub")->dependencies, std::vector<PathId>{"/g/db"});
  EXPECT_EQ(FindApp(*out, "/g/new/x")->dependencies, std::vector<PathId>{"/g/sub/a"});
  EXPECT_EQ(FindApp(*out, "/g/new/x")->version, kT2);
}

TEST(RootGroup, GroupUpdateCreatesAMissingGroupAndRejectsNonChildren) {
  GroupUpdate update;
  update.apps = std::vector<AppDefinition>{App("/app")};
  absl::Status bad = ApplyGroupUpdate(Group{}, "/group", update, kT1).status();
  EXPECT_EQ(bad.message(), "identifier /app is not child of /group. Hint: use relative paths.");

  update.apps = std::vector<AppDefinition>{App("app")};
  absl::StatusOr<Group> out = ApplyGroupUpdate(Group{}, "/a/b", update, kT1);
  ASSERT_TRUE(out.ok());
  EXPECT_NE(FindApp(*out, "/a/b/app"), nullptr);

  GroupUpdate nested;
  nested.id = "/elsewhere/x";
  GroupUpdate outer;
  outer.groups = std::vector<GroupUpdate>{nested};
  EXPECT_EQ(ApplyGroupUpdate(Group{}, "/g", outer, kT1).status().message(),
            "identifier /elsewhere/x is not child of /g. Hint: use relative paths.");

  GroupUpdate scale;
  scale.scale_by = 2;
  EXPECT_EQ(ApplyGroupUpdate(Group{}, "/g", scale, kT1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RootGroup, GroupUpdateRefusesASubGroupWithAnAppsId) {
  Group root = Put(Group{}, App("/g/a"));
  GroupUpdate sub;
  sub.id = "a";
  GroupUpdate update;
  update.groups = std::vector<GroupUpdate>{sub};
  EXPECT_EQ(ApplyGroupUpdate(root, "/g", update, kT2).status().message(),
            "Groups and Applications may not have the same identifier: /g/a");
  EXPECT_EQ(ApplyGroupUpdate(root, "/g/a", GroupUpdate{}, kT2).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// --- scaleBy and rollback ----------------------------------------------------------------------

TEST(RootGroup, ScaleByMultipliesEveryAppUnderTheGroupRoundingUp) {
  Group root = Put(Put(Put(Group{}, App("/g/a", 3), kT1), App("/g/s/b", 10), kT1), App("/o", 4));
  absl::StatusOr<Group> out = ScaleGroup(root, "/g", 1.5, kT2);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(FindApp(*out, "/g/a")->instances, 5);  // ceil(4.5)
  EXPECT_EQ(FindApp(*out, "/g/s/b")->instances, 15);
  EXPECT_EQ(FindApp(*out, "/o")->instances, 4);
  EXPECT_EQ(FindApp(*out, "/g/a")->version_info, (VersionInfo{kT2, kT1}));  // a pure scale

  out = ScaleGroup(root, "/g", 0.3, kT2);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(FindApp(*out, "/g/a")->instances, 1);    // ceil(0.9)
  EXPECT_EQ(FindApp(*out, "/g/s/b")->instances, 3);  // 10 × 0.3 is 3, not 4

  EXPECT_EQ(ScaleGroup(root, "/nope", 2, kT2).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ScaleGroup(root, "/g", -1, kT2).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RootGroup, RollbackRestoresAStoredSubtreeKeepingVersionsOfUnchangedApps) {
  Group v1 = Put(Put(Group{}, App("/g/a", 1), kT1), App("/g/b", 1), kT1);
  AppDefinition b2 = App("/g/b", 1);
  b2.cmd = "new";
  Group v2 = Put(Put(v1, b2, kT2), App("/g/c"), kT2);
  Group stored = *FindGroup(v1, "/g");

  absl::StatusOr<Group> out = RollbackGroup(v2, stored, kT3);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(TransitiveAppIds(*out), (std::vector<PathId>{"/g/a", "/g/b"}));
  EXPECT_EQ(FindApp(*out, "/g/a")->version, kT1);  // same definition: untouched
  EXPECT_EQ(FindApp(*out, "/g/b")->cmd, "sleep 1000");
  EXPECT_EQ(FindApp(*out, "/g/b")->version, kT3);  // definition changed back: a config change
}

// --- Dependencies --------------------------------------------------------------------------

TEST(RootGroup, GroupDependenciesApplyToEveryAppOfBothGroups) {
  Group root = Put(Put(Put(Group{}, App("/db/pg")), App("/db/redis")), App("/web/ui"));
  root = Put(root, App("/web/api"));
  root.groups["/web"].dependencies = {"/db"};
  std::map<PathId, std::set<PathId>> graph = DependencyGraph(root);
  std::set<PathId> dbs = {"/db/pg", "/db/redis"};
  EXPECT_EQ(graph["/web/ui"], dbs);
  EXPECT_EQ(graph["/web/api"], dbs);
  EXPECT_TRUE(graph["/db/pg"].empty());
}

TEST(RootGroup, AnAppDependencyOnAGroupMeansEveryAppInIt) {
  Group root = Put(Put(Group{}, App("/db/pg")), App("/db/x/redis"));
  root = Put(root, App("/web", 1, {"/db", "/missing"}));
  EXPECT_EQ(DependencyGraph(root)["/web"], (std::set<PathId>{"/db/pg", "/db/x/redis"}));
}

TEST(RootGroup, CyclesAreRejectedWithThePath) {
  Group root = Put(Group{}, App("/a", 1, {"/b"}));
  absl::Status cycle = PutApp(root, App("/b", 1, {"/a"}), kT2).status();
  EXPECT_EQ(cycle.message(), "dependency cycle: /a -> /b -> /a");

  // Through group dependencies: /g/x depends on /h (group), /h/y on /g/x.
  root = Put(Put(Group{}, App("/g/x")), App("/h/y", 1, {"/g/x"}));
  GroupUpdate update;
  update.dependencies = std::vector<PathId>{"/h"};
  EXPECT_EQ(ApplyGroupUpdate(root, "/g", update, kT2).status().message(),
            "dependency cycle: /g/x -> /h/y -> /g/x");

  // Depending on one's own group is a cycle too.
  EXPECT_EQ(PutApp(Group{}, App("/g/self", 1, {"/g"}), kT1).status().message(),
            "dependency cycle: /g/self -> /g/self");
}

}  // namespace
}  // namespace atl::marathonlike
