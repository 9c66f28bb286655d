// HttpClient failure modes and connection reuse against real loopback servers.
#include "core/io/http_client.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/io/http_server.h"
#include "tests/io/io_test_util.h"

namespace atl::io {
namespace {

using testing::RunUntilStopped;

ClientRequest Get(uint16_t port, std::string target) {
  ClientRequest request;
  request.port = port;
  request.target = std::move(target);
  request.timeout = Duration::Seconds(5);
  return request;
}

// A port nothing listens on: bound by a server that is then destroyed.
uint16_t ClosedPort(EventLoop& loop) {
  HttpServer server(loop, {}, [](const HttpRequest&, auto) {});
  EXPECT_TRUE(server.Start().ok());
  return server.port();
}

TEST(HttpClient, ASlowServerIsDeadlineExceeded) {
  EventLoop loop;
  std::vector<std::shared_ptr<HttpResponder>> parked;
  HttpServer server(loop, {}, [&](const HttpRequest&, std::shared_ptr<HttpResponder> r) {
    parked.push_back(r);  // Answered only after the client gave up.
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client(loop);
  ClientRequest request = Get(server.port(), "/slow");
  request.timeout = Duration::Milliseconds(50);
  absl::StatusOr<HttpResponse> got;
  client.Request(request, [&](absl::StatusOr<HttpResponse> r) {
    got = std::move(r);
    loop.Stop();
  });
  RunUntilStopped(loop);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDeadlineExceeded) << got.status();
  EXPECT_NE(std::string(got.status().message()).find("/slow"), std::string::npos) << got.status();
  parked.clear();  // Their 500s go to a closed socket; nothing breaks.
  loop.Post([&] { loop.Stop(); });
  RunUntilStopped(loop);
}

TEST(HttpClient, ARefusedConnectionIsUnavailable) {
  EventLoop loop;
  uint16_t port = ClosedPort(loop);
  HttpClient client(loop);
  absl::StatusOr<HttpResponse> got;
  client.Request(Get(port, "/"), [&](absl::StatusOr<HttpResponse> r) {
    got = std::move(r);
    loop.Stop();
  });
  RunUntilStopped(loop);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable) << got.status();
}

TEST(HttpClient, ARefusedStreamIsUnavailable) {
  EventLoop loop;
  uint16_t port = ClosedPort(loop);
  HttpClient client(loop);
  bool headers_called = false;
  absl::Status closed;
  auto stream = client.OpenStream(
      Get(port, "/"), [&](int, const HttpHeaders&) { headers_called = true; },
      [](std::string_view) {},
      [&](absl::Status s) {
        closed = s;
        loop.Stop();
      });
  RunUntilStopped(loop);
  EXPECT_EQ(closed.code(), absl::StatusCode::kUnavailable) << closed;
  EXPECT_FALSE(headers_called);
}

TEST(HttpClient, AnInvalidRequestIsRejectedWithoutTouchingTheNetwork) {
  EventLoop loop;
  HttpClient client(loop);
  ClientRequest request = Get(1, "/has space");
  bool called_inline = true;
  absl::StatusOr<HttpResponse> got;
  client.Request(request, [&](absl::StatusOr<HttpResponse> r) {
    got = std::move(r);
    loop.Stop();
  });
  called_inline = false;
  RunUntilStopped(loop);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << got.status();
  EXPECT_FALSE(called_inline);
}

TEST(HttpClient, DoesNotReuseAConnectionTheServerClosed) {
  EventLoop loop;
  HttpServer::Options options;
  options.idle_timeout = Duration::Milliseconds(30);
  std::vector<std::string> peers;
  HttpServer server(loop, options, [&](const HttpRequest& request, auto responder) {
    peers.push_back(request.remote_address);
    responder->Respond(HttpResponse::Text(200, "ok"));
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client(loop);
  absl::StatusOr<HttpResponse> second;
  // Once the server has hung up on the idle connection, ask again.
  std::function<void()> when_server_closed = [&] {
    if (server.connection_count() != 0) {
      loop.RunAfter(Duration::Milliseconds(5), when_server_closed);
      return;
    }
    client.Request(Get(server.port(), "/"), [&](absl::StatusOr<HttpResponse> r) {
      second = std::move(r);
      loop.Stop();
    });
  };
  client.Request(Get(server.port(), "/"), [&](absl::StatusOr<HttpResponse> first) {
    ASSERT_TRUE(first.ok()) << first.status();
    EXPECT_EQ(client.idle_connections(), 1u);
    when_server_closed();
  });
  RunUntilStopped(loop);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->status, 200);
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_NE(peers[0], peers[1]);  // A fresh connection for the second request.
}

TEST(HttpClient, DestroyingTheClientDropsCallbacksOfRequestsInFlight) {
  EventLoop loop;
  std::vector<std::shared_ptr<HttpResponder>> parked;
  HttpServer server(loop, {}, [&](const HttpRequest&, std::shared_ptr<HttpResponder> r) {
    parked.push_back(r);
    loop.Post([&] { loop.Stop(); });
  });
  ASSERT_TRUE(server.Start().ok());
  bool called = false;
  {
    auto client = std::make_unique<HttpClient>(loop);
    client->Request(Get(server.port(), "/"), [&](absl::StatusOr<HttpResponse>) { called = true; });
    RunUntilStopped(loop);  // Until the server holds the request.
  }
  for (auto& r : parked) r->Respond(HttpResponse::Text(200, "too late"));
  loop.RunAfter(Duration::Milliseconds(20), [&] { loop.Stop(); });
  RunUntilStopped(loop);
  EXPECT_FALSE(called);
}

TEST(HttpClient, FetchBlockingTalksToALoopOnAnotherThread) {
  EventLoop loop;
  HttpServer server(loop, {}, [](const HttpRequest& request, auto responder) {
    responder->Respond(HttpResponse::Json(200, "{\"path\":\"" + request.path + "\"}"));
  });
  ASSERT_TRUE(server.Start().ok());
  uint16_t port = server.port();
  absl::StatusOr<HttpResponse> got;
  std::thread fetcher([&] {
    got = FetchBlocking(Get(port, "/state"));
    loop.Post([&] { loop.Stop(); });
  });
  RunUntilStopped(loop);
  fetcher.join();
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->body, "{\"path\":\"/state\"}");
  EXPECT_EQ(*got->Header("Content-Type"), "application/json");
}

TEST(HttpClient, FetchBlockingReportsRefusal) {
  EventLoop loop;
  uint16_t port = ClosedPort(loop);
  absl::StatusOr<HttpResponse> got = FetchBlocking(Get(port, "/"));
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable) << got.status();
}

TEST(HttpClient, LargeBodiesTravelBothWays) {
  EventLoop loop;
  HttpServer server(loop, {}, [](const HttpRequest& request, auto responder) {
    responder->Respond(HttpResponse::Text(200, request.body + request.body));
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client(loop);
  ClientRequest request = Get(server.port(), "/echo");
  request.method = "PUT";
  std::string body(3 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  request.body = body;
  absl::StatusOr<HttpResponse> got;
  client.Request(request, [&](absl::StatusOr<HttpResponse> r) {
    got = std::move(r);
    loop.Stop();
  });
  RunUntilStopped(loop);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->body == body + body);
}

TEST(HttpClient, AResponseOverTheLimitIsResourceExhausted) {
  EventLoop loop;
  HttpServer server(loop, {}, [](const HttpRequest&, auto responder) {
    responder->Respond(HttpResponse::Text(200, std::string(5000, 'b')));
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient::Options options;
  options.max_response_bytes = 1000;
  HttpClient client(loop, options);
  absl::StatusOr<HttpResponse> got;
  client.Request(Get(server.port(), "/"), [&](absl::StatusOr<HttpResponse> r) {
    got = std::move(r);
    loop.Stop();
  });
  RunUntilStopped(loop);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kResourceExhausted) << got.status();
}

}  // namespace
}  // namespace atl::io
