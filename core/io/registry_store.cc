#include "core/io/registry_store.h"

#include <sqlite3.h>

#include "core/api/json.h"
#include "core/api/json_model.h"
#include "core/base/status.h"
#include "core/base/strings.h"

namespace atl::io {

namespace {

// A prepared statement that finalizes itself.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return stmt_; }
  void BindText(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  std::string Text(int col) {
    const unsigned char* t = sqlite3_column_text(stmt_, col);
    return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(stmt_, col)) : "";
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

std::string AgentJson(const model::AgentInfo& info) {
  api::JsonWriter w;
  api::WriteAgentInfo(w, info);
  return w.Finish();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteRegistryStore>> SqliteRegistryStore::Open(
    const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::UnavailableError(StrCat("cannot open registry ", path, ": ", msg));
  }
  std::unique_ptr<SqliteRegistryStore> store(new SqliteRegistryStore(db));
  // FULL: an acknowledged admission or weight change survives power loss, not only a crash.
  // A reader (a sqlite3 shell, a backup) may hold the lock briefly: wait rather than fail.
  sqlite3_busy_timeout(db, 5000);
  RETURN_IF_ERROR(store->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"));
  RETURN_IF_ERROR(store->Exec(
      "CREATE TABLE IF NOT EXISTS agents (id TEXT PRIMARY KEY, info TEXT NOT NULL,"
      " unreachable INTEGER NOT NULL, unreachable_ns INTEGER NOT NULL, gone INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS weights (role TEXT PRIMARY KEY, weight REAL NOT NULL);"
      "CREATE TABLE IF NOT EXISTS quotas (role TEXT PRIMARY KEY, guarantees TEXT NOT NULL,"
      " limits TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"));
  return store;
}

SqliteRegistryStore::~SqliteRegistryStore() { sqlite3_close(db_); }

absl::Status SqliteRegistryStore::Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return absl::InternalError(StrCat("registry: ", msg));
  }
  return absl::OkStatus();
}

absl::StatusOr<master::Registry> SqliteRegistryStore::Load() {
  // Every read must end in SQLITE_DONE: a busy, I/O or corruption error is an error, never
  // "no more rows" (a master that silently forgot its quotas or gone agents would be worse).
  auto read_error = [&](const char* table) {
    return absl::DataLossError(StrCat("registry: cannot read ", table, ": ", sqlite3_errmsg(db_)));
  };
  master::Registry r;
  int rc;
  {
    Statement s(db_, "SELECT info, unreachable, unreachable_ns, gone FROM agents ORDER BY rowid");
    if (!s.ok()) return read_error("agents");
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      absl::StatusOr<model::AgentInfo> info = api::ParseJson(s.Text(0), api::ParseAgentInfo);
      if (!info.ok()) {
        return absl::DataLossError(StrCat("registry: unreadable agent: ", info.status().message()));
      }
      if (!info->id) return absl::DataLossError("registry: an agent without an id");
      master::Registry::AgentEntry e;
      e.info = *info;
      e.unreachable = sqlite3_column_int(s.get(), 1) != 0;
      e.unreachable_time = Timestamp::FromNanoseconds(sqlite3_column_int64(s.get(), 2));
      e.gone = sqlite3_column_int(s.get(), 3) != 0;
      r.agents[*e.info.id] = std::move(e);
    }
    if (rc != SQLITE_DONE) return read_error("agents");
  }
  {
    Statement s(db_, "SELECT role, weight FROM weights");
    if (!s.ok()) return read_error("weights");
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      r.weights[s.Text(0)] = sqlite3_column_double(s.get(), 1);
    }
    if (rc != SQLITE_DONE) return read_error("weights");
  }
  {
    Statement s(db_, "SELECT role, guarantees, limits FROM quotas");
    if (!s.ok()) return read_error("quotas");
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
      allocator::Quota q;
      auto g = model::Resources::Parse(s.Text(1));
      auto l = model::Resources::Parse(s.Text(2));
      if (!g.ok() || !l.ok()) return absl::DataLossError("registry: unreadable quota");
      q.guarantees = *g;
      q.limits = *l;
      r.quotas[s.Text(0)] = q;
    }
    if (rc != SQLITE_DONE) return read_error("quotas");
  }
  {
    Statement s(db_, "SELECT value FROM meta WHERE key = 'next_agent_number'");
    if (!s.ok()) return read_error("meta");
    rc = sqlite3_step(s.get());
    if (rc == SQLITE_ROW) {
      uint64_t n = 0;
      if (!ParseUint64(s.Text(0), &n)) return absl::DataLossError("registry: bad agent counter");
      r.next_agent_number = n;
    } else if (rc != SQLITE_DONE) {
      return read_error("meta");
    }
  }
  return r;
}

absl::Status SqliteRegistryStore::Apply(const master::RegistryDelta& d) {
  RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE;"));
  auto fail = [&](const char* what) {
    std::string msg = StrCat("registry: ", what, ": ", sqlite3_errmsg(db_));
    Exec("ROLLBACK;").IgnoreError();
    return absl::InternalError(msg);
  };
  if (!d.agents.empty()) {
    Statement s(db_, "INSERT OR REPLACE INTO agents VALUES (?, ?, ?, ?, ?)");
    if (!s.ok()) return fail("prepare");
    for (const master::Registry::AgentEntry& e : d.agents) {
      s.BindText(1, e.info.id ? e.info.id->value() : "");
      s.BindText(2, AgentJson(e.info));
      sqlite3_bind_int(s.get(), 3, e.unreachable ? 1 : 0);
      sqlite3_bind_int64(s.get(), 4, e.unreachable_time.nanoseconds());
      sqlite3_bind_int(s.get(), 5, e.gone ? 1 : 0);
      if (sqlite3_step(s.get()) != SQLITE_DONE) return fail("upsert agent");
      sqlite3_reset(s.get());
    }
  }
  if (d.weights) {
    if (!Exec("DELETE FROM weights;").ok()) return fail("clear weights");
    Statement s(db_, "INSERT INTO weights VALUES (?, ?)");
    for (const auto& [role, weight] : *d.weights) {
      s.BindText(1, role);
      sqlite3_bind_double(s.get(), 2, weight);
      if (sqlite3_step(s.get()) != SQLITE_DONE) return fail("insert weight");
      sqlite3_reset(s.get());
    }
  }
  if (d.quotas) {
    if (!Exec("DELETE FROM quotas;").ok()) return fail("clear quotas");
    Statement s(db_, "INSERT INTO quotas VALUES (?, ?, ?)");
    for (const auto& [role, q] : *d.quotas) {
      s.BindText(1, role);
      s.BindText(2, q.guarantees.ToString());
      s.BindText(3, q.limits.ToString());
      if (sqlite3_step(s.get()) != SQLITE_DONE) return fail("insert quota");
      sqlite3_reset(s.get());
    }
  }
  {
    Statement s(db_, "INSERT OR REPLACE INTO meta VALUES ('next_agent_number', ?)");
    s.BindText(1, std::to_string(d.next_agent_number));
    if (sqlite3_step(s.get()) != SQLITE_DONE) return fail("insert meta");
  }
  if (absl::Status s = Exec("COMMIT;"); !s.ok()) {
    Exec("ROLLBACK;").IgnoreError();  // never leave a transaction open behind us
    return s;
  }
  return absl::OkStatus();
}

}  // namespace atl::io
