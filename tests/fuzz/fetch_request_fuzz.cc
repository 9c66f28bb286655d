// Fuzzes the fetcher's request codec (`atoll fetch <json>`, core/api/fetch_request.h): any input
// parses or fails cleanly, and whatever parses re-serializes to something that parses to the
// same request.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/api/fetch_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  if (auto request = atl::api::ParseFetchRequest(json); request.ok()) {
    auto again = atl::api::ParseFetchRequest(atl::api::SerializeFetchRequest(*request));
    if (!again.ok() || !(*again == *request)) std::abort();
  }
  return 0;
}
