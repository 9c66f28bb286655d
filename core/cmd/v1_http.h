// Request rules shared by the v1 HTTP APIs this binary serves (scheduler, operator, agent and
// executor APIs; reference/mesos.md §1.1).
#pragma once

#include <optional>
#include <string>

#include "core/base/strings.h"
#include "core/io/http.h"

namespace atl::cmd {

// True when an Accept header is absent or allows application/json.
bool AcceptsJson(const std::string* accept);

// POST only (405), a Content-Type is required (400) and must be JSON (415; we do not speak
// protobuf). Returns the refusal, or nothing when the request may proceed.
std::optional<io::HttpResponse> CheckV1Request(const io::HttpRequest& req);

// CheckV1Request, then the body through `parse` (std::string_view -> absl::StatusOr<T>). On
// failure answers the request (the refusal, or 400 "Failed to parse body into <what>: ...")
// and returns nothing.
template <typename Parse>
auto ParseV1Body(const io::HttpRequest& req, io::HttpResponder& responder, Parse parse,
                 std::string_view what)
    -> std::optional<typename decltype(parse(req.body))::value_type> {
  if (std::optional<io::HttpResponse> refused = CheckV1Request(req)) {
    responder.Respond(*std::move(refused));
    return std::nullopt;
  }
  auto parsed = parse(req.body);
  if (!parsed.ok()) {
    responder.Respond(io::HttpResponse::Text(
        400, StrCat("Failed to parse body into ", what, ": ", parsed.status().message())));
    return std::nullopt;
  }
  return *std::move(parsed);
}

}  // namespace atl::cmd
