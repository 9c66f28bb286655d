// json_model.h, part 1: values (scalar, ranges, set), resources, attributes and labels.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/api/json_internal.h"
#include "core/api/json_model.h"
#include "core/api/json_values.h"
#include "core/base/strings.h"

namespace atl::api {
namespace {

using model::ValueType;

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kScalar:
      return "SCALAR";
    case ValueType::kRanges:
      return "RANGES";
    case ValueType::kSet:
      return "SET";
    case ValueType::kText:
      return "TEXT";
  }
  return "UNKNOWN";
}

std::optional<ValueType> ParseAttributeType(std::string_view name) {
  if (name == "SCALAR") return ValueType::kScalar;
  if (name == "RANGES") return ValueType::kRanges;
  if (name == "SET") return ValueType::kSet;
  if (name == "TEXT") return ValueType::kText;
  return std::nullopt;
}

// Resources have no TEXT values.
std::optional<ValueType> ParseResourceType(std::string_view name) {
  std::optional<ValueType> type = ParseAttributeType(name);
  if (type == ValueType::kText) return std::nullopt;
  return type;
}

std::optional<model::ReservationInfo::Type> ParseReservationType(std::string_view name) {
  if (name == "STATIC") return model::ReservationInfo::Type::kStatic;
  if (name == "DYNAMIC") return model::ReservationInfo::Type::kDynamic;
  return std::nullopt;
}

// Fails unless `role` can carry a reservation ("*" means unreserved and cannot).
absl::Status CheckReservationRole(const JsonNode& n, const std::string& role) {
  if (role == "*") return n.Error("a reservation needs a role other than '*'");
  absl::Status valid = model::ValidateRole(role);
  if (!valid.ok()) return n.Error(std::string(valid.message()));
  return absl::OkStatus();
}

void WriteReservationInfo(JsonWriter& w, const model::ReservationInfo& r) {
  w.StartObject();
  w.Key("type").String(r.type == model::ReservationInfo::Type::kStatic ? "STATIC" : "DYNAMIC");
  w.Key("role").String(r.role);
  if (!r.principal.empty()) w.Key("principal").String(r.principal);
  if (!r.labels.empty()) {
    w.Key("labels");
    WriteLabels(w, r.labels);
  }
  w.EndObject();
}

// Refinement format: {"type", "role", "principal", "labels"}.
absl::Status ReadReservationInfo(const JsonNode& n, model::ReservationInfo* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(ReqEnum(n, "type", &out->type, ParseReservationType));
  RETURN_IF_ERROR(Req(n, "role", &out->role));
  RETURN_IF_ERROR(CheckReservationRole(n.Get("role"), out->role));
  RETURN_IF_ERROR(Opt(n, "principal", &out->principal));
  return Opt(n, "labels", &out->labels, ParseLabels);
}

// The pre-refinement format ("role" plus an optional "reservation") holds at most one
// reservation, and a static one only without principal and labels.
bool FitsPreRefinementFormat(const model::Resource& r) {
  if (r.reservations.empty()) return true;
  if (r.reservations.size() > 1) return false;
  const model::ReservationInfo& only = r.reservations.front();
  return only.type == model::ReservationInfo::Type::kDynamic ||
         (only.principal.empty() && only.labels.empty());
}

void WriteDiskInfo(JsonWriter& w, const model::DiskInfo& disk) {
  w.StartObject();
  if (!disk.persistence_id.empty() || !disk.persistence_principal.empty()) {
    w.Key("persistence").StartObject().Key("id").String(disk.persistence_id);
    if (!disk.persistence_principal.empty()) {
      w.Key("principal").String(disk.persistence_principal);
    }
    w.EndObject();
  }
  if (!disk.container_path.empty() || disk.mode != "RW") {
    w.Key("volume").StartObject();
    w.Key("container_path").String(disk.container_path);
    w.Key("mode").String(disk.mode);
    w.EndObject();
  }
  w.EndObject();
}

absl::Status ReadDiskInfo(const JsonNode& n, model::DiskInfo* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  JsonNode persistence = n.Get("persistence");
  if (!persistence.IsUnset()) {
    RETURN_IF_ERROR(persistence.ExpectObject());
    RETURN_IF_ERROR(Req(persistence, "id", &out->persistence_id));
    RETURN_IF_ERROR(Opt(persistence, "principal", &out->persistence_principal));
  }
  JsonNode volume = n.Get("volume");
  if (!volume.IsUnset()) {
    RETURN_IF_ERROR(volume.ExpectObject());
    RETURN_IF_ERROR(Req(volume, "container_path", &out->container_path));
    RETURN_IF_ERROR(ReqEnum(volume, "mode", &out->mode, ParseVolumeMode));
  }
  return absl::OkStatus();
}

void WriteAttribute(JsonWriter& w, const model::Attribute& a) {
  w.StartObject();
  w.Key("name").String(a.name);
  w.Key("type").String(ValueTypeName(a.type));
  switch (a.type) {
    case ValueType::kText:
      w.Key("text").StartObject().Key("value").String(a.text).EndObject();
      break;
    case ValueType::kScalar:
      w.Key("scalar");
      WriteScalarValue(w, a.scalar);
      break;
    case ValueType::kRanges:
      w.Key("ranges");
      WriteRangesValue(w, a.ranges);
      break;
    case ValueType::kSet:
      w.Key("set");
      WriteSetValue(w, a.set);
      break;
  }
  w.EndObject();
}

absl::Status ReadAttribute(const JsonNode& n, model::Attribute* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "name", &out->name));
  RETURN_IF_ERROR(ReqEnum(n, "type", &out->type, ParseAttributeType));
  switch (out->type) {
    case ValueType::kText: {
      JsonNode text = n.Get("text");
      if (text.IsUnset()) return text.Error("required by type TEXT");
      RETURN_IF_ERROR(text.ExpectObject());
      return Req(text, "value", &out->text);
    }
    case ValueType::kScalar: {
      JsonNode scalar = n.Get("scalar");
      if (scalar.IsUnset()) return scalar.Error("required by type SCALAR");
      return ReadScalarValue(scalar, /*non_negative=*/false, &out->scalar);
    }
    case ValueType::kRanges: {
      JsonNode ranges = n.Get("ranges");
      if (ranges.IsUnset()) return ranges.Error("required by type RANGES");
      return ReadRangesValue(ranges, &out->ranges);
    }
    case ValueType::kSet: {
      JsonNode set = n.Get("set");
      if (set.IsUnset()) return set.Error("required by type SET");
      return ReadSetValue(set, &out->set);
    }
  }
  return absl::OkStatus();
}

absl::Status ReadLabel(const JsonNode& n, model::Label* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "key", &out->key));
  return Opt(n, "value", &out->value);
}

}  // namespace

void WriteResource(JsonWriter& w, const model::Resource& r) {
  w.StartObject();
  w.Key("name").String(r.name);
  w.Key("type").String(ValueTypeName(r.type));
  switch (r.type) {
    case ValueType::kScalar:
      w.Key("scalar");
      WriteScalarValue(w, r.scalar);
      break;
    case ValueType::kRanges:
      w.Key("ranges");
      WriteRangesValue(w, r.ranges);
      break;
    case ValueType::kSet:
      w.Key("set");
      WriteSetValue(w, r.set);
      break;
    case ValueType::kText:
      break;
  }
  if (FitsPreRefinementFormat(r)) {
    w.Key("role").String(r.ReservationRole());
    if (!r.reservations.empty() &&
        r.reservations.front().type == model::ReservationInfo::Type::kDynamic) {
      const model::ReservationInfo& reservation = r.reservations.front();
      w.Key("reservation").StartObject();
      if (!reservation.principal.empty()) w.Key("principal").String(reservation.principal);
      if (!reservation.labels.empty()) {
        w.Key("labels");
        WriteLabels(w, reservation.labels);
      }
      w.EndObject();
    }
  } else {
    w.Key("reservations").StartArray();
    for (const model::ReservationInfo& reservation : r.reservations) {
      WriteReservationInfo(w, reservation);
    }
    w.EndArray();
  }
  if (r.allocation_role.has_value()) {
    w.Key("allocation_info").StartObject().Key("role").String(*r.allocation_role).EndObject();
  }
  if (r.disk.has_value()) {
    w.Key("disk");
    WriteDiskInfo(w, *r.disk);
  }
  if (r.shared) w.Key("shared").StartObject().EndObject();
  w.EndObject();
}

void WriteResources(JsonWriter& w, const model::Resources& rs) {
  w.StartArray();
  for (const model::Resource& r : rs.items()) WriteResource(w, r);
  w.EndArray();
}

absl::Status ParseResource(const JsonNode& n, model::Resource* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "name", &out->name));
  RETURN_IF_ERROR(ReqEnum(n, "type", &out->type, ParseResourceType));
  switch (out->type) {
    case ValueType::kScalar: {
      JsonNode scalar = n.Get("scalar");
      if (scalar.IsUnset()) return scalar.Error("required by type SCALAR");
      RETURN_IF_ERROR(ReadScalarValue(scalar, /*non_negative=*/true, &out->scalar));
      break;
    }
    case ValueType::kRanges: {
      JsonNode ranges = n.Get("ranges");
      if (ranges.IsUnset()) return ranges.Error("required by type RANGES");
      RETURN_IF_ERROR(ReadRangesValue(ranges, &out->ranges));
      break;
    }
    case ValueType::kSet: {
      JsonNode set = n.Get("set");
      if (set.IsUnset()) return set.Error("required by type SET");
      RETURN_IF_ERROR(ReadSetValue(set, &out->set));
      std::sort(out->set.begin(), out->set.end());
      out->set.erase(std::unique(out->set.begin(), out->set.end()), out->set.end());
      break;
    }
    case ValueType::kText:
      break;
  }

  // Refinement format first; otherwise "role" (+ "reservation" for a dynamic one).
  RETURN_IF_ERROR(Array(n, "reservations", &out->reservations, ReadReservationInfo));
  if (out->reservations.empty()) {
    std::string role = "*";
    RETURN_IF_ERROR(Opt(n, "role", &role));
    JsonNode reservation = n.Get("reservation");
    if (role != "*") {
      RETURN_IF_ERROR(CheckReservationRole(n.Get("role"), role));
      model::ReservationInfo info;
      info.type = model::ReservationInfo::Type::kStatic;
      info.role = role;
      if (!reservation.IsUnset()) {
        RETURN_IF_ERROR(reservation.ExpectObject());
        info.type = model::ReservationInfo::Type::kDynamic;
        RETURN_IF_ERROR(Opt(reservation, "principal", &info.principal));
        RETURN_IF_ERROR(Opt(reservation, "labels", &info.labels, ParseLabels));
      }
      out->reservations.push_back(std::move(info));
    } else if (!reservation.IsUnset()) {
      return reservation.Error("a reservation needs a role other than '*'");
    }
  }

  RETURN_IF_ERROR(ReadAllocationInfo(n, &out->allocation_role));
  RETURN_IF_ERROR(Opt(n, "disk", &out->disk, ReadDiskInfo));
  JsonNode shared = n.Get("shared");
  if (!shared.IsUnset()) {
    RETURN_IF_ERROR(shared.ExpectObject());
    out->shared = true;
  }
  return absl::OkStatus();
}

absl::Status ParseResources(const JsonNode& n, model::Resources* out) {
  RETURN_IF_ERROR(n.ExpectArray());
  for (size_t i = 0; i < n.Size(); ++i) {
    model::Resource r;
    RETURN_IF_ERROR(ParseResource(n.At(i), &r));
    out->Add(r);
  }
  return absl::OkStatus();
}

void WriteFlatResources(JsonWriter& w, const model::Resources& rs) {
  static constexpr std::string_view kAlways[] = {"cpus", "gpus", "mem", "disk"};
  w.StartObject();
  for (std::string_view name : kAlways) w.Key(name).Double(rs.GetScalar(name).ToDouble());

  // The rest by name; a name used with several types keeps the first type seen.
  std::map<std::string, model::Resource, std::less<>> others;
  for (const model::Resource& r : rs.items()) {
    if (std::find(std::begin(kAlways), std::end(kAlways), r.name) != std::end(kAlways)) continue;
    auto [it, inserted] = others.try_emplace(r.name);
    model::Resource& sum = it->second;
    if (inserted) {
      sum.name = r.name;
      sum.type = r.type;
    } else if (sum.type != r.type) {
      continue;
    }
    switch (r.type) {
      case ValueType::kScalar:
        sum.scalar += r.scalar;
        break;
      case ValueType::kRanges:
        sum.ranges.Add(r.ranges);
        break;
      case ValueType::kSet:
        sum.set.insert(sum.set.end(), r.set.begin(), r.set.end());
        break;
      case ValueType::kText:
        break;
    }
  }
  for (auto& [name, r] : others) {
    w.Key(name);
    switch (r.type) {
      case ValueType::kScalar:
        w.Double(r.scalar.ToDouble());
        break;
      case ValueType::kRanges:
        w.String(r.ranges.ToString());
        break;
      case ValueType::kSet: {
        std::set<std::string> items(r.set.begin(), r.set.end());
        w.String(atl::StrCat("{", atl::Join(items, ", "), "}"));
        break;
      }
      case ValueType::kText:
        w.String("");
        break;
    }
  }
  w.EndObject();
}

void WriteAttributes(JsonWriter& w, const model::Attributes& attributes) {
  w.StartArray();
  for (const model::Attribute& a : attributes) WriteAttribute(w, a);
  w.EndArray();
}

absl::Status ParseAttributes(const JsonNode& n, model::Attributes* out) {
  RETURN_IF_ERROR(n.ExpectArray());
  for (size_t i = 0; i < n.Size(); ++i) {
    model::Attribute a;
    RETURN_IF_ERROR(ReadAttribute(n.At(i), &a));
    out->push_back(std::move(a));
  }
  return absl::OkStatus();
}

void WriteLabels(JsonWriter& w, const model::Labels& labels) {
  w.StartObject();
  if (!labels.empty()) {
    w.Key("labels").StartArray();
    for (const model::Label& label : labels) {
      w.StartObject().Key("key").String(label.key);
      if (label.value.has_value()) w.Key("value").String(*label.value);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

absl::Status ParseLabels(const JsonNode& n, model::Labels* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Array(n, "labels", out, ReadLabel);
}

}  // namespace atl::api
