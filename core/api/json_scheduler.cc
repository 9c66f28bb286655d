#include "core/api/json_scheduler.h"

#include <array>
#include <cctype>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/api/json.h"
#include "core/api/json_internal.h"
#include "core/api/json_model.h"
#include "core/base/strings.h"

namespace atl::api {
namespace {

// ---- shared pieces ----

template <typename IdT>
void WriteIdList(JsonWriter& w, std::string_view key, const std::vector<IdT>& ids) {
  if (ids.empty()) return;
  w.Key(key).StartArray();
  for (const IdT& id : ids) WriteId(w, id);
  w.EndArray();
}

void WriteStringList(JsonWriter& w, std::string_view key, const std::vector<std::string>& items) {
  if (items.empty()) return;
  w.Key(key).StartArray();
  for (const std::string& item : items) w.String(item);
  w.EndArray();
}

void WriteFiltersField(JsonWriter& w, const model::Filters& filters) {
  if (filters == model::Filters{}) return;
  w.Key("filters");
  WriteFilters(w, filters);
}

// ---- call bodies ----

// SUBSCRIBE and UPDATE_FRAMEWORK share their shape.
template <typename T>
void WriteFrameworkBody(JsonWriter& w, const T& b) {
  w.StartObject().Key("framework_info");
  WriteFrameworkInfo(w, b.framework_info);
  WriteStringList(w, "suppressed_roles", b.suppressed_roles);
  w.EndObject();
}

template <typename T>
absl::Status ParseFrameworkBody(const JsonNode& n, T* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "framework_info", &out->framework_info, ParseFrameworkInfo));
  return Array(n, "suppressed_roles", &out->suppressed_roles);
}

void WriteBody(JsonWriter& w, const call::Subscribe& b) { WriteFrameworkBody(w, b); }
absl::Status ParseBody(const JsonNode& n, call::Subscribe* out) {
  return ParseFrameworkBody(n, out);
}

void WriteBody(JsonWriter& w, const call::UpdateFramework& b) { WriteFrameworkBody(w, b); }
absl::Status ParseBody(const JsonNode& n, call::UpdateFramework* out) {
  return ParseFrameworkBody(n, out);
}

void WriteBody(JsonWriter& w, const call::Accept& b) {
  w.StartObject();
  WriteIdList(w, "offer_ids", b.offer_ids);
  if (!b.operations.empty()) {
    w.Key("operations").StartArray();
    for (const model::Operation& op : b.operations) WriteOperation(w, op);
    w.EndArray();
  }
  WriteFiltersField(w, b.filters);
  w.EndObject();
}

absl::Status ParseBody(const JsonNode& n, call::Accept* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Array(n, "offer_ids", &out->offer_ids));
  RETURN_IF_ERROR(Array(n, "operations", &out->operations, ParseOperation));
  return Opt(n, "filters", &out->filters, ParseFilters);
}

// DECLINE, ACCEPT_INVERSE_OFFERS and DECLINE_INVERSE_OFFERS: ids plus filters.
void WriteBody(JsonWriter& w, const call::Decline& b) {
  w.StartObject();
  WriteIdList(w, "offer_ids", b.offer_ids);
  WriteFiltersField(w, b.filters);
  w.EndObject();
}

absl::Status ParseBody(const JsonNode& n, call::Decline* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Array(n, "offer_ids", &out->offer_ids));
  return Opt(n, "filters", &out->filters, ParseFilters);
}

template <typename T>
void WriteInverseOffersBody(JsonWriter& w, const T& b) {
  w.StartObject();
  WriteIdList(w, "inverse_offer_ids", b.inverse_offer_ids);
  WriteFiltersField(w, b.filters);
  w.EndObject();
}

template <typename T>
absl::Status ParseInverseOffersBody(const JsonNode& n, T* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Array(n, "inverse_offer_ids", &out->inverse_offer_ids));
  return Opt(n, "filters", &out->filters, ParseFilters);
}

void WriteBody(JsonWriter& w, const call::AcceptInverseOffers& b) { WriteInverseOffersBody(w, b); }
absl::Status ParseBody(const JsonNode& n, call::AcceptInverseOffers* out) {
  return ParseInverseOffersBody(n, out);
}

void WriteBody(JsonWriter& w, const call::DeclineInverseOffers& b) { WriteInverseOffersBody(w, b); }
absl::Status ParseBody(const JsonNode& n, call::DeclineInverseOffers* out) {
  return ParseInverseOffersBody(n, out);
}

// REVIVE and SUPPRESS: {"roles": [...]}.
template <typename T>
void WriteRolesBody(JsonWriter& w, const T& b) {
  w.StartObject();
  WriteStringList(w, "roles", b.roles);
  w.EndObject();
}

template <typename T>
absl::Status ParseRolesBody(const JsonNode& n, T* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Array(n, "roles", &out->roles);
}

void WriteBody(JsonWriter& w, const call::Revive& b) { WriteRolesBody(w, b); }
absl::Status ParseBody(const JsonNode& n, call::Revive* out) { return ParseRolesBody(n, out); }
void WriteBody(JsonWriter& w, const call::Suppress& b) { WriteRolesBody(w, b); }
absl::Status ParseBody(const JsonNode& n, call::Suppress* out) { return ParseRolesBody(n, out); }

void WriteBody(JsonWriter& w, const call::Kill& b) {
  w.StartObject().Key("task_id");
  WriteId(w, b.task_id);
  if (b.agent_id.has_value()) {
    w.Key("agent_id");
    WriteId(w, *b.agent_id);
  }
  if (b.kill_policy.has_value()) {
    w.Key("kill_policy");
    WriteKillPolicy(w, *b.kill_policy);
  }
  w.EndObject();
}

absl::Status ParseBody(const JsonNode& n, call::Kill* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "task_id", &out->task_id));
  RETURN_IF_ERROR(Opt(n, "agent_id", &out->agent_id));
  return Opt(n, "kill_policy", &out->kill_policy, ParseKillPolicy);
}

void WriteBody(JsonWriter& w, const call::Shutdown& b) {
  w.StartObject().Key("executor_id");
  WriteId(w, b.executor_id);
  w.Key("agent_id");
  WriteId(w, b.agent_id);
  w.EndObject();
}

absl::Status ParseBody(const JsonNode& n, call::Shutdown* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "executor_id", &out->executor_id));
  return Req(n, "agent_id", &out->agent_id);
}

void WriteBody(JsonWriter& w, const call::Acknowledge& b) {
  w.StartObject().Key("agent_id");
  WriteId(w, b.agent_id);
  w.Key("task_id");
  WriteId(w, b.task_id);
  w.Key("uuid").String(internal::Base64Encode(b.uuid));
  w.EndObject();
}

absl::Status ParseBody(const JsonNode& n, call::Acknowledge* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "agent_id", &out->agent_id));
  RETURN_IF_ERROR(Req(n, "task_id", &out->task_id));
  return Req(n, "uuid", &out->uuid, ReadBytes);
}

absl::Status ReadReconcileTask(const JsonNode& n, call::Reconcile::Task* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "task_id", &out->task_id));
  return Opt(n, "agent_id", &out->agent_id);
}

void WriteBody(JsonWriter& w, const call::Reconcile& b) {
  w.StartObject();
  if (!b.tasks.empty()) {
    w.Key("tasks").StartArray();
    for (const call::Reconcile::Task& t : b.tasks) {
      w.StartObject().Key("task_id");
      WriteId(w, t.task_id);
      if (t.agent_id.has_value()) {
        w.Key("agent_id");
        WriteId(w, *t.agent_id);
      }
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

absl::Status ParseBody(const JsonNode& n, call::Reconcile* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Array(n, "tasks", &out->tasks, ReadReconcileTask);
}

// MESSAGE, in both directions: {agent_id, executor_id, data (base64)}.
template <typename T>
void WriteMessageBody(JsonWriter& w, const T& b) {
  w.StartObject().Key("agent_id");
  WriteId(w, b.agent_id);
  w.Key("executor_id");
  WriteId(w, b.executor_id);
  w.Key("data").String(internal::Base64Encode(b.data));
  w.EndObject();
}

template <typename T>
absl::Status ParseMessageBody(const JsonNode& n, T* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "agent_id", &out->agent_id));
  RETURN_IF_ERROR(Req(n, "executor_id", &out->executor_id));
  return Req(n, "data", &out->data, ReadBytes);
}

void WriteBody(JsonWriter& w, const call::Message& b) { WriteMessageBody(w, b); }
absl::Status ParseBody(const JsonNode& n, call::Message* out) { return ParseMessageBody(n, out); }

absl::Status ReadRequestItem(const JsonNode& n, call::Request::Item* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Opt(n, "agent_id", &out->agent_id));
  return Opt(n, "resources", &out->resources, ParseResources);
}

void WriteBody(JsonWriter& w, const call::Request& b) {
  w.StartObject();
  if (!b.requests.empty()) {
    w.Key("requests").StartArray();
    for (const call::Request::Item& item : b.requests) {
      w.StartObject();
      if (item.agent_id.has_value()) {
        w.Key("agent_id");
        WriteId(w, *item.agent_id);
      }
      if (!item.resources.empty()) {
        w.Key("resources");
        WriteResources(w, item.resources);
      }
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

absl::Status ParseBody(const JsonNode& n, call::Request* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Array(n, "requests", &out->requests, ReadRequestItem);
}

// ---- event bodies ----

void WriteBody(JsonWriter& w, const event::Subscribed& b) {
  w.StartObject().Key("framework_id");
  WriteId(w, b.framework_id);
  w.Key("heartbeat_interval_seconds").Double(b.heartbeat_interval_seconds);
  if (b.master_info.has_value()) {
    w.Key("master_info");
    WriteMasterInfo(w, *b.master_info);
  }
  w.EndObject();
}

absl::Status ParseBody(const JsonNode& n, event::Subscribed* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "framework_id", &out->framework_id));
  RETURN_IF_ERROR(Opt(n, "heartbeat_interval_seconds", &out->heartbeat_interval_seconds));
  return Opt(n, "master_info", &out->master_info, ParseMasterInfo);
}

void WriteBody(JsonWriter& w, const event::Offers& b) {
  w.StartObject();
  if (!b.offers.empty()) {
    w.Key("offers").StartArray();
    for (const model::Offer& offer : b.offers) WriteOffer(w, offer);
    w.EndArray();
  }
  w.EndObject();
}

absl::Status ParseBody(const JsonNode& n, event::Offers* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Array(n, "offers", &out->offers, ParseOffer);
}

void WriteBody(JsonWriter& w, const event::InverseOffers& b) {
  w.StartObject();
  if (!b.inverse_offers.empty()) {
    w.Key("inverse_offers").StartArray();
    for (const model::InverseOffer& offer : b.inverse_offers) WriteInverseOffer(w, offer);
    w.EndArray();
  }
  w.EndObject();
}

absl::Status ParseBody(const JsonNode& n, event::InverseOffers* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Array(n, "inverse_offers", &out->inverse_offers, ParseInverseOffer);
}

void WriteBody(JsonWriter& w, const event::Rescind& b) {
  w.StartObject().Key("offer_id");
  WriteId(w, b.offer_id);
  w.EndObject();
}

absl::Status ParseBody(const JsonNode& n, event::Rescind* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Req(n, "offer_id", &out->offer_id);
}

void WriteBody(JsonWriter& w, const event::RescindInverseOffer& b) {
  w.StartObject().Key("inverse_offer_id");
  WriteId(w, b.inverse_offer_id);
  w.EndObject();
}

absl::Status ParseBody(const JsonNode& n, event::RescindInverseOffer* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Req(n, "inverse_offer_id", &out->inverse_offer_id);
}

void WriteBody(JsonWriter& w, const event::Update& b) {
  w.StartObject().Key("status");
  WriteTaskStatus(w, b.status);
  w.EndObject();
}

absl::Status ParseBody(const JsonNode& n, event::Update* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Req(n, "status", &out->status, ParseTaskStatus);
}

void WriteBody(JsonWriter& w, const event::Message& b) { WriteMessageBody(w, b); }
absl::Status ParseBody(const JsonNode& n, event::Message* out) { return ParseMessageBody(n, out); }

void WriteBody(JsonWriter& w, const event::Failure& b) {
  w.StartObject();
  if (b.agent_id.has_value()) {
    w.Key("agent_id");
    WriteId(w, *b.agent_id);
  }
  if (b.executor_id.has_value()) {
    w.Key("executor_id");
    WriteId(w, *b.executor_id);
  }
  if (b.status.has_value()) w.Key("status").Int(*b.status);
  w.EndObject();
}

absl::Status ParseBody(const JsonNode& n, event::Failure* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Opt(n, "agent_id", &out->agent_id));
  RETURN_IF_ERROR(Opt(n, "executor_id", &out->executor_id));
  return Opt(n, "status", &out->status);
}

void WriteBody(JsonWriter& w, const event::Error& b) {
  w.StartObject().Key("message").String(b.message).EndObject();
}

absl::Status ParseBody(const JsonNode& n, event::Error* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  return Req(n, "message", &out->message);
}

// ---- type dispatch, shared by Call and Event ----

enum class BodyRule { kNone, kOptional, kRequired };

template <typename T>
constexpr BodyRule kBodyRule = BodyRule::kRequired;
template <>
constexpr BodyRule kBodyRule<call::Teardown> = BodyRule::kNone;
template <>
constexpr BodyRule kBodyRule<event::Heartbeat> = BodyRule::kNone;
// Mesos accepts REVIVE and SUPPRESS without a body: all roles.
template <>
constexpr BodyRule kBodyRule<call::Revive> = BodyRule::kOptional;
template <>
constexpr BodyRule kBodyRule<call::Suppress> = BodyRule::kOptional;

std::string_view TypeName(const Call::Body& body) { return CallTypeName(body); }
std::string_view TypeName(const Event::Body& body) { return EventTypeName(body); }

// Type names, body keys and body parsers of a Body variant, by alternative index.
template <typename Body>
struct TypeTable {
  static constexpr size_t kSize = std::variant_size_v<Body>;
  using ParseFn = absl::Status (*)(const JsonNode& root, const TypeTable& table, Body* out);
  std::array<std::string_view, kSize> names;
  std::array<std::string, kSize> keys;  // lower-cased names
  std::array<ParseFn, kSize> parse;
};

template <typename Body, size_t I>
absl::Status ParseAlternative(const JsonNode& root, const TypeTable<Body>& table, Body* out) {
  using T = std::variant_alternative_t<I, Body>;
  T& value = out->template emplace<I>();
  if constexpr (kBodyRule<T> == BodyRule::kNone) {
    return absl::OkStatus();
  } else {
    JsonNode body = root.Get(table.keys[I]);
    if (body.IsUnset()) {
      if constexpr (kBodyRule<T> == BodyRule::kOptional) return absl::OkStatus();
      return body.Error(atl::StrCat("required by type ", table.names[I]));
    }
    return ParseBody(body, &value);
  }
}

template <typename Body, size_t... I>
TypeTable<Body> MakeTypeTable(std::index_sequence<I...>) {
  TypeTable<Body> table;
  table.names = {TypeName(Body(std::in_place_index<I>))...};
  table.parse = {&ParseAlternative<Body, I>...};
  for (size_t i = 0; i < table.kSize; ++i) {
    for (char c : table.names[i]) {
      table.keys[i].push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  return table;
}

template <typename Body>
const TypeTable<Body>& Table() {
  static const TypeTable<Body>* table = new TypeTable<Body>(
      MakeTypeTable<Body>(std::make_index_sequence<std::variant_size_v<Body>>()));
  return *table;
}

// Reads "type" and the matching body. `what` is "call" or "event"; `unsupported` lists
// Mesos types this engine knowingly does not implement.
template <typename Body>
absl::Status ParseTypedBody(const JsonNode& root, std::string_view what,
                            std::initializer_list<std::string_view> unsupported, Body* out) {
  JsonNode type_node = root.Get("type");
  if (type_node.IsUnset()) return type_node.Error("required");
  std::string type;
  RETURN_IF_ERROR(ReadString(type_node, &type));
  const TypeTable<Body>& table = Table<Body>();
  for (size_t i = 0; i < table.kSize; ++i) {
    if (table.names[i] == type) return table.parse[i](root, table, out);
  }
  for (std::string_view name : unsupported) {
    if (name == type) {
      return type_node.Error(atl::StrCat(what, " type '", type, "' is not supported"));
    }
  }
  return type_node.Error(atl::StrCat("unknown ", what, " type '", type, "'"));
}

template <typename Body>
void WriteTypedBody(JsonWriter& w, const Body& body) {
  std::visit(
      [&](const auto& value) {
        using T = std::decay_t<decltype(value)>;
        if constexpr (kBodyRule<T> != BodyRule::kNone) {
          w.Key(Table<Body>().keys[body.index()]);
          WriteBody(w, value);
        }
      },
      body);
}

}  // namespace

absl::StatusOr<Call> ParseCall(std::string_view json) {
  Call call;
  RETURN_IF_ERROR(ParseJsonDocument(json, "", [&](const JsonNode& root) {
    RETURN_IF_ERROR(root.ExpectObject());
    RETURN_IF_ERROR(ParseTypedBody(
        root, "call", {"ACKNOWLEDGE_OPERATION_STATUS", "RECONCILE_OPERATIONS"}, &call.body));
    return Opt(root, "framework_id", &call.framework_id);
  }));
  return call;
}

std::string SerializeCall(const Call& call) {
  JsonWriter w;
  w.StartObject().Key("type").String(CallTypeName(call.body));
  if (call.framework_id.has_value()) {
    w.Key("framework_id");
    WriteId(w, *call.framework_id);
  }
  WriteTypedBody(w, call.body);
  w.EndObject();
  return w.Finish();
}

absl::StatusOr<Event> ParseEvent(std::string_view json) {
  Event event;
  RETURN_IF_ERROR(ParseJsonDocument(json, "", [&](const JsonNode& root) {
    RETURN_IF_ERROR(root.ExpectObject());
    return ParseTypedBody(root, "event", {"UPDATE_OPERATION_STATUS"}, &event.body);
  }));
  return event;
}

std::string SerializeEvent(const Event& event) {
  JsonWriter w;
  w.StartObject().Key("type").String(EventTypeName(event.body));
  WriteTypedBody(w, event.body);
  w.EndObject();
  return w.Finish();
}

}  // namespace atl::api
