#include "marathonlike/plan.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "marathonlike/root_group.h"

namespace atl::marathonlike {
namespace {

const Timestamp kT1 = Timestamp::FromNanoseconds(1'000'000'000'000);
const Timestamp kT2 = Timestamp::FromNanoseconds(2'000'000'000'000);
const Timestamp kT3 = Timestamp::FromNanoseconds(3'000'000'000'000);
// 2015-09-29T15:59:51.164Z
const Timestamp kMarathonExample = Timestamp::FromNanoseconds(1443542391164000000);

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

Action Start(PathId id) { return {ActionType::kStart, std::move(id), 0, {}}; }
Action Stop(PathId id) { return {ActionType::kStop, std::move(id), std::nullopt, {}}; }
Action Scale(PathId id, int to, std::vector<InstanceId> kills = {}) {
  return {ActionType::kScale, std::move(id), to, std::move(kills)};
}
Action Restart(PathId id) { return {ActionType::kRestart, std::move(id), std::nullopt, {}}; }

std::vector<Step> Steps(std::vector<std::vector<Action>> steps) {
  std::vector<Step> out;
  for (auto& actions : steps) out.push_back({std::move(actions)});
  return out;
}

std::string DryRun(const DeploymentPlan& plan) {
  api::JsonWriter w;
  WriteDryRunSteps(w, plan);
  return w.Finish();
}

TEST(Plan, ANewAppGetsAStartPlaceholderThenAScale) {
  Group target = Put(Group{}, App("/x", 3));
  DeploymentPlan plan = BuildPlan("p1", Group{}, target, kT1);
  EXPECT_EQ(plan.id, "p1");
  EXPECT_EQ(plan.version, kT1);
  EXPECT_EQ(plan.steps, Steps({{Start("/x")}, {Scale("/x", 3)}}));
  EXPECT_EQ(AffectedAppIds(plan), std::vector<PathId>{"/x"});
}

TEST(Plan, ARemovedAppIsStoppedInTheFirstStep) {
  Group original = Put(Put(Group{}, App("/x")), App("/g/y"));
  absl::StatusOr<Group> target = RemoveGroup(original, "/", kT2);
  ASSERT_TRUE(target.ok());
  DeploymentPlan plan = BuildPlan("p", original, *target, kT2);
  EXPECT_EQ(plan.steps, Steps({{Stop("/g/y"), Stop("/x")}}));
}

TEST(Plan, AScaleOnlyChangeIsAScaleWithTheKillList) {
  Group original = Put(Group{}, App("/x", 3));
  Group target = Put(original, App("/x", 2), kT2);
  DeploymentPlan plan =
      BuildPlan("p", original, target, kT2, {{"/x", {InstanceId("x.instance-1")}}});
  EXPECT_EQ(plan.steps, Steps({{Scale("/x", 2, {InstanceId("x.instance-1")})}}));
}

TEST(Plan, AConfigChangeOrARestartIsARestart) {
  Group original = Put(Group{}, App("/x", 3));
  AppDefinition changed = App("/x", 5);
  changed.labels["tier"] = "web";
  Group target = Put(original, changed, kT2);
  EXPECT_EQ(BuildPlan("p", original, target, kT2).steps, Steps({{Restart("/x")}}));

  absl::StatusOr<Group> restarted = RestartApp(original, "/x", kT2);
  ASSERT_TRUE(restarted.ok());
  EXPECT_EQ(BuildPlan("p", original, *restarted, kT2).steps, Steps({{Restart("/x")}}));
}

TEST(Plan, ARestartTogetherWithAScaleIsARestart) {
  Group original = Put(Group{}, App("/x", 3));
  absl::StatusOr<Group> restarted = RestartApp(original, "/x", kT2);
  ASSERT_TRUE(restarted.ok());
  Group target = Put(*restarted, App("/x", 5), kT3);
  EXPECT_EQ(BuildPlan("p", original, target, kT3).steps, Steps({{Restart("/x")}}));
}

TEST(Plan, AChangeToZeroInstancesIsAScaleToZero) {
  Group original = Put(Group{}, App("/x", 3));
  AppDefinition changed = App("/x", 0);
  changed.cmd = "other";
  Group target = Put(original, changed, kT2);
  EXPECT_EQ(BuildPlan("p", original, target, kT2).steps, Steps({{Scale("/x", 0)}}));
}

TEST(Plan, NothingChangedGivesAnEmptyPlan) {
  Group root = Put(Group{}, App("/x", 3));
  DeploymentPlan plan = BuildPlan("p", root, root, kT2);
  EXPECT_TRUE(plan.empty());
  EXPECT_EQ(DryRun(plan), R"({"steps":[]})");
}

TEST(Plan, GroupDependenciesLayerDbThenApiThenWeb) {
  GroupUpdate db;
  db.id = "db";
  db.apps = std::vector<AppDefinition>{App("pg", 2)};
  GroupUpdate api;
  api.id = "api";
  api.apps = std::vector<AppDefinition>{App("server", 3)};
  api.dependencies = std::vector<PathId>{"../db"};
  GroupUpdate web;
  web.id = "web";
  web.apps = std::vector<AppDefinition>{App("ui", 4), App("static", 1)};
  web.dependencies = std::vector<PathId>{"/prod/api"};
  GroupUpdate prod;
  prod.groups = std::vector<GroupUpdate>{web, api, db};
  absl::StatusOr<Group> target = ApplyGroupUpdate(Group{}, "/prod", prod, kT1);
  ASSERT_TRUE(target.ok()) << target.status();

  DeploymentPlan plan = BuildPlan("p", Group{}, *target, kT1);
  EXPECT_EQ(plan.steps, Steps({{Start("/prod/api/server"), Start("/prod/db/pg"),
                                Start("/prod/web/static"), Start("/prod/web/ui")},
                               {Scale("/prod/db/pg", 2)},
                               {Scale("/prod/api/server", 3)},
                               {Scale("/prod/web/static", 1), Scale("/prod/web/ui", 4)}}));

  // Changing only /prod/db/pg and /prod/web/ui still orders them by their chains.
  AppDefinition pg = App("/prod/db/pg", 2);
  pg.cmd = "postgres";
  Group changed = Put(Put(*target, pg, kT2), App("/prod/web/ui", 6), kT2);
  EXPECT_EQ(BuildPlan("p", *target, changed, kT2).steps,
            Steps({{Restart("/prod/db/pg")}, {Scale("/prod/web/ui", 6)}}));
}

TEST(Plan, ConflictingPlansShareAnAppId) {
  Group root = Put(Put(Group{}, App("/a")), App("/b"));
  DeploymentPlan pa = BuildPlan("a", root, Put(root, App("/a", 2), kT2), kT2);
  DeploymentPlan pb = BuildPlan("b", root, Put(root, App("/b", 2), kT2), kT2);
  DeploymentPlan pab =
      BuildPlan("ab", root, Put(Put(root, App("/a", 3), kT2), App("/b", 3), kT2), kT2);
  EXPECT_FALSE(IsAffectedBy(pa, pb));
  EXPECT_TRUE(IsAffectedBy(pa, pab));
  EXPECT_EQ(ConflictingAppIds(pab, pb), std::vector<PathId>{"/b"});
}

TEST(Plan, RevertUndoesThePlanAgainstTheCurrentRoot) {
  Group v1 = Put(Put(Group{}, App("/g/a", 2)), App("/keep"));
  AppDefinition a2 = App("/g/a", 2);
  a2.cmd = "v2";
  Group v2 = Put(Put(v1, a2, kT2), App("/g/new", 1), kT2);
  absl::StatusOr<Group> v2b = RemoveApp(v2, "/keep", kT2);
  ASSERT_TRUE(v2b.ok());
  DeploymentPlan plan = BuildPlan("p", v1, *v2b, kT2);

  // Meanwhile another deployment added /other; the revert keeps it.
  Group current = Put(*v2b, App("/other"), kT3);
  Group reverted = RevertRoot(plan, current, kT3);
  EXPECT_EQ(TransitiveAppIds(reverted), (std::vector<PathId>{"/g/a", "/keep", "/other"}));
  EXPECT_EQ(*FindApp(reverted, "/g/a"), *FindApp(v1, "/g/a"));  // old definition and versions
  EXPECT_EQ(*FindApp(reverted, "/keep"), *FindApp(v1, "/keep"));

  DeploymentPlan back = RevertPlan(plan, current, "r", kT3);
  EXPECT_EQ(back.id, "r");
  EXPECT_EQ(back.original, current);
  EXPECT_EQ(back.steps,
            Steps({{Stop("/g/new")}, {Start("/keep")}, {Restart("/g/a"), Scale("/keep", 1)}}));
}

TEST(Plan, RevertRemovesGroupsThePlanAddedAndRestoresRemovedOnes) {
  Group v1 = Put(Group{}, App("/old/a"));
  v1.groups["/old"].dependencies = {"/x"};
  absl::StatusOr<Group> v2 = RemoveGroup(v1, "/old", kT2);
  ASSERT_TRUE(v2.ok());
  Group v3 = Put(*v2, App("/added/b"), kT2);
  DeploymentPlan plan = BuildPlan("p", v1, v3, kT2);
  Group reverted = RevertRoot(plan, v3, kT3);
  EXPECT_EQ(FindGroup(reverted, "/added"), nullptr);
  ASSERT_NE(FindGroup(reverted, "/old"), nullptr);
  EXPECT_EQ(FindGroup(reverted, "/old")->dependencies, std::vector<PathId>{"/x"});
  EXPECT_NE(FindApp(reverted, "/old/a"), nullptr);
}

TEST(Plan, DryRunJsonHasMarathonsShape) {
  Group target = Put(Group{}, App("/tools/oauth-server", 1));
  DeploymentPlan plan = BuildPlan("p", Group{}, target, kT1);
  EXPECT_EQ(DryRun(plan),
            R"({"steps":[{"actions":[{"action":"StartApplication","app":"/tools/oauth-server"}]},)"
            R"({"actions":[{"action":"ScaleApplication","app":"/tools/oauth-server"}]}]})");
}

TEST(Plan, DeploymentInfoJsonHasMarathonsShape) {
  Group original = Put(Group{}, App("/foo", 1));
  DeploymentPlan plan = BuildPlan("97c136bf-5a28-4821-9d94-480d9fbb01c8", original,
                                  Put(original, App("/foo", 2), kT2), kMarathonExample);
  DeploymentProgress progress;
  progress.current_step = 1;
  progress.readiness_results_json["/foo"] = R"([{"name":"r","ready":false}])";
  api::JsonWriter w;
  WriteDeploymentInfo(w, plan, progress);
  EXPECT_EQ(w.Finish(),
            R"({"id":"97c136bf-5a28-4821-9d94-480d9fbb01c8","version":"2015-09-29T15:59:51.164Z",)"
            R"("affectedApps":["/foo"],"affectedPods":[],)"
            R"("steps":[{"actions":[{"action":"ScaleApplication","app":"/foo"}]}],)"
            R"("currentActions":[{"action":"ScaleApplication","app":"/foo",)"
            R"("readinessCheckResults":[{"name":"r","ready":false}]}],)"
            R"("currentStep":1,"totalSteps":1})");

  WriteDeploymentInfo(w, plan, DeploymentProgress{});
  EXPECT_NE(w.Finish().find(R"("currentActions":[],"currentStep":0,"totalSteps":1)"),
            std::string::npos);

  WriteDeploymentResult(w, plan);
  EXPECT_EQ(w.Finish(), R"({"deploymentId":"97c136bf-5a28-4821-9d94-480d9fbb01c8",)"
                        R"("version":"2015-09-29T15:59:51.164Z"})");
}

}  // namespace
}  // namespace atl::marathonlike
