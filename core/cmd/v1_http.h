// Request rules shared by the v1 HTTP APIs this binary serves (scheduler, operator, agent and
// executor APIs; reference/mesos.md §1.1).
#pragma once

#include <optional>
#include <string>

#include "core/io/http.h"

namespace atl::cmd {

// True when an Accept header is absent or allows application/json.
bool AcceptsJson(const std::string* accept);

// POST only (405), a Content-Type is required (400) and must be JSON (415; we do not speak
// protobuf). Returns the refusal, or nothing when the request may proceed.
std::optional<io::HttpResponse> CheckV1Request(const io::HttpRequest& req);

}  // namespace atl::cmd
