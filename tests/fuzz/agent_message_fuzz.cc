// Fuzzes the agent protocol's JSON codec in both directions: any input parses or fails
// cleanly, and whatever parses re-serializes to something that parses to the same message.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/api/json_agent.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  if (auto m = atl::api::ParseAgentToMaster(json); m.ok()) {
    auto again = atl::api::ParseAgentToMaster(atl::api::SerializeAgentToMaster(*m));
    if (!again.ok() || !(*again == *m)) std::abort();
  }
  if (auto m = atl::api::ParseMasterToAgent(json); m.ok()) {
    auto again = atl::api::ParseMasterToAgent(atl::api::SerializeMasterToAgent(*m));
    if (!again.ok() || !(*again == *m)) std::abort();
  }
  return 0;
}
