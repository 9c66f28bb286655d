#include <string_view>

#include "core/api/operator_call.h"
#include "core/api/scheduler_call.h"
#include "core/api/scheduler_event.h"

namespace atl::api {

std::string_view CallTypeName(const Call::Body& body) {
  static constexpr std::string_view kNames[] = {"SUBSCRIBE",
                                                "TEARDOWN",
                                                "ACCEPT",
                                                "DECLINE",
                                                "ACCEPT_INVERSE_OFFERS",
                                                "DECLINE_INVERSE_OFFERS",
                                                "REVIVE",
                                                "SUPPRESS",
                                                "KILL",
                                                "SHUTDOWN",
                                                "ACKNOWLEDGE",
                                                "RECONCILE",
                                                "MESSAGE",
                                                "REQUEST",
                                                "UPDATE_FRAMEWORK"};
  static_assert(std::size(kNames) == std::variant_size_v<Call::Body>);
  return kNames[body.index()];
}

std::string_view EventTypeName(const Event::Body& body) {
  static constexpr std::string_view kNames[] = {
      "SUBSCRIBED", "OFFERS",  "INVERSE_OFFERS", "RESCIND", "RESCIND_INVERSE_OFFER",
      "UPDATE",     "MESSAGE", "FAILURE",        "ERROR",   "HEARTBEAT"};
  static_assert(std::size(kNames) == std::variant_size_v<Event::Body>);
  return kNames[body.index()];
}

std::string_view OperatorCallTypeName(const OperatorCall::Body& body) {
  static constexpr std::string_view kNames[] = {"GET_HEALTH",  "GET_VERSION", "GET_ROLES",
                                                "GET_WEIGHTS", "GET_QUOTA",   "UPDATE_WEIGHTS",
                                                "UPDATE_QUOTA"};
  static_assert(std::size(kNames) == std::variant_size_v<OperatorCall::Body>);
  return kNames[body.index()];
}

std::string_view OperatorResponseTypeName(const OperatorResponse::Body& body) {
  static constexpr std::string_view kNames[] = {"GET_HEALTH", "GET_VERSION", "GET_ROLES",
                                                "GET_WEIGHTS", "GET_QUOTA"};
  static_assert(std::size(kNames) == std::variant_size_v<OperatorResponse::Body>);
  return kNames[body.index()];
}

}  // namespace atl::api
