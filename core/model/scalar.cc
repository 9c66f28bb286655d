#include "core/model/scalar.h"

#include <cmath>

namespace atl::model {

Scalar Scalar::FromDouble(double v) {
  if (!std::isfinite(v)) return Scalar(v > 0 ? INT64_MAX / 2 : 0);
  return Scalar(static_cast<int64_t>(std::llround(v * 1000.0)));
}

std::string Scalar::ToString() const {
  if (milli_ % 1000 == 0) return std::to_string(milli_ / 1000);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", ToDouble());
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  return s;
}

}  // namespace atl::model
