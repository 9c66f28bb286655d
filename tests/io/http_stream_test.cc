// Chunked streams: HttpResponder::StartStream on the server, HttpClient::OpenStream reading.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/io/http_client.h"
#include "core/io/http_server.h"
#include "tests/io/io_test_util.h"

namespace atl::io {
namespace {

using testing::RawPeer;
using testing::RunUntilStopped;

ClientRequest StreamRequest(uint16_t port) {
  ClientRequest request;
  request.method = "POST";
  request.port = port;
  request.target = "/api/v1/scheduler";
  request.body = R"({"type":"SUBSCRIBE"})";
  request.timeout = Duration::Seconds(5);
  return request;
}

TEST(HttpStream, PiecesWrittenOverTimeArriveConcatenated) {
  EventLoop loop;
  // Pieces of varied size, one larger than the client's 64 KiB read buffer, written on
  // separate loop turns so they travel as separate chunks and separate TCP segments.
  std::vector<std::string> pieces = {"12\n{\"type\":", "\"SUBSCRIBED\"}", std::string(200000, 'r'),
                                     "x", "20\n{\"type\":\"HEARTBEAT\"}"};
  std::string expected;
  for (const auto& p : pieces) expected += p;
  bool server_saw_close = false;
  HttpServer server(loop, {}, [&](const HttpRequest&, std::shared_ptr<HttpResponder> r) {
    std::shared_ptr<HttpStream> stream =
        r->StartStream(200, {{"Content-Type", "application/recordio"}, {"Mesos-Stream-Id", "s1"}});
    stream->OnClose([&] { server_saw_close = true; });
    for (size_t i = 0; i < pieces.size(); ++i) {
      loop.RunAfter(Duration::Milliseconds(2 * static_cast<int64_t>(i)),
                    [stream, piece = pieces[i]] { EXPECT_TRUE(stream->Write(piece)); });
    }
    loop.RunAfter(Duration::Milliseconds(2 * static_cast<int64_t>(pieces.size())),
                  [stream] { stream->Close(); });
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client(loop);
  int status = 0;
  std::string stream_id;
  std::string received;
  int data_calls = 0;
  absl::Status closed = absl::UnknownError("not closed");
  auto stream = client.OpenStream(
      StreamRequest(server.port()),
      [&](int s, const HttpHeaders& headers) {
        status = s;
        if (const std::string* id = FindHeader(headers, "mesos-stream-id")) stream_id = *id;
      },
      [&](std::string_view bytes) {
        ++data_calls;
        received.append(bytes);
      },
      [&](absl::Status s) {
        closed = s;
        loop.Stop();
      });
  RunUntilStopped(loop);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(stream_id, "s1");
  EXPECT_TRUE(closed.ok()) << closed;
  EXPECT_EQ(received.size(), expected.size());
  EXPECT_TRUE(received == expected);
  EXPECT_GE(data_calls, 4);
  EXPECT_FALSE(stream->open());
  // The server's OnClose was posted when Close() ran; let it run.
  loop.Post([&] { loop.Stop(); });
  RunUntilStopped(loop);
  EXPECT_TRUE(server_saw_close);
}

TEST(HttpStream, TheWireFormatIsChunked) {
  EventLoop loop;
  HttpServer server(loop, {}, [&](const HttpRequest&, std::shared_ptr<HttpResponder> r) {
    auto stream = r->StartStream(200, {});
    stream->Write("hello");
    stream->Write("");  // Ignored: an empty chunk would end the stream.
    stream->Write(std::string(26, 'z'));
    stream->Close();
    EXPECT_FALSE(stream->Write("late"));
  });
  ASSERT_TRUE(server.Start().ok());
  std::shared_ptr<RawPeer> peer;
  peer = RawPeer::Connect(loop, server.port(), [&] {
    peer->Send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    peer->ReadUntilClosed([&] { loop.Stop(); });
  });
  RunUntilStopped(loop);
  const std::string& wire = peer->received();
  EXPECT_NE(wire.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << wire;
  size_t body = wire.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  EXPECT_EQ(wire.substr(body + 4), "5\r\nhello\r\n1a\r\n" + std::string(26, 'z') + "\r\n0\r\n\r\n");
}

TEST(HttpStream, OnCloseFiresWhenTheClientGoesAway) {
  EventLoop loop;
  std::shared_ptr<HttpStream> server_stream;
  HttpServer server(loop, {}, [&](const HttpRequest&, std::shared_ptr<HttpResponder> r) {
    server_stream = r->StartStream(200, {});
    server_stream->OnClose([&] {
      EXPECT_FALSE(server_stream->open());
      EXPECT_FALSE(server_stream->Write("nobody listens"));
      loop.Stop();
    });
    server_stream->Write("first");
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client(loop);
  bool client_close_called = false;
  std::shared_ptr<ClientStream> stream;
  stream = client.OpenStream(
      StreamRequest(server.port()), [](int, const HttpHeaders&) {},
      [&](std::string_view bytes) {
        EXPECT_EQ(bytes, "first");
        stream->Close();  // From inside a callback: no further callbacks.
      },
      [&](absl::Status) { client_close_called = true; });
  RunUntilStopped(loop);
  EXPECT_FALSE(client_close_called);
  EXPECT_FALSE(stream->open());
  EXPECT_EQ(server.connection_count(), 0u);
}

TEST(HttpStream, ServerStopEndsOpenStreams) {
  EventLoop loop;
  std::shared_ptr<HttpStream> server_stream;
  bool server_saw_close = false;
  HttpServer server(loop, {}, [&](const HttpRequest&, std::shared_ptr<HttpResponder> r) {
    server_stream = r->StartStream(200, {});
    server_stream->OnClose([&] { server_saw_close = true; });
    server_stream->Write("event");
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client(loop);
  std::string received;
  absl::Status closed = absl::UnknownError("not closed");
  auto stream = client.OpenStream(
      StreamRequest(server.port()), [](int, const HttpHeaders&) {},
      [&](std::string_view bytes) {
        received.append(bytes);
        server.Stop();  // The first event is in: shut the server down.
      },
      [&](absl::Status s) {
        closed = s;
        loop.Stop();
      });
  RunUntilStopped(loop);
  EXPECT_EQ(received, "event");
  EXPECT_TRUE(closed.ok()) << closed;  // Ended by the last chunk, not by a reset.
  EXPECT_FALSE(server_stream->open());
  loop.Post([&] { loop.Stop(); });
  RunUntilStopped(loop);
  EXPECT_TRUE(server_saw_close);
}

TEST(HttpStream, QueuedBytesCountWhatThePeerHasNotTaken) {
  EventLoop loop;
  std::shared_ptr<HttpStream> server_stream;
  HttpServer server(loop, {}, [&](const HttpRequest&, std::shared_ptr<HttpResponder> r) {
    server_stream = r->StartStream(200, {});
    size_t before = server_stream->queued_bytes();  // The response head.
    EXPECT_GT(before, 0u);
    server_stream->Write(std::string(1000, 'q'));
    EXPECT_EQ(server_stream->queued_bytes(), before + 1000 + 3 + 2 + 2);  // "3e8\r\n" "\r\n"
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client(loop);
  size_t received = 0;
  auto stream = client.OpenStream(
      StreamRequest(server.port()), [](int, const HttpHeaders&) {},
      [&](std::string_view bytes) {
        received += bytes.size();
        if (received == 1000) {
          // Delivered to us, so long gone from the server's queue.
          EXPECT_EQ(server_stream->queued_bytes(), 0u);
          loop.Stop();
        }
      },
      [&](absl::Status s) { ADD_FAILURE() << "closed early: " << s; });
  RunUntilStopped(loop);
  EXPECT_EQ(received, 1000u);
}

TEST(HttpStream, DroppingTheServerHandleClosesTheStream) {
  EventLoop loop;
  HttpServer server(loop, {}, [&](const HttpRequest&, std::shared_ptr<HttpResponder> r) {
    r->StartStream(200, {})->Write("only");  // The handle dies at the end of this line.
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client(loop);
  std::string received;
  absl::Status closed = absl::UnknownError("not closed");
  auto stream = client.OpenStream(
      StreamRequest(server.port()), [](int, const HttpHeaders&) {},
      [&](std::string_view bytes) { received.append(bytes); },
      [&](absl::Status s) {
        closed = s;
        loop.Stop();
      });
  RunUntilStopped(loop);
  EXPECT_EQ(received, "only");
  EXPECT_TRUE(closed.ok()) << closed;
}

TEST(HttpStream, AnErrorResponseIsDeliveredAsHeadersBodyAndClose) {
  EventLoop loop;
  HttpServer server(loop, {}, [&](const HttpRequest&, std::shared_ptr<HttpResponder> r) {
    r->Respond(HttpResponse::Text(400, "Failed to validate scheduler::Call"));
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client(loop);
  int status = 0;
  std::string body;
  absl::Status closed = absl::UnknownError("not closed");
  auto stream = client.OpenStream(
      StreamRequest(server.port()), [&](int s, const HttpHeaders&) { status = s; },
      [&](std::string_view bytes) { body.append(bytes); },
      [&](absl::Status s) {
        closed = s;
        loop.Stop();
      });
  RunUntilStopped(loop);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body, "Failed to validate scheduler::Call");
  EXPECT_TRUE(closed.ok()) << closed;
}

TEST(HttpStream, NoHeadWithinTheTimeoutIsDeadlineExceeded) {
  EventLoop loop;
  std::vector<std::shared_ptr<HttpResponder>> parked;
  HttpServer server(loop, {}, [&](const HttpRequest&, std::shared_ptr<HttpResponder> r) {
    parked.push_back(r);  // Never answered.
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client(loop);
  ClientRequest request = StreamRequest(server.port());
  request.timeout = Duration::Milliseconds(50);
  bool headers_called = false;
  absl::Status closed;
  auto stream = client.OpenStream(
      request, [&](int, const HttpHeaders&) { headers_called = true; }, [](std::string_view) {},
      [&](absl::Status s) {
        closed = s;
        loop.Stop();
      });
  RunUntilStopped(loop);
  EXPECT_EQ(closed.code(), absl::StatusCode::kDeadlineExceeded) << closed;
  EXPECT_FALSE(headers_called);
  parked.clear();
}

}  // namespace
}  // namespace atl::io
