#include "core/api/scheduler_driver_base.h"

#include <algorithm>
#include <utility>
#include <variant>

#include "core/base/check.h"
#include "core/base/overloaded.h"
#include "core/base/strings.h"

namespace atl::api {
SchedulerDriverBase::SchedulerDriverBase(Scheduler* scheduler, DriverOptions options)
    : scheduler_(scheduler),
      options_(std::move(options)),
      framework_id_(options_.framework_info.id),
      suppressed_roles_(options_.suppressed_roles) {
  ATOLL_CHECK(scheduler_ != nullptr) << "a driver needs a scheduler";
}

Duration SchedulerDriverBase::liveness_timeout() const {
  return heartbeat_interval_ * std::max(1, options_.missed_heartbeats);
}

Call SchedulerDriverBase::SubscribeCall() const {
  call::Subscribe subscribe;
  subscribe.framework_info = options_.framework_info;
  subscribe.framework_info.id = framework_id_;
  subscribe.suppressed_roles = suppressed_roles_;
  return Call{framework_id_, std::move(subscribe)};
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

absl::Status SchedulerDriverBase::Start() {
  if (state_ != DriverState::kNotStarted) {
    return absl::FailedPreconditionError(
        StrCat("driver already started (state ", DriverStateName(state_), ")"));
  }
  Open();
  return absl::OkStatus();
}

void SchedulerDriverBase::Open() {
  state_ = DriverState::kConnecting;
  ++stream_epoch_;
  OpenStream(SubscribeCall());
}

void SchedulerDriverBase::Stop(bool failover) {
  if (state_ == DriverState::kStopped) return;
  const bool had_stream = state_ != DriverState::kNotStarted;
  std::optional<Call> last_call;
  if (!failover && state_ == DriverState::kSubscribed) {
    last_call = Call{framework_id_, call::Teardown{}};
  }
  state_ = DriverState::kStopped;
  if (had_stream) CloseStream(std::move(last_call));
}

void SchedulerDriverBase::Reconnect() {
  if (state_ != DriverState::kDisconnected) return;
  Open();
}

void SchedulerDriverBase::HandleStreamClosed(std::string_view reason) {
  (void)reason;  // transports log it; the base has no logger
  if (state_ != DriverState::kConnecting && state_ != DriverState::kSubscribed) return;
  const bool was_subscribed = state_ == DriverState::kSubscribed;
  state_ = DriverState::kDisconnected;
  if (was_subscribed) scheduler_->Disconnected(this);
  if (state_ != DriverState::kDisconnected) return;  // the callback stopped the driver
  // Doubling per consecutive failure, capped; the shift is bounded so it cannot overflow.
  Duration delay =
      options_.reconnect_backoff_initial * (int64_t{1} << std::min(failed_attempts_, 30));
  delay = std::min(delay, options_.reconnect_backoff_max);
  ++failed_attempts_;
  ScheduleReconnect(delay);
}

void SchedulerDriverBase::HandleFatalError(const std::string& message) {
  if (state_ == DriverState::kStopped || state_ == DriverState::kNotStarted) return;
  state_ = DriverState::kStopped;
  CloseStream(std::nullopt);
  scheduler_->Error(this, message);
}

void SchedulerDriverBase::HandleCallRejected(std::string_view call_type, int status,
                                             std::string_view reason) {
  if (state_ == DriverState::kStopped) return;
  std::string message = StrCat(call_type, " call ");
  if (status == 0) {
    StrAppend(&message, "not delivered: ", reason);
  } else {
    StrAppend(&message, "rejected with ", status, ": ", reason);
  }
  scheduler_->Error(this, message);
}

// ---------------------------------------------------------------------------------------------
// Events

void SchedulerDriverBase::HandleEvent(const Event& event) {
  if (state_ != DriverState::kConnecting && state_ != DriverState::kSubscribed) return;
  // Until SUBSCRIBED only an ERROR (a refused subscription) is meaningful.
  if (state_ == DriverState::kConnecting &&
      !std::holds_alternative<event::Subscribed>(event.body) &&
      !std::holds_alternative<event::Error>(event.body)) {
    return;
  }
  Dispatch(event);
}

void SchedulerDriverBase::Dispatch(const Event& event) {
  std::visit(
      Overloaded{
          [&](const event::Subscribed& s) {
            framework_id_ = s.framework_id;
            if (s.heartbeat_interval_seconds > 0) {
              heartbeat_interval_ = Duration::FromSecondsDouble(s.heartbeat_interval_seconds);
            }
            state_ = DriverState::kSubscribed;
            failed_attempts_ = 0;
            const model::MasterInfo master_info = s.master_info.value_or(model::MasterInfo{});
            if (!ever_subscribed_) {
              ever_subscribed_ = true;
              scheduler_->Subscribed(this, s.framework_id, master_info);
            } else {
              scheduler_->Resubscribed(this, master_info);
            }
          },
          [&](const event::Offers& o) { scheduler_->ResourceOffers(this, o.offers); },
          [&](const event::InverseOffers& o) { scheduler_->InverseOffers(this, o.inverse_offers); },
          [&](const event::Rescind& r) { scheduler_->OfferRescinded(this, r.offer_id); },
          [&](const event::RescindInverseOffer& r) {
            scheduler_->InverseOfferRescinded(this, r.inverse_offer_id);
          },
          [&](const event::Update& u) {
            const uint64_t epoch = stream_epoch_;
            scheduler_->StatusUpdate(this, u.status);
            // Acknowledge only on the stream the update came from: after a reconnect the agent
            // resends it, and the ack would be rejected for its stale stream anyway.
            if (options_.implicit_acknowledgements && state_ == DriverState::kSubscribed &&
                stream_epoch_ == epoch && !u.status.uuid.empty() && u.status.agent_id) {
              (void)Acknowledge(u.status);
            }
          },
          [&](const event::Message& m) {
            scheduler_->FrameworkMessage(this, m.executor_id, m.agent_id, m.data);
          },
          [&](const event::Failure& f) {
            if (f.executor_id) {
              scheduler_->ExecutorLost(this, *f.executor_id, f.agent_id.value_or(model::AgentId()),
                                       f.status.value_or(-1));
            } else if (f.agent_id) {
              scheduler_->AgentLost(this, *f.agent_id);
            }
          },
          [&](const event::Error& e) {
            // The master closes the stream after an ERROR; Mesos's driver aborts likewise.
            HandleFatalError(e.message);
          },
          [&](const event::Heartbeat&) {},
      },
      event.body);
}

// ---------------------------------------------------------------------------------------------
// Calls

absl::Status SchedulerDriverBase::Send(Call::Body body) {
  if (state_ != DriverState::kSubscribed) {
    return absl::FailedPreconditionError(StrCat("cannot send ", CallTypeName(body),
                                                ": driver is not subscribed (state ",
                                                DriverStateName(state_), ")"));
  }
  SendCall(Call{framework_id_, std::move(body)});
  return absl::OkStatus();
}

absl::Status SchedulerDriverBase::AcceptOffers(const std::vector<model::OfferId>& offer_ids,
                                               std::vector<model::Operation> operations,
                                               const model::Filters& filters) {
  if (offer_ids.empty()) return absl::InvalidArgumentError("accept: no offer ids");
  return Send(call::Accept{offer_ids, std::move(operations), filters});
}

absl::Status SchedulerDriverBase::LaunchTasks(const std::vector<model::OfferId>& offer_ids,
                                              std::vector<model::TaskInfo> tasks,
                                              const model::Filters& filters) {
  std::vector<model::Operation> operations;
  if (!tasks.empty()) {
    model::Operation launch;
    launch.type = model::Operation::Type::kLaunch;
    launch.launch_tasks = std::move(tasks);
    operations.push_back(std::move(launch));
  }
  return AcceptOffers(offer_ids, std::move(operations), filters);
}

absl::Status SchedulerDriverBase::DeclineOffer(const model::OfferId& offer_id,
                                               const model::Filters& filters) {
  return Send(call::Decline{{offer_id}, filters});
}

absl::Status SchedulerDriverBase::KillTask(const model::TaskId& task_id,
                                           const std::optional<model::AgentId>& agent_id) {
  return Send(call::Kill{task_id, agent_id, std::nullopt});
}

absl::Status SchedulerDriverBase::AcknowledgeStatusUpdate(const model::TaskStatus& status) {
  if (options_.implicit_acknowledgements) {
    return absl::FailedPreconditionError(
        "acknowledge: implicit acknowledgements are enabled; the driver acknowledges updates "
        "itself");
  }
  return Acknowledge(status);
}

absl::Status SchedulerDriverBase::Acknowledge(const model::TaskStatus& status) {
  if (status.uuid.empty()) {
    return absl::InvalidArgumentError(
        StrCat("acknowledge: the update of task '", status.task_id.value(),
               "' carries no uuid (master-generated updates are not acknowledged)"));
  }
  if (!status.agent_id) {
    return absl::InvalidArgumentError(
        StrCat("acknowledge: the update of task '", status.task_id.value(), "' has no agent_id"));
  }
  return Send(call::Acknowledge{*status.agent_id, status.task_id, status.uuid});
}

absl::Status SchedulerDriverBase::ReconcileTasks(const std::vector<model::TaskStatus>& statuses) {
  call::Reconcile reconcile;
  reconcile.tasks.reserve(statuses.size());
  for (const model::TaskStatus& s : statuses) {
    reconcile.tasks.push_back(call::Reconcile::Task{s.task_id, s.agent_id});
  }
  return Send(std::move(reconcile));
}

absl::Status SchedulerDriverBase::ReviveOffers(const std::vector<std::string>& roles) {
  if (absl::Status s = Send(call::Revive{roles}); !s.ok()) return s;
  if (roles.empty()) {
    suppressed_roles_.clear();
  } else {
    std::erase_if(suppressed_roles_, [&](const std::string& r) {
      return std::find(roles.begin(), roles.end(), r) != roles.end();
    });
  }
  return absl::OkStatus();
}

absl::Status SchedulerDriverBase::SuppressOffers(const std::vector<std::string>& roles) {
  if (absl::Status s = Send(call::Suppress{roles}); !s.ok()) return s;
  const std::vector<std::string> added =
      roles.empty() ? options_.framework_info.EffectiveRoles() : roles;
  for (const std::string& r : added) {
    if (std::find(suppressed_roles_.begin(), suppressed_roles_.end(), r) ==
        suppressed_roles_.end()) {
      suppressed_roles_.push_back(r);
    }
  }
  return absl::OkStatus();
}

absl::Status SchedulerDriverBase::SendFrameworkMessage(const model::ExecutorId& executor_id,
                                                       const model::AgentId& agent_id,
                                                       std::string data) {
  return Send(call::Message{agent_id, executor_id, std::move(data)});
}

}  // namespace atl::api
