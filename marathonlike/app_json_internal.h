// Private to marathonlike's JSON codecs (include from .cc files only): reading one app object
// inside a larger document, for app_json.cc and for the apps of a group update
// (group_json.cc).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "marathonlike/app.h"
#include "marathonlike/app_json.h"
#include "marathonlike/json_reader.h"

namespace atl::marathonlike::internal {

struct AppReadContext {
  AppReadOptions options;
  // A complete definition: `id` is required (unless options.app_id) and absent fields keep
  // Marathon's defaults. Otherwise a patch: only the fields present are read.
  bool full = true;
  // Group updates resolve relative dependencies against the group (Marathon's
  // GroupUpdate.toApp); /v2/apps against the app's own id (`withCanonizedIds`).
  bool dependencies_relative_to_group = false;
};

// What the body said besides the model's values.
struct AppObjectInfo {
  std::set<std::string> present;  // canonical names of the fields set (not `id`/`version`)
  bool id_given = false;
  std::optional<Timestamp> version;  // a valid `version` member, read in patch mode
};

// Reads the app object `n` at `path` into *app (which holds the defaults, or the fields so far),
// normalizes it (NormalizeApp) and records type errors and refusals in `r`.
void ReadAppObject(JsonReader& r, const api::JsonNode& n, std::string_view path,
                   const AppReadContext& ctx, AppDefinition* app, AppObjectInfo* info);

}  // namespace atl::marathonlike::internal
