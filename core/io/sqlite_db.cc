#include "core/io/sqlite_db.h"

#include "core/base/status.h"
#include "core/base/strings.h"

namespace atl::io {

absl::Status SqliteError(sqlite3* db, int rc, std::string_view context) {
  std::string msg = StrCat(context, ": ", db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
      return absl::UnavailableError(msg);
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(msg);
    case SQLITE_TOOBIG:
      return absl::InvalidArgumentError(msg);
    default:
      return absl::InternalError(msg);
  }
}

absl::StatusOr<sqlite3*> OpenSqliteDb(const std::string& path, std::string_view noun,
                                      const SqliteSchema& schema) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::UnavailableError(StrCat("cannot open ", noun, " ", path, ": ", msg));
  }
  sqlite3_extended_result_codes(db, 1);
  // A reader (a sqlite3 shell, a backup) may hold the lock briefly: wait rather than fail.
  sqlite3_busy_timeout(db, 5000);
  const std::string context = StrCat(noun, " ", path);
  auto fail = [&](absl::Status status) -> absl::StatusOr<sqlite3*> {
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK;", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    return status;
  };
  auto exec = [&](const std::string& sql, std::string_view what) -> absl::Status {
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    return rc == SQLITE_OK ? absl::OkStatus() : SqliteError(db, rc, StrCat(context, ": ", what));
  };
  // FULL: an acknowledgement (ACKNOWLEDGED to an executor, 201 to an API client) promises the
  // write survives power loss, not only a crash of the process.
  if (absl::Status s =
          exec(StrCat("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; ", schema.pragmas),
               "set up journal");
      !s.ok()) {
    return fail(s);
  }
  if (absl::Status s = exec("BEGIN IMMEDIATE;", "create schema"); !s.ok()) return fail(s);
  int version = 0;
  sqlite3_stmt* stmt = nullptr;
  rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) version = sqlite3_column_int(stmt, 0);
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW) return fail(SqliteError(db, rc, StrCat(context, ": read schema version")));
  if (version > schema.version) {
    return fail(absl::FailedPreconditionError(StrCat(context, " has schema version ", version,
                                                     "; this binary reads version ", schema.version,
                                                     " (written by a newer one?)")));
  }
  if (absl::Status s = exec(schema.sql, "create schema"); !s.ok()) return fail(s);
  if (absl::Status s =
          exec(StrCat("PRAGMA user_version = ", schema.version, "; COMMIT;"), "create schema");
      !s.ok()) {
    return fail(s);
  }
  return db;
}

}  // namespace atl::io
