// Seeded pseudo-random numbers (xoshiro256**, seeded through splitmix64). Never seeded from
// the wall clock in logic code: seed from a stable id so runs can be replayed.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace atl {

class Random {
 public:
  explicit Random(uint64_t seed);

  uint64_t Next64();
  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t Uniform(uint64_t n);
  // Uniform in [0, 1).
  double UniformDouble();

  // Fisher-Yates shuffle.
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) {
      size_t j = static_cast<size_t>(Uniform(i));
      std::swap(v[i - 1], v[j]);
    }
  }

  // A random (version 4) UUID as 16 raw bytes.
  std::array<uint8_t, 16> Uuid();

 private:
  std::array<uint64_t, 4> s_;
};

// A stable 64-bit hash (FNV-1a) for seeding: the same string gives the same seed everywhere.
uint64_t StableHash(std::string_view s);

}  // namespace atl
