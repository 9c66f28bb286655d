// Plain HTTP/1.1 message types shared by the server, the client and application handlers.
// Nothing here depends on Asio or Beast, so handler code (the master's /api/v1 glue, the
// scheduler's /v2 routes) can include this header alone and be tested without sockets.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace atl::io {

// Header fields in wire order. Names keep the case they arrived (or were given) in; look them
// up with FindHeader, which ignores case. Repeated fields appear once per occurrence.
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Returns the value of the first field called `name` (ASCII case-insensitive), or nullptr.
const std::string* FindHeader(const HttpHeaders& headers, std::string_view name);

// True when `a` and `b` are equal ignoring ASCII case.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Decodes %XX escapes; when `plus_is_space`, also '+' -> ' ' (query strings). Malformed
// escapes are kept verbatim rather than rejected: routing decides what is valid.
std::string UrlDecode(std::string_view s, bool plus_is_space);

// Encodes everything but RFC 3986 unreserved characters (and '/' when `keep_slash`).
std::string UrlEncode(std::string_view s, bool keep_slash = false);

// One request as the server hands it to its handler.
struct HttpRequest {
  std::string method;  // "GET", "POST", ... exactly as sent (methods are case-sensitive).
  std::string target;  // The raw request-target: "/v2/apps/%2Fweb?embed=apps.tasks".
  std::string path;    // Target before '?', percent-decoded ('+' stays '+'): "/v2/apps//web".
  // Query parameters, decoded. A name given several times keeps its FIRST value here;
  // `query_params` keeps every pair in order (Marathon repeats `embed=`).
  std::map<std::string, std::string> query;
  std::vector<std::pair<std::string, std::string>> query_params;
  HttpHeaders headers;
  std::string body;
  std::string remote_address;  // "127.0.0.1:53211" or "[::1]:53211".
  int version = 11;            // 10 for HTTP/1.0, 11 for HTTP/1.1.

  // Case-insensitive header lookup; nullptr when absent.
  const std::string* Header(std::string_view name) const { return FindHeader(headers, name); }
  // Query lookup (first value); nullptr when absent.
  const std::string* Query(std::string_view name) const;
};

// Splits a request-target into a decoded path and decoded query parameters.
void ParseTarget(std::string_view target, std::string* path,
                 std::map<std::string, std::string>* query,
                 std::vector<std::pair<std::string, std::string>>* query_params);

// A response, produced by handlers (server side) or returned by HttpClient (client side).
// The server owns framing: Content-Length, Transfer-Encoding and Connection given here are
// ignored, except that "Connection: close" makes the server close after this response.
struct HttpResponse {
  int status = 200;
  HttpHeaders headers;
  std::string body;

  // A response with Content-Type "text/plain; charset=utf-8".
  static HttpResponse Text(int status, std::string body);
  // A response with Content-Type "application/json".
  static HttpResponse Json(int status, std::string body);

  // Case-insensitive header lookup; nullptr when absent.
  const std::string* Header(std::string_view name) const { return FindHeader(headers, name); }
};

// An open chunked response (Mesos RecordIO event streams, SSE). All methods REQUIRE the loop
// thread. Dropping the last reference closes the stream as Close() would.
class HttpStream {
 public:
  virtual ~HttpStream() = default;

  // Queues `bytes` as one chunk (empty input is a no-op). Never blocks: data is buffered
  // without limit, so check queued_bytes() and Close() slow consumers. Returns false, and
  // drops the bytes, when the stream is no longer open.
  virtual bool Write(std::string bytes) = 0;

  // Bytes accepted by Write (plus framing) that the peer's socket has not taken yet.
  virtual size_t queued_bytes() const = 0;

  // Ends the stream: queues the terminating chunk, flushes, then closes the connection.
  // Idempotent.
  virtual void Close() = 0;

  // False once Close() was called, the peer went away, a write failed or the server stopped.
  virtual bool open() const = 0;

  // `fn` runs once, on the loop, after the stream stops being open for any reason (also after
  // Close()). If it is already closed, `fn` is posted at once. Never runs inside Write/Close.
  // A later call replaces an earlier callback that has not run yet.
  virtual void OnClose(std::function<void()> fn) = 0;
};

// The way a handler answers one request, now or later. All methods REQUIRE the loop thread.
// Answer exactly once, with Respond or StartStream; further answers are ignored and logged.
// Dropping the last reference without answering sends 500.
class HttpResponder {
 public:
  virtual ~HttpResponder() = default;

  // Sends `response` (with Content-Length). Ignored if the connection has closed meanwhile.
  virtual void Respond(HttpResponse response) = 0;

  // Sends the status line and `headers` with "Transfer-Encoding: chunked" (HTTP/1.0 peers
  // get an unframed body ended by close) and returns the stream to write to. The connection
  // is dedicated to the stream and closed when it ends. If the connection is gone already,
  // returns a stream that is not open.
  virtual std::shared_ptr<HttpStream> StartStream(int status, HttpHeaders headers) = 0;
};

// The application's entry point. Called on the loop thread, once per request, in the order
// requests arrive on each connection. Responses on one connection go out in request order, so
// a pipelined request is only read after the previous one was answered.
using HttpHandler =
    std::function<void(const HttpRequest& request, std::shared_ptr<HttpResponder> responder)>;

}  // namespace atl::io
