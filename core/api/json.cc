#include "core/api/json.h"

#include <charconv>
#include <cmath>
#include <utility>

#include "core/api/json_internal.h"
#include "core/base/check.h"
#include "rapidjson/document.h"

namespace atl::api {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not valid.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return len;
}

void AppendQuoted(std::string* out, std::string_view s) {
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    // Runs of printable ASCII other than '"' and '\\' (nearly everything) go in one append.
    size_t run = i;
    while (run < s.size()) {
      unsigned char b = static_cast<unsigned char>(s[run]);
      if (b < 0x20 || b >= 0x7F || b == '"' || b == '\\') break;
      ++run;
    }
    out->append(s.data() + i, run - i);
    i = run;
    if (i == s.size()) break;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t len = Utf8SequenceLength(s, i);
      if (len == 0) {
        out->append("\xEF\xBF\xBD");  // U+FFFD for a byte that starts no valid sequence
        ++i;
      } else {
        out->append(s.substr(i, len));
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out->push_back('"');
}

template <typename T>
void AppendNumber(std::string* out, T value) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf), value);
  out->append(buf, res.ptr);
}

}  // namespace

namespace internal {

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t len = Utf8SequenceLength(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

}  // namespace internal

void JsonWriter::BeginValue() {
  ATOLL_CHECK(!complete_) << "JSON: a second root value after " << out_;
  if (stack_.empty()) return;
  Level& top = stack_.back();
  if (top.is_object) {
    ATOLL_CHECK(top.want_value) << "JSON: object value without a key after " << out_;
    top.want_value = false;
  } else {
    if (!top.empty) out_.push_back(',');
    top.empty = false;
  }
}

void JsonWriter::EndValue() {
  if (stack_.empty()) complete_ = true;
}

JsonWriter& JsonWriter::StartObject() {
  BeginValue();
  out_.push_back('{');
  stack_.push_back({.is_object = true});
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  ATOLL_CHECK(!stack_.empty() && stack_.back().is_object && !stack_.back().want_value)
      << "JSON: EndObject does not match after " << out_;
  stack_.pop_back();
  out_.push_back('}');
  EndValue();
  return *this;
}

JsonWriter& JsonWriter::StartArray() {
  BeginValue();
  out_.push_back('[');
  stack_.push_back({.is_object = false});
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  ATOLL_CHECK(!stack_.empty() && !stack_.back().is_object)
      << "JSON: EndArray does not match after " << out_;
  stack_.pop_back();
  out_.push_back(']');
  EndValue();
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  ATOLL_CHECK(!stack_.empty() && stack_.back().is_object && !stack_.back().want_value)
      << "JSON: key '" << key << "' outside an object or in place of a value after " << out_;
  Level& top = stack_.back();
  if (!top.empty) out_.push_back(',');
  top.empty = false;
  top.want_value = true;
  AppendQuoted(&out_, key);
  out_.push_back(':');
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
  BeginValue();
  AppendQuoted(&out_, value);
  EndValue();
  return *this;
}

JsonWriter& JsonWriter::Int(int32_t value) { return Int64(value); }
JsonWriter& JsonWriter::Uint(uint32_t value) { return Uint64(value); }

JsonWriter& JsonWriter::Int64(int64_t value) {
  BeginValue();
  AppendNumber(&out_, value);
  EndValue();
  return *this;
}

JsonWriter& JsonWriter::Uint64(uint64_t value) {
  BeginValue();
  AppendNumber(&out_, value);
  EndValue();
  return *this;
}

JsonWriter& JsonWriter::Double(double value) {
  if (!std::isfinite(value)) return Null();
  BeginValue();
  size_t start = out_.size();
  AppendNumber(&out_, value);  // shortest round-trip form
  if (out_.find_first_of(".e", start) == std::string::npos) out_.append(".0");
  EndValue();
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  BeginValue();
  out_.append(value ? "true" : "false");
  EndValue();
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeginValue();
  out_.append("null");
  EndValue();
  return *this;
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
  BeginValue();
  out_.append(json);
  EndValue();
  return *this;
}

std::string JsonWriter::Finish() {
  ATOLL_CHECK(complete_) << "JSON: Finish on an incomplete document: " << out_;
  std::string out = std::move(out_);
  out_.clear();
  stack_.clear();
  complete_ = false;
  return out;
}

absl::Status ParseJsonDocument(std::string_view json, std::string_view root_name,
                               const std::function<absl::Status(const JsonNode&)>& fn) {
  rapidjson::Document doc;
  RETURN_IF_ERROR(internal::ParseDocument(json, &doc));
  return fn(JsonNode(doc, root_name));
}

}  // namespace atl::api
