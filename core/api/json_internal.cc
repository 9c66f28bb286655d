#include "core/api/json_internal.h"

#include <charconv>
#include <cmath>
#include <system_error>
#include <vector>

#include "core/base/strings.h"
#include "rapidjson/error/en.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"

namespace atl::api {
namespace {

// Numbers reach the DOM as strings whose first byte is 0xFF, which no valid UTF-8 string (and
// so no JSON string, as the parser validates the input) can start with.
constexpr char kNumberMark = '\xff';

std::string_view StringOf(const rapidjson::Value& v) {
  return std::string_view(v.GetString(), v.GetStringLength());
}

// Forwards SAX events to a Document, turning raw numbers into marked strings.
class NumberMarkingHandler {
 public:
  explicit NumberMarkingHandler(rapidjson::Document& doc) : doc_(doc) {}

  bool RawNumber(const char* str, rapidjson::SizeType length, bool /*copy*/) {
    marked_.assign(1, kNumberMark);
    marked_.append(str, length);
    return doc_.String(marked_.data(), static_cast<rapidjson::SizeType>(marked_.size()), true);
  }
  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool String(const char* str, rapidjson::SizeType length, bool copy) {
    return doc_.String(str, length, copy);
  }
  bool StartObject() { return doc_.StartObject(); }
  bool Key(const char* str, rapidjson::SizeType length, bool copy) {
    return doc_.Key(str, length, copy);
  }
  bool EndObject(rapidjson::SizeType members) { return doc_.EndObject(members); }
  bool StartArray() { return doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) { return doc_.EndArray(elements); }
  // Not called under kParseNumbersAsStringsFlag, but part of the handler concept.
  bool Int(int) { return false; }
  bool Uint(unsigned) { return false; }
  bool Int64(int64_t) { return false; }
  bool Uint64(uint64_t) { return false; }
  bool Double(double) { return false; }

 private:
  rapidjson::Document& doc_;
  std::string marked_;
};

// The value as it appeared, for error messages.
std::string Quote(const JsonNode& n) {
  if (n.IsNumber()) return std::string(n.NumberText());
  if (n.IsString()) return atl::StrCat("'", n.StringValue(), "'");
  return std::string(n.Kind());
}

absl::Status OutOfRange(const JsonNode& n) {
  return n.Error(atl::StrCat(Quote(n), " is out of range"));
}

absl::Status NotAnInteger(const JsonNode& n) {
  return n.Error(atl::StrCat("expected an integer, got ", Quote(n)));
}

bool LooksIntegral(std::string_view text) {
  return text.find_first_of(".eE") == std::string_view::npos;
}

// Whole-text std::from_chars; false on junk or overflow (*out_of_range tells which).
template <typename T>
bool FromChars(std::string_view text, T* out, bool* out_of_range) {
  T value{};
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  *out_of_range = ec == std::errc::result_out_of_range;
  if (ec != std::errc() || ptr != text.data() + text.size()) return false;
  *out = value;
  return true;
}

// An integer-valued number written with a fraction or exponent ("1e10", "5.0").
absl::Status ReadIntegralDouble(const JsonNode& n, double lo, double hi_exclusive, double* out) {
  double d;
  bool out_of_range;
  if (!FromChars(n.NumberText(), &d, &out_of_range)) return OutOfRange(n);
  if (d != std::trunc(d)) return NotAnInteger(n);
  if (!(d >= lo && d < hi_exclusive)) return OutOfRange(n);
  *out = d;
  return absl::OkStatus();
}

// Reads an integer within [lo, hi] from a number or a numeric string.
absl::Status ReadIntegerIn(const JsonNode& n, int64_t lo, int64_t hi, int64_t* out) {
  int64_t value;
  if (n.IsNumber()) {
    std::string_view text = n.NumberText();
    bool out_of_range;
    if (LooksIntegral(text)) {
      if (!FromChars(text, &value, &out_of_range)) return OutOfRange(n);
    } else {
      double d;
      RETURN_IF_ERROR(ReadIntegralDouble(n, -9223372036854775808.0, 9223372036854775808.0, &d));
      value = static_cast<int64_t>(d);
    }
  } else if (n.IsString()) {
    if (!atl::ParseInt64(n.StringValue(), &value)) {
      uint64_t big;
      if (atl::ParseUint64(n.StringValue(), &big)) return OutOfRange(n);
      return NotAnInteger(n);
    }
  } else {
    return n.TypeError("an integer");
  }
  if (value < lo || value > hi) return OutOfRange(n);
  *out = value;
  return absl::OkStatus();
}

}  // namespace

JsonNode::JsonNode(const rapidjson::Value& value, std::string_view name)
    : value_(&value), parent_(nullptr), key_(name), index_(kNoIndex) {}

bool JsonNode::IsString() const {
  return value_ != nullptr && value_->IsString() &&
         !(value_->GetStringLength() > 0 && value_->GetString()[0] == kNumberMark);
}

bool JsonNode::IsNumber() const {
  return value_ != nullptr && value_->IsString() && value_->GetStringLength() > 0 &&
         value_->GetString()[0] == kNumberMark;
}

std::string_view JsonNode::StringValue() const { return StringOf(*value_); }

std::string_view JsonNode::NumberText() const { return StringOf(*value_).substr(1); }

std::string_view JsonNode::Kind() const {
  if (value_ == nullptr) return "nothing";
  if (IsNumber()) return "a number";
  switch (value_->GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "a boolean";
    case rapidjson::kObjectType:
      return "an object";
    case rapidjson::kArrayType:
      return "an array";
    case rapidjson::kStringType:
      return "a string";
    case rapidjson::kNumberType:
      return "a number";
  }
  return "a value";
}

JsonNode JsonNode::Get(std::string_view key) const& {
  const rapidjson::Value* found = nullptr;
  if (value_ != nullptr && value_->IsObject()) {
    for (auto it = value_->MemberBegin(); it != value_->MemberEnd(); ++it) {
      if (StringOf(it->name) == key) {
        found = &it->value;
        break;  // duplicate keys: the first one wins
      }
    }
  }
  return JsonNode(found, this, key, kNoIndex);
}

JsonNode JsonNode::At(size_t i) const& {
  return JsonNode(&(*value_)[static_cast<rapidjson::SizeType>(i)], this, "", i);
}

std::string JsonNode::Path() const {
  std::vector<const JsonNode*> chain;
  for (const JsonNode* n = this; n != nullptr; n = n->parent_) chain.push_back(n);
  std::string path;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const JsonNode* n = *it;
    if (n->index_ != kNoIndex) {
      atl::StrAppend(&path, "[", n->index_, "]");
    } else if (!n->key_.empty()) {
      if (!path.empty()) path.push_back('.');
      path.append(n->key_);
    }
  }
  return path;
}

absl::Status JsonNode::Error(std::string_view message) const {
  std::string path = Path();
  if (path.empty()) return absl::InvalidArgumentError(std::string(message));
  return absl::InvalidArgumentError(atl::StrCat(path, ": ", message));
}

absl::Status JsonNode::TypeError(std::string_view what) const {
  return Error(atl::StrCat("expected ", what, ", got ", Kind()));
}

absl::Status JsonNode::ExpectObject() const {
  return IsObject() ? absl::OkStatus() : TypeError("an object");
}

absl::Status JsonNode::ExpectArray() const {
  return IsArray() ? absl::OkStatus() : TypeError("an array");
}

namespace internal {

absl::Status ParseDocument(std::string_view json, rapidjson::Document* doc) {
  // RapidJSON reads a NUL as the end of input (so "{}\0junk" would pass) and its iterative
  // parser bounds only stack use, not depth: check both before building the DOM.
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (c == '\0') {
      return absl::InvalidArgumentError(atl::StrCat("invalid JSON: NUL byte at offset ", i));
    }
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) {
        return absl::InvalidArgumentError(
            atl::StrCat("invalid JSON: nested deeper than ", kMaxJsonDepth, " at offset ", i));
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  constexpr unsigned kFlags = rapidjson::kParseNumbersAsStringsFlag |
                              rapidjson::kParseValidateEncodingFlag |
                              rapidjson::kParseIterativeFlag;
  rapidjson::Reader reader;
  rapidjson::MemoryStream stream(json.data(), json.size());
  auto generate = [&](rapidjson::Document& d) {
    NumberMarkingHandler handler(d);
    return !reader.Parse<kFlags>(stream, handler).IsError();
  };
  doc->Populate(generate);
  if (reader.HasParseError()) {
    return absl::InvalidArgumentError(
        atl::StrCat("invalid JSON at offset ", reader.GetErrorOffset(), ": ",
                    rapidjson::GetParseError_En(reader.GetParseErrorCode())));
  }
  return absl::OkStatus();
}

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  auto at = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    out.push_back(kAlphabet[v >> 18 & 63]);
    out.push_back(kAlphabet[v >> 12 & 63]);
    out.push_back(kAlphabet[v >> 6 & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = at(i) << 16 | (rest == 2 ? at(i + 1) << 8 : 0);
    out.push_back(kAlphabet[v >> 18 & 63]);
    out.push_back(kAlphabet[v >> 12 & 63]);
    out.push_back(rest == 2 ? kAlphabet[v >> 6 & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  size_t n = text.size();
  size_t padding = 0;
  while (padding < 2 && n > 0 && text[n - 1] == '=') {
    --n;
    ++padding;
  }
  if (padding > 0 && text.size() % 4 != 0) return std::nullopt;
  if (n % 4 == 1) return std::nullopt;
  auto sextet = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(n * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    int s = sextet(text[i]);
    if (s < 0) return std::nullopt;
    acc = (acc << 6 | static_cast<uint32_t>(s)) & 0xFFFFFF;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>(acc >> bits & 0xFF));
    }
  }
  return out;
}

}  // namespace internal

absl::Status ReadString(const JsonNode& n, std::string* out) {
  if (!n.IsString()) return n.TypeError("a string");
  std::string_view s = n.StringValue();
  // RapidJSON validates raw bytes but turns a lone "\udc00" escape into invalid UTF-8.
  if (!internal::IsValidUtf8(s)) return n.Error("invalid UTF-8 in string");
  out->assign(s);
  return absl::OkStatus();
}

absl::Status ReadBool(const JsonNode& n, bool* out) {
  if (!n.IsBool()) return n.TypeError("a boolean");
  *out = n.BoolValue();
  return absl::OkStatus();
}

absl::Status ReadDouble(const JsonNode& n, double* out) {
  if (n.IsNumber()) {
    bool out_of_range;
    if (!FromChars(n.NumberText(), out, &out_of_range)) return OutOfRange(n);
    return absl::OkStatus();
  }
  if (n.IsString()) {
    if (!atl::ParseDouble(n.StringValue(), out)) {
      return n.Error(atl::StrCat("expected a number, got ", Quote(n)));
    }
    return absl::OkStatus();
  }
  return n.TypeError("a number");
}

absl::Status ReadInt32(const JsonNode& n, int32_t* out) {
  int64_t v;
  RETURN_IF_ERROR(ReadIntegerIn(n, INT32_MIN, INT32_MAX, &v));
  *out = static_cast<int32_t>(v);
  return absl::OkStatus();
}

absl::Status ReadUint32(const JsonNode& n, uint32_t* out) {
  int64_t v;
  RETURN_IF_ERROR(ReadIntegerIn(n, 0, UINT32_MAX, &v));
  *out = static_cast<uint32_t>(v);
  return absl::OkStatus();
}

absl::Status ReadInt64(const JsonNode& n, int64_t* out) {
  return ReadIntegerIn(n, INT64_MIN, INT64_MAX, out);
}

absl::Status ReadUint64(const JsonNode& n, uint64_t* out) {
  std::string_view text;
  if (n.IsNumber()) {
    text = n.NumberText();
    if (!LooksIntegral(text)) {
      double d;
      RETURN_IF_ERROR(ReadIntegralDouble(n, 0, 18446744073709551616.0, &d));
      *out = static_cast<uint64_t>(d);
      return absl::OkStatus();
    }
  } else if (n.IsString()) {
    text = atl::Strip(n.StringValue());
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  } else {
    return n.TypeError("an integer");
  }
  bool out_of_range;
  if (FromChars(text, out, &out_of_range)) return absl::OkStatus();
  int64_t negative;
  if (out_of_range || (!text.empty() && text.front() == '-' && atl::ParseInt64(text, &negative))) {
    return OutOfRange(n);
  }
  return NotAnInteger(n);
}

absl::Status ReadBytes(const JsonNode& n, std::string* out) {
  if (!n.IsString()) return n.TypeError("a base64 string");
  std::optional<std::string> bytes = internal::Base64Decode(n.StringValue());
  if (!bytes.has_value()) return n.Error("not valid base64");
  *out = std::move(*bytes);
  return absl::OkStatus();
}

std::optional<std::string> OneOf(std::string_view name,
                                 std::initializer_list<std::string_view> names) {
  for (std::string_view n : names) {
    if (n == name) return std::string(name);
  }
  return std::nullopt;
}

}  // namespace atl::api
