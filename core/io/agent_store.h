// AgentStore: the agent's checkpoint (agent::CheckpointedState) in SQLite under its work dir.
// The shell applies the durable commands of each loop turn as one batch (group commit, one
// transaction, fsync'd: WAL with synchronous=FULL) before running any other command of that
// turn, and replays Load() as in::Recover after a restart.
//
// Schema (values are the JSON of core/agent/checkpoint_json.h and core/api/json_model.h; keys
// are the raw id strings; PRAGMA user_version = 1):
//   agent_info (id INTEGER PRIMARY KEY CHECK (id = 0), info TEXT)   -- AgentInfo, one row
//   frameworks (id, info)                                          -- FrameworkInfo
//   executors  (framework_id, executor_id, record)                 -- ExecutorRecord
//   tasks      (framework_id, task_id, record)                     -- TaskRecord
//   updates    (framework_id, task_id, updates)                    -- [TaskStatus], oldest first
//
// Not thread-safe: use one AgentStore from one thread (the agent's loop), one per database.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/agent/agent.h"

struct sqlite3;
struct sqlite3_stmt;

namespace atl::io {

class AgentStore {
 public:
  // Opens (creating if needed) the database file at `path` and its tables. Fails with
  // Unavailable when the file cannot be opened, DataLoss when it is not a readable SQLite
  // database, FailedPrecondition when it was written by a newer schema version.
  static absl::StatusOr<std::unique_ptr<AgentStore>> Open(const std::string& path);
  ~AgentStore();
  AgentStore(const AgentStore&) = delete;
  AgentStore& operator=(const AgentStore&) = delete;

  // Everything checkpointed, from one consistent snapshot, rows in key order (frameworks by id,
  // executors by (framework, executor), tasks and updates by (framework, task)); empty on a
  // new database. A row that does not decode, or whose value names another key than its row,
  // fails the whole load with DataLoss naming the table and the key
  // ("agent checkpoint <path>: tasks (framework 'f1', task 'web.1'): task.state: required"): the
  // agent must then refuse to start rather than forget tasks. Read errors are never taken
  // for "no more rows".
  absl::StatusOr<agent::CheckpointedState> Load();

  // Makes the durable commands of `commands` (Put*/Remove*) durable in order, in ONE
  // transaction: on return OK all of them are on disk, on error none is (rolled back).
  // Other commands (sends, launches, WakeAt, ...) are ignored; a batch without durable
  // commands touches nothing. Puts replace the row of their key; removes of absent rows are
  // no-ops; PutUpdates with an empty list deletes the task's updates row. RemoveFramework and
  // RemoveTask remove only their own row (the agent removes executors, tasks and updates with
  // their own commands). Fails (batch rolled back) with InvalidArgument for a PutFramework
  // without an id, else with the SQLite error: Unavailable when the database stayed locked,
  // ResourceExhausted on a full disk, DataLoss on corruption, Internal otherwise.
  absl::Status Apply(const std::vector<agent::Command>& commands);

 private:
  // Cached prepared statements, prepared once in Open.
  enum Stmt {
    kBegin,
    kBeginRead,
    kCommit,
    kRollback,
    kPutAgentInfo,
    kPutFramework,
    kRemoveFramework,
    kPutExecutor,
    kRemoveExecutor,
    kPutTask,
    kRemoveTask,
    kPutUpdates,
    kRemoveUpdates,
    kSelectAgentInfo,
    kSelectFrameworks,
    kSelectExecutors,
    kSelectTasks,
    kSelectUpdates,
    kNumStmts,
  };
  AgentStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  absl::Status Prepare();
  absl::Status ApplyOne(const agent::Command& command);
  absl::Status LoadRows(agent::CheckpointedState* state);
  // The status for SQLite result `rc` while doing `what`.
  absl::Status Error(int rc, const std::string& what) const;

  sqlite3* db_;
  std::string path_;
  std::array<sqlite3_stmt*, kNumStmts> stmts_{};
};

}  // namespace atl::io
