#include "marathonlike/lifecycle_labels.h"

#include "core/base/strings.h"

namespace atl::marathonlike {
namespace {

constexpr char kGracefulEndpoint[] = "ATOLL_LIFECYCLE_GRACEFUL_SHUTDOWN_ENDPOINT";
constexpr char kShutdownEndpoint[] = "ATOLL_LIFECYCLE_SHUTDOWN_ENDPOINT";
constexpr char kGracefulWait[] = "ATOLL_LIFECYCLE_GRACEFUL_SHUTDOWN_WAIT_SECONDS";
constexpr char kShutdownWait[] = "ATOLL_LIFECYCLE_SHUTDOWN_WAIT_SECONDS";

}  // namespace

std::optional<AppLifecycle> AppLifecycleOf(const AppDefinition& app,
                                           std::vector<LifecycleLabelError>* errors) {
  std::vector<LifecycleLabelError> found;
  AppLifecycle result;
  bool any = false;
  for (const auto& [key, value] : app.labels) {
    if (!key.starts_with(kLifecycleLabelPrefix)) continue;
    any = true;
    if (key == kLifecyclePortNameLabel) {
      result.port_name = value;
      bool named = false;
      for (const PortDefinition& p : app.port_definitions) named |= p.name == value;
      if (value.empty()) {
        found.push_back({key, "must name a port definition (not be empty)"});
      } else if (!named) {
        found.push_back({key, StrCat("No port definition reference for portName ", value)});
      }
    } else if (key == kGracefulEndpoint || key == kShutdownEndpoint) {
      if (!model::ValidHttpLifecycleEndpoint(value)) {
        found.push_back({key, StrCat("'", value,
                                     "' is not a request path: it must start with '/' and "
                                     "contain no spaces")});
      }
      (key == kGracefulEndpoint ? result.lifecycle.graceful_shutdown_endpoint
                                : result.lifecycle.shutdown_endpoint) = value;
    } else if (key == kGracefulWait || key == kShutdownWait) {
      int64_t seconds = 0;
      if (!ParseInt64(Strip(value), &seconds) || seconds < 0 ||
          seconds > model::kMaxHttpLifecycleWaitSeconds) {
        found.push_back({key, StrCat("'", value, "' must be a whole number of seconds from 0 to ",
                                     model::kMaxHttpLifecycleWaitSeconds)});
      }
      (key == kGracefulWait ? result.lifecycle.graceful_shutdown_wait
                            : result.lifecycle.shutdown_wait) = Duration::Seconds(seconds);
    } else {
      found.push_back({key, StrCat("unknown lifecycle label; known: ", kLifecyclePortNameLabel,
                                   ", ", kGracefulEndpoint, ", ", kShutdownEndpoint, ", ",
                                   kGracefulWait, ", ", kShutdownWait)});
    }
  }
  if (any && app.labels.count(kLifecyclePortNameLabel) == 0) {
    found.push_back({kLifecyclePortNameLabel,
                     "must name the port serving the lifecycle endpoints when other "
                     "ATOLL_LIFECYCLE_ labels are set"});
  }
  const bool ok = found.empty();
  if (errors != nullptr) {
    for (LifecycleLabelError& e : found) errors->push_back(std::move(e));
  }
  if (!any || !ok) return std::nullopt;
  return result;
}

}  // namespace atl::marathonlike
