#include "core/base/uuid.h"

#include "core/base/strings.h"

namespace atl {

std::string UuidToString(const UuidBytes& u) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s.push_back('-');
    s.push_back(kHex[u[i] >> 4]);
    s.push_back(kHex[u[i] & 0xf]);
  }
  return s;
}

absl::StatusOr<UuidBytes> UuidFromString(std::string_view s) {
  if (s.size() != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') {
    return absl::InvalidArgumentError(atl::StrCat("not a UUID: '", s, "'"));
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  UuidBytes u{};
  size_t j = 0;
  for (size_t i = 0; i < 16; ++i) {
    if (s[j] == '-') ++j;
    int hi = nibble(s[j]), lo = nibble(s[j + 1]);
    if (hi < 0 || lo < 0) return absl::InvalidArgumentError(atl::StrCat("not a UUID: '", s, "'"));
    u[i] = static_cast<uint8_t>(hi << 4 | lo);
    j += 2;
  }
  return u;
}

std::string UuidToBytes(const UuidBytes& u) {
  return std::string(reinterpret_cast<const char*>(u.data()), u.size());
}

}  // namespace atl
