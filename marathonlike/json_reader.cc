#include "marathonlike/json_reader.h"

#include "core/base/strings.h"

namespace atl::marathonlike::internal {

namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

}  // namespace

std::string ChildPath(std::string_view parent, std::string_view key) {
  return StrCat(parent, "/", key);
}

std::string IndexPath(std::string_view parent, size_t index) {
  return StrCat(parent, "(", index, ")");
}

std::string_view ReportedPath(std::string_view path) { return path.empty() ? "/" : path; }

std::string CanonicalName(std::string_view value, std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    if (EqualsIgnoringCase(value, name)) return std::string(name);
  }
  return std::string(value);
}

void JsonReader::Invalid(std::string_view path, std::string key) {
  AddFieldError(&invalid_, ReportedPath(path), std::move(key));
}

void JsonReader::Refuse(std::string_view path, std::string message) {
  AddFieldError(&refusals_, ReportedPath(path), std::move(message));
}

bool JsonReader::String(const api::JsonNode& n, std::string_view path, std::string* out) {
  if (!n.IsString()) {
    Invalid(path, "error.expected.jsstring");
    return false;
  }
  // RapidJSON validates raw bytes, but a lone "\udc00" escape still decodes to invalid UTF-8.
  if (!api::ReadString(n, out).ok()) {
    Invalid(path, "error.invalid.utf8");
    return false;
  }
  return true;
}

bool JsonReader::Bool(const api::JsonNode& n, std::string_view path, bool* out) {
  if (!n.IsBool()) {
    Invalid(path, "error.expected.jsboolean");
    return false;
  }
  *out = n.BoolValue();
  return true;
}

bool JsonReader::Double(const api::JsonNode& n, std::string_view path, double* out) {
  double value;
  if (!n.IsNumber() || !api::ReadDouble(n, &value).ok()) {
    Invalid(path, "error.expected.jsnumber");
    return false;
  }
  *out = value;
  return true;
}

bool JsonReader::Int32(const api::JsonNode& n, std::string_view path, int* out) {
  if (!n.IsNumber()) {
    Invalid(path, "error.expected.jsnumber");
    return false;
  }
  int32_t value;
  if (!api::ReadInt32(n, &value).ok()) {
    Invalid(path, "error.expected.int");
    return false;
  }
  *out = value;
  return true;
}

bool JsonReader::Int64(const api::JsonNode& n, std::string_view path, int64_t* out) {
  if (!n.IsNumber()) {
    Invalid(path, "error.expected.jsnumber");
    return false;
  }
  int64_t value;
  if (!api::ReadInt64(n, &value).ok()) {
    Invalid(path, "error.expected.long");
    return false;
  }
  *out = value;
  return true;
}

bool JsonReader::Timestamp(const api::JsonNode& n, std::string_view path, atl::Timestamp* out) {
  std::string text;
  if (!String(n, path, &text)) return false;
  std::optional<atl::Timestamp> t = ParseIso8601(text);
  if (!t.has_value()) {
    Invalid(path, "error.expected.date.isoformat");
    return false;
  }
  *out = *t;
  return true;
}

bool JsonReader::ExpectObject(const api::JsonNode& n, std::string_view path) {
  if (n.IsObject()) return true;
  Invalid(path, "error.expected.jsobject");
  return false;
}

bool JsonReader::ExpectArray(const api::JsonNode& n, std::string_view path) {
  if (n.IsArray()) return true;
  Invalid(path, "error.expected.jsarray");
  return false;
}

bool JsonReader::StringMap(const api::JsonNode& n, std::string_view path,
                           std::map<std::string, std::string>* out) {
  if (!ExpectObject(n, path)) return false;
  bool ok = true;
  std::map<std::string, std::string> values;
  (void)n.ForEachMember([&](std::string_view key, const api::JsonNode& child) {
    std::string value;
    // Duplicate keys: the first wins, as everywhere in our JSON reading.
    if (String(child, ChildPath(path, key), &value)) {
      values.emplace(std::string(key), std::move(value));
    } else {
      ok = false;
    }
    return absl::OkStatus();
  });
  if (ok) *out = std::move(values);
  return ok;
}

bool JsonReader::StringArray(const api::JsonNode& n, std::string_view path,
                             std::vector<std::string>* out) {
  if (!ExpectArray(n, path)) return false;
  bool ok = true;
  std::vector<std::string> values(n.Size());
  for (size_t i = 0; i < n.Size(); ++i) {
    ok = String(n.At(i), IndexPath(path, i), &values[i]) && ok;
  }
  if (ok) *out = std::move(values);
  return ok;
}

bool JsonReader::OptString(const api::JsonNode& obj, std::string_view path, std::string_view key,
                           std::string* out) {
  api::JsonNode n = obj.Get(key);
  return !n.IsUnset() && String(n, ChildPath(path, key), out);
}

bool JsonReader::OptString(const api::JsonNode& obj, std::string_view path, std::string_view key,
                           std::optional<std::string>* out) {
  std::string value;
  if (!OptString(obj, path, key, &value)) return false;
  *out = std::move(value);
  return true;
}

bool JsonReader::OptBool(const api::JsonNode& obj, std::string_view path, std::string_view key,
                         bool* out) {
  api::JsonNode n = obj.Get(key);
  return !n.IsUnset() && Bool(n, ChildPath(path, key), out);
}

bool JsonReader::OptDouble(const api::JsonNode& obj, std::string_view path, std::string_view key,
                           double* out) {
  api::JsonNode n = obj.Get(key);
  return !n.IsUnset() && Double(n, ChildPath(path, key), out);
}

bool JsonReader::OptInt32(const api::JsonNode& obj, std::string_view path, std::string_view key,
                          int* out) {
  api::JsonNode n = obj.Get(key);
  return !n.IsUnset() && Int32(n, ChildPath(path, key), out);
}

bool JsonReader::OptInt32(const api::JsonNode& obj, std::string_view path, std::string_view key,
                          std::optional<int>* out) {
  int value = 0;
  if (!OptInt32(obj, path, key, &value)) return false;
  *out = value;
  return true;
}

}  // namespace atl::marathonlike::internal
