#include "core/io/kv_store.h"

#include <sqlite3.h>

#include <iterator>
#include <utility>

#include "core/base/status.h"
#include "core/base/strings.h"
#include "core/io/event_loop.h"
#include "core/io/sqlite_db.h"

namespace atl::io {

namespace {

using Op = KvStore::Op;
using Entry = KvStore::Entry;

// Bumped on an incompatible schema change; a newer database is refused, not misread.
constexpr int kSchemaVersion = 1;

// A rowid table (not WITHOUT ROWID): values may be megabytes, and Keys() then reads only the
// primary key's index.
constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL,"
    " value BLOB NOT NULL);";

// `s` for an error message: printable ASCII as is, every other byte as \xNN, at most 100
// bytes of it. For keys that failed validation (valid keys are shown as they are).
std::string Escaped(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size() && i < 100; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      StrAppend(&out, "\\x", kHex[c >> 4], kHex[c & 0xf]);
    }
  }
  if (s.size() > 100) out.append("...");
  return out;
}

absl::Status InvalidKey(std::string_view key, std::string_view why) {
  return absl::InvalidArgumentError(StrCat("kv store: invalid key '", Escaped(key), "': ", why));
}

// Checks every op before anything is read or written.
absl::Status ValidateOps(const std::vector<Op>& ops) {
  for (const Op& op : ops) {
    RETURN_IF_ERROR(KvStore::ValidateKey(op.key));
    if (op.kind != Op::kPut && op.kind != Op::kDelete) {
      return absl::InvalidArgumentError(
          StrCat("kv store: key '", op.key, "': unknown op kind ", static_cast<int>(op.kind)));
    }
    if (op.expected_version.has_value() && *op.expected_version < 0) {
      return absl::InvalidArgumentError(
          StrCat("kv store: key '", op.key, "': negative expected_version ", *op.expected_version));
    }
  }
  return absl::OkStatus();
}

// Whether an op expecting `expected` may apply to a key whose version is `current`.
bool Matches(std::optional<int64_t> expected, std::optional<int64_t> current) {
  if (!expected.has_value()) return true;
  if (*expected == 0) return !current.has_value();
  return current.has_value() && *current == *expected;
}

std::string DescribeVersion(std::optional<int64_t> version) {
  return version.has_value() && *version != 0 ? StrCat("version ", *version) : "absent";
}

// The compare-and-set failure of ops[index].
absl::Status VersionMismatch(std::string_view store, const std::vector<Op>& ops, size_t index,
                             std::optional<int64_t> current) {
  const Op& op = ops[index];
  return absl::FailedPreconditionError(StrCat(
      store, ": version mismatch on key '", op.key, "' (", op.kind == Op::kPut ? "put" : "delete",
      ", op ", index + 1, " of ", ops.size(), "): expected ", DescribeVersion(op.expected_version),
      ", found ", DescribeVersion(current)));
}

// The smallest string greater than every string starting with `prefix`, or nullopt when there
// is none (empty, or only 0xff bytes).
std::optional<std::string> PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last != 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::nullopt;
}

std::string ColumnBytes(sqlite3_stmt* stmt, int column) {
  // sqlite3_column_blob first, then _bytes (the documented order; no text conversion).
  const void* data = sqlite3_column_blob(stmt, column);
  int size = sqlite3_column_bytes(stmt, column);
  if (data == nullptr || size <= 0) return "";
  return std::string(static_cast<const char*>(data), static_cast<size_t>(size));
}

// The key of the current row (column 0); DataLoss when it is not text.
absl::Status ReadKey(sqlite3_stmt* stmt, std::string_view store, std::string* key) {
  if (sqlite3_column_type(stmt, 0) != SQLITE_TEXT) {
    return absl::DataLossError(
        StrCat(store, ": a key that is not text: '", Escaped(ColumnBytes(stmt, 0)), "'"));
  }
  *key = ColumnBytes(stmt, 0);
  return absl::OkStatus();
}

// The version in `column` of the current row of `key`; DataLoss unless a positive integer.
absl::StatusOr<int64_t> ReadVersionColumn(sqlite3_stmt* stmt, int column, std::string_view store,
                                          const std::string& key) {
  int64_t version = sqlite3_column_int64(stmt, column);
  if (sqlite3_column_type(stmt, column) != SQLITE_INTEGER || version < 1) {
    return absl::DataLossError(StrCat(store, ": key '", key, "': stored version '",
                                      Escaped(ColumnBytes(stmt, column)),
                                      "' is not a positive integer"));
  }
  return version;
}

// Columns (key, version, value) of the current row.
absl::StatusOr<Entry> ReadEntry(sqlite3_stmt* stmt, std::string_view store) {
  Entry e;
  RETURN_IF_ERROR(ReadKey(stmt, store, &e.key));
  ASSIGN_OR_RETURN(e.version, ReadVersionColumn(stmt, 1, store, e.key));
  if (sqlite3_column_type(stmt, 2) == SQLITE_NULL) {
    return absl::DataLossError(StrCat(store, ": key '", e.key, "': no value"));
  }
  e.value = ColumnBytes(stmt, 2);
  return e;
}

}  // namespace

// ---- KvStore ----

absl::Status KvStore::ValidateKey(std::string_view key) {
  if (key.empty()) return InvalidKey(key, "empty");
  if (key.size() > kMaxKeyBytes) {
    return InvalidKey(key, StrCat(key.size(), " bytes (at most ", kMaxKeyBytes, ")"));
  }
  for (size_t i = 0; i < key.size();) {
    const unsigned char lead = static_cast<unsigned char>(key[i]);
    uint32_t cp;
    size_t len;
    uint32_t min;
    if (lead < 0x80) {
      cp = lead, len = 1, min = 0;
    } else if ((lead & 0xe0) == 0xc0) {
      cp = lead & 0x1f, len = 2, min = 0x80;
    } else if ((lead & 0xf0) == 0xe0) {
      cp = lead & 0x0f, len = 3, min = 0x800;
    } else if ((lead & 0xf8) == 0xf0) {
      cp = lead & 0x07, len = 4, min = 0x10000;
    } else {
      return InvalidKey(key, StrCat("not UTF-8 (byte ", i, ")"));
    }
    if (i + len > key.size()) return InvalidKey(key, StrCat("not UTF-8 (byte ", i, ")"));
    for (size_t k = 1; k < len; ++k) {
      const unsigned char c = static_cast<unsigned char>(key[i + k]);
      if ((c & 0xc0) != 0x80) return InvalidKey(key, StrCat("not UTF-8 (byte ", i + k, ")"));
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return InvalidKey(key, StrCat("not UTF-8 (byte ", i, ")"));
    }
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
      return InvalidKey(key, StrCat("control character at byte ", i));
    }
    i += len;
  }
  return absl::OkStatus();
}

// ---- SqliteKvStore ----

absl::StatusOr<std::unique_ptr<SqliteKvStore>> SqliteKvStore::Open(const std::string& path) {
  SqliteSchema schema;
  schema.version = kSchemaVersion;
  schema.sql = kSchema;
  // After a checkpoint, truncate a WAL that big values inflated.
  schema.pragmas = "PRAGMA journal_size_limit=67108864;";
  ASSIGN_OR_RETURN(sqlite3 * db, OpenSqliteDb(path, "kv store", schema));
  std::unique_ptr<SqliteKvStore> store(new SqliteKvStore(db, path));
  RETURN_IF_ERROR(store->Prepare());
  return store;
}

SqliteKvStore::~SqliteKvStore() {
  for (sqlite3_stmt* s : stmts_) sqlite3_finalize(s);  // null-safe
  sqlite3_close(db_);
}

absl::Status SqliteKvStore::Prepare() {
  static constexpr std::pair<Stmt, const char*> kSql[] = {
      {kBegin, "BEGIN IMMEDIATE"},
      {kCommit, "COMMIT"},
      {kRollback, "ROLLBACK"},
      {kSelectVersion, "SELECT version FROM kv WHERE key = ?1"},
      {kSelectEntry, "SELECT key, version, value FROM kv WHERE key = ?1"},
      {kUpsert,
       "INSERT INTO kv (key, version, value) VALUES (?1, ?2, ?3)"
       " ON CONFLICT (key) DO UPDATE SET version = excluded.version, value = excluded.value"},
      {kDelete, "DELETE FROM kv WHERE key = ?1"},
      {kListFrom, "SELECT key, version, value FROM kv WHERE key >= ?1 ORDER BY key"},
      {kListRange, "SELECT key, version, value FROM kv WHERE key >= ?1 AND key < ?2 ORDER BY key"},
      {kKeysFrom, "SELECT key FROM kv WHERE key >= ?1 ORDER BY key"},
      {kKeysRange, "SELECT key FROM kv WHERE key >= ?1 AND key < ?2 ORDER BY key"},
  };
  static_assert(std::size(kSql) == kNumStmts);
  for (const auto& [id, sql] : kSql) {
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmts_[id], nullptr);
    if (rc != SQLITE_OK) return Error(rc, StrCat("prepare '", sql, "'"));
  }
  return absl::OkStatus();
}

absl::Status SqliteKvStore::Error(int rc, std::string_view what) const {
  return SqliteError(db_, rc, StrCat("kv store ", path_, ": ", what));
}

absl::StatusOr<std::vector<int64_t>> SqliteKvStore::Commit(const std::vector<Op>& ops) {
  RETURN_IF_ERROR(ValidateOps(ops));
  std::vector<int64_t> versions;
  if (ops.empty()) return versions;
  if (int rc = SqliteStep(stmts_[kBegin]).Run(); rc != SQLITE_DONE) return Error(rc, "begin");
  absl::Status status = ApplyOps(ops, &versions);
  if (status.ok()) {
    if (int rc = SqliteStep(stmts_[kCommit]).Run(); rc != SQLITE_DONE) status = Error(rc, "commit");
  }
  // Never leave a transaction open behind us (some errors already rolled it back).
  if (!status.ok()) {
    if (!sqlite3_get_autocommit(db_)) SqliteStep(stmts_[kRollback]).Run();
    return status;
  }
  return versions;
}

absl::Status SqliteKvStore::ApplyOps(const std::vector<Op>& ops, std::vector<int64_t>* versions) {
  versions->reserve(ops.size());
  const std::string store = StrCat("kv store ", path_);
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    ASSIGN_OR_RETURN(std::optional<int64_t> current, ReadVersion(op.key));
    if (!Matches(op.expected_version, current)) return VersionMismatch(store, ops, i, current);
    if (op.kind == Op::kPut) {
      const int64_t version = current.value_or(0) + 1;
      SqliteStep step(stmts_[kUpsert]);
      int rc = step.BindText(1, op.key).BindInt64(2, version).BindBlob(3, op.value).Run();
      if (rc != SQLITE_DONE) {
        return Error(rc, StrCat("put '", op.key, "' (", op.value.size(), " bytes)"));
      }
      versions->push_back(version);
    } else {
      if (current.has_value()) {
        int rc = SqliteStep(stmts_[kDelete]).BindText(1, op.key).Run();
        if (rc != SQLITE_DONE) return Error(rc, StrCat("delete '", op.key, "'"));
      }
      versions->push_back(0);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<int64_t>> SqliteKvStore::ReadVersion(const std::string& key) {
  SqliteStep step(stmts_[kSelectVersion]);
  int rc = step.BindText(1, key).Run();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return Error(rc, StrCat("read version of '", key, "'"));
  return ReadVersionColumn(step.get(), 0, StrCat("kv store ", path_), key);
}

absl::StatusOr<std::optional<KvStore::Entry>> SqliteKvStore::Get(std::string_view key) {
  RETURN_IF_ERROR(ValidateKey(key));
  SqliteStep step(stmts_[kSelectEntry]);
  int rc = step.BindText(1, key).Run();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) return Error(rc, StrCat("get '", key, "'"));
  ASSIGN_OR_RETURN(Entry e, ReadEntry(step.get(), StrCat("kv store ", path_)));
  return e;
}

absl::Status SqliteKvStore::Scan(std::string_view prefix, bool with_values,
                                 std::vector<Entry>* out) {
  // A range on the primary key's index: key >= prefix AND key < PrefixEnd(prefix). One SELECT
  // is one read transaction, so the rows come from one commit.
  std::optional<std::string> end = PrefixEnd(prefix);
  Stmt stmt = with_values ? (end ? kListRange : kListFrom) : (end ? kKeysRange : kKeysFrom);
  SqliteStep step(stmts_[stmt]);
  step.BindText(1, prefix);
  if (end.has_value()) step.BindText(2, *end);
  const std::string store = StrCat("kv store ", path_);
  int rc;
  while ((rc = step.Run()) == SQLITE_ROW) {
    if (with_values) {
      ASSIGN_OR_RETURN(Entry e, ReadEntry(step.get(), store));
      out->push_back(std::move(e));
    } else {
      Entry e;
      RETURN_IF_ERROR(ReadKey(step.get(), store, &e.key));
      out->push_back(std::move(e));
    }
  }
  // A busy, I/O or corruption error is an error, never "no more rows".
  if (rc != SQLITE_DONE) return Error(rc, StrCat("list '", prefix, "'"));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<KvStore::Entry>> SqliteKvStore::List(std::string_view prefix) {
  std::vector<Entry> out;
  RETURN_IF_ERROR(Scan(prefix, /*with_values=*/true, &out));
  return out;
}

absl::StatusOr<std::vector<std::string>> SqliteKvStore::Keys(std::string_view prefix) {
  std::vector<Entry> rows;
  RETURN_IF_ERROR(Scan(prefix, /*with_values=*/false, &rows));
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (Entry& e : rows) out.push_back(std::move(e.key));
  return out;
}

// ---- InMemoryKvStore ----

absl::StatusOr<std::vector<int64_t>> InMemoryKvStore::Commit(const std::vector<Op>& ops) {
  RETURN_IF_ERROR(ValidateOps(ops));
  // The batch's effects, checked against entries_ as changed by the earlier ops, and applied
  // only when every op matched. A nullopt version is a delete.
  struct Change {
    std::optional<int64_t> version;
    const std::string* value = nullptr;
  };
  std::map<std::string_view, Change> changes;
  std::vector<int64_t> versions;
  versions.reserve(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    std::optional<int64_t> current;
    if (auto c = changes.find(op.key); c != changes.end()) {
      current = c->second.version;
    } else if (auto e = entries_.find(op.key); e != entries_.end()) {
      current = e->second.version;
    }
    if (!Matches(op.expected_version, current)) {
      return VersionMismatch("kv store (memory)", ops, i, current);
    }
    if (op.kind == Op::kPut) {
      const int64_t version = current.value_or(0) + 1;
      changes[op.key] = Change{version, &op.value};
      versions.push_back(version);
    } else {
      changes[op.key] = Change{std::nullopt, nullptr};
      versions.push_back(0);
    }
  }
  for (const auto& [key, change] : changes) {
    if (change.version.has_value()) {
      Record& r = entries_[std::string(key)];
      r.value = *change.value;
      r.version = *change.version;
    } else if (auto e = entries_.find(key); e != entries_.end()) {
      entries_.erase(e);
    }
  }
  return versions;
}

absl::StatusOr<std::optional<KvStore::Entry>> InMemoryKvStore::Get(std::string_view key) {
  RETURN_IF_ERROR(ValidateKey(key));
  auto e = entries_.find(key);
  if (e == entries_.end()) return std::nullopt;
  return Entry{e->first, e->second.value, e->second.version};
}

absl::StatusOr<std::vector<KvStore::Entry>> InMemoryKvStore::List(std::string_view prefix) {
  std::vector<Entry> out;
  for (auto e = entries_.lower_bound(prefix); e != entries_.end() && StartsWith(e->first, prefix);
       ++e) {
    out.push_back(Entry{e->first, e->second.value, e->second.version});
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> InMemoryKvStore::Keys(std::string_view prefix) {
  std::vector<std::string> out;
  for (auto e = entries_.lower_bound(prefix); e != entries_.end() && StartsWith(e->first, prefix);
       ++e) {
    out.push_back(e->first);
  }
  return out;
}

// ---- KvBatcher ----

KvBatcher::KvBatcher(KvStore& store) : store_(store) {}

KvBatcher::KvBatcher(KvStore& store, EventLoop& loop) : store_(store), loop_(&loop) {}

KvBatcher::~KvBatcher() = default;

void KvBatcher::Add(std::vector<KvStore::Op> ops, Done done) {
  pending_.push_back(OpSet{std::move(ops), std::move(done)});
  if (loop_ != nullptr && !flush_posted_) {
    flush_posted_ = true;
    loop_->Post([this, alive = std::weak_ptr<char>(alive_)] {
      if (alive.lock() != nullptr) Flush();
    });
  }
}

void KvBatcher::Flush() {
  flush_posted_ = false;
  if (pending_.empty()) return;
  // Op-sets added by the callbacks below go to the next flush.
  std::vector<OpSet> batch;
  batch.swap(pending_);
  ++stats_.flushes;

  std::vector<absl::StatusOr<std::vector<int64_t>>> results(batch.size(), std::vector<int64_t>{});
  std::vector<size_t> writers;  // op-sets with at least one op
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i].ops.empty()) writers.push_back(i);
  }
  auto commit_one = [&](size_t i) {
    ++stats_.commits;
    results[i] = store_.Commit(batch[i].ops);
  };
  if (writers.size() == 1) {
    commit_one(writers[0]);
  } else if (writers.size() > 1) {
    // Merge by moving the ops out (values may be large) and back if the batch must be split.
    std::vector<KvStore::Op> merged;
    for (size_t i : writers) {
      std::move(batch[i].ops.begin(), batch[i].ops.end(), std::back_inserter(merged));
    }
    ++stats_.commits;
    absl::StatusOr<std::vector<int64_t>> all = store_.Commit(merged);
    size_t at = 0;
    for (size_t i : writers) {
      const size_t n = batch[i].ops.size();
      std::move(merged.begin() + at, merged.begin() + at + n, batch[i].ops.begin());
      if (all.ok()) results[i] = std::vector<int64_t>(all->begin() + at, all->begin() + at + n);
      at += n;
    }
    if (!all.ok()) {
      const absl::StatusCode code = all.status().code();
      if (code == absl::StatusCode::kFailedPrecondition ||
          code == absl::StatusCode::kInvalidArgument) {
        // One writer's problem: give every op-set its own transaction, in order.
        ++stats_.fallbacks;
        for (size_t i : writers) commit_one(i);
      } else {
        for (size_t i : writers) results[i] = all.status();
      }
    }
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    ++stats_.op_sets;
    if (batch[i].done) batch[i].done(std::move(results[i]));
  }
}

}  // namespace atl::io
