// Fuzzes the v1 executor API's JSON codec in both directions (calls and events): any input
// parses or fails cleanly, and whatever parses re-serializes to something that parses to the
// same message.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/api/json_executor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  if (auto m = atl::api::ParseExecutorCall(json); m.ok()) {
    auto again = atl::api::ParseExecutorCall(atl::api::SerializeExecutorCall(*m));
    if (!again.ok() || !(*again == *m)) std::abort();
  }
  if (auto m = atl::api::ParseExecutorEvent(json); m.ok()) {
    auto again = atl::api::ParseExecutorEvent(atl::api::SerializeExecutorEvent(*m));
    if (!again.ok() || !(*again == *m)) std::abort();
  }
  return 0;
}
