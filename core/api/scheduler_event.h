// scheduler.Event of the Mesos v1 scheduler API.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/model/info.h"

namespace atl::api {

namespace event {

struct Subscribed {
  model::FrameworkId framework_id;
  double heartbeat_interval_seconds = 15.0;
  std::optional<model::MasterInfo> master_info;
  bool operator==(const Subscribed&) const = default;
};
struct Offers {
  std::vector<model::Offer> offers;
  bool operator==(const Offers&) const = default;
};
struct InverseOffers {
  std::vector<model::InverseOffer> inverse_offers;
  bool operator==(const InverseOffers&) const = default;
};
struct Rescind {
  model::OfferId offer_id;
  bool operator==(const Rescind&) const = default;
};
struct RescindInverseOffer {
  model::OfferId inverse_offer_id;
  bool operator==(const RescindInverseOffer&) const = default;
};
struct Update {
  model::TaskStatus status;
  bool operator==(const Update&) const = default;
};
struct Message {
  model::AgentId agent_id;
  model::ExecutorId executor_id;
  std::string data;  // raw bytes
  bool operator==(const Message&) const = default;
};
struct Failure {
  std::optional<model::AgentId> agent_id;
  std::optional<model::ExecutorId> executor_id;
  std::optional<int32_t> status;
  bool operator==(const Failure&) const = default;
};
struct Error {
  std::string message;
  bool operator==(const Error&) const = default;
};
struct Heartbeat {
  bool operator==(const Heartbeat&) const = default;
};

}  // namespace event

struct Event {
  using Body = std::variant<event::Subscribed, event::Offers, event::InverseOffers, event::Rescind,
                            event::RescindInverseOffer, event::Update, event::Message,
                            event::Failure, event::Error, event::Heartbeat>;
  Body body;
  bool operator==(const Event&) const = default;
};

// "SUBSCRIBED", "OFFERS", ... for the body's alternative.
std::string_view EventTypeName(const Event::Body& body);

}  // namespace atl::api
