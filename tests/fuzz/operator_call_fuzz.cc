// The operator parsers on arbitrary bytes must never crash, and whatever they accept must
// survive a round trip: ParseOperatorCall(SerializeOperatorCall(c)) == c and ParseWeights of
// SerializeWeights gives the same weights, with stable, newline-free serializations.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/api/json_operator.h"

namespace {

[[noreturn]] void Fail(const char* what, const std::string& json) {
  std::fprintf(stderr, "%s:\n%s\n", what, json.c_str());
  std::abort();
}

void CheckCall(std::string_view input) {
  absl::StatusOr<atl::api::OperatorCall> call = atl::api::ParseOperatorCall(input);
  if (!call.ok()) return;
  std::string json = atl::api::SerializeOperatorCall(*call);
  absl::StatusOr<atl::api::OperatorCall> again = atl::api::ParseOperatorCall(json);
  if (!again.ok()) Fail("serialized call does not parse", json);
  if (!(*again == *call)) Fail("round trip changed the call", json);
  if (atl::api::SerializeOperatorCall(*again) != json || json.find('\n') != std::string::npos) {
    Fail("serialization is not stable or has a newline", json);
  }
}

void CheckWeights(std::string_view input) {
  auto weights = atl::api::ParseWeights(input);
  if (!weights.ok()) return;
  std::string json = atl::api::SerializeWeights(*weights);
  auto again = atl::api::ParseWeights(json);
  if (!again.ok()) Fail("serialized weights do not parse", json);
  if (*again != *weights) Fail("round trip changed the weights", json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckCall(input);
  CheckWeights(input);
  return 0;
}
