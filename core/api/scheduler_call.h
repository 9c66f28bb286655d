// scheduler.Call of the Mesos v1 scheduler API: `type` is the variant alternative, the body is
// its payload. Adding a call type fails to compile until every visitor handles it.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/model/info.h"

namespace atl::api {

namespace call {

struct Subscribe {
  model::FrameworkInfo framework_info;
  std::vector<std::string> suppressed_roles;
  bool operator==(const Subscribe&) const = default;
};
struct Teardown {
  bool operator==(const Teardown&) const = default;
};
struct Accept {
  std::vector<model::OfferId> offer_ids;
  std::vector<model::Operation> operations;
  model::Filters filters;
  bool operator==(const Accept&) const = default;
};
struct Decline {
  std::vector<model::OfferId> offer_ids;
  model::Filters filters;
  bool operator==(const Decline&) const = default;
};
struct AcceptInverseOffers {
  std::vector<model::OfferId> inverse_offer_ids;
  model::Filters filters;
  bool operator==(const AcceptInverseOffers&) const = default;
};
struct DeclineInverseOffers {
  std::vector<model::OfferId> inverse_offer_ids;
  model::Filters filters;
  bool operator==(const DeclineInverseOffers&) const = default;
};
struct Revive {
  std::vector<std::string> roles;  // empty = all subscribed roles
  bool operator==(const Revive&) const = default;
};
struct Suppress {
  std::vector<std::string> roles;  // empty = all subscribed roles
  bool operator==(const Suppress&) const = default;
};
struct Kill {
  model::TaskId task_id;
  std::optional<model::AgentId> agent_id;
  std::optional<model::KillPolicy> kill_policy;
  bool operator==(const Kill&) const = default;
};
struct Shutdown {
  model::ExecutorId executor_id;
  model::AgentId agent_id;
  bool operator==(const Shutdown&) const = default;
};
struct Acknowledge {
  model::AgentId agent_id;
  model::TaskId task_id;
  std::string uuid;  // raw bytes (16 for a valid ack)
  bool operator==(const Acknowledge&) const = default;
};
struct Reconcile {
  struct Task {
    model::TaskId task_id;
    std::optional<model::AgentId> agent_id;
    bool operator==(const Task&) const = default;
  };
  std::vector<Task> tasks;  // empty = implicit
  bool operator==(const Reconcile&) const = default;
};
struct Message {
  model::AgentId agent_id;
  model::ExecutorId executor_id;
  std::string data;  // raw bytes
  bool operator==(const Message&) const = default;
};
struct Request {
  struct Item {
    std::optional<model::AgentId> agent_id;
    model::Resources resources;
    bool operator==(const Item&) const = default;
  };
  std::vector<Item> requests;
  bool operator==(const Request&) const = default;
};
struct UpdateFramework {
  model::FrameworkInfo framework_info;
  std::vector<std::string> suppressed_roles;
  bool operator==(const UpdateFramework&) const = default;
};

}  // namespace call

struct Call {
  using Body = std::variant<call::Subscribe, call::Teardown, call::Accept, call::Decline,
                            call::AcceptInverseOffers, call::DeclineInverseOffers, call::Revive,
                            call::Suppress, call::Kill, call::Shutdown, call::Acknowledge,
                            call::Reconcile, call::Message, call::Request, call::UpdateFramework>;
  std::optional<model::FrameworkId> framework_id;
  Body body;
  bool operator==(const Call&) const = default;
};

// "SUBSCRIBE", "ACCEPT", ... for the body's alternative.
std::string_view CallTypeName(const Call::Body& body);

}  // namespace atl::api
