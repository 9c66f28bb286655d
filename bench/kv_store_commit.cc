// Durable commit rate of SqliteKvStore (core/io/kv_store.h): single-op commits against
// batches of 100 ops (KvStore::Commit directly, and through KvBatcher: 100 Adds + one Flush
// per turn), with a raw SQLite insert loop under the same pragmas (WAL, synchronous=FULL,
// prepared statement, one transaction per commit) as the ceiling, in the same run.
//
// Usage: kv_store_commit [dir] [single_commits] [batches]
//   dir: where the database files go (default: a new directory under $TMPDIR or /tmp); the
//   figures are mostly the fsync latency of that file system. The store and its ceiling write
//   to separate files in lock step (commit i of each, in rotating order), so a shared disk's
//   drift hits them alike; thread CPU time per commit shows the layers' own cost apart from
//   the wait for the disk.
// Prints `name value unit` lines.
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/base/strings.h"
#include "core/io/kv_store.h"

namespace {

using atl::StrCat;
using atl::io::KvBatcher;
using atl::io::KvStore;
using atl::io::SqliteKvStore;
using Clock = std::chrono::steady_clock;

constexpr int kBatchOps = 100;
constexpr size_t kValueBytes = 512;  // about an app definition's JSON

void Print(const std::string& name, double value, const char* unit) {
  std::printf("%s %.6g %s\n", name.c_str(), value, unit);
  std::fflush(stdout);
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "kv_store_commit: %s\n", what.c_str());
  std::exit(1);
}

// Latencies and thread CPU time of one scenario's commits, in microseconds.
struct Run {
  std::vector<double> latency_us;
  double cpu_us = 0;
  int ops_per_commit = 1;

  double busy_s() const {
    double sum = 0;
    for (double us : latency_us) sum += us;
    return sum / 1e6;
  }
  double commits_per_s() const { return static_cast<double>(latency_us.size()) / busy_s(); }
  double ops_per_s() const { return commits_per_s() * ops_per_commit; }
  double cpu_us_per_commit() const { return cpu_us / static_cast<double>(latency_us.size()); }
  double Percentile(double p) const {
    std::vector<double> v = latency_us;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
  }
};

double ThreadCpuMicros() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

// Commit `i` of one scenario (`ops` ops in one transaction).
using Writer = std::function<void(int i, int ops)>;

// Runs commit 0..n-1 of every writer in lock step, rotating which goes first, timing each.
std::vector<Run> Interleave(int n, int ops, const std::vector<Writer>& writers) {
  std::vector<Run> runs(writers.size());
  for (Run& r : runs) r.ops_per_commit = ops;
  for (int i = 0; i < n; ++i) {
    for (size_t k = 0; k < writers.size(); ++k) {
      const size_t w = (k + static_cast<size_t>(i)) % writers.size();
      const double cpu = ThreadCpuMicros();
      const Clock::time_point t = Clock::now();
      writers[w](i, ops);
      runs[w].latency_us.push_back(
          std::chrono::duration<double, std::micro>(Clock::now() - t).count());
      runs[w].cpu_us += ThreadCpuMicros() - cpu;
    }
  }
  return runs;
}

void Report(const std::string& name, const Run& run) {
  Print(name + "_commits_per_s", run.commits_per_s(), "commits/s");
  Print(name + "_ops_per_s", run.ops_per_s(), "ops/s");
  Print(name + "_p50_us", run.Percentile(0.5), "us");
  Print(name + "_p99_us", run.Percentile(0.99), "us");
  Print(name + "_cpu_us_per_commit", run.cpu_us_per_commit(), "us");
}

std::string Key(int commit, int op) { return StrCat("apps//bench/app-", commit, "-", op); }

std::unique_ptr<SqliteKvStore> OpenStore(const std::string& path) {
  absl::StatusOr<std::unique_ptr<SqliteKvStore>> store = SqliteKvStore::Open(path);
  if (!store.ok()) Die(std::string(store.status().message()));
  return std::move(*store);
}

// KvStore::Commit of `ops` creates (expected_version 0, as the API's POST does).
class KvWriter {
 public:
  explicit KvWriter(const std::string& path, const std::string& value)
      : store_(OpenStore(path)), value_(value) {}
  void operator()(int i, int ops) {
    std::vector<KvStore::Op> batch;
    batch.reserve(ops);
    for (int k = 0; k < ops; ++k) batch.push_back(KvStore::Op::Put(Key(i, k), value_, 0));
    absl::StatusOr<std::vector<int64_t>> r = store_->Commit(batch);
    if (!r.ok()) Die(std::string(r.status().message()));
  }

 private:
  std::unique_ptr<SqliteKvStore> store_;
  const std::string& value_;
};

// One loop turn: `ops` KvBatcher::Add of one create each, then Flush.
class BatcherWriter {
 public:
  explicit BatcherWriter(const std::string& path, const std::string& value)
      : store_(OpenStore(path)), batcher_(*store_), value_(value) {}
  void operator()(int i, int ops) {
    int answered = 0;
    for (int k = 0; k < ops; ++k) {
      batcher_.Add({KvStore::Op::Put(Key(i, k), value_, 0)},
                   [&](absl::StatusOr<std::vector<int64_t>> r) {
                     if (!r.ok()) Die(std::string(r.status().message()));
                     ++answered;
                   });
    }
    const int64_t commits = batcher_.stats().commits;
    batcher_.Flush();
    if (answered != ops || batcher_.stats().commits != commits + 1) Die("batcher");
  }

 private:
  std::unique_ptr<SqliteKvStore> store_;
  KvBatcher batcher_;
  const std::string& value_;
};

// The ceiling: plain INSERTs into a (key, version, value) table under the same pragmas, with
// prepared statements and one transaction per commit.
class RawWriter {
 public:
  RawWriter(const std::string& path, const std::string& value) : value_(value) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) Die("open raw");
    Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
    Exec(
        "CREATE TABLE raw (key TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL,"
        " value BLOB NOT NULL);");
    sqlite3_prepare_v2(db_, "BEGIN IMMEDIATE", -1, &begin_, nullptr);
    sqlite3_prepare_v2(db_, "COMMIT", -1, &commit_, nullptr);
    sqlite3_prepare_v2(db_, "INSERT INTO raw (key, version, value) VALUES (?1, 1, ?2)", -1,
                       &insert_, nullptr);
  }
  ~RawWriter() {
    sqlite3_finalize(begin_);
    sqlite3_finalize(commit_);
    sqlite3_finalize(insert_);
    sqlite3_close(db_);
  }
  RawWriter(const RawWriter&) = delete;
  RawWriter& operator=(const RawWriter&) = delete;

  void operator()(int i, int rows) {
    Step(begin_);
    for (int k = 0; k < rows; ++k) {
      std::string key = Key(i, k);
      sqlite3_bind_text(insert_, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
      sqlite3_bind_blob(insert_, 2, value_.data(), static_cast<int>(value_.size()), SQLITE_STATIC);
      Step(insert_);
    }
    Step(commit_);
  }

 private:
  void Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      Die(StrCat("raw: ", err != nullptr ? err : "?", " in ", sql));
    }
  }
  void Step(sqlite3_stmt* s) {
    if (sqlite3_step(s) != SQLITE_DONE) Die(StrCat("raw: ", sqlite3_errmsg(db_)));
    sqlite3_reset(s);
  }
  sqlite3* db_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  const std::string& value_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  if (argc > 1) {
    dir = argv[1];
  } else {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = StrCat(tmp != nullptr ? tmp : "/tmp", "/kv_store_commit_XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) Die("mkdtemp " + pattern);
    dir = pattern;
  }
  const int single = argc > 2 ? std::atoi(argv[2]) : 2000;
  const int batches = argc > 3 ? std::atoi(argv[3]) : 200;
  if (single <= 0 || batches <= 0) Die("counts must be positive");
  const std::string value(kValueBytes, 'j');
  std::printf("# dir %s, %zu-byte values, %d single-op commits, %d commits of %d ops\n",
              dir.c_str(), kValueBytes, single, batches, kBatchOps);

  std::vector<Run> singles;
  {
    RawWriter raw(dir + "/raw_single.db", value);
    KvWriter kv(dir + "/kv_single.db", value);
    singles = Interleave(single, 1, {std::ref(raw), std::ref(kv)});
  }
  std::vector<Run> batched;
  {
    RawWriter raw(dir + "/raw_batch.db", value);
    KvWriter kv(dir + "/kv_batch.db", value);
    BatcherWriter batcher(dir + "/batcher.db", value);
    batched = Interleave(batches, kBatchOps, {std::ref(raw), std::ref(kv), std::ref(batcher)});
  }
  const Run& raw_single = singles[0];
  const Run& kv_single = singles[1];
  const Run& raw_batch = batched[0];
  const Run& kv_batch = batched[1];
  const Run& batcher = batched[2];

  Report("raw_sqlite_single", raw_single);
  Report("kv_single", kv_single);
  Report("raw_sqlite_batch100", raw_batch);
  Report("kv_batch100", kv_batch);
  Report("kv_batcher100", batcher);
  Print("ratio_kv_single_vs_raw", kv_single.commits_per_s() / raw_single.commits_per_s(), "x");
  Print("ratio_kv_batch100_vs_raw", kv_batch.ops_per_s() / raw_batch.ops_per_s(), "x");
  Print("ratio_kv_batcher100_vs_raw", batcher.ops_per_s() / raw_batch.ops_per_s(), "x");
  Print("ratio_kv_batch100_vs_single_ops", kv_batch.ops_per_s() / kv_single.ops_per_s(), "x");
  Print("ratio_kv_single_cpu_vs_raw",
        kv_single.cpu_us_per_commit() / raw_single.cpu_us_per_commit(), "x");
  Print("ratio_kv_batch100_cpu_vs_raw",
        kv_batch.cpu_us_per_commit() / raw_batch.cpu_us_per_commit(), "x");

  if (argc <= 1) std::filesystem::remove_all(dir);
  return 0;
}
