// RealClock: the wall clock (std::chrono::system_clock) as an atl::Clock. The only real clock
// in the code base; logic code receives a Clock& or a Timestamp and never reads time itself.
#pragma once

#include "core/base/clock.h"

namespace atl::io {

class RealClock : public Clock {
 public:
  // Nanoseconds since the Unix epoch. Not monotonic: follows clock steps (NTP, operators).
  Timestamp Now() const override;
};

}  // namespace atl::io
