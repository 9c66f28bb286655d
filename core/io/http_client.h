// HttpClient: HTTP/1.1 requests and endless streamed responses on an EventLoop.
//
//   HttpClient client(loop);
//   client.Request({.method = "POST", .host = "10.0.0.5", .port = 5050,
//                   .target = "/api/v1/scheduler", .body = call_json},
//                  [](absl::StatusOr<HttpResponse> r) { ... });
//
// Plain requests reuse keep-alive connections per host:port. Failures come back as statuses:
//   Unavailable        resolve/connect/read/write failed, or the peer closed early
//   DeadlineExceeded   ClientRequest::timeout passed
//   ResourceExhausted  the response body is over Options::max_response_bytes
//   Internal           the peer sent something that is not HTTP
// An HTTP error status (404, 503...) is a successful exchange: look at HttpResponse::status.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/time.h"
#include "core/io/event_loop.h"
#include "core/io/http.h"

namespace atl::io {

struct ClientRequest {
  std::string method = "GET";
  std::string host = "127.0.0.1";  // IP literal or a name resolved on every new connection.
  uint16_t port = 80;
  std::string target = "/";  // Path and query, already encoded: "/v2/apps?embed=apps.tasks".
  // Sent as given; Host is added unless present, Content-Length is always computed.
  HttpHeaders headers;
  std::string body;
  // Whole exchange for Request(); connect until response headers for OpenStream().
  Duration timeout = Duration::Seconds(30);
};

// An open streamed response (see HttpClient::OpenStream). REQUIRES: the loop thread.
// Dropping the last reference closes it as Close() would.
class ClientStream {
 public:
  virtual ~ClientStream() = default;
  // Closes the connection. No callback runs after this returns. Idempotent.
  virtual void Close() = 0;
  // False once closed by either side or failed.
  virtual bool open() const = 0;
};

class HttpClient {
 public:
  struct Options {
    // Idle keep-alive connections kept per host:port; more are closed when they come back.
    size_t max_idle_per_host = 8;
    // Idle connections older than this are not reused (servers drop them around 60s).
    Duration max_idle_time = Duration::Seconds(50);
    // Bodies above this fail the request with ResourceExhausted (streams are not limited).
    size_t max_response_bytes = 64 << 20;
  };

  // `loop` must outlive the client.
  explicit HttpClient(EventLoop& loop);
  HttpClient(EventLoop& loop, Options options);
  // Aborts requests in flight; their callbacks are never called. REQUIRES: the loop thread (or
  // the loop not running).
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  using ResponseCallback = std::function<void(absl::StatusOr<HttpResponse>)>;

  // Sends `request` and calls `done` exactly once, on the loop thread, never inside this call.
  // A request that fails on a reused keep-alive connection before any response byte (the
  // server closed it meanwhile) is retried once on a new connection when nothing was written or
  // the method is idempotent (GET, HEAD, PUT, DELETE, OPTIONS). REQUIRES: the loop thread.
  void Request(ClientRequest request, ResponseCallback done);

  using HeadersCallback = std::function<void(int status, const HttpHeaders& headers)>;
  using DataCallback = std::function<void(std::string_view bytes)>;
  using CloseCallback = std::function<void(absl::Status status)>;

  // Sends `request` on a new connection of its own and delivers the response as it arrives:
  // `on_headers` once with the status and header fields, then `on_data` for every piece of
  // body received (de-chunked; pieces do not follow the server's chunk boundaries), then
  // `on_close` once: OK when the body ended normally (last chunk, Content-Length reached, or
  // close of an unframed body), Unavailable when the connection failed or ended mid-body,
  // DeadlineExceeded when no response head came within request.timeout. A failure before the
  // head calls only `on_close`. Nothing is called after ClientStream::Close(). All callbacks
  // run on the loop thread, never inside this call. REQUIRES: the loop thread.
  std::shared_ptr<ClientStream> OpenStream(ClientRequest request, HeadersCallback on_headers,
                                           DataCallback on_data, CloseCallback on_close);

  // Idle pooled connections, for tests and metrics.
  size_t idle_connections() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// Runs `request` to completion on a private event loop and returns the result. For tests and
// command-line tools. REQUIRES: not called on a thread running an EventLoop handler (it would
// stall that loop for up to request.timeout).
absl::StatusOr<HttpResponse> FetchBlocking(ClientRequest request);

}  // namespace atl::io
