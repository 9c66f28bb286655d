// ParseEvent on arbitrary bytes must never crash, and whatever it accepts must survive a round
// trip: SerializeEvent then ParseEvent gives an equal Event, and serializing again is stable.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/api/json_scheduler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<atl::api::Event> event = atl::api::ParseEvent(input);
  if (!event.ok()) return 0;
  std::string json = atl::api::SerializeEvent(*event);
  absl::StatusOr<atl::api::Event> again = atl::api::ParseEvent(json);
  if (!again.ok()) {
    std::fprintf(stderr, "serialized event does not parse: %s\n%s\n",
                 std::string(again.status().message()).c_str(), json.c_str());
    std::abort();
  }
  if (!(*again == *event)) {
    std::fprintf(stderr, "round trip changed the event:\n%s\n", json.c_str());
    std::abort();
  }
  if (atl::api::SerializeEvent(*again) != json || json.find('\n') != std::string::npos) {
    std::fprintf(stderr, "serialization is not stable or has a newline:\n%s\n", json.c_str());
    std::abort();
  }
  return 0;
}
