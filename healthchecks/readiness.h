// Marathon's readiness checks, run next to the task like health checks (reference/marathon.md
// §2.9): an HTTP(S) GET every `interval` from the moment the task runs until an answer's status
// is one of `ready_codes`; then the task is ready for good and probing stops. A Mesos TaskInfo
// has no field for it, so the check travels in TaskInfo.labels and the result in
// TaskStatus.labels (`atoll.readiness.*`, `atoll.ready`); this file is both codecs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/base/time.h"
#include "core/model/labels.h"

namespace atl::healthchecks {

struct ReadinessSpec {
  std::string name = "readinessCheck";
  bool tls = false;  // HTTPS
  std::string path = "/";
  uint32_t port = 0;  // the host port of the check's portName
  Duration interval = Duration::Seconds(30);
  Duration timeout = Duration::Seconds(10);
  std::vector<int> ready_codes = {200};
  // Keep the last answer's Content-Type and body (up to kMaxKeptBody bytes) in the result.
  bool preserve_last_response = false;
  bool operator==(const ReadinessSpec&) const = default;
};

// The spec as TaskInfo labels, and back (nullopt without a complete, valid spec).
model::Labels SpecLabels(const ReadinessSpec& spec);
std::optional<ReadinessSpec> SpecFromLabels(const model::Labels& labels);

// What the executor last learned.
struct Readiness {
  bool ready = false;
  std::optional<int> last_status;  // the last answer's HTTP status
  // With preserve_last_response: the last answer's Content-Type and body (cut at kMaxKeptBody).
  std::string last_content_type;
  std::string last_body;
  std::string last_error;  // the last probe's failure ("connection refused"), if any
  bool operator==(const Readiness&) const = default;
};

// How much of a readiness answer's body is kept: it travels in every later status update of the
// task, so it stays small (Marathon keeps it whole, in its own memory).
inline constexpr size_t kMaxKeptBody = 4096;

// Whether `status` makes the task ready under `spec`.
bool IsReadyStatus(const ReadinessSpec& spec, int status);

// The result as TaskStatus labels, and back (nullopt when the labels carry no result).
inline constexpr char kReadyLabel[] = "atoll.ready";
model::Labels ResultLabels(const Readiness& readiness);
std::optional<Readiness> ResultFromLabels(const model::Labels& labels);

}  // namespace atl::healthchecks
