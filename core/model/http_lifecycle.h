// Aurora's HTTP lifecycle (reference/aurora-discovery.md §2.2): how a task asks to be stopped
// before it is signalled. When a task is killed, its executor first POSTs (empty body)
// `graceful_shutdown_endpoint` to 127.0.0.1:`port` and, if that was answered 2xx/3xx, waits up
// to `graceful_shutdown_wait` for the task to exit; then the same with `shutdown_endpoint` and
// `shutdown_wait`; then SIGTERM, and SIGKILL after the kill grace period. A POST that fails
// (refused, timed out, 4xx/5xx) skips its wait. A task that exits ends the sequence at once.
//
// A Mesos TaskInfo has no field for it, so it travels in TaskInfo.labels (`atoll.lifecycle.*`,
// written by the scheduler with the port resolved to the host port); this file is the codec,
// shared by the scheduler, the agent (which gives the executor time for it) and the executor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/base/time.h"
#include "core/model/labels.h"

namespace atl::model {

struct HttpLifecycle {
  uint32_t port = 0;  // the host port the task serves the endpoints on
  std::string graceful_shutdown_endpoint = "/quitquitquit";
  std::string shutdown_endpoint = "/abortabortabort";
  Duration graceful_shutdown_wait = Duration::Seconds(5);  // Aurora's defaults
  Duration shutdown_wait = Duration::Seconds(5);
  // How long each POST may take before it counts as failed (Aurora's signaler: 1 s).
  Duration request_timeout = Duration::Seconds(1);

  // The longest the two steps can take before the signals: each POST's timeout plus its wait.
  Duration Budget() const {
    return request_timeout + graceful_shutdown_wait + request_timeout + shutdown_wait;
  }
  bool operator==(const HttpLifecycle&) const = default;
};

// The longest wait the labels may ask for, per step.
inline constexpr int64_t kMaxHttpLifecycleWaitSeconds = 300;

// As TaskInfo labels, and back: nullopt when the labels carry no lifecycle, or an unusable one
// (no valid port, an endpoint not starting with '/' or with spaces or control characters, a wait
// outside [0, kMaxHttpLifecycleWaitSeconds]).
Labels HttpLifecycleLabels(const HttpLifecycle& lifecycle);
std::optional<HttpLifecycle> HttpLifecycleFromLabels(const Labels& labels);

// Whether `endpoint` can be sent as a request target: starts with '/', no space or control
// character.
bool ValidHttpLifecycleEndpoint(const std::string& endpoint);

}  // namespace atl::model
