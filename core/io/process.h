// Processes for the agent: spawning executors without fork(), signalling their process groups,
// recognising them after an agent restart, and watching them exit on the EventLoop.
//
// File descriptors: a spawned process gets exactly fds 0, 1 and 2. Everything else the agent
// holds is closed in the child before exec (close_range / posix_spawn's addclosefrom), whatever
// its FD_CLOEXEC flag says. That matters: Boost.Asio 1.74 opens its own reactor fds CLOEXEC but
// not the sockets it creates or accepts, so the agent's listening and client sockets would
// otherwise leak into every executor (holding ports open after the agent dies).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace atl::io {

class EventLoop;

// How to start a process. Defaults: inherit cwd, stdout and stderr; new session; same user.
struct SpawnOptions {
  // The program to execute (execve: no PATH search). A relative path resolves against `cwd`.
  std::string path;
  // The whole argument vector, argv[0] included. REQUIRES: not empty.
  std::vector<std::string> argv;
  // The whole environment as "K=V" strings; nothing of the agent's environment is added.
  std::vector<std::string> env;
  // The working directory; "" inherits the agent's.
  std::string cwd;
  // Files for stdout/stderr, opened O_WRONLY|O_CREAT|O_APPEND, mode 0644, before the chdir
  // (relative paths resolve against the agent's cwd); "" inherits the agent's fd. When `user`
  // is set they are opened as that user.
  std::string stdout_path;
  std::string stderr_path;
  // Descriptors of the caller to become the child's stdout/stderr (dup'ed onto 1 and 2; e.g.
  // OutputPipe::write_fd()); -1 leaves the choice to the path fields. The caller keeps its own
  // descriptor and closes it when it likes. A descriptor together with a path for the same
  // stream is InvalidArgument.
  int stdout_fd = -1;
  int stderr_fd = -1;
  // setsid(): the process leads its own session and process group (pgid == pid), so it
  // survives the agent, and SignalProcessGroup(pid, ...) reaches all its descendants.
  bool new_session = true;
  // Without a new session: setpgid(0, 0), a process group of its own inside the caller's
  // session. The command executor starts its task so: SignalProcessGroup(task) reaches the
  // task's children, and SignalSession(executor) reaches the executor and its task together.
  bool new_process_group = false;
  // Runs the process as this user (uid, primary gid and supplementary groups from the user
  // database, resolved in the agent). Changing user requires the agent to run as root.
  std::optional<std::string> user;
  // cgroup.procs files the child writes itself into before exec (Cgroups::ProcsFiles), so the
  // process and everything it forks start inside the container; no window where a child
  // escapes, as there is with Spawn() followed by Cgroups::Attach().
  std::vector<std::string> cgroup_procs;
};

// A user's uid, primary gid and supplementary groups from the user database.
struct Credentials {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

// Looks `name` up (getpwnam_r, getgrouplist). NotFound "unknown user 'x'", or the errno.
absl::StatusOr<Credentials> LookUpUser(const std::string& name);

// Starts a process and returns its pid; the caller reaps it (ProcessWatcher does).
// posix_spawn(3) does the work unless `user` needs a credential change or `cgroup_procs` is
// set; then a vfork-style clone(CLONE_VM|CLONE_VFORK) child that makes only async-signal-safe
// system calls. Never fork(): the agent is large and copying its page tables is slow.
// Signal dispositions are reset to SIG_DFL and the signal mask emptied in the child.
// Errors name the failed step and its path, with the errno's code (absl::ErrnoToStatus):
// "exec /bin/foo: No such file or directory" (NotFound), "chdir /x: Not a directory",
// "open stdout /x/out: Permission denied" (PermissionDenied). Also InvalidArgument (empty
// path or argv), NotFound "unknown user 'x'", PermissionDenied "cannot run as user 'x': the
// agent is not running as root", InvalidArgument "spawn /bin/x: both stdout_fd and
// stdout_path", "dup stdout fd 9: Bad file descriptor". A `user` equal to the agent's own
// user changes nothing.
absl::StatusOr<pid_t> Spawn(const SpawnOptions& options);

// Sends `signo` to every process of group `pgid` (kill(-pgid, signo)). A group that no longer
// exists is OK (already gone). REQUIRES: pgid > 1.
absl::Status SignalProcessGroup(pid_t pgid, int signo);

// Sends `signo` to every process of session `sid` (found by scanning /proc), process groups
// of their own included: how an agent without cgroups kills an executor and its task. A
// process that left the session (setsid) escapes it; cgroups do not have that hole.
// REQUIRES: sid > 1. Returns the number of processes signalled.
size_t SignalSession(pid_t sid, int signo);
// The same for several sessions with one scan of /proc.
size_t SignalSessions(const std::vector<pid_t>& sids, int signo);

// The start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat). Store it
// with the pid: after an agent restart, the same (pid, start time) means the same process,
// not a recycled pid. NotFound when the process does not exist.
absl::StatusOr<uint64_t> ProcessStartTime(pid_t pid);

// Field 22 (starttime) of a /proc/<pid>/stat line; the comm field may hold spaces and ')'.
// InvalidArgument on a malformed line.
absl::StatusOr<uint64_t> ParseProcStatStartTime(std::string_view stat_line);

// A wait status as Mesos words it: "exited with status 3", "terminated with signal Killed",
// "stopped with signal Stopped (signal)".
std::string DescribeWaitStatus(int wait_status);

// The read end of a pipe a spawned process writes its stdout or stderr into, read on an
// EventLoop as the data comes (the loop never blocks on it). Use:
//   auto pipe = OutputPipe::Create(loop);            // both ends close-on-exec, above fd 2
//   options.stdout_fd = (*pipe)->write_fd();
//   Spawn(options);
//   (*pipe)->CloseWriteEnd();                       // else end of file never comes
//   (*pipe)->Start(on_data, on_end);
// End of file comes once every process holding the write end (the child, anything it forked
// that inherited it) closed it or exited. Use it on the loop's thread; destroy it before the
// loop.
class OutputPipe {
 public:
  // A chunk of output, in order, at most kChunkBytes. The view is valid during the call only.
  using DataCallback = std::function<void(std::string_view bytes)>;
  // Once: OK at end of file, else the read error (the pipe is then no longer read).
  using EndCallback = std::function<void(absl::Status status)>;
  static constexpr size_t kChunkBytes = 64 << 10;

  // Errors: "pipe: Too many open files" and the like.
  static absl::StatusOr<std::unique_ptr<OutputPipe>> Create(EventLoop& loop);

  // Closes both ends. No callback runs afterwards, even one already due. A writer still alive
  // then gets EPIPE (SIGPIPE) on its next write.
  ~OutputPipe();
  OutputPipe(const OutputPipe&) = delete;
  OutputPipe& operator=(const OutputPipe&) = delete;

  // The end for the child (SpawnOptions::stdout_fd / stderr_fd); -1 after CloseWriteEnd().
  int write_fd() const;
  // Closes this process's copy of the write end. Call it once the child was spawned.
  void CloseWriteEnd();

  // Starts reading: `on_data` per chunk, then `on_end`. Both run on the loop thread and may
  // destroy the pipe. REQUIRES: called at most once.
  void Start(DataCallback on_data, EndCallback on_end);

  // True once `on_end` was called (or is being called).
  bool ended() const;

 private:
  struct Impl;
  explicit OutputPipe(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

  std::shared_ptr<Impl> impl_;
};

// Watches one process for exit on an EventLoop through a pidfd, so it works for children and
// for processes that are not (executors re-attached after an agent restart). Use it on the
// loop's thread and destroy it before the loop.
class ProcessWatcher {
 public:
  // The wait status (as from waitpid) when the process was our child and was reaped here;
  // nullopt when it was not our child (its parent reaps it) or someone else reaped it first.
  using ExitCallback = std::function<void(std::optional<int> wait_status)>;

  // Starts watching `pid`. `on_exit` runs once, on the loop thread, after the process exited
  // (at once, on the next turn, if it already had). It may destroy the watcher.
  // NotFound if no process `pid` exists (it exited and was reaped). To re-attach after a
  // restart, compare ProcessStartTime(pid) with the stored value after Watch() succeeds: the
  // pidfd then pins that process, so the check cannot race with pid reuse.
  static absl::StatusOr<std::unique_ptr<ProcessWatcher>> Watch(EventLoop& loop, pid_t pid,
                                                               ExitCallback on_exit);

  // Stops watching; `on_exit` will not run. Does not signal or reap the process.
  ~ProcessWatcher();
  ProcessWatcher(const ProcessWatcher&) = delete;
  ProcessWatcher& operator=(const ProcessWatcher&) = delete;

  pid_t pid() const { return pid_; }

 private:
  struct Impl;
  ProcessWatcher(pid_t pid, std::shared_ptr<Impl> impl) : pid_(pid), impl_(std::move(impl)) {}

  pid_t pid_;
  std::shared_ptr<Impl> impl_;
};

}  // namespace atl::io
