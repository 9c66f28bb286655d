#include "core/cmd/executor_runtime.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
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

// ---------------------------------------------------------------------------------------------
// The task

void ExecutorRuntime::Spawn(const executor::cmd::SpawnTask& spawn) {
  io::SpawnOptions options;
  options.path = ResolveExecutable(spawn);
  options.argv = spawn.argv;
  options.env = spawn.env;
  options.cwd = spawn.cwd;
  options.new_session = true;  // its own process group: kills reach its children
  options.user = spawn.user;
  absl::StatusOr<pid_t> pid = io::Spawn(options);
  if (!pid.ok()) {
    Input(executor::in::SpawnFailed{std::string(pid.status().message())});
    return;
  }
  task_pgid_ = *pid;
  // Queued before anything the watcher can report: TaskSpawned is handled first.
  Input(executor::in::TaskSpawned{*pid});
  std::weak_ptr<int> alive = alive_;
  absl::StatusOr<std::unique_ptr<io::ProcessWatcher>> watcher =
      io::ProcessWatcher::Watch(loop_, *pid, [this, alive](std::optional<int> wait_status) {
        if (alive.expired()) return;
        task_pgid_.reset();
        Input(executor::in::TaskExited{
            wait_status, wait_status ? io::DescribeWaitStatus(*wait_status) : std::string()});
      });
  if (!watcher.ok()) {
    // Our own child is gone before we could watch it: someone else reaped it.
    spdlog::error("cannot watch the task's process {}: {}", *pid,
                  std::string(watcher.status().message()));
    task_pgid_.reset();
    Input(executor::in::TaskExited{std::nullopt, ""});
    return;
  }
  watcher_ = *std::move(watcher);
}

void ExecutorRuntime::Signal(int pgid, int signo) {
  absl::Status s = io::SignalProcessGroup(pgid, signo);
  if (!s.ok()) {
    spdlog::error("cannot send signal {} to process group {}: {}", signo, pgid,
                  std::string(s.message()));
  }
}

// ---------------------------------------------------------------------------------------------
// Timers and exit

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
  io::EventLoop loop;
  io::RealClock clock;
  ExecutorRuntime runtime(loop, clock, *std::move(parsed), ExecutorRuntime::Options{});
  loop.StopOnSignals([&runtime](int signo) { runtime.OnSignal(signo); });
  runtime.Start();
  if (!runtime.exit_code()) loop.Run();
  return runtime.exit_code().value_or(1);
}

}  // namespace atl::cmd
