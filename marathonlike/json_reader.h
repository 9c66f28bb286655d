// Private to marathonlike's JSON codecs (include from .cc files only: it pulls in RapidJSON
// through core/api/json_internal.h). Reads Marathon request bodies the way Marathon's play-json
// readers do, collecting every problem instead of stopping at the first:
//   * type mismatches become play-json error keys at JSON-pointer paths ("/healthChecks(0)/port":
//     "error.expected.jsnumber"); they make the request a 400 "Invalid JSON";
//   * things only the JSON shows and the model cannot hold (an unsupported feature, two
//     deprecated fields that conflict) are "refusals": 422 "Object is not valid" entries;
//   * absent members and JSON null are "not given"; unknown members are ignored.
// Strings are strict: a number is not a string, and no number is read from a string.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/api/json_internal.h"
#include "core/base/time.h"
#include "marathonlike/api_error.h"

namespace atl::marathonlike::internal {

// "" + "id" -> "/id"; "/container" + "volumes" -> "/container/volumes". The root is "".
std::string ChildPath(std::string_view parent, std::string_view key);
// "/healthChecks" + 0 -> "/healthChecks(0)" (play-json and accord write array items this way).
std::string IndexPath(std::string_view parent, size_t index);
// The path as reported: the root is "/".
std::string_view ReportedPath(std::string_view path);

// `value` with its canonical spelling if it equals one of `names` ignoring ASCII case
// (Marathon's RAML enums match case-insensitively); otherwise `value` unchanged, for the
// validator to reject with the list of allowed names.
std::string CanonicalName(std::string_view value, std::initializer_list<std::string_view> names);

class JsonReader {
 public:
  // A play-json error key at `path` (400).
  void Invalid(std::string_view path, std::string key);
  // A 422 problem at `path`.
  void Refuse(std::string_view path, std::string message);

  bool has_invalid() const { return !invalid_.empty(); }
  const std::vector<FieldError>& invalid() const { return invalid_; }
  const std::vector<FieldError>& refusals() const { return refusals_; }

  // Readers of one present value: on a type mismatch they record the error key and return
  // false, leaving *out unchanged.
  bool String(const api::JsonNode& n, std::string_view path, std::string* out);
  bool Bool(const api::JsonNode& n, std::string_view path, bool* out);
  // Any finite JSON number.
  bool Double(const api::JsonNode& n, std::string_view path, double* out);
  // A JSON number with an integral value in range ("error.expected.int" otherwise; 5.0 and
  // 1e2 are integral, as for play-json's BigDecimal.isValidInt).
  bool Int32(const api::JsonNode& n, std::string_view path, int* out);
  bool Int64(const api::JsonNode& n, std::string_view path, int64_t* out);
  bool Timestamp(const api::JsonNode& n, std::string_view path, atl::Timestamp* out);
  bool ExpectObject(const api::JsonNode& n, std::string_view path);
  bool ExpectArray(const api::JsonNode& n, std::string_view path);
  // {"k": "v", ...}: every value a string.
  bool StringMap(const api::JsonNode& n, std::string_view path,
                 std::map<std::string, std::string>* out);
  // ["a", ...].
  bool StringArray(const api::JsonNode& n, std::string_view path, std::vector<std::string>* out);

  // Optional members of the object `obj` at `path`: absent or null leaves *out unchanged and
  // returns false; otherwise reads it with the reader above and returns whether it was valid.
  bool OptString(const api::JsonNode& obj, std::string_view path, std::string_view key,
                 std::string* out);
  bool OptString(const api::JsonNode& obj, std::string_view path, std::string_view key,
                 std::optional<std::string>* out);
  bool OptBool(const api::JsonNode& obj, std::string_view path, std::string_view key, bool* out);
  bool OptDouble(const api::JsonNode& obj, std::string_view path, std::string_view key,
                 double* out);
  bool OptInt32(const api::JsonNode& obj, std::string_view path, std::string_view key, int* out);
  bool OptInt32(const api::JsonNode& obj, std::string_view path, std::string_view key,
                std::optional<int>* out);

 private:
  std::vector<FieldError> invalid_;
  std::vector<FieldError> refusals_;
};

}  // namespace atl::marathonlike::internal
