#include "core/io/http_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/base/strings.h"
#include "core/io/http_wire.h"

namespace atl::io {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

namespace {

// A read buffer that grew past this for one big request is given back once it is empty.
constexpr size_t kShrinkBufferAbove = 64 << 10;
// How long a closing connection keeps reading (and discarding) after its last response, so
// that unread request bytes do not turn our close into a reset that destroys that response.
constexpr Duration kMaxLinger = Duration::Seconds(2);
constexpr size_t kDrainBytes = 2048;
// Largest single write_some; async_write loops until everything is sent.
constexpr size_t kMaxWriteChunk = 1 << 20;

std::string ToStd(beast::string_view s) { return std::string(s.data(), s.size()); }

std::string EndpointString(const tcp::endpoint& endpoint) {
  if (endpoint.address().is_v6()) {
    return StrCat("[", endpoint.address().to_string(), "]:", endpoint.port());
  }
  return StrCat(endpoint.address().to_string(), ":", endpoint.port());
}

bool IsHttpParseError(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

}  // namespace

class ServerConnection;

struct HttpServer::Impl {
  Impl(EventLoop& l, Options o, Handler h)
      : loop(l), options(std::move(o)), handler(std::move(h)), acceptor(l.context()) {}

  EventLoop& loop;
  const Options options;
  const Handler handler;
  tcp::acceptor acceptor;
  std::optional<asio::steady_timer> accept_retry;
  uint16_t port = 0;
  bool started = false;
  bool stopped = false;
  std::unordered_map<ServerConnection*, std::weak_ptr<ServerConnection>> connections;
};

namespace {

// What StartStream returns when there is nothing left to stream to.
class ClosedStream : public HttpStream {
 public:
  explicit ClosedStream(EventLoop& loop) : loop_(loop) {}
  bool Write(std::string) override { return false; }
  size_t queued_bytes() const override { return 0; }
  void Close() override {}
  bool open() const override { return false; }
  void OnClose(std::function<void()> fn) override {
    if (fn) loop_.Post(std::move(fn));
  }

 private:
  EventLoop& loop_;
};

}  // namespace

// One accepted TCP connection. Life cycle:
//   kReading -> kHandling -> kWriting -> kReading ...           (keep-alive)
//   kHandling -> kStreaming -> kLingering -> kClosed            (a stream)
//   any -> kLingering (we close after a response) -> kClosed
// Pending Asio operations, responders and stream handles each hold a shared_ptr, so the object
// lives exactly as long as someone can still touch it.
class ServerConnection : public std::enable_shared_from_this<ServerConnection> {
 public:
  ServerConnection(const std::shared_ptr<HttpServer::Impl>& server, tcp::socket socket)
      : loop_(server->loop),
        server_(server),
        socket_(std::move(socket)),
        timer_(server->loop.context()),
        max_body_bytes_(server->options.max_body_bytes),
        max_header_bytes_(server->options.max_header_bytes),
        idle_timeout_(server->options.idle_timeout) {}

  ~ServerConnection() {
    if (auto server = server_.lock()) server->connections.erase(this);
  }

  EventLoop& loop() { return loop_; }

  void Start() {
    error_code ec;
    tcp::endpoint peer = socket_.remote_endpoint(ec);
    if (!ec) remote_ = EndpointString(peer);
    ReadRequest();
  }

  // Server Stop(): see HttpServer::Stop.
  void Shutdown() {
    switch (state_) {
      case State::kReading:
        CloseNow();
        break;
      case State::kHandling:
      case State::kWriting:
        close_after_response_ = true;
        break;
      case State::kStreaming:
        StreamClose();
        break;
      case State::kLingering:
      case State::kClosed:
        break;
    }
  }

  // ---- HttpResponder ----

  void Answer(uint64_t seq, HttpResponse response) {
    if (state_ != State::kHandling || seq != seq_) return;
    bool close =
        !keep_alive_ || close_after_response_ || internal::ConnectionClose(response.headers);
    WriteResponse(response.status, response.headers, std::move(response.body), close);
  }

  std::shared_ptr<HttpStream> OpenStream(uint64_t seq, int status, const HttpHeaders& headers);

  // ---- HttpStream ----

  bool StreamWrite(std::string bytes) {
    if (!stream_open_) return false;
    if (bytes.empty()) return true;  // An empty chunk would end the stream.
    if (chunked_) {
      Enqueue(internal::ChunkHeader(bytes.size()));
      Enqueue(std::move(bytes));
      Enqueue(std::string("\r\n"));
    } else {
      Enqueue(std::move(bytes));
    }
    Flush();
    return true;
  }

  void StreamClose() {
    if (!stream_open_) return;
    stream_open_ = false;
    stream_closing_ = true;
    if (chunked_) Enqueue(std::string("0\r\n\r\n"));
    NotifyStreamClosed();
    if (!writing_ && out_.empty()) {
      LingerClose();
    } else {
      Flush();
    }
  }

  bool stream_open() const { return stream_open_; }
  size_t queued_bytes() const { return queued_bytes_; }

  void SetOnClose(std::function<void()> fn) {
    if (close_notified_) {
      if (fn) loop_.Post(std::move(fn));
      return;
    }
    on_close_ = std::move(fn);
  }

 private:
  enum class State { kReading, kHandling, kWriting, kStreaming, kLingering, kClosed };

  // ---- reading requests ----

  void ReadRequest() {
    state_ = State::kReading;
    if (buffer_.size() == 0 && buffer_.capacity() > kShrinkBufferAbove) buffer_.shrink_to_fit();
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(std::min<size_t>(max_header_bytes_, UINT32_MAX)));
    parser_->body_limit(static_cast<uint64_t>(max_body_bytes_));
    SetDeadline(idle_timeout_);
    bhttp::async_read_header(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](const error_code& ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(const error_code& ec) {
    if (state_ != State::kReading) return;
    if (ec) {
      OnReadError(ec);
      return;
    }
    if (parser_->is_done()) {
      Dispatch();
      return;
    }
    beast::string_view expect = parser_->get()[bhttp::field::expect];
    if (parser_->get().version() >= 11 &&
        EqualsIgnoreCase(std::string_view(expect.data(), expect.size()), "100-continue")) {
      // curl sends this for bodies over 1 KiB and otherwise waits a second before sending.
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(socket_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = shared_from_this()](const error_code& ec, size_t) {
                          if (self->state_ != State::kReading) return;
                          if (ec) {
                            self->CloseNow();
                            return;
                          }
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(socket_, buffer_, *parser_,
                      [self = shared_from_this()](const error_code& ec, size_t) {
                        if (self->state_ != State::kReading) return;
                        if (ec) {
                          self->OnReadError(ec);
                          return;
                        }
                        self->Dispatch();
                      });
  }

  void OnReadError(const error_code& ec) {
    if (ec == asio::error::operation_aborted) return;  // We closed the socket (timeout, stop).
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
      CloseNow();  // The peer closed between or in the middle of requests.
    } else if (ec == bhttp::error::body_limit) {
      SendError(413, StrCat("request body larger than ", max_body_bytes_, " bytes\n"));
    } else if (ec == bhttp::error::header_limit) {
      SendError(431, StrCat("request head larger than ", max_header_bytes_, " bytes\n"));
    } else if (IsHttpParseError(ec)) {
      SendError(400, StrCat("malformed HTTP request: ", ec.message(), "\n"));
    } else {
      spdlog::debug("http {}: read: {}", remote_, ec.message());
      CloseNow();
    }
  }

  void SendError(int status, std::string text) {
    parser_.reset();
    keep_alive_ = false;
    http10_ = false;
    head_request_ = false;
    state_ = State::kHandling;  // WriteResponse moves on from here.
    WriteResponse(status, {{"Content-Type", "text/plain; charset=utf-8"}}, std::move(text),
                  /*close=*/true);
  }

  void Dispatch();

  // ---- writing responses ----

  // An async_write completion condition that pushes the idle deadline forward whenever the
  // peer takes bytes: the timeout measures a stalled peer, not a long transfer.
  auto ProgressCondition() {
    return [self = shared_from_this()](const error_code& ec, size_t) -> size_t {
      if (ec) return 0;
      self->SetDeadline(self->idle_timeout_);
      return kMaxWriteChunk;
    };
  }

  void WriteResponse(int status, const HttpHeaders& headers, std::string body, bool close) {
    head_.clear();
    StrAppend(&head_, "HTTP/1.1 ", status, " ", internal::ReasonPhrase(status), "\r\n");
    internal::AppendHeaders(headers, /*skip_connection=*/true, &head_);
    bool no_body = internal::StatusHasNoBody(status);
    if (!no_body) StrAppend(&head_, "Content-Length: ", body.size(), "\r\n");
    if (close) {
      head_.append("Connection: close\r\n");
    } else if (http10_) {
      head_.append("Connection: keep-alive\r\n");
    }
    head_.append("\r\n");
    if (no_body || head_request_) body.clear();
    body_ = std::move(body);
    state_ = State::kWriting;
    close_after_write_ = close;
    SetDeadline(idle_timeout_);
    std::array<asio::const_buffer, 2> buffers{asio::buffer(head_), asio::buffer(body_)};
    asio::async_write(
        socket_, buffers, ProgressCondition(),
        [self = shared_from_this()](const error_code& ec, size_t) { self->OnResponseWritten(ec); });
  }

  void OnResponseWritten(const error_code& ec) {
    if (state_ != State::kWriting) return;
    if (ec) {
      spdlog::debug("http {}: write: {}", remote_, ec.message());
      CloseNow();
      return;
    }
    if (body_.capacity() > kShrinkBufferAbove) {
      std::string().swap(body_);
    } else {
      body_.clear();
    }
    if (close_after_write_ || close_after_response_) {
      LingerClose();
      return;
    }
    ReadRequest();
  }

  // ---- streams ----

  void Enqueue(std::string bytes) {
    queued_bytes_ += bytes.size();
    out_.push_back(std::move(bytes));
  }

  void Flush() {
    if (writing_ || out_.empty() || state_ == State::kClosed) return;
    writing_ = true;
    inflight_.swap(out_);
    out_.clear();
    write_buffers_.clear();
    for (const std::string& piece : inflight_) write_buffers_.push_back(asio::buffer(piece));
    SetDeadline(idle_timeout_);
    asio::async_write(
        socket_, write_buffers_, ProgressCondition(),
        [self = shared_from_this()](const error_code& ec, size_t) { self->OnFlushed(ec); });
  }

  void OnFlushed(const error_code& ec) {
    writing_ = false;
    if (state_ == State::kClosed) {
      inflight_.clear();
      return;
    }
    for (const std::string& piece : inflight_) queued_bytes_ -= piece.size();
    inflight_.clear();
    if (ec) {
      spdlog::debug("http {}: stream write: {}", remote_, ec.message());
      CloseNow();
      return;
    }
    if (!out_.empty()) {
      Flush();
      return;
    }
    ClearDeadline();
    if (stream_closing_) LingerClose();
  }

  void NotifyStreamClosed() {
    if (!stream_started_ || close_notified_) return;
    close_notified_ = true;
    if (on_close_) {
      loop_.Post(std::move(on_close_));
      on_close_ = nullptr;
    }
  }

  // Reads and discards until the peer closes: notices a stream's consumer going away, and
  // lets a closing connection drain unread request bytes.
  void StartDrain() {
    if (draining_ || state_ == State::kClosed) return;
    draining_ = true;
    if (!drain_buf_) drain_buf_ = std::make_unique<char[]>(kDrainBytes);
    socket_.async_read_some(asio::buffer(drain_buf_.get(), kDrainBytes),
                            [self = shared_from_this()](const error_code& ec, size_t) {
                              self->draining_ = false;
                              if (self->state_ == State::kClosed) return;
                              if (ec) {
                                self->CloseNow();
                                return;
                              }
                              self->StartDrain();
                            });
  }

  // ---- closing ----

  void LingerClose() {
    if (state_ == State::kClosed || state_ == State::kLingering) return;
    state_ = State::kLingering;
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    SetDeadline(std::min(idle_timeout_, kMaxLinger));
    StartDrain();
  }

  void CloseNow() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    error_code ignored;
    socket_.close(ignored);
    ClearDeadline();
    timer_.cancel();
    parser_.reset();
    out_.clear();
    queued_bytes_ = 0;
    stream_open_ = false;
    NotifyStreamClosed();
    if (auto server = server_.lock()) server->connections.erase(this);
  }

  // ---- deadline: one lazily re-armed timer per connection ----

  void SetDeadline(Duration d) {
    if (d >= Duration::Days(365)) {
      ClearDeadline();
      return;
    }
    deadline_ = SteadyClock::now() + std::chrono::nanoseconds(d.nanoseconds());
    if (!timer_pending_) {
      ArmTimer();
    } else if (deadline_ < timer_.expiry()) {
      timer_.cancel();  // The handler re-arms for the earlier deadline.
    }
  }

  void ClearDeadline() { deadline_ = SteadyClock::time_point::max(); }

  void ArmTimer() {
    timer_pending_ = true;
    timer_.expires_at(deadline_);
    timer_.async_wait([self = shared_from_this()](const error_code&) {
      self->timer_pending_ = false;
      if (self->state_ == State::kClosed || self->deadline_ == SteadyClock::time_point::max()) {
        return;
      }
      if (SteadyClock::now() < self->deadline_) {
        self->ArmTimer();
        return;
      }
      spdlog::debug("http {}: idle timeout", self->remote_);
      self->CloseNow();
    });
  }

  EventLoop& loop_;
  std::weak_ptr<HttpServer::Impl> server_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  const size_t max_body_bytes_;
  const size_t max_header_bytes_;
  const Duration idle_timeout_;
  std::string remote_;

  State state_ = State::kReading;
  SteadyClock::time_point deadline_ = SteadyClock::time_point::max();
  bool timer_pending_ = false;

  // Request side.
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  uint64_t seq_ = 0;  // Numbers requests; a responder answers only its own.
  bool keep_alive_ = true;
  bool http10_ = false;
  bool head_request_ = false;
  bool close_after_response_ = false;  // Set by server Stop().
  bool close_after_write_ = false;

  // Response side.
  std::string head_;
  std::string body_;

  // Stream side.
  bool stream_started_ = false;
  bool stream_open_ = false;
  bool stream_closing_ = false;
  bool close_notified_ = false;
  bool chunked_ = false;
  bool writing_ = false;
  bool draining_ = false;
  size_t queued_bytes_ = 0;
  std::vector<std::string> out_;       // Queued, not yet handed to the socket.
  std::vector<std::string> inflight_;  // Being written; stable until the write completes.
  std::vector<asio::const_buffer> write_buffers_;
  std::unique_ptr<char[]> drain_buf_;
  std::function<void()> on_close_;
};

namespace {

class StreamImpl : public HttpStream {
 public:
  explicit StreamImpl(std::shared_ptr<ServerConnection> conn) : conn_(std::move(conn)) {}
  ~StreamImpl() override {
    if (!conn_->loop().destroying()) conn_->StreamClose();
  }
  bool Write(std::string bytes) override { return conn_->StreamWrite(std::move(bytes)); }
  size_t queued_bytes() const override { return conn_->queued_bytes(); }
  void Close() override { conn_->StreamClose(); }
  bool open() const override { return conn_->stream_open(); }
  void OnClose(std::function<void()> fn) override { conn_->SetOnClose(std::move(fn)); }

 private:
  std::shared_ptr<ServerConnection> conn_;
};

class ResponderImpl : public HttpResponder {
 public:
  ResponderImpl(std::shared_ptr<ServerConnection> conn, uint64_t seq)
      : conn_(std::move(conn)), seq_(seq) {}

  ~ResponderImpl() override {
    if (answered_ || conn_->loop().destroying()) return;
    spdlog::warn("http: handler dropped a request without answering; sending 500");
    conn_->Answer(seq_, HttpResponse::Text(500, "the handler dropped this request\n"));
  }

  void Respond(HttpResponse response) override {
    if (answered_) {
      spdlog::error("http: request answered twice; the second answer is dropped");
      return;
    }
    answered_ = true;
    conn_->Answer(seq_, std::move(response));
  }

  std::shared_ptr<HttpStream> StartStream(int status, HttpHeaders headers) override {
    if (answered_) {
      spdlog::error("http: request answered twice; the stream is not started");
      return std::make_shared<ClosedStream>(conn_->loop());
    }
    answered_ = true;
    return conn_->OpenStream(seq_, status, headers);
  }

 private:
  std::shared_ptr<ServerConnection> conn_;
  uint64_t seq_;
  bool answered_ = false;
};

}  // namespace

void ServerConnection::Dispatch() {
  ClearDeadline();
  state_ = State::kHandling;
  auto& message = parser_->get();
  keep_alive_ = message.keep_alive();
  http10_ = message.version() < 11;
  head_request_ = message.method() == bhttp::verb::head;

  HttpRequest request;
  request.method = ToStd(message.method_string());
  request.target = ToStd(message.target());
  ParseTarget(request.target, &request.path, &request.query, &request.query_params);
  for (const auto& field : message) {
    request.headers.emplace_back(ToStd(field.name_string()), ToStd(field.value()));
  }
  request.body = std::move(message.body());
  request.remote_address = remote_;
  request.version = static_cast<int>(message.version());
  parser_.reset();

  uint64_t seq = ++seq_;
  std::shared_ptr<HttpServer::Impl> server = server_.lock();
  if (!server || server->stopped) {
    close_after_response_ = true;
    Answer(seq, HttpResponse::Text(503, "server is shutting down\n"));
    return;
  }
  server->handler(request, std::make_shared<ResponderImpl>(shared_from_this(), seq));
}

std::shared_ptr<HttpStream> ServerConnection::OpenStream(uint64_t seq, int status,
                                                         const HttpHeaders& headers) {
  if (state_ != State::kHandling || seq != seq_) return std::make_shared<ClosedStream>(loop_);
  bool no_body = head_request_ || internal::StatusHasNoBody(status);
  chunked_ = !http10_ && !no_body;
  std::string head;
  StrAppend(&head, "HTTP/1.1 ", status, " ", internal::ReasonPhrase(status), "\r\n");
  internal::AppendHeaders(headers, /*skip_connection=*/true, &head);
  if (!http10_) head.append("Transfer-Encoding: chunked\r\n");
  // The connection belongs to the stream and ends with it.
  head.append("Connection: close\r\n\r\n");
  state_ = State::kStreaming;
  stream_started_ = true;
  stream_open_ = true;
  Enqueue(std::move(head));
  auto stream = std::make_shared<StreamImpl>(shared_from_this());
  StartDrain();
  Flush();
  if (no_body || close_after_response_) StreamClose();
  return stream;
}

namespace {

void DoAccept(const std::shared_ptr<HttpServer::Impl>& server) {
  server->acceptor.async_accept([server](const error_code& ec, tcp::socket socket) {
    if (server->stopped) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // Typically out of file descriptors: back off instead of spinning on the error.
      spdlog::warn("http: accept on port {}: {}; retrying in 100ms", server->port, ec.message());
      if (!server->accept_retry) server->accept_retry.emplace(server->loop.context());
      server->accept_retry->expires_after(std::chrono::milliseconds(100));
      server->accept_retry->async_wait([server](const error_code& wait_ec) {
        if (!wait_ec && !server->stopped) DoAccept(server);
      });
      return;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto conn = std::make_shared<ServerConnection>(server, std::move(socket));
    server->connections.emplace(conn.get(), conn);
    conn->Start();
    DoAccept(server);
  });
}

}  // namespace

HttpServer::HttpServer(EventLoop& loop, Options options, Handler handler)
    : impl_(std::make_shared<Impl>(loop, std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() {
  if (!impl_->loop.destroying()) Stop();
}

absl::Status HttpServer::Start() {
  Impl& s = *impl_;
  if (s.started) return absl::FailedPreconditionError("HttpServer::Start called twice");
  s.started = true;
  std::string where = StrCat(s.options.address, ":", s.options.port);
  error_code ec;
  tcp::endpoint endpoint;
  asio::ip::address address = asio::ip::make_address(s.options.address, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, s.options.port);
  } else {
    tcp::resolver resolver(s.loop.context());
    auto results = resolver.resolve(s.options.address, std::to_string(s.options.port), ec);
    if (ec || results.empty()) {
      return absl::InvalidArgumentError(
          StrCat("cannot listen on ", where, ": ", ec ? ec.message() : "no address found"));
    }
    endpoint = results.begin()->endpoint();
  }
  s.acceptor.open(endpoint.protocol(), ec);
  // Lets a restarted server bind while old connections sit in TIME_WAIT; on Linux it still
  // fails while another socket listens on the port.
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    s.acceptor.close(ignored);
    return absl::UnavailableError(StrCat("cannot listen on ", where, ": ", ec.message()));
  }
  s.port = s.acceptor.local_endpoint(ec).port();
  spdlog::info("http: listening on {}", EndpointString(tcp::endpoint(endpoint.address(), s.port)));
  DoAccept(impl_);
  return absl::OkStatus();
}

uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::Stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  error_code ignored;
  impl_->acceptor.close(ignored);
  if (impl_->accept_retry) impl_->accept_retry->cancel();
  std::vector<std::shared_ptr<ServerConnection>> open;
  for (auto& [ptr, weak] : impl_->connections) {
    if (auto conn = weak.lock()) open.push_back(std::move(conn));
  }
  for (auto& conn : open) conn->Shutdown();
}

size_t HttpServer::connection_count() const { return impl_->connections.size(); }

}  // namespace atl::io
