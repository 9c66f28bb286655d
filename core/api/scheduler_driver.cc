#include "core/api/scheduler_driver.h"

namespace atl::api {

void Scheduler::Resubscribed(SchedulerDriver*, const model::MasterInfo&) {}
void Scheduler::Disconnected(SchedulerDriver*) {}
void Scheduler::OfferRescinded(SchedulerDriver*, const model::OfferId&) {}
void Scheduler::InverseOffers(SchedulerDriver*, const std::vector<model::InverseOffer>&) {}
void Scheduler::InverseOfferRescinded(SchedulerDriver*, const model::OfferId&) {}
void Scheduler::FrameworkMessage(SchedulerDriver*, const model::ExecutorId&, const model::AgentId&,
                                 const std::string&) {}
void Scheduler::AgentLost(SchedulerDriver*, const model::AgentId&) {}
void Scheduler::ExecutorLost(SchedulerDriver*, const model::ExecutorId&, const model::AgentId&,
                             int) {}

std::string_view DriverStateName(DriverState state) {
  switch (state) {
    case DriverState::kNotStarted:
      return "NOT_STARTED";
    case DriverState::kConnecting:
      return "CONNECTING";
    case DriverState::kSubscribed:
      return "SUBSCRIBED";
    case DriverState::kDisconnected:
      return "DISCONNECTED";
    case DriverState::kStopped:
      return "STOPPED";
  }
  return "UNKNOWN";
}

}  // namespace atl::api
