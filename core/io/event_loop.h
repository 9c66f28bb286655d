// EventLoop: one Asio io_context run on the calling thread. Every adapter in core/io (HTTP
// server and client, stores, ZooKeeper callbacks) does its work on this one thread, and the
// state machines' Handle() runs there too, so none of them needs a lock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "core/base/time.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace atl::io {

class EventLoop {
 public:
  // Identifies a timer for Cancel(). Never 0.
  using TimerId = uint64_t;

  EventLoop();
  // REQUIRES: the loop is not running, and every server, client, stream and responder built on
  // it has been destroyed (or is owned by a handler still queued here, which is then dropped).
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs handlers on the calling thread until Stop(). Idle time does not end it. May be called
  // again after it returns; handlers still queued then run in the next Run().
  void Run();

  // Makes the current Run() return after the handler in progress, or the next Run() return at
  // once if none is running. Thread-safe and async-signal-unsafe.
  void Stop();

  // Queues `fn` to run on the loop thread. Thread-safe; callbacks posted from one thread run in
  // the order posted.
  void Post(std::function<void()> fn);

  // Runs `fn` on the loop once the real clock (RealClock) reaches `deadline`; a past deadline
  // runs on the next turn. Due timers run in (deadline, creation order), like the simulator's
  // event queue; a batch never includes timers created during it, so sockets are not starved.
  // The wall clock drives it: a clock step moves the firing time.
  // REQUIRES: the loop thread (or no thread running the loop).
  TimerId RunAt(Timestamp deadline, std::function<void()> fn);

  // RunAt(now + delay, fn).
  TimerId RunAfter(Duration delay, std::function<void()> fn);

  // Cancels a pending timer. Returns false if it already ran, was cancelled, or never existed.
  // REQUIRES: the loop thread.
  bool Cancel(TimerId id);

  // Number of timers not yet run or cancelled.
  size_t pending_timers() const;

  // Catches SIGINT and SIGTERM for the life of the loop and calls `on_signal(signo)` on the
  // loop thread for each one (a graceful shutdown typically stops servers, then calls Stop();
  // a second signal may choose to exit harder). A null `on_signal` means Stop(). Calling it
  // again replaces the callback. REQUIRES: the loop thread (or no thread running the loop).
  void StopOnSignals(std::function<void(int signo)> on_signal);

  // True on the thread currently inside Run().
  bool IsLoopThread() const;

  // True while the destructor runs: adapters skip I/O in destructors of objects it drops.
  bool destroying() const { return destroying_; }

  // For core/io adapters only (needs <boost/asio/io_context.hpp>): the underlying context.
  boost::asio::io_context& context();

 private:
  struct Impl;
  void ArmTimer();
  void FireDueTimers();
  void WaitForSignal();

  std::unique_ptr<Impl> impl_;
  bool destroying_ = false;
};

}  // namespace atl::io
