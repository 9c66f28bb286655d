// Internal to core/io: the small pieces of HTTP/1.1 framing the server and client write by
// hand (Beast parses what we read; writing is simple enough that doing it directly saves a
// copy and lets one gather-write carry head and body).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/io/http.h"

namespace atl::io::internal {

// "OK", "Not Found", ...; "Unknown" for codes without a registered phrase.
std::string_view ReasonPhrase(int status);

// True for statuses whose responses never carry a body (1xx, 204, 304).
bool StatusHasNoBody(int status);

// True for the headers the transport owns: Content-Length, Transfer-Encoding, plus
// Connection and Keep-Alive when `include_connection`.
bool IsFramingHeader(std::string_view name, bool include_connection);

// True when a Connection header lists the token "close".
bool ConnectionClose(const HttpHeaders& headers);

// Appends "Name: value\r\n" for every header that is not a framing header. Names that are not
// HTTP tokens are dropped and CR/LF in values become spaces, so no caller can split a message.
void AppendHeaders(const HttpHeaders& headers, bool skip_connection, std::string* out);

// True when `s` is a non-empty HTTP token (method and header-name syntax, RFC 9110 5.6.2).
bool IsHttpToken(std::string_view s);

// The hexadecimal chunk-size line for `n` bytes: "1a\r\n".
std::string ChunkHeader(size_t n);

}  // namespace atl::io::internal
