// Fuzzes the text parsers of the agent flags: resources ("cpus:4;mem:1024;ports:[31000-32000];
// cpus(ads):8"), attributes ("rack:r1;slots:[1-4]") and ranges. Any input must give a value or
// an error, never a crash; a parsed value must survive its own printing and re-parsing.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/model/attributes.h"
#include "core/model/resources.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto resources = atl::model::Resources::Parse(text);
  if (resources.ok()) {
    // Contains/Subtract on what was just parsed must hold.
    atl::model::Resources copy = *resources;
    if (!copy.Contains(*resources)) std::abort();
    copy.Subtract(*resources);
    if (!copy.empty()) std::abort();
  }
  (void)atl::model::ParseAttributes(text);
  auto ranges = atl::model::Ranges::Parse(text);
  if (ranges.ok()) {
    auto again = atl::model::Ranges::Parse(ranges->ToString());
    if (!again.ok() || !(*again == *ranges)) std::abort();
  }
  return 0;
}
