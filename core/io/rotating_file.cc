#include "core/io/rotating_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "core/base/status.h"
#include "core/base/strings.h"
#include "core/io/posix.h"

namespace atl::io {
namespace {

std::string Numbered(const std::string& path, int n) { return StrCat(path, ".", n); }

}  // namespace

absl::StatusOr<std::unique_ptr<RotatingFile>> RotatingFile::Open(Options options) {
  if (options.path.empty()) return absl::InvalidArgumentError("rotating file: empty path");
  if (options.max_bytes < 1) {
    return absl::InvalidArgumentError(StrCat("rotating file ", options.path, ": max_bytes is 0"));
  }
  if (options.max_files < 0) {
    return absl::InvalidArgumentError(
        StrCat("rotating file ", options.path, ": negative max_files ", options.max_files));
  }
  std::unique_ptr<RotatingFile> file(new RotatingFile(std::move(options)));
  std::lock_guard<std::mutex> lock(file->mu_);
  RETURN_IF_ERROR(file->OpenCurrent(/*truncate=*/false));
  return file;
}

RotatingFile::~RotatingFile() {
  if (fd_ >= 0) ::close(fd_);
}

uint64_t RotatingFile::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return size_;
}

uint64_t RotatingFile::rotations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rotations_;
}

absl::Status RotatingFile::OpenCurrent(bool truncate) {
  const std::string& path = options_.path;
  int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0);
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return ErrnoError(errno, StrCat("open ", path));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoError(err, StrCat("stat ", path));
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  size_ = static_cast<uint64_t>(st.st_size);
  if (options_.mirror_fd >= 0 && options_.mirror_fd != fd_) {
    // Best effort: the writer itself does not depend on it.
    (void)::dup2(fd_, options_.mirror_fd);
  }
  return absl::OkStatus();
}

absl::Status RotatingFile::Rotate() {
  const std::string& path = options_.path;
  auto rename = [&](const std::string& from, const std::string& to) -> absl::Status {
    if (::rename(from.c_str(), to.c_str()) == 0 || errno == ENOENT) return absl::OkStatus();
    return ErrnoError(errno, StrCat("rotate ", path, ": rename ", from, " to ", to));
  };
  if (options_.max_files == 0) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoError(errno, StrCat("rotate ", path, ": unlink"));
    }
  } else {
    // Only the run .1, .2, ... that exists moves up one (a stale file after a gap is older
    // output and stays), so a rotation costs the files kept, not max_files.
    int top = 0;
    struct stat st;
    while (top + 1 < options_.max_files && ::stat(Numbered(path, top + 1).c_str(), &st) == 0) {
      ++top;
    }
    for (int n = top; n >= 1; --n) {
      RETURN_IF_ERROR(rename(Numbered(path, n), Numbered(path, n + 1)));
    }
    RETURN_IF_ERROR(rename(path, Numbered(path, 1)));
  }
  ++rotations_;
  // The old file is gone from `path` now; writing on into it would defeat the cap.
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  size_ = 0;
  return OpenCurrent(/*truncate=*/true);
}

absl::Status RotatingFile::WriteAll(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, StrCat("write ", options_.path));
    }
    size_ += static_cast<uint64_t>(n);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status RotatingFile::Write(std::string_view data) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) RETURN_IF_ERROR(OpenCurrent(/*truncate=*/false));
  struct stat st;
  if (::fstat(fd_, &st) == 0) size_ = static_cast<uint64_t>(st.st_size);
  const uint64_t max = options_.max_bytes;
  while (!data.empty()) {
    const uint64_t room = size_ >= max ? 0 : max - size_;
    if (data.size() <= room) return WriteAll(data);
    // Does not fit: the whole lines that do, or a cut if even an empty file cannot hold the
    // line.
    size_t take = 0;
    if (room > 0) {
      const std::string_view fits = data.substr(0, static_cast<size_t>(room));
      const size_t newline = fits.rfind('\n');
      if (newline != std::string_view::npos) {
        take = newline + 1;
      } else if (size_ == 0) {
        take = fits.size();
      }
    }
    if (take > 0) {
      RETURN_IF_ERROR(WriteAll(data.substr(0, take)));
      data.remove_prefix(take);  // Not all of it: data.size() > room >= take.
    }
    RETURN_IF_ERROR(Rotate());
  }
  return absl::OkStatus();
}

}  // namespace atl::io
