// real_launch_task: the tiny task bench/real_launch starts, both through a raw posix_spawn loop
// and as an Atoll command task. Statically linked and free of C++ runtime work, so what is
// timed is the launch path and not the program's own start-up.
//
//   real_launch_task PATH [SECONDS=600]
//
// First thing after exec it reads CLOCK_REALTIME and writes "<nanoseconds> <pid>\n" to PATH
// (relative paths resolve against the working directory: the sandbox for an Atoll task), via
// PATH.tmp and a rename so a reader never sees half a line; then it sleeps SECONDS.
//
// With BENCH_HTTP_PORT=<port> in the environment (real_launch --health-checks) it serves HTTP on
// 127.0.0.1:<port> instead of sleeping, for SECONDS: every request (up to "\r\n\r\n") is answered
// "200 OK" with an empty body on a kept-alive connection, and its CLOCK_MONOTONIC arrival time is
// appended as "<nanoseconds>\n" to the file "requests" in the working directory, which is how the
// benchmark sees when each health check arrived. With BENCH_HTTP_HANG=1 it accepts and reads but
// never answers (the requests are still logged): a hanging endpoint.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

namespace {

int64_t MonotonicNs() {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000000LL + now.tv_nsec;
}

// Serves until `seconds` have passed; returns the exit code.
int Serve(int port, bool hang, int seconds) {
  const int log = open("requests", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (log < 0 || listener < 0 ||
      bind(listener, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listener, 64) != 0) {
    perror("real_launch_task: listen");
    return 1;
  }
  const int epoll = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev;
  ev.events = EPOLLIN;
  ev.data.fd = listener;
  epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &ev);
  // Per connection, how much of "\r\n\r\n" the bytes read so far end with: requests are found
  // without buffering them, pipelined ones included.
  static unsigned char matched[65536];
  static const char kEnd[] = "\r\n\r\n";
  static const char kOk[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  const int64_t deadline = MonotonicNs() + static_cast<int64_t>(seconds) * 1000000000LL;
  char buffer[4096];
  while (true) {
    const int64_t left_ms = (deadline - MonotonicNs()) / 1000000;
    if (left_ms <= 0) return 0;
    struct epoll_event events[64];
    // No periodic wake-up: an idle server costs nothing (the benchmark counts the servers' CPU).
    const int n =
        epoll_wait(epoll, events, 64, left_ms > INT_MAX ? INT_MAX : static_cast<int>(left_ms));
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listener) {
        int conn;
        while ((conn = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
          if (conn >= static_cast<int>(sizeof(matched))) {
            close(conn);
            continue;
          }
          matched[conn] = 0;
          ev.events = EPOLLIN;
          ev.data.fd = conn;
          epoll_ctl(epoll, EPOLL_CTL_ADD, conn, &ev);
        }
        continue;
      }
      const ssize_t got = read(fd, buffer, sizeof(buffer));
      if (got <= 0) {
        if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        close(fd);  // also leaves the epoll set
        continue;
      }
      const int64_t arrived = MonotonicNs();
      for (ssize_t k = 0; k < got; ++k) {
        if (buffer[k] == kEnd[matched[fd]]) {
          ++matched[fd];
        } else {
          matched[fd] = buffer[k] == '\r' ? 1 : 0;
        }
        if (matched[fd] < 4) continue;
        matched[fd] = 0;
        char line[32];
        const int len = snprintf(line, sizeof(line), "%lld\n", static_cast<long long>(arrived));
        (void)!write(log, line, static_cast<size_t>(len));
        if (!hang) (void)!write(fd, kOk, sizeof(kOk) - 1);
      }
    }
  }
}

}  // namespace

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
  const int seconds = argc > 2 ? atoi(argv[2]) : 600;
  const char* port = getenv("BENCH_HTTP_PORT");
  if (port != nullptr && *port != '\0') {
    const char* hang = getenv("BENCH_HTTP_HANG");
    return Serve(atoi(port), hang != nullptr && strcmp(hang, "1") == 0, seconds);
  }
  struct timespec left = {static_cast<time_t>(seconds), 0};
  while (nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
  return 0;
}
