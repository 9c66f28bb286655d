// Helpers for core/io integration tests: run a loop until the test says it is done (with a
// safety deadline instead of sleeps), and a raw TCP peer for byte-exact HTTP exchanges.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/base/time.h"
#include "core/io/event_loop.h"
#include "core/io/http_client.h"

namespace atl::io::testing {

// Runs `loop` until something calls loop.Stop(). If that takes longer than `limit`, fails the
// test and stops the loop, so a broken test ends instead of hanging.
inline void RunUntilStopped(EventLoop& loop, Duration limit = Duration::Seconds(10)) {
  bool timed_out = false;
  EventLoop::TimerId safety = loop.RunAfter(limit, [&] {
    timed_out = true;
    loop.Stop();
  });
  loop.Run();
  loop.Cancel(safety);
  EXPECT_FALSE(timed_out) << "the loop was not stopped within " << limit.ToString();
}

// Runs the loop until `condition()` holds (checked every 5 ms), at most `limit`.
inline bool RunUntil(EventLoop& loop, const std::function<bool()>& condition,
                     Duration limit = Duration::Seconds(10)) {
  EventLoop::TimerId pending = 0;
  std::function<void()> check = [&] {
    pending = 0;
    if (condition()) {
      loop.Stop();
      return;
    }
    pending = loop.RunAfter(Duration::Milliseconds(5), check);
  };
  loop.Post(check);
  RunUntilStopped(loop, limit);
  if (pending != 0) loop.Cancel(pending);
  return condition();
}

// Sends one request to 127.0.0.1:`port` and runs `loop` until it is answered; a transport
// failure fails the test and returns a default response.
inline HttpResponse FetchOnLoop(EventLoop& loop, uint16_t port, std::string method,
                                std::string target, std::string body = "",
                                HttpHeaders headers = {}) {
  HttpClient client(loop);
  ClientRequest req;
  req.method = std::move(method);
  req.port = port;
  req.target = std::move(target);
  req.body = std::move(body);
  req.headers = std::move(headers);
  HttpResponse out;
  client.Request(req, [&](absl::StatusOr<HttpResponse> r) {
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (r.ok()) out = *r;
    loop.Stop();
  });
  RunUntilStopped(loop);
  return out;
}

// A raw TCP client on the loop, for sending exactly the bytes a test wants (pipelining,
// garbage) and seeing exactly what comes back.
class RawPeer : public std::enable_shared_from_this<RawPeer> {
 public:
  static std::shared_ptr<RawPeer> Connect(EventLoop& loop, uint16_t port,
                                          std::function<void()> connected) {
    auto peer = std::shared_ptr<RawPeer>(new RawPeer(loop));
    boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), port);
    peer->socket_.async_connect(
        endpoint, [peer, connected = std::move(connected)](const boost::system::error_code& ec) {
          EXPECT_FALSE(ec) << "connect: " << ec.message();
          connected();
        });
    return peer;
  }

  // Writes `bytes`; then calls `sent`.
  void Send(std::string bytes, std::function<void()> sent = nullptr) {
    auto data = std::make_shared<std::string>(std::move(bytes));
    boost::asio::async_write(socket_, boost::asio::buffer(*data),
                             [self = shared_from_this(), data, sent = std::move(sent)](
                                 const boost::system::error_code& ec, size_t) {
                               EXPECT_FALSE(ec) << "send: " << ec.message();
                               if (sent) sent();
                             });
  }

  // Reads until `received()` contains `marker`, then calls `done`. Fails if the peer closes
  // first.
  void ReadUntil(std::string marker, std::function<void()> done) {
    if (received_.find(marker) != std::string::npos) {
      done();
      return;
    }
    ReadSome([self = shared_from_this(), marker = std::move(marker),
              done = std::move(done)](bool eof) mutable {
      if (eof) {
        ADD_FAILURE() << "peer closed before sending '" << marker << "'; got: " << self->received_;
        done();
        return;
      }
      self->ReadUntil(std::move(marker), std::move(done));
    });
  }

  // Reads until the server closes the connection, then calls `done`.
  void ReadUntilClosed(std::function<void()> done) {
    ReadSome([self = shared_from_this(), done = std::move(done)](bool eof) mutable {
      if (eof) {
        done();
        return;
      }
      self->ReadUntilClosed(std::move(done));
    });
  }

  const std::string& received() const { return received_; }
  void Close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

 private:
  explicit RawPeer(EventLoop& loop) : socket_(loop.context()) {}

  void ReadSome(std::function<void(bool eof)> next) {
    socket_.async_read_some(boost::asio::buffer(buf_),
                            [self = shared_from_this(), next = std::move(next)](
                                const boost::system::error_code& ec, size_t n) {
                              self->received_.append(self->buf_, n);
                              next(static_cast<bool>(ec));
                            });
  }

  boost::asio::ip::tcp::socket socket_;
  char buf_[4096];
  std::string received_;
};

// Counts non-overlapping occurrences of `needle` in `haystack`.
inline int CountOf(std::string_view haystack, std::string_view needle) {
  int n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string_view::npos;
       pos = haystack.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

}  // namespace atl::io::testing
