// JSON for the Mesos-compatible APIs: a small streaming writer that produces compact,
// single-line JSON, and the entry point that parses a document for the codecs.
//
//   JsonWriter w;
//   w.StartObject().Key("type").String("HEARTBEAT").EndObject();
//   std::string json = w.Finish();  // {"type":"HEARTBEAT"}
//
// The writer never emits a newline (RecordIO readers split on '\n'), always emits valid
// UTF-8 (invalid bytes become U+FFFD), prints doubles in their shortest round-trip form with
// a ".0" on whole numbers (`15.0`, like Mesos), and writes non-finite doubles as `null`.
// RapidJSON stays in json_internal.h and the .cc files; nothing here exposes it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace atl::api {

class JsonWriter {
 public:
  JsonWriter() = default;
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  // Structure. Misuse (a value where a key is due, unbalanced End*, a second root value) is a
  // programming error and crashes with ATOLL_CHECK.
  JsonWriter& StartObject();
  JsonWriter& EndObject();
  JsonWriter& StartArray();
  JsonWriter& EndArray();
  // REQUIRES: inside an object, and the previous key already has its value.
  JsonWriter& Key(std::string_view key);

  // Values: at the root, after a Key, or inside an array.
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int32_t value);
  JsonWriter& Uint(uint32_t value);
  JsonWriter& Int64(int64_t value);
  JsonWriter& Uint64(uint64_t value);
  // Shortest form that parses back to the same double; whole numbers get ".0"; NaN and
  // infinities are written as null (JSON has no spelling for them).
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Splices an already serialized JSON value (e.g. a cached fragment) as one value.
  // REQUIRES: `json` is one valid, compact JSON value without newlines.
  JsonWriter& Raw(std::string_view json);

  // True once exactly one root value has been completely written.
  bool complete() const { return complete_; }
  // The text written so far.
  const std::string& str() const { return out_; }
  // Returns the document and resets the writer for reuse. REQUIRES: complete().
  std::string Finish();

 private:
  // Emits the separator a new value needs and checks that a value is allowed here.
  void BeginValue();
  void EndValue();

  struct Level {
    bool is_object = false;
    bool empty = true;
    bool want_value = false;  // objects: a key was written and its value is due
  };
  std::string out_;
  std::vector<Level> stack_;
  bool complete_ = false;
};

// Parsing is done by the codecs (json_model.h, json_scheduler.h) on an opaque node type,
// declared in the private header core/api/json_internal.h.
class JsonNode;

// Nesting deeper than this is rejected before any DOM is built.
inline constexpr int kMaxJsonDepth = 64;

// Parses `json` as exactly one JSON value (whitespace around it allowed, anything else after
// it is an error) and runs `fn` on its root, which error paths call `root_name` ("" for
// none). Fails with InvalidArgument on malformed JSON, invalid UTF-8, NUL bytes, nesting
// deeper than kMaxJsonDepth, or whatever `fn` returns.
absl::Status ParseJsonDocument(std::string_view json, std::string_view root_name,
                               const std::function<absl::Status(const JsonNode&)>& fn);

// Convenience over ParseJsonDocument for one of the Parse* functions of json_model.h:
//   absl::StatusOr<model::TaskInfo> task = ParseJson(text, ParseTaskInfo);
template <typename T>
absl::StatusOr<T> ParseJson(std::string_view json, absl::Status (*parse)(const JsonNode&, T*)) {
  T value{};
  absl::Status status =
      ParseJsonDocument(json, "", [&](const JsonNode& root) { return parse(root, &value); });
  if (!status.ok()) return status;
  return value;
}

// Convenience for one of the Write* functions of json_model.h:
//   std::string text = ToJson(task, WriteTaskInfo);
template <typename T>
std::string ToJson(const T& value, void (*write)(JsonWriter&, const T&)) {
  JsonWriter w;
  write(w, value);
  return w.Finish();
}

}  // namespace atl::api
