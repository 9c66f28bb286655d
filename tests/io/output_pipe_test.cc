// OutputPipe and SpawnOptions::stdout_fd / stderr_fd against real processes, on both spawn
// paths (posix_spawn, and the clone child used to change user).
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>

#include "core/base/strings.h"
#include "core/io/event_loop.h"
#include "core/io/process.h"
#include "tests/io/io_test_util.h"

namespace atl::io {
namespace {

using testing::RunUntilStopped;

SpawnOptions Shell(std::string script) {
  SpawnOptions o;
  o.path = "/bin/sh";
  o.argv = {"sh", "-c", std::move(script)};
  o.env = {"PATH=/usr/bin:/bin"};
  o.cwd = "/";
  return o;
}

// A spawned process with its stdout and stderr in pipes, collected until both ended and the
// process exited.
struct Captured {
  std::string out;
  std::string err;
  std::optional<absl::Status> out_end;
  std::optional<absl::Status> err_end;
  std::optional<int> wait_status;
  bool exited = false;
  // Whether the process had exited when stdout's end of file came.
  bool exited_before_out_end = false;
};

Captured RunCaptured(SpawnOptions o, bool same_pipe = false) {
  EventLoop loop;
  Captured c;
  absl::StatusOr<std::unique_ptr<OutputPipe>> out = OutputPipe::Create(loop);
  absl::StatusOr<std::unique_ptr<OutputPipe>> err = OutputPipe::Create(loop);
  EXPECT_TRUE(out.ok() && err.ok());
  if (!out.ok() || !err.ok()) return c;
  o.stdout_fd = (*out)->write_fd();
  o.stderr_fd = same_pipe ? (*out)->write_fd() : (*err)->write_fd();
  absl::StatusOr<pid_t> pid = Spawn(o);
  (*out)->CloseWriteEnd();
  (*err)->CloseWriteEnd();
  EXPECT_EQ((*out)->write_fd(), -1);
  EXPECT_TRUE(pid.ok()) << pid.status();
  if (!pid.ok()) return c;
  auto maybe_stop = [&] {
    if (c.exited && c.out_end && c.err_end) loop.Stop();
  };
  (*out)->Start([&](std::string_view bytes) { c.out.append(bytes); },
                [&](absl::Status s) {
                  c.out_end = s;
                  c.exited_before_out_end = c.exited;
                  maybe_stop();
                });
  (*err)->Start([&](std::string_view bytes) { c.err.append(bytes); },
                [&](absl::Status s) {
                  c.err_end = s;
                  maybe_stop();
                });
  auto watcher = ProcessWatcher::Watch(loop, *pid, [&](std::optional<int> s) {
    c.wait_status = s;
    c.exited = true;
    maybe_stop();
  });
  EXPECT_TRUE(watcher.ok());
  RunUntilStopped(loop);
  EXPECT_TRUE((*out)->ended());
  return c;
}

class OutputPipeTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam() && ::geteuid() != 0) GTEST_SKIP() << "changing user needs root";
    if (GetParam() && ::getpwnam("nobody") == nullptr) GTEST_SKIP() << "no user 'nobody'";
  }
  SpawnOptions Options(std::string script) {
    SpawnOptions o = Shell(std::move(script));
    if (GetParam()) o.user = "nobody";
    return o;
  }
};

TEST_P(OutputPipeTest, CarriesStdoutAndStderrSeparatelyAndInOrder) {
  // 300 KB: several chunks and a full pipe buffer on the way.
  Captured c = RunCaptured(
      Options("echo out; echo err >&2; head -c 300000 /dev/zero | tr '\\0' x; echo; echo end"));
  ASSERT_TRUE(c.wait_status.has_value());
  EXPECT_EQ(*c.wait_status, 0);
  ASSERT_TRUE(c.out_end && c.err_end);
  EXPECT_TRUE(c.out_end->ok()) << *c.out_end;
  EXPECT_TRUE(c.err_end->ok()) << *c.err_end;
  EXPECT_EQ(c.out, StrCat("out\n", std::string(300000, 'x'), "\nend\n"));
  EXPECT_EQ(c.err, "err\n");
}

TEST_P(OutputPipeTest, OnePipeCanServeBothStreams) {
  Captured c = RunCaptured(Options("echo one; echo two >&2; echo three"), /*same_pipe=*/true);
  EXPECT_EQ(c.out, "one\ntwo\nthree\n");
  EXPECT_EQ(c.err, "");
}

TEST_P(OutputPipeTest, EndOfFileWaitsForEveryProcessHoldingTheWriteEnd) {
  // The shell exits at once; its background child keeps stdout open a while longer.
  Captured c = RunCaptured(Options("(sleep 0.3; echo late) & echo early"));
  EXPECT_EQ(c.out, "early\nlate\n");
  EXPECT_TRUE(c.exited_before_out_end);
}

INSTANTIATE_TEST_SUITE_P(Paths, OutputPipeTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "AsUser" : "PosixSpawn"; });

TEST(OutputPipe, ADescriptorAndAPathForOneStreamAreRefused) {
  EventLoop loop;
  auto pipe = OutputPipe::Create(loop);
  ASSERT_TRUE(pipe.ok());
  SpawnOptions o = Shell("true");
  o.stdout_fd = (*pipe)->write_fd();
  o.stdout_path = "/tmp/never-written";
  absl::StatusOr<pid_t> pid = Spawn(o);
  EXPECT_EQ(pid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pid.status().message(), "spawn /bin/sh: both stdout_fd and stdout_path");
}

TEST(OutputPipe, ABadDescriptorIsNamed) {
  SpawnOptions o = Shell("true");
  o.stderr_fd = 1000;  // not open
  absl::StatusOr<pid_t> pid = Spawn(o);
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.status().message(), "dup stderr fd 1000: Bad file descriptor");
}

TEST(OutputPipe, MayBeDestroyedFromItsOwnCallback) {
  EventLoop loop;
  auto created = OutputPipe::Create(loop);
  ASSERT_TRUE(created.ok());
  std::unique_ptr<OutputPipe> pipe = *std::move(created);
  SpawnOptions o = Shell("echo a; sleep 0.1; echo b");
  o.stdout_fd = pipe->write_fd();
  absl::StatusOr<pid_t> pid = Spawn(o);
  ASSERT_TRUE(pid.ok()) << pid.status();
  pipe->CloseWriteEnd();
  int chunks = 0;
  bool ended = false;
  pipe->Start(
      [&](std::string_view) {
        ++chunks;
        pipe.reset();  // the writer gets SIGPIPE for "b"
      },
      [&](absl::Status) { ended = true; });
  auto watcher = ProcessWatcher::Watch(loop, *pid, [&](std::optional<int>) { loop.Stop(); });
  ASSERT_TRUE(watcher.ok());
  RunUntilStopped(loop);
  EXPECT_EQ(chunks, 1);
  EXPECT_FALSE(ended);
}

}  // namespace
}  // namespace atl::io
