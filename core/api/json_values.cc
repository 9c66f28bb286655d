#include "core/api/json_values.h"

#include <cmath>

#include "core/api/json_internal.h"
#include "core/api/json_model.h"
#include "core/base/strings.h"

namespace atl::api {
namespace {

absl::Status ReadRange(const JsonNode& n, model::Range* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "begin", &out->begin));
  RETURN_IF_ERROR(Req(n, "end", &out->end));
  if (out->begin > out->end) {
    return n.Error(atl::StrCat("begin ", out->begin, " is greater than end ", out->end));
  }
  return absl::OkStatus();
}

}  // namespace

void WriteScalarValue(JsonWriter& w, model::Scalar scalar) {
  w.StartObject().Key("value").Double(scalar.ToDouble()).EndObject();
}

absl::Status ReadScalarValue(const JsonNode& n, bool non_negative, model::Scalar* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  JsonNode value = n.Get("value");
  if (value.IsUnset()) return value.Error("required");
  double v;
  RETURN_IF_ERROR(ReadDouble(value, &v));
  if (!(std::fabs(v) <= kMaxJsonScalar)) {
    return value.Error(atl::StrCat(v, " is out of range (magnitude at most ", kMaxJsonScalar, ")"));
  }
  model::Scalar scalar = model::Scalar::FromDouble(v);
  if (non_negative && scalar < model::Scalar::Zero()) {
    return value.Error(atl::StrCat("must not be negative, got ", v));
  }
  *out = scalar;
  return absl::OkStatus();
}

void WriteRangesValue(JsonWriter& w, const model::Ranges& ranges) {
  w.StartObject();
  if (!ranges.empty()) {
    w.Key("range").StartArray();
    for (const model::Range& r : ranges.ranges()) {
      w.StartObject().Key("begin").Uint64(r.begin).Key("end").Uint64(r.end).EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

absl::Status ReadRangesValue(const JsonNode& n, model::Ranges* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  std::vector<model::Range> ranges;
  RETURN_IF_ERROR(Array(n, "range", &ranges, ReadRange));
  *out = model::Ranges(std::move(ranges));
  return absl::OkStatus();
}

void WriteSetValue(JsonWriter& w, const std::vector<std::string>& items) {
  w.StartObject();
  if (!items.empty()) {
    w.Key("item").StartArray();
    for (const std::string& item : items) w.String(item);
    w.EndArray();
  }
  w.EndObject();
}

absl::Status ReadSetValue(const JsonNode& n, std::vector<std::string>* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Array(n, "item", out);
}

void WriteDurationInfo(JsonWriter& w, Duration d) {
  w.StartObject().Key("nanoseconds").Int64(d.nanoseconds()).EndObject();
}

absl::Status ReadDurationInfo(const JsonNode& n, Duration* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  int64_t ns = 0;
  RETURN_IF_ERROR(Req(n, "nanoseconds", &ns));
  *out = Duration::Nanoseconds(ns);
  return absl::OkStatus();
}

void WriteTimeInfo(JsonWriter& w, Timestamp t) {
  w.StartObject().Key("nanoseconds").Int64(t.nanoseconds()).EndObject();
}

absl::Status ReadTimeInfo(const JsonNode& n, Timestamp* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  int64_t ns = 0;
  RETURN_IF_ERROR(Req(n, "nanoseconds", &ns));
  *out = Timestamp::FromNanoseconds(ns);
  return absl::OkStatus();
}

absl::Status ReadAllocationInfo(const JsonNode& obj, std::optional<std::string>* role) {
  JsonNode info = obj.Get("allocation_info");
  if (info.IsUnset()) return absl::OkStatus();
  RETURN_IF_ERROR(info.ExpectObject());
  return Opt(info, "role", role);
}

std::optional<std::string> ParseVolumeMode(std::string_view name) {
  return OneOf(name, {"RW", "RO"});
}

}  // namespace atl::api
