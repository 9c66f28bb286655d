// Duration and Timestamp: integer nanoseconds, so arithmetic is exact and deterministic.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace atl {

class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration Nanoseconds(int64_t n) { return Duration(n); }
  static constexpr Duration Microseconds(int64_t n) { return Duration(n * 1000); }
  static constexpr Duration Milliseconds(int64_t n) { return Duration(n * 1000000); }
  static constexpr Duration Seconds(int64_t n) { return Duration(n * 1000000000); }
  static constexpr Duration Minutes(int64_t n) { return Seconds(n * 60); }
  static constexpr Duration Hours(int64_t n) { return Seconds(n * 3600); }
  static constexpr Duration Days(int64_t n) { return Hours(n * 24); }
  // Rounds to the nearest nanosecond; clamps to +/- ~292 years.
  static Duration FromSecondsDouble(double seconds);
  static constexpr Duration Zero() { return Duration(0); }
  static constexpr Duration Max() { return Duration(INT64_MAX); }

  constexpr int64_t nanoseconds() const { return ns_; }
  constexpr int64_t milliseconds() const { return ns_ / 1000000; }
  constexpr double seconds() const { return static_cast<double>(ns_) / 1e9; }

  constexpr Duration operator+(Duration o) const { return Duration(ns_ + o.ns_); }
  constexpr Duration operator-(Duration o) const { return Duration(ns_ - o.ns_); }
  constexpr Duration operator*(int64_t k) const { return Duration(ns_ * k); }
  constexpr Duration operator/(int64_t k) const { return Duration(ns_ / k); }
  constexpr Duration& operator+=(Duration o) {
    ns_ += o.ns_;
    return *this;
  }
  constexpr auto operator<=>(const Duration&) const = default;

  // "1.5s", "200ms", "15s".
  std::string ToString() const;

 private:
  constexpr explicit Duration(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

// Nanoseconds since the Unix epoch (or since a fake clock's origin in tests).
class Timestamp {
 public:
  constexpr Timestamp() = default;
  static constexpr Timestamp FromNanoseconds(int64_t ns) { return Timestamp(ns); }
  static constexpr Timestamp Epoch() { return Timestamp(0); }
  static constexpr Timestamp Max() { return Timestamp(INT64_MAX); }

  constexpr int64_t nanoseconds() const { return ns_; }
  constexpr double seconds() const { return static_cast<double>(ns_) / 1e9; }

  constexpr Timestamp operator+(Duration d) const {
    return Timestamp(SaturatingAdd(ns_, d.nanoseconds()));
  }
  constexpr Timestamp operator-(Duration d) const { return Timestamp(ns_ - d.nanoseconds()); }
  constexpr Duration operator-(Timestamp o) const { return Duration::Nanoseconds(ns_ - o.ns_); }
  constexpr auto operator<=>(const Timestamp&) const = default;

 private:
  static constexpr int64_t SaturatingAdd(int64_t a, int64_t b) {
    if (b > 0 && a > INT64_MAX - b) return INT64_MAX;
    return a + b;
  }
  constexpr explicit Timestamp(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

// ISO-8601 in UTC with milliseconds and `Z`, as Marathon writes versions and timestamps:
// "2015-09-29T15:59:51.164Z". Sub-millisecond digits are truncated toward the past.
std::string FormatIso8601(Timestamp t);

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction]" followed by `Z` or an offset (`+02:00`, `-0530`).
// The fraction may have 1 to 9 digits; a lowercase `t`/`z` is accepted. nullopt on anything
// else (out-of-range fields, trailing text, a time a Timestamp cannot hold: about 1678-2262).
std::optional<Timestamp> ParseIso8601(std::string_view text);

}  // namespace atl
