// Clock: the only way logic code learns the time. Real clock in core/io, fake in tests.
#pragma once

#include "core/base/time.h"

namespace atl {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp Now() const = 0;
};

// A clock that moves only when told to (tests and the simulator).
class FakeClock : public Clock {
 public:
  explicit FakeClock(Timestamp start = Timestamp::FromNanoseconds(1'700'000'000'000'000'000))
      : now_(start) {}
  Timestamp Now() const override { return now_; }
  void Advance(Duration d) { now_ = now_ + d; }
  // REQUIRES: t >= Now(); time never goes backwards.
  void AdvanceTo(Timestamp t) {
    if (t > now_) now_ = t;
  }

 private:
  Timestamp now_;
};

}  // namespace atl
