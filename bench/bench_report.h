// How the bench programs print their figures: one `name value unit` line each, flushed, so a
// long run shows its progress; nearest-rank percentiles; the process's peak resident memory; and
// the cost of a process per check, the peer of the health-check benchmarks.
#pragma once

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

extern char** environ;

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

// Nearest-rank percentiles of `v` (ms), and their lines `<prefix>_p50`, `_p99`, `_max`.
struct Summary {
  double p50 = 0, p99 = 0, max = 0, mean = 0;
  size_t n = 0;
};
inline Summary Summarize(std::vector<double> v) {
  Summary s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto rank = [&](double p) {
    size_t i = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
    return v[std::clamp<size_t>(i, 1, v.size()) - 1];
  };
  s.p50 = rank(0.50);
  s.p99 = rank(0.99);
  s.max = v.back();
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  return s;
}
inline void PrintSummary(const std::string& prefix, const std::vector<double>& ms) {
  Summary s = Summarize(ms);
  Print(prefix + "_p50", s.p50, "ms");
  Print(prefix + "_p99", s.p99, "ms");
  Print(prefix + "_max", s.max, "ms");
}

// CPU seconds (ours + children's) per posix_spawn + waitpid of /bin/true: the floor of a process
// per check (Mesos's native checks run a helper process per probe). Run with no other child
// about to exit. 0 if a spawn fails.
inline double SpawnCpuSeconds(int n) {
  rusage self_before{}, children_before{}, self_after{}, children_after{};
  getrusage(RUSAGE_SELF, &self_before);
  getrusage(RUSAGE_CHILDREN, &children_before);
  char arg0[] = "/bin/true";
  char* argv[] = {arg0, nullptr};
  for (int i = 0; i < n; ++i) {
    pid_t pid = 0;
    if (posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ) != 0) return 0;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  getrusage(RUSAGE_SELF, &self_after);
  getrusage(RUSAGE_CHILDREN, &children_after);
  auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  const double cpu = secs(self_after.ru_utime) - secs(self_before.ru_utime) +
                     secs(self_after.ru_stime) - secs(self_before.ru_stime) +
                     secs(children_after.ru_utime) - secs(children_before.ru_utime) +
                     secs(children_after.ru_stime) - secs(children_before.ru_stime);
  return n > 0 ? cpu / n : 0;
}

}  // namespace atl::bench
