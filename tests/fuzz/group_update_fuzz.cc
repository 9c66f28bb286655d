// Fuzzes Marathon's GroupUpdate (marathonlike/group_json.h) and its application to a root group
// (marathonlike/root_group.h), the body of POST/PUT /v2/groups[/{id}]: any input parses and
// validates or fails cleanly with a 400/422; an update that validates applies to a small root
// (as a structural update, or a scale when it has `scaleBy`) or fails with InvalidArgument /
// NotFound, and whatever applies keeps the root's invariants (CheckRoot) and writes JSON that
// parses. The same body is tried against "/" and against a nested group of the URL.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/api/json.h"
#include "core/base/time.h"
#include "marathonlike/group_json.h"
#include "marathonlike/root_group.h"

namespace {

namespace mk = atl::marathonlike;
using atl::Timestamp;

mk::AppDefinition App(std::string id) {
  mk::AppDefinition app;
  app.id = std::move(id);
  app.cmd = "sleep 1000";
  app.instances = 2;
  app.cpus = 0.1;
  app.mem = 32;
  return app;
}

const mk::Group& Root() {
  static const mk::Group root = [] {
    Timestamp t0 = Timestamp::FromNanoseconds(1'700'000'000'000'000'000);
    mk::Group root;
    for (const char* id : {"/web", "/g/a", "/g/sub/b", "/other/c"}) {
      absl::StatusOr<mk::Group> next = mk::PutApp(root, App(id), t0);
      if (!next.ok()) std::abort();
      root = *std::move(next);
    }
    return root;
  }();
  return root;
}

void CheckJson(const std::string& json) {
  absl::Status parsed = atl::api::ParseJsonDocument(
      json, "", [](const atl::api::JsonNode&) { return absl::OkStatus(); });
  if (!parsed.ok()) std::abort();
}

void CheckResult(const absl::StatusOr<mk::Group>& result) {
  if (!result.ok()) {
    absl::StatusCode code = result.status().code();
    if (code != absl::StatusCode::kInvalidArgument && code != absl::StatusCode::kNotFound) {
      std::abort();
    }
    return;
  }
  if (!mk::CheckRoot(*result).ok()) std::abort();
  CheckJson(mk::GroupToJson(*result));
}

void Run(std::string_view json, const mk::PathId& base) {
  Timestamp now = Timestamp::FromNanoseconds(1'700'000'100'000'000'000);
  mk::ApiOr<mk::GroupUpdate> update = mk::ParseValidGroupUpdate(json, base);
  if (!update.ok()) {
    if (update.error().status != 400 && update.error().status != 422) std::abort();
    CheckJson(mk::ApiErrorJson(update.error()));
    return;
  }
  // Valid updates validate again (and parse-only agrees with parse+validate).
  if (!mk::ValidateGroupUpdate(*update, base).empty()) std::abort();
  mk::ApiOr<mk::GroupUpdate> parsed = mk::ParseGroupUpdate(json, base);
  if (!parsed.ok() || !(*parsed == *update)) std::abort();

  const mk::PathId id = update->id.value_or(base);
  if (update->version.has_value()) return;  // a rollback: needs a stored version
  if (update->scale_by.has_value()) {
    CheckResult(mk::ScaleGroup(Root(), id, *update->scale_by, now));
    return;
  }
  absl::StatusOr<mk::Group> applied = mk::ApplyGroupUpdate(Root(), id, *update, now);
  CheckResult(applied);
  if (applied.ok()) {
    // Applying the same update again changes nothing.
    absl::StatusOr<mk::Group> again = mk::ApplyGroupUpdate(*applied, id, *update, now);
    if (!again.ok() || !(*again == *applied)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  Run(json, "/");
  Run(json, "/g");
  return 0;
}
