#include "core/cmd/executor_runtime.h"

#include <signal.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <mutex>
#include <utility>
#include <vector>

#include "core/api/json_executor.h"
#include "core/base/overloaded.h"
#include "core/base/strings.h"
#include "core/io/real_clock.h"

extern char** environ;

namespace atl::cmd {
namespace {

// Enough of a refused SUBSCRIBE's body to say why.
constexpr size_t kMaxErrorBody = 4096;

std::string Shorten(std::string_view text) { return std::string(Strip(text).substr(0, 512)); }

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// execvp's lookup for a command without a '/': the task's PATH (or /usr/bin:/bin), then the
// sandbox, as Mesos also finds executables fetched into it. Unchanged when nothing matches, so
// that the spawn fails naming the command.
std::string ResolveExecutable(const executor::cmd::SpawnTask& spawn) {
  if (spawn.path.find('/') != std::string::npos) return spawn.path;
  std::string_view path_var = "/usr/bin:/bin";
  for (const std::string& entry : spawn.env) {
    std::string_view e = entry;
    if (ConsumePrefix(&e, "PATH=")) path_var = e;
  }
  for (std::string_view dir : Split(path_var, ':')) {
    std::string candidate = StrCat(dir, "/", spawn.path);
    if (IsExecutableFile(candidate)) return candidate;
  }
  if (!spawn.cwd.empty()) {
    std::string candidate = StrCat(spawn.cwd, "/", spawn.path);
    if (IsExecutableFile(candidate)) return candidate;
  }
  return spawn.path;
}

// The executor's own log, into the sandbox's `stderr` alongside the task's, under its cap.
class RotatingFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit RotatingFileSink(std::shared_ptr<io::RotatingFile> file) : file_(std::move(file)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    // Nowhere to report a failure to write the log.
    (void)file_->Write(std::string_view(formatted.data(), formatted.size()));
  }
  void flush_() override {}  // Write() is a write(2): nothing is buffered.

 private:
  std::shared_ptr<io::RotatingFile> file_;
};

// Replaces the default logger (io::InitLogging's, on stderr) with one writing into `file`, at
// the same level.
void LogTo(std::shared_ptr<io::RotatingFile> file) {
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(
      "atoll", std::make_shared<RotatingFileSink>(std::move(file)));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%f%z %L %t %v");  // io::InitLogging's, uncoloured
  logger->set_level(previous->level());
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace

ExecutorRuntime::ExecutorRuntime(io::EventLoop& loop, const Clock& clock,
                                 executor::ExecutorEnvironment env, Options options)
    : loop_(loop),
      clock_(clock),
      env_(std::move(env)),
      options_(std::move(options)),
      machine_(env_.options),
      client_(loop) {}

ExecutorRuntime::~ExecutorRuntime() {
  if (timer_ != 0) loop_.Cancel(timer_);
  if (drain_timer_ != 0) loop_.Cancel(drain_timer_);
  CloseStream();
  watcher_.reset();
}

void ExecutorRuntime::Start() {
  spdlog::info("command executor {} of framework {}: subscribing to the agent at {}",
               env_.options.executor_id.value(), env_.options.framework_id.value(), endpoint());
  Input(executor::in::Start{});
}

void ExecutorRuntime::OnSignal(int signo) {
  if (exit_code_) return;
  if (++signals_ == 1) {
    spdlog::warn("signal {}: shutting the task down", signo);
    Input(executor::in::Event{api::ExecutorEvent{api::executor_event::Shutdown{}}});
    return;
  }
  spdlog::warn("signal {} again: killing the task and exiting", signo);
  if (task_pgid_) Signal(*task_pgid_, SIGKILL);
  Exit(128 + signo);
}

std::string ExecutorRuntime::endpoint() const {
  return env_.agent_host.find(':') != std::string::npos
             ? StrCat("[", env_.agent_host, "]:", env_.agent_port)
             : StrCat(env_.agent_host, ":", env_.agent_port);
}

// ---------------------------------------------------------------------------------------------
// The machine

void ExecutorRuntime::Input(executor::Input input) {
  inputs_.push_back(std::move(input));
  if (draining_) return;  // the loop below gets to it after the current output
  draining_ = true;
  while (!inputs_.empty() && !exit_code_) {
    executor::Input next = std::move(inputs_.front());
    inputs_.pop_front();
    Apply(machine_.Handle(next, clock_.Now()));
  }
  inputs_.clear();
  draining_ = false;
}

void ExecutorRuntime::Apply(const executor::Output& out) {
  for (const std::string& line : out.log) spdlog::info("{}", line);
  namespace ec = executor::cmd;
  for (const executor::Command& command : out.commands) {
    if (exit_code_) return;
    std::visit(Overloaded{
                   [&](const ec::OpenStream& o) { OpenStream(o.call); },
                   [&](const ec::SendCall& s) { SendCall(s.call); },
                   [&](const ec::SpawnTask& s) { Spawn(s); },
                   [&](const ec::SignalTask& s) { Signal(s.pgid, s.signo); },
                   [&](const ec::Exit& e) { Exit(e.code); },
                   [&](const ec::WakeAt& w) { WakeAt(w.at); },
                   [&](const ec::StartChecks& c) { StartChecks(c); },
                   [&](const ec::StopChecks&) {
                     // Announcements (discovery) are withdrawn here too, once tasks announce.
                     checker_.reset();
                     readiness_.reset();
                   },
                   [&](const ec::PostLifecycle& p) { PostLifecycle(p); },
               },
               command);
  }
}

// ---------------------------------------------------------------------------------------------
// The event stream

io::ClientRequest ExecutorRuntime::MakeRequest(std::string body) const {
  io::ClientRequest request;
  request.method = "POST";
  request.host = env_.agent_host;
  request.port = env_.agent_port;
  request.target = options_.path;
  request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  request.body = std::move(body);
  request.timeout = options_.request_timeout;
  return request;
}

void ExecutorRuntime::OpenStream(const api::ExecutorCall& subscribe) {
  CloseStream();
  // Updates still queued from the last subscription are all in this SUBSCRIBE; sending them
  // after it could only deliver stale states out of order.
  calls_.clear();
  const uint64_t epoch = ++stream_epoch_;
  stream_status_ = 0;
  error_body_.clear();
  decoder_ = api::RecordIoDecoder();
  std::weak_ptr<int> alive = alive_;
  stream_ = client_.OpenStream(
      MakeRequest(api::SerializeExecutorCall(subscribe)),
      [this, alive, epoch](int status, const io::HttpHeaders&) {
        if (!alive.expired()) OnHeaders(epoch, status);
      },
      [this, alive, epoch](std::string_view bytes) {
        if (!alive.expired()) OnData(epoch, bytes);
      },
      [this, alive, epoch](absl::Status status) {
        if (!alive.expired()) OnClose(epoch, status);
      });
}

void ExecutorRuntime::OnHeaders(uint64_t epoch, int status) {
  if (epoch != stream_epoch_ || stream_ == nullptr) return;
  stream_status_ = status;
  // A refusal's body (the reason) follows; OnClose reports it.
  if (status == 200) Input(executor::in::Connected{});
}

void ExecutorRuntime::OnData(uint64_t epoch, std::string_view bytes) {
  if (epoch != stream_epoch_ || stream_ == nullptr) return;
  if (stream_status_ != 200) {
    if (error_body_.size() < kMaxErrorBody) {
      error_body_.append(bytes.substr(0, kMaxErrorBody - error_body_.size()));
    }
    return;
  }
  std::vector<std::string> records;
  const absl::Status fed = decoder_.Feed(bytes, &records);
  for (const std::string& record : records) {
    absl::StatusOr<api::ExecutorEvent> event = api::ParseExecutorEvent(record);
    if (!event.ok()) {
      Lose(StrCat("undecodable event from ", endpoint(), ": ", event.status().message()));
      return;
    }
    Input(executor::in::Event{*std::move(event)});
    // The machine may have exited or re-subscribed meanwhile.
    if (epoch != stream_epoch_ || stream_ == nullptr || exit_code_) return;
  }
  if (!fed.ok()) Lose(StrCat("bad RecordIO framing from ", endpoint(), ": ", fed.message()));
}

void ExecutorRuntime::OnClose(uint64_t epoch, const absl::Status& status) {
  if (epoch != stream_epoch_ || stream_ == nullptr) return;
  if (stream_status_ == 200 || stream_status_ == 0) {
    // The client's message names the request and the failed step.
    Lose(status.ok() ? StrCat("the agent at ", endpoint(), " ended the event stream")
                     : std::string(status.message()));
  } else {
    Lose(StrCat("SUBSCRIBE to ", endpoint(), " answered ", stream_status_, ": ",
                Shorten(error_body_)));
  }
}

void ExecutorRuntime::Lose(const std::string& reason) {
  CloseStream();
  Input(executor::in::Disconnected{reason});
}

void ExecutorRuntime::CloseStream() {
  if (stream_ == nullptr) return;
  stream_->Close();
  stream_.reset();
}

// ---------------------------------------------------------------------------------------------
// Calls

void ExecutorRuntime::SendCall(api::ExecutorCall call) {
  calls_.push_back(std::move(call));
  PumpCalls();
}

void ExecutorRuntime::PumpCalls() {
  if (call_in_flight_ || calls_.empty()) return;
  api::ExecutorCall call = std::move(calls_.front());
  calls_.pop_front();
  call_in_flight_ = true;
  std::weak_ptr<int> alive = alive_;
  client_.Request(
      MakeRequest(api::SerializeExecutorCall(call)),
      [this, alive, call](absl::StatusOr<io::HttpResponse> response) {
        if (alive.expired()) return;
        call_in_flight_ = false;
        if (!response.ok()) {
          Input(executor::in::CallFailed{call, std::string(response.status().message())});
        } else if (response->status != 202) {
          Input(executor::in::CallFailed{call,
                                         StrCat(response->status, ": ", Shorten(response->body))});
        }
        if (!exit_code_) PumpCalls();
      });
}

// Aurora's HTTP lifecycle: an empty POST to the task's own port.
void ExecutorRuntime::PostLifecycle(const executor::cmd::PostLifecycle& post) {
  io::ClientRequest request;
  request.method = "POST";
  request.host = "127.0.0.1";
  request.port = static_cast<uint16_t>(post.port);
  request.target = post.endpoint;
  request.headers = {{"User-Agent", "atoll-executor"}};
  request.timeout = post.timeout;
  std::weak_ptr<int> alive = alive_;
  client_.Request(std::move(request),
                  [this, alive, step = post.step](absl::StatusOr<io::HttpResponse> response) {
                    if (alive.expired()) return;
                    executor::in::LifecycleAnswered answer{step, false, ""};
                    if (!response.ok()) {
                      answer.detail = std::string(response.status().message());
                    } else if (response->status < 200 || response->status >= 400) {
                      answer.detail = StrCat("HTTP ", response->status);
                    } else {
                      answer.ok = true;
                    }
                    Input(std::move(answer));
                  });
}

// ---------------------------------------------------------------------------------------------
// The task

void ExecutorRuntime::Spawn(const executor::cmd::SpawnTask& spawn) {
  io::SpawnOptions options;
  options.path = ResolveExecutable(spawn);
  options.argv = spawn.argv;
  options.env = spawn.env;
  options.cwd = spawn.cwd;
  // Its own process group (kills reach its children) inside the executor's session, so an
  // agent without cgroups can kill the executor and its task together (io::SignalSession).
  options.new_session = false;
  options.new_process_group = true;
  options.user = spawn.user;
  absl::StatusOr<std::unique_ptr<io::OutputPipe>> out = MakeOutputPipe(options_.task_stdout);
  if (!out.ok()) {
    Input(executor::in::SpawnFailed{StrCat("stdout ", out.status().message())});
    return;
  }
  absl::StatusOr<std::unique_ptr<io::OutputPipe>> err = MakeOutputPipe(options_.task_stderr);
  if (!err.ok()) {
    Input(executor::in::SpawnFailed{StrCat("stderr ", err.status().message())});
    return;
  }
  if (*out) options.stdout_fd = (*out)->write_fd();
  if (*err) options.stderr_fd = (*err)->write_fd();
  absl::StatusOr<pid_t> pid = io::Spawn(options);
  // Only the task may hold the write ends, or the pipes never end.
  if (*out) (*out)->CloseWriteEnd();
  if (*err) (*err)->CloseWriteEnd();
  if (!pid.ok()) {
    Input(executor::in::SpawnFailed{std::string(pid.status().message())});
    return;
  }
  stdout_pipe_ = *std::move(out);
  stderr_pipe_ = *std::move(err);
  StartOutput(stdout_pipe_.get(), options_.task_stdout, "stdout");
  StartOutput(stderr_pipe_.get(), options_.task_stderr, "stderr");
  task_pgid_ = *pid;
  // Queued before anything the watcher can report: TaskSpawned is handled first.
  Input(executor::in::TaskSpawned{*pid});
  std::weak_ptr<int> alive = alive_;
  absl::StatusOr<std::unique_ptr<io::ProcessWatcher>> watcher =
      io::ProcessWatcher::Watch(loop_, *pid, [this, alive](std::optional<int> wait_status) {
        if (alive.expired()) return;
        OnTaskExited(executor::in::TaskExited{
            wait_status, wait_status ? io::DescribeWaitStatus(*wait_status) : std::string()});
      });
  if (!watcher.ok()) {
    // Our own child is gone before we could watch it: someone else reaped it.
    spdlog::error("cannot watch the task's process {}: {}", *pid,
                  std::string(watcher.status().message()));
    OnTaskExited(executor::in::TaskExited{std::nullopt, ""});
    return;
  }
  watcher_ = *std::move(watcher);
}

absl::StatusOr<std::unique_ptr<io::OutputPipe>> ExecutorRuntime::MakeOutputPipe(
    const std::shared_ptr<io::RotatingFile>& file) {
  if (file == nullptr) return std::unique_ptr<io::OutputPipe>();
  return io::OutputPipe::Create(loop_);
}

void ExecutorRuntime::StartOutput(io::OutputPipe* pipe, std::shared_ptr<io::RotatingFile> file,
                                  std::string_view name) {
  if (pipe == nullptr) return;
  std::weak_ptr<int> alive = alive_;
  // Said once per run of failures (a full disk): the output is dropped meanwhile, never left
  // in the pipe, where it would block the task.
  auto failing = std::make_shared<bool>(false);
  pipe->Start(
      [file = std::move(file), failing, name = std::string(name)](std::string_view bytes) {
        absl::Status s = file->Write(bytes);
        if (!s.ok() && !*failing) {
          spdlog::error("the task's {} is dropped until writing works again: {}", name,
                        std::string(s.message()));
        }
        *failing = !s.ok();
      },
      [this, alive, name = std::string(name)](absl::Status status) {
        if (alive.expired()) return;
        if (!status.ok()) {
          spdlog::error("the task's {}: {}", name, std::string(status.message()));
        }
        MaybeReportExit(/*timed_out=*/false);
      });
}

void ExecutorRuntime::OnTaskExited(executor::in::TaskExited exited) {
  reaped_pgid_ = task_pgid_;
  task_pgid_.reset();
  pending_exit_ = std::move(exited);
  std::weak_ptr<int> alive = alive_;
  drain_timer_ = loop_.RunAfter(options_.output_drain_timeout, [this, alive] {
    if (alive.expired()) return;
    drain_timer_ = 0;
    MaybeReportExit(/*timed_out=*/true);
  });
  MaybeReportExit(/*timed_out=*/false);
}

void ExecutorRuntime::MaybeReportExit(bool timed_out) {
  if (!pending_exit_ || exit_code_) return;
  const bool drained =
      (!stdout_pipe_ || stdout_pipe_->ended()) && (!stderr_pipe_ || stderr_pipe_->ended());
  if (!drained && !timed_out) return;
  if (!drained) {
    spdlog::warn(
        "the task's output is still open {} after it exited (a process it started holds it); "
        "reporting the exit and copying on until the executor exits",
        options_.output_drain_timeout.ToString());
  }
  if (drain_timer_ != 0) {
    loop_.Cancel(drain_timer_);
    drain_timer_ = 0;
  }
  executor::in::TaskExited exited = *std::move(pending_exit_);
  pending_exit_.reset();
  Input(std::move(exited));
}

void ExecutorRuntime::Signal(int pgid, int signo) {
  // While the exit waits for the output to drain, the machine still thinks the task runs; its
  // group id is free for reuse once empty, so it gets no more signals.
  if (reaped_pgid_ == pgid) return;
  absl::Status s = io::SignalProcessGroup(pgid, signo);
  if (!s.ok()) {
    spdlog::error("cannot send signal {} to process group {}: {}", signo, pgid,
                  std::string(s.message()));
  }
}

// ---------------------------------------------------------------------------------------------
// Timers and exit

void ExecutorRuntime::StartChecks(const executor::cmd::StartChecks& start) {
  checker_.reset();
  readiness_.reset();
  std::weak_ptr<int> alive = alive_;
  if (!start.health.empty()) {
    checker_ = std::make_unique<HealthCheckSet>(
        loop_, clock_, start.health, start.env, [this, alive](executor::in::HealthChanged h) {
          if (alive.expired()) return;
          spdlog::info("Health: {}{}", h.healthy ? "healthy" : "unhealthy",
                       h.kill ? StrCat(" (", h.message, ")") : std::string());
          Input(std::move(h));
        });
  }
  if (std::optional<healthchecks::ReadinessSpec> spec =
          healthchecks::SpecFromLabels(start.task_labels)) {
    readiness_ = std::make_unique<ReadinessChecker>(
        loop_, clock_, *spec, [this, alive](executor::in::ReadinessChanged r) {
          if (alive.expired()) return;
          Input(std::move(r));
        });
  }
}

void ExecutorRuntime::WakeAt(Timestamp at) {
  if (timer_ != 0) loop_.Cancel(timer_);
  std::weak_ptr<int> alive = alive_;
  timer_ = loop_.RunAt(at, [this, alive] {
    if (alive.expired()) return;
    timer_ = 0;
    Input(executor::in::Tick{});
  });
}

void ExecutorRuntime::Exit(int code) {
  if (exit_code_) return;
  exit_code_ = code;
  spdlog::info("command executor exiting with status {}", code);
  if (timer_ != 0) {
    loop_.Cancel(timer_);
    timer_ = 0;
  }
  if (drain_timer_ != 0) {
    loop_.Cancel(drain_timer_);
    drain_timer_ = 0;
  }
  CloseStream();
  loop_.Stop();
}

// ---------------------------------------------------------------------------------------------

int RunCommandExecutor() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  absl::StatusOr<executor::ExecutorEnvironment> parsed = executor::ReadExecutorEnvironment(env);
  if (!parsed.ok()) {
    // The agent sets these; without them there is no agent to talk to.
    std::cerr << "atoll executor: cannot start; the environment the agent sets is missing or "
                 "bad:\n"
              << parsed.status().message() << std::endl;
    return 1;
  }
  // The sandbox's stdout and stderr, which the agent opened as our fds 1 and 2: from here on
  // written through capped, rotating writers, which keep fds 1 and 2 on the current files.
  ExecutorRuntime::Options options;
  auto open_log = [&](const char* name, int fd) -> std::shared_ptr<io::RotatingFile> {
    io::RotatingFile::Options o;
    o.path = StrCat(parsed->options.sandbox, "/", name);
    o.max_bytes = parsed->sandbox_log_max_bytes;
    o.max_files = parsed->sandbox_log_max_files;
    o.mirror_fd = fd;
    absl::StatusOr<std::unique_ptr<io::RotatingFile>> file = io::RotatingFile::Open(o);
    if (file.ok()) return *std::move(file);
    spdlog::error("the task's {} is not capped; it inherits ours: {}", name,
                  std::string(file.status().message()));
    return nullptr;
  };
  options.task_stdout = open_log("stdout", STDOUT_FILENO);
  options.task_stderr = open_log("stderr", STDERR_FILENO);
  if (options.task_stderr) LogTo(options.task_stderr);
  spdlog::info("sandbox stdout and stderr rotate at {} bytes, keeping {} rotated files each",
               parsed->sandbox_log_max_bytes, parsed->sandbox_log_max_files);
  io::EventLoop loop;
  io::RealClock clock;
  ExecutorRuntime runtime(loop, clock, *std::move(parsed), std::move(options));
  loop.StopOnSignals([&runtime](int signo) { runtime.OnSignal(signo); });
  runtime.Start();
  if (!runtime.exit_code()) loop.Run();
  return runtime.exit_code().value_or(1);
}

}  // namespace atl::cmd
