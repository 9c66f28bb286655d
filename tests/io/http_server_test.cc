// HttpServer over real loopback sockets, driven by HttpClient or a raw TCP peer.
#include "core/io/http_server.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/io/http_client.h"
#include "tests/io/io_test_util.h"

namespace atl::io {
namespace {

using testing::CountOf;
using testing::RawPeer;
using testing::RunUntilStopped;

ClientRequest Get(uint16_t port, std::string target) {
  ClientRequest request;
  request.port = port;
  request.target = std::move(target);
  request.timeout = Duration::Seconds(5);
  return request;
}

TEST(HttpServer, AnswersAGet) {
  EventLoop loop;
  HttpServer server(loop, {}, [](const HttpRequest& request, auto responder) {
    responder->Respond(HttpResponse::Text(200, "hello " + request.path));
  });
  ASSERT_TRUE(server.Start().ok());
  ASSERT_NE(server.port(), 0);
  HttpClient client(loop);
  absl::StatusOr<HttpResponse> got;
  client.Request(Get(server.port(), "/ping"), [&](absl::StatusOr<HttpResponse> r) {
    got = std::move(r);
    loop.Stop();
  });
  RunUntilStopped(loop);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->body, "hello /ping");
  ASSERT_NE(got->Header("content-type"), nullptr);
  EXPECT_EQ(*got->Header("CONTENT-TYPE"), "text/plain; charset=utf-8");
  EXPECT_EQ(*got->Header("Content-Length"), "11");
}

TEST(HttpServer, HandsTheHandlerDecodedPathQueryHeadersAndBody) {
  EventLoop loop;
  HttpRequest seen;
  HttpServer server(loop, {}, [&](const HttpRequest& request, auto responder) {
    seen = request;
    responder->Respond(HttpResponse::Json(201, "{}"));
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client(loop);
  ClientRequest request = Get(server.port(), "/v2/apps/%2Fweb?embed=a.b&embed=c&q=x+y%21&flag");
  request.method = "POST";
  request.headers = {{"X-Custom", "Value"}, {"Content-Type", "application/json"}};
  request.body = R"({"id":"/web"})";
  int status = 0;
  client.Request(request, [&](absl::StatusOr<HttpResponse> r) {
    ASSERT_TRUE(r.ok()) << r.status();
    status = r->status;
    loop.Stop();
  });
  RunUntilStopped(loop);
  EXPECT_EQ(status, 201);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/v2/apps/%2Fweb?embed=a.b&embed=c&q=x+y%21&flag");
  EXPECT_EQ(seen.path, "/v2/apps//web");
  EXPECT_EQ(seen.query.at("embed"), "a.b");  // First value wins in the map...
  ASSERT_EQ(seen.query_params.size(), 4u);   // ...all of them are kept in order.
  EXPECT_EQ(seen.query_params[1], (std::pair<std::string, std::string>{"embed", "c"}));
  EXPECT_EQ(*seen.Query("q"), "x y!");
  EXPECT_EQ(*seen.Query("flag"), "");
  EXPECT_EQ(seen.Query("missing"), nullptr);
  ASSERT_NE(seen.Header("x-custom"), nullptr);
  EXPECT_EQ(*seen.Header("x-custom"), "Value");
  EXPECT_EQ(seen.body, R"({"id":"/web"})");
  EXPECT_EQ(seen.version, 11);
  EXPECT_TRUE(seen.remote_address.rfind("127.0.0.1:", 0) == 0) << seen.remote_address;
}

TEST(HttpServer, KeepsTheConnectionAliveBetweenRequests) {
  EventLoop loop;
  std::vector<std::string> peers;
  HttpServer server(loop, {}, [&](const HttpRequest& request, auto responder) {
    peers.push_back(request.remote_address);
    responder->Respond(HttpResponse::Text(200, "ok"));
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client(loop);
  client.Request(Get(server.port(), "/one"), [&](absl::StatusOr<HttpResponse> first) {
    ASSERT_TRUE(first.ok()) << first.status();
    EXPECT_EQ(client.idle_connections(), 1u);
    client.Request(Get(server.port(), "/two"), [&](absl::StatusOr<HttpResponse> second) {
      ASSERT_TRUE(second.ok()) << second.status();
      loop.Stop();
    });
  });
  RunUntilStopped(loop);
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_EQ(peers[0], peers[1]);  // Same client port: the same TCP connection.
  EXPECT_EQ(server.connection_count(), 1u);
}

TEST(HttpServer, AnswersPipelinedRequestsInOrder) {
  EventLoop loop;
  HttpServer server(loop, {}, [&](const HttpRequest& request, auto responder) {
    if (request.path == "/slow") {
      // Answered last in time, yet its response must still come first on the wire.
      loop.RunAfter(Duration::Milliseconds(30),
                    [responder] { responder->Respond(HttpResponse::Text(200, "body-slow")); });
    } else {
      responder->Respond(HttpResponse::Text(200, "body" + request.path));
    }
  });
  ASSERT_TRUE(server.Start().ok());
  std::shared_ptr<RawPeer> peer;
  peer = RawPeer::Connect(loop, server.port(), [&] {
    peer->Send(
        "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    peer->ReadUntilClosed([&] { loop.Stop(); });
  });
  RunUntilStopped(loop);
  const std::string& wire = peer->received();
  EXPECT_EQ(CountOf(wire, "HTTP/1.1 200 OK\r\n"), 3) << wire;
  size_t slow = wire.find("body-slow");
  size_t fast = wire.find("body/fast");
  size_t last = wire.find("body/last");
  ASSERT_NE(slow, std::string::npos) << wire;
  ASSERT_NE(fast, std::string::npos) << wire;
  ASSERT_NE(last, std::string::npos) << wire;
  EXPECT_LT(slow, fast);
  EXPECT_LT(fast, last);
  EXPECT_NE(wire.find("Connection: close\r\n"), std::string::npos);
}

TEST(HttpServer, RejectsAnOversizedBodyWith413) {
  EventLoop loop;
  bool handler_called = false;
  HttpServer::Options options;
  options.max_body_bytes = 1024;
  HttpServer server(loop, options, [&](const HttpRequest&, auto responder) {
    handler_called = true;
    responder->Respond(HttpResponse::Text(200, "ok"));
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client(loop);
  ClientRequest request = Get(server.port(), "/upload");
  request.method = "POST";
  request.body = std::string(4096, 'x');
  absl::StatusOr<HttpResponse> got;
  client.Request(request, [&](absl::StatusOr<HttpResponse> r) {
    got = std::move(r);
    loop.Stop();
  });
  RunUntilStopped(loop);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->status, 413);
  EXPECT_FALSE(handler_called);
}

TEST(HttpServer, RejectsAnOversizedChunkedBodyWith413) {
  EventLoop loop;
  HttpServer::Options options;
  options.max_body_bytes = 16;
  HttpServer server(loop, options, [&](const HttpRequest&, auto responder) {
    responder->Respond(HttpResponse::Text(200, "ok"));
  });
  ASSERT_TRUE(server.Start().ok());
  std::shared_ptr<RawPeer> peer;
  peer = RawPeer::Connect(loop, server.port(), [&] {
    peer->Send(
        "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n");
    peer->ReadUntilClosed([&] { loop.Stop(); });
  });
  RunUntilStopped(loop);
  EXPECT_EQ(peer->received().rfind("HTTP/1.1 413 Payload Too Large\r\n", 0), 0u)
      << peer->received();
}

TEST(HttpServer, RejectsGarbageWith400AndCloses) {
  EventLoop loop;
  bool handler_called = false;
  HttpServer server(loop, {}, [&](const HttpRequest&, auto responder) {
    handler_called = true;
    responder->Respond(HttpResponse::Text(200, "ok"));
  });
  ASSERT_TRUE(server.Start().ok());
  std::shared_ptr<RawPeer> peer;
  peer = RawPeer::Connect(loop, server.port(), [&] {
    peer->Send("\x16\x03\x01 this is not http\r\n\r\n");
    peer->ReadUntilClosed([&] { loop.Stop(); });
  });
  RunUntilStopped(loop);
  EXPECT_EQ(peer->received().rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << peer->received();
  EXPECT_NE(peer->received().find("Connection: close"), std::string::npos);
  EXPECT_FALSE(handler_called);
}

TEST(HttpServer, RejectsAnOversizedHeadWith431) {
  EventLoop loop;
  HttpServer::Options options;
  options.max_header_bytes = 1024;
  HttpServer server(loop, options, [&](const HttpRequest&, auto responder) {
    responder->Respond(HttpResponse::Text(200, "ok"));
  });
  ASSERT_TRUE(server.Start().ok());
  std::shared_ptr<RawPeer> peer;
  peer = RawPeer::Connect(loop, server.port(), [&] {
    peer->Send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n");
    peer->ReadUntilClosed([&] { loop.Stop(); });
  });
  RunUntilStopped(loop);
  EXPECT_EQ(peer->received().rfind("HTTP/1.1 431 ", 0), 0u) << peer->received();
}

TEST(HttpServer, AnswersAsynchronouslyFromALoopTimer) {
  EventLoop loop;
  HttpServer server(loop, {}, [&](const HttpRequest&, std::shared_ptr<HttpResponder> responder) {
    loop.RunAfter(Duration::Milliseconds(20),
                  [responder] { responder->Respond(HttpResponse::Text(202, "later")); });
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client(loop);
  absl::StatusOr<HttpResponse> got;
  client.Request(Get(server.port(), "/"), [&](absl::StatusOr<HttpResponse> r) {
    got = std::move(r);
    loop.Stop();
  });
  RunUntilStopped(loop);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->status, 202);
  EXPECT_EQ(got->body, "later");
}

TEST(HttpServer, ADroppedResponderAnswers500) {
  EventLoop loop;
  HttpServer server(loop, {}, [](const HttpRequest&, auto) {});
  ASSERT_TRUE(server.Start().ok());
  HttpClient client(loop);
  absl::StatusOr<HttpResponse> got;
  client.Request(Get(server.port(), "/"), [&](absl::StatusOr<HttpResponse> r) {
    got = std::move(r);
    loop.Stop();
  });
  RunUntilStopped(loop);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->status, 500);
}

TEST(HttpServer, OnlyTheFirstAnswerCounts) {
  EventLoop loop;
  HttpServer server(loop, {}, [](const HttpRequest&, auto responder) {
    responder->Respond(HttpResponse::Text(200, "first"));
    responder->Respond(HttpResponse::Text(500, "second"));
    EXPECT_FALSE(responder->StartStream(200, {})->open());
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client(loop);
  absl::StatusOr<HttpResponse> got;
  client.Request(Get(server.port(), "/"), [&](absl::StatusOr<HttpResponse> r) {
    got = std::move(r);
    loop.Stop();
  });
  RunUntilStopped(loop);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->body, "first");
}

TEST(HttpServer, HeadGetsHeadersWithoutBody) {
  EventLoop loop;
  HttpServer server(loop, {}, [](const HttpRequest&, auto responder) {
    responder->Respond(HttpResponse::Text(200, "twelve bytes"));
  });
  ASSERT_TRUE(server.Start().ok());
  std::shared_ptr<RawPeer> peer;
  peer = RawPeer::Connect(loop, server.port(), [&] {
    peer->Send("HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    peer->ReadUntilClosed([&] { loop.Stop(); });
  });
  RunUntilStopped(loop);
  const std::string& wire = peer->received();
  EXPECT_NE(wire.find("Content-Length: 12\r\n"), std::string::npos) << wire;
  EXPECT_EQ(wire.substr(wire.size() - 4), "\r\n\r\n") << wire;  // Nothing after the head.
}

TEST(HttpServer, SendsContinueWhenAsked) {
  EventLoop loop;
  std::string body_seen;
  HttpServer server(loop, {}, [&](const HttpRequest& request, auto responder) {
    body_seen = request.body;
    responder->Respond(HttpResponse::Text(200, "got it"));
  });
  ASSERT_TRUE(server.Start().ok());
  std::shared_ptr<RawPeer> peer;
  peer = RawPeer::Connect(loop, server.port(), [&] {
    peer->Send(
        "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"
        "Connection: close\r\n\r\n");
    peer->ReadUntil("HTTP/1.1 100 Continue\r\n\r\n", [&] {
      peer->Send("hello");
      peer->ReadUntilClosed([&] { loop.Stop(); });
    });
  });
  RunUntilStopped(loop);
  EXPECT_EQ(body_seen, "hello");
  EXPECT_NE(peer->received().find("HTTP/1.1 200 OK\r\n"), std::string::npos) << peer->received();
}

TEST(HttpServer, SpeaksHttp10AndClosesUnlessAskedToKeepAlive) {
  EventLoop loop;
  HttpServer server(loop, {}, [](const HttpRequest& request, auto responder) {
    responder->Respond(HttpResponse::Text(200, request.version == 10 ? "old" : "new"));
  });
  ASSERT_TRUE(server.Start().ok());
  std::shared_ptr<RawPeer> peer;
  peer = RawPeer::Connect(loop, server.port(), [&] {
    peer->Send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    peer->ReadUntil("old", [&] {
      EXPECT_NE(peer->received().find("Connection: keep-alive\r\n"), std::string::npos);
      peer->Send("GET / HTTP/1.0\r\n\r\n");
      peer->ReadUntilClosed([&] { loop.Stop(); });
    });
  });
  RunUntilStopped(loop);
  EXPECT_EQ(CountOf(peer->received(), "old"), 2) << peer->received();
}

TEST(HttpServer, ClosesIdleConnectionsAfterTheIdleTimeout) {
  EventLoop loop;
  HttpServer::Options options;
  options.idle_timeout = Duration::Milliseconds(50);
  HttpServer server(loop, options, [](const HttpRequest&, auto responder) {
    responder->Respond(HttpResponse::Text(200, "ok"));
  });
  ASSERT_TRUE(server.Start().ok());
  std::shared_ptr<RawPeer> peer;
  peer = RawPeer::Connect(loop, server.port(), [&] {
    peer->ReadUntilClosed([&] { loop.Stop(); });  // Say nothing; wait to be hung up on.
  });
  RunUntilStopped(loop, Duration::Seconds(5));
  EXPECT_EQ(peer->received(), "");
  EXPECT_EQ(server.connection_count(), 0u);
}

TEST(HttpServer, ASlowConnectionDoesNotStallOthers) {
  EventLoop loop;
  HttpServer server(loop, {}, [](const HttpRequest&, auto responder) {
    responder->Respond(HttpResponse::Text(200, "ok"));
  });
  ASSERT_TRUE(server.Start().ok());
  std::shared_ptr<RawPeer> slow;
  slow = RawPeer::Connect(loop, server.port(), [&] {
    slow->Send("GET / HTTP/1.1\r\nHost: x\r\nX-Half-Sent: ");  // ...and never finishes.
  });
  HttpClient client(loop);
  int answered = 0;
  for (int i = 0; i < 5; ++i) {
    client.Request(Get(server.port(), "/"), [&](absl::StatusOr<HttpResponse> r) {
      EXPECT_TRUE(r.ok()) << r.status();
      if (++answered == 5) loop.Stop();
    });
  }
  RunUntilStopped(loop);
  EXPECT_EQ(answered, 5);
}

TEST(HttpServer, ReportsAPortInUse) {
  EventLoop loop;
  auto handler = [](const HttpRequest&, auto responder) {
    responder->Respond(HttpResponse::Text(200, "ok"));
  };
  HttpServer first(loop, {}, handler);
  ASSERT_TRUE(first.Start().ok());
  HttpServer::Options options;
  options.port = first.port();
  HttpServer second(loop, options, handler);
  absl::Status status = second.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_NE(std::string(status.message()).find(std::to_string(first.port())), std::string::npos)
      << status;
  EXPECT_EQ(second.port(), 0);
}

TEST(HttpServer, ReportsAnAddressItCannotBind) {
  EventLoop loop;
  HttpServer::Options options;
  options.address = "192.0.2.1";  // TEST-NET-1: not an address of this machine.
  HttpServer server(loop, options, [](const HttpRequest&, auto) {});
  absl::Status status = server.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
}

TEST(HttpServer, StopFinishesTheRequestInFlightAndRefusesNewOnes) {
  EventLoop loop;
  HttpServer* server_ptr = nullptr;
  HttpServer server(loop, {}, [&](const HttpRequest&, std::shared_ptr<HttpResponder> r) {
    // Stop while this request is being handled, then answer it.
    loop.Post([&, r] {
      server_ptr->Stop();
      r->Respond(HttpResponse::Text(200, "last"));
    });
  });
  server_ptr = &server;
  ASSERT_TRUE(server.Start().ok());
  uint16_t port = server.port();
  HttpClient client(loop);
  absl::StatusOr<HttpResponse> in_flight;
  client.Request(Get(port, "/"), [&](absl::StatusOr<HttpResponse> r) {
    in_flight = std::move(r);
    client.Request(Get(port, "/"), [&](absl::StatusOr<HttpResponse> after) {
      EXPECT_EQ(after.status().code(), absl::StatusCode::kUnavailable) << after.status();
      loop.Stop();
    });
  });
  RunUntilStopped(loop);
  ASSERT_TRUE(in_flight.ok()) << in_flight.status();
  EXPECT_EQ(in_flight->body, "last");
  EXPECT_EQ(*in_flight->Header("Connection"), "close");
}

}  // namespace
}  // namespace atl::io
