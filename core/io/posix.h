// Small POSIX helpers shared by the adapters of core/io that make system calls (process,
// cgroups, fetcher, files API, rotating files). For .cc files of core/io.
#pragma once

#include <unistd.h>

#include <string_view>
#include <utility>

#include "absl/status/status.h"

namespace atl::io {

// Owns a file descriptor (-1: none) and closes it.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives the descriptor up without closing it.
  int Release() { return std::exchange(fd_, -1); }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// "<what>: <strerror>" (just the strerror text when `what` is empty) with the status code of
// the errno (ENOENT -> NotFound, EACCES -> PermissionDenied, ...).
absl::Status ErrnoError(int err, std::string_view what);

}  // namespace atl::io
