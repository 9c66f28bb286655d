// How the bench programs print their figures: one `name value unit` line each, flushed, so a
// long run shows its progress; and the process's peak resident memory.
#pragma once

#include <sys/resource.h>

#include <cstdio>
#include <string>

namespace atl::bench {

inline void Print(const std::string& name, double value, const char* unit) {
  std::printf("%s %.3f %s\n", name.c_str(), value, unit);
  std::fflush(stdout);
}

// Peak resident set size of this process, in MiB.
inline double PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

}  // namespace atl::bench
