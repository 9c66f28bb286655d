#include "core/cmd/master_runtime.h"

#include <spdlog/spdlog.h>

#include "core/api/json_agent.h"
#include "core/api/json_operator.h"
#include "core/api/json_scheduler.h"
#include "core/api/recordio.h"
#include "core/base/random.h"
#include "core/base/status.h"
#include "core/base/strings.h"
#include "core/base/uuid.h"
#include "core/cmd/v1_http.h"
#include "core/master/state_json.h"

namespace atl::cmd {

namespace {
// A framework stream that has this much unsent data is cut off rather than buffered further:
// a stuck scheduler must never make the master grow without bound.
constexpr size_t kMaxQueuedStreamBytes = 64 << 20;

}  // namespace

struct MasterRuntime::Peer {
  std::shared_ptr<io::HttpStream> http;
  InProcessStream inproc;
  bool closed = false;
};

MasterRuntime::MasterRuntime(io::EventLoop& loop, const Clock& clock, master::Options options,
                             io::RegistryStore* store)
    : loop_(loop), clock_(clock), options_(std::move(options)), store_(store) {}

MasterRuntime::~MasterRuntime() {
  if (!stopped_) Stop();
  // Timers must not fire into a destroyed runtime.
  if (wake_timer_) loop_.Cancel(wake_timer_);
  for (SimAgent& a : agents_) {
    if (a.timer) loop_.Cancel(a.timer);
  }
}

absl::Status MasterRuntime::Start(io::HttpServer::Options http) {
  master::Registry registry;
  if (store_ != nullptr) {
    absl::StatusOr<master::Registry> loaded = store_->Load();
    if (!loaded.ok()) return loaded.status();
    registry = *std::move(loaded);
  }
  server_ = std::make_unique<io::HttpServer>(
      loop_, http, [this](const io::HttpRequest& req, std::shared_ptr<io::HttpResponder> r) {
        OnHttp(req, std::move(r));
      });
  RETURN_IF_ERROR(server_->Start());
  // Bound first, so a port chosen by the system (--port 0) is the one the master advertises.
  options_.port = server_->port();
  master_ = std::make_unique<master::Master>(options_, std::move(registry), clock_.Now());
  spdlog::info("master {} listening on {}:{} ({} agents in the registry)", master_->info().id,
               http.address, server_->port(), master_->registry().agents.size());
  Handle(master::in::Tick{});
  return absl::OkStatus();
}

void MasterRuntime::Stop() {
  stopped_ = true;
  if (server_) server_->Stop();
  // In-process drivers learn that the master went away, as HTTP clients do.
  for (auto& [conn, peer] : streams_) ClosePeer(peer);
  streams_.clear();
}

void MasterRuntime::ClosePeer(const std::shared_ptr<Peer>& peer) {
  if (peer->http) {
    peer->closed = true;  // closed by us: its OnClose must not report a disconnect
    peer->http->Close();
    return;
  }
  // Posted like events, so on_close comes after every event sent before it.
  loop_.Post([peer]() {
    if (peer->closed) return;
    peer->closed = true;
    if (peer->inproc.on_close) peer->inproc.on_close();
  });
}

uint16_t MasterRuntime::port() const { return server_ ? server_->port() : 0; }

void MasterRuntime::Handle(master::Input input) {
  if (stopped_ || !fatal_.ok()) return;
  Apply(master_->Handle(input, clock_.Now()));
}

void MasterRuntime::Apply(master::Output out) {
  for (master::Command& c : out.commands) {
    // PersistRegistry comes first; nothing that relies on it goes out if it failed.
    if (!fatal_.ok()) return;
    std::visit(
        [&](auto& command) {
          using T = std::decay_t<decltype(command)>;
          if constexpr (std::is_same_v<T, master::cmd::SendEvent>) {
            auto it = streams_.find(command.conn);
            if (it == streams_.end() || it->second->closed) return;
            std::shared_ptr<Peer> peer = it->second;
            if (peer->http) {
              if (peer->http->queued_bytes() > kMaxQueuedStreamBytes) {
                spdlog::warn("closing framework stream {}: {} bytes unread", command.conn,
                             peer->http->queued_bytes());
                peer->http->Close();
                return;
              }
              peer->http->Write(api::RecordIoEncode(api::SerializeEvent(command.event)));
            } else if (peer->inproc.on_event) {
              // Posted, so a callback that sends a call never interleaves with this output.
              loop_.Post([peer, e = std::move(command.event)]() {
                if (!peer->closed) peer->inproc.on_event(e);
              });
            }
          } else if constexpr (std::is_same_v<T, master::cmd::CloseStream>) {
            auto it = streams_.find(command.conn);
            if (it == streams_.end()) return;
            std::shared_ptr<Peer> peer = it->second;
            streams_.erase(it);
            ClosePeer(peer);
          } else if constexpr (std::is_same_v<T, master::cmd::SendToAgent>) {
            auto it = agent_links_.find(command.conn);
            if (it == agent_links_.end()) return;
            it->second.deliver(std::move(command.message));
          } else if constexpr (std::is_same_v<T, master::cmd::CloseAgent>) {
            auto it = agent_links_.find(command.conn);
            if (it == agent_links_.end()) return;
            AgentLink link = std::move(it->second);
            agent_links_.erase(it);
            if (link.close) link.close();
          } else if constexpr (std::is_same_v<T, master::cmd::WakeAt>) {
            if (!wake_ || command.at < *wake_ || *wake_ <= clock_.Now()) {
              if (wake_timer_) loop_.Cancel(wake_timer_);
              wake_ = command.at;
              wake_timer_ = loop_.RunAt(command.at, [this, alive = std::weak_ptr<int>(alive_)]() {
                if (alive.expired()) return;
                wake_.reset();
                wake_timer_ = 0;
                Handle(master::in::Tick{});
              });
            }
          } else if constexpr (std::is_same_v<T, master::cmd::PersistRegistry>) {
            if (store_ == nullptr) return;
            if (absl::Status s = store_->Apply(command.delta); !s.ok()) {
              // Losing the registry silently would let agents be forgotten; stop instead.
              spdlog::critical("cannot persist the registry: {}", std::string(s.message()));
              fatal_ = s;
              loop_.Stop();
            }
          }
        },
        c);
  }
}

void MasterRuntime::AddSimulatedAgents(int n, const model::Resources& resources, int racks,
                                       int zones, agent::SimulatedAgentOptions options,
                                       const std::string& prefix) {
  // A simulated agent keeps its id across master restarts the way a real agent does (from its
  // work dir): here, from the registry entry with its hostname.
  std::map<std::string, model::AgentId> known;
  for (const auto& [id, entry] : master_->registry().agents) {
    if (!entry.gone) known[entry.info.hostname] = id;
  }
  for (int i = 0; i < n; ++i) {
    model::AgentInfo info;
    info.hostname = StrCat(prefix, "-", i);
    if (auto it = known.find(info.hostname); it != known.end()) info.id = it->second;
    info.port = 5051;
    info.resources = resources;
    info.attributes = *model::ParseAttributes(
        StrCat("rack:rack-", i % std::max(1, racks), ";zone:zone-", i % std::max(1, zones)));
    info.domain = model::DomainInfo{"local", StrCat("zone-", i % std::max(1, zones))};
    SimAgent a;
    // Same hostname -> same seed, so a restarted master sees the same simulated cluster.
    a.sim = std::make_unique<agent::SimulatedAgent>(info, options, StableHash(info.hostname));
    agents_.push_back(std::move(a));
    ConnectSimulated(agents_.size() - 1);
  }
}

void MasterRuntime::ConnectSimulated(size_t index) {
  master::ConnId conn = next_conn_++;
  agents_[index].conn = conn;
  AgentLink link;
  link.deliver = [this, alive = std::weak_ptr<int>(alive_), index, conn](api::MasterToAgent m) {
    loop_.Post([this, alive, index, conn, m = std::move(m)]() {
      if (alive.expired() || stopped_ || agents_[index].conn != conn) return;
      ApplyAgent(index, agents_[index].sim->Handle(m, clock_.Now()));
    });
  };
  // A real agent whose connection is closed re-registers after a backoff; so does a
  // simulated one (unless it was told to shut down).
  link.close = [this, alive = std::weak_ptr<int>(alive_), index]() {
    loop_.RunAfter(Duration::Seconds(1), [this, alive, index] {
      if (alive.expired() || stopped_ || agents_[index].sim->shut_down()) return;
      ConnectSimulated(index);
    });
  };
  agent_links_[conn] = std::move(link);
  ApplyAgent(index, agents_[index].sim->Connect(clock_.Now()));
}

master::ConnId MasterRuntime::ConnectAgent(AgentLink link) {
  master::ConnId conn = next_conn_++;
  agent_links_[conn] = std::move(link);
  return conn;
}

void MasterRuntime::FromAgent(master::ConnId conn, api::AgentToMaster message) {
  if (!agent_links_.contains(conn)) return;
  Handle(master::in::AgentMessage{conn, std::move(message)});
}

void MasterRuntime::DisconnectAgent(master::ConnId conn) {
  if (agent_links_.erase(conn) == 0) return;
  Handle(master::in::AgentClosed{conn});
}

void MasterRuntime::ApplyAgent(size_t index, agent::SimulatedAgent::Output out) {
  SimAgent& a = agents_[index];
  for (master::AgentToMaster& msg : out.to_master) {
    master::ConnId conn = a.conn;
    loop_.Post([this, alive = std::weak_ptr<int>(alive_), conn, m = std::move(msg)]() {
      if (alive.expired()) return;
      FromAgent(conn, m);
    });
  }
  if (out.wake_at && (!a.wake || *out.wake_at < *a.wake || *a.wake <= clock_.Now())) {
    if (a.timer) loop_.Cancel(a.timer);
    a.wake = out.wake_at;
    a.timer = loop_.RunAt(*out.wake_at, [this, alive = std::weak_ptr<int>(alive_), index]() {
      if (alive.expired()) return;
      agents_[index].wake.reset();
      agents_[index].timer = 0;
      if (!stopped_) ApplyAgent(index, agents_[index].sim->Tick(clock_.Now()));
    });
  }
}

int MasterRuntime::Subscribe(const api::Call& call, InProcessStream stream, master::ConnId* conn,
                             std::string* stream_id, std::string* error) {
  if (master_ == nullptr || stopped_ || !fatal_.ok()) {
    *error = "Master is not running";
    return 503;
  }
  master::ConnId c = next_conn_++;
  auto peer = std::make_shared<Peer>();
  peer->inproc = std::move(stream);
  streams_[c] = peer;
  master::Output out = master_->Handle(master::in::Subscribe{c, call}, clock_.Now());
  int status = out.http_status;
  if (status != 200) {
    streams_.erase(c);
    *error = out.http_body;
  } else {
    *conn = c;
    *stream_id = out.stream_id;
  }
  Apply(std::move(out));
  return status;
}

int MasterRuntime::Send(const std::string& stream_id, const api::Call& call, std::string* error) {
  if (master_ == nullptr || stopped_ || !fatal_.ok()) {
    *error = "Master is not running";
    return 503;
  }
  master::Output out = master_->Handle(master::in::Call{stream_id, call}, clock_.Now());
  int status = out.http_status;
  if (status >= 400) *error = out.http_body;
  Apply(std::move(out));
  return status;
}

void MasterRuntime::CloseInProcess(master::ConnId conn) {
  auto it = streams_.find(conn);
  if (it == streams_.end()) return;
  it->second->closed = true;
  streams_.erase(it);
  Handle(master::in::StreamClosed{conn});
}

void MasterRuntime::OnHttp(const io::HttpRequest& req,
                           std::shared_ptr<io::HttpResponder> responder) {
  std::string_view path = req.path;
  if (path == "/api/v1/scheduler" || path == "/master/api/v1/scheduler") {
    OnSchedulerApi(req, std::move(responder));
    return;
  }
  if (path == "/api/v1/agent" || path == "/master/api/v1/agent") {
    OnAgentApi(req, std::move(responder));
    return;
  }
  if (path == "/api/v1" || path == "/api/v1/" || path == "/master/api/v1" ||
      path == "/master/api/v1/") {
    OnOperatorApi(req, std::move(responder));
    return;
  }
  // Every other endpoint is also reachable with the /master prefix, as in Mesos.
  if (StartsWith(path, "/master/")) path.remove_prefix(7);
  if (path == "/weights") {
    OnWeights(req, std::move(responder));
    return;
  }
  if (req.method != "GET" && req.method != "HEAD") {
    io::HttpResponse r = io::HttpResponse::Text(405, "Expecting 'GET'\n");
    r.headers.push_back({"Allow", "GET"});
    responder->Respond(std::move(r));
    return;
  }
  const Timestamp now = clock_.Now();
  if (path == "/health") {
    responder->Respond(io::HttpResponse::Text(200, ""));
  } else if (path == "/version") {
    responder->Respond(io::HttpResponse::Json(200, master::RenderVersion(*master_)));
  } else if (path == "/state" || path == "/state.json") {
    responder->Respond(io::HttpResponse::Json(200, master::RenderState(*master_, now)));
  } else if (path == "/state-summary") {
    responder->Respond(io::HttpResponse::Json(200, master::RenderStateSummary(*master_)));
  } else if (path == "/roles" || path == "/roles.json") {
    responder->Respond(io::HttpResponse::Json(200, master::RenderRoles(*master_)));
  } else if (path == "/quota") {
    responder->Respond(io::HttpResponse::Json(200, master::RenderQuota(*master_)));
  } else if (path == "/metrics/snapshot") {
    responder->Respond(io::HttpResponse::Json(200, master::RenderMetricsSnapshot(*master_, now)));
  } else if (path == "/metrics") {
    io::HttpResponse r = io::HttpResponse::Text(200, master::RenderPrometheus(*master_, now));
    r.headers = {{"Content-Type", "text/plain; version=0.0.4"}};
    responder->Respond(std::move(r));
  } else if (path == "/redirect") {
    // This master always leads (HA comes later): point at ourselves.
    io::HttpResponse r = io::HttpResponse::Text(307, "");
    r.headers.push_back(
        {"Location", StrCat("//", master_->info().hostname, ":", master_->info().port)});
    responder->Respond(std::move(r));
  } else {
    responder->Respond(io::HttpResponse::Text(404, StrCat("No endpoint ", req.path, "\n")));
  }
}

void MasterRuntime::OnSchedulerApi(const io::HttpRequest& req,
                                   std::shared_ptr<io::HttpResponder> responder) {
  auto reply = [&](int status, std::string text) {
    responder->Respond(io::HttpResponse::Text(status, std::move(text)));
  };
  std::optional<api::Call> call = ParseV1Body(req, *responder, api::ParseCall, "Call");
  if (!call) return;
  const std::string* stream_id = req.Header("Mesos-Stream-Id");
  if (std::holds_alternative<api::call::Subscribe>(call->body)) {
    if (stream_id != nullptr) {
      return reply(400, "Subscribe calls should not include the 'Mesos-Stream-Id' header");
    }
    if (!AcceptsJson(req.Header("Accept"))) {
      return reply(406, "Expecting 'Accept' to allow 'application/json'");
    }
    master::ConnId conn = next_conn_++;
    master::Output out = master_->Handle(master::in::Subscribe{conn, *call}, clock_.Now());
    if (out.http_status != 200) {
      reply(out.http_status, out.http_body);
      Apply(std::move(out));
      return;
    }
    auto peer = std::make_shared<Peer>();
    peer->http = responder->StartStream(
        200, {{"Content-Type", "application/json"}, {"Mesos-Stream-Id", out.stream_id}});
    streams_[conn] = peer;
    peer->http->OnClose([this, conn, weak = std::weak_ptr<Peer>(peer)]() {
      auto p = weak.lock();
      if (!p || p->closed) return;  // closed by the master itself
      p->closed = true;
      streams_.erase(conn);
      Handle(master::in::StreamClosed{conn});
    });
    Apply(std::move(out));
    return;
  }
  master::Output out =
      master_->Handle(master::in::Call{stream_id ? *stream_id : "", *call}, clock_.Now());
  if (out.http_status >= 400) {
    reply(out.http_status, out.http_body);
  } else {
    reply(out.http_status, "");
  }
  Apply(std::move(out));
}

void MasterRuntime::OnAgentApi(const io::HttpRequest& req,
                               std::shared_ptr<io::HttpResponder> responder) {
  auto reply = [&](int status, std::string text) {
    responder->Respond(io::HttpResponse::Text(status, std::move(text)));
  };
  std::optional<api::AgentToMaster> message =
      ParseV1Body(req, *responder, api::ParseAgentToMaster, "an agent message");
  if (!message) return;
  const std::string* stream_header = req.Header("Atoll-Agent-Stream-Id");
  if (!std::holds_alternative<api::agent_msg::Register>(*message)) {
    auto it = stream_header ? agent_streams_.find(*stream_header) : agent_streams_.end();
    if (it == agent_streams_.end() || !agent_links_.contains(it->second)) {
      // The agent treats this as a lost connection and registers again.
      return reply(400, "Unknown or missing 'Atoll-Agent-Stream-Id': register first");
    }
    reply(202, "");
    FromAgent(it->second, *std::move(message));
    return;
  }
  if (stream_header != nullptr) {
    return reply(400, "REGISTER must not include the 'Atoll-Agent-Stream-Id' header");
  }
  if (master_ == nullptr || stopped_ || !fatal_.ok()) return reply(503, "Master is not running");
  // A stream per connection: master->agent messages are RecordIO records on it.
  std::string stream_id = UuidToString(stream_ids_.Uuid());
  std::shared_ptr<io::HttpStream> http = responder->StartStream(
      200, {{"Content-Type", "application/json"}, {"Atoll-Agent-Stream-Id", stream_id}});
  AgentLink link;
  // The link owns the stream: it ends when the master or the agent drops the connection.
  link.deliver = [http](api::MasterToAgent m) {
    http->Write(api::RecordIoEncode(api::SerializeMasterToAgent(m)));
  };
  link.close = [http]() { http->Close(); };
  master::ConnId conn = ConnectAgent(std::move(link));
  agent_streams_[stream_id] = conn;
  http->OnClose([this, alive = std::weak_ptr<int>(alive_), conn, stream_id]() {
    if (alive.expired()) return;
    agent_streams_.erase(stream_id);
    DisconnectAgent(conn);  // a no-op when the master closed it (the link is gone already)
  });
  FromAgent(conn, *std::move(message));
}

void MasterRuntime::OnOperatorApi(const io::HttpRequest& req,
                                  std::shared_ptr<io::HttpResponder> responder) {
  auto reply = [&](int status, std::string text) {
    responder->Respond(io::HttpResponse::Text(status, std::move(text)));
  };
  // The same method and media rules as the scheduler API.
  if (std::optional<io::HttpResponse> refused = CheckV1Request(req)) {
    responder->Respond(*std::move(refused));
    return;
  }
  if (!AcceptsJson(req.Header("Accept"))) {
    return reply(406, "Expecting 'Accept' to allow 'application/json'");
  }
  absl::StatusOr<api::OperatorCall> call = api::ParseOperatorCall(req.body);
  if (!call.ok()) {
    return reply(400, StrCat("Failed to parse body into Call: ", call.status().message()));
  }
  Answer(master::AnswerOperatorCall(*master_, *call), *responder);
}

void MasterRuntime::OnWeights(const io::HttpRequest& req,
                              std::shared_ptr<io::HttpResponder> responder) {
  if (req.method == "GET" || req.method == "HEAD") {
    responder->Respond(io::HttpResponse::Json(200, master::RenderWeights(*master_)));
    return;
  }
  if (req.method != "PUT") {
    io::HttpResponse r = io::HttpResponse::Text(405, "Expecting 'GET' or 'PUT'");
    r.headers.push_back({"Allow", "GET, PUT"});
    responder->Respond(std::move(r));
    return;
  }
  absl::StatusOr<std::map<std::string, double>> weights = api::ParseWeights(req.body);
  if (!weights.ok()) {
    responder->Respond(io::HttpResponse::Text(
        400,
        StrCat("Failed to validate update weights request JSON: ", weights.status().message())));
    return;
  }
  Answer(master::AnswerWeightsUpdate(*master_, *weights), *responder);
}

void MasterRuntime::Answer(master::OperatorAnswer answer, io::HttpResponder& responder) {
  if (answer.http_status != 200) {
    responder.Respond(io::HttpResponse::Text(answer.http_status, std::move(answer.body)));
    return;
  }
  // Applied, and so written to the registry store, before answering (a failed write stops
  // the master rather than answering 200).
  for (master::Input& input : answer.inputs) Handle(std::move(input));
  if (!fatal_.ok() || stopped_) {
    responder.Respond(io::HttpResponse::Text(
        503, StrCat("The change could not be made durable: ", fatal_.message())));
    return;
  }
  if (answer.body.empty()) {
    responder.Respond(io::HttpResponse::Text(200, ""));
  } else {
    responder.Respond(io::HttpResponse::Json(200, std::move(answer.body)));
  }
}

}  // namespace atl::cmd
