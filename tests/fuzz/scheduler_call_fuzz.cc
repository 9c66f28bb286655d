// ParseCall on arbitrary bytes must never crash, and whatever it accepts must survive a round
// trip: SerializeCall then ParseCall gives an equal Call, and serializing again is stable.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/api/json_scheduler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<atl::api::Call> call = atl::api::ParseCall(input);
  if (!call.ok()) return 0;
  std::string json = atl::api::SerializeCall(*call);
  absl::StatusOr<atl::api::Call> again = atl::api::ParseCall(json);
  if (!again.ok()) {
    std::fprintf(stderr, "serialized call does not parse: %s\n%s\n",
                 std::string(again.status().message()).c_str(), json.c_str());
    std::abort();
  }
  if (!(*again == *call)) {
    std::fprintf(stderr, "round trip changed the call:\n%s\n", json.c_str());
    std::abort();
  }
  if (atl::api::SerializeCall(*again) != json || json.find('\n') != std::string::npos) {
    std::fprintf(stderr, "serialization is not stable or has a newline:\n%s\n", json.c_str());
    std::abort();
  }
  return 0;
}
