#include "core/io/agent_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <initializer_list>
#include <iterator>
#include <string_view>
#include <utility>
#include <variant>

#include "core/agent/checkpoint_json.h"
#include "core/api/json.h"
#include "core/api/json_model.h"
#include "core/base/overloaded.h"
#include "core/base/status.h"
#include "core/base/strings.h"
#include "core/io/sqlite_db.h"

namespace atl::io {

namespace {

namespace cmd = agent::cmd;

// Bumped on an incompatible schema change; a newer database is refused, not misread.
constexpr int kSchemaVersion = 1;

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS agent_info (id INTEGER PRIMARY KEY CHECK (id = 0),"
    " info TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS frameworks (id TEXT PRIMARY KEY, info TEXT NOT NULL)"
    " WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS executors (framework_id TEXT NOT NULL, executor_id TEXT NOT NULL,"
    " record TEXT NOT NULL, PRIMARY KEY (framework_id, executor_id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS tasks (framework_id TEXT NOT NULL, task_id TEXT NOT NULL,"
    " record TEXT NOT NULL, PRIMARY KEY (framework_id, task_id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS updates (framework_id TEXT NOT NULL, task_id TEXT NOT NULL,"
    " updates TEXT NOT NULL, PRIMARY KEY (framework_id, task_id)) WITHOUT ROWID;";

// "(framework 'f1', task 'web.1')" for error messages.
std::string Key2(std::string_view a_name, const std::string& a, std::string_view b_name,
                 const std::string& b) {
  return StrCat("(", a_name, " '", a, "', ", b_name, " '", b, "')");
}

}  // namespace

absl::StatusOr<std::unique_ptr<AgentStore>> AgentStore::Open(const std::string& path) {
  SqliteSchema schema;
  schema.version = kSchemaVersion;
  schema.sql = kSchema;
  ASSIGN_OR_RETURN(sqlite3 * db, OpenSqliteDb(path, "agent checkpoint", schema));
  std::unique_ptr<AgentStore> store(new AgentStore(db, path));
  RETURN_IF_ERROR(store->Prepare());
  return store;
}

AgentStore::~AgentStore() {
  for (sqlite3_stmt* s : stmts_) sqlite3_finalize(s);  // null-safe
  sqlite3_close(db_);
}

absl::Status AgentStore::Prepare() {
  static constexpr std::pair<Stmt, const char*> kSql[] = {
      {kBegin, "BEGIN IMMEDIATE"},
      {kBeginRead, "BEGIN DEFERRED"},
      {kCommit, "COMMIT"},
      {kRollback, "ROLLBACK"},
      {kPutAgentInfo,
       "INSERT INTO agent_info (id, info) VALUES (0, ?1)"
       " ON CONFLICT (id) DO UPDATE SET info = excluded.info"},
      {kPutFramework,
       "INSERT INTO frameworks (id, info) VALUES (?1, ?2)"
       " ON CONFLICT (id) DO UPDATE SET info = excluded.info"},
      {kRemoveFramework, "DELETE FROM frameworks WHERE id = ?1"},
      {kPutExecutor,
       "INSERT INTO executors (framework_id, executor_id, record) VALUES (?1, ?2, ?3)"
       " ON CONFLICT (framework_id, executor_id) DO UPDATE SET record = excluded.record"},
      {kRemoveExecutor, "DELETE FROM executors WHERE framework_id = ?1 AND executor_id = ?2"},
      {kPutTask,
       "INSERT INTO tasks (framework_id, task_id, record) VALUES (?1, ?2, ?3)"
       " ON CONFLICT (framework_id, task_id) DO UPDATE SET record = excluded.record"},
      {kRemoveTask, "DELETE FROM tasks WHERE framework_id = ?1 AND task_id = ?2"},
      {kPutUpdates,
       "INSERT INTO updates (framework_id, task_id, updates) VALUES (?1, ?2, ?3)"
       " ON CONFLICT (framework_id, task_id) DO UPDATE SET updates = excluded.updates"},
      {kRemoveUpdates, "DELETE FROM updates WHERE framework_id = ?1 AND task_id = ?2"},
      {kSelectAgentInfo, "SELECT info FROM agent_info WHERE id = 0"},
      {kSelectFrameworks, "SELECT id, info FROM frameworks ORDER BY id"},
      {kSelectExecutors,
       "SELECT framework_id, executor_id, record FROM executors"
       " ORDER BY framework_id, executor_id"},
      {kSelectTasks,
       "SELECT framework_id, task_id, record FROM tasks ORDER BY framework_id, task_id"},
      {kSelectUpdates,
       "SELECT framework_id, task_id, updates FROM updates ORDER BY framework_id, task_id"},
  };
  static_assert(std::size(kSql) == kNumStmts);
  for (const auto& [id, sql] : kSql) {
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmts_[id], nullptr);
    if (rc != SQLITE_OK) return Error(rc, StrCat("prepare '", sql, "'"));
  }
  return absl::OkStatus();
}

absl::Status AgentStore::Error(int rc, const std::string& what) const {
  return SqliteError(db_, rc, StrCat("agent checkpoint ", path_, ": ", what));
}

// ---- Apply ----

absl::Status AgentStore::Apply(const std::vector<agent::Command>& commands) {
  if (std::none_of(commands.begin(), commands.end(),
                   [](const agent::Command& c) { return agent::IsDurable(c); })) {
    return absl::OkStatus();
  }
  if (int rc = SqliteStep(stmts_[kBegin]).Run(); rc != SQLITE_DONE) return Error(rc, "begin");
  absl::Status status;
  for (const agent::Command& command : commands) {
    status = ApplyOne(command);
    if (!status.ok()) break;
  }
  if (status.ok()) {
    if (int rc = SqliteStep(stmts_[kCommit]).Run(); rc != SQLITE_DONE) status = Error(rc, "commit");
  }
  // Never leave a transaction open behind us (some errors already rolled it back).
  if (!status.ok() && !sqlite3_get_autocommit(db_)) SqliteStep(stmts_[kRollback]).Run();
  return status;
}

absl::Status AgentStore::ApplyOne(const agent::Command& command) {
  // Runs a write statement with its bound values; `what` names the command for errors.
  auto write = [&](Stmt stmt, std::initializer_list<const std::string*> values,
                   const auto& what) -> absl::Status {
    SqliteStep step(stmts_[stmt]);
    int index = 1;
    for (const std::string* v : values) step.BindText(index++, *v);
    int rc = step.Run();
    return rc == SQLITE_DONE ? absl::OkStatus() : Error(rc, what());
  };
  return std::visit(
      Overloaded{
          [&](const cmd::PutAgentInfo& c) {
            std::string json = api::ToJson(c.info, api::WriteAgentInfo);
            return write(kPutAgentInfo, {&json}, [] { return std::string("put agent info"); });
          },
          [&](const cmd::PutFramework& c) {
            if (!c.info.id.has_value()) {
              return absl::InvalidArgumentError(StrCat(
                  "agent checkpoint ", path_, ": put framework '", c.info.name, "' without an id"));
            }
            const std::string& id = c.info.id->value();
            std::string json = api::ToJson(c.info, api::WriteFrameworkInfo);
            return write(kPutFramework, {&id, &json},
                         [&] { return StrCat("put framework '", id, "'"); });
          },
          [&](const cmd::RemoveFramework& c) {
            return write(kRemoveFramework, {&c.id.value()},
                         [&] { return StrCat("remove framework '", c.id.value(), "'"); });
          },
          [&](const cmd::PutExecutor& c) {
            const std::string& fw = c.executor.framework_id.value();
            const std::string& id = c.executor.info.executor_id.value();
            std::string json = agent::ExecutorRecordToJson(c.executor);
            return write(kPutExecutor, {&fw, &id, &json}, [&] {
              return StrCat("put executor ", Key2("framework", fw, "executor", id));
            });
          },
          [&](const cmd::RemoveExecutor& c) {
            const std::string& fw = c.framework_id.value();
            const std::string& id = c.executor_id.value();
            return write(kRemoveExecutor, {&fw, &id}, [&] {
              return StrCat("remove executor ", Key2("framework", fw, "executor", id));
            });
          },
          [&](const cmd::PutTask& c) {
            const std::string& fw = c.task.framework_id.value();
            const std::string& id = c.task.info.task_id.value();
            std::string json = agent::TaskRecordToJson(c.task);
            return write(kPutTask, {&fw, &id, &json},
                         [&] { return StrCat("put task ", Key2("framework", fw, "task", id)); });
          },
          [&](const cmd::RemoveTask& c) {
            const std::string& fw = c.key.first.value();
            const std::string& id = c.key.second.value();
            return write(kRemoveTask, {&fw, &id},
                         [&] { return StrCat("remove task ", Key2("framework", fw, "task", id)); });
          },
          [&](const cmd::PutUpdates& c) {
            const std::string& fw = c.key.first.value();
            const std::string& id = c.key.second.value();
            auto what = [&] { return StrCat("put updates ", Key2("framework", fw, "task", id)); };
            if (c.updates.empty()) return write(kRemoveUpdates, {&fw, &id}, what);
            std::string json = agent::UpdatesToJson(c.updates);
            return write(kPutUpdates, {&fw, &id, &json}, what);
          },
          // Not durable state: the shell carries these out itself.
          [](const cmd::SendToMaster&) { return absl::OkStatus(); },
          [](const cmd::LaunchExecutor&) { return absl::OkStatus(); },
          [](const cmd::SendToExecutor&) { return absl::OkStatus(); },
          [](const cmd::CloseExecutorStream&) { return absl::OkStatus(); },
          [](const cmd::DestroyContainer&) { return absl::OkStatus(); },
          [](const cmd::WakeAt&) { return absl::OkStatus(); },
      },
      command);
}

// ---- Load ----

absl::StatusOr<agent::CheckpointedState> AgentStore::Load() {
  // One read transaction: the rows of all tables come from the same commit.
  if (int rc = SqliteStep(stmts_[kBeginRead]).Run(); rc != SQLITE_DONE)
    return Error(rc, "begin read");
  agent::CheckpointedState state;
  absl::Status status = LoadRows(&state);
  if (int rc = SqliteStep(stmts_[kCommit]).Run(); rc != SQLITE_DONE && status.ok()) {
    status = Error(rc, "end read");
  }
  if (!sqlite3_get_autocommit(db_)) SqliteStep(stmts_[kRollback]).Run();
  if (!status.ok()) return status;
  return state;
}

absl::Status AgentStore::LoadRows(agent::CheckpointedState* state) {
  // Every scan must end in SQLITE_DONE: a busy, I/O or corruption error is an error, never
  // "no more rows" (an agent that silently forgot a task would be worse than one that stops).
  auto scan = [&](Stmt stmt, const char* table, const auto& on_row) -> absl::Status {
    SqliteStep step(stmts_[stmt]);
    int rc;
    while ((rc = step.Run()) == SQLITE_ROW) RETURN_IF_ERROR(on_row(step));
    return rc == SQLITE_DONE ? absl::OkStatus() : Error(rc, StrCat("cannot read ", table));
  };
  auto corrupt = [&](std::string_view table, const std::string& key, absl::string_view why) {
    return absl::DataLossError(
        StrCat("agent checkpoint ", path_, ": ", table, " ", key, ": ", why));
  };

  RETURN_IF_ERROR(scan(kSelectAgentInfo, "agent_info", [&](const SqliteStep& row) -> absl::Status {
    absl::StatusOr<model::AgentInfo> info = api::ParseJson(row.ColumnText(0), api::ParseAgentInfo);
    if (!info.ok()) return corrupt("agent_info", "(id 0)", info.status().message());
    state->info = std::move(*info);
    return absl::OkStatus();
  }));

  RETURN_IF_ERROR(scan(kSelectFrameworks, "frameworks", [&](const SqliteStep& row) -> absl::Status {
    std::string id = row.ColumnText(0);
    std::string key = StrCat("(id '", id, "')");
    absl::StatusOr<model::FrameworkInfo> info =
        api::ParseJson(row.ColumnText(1), api::ParseFrameworkInfo);
    if (!info.ok()) return corrupt("frameworks", key, info.status().message());
    if (!info->id.has_value() || info->id->value() != id) {
      return corrupt("frameworks", key, "the stored FrameworkInfo has another id");
    }
    state->frameworks.push_back(std::move(*info));
    return absl::OkStatus();
  }));

  RETURN_IF_ERROR(scan(kSelectExecutors, "executors", [&](const SqliteStep& row) -> absl::Status {
    std::string fw = row.ColumnText(0);
    std::string id = row.ColumnText(1);
    std::string key = Key2("framework", fw, "executor", id);
    absl::StatusOr<agent::ExecutorRecord> record = agent::ParseExecutorRecord(row.ColumnText(2));
    if (!record.ok()) return corrupt("executors", key, record.status().message());
    if (record->framework_id.value() != fw || record->info.executor_id.value() != id) {
      return corrupt("executors", key, "the stored record names another executor");
    }
    state->executors.push_back(std::move(*record));
    return absl::OkStatus();
  }));

  RETURN_IF_ERROR(scan(kSelectTasks, "tasks", [&](const SqliteStep& row) -> absl::Status {
    std::string fw = row.ColumnText(0);
    std::string id = row.ColumnText(1);
    std::string key = Key2("framework", fw, "task", id);
    absl::StatusOr<agent::TaskRecord> record = agent::ParseTaskRecord(row.ColumnText(2));
    if (!record.ok()) return corrupt("tasks", key, record.status().message());
    if (record->framework_id.value() != fw || record->info.task_id.value() != id) {
      return corrupt("tasks", key, "the stored record names another task");
    }
    state->tasks.push_back(std::move(*record));
    return absl::OkStatus();
  }));

  return scan(kSelectUpdates, "updates", [&](const SqliteStep& row) -> absl::Status {
    std::string fw = row.ColumnText(0);
    std::string id = row.ColumnText(1);
    std::string key = Key2("framework", fw, "task", id);
    absl::StatusOr<std::vector<model::TaskStatus>> updates = agent::ParseUpdates(row.ColumnText(2));
    if (!updates.ok()) return corrupt("updates", key, updates.status().message());
    for (const model::TaskStatus& status : *updates) {
      if (status.task_id.value() != id) {
        return corrupt("updates", key, StrCat("an update of task '", status.task_id.value(), "'"));
      }
    }
    if (updates->empty()) return absl::OkStatus();  // "none", as PutUpdates with an empty list
    state->updates.emplace_back(agent::TaskKey{model::FrameworkId(fw), model::TaskId(id)},
                                std::move(*updates));
    return absl::OkStatus();
  });
}

}  // namespace atl::io
