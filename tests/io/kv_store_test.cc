// KvStore (core/io/kv_store.h): the same semantics test suite over SqliteKvStore (a real file
// in a temporary directory) and InMemoryKvStore; SQLite-only checks (reopen, schema,
// corruption, an acknowledged commit surviving kill -9 of the writer); and KvBatcher's group
// commit (one transaction per turn, callbacks after it, compare-and-set failures isolated).
#include "core/io/kv_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/strings.h"
#include "core/io/event_loop.h"
#include "tests/io/io_test_util.h"

namespace atl::io {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Op = KvStore::Op;
using Entry = KvStore::Entry;

// A fresh temporary directory, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string dir = ::testing::TempDir();
    if (dir.empty() || dir.back() != '/') dir.push_back('/');
    std::string pattern = StrCat(dir, "kv_store_XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp " << pattern;
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// ---- the typed suite: one backend per type ----

struct SqliteBackend {
  TempDir dir;
  std::unique_ptr<SqliteKvStore> store;
  KvStore& Open() {
    store.reset();
    absl::StatusOr<std::unique_ptr<SqliteKvStore>> s = SqliteKvStore::Open(dir.path() + "/kv.db");
    EXPECT_TRUE(s.ok()) << s.status();
    store = std::move(*s);
    return *store;
  }
};

struct MemoryBackend {
  std::unique_ptr<InMemoryKvStore> store;
  KvStore& Open() {
    store = std::make_unique<InMemoryKvStore>();
    return *store;
  }
};

template <typename Backend>
class KvStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = &backend_.Open(); }

  KvStore& store() { return *store_; }

  std::vector<int64_t> CommitOk(const std::vector<Op>& ops) {
    absl::StatusOr<std::vector<int64_t>> r = store_->Commit(ops);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::vector<int64_t>{};
  }
  std::optional<Entry> GetOk(std::string_view key) {
    absl::StatusOr<std::optional<Entry>> e = store_->Get(key);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? *e : std::nullopt;
  }
  std::vector<Entry> ListOk(std::string_view prefix) {
    absl::StatusOr<std::vector<Entry>> l = store_->List(prefix);
    EXPECT_TRUE(l.ok()) << l.status();
    return l.ok() ? *l : std::vector<Entry>{};
  }
  std::vector<std::string> KeysOk(std::string_view prefix) {
    absl::StatusOr<std::vector<std::string>> k = store_->Keys(prefix);
    EXPECT_TRUE(k.ok()) << k.status();
    return k.ok() ? *k : std::vector<std::string>{};
  }

  Backend backend_;
  KvStore* store_ = nullptr;
};

using Backends = ::testing::Types<SqliteBackend, MemoryBackend>;
class BackendNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, SqliteBackend> ? "Sqlite" : "Memory";
  }
};
TYPED_TEST_SUITE(KvStoreTest, Backends, BackendNames);

TYPED_TEST(KvStoreTest, CreateStartsAtVersionOne) {
  EXPECT_EQ(this->GetOk("apps//prod/web"), std::nullopt);
  EXPECT_THAT(this->CommitOk({Op::Put("apps//prod/web", "{\"id\":\"/prod/web\"}", 0)}),
              ElementsAre(1));
  EXPECT_EQ(this->GetOk("apps//prod/web"), (Entry{"apps//prod/web", "{\"id\":\"/prod/web\"}", 1}));
  EXPECT_THAT(this->CommitOk({Op::Put("framework-id", "fw-1")}), ElementsAre(1));
  EXPECT_EQ(this->GetOk("framework-id"), (Entry{"framework-id", "fw-1", 1}));
}

TYPED_TEST(KvStoreTest, EmptyCommitIsOk) { EXPECT_THAT(this->CommitOk({}), IsEmpty()); }

TYPED_TEST(KvStoreTest, UpdateWithCasBumpsTheVersion) {
  this->CommitOk({Op::Put("k", "v1")});
  EXPECT_THAT(this->CommitOk({Op::Put("k", "v2", 1)}), ElementsAre(2));
  EXPECT_THAT(this->CommitOk({Op::Put("k", "v3")}), ElementsAre(3));  // unconditional
  EXPECT_THAT(this->CommitOk({Op::Put("k", "v4", 3)}), ElementsAre(4));
  EXPECT_EQ(this->GetOk("k"), (Entry{"k", "v4", 4}));
}

TYPED_TEST(KvStoreTest, ConflictingCasFailsAndChangesNothing) {
  this->CommitOk({Op::Put("apps//web", "a"), Op::Put("apps//web", "b")});  // version 2
  struct Case {
    Op op;
    std::string expected;
    std::string found;
  };
  const std::vector<Case> cases = {
      {Op::Put("apps//web", "stale", 1), "expected version 1", "found version 2"},
      {Op::Put("apps//web", "create", 0), "expected absent", "found version 2"},
      {Op::Put("apps//web", "future", 3), "expected version 3", "found version 2"},
      {Op::Delete("apps//web", 1), "expected version 1", "found version 2"},
      {Op::Put("apps//missing", "x", 1), "expected version 1", "found absent"},
      {Op::Delete("apps//missing", 4), "expected version 4", "found absent"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::vector<int64_t>> r = this->store().Commit({c.op});
    ASSERT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
    EXPECT_THAT(r.status().message(), HasSubstr(StrCat("'", c.op.key, "'")));
    EXPECT_THAT(r.status().message(), HasSubstr(c.expected));
    EXPECT_THAT(r.status().message(), HasSubstr(c.found));
  }
  EXPECT_EQ(this->GetOk("apps//web"), (Entry{"apps//web", "b", 2}));
  EXPECT_EQ(this->GetOk("apps//missing"), std::nullopt);
  EXPECT_THAT(this->KeysOk(""), ElementsAre("apps//web"));
}

TYPED_TEST(KvStoreTest, DeleteWithAndWithoutVersion) {
  this->CommitOk({Op::Put("a", "1"), Op::Put("b", "1"), Op::Put("b", "2")});
  EXPECT_THAT(this->CommitOk({Op::Delete("a")}), ElementsAre(0));     // unconditional
  EXPECT_THAT(this->CommitOk({Op::Delete("b", 2)}), ElementsAre(0));  // with its version
  EXPECT_THAT(this->CommitOk({Op::Delete("a")}), ElementsAre(0));     // absent: a no-op
  EXPECT_THAT(this->CommitOk({Op::Delete("a", 0)}), ElementsAre(0));  // "must not exist"
  EXPECT_EQ(this->GetOk("a"), std::nullopt);
  EXPECT_EQ(this->GetOk("b"), std::nullopt);
  // A re-created key starts again at 1, as a ZooKeeper znode does.
  EXPECT_THAT(this->CommitOk({Op::Put("b", "again", 0)}), ElementsAre(1));
  EXPECT_EQ(this->GetOk("b"), (Entry{"b", "again", 1}));
}

TYPED_TEST(KvStoreTest, BatchIsAtomic) {
  this->CommitOk({Op::Put("deployments/d1", "old")});
  // The last op fails its compare-and-set: none of the earlier ones may stay.
  absl::StatusOr<std::vector<int64_t>> r = this->store().Commit({
      Op::Put("apps//a", "A", 0),
      Op::Delete("deployments/d1", 1),
      Op::Put("groups/", "root"),
      Op::Put("apps//b", "B", 7),
      Op::Put("apps//c", "C", 9),
  });
  ASSERT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
  // The first mismatching op is named, not a later one.
  EXPECT_THAT(r.status().message(), HasSubstr("'apps//b'"));
  EXPECT_THAT(r.status().message(), HasSubstr("op 4 of 5"));
  EXPECT_THAT(r.status().message(), ::testing::Not(HasSubstr("apps//c")));
  EXPECT_THAT(this->ListOk(""), ElementsAre(Entry{"deployments/d1", "old", 1}));

  // The same batch without the bad op applies entirely, in order.
  EXPECT_THAT(this->CommitOk({Op::Put("apps//a", "A", 0), Op::Delete("deployments/d1", 1),
                              Op::Put("groups/", "root")}),
              ElementsAre(1, 0, 1));
  EXPECT_THAT(this->ListOk(""), ElementsAre(Entry{"apps//a", "A", 1}, Entry{"groups/", "root", 1}));
}

TYPED_TEST(KvStoreTest, OpsOfABatchSeeTheEarlierOnes) {
  EXPECT_THAT(this->CommitOk({Op::Put("x", "1", 0), Op::Put("x", "2", 1), Op::Put("x", "3", 2)}),
              ElementsAre(1, 2, 3));
  EXPECT_THAT(this->CommitOk({Op::Delete("x", 3), Op::Put("x", "new", 0)}), ElementsAre(0, 1));
  EXPECT_EQ(this->GetOk("x"), (Entry{"x", "new", 1}));
  // Put then delete in one batch leaves nothing.
  EXPECT_THAT(this->CommitOk({Op::Put("y", "1"), Op::Delete("y", 1)}), ElementsAre(1, 0));
  EXPECT_EQ(this->GetOk("y"), std::nullopt);
  // A batch whose second op conflicts with its own first op fails whole.
  absl::StatusOr<std::vector<int64_t>> r =
      this->store().Commit({Op::Put("z", "1", 0), Op::Put("z", "2", 0)});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
  EXPECT_EQ(this->GetOk("z"), std::nullopt);
}

TYPED_TEST(KvStoreTest, InvalidKeysAreRejectedBeforeAnythingIsWritten) {
  const std::vector<std::string> bad = {
      "",
      std::string("nul\0byte", 8),
      "tab\there",
      "new\nline",
      "del\x7f",
      "c1\xc2\x85",             // U+0085, a C1 control
      "bad\xff",                // not UTF-8
      "cut\xe6\x97",            // truncated sequence
      "overlong\xc0\xaf",       // overlong '/'
      "surrogate\xed\xa0\x80",  // U+D800
      "big\xf4\x90\x80\x80",    // above U+10FFFF
      std::string(KvStore::kMaxKeyBytes + 1, 'k'),
  };
  for (const std::string& key : bad) {
    EXPECT_EQ(KvStore::ValidateKey(key).code(), absl::StatusCode::kInvalidArgument)
        << "key of " << key.size() << " bytes";
    absl::StatusOr<std::vector<int64_t>> r =
        this->store().Commit({Op::Put("good", "v"), Op::Put(key, "v")});
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
    EXPECT_EQ(this->store().Get(key).status().code(), absl::StatusCode::kInvalidArgument);
  }
  absl::StatusOr<std::vector<int64_t>> r = this->store().Commit({Op::Put("good", "v", -1)});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("'good'"));
  EXPECT_EQ(this->GetOk("good"), std::nullopt);

  for (const std::string& key :
       {std::string(KvStore::kMaxKeyBytes, 'k'), std::string("sp ace/é/日本/😀/\U0010FFFF"),
        std::string("apps//prod/web/2015-10-13T12:00:00.000Z"), std::string("/"),
        std::string("..")}) {
    EXPECT_TRUE(KvStore::ValidateKey(key).ok()) << KvStore::ValidateKey(key);
    this->CommitOk({Op::Put(key, "v", 0)});
    EXPECT_EQ(this->GetOk(key), (Entry{key, "v", 1}));
  }
}

TYPED_TEST(KvStoreTest, ListAndKeysByPrefixInByteOrder) {
  const std::vector<std::string> keys = {
      "b",
      "a",
      "ab",
      "a/x",
      "a/y/z",
      "apps//prod/web",
      "apps//prod/web2",
      "apps//p",
      "a b",
      "é",
      "e",
      "z",
      "日本/東京",
      "😀",
      "a/",
      "aa",
      "\U0010FFFF/x",
      "\U0010FFFF",
      "a-",
  };
  std::vector<Op> ops;
  for (const std::string& k : keys) ops.push_back(Op::Put(k, "v:" + k));
  this->CommitOk(ops);
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());  // std::string compares bytes as unsigned char

  EXPECT_EQ(this->KeysOk(""), sorted);
  std::vector<Entry> all = this->ListOk("");
  ASSERT_EQ(all.size(), sorted.size());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i], (Entry{sorted[i], "v:" + sorted[i], 1}));
  }
  // A plain byte prefix: "a" covers "ab"; "a/" only the children of "a".
  EXPECT_THAT(this->KeysOk("a"), ElementsAre("a", "a b", "a-", "a/", "a/x", "a/y/z", "aa", "ab",
                                             "apps//p", "apps//prod/web", "apps//prod/web2"));
  EXPECT_THAT(this->KeysOk("a/"), ElementsAre("a/", "a/x", "a/y/z"));
  EXPECT_THAT(this->KeysOk("ab"), ElementsAre("ab"));
  EXPECT_THAT(this->KeysOk("abc"), IsEmpty());
  EXPECT_THAT(this->KeysOk("apps//prod/web"), ElementsAre("apps//prod/web", "apps//prod/web2"));
  EXPECT_THAT(this->KeysOk("apps//prod/web/"), IsEmpty());
  EXPECT_THAT(this->KeysOk("zz"), IsEmpty());
  EXPECT_THAT(this->KeysOk("0"), IsEmpty());
  // Unicode: "é" sorts after every ASCII key; a partial UTF-8 sequence is a valid prefix.
  EXPECT_THAT(this->KeysOk("é"), ElementsAre("é"));
  EXPECT_THAT(this->KeysOk("\xc3"), ElementsAre("é"));
  EXPECT_THAT(this->KeysOk("日本"), ElementsAre("日本/東京"));
  // The largest code point, whose last byte is 0xbf, and a prefix of 0xff bytes (no upper bound).
  EXPECT_THAT(this->KeysOk("\U0010FFFF"), ElementsAre("\U0010FFFF", "\U0010FFFF/x"));
  EXPECT_THAT(this->KeysOk("\xf4"), ElementsAre("\U0010FFFF", "\U0010FFFF/x"));
  EXPECT_THAT(this->KeysOk("\xff\xff"), IsEmpty());
  EXPECT_THAT(this->ListOk("a/y"), ElementsAre(Entry{"a/y/z", "v:a/y/z", 1}));
}

TYPED_TEST(KvStoreTest, LargeAndBinaryValues) {
  std::string big(10 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 131 + i / 4096) & 0xff);
  const std::string binary("\0\xff\x01 nul\0inside", 14);
  EXPECT_THAT(
      this->CommitOk({Op::Put("big", big, 0), Op::Put("binary", binary), Op::Put("empty", "")}),
      ElementsAre(1, 1, 1));
  std::optional<Entry> e = this->GetOk("big");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->version, 1);
  EXPECT_TRUE(e->value == big) << "10 MB value differs (size " << e->value.size() << ")";
  EXPECT_EQ(this->GetOk("binary"), (Entry{"binary", binary, 1}));
  EXPECT_EQ(this->GetOk("empty"), (Entry{"empty", "", 1}));
  // Replace it with another big value, then read it through List.
  std::reverse(big.begin(), big.end());
  this->CommitOk({Op::Put("big", big, 1)});
  std::vector<Entry> listed = this->ListOk("bi");
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].key, "big");
  EXPECT_EQ(listed[0].version, 2);
  EXPECT_TRUE(listed[0].value == big);
}

// ---- SQLite only ----

class SqliteKvStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { path_ = dir_.path() + "/kv.db"; }

  SqliteKvStore& Open() {
    store_.reset();
    absl::StatusOr<std::unique_ptr<SqliteKvStore>> s = SqliteKvStore::Open(path_);
    EXPECT_TRUE(s.ok()) << s.status();
    if (!s.ok()) std::abort();
    store_ = std::move(*s);
    return *store_;
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

  TempDir dir_;
  std::string path_;
  std::unique_ptr<SqliteKvStore> store_;
};

TEST_F(SqliteKvStoreTest, ReopenKeepsEverything) {
  std::string big(3 << 20, 'x');
  ASSERT_TRUE(
      Open()
          .Commit({Op::Put("apps//web", "a"), Op::Put("apps//web", "b"),
                   Op::Put("framework-id", "fw-1"), Op::Put("big", big), Op::Put("gone", "x")})
          .ok());
  ASSERT_TRUE(store_->Commit({Op::Delete("gone", 1)}).ok());
  Open();
  Open();  // twice: reopening does not touch what is there
  absl::StatusOr<std::vector<Entry>> all = store_->List("");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(*all, ElementsAre(Entry{"apps//web", "b", 2}, Entry{"big", big, 1},
                                Entry{"framework-id", "fw-1", 1}));
  // Versions continue where they were.
  absl::StatusOr<std::vector<int64_t>> r = store_->Commit({Op::Put("apps//web", "c", 2)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(*r, ElementsAre(3));
}

TEST_F(SqliteKvStoreTest, CorruptRowsAreDataLossNamingTheKey) {
  ASSERT_TRUE(Open().Commit({Op::Put("apps//ok", "1"), Op::Put("apps//bad", "2")}).ok());
  Sql("UPDATE kv SET version = 0 WHERE key = 'apps//bad';");
  for (const absl::Status& s : {store_->Get("apps//bad").status(), store_->List("").status(),
                                store_->Commit({Op::Put("apps//bad", "3")}).status()}) {
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    EXPECT_THAT(s.message(), HasSubstr("'apps//bad'"));
    EXPECT_THAT(s.message(), HasSubstr(path_));
  }
  EXPECT_TRUE(store_->Get("apps//ok").ok());
  Sql("UPDATE kv SET version = 'seven' WHERE key = 'apps//bad';");
  EXPECT_EQ(store_->List("apps").status().code(), absl::StatusCode::kDataLoss);
  // The failed commit left nothing behind and the store stays usable.
  Sql("UPDATE kv SET version = 1 WHERE key = 'apps//bad';");
  absl::StatusOr<std::optional<Entry>> e = store_->Get("apps//bad");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(*e, (Entry{"apps//bad", "2", 1}));
  EXPECT_TRUE(store_->Commit({Op::Put("apps//bad", "3", 1)}).ok());
}

TEST_F(SqliteKvStoreTest, RefusesADatabaseFromANewerSchema) {
  Open();
  store_.reset();
  Sql("PRAGMA user_version = 99;");
  absl::StatusOr<std::unique_ptr<SqliteKvStore>> s = SqliteKvStore::Open(path_);
  ASSERT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition) << s.status();
  EXPECT_THAT(s.status().message(), HasSubstr("99"));
}

TEST_F(SqliteKvStoreTest, RefusesAFileThatIsNotADatabase) {
  {
    std::ofstream f(path_);
    f << "this is not an SQLite database, but it is long enough to have a header ....\n";
  }
  absl::StatusOr<std::unique_ptr<SqliteKvStore>> s = SqliteKvStore::Open(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kDataLoss) << s.status();
  EXPECT_THAT(s.status().message(), HasSubstr(path_));
}

TEST_F(SqliteKvStoreTest, UnopenablePathIsUnavailable) {
  absl::StatusOr<std::unique_ptr<SqliteKvStore>> s =
      SqliteKvStore::Open(dir_.path() + "/missing-dir/kv.db");
  EXPECT_EQ(s.status().code(), absl::StatusCode::kUnavailable) << s.status();
}

// A child process commits batches as fast as it can and reports each acknowledged one on a
// pipe; the test SIGKILLs it right after the 50th acknowledgement (mid-way through later
// commits). Every acknowledged batch must be there after reopening, and every batch whole.
// (kill -9 leaves the page cache intact; synchronous=FULL is what covers power loss.)
TEST_F(SqliteKvStoreTest, AcknowledgedCommitsSurviveKill9) {
  constexpr uint32_t kAcked = 50;
  const std::string value(4096, 'v');
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The child: no gtest, no return; only the store and the pipe.
    ::close(fds[0]);
    absl::StatusOr<std::unique_ptr<SqliteKvStore>> store = SqliteKvStore::Open(path_);
    if (!store.ok()) ::_exit(2);
    for (uint32_t i = 0;; ++i) {
      std::string batch = StrCat("batch/", std::string(6 - std::to_string(i).size(), '0'), i);
      absl::StatusOr<std::vector<int64_t>> r =
          (*store)->Commit({Op::Put(batch + "/a", value, 0), Op::Put(batch + "/b", value, 0),
                            Op::Put("counter", std::to_string(i))});
      if (!r.ok()) ::_exit(3);
      if (::write(fds[1], &i, sizeof(i)) != sizeof(i)) ::_exit(4);
    }
  }
  ::close(fds[1]);
  uint32_t acked = 0;
  uint32_t last = 0;
  while (acked < kAcked) {
    ssize_t n = ::read(fds[0], &last, sizeof(last));
    if (n != sizeof(last)) break;
    ++acked;
  }
  ::kill(pid, SIGKILL);
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ::close(fds[0]);
  ASSERT_EQ(acked, kAcked) << "the child stopped early, wait status " << wstatus;
  ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL) << wstatus;
  EXPECT_EQ(last, kAcked - 1);

  absl::StatusOr<std::vector<std::string>> keys = Open().Keys("batch/");
  ASSERT_TRUE(keys.ok()) << keys.status();
  // Batches 0..n-1, both keys of each, n >= the acknowledged count.
  ASSERT_EQ(keys->size() % 2, 0u);
  const uint32_t batches = static_cast<uint32_t>(keys->size() / 2);
  EXPECT_GE(batches, kAcked);
  for (uint32_t i = 0; i < batches; ++i) {
    std::string batch = StrCat("batch/", std::string(6 - std::to_string(i).size(), '0'), i);
    EXPECT_EQ((*keys)[2 * i], batch + "/a");
    EXPECT_EQ((*keys)[2 * i + 1], batch + "/b");
  }
  absl::StatusOr<std::optional<Entry>> counter = store_->Get("counter");
  ASSERT_TRUE(counter.ok() && counter->has_value()) << counter.status();
  EXPECT_EQ((*counter)->value, std::to_string(batches - 1));
  EXPECT_EQ((*counter)->version, batches);
  absl::StatusOr<std::optional<Entry>> a = store_->Get("batch/000049/a");
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ((*a)->value, value);
}

// ---- KvBatcher ----

// Forwards to another store, counting commits and failing them on request.
class CountingStore : public KvStore {
 public:
  explicit CountingStore(KvStore& inner) : inner_(inner) {}

  absl::StatusOr<std::vector<int64_t>> Commit(const std::vector<Op>& ops) override {
    ++commits;
    ops_per_commit.push_back(ops.size());
    if (!fail_next.empty()) {
      absl::Status s = fail_next.front();
      fail_next.pop_front();
      return s;
    }
    return inner_.Commit(ops);
  }
  absl::StatusOr<std::optional<Entry>> Get(std::string_view key) override {
    return inner_.Get(key);
  }
  absl::StatusOr<std::vector<Entry>> List(std::string_view prefix) override {
    return inner_.List(prefix);
  }
  absl::StatusOr<std::vector<std::string>> Keys(std::string_view prefix) override {
    return inner_.Keys(prefix);
  }

  int commits = 0;
  std::vector<size_t> ops_per_commit;
  std::deque<absl::Status> fail_next;

 private:
  KvStore& inner_;
};

class KvBatcherTest : public ::testing::Test {
 protected:
  // Records the outcome of one op-set.
  KvBatcher::Done Record(int index) {
    return [this, index](absl::StatusOr<std::vector<int64_t>> r) {
      outcomes_.emplace_back(index, std::move(r));
      commits_seen_.push_back(store_.commits);
    };
  }
  std::optional<Entry> GetOk(std::string_view key) {
    absl::StatusOr<std::optional<Entry>> e = memory_.Get(key);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? *e : std::nullopt;
  }

  InMemoryKvStore memory_;
  CountingStore store_{memory_};
  std::vector<std::pair<int, absl::StatusOr<std::vector<int64_t>>>> outcomes_;
  std::vector<int> commits_seen_;  // store_.commits when each callback ran
};

TEST_F(KvBatcherTest, ManyAddsAreOneTransactionAndCallbacksComeAfterIt) {
  KvBatcher batcher(store_);
  for (int i = 0; i < 100; ++i) {
    batcher.Add({Op::Put(StrCat("apps//app", i), "{}", 0), Op::Put(StrCat("versions/", i), "{}")},
                Record(i));
  }
  EXPECT_EQ(batcher.pending(), 100u);
  EXPECT_EQ(store_.commits, 0);
  EXPECT_THAT(outcomes_, IsEmpty());  // nothing is answered before the commit
  batcher.Flush();
  EXPECT_EQ(store_.commits, 1);
  EXPECT_THAT(store_.ops_per_commit, ElementsAre(200u));
  ASSERT_EQ(outcomes_.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(outcomes_[i].first, i);  // in Add order
    ASSERT_TRUE(outcomes_[i].second.ok()) << outcomes_[i].second.status();
    EXPECT_THAT(*outcomes_[i].second, ElementsAre(1, 1));
    EXPECT_EQ(commits_seen_[i], 1);  // each callback ran after the one commit
  }
  EXPECT_EQ(GetOk("apps//app99"), (Entry{"apps//app99", "{}", 1}));
  EXPECT_EQ(batcher.pending(), 0u);
  EXPECT_EQ(batcher.stats().flushes, 1);
  EXPECT_EQ(batcher.stats().commits, 1);
  EXPECT_EQ(batcher.stats().op_sets, 100);
  batcher.Flush();  // nothing pending: no commit
  EXPECT_EQ(store_.commits, 1);
}

TEST_F(KvBatcherTest, VersionsAreSplitPerOpSet) {
  KvBatcher batcher(store_);
  batcher.Add({Op::Put("k", "1")}, Record(0));
  batcher.Add({}, Record(1));
  batcher.Add({Op::Put("k", "2", 1), Op::Put("k", "3", 2), Op::Delete("j")}, Record(2));
  batcher.Flush();
  EXPECT_EQ(store_.commits, 1);
  ASSERT_EQ(outcomes_.size(), 3u);
  EXPECT_THAT(*outcomes_[0].second, ElementsAre(1));
  EXPECT_THAT(*outcomes_[1].second, IsEmpty());
  EXPECT_THAT(*outcomes_[2].second, ElementsAre(2, 3, 0));
}

TEST_F(KvBatcherTest, ACasFailureFailsOnlyItsOpSet) {
  ASSERT_TRUE(memory_.Commit({Op::Put("apps//b", "old"), Op::Put("apps//b", "older")}).ok());
  KvBatcher batcher(store_);
  batcher.Add({Op::Put("apps//a", "A", 0)}, Record(0));
  batcher.Add({Op::Put("deployments/x", "X", 0), Op::Put("apps//b", "stale", 1)}, Record(1));
  batcher.Add({Op::Put("apps//c", "C", 0)}, Record(2));
  // Two writers creating the same key in one turn: the first wins, as in sequence.
  batcher.Add({Op::Put("apps//d", "first", 0)}, Record(3));
  batcher.Add({Op::Put("apps//d", "second", 0)}, Record(4));
  batcher.Add({Op::Put("", "bad key")}, Record(5));
  batcher.Flush();

  // One merged attempt, then one transaction per op-set.
  EXPECT_EQ(store_.commits, 1 + 6);
  EXPECT_EQ(batcher.stats().fallbacks, 1);
  ASSERT_EQ(outcomes_.size(), 6u);
  EXPECT_TRUE(outcomes_[0].second.ok()) << outcomes_[0].second.status();
  EXPECT_EQ(outcomes_[1].second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(outcomes_[1].second.status().message(), HasSubstr("'apps//b'"));
  EXPECT_TRUE(outcomes_[2].second.ok()) << outcomes_[2].second.status();
  EXPECT_TRUE(outcomes_[3].second.ok()) << outcomes_[3].second.status();
  EXPECT_EQ(outcomes_[4].second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(outcomes_[5].second.status().code(), absl::StatusCode::kInvalidArgument);
  for (int seen : commits_seen_) EXPECT_EQ(seen, 7);  // callbacks after every commit

  // The failed op-set is atomic too: its first op did not stay.
  EXPECT_EQ(GetOk("deployments/x"), std::nullopt);
  EXPECT_EQ(GetOk("apps//b"), (Entry{"apps//b", "older", 2}));
  EXPECT_EQ(GetOk("apps//a"), (Entry{"apps//a", "A", 1}));
  EXPECT_EQ(GetOk("apps//c"), (Entry{"apps//c", "C", 1}));
  EXPECT_EQ(GetOk("apps//d"), (Entry{"apps//d", "first", 1}));
}

TEST_F(KvBatcherTest, AStoreFailureFailsTheWholeBatchWithoutRetrying) {
  KvBatcher batcher(store_);
  store_.fail_next.push_back(absl::UnavailableError("disk went away"));
  batcher.Add({Op::Put("a", "1")}, Record(0));
  batcher.Add({Op::Put("b", "1")}, Record(1));
  batcher.Flush();
  EXPECT_EQ(store_.commits, 1);
  ASSERT_EQ(outcomes_.size(), 2u);
  for (const auto& [index, r] : outcomes_) {
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << index;
  }
  EXPECT_THAT(*memory_.Keys(""), IsEmpty());
}

TEST_F(KvBatcherTest, OpSetsAddedByCallbacksGoToTheNextFlush) {
  KvBatcher batcher(store_);
  batcher.Add({Op::Put("a", "1")}, [&](absl::StatusOr<std::vector<int64_t>> r) {
    EXPECT_TRUE(r.ok());
    batcher.Add({Op::Put("a", "2", 1)}, Record(1));
  });
  batcher.Flush();
  EXPECT_EQ(store_.commits, 1);
  EXPECT_EQ(batcher.pending(), 1u);
  batcher.Flush();
  EXPECT_EQ(store_.commits, 2);
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_THAT(*outcomes_[0].second, ElementsAre(2));
}

TEST_F(KvBatcherTest, DestroyingDropsPendingOpSetsUncommitted) {
  bool called = false;
  {
    KvBatcher batcher(store_);
    batcher.Add({Op::Put("a", "1")}, [&](auto) { called = true; });
  }
  EXPECT_FALSE(called);
  EXPECT_EQ(store_.commits, 0);
}

// With a loop: everything the handlers of one turn add is committed by one posted Flush.
TEST_F(KvBatcherTest, OnALoopOneFlushPerTurn) {
  EventLoop loop;
  KvBatcher batcher(store_, loop);
  // Three handlers already queued make up the turn; each adds op-sets.
  for (int h = 0; h < 3; ++h) {
    loop.Post([&, h] {
      for (int i = 0; i < 10; ++i) batcher.Add({Op::Put(StrCat("k", h, "-", i), "v")}, Record(i));
    });
  }
  // Queued before the flush the first Add posts, so still part of the turn: nothing is
  // committed yet.
  loop.Post([&] {
    EXPECT_EQ(store_.commits, 0);
    EXPECT_EQ(batcher.pending(), 30u);
  });
  // Queues a handler behind that flush: the next turn, whose Add posts a second flush; its
  // callback stops the loop.
  loop.Post([&] {
    loop.Post([&] {
      batcher.Add({Op::Put("late", "v")}, [&](absl::StatusOr<std::vector<int64_t>> r) {
        EXPECT_TRUE(r.ok()) << r.status();
        loop.Stop();
      });
    });
  });
  testing::RunUntilStopped(loop);
  EXPECT_EQ(store_.commits, 2);
  EXPECT_THAT(store_.ops_per_commit, ElementsAre(30u, 1u));
  EXPECT_EQ(outcomes_.size(), 30u);
  for (int seen : commits_seen_) EXPECT_EQ(seen, 1);
}

TEST_F(KvBatcherTest, AFlushPostedBeforeDestructionDoesNothing) {
  EventLoop loop;
  auto batcher = std::make_unique<KvBatcher>(store_, loop);
  batcher->Add({Op::Put("a", "1")}, Record(0));
  batcher.reset();
  loop.Post([&] { loop.Stop(); });
  testing::RunUntilStopped(loop);
  EXPECT_EQ(store_.commits, 0);
  EXPECT_THAT(outcomes_, IsEmpty());
}

// Over SQLite: when a callback runs, another connection already sees the write.
TEST(KvBatcherSqliteTest, CallbacksRunAfterTheWriteIsDurable) {
  TempDir dir;
  const std::string path = dir.path() + "/kv.db";
  absl::StatusOr<std::unique_ptr<SqliteKvStore>> store = SqliteKvStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  KvBatcher batcher(**store);
  int answered = 0;
  for (int i = 0; i < 20; ++i) {
    std::string key = StrCat("apps//app", i);
    batcher.Add({Op::Put(key, "{}", 0)}, [&, key](absl::StatusOr<std::vector<int64_t>> r) {
      ASSERT_TRUE(r.ok()) << r.status();
      absl::StatusOr<std::unique_ptr<SqliteKvStore>> other = SqliteKvStore::Open(path);
      ASSERT_TRUE(other.ok()) << other.status();
      absl::StatusOr<std::optional<Entry>> e = (*other)->Get(key);
      ASSERT_TRUE(e.ok()) << e.status();
      EXPECT_EQ(*e, (Entry{key, "{}", 1}));
      ++answered;
    });
  }
  batcher.Flush();
  EXPECT_EQ(answered, 20);
  EXPECT_EQ(batcher.stats().commits, 1);
}

}  // namespace
}  // namespace atl::io
