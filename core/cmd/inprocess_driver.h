// InProcessSchedulerDriver: the SchedulerDriver transport inside `atoll up`. Calls and events
// travel as api::Call / api::Event structs through MasterRuntime's in-process stream API
// (Subscribe / Send / CloseInProcess), without JSON or sockets, with the same semantics as the
// HTTP API: a SUBSCRIBE opens a stream with a stream id, other calls carry it, rejected calls
// come back as Scheduler::Error with the HTTP-equivalent status.
//
// Events the master emits are queued with EventLoop::Post and dispatched from a fresh loop turn,
// so scheduler callbacks never run inside the master's Handle() nor inside a driver method.
// An in-process stream cannot go silent, so there is no heartbeat watchdog; if the master closes
// the stream (other than after an ERROR or this driver's own Stop), the driver reports
// Disconnected() and re-subscribes with backoff like the HTTP transport.
#pragma once

#include <memory>
#include <string>

#include "core/api/scheduler_driver_base.h"
#include "core/cmd/master_runtime.h"
#include "core/io/event_loop.h"

namespace atl::cmd {

class InProcessSchedulerDriver : public api::SchedulerDriverBase {
 public:
  // `loop` is the loop `master` runs on. `loop`, `master` and `scheduler` outlive the driver.
  InProcessSchedulerDriver(io::EventLoop& loop, MasterRuntime& master, api::Scheduler* scheduler,
                           api::DriverOptions options);
  // Closes the stream without TEARDOWN (like Stop(true)) if still open. Callbacks already
  // queued on the loop are dropped. REQUIRES: the loop thread (or the loop not running).
  ~InProcessSchedulerDriver() override;

  // The Mesos-Stream-Id of the current subscription ("" before one).
  const std::string& stream_id() const;

 private:
  struct Stream;

  void OpenStream(const api::Call& subscribe) override;
  void SendCall(const api::Call& call) override;
  void CloseStream(std::optional<api::Call> last_call) override;
  void ScheduleReconnect(Duration delay) override;

  // Runs `fn` on a later loop turn if the driver still exists and `epoch` is still current.
  void Defer(uint64_t epoch, std::function<void()> fn);
  void CancelReconnect();

  io::EventLoop& loop_;
  MasterRuntime& master_;
  std::shared_ptr<Stream> stream_;  // the current stream; null before Start
  io::EventLoop::TimerId reconnect_timer_ = 0;
  // Expires with the driver: deferred callbacks check it before touching `this`.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace atl::cmd
