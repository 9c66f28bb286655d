// The request an agent hands its fetcher (`atoll fetch <json>`), the counterpart of Mesos's
// FetcherInfo: which URIs to put into which sandbox, as whom, through which cache.
//
//   {"sandbox":"/w/slaves/S1/frameworks/F1/executors/e1/runs/c1",
//    "cache_dir":"/w/fetch-cache","user":"alice","timeout":{"nanoseconds":600000000000},
//    "uris":[{"value":"http://x/app.tgz","extract":true,"cache":true},
//            {"value":"/opt/bin/tool","executable":true,"extract":true}]}
//
// `uris` entries are CommandInfo.URI objects as in the Mesos v1 API (json_model.h). Only
// `sandbox` is required; `cache_dir` absent or "" means no cache, `user` absent means the
// fetcher's own user, `timeout` absent means the fetcher's default per download.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/time.h"
#include "core/model/info.h"

namespace atl::api {

struct FetchRequest {
  std::string sandbox;
  std::string cache_dir;
  std::optional<std::string> user;
  std::optional<Duration> timeout;
  std::vector<model::CommandUri> uris;
  bool operator==(const FetchRequest&) const = default;
};

// Fails with InvalidArgument naming the path of the first problem: malformed JSON, "sandbox:
// required", "uris[1].value: required", a negative or zero timeout ("timeout: must be
// positive"). Whether the paths and URIs make sense is the fetcher's to check.
absl::StatusOr<FetchRequest> ParseFetchRequest(std::string_view json);

// Compact single-line JSON; ParseFetchRequest(SerializeFetchRequest(r)) == r.
std::string SerializeFetchRequest(const FetchRequest& request);

}  // namespace atl::api
