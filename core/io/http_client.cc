#include "core/io/http_client.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cerrno>
#include <chrono>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>
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

// Size of the buffer a stream's body is delivered from; one on_data call gets at most this.
constexpr size_t kStreamChunk = 64 << 10;

std::string ToStd(beast::string_view s) { return std::string(s.data(), s.size()); }

bool IsHttpParseError(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

bool IsIdempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS";
}

absl::Status Validate(const ClientRequest& r) {
  if (!internal::IsHttpToken(r.method)) {
    return absl::InvalidArgumentError(StrCat("invalid HTTP method '", r.method, "'"));
  }
  if (r.target.empty()) return absl::InvalidArgumentError("empty request target");
  for (char c : r.target) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return absl::InvalidArgumentError(
          StrCat("request target must be encoded (no spaces or control characters): ", r.target));
    }
  }
  if (r.host.empty()) return absl::InvalidArgumentError("empty host");
  return absl::OkStatus();
}

// The request line and header block; the body goes out as a second buffer.
std::string SerializeHead(const ClientRequest& r) {
  std::string out;
  out.reserve(128 + r.target.size());
  StrAppend(&out, r.method, " ", r.target, " HTTP/1.1\r\n");
  if (FindHeader(r.headers, "Host") == nullptr) {
    bool v6 = r.host.find(':') != std::string::npos;
    StrAppend(&out, "Host: ", v6 ? "[" : "", r.host, v6 ? "]" : "", ":", r.port, "\r\n");
  }
  internal::AppendHeaders(r.headers, /*skip_connection=*/false, &out);
  bool bodyless_method = r.method == "GET" || r.method == "HEAD" || r.method == "DELETE" ||
                         r.method == "OPTIONS" || r.method == "TRACE";
  if (!r.body.empty() || !bodyless_method) {
    StrAppend(&out, "Content-Length: ", r.body.size(), "\r\n");
  }
  out.append("\r\n");
  return out;
}

template <class Fields>
HttpHeaders ConvertHeaders(const Fields& fields) {
  HttpHeaders headers;
  for (const auto& field : fields) {
    headers.emplace_back(ToStd(field.name_string()), ToStd(field.value()));
  }
  return headers;
}

}  // namespace

// A connection that can go back to the pool: its read buffer may hold bytes read past the
// previous response, so both travel together.
struct PooledConnection {
  explicit PooledConnection(asio::io_context& io) : socket(io) {}
  tcp::socket socket;
  beast::flat_buffer buffer;
  SteadyClock::time_point idle_since;
};

class ClientOp;

struct HttpClient::Impl {
  Impl(EventLoop& l, Options o) : loop(l), options(o) {}

  // Returns a pooled connection to `key` that still looks alive, or nullptr.
  std::unique_ptr<PooledConnection> TakeIdle(const std::string& key);
  void ReturnIdle(const std::string& key, std::unique_ptr<PooledConnection> conn);

  EventLoop& loop;
  const Options options;
  bool destroyed = false;
  std::unordered_map<std::string, std::vector<std::unique_ptr<PooledConnection>>> idle;
  std::unordered_set<ClientOp*> live;
};

namespace {

// A pooled socket is reusable if the peer has neither closed it nor sent anything since the
// last response. A non-blocking peek answers that without disturbing the stream.
bool LooksAlive(PooledConnection& conn) {
  if (conn.buffer.size() != 0) return false;
  char byte;
  ssize_t n = ::recv(conn.socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n >= 0) return false;  // 0: closed by the peer; > 0: bytes nobody asked for.
  return errno == EAGAIN || errno == EWOULDBLOCK;
}

}  // namespace

std::unique_ptr<PooledConnection> HttpClient::Impl::TakeIdle(const std::string& key) {
  auto it = idle.find(key);
  if (it == idle.end()) return nullptr;
  auto& conns = it->second;
  auto oldest_allowed =
      SteadyClock::now() - std::chrono::nanoseconds(options.max_idle_time.nanoseconds());
  std::unique_ptr<PooledConnection> found;
  // Most recently used first: the least likely to have been closed by the server.
  while (!conns.empty() && !found) {
    std::unique_ptr<PooledConnection> conn = std::move(conns.back());
    conns.pop_back();
    if (conn->idle_since >= oldest_allowed && LooksAlive(*conn)) found = std::move(conn);
  }
  if (conns.empty()) idle.erase(it);
  return found;
}

void HttpClient::Impl::ReturnIdle(const std::string& key, std::unique_ptr<PooledConnection> conn) {
  if (destroyed || options.max_idle_per_host == 0 || conn->buffer.size() != 0) return;
  conn->idle_since = SteadyClock::now();
  auto& conns = idle[key];
  if (conns.size() >= options.max_idle_per_host) conns.erase(conns.begin());
  conns.push_back(std::move(conn));
}

// The part of a request and a stream that connects, times out and cleans up.
class ClientOp : public std::enable_shared_from_this<ClientOp> {
 public:
  ClientOp(std::shared_ptr<HttpClient::Impl> client, ClientRequest request)
      : client_(std::move(client)), request_(std::move(request)), timer_(client_->loop.context()) {}

  virtual ~ClientOp() { client_->live.erase(this); }

  EventLoop& loop() { return client_->loop; }
  bool finished() const { return finished_; }

  // Ends the operation without calling back (the client is being destroyed).
  void Abort() {
    if (finished_) return;
    finished_ = true;
    Release();
  }

 protected:
  template <class T>
  std::shared_ptr<T> SharedAs() {
    return std::static_pointer_cast<T>(shared_from_this());
  }

  // Registers the operation, starts the timeout and prepares the bytes to send.
  void Begin() {
    client_->live.insert(this);
    key_ = StrCat(request_.host, ":", request_.port);
    head_ = SerializeHead(request_);
    if (request_.timeout < Duration::Days(365)) {
      timer_.expires_after(std::chrono::nanoseconds(request_.timeout.nanoseconds()));
      timer_.async_wait([self = shared_from_this()](const error_code& ec) {
        if (ec || self->finished_) return;
        self->OnFailure(absl::DeadlineExceededError(
            StrCat(self->Describe(), ": no response within ", self->request_.timeout.ToString())));
      });
    }
  }

  // Opens a new connection into conn_, then calls OnConnected() (or OnFailure()).
  void Connect() {
    conn_ = std::make_unique<PooledConnection>(client_->loop.context());
    error_code ec;
    asio::ip::address address = asio::ip::make_address(request_.host, ec);
    if (!ec) {
      conn_->socket.async_connect(
          tcp::endpoint(address, request_.port),
          [self = shared_from_this()](const error_code& ec) { self->OnConnectDone(ec); });
      return;
    }
    resolver_.emplace(client_->loop.context());
    resolver_->async_resolve(
        request_.host, std::to_string(request_.port),
        [self = shared_from_this()](const error_code& ec, tcp::resolver::results_type results) {
          if (self->finished_) return;
          if (ec) {
            self->OnFailure(absl::UnavailableError(
                StrCat(self->Describe(), ": resolve ", self->request_.host, ": ", ec.message())));
            return;
          }
          asio::async_connect(
              self->conn_->socket, results,
              [self](const error_code& ec, const tcp::endpoint&) { self->OnConnectDone(ec); });
        });
  }

  // Sends head_ and the body on conn_, then calls OnWritten() (or OnWriteError()).
  void Send() {
    std::array<asio::const_buffer, 2> buffers{asio::buffer(head_), asio::buffer(request_.body)};
    asio::async_write(conn_->socket, buffers,
                      [self = shared_from_this()](const error_code& ec, size_t written) {
                        if (self->finished_) return;
                        if (ec) {
                          self->OnWriteError(ec, written);
                          return;
                        }
                        self->OnWritten();
                      });
  }

  // Stops the timer and closes the socket. The objects stay alive until the operation is
  // destroyed, because aborted Beast operations still touch the buffer on their way out.
  void Release() {
    client_->live.erase(this);
    timer_.cancel();
    if (resolver_) resolver_->cancel();
    if (conn_) {
      error_code ignored;
      conn_->socket.close(ignored);
    }
  }

  // "GET http://127.0.0.1:5050/state", for error messages.
  std::string Describe() const {
    return StrCat(request_.method, " http://", key_, request_.target);
  }

  virtual void OnConnected() = 0;
  virtual void OnWritten() = 0;
  virtual void OnWriteError(const error_code& ec, size_t written) {
    (void)written;
    OnFailure(absl::UnavailableError(StrCat(Describe(), ": write: ", ec.message())));
  }
  virtual void OnFailure(absl::Status status) = 0;

  std::shared_ptr<HttpClient::Impl> client_;
  ClientRequest request_;
  std::string key_;
  std::string head_;
  std::unique_ptr<PooledConnection> conn_;
  asio::steady_timer timer_;
  std::optional<tcp::resolver> resolver_;
  bool finished_ = false;

 private:
  void OnConnectDone(const error_code& ec) {
    if (finished_) return;
    if (ec) {
      OnFailure(absl::UnavailableError(StrCat(Describe(), ": connect: ", ec.message())));
      return;
    }
    error_code ignored;
    conn_->socket.set_option(tcp::no_delay(true), ignored);
    OnConnected();
  }
};

namespace {

class RequestOp : public ClientOp {
 public:
  RequestOp(std::shared_ptr<HttpClient::Impl> client, ClientRequest request,
            HttpClient::ResponseCallback done)
      : ClientOp(std::move(client), std::move(request)), done_(std::move(done)) {}

  void Start() {
    Begin();
    Attempt(/*allow_reuse=*/true);
  }

 private:
  void Attempt(bool allow_reuse) {
    conn_.reset();
    parser_.reset();
    if (allow_reuse) conn_ = client_->TakeIdle(key_);
    reused_ = conn_ != nullptr;
    if (reused_) {
      Send();
    } else {
      Connect();
    }
  }

  void OnConnected() override { Send(); }

  void OnWritten() override { ReadResponse(); }

  void OnWriteError(const error_code& ec, size_t written) override {
    // A stale pooled connection usually fails here; nothing reached the server if nothing
    // was written, so any method may be sent again.
    if (reused_ && !retried_ && (written == 0 || IsIdempotent(request_.method))) {
      Retry();
      return;
    }
    ClientOp::OnWriteError(ec, written);
  }

  // The head is read on its own first: Beast 1.74 loses a body_limit error detected at the end
  // of the head when the parser is in eager mode, which http::async_read turns on.
  void ReadResponse() {
    parser_.emplace();
    parser_->body_limit(static_cast<uint64_t>(client_->options.max_response_bytes));
    if (request_.method == "HEAD") parser_->skip(true);
    bhttp::async_read_header(conn_->socket, conn_->buffer, *parser_,
                             [self = SharedAs<RequestOp>()](const error_code& ec, size_t) {
                               if (self->finished_) return;
                               if (ec || self->parser_->is_done()) {
                                 self->OnRead(ec);
                                 return;
                               }
                               bhttp::async_read(
                                   self->conn_->socket, self->conn_->buffer, *self->parser_,
                                   [self](const error_code& ec, size_t) { self->OnRead(ec); });
                             });
  }

  void OnRead(const error_code& ec) {
    if (finished_) return;
    if (ec) {
      if (ec == bhttp::error::body_limit) {
        OnFailure(absl::ResourceExhaustedError(StrCat(
            Describe(), ": response body over ", client_->options.max_response_bytes, " bytes")));
      } else if (IsHttpParseError(ec)) {
        OnFailure(absl::InternalError(StrCat(Describe(), ": malformed response: ", ec.message())));
      } else if (reused_ && !retried_ && !parser_->got_some() && IsIdempotent(request_.method)) {
        Retry();
      } else {
        OnFailure(absl::UnavailableError(StrCat(Describe(), ": read: ", ec.message())));
      }
      return;
    }
    auto& message = parser_->get();
    int status = message.result_int();
    if (status >= 100 && status < 200 && status != 101) {
      ReadResponse();  // An interim response (100 Continue): the real one follows.
      return;
    }
    HttpResponse response;
    response.status = status;
    response.headers = ConvertHeaders(message);
    response.body = std::move(message.body());
    if (parser_->keep_alive()) client_->ReturnIdle(key_, std::move(conn_));
    Finish(std::move(response));
  }

  void Retry() {
    retried_ = true;
    spdlog::debug("http client: {}: pooled connection was stale; retrying", Describe());
    Attempt(/*allow_reuse=*/false);
  }

  void OnFailure(absl::Status status) override { Finish(std::move(status)); }

  void Finish(absl::StatusOr<HttpResponse> result) {
    if (finished_) return;
    finished_ = true;
    Release();
    if (client_->destroyed) return;
    HttpClient::ResponseCallback done = std::move(done_);
    done_ = nullptr;
    done(std::move(result));
  }

  HttpClient::ResponseCallback done_;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
  bool reused_ = false;
  bool retried_ = false;
};

class StreamOp : public ClientOp {
 public:
  StreamOp(std::shared_ptr<HttpClient::Impl> client, ClientRequest request,
           HttpClient::HeadersCallback on_headers, HttpClient::DataCallback on_data,
           HttpClient::CloseCallback on_close)
      : ClientOp(std::move(client), std::move(request)),
        on_headers_(std::move(on_headers)),
        on_data_(std::move(on_data)),
        on_close_(std::move(on_close)) {}

  void Start() {
    Begin();
    Connect();
  }

  // Ends the stream with `status` before it started (invalid request).
  void Fail(absl::Status status) { End(std::move(status)); }

  // ClientStream::Close().
  void Close() {
    if (finished_) return;
    finished_ = true;
    Release();
    DropCallbacksLater();
  }

 private:
  void OnConnected() override { Send(); }

  void OnWritten() override { ReadHead(); }

  void ReadHead() {
    parser_.emplace();
    // Not boost::none: Beast 1.74 compares the Content-Length against the optional, and any
    // number is "greater" than an empty one.
    parser_->body_limit(std::numeric_limits<uint64_t>::max());
    bhttp::async_read_header(
        conn_->socket, conn_->buffer, *parser_,
        [self = SharedAs<StreamOp>()](const error_code& ec, size_t) { self->OnHead(ec); });
  }

  void OnHead(const error_code& ec) {
    if (finished_) return;
    if (ec) {
      if (IsHttpParseError(ec)) {
        OnFailure(absl::InternalError(StrCat(Describe(), ": malformed response: ", ec.message())));
      } else {
        OnFailure(absl::UnavailableError(StrCat(Describe(), ": read: ", ec.message())));
      }
      return;
    }
    int status = parser_->get().result_int();
    if (status >= 100 && status < 200 && status != 101) {
      ReadHead();
      return;
    }
    timer_.cancel();  // The timeout covers the wait for the head only.
    if (on_headers_) on_headers_(status, ConvertHeaders(parser_->get()));
    if (finished_) return;
    if (parser_->is_done()) {
      End(absl::OkStatus());
      return;
    }
    chunk_ = std::make_unique<char[]>(kStreamChunk);
    ReadBody();
  }

  void ReadBody() {
    auto& body = parser_->get().body();
    body.data = chunk_.get();
    body.size = kStreamChunk;
    bhttp::async_read_some(
        conn_->socket, conn_->buffer, *parser_,
        [self = SharedAs<StreamOp>()](error_code ec, size_t) { self->OnBody(ec); });
  }

  void OnBody(error_code ec) {
    if (finished_) return;
    if (ec == bhttp::error::need_buffer) ec = {};  // Our buffer is full: deliver, read on.
    size_t got = kStreamChunk - parser_->get().body().size;
    if (got > 0 && on_data_) {
      on_data_(std::string_view(chunk_.get(), got));
      if (finished_) return;
    }
    if (ec) {
      OnFailure(absl::UnavailableError(StrCat(Describe(), ": stream ended: ", ec.message())));
      return;
    }
    if (parser_->is_done()) {
      End(absl::OkStatus());
      return;
    }
    ReadBody();
  }

  void OnFailure(absl::Status status) override { End(std::move(status)); }

  void End(absl::Status status) {
    if (finished_) return;
    finished_ = true;
    Release();
    DropCallbacksLater();
    if (client_->destroyed) return;
    HttpClient::CloseCallback on_close = std::move(on_close_);
    on_close_ = nullptr;
    if (on_close) on_close(std::move(status));
  }

  // Callbacks often capture the stream handle, which owns this operation; dropping them
  // breaks that cycle. Not now: one of them may be running.
  void DropCallbacksLater() {
    client_->loop.Post([self = SharedAs<StreamOp>()] {
      self->on_headers_ = nullptr;
      self->on_data_ = nullptr;
      self->on_close_ = nullptr;
    });
  }

  HttpClient::HeadersCallback on_headers_;
  HttpClient::DataCallback on_data_;
  HttpClient::CloseCallback on_close_;
  std::optional<bhttp::response_parser<bhttp::buffer_body>> parser_;
  std::unique_ptr<char[]> chunk_;
};

class ClientStreamHandle : public ClientStream {
 public:
  explicit ClientStreamHandle(std::shared_ptr<StreamOp> op) : op_(std::move(op)) {}
  ~ClientStreamHandle() override {
    if (!op_->loop().destroying()) op_->Close();
  }
  void Close() override { op_->Close(); }
  bool open() const override { return !op_->finished(); }

 private:
  std::shared_ptr<StreamOp> op_;
};

}  // namespace

HttpClient::HttpClient(EventLoop& loop) : HttpClient(loop, Options()) {}

HttpClient::HttpClient(EventLoop& loop, Options options)
    : impl_(std::make_shared<Impl>(loop, options)) {}

HttpClient::~HttpClient() {
  impl_->destroyed = true;
  std::vector<std::shared_ptr<ClientOp>> ops;
  for (ClientOp* op : impl_->live) {
    if (auto alive = op->weak_from_this().lock()) ops.push_back(std::move(alive));
  }
  for (auto& op : ops) op->Abort();
  impl_->idle.clear();
}

void HttpClient::Request(ClientRequest request, ResponseCallback done) {
  if (absl::Status valid = Validate(request); !valid.ok()) {
    impl_->loop.Post([done = std::move(done), valid, client = impl_] {
      if (!client->destroyed) done(valid);
    });
    return;
  }
  auto op = std::make_shared<RequestOp>(impl_, std::move(request), std::move(done));
  op->Start();
}

std::shared_ptr<ClientStream> HttpClient::OpenStream(ClientRequest request,
                                                     HeadersCallback on_headers,
                                                     DataCallback on_data, CloseCallback on_close) {
  absl::Status valid = Validate(request);
  auto op = std::make_shared<StreamOp>(impl_, std::move(request), std::move(on_headers),
                                       std::move(on_data), std::move(on_close));
  if (valid.ok()) {
    op->Start();
  } else {
    impl_->loop.Post([op, valid] { op->Fail(valid); });
  }
  return std::make_shared<ClientStreamHandle>(op);
}

size_t HttpClient::idle_connections() const {
  size_t n = 0;
  for (const auto& [key, conns] : impl_->idle) n += conns.size();
  return n;
}

absl::StatusOr<HttpResponse> FetchBlocking(ClientRequest request) {
  EventLoop loop;
  absl::StatusOr<HttpResponse> result = absl::InternalError("FetchBlocking: no result");
  {
    HttpClient client(loop);
    client.Request(std::move(request), [&](absl::StatusOr<HttpResponse> response) {
      result = std::move(response);
      loop.Stop();
    });
    loop.Run();
  }
  return result;
}

}  // namespace atl::io
