// AgentStore (core/io/agent_store.h) over a real SQLite file in a temporary directory: what a
// batch of durable commands puts there is what Load returns after a reopen, a batch is all or
// nothing, and a damaged row stops the load with its table and key.
#include "core/io/agent_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "core/agent/checkpoint_json.h"
#include "core/base/strings.h"
#include "tests/api/samples.h"

namespace atl::io {
namespace {

using ::testing::HasSubstr;
namespace cmd = agent::cmd;

const model::FrameworkId kFwA("fw-a");
const model::FrameworkId kFwB("fw-b \"quoted\" é");

model::FrameworkInfo Framework(const model::FrameworkId& id) {
  model::FrameworkInfo f = api::testing::SampleFrameworkInfo();
  f.id = id;
  return f;
}

model::AgentInfo Agent() {
  model::AgentInfo a;
  a.hostname = "node-3.example";
  a.port = 5051;
  a.resources = *model::Resources::Parse("cpus:8;mem:15360;disk:100000;ports:[31000-32000]");
  a.attributes = api::testing::SampleAttributes();
  a.id = model::AgentId("8c1e-S3");
  return a;
}

agent::ExecutorRecord Executor(const model::FrameworkId& fw, const std::string& id,
                               std::optional<int> pid) {
  agent::ExecutorRecord r;
  r.framework_id = fw;
  r.info = api::testing::SampleExecutor();
  r.info.executor_id = model::ExecutorId(id);
  r.info.framework_id = fw;
  r.container_id = model::ContainerId("c-" + id);
  r.command_executor = false;
  r.pid = pid;
  r.pid_start_time = pid ? 9123456 : 0;
  return r;
}

agent::TaskRecord Task(const model::FrameworkId& fw, const std::string& id,
                       const std::string& executor,
                       model::TaskState state = model::TaskState::kRunning) {
  agent::TaskRecord r;
  r.framework_id = fw;
  r.executor_id = model::ExecutorId(executor);
  r.info = api::testing::SampleTask(id);
  r.state = state;
  r.launched = state != model::TaskState::kStaging;
  return r;
}

std::vector<model::TaskStatus> Updates(const std::string& task, int n) {
  std::vector<model::TaskStatus> out;
  for (int i = 0; i < n; ++i) {
    model::TaskStatus s = api::testing::SampleStatus();
    s.task_id = model::TaskId(task);
    s.uuid = std::string(15, '\0') + static_cast<char>(i);
    s.message = StrCat("update ", i);
    s.timestamp = 1732170000.0 + i;
    out.push_back(s);
  }
  return out;
}

agent::TaskKey Key(const model::FrameworkId& fw, const std::string& task) {
  return {fw, model::TaskId(task)};
}

class AgentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = ::testing::TempDir();
    if (dir.empty() || dir.back() != '/') dir.push_back('/');
    std::string pattern = StrCat(dir, "agent_store_XXXXXX");
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/agent.db";
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  AgentStore& Open() {
    store_.reset();
    absl::StatusOr<std::unique_ptr<AgentStore>> s = AgentStore::Open(path_);
    EXPECT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    return *store_;
  }

  agent::CheckpointedState LoadOk() {
    absl::StatusOr<agent::CheckpointedState> state = store_->Load();
    EXPECT_TRUE(state.ok()) << state.status();
    return state.ok() ? *state : agent::CheckpointedState{};
  }

  // Runs `sql` on a second connection, as an operator's sqlite3 shell would.
  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << msg << " in " << sql;
  }

  // Commit frames in the write-ahead log (https://sqlite.org/fileformat.html#the_write_ahead_log):
  // frames of the current WAL generation (salts as in the header) whose "database size after
  // commit" field is set. Valid while nothing checkpoints the WAL (the tests stay far below
  // the 1000-page auto-checkpoint).
  int64_t WalCommits() {
    std::ifstream f(path_ + "-wal", std::ios::binary);
    std::string wal((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto be32 = [&](size_t at) {
      return (uint32_t{static_cast<uint8_t>(wal[at])} << 24) |
             (uint32_t{static_cast<uint8_t>(wal[at + 1])} << 16) |
             (uint32_t{static_cast<uint8_t>(wal[at + 2])} << 8) |
             uint32_t{static_cast<uint8_t>(wal[at + 3])};
    };
    if (wal.size() < 32) return 0;
    const uint32_t page_size = be32(8);
    const uint32_t salt1 = be32(16);
    const uint32_t salt2 = be32(20);
    int64_t commits = 0;
    for (size_t at = 32; at + 24 + page_size <= wal.size(); at += 24 + page_size) {
      if (be32(at + 8) != salt1 || be32(at + 12) != salt2) break;
      if (be32(at + 4) != 0) ++commits;
    }
    return commits;
  }

  // A batch as one loop turn of the agent produces it, non-durable commands included.
  std::vector<agent::Command> FullBatch() {
    return {
        cmd::PutAgentInfo{Agent()},
        cmd::WakeAt{Timestamp::FromNanoseconds(1)},
        cmd::PutFramework{Framework(kFwB)},
        cmd::PutFramework{Framework(kFwA)},
        cmd::PutExecutor{Executor(kFwB, "exec-2", std::nullopt)},
        cmd::PutExecutor{Executor(kFwA, "exec-1", 4242)},
        cmd::PutTask{Task(kFwA, "web.2", "exec-1")},
        cmd::PutTask{Task(kFwA, "web.1", "exec-1")},
        cmd::PutTask{Task(kFwB, "db.1", "exec-2", model::TaskState::kStaging)},
        cmd::DestroyContainer{kFwA, model::ExecutorId("gone"), model::ContainerId("c-gone")},
        cmd::PutUpdates{Key(kFwA, "web.2"), Updates("web.2", 2)},
        cmd::PutUpdates{Key(kFwA, "web.1"), Updates("web.1", 3)},
    };
  }

  // What FullBatch leaves, in key order.
  static agent::CheckpointedState FullState() {
    agent::CheckpointedState s;
    s.info = Agent();
    s.frameworks = {Framework(kFwA), Framework(kFwB)};
    s.executors = {Executor(kFwA, "exec-1", 4242), Executor(kFwB, "exec-2", std::nullopt)};
    s.tasks = {Task(kFwA, "web.1", "exec-1"), Task(kFwA, "web.2", "exec-1"),
               Task(kFwB, "db.1", "exec-2", model::TaskState::kStaging)};
    s.updates = {{Key(kFwA, "web.1"), Updates("web.1", 3)},
                 {Key(kFwA, "web.2"), Updates("web.2", 2)}};
    return s;
  }

  std::string dir_;
  std::string path_;
  std::unique_ptr<AgentStore> store_;
};

TEST_F(AgentStoreTest, NewStoreLoadsEmpty) {
  Open();
  EXPECT_EQ(LoadOk(), agent::CheckpointedState{});
  Open();  // reopening an existing, empty store
  EXPECT_EQ(LoadOk(), agent::CheckpointedState{});
}

TEST_F(AgentStoreTest, BatchSurvivesReopenInKeyOrder) {
  ASSERT_TRUE(Open().Apply(FullBatch()).ok());
  EXPECT_EQ(LoadOk(), FullState());
  Open();
  EXPECT_EQ(LoadOk(), FullState());
}

TEST_F(AgentStoreTest, PutsReplaceTheRowOfTheirKey) {
  ASSERT_TRUE(Open().Apply(FullBatch()).ok());
  agent::ExecutorRecord spawned = Executor(kFwB, "exec-2", 777);
  agent::TaskRecord killed = Task(kFwA, "web.2", "exec-1", model::TaskState::kKilled);
  model::AgentInfo reregistered = Agent();
  reregistered.id = model::AgentId("8c1e-S9");
  ASSERT_TRUE(
      store_
          ->Apply({cmd::PutExecutor{spawned}, cmd::PutTask{killed}, cmd::PutAgentInfo{reregistered},
                   cmd::PutUpdates{Key(kFwA, "web.2"), Updates("web.2", 1)}})
          .ok());
  agent::CheckpointedState want = FullState();
  want.info = reregistered;
  want.executors[1] = spawned;
  want.tasks[1] = killed;
  want.updates[1].second = Updates("web.2", 1);
  Open();
  EXPECT_EQ(LoadOk(), want);
}

TEST_F(AgentStoreTest, RemovesDeleteOnlyTheirRow) {
  ASSERT_TRUE(Open().Apply(FullBatch()).ok());
  ASSERT_TRUE(store_
                  ->Apply({
                      cmd::PutUpdates{Key(kFwA, "web.1"), {}},  // empty list: none left
                      cmd::RemoveTask{Key(kFwA, "web.1")},
                      cmd::RemoveTask{Key(kFwB, "db.1")},
                      cmd::RemoveExecutor{kFwB, model::ExecutorId("exec-2")},
                      cmd::RemoveFramework{kFwB},
                      // Absent rows: no-ops.
                      cmd::RemoveTask{Key(kFwB, "never")},
                      cmd::PutUpdates{Key(kFwB, "never"), {}},
                      cmd::RemoveFramework{model::FrameworkId("unknown")},
                  })
                  .ok());
  agent::CheckpointedState want;
  want.info = Agent();
  want.frameworks = {Framework(kFwA)};
  want.executors = {Executor(kFwA, "exec-1", 4242)};
  want.tasks = {Task(kFwA, "web.2", "exec-1")};
  want.updates = {{Key(kFwA, "web.2"), Updates("web.2", 2)}};
  Open();
  EXPECT_EQ(LoadOk(), want);
}

TEST_F(AgentStoreTest, BatchWithoutDurableCommandsIsANoOp) {
  ASSERT_TRUE(Open().Apply({cmd::WakeAt{Timestamp::FromNanoseconds(5)}}).ok());
  ASSERT_TRUE(store_->Apply({}).ok());
  EXPECT_EQ(LoadOk(), agent::CheckpointedState{});
}

TEST_F(AgentStoreTest, FailedBatchLeavesNothingAndTheStoreUsable) {
  ASSERT_TRUE(Open().Apply({cmd::PutFramework{Framework(kFwA)}}).ok());
  // Make the last write of the next batch fail inside SQLite.
  Sql("CREATE TRIGGER fail_boom BEFORE INSERT ON tasks WHEN NEW.task_id = 'boom'"
      " BEGIN SELECT RAISE(ABORT, 'injected failure'); END;");
  std::vector<agent::Command> batch = {
      cmd::PutFramework{Framework(kFwB)},
      cmd::PutExecutor{Executor(kFwA, "exec-1", 4242)},
      cmd::PutTask{Task(kFwA, "web.1", "exec-1")},
      cmd::PutUpdates{Key(kFwA, "web.1"), Updates("web.1", 1)},
      cmd::RemoveFramework{kFwA},
      cmd::PutTask{Task(kFwA, "boom", "exec-1")},
  };
  absl::Status status = store_->Apply(batch);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("injected failure"));
  EXPECT_THAT(status.message(), HasSubstr("boom"));

  agent::CheckpointedState before;
  before.frameworks = {Framework(kFwA)};
  EXPECT_EQ(LoadOk(), before);
  Open();
  EXPECT_EQ(LoadOk(), before);

  // Nothing was left half-done: the same batch goes through once the cause is gone.
  Sql("DROP TRIGGER fail_boom;");
  ASSERT_TRUE(store_->Apply(batch).ok());
  agent::CheckpointedState after = LoadOk();
  EXPECT_EQ(after.frameworks, std::vector<model::FrameworkInfo>{Framework(kFwB)});
  EXPECT_EQ(after.tasks.size(), 2u);
}

TEST_F(AgentStoreTest, EachApplyIsOneCommit) {
  Open();
  int64_t before = WalCommits();
  ASSERT_GE(before, 1) << "the schema commit should be in the WAL";
  ASSERT_TRUE(store_->Apply(FullBatch()).ok());
  EXPECT_EQ(WalCommits(), before + 1) << "12 commands, 11 rows: one commit";
  ASSERT_TRUE(
      store_->Apply({cmd::RemoveTask{Key(kFwA, "web.1")}, cmd::RemoveTask{Key(kFwA, "web.2")}})
          .ok());
  EXPECT_EQ(WalCommits(), before + 2);
}

TEST_F(AgentStoreTest, UndecodableRowNamesTableAndKey) {
  ASSERT_TRUE(Open().Apply(FullBatch()).ok());
  store_.reset();
  Sql("UPDATE tasks SET record = '{\"framework_id\":{\"value\":\"fw-a\"}}'"
      " WHERE framework_id = 'fw-a' AND task_id = 'web.2';");
  Open();
  absl::StatusOr<agent::CheckpointedState> state = store_->Load();
  ASSERT_EQ(state.status().code(), absl::StatusCode::kDataLoss) << state.status();
  EXPECT_THAT(state.status().message(), HasSubstr("tasks (framework 'fw-a', task 'web.2')"));
  EXPECT_THAT(state.status().message(), HasSubstr("task.executor_id: required"));
}

TEST_F(AgentStoreTest, NonJsonUpdatesRowIsReported) {
  ASSERT_TRUE(Open().Apply(FullBatch()).ok());
  Sql("UPDATE updates SET updates = 'not json' WHERE task_id = 'web.1';");
  absl::StatusOr<agent::CheckpointedState> state = store_->Load();
  ASSERT_EQ(state.status().code(), absl::StatusCode::kDataLoss) << state.status();
  EXPECT_THAT(state.status().message(), HasSubstr("updates (framework 'fw-a', task 'web.1')"));
}

TEST_F(AgentStoreTest, RowWhoseValueNamesAnotherKeyIsReported) {
  ASSERT_TRUE(Open().Apply(FullBatch()).ok());
  std::string other = agent::ExecutorRecordToJson(Executor(kFwA, "exec-9", 1));
  Sql(StrCat("UPDATE executors SET record = '", other, "' WHERE executor_id = 'exec-1';"));
  absl::StatusOr<agent::CheckpointedState> state = store_->Load();
  ASSERT_EQ(state.status().code(), absl::StatusCode::kDataLoss) << state.status();
  EXPECT_THAT(state.status().message(),
              HasSubstr("executors (framework 'fw-a', executor 'exec-1')"));
}

TEST_F(AgentStoreTest, FrameworkWithoutIdIsRejectedAndRolledBack) {
  model::FrameworkInfo anonymous = Framework(kFwA);
  anonymous.id.reset();
  absl::Status status = Open().Apply({cmd::PutAgentInfo{Agent()}, cmd::PutFramework{anonymous}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(LoadOk(), agent::CheckpointedState{});
}

TEST_F(AgentStoreTest, RefusesADatabaseFromANewerSchema) {
  Open();
  store_.reset();
  Sql("PRAGMA user_version = 99;");
  absl::StatusOr<std::unique_ptr<AgentStore>> s = AgentStore::Open(path_);
  ASSERT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition) << s.status();
  EXPECT_THAT(s.status().message(), HasSubstr("99"));
}

TEST_F(AgentStoreTest, RefusesAFileThatIsNotADatabase) {
  {
    std::ofstream f(path_);
    f << "this is not an SQLite database, but it is long enough to have a header ....\n";
  }
  absl::StatusOr<std::unique_ptr<AgentStore>> s = AgentStore::Open(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kDataLoss) << s.status();
  EXPECT_THAT(s.status().message(), HasSubstr(path_));
}

TEST_F(AgentStoreTest, UnopenablePathIsUnavailable) {
  absl::StatusOr<std::unique_ptr<AgentStore>> s = AgentStore::Open(dir_ + "/missing-dir/agent.db");
  EXPECT_EQ(s.status().code(), absl::StatusCode::kUnavailable) << s.status();
}

}  // namespace
}  // namespace atl::io
