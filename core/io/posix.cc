#include "core/io/posix.h"

#include <cstring>
#include <string>

#include "core/base/strings.h"

namespace atl::io {

absl::Status ErrnoError(int err, std::string_view what) {
  char buf[256];
  // GNU strerror_r: returns the message, not necessarily in `buf`.
  const std::string text = ::strerror_r(err, buf, sizeof(buf));
  const absl::StatusCode code = absl::ErrnoToStatus(err, "").code();
  if (what.empty()) return absl::Status(code, text);
  return absl::Status(code, StrCat(what, ": ", text));
}

}  // namespace atl::io
