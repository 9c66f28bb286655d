// Fuzzes the health, readiness and HTTP lifecycle label codecs (healthchecks/tracker.h,
// readiness.h, core/model/http_lifecycle.h): what an
// executor (or anything claiming to be one) puts in TaskStatus.labels, and what a scheduler puts
// in TaskInfo.labels, is read without crashing; whatever is read writes back to labels that read
// the same again.
//
// Input: lines "key=value" (a line without '=' is a label without a value); the first byte,
// when it is '!', makes TaskStatus.healthy false, '+' true, anything else unset.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/strings.h"
#include "core/model/http_lifecycle.h"
#include "healthchecks/readiness.h"
#include "healthchecks/tracker.h"

namespace {

namespace hc = atl::healthchecks;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 8 * 1024) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::optional<bool> healthy;
  if (!input.empty() && (input[0] == '!' || input[0] == '+')) {
    healthy = input[0] == '+';
    input.remove_prefix(1);
  }
  atl::model::Labels labels;
  for (std::string_view line : atl::Split(input, '\n')) {
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      labels.push_back({std::string(line), std::nullopt});
    } else {
      labels.push_back({std::string(line.substr(0, eq)), std::string(line.substr(eq + 1))});
    }
  }
  // Health: read, write, read again: the same state.
  const hc::State state = hc::FromLabels(labels, healthy);
  if (state.consecutive_failures < 0) std::abort();
  if (hc::FromLabels(hc::ToLabels(state), healthy) != state) std::abort();
  // Readiness result.
  if (std::optional<hc::Readiness> r = hc::ResultFromLabels(labels)) {
    if (hc::ResultFromLabels(hc::ResultLabels(*r)) != *r) std::abort();
  }
  // Readiness spec: a parsed spec is usable (a port, positive times, some codes).
  if (std::optional<hc::ReadinessSpec> spec = hc::SpecFromLabels(labels)) {
    if (spec->port == 0 || spec->port > 65535 || spec->ready_codes.empty() ||
        spec->interval <= atl::Duration::Zero() || spec->timeout <= atl::Duration::Zero()) {
      std::abort();
    }
    if (hc::SpecFromLabels(hc::SpecLabels(*spec)) != spec) std::abort();
  }
  // HTTP lifecycle: a parsed one is usable (a port, request-target endpoints, bounded waits)
  // and reads back the same.
  if (std::optional<atl::model::HttpLifecycle> l = atl::model::HttpLifecycleFromLabels(labels)) {
    const atl::Duration max = atl::Duration::Seconds(atl::model::kMaxHttpLifecycleWaitSeconds);
    if (l->port == 0 || l->port > 65535 ||
        !atl::model::ValidHttpLifecycleEndpoint(l->graceful_shutdown_endpoint) ||
        !atl::model::ValidHttpLifecycleEndpoint(l->shutdown_endpoint) ||
        l->graceful_shutdown_wait < atl::Duration::Zero() || l->graceful_shutdown_wait > max ||
        l->shutdown_wait < atl::Duration::Zero() || l->shutdown_wait > max) {
      std::abort();
    }
    if (atl::model::HttpLifecycleFromLabels(atl::model::HttpLifecycleLabels(*l)) != l) {
      std::abort();
    }
  }
  return 0;
}
