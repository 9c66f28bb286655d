// Fuzzes Marathon app JSON (marathonlike/app_json.h, app_validation.h): any input parses or
// fails cleanly with a 400/422; whatever parses and validates writes back to JSON that parses and
// validates to an equal AppDefinition; and the same input as a partial update merges into a
// stored app without crashing.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "marathonlike/app_json.h"
#include "marathonlike/app_validation.h"

namespace {

using atl::marathonlike::ApiErrorJson;
using atl::marathonlike::ApiOr;
using atl::marathonlike::AppDefinition;
using atl::marathonlike::AppPatch;

void CheckError(const atl::marathonlike::ApiError& error) {
  if (error.status != 400 && error.status != 422) std::abort();
  if (ApiErrorJson(error).empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  atl::marathonlike::AppReadOptions in_group;
  in_group.base_group = "/fuzz";
  ApiOr<AppDefinition> app = atl::marathonlike::ParseValidApp(json, in_group);
  if (app.ok()) {
    std::string written = atl::marathonlike::AppToJson(*app);
    ApiOr<AppDefinition> again = atl::marathonlike::ParseValidApp(written);
    if (!again.ok() || !(*again == *app)) std::abort();
    if (atl::marathonlike::AppToJson(*again) != written) std::abort();
  } else {
    CheckError(app.error());
  }

  atl::marathonlike::AppReadOptions for_app;
  for_app.app_id = "/fuzz/app";
  ApiOr<AppPatch> patch = atl::marathonlike::ParseAppPatch(json, for_app);
  if (patch.ok()) {
    AppDefinition stored;
    stored.id = "/fuzz/app";
    stored.cmd = "sleep 1";
    AppDefinition merged = patch->ApplyTo(stored);
    (void)atl::marathonlike::ValidateApp(merged);
    (void)atl::marathonlike::AppToJson(merged);
  } else {
    CheckError(patch.error());
  }
  return 0;
}
