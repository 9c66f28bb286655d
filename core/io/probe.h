// Prober: non-blocking health probes on an EventLoop, for the command executor's Marathon/Mesos
// health checks (TCP, HTTP/HTTPS and COMMAND checks run next to the task).
//
//   Prober prober(loop);
//   prober.Http(/*tls=*/false, "127.0.0.1", 8080, "/health", Duration::Seconds(2),
//               [](ProbeResult r) { ... r.ok, r.status_code, r.cause ... });
//
// Nothing blocks the loop: no name resolution (IP literals and "localhost" only), no thread or
// process per TCP/HTTP probe, commands watched through a pidfd. Every probe's callback runs
// exactly once, on the loop thread, never inside the call that started it; destroying the
// Prober drops the callbacks of probes in flight. The caller decides what counts as healthy
// (which HTTP statuses, how many failures in a row).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/base/time.h"
#include "core/io/event_loop.h"

namespace atl::io {

struct ProbeResult {
  // TCP: connected. HTTP: a response's status line and headers arrived (whatever the status).
  // Command: exited with status 0 within the timeout.
  bool ok = false;
  // HTTP: the response status (any code; the caller classifies it), 0 when none came.
  int status_code = 0;
  // Command: the exit status; -1 when killed (timeout, signal) or not started.
  int exit_code = -1;
  // The timeout passed first (commands: the process group was then killed).
  bool timed_out = false;
  // HTTP, when asked to keep the body: the response's Content-Type and the first `keep_body`
  // bytes of its body.
  std::string content_type;
  std::string body;
  // Why not ok, for people: "connection refused", "timed out after 2s", "exited with status 3",
  // "TLS handshake: ...". Empty when ok (an HTTP 503 is ok with status_code 503).
  std::string cause;
};

class Prober {
 public:
  // `loop` must outlive the prober.
  explicit Prober(EventLoop& loop);
  // Cancels every probe in flight: no callback runs after this, connections are closed, and
  // running commands' process groups are SIGKILLed and their shells reaped (the only wait, on a
  // process already killed). REQUIRES: the loop thread (or the loop not running).
  ~Prober();
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  using Done = std::function<void(ProbeResult)>;

  // Connects to host:port and closes at once. `host`: an IPv4 or IPv6 literal ("::1" or
  // "[::1]") or "localhost" (127.0.0.1); anything else fails without touching the network.
  void Tcp(const std::string& host, uint16_t port, Duration timeout, Done done);

  // One HTTP/1.1 "GET `path`" (Host: host:port), over TLS when `tls` (no certificate check, as
  // Mesos and Marathon do; SNI when `host` is a name). ok with status_code once a response's
  // status line and headers arrived; the body is read and discarded up to 64 KiB (a longer one
  // drops the connection). One idle keep-alive connection per (tls, host, port) is kept for the
  // next probe when the server allowed it; a reused connection that fails before any response
  // byte is retried once on a new one. `host` as for Tcp().
  void Http(bool tls, const std::string& host, uint16_t port, const std::string& path,
            Duration timeout, Done done) {
    Http(tls, host, port, path, timeout, 0, std::move(done));
  }
  // The same, keeping the Content-Type and up to `keep_body` bytes of the body in the result
  // (Marathon's readiness checks with preserveLastResponse show them). A body cut short by the
  // timeout or the 64 KiB limit keeps what arrived.
  void Http(bool tls, const std::string& host, uint16_t port, const std::string& path,
            Duration timeout, size_t keep_body, Done done);

  // Runs `/bin/sh -c command` with exactly `env` ("K=V" strings), in a process group of its
  // own within the caller's session, stdout and stderr to /dev/null. ok when it exits 0 within
  // `timeout`; on timeout the whole group gets SIGKILL and the result (timed_out, exit_code -1)
  // comes once the shell is reaped.
  void Command(const std::string& command, const std::vector<std::string>& env, Duration timeout,
               Done done);

  // Probes whose callback has not run yet.
  size_t in_flight() const;

  // Idle keep-alive connections kept for HTTP probes (tests, metrics).
  size_t idle_connections() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace atl::io
