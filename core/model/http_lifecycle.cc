#include "core/model/http_lifecycle.h"

#include "core/base/strings.h"

namespace atl::model {
namespace {

constexpr char kPort[] = "atoll.lifecycle.port";
constexpr char kGracefulEndpoint[] = "atoll.lifecycle.graceful_shutdown_endpoint";
constexpr char kShutdownEndpoint[] = "atoll.lifecycle.shutdown_endpoint";
constexpr char kGracefulWaitMs[] = "atoll.lifecycle.graceful_shutdown_wait_ms";
constexpr char kShutdownWaitMs[] = "atoll.lifecycle.shutdown_wait_ms";

const std::string* Find(const Labels& labels, std::string_view key) {
  for (const Label& l : labels) {
    if (l.key == key && l.value.has_value()) return &*l.value;
  }
  return nullptr;
}

}  // namespace

bool ValidHttpLifecycleEndpoint(const std::string& endpoint) {
  if (endpoint.empty() || endpoint.front() != '/') return false;
  for (char c : endpoint) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  }
  return true;
}

Labels HttpLifecycleLabels(const HttpLifecycle& lifecycle) {
  return {{kPort, StrCat(lifecycle.port)},
          {kGracefulEndpoint, lifecycle.graceful_shutdown_endpoint},
          {kShutdownEndpoint, lifecycle.shutdown_endpoint},
          {kGracefulWaitMs, StrCat(lifecycle.graceful_shutdown_wait.milliseconds())},
          {kShutdownWaitMs, StrCat(lifecycle.shutdown_wait.milliseconds())}};
}

std::optional<HttpLifecycle> HttpLifecycleFromLabels(const Labels& labels) {
  const std::string* port = Find(labels, kPort);
  if (port == nullptr) return std::nullopt;
  int64_t n = 0;
  if (!ParseInt64(*port, &n) || n < 1 || n > 65535) return std::nullopt;
  HttpLifecycle lifecycle;
  lifecycle.port = static_cast<uint32_t>(n);
  for (auto [key, endpoint] : {std::pair{kGracefulEndpoint, &lifecycle.graceful_shutdown_endpoint},
                               std::pair{kShutdownEndpoint, &lifecycle.shutdown_endpoint}}) {
    if (const std::string* v = Find(labels, key)) {
      if (!ValidHttpLifecycleEndpoint(*v)) return std::nullopt;
      *endpoint = *v;
    }
  }
  for (auto [key, wait] : {std::pair{kGracefulWaitMs, &lifecycle.graceful_shutdown_wait},
                           std::pair{kShutdownWaitMs, &lifecycle.shutdown_wait}}) {
    if (const std::string* v = Find(labels, key)) {
      int64_t ms = 0;
      if (!ParseInt64(*v, &ms) || ms < 0 || ms > kMaxHttpLifecycleWaitSeconds * 1000) {
        return std::nullopt;
      }
      *wait = Duration::Milliseconds(ms);
    }
  }
  return lifecycle;
}

}  // namespace atl::model
