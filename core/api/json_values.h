// Private to core/api: small Mesos value shapes shared by the codecs (Value.Scalar,
// Value.Ranges, Value.Set, TimeInfo, DurationInfo, AllocationInfo, Volume.Mode).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "core/api/json.h"
#include "core/base/time.h"
#include "core/model/ranges.h"
#include "core/model/scalar.h"

namespace atl::api {

// {"value": 1.5}. Reading rejects magnitudes above kMaxJsonScalar and, if `non_negative`,
// negative values; the value is rounded to three decimals.
void WriteScalarValue(JsonWriter& w, model::Scalar scalar);
absl::Status ReadScalarValue(const JsonNode& n, bool non_negative, model::Scalar* out);

// {"range": [{"begin": 31000, "end": 32000}]}; begin > end is an error.
void WriteRangesValue(JsonWriter& w, const model::Ranges& ranges);
absl::Status ReadRangesValue(const JsonNode& n, model::Ranges* out);

// {"item": ["a", "b"]}, in the given order.
void WriteSetValue(JsonWriter& w, const std::vector<std::string>& items);
absl::Status ReadSetValue(const JsonNode& n, std::vector<std::string>* out);

// DurationInfo / TimeInfo: {"nanoseconds": N}.
void WriteDurationInfo(JsonWriter& w, Duration d);
absl::Status ReadDurationInfo(const JsonNode& n, Duration* out);
void WriteTimeInfo(JsonWriter& w, Timestamp t);
absl::Status ReadTimeInfo(const JsonNode& n, Timestamp* out);

// Reads the member "allocation_info": {"role": R} of `obj` into *role (unset if absent).
absl::Status ReadAllocationInfo(const JsonNode& obj, std::optional<std::string>* role);

// Volume.Mode: "RW" or "RO".
std::optional<std::string> ParseVolumeMode(std::string_view name);

}  // namespace atl::api
