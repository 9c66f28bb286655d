// 16-byte UUIDs: canonical text form for stream ids, base64 for status-update uuids.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace atl {

using UuidBytes = std::array<uint8_t, 16>;

// "0b1f6c64-7e3a-4c2e-9d55-3f1c2b8a9e10".
std::string UuidToString(const UuidBytes& u);
// Parses the canonical 36-character form (either case).
absl::StatusOr<UuidBytes> UuidFromString(std::string_view s);
// The 16 bytes as a std::string (the representation of TaskStatus.uuid).
std::string UuidToBytes(const UuidBytes& u);

}  // namespace atl
