// real_launch_task: the tiny task bench/real_launch starts, both through a raw posix_spawn loop
// and as an Atoll command task. Statically linked and free of C++ runtime work, so what is
// timed is the launch path and not the program's own start-up.
//
//   real_launch_task PATH [SECONDS=600]
//
// First thing after exec it reads CLOCK_REALTIME and writes "<nanoseconds> <pid>\n" to PATH
// (relative paths resolve against the working directory: the sandbox for an Atoll task), via
// PATH.tmp and a rename so a reader never sees half a line; then it sleeps SECONDS.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  if (argc < 2) {
    static const char kUsage[] = "usage: real_launch_task PATH [SECONDS]\n";
    (void)!write(2, kUsage, sizeof(kUsage) - 1);
    return 2;
  }
  char line[64];
  const int n = snprintf(line, sizeof(line), "%lld %d\n",
                         static_cast<long long>(now.tv_sec) * 1000000000LL + now.tv_nsec,
                         static_cast<int>(getpid()));
  char tmp[4096];
  if (snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]) >= static_cast<int>(sizeof(tmp))) return 2;
  const int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, line, static_cast<size_t>(n)) != n || close(fd) != 0 ||
      rename(tmp, argv[1]) != 0) {
    return 1;
  }
  struct timespec left = {static_cast<time_t>(argc > 2 ? atoi(argv[2]) : 600), 0};
  while (nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
  return 0;
}
