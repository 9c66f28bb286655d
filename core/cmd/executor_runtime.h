// The imperative shell of `atoll executor`, the built-in command executor: it runs
// executor::CommandExecutor on an EventLoop against the agent's v1 executor API
// (reference/mesos.md §2) and does what the state machine decides.
//
//   SUBSCRIBE  POST http://<MESOS_AGENT_ENDPOINT>/api/v1/executor (Content-Type and Accept:
//              application/json) on a connection of its own; 200 and a RecordIO stream of
//              events, decoded and handed to the machine in order.
//   others     POST to the same path, one at a time in the order made (a task's updates must
//              reach the agent in order), each expected to answer 202.
//   the task   spawned with io::Spawn in a new session (its own process group, so signals reach
//              its children), watched with io::ProcessWatcher; signals go to its process group.
//              Its stdout and stderr are pipes (io::OutputPipe) the runtime copies into the
//              sandbox's `stdout` and `stderr` through size-capped io::RotatingFiles. When it
//              exits, the exit is reported once both pipes reached end of file, or after
//              Options::output_drain_timeout if a process it left behind still holds them
//              (the copying goes on until the executor exits), so the sandbox files hold all
//              of the task's output by the time its terminal update is sent.
//
// Everything runs on the loop thread; results of commands come back as inputs through one
// FIFO, each input's output applied fully before the next input is handled.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "core/api/recordio.h"
#include "core/base/clock.h"
#include "core/cmd/health_checker.h"
#include "core/executor/command_executor.h"
#include "core/executor/executor_environment.h"
#include "core/io/event_loop.h"
#include "core/io/http_client.h"
#include "core/io/process.h"
#include "core/io/rotating_file.h"

namespace atl::cmd {

// `atoll executor`: reads the environment the agent set (executor::ReadExecutorEnvironment),
// runs the executor until it decides to exit, and returns its exit code: 0 once the task's
// terminal update reached the agent, 1 when the agent was lost or the environment is bad (the
// problems are printed on stderr, one per line). SIGTERM/SIGINT shut the task down as a SHUTDOWN
// event would; a second signal SIGKILLs the task's process group and exits 128 + signo at once.
// The sandbox's `stdout` and `stderr` are io::RotatingFiles (ATOLL_SANDBOX_LOG_MAX_BYTES,
// ATOLL_SANDBOX_LOG_MAX_FILES); the executor's own log goes through the `stderr` one, and its
// fds 1 and 2 follow the current files. If they cannot be opened the executor logs why and the
// task inherits the executor's stdout and stderr, uncapped, as before.
int RunCommandExecutor();

class ExecutorRuntime {
 public:
  struct Options {
    // SUBSCRIBE: from connect until the response head; other calls: the whole exchange.
    Duration request_timeout = Duration::Seconds(10);
    std::string path = "/api/v1/executor";
    // Where the task's stdout / stderr go; null: the task inherits the executor's own.
    std::shared_ptr<io::RotatingFile> task_stdout;
    std::shared_ptr<io::RotatingFile> task_stderr;
    // How long after the task's process exited to wait for its output pipes' end of file
    // before reporting the exit anyway.
    Duration output_drain_timeout = Duration::Seconds(1);
  };

  // `loop` and `clock` outlive the runtime; `clock` must be the real clock the loop's timers use.
  ExecutorRuntime(io::EventLoop& loop, const Clock& clock, executor::ExecutorEnvironment env,
                  Options options);
  // Closes the stream and stops watching the task (it is not signalled). REQUIRES: loop thread
  // or the loop not running.
  ~ExecutorRuntime();
  ExecutorRuntime(const ExecutorRuntime&) = delete;
  ExecutorRuntime& operator=(const ExecutorRuntime&) = delete;

  // Subscribes to the agent. When the executor exits, the loop is stopped.
  void Start();
  // Called for SIGTERM / SIGINT (see RunCommandExecutor).
  void OnSignal(int signo);

  // The exit code, once the executor decided to exit.
  std::optional<int> exit_code() const { return exit_code_; }

 private:
  void Input(executor::Input input);
  void Apply(const executor::Output& out);
  void OpenStream(const api::ExecutorCall& subscribe);
  void OnHeaders(uint64_t epoch, int status);
  void OnData(uint64_t epoch, std::string_view bytes);
  void OnClose(uint64_t epoch, const absl::Status& status);
  // Drops the current stream and tells the machine.
  void Lose(const std::string& reason);
  void CloseStream();
  void SendCall(api::ExecutorCall call);
  void PumpCalls();
  void Spawn(const executor::cmd::SpawnTask& spawn);
  // A pipe copied into `file`, or null (and the task inherits) when `file` is null; an error
  // when the pipe cannot be made.
  absl::StatusOr<std::unique_ptr<io::OutputPipe>> MakeOutputPipe(
      const std::shared_ptr<io::RotatingFile>& file);
  void StartOutput(io::OutputPipe* pipe, std::shared_ptr<io::RotatingFile> file,
                   std::string_view name);
  // The task's process exited: report it once its output is drained (or the drain timed out).
  void OnTaskExited(executor::in::TaskExited exited);
  void MaybeReportExit(bool timed_out);
  void Signal(int pgid, int signo);
  void WakeAt(Timestamp at);
  void StartChecks(const executor::cmd::StartChecks& start);
  void PostLifecycle(const executor::cmd::PostLifecycle& post);
  void Exit(int code);
  io::ClientRequest MakeRequest(std::string body) const;
  std::string endpoint() const;

  io::EventLoop& loop_;
  const Clock& clock_;
  executor::ExecutorEnvironment env_;
  Options options_;
  executor::CommandExecutor machine_;
  io::HttpClient client_;

  std::deque<executor::Input> inputs_;
  bool draining_ = false;

  std::shared_ptr<io::ClientStream> stream_;
  uint64_t stream_epoch_ = 0;
  int stream_status_ = 0;   // the SUBSCRIBE response's status; 0 before its head
  std::string error_body_;  // start of a refused SUBSCRIBE's body
  api::RecordIoDecoder decoder_;

  std::deque<api::ExecutorCall> calls_;  // waiting for the one in flight
  bool call_in_flight_ = false;

  std::unique_ptr<HealthCheckSet> checker_;      // while the task's health checks run
  std::unique_ptr<ReadinessChecker> readiness_;  // until the task is ready
  std::unique_ptr<io::ProcessWatcher> watcher_;
  std::optional<int> task_pgid_;
  // Set once the task's process was reaped: no signal goes to its group after that.
  std::optional<int> reaped_pgid_;
  std::unique_ptr<io::OutputPipe> stdout_pipe_;
  std::unique_ptr<io::OutputPipe> stderr_pipe_;
  // The exit, held back while the output drains.
  std::optional<executor::in::TaskExited> pending_exit_;
  io::EventLoop::TimerId drain_timer_ = 0;
  io::EventLoop::TimerId timer_ = 0;
  int signals_ = 0;
  std::optional<int> exit_code_;
  // Callbacks hold a weak reference: nothing runs into a destroyed runtime.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace atl::cmd
