// Errors of Marathon's /v2 API in Marathon's shapes (reference/marathon.md §1.1), produced by the
// JSON codecs and validators and serialized as-is by the REST layer:
//
//   400 {"message":"Invalid JSON","details":"<parser text>"}                    malformed JSON
//   400 {"message":"Invalid JSON","details":[{"path":"/id","errors":["error.expected.jsstring"]}]}
//   422 {"message":"Object is not valid","details":[{"path":"/cpus","errors":["..."]}]}
//
// Paths are Marathon's: JSON-pointer style from the body's root, array elements as `(i)`
// ("/healthChecks(0)/portIndex"), "/" for the object itself.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/api/json.h"
#include "core/base/check.h"

namespace atl::marathonlike {

// Every problem found at one path.
struct FieldError {
  std::string path;
  std::vector<std::string> errors;
  bool operator==(const FieldError&) const = default;
};

// Appends `error` to the entry for `path` in `details`, creating it if needed (one entry per
// path, as Marathon groups them; the order of first appearance is kept).
void AddFieldError(std::vector<FieldError>* details, std::string_view path, std::string error);

// Appends every error of `more` (their paths prefixed with `prefix`, e.g. "/apps(0)").
void MergeFieldErrors(std::vector<FieldError>* details, const std::vector<FieldError>& more,
                      std::string_view prefix = "");

struct ApiError {
  int status = 400;
  std::string message;
  // Syntax errors carry the parser's text; everything else a list of field errors.
  std::variant<std::vector<FieldError>, std::string> details;

  // 400 "Invalid JSON" with the parser's text.
  static ApiError MalformedJson(std::string parser_text);
  // 400 "Invalid JSON" with play-json style keys ("error.expected.jsstring").
  static ApiError InvalidJson(std::vector<FieldError> details);
  // 422 "Object is not valid".
  static ApiError InvalidObject(std::vector<FieldError> details);

  // The details list. REQUIRES: details are field errors.
  const std::vector<FieldError>& field_errors() const {
    return std::get<std::vector<FieldError>>(details);
  }
  // Whether some entry for `path` contains `error`.
  bool Has(std::string_view path, std::string_view error) const;

  bool operator==(const ApiError&) const = default;
};

// Writes the error body: {"message":...,"details":...}.
void WriteApiError(api::JsonWriter& w, const ApiError& error);
std::string ApiErrorJson(const ApiError& error);

// A value or an ApiError (C++20 has no std::expected).
template <typename T>
class ApiOr {
 public:
  ApiOr(T value) : v_(std::move(value)) {}         // NOLINT: implicit, like absl::StatusOr
  ApiOr(ApiError error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  // REQUIRES: ok().
  const T& value() const& {
    ATOLL_CHECK(ok()) << "ApiOr::value() on an error: " << error().message;
    return std::get<0>(v_);
  }
  T& value() & {
    ATOLL_CHECK(ok()) << "ApiOr::value() on an error: " << error().message;
    return std::get<0>(v_);
  }
  T&& value() && {
    ATOLL_CHECK(ok()) << "ApiOr::value() on an error: " << error().message;
    return std::get<0>(std::move(v_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  // REQUIRES: !ok().
  const ApiError& error() const {
    ATOLL_CHECK(!ok()) << "ApiOr::error() on a value";
    return std::get<1>(v_);
  }

 private:
  std::variant<T, ApiError> v_;
};

}  // namespace atl::marathonlike
