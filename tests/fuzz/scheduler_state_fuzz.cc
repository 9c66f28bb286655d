// Fuzzes the decoders of the service scheduler's stored state (marathonlike/state_json.h):
// any input decodes or fails with DataLoss, never crashes; whatever decodes encodes to a
// document that decodes again and re-encodes to the same bytes (the first decode may
// normalize: relative ids, numeric strings, time offsets, sub-millisecond versions).
//
// Known limits the round-trip check allows for: a document near kMaxJsonDepth can encode
// deeper than it came (defaults such as portDefinitions add levels), and an app or group
// version within 1 ms of the earliest Timestamp (1677-09-21) truncates out of range.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "marathonlike/state_json.h"

namespace {

bool KnownLimit(const absl::Status& status) {
  std::string message(status.message());
  return message.find("nested deeper than") != std::string::npos ||
         message.find("1677-09-21") != std::string::npos;
}

template <typename T>
void Check(std::string_view input, absl::StatusOr<T> (*decode)(std::string_view),
           std::string (*encode)(const T&)) {
  absl::StatusOr<T> value = decode(input);
  if (!value.ok()) {
    if (value.status().code() != absl::StatusCode::kDataLoss) std::abort();
    if (value.status().message().empty()) std::abort();
    return;
  }
  std::string once = encode(*value);
  absl::StatusOr<T> again = decode(once);
  if (!again.ok()) {
    if (KnownLimit(again.status())) return;
    std::abort();
  }
  if (encode(*again) != once) std::abort();
  absl::StatusOr<T> third = decode(encode(*again));
  if (!third.ok() || !(*third == *again)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace mk = atl::marathonlike;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Check<mk::Instance>(input, mk::DecodeInstance, mk::EncodeInstance);
  Check<mk::Deployment>(input, mk::DecodeDeployment, mk::EncodeDeployment);
  Check<mk::Group>(input, mk::DecodeGroup, mk::EncodeGroup);
  Check<mk::AppDefinition>(input, mk::DecodeApp, mk::EncodeApp);
  return 0;
}
