// How the bench programs print their figures: one `name value unit` line each, flushed, so a
// long run shows its progress; the process's peak resident memory; and the cost of a process per
// check, the peer of the health-check benchmarks.
#pragma once

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <string>

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
