#include "core/cmd/master_link.h"

#include <spdlog/spdlog.h>

#include "core/api/json_agent.h"
#include "core/base/strings.h"
#include "core/cmd/master_runtime.h"

namespace atl::cmd {

// ---------------------------------------------------------------------------------------------
// HTTP

HttpMasterLink::HttpMasterLink(io::EventLoop& loop, Options options)
    : loop_(loop), options_(std::move(options)), client_(loop) {
  backoff_ = options_.backoff_initial;
}

HttpMasterLink::~HttpMasterLink() { Stop(); }

std::string HttpMasterLink::endpoint() const { return StrCat(options_.host, ":", options_.port); }

void HttpMasterLink::Start(Callbacks callbacks) {
  callbacks_ = std::move(callbacks);
  loop_.Post([this, alive = std::weak_ptr<int>(alive_)] {
    if (!alive.expired() && !stopped_) callbacks_.connected();
  });
}

void HttpMasterLink::Stop() {
  stopped_ = true;
  ++epoch_;
  if (stream_) stream_->Close();
  stream_.reset();
  if (reconnect_timer_) loop_.Cancel(reconnect_timer_);
  reconnect_timer_ = 0;
}

void HttpMasterLink::Send(api::AgentToMaster message) {
  if (stopped_) return;
  std::string body = api::SerializeAgentToMaster(message);
  if (std::holds_alternative<api::agent_msg::Register>(message)) {
    Open(body);
    return;
  }
  if (stream_id_.empty()) return;  // not registered on a stream: the agent retries later
  io::ClientRequest req;
  req.method = "POST";
  req.host = options_.host;
  req.port = options_.port;
  req.target = "/api/v1/agent";
  req.headers = {{"Content-Type", "application/json"}, {"Atoll-Agent-Stream-Id", stream_id_}};
  req.body = std::move(body);
  req.timeout = options_.request_timeout;
  client_.Request(std::move(req), [this, alive = std::weak_ptr<int>(alive_),
                                   epoch = epoch_](absl::StatusOr<io::HttpResponse> r) {
    if (alive.expired() || epoch != epoch_ || stopped_) return;
    if (!r.ok()) return Lose(StrCat("POST failed: ", r.status().message()));
    if (r->status != 202) return Lose(StrCat("POST answered ", r->status, ": ", r->body));
  });
}

void HttpMasterLink::Open(const std::string& body) {
  ++epoch_;
  if (stream_) stream_->Close();
  stream_id_.clear();
  decoder_ = api::RecordIoDecoder();
  io::ClientRequest req;
  req.method = "POST";
  req.host = options_.host;
  req.port = options_.port;
  req.target = "/api/v1/agent";
  req.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  req.body = body;
  req.timeout = options_.request_timeout;
  uint64_t epoch = epoch_;
  auto alive = std::weak_ptr<int>(alive_);
  stream_ = client_.OpenStream(
      std::move(req),
      [this, alive, epoch](int status, const io::HttpHeaders& headers) {
        if (alive.expired() || epoch != epoch_) return;
        const std::string* id = nullptr;
        for (const auto& [name, value] : headers) {
          if (io::EqualsIgnoreCase(name, "Atoll-Agent-Stream-Id")) id = &value;
        }
        if (status != 200 || id == nullptr || id->empty()) {
          return Lose(StrCat("REGISTER answered ", status));
        }
        stream_id_ = *id;
      },
      [this, alive, epoch](std::string_view bytes) {
        if (alive.expired() || epoch != epoch_) return;
        std::vector<std::string> records;
        if (absl::Status s = decoder_.Feed(bytes, &records); !s.ok()) {
          return Lose(StrCat("undecodable stream: ", s.message()));
        }
        for (const std::string& record : records) {
          absl::StatusOr<api::MasterToAgent> m = api::ParseMasterToAgent(record);
          if (!m.ok()) return Lose(StrCat("undecodable message: ", m.status().message()));
          backoff_ = options_.backoff_initial;  // the master answers: a healthy connection
          callbacks_.message(*std::move(m));
          if (alive.expired() || epoch != epoch_) return;  // the callback may have stopped us
        }
      },
      [this, alive, epoch](absl::Status status) {
        if (alive.expired() || epoch != epoch_) return;
        Lose(status.ok() ? "the master closed the stream"
                         : StrCat("stream failed: ", status.message()));
      });
}

void HttpMasterLink::Lose(const std::string& why) {
  if (stopped_) return;
  spdlog::warn("lost the master at {}: {}; reconnecting in {} ms", endpoint(), why,
               backoff_.nanoseconds() / 1'000'000);
  ++epoch_;
  if (stream_) stream_->Close();
  stream_.reset();
  stream_id_.clear();
  callbacks_.disconnected();
  if (reconnect_timer_) loop_.Cancel(reconnect_timer_);
  reconnect_timer_ = loop_.RunAfter(backoff_, [this, alive = std::weak_ptr<int>(alive_)] {
    if (alive.expired() || stopped_) return;
    reconnect_timer_ = 0;
    callbacks_.connected();
  });
  backoff_ = std::min(backoff_ * 2, options_.backoff_max);
}

// ---------------------------------------------------------------------------------------------
// In-process

InProcessMasterLink::InProcessMasterLink(io::EventLoop& loop, MasterRuntime& master)
    : loop_(loop), master_(master) {}

InProcessMasterLink::~InProcessMasterLink() { Stop(); }

void InProcessMasterLink::Start(Callbacks callbacks) {
  callbacks_ = std::move(callbacks);
  Connect();
}

void InProcessMasterLink::Connect() {
  MasterRuntime::AgentLink link;
  auto alive = std::weak_ptr<int>(alive_);
  link.deliver = [this, alive](api::MasterToAgent m) {
    loop_.Post([this, alive, m = std::move(m)]() mutable {
      if (!alive.expired() && !stopped_) callbacks_.message(std::move(m));
    });
  };
  link.close = [this, alive]() {
    loop_.Post([this, alive] {
      if (alive.expired() || stopped_) return;
      conn_ = 0;
      callbacks_.disconnected();
      loop_.RunAfter(Duration::Seconds(1), [this, alive] {
        if (!alive.expired() && !stopped_) Connect();
      });
    });
  };
  conn_ = master_.ConnectAgent(std::move(link));
  loop_.Post([this, alive] {
    if (!alive.expired() && !stopped_) callbacks_.connected();
  });
}

void InProcessMasterLink::Send(api::AgentToMaster message) {
  if (stopped_ || conn_ == 0) return;
  loop_.Post(
      [this, alive = std::weak_ptr<int>(alive_), conn = conn_, m = std::move(message)]() mutable {
        if (!alive.expired() && !stopped_) master_.FromAgent(conn, std::move(m));
      });
}

void InProcessMasterLink::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (conn_ != 0) master_.DisconnectAgent(conn_);
  conn_ = 0;
}

}  // namespace atl::cmd
