#include "core/io/real_clock.h"

#include <chrono>

namespace atl::io {

Timestamp RealClock::Now() const {
  return Timestamp::FromNanoseconds(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace atl::io
