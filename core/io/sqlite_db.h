// What our SQLite files share (the agent checkpoint, the scheduler's KvStore): opening with
// WAL, synchronous=FULL and a busy timeout; a schema created in one transaction and versioned
// in PRAGMA user_version (a newer file is refused); SQLite errors mapped to absl codes; and a
// cached statement executed with bindings that are dropped afterwards. For .cc files of
// core/io only.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace atl::io {

struct SqliteSchema {
  int version = 1;
  // CREATE TABLE IF NOT EXISTS ... (run inside the opening transaction).
  const char* sql = "";
  // Extra pragmas after "journal_mode=WAL; synchronous=FULL;" (e.g. journal_size_limit).
  const char* pragmas = "";
};

// Opens (creating) `path` and its schema. `noun` names the file in errors ("agent checkpoint",
// "kv store"). Errors: Unavailable (cannot open), DataLoss (not a database), FailedPrecondition
// (a newer schema version), or the mapped error of a failed statement.
absl::StatusOr<sqlite3*> OpenSqliteDb(const std::string& path, std::string_view noun,
                                      const SqliteSchema& schema);

// "<context>: <sqlite message>" with the code mapped: BUSY/LOCKED/CANTOPEN -> Unavailable,
// FULL -> ResourceExhausted, CORRUPT/NOTADB -> DataLoss, TOOBIG -> InvalidArgument, other ->
// Internal.
absl::Status SqliteError(sqlite3* db, int rc, std::string_view context);

// One execution of a cached statement: binds, steps, and on scope exit resets the statement
// and drops its bindings (which point into the caller's strings, bound without a copy).
class SqliteStep {
 public:
  explicit SqliteStep(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~SqliteStep() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  SqliteStep(const SqliteStep&) = delete;
  SqliteStep& operator=(const SqliteStep&) = delete;

  // REQUIRES: the bytes of `value` outlive this step.
  SqliteStep& BindText(int index, std::string_view value) {
    // A null pointer would bind NULL, and an empty string must stay the text ''.
    const char* data = value.data() != nullptr ? value.data() : "";
    return Check(sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_STATIC, SQLITE_UTF8));
  }
  // REQUIRES: the bytes of `value` outlive this step.
  SqliteStep& BindBlob(int index, const std::string& value) {
    return Check(sqlite3_bind_blob64(stmt_, index, value.data(), value.size(), SQLITE_STATIC));
  }
  SqliteStep& BindInt64(int index, int64_t value) {
    return Check(sqlite3_bind_int64(stmt_, index, value));
  }

  // SQLITE_ROW, SQLITE_DONE or an error code (a failed bind's, if any).
  int Run() { return bind_rc_ != SQLITE_OK ? bind_rc_ : sqlite3_step(stmt_); }

  // Column `column` of the current row as text ("" for NULL).
  std::string ColumnText(int column) const {
    const unsigned char* t = sqlite3_column_text(stmt_, column);
    if (t == nullptr) return "";
    return std::string(reinterpret_cast<const char*>(t),
                       static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
  }

  sqlite3_stmt* get() const { return stmt_; }

 private:
  SqliteStep& Check(int rc) {
    if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
    return *this;
  }
  sqlite3_stmt* stmt_;
  int bind_rc_ = SQLITE_OK;
};

}  // namespace atl::io
