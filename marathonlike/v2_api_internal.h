// Private to v2_api*.cc: the response builders, query-parameter readers and body splitters the
// /v2 handlers share. Not part of the public interface (v2_api.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "core/api/json.h"
#include "marathonlike/api_error.h"
#include "marathonlike/app_info.h"
#include "marathonlike/plan.h"
#include "marathonlike/v2_api.h"

namespace atl::marathonlike::v2 {

inline constexpr char kJson[] = "application/json; charset=utf-8";
inline constexpr char kDeploymentHeader[] = "Marathon-Deployment-Id";

// A JSON body with `status`.
V2Response Json(int status, std::string body);
// {"message": message}.
V2Response Message(int status, std::string_view message);
// Marathon's error bodies (api_error.h) with their status.
V2Response Error(const ApiError& error);
// An absl::Status of root_group.h / the scheduler: NotFound -> 404 {"message"}, InvalidArgument
// -> 422 "Object is not valid" with the message at "/", FailedPrecondition -> 409, else 500.
V2Response StatusError(const absl::Status& status);
// {"deploymentId","version"} with the Marathon-Deployment-Id header.
V2Response DeploymentResult(const DeploymentPlan& plan, int status = 200);
// 405 with the Allow header.
V2Response MethodNotAllowed(const std::vector<std::string_view>& allowed);
// Whether `method` is one of `allowed`.
bool MethodIn(std::string_view method, const std::vector<std::string_view>& allowed);

// Query parameters.
class Query {
 public:
  explicit Query(const V2Request& request) : request_(request) {}
  // The first value of `name`.
  std::optional<std::string> Get(std::string_view name) const;
  // Every value of `name`, in order.
  std::vector<std::string> All(std::string_view name) const;
  // A boolean parameter ("true"/"false", any case; an empty value is true as for Jersey's
  // `?force`); 400 {"message"} in *error on anything else.
  bool Bool(std::string_view name, bool default_value, bool* out,
            std::optional<V2Response>* error) const;

 private:
  const V2Request& request_;
};

// Whether the client asks for text/plain rather than JSON (Accept).
bool WantsText(const V2Request& request);

// The "ip" of "ip:port" / "[v6]:port" (api_post_event's clientIp).
std::string ClientIp(std::string_view remote_address);

// The elements of a JSON array body, as text. Malformed JSON -> 400 "Invalid JSON" with the
// parser's text; a document that is not an array -> 400 with "error.expected.jsarray" at "/".
ApiOr<std::vector<std::string>> SplitJsonArray(std::string_view json);

// The ids of a POST /v2/tasks/delete body {"ids": [...]}.
ApiOr<std::vector<std::string>> ParseTaskIds(std::string_view json);

// `error` with every field-error path prefixed (array bodies: "/(0)"). Errors with parser
// text are returned unchanged.
ApiError PrefixError(const ApiError& error, std::string_view prefix);

}  // namespace atl::marathonlike::v2
