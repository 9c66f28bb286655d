#include "core/io/http_wire.h"

#include <algorithm>
#include <iterator>

#include "core/base/strings.h"

namespace atl::io::internal {

namespace {

struct Reason {
  int status;
  std::string_view phrase;
};

// Sorted by status for the binary search below.
constexpr Reason kReasons[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {206, "Partial Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Payload Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {417, "Expectation Failed"},
    {422, "Unprocessable Entity"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {507, "Insufficient Storage"},
};

}  // namespace

std::string_view ReasonPhrase(int status) {
  const Reason* end = std::end(kReasons);
  const Reason* it = std::lower_bound(std::begin(kReasons), end, status,
                                      [](const Reason& r, int s) { return r.status < s; });
  return it != end && it->status == status ? it->phrase : "Unknown";
}

bool StatusHasNoBody(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

bool IsFramingHeader(std::string_view name, bool include_connection) {
  if (EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding")) {
    return true;
  }
  return include_connection &&
         (EqualsIgnoreCase(name, "Connection") || EqualsIgnoreCase(name, "Keep-Alive"));
}

bool ConnectionClose(const HttpHeaders& headers) {
  for (const auto& [name, value] : headers) {
    if (!EqualsIgnoreCase(name, "Connection")) continue;
    for (std::string_view token : Split(value, ',')) {
      if (EqualsIgnoreCase(Strip(token), "close")) return true;
    }
  }
  return false;
}

namespace {

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

bool IsHttpToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

void AppendHeaders(const HttpHeaders& headers, bool skip_connection, std::string* out) {
  for (const auto& [name, value] : headers) {
    if (!IsHttpToken(name) || IsFramingHeader(name, skip_connection)) continue;
    out->append(name);
    out->append(": ");
    for (char c : value) out->push_back(c == '\r' || c == '\n' ? ' ' : c);
    out->append("\r\n");
  }
}

std::string ChunkHeader(size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[24];
  char* end = buf + sizeof(buf);
  char* p = end;
  *--p = '\n';
  *--p = '\r';
  do {
    *--p = kHex[n & 15];
    n >>= 4;
  } while (n != 0);
  return std::string(p, end);
}

}  // namespace atl::io::internal
