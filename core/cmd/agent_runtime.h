// AgentRuntime: the imperative shell around agent::Agent. It serves the agent's HTTP API (the
// v1 executor API at /api/v1/executor, /state, /health, /metrics/snapshot, /metrics and the
// sandbox files at /files/*), keeps the checkpoint (group commit: one SQLite transaction per
// loop turn, made durable before any command of that turn runs), creates containers (sandbox
// directory, cgroups, fetcher, executor process in its own session) and watches their
// processes, and talks to the master through a MasterLink. Everything runs on the loop thread.
//
// Work dir layout (Mesos's, reference/mesos.md §8.5):
//   <work_dir>/meta/agent.db                       the checkpoint
//   <work_dir>/slaves/<agent_id>/frameworks/<fw>/executors/<executor>/runs/<container>/
//                                                  the sandbox (stdout, stderr, fetched URIs)
//   <work_dir>/fetch-cache/                        URIs fetched with `cache`
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/agent/agent.h"
#include "core/base/clock.h"
#include "core/cmd/master_link.h"
#include "core/io/cgroups.h"
#include "core/io/event_loop.h"
#include "core/io/files_api.h"
#include "core/io/http_server.h"
#include "core/io/process.h"

namespace atl::io {
class AgentStore;
}

namespace atl::cmd {

struct AgentRuntimeOptions {
  std::string work_dir;
  // What the agent advertises (resources, attributes, hostname, port are filled from flags).
  model::AgentInfo info;
  // The address the HTTP server binds and executors are told (MESOS_AGENT_ENDPOINT).
  std::string ip = "127.0.0.1";
  agent::AgentOptions agent;
  // The `atoll` binary, for the command executor (`atoll executor`) and fetcher (`atoll fetch`).
  std::string atoll_binary = "/proc/self/exe";
  // Use cgroups when the machine allows it.
  bool cgroups = true;
  // Also cap each container's CPU time at its cpus with a CFS quota (Mesos
  // --cgroups_enable_cfs); without it cpus are only weights and idle CPU may be used.
  bool cgroups_enable_cfs = false;
  // Under each cgroup hierarchy; made unique per work dir so agents sharing a machine (atoll up,
  // tests) never touch each other's containers.
  std::string cgroups_root = "atoll";
  // Log lines prefix ("agent-0").
  std::string name = "agent";
};

class AgentRuntime {
 public:
  // `loop` and `clock` outlive the runtime.
  AgentRuntime(io::EventLoop& loop, const Clock& clock, AgentRuntimeOptions options,
               std::unique_ptr<MasterLink> link);
  ~AgentRuntime();

  // Opens the checkpoint, re-attaches surviving executors, serves HTTP on `http` (port 0 picks
  // one; the agent advertises the bound port) and connects to the master. Errors: the work dir
  // or checkpoint cannot be used, or the port cannot be bound.
  absl::Status Start(io::HttpServer::Options http);
  // Stops serving and talking to the master. With `kill_tasks`, destroys every container
  // first (their tasks end; `atoll up` on Ctrl-C). Without, executors keep running and a
  // restart with the same work dir recovers them. REQUIRES: loop thread.
  void Stop(bool kill_tasks);

  uint16_t port() const;
  const agent::Agent& agent() const { return *agent_; }
  // Not OK once the checkpoint could not be written; the process should exit non-zero.
  const absl::Status& fatal() const { return fatal_; }
  const io::Cgroups& cgroups() const { return cgroups_; }
  // The sandbox of a container.
  std::string SandboxOf(const agent::ExecutorRecord& executor) const;

 private:
  struct Container;
  void Handle(agent::Input input);
  void Apply(agent::Output out);
  void Flush();
  void Execute(agent::Command& command);
  // Queues a launch: containers are made one per loop turn, so executors subscribing and the
  // master's messages are served between them (a burst of 1,000 tasks must not stall the loop
  // for seconds).
  void QueueLaunch(agent::cmd::LaunchExecutor launch);
  void LaunchNext();
  void Launch(const agent::cmd::LaunchExecutor& launch);
  void SpawnExecutor(const std::string& container_id);
  void DestroyContainer(const agent::cmd::DestroyContainer& destroy);
  void Watch(const std::string& container_id, pid_t pid);
  void OnExited(const std::string& container_id, std::optional<int> wait_status);
  void Reattach(const agent::CheckpointedState& state);
  void OnHttp(const io::HttpRequest& req, std::shared_ptr<io::HttpResponder> responder);
  void OnExecutorApi(const io::HttpRequest& req, std::shared_ptr<io::HttpResponder> responder);
  std::vector<std::string> ExecutorEnvironment(const Container& c) const;

  io::EventLoop& loop_;
  const Clock& clock_;
  AgentRuntimeOptions options_;
  std::unique_ptr<MasterLink> link_;
  std::unique_ptr<agent::Agent> agent_;
  std::unique_ptr<io::AgentStore> store_;
  std::unique_ptr<io::HttpServer> server_;
  io::Cgroups cgroups_;
  io::FilesApi files_;
  Timestamp start_time_;
  // Durable commands of this turn, and every other command waiting for them.
  std::vector<agent::Command> batch_;
  std::vector<agent::Command> pending_;
  bool flush_posted_ = false;
  std::map<std::string, std::unique_ptr<Container>> containers_;  // by container id
  std::deque<agent::cmd::LaunchExecutor> launch_queue_;
  bool launch_posted_ = false;
  std::map<agent::ExecutorConn, std::shared_ptr<io::HttpStream>> executor_streams_;
  agent::ExecutorConn next_conn_ = 1;
  std::optional<Timestamp> wake_;
  io::EventLoop::TimerId wake_timer_ = 0;
  bool stopped_ = false;
  absl::Status fatal_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace atl::cmd
