// ATOLL_CHECK: crash on a broken internal invariant, with a reason.
//   ATOLL_CHECK(offer != nullptr) << "offer " << id << " vanished";
// Never use it on user, network or disk input: those get an absl::Status.
#pragma once

#include <sstream>

namespace atl::internal {

class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  [[noreturn]] ~CheckFailure();
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

// Lets `ATOLL_CHECK(x) << ...` be a void expression in both branches of ?:.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace atl::internal

#define ATOLL_CHECK(condition)               \
  (condition) ? (void)0                      \
              : ::atl::internal::Voidify() & \
                    ::atl::internal::CheckFailure(__FILE__, __LINE__, #condition).stream()
