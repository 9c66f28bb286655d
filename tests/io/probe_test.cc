// Prober against real loopback servers and real processes. No sleeps: the loop runs until the
// probes' callbacks stop it (with a safety deadline), and conditions on processes and files are
// polled from loop timers.
#include "core/io/probe.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/base/strings.h"
#include "core/io/event_loop.h"
#include "tests/io/io_test_util.h"
#include "tests/io/self_signed.h"

namespace atl::io {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using testing::RunUntil;
using testing::RunUntilStopped;

const std::vector<std::string> kEnv = {"PATH=/usr/local/bin:/usr/bin:/bin"};

// Starts one probe with `start` and runs the loop until its result came.
ProbeResult Await(EventLoop& loop, const std::function<void(Prober::Done)>& start) {
  std::optional<ProbeResult> got;
  start([&](ProbeResult r) {
    EXPECT_FALSE(got.has_value()) << "callback ran twice";
    got = std::move(r);
    loop.Stop();
  });
  EXPECT_FALSE(got.has_value()) << "callback ran inside the call";
  RunUntilStopped(loop, Duration::Seconds(20));
  return got.value_or(ProbeResult{.ok = false,
                                  .status_code = 0,
                                  .exit_code = -1,
                                  .timed_out = false,
                                  .content_type = "",
                                  .body = "",
                                  .cause = "no result"});
}

// A port nothing listens on.
uint16_t ClosedPort(EventLoop& loop) {
  tcp::acceptor acceptor(loop.context(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

std::string Response(int status, std::string_view body = "ok", bool close = false) {
  return StrCat("HTTP/1.1 ", status, " X\r\nContent-Length: ", body.size(), "\r\n",
                close ? "Connection: close\r\n" : "", "\r\n", body);
}

// What the fake server does with request `request` (0, 1, ...) on connection `connection`.
struct Reply {
  std::string bytes;         // Sent as the answer (nothing if empty).
  bool hang = false;         // Never answer (the connection stays open).
  bool close_after = false;  // Close the connection after `bytes`.
};
using Script = std::function<Reply(int connection, int request)>;

// A self-signed certificate for localhost and 127.0.0.1 (PEM certificate, PEM key).
std::pair<std::string, std::string> MakeCertificate() {
  return test_util::SelfSignedCertificate("localhost",
                                          {{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"}});
}

// An HTTP (or HTTPS) server on 127.0.0.1:0, on the test's loop, scripted per request. Counts
// the connections it accepted and remembers the requests' heads.
class FakeServer {
 public:
  FakeServer(EventLoop& loop, Script script, bool tls = false)
      : loop_(loop),
        script_(std::move(script)),
        acceptor_(loop.context(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    if (tls) {
      auto [cert, key] = MakeCertificate();
      tls_.emplace(asio::ssl::context::tls_server);
      tls_->use_certificate_chain(asio::buffer(cert));
      tls_->use_private_key(asio::buffer(key), asio::ssl::context::pem);
    }
    Accept();
  }
  ~FakeServer() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (auto& close : closers_) close();
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int accepted() const { return accepted_; }
  const std::vector<std::string>& heads() const { return heads_; }

 private:
  template <class Stream>
  struct Session : std::enable_shared_from_this<Session<Stream>> {
    template <class... Args>
    explicit Session(FakeServer* s, int c, Args&&... args)
        : server(s), connection(c), stream(std::forward<Args>(args)...) {}

    tcp::socket& socket() {
      if constexpr (std::is_same_v<Stream, tcp::socket>) {
        return stream;
      } else {
        return stream.next_layer();
      }
    }
    void Close() {
      boost::system::error_code ignored;
      socket().close(ignored);
    }
    void Read() {
      stream.async_read_some(asio::buffer(buf), [self = this->shared_from_this()](
                                                    const boost::system::error_code& ec, size_t n) {
        if (ec) return;
        self->in.append(self->buf, n);
        self->Process();
      });
    }
    void Process() {
      size_t end = in.find("\r\n\r\n");
      if (end == std::string::npos) {
        Read();
        return;
      }
      server->heads_.push_back(in.substr(0, end));
      in.erase(0, end + 4);
      Reply reply = server->script_(connection, requests++);
      if (reply.hang) {
        Read();
        return;
      }
      if (reply.bytes.empty()) {
        if (reply.close_after) Close();
        return;
      }
      auto data = std::make_shared<std::string>(std::move(reply.bytes));
      asio::async_write(stream, asio::buffer(*data),
                        [self = this->shared_from_this(), data, close = reply.close_after](
                            const boost::system::error_code& ec, size_t) {
                          if (ec) return;
                          if (close) {
                            self->Close();
                          } else {
                            self->Process();
                          }
                        });
    }

    FakeServer* server;
    int connection;
    int requests = 0;
    Stream stream;
    char buf[4096];
    std::string in;
  };

  void Accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
      if (ec) return;
      int connection = accepted_++;
      if (tls_) {
        auto session = std::make_shared<Session<asio::ssl::stream<tcp::socket>>>(
            this, connection, std::move(socket), *tls_);
        closers_.push_back([session] { session->Close(); });
        session->stream.async_handshake(asio::ssl::stream_base::server,
                                        [session](const boost::system::error_code& ec) {
                                          if (!ec) session->Read();
                                        });
      } else {
        auto session = std::make_shared<Session<tcp::socket>>(this, connection, std::move(socket));
        closers_.push_back([session] { session->Close(); });
        session->Read();
      }
      Accept();
    });
  }

  EventLoop& loop_;
  Script script_;
  std::optional<asio::ssl::context> tls_;
  tcp::acceptor acceptor_;
  int accepted_ = 0;
  std::vector<std::string> heads_;
  std::vector<std::function<void()>> closers_;
};

Script Always(int status) {
  return [status](int, int) {
    return Reply{.bytes = Response(status), .hang = false, .close_after = false};
  };
}

// The whitespace-separated integers in `path` (empty if it does not exist yet).
std::vector<pid_t> ReadPids(const std::string& path) {
  std::ifstream in(path);
  std::vector<pid_t> pids;
  pid_t pid;
  while (in >> pid) pids.push_back(pid);
  return pids;
}

// True when `pid` no longer exists or is a zombie (killed, waiting for its parent, which for
// an orphan is init).
bool Dead(pid_t pid) {
  std::ifstream stat(StrCat("/proc/", pid, "/stat"));
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

class TempFile {
 public:
  TempFile() {
    std::string pattern = StrCat(::testing::TempDir(), "/atoll-probe-XXXXXX");
    int fd = ::mkstemp(pattern.data());
    EXPECT_GE(fd, 0);
    ::close(fd);
    path_ = pattern;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// ---- TCP --------------------------------------------------------------------------------

TEST(ProberTcp, ConnectsToAListeningPort) {
  EventLoop loop;
  tcp::acceptor acceptor(loop.context(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  uint16_t port = acceptor.local_endpoint().port();
  Prober prober(loop);
  for (std::string host : {"127.0.0.1", "localhost"}) {
    ProbeResult r = Await(loop, [&](Prober::Done done) {
      prober.Tcp(host, port, Duration::Seconds(5), std::move(done));
      EXPECT_EQ(prober.in_flight(), 1u);
    });
    EXPECT_TRUE(r.ok) << host << ": " << r.cause;
    EXPECT_TRUE(r.cause.empty());
    EXPECT_FALSE(r.timed_out);
  }
  EXPECT_EQ(prober.in_flight(), 0u);
}

TEST(ProberTcp, AClosedPortIsRefused) {
  EventLoop loop;
  uint16_t port = ClosedPort(loop);
  Prober prober(loop);
  ProbeResult r = Await(loop, [&](Prober::Done done) {
    prober.Tcp("127.0.0.1", port, Duration::Seconds(5), std::move(done));
  });
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.cause, "connection refused");
}

TEST(ProberTcp, ANameIsRefusedWithoutResolving) {
  EventLoop loop;
  Prober prober(loop);
  ProbeResult r = Await(loop, [&](Prober::Done done) {
    prober.Tcp("example.com", 80, Duration::Seconds(5), std::move(done));
  });
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.cause.find("invalid host 'example.com'"), std::string::npos) << r.cause;
}

// ---- HTTP -------------------------------------------------------------------------------

TEST(ProberHttp, ReportsAnyStatusAsOk) {
  EventLoop loop;
  for (int status : {200, 503}) {
    FakeServer server(loop, Always(status));
    Prober prober(loop);
    ProbeResult r = Await(loop, [&](Prober::Done done) {
      prober.Http(false, "127.0.0.1", server.port(), "/health?x=1", Duration::Seconds(5),
                  std::move(done));
    });
    EXPECT_TRUE(r.ok) << r.cause;
    EXPECT_EQ(r.status_code, status);
    EXPECT_TRUE(r.cause.empty()) << r.cause;
    ASSERT_EQ(server.heads().size(), 1u);
    EXPECT_TRUE(server.heads()[0].starts_with("GET /health?x=1 HTTP/1.1\r\n")) << server.heads()[0];
    EXPECT_NE(server.heads()[0].find(StrCat("\r\nHost: 127.0.0.1:", server.port())),
              std::string::npos)
        << server.heads()[0];
  }
}

TEST(ProberHttp, AServerThatNeverAnswersTimesOut) {
  EventLoop loop;
  FakeServer server(
      loop, [](int, int) { return Reply{.bytes = "", .hang = true, .close_after = false}; });
  Prober prober(loop);
  ProbeResult r = Await(loop, [&](Prober::Done done) {
    prober.Http(false, "127.0.0.1", server.port(), "/", Duration::Milliseconds(200),
                std::move(done));
  });
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.status_code, 0);
  EXPECT_EQ(r.cause, "timed out after 200ms");
  EXPECT_EQ(prober.idle_connections(), 0u);
}

TEST(ProberHttp, ARefusedConnectionIsNotOk) {
  EventLoop loop;
  uint16_t port = ClosedPort(loop);
  Prober prober(loop);
  ProbeResult r = Await(loop, [&](Prober::Done done) {
    prober.Http(false, "127.0.0.1", port, "/", Duration::Seconds(5), std::move(done));
  });
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.cause, "connection refused");
}

TEST(ProberHttp, SequentialProbesReuseOneConnection) {
  EventLoop loop;
  FakeServer server(loop, Always(200));
  Prober prober(loop);
  for (int i = 0; i < 3; ++i) {
    ProbeResult r = Await(loop, [&](Prober::Done done) {
      prober.Http(false, "localhost", server.port(), "health", Duration::Seconds(5),
                  std::move(done));
    });
    EXPECT_TRUE(r.ok) << r.cause;
    EXPECT_EQ(r.status_code, 200);
    EXPECT_EQ(prober.idle_connections(), 1u);
  }
  EXPECT_EQ(server.accepted(), 1);
  ASSERT_EQ(server.heads().size(), 3u);
  EXPECT_TRUE(server.heads()[2].starts_with("GET /health HTTP/1.1\r\n")) << server.heads()[2];
}

TEST(ProberHttp, ConnectionCloseIsNotKept) {
  EventLoop loop;
  FakeServer server(loop, [](int, int) {
    return Reply{.bytes = Response(200, "ok", /*close=*/true), .hang = false, .close_after = true};
  });
  Prober prober(loop);
  for (int i = 0; i < 2; ++i) {
    ProbeResult r = Await(loop, [&](Prober::Done done) {
      prober.Http(false, "127.0.0.1", server.port(), "/", Duration::Seconds(5), std::move(done));
    });
    EXPECT_TRUE(r.ok) << r.cause;
    EXPECT_EQ(prober.idle_connections(), 0u);
  }
  EXPECT_EQ(server.accepted(), 2);
}

TEST(ProberHttp, AKeptConnectionTheServerClosedIsReplaced) {
  EventLoop loop;
  // Keep-alive answers, but the server closes each connection right after answering.
  FakeServer server(loop, [](int, int) {
    return Reply{.bytes = Response(200), .hang = false, .close_after = true};
  });
  Prober prober(loop);
  for (int i = 0; i < 2; ++i) {
    ProbeResult r = Await(loop, [&](Prober::Done done) {
      prober.Http(false, "127.0.0.1", server.port(), "/", Duration::Seconds(5), std::move(done));
    });
    EXPECT_TRUE(r.ok) << r.cause;
    EXPECT_EQ(r.status_code, 200);
  }
  EXPECT_EQ(server.accepted(), 2);
}

TEST(ProberHttp, AReusedConnectionThatFailsBeforeTheResponseIsRetriedOnce) {
  EventLoop loop;
  // The first connection answers one request, then takes the second and closes unanswered:
  // the prober only learns it is dead after sending on it.
  FakeServer server(loop, [](int connection, int request) {
    if (connection == 0 && request == 1) {
      return Reply{.bytes = "", .hang = false, .close_after = true};
    }
    return Reply{.bytes = Response(204, ""), .hang = false, .close_after = false};
  });
  Prober prober(loop);
  for (int i = 0; i < 2; ++i) {
    ProbeResult r = Await(loop, [&](Prober::Done done) {
      prober.Http(false, "127.0.0.1", server.port(), "/", Duration::Seconds(5), std::move(done));
    });
    EXPECT_TRUE(r.ok) << r.cause;
    EXPECT_EQ(r.status_code, 204);
  }
  EXPECT_EQ(server.accepted(), 2);
  EXPECT_EQ(server.heads().size(), 3u);
}

TEST(ProberHttp, AFreshConnectionThatFailsIsNotRetried) {
  EventLoop loop;
  FakeServer server(
      loop, [](int, int) { return Reply{.bytes = "", .hang = false, .close_after = true}; });
  Prober prober(loop);
  ProbeResult r = Await(loop, [&](Prober::Done done) {
    prober.Http(false, "127.0.0.1", server.port(), "/", Duration::Seconds(5), std::move(done));
  });
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.cause, "read the response: connection closed by the server");
  EXPECT_EQ(server.accepted(), 1);
}

TEST(ProberHttp, ALongBodyIsCutOffAndTheConnectionDropped) {
  EventLoop loop;
  std::string body(200 << 10, 'x');
  FakeServer server(loop, [&](int, int) {
    return Reply{.bytes = Response(200, body), .hang = false, .close_after = false};
  });
  Prober prober(loop);
  ProbeResult r = Await(loop, [&](Prober::Done done) {
    prober.Http(false, "127.0.0.1", server.port(), "/", Duration::Seconds(5), std::move(done));
  });
  EXPECT_TRUE(r.ok) << r.cause;
  EXPECT_EQ(r.status_code, 200);
  EXPECT_EQ(prober.idle_connections(), 0u);
}

TEST(ProberHttp, KeepsTheContentTypeAndTheStartOfTheBodyWhenAsked) {
  EventLoop loop;
  // Two probes at once on two connections, so their bodies are read side by side.
  const std::string long_body = std::string(20000, 'a') + std::string(20000, 'b');
  FakeServer server(loop, [&](int connection, int) {
    std::string body = connection == 0 ? long_body : "warming up: 40%";
    return Reply{.bytes = StrCat("HTTP/1.1 503 X\r\nContent-Type: text/plain\r\n"
                                 "Content-Length: ",
                                 body.size(), "\r\n\r\n", body),
                 .hang = false,
                 .close_after = false};
  });
  Prober prober(loop);
  std::vector<ProbeResult> results;
  for (int i = 0; i < 2; ++i) {
    prober.Http(false, "127.0.0.1", server.port(), "/ready", Duration::Seconds(5), 30000,
                [&](ProbeResult r) { results.push_back(std::move(r)); });
  }
  RunUntil(loop, [&] { return results.size() == 2; });
  ASSERT_EQ(results.size(), 2u);
  for (const ProbeResult& r : results) {
    EXPECT_TRUE(r.ok) << r.cause;
    EXPECT_EQ(r.status_code, 503);
    EXPECT_EQ(r.content_type, "text/plain");
    if (r.body.size() > 100) {
      EXPECT_EQ(r.body, long_body.substr(0, 30000)) << "cut at what was asked";
    } else {
      EXPECT_EQ(r.body, "warming up: 40%");
    }
  }
  // Without asking, nothing is kept.
  ProbeResult plain = Await(loop, [&](Prober::Done done) {
    prober.Http(false, "127.0.0.1", server.port(), "/", Duration::Seconds(5), std::move(done));
  });
  EXPECT_TRUE(plain.ok) << plain.cause;
  EXPECT_TRUE(plain.content_type.empty());
  EXPECT_TRUE(plain.body.empty());
}

TEST(ProberHttp, GarbageIsAMalformedResponse) {
  EventLoop loop;
  FakeServer server(loop, [](int, int) {
    return Reply{.bytes = "SSH-2.0-OpenSSH\r\n\r\n", .hang = false, .close_after = false};
  });
  Prober prober(loop);
  ProbeResult r = Await(loop, [&](Prober::Done done) {
    prober.Http(false, "127.0.0.1", server.port(), "/", Duration::Seconds(5), std::move(done));
  });
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.cause.starts_with("malformed response")) << r.cause;
}

TEST(ProberHttp, HttpsAgainstASelfSignedServerAndReuse) {
  EventLoop loop;
  FakeServer server(loop, Always(200), /*tls=*/true);
  Prober prober(loop);
  for (std::string host : {"127.0.0.1", "127.0.0.1", "localhost"}) {
    ProbeResult r = Await(loop, [&](Prober::Done done) {
      prober.Http(true, host, server.port(), "/tls", Duration::Seconds(5), std::move(done));
    });
    EXPECT_TRUE(r.ok) << host << ": " << r.cause;
    EXPECT_EQ(r.status_code, 200);
  }
  // 127.0.0.1 twice on one connection; localhost is another (tls, host, port).
  EXPECT_EQ(server.accepted(), 2);
  EXPECT_EQ(server.heads().size(), 3u);
  EXPECT_EQ(prober.idle_connections(), 2u);
}

TEST(ProberHttp, PlainHttpToATlsServerFails) {
  EventLoop loop;
  FakeServer server(loop, Always(200), /*tls=*/true);
  Prober prober(loop);
  ProbeResult r = Await(loop, [&](Prober::Done done) {
    prober.Http(false, "127.0.0.1", server.port(), "/", Duration::Milliseconds(300),
                std::move(done));
  });
  // The server waits for a ClientHello that never comes (or rejects the request as one).
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.cause.empty());
}

// ---- Command ----------------------------------------------------------------------------

TEST(ProberCommand, ExitZeroIsOk) {
  EventLoop loop;
  Prober prober(loop);
  ProbeResult r = Await(loop, [&](Prober::Done done) {
    prober.Command("test \"$GREETING\" = hello", {"GREETING=hello"}, Duration::Seconds(10),
                   std::move(done));
  });
  EXPECT_TRUE(r.ok) << r.cause;
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(r.cause.empty());
}

TEST(ProberCommand, ANonZeroExitIsNotOk) {
  EventLoop loop;
  Prober prober(loop);
  ProbeResult r = Await(loop, [&](Prober::Done done) {
    prober.Command("echo noise; echo more >&2; exit 3", kEnv, Duration::Seconds(10),
                   std::move(done));
  });
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.cause, "exited with status 3");
}

TEST(ProberCommand, ATimeoutKillsTheWholeProcessGroup) {
  EventLoop loop;
  TempFile pids_file;
  Prober prober(loop);
  // The shell and a background child in its group; both must die.
  std::string command = StrCat("sleep 30 & echo $$ $! > ", pids_file.path(), "; wait");
  ProbeResult r = Await(loop, [&](Prober::Done done) {
    prober.Command(command, kEnv, Duration::Seconds(1), std::move(done));
  });
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_EQ(r.cause, "timed out after 1s");
  std::vector<pid_t> pids = ReadPids(pids_file.path());
  ASSERT_EQ(pids.size(), 2u) << "the command did not start in time";
  // The shell was reaped before the result came.
  EXPECT_EQ(::kill(pids[0], 0), -1);
  EXPECT_EQ(errno, ESRCH);
  // Its child got the group's SIGKILL too (an orphan now, reaped by init).
  EXPECT_TRUE(RunUntil(loop, [&] { return Dead(pids[1]); })) << "pid " << pids[1];
}

TEST(ProberCommand, AMissingShellCommandIsExit127) {
  EventLoop loop;
  Prober prober(loop);
  ProbeResult r = Await(loop, [&](Prober::Done done) {
    prober.Command("/nonexistent/check", kEnv, Duration::Seconds(10), std::move(done));
  });
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.exit_code, 127);
}

// ---- Lifetime ---------------------------------------------------------------------------

TEST(Prober, DestructionDropsCallbacksAndKillsCommands) {
  EventLoop loop;
  TempFile pid_file;
  FakeServer server(
      loop, [](int, int) { return Reply{.bytes = "", .hang = true, .close_after = false}; });
  int called = 0;
  pid_t pid = 0;
  {
    Prober prober(loop);
    auto count = [&](ProbeResult) { ++called; };
    prober.Command(StrCat("echo $$ > ", pid_file.path(), "; exec sleep 30"), kEnv,
                   Duration::Seconds(30), count);
    prober.Http(false, "127.0.0.1", server.port(), "/", Duration::Seconds(30), count);
    prober.Http(true, "127.0.0.1", server.port(), "/", Duration::Seconds(30), count);
    prober.Tcp("127.0.0.1", server.port(), Duration::Seconds(30), count);
    prober.Tcp("not-an-address", 1, Duration::Seconds(30), count);  // Result already posted.
    EXPECT_EQ(prober.in_flight(), 5u);
    // Until the command runs and the plain HTTP request reached the server.
    ASSERT_TRUE(RunUntil(loop, [&] {
      return ReadPids(pid_file.path()).size() == 1 && !server.heads().empty() && called == 2;
    }));
    pid = ReadPids(pid_file.path())[0];
    EXPECT_EQ(called, 2);  // The TCP probes (connected and invalid) finished.
    EXPECT_EQ(prober.in_flight(), 3u);
  }
  called = 0;
  // The command was killed and reaped: no process, no zombie child of ours.
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
  // Whatever was queued runs now and calls nothing.
  loop.Post([&] { loop.Stop(); });
  RunUntilStopped(loop);
  EXPECT_EQ(called, 0);
}

TEST(Prober, DestructionBeforeAPostedResultDropsIt) {
  EventLoop loop;
  int called = 0;
  {
    Prober prober(loop);
    prober.Http(false, "bad host", 80, "/", Duration::Seconds(1), [&](ProbeResult) { ++called; });
    prober.Command("exit 0", kEnv, Duration::Seconds(10), [&](ProbeResult) { ++called; });
  }
  loop.Post([&] { loop.Stop(); });
  RunUntilStopped(loop);
  EXPECT_EQ(called, 0);
}

TEST(Prober, TheCallbackMayDestroyTheProber) {
  EventLoop loop;
  FakeServer server(loop, Always(200));
  auto prober = std::make_unique<Prober>(loop);
  bool second_called = false;
  std::optional<ProbeResult> got;
  prober->Http(false, "127.0.0.1", server.port(), "/", Duration::Seconds(5), [&](ProbeResult r) {
    got = std::move(r);
    prober.reset();
    loop.Post([&] { loop.Stop(); });
  });
  prober->Command("exec sleep 30", kEnv, Duration::Seconds(30),
                  [&](ProbeResult) { second_called = true; });
  RunUntilStopped(loop);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->ok) << got->cause;
  EXPECT_FALSE(second_called);
}

TEST(Prober, ManyProbesAtOnce) {
  EventLoop loop;
  FakeServer server(loop, Always(200));
  uint16_t closed = ClosedPort(loop);
  Prober prober(loop);
  constexpr int kProbes = 200;
  int ok = 0;
  int refused = 0;
  int remaining = 2 * kProbes;
  for (int i = 0; i < kProbes; ++i) {
    prober.Http(false, "127.0.0.1", server.port(), "/", Duration::Seconds(10), [&](ProbeResult r) {
      ok += r.ok && r.status_code == 200;
      if (--remaining == 0) loop.Stop();
    });
    prober.Tcp("127.0.0.1", closed, Duration::Seconds(10), [&](const ProbeResult& r) {
      refused += !r.ok && r.cause.find("refused") != std::string::npos;
      if (--remaining == 0) loop.Stop();
    });
  }
  EXPECT_EQ(prober.in_flight(), 2u * kProbes);
  RunUntilStopped(loop, Duration::Seconds(20));
  EXPECT_EQ(ok, kProbes);
  EXPECT_EQ(refused, kProbes);
  EXPECT_EQ(prober.in_flight(), 0u);
  EXPECT_EQ(prober.idle_connections(), 1u);  // One kept per (tls, host, port).
}

}  // namespace
}  // namespace atl::io
