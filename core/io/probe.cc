#include "core/io/probe.h"

#include <openssl/ssl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <limits>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/base/strings.h"
#include "core/io/process.h"

namespace atl::io {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Body bytes read (and thrown away) before the connection is dropped instead.
constexpr size_t kMaxBodyBytes = 64 << 10;
// An idle connection older than this is closed rather than reused. Probes to a task's server
// run every few seconds to a minute; one the server closed meanwhile is seen by LooksAlive, and
// a close racing the request is retried.
constexpr auto kMaxIdle = std::chrono::minutes(2);
// Longer timeouts arm no timer.
constexpr Duration kNoTimeout = Duration::Days(365);

// "Connection refused" -> "connection refused".
std::string ErrorText(const error_code& ec) {
  if (ec == asio::error::eof || ec == bhttp::error::end_of_stream ||
      ec == bhttp::error::partial_message) {
    return "connection closed by the server";
  }
  std::string text = ec.message();
  if (!text.empty() && std::isupper(static_cast<unsigned char>(text[0])) &&
      (text.size() < 2 || !std::isupper(static_cast<unsigned char>(text[1])))) {
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return text;
}

bool IsHttpParseError(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

// IP literals ("10.0.0.5", "::1", "[::1]") and "localhost"; nothing that needs a resolver.
std::optional<asio::ip::address> ParseHost(std::string_view host) {
  if (host == "localhost") return asio::ip::address(asio::ip::address_v4::loopback());
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  error_code ec;
  asio::ip::address address = asio::ip::make_address(std::string(host), ec);
  if (ec) return std::nullopt;
  return address;
}

std::string InvalidHost(const std::string& host) {
  return StrCat("invalid host '", host, "': an IP address or localhost is required");
}

ProbeResult Failure(std::string cause) {
  ProbeResult result;
  result.cause = std::move(cause);
  return result;
}

}  // namespace

// A connection an HTTP probe uses and may leave for the next one: its read buffer may hold
// bytes read past the response, so both travel together.
struct ProbeConnection {
  explicit ProbeConnection(asio::io_context& io) : socket(io) {}

  // Calls `f` with the stream to talk HTTP over: the TLS stream or the socket.
  template <class F>
  void WithStream(F&& f) {
    if (tls) {
      f(*tls);
    } else {
      f(socket);
    }
  }

  void Close() {
    error_code ignored;
    socket.close(ignored);
  }

  tcp::socket socket;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls;  // Declared after: destroyed first.
  beast::flat_buffer buffer;
  SteadyClock::time_point idle_since;
};

class ProbeOp;

struct Prober::Impl {
  explicit Impl(EventLoop& l) : loop(l) {}

  // The idle connection for `key` if it still looks usable, else nullptr.
  std::unique_ptr<ProbeConnection> TakeIdle(const std::string& key);
  void ReturnIdle(const std::string& key, std::unique_ptr<ProbeConnection> conn);

  asio::ssl::context& TlsContext() {
    if (!tls_context) {
      tls_context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
      tls_context->set_verify_mode(asio::ssl::verify_none);  // Like Mesos and Marathon.
    }
    return *tls_context;
  }

  EventLoop& loop;
  bool destroyed = false;
  std::unordered_set<ProbeOp*> live;
  std::unordered_map<std::string, std::unique_ptr<ProbeConnection>> idle;
  std::unique_ptr<asio::ssl::context> tls_context;
  // Response bodies are read into this and forgotten; all probes share it (one thread).
  std::array<char, 8192> discard{};
};

namespace {

// A kept socket is reusable if the peer has neither closed it nor sent anything since the last
// response (a TLS alert counts as something). A non-blocking peek tells without reading.
bool LooksAlive(ProbeConnection& conn) {
  if (conn.buffer.size() != 0) return false;
  char byte;
  ssize_t n = ::recv(conn.socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n >= 0) return false;
  return errno == EAGAIN || errno == EWOULDBLOCK;
}

}  // namespace

std::unique_ptr<ProbeConnection> Prober::Impl::TakeIdle(const std::string& key) {
  auto it = idle.find(key);
  if (it == idle.end()) return nullptr;
  std::unique_ptr<ProbeConnection> conn = std::move(it->second);
  idle.erase(it);
  if (SteadyClock::now() - conn->idle_since > kMaxIdle || !LooksAlive(*conn)) return nullptr;
  return conn;
}

void Prober::Impl::ReturnIdle(const std::string& key, std::unique_ptr<ProbeConnection> conn) {
  if (destroyed || conn->buffer.size() != 0) return;
  conn->buffer.shrink_to_fit();  // Empty: an idle connection holds no read buffer.
  conn->idle_since = SteadyClock::now();
  idle[key] = std::move(conn);  // Replaces (closes) an older one.
}

// One probe: its timeout, its callback, and how it is cancelled.
class ProbeOp : public std::enable_shared_from_this<ProbeOp> {
 public:
  ProbeOp(std::shared_ptr<Prober::Impl> impl, Duration timeout, Prober::Done done)
      : impl_(std::move(impl)),
        timeout_(timeout),
        done_(std::move(done)),
        timer_(impl_->loop.context()) {
    impl_->live.insert(this);
  }
  virtual ~ProbeOp() { impl_->live.erase(this); }
  ProbeOp(const ProbeOp&) = delete;
  ProbeOp& operator=(const ProbeOp&) = delete;

  // Reports `result` on a later turn of the loop (a failure found before any I/O started).
  void FinishSoon(ProbeResult result) {
    impl_->loop.Post([self = shared_from_this(), result = std::move(result)]() mutable {
      self->Finish(std::move(result));
    });
  }

  // Ends the probe without calling back (the prober is being destroyed).
  void Abort() {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    Release();
  }

 protected:
  template <class T>
  std::shared_ptr<T> SharedAs() {
    return std::static_pointer_cast<T>(shared_from_this());
  }

  void StartTimer() {
    if (timeout_ >= kNoTimeout) return;
    int64_t ns = std::max<int64_t>(timeout_.nanoseconds(), 0);
    timer_.expires_after(std::chrono::nanoseconds(ns));
    timer_.async_wait([self = shared_from_this()](const error_code& ec) {
      if (ec || self->finished_) return;
      self->OnTimeout();
    });
  }

  ProbeResult TimedOut() const {
    ProbeResult result;
    result.timed_out = true;
    result.cause = StrCat("timed out after ", timeout_.ToString());
    return result;
  }

  // Reports `result` (once), after releasing the probe's resources. The callback may destroy
  // the prober; nothing of it is touched afterwards.
  void Finish(ProbeResult result) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    Release();
    impl_->live.erase(this);
    if (impl_->destroyed) return;
    Prober::Done done = std::move(done_);
    done_ = nullptr;
    if (done) done(std::move(result));
  }

  virtual void OnTimeout() = 0;
  // Closes sockets, stops watching, kills what must not outlive the probe. Objects that
  // aborted asynchronous operations still use stay alive until the probe is destroyed.
  virtual void Release() = 0;

  std::shared_ptr<Prober::Impl> impl_;
  const Duration timeout_;
  Prober::Done done_;
  asio::steady_timer timer_;
  bool finished_ = false;
};

namespace {

// ---- TCP --------------------------------------------------------------------------------

class TcpOp : public ProbeOp {
 public:
  TcpOp(std::shared_ptr<Prober::Impl> impl, Duration timeout, Prober::Done done)
      : ProbeOp(impl, timeout, std::move(done)), socket_(impl->loop.context()) {}

  void Start(const tcp::endpoint& endpoint) {
    StartTimer();
    socket_.async_connect(endpoint, [self = SharedAs<TcpOp>()](const error_code& ec) {
      if (self->finished_) return;
      if (ec) {
        self->Finish(Failure(ErrorText(ec)));
        return;
      }
      ProbeResult result;
      result.ok = true;
      self->Finish(std::move(result));
    });
  }

 private:
  void OnTimeout() override { Finish(TimedOut()); }
  void Release() override {
    error_code ignored;
    socket_.close(ignored);
  }

  tcp::socket socket_;
};

// ---- HTTP -------------------------------------------------------------------------------

class HttpOp : public ProbeOp {
 public:
  HttpOp(std::shared_ptr<Prober::Impl> impl, Duration timeout, Prober::Done done, bool tls,
         std::string host, tcp::endpoint endpoint, std::string key, std::string request,
         size_t keep_body)
      : ProbeOp(std::move(impl), timeout, std::move(done)),
        tls_(tls),
        host_(std::move(host)),
        endpoint_(endpoint),
        key_(std::move(key)),
        request_(std::move(request)),
        keep_body_(keep_body) {}

  void Start() {
    StartTimer();
    Attempt(/*allow_reuse=*/true);
  }

 private:
  void Attempt(bool allow_reuse) {
    Retire();
    parser_.reset();
    if (allow_reuse) conn_ = impl_->TakeIdle(key_);
    reused_ = conn_ != nullptr;
    if (reused_) {
      Send();
    } else {
      Connect();
    }
  }

  // Keeps a failed connection closed but alive until the probe ends: an operation that just
  // completed on it may still be unwinding.
  void Retire() {
    if (!conn_) return;
    conn_->Close();
    retired_ = std::move(conn_);
  }

  void Connect() {
    conn_ = std::make_unique<ProbeConnection>(impl_->loop.context());
    conn_->socket.async_connect(endpoint_, [self = SharedAs<HttpOp>()](const error_code& ec) {
      if (self->finished_) return;
      if (ec) {
        self->Finish(Failure(ErrorText(ec)));
        return;
      }
      error_code ignored;
      self->conn_->socket.set_option(tcp::no_delay(true), ignored);
      if (self->tls_) {
        self->Handshake();
      } else {
        self->Send();
      }
    });
  }

  void Handshake() {
    conn_->tls =
        std::make_unique<asio::ssl::stream<tcp::socket&>>(conn_->socket, impl_->TlsContext());
    error_code not_an_address;
    asio::ip::make_address(host_, not_an_address);
    // SNI is for names only (RFC 6066).
    if (not_an_address && host_.front() != '[') {
      ::SSL_set_tlsext_host_name(conn_->tls->native_handle(), host_.c_str());
    }
    conn_->tls->async_handshake(asio::ssl::stream_base::client,
                                [self = SharedAs<HttpOp>()](const error_code& ec) {
                                  if (self->finished_) return;
                                  if (ec) {
                                    self->Finish(Failure(StrCat("TLS handshake: ", ErrorText(ec))));
                                    return;
                                  }
                                  self->Send();
                                });
  }

  void Send() {
    conn_->WithStream([&](auto& stream) {
      asio::async_write(stream, asio::buffer(request_),
                        [self = SharedAs<HttpOp>()](const error_code& ec, size_t) {
                          if (self->finished_) return;
                          if (ec) {
                            if (self->CanRetry()) {
                              self->Retry();
                            } else {
                              self->Finish(Failure(StrCat("send the request: ", ErrorText(ec))));
                            }
                            return;
                          }
                          self->ReadHead();
                        });
    });
  }

  // The head on its own first (Beast 1.74 quirk, see README), then the body in pieces.
  void ReadHead() {
    parser_.emplace();
    parser_->body_limit(std::numeric_limits<uint64_t>::max());  // We count ourselves.
    conn_->WithStream([&](auto& stream) {
      bhttp::async_read_header(stream, conn_->buffer, *parser_,
                               [self = SharedAs<HttpOp>()](const error_code& ec, size_t) {
                                 if (self->finished_) return;
                                 self->OnHead(ec);
                               });
    });
  }

  void OnHead(const error_code& ec) {
    if (ec) {
      if (IsHttpParseError(ec)) {
        Finish(Failure(StrCat("malformed response: ", ec.message())));
      } else if (CanRetry() && !parser_->got_some()) {
        Retry();
      } else {
        Finish(Failure(StrCat("read the response: ", ErrorText(ec))));
      }
      return;
    }
    int status = static_cast<int>(parser_->get().result_int());
    if (status >= 100 && status < 200 && status != 101) {
      ReadHead();  // An interim response: the real one follows.
      return;
    }
    status_ = status;
    if (keep_body_ > 0) {
      content_type_ = std::string(parser_->get()[bhttp::field::content_type]);
      kept_body_.clear();
    }
    if (parser_->is_done()) {
      Complete(parser_->keep_alive());
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    // Bodies thrown away share one buffer; a kept one needs its own, since reads of other
    // probes may complete into the shared one before this probe's handler runs.
    if (keep_body_ > 0 && own_buffer_.empty()) own_buffer_.resize(impl_->discard.size());
    char* buffer = keep_body_ > 0 ? own_buffer_.data() : impl_->discard.data();
    auto& body = parser_->get().body();
    body.data = buffer;
    body.size = impl_->discard.size();
    conn_->WithStream([&](auto& stream) {
      bhttp::async_read(stream, conn_->buffer, *parser_,
                        [self = SharedAs<HttpOp>(), buffer](error_code ec, size_t) {
                          if (self->finished_) return;
                          if (ec == bhttp::error::need_buffer) ec = {};
                          const size_t got =
                              self->impl_->discard.size() - self->parser_->get().body().size;
                          self->body_bytes_ += got;
                          if (self->kept_body_.size() < self->keep_body_) {
                            self->kept_body_.append(
                                buffer, std::min(got, self->keep_body_ - self->kept_body_.size()));
                          }
                          if (ec || self->body_bytes_ > kMaxBodyBytes) {
                            self->Complete(/*reusable=*/false);
                          } else if (self->parser_->is_done()) {
                            self->Complete(self->parser_->keep_alive());
                          } else {
                            self->ReadBody();
                          }
                        });
    });
  }

  bool CanRetry() const { return reused_ && !retried_; }

  void Retry() {
    retried_ = true;
    Attempt(/*allow_reuse=*/false);
  }

  // A response head arrived: ok whatever happens to the body.
  void Complete(bool reusable) {
    ProbeResult result;
    result.ok = true;
    result.status_code = status_;
    result.content_type = std::move(content_type_);
    result.body = std::move(kept_body_);
    if (reusable) impl_->ReturnIdle(key_, std::move(conn_));
    Finish(std::move(result));
  }

  void OnTimeout() override {
    if (status_ != 0) {
      Complete(/*reusable=*/false);  // The head came; the body is slow.
    } else {
      Finish(TimedOut());
    }
  }

  void Release() override {
    if (conn_) conn_->Close();
    if (retired_) retired_->Close();
  }

  const bool tls_;
  const std::string host_;
  const tcp::endpoint endpoint_;
  const std::string key_;
  const std::string request_;
  const size_t keep_body_;
  std::string content_type_;
  std::string kept_body_;
  std::string own_buffer_;  // for a kept body
  std::unique_ptr<ProbeConnection> conn_;
  std::unique_ptr<ProbeConnection> retired_;
  std::optional<bhttp::response_parser<bhttp::buffer_body>> parser_;
  size_t body_bytes_ = 0;
  int status_ = 0;
  bool reused_ = false;
  bool retried_ = false;
};

// ---- Command ----------------------------------------------------------------------------

class CommandOp : public ProbeOp {
 public:
  using ProbeOp::ProbeOp;

  void Start(const std::string& command, const std::vector<std::string>& env) {
    SpawnOptions options;
    options.path = "/bin/sh";
    options.argv = {"sh", "-c", command};
    options.env = env;
    options.stdout_path = "/dev/null";
    options.stderr_path = "/dev/null";
    options.new_session = false;
    options.new_process_group = true;
    absl::StatusOr<pid_t> pid = Spawn(options);
    if (!pid.ok()) {
      FinishSoon(Failure(StrCat("cannot run the command: ", pid.status().message())));
      return;
    }
    pid_ = *pid;
    // The watcher's callback owns the probe until it runs or Release() drops the watcher.
    auto watcher = ProcessWatcher::Watch(
        impl_->loop, pid_,
        [self = SharedAs<CommandOp>()](std::optional<int> status) { self->OnExit(status); });
    if (!watcher.ok()) {  // Cannot happen for a child not yet reaped; clean up all the same.
      KillAndReap();
      FinishSoon(Failure(StrCat("cannot watch the command: ", watcher.status().message())));
      return;
    }
    watcher_ = std::move(*watcher);
    StartTimer();
  }

 private:
  void OnExit(std::optional<int> status) {
    if (finished_) return;
    pid_ = -1;  // Reaped (or reaped by someone else): gone either way.
    ProbeResult result;
    if (killed_) {
      result = TimedOut();
    } else if (!status) {
      result.cause = "exited with an unknown status (reaped elsewhere)";
    } else if (WIFEXITED(*status)) {
      result.exit_code = WEXITSTATUS(*status);
      result.ok = result.exit_code == 0;
      if (!result.ok) result.cause = DescribeWaitStatus(*status);
    } else {
      result.cause = DescribeWaitStatus(*status);
    }
    Finish(std::move(result));
  }

  // Kills the group; the result is reported once the shell has been reaped, so the caller
  // never sees a timeout while the command still runs.
  void OnTimeout() override {
    killed_ = true;
    (void)SignalProcessGroup(pid_, SIGKILL);
  }

  void Release() override {
    watcher_.reset();
    KillAndReap();
  }

  // A process still running when the probe ends (the prober is destroyed) is killed with its
  // group and reaped here: it is SIGKILLed, so the wait is short.
  void KillAndReap() {
    if (pid_ <= 0) return;
    (void)SignalProcessGroup(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

  pid_t pid_ = -1;
  bool killed_ = false;
  std::unique_ptr<ProcessWatcher> watcher_;
};

std::string HttpRequestBytes(const std::string& host, uint16_t port, std::string_view path) {
  bool bare_v6 = host.find(':') != std::string::npos && host.front() != '[';
  std::string out;
  out.reserve(96 + host.size() + path.size());
  StrAppend(&out, "GET ", path, " HTTP/1.1\r\nHost: ", bare_v6 ? "[" : "", host, bare_v6 ? "]" : "",
            ":", port, "\r\nUser-Agent: atoll-health-check\r\nAccept: */*\r\n\r\n");
  return out;
}

bool ValidPath(std::string_view path) {
  for (char c : path) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

Prober::Prober(EventLoop& loop) : impl_(std::make_shared<Impl>(loop)) {}

Prober::~Prober() {
  impl_->destroyed = true;
  std::vector<std::shared_ptr<ProbeOp>> ops;
  ops.reserve(impl_->live.size());
  for (ProbeOp* op : impl_->live) {
    if (auto alive = op->weak_from_this().lock()) ops.push_back(std::move(alive));
  }
  for (auto& op : ops) op->Abort();
  impl_->live.clear();
  impl_->idle.clear();
}

void Prober::Tcp(const std::string& host, uint16_t port, Duration timeout, Done done) {
  auto op = std::make_shared<TcpOp>(impl_, timeout, std::move(done));
  std::optional<asio::ip::address> address = ParseHost(host);
  if (!address) {
    op->FinishSoon(Failure(InvalidHost(host)));
    return;
  }
  op->Start(tcp::endpoint(*address, port));
}

void Prober::Http(bool tls, const std::string& host, uint16_t port, const std::string& path,
                  Duration timeout, size_t keep_body, Done done) {
  std::optional<asio::ip::address> address = ParseHost(host);
  std::string target = path.empty() ? "/" : path.front() == '/' ? path : StrCat("/", path);
  std::string key = StrCat(tls ? "https://" : "http://", host, ":", port);
  auto op =
      std::make_shared<HttpOp>(impl_, timeout, std::move(done), tls, host,
                               tcp::endpoint(address.value_or(asio::ip::address()), port),
                               std::move(key), HttpRequestBytes(host, port, target), keep_body);
  if (!address) {
    op->FinishSoon(Failure(InvalidHost(host)));
    return;
  }
  if (!ValidPath(target)) {
    op->FinishSoon(Failure(StrCat("invalid path '", path, "': must be encoded")));
    return;
  }
  op->Start();
}

void Prober::Command(const std::string& command, const std::vector<std::string>& env,
                     Duration timeout, Done done) {
  auto op = std::make_shared<CommandOp>(impl_, timeout, std::move(done));
  op->Start(command, env);
}

size_t Prober::in_flight() const { return impl_->live.size(); }

size_t Prober::idle_connections() const { return impl_->idle.size(); }

}  // namespace atl::io
