// Private to core/api: the parse side of the JSON codecs. A JsonNode is a read-only view of
// one value in a RapidJSON DOM together with where it sits ("accept.operations[0].type"),
// so every error can name its path. Readers and field combinators below turn nodes into
// model values following the v1 JSON conventions (reference/mesos.md §1.3):
//   * unknown keys are ignored; a member that is absent or null is unset;
//   * integers are JSON numbers or numeric strings; doubles likewise (finite only);
//   * an unknown enum name in an optional field is dropped, in a required one it is an error;
//   * `bytes` are standard base64; ids are {"value": "..."}.
//
// The reading side of every JSON codec: core/api's own, and the codecs of other folders that
// nest model values or need path-aware errors (core/agent/checkpoint_json.cc, marathonlike's
// app and group JSON). Include it from .cc files only, so RapidJSON stays out of headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "core/api/json.h"
#include "core/base/boxed.h"
#include "core/base/id.h"
#include "core/base/status.h"
#include "rapidjson/document.h"

namespace atl::api {

class JsonNode {
 public:
  // The root of a document; `name` starts every error path ("" for none).
  JsonNode(const rapidjson::Value& value, std::string_view name);

  // The member `key` (absent members give an unset node). A child points at its parent for
  // its path, so it must not outlive it: hence no calls on temporaries.
  JsonNode Get(std::string_view key) const&;
  JsonNode Get(std::string_view key) const&& = delete;
  // Element `i`. REQUIRES: IsArray() && i < Size().
  JsonNode At(size_t i) const&;
  JsonNode At(size_t i) const&& = delete;

  // Absent or JSON null: the field is unset.
  bool IsUnset() const { return value_ == nullptr || value_->IsNull(); }
  bool IsObject() const { return value_ != nullptr && value_->IsObject(); }
  bool IsArray() const { return value_ != nullptr && value_->IsArray(); }
  bool IsBool() const { return value_ != nullptr && value_->IsBool(); }
  // A JSON string (numbers are not strings, even though the DOM stores them as text).
  bool IsString() const;
  bool IsNumber() const;
  // Elements of an array. REQUIRES: IsArray().
  size_t Size() const { return value_->Size(); }
  // REQUIRES: IsBool().
  bool BoolValue() const { return value_->GetBool(); }
  // The string's bytes (unescaped, not yet checked for UTF-8). REQUIRES: IsString().
  std::string_view StringValue() const;
  // The number exactly as written in the document ("1.50", "-3e2"). REQUIRES: IsNumber().
  std::string_view NumberText() const;
  // "a string", "a number", "an object", ... for messages.
  std::string_view Kind() const;

  // "accept.operations[0].launch"; "" for an unnamed root.
  std::string Path() const;
  // InvalidArgument "<path>: <message>".
  absl::Status Error(std::string_view message) const;
  // InvalidArgument "<path>: expected <what>, got <kind of value>".
  absl::Status TypeError(std::string_view what) const;
  // Fails with a TypeError unless the node is an object.
  absl::Status ExpectObject() const;
  // Fails with a TypeError unless the node is an array.
  absl::Status ExpectArray() const;

  // Calls fn(key, child) for each member of an object, in document order.
  template <typename Fn>
  absl::Status ForEachMember(Fn fn) const;

 private:
  JsonNode(const rapidjson::Value* value, const JsonNode* parent, std::string_view key,
           size_t index)
      : value_(value), parent_(parent), key_(key), index_(index) {}

  static constexpr size_t kNoIndex = static_cast<size_t>(-1);
  const rapidjson::Value* value_;  // nullptr: absent
  const JsonNode* parent_;         // nullptr: root
  std::string_view key_;           // member key, or the root's name
  size_t index_;                   // array index, or kNoIndex
};

template <typename Fn>
absl::Status JsonNode::ForEachMember(Fn fn) const {
  RETURN_IF_ERROR(ExpectObject());
  for (auto it = value_->MemberBegin(); it != value_->MemberEnd(); ++it) {
    std::string_view key(it->name.GetString(), it->name.GetStringLength());
    JsonNode child(&it->value, this, key, kNoIndex);
    RETURN_IF_ERROR(fn(key, child));
  }
  return absl::OkStatus();
}

namespace internal {

// Parses `json` into `doc` with the checks ParseJsonDocument documents. Numbers are kept as
// their text (RapidJSON 1.1's own conversion has undefined behaviour on some inputs and
// rounds differently from std::from_chars), so read them through JsonNode, not the DOM.
absl::Status ParseDocument(std::string_view json, rapidjson::Document* doc);

// Strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool IsValidUtf8(std::string_view s);

// Standard base64 with padding.
std::string Base64Encode(std::string_view bytes);
// Standard alphabet; padding optional; nothing else (no whitespace, no URL alphabet).
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace internal

// ---- readers: turn one present node into a value ----

absl::Status ReadString(const JsonNode& n, std::string* out);
absl::Status ReadBool(const JsonNode& n, bool* out);
absl::Status ReadDouble(const JsonNode& n, double* out);
absl::Status ReadInt32(const JsonNode& n, int32_t* out);
absl::Status ReadUint32(const JsonNode& n, uint32_t* out);
absl::Status ReadInt64(const JsonNode& n, int64_t* out);
absl::Status ReadUint64(const JsonNode& n, uint64_t* out);
// A base64 string into raw bytes.
absl::Status ReadBytes(const JsonNode& n, std::string* out);

// {"value": "..."} into a strong id.
template <typename Tag>
absl::Status ReadId(const JsonNode& n, Id<Tag>* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  JsonNode v = n.Get("value");
  if (v.IsUnset()) return v.Error("required");
  std::string s;
  RETURN_IF_ERROR(ReadString(v, &s));
  *out = Id<Tag>(std::move(s));
  return absl::OkStatus();
}

// The default reader of the field combinators: picks the reader by the output type.
struct ReadPlain {
  absl::Status operator()(const JsonNode& n, std::string* out) const { return ReadString(n, out); }
  absl::Status operator()(const JsonNode& n, bool* out) const { return ReadBool(n, out); }
  absl::Status operator()(const JsonNode& n, double* out) const { return ReadDouble(n, out); }
  absl::Status operator()(const JsonNode& n, int32_t* out) const { return ReadInt32(n, out); }
  absl::Status operator()(const JsonNode& n, uint32_t* out) const { return ReadUint32(n, out); }
  absl::Status operator()(const JsonNode& n, int64_t* out) const { return ReadInt64(n, out); }
  absl::Status operator()(const JsonNode& n, uint64_t* out) const { return ReadUint64(n, out); }
  template <typename Tag>
  absl::Status operator()(const JsonNode& n, Id<Tag>* out) const {
    return ReadId(n, out);
  }
};

// ---- field combinators over an object node ----

// Reads member `key` with `read` if it is set; otherwise leaves *out unchanged.
template <typename T, typename ReadFn = ReadPlain>
absl::Status Opt(const JsonNode& obj, std::string_view key, T* out, ReadFn read = {}) {
  JsonNode n = obj.Get(key);
  if (n.IsUnset()) return absl::OkStatus();
  return read(n, out);
}

// Same for an optional output: engaged only when the member is set.
template <typename T, typename ReadFn = ReadPlain>
absl::Status Opt(const JsonNode& obj, std::string_view key, std::optional<T>* out,
                 ReadFn read = {}) {
  JsonNode n = obj.Get(key);
  if (n.IsUnset()) return absl::OkStatus();
  T value{};
  RETURN_IF_ERROR(read(n, &value));
  *out = std::move(value);
  return absl::OkStatus();
}

// Same for a heap-boxed optional output (core/base/boxed.h).
template <typename T, typename ReadFn = ReadPlain>
absl::Status Opt(const JsonNode& obj, std::string_view key, Boxed<T>* out, ReadFn read = {}) {
  JsonNode n = obj.Get(key);
  if (n.IsUnset()) return absl::OkStatus();
  T value{};
  RETURN_IF_ERROR(read(n, &value));
  *out = std::move(value);
  return absl::OkStatus();
}

// Reads member `key` with `read`; fails with "<path>.<key>: required" if it is unset.
template <typename T, typename ReadFn = ReadPlain>
absl::Status Req(const JsonNode& obj, std::string_view key, T* out, ReadFn read = {}) {
  JsonNode n = obj.Get(key);
  if (n.IsUnset()) return n.Error("required");
  return read(n, out);
}

// Same for an optional output.
template <typename T, typename ReadFn = ReadPlain>
absl::Status Req(const JsonNode& obj, std::string_view key, std::optional<T>* out,
                 ReadFn read = {}) {
  JsonNode n = obj.Get(key);
  if (n.IsUnset()) return n.Error("required");
  T value{};
  RETURN_IF_ERROR(read(n, &value));
  *out = std::move(value);
  return absl::OkStatus();
}

// Appends each element of the array member `key` (unset = no elements).
template <typename T, typename ReadFn = ReadPlain>
absl::Status Array(const JsonNode& obj, std::string_view key, std::vector<T>* out,
                   ReadFn read = {}) {
  JsonNode n = obj.Get(key);
  if (n.IsUnset()) return absl::OkStatus();
  RETURN_IF_ERROR(n.ExpectArray());
  out->reserve(out->size() + n.Size());
  for (size_t i = 0; i < n.Size(); ++i) {
    T value{};
    RETURN_IF_ERROR(read(n.At(i), &value));
    out->push_back(std::move(value));
  }
  return absl::OkStatus();
}

// Enums travel as their names. `parse` maps a name to std::optional<E>.
template <typename E, typename ParseFn>
absl::Status ReadEnum(const JsonNode& n, bool required, ParseFn parse, std::optional<E>* out) {
  std::string name;
  RETURN_IF_ERROR(ReadString(n, &name));
  std::optional<E> value = parse(std::string_view(name));
  if (!value.has_value()) {
    if (required) return n.Error("unknown value '" + name + "'");
    return absl::OkStatus();  // v1 JSON: an unknown name in an optional field is dropped
  }
  *out = std::move(value);
  return absl::OkStatus();
}

// Optional enum member: an unknown name leaves *out unchanged.
template <typename E, typename ParseFn>
absl::Status OptEnum(const JsonNode& obj, std::string_view key, E* out, ParseFn parse) {
  JsonNode n = obj.Get(key);
  if (n.IsUnset()) return absl::OkStatus();
  std::optional<E> value;
  RETURN_IF_ERROR(ReadEnum(n, /*required=*/false, parse, &value));
  if (value.has_value()) *out = std::move(*value);
  return absl::OkStatus();
}

template <typename E, typename ParseFn>
absl::Status OptEnum(const JsonNode& obj, std::string_view key, std::optional<E>* out,
                     ParseFn parse) {
  JsonNode n = obj.Get(key);
  if (n.IsUnset()) return absl::OkStatus();
  return ReadEnum(n, /*required=*/false, parse, out);
}

// Required enum member: unset or unknown is an error.
template <typename E, typename ParseFn>
absl::Status ReqEnum(const JsonNode& obj, std::string_view key, E* out, ParseFn parse) {
  JsonNode n = obj.Get(key);
  if (n.IsUnset()) return n.Error("required");
  std::optional<E> value;
  RETURN_IF_ERROR(ReadEnum(n, /*required=*/true, parse, &value));
  *out = std::move(*value);
  return absl::OkStatus();
}

// For enums the model keeps as strings: returns `name` if it is one of `names`.
std::optional<std::string> OneOf(std::string_view name,
                                 std::initializer_list<std::string_view> names);

}  // namespace atl::api
