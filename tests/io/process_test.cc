// Spawn, ProcessWatcher, SignalProcessGroup and friends against real processes. No sleeps:
// tests wait for exits through ProcessWatcher, and for output through FIFOs.
#include "core/io/process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/base/strings.h"
#include "core/io/event_loop.h"
#include "tests/io/io_test_util.h"

namespace atl::io {
namespace {

using testing::RunUntilStopped;

// A fresh directory under /tmp, removed with its contents at the end of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/atoll-process-test-XXXXXX";
    char* dir = ::mkdtemp(tmpl);
    EXPECT_NE(dir, nullptr) << "mkdtemp: " << std::strerror(errno);
    path_ = dir ? dir : "/tmp";
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  std::string Sub(std::string_view name) const { return StrCat(path_, "/", name); }

 private:
  std::string path_;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

SpawnOptions Shell(std::string script) {
  SpawnOptions o;
  o.path = "/bin/sh";
  o.argv = {"sh", "-c", std::move(script)};
  o.env = {"PATH=/usr/bin:/bin"};
  return o;
}

// Runs `loop` until `pid` exits; returns what the watcher reported.
std::optional<int> WaitForExit(EventLoop& loop, pid_t pid) {
  std::optional<int> status;
  bool exited = false;
  auto watcher = ProcessWatcher::Watch(loop, pid, [&](std::optional<int> s) {
    status = s;
    exited = true;
    loop.Stop();
  });
  EXPECT_TRUE(watcher.ok()) << watcher.status();
  if (!watcher.ok()) return std::nullopt;
  RunUntilStopped(loop);
  EXPECT_TRUE(exited);
  return status;
}

// Spawns `options` and waits for its exit status.
int RunToExit(EventLoop& loop, const SpawnOptions& options) {
  absl::StatusOr<pid_t> pid = Spawn(options);
  EXPECT_TRUE(pid.ok()) << pid.status();
  if (!pid.ok()) return -1;
  std::optional<int> status = WaitForExit(loop, *pid);
  EXPECT_TRUE(status.has_value()) << "a child must report its status";
  return status.value_or(-1);
}

// A FIFO the test reads lines from: a spawned process writes to it as its stdout.
class Fifo {
 public:
  explicit Fifo(std::string path) : path_(std::move(path)) {
    EXPECT_EQ(::mkfifo(path_.c_str(), 0666), 0) << std::strerror(errno);
    // Opened for reading first (non-blocking), so the writer's open does not block.
    fd_ = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    EXPECT_GE(fd_, 0) << std::strerror(errno);
  }
  ~Fifo() { ::close(fd_); }
  const std::string& path() const { return path_; }

  // The next line, without its newline; "" after 10 s or at end of file (fails the test).
  std::string ReadLine() {
    while (buffer_.find('\n') == std::string::npos) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 10000) != 1) {
        ADD_FAILURE() << "no line on " << path_ << " within 10 s";
        return "";
      }
      char buf[256];
      ssize_t n = ::read(fd_, buf, sizeof(buf));
      if (n < 0 && errno == EAGAIN) continue;
      if (n <= 0) {
        ADD_FAILURE() << "end of " << path_ << " before a full line";
        return "";
      }
      buffer_.append(buf, n);
    }
    size_t nl = buffer_.find('\n');
    std::string line = buffer_.substr(0, nl);
    buffer_.erase(0, nl + 1);
    return line;
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::string buffer_;
};

pid_t ParsePid(const std::string& s) {
  int64_t v = 0;
  EXPECT_TRUE(ParseInt64(s, &v)) << "not a pid: '" << s << "'";
  return static_cast<pid_t>(v);
}

bool IsRoot() { return ::geteuid() == 0; }

// ---- Spawn ----------------------------------------------------------------------------------

TEST(ProcessSpawn, ReportsTheExitCode) {
  EventLoop loop;
  int status = RunToExit(loop, Shell("exit 3"));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  EXPECT_EQ(DescribeWaitStatus(status), "exited with status 3");
}

TEST(ProcessSpawn, ReportsTheSignalThatKilledIt) {
  EventLoop loop;
  int status = RunToExit(loop, Shell("kill -KILL $$"));
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_EQ(DescribeWaitStatus(status), "terminated with signal Killed");
}

TEST(ProcessSpawn, AppendsStdoutAndStderrToFiles) {
  EventLoop loop;
  TempDir dir;
  std::string out = dir.Sub("stdout"), err = dir.Sub("stderr");
  { std::ofstream(out) << "before\n"; }
  SpawnOptions o = Shell("echo to-out; echo to-err >&2");
  o.stdout_path = out;
  o.stderr_path = err;
  EXPECT_EQ(RunToExit(loop, o), 0);
  EXPECT_EQ(ReadAll(out), "before\nto-out\n");
  EXPECT_EQ(ReadAll(err), "to-err\n");
  struct stat st;
  ASSERT_EQ(::stat(err.c_str(), &st), 0);
  EXPECT_EQ(
      st.st_mode & 0777, 0644u & ~[] {
        mode_t m = ::umask(0);
        ::umask(m);
        return m;
      }());
}

TEST(ProcessSpawn, RunsInTheGivenDirectory) {
  EventLoop loop;
  TempDir dir;
  SpawnOptions o = Shell("pwd -P > out");
  o.cwd = dir.path();
  EXPECT_EQ(RunToExit(loop, o), 0);
  EXPECT_EQ(ReadAll(dir.Sub("out")), std::filesystem::canonical(dir.path()).string() + "\n");
}

TEST(ProcessSpawn, PassesExactlyTheGivenEnvironment) {
  EventLoop loop;
  TempDir dir;
  SpawnOptions o;
  o.path = "/usr/bin/env";
  o.argv = {"env"};
  o.env = {"A=1", "B=two words", "EMPTY="};
  o.stdout_path = dir.Sub("out");
  EXPECT_EQ(RunToExit(loop, o), 0);
  EXPECT_EQ(ReadAll(o.stdout_path), "A=1\nB=two words\nEMPTY=\n");

  o.env = {};
  std::filesystem::remove(o.stdout_path);
  EXPECT_EQ(RunToExit(loop, o), 0);
  EXPECT_EQ(ReadAll(o.stdout_path), "");
}

TEST(ProcessSpawn, PassesArgvIncludingArgvZero) {
  EventLoop loop;
  TempDir dir;
  SpawnOptions o = Shell("echo \"$0|$1|$2\"");
  o.argv = {"sh", "-c", o.argv[2], "zero", "one two"};
  o.stdout_path = dir.Sub("out");
  EXPECT_EQ(RunToExit(loop, o), 0);
  EXPECT_EQ(ReadAll(o.stdout_path), "zero|one two|\n");
}

TEST(ProcessSpawn, NewSessionLeadsItsOwnSessionAndGroup) {
  EventLoop loop;
  SpawnOptions o;
  o.path = "/bin/sleep";
  o.argv = {"sleep", "30"};
  absl::StatusOr<pid_t> pid = Spawn(o);
  ASSERT_TRUE(pid.ok()) << pid.status();
  EXPECT_EQ(::getsid(*pid), *pid);
  EXPECT_EQ(::getpgid(*pid), *pid);
  ::kill(*pid, SIGKILL);
  WaitForExit(loop, *pid);

  o.new_session = false;
  pid = Spawn(o);
  ASSERT_TRUE(pid.ok()) << pid.status();
  EXPECT_EQ(::getsid(*pid), ::getsid(0));
  EXPECT_EQ(::getpgid(*pid), ::getpgid(0));
  ::kill(*pid, SIGKILL);
  WaitForExit(loop, *pid);
}

TEST(ProcessSpawn, MissingProgramNamesThePath) {
  SpawnOptions o;
  o.path = "/nonexistent/atoll-program";
  o.argv = {"atoll-program"};
  absl::StatusOr<pid_t> pid = Spawn(o);
  ASSERT_FALSE(pid.ok());
  EXPECT_TRUE(absl::IsNotFound(pid.status())) << pid.status();
  EXPECT_EQ(pid.status().message(), "exec /nonexistent/atoll-program: No such file or directory");
}

TEST(ProcessSpawn, MissingDirectoryNamesTheChdir) {
  SpawnOptions o = Shell("true");
  o.cwd = "/nonexistent/atoll-dir";
  absl::StatusOr<pid_t> pid = Spawn(o);
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.status().message(), "chdir /nonexistent/atoll-dir: No such file or directory");
}

TEST(ProcessSpawn, UnopenableLogNamesTheFile) {
  SpawnOptions o = Shell("true");
  o.stderr_path = "/nonexistent/atoll-dir/stderr";
  absl::StatusOr<pid_t> pid = Spawn(o);
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.status().message(),
            "open stderr /nonexistent/atoll-dir/stderr: No such file or directory");
}

TEST(ProcessSpawn, RejectsEmptyPathOrArgv) {
  SpawnOptions o;
  EXPECT_TRUE(absl::IsInvalidArgument(Spawn(o).status()));
  o.path = "/bin/true";
  EXPECT_TRUE(absl::IsInvalidArgument(Spawn(o).status()));
}

TEST(ProcessSpawn, UnknownUserIsNotFound) {
  SpawnOptions o = Shell("true");
  o.user = "atoll-no-such-user";
  absl::StatusOr<pid_t> pid = Spawn(o);
  ASSERT_FALSE(pid.ok());
  EXPECT_TRUE(absl::IsNotFound(pid.status())) << pid.status();
  EXPECT_EQ(pid.status().message(), "unknown user 'atoll-no-such-user'");
}

TEST(ProcessSpawn, OtherUserNeedsRoot) {
  if (IsRoot()) GTEST_SKIP() << "runs only as non-root (we are root)";
  SpawnOptions o = Shell("true");
  o.user = "root";
  absl::StatusOr<pid_t> pid = Spawn(o);
  ASSERT_FALSE(pid.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(pid.status())) << pid.status();
  EXPECT_EQ(pid.status().message(), "cannot run as user 'root': the agent is not running as root");

  // Our own user needs no change, hence no privilege.
  o.user = ::getpwuid(::geteuid())->pw_name;
  EventLoop loop;
  EXPECT_EQ(RunToExit(loop, o), 0);
}

// Both spawn paths (posix_spawn, and the clone child used to change user) must close every
// descriptor above 2, CLOEXEC or not, and reset ignored signals.
class ProcessSpawnHygiene : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam() && !IsRoot()) GTEST_SKIP() << "changing user needs root";
  }
  SpawnOptions Options(std::string script) {
    SpawnOptions o = Shell(std::move(script));
    if (GetParam()) o.user = "nobody";
    return o;
  }
};

TEST_P(ProcessSpawnHygiene, InheritsNoDescriptorBeyondStdio) {
  EventLoop loop;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);  // Deliberately not close-on-exec, like Asio's sockets.
  SpawnOptions o = Options(StrCat("[ -e /proc/$$/fd/", fds[0], " ] && exit 1; [ -e /proc/$$/fd/",
                                  fds[1], " ] && exit 2; exit 0"));
  EXPECT_EQ(RunToExit(loop, o), 0);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST_P(ProcessSpawnHygiene, ResetsIgnoredSignals) {
  EventLoop loop;
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGUSR1, &ignore, &old), 0);
  int status = RunToExit(loop, Options("kill -USR1 $$; exit 0"));
  ::sigaction(SIGUSR1, &old, nullptr);
  ASSERT_TRUE(WIFSIGNALED(status)) << DescribeWaitStatus(status);
  EXPECT_EQ(WTERMSIG(status), SIGUSR1);
}

INSTANTIATE_TEST_SUITE_P(Paths, ProcessSpawnHygiene, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "AsUser" : "PosixSpawn"; });

TEST(ProcessSpawn, RunsAsAnotherUser) {
  if (!IsRoot()) GTEST_SKIP() << "running as another user needs root";
  passwd* nobody = ::getpwnam("nobody");
  if (nobody == nullptr) GTEST_SKIP() << "no user 'nobody' on this machine";
  EventLoop loop;
  TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0777), 0);  // The logs are opened as the user.
  SpawnOptions o = Shell("id -u; id -g; id -G; pwd -P; echo err >&2");
  o.user = "nobody";
  o.cwd = dir.path();
  o.stdout_path = dir.Sub("out");
  o.stderr_path = dir.Sub("err");
  EXPECT_EQ(RunToExit(loop, o), 0);
  std::string real_dir = std::filesystem::canonical(dir.path()).string();
  EXPECT_EQ(ReadAll(o.stdout_path), StrCat(nobody->pw_uid, "\n", nobody->pw_gid, "\n",
                                           nobody->pw_gid, "\n", real_dir, "\n"));
  EXPECT_EQ(ReadAll(o.stderr_path), "err\n");
  struct stat st;
  ASSERT_EQ(::stat(o.stdout_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, nobody->pw_uid);
}

TEST(ProcessSpawn, AsUserFailuresNameTheStep) {
  if (!IsRoot()) GTEST_SKIP() << "running as another user needs root";
  TempDir dir;
  SpawnOptions o;
  o.path = "/nonexistent/atoll-program";
  o.argv = {"atoll-program"};
  o.user = "nobody";
  absl::StatusOr<pid_t> pid = Spawn(o);
  ASSERT_FALSE(pid.ok());
  EXPECT_TRUE(absl::IsNotFound(pid.status())) << pid.status();
  EXPECT_EQ(pid.status().message(), "exec /nonexistent/atoll-program: No such file or directory");

  // The temp dir is 0700 root: nobody may not enter it, nor create files in it.
  o = Shell("true");
  o.user = "nobody";
  o.cwd = dir.path();
  pid = Spawn(o);
  ASSERT_FALSE(pid.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(pid.status())) << pid.status();
  EXPECT_EQ(pid.status().message(), StrCat("chdir ", dir.path(), ": Permission denied"));

  o.cwd = "";
  o.stdout_path = dir.Sub("out");
  pid = Spawn(o);
  ASSERT_FALSE(pid.ok());
  EXPECT_EQ(pid.status().message(), StrCat("open stdout ", dir.Sub("out"), ": Permission denied"));
}

// ---- ProcessWatcher ------------------------------------------------------------------------

TEST(ProcessWatcher, ReportsAChildThatAlreadyExited) {
  EventLoop loop;
  absl::StatusOr<pid_t> pid = Spawn(Shell("exit 7"));
  ASSERT_TRUE(pid.ok()) << pid.status();
  siginfo_t info{};
  // Wait for the exit without reaping it, so the watcher finds a zombie.
  ASSERT_EQ(::waitid(P_PID, *pid, &info, WEXITED | WNOWAIT), 0);
  std::optional<int> status = WaitForExit(loop, *pid);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(DescribeWaitStatus(*status), "exited with status 7");
  EXPECT_EQ(::waitpid(*pid, nullptr, WNOHANG), -1) << "the watcher reaps its child";
}

TEST(ProcessWatcher, WatchesAProcessThatIsNotOurChild) {
  EventLoop loop;
  TempDir dir;
  Fifo fifo(dir.Sub("fifo"));
  SpawnOptions o = Shell("sleep 30 & echo $!");
  o.stdout_path = fifo.path();
  absl::StatusOr<pid_t> shell = Spawn(o);
  ASSERT_TRUE(shell.ok()) << shell.status();
  pid_t grandchild = ParsePid(fifo.ReadLine());
  std::optional<int> shell_status = WaitForExit(loop, *shell);
  ASSERT_TRUE(shell_status.has_value());
  EXPECT_EQ(*shell_status, 0);

  bool exited = false;
  std::optional<int> status = 42;
  auto watcher = ProcessWatcher::Watch(loop, grandchild, [&](std::optional<int> s) {
    exited = true;
    status = s;
    loop.Stop();
  });
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  EXPECT_EQ((*watcher)->pid(), grandchild);
  ASSERT_EQ(::kill(grandchild, SIGTERM), 0);
  RunUntilStopped(loop);
  EXPECT_TRUE(exited);
  EXPECT_EQ(status, std::nullopt) << "not our child: no status";
}

TEST(ProcessWatcher, DestroyingTheWatcherCancelsTheCallback) {
  EventLoop loop;
  SpawnOptions o;
  o.path = "/bin/sleep";
  o.argv = {"sleep", "30"};
  absl::StatusOr<pid_t> pid = Spawn(o);
  ASSERT_TRUE(pid.ok()) << pid.status();
  int cancelled_calls = 0;
  auto cancelled =
      ProcessWatcher::Watch(loop, *pid, [&](std::optional<int>) { ++cancelled_calls; });
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  cancelled->reset();
  ::kill(*pid, SIGKILL);
  // A second watcher sees the same exit; by then the first would have been called.
  std::optional<int> status = WaitForExit(loop, *pid);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFSIGNALED(*status));
  EXPECT_EQ(cancelled_calls, 0);
}

TEST(ProcessWatcher, CallbackMayDestroyItsWatcher) {
  EventLoop loop;
  absl::StatusOr<pid_t> pid = Spawn(Shell("exit 0"));
  ASSERT_TRUE(pid.ok()) << pid.status();
  std::unique_ptr<ProcessWatcher> watcher;
  bool called = false;
  auto w = ProcessWatcher::Watch(loop, *pid, [&](std::optional<int> status) {
    called = true;
    EXPECT_EQ(status, 0);
    watcher.reset();
    loop.Stop();
  });
  ASSERT_TRUE(w.ok()) << w.status();
  watcher = std::move(*w);
  RunUntilStopped(loop);
  EXPECT_TRUE(called);
  EXPECT_EQ(watcher, nullptr);
}

TEST(ProcessWatcher, UnknownPidIsNotFound) {
  EventLoop loop;
  // Above the kernel's largest pid_max (2^22).
  auto watcher = ProcessWatcher::Watch(loop, (1 << 22) + 1, [](std::optional<int>) {});
  ASSERT_FALSE(watcher.ok());
  EXPECT_TRUE(absl::IsNotFound(watcher.status())) << watcher.status();
}

// ---- SignalProcessGroup --------------------------------------------------------------------

// Watches `parent` (our child) and `other` (not our child), runs `kill`, and waits for both to
// exit; returns their wait statuses (nullopt for a process we could not reap).
std::pair<std::optional<int>, std::optional<int>> KillAndWaitForBoth(
    EventLoop& loop, pid_t parent, pid_t other, const std::function<void()>& kill) {
  int exits = 0;
  std::optional<int> parent_status, other_status = 42;
  auto on_exit = [&](std::optional<int>* out) {
    return [&, out](std::optional<int> s) {
      *out = s;
      if (++exits == 2) loop.Stop();
    };
  };
  auto w1 = ProcessWatcher::Watch(loop, parent, on_exit(&parent_status));
  auto w2 = ProcessWatcher::Watch(loop, other, on_exit(&other_status));
  EXPECT_TRUE(w1.ok() && w2.ok());
  if (!w1.ok() || !w2.ok()) return {};
  kill();
  RunUntilStopped(loop);
  return {parent_status, other_status};
}

TEST(ProcessGroup, SignalReachesGrandchildren) {
  EventLoop loop;
  TempDir dir;
  Fifo fifo(dir.Sub("fifo"));
  SpawnOptions o = Shell("sleep 30 & echo $!; wait");
  o.stdout_path = fifo.path();
  absl::StatusOr<pid_t> shell = Spawn(o);
  ASSERT_TRUE(shell.ok()) << shell.status();
  pid_t grandchild = ParsePid(fifo.ReadLine());
  EXPECT_EQ(::getpgid(grandchild), *shell);

  auto [shell_status, grandchild_status] = KillAndWaitForBoth(
      loop, *shell, grandchild, [&] { ASSERT_TRUE(SignalProcessGroup(*shell, SIGKILL).ok()); });
  ASSERT_TRUE(shell_status.has_value());
  EXPECT_EQ(DescribeWaitStatus(*shell_status), "terminated with signal Killed");
  EXPECT_EQ(grandchild_status, std::nullopt);

  EXPECT_TRUE(SignalProcessGroup(*shell, SIGKILL).ok()) << "a group already gone is OK";
  EXPECT_TRUE(absl::IsInvalidArgument(SignalProcessGroup(1, SIGKILL)));
  EXPECT_TRUE(absl::IsInvalidArgument(SignalProcessGroup(0, SIGKILL)));
}

TEST(ProcessGroup, SessionSignalReachesAGroupOfItsOwnInsideTheSession) {
  // As the command executor starts its task: the process below is the "executor" (new
  // session),
  // its forked child the "task" in a process group of its own, same session.
  EventLoop loop;
  TempDir dir;
  Fifo fifo(dir.Sub("fifo"));
  SpawnOptions o;
  o.path = "/usr/bin/python3";
  o.argv = {"python3", "-c",
            "import os, time\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    time.sleep(30)\n"
            "else:\n"
            "    os.setpgid(pid, pid)\n"
            "    print(pid, flush=True)\n"
            "    os.waitpid(pid, 0)\n"};
  o.stdout_path = fifo.path();
  absl::StatusOr<pid_t> executor = Spawn(o);
  ASSERT_TRUE(executor.ok()) << executor.status();
  pid_t task = ParsePid(fifo.ReadLine());
  ASSERT_EQ(::getpgid(task), task) << "the task leads its own group";
  ASSERT_EQ(::getsid(task), *executor) << "inside the executor's session";

  auto [executor_status, task_status] = KillAndWaitForBoth(
      loop, *executor, task, [&] { EXPECT_EQ(SignalSession(*executor, SIGKILL), 2u); });
  EXPECT_TRUE(executor_status.has_value());
  EXPECT_EQ(task_status, std::nullopt) << "the task, not our child, is gone too";
  EXPECT_EQ(SignalSession(1, SIGKILL), 0u);
}

TEST(ProcessSpawn, NewProcessGroupStaysInTheCallersSession) {
  EventLoop loop;
  for (bool clone_path : {false, true}) {
    SCOPED_TRACE(clone_path ? "clone path" : "posix_spawn path");
    SpawnOptions o;
    o.path = "/bin/sleep";
    o.argv = {"sleep", "30"};
    o.new_session = false;
    o.new_process_group = true;
    // A cgroup join forces the clone path; an empty list keeps posix_spawn.
    if (clone_path) o.user = ::getpwuid(::geteuid())->pw_name;
    absl::StatusOr<pid_t> pid = Spawn(o);
    ASSERT_TRUE(pid.ok()) << pid.status();
    EXPECT_EQ(::getpgid(*pid), *pid);
    EXPECT_EQ(::getsid(*pid), ::getsid(0));
    ::kill(*pid, SIGKILL);
    WaitForExit(loop, *pid);
  }
}

// ---- start times and wait statuses ----------------------------------------------------------

TEST(ProcessStartTime, IdentifiesAProcess) {
  EventLoop loop;
  SpawnOptions o;
  o.path = "/bin/sleep";
  o.argv = {"sleep", "30"};
  absl::StatusOr<pid_t> pid = Spawn(o);
  ASSERT_TRUE(pid.ok()) << pid.status();
  absl::StatusOr<uint64_t> child = ProcessStartTime(*pid);
  absl::StatusOr<uint64_t> self = ProcessStartTime(::getpid());
  ASSERT_TRUE(child.ok()) << child.status();
  ASSERT_TRUE(self.ok()) << self.status();
  EXPECT_GE(*child, *self);
  EXPECT_EQ(ProcessStartTime(*pid).value(), *child) << "stable while it runs";
  ::kill(*pid, SIGKILL);
  WaitForExit(loop, *pid);
  EXPECT_TRUE(absl::IsNotFound(ProcessStartTime(*pid).status()));
}

TEST(ProcessStartTime, ParsesField22AfterAnOddCommand) {
  // 52 fields; the command holds spaces and parentheses.
  std::string line =
      "4242 (my (odd) ) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 "
      "0 987654321 2000000 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 "
      "0 0 0 0 0 0 0 0 0 0 0 0";
  absl::StatusOr<uint64_t> start = ParseProcStatStartTime(line);
  ASSERT_TRUE(start.ok()) << start.status();
  EXPECT_EQ(*start, 987654321u);
  EXPECT_FALSE(ParseProcStatStartTime("4242 (x S 1 2").ok());
  EXPECT_FALSE(ParseProcStatStartTime("4242 (x) S 1 2 3").ok());
}

TEST(ProcessWaitStatus, DescribesLikeMesos) {
  EXPECT_EQ(DescribeWaitStatus(W_EXITCODE(0, 0)), "exited with status 0");
  EXPECT_EQ(DescribeWaitStatus(W_EXITCODE(3, 0)), "exited with status 3");
  EXPECT_EQ(DescribeWaitStatus(SIGTERM), "terminated with signal Terminated");
  EXPECT_EQ(DescribeWaitStatus(SIGKILL), "terminated with signal Killed");
  EXPECT_EQ(DescribeWaitStatus(SIGSEGV | WCOREFLAG),
            "terminated with signal Segmentation fault (core dumped)");
  EXPECT_EQ(DescribeWaitStatus(W_STOPCODE(SIGSTOP)), "stopped with signal Stopped (signal)");
}

}  // namespace
}  // namespace atl::io
