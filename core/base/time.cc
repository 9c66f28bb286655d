#include "core/base/time.h"

#include <cmath>

namespace atl {

Duration Duration::FromSecondsDouble(double seconds) {
  if (std::isnan(seconds)) return Zero();
  double ns = seconds * 1e9;
  if (ns >= 9.2e18) return Max();
  if (ns <= -9.2e18) return Nanoseconds(INT64_MIN);
  return Nanoseconds(static_cast<int64_t>(std::llround(ns)));
}

std::string Duration::ToString() const {
  if (ns_ % 1000000000 == 0) return std::to_string(ns_ / 1000000000) + "s";
  if (ns_ % 1000000 == 0) return std::to_string(ns_ / 1000000) + "ms";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%gs", seconds());
  return buf;
}

}  // namespace atl
