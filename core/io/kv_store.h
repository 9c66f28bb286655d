// KvStore: durable, versioned key/value entries with compare-and-set, written in atomic
// batches. The service scheduler keeps its state here (apps, groups, app versions,
// deployments, instances, the framework id), so that all of it survives a kill -9 and an
// acknowledged API write is never lost (the REST layer answers only after Commit returned OK,
// see KvBatcher).
//
// Backends: SqliteKvStore (embedded default: one file, WAL, fsync'd commits),
// InMemoryKvStore (tests, simulator), and later a ZooKeeper backend for HA. The semantics
// below are ZooKeeper's (per-key versions, conditional create/set/delete, multi-op
// transactions), so a ZooKeeper backend can implement the interface without emulation:
//
// Keys. Non-empty UTF-8 text of at most kMaxKeyBytes bytes without control characters
// (U+0000-U+001F, U+007F-U+009F); anything else, '/' included, is allowed. Hierarchy is a
// caller convention: "apps//prod/web" (namespace "apps", then the app id "/prod/web"),
// "apps//prod/web/versions/2015-10-13T12:00:00.000Z", "framework-id". Keys are ordered by
// their bytes (memcmp), which for UTF-8 is Unicode code point order. A ZooKeeper backend
// encodes keys into znode names (ZooKeeper refuses empty path segments such as the "//"
// above, "." and "..", and several code point ranges), e.g. percent-encoding, under a root
// node of its own.
//
// Versions. Each key has an int64 version: 1 when created, +1 on every put; deleting a key
// forgets its version (re-creating starts again at 1, as a ZooKeeper znode's version does:
// the ZooKeeper backend stores our version as the znode's version + 1). An op's
// `expected_version` is its compare-and-set condition: nullopt = unconditional, 0 = the key
// must not exist, N > 0 = the key must exist with version N.
//
// Values. Arbitrary bytes (NUL included), unbounded here (SQLite caps one value at ~1 GB).
// ZooKeeper caps a znode, and a whole multi-op request, at jute.maxbuffer (1 MB by default):
// the ZooKeeper backend will have to split large values (chunks written first, then a small
// node pointing at them, CAS'd) rather than impose the limit on callers.
//
// Threading: a store is used from one thread (the scheduler's loop); none is thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct sqlite3;
struct sqlite3_stmt;

namespace atl::io {

class EventLoop;

class KvStore {
 public:
  // The longest key accepted, in bytes.
  static constexpr size_t kMaxKeyBytes = 4096;

  struct Entry {
    std::string key;
    std::string value;
    int64_t version = 0;  // >= 1
    bool operator==(const Entry&) const = default;
  };

  struct Op {
    enum Kind { kPut, kDelete };
    Kind kind = kPut;
    std::string key;
    std::string value;  // kPut only; ignored for kDelete
    // The compare-and-set condition: nullopt = unconditional; 0 = the key must not exist;
    // N > 0 = the key must exist with version N. Negative values are InvalidArgument.
    std::optional<int64_t> expected_version;

    static Op Put(std::string key, std::string value,
                  std::optional<int64_t> expected_version = std::nullopt) {
      return Op{kPut, std::move(key), std::move(value), expected_version};
    }
    static Op Delete(std::string key, std::optional<int64_t> expected_version = std::nullopt) {
      return Op{kDelete, std::move(key), "", expected_version};
    }
    bool operator==(const Op&) const = default;
  };

  virtual ~KvStore() = default;

  // Applies `ops` in order as ONE atomic transaction (ZooKeeper's multi): on OK all of them
  // are durable, on any error none is applied. Each op sees the effects of the ops before it
  // (put then conditional put of the same key in one batch works). An unconditional delete of
  // an absent key is a no-op, as is a delete with expected_version 0.
  //
  // Returns one number per op: a put's new version, 0 for a delete. An empty `ops` returns an
  // empty vector without touching the store. Errors:
  //   InvalidArgument     a bad key or a negative expected_version (nothing is checked or
  //                       written; the message names the key), or a value the backend cannot
  //                       hold;
  //   FailedPrecondition  the compare-and-set: the message names the first op (in order) whose
  //                       expected_version did not match, with the expected and found version;
  //   DataLoss            a stored entry is unreadable (the message names its key);
  //   Unavailable, ResourceExhausted (disk full), Internal: the backend failed. SQLite and
  //                       the in-memory store roll back, so nothing was applied; a future
  //                       remote backend may not know (connection lost after sending): after
  //                       an Unavailable, re-read before retrying a non-idempotent batch.
  virtual absl::StatusOr<std::vector<int64_t>> Commit(const std::vector<Op>& ops) = 0;

  // The entry of `key`, or nullopt when it does not exist. InvalidArgument for an invalid key.
  virtual absl::StatusOr<std::optional<Entry>> Get(std::string_view key) = 0;

  // Every entry whose key starts with `prefix` (plain byte prefix: "a" matches "a", "a/x" and
  // "ab"; pass "a/" for the children of "a"; "" matches everything), sorted by key. SQLite and
  // the in-memory store return one consistent snapshot; a ZooKeeper backend reads entries one
  // by one (each is a committed value; with the single leader as the only writer, the result
  // is still a snapshot of its own commits). `prefix` needs not be a valid key.
  virtual absl::StatusOr<std::vector<Entry>> List(std::string_view prefix) = 0;

  // The keys List(prefix) would return, without reading values.
  virtual absl::StatusOr<std::vector<std::string>> Keys(std::string_view prefix) = 0;

  // OK when `key` is a valid key (see the top of this file), else InvalidArgument saying why.
  static absl::Status ValidateKey(std::string_view key);
};

// The embedded default: one SQLite database file.
//
// Schema (PRAGMA user_version = 1):
//   kv (key TEXT PRIMARY KEY, version INTEGER NOT NULL, value BLOB NOT NULL)
// Every Commit is one `BEGIN IMMEDIATE ... COMMIT` transaction; with journal_mode=WAL and
// synchronous=FULL the commit returns after the write-ahead log was fsync'd, so an OK
// survives a kill -9 of the process and a power loss. Statements are prepared once, in Open.
// A row whose version is not a positive integer or whose value is NULL is DataLoss naming
// its key. SQLite errors map to: busy/locked (after the 5 s busy timeout) -> Unavailable,
// disk full -> ResourceExhausted, corrupt/not a database -> DataLoss, value too big ->
// InvalidArgument, anything else -> Internal; messages name the file.
class SqliteKvStore : public KvStore {
 public:
  // Opens (creating if needed) the database file at `path`. Fails with Unavailable when the
  // file cannot be opened, DataLoss when it is not a readable SQLite database,
  // FailedPrecondition when it was written by a newer schema version.
  static absl::StatusOr<std::unique_ptr<SqliteKvStore>> Open(const std::string& path);
  ~SqliteKvStore() override;
  SqliteKvStore(const SqliteKvStore&) = delete;
  SqliteKvStore& operator=(const SqliteKvStore&) = delete;

  absl::StatusOr<std::vector<int64_t>> Commit(const std::vector<Op>& ops) override;
  absl::StatusOr<std::optional<Entry>> Get(std::string_view key) override;
  absl::StatusOr<std::vector<Entry>> List(std::string_view prefix) override;
  absl::StatusOr<std::vector<std::string>> Keys(std::string_view prefix) override;

  const std::string& path() const { return path_; }

 private:
  // Cached prepared statements, prepared once in Open.
  enum Stmt {
    kBegin,
    kCommit,
    kRollback,
    kSelectVersion,
    kSelectEntry,
    kUpsert,
    kDelete,
    kListFrom,
    kListRange,
    kKeysFrom,
    kKeysRange,
    kNumStmts,
  };
  SqliteKvStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  absl::Status Prepare();
  absl::Status ApplyOps(const std::vector<Op>& ops, std::vector<int64_t>* versions);
  // Current version of `key` (nullopt: absent) inside the open transaction.
  absl::StatusOr<std::optional<int64_t>> ReadVersion(const std::string& key);
  // Runs List/Keys' range scan; `with_values` selects the List statements.
  absl::Status Scan(std::string_view prefix, bool with_values, std::vector<Entry>* out);
  // The status for SQLite result `rc` while doing `what`.
  absl::Status Error(int rc, std::string_view what) const;

  sqlite3* db_;
  std::string path_;
  std::array<sqlite3_stmt*, kNumStmts> stmts_{};
};

// Everything in a std::map: same semantics and error codes as SqliteKvStore, nothing durable.
// Deterministic, for tests and the simulator.
class InMemoryKvStore : public KvStore {
 public:
  absl::StatusOr<std::vector<int64_t>> Commit(const std::vector<Op>& ops) override;
  absl::StatusOr<std::optional<Entry>> Get(std::string_view key) override;
  absl::StatusOr<std::vector<Entry>> List(std::string_view prefix) override;
  absl::StatusOr<std::vector<std::string>> Keys(std::string_view prefix) override;

 private:
  struct Record {
    std::string value;
    int64_t version = 0;
  };
  std::map<std::string, Record, std::less<>> entries_;
};

// Group commit for the shell: collects the op-sets of one loop turn and commits them as one
// transaction (one fsync for the turn instead of one per API write), then calls each
// op-set's completion callback with that op-set's outcome, so the REST layer answers 201/200
// only once the write is durable.
//
// Use: the scheduler runtime calls Add(ops, done) for every write a turn produces. With the
// EventLoop constructor the first Add of a turn posts Flush() to the loop (EventLoop::Post),
// so it runs after the handlers already queued, and everything they Add joins the same
// transaction; with the plain constructor the caller calls Flush() at the end of its turn.
//
// Isolation: op-sets are merged in Add order into one Commit. When that commit fails with
// FailedPrecondition (a compare-and-set lost) or InvalidArgument (a bad key), which belong
// to one writer, each op-set is committed again on its own, in Add order, so one bad writer
// fails alone and the others get exactly the outcome they would have had in sequence (two
// creates of the same key in one turn: the first wins, the second gets FailedPrecondition).
// That turn then costs one transaction per op-set. Any other error (the disk, the database)
// is the store's and fails every op-set of the batch with it (nothing was applied).
//
// Reads (KvStore::Get/List) do not see op-sets still pending here. Callbacks run on the
// thread calling Flush, after every commit of the flush, in Add order; they may Add (that
// op-set joins the next turn) and call Flush. Not thread-safe: one loop thread. The store
// must outlive the batcher; with a loop, the loop must too (a Flush posted before the
// batcher was destroyed does nothing).
class KvBatcher {
 public:
  // The outcome of one op-set: KvStore::Commit's result for just these ops.
  using Done = std::function<void(absl::StatusOr<std::vector<int64_t>> versions)>;

  struct Stats {
    int64_t flushes = 0;    // Flush() calls that committed at least one op-set
    int64_t commits = 0;    // KvStore::Commit calls
    int64_t op_sets = 0;    // op-sets completed (callbacks called)
    int64_t fallbacks = 0;  // merged batches retried op-set by op-set
  };

  // Flushes only when Flush() is called.
  explicit KvBatcher(KvStore& store);
  // Posts a Flush() to `loop` on the first Add after a flush.
  KvBatcher(KvStore& store, EventLoop& loop);
  // Drops pending op-sets without committing them or calling their callbacks: Flush() first
  // to commit them.
  ~KvBatcher();
  KvBatcher(const KvBatcher&) = delete;
  KvBatcher& operator=(const KvBatcher&) = delete;

  // Queues `ops` (one atomic unit: all or nothing, even after a fallback) and `done`, called
  // once with the outcome after the commit. An empty `ops` completes with an empty vector.
  void Add(std::vector<KvStore::Op> ops, Done done);

  // Commits every op-set pending now and calls their callbacks. No-op when nothing is pending.
  void Flush();

  size_t pending() const { return pending_.size(); }
  const Stats& stats() const { return stats_; }

 private:
  struct OpSet {
    std::vector<KvStore::Op> ops;
    Done done;
  };

  KvStore& store_;
  EventLoop* loop_ = nullptr;
  bool flush_posted_ = false;
  std::vector<OpSet> pending_;
  Stats stats_;
  // Posted flushes hold it weakly: a flush posted before destruction does nothing.
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace atl::io
