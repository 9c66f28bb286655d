// The command executor's shell (core/cmd/executor_runtime) with a real task against a small
// fake agent: the task's output reaches the sandbox files through pipes and rotating writers,
// all of it before the terminal update, and a background process holding the pipes delays the
// terminal update only by the drain timeout.
#include "core/cmd/executor_runtime.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/api/json_executor.h"
#include "core/api/recordio.h"
#include "core/base/strings.h"
#include "core/executor/executor_environment.h"
#include "core/io/event_loop.h"
#include "core/io/http_server.h"
#include "core/io/real_clock.h"
#include "core/io/rotating_file.h"

namespace atl::cmd {
namespace {

namespace eev = api::executor_event;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Serves the v1 executor API for one executor: SUBSCRIBED and LAUNCH of `task` on the first
// subscription, 202 and an ACKNOWLEDGED for every update. Records each update with the
// contents of the sandbox's stdout at the moment it arrived.
class FakeAgent {
 public:
  struct Update {
    model::TaskStatus status;
    std::string stdout_then;
    std::chrono::steady_clock::time_point at;
  };

  FakeAgent(io::EventLoop& loop, model::TaskInfo task, std::string sandbox)
      : task_(std::move(task)),
        sandbox_(std::move(sandbox)),
        server_(loop, io::HttpServer::Options{},
                [this](const io::HttpRequest& request, std::shared_ptr<io::HttpResponder> r) {
                  Handle(request, std::move(r));
                }) {}

  absl::Status Start() { return server_.Start(); }
  uint16_t port() const { return server_.port(); }
  const std::vector<Update>& updates() const { return updates_; }

 private:
  void Send(const api::ExecutorEvent& event) {
    if (stream_) stream_->Write(api::RecordIoEncode(api::SerializeExecutorEvent(event)));
  }

  void Handle(const io::HttpRequest& request, std::shared_ptr<io::HttpResponder> responder) {
    absl::StatusOr<api::ExecutorCall> call = api::ParseExecutorCall(request.body);
    ASSERT_TRUE(call.ok()) << call.status();
    if (std::holds_alternative<api::executor_call::Subscribe>(call->body)) {
      stream_ = responder->StartStream(200, {{"Content-Type", "application/json"}});
      eev::Subscribed s;
      s.executor_info.executor_id = call->executor_id;
      s.framework_info.name = "test";
      s.framework_info.id = call->framework_id;
      s.agent_info.id = model::AgentId("S1");
      s.agent_info.hostname = "localhost";
      Send({s});
      if (!launched_) Send({eev::Launch{task_}});
      launched_ = true;
      return;
    }
    if (const auto* update = std::get_if<api::executor_call::Update>(&call->body)) {
      updates_.push_back(
          {update->status, ReadFile(sandbox_ + "/stdout"), std::chrono::steady_clock::now()});
      responder->Respond(io::HttpResponse{202, {}, ""});
      Send({eev::Acknowledged{update->status.task_id, update->status.uuid}});
      return;
    }
    responder->Respond(io::HttpResponse{202, {}, ""});
  }

  model::TaskInfo task_;
  std::string sandbox_;
  io::HttpServer server_;
  std::shared_ptr<io::HttpStream> stream_;
  bool launched_ = false;
  std::vector<Update> updates_;
};

class ExecutorRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/atoll-executor-runtime-test-XXXXXX";
    char* dir = ::mkdtemp(tmpl);
    ASSERT_NE(dir, nullptr);
    sandbox_ = dir;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(sandbox_, ignored);
  }

  static model::TaskInfo ShellTask(std::string script) {
    model::TaskInfo t;
    t.name = "t";
    t.task_id = model::TaskId("t1");
    t.agent_id = model::AgentId("S1");
    model::CommandInfo c;
    c.shell = true;
    c.value = std::move(script);
    t.command = c;
    return t;
  }

  std::shared_ptr<io::RotatingFile> Log(const char* name, uint64_t max_bytes, int max_files) {
    io::RotatingFile::Options o;
    o.path = StrCat(sandbox_, "/", name);
    o.max_bytes = max_bytes;
    o.max_files = max_files;
    absl::StatusOr<std::unique_ptr<io::RotatingFile>> file = io::RotatingFile::Open(o);
    EXPECT_TRUE(file.ok()) << file.status();
    return file.ok() ? std::shared_ptr<io::RotatingFile>(*std::move(file)) : nullptr;
  }

  // Runs an executor for `task` against a fake agent until it exits; returns its exit code
  // and leaves the agent's record in `updates`.
  std::optional<int> Run(model::TaskInfo task, ExecutorRuntime::Options options,
                         std::vector<FakeAgent::Update>* updates) {
    io::EventLoop loop;
    io::RealClock clock;
    FakeAgent agent(loop, std::move(task), sandbox_);
    EXPECT_TRUE(agent.Start().ok());
    absl::StatusOr<executor::ExecutorEnvironment> env = executor::ReadExecutorEnvironment(
        {"PATH=/usr/bin:/bin", "MESOS_FRAMEWORK_ID=F1", "MESOS_EXECUTOR_ID=t1",
         StrCat("MESOS_SANDBOX=", sandbox_),
         StrCat("MESOS_AGENT_ENDPOINT=127.0.0.1:", agent.port()), "MESOS_CHECKPOINT=1"});
    EXPECT_TRUE(env.ok()) << env.status();
    if (!env.ok()) return std::nullopt;
    std::optional<int> code;
    {
      ExecutorRuntime runtime(loop, clock, *std::move(env), std::move(options));
      bool timed_out = false;
      io::EventLoop::TimerId safety = loop.RunAfter(Duration::Seconds(20), [&] {
        timed_out = true;
        loop.Stop();
      });
      runtime.Start();
      loop.Run();
      loop.Cancel(safety);
      EXPECT_FALSE(timed_out) << "the executor did not exit";
      code = runtime.exit_code();
    }
    *updates = agent.updates();
    return code;
  }

  std::string sandbox_;
};

TEST_F(ExecutorRuntimeTest, AllOutputIsInTheSandboxBeforeTheTerminalUpdate) {
  ExecutorRuntime::Options options;
  options.task_stdout = Log("stdout", 1 << 20, 2);
  options.task_stderr = Log("stderr", 1 << 20, 2);
  // More than a pipe buffer holds, and the last line from a child that outlives the task's
  // process by 0.2 s (within the drain timeout).
  std::vector<FakeAgent::Update> updates;
  std::optional<int> code =
      Run(ShellTask("i=0; while [ $i -lt 5000 ]; do echo line $i; i=$((i+1)); done; "
                    "echo oops >&2; (sleep 0.2; echo last) &"),
          std::move(options), &updates);
  EXPECT_EQ(code, 0);
  ASSERT_FALSE(updates.empty());
  const FakeAgent::Update& last = updates.back();
  EXPECT_EQ(last.status.state, model::TaskState::kFinished);
  std::string expected;
  for (int i = 0; i < 5000; ++i) expected += StrCat("line ", i, "\n");
  EXPECT_EQ(last.stdout_then, expected + "last\n");
  EXPECT_EQ(ReadFile(sandbox_ + "/stderr"), "oops\n");
}

TEST_F(ExecutorRuntimeTest, TaskOutputIsRotatedAtTheCap) {
  ExecutorRuntime::Options options;
  options.task_stdout = Log("stdout", 4096, 2);
  options.task_stderr = Log("stderr", 4096, 2);
  std::vector<FakeAgent::Update> updates;
  // ~59 KB of stdout: 14 or more rotations.
  std::optional<int> code =
      Run(ShellTask("i=0; while [ $i -lt 5000 ]; do echo line $i; i=$((i+1)); done"),
          std::move(options), &updates);
  EXPECT_EQ(code, 0);
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().status.state, model::TaskState::kFinished);
  for (const char* suffix : {"", ".1", ".2"}) {
    const std::string path = StrCat(sandbox_, "/stdout", suffix);
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    EXPECT_LE(std::filesystem::file_size(path), 4096u) << path;
  }
  EXPECT_FALSE(std::filesystem::exists(sandbox_ + "/stdout.3"));
  // Whole lines in order, ending with the last one.
  const std::string kept = ReadFile(sandbox_ + "/stdout.2") + ReadFile(sandbox_ + "/stdout.1") +
                           ReadFile(sandbox_ + "/stdout");
  EXPECT_TRUE(kept.ends_with("line 4998\nline 4999\n")) << kept.substr(kept.size() - 40);
  EXPECT_TRUE(kept.starts_with("line ")) << kept.substr(0, 40);
}

TEST_F(ExecutorRuntimeTest, ABackgroundProcessHoldingTheOutputDelaysTheExitOnlyBriefly) {
  ExecutorRuntime::Options options;
  options.task_stdout = Log("stdout", 1 << 20, 2);
  options.task_stderr = Log("stderr", 1 << 20, 2);
  options.output_drain_timeout = Duration::Milliseconds(300);
  std::vector<FakeAgent::Update> updates;
  const auto start = std::chrono::steady_clock::now();
  // The background sleep keeps stdout and stderr open well past the task's exit.
  std::optional<int> code = Run(ShellTask("sleep 30 & echo $! > sleeper.pid; echo started"),
                                std::move(options), &updates);
  const auto took = std::chrono::steady_clock::now() - start;
  // Clean up the sleeper first, whatever happened.
  const std::string pid_text = ReadFile(sandbox_ + "/sleeper.pid");
  int64_t sleeper = 0;
  if (ParseInt64(Strip(pid_text), &sleeper) && sleeper > 1) {
    ::kill(static_cast<pid_t>(sleeper), SIGKILL);
  }
  EXPECT_EQ(code, 0);
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().status.state, model::TaskState::kFinished);
  EXPECT_EQ(updates.back().stdout_then, "started\n");
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST_F(ExecutorRuntimeTest, WithoutWritersTheTaskInheritsTheExecutorsOutput) {
  // No rotating writers: the old behaviour (the agent's files are the executor's fds 1 and 2).
  std::vector<FakeAgent::Update> updates;
  std::optional<int> code =
      Run(ShellTask("echo inherited > own.txt; exit 3"), ExecutorRuntime::Options{}, &updates);
  EXPECT_EQ(code, 0);
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().status.state, model::TaskState::kFailed);
  EXPECT_EQ(updates.back().status.message, "Command exited with status 3");
  EXPECT_EQ(ReadFile(sandbox_ + "/own.txt"), "inherited\n");
}

}  // namespace
}  // namespace atl::cmd
