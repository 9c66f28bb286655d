// The service scheduler's state in a KvStore (core/cmd/scheduler_store.h): the key layout, the
// ops of each command, LoadState after a sequence of commands (in memory and in SQLite), and
// errors naming the key.
#include "core/cmd/scheduler_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "marathonlike/app_json.h"
#include "marathonlike/state_json.h"

namespace atl::cmd {
namespace {

namespace mk = marathonlike;
using io::KvStore;

Timestamp Ms(int64_t ms) { return Timestamp::FromNanoseconds(ms * 1000000); }

mk::AppDefinition App(mk::PathId id, Timestamp version, int instances = 2) {
  mk::ApiOr<mk::AppDefinition> app = mk::ParseApp(R"({"id": "/x", "cmd": "serve",
      "env": {"A": "1"}, "labels": {"l": "v"}, "constraints": [["hostname", "UNIQUE"]],
      "healthChecks": [{"protocol": "HTTP", "path": "/health"}],
      "fetch": [{"uri": "http://h/a.tgz"}],
      "upgradeStrategy": {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0},
      "unreachableStrategy": {"inactiveAfterSeconds": 10, "expungeAfterSeconds": 20}})");
  EXPECT_TRUE(app.ok());
  mk::AppDefinition a = app.ok() ? *app : mk::AppDefinition{};
  a.id = std::move(id);
  a.instances = instances;
  a.version = version;
  a.version_info = {version, version};
  return a;
}

mk::Group Root(Timestamp version, const std::vector<mk::AppDefinition>& prod_apps) {
  mk::Group prod;
  prod.id = "/prod";
  prod.version = version;
  for (const mk::AppDefinition& app : prod_apps) prod.apps[app.id] = app;
  mk::Group root;
  root.groups["/prod"] = prod;
  root.version = version;
  return root;
}

mk::Instance Inst(std::string id, Timestamp version) {
  mk::Instance i;
  i.id = mk::InstanceId(std::move(id));
  i.app_id = "/prod/web";
  i.app_version = version;
  i.condition = mk::Condition::kRunning;
  i.condition_since = Timestamp::FromNanoseconds(version.nanoseconds() + 123);
  i.staged_at = version;
  i.agent_id = "agent-1";
  i.hostname = "h1";
  i.incarnation = 1;
  i.task_id = i.id.value() + "._app.1";
  i.task_state = model::TaskState::kRunning;
  i.host_ports = {31000};
  i.role = "*";
  return i;
}

mk::Deployment Dep(std::string id, const mk::Group& from, const mk::Group& to) {
  mk::Deployment d;
  d.plan = mk::BuildPlan(std::move(id), from, to, to.version);
  d.current_step = 0;
  d.started_at = to.version;
  d.step_started_at = to.version;
  d.progress_deadline = Duration::Seconds(600);
  return d;
}

// A life: a first deploy, a second one, then the first's leftovers cleaned up; with
// non-durable commands in between. `expected` is what LoadState must give afterwards.
struct Scenario {
  std::vector<mk::Command> commands;
  mk::StoredState expected;
};

Scenario Life() {
  Timestamp v1 = Ms(1444737600000);
  Timestamp v2 = Ms(1444737700500);
  mk::AppDefinition web1 = App("/prod/web", v1);
  mk::AppDefinition db1 = App("/prod/db", v1, 1);
  mk::AppDefinition web2 = App("/prod/web", v2, 3);
  mk::Group root1 = Root(v1, {web1, db1});
  mk::Group root2 = Root(v2, {web2, db1});
  mk::Deployment d1 = Dep("d1", mk::Group{}, root1);
  mk::Deployment d2 = Dep("d2", root1, root2);
  mk::Instance a = Inst("prod_web.instance-a", v1);
  mk::Instance b = Inst("prod_web.instance-b", v1);
  mk::Instance c = Inst("prod_web.instance-c", v2);
  mk::Instance a_running = a;
  a_running.started_at = Timestamp::FromNanoseconds(v1.nanoseconds() + 5);
  a_running.health.healthy = true;

  Scenario s;
  s.commands = {
      mk::cmd::PutFrameworkId{"fw-1"},
      mk::cmd::PutRoot{std::make_shared<const mk::Group>(root1)},
      mk::cmd::PutAppVersion{web1},
      mk::cmd::PutAppVersion{db1},
      mk::cmd::PutDeployment{d1},
      mk::cmd::PutInstance{a},
      mk::cmd::PutInstance{b},
      mk::cmd::Revive{},
      mk::cmd::WakeAt{v1},
      mk::cmd::Kill{model::TaskId("t"), std::nullopt},
      mk::cmd::RemoveDeployment{"d1"},
      mk::cmd::PutRoot{std::make_shared<const mk::Group>(root2)},
      mk::cmd::PutAppVersion{web2},
      mk::cmd::PutDeployment{d2},
      mk::cmd::PutInstance{c},
      mk::cmd::PutInstance{a_running},
      mk::cmd::RemoveInstance{b.id},
      mk::cmd::RemoveInstance{mk::InstanceId("never-stored")},
      mk::cmd::Suppress{},
  };
  s.expected.framework_id = "fw-1";
  s.expected.root = root2;
  s.expected.deployments = {d2};
  s.expected.instances = {a_running, c};
  s.expected.app_versions = {{"/prod/db", {v1}}, {"/prod/web", {v1, v2}}};
  s.expected.root_versions = {v1, v2};
  return s;
}

void Apply(KvStore& store, const std::vector<mk::Command>& commands) {
  for (const mk::Command& command : commands) {
    std::vector<KvStore::Op> ops = ToOps(command);
    absl::StatusOr<std::vector<int64_t>> r = store.Commit(ops);
    ASSERT_TRUE(r.ok()) << r.status();
  }
}

TEST(SchedulerStore, KeyLayout) {
  EXPECT_EQ(RootVersionKey(Ms(1444737600123)), "root-versions/2015-10-13T12:00:00.123Z");
  EXPECT_EQ(AppVersionKey("/prod/web", Ms(1444737600123)),
            "app-versions//prod/web/2015-10-13T12:00:00.123Z");
  EXPECT_EQ(DeploymentKey("d-1"), "deployments/d-1");
  EXPECT_EQ(InstanceKey(mk::InstanceId("prod_web.instance-x")), "instances/prod_web.instance-x");
  // Keys of one prefix sort by time (fixed-width ISO-8601).
  EXPECT_LT(RootVersionKey(Ms(999)), RootVersionKey(Ms(1000)));
  EXPECT_LT(RootVersionKey(Ms(1444737600123)), RootVersionKey(Ms(1544737600000)));
}

TEST(SchedulerStore, OpsOfEachCommand) {
  mk::Group root = Root(Ms(1000), {App("/prod/web", Ms(1000))});
  std::vector<KvStore::Op> ops =
      ToOps(mk::Command(mk::cmd::PutRoot{std::make_shared<const mk::Group>(root)}));
  ASSERT_EQ(ops.size(), 2u);
  // The tree once, apps by reference (their definitions are under app-versions/); "root"
  // names the current version.
  EXPECT_EQ(ops[0],
            KvStore::Op::Put("root-versions/1970-01-01T00:00:01.000Z", mk::EncodeGroupRefs(root)));
  EXPECT_EQ(ops[1], KvStore::Op::Put("root", "1970-01-01T00:00:01.000Z"));
  EXPECT_EQ(ops[0].value.find("\"cmd\""), std::string::npos);

  EXPECT_EQ(ToOps(mk::Command(mk::cmd::PutFrameworkId{"fw"})),
            std::vector<KvStore::Op>{KvStore::Op::Put("framework-id", "fw")});
  EXPECT_EQ(
      ToOps(mk::Command(mk::cmd::RemoveRootVersion{Ms(1000)})),
      std::vector<KvStore::Op>{KvStore::Op::Delete("root-versions/1970-01-01T00:00:01.000Z")});
  mk::AppDefinition app = App("/prod/web", Ms(2000));
  EXPECT_EQ(ToOps(mk::Command(mk::cmd::PutAppVersion{app})),
            std::vector<KvStore::Op>{KvStore::Op::Put(
                "app-versions//prod/web/1970-01-01T00:00:02.000Z", mk::EncodeApp(app))});
  EXPECT_EQ(ToOps(mk::Command(mk::cmd::RemoveAppVersion{"/prod/web", Ms(2000)})),
            std::vector<KvStore::Op>{
                KvStore::Op::Delete("app-versions//prod/web/1970-01-01T00:00:02.000Z")});
  mk::Deployment d = Dep("d-1", mk::Group{}, root);
  EXPECT_EQ(ToOps(mk::Command(mk::cmd::PutDeployment{d})),
            std::vector<KvStore::Op>{KvStore::Op::Put("deployments/d-1", mk::EncodeDeployment(d))});
  EXPECT_EQ(ToOps(mk::Command(mk::cmd::RemoveDeployment{"d-1"})),
            std::vector<KvStore::Op>{KvStore::Op::Delete("deployments/d-1")});
  mk::Instance i = Inst("i-1", Ms(2000));
  EXPECT_EQ(ToOps(mk::Command(mk::cmd::PutInstance{i})),
            std::vector<KvStore::Op>{KvStore::Op::Put("instances/i-1", mk::EncodeInstance(i))});
  EXPECT_EQ(ToOps(mk::Command(mk::cmd::RemoveInstance{i.id})),
            std::vector<KvStore::Op>{KvStore::Op::Delete("instances/i-1")});

  for (const mk::Command& c : {mk::Command(mk::cmd::Launch{}), mk::Command(mk::cmd::Decline{}),
                               mk::Command(mk::cmd::Kill{}), mk::Command(mk::cmd::Reconcile{}),
                               mk::Command(mk::cmd::Revive{}), mk::Command(mk::cmd::Suppress{}),
                               mk::Command(mk::cmd::WakeAt{Ms(1)})}) {
    EXPECT_TRUE(ToOps(c).empty()) << c.index();
  }
  // The vector form concatenates in order.
  EXPECT_EQ(ToOps(std::vector<mk::Command>{mk::cmd::PutFrameworkId{"fw"}, mk::cmd::Revive{},
                                           mk::cmd::RemoveDeployment{"d-1"}}),
            (std::vector<KvStore::Op>{KvStore::Op::Put("framework-id", "fw"),
                                      KvStore::Op::Delete("deployments/d-1")}));
}

TEST(SchedulerStore, AnEmptyStoreLoadsAnEmptyState) {
  io::InMemoryKvStore store;
  absl::StatusOr<mk::StoredState> state = LoadState(store);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(*state, mk::StoredState{});
}

TEST(SchedulerStore, LoadStateGivesBackWhatTheCommandsWrote) {
  Scenario s = Life();
  io::InMemoryKvStore store;
  Apply(store, s.commands);
  absl::StatusOr<mk::StoredState> state = LoadState(store);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(*state, s.expected);

  // Removing versions the current root does not use.
  Apply(store, {mk::cmd::RemoveRootVersion{s.expected.root_versions[0]},
                mk::cmd::RemoveAppVersion{"/prod/web", s.expected.app_versions["/prod/web"][0]}});
  state = LoadState(store);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->root_versions, std::vector<Timestamp>{s.expected.root_versions[1]});
  EXPECT_EQ(state->app_versions, (std::map<mk::PathId, std::vector<Timestamp>>{
                                     {"/prod/db", s.expected.app_versions["/prod/db"]},
                                     {"/prod/web", {s.expected.app_versions["/prod/web"][1]}}}));

  // A root whose app version is gone does not load, and says which.
  Apply(store, {mk::cmd::RemoveAppVersion{"/prod/db", s.expected.app_versions["/prod/db"][0]}});
  state = LoadState(store);
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(state.status().message().find("app-versions//prod/db/"), std::string::npos)
      << state.status();
}

TEST(SchedulerStore, VersionListsAreSortedOldestFirst) {
  io::InMemoryKvStore store;
  // Written newest first; app ids where one is a prefix of another.
  Apply(store,
        {mk::cmd::PutAppVersion{App("/a", Ms(3000))}, mk::cmd::PutAppVersion{App("/a/b", Ms(500))},
         mk::cmd::PutAppVersion{App("/a", Ms(1000))},
         mk::cmd::PutRoot{std::make_shared<const mk::Group>(Root(Ms(2000), {}))},
         mk::cmd::PutRoot{std::make_shared<const mk::Group>(Root(Ms(1000), {}))}});
  absl::StatusOr<mk::StoredState> state = LoadState(store);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->app_versions, (std::map<mk::PathId, std::vector<Timestamp>>{
                                     {"/a", {Ms(1000), Ms(3000)}}, {"/a/b", {Ms(500)}}}));
  EXPECT_EQ(state->root_versions, (std::vector<Timestamp>{Ms(1000), Ms(2000)}));
  EXPECT_EQ(state->root.version, Ms(1000));  // "root" is the last one put
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "/atoll-sched-store-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp " << pattern;
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(SchedulerStore, SqliteKeepsItAcrossReopening) {
  TempDir dir;
  Scenario s = Life();
  std::string path = dir.path() + "/scheduler.db";
  {
    absl::StatusOr<std::unique_ptr<io::SqliteKvStore>> store = io::SqliteKvStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    // One transaction per command, and the whole life again as one batch: same result.
    Apply(**store, s.commands);
    absl::StatusOr<std::vector<int64_t>> r = (*store)->Commit(ToOps(s.commands));
    ASSERT_TRUE(r.ok()) << r.status();
  }
  absl::StatusOr<std::unique_ptr<io::SqliteKvStore>> store = io::SqliteKvStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<mk::StoredState> state = LoadState(**store);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(*state, s.expected);

  StoreVersionReader versions(**store);
  std::optional<mk::AppDefinition> web1 =
      versions.ReadAppVersion("/prod/web", s.expected.app_versions["/prod/web"][0]);
  ASSERT_TRUE(web1.has_value());
  EXPECT_EQ(web1->instances, 2);
  std::optional<mk::Group> root1 = versions.ReadRootVersion(s.expected.root_versions[0]);
  ASSERT_TRUE(root1.has_value());
  EXPECT_EQ(root1->version, s.expected.root_versions[0]);
}

TEST(SchedulerStore, StoreVersionReaderReadsWhatWasPut) {
  io::InMemoryKvStore store;
  mk::AppDefinition web = App("/prod/web", Ms(1444737600123));
  mk::Group root = Root(Ms(1444737600123), {web});
  Apply(store,
        {mk::cmd::PutRoot{std::make_shared<const mk::Group>(root)}, mk::cmd::PutAppVersion{web}});
  StoreVersionReader versions(store);
  EXPECT_EQ(versions.ReadAppVersion("/prod/web", web.version), web);
  EXPECT_EQ(versions.ReadRootVersion(root.version), root);
  EXPECT_TRUE(versions.last_error().ok());

  EXPECT_EQ(versions.ReadAppVersion("/prod/web", Ms(1)), std::nullopt);
  EXPECT_EQ(versions.ReadAppVersion("/prod/other", web.version), std::nullopt);
  EXPECT_EQ(versions.ReadRootVersion(Ms(1)), std::nullopt);
  EXPECT_TRUE(versions.last_error().ok()) << versions.last_error();

  ASSERT_TRUE(store.Commit({KvStore::Op::Put(AppVersionKey("/prod/web", Ms(5)), "{]")}).ok());
  EXPECT_EQ(versions.ReadAppVersion("/prod/web", Ms(5)), std::nullopt);
  EXPECT_EQ(versions.last_error().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(versions.last_error().message().find("app-versions//prod/web/1970-01-01T00:00:00.005Z"),
            absl::string_view::npos)
      << versions.last_error();
}

void ExpectLoadFails(const std::vector<KvStore::Op>& ops, std::string_view needle) {
  io::InMemoryKvStore store;
  Scenario s = Life();
  Apply(store, s.commands);
  ASSERT_TRUE(store.Commit(ops).ok());
  absl::StatusOr<mk::StoredState> state = LoadState(store);
  ASSERT_FALSE(state.ok()) << needle;
  EXPECT_EQ(state.status().code(), absl::StatusCode::kDataLoss) << state.status();
  EXPECT_NE(std::string(state.status().message()).find(needle), std::string::npos)
      << state.status() << "\nwanted: " << needle;
}

TEST(SchedulerStore, UnreadableRecordsAreDataLossNamingTheKey) {
  ExpectLoadFails({KvStore::Op::Put("root", "[]")}, "key 'root': '[]' is not an ISO-8601 time");
  ExpectLoadFails({KvStore::Op::Put("root", "2001-01-01T00:00:00.000Z")},
                  "key 'root': names root-versions/2001-01-01T00:00:00.000Z, which is missing");
  ExpectLoadFails({KvStore::Op::Put("root", "2001-01-01T00:00:00.000Z"),
                   KvStore::Op::Put("root-versions/2001-01-01T00:00:00.000Z", "[]")},
                  "key 'root-versions/2001-01-01T00:00:00.000Z': stored group");
  ExpectLoadFails({KvStore::Op::Put("instances/x", "garbage")},
                  "key 'instances/x': stored instance");
  ExpectLoadFails({KvStore::Op::Put("instances/x", mk::EncodeInstance(Inst("y", Ms(1))))},
                  "key 'instances/x': holds instance 'y'");
  ExpectLoadFails({KvStore::Op::Put("deployments/d9", "{}")},
                  "key 'deployments/d9': stored deployment: deployment.id: required");
  ExpectLoadFails({KvStore::Op::Put("root-versions/yesterday", "{}")},
                  "key 'root-versions/yesterday': 'yesterday' is not an ISO-8601 time");
  ExpectLoadFails({KvStore::Op::Put("app-versions/web", "{}")},
                  "key 'app-versions/web': not app-versions/<app id>/<time>");
  ExpectLoadFails({KvStore::Op::Put("app-versions//web/later", "{}")},
                  "key 'app-versions//web/later'");
}

}  // namespace
}  // namespace atl::cmd
