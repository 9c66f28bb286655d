// SchedulerDriverBase: everything a SchedulerDriver does that does not depend on how Calls and
// Events travel. It builds Calls from driver methods, dispatches Events to the Scheduler,
// acknowledges updates implicitly, keeps the framework id and the suppressed roles, runs the
// subscription state machine (DriverState) and computes the reconnect backoff.
//
// It owns no sockets, timers or threads. A transport derives from it, implements the four
// hooks (open a stream, send a call, close, schedule a reconnect) and reports what happens
// through the Handle* methods:
//
//   Start()  ──> OpenStream(SUBSCRIBE) ──> HandleEvent(SUBSCRIBED) ──> kSubscribed
//      stream lost: HandleStreamClosed() ──> Disconnected() + ScheduleReconnect(backoff)
//      timer fired: Reconnect()          ──> OpenStream(SUBSCRIBE with the framework id)
//      ERROR event / HandleFatalError()  ──> Error() + CloseStream() ──> kStopped
//
// Transport contract: Handle* and Reconnect run on the driver's thread, never from inside a
// hook or a driver method (transports defer them to the loop), so scheduler callbacks never
// nest inside driver calls.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/api/scheduler_call.h"
#include "core/api/scheduler_driver.h"
#include "core/api/scheduler_event.h"

namespace atl::api {

class SchedulerDriverBase : public SchedulerDriver {
 public:
  SchedulerDriverBase(const SchedulerDriverBase&) = delete;
  SchedulerDriverBase& operator=(const SchedulerDriverBase&) = delete;
  ~SchedulerDriverBase() override = default;

  // ---- SchedulerDriver ----
  absl::Status Start() final;
  void Stop(bool failover) final;
  absl::Status AcceptOffers(const std::vector<model::OfferId>& offer_ids,
                            std::vector<model::Operation> operations,
                            const model::Filters& filters) final;
  absl::Status LaunchTasks(const std::vector<model::OfferId>& offer_ids,
                           std::vector<model::TaskInfo> tasks, const model::Filters& filters) final;
  absl::Status DeclineOffer(const model::OfferId& offer_id, const model::Filters& filters) final;
  absl::Status KillTask(const model::TaskId& task_id,
                        const std::optional<model::AgentId>& agent_id) final;
  absl::Status AcknowledgeStatusUpdate(const model::TaskStatus& status) final;
  absl::Status ReconcileTasks(const std::vector<model::TaskStatus>& statuses) final;
  absl::Status ReviveOffers(const std::vector<std::string>& roles) final;
  absl::Status SuppressOffers(const std::vector<std::string>& roles) final;
  absl::Status SendFrameworkMessage(const model::ExecutorId& executor_id,
                                    const model::AgentId& agent_id, std::string data) final;
  std::optional<model::FrameworkId> framework_id() const final { return framework_id_; }
  DriverState state() const final { return state_; }

  const DriverOptions& options() const { return options_; }
  // Roles currently suppressed (sent in the next SUBSCRIBE).
  const std::vector<std::string>& suppressed_roles() const { return suppressed_roles_; }
  // The heartbeat interval of the current subscription (15 s until SUBSCRIBED says otherwise).
  Duration heartbeat_interval() const { return heartbeat_interval_; }
  // How long a transport waits for any event before judging the stream dead.
  Duration liveness_timeout() const;
  // Streams opened so far (the first is 1). A transport tags its stream's callbacks with it
  // to drop reports about a stream it has replaced.
  uint64_t stream_epoch() const { return stream_epoch_; }

 protected:
  // REQUIRES: `scheduler` is not null and outlives the driver.
  SchedulerDriverBase(Scheduler* scheduler, DriverOptions options);

  // ---- transport hooks (called by the base only) ----

  // Open a new event stream by sending `subscribe`. Any previous stream is already closed.
  // Report its events with HandleEvent and its end (or failure to open) with
  // HandleStreamClosed or HandleFatalError. stream_epoch() is already the new stream's.
  virtual void OpenStream(const Call& subscribe) = 0;
  // Send a non-SUBSCRIBE call on the current (subscribed) stream. Report a rejection or a
  // delivery failure with HandleCallRejected.
  virtual void SendCall(const Call& call) = 0;
  // Close the current stream, if any, and cancel a scheduled reconnect. With `last_call`,
  // send it first and close once it was delivered (the master must see TEARDOWN on a live
  // stream). No Handle* report is expected afterwards; any that comes is ignored.
  virtual void CloseStream(std::optional<Call> last_call) = 0;
  // Call Reconnect() after `delay`.
  virtual void ScheduleReconnect(Duration delay) = 0;

  // ---- transport reports ----

  // An event arrived on the current stream.
  void HandleEvent(const Event& event);
  // The current stream ended, failed to open, or was judged dead (the transport has already
  // dropped it). Re-subscribes with backoff unless stopped. `reason` is for logs.
  void HandleStreamClosed(std::string_view reason);
  // An unrecoverable failure (SUBSCRIBE answered 4xx, protocol violation): Error(message),
  // CloseStream, kStopped.
  void HandleFatalError(const std::string& message);
  // The master rejected a call of `call_type` (CallTypeName) with HTTP `status` (0 = not
  // delivered) and `reason`: reported through Scheduler::Error unless stopped; the driver keeps
  // running.
  void HandleCallRejected(std::string_view call_type, int status, std::string_view reason);
  // The reconnect timer fired: re-subscribe (with the framework id, if known).
  void Reconnect();

  // The SUBSCRIBE call for the next stream: framework_info with its id (if known) and the
  // currently suppressed roles; the top-level framework_id equals framework_info.id.
  Call SubscribeCall() const;

 private:
  absl::Status Send(Call::Body body);
  absl::Status Acknowledge(const model::TaskStatus& status);
  void Open();
  void Dispatch(const Event& event);

  Scheduler* scheduler_;
  DriverOptions options_;
  DriverState state_ = DriverState::kNotStarted;
  std::optional<model::FrameworkId> framework_id_;
  std::vector<std::string> suppressed_roles_;
  Duration heartbeat_interval_ = Duration::Seconds(15);
  bool ever_subscribed_ = false;
  int failed_attempts_ = 0;  // consecutive stream losses since the last SUBSCRIBED
  uint64_t stream_epoch_ = 0;
};

}  // namespace atl::api
