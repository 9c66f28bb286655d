// RotatingFile against a real directory: the cap, the numbered files kept, where writes are
// split, reopening an existing file, and what happens when a rotation fails.
#include "core/io/rotating_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "core/base/random.h"
#include "core/base/strings.h"

namespace atl::io {
namespace {

class RotatingFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/atoll-rotating-test-XXXXXX";
    char* dir = ::mkdtemp(tmpl);
    ASSERT_NE(dir, nullptr);
    dir_ = dir;
    path_ = dir_ + "/stdout";
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::unique_ptr<RotatingFile> Open(uint64_t max_bytes, int max_files, int mirror_fd = -1) {
    RotatingFile::Options o;
    o.path = path_;
    o.max_bytes = max_bytes;
    o.max_files = max_files;
    o.mirror_fd = mirror_fd;
    absl::StatusOr<std::unique_ptr<RotatingFile>> file = RotatingFile::Open(o);
    EXPECT_TRUE(file.ok()) << file.status();
    return file.ok() ? *std::move(file) : nullptr;
  }

  // The contents of `path` + suffix ("" or ".1"), or "<missing>".
  std::string Read(std::string_view suffix = "") const {
    std::string p = StrCat(path_, suffix);
    if (!std::filesystem::exists(p)) return "<missing>";
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  bool Exists(std::string_view suffix) const {
    return std::filesystem::exists(StrCat(path_, suffix));
  }

  std::string dir_;
  std::string path_;
};

TEST_F(RotatingFileTest, AppendsUpToTheCapWithoutRotating) {
  auto file = Open(10, 3);
  ASSERT_NE(file, nullptr);
  ASSERT_TRUE(file->Write("hello\n").ok());
  ASSERT_TRUE(file->Write("1234").ok());  // exactly 10: still fits
  EXPECT_EQ(Read(), "hello\n1234");
  EXPECT_EQ(file->size(), 10u);
  EXPECT_EQ(file->rotations(), 0u);
  EXPECT_FALSE(Exists(".1"));
}

TEST_F(RotatingFileTest, RotatesWhenTheNextWriteWouldExceedTheCap) {
  auto file = Open(10, 3);
  ASSERT_NE(file, nullptr);
  ASSERT_TRUE(file->Write("first\n").ok());
  ASSERT_TRUE(file->Write("second\n").ok());  // 6 + 7 > 10
  EXPECT_EQ(Read(), "second\n");
  EXPECT_EQ(Read(".1"), "first\n");
  EXPECT_EQ(file->rotations(), 1u);
  EXPECT_EQ(file->size(), 7u);
}

TEST_F(RotatingFileTest, KeepsTheNewestNRotatedFiles) {
  auto file = Open(4, 2);
  ASSERT_NE(file, nullptr);
  for (char c : std::string("abcde"))
    ASSERT_TRUE(file->Write(StrCat(std::string(3, c), "\n")).ok());
  EXPECT_EQ(Read(), "eee\n");
  EXPECT_EQ(Read(".1"), "ddd\n");
  EXPECT_EQ(Read(".2"), "ccc\n");
  EXPECT_FALSE(Exists(".3"));  // aaa and bbb are gone
  EXPECT_EQ(file->rotations(), 4u);
}

TEST_F(RotatingFileTest, AStaleFileAfterAGapIsLeftAlone) {
  {
    std::ofstream(path_ + ".1") << "one";
    std::ofstream(path_ + ".3") << "stale";
  }
  auto file = Open(4, 5);
  ASSERT_NE(file, nullptr);
  ASSERT_TRUE(file->Write("aaa\n").ok());
  ASSERT_TRUE(file->Write("bbb\n").ok());
  EXPECT_EQ(Read(), "bbb\n");
  EXPECT_EQ(Read(".1"), "aaa\n");
  EXPECT_EQ(Read(".2"), "one");
  EXPECT_EQ(Read(".3"), "stale");
  EXPECT_FALSE(Exists(".4"));
}

TEST_F(RotatingFileTest, ZeroRotatedFilesDropsTheOldOutput) {
  auto file = Open(4, 0);
  ASSERT_NE(file, nullptr);
  ASSERT_TRUE(file->Write("aaa\n").ok());
  ASSERT_TRUE(file->Write("bbb\n").ok());
  EXPECT_EQ(Read(), "bbb\n");
  EXPECT_FALSE(Exists(".1"));
}

TEST_F(RotatingFileTest, SplitsAWriteAfterTheLastWholeLineThatFits) {
  auto file = Open(10, 5);
  ASSERT_NE(file, nullptr);
  ASSERT_TRUE(file->Write("aaa\nbbb\nccccc\n").ok());  // 14 bytes: 8 fit as whole lines
  EXPECT_EQ(Read(".1"), "aaa\nbbb\n");
  EXPECT_EQ(Read(), "ccccc\n");
  // A partial line that does not fit goes whole to a new file rather than being cut.
  ASSERT_TRUE(file->Write("dd").ok());
  ASSERT_TRUE(file->Write("eeee").ok());  // 6 + 2 + 4 > 10, no newline: rotate first
  EXPECT_EQ(Read(".1"), "ccccc\ndd");
  EXPECT_EQ(Read(".2"), "aaa\nbbb\n");
  EXPECT_EQ(Read(), "eeee");
}

TEST_F(RotatingFileTest, CutsOnlyALineLongerThanAWholeFile) {
  auto file = Open(4, 5);
  ASSERT_NE(file, nullptr);
  ASSERT_TRUE(file->Write("abcdefghij").ok());
  EXPECT_EQ(Read(".2"), "abcd");
  EXPECT_EQ(Read(".1"), "efgh");
  EXPECT_EQ(Read(), "ij");
  EXPECT_EQ(file->rotations(), 2u);
}

TEST_F(RotatingFileTest, ReopeningContinuesTheExistingFile) {
  {
    auto file = Open(10, 2);
    ASSERT_NE(file, nullptr);
    ASSERT_TRUE(file->Write("abc\n").ok());
  }
  auto file = Open(10, 2);  // the executor restarted, say
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->size(), 4u);
  ASSERT_TRUE(file->Write("def\n").ok());
  EXPECT_EQ(Read(), "abc\ndef\n");
  ASSERT_TRUE(file->Write("ghi\n").ok());  // the old bytes count towards the cap
  EXPECT_EQ(Read(".1"), "abc\ndef\n");
  EXPECT_EQ(Read(), "ghi\n");
}

TEST_F(RotatingFileTest, ReopeningAFileAlreadyOverTheCapRotatesItOnTheNextWrite) {
  {
    std::ofstream out(path_);
    out << "0123456789ABCDEF";  // 16 bytes, over a cap of 10 (the cap was lowered)
  }
  auto file = Open(10, 2);
  ASSERT_NE(file, nullptr);
  ASSERT_TRUE(file->Write("x\n").ok());
  EXPECT_EQ(Read(".1"), "0123456789ABCDEF");
  EXPECT_EQ(Read(), "x\n");
}

TEST_F(RotatingFileTest, BytesOthersAppendCountTowardsTheCap) {
  auto file = Open(10, 2);
  ASSERT_NE(file, nullptr);
  ASSERT_TRUE(file->Write("abc\n").ok());
  {
    std::ofstream other(path_, std::ios::app);
    other << "12345\n";  // another writer: now 10 bytes
  }
  ASSERT_TRUE(file->Write("z\n").ok());
  EXPECT_EQ(Read(".1"), "abc\n12345\n");
  EXPECT_EQ(Read(), "z\n");
}

TEST_F(RotatingFileTest, TheMirrorDescriptorFollowsTheCurrentFile) {
  int mirror = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(mirror, 0);
  auto file = Open(4, 2, mirror);
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(::write(mirror, "m", 1), 1);  // now the file itself
  ASSERT_TRUE(file->Write("ab\n").ok());
  EXPECT_EQ(Read(), "mab\n");
  ASSERT_TRUE(file->Write("cd\n").ok());  // rotates
  ASSERT_EQ(::write(mirror, "n", 1), 1);
  EXPECT_EQ(Read(".1"), "mab\n");
  EXPECT_EQ(Read(), "cd\nn");  // into the new file, not the rotated one
  ::close(mirror);
}

TEST_F(RotatingFileTest, AFailedRotationDropsTheWriteAndKeepsTheCap) {
  auto file = Open(4, 1);
  ASSERT_NE(file, nullptr);
  ASSERT_TRUE(file->Write("aaa\n").ok());
  // stdout.1 is a non-empty directory: rename(stdout, stdout.1) fails (even for root).
  std::filesystem::create_directories(path_ + ".1/x");
  absl::Status s = file->Write("bbb\n");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(StrCat("rotate ", path_, ": rename ")), std::string::npos)
      << s.message();
  EXPECT_EQ(Read(), "aaa\n");  // nothing over the cap
  // Fixed: the next write rotates and goes through.
  std::filesystem::remove_all(path_ + ".1");
  ASSERT_TRUE(file->Write("ccc\n").ok());
  EXPECT_EQ(Read(".1"), "aaa\n");
  EXPECT_EQ(Read(), "ccc\n");
}

TEST_F(RotatingFileTest, RefusesBadOptionsAndUnopenablePaths) {
  RotatingFile::Options o;
  o.path = path_;
  o.max_bytes = 0;
  EXPECT_EQ(RotatingFile::Open(o).status().code(), absl::StatusCode::kInvalidArgument);
  o.max_bytes = 10;
  o.max_files = -1;
  EXPECT_EQ(RotatingFile::Open(o).status().code(), absl::StatusCode::kInvalidArgument);
  o.max_files = 1;
  o.path = dir_ + "/no/such/dir/stdout";
  absl::StatusOr<std::unique_ptr<RotatingFile>> file = RotatingFile::Open(o);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().message(), StrCat("open ", o.path, ": No such file or directory"));
}

// Random writes with and without newlines: no file ever exceeds the cap, at most N rotated
// files exist, and with N large enough nothing is lost: the files, oldest first, concatenate to
// exactly what was written.
TEST_F(RotatingFileTest, RandomWritesKeepTheCapAndLoseNothingThatIsKept) {
  constexpr uint64_t kCap = 64;
  constexpr int kFiles = 400;
  auto file = Open(kCap, kFiles);
  ASSERT_NE(file, nullptr);
  Random rng(7);
  std::string written;
  for (int i = 0; i < 300; ++i) {
    std::string chunk;
    const int n = static_cast<int>(rng.Uniform(100));
    for (int j = 0; j < n; ++j)
      chunk += rng.Uniform(8) == 0 ? '\n' : static_cast<char>('a' + j % 26);
    ASSERT_TRUE(file->Write(chunk).ok());
    written += chunk;
    ASSERT_LE(file->size(), kCap);
  }
  ASSERT_LT(file->rotations(), static_cast<uint64_t>(kFiles));
  std::string joined;
  for (int n = static_cast<int>(file->rotations()); n >= 1; --n) {
    std::string part = Read(StrCat(".", n));
    EXPECT_LE(part.size(), kCap);
    EXPECT_FALSE(part.empty());
    joined += part;
  }
  joined += Read();
  EXPECT_EQ(joined, written);
}

}  // namespace
}  // namespace atl::io
