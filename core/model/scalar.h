// Fixed-point scalar quantities with three decimal digits, like Mesos, so sums and differences
// of cpus/mem never drift (0.1 + 0.2 == 0.3 exactly).
#pragma once

#include <compare>
#include <cstdint>
#include <string>

namespace atl::model {

class Scalar {
 public:
  constexpr Scalar() = default;
  static constexpr Scalar FromMilli(int64_t milli) { return Scalar(milli); }
  // Rounds to the nearest thousandth.
  static Scalar FromDouble(double v);
  static constexpr Scalar Zero() { return Scalar(0); }

  constexpr int64_t milli() const { return milli_; }
  double ToDouble() const { return static_cast<double>(milli_) / 1000.0; }

  constexpr Scalar operator+(Scalar o) const { return Scalar(milli_ + o.milli_); }
  constexpr Scalar operator-(Scalar o) const { return Scalar(milli_ - o.milli_); }
  constexpr Scalar& operator+=(Scalar o) {
    milli_ += o.milli_;
    return *this;
  }
  constexpr Scalar& operator-=(Scalar o) {
    milli_ -= o.milli_;
    return *this;
  }
  constexpr auto operator<=>(const Scalar&) const = default;

  // Shortest form: "1", "0.5", "1024".
  std::string ToString() const;

 private:
  constexpr explicit Scalar(int64_t milli) : milli_(milli) {}
  int64_t milli_ = 0;
};

}  // namespace atl::model
