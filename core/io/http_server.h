// HttpServer: an HTTP/1.1 server on an EventLoop (Beast parser, hand-written responses).
//
//   EventLoop loop;
//   HttpServer server(loop, {.port = 5050}, [](const HttpRequest& req, auto responder) {
//     responder->Respond(HttpResponse::Text(200, "pong\n"));
//   });
//   if (absl::Status s = server.Start(); !s.ok()) { ... }
//   loop.Run();
//
// Connections are persistent (HTTP/1.1 keep-alive, HTTP/1.0 "Connection: keep-alive") and
// pipelined requests are answered in order. A request is read only once the previous one on
// its connection has been answered, so a slow handler delays its own connection only.
// Errors the server answers by itself, then closes the connection:
//   400 malformed request, 413 body over max_body_bytes, 431 head over max_header_bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "core/base/time.h"
#include "core/io/event_loop.h"
#include "core/io/http.h"

namespace atl::io {

class HttpServer {
 public:
  using Handler = HttpHandler;

  struct Options {
    // IP literal ("127.0.0.1", "0.0.0.0", "::") or a host name resolved once in Start().
    std::string address = "127.0.0.1";
    // 0 picks a free ephemeral port; read it back with port().
    uint16_t port = 0;
    // Request bodies above this get 413 before the body is read.
    size_t max_body_bytes = 8 << 20;
    // Request line plus header fields above this get 431.
    size_t max_header_bytes = 64 << 10;
    // Closes a connection that waits this long for (the rest of) a request, or whose peer takes
    // no bytes of a pending write for this long. Does not apply while the handler is working,
    // nor to an open stream with nothing to send.
    Duration idle_timeout = Duration::Seconds(60);
  };

  // `loop` must outlive the server. The handler runs on the loop thread.
  HttpServer(EventLoop& loop, Options options, Handler handler);
  // Stop()s. REQUIRES: the loop thread (or the loop not running).
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens, then accepts on the loop. Errors: InvalidArgument for a bad address,
  // Unavailable when the address cannot be bound (e.g. the port is taken), with the address and
  // the system's reason in the message. REQUIRES: called at most once.
  absl::Status Start();

  // The bound port (the real one when Options::port was 0); 0 before a successful Start().
  uint16_t port() const;

  // Stops accepting and winds connections down: idle ones close now, requests being handled
  // still get their response (with "Connection: close"), open streams are Close()d. The
  // handler is not called again. Idempotent. REQUIRES: the loop thread.
  void Stop();

  // Open connections (idle, busy or streaming); for tests and metrics.
  size_t connection_count() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace atl::io
