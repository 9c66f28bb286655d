#include "core/io/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <cstring>
#include <utility>

#include "core/base/status.h"
#include "core/base/strings.h"
#include "core/io/event_loop.h"
#include "core/io/posix.h"

namespace atl::io {
namespace {

// Moves a close-on-exec fd to 3 or above, so redirecting 0-2 in a child cannot clobber it
// (only matters when the agent runs with a standard fd closed).
int AboveStdio(int fd) {
  if (fd < 0 || fd > 2) return fd;
  int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  ::close(fd);
  return moved;
}

// NULL-terminated char* views of `strings` (which must outlive them), for execve.
std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// ---- posix_spawn path -------------------------------------------------------------------

absl::StatusOr<UniqueFd> OpenLog(const std::string& path, std::string_view stream) {
  UniqueFd fd(AboveStdio(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)));
  if (fd.get() < 0) return ErrnoError(errno, StrCat("open ", stream, " ", path));
  return fd;
}

// `out_fd` / `err_fd`: the caller's stdout_fd / stderr_fd, already duplicated above 2 (or -1).
absl::StatusOr<pid_t> SpawnWithPosixSpawn(const SpawnOptions& options, int out_fd, int err_fd,
                                          char* const* argv, char* const* envp) {
  // The agent and the child are the same user, so opening the logs here checks the same
  // permissions and names the failing file precisely.
  UniqueFd out, err;
  if (!options.stdout_path.empty()) {
    ASSIGN_OR_RETURN(out, OpenLog(options.stdout_path, "stdout"));
    out_fd = out.get();
  }
  if (!options.stderr_path.empty()) {
    ASSIGN_OR_RETURN(err, OpenLog(options.stderr_path, "stderr"));
    err_fd = err.get();
  }

  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  if (out_fd >= 0) ::posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  if (err_fd >= 0) ::posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  if (!options.cwd.empty()) ::posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
  ::posix_spawn_file_actions_addclosefrom_np(&actions, 3);

  posix_spawnattr_t attr;
  ::posix_spawnattr_init(&attr);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (options.new_session) flags |= POSIX_SPAWN_SETSID;
  if (!options.new_session && options.new_process_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    ::posix_spawnattr_setpgroup(&attr, 0);
  }
  ::posix_spawnattr_setflags(&attr, flags);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  ::posix_spawnattr_setsigmask(&attr, &none);
  // Also undoes SIG_IGN (e.g. SIGPIPE), which exec would otherwise pass on.
  ::posix_spawnattr_setsigdefault(&attr, &all);

  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, options.path.c_str(), &actions, &attr, argv, envp);
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  if (rc == 0) return pid;
  // posix_spawn reports one errno for all steps; the chdir is the only other one that can
  // fail, so name it when the directory is not usable.
  struct stat st;
  if (!options.cwd.empty() && (::stat(options.cwd.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
                               ::access(options.cwd.c_str(), X_OK) != 0)) {
    return ErrnoError(rc, StrCat("chdir ", options.cwd));
  }
  return ErrnoError(rc, StrCat("exec ", options.path));
}

// ---- clone(CLONE_VM | CLONE_VFORK) path ---------------------------------------------------

enum class ChildStep : int {
  kSetsid,
  kJoinCgroup,
  kSetgroups,
  kSetgid,
  kSetuid,
  kOpenStdout,
  kOpenStderr,
  kChdir,
  kExec
};

// What a failed child writes to the report pipe before _exit(127).
struct ChildFailure {
  ChildStep step;
  int err;
  int index;  // Which cgroup.procs file, for kJoinCgroup.
};

// Everything the child needs, prepared by the parent: the child shares the parent's memory
// and may not allocate, lock or touch glibc state other than errno.
struct ChildArgs {
  const char* path;
  char* const* argv;
  char* const* envp;
  const char* cwd;          // nullptr: inherit.
  const char* stdout_path;  // nullptr: inherit (or stdout_fd).
  const char* stderr_path;
  int stdout_fd;  // -1: none; else a descriptor above 2 to dup onto 1.
  int stderr_fd;
  const char* const* cgroup_procs;
  size_t cgroup_procs_count;
  bool new_session;
  bool new_process_group;
  bool change_user;
  uid_t uid;
  gid_t gid;
  const gid_t* groups;
  size_t group_count;
  int report_fd;
  rlim_t max_fds;  // For the close-on-exec sweep when close_range is unavailable.
};

[[noreturn]] void ChildFail(const ChildArgs* a, ChildStep step, int index = 0) {
  ChildFailure failure{step, errno, index};
  ssize_t ignored = ::write(a->report_fd, &failure, sizeof(failure));
  (void)ignored;
  ::_exit(127);
}

// Opens `path` as fd `target` (O_APPEND, mode 0644), without close-on-exec.
bool ChildRedirect(const char* path, int target) {
  int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  if (fd == target) return ::fcntl(fd, F_SETFD, 0) == 0;
  bool ok = ::dup2(fd, target) == target;  // dup2 clears FD_CLOEXEC on `target`.
  ::close(fd);
  return ok;
}

// Runs in the child, on its own stack, with every signal blocked (see SpawnWithClone).
// Only async-signal-safe system calls from here on. Credentials change through raw system
// calls: glibc's setuid() & co. broadcast the change to every thread of the process, and the
// thread list this child sees is the parent's.
int ChildMain(void* arg) {
  const ChildArgs* a = static_cast<const ChildArgs*>(arg);

  // The handlers are copies of the parent's (no CLONE_SIGHAND); run none of them here.
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof(dfl));
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    struct sigaction old;
    if (::sigaction(sig, nullptr, &old) != 0) continue;  // Reserved by glibc.
    if (old.sa_handler != SIG_DFL) ::sigaction(sig, &dfl, nullptr);
  }

  if (a->new_session && ::setsid() < 0) ChildFail(a, ChildStep::kSetsid);
  if (!a->new_session && a->new_process_group && ::setpgid(0, 0) < 0) {
    ChildFail(a, ChildStep::kSetsid);
  }

  // Before dropping privileges: the user usually may not write the cgroup files. "0" means
  // the writing process.
  for (size_t i = 0; i < a->cgroup_procs_count; ++i) {
    int fd = ::open(a->cgroup_procs[i], O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, "0", 1) != 1) ChildFail(a, ChildStep::kJoinCgroup, i);
    ::close(fd);
  }

  if (a->change_user) {
    if (::syscall(SYS_setgroups, a->group_count, a->groups) != 0) {
      ChildFail(a, ChildStep::kSetgroups);
    }
    if (::syscall(SYS_setresgid, a->gid, a->gid, a->gid) != 0) ChildFail(a, ChildStep::kSetgid);
    if (::syscall(SYS_setresuid, a->uid, a->uid, a->uid) != 0) ChildFail(a, ChildStep::kSetuid);
  }

  if (a->stdout_path && !ChildRedirect(a->stdout_path, STDOUT_FILENO)) {
    ChildFail(a, ChildStep::kOpenStdout);
  }
  if (a->stderr_path && !ChildRedirect(a->stderr_path, STDERR_FILENO)) {
    ChildFail(a, ChildStep::kOpenStderr);
  }
  // Above 2, so never the target itself; dup2 clears FD_CLOEXEC on the target.
  if (a->stdout_fd >= 0 && ::dup2(a->stdout_fd, STDOUT_FILENO) != STDOUT_FILENO) {
    ChildFail(a, ChildStep::kOpenStdout);
  }
  if (a->stderr_fd >= 0 && ::dup2(a->stderr_fd, STDERR_FILENO) != STDERR_FILENO) {
    ChildFail(a, ChildStep::kOpenStderr);
  }
  if (a->cwd && ::chdir(a->cwd) != 0) ChildFail(a, ChildStep::kChdir);

  // Nothing but 0-2 survives the exec (the report pipe is already close-on-exec).
  if (::syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) != 0) {
    for (rlim_t fd = 3; fd < a->max_fds; ++fd) ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
  }

  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(a->path, a->argv, a->envp);
  ChildFail(a, ChildStep::kExec);
}

std::string DescribeChildStep(const ChildFailure& f, const SpawnOptions& options,
                              const Credentials& creds) {
  switch (f.step) {
    case ChildStep::kSetsid:
      return "setsid";
    case ChildStep::kJoinCgroup:
      return StrCat("join cgroup ", options.cgroup_procs[f.index]);
    case ChildStep::kSetgroups:
      return StrCat("setgroups for user '", options.user.value_or(""), "'");
    case ChildStep::kSetgid:
      return StrCat("setgid ", creds.gid);
    case ChildStep::kSetuid:
      return StrCat("setuid ", creds.uid);
    case ChildStep::kOpenStdout:
      if (options.stdout_fd >= 0) return StrCat("dup stdout fd ", options.stdout_fd);
      return StrCat("open stdout ", options.stdout_path);
    case ChildStep::kOpenStderr:
      if (options.stderr_fd >= 0) return StrCat("dup stderr fd ", options.stderr_fd);
      return StrCat("open stderr ", options.stderr_path);
    case ChildStep::kChdir:
      return StrCat("chdir ", options.cwd);
    case ChildStep::kExec:
      break;
  }
  return StrCat("exec ", options.path);
}

absl::StatusOr<pid_t> SpawnWithClone(const SpawnOptions& options,
                                     const std::optional<Credentials>& creds, int out_fd,
                                     int err_fd, char* const* argv, char* const* envp) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoError(errno, "pipe for spawn");
  UniqueFd report_read(AboveStdio(fds[0]));
  UniqueFd report_write(AboveStdio(fds[1]));
  if (report_read.get() < 0 || report_write.get() < 0) {
    return ErrnoError(errno, "pipe for spawn");
  }

  std::vector<const char*> procs;
  for (const std::string& f : options.cgroup_procs) procs.push_back(f.c_str());
  rlimit nofile{};
  ::getrlimit(RLIMIT_NOFILE, &nofile);

  ChildArgs args{};
  args.path = options.path.c_str();
  args.argv = argv;
  args.envp = envp;
  args.cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();
  args.stdout_path = options.stdout_path.empty() ? nullptr : options.stdout_path.c_str();
  args.stderr_path = options.stderr_path.empty() ? nullptr : options.stderr_path.c_str();
  args.stdout_fd = out_fd;
  args.stderr_fd = err_fd;
  args.cgroup_procs = procs.data();
  args.cgroup_procs_count = procs.size();
  args.new_session = options.new_session;
  args.new_process_group = options.new_process_group;
  args.change_user = creds.has_value();
  if (creds) {
    args.uid = creds->uid;
    args.gid = creds->gid;
    args.groups = creds->groups.data();
    args.group_count = creds->groups.size();
  }
  args.report_fd = report_write.get();
  args.max_fds = std::min<rlim_t>(nofile.rlim_cur, 1 << 20);

  // The child runs on its own stack while the parent is suspended (CLONE_VFORK), until it
  // execs or exits.
  constexpr size_t kStackSize = 256 << 10;
  void* stack = ::mmap(nullptr, kStackSize, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return ErrnoError(errno, "allocate a stack for spawn");

  // No signal handler may run in the child while it shares our memory; it unblocks after
  // resetting them.
  sigset_t all, saved;
  sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, &saved);
  pid_t pid = ::clone(ChildMain, static_cast<char*>(stack) + kStackSize,
                      CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
  int clone_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  ::munmap(stack, kStackSize);
  if (pid < 0) return ErrnoError(clone_errno, StrCat("clone for ", options.path));

  report_write.Reset();
  ChildFailure failure{};
  ssize_t n;
  do {
    n = ::read(report_read.get(), &failure, sizeof(failure));
  } while (n < 0 && errno == EINTR);
  if (n == 0) return pid;  // The exec closed the pipe.

  int status;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (n != sizeof(failure)) {
    return absl::InternalError(StrCat("spawn ", options.path, ": lost the child's report"));
  }
  return ErrnoError(failure.err,
                    DescribeChildStep(failure, options, creds.value_or(Credentials{})));
}

// ---- exit statuses ----------------------------------------------------------------------

// A waitid() result as a waitpid() status.
int WaitStatusOf(const siginfo_t& info) {
  switch (info.si_code) {
    case CLD_EXITED:
      return W_EXITCODE(info.si_status, 0);
    case CLD_KILLED:
      return info.si_status;
    case CLD_DUMPED:
      return info.si_status | WCOREFLAG;
    default:
      return W_EXITCODE(info.si_status, 0);
  }
}

std::string SignalName(int signo) {
  const char* name = ::sigdescr_np(signo);
  return name != nullptr ? std::string(name) : StrCat("signal ", signo);
}

}  // namespace

absl::StatusOr<Credentials> LookUpUser(const std::string& name) {
  long hint = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(hint > 0 ? static_cast<size_t>(hint) : 16384);
  passwd pw;
  passwd* found = nullptr;
  int rc;
  while ((rc = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found)) == ERANGE) {
    buf.resize(buf.size() * 2);
  }
  if (rc != 0) return ErrnoError(rc, StrCat("look up user '", name, "'"));
  if (found == nullptr) return absl::NotFoundError(StrCat("unknown user '", name, "'"));
  Credentials creds;
  creds.uid = pw.pw_uid;
  creds.gid = pw.pw_gid;
  int count = 32;
  creds.groups.resize(count);
  // On -1, `count` holds the number needed.
  while (::getgrouplist(name.c_str(), pw.pw_gid, creds.groups.data(), &count) == -1) {
    creds.groups.resize(std::max<size_t>(count, creds.groups.size() * 2));
    count = static_cast<int>(creds.groups.size());
  }
  creds.groups.resize(count);
  return creds;
}

absl::StatusOr<pid_t> Spawn(const SpawnOptions& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("spawn: empty path");
  if (options.argv.empty()) {
    return absl::InvalidArgumentError(StrCat("spawn ", options.path, ": empty argv"));
  }
  std::optional<Credentials> creds;
  if (options.user) {
    ASSIGN_OR_RETURN(Credentials wanted, LookUpUser(*options.user));
    if (wanted.uid != ::geteuid()) {
      if (::geteuid() != 0) {
        return absl::PermissionDeniedError(
            StrCat("cannot run as user '", *options.user, "': the agent is not running as root"));
      }
      creds = std::move(wanted);
    }
  }
  // Copies above 2 (close-on-exec; the child's sweep closes them), so that dup'ing them onto 1
  // and 2 in the child cannot clobber one with the other.
  UniqueFd out, err;
  if (options.stdout_fd >= 0) {
    if (!options.stdout_path.empty()) {
      return absl::InvalidArgumentError(
          StrCat("spawn ", options.path, ": both stdout_fd and stdout_path"));
    }
    out = UniqueFd(::fcntl(options.stdout_fd, F_DUPFD_CLOEXEC, 3));
    if (out.get() < 0) return ErrnoError(errno, StrCat("dup stdout fd ", options.stdout_fd));
  }
  if (options.stderr_fd >= 0) {
    if (!options.stderr_path.empty()) {
      return absl::InvalidArgumentError(
          StrCat("spawn ", options.path, ": both stderr_fd and stderr_path"));
    }
    err = UniqueFd(::fcntl(options.stderr_fd, F_DUPFD_CLOEXEC, 3));
    if (err.get() < 0) return ErrnoError(errno, StrCat("dup stderr fd ", options.stderr_fd));
  }
  std::vector<char*> argv = CStrings(options.argv);
  std::vector<char*> envp = CStrings(options.env);
  if (creds || !options.cgroup_procs.empty()) {
    return SpawnWithClone(options, creds, out.get(), err.get(), argv.data(), envp.data());
  }
  return SpawnWithPosixSpawn(options, out.get(), err.get(), argv.data(), envp.data());
}

absl::Status SignalProcessGroup(pid_t pgid, int signo) {
  // kill(0) and kill(-1) would reach our own group or every process we may signal.
  if (pgid <= 1) return absl::InvalidArgumentError(StrCat("bad process group ", pgid));
  if (::kill(-pgid, signo) == 0 || errno == ESRCH) return absl::OkStatus();
  return ErrnoError(errno, StrCat("kill process group ", pgid, " with signal ", signo));
}

size_t SignalSession(pid_t sid, int signo) { return SignalSessions({sid}, signo); }

size_t SignalSessions(const std::vector<pid_t>& sids, int signo) {
  std::vector<uint64_t> wanted;
  for (pid_t sid : sids) {
    if (sid > 1) wanted.push_back(static_cast<uint64_t>(sid));
  }
  if (wanted.empty()) return 0;
  std::sort(wanted.begin(), wanted.end());
  size_t signalled = 0;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return 0;
  while (struct dirent* entry = ::readdir(proc)) {
    uint64_t pid = 0;
    if (!ParseUint64(entry->d_name, &pid)) continue;
    std::string path = StrCat("/proc/", pid, "/stat");
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) continue;
    char buf[1024];
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n <= 0) continue;
    // "pid (comm) state ppid pgrp session ...": parse after the last ')'.
    std::string_view line(buf, static_cast<size_t>(n));
    size_t paren = line.rfind(')');
    if (paren == std::string_view::npos) continue;
    std::vector<std::string_view> fields = Split(line.substr(paren + 1), ' ');
    uint64_t session = 0;
    if (fields.size() < 4 || !ParseUint64(fields[3], &session)) continue;
    if (!std::binary_search(wanted.begin(), wanted.end(), session)) continue;
    if (::kill(static_cast<pid_t>(pid), signo) == 0) ++signalled;
  }
  ::closedir(proc);
  return signalled;
}

absl::StatusOr<uint64_t> ParseProcStatStartTime(std::string_view stat_line) {
  // "pid (comm) state ppid ...": comm may contain anything, so parse after the last ')'.
  size_t paren = stat_line.rfind(')');
  if (paren == std::string_view::npos) {
    return absl::InvalidArgumentError("proc stat: no ')' after the command name");
  }
  std::vector<std::string_view> fields = Split(stat_line.substr(paren + 1), ' ');
  constexpr size_t kStartTime = 22 - 3;  // Fields count from 1; the first after ')' is 3.
  uint64_t start = 0;
  if (fields.size() <= kStartTime || !ParseUint64(fields[kStartTime], &start)) {
    return absl::InvalidArgumentError("proc stat: no start time in field 22");
  }
  return start;
}

absl::StatusOr<uint64_t> ProcessStartTime(pid_t pid) {
  std::string path = StrCat("/proc/", pid, "/stat");
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return absl::NotFoundError(StrCat("no process ", pid));
    return ErrnoError(errno, StrCat("open ", path));
  }
  char buf[1024];
  ssize_t n;
  do {
    n = ::read(fd.get(), buf, sizeof(buf));
  } while (n < 0 && errno == EINTR);
  // ESRCH: the process exited between the open and the read.
  if (n < 0 && errno == ESRCH) return absl::NotFoundError(StrCat("no process ", pid));
  if (n < 0) return ErrnoError(errno, StrCat("read ", path));
  return ParseProcStatStartTime(std::string_view(buf, n));
}

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return StrCat("exited with status ", WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    std::string out = StrCat("terminated with signal ", SignalName(WTERMSIG(wait_status)));
    if (WCOREDUMP(wait_status)) out += " (core dumped)";
    return out;
  }
  if (WIFSTOPPED(wait_status)) {
    return StrCat("stopped with signal ", SignalName(WSTOPSIG(wait_status)));
  }
  return StrCat("wait status ", wait_status);
}

// ---- OutputPipe ---------------------------------------------------------------------------

struct OutputPipe::Impl {
  Impl(boost::asio::io_context& io, int read_fd, int write_fd)
      : descriptor(io, read_fd), write_fd(write_fd), buffer(kChunkBytes) {}
  ~Impl() { CloseWriteEnd(); }

  void CloseWriteEnd() {
    if (write_fd >= 0) ::close(write_fd);
    write_fd = -1;
  }

  // One read at a time; the handler holds the state weakly (see ProcessWatcher::Watch), and
  // strongly while it runs, so a callback may destroy the OutputPipe.
  static void ReadMore(const std::shared_ptr<Impl>& impl) {
    std::weak_ptr<Impl> weak = impl;
    impl->descriptor.async_read_some(
        boost::asio::buffer(impl->buffer), [weak](const boost::system::error_code& ec, size_t n) {
          std::shared_ptr<Impl> self = weak.lock();
          if (!self || self->closed || ec == boost::asio::error::operation_aborted) return;
          if (!ec) {
            if (n > 0) self->on_data(std::string_view(self->buffer.data(), n));
            if (!self->closed) ReadMore(self);
            return;
          }
          self->ended = true;
          self->on_end(ec == boost::asio::error::eof
                           ? absl::OkStatus()
                           : absl::InternalError(StrCat("read output pipe: ", ec.message())));
        });
  }

  boost::asio::posix::stream_descriptor descriptor;  // Owns the read end.
  int write_fd;
  std::vector<char> buffer;
  DataCallback on_data;
  EndCallback on_end;
  bool started = false;
  bool ended = false;
  bool closed = false;  // The OutputPipe was destroyed.
};

absl::StatusOr<std::unique_ptr<OutputPipe>> OutputPipe::Create(EventLoop& loop) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoError(errno, "pipe");
  UniqueFd read_end(AboveStdio(fds[0]));
  UniqueFd write_end(AboveStdio(fds[1]));
  if (read_end.get() < 0 || write_end.get() < 0) return ErrnoError(errno, "pipe");
  auto impl = std::make_shared<Impl>(loop.context(), read_end.get(), write_end.get());
  (void)read_end.Release();
  (void)write_end.Release();
  return std::unique_ptr<OutputPipe>(new OutputPipe(std::move(impl)));
}

OutputPipe::~OutputPipe() {
  impl_->closed = true;
  boost::system::error_code ignored;
  impl_->descriptor.close(ignored);
  impl_->CloseWriteEnd();
}

int OutputPipe::write_fd() const { return impl_->write_fd; }

void OutputPipe::CloseWriteEnd() { impl_->CloseWriteEnd(); }

void OutputPipe::Start(DataCallback on_data, EndCallback on_end) {
  if (impl_->started) return;
  impl_->started = true;
  impl_->on_data = std::move(on_data);
  impl_->on_end = std::move(on_end);
  Impl::ReadMore(impl_);
}

bool OutputPipe::ended() const { return impl_->ended; }

// ---- ProcessWatcher -----------------------------------------------------------------------

struct ProcessWatcher::Impl {
  Impl(boost::asio::io_context& io, pid_t pid, int pidfd, ExitCallback on_exit)
      : pid(pid), descriptor(io, pidfd), on_exit(std::move(on_exit)) {}

  // Reaps the process if it is our child. nullopt when it is not (ECHILD).
  std::optional<int> Reap() {
    siginfo_t info;
    std::memset(&info, 0, sizeof(info));
    for (;;) {
      if (::waitid(static_cast<idtype_t>(P_PIDFD), descriptor.native_handle(), &info, WEXITED) ==
          0) {
        return WaitStatusOf(info);
      }
      if (errno == EINTR) continue;
      if (errno != ECHILD) {
        spdlog::warn("waitid for pid {}: {}", pid, std::strerror(errno));
      }
      return std::nullopt;
    }
  }

  pid_t pid;
  boost::asio::posix::stream_descriptor descriptor;  // Owns the pidfd.
  ExitCallback on_exit;
};

absl::StatusOr<std::unique_ptr<ProcessWatcher>> ProcessWatcher::Watch(EventLoop& loop, pid_t pid,
                                                                      ExitCallback on_exit) {
  if (pid <= 0) return absl::InvalidArgumentError(StrCat("watch: bad pid ", pid));
  // Not glibc's pidfd_open(): 2.36's <sys/pidfd.h> lacks extern "C" and does not link from C++.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    if (errno == ESRCH) return absl::NotFoundError(StrCat("watch: no process ", pid));
    return ErrnoError(errno, StrCat("pidfd_open ", pid));
  }
  auto impl = std::make_shared<Impl>(loop.context(), pid, pidfd, std::move(on_exit));
  // A pidfd turns readable when the process exits. The handler holds the state weakly, so a
  // destroyed watcher (which closes the pidfd and aborts the wait) is never called back, even
  // if the wait had already completed and its handler was queued.
  std::weak_ptr<Impl> weak = impl;
  impl->descriptor.async_wait(boost::asio::posix::descriptor_base::wait_read,
                              [weak](const boost::system::error_code& ec) {
                                std::shared_ptr<Impl> self = weak.lock();
                                if (!self || ec == boost::asio::error::operation_aborted) return;
                                if (ec) {
                                  spdlog::error("watching pid {}: {}", self->pid, ec.message());
                                  return;
                                }
                                std::optional<int> status = self->Reap();
                                ExitCallback on_exit = std::move(self->on_exit);
                                self->on_exit = nullptr;
                                if (on_exit) on_exit(status);
                              });
  return std::unique_ptr<ProcessWatcher>(new ProcessWatcher(pid, std::move(impl)));
}

ProcessWatcher::~ProcessWatcher() = default;

}  // namespace atl::io
