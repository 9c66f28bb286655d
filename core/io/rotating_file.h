// RotatingFile: an append-only file whose size is capped, rotated the way logrotate numbers
// its files: when the next bytes would take `path` over `max_bytes`, `path.(N-1)` becomes
// `path.N` (the old `path.N` is dropped), ..., `path.1` becomes `path.2`, `path` becomes
// `path.1`, and a new, empty `path` is opened. So `path` is always the newest output, `path.1`
// the one before, and at most 1 + max_files files of at most `max_bytes` each exist. This is
// what Mesos's LogrotateContainerLogger does to a task's sandbox `stdout` / `stderr`, without a
// logrotate process; the command executor writes the task's output and its own log through it
// (core/cmd/executor_runtime).
//
// Lines stay whole where they can: a write that does not fit in the room left goes up to the
// last '\n' that fits, the rest goes to the new file; only a run of bytes without a newline
// longer than the room of an empty file is cut at `max_bytes`. The file is opened O_APPEND and
// its size read from it (fstat) before every write, so bytes others append to it (another
// process, `mirror_fd`) count too, and a writer opened on an existing file — say after a
// restart — continues where it was.
//
// Thread-safe: calls are serialized on an internal mutex (a logging sink and the event loop may
// share one).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace atl::io {

class RotatingFile {
 public:
  struct Options {
    // The current file. Rotated ones are `path` + ".1" ... ".N" next to it.
    std::string path;
    // The largest a file may get. REQUIRES: >= 1.
    uint64_t max_bytes = 10 << 20;
    // How many rotated files to keep (logrotate's "rotate N"): 0 drops the old output at each
    // rotation. Rotated files beyond N left by an earlier, larger setting are left alone.
    // REQUIRES: >= 0.
    int max_files = 5;
    // When >= 0, a descriptor this process keeps pointing at the current file: the file is
    // dup2'ed onto it when opened and after every rotation. For the process's own stdout or
    // stderr, so that writes which bypass the writer (a crash message) land in the current
    // file rather than in a rotated one.
    int mirror_fd = -1;
  };

  // Opens (creating, mode 0644) `options.path` for appending. Errors: InvalidArgument for bad
  // options; "open /x/stdout: Permission denied" with the errno's code.
  static absl::StatusOr<std::unique_ptr<RotatingFile>> Open(Options options);

  ~RotatingFile();
  RotatingFile(const RotatingFile&) = delete;
  RotatingFile& operator=(const RotatingFile&) = delete;

  // Appends `data`, rotating as needed (possibly several times for a large write). On an error
  // (a full disk, a failed rename) the rest of `data` is dropped and the error returned, naming
  // the step and path: "write /x/stdout: No space left on device",
  // "rotate /x/stdout: rename /x/stdout.1 to /x/stdout.2: Permission denied". The cap holds even
  // then: what cannot be rotated away is not written. The next call tries again.
  absl::Status Write(std::string_view data);

  // Bytes in the current file as of the last Write (or Open).
  uint64_t size() const;
  // Rotations done by this writer.
  uint64_t rotations() const;
  const Options& options() const { return options_; }

 private:
  explicit RotatingFile(Options options) : options_(std::move(options)) {}

  // Opens `path` (truncating when `truncate`), makes it current and mirrors it.
  absl::Status OpenCurrent(bool truncate);
  // Shifts the numbered files and reopens an empty `path`.
  absl::Status Rotate();
  absl::Status WriteAll(std::string_view data);

  const Options options_;
  mutable std::mutex mu_;
  int fd_ = -1;  // -1 after a failed rotation: the next Write reopens.
  uint64_t size_ = 0;
  uint64_t rotations_ = 0;
};

}  // namespace atl::io
