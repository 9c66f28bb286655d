// MasterRuntime: the imperative shell around master::Master. It owns the HTTP endpoints of the
// master (the v1 scheduler API with its RecordIO streams, the v1 operator API, /master/state,
// /master/weights, /master/quota, metrics...), runs
// timers on the EventLoop, persists the registry, and hosts in-process peers: simulated agents
// (`--simulated-agents N`) and in-process frameworks (the C++ driver's in-process transport
// used by `atoll up`). Everything runs on the loop thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/agent/simulated_agent.h"
#include "core/base/clock.h"
#include "core/base/random.h"
#include "core/io/event_loop.h"
#include "core/io/http.h"
#include "core/io/http_server.h"
#include "core/io/registry_store.h"
#include "core/master/master.h"
#include "core/master/operator_api.h"

namespace atl::cmd {

class MasterRuntime {
 public:
  // `store` may be null (nothing persisted). `loop`, `clock` and `store` outlive the runtime.
  MasterRuntime(io::EventLoop& loop, const Clock& clock, master::Options options,
                io::RegistryStore* store);
  ~MasterRuntime();

  // Loads the registry and starts serving HTTP on `http`. Errors: the store cannot be read,
  // or the port cannot be bound.
  absl::Status Start(io::HttpServer::Options http);
  // Stops serving; closes streams. REQUIRES: loop thread.
  void Stop();
  uint16_t port() const;

  // Adds `n` simulated agents whose resources are `resources` each, attributes spread over
  // `racks` racks and `zones` zones, hostnames "<prefix>-<i>".
  void AddSimulatedAgents(int n, const model::Resources& resources, int racks, int zones,
                          agent::SimulatedAgentOptions options, const std::string& prefix);

  // ---- agent transport ----
  // How the master reaches one agent connection. HTTP agents (POST /api/v1/agent) and
  // simulated agents get one internally; in-process real agents (`atoll up`) bring their own.
  struct AgentLink {
    // Delivers a message to the agent; called on the loop thread, never inside the master's
    // Handle (in-process links post).
    std::function<void(api::MasterToAgent)> deliver;
    // The master closed the connection (the agent reconnects and re-registers).
    std::function<void()> close;
  };
  // Opens an in-process agent connection; the agent then sends REGISTER through FromAgent.
  master::ConnId ConnectAgent(AgentLink link);
  void FromAgent(master::ConnId conn, api::AgentToMaster message);
  // The agent side closed its connection.
  void DisconnectAgent(master::ConnId conn);

  // ---- in-process framework transport (the C++ driver uses these) ----
  // Opens an event stream: `on_event` receives every event for it, `on_close` runs once when
  // the master closes it. Returns the connection id; the SUBSCRIBE call is `call`.
  // Returns the HTTP-equivalent status (200 on success, 400 with `error` set otherwise).
  struct InProcessStream {
    std::function<void(const api::Event&)> on_event;
    std::function<void()> on_close;
  };
  int Subscribe(const api::Call& call, InProcessStream stream, master::ConnId* conn,
                std::string* stream_id, std::string* error);
  // Sends a non-SUBSCRIBE call; returns 202/200, or 4xx with `error` set.
  int Send(const std::string& stream_id, const api::Call& call, std::string* error);
  // The framework side closes its stream (disconnect; the master starts the failover timer).
  void CloseInProcess(master::ConnId conn);

  const master::Master& master() const { return *master_; }
  // Not OK once a registry write failed; the process should exit non-zero.
  const absl::Status& fatal() const { return fatal_; }

 private:
  struct Peer;
  void Handle(master::Input input);
  void Apply(master::Output out);
  // Ends a framework stream from the master's side (HTTP: close; in-process: on_close).
  void ClosePeer(const std::shared_ptr<Peer>& peer);
  void ApplyAgent(size_t index, agent::SimulatedAgent::Output out);
  // Connects simulated agent `index` on a new connection.
  void ConnectSimulated(size_t index);
  // POST /api/v1/agent: REGISTER opens the agent's stream, other messages name it with the
  // Atoll-Agent-Stream-Id header.
  void OnAgentApi(const io::HttpRequest& req, std::shared_ptr<io::HttpResponder> responder);
  void OnHttp(const io::HttpRequest& req, std::shared_ptr<io::HttpResponder> responder);
  void OnSchedulerApi(const io::HttpRequest& req, std::shared_ptr<io::HttpResponder> responder);
  // POST /api/v1: the operator calls of core/api/operator_call.h.
  void OnOperatorApi(const io::HttpRequest& req, std::shared_ptr<io::HttpResponder> responder);
  // GET|PUT /master/weights.
  void OnWeights(const io::HttpRequest& req, std::shared_ptr<io::HttpResponder> responder);
  // Applies an accepted operator update (its inputs, in order), then answers it.
  void Answer(master::OperatorAnswer answer, io::HttpResponder& responder);

  io::EventLoop& loop_;
  const Clock& clock_;
  master::Options options_;
  io::RegistryStore* store_;
  std::unique_ptr<master::Master> master_;
  std::unique_ptr<io::HttpServer> server_;
  std::map<master::ConnId, std::shared_ptr<Peer>> streams_;  // framework streams by conn
  struct SimAgent {
    std::unique_ptr<agent::SimulatedAgent> sim;
    master::ConnId conn = 0;
    std::optional<Timestamp> wake;
    io::EventLoop::TimerId timer = 0;
  };
  std::vector<SimAgent> agents_;
  std::map<master::ConnId, AgentLink> agent_links_;
  // HTTP agent streams by their Atoll-Agent-Stream-Id.
  std::map<std::string, master::ConnId> agent_streams_;
  Random stream_ids_{0x5eed};
  std::optional<Timestamp> wake_;
  io::EventLoop::TimerId wake_timer_ = 0;
  master::ConnId next_conn_ = 1;
  bool stopped_ = false;
  // Set when a durable write failed: the runtime stops acting (the loop is stopped too).
  absl::Status fatal_;
  // Posted work and timers hold a weak reference: nothing runs into a destroyed runtime.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace atl::cmd
