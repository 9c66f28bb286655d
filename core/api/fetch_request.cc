#include "core/api/fetch_request.h"

#include "core/api/json.h"
#include "core/api/json_internal.h"
#include "core/api/json_model.h"
#include "core/api/json_values.h"
#include "core/base/status.h"

namespace atl::api {

absl::StatusOr<FetchRequest> ParseFetchRequest(std::string_view json) {
  FetchRequest request;
  RETURN_IF_ERROR(ParseJsonDocument(json, "", [&](const JsonNode& root) {
    RETURN_IF_ERROR(root.ExpectObject());
    RETURN_IF_ERROR(Req(root, "sandbox", &request.sandbox));
    RETURN_IF_ERROR(Opt(root, "cache_dir", &request.cache_dir));
    RETURN_IF_ERROR(Opt(root, "user", &request.user));
    RETURN_IF_ERROR(Opt(root, "timeout", &request.timeout, ReadDurationInfo));
    if (request.timeout.has_value() && *request.timeout <= Duration::Zero()) {
      JsonNode timeout = root.Get("timeout");
      return timeout.Error("must be positive");
    }
    return Array(root, "uris", &request.uris, ParseCommandUri);
  }));
  return request;
}

std::string SerializeFetchRequest(const FetchRequest& request) {
  JsonWriter w;
  w.StartObject().Key("sandbox").String(request.sandbox);
  if (!request.cache_dir.empty()) w.Key("cache_dir").String(request.cache_dir);
  if (request.user.has_value()) w.Key("user").String(*request.user);
  if (request.timeout.has_value()) {
    w.Key("timeout");
    WriteDurationInfo(w, *request.timeout);
  }
  w.Key("uris").StartArray();
  for (const model::CommandUri& uri : request.uris) WriteCommandUri(w, uri);
  w.EndArray().EndObject();
  return w.Finish();
}

}  // namespace atl::api
