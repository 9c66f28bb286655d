#include "core/api/json_operator.h"

#include <cctype>
#include <cmath>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/api/json.h"
#include "core/api/json_internal.h"
#include "core/api/json_model.h"
#include "core/api/json_values.h"
#include "core/base/strings.h"

namespace atl::api {
namespace {

// A body with thousands of bad elements still gets a readable answer.
constexpr size_t kMaxReportedErrors = 20;

// Mesos master calls this master knowingly does not serve (mesos.v1.master.Call.Type).
constexpr std::string_view kUnsupportedCalls[] = {"GET_FLAGS",
                                                  "GET_METRICS",
                                                  "GET_LOGGING_LEVEL",
                                                  "SET_LOGGING_LEVEL",
                                                  "LIST_FILES",
                                                  "READ_FILE",
                                                  "GET_STATE",
                                                  "GET_AGENTS",
                                                  "GET_FRAMEWORKS",
                                                  "GET_EXECUTORS",
                                                  "GET_OPERATIONS",
                                                  "GET_TASKS",
                                                  "GET_MASTER",
                                                  "SUBSCRIBE",
                                                  "RESERVE_RESOURCES",
                                                  "UNRESERVE_RESOURCES",
                                                  "CREATE_VOLUMES",
                                                  "DESTROY_VOLUMES",
                                                  "GROW_VOLUME",
                                                  "SHRINK_VOLUME",
                                                  "GET_MAINTENANCE_STATUS",
                                                  "GET_MAINTENANCE_SCHEDULE",
                                                  "UPDATE_MAINTENANCE_SCHEDULE",
                                                  "START_MAINTENANCE",
                                                  "STOP_MAINTENANCE",
                                                  "DRAIN_AGENT",
                                                  "DEACTIVATE_AGENT",
                                                  "REACTIVATE_AGENT",
                                                  "SET_QUOTA",
                                                  "REMOVE_QUOTA",
                                                  "TEARDOWN",
                                                  "MARK_AGENT_GONE"};

// Collects problems so that a validator can report all of them at once.
class Errors {
 public:
  void Add(const absl::Status& status) {
    if (status.ok()) return;
    if (messages_.size() < kMaxReportedErrors) {
      messages_.emplace_back(status.message().data(), status.message().size());
    }
    ++count_;
  }
  absl::Status ToStatus() const {
    if (count_ == 0) return absl::OkStatus();
    std::string text = Join(messages_, "; ");
    if (count_ > messages_.size()) {
      StrAppend(&text, "; and ", count_ - messages_.size(), " more");
    }
    return absl::InvalidArgumentError(text);
  }

 private:
  std::vector<std::string> messages_;
  size_t count_ = 0;
};

// ---- weights ----

// One {"role", "weight"}: both fields are checked, and each problem is added to `errors`.
void ReadWeightInfo(const JsonNode& n, std::map<std::string, double>* out, Errors* errors) {
  if (absl::Status s = n.ExpectObject(); !s.ok()) {
    errors->Add(s);
    return;
  }
  JsonNode role_node = n.Get("role");
  std::string role;
  absl::Status role_status =
      role_node.IsUnset() ? role_node.Error("required") : ReadString(role_node, &role);
  if (role_status.ok()) {
    role = std::string(Strip(role));  // Mesos trims the role before validating it
    if (absl::Status valid = model::ValidateRole(role); !valid.ok()) {
      role_status = role_node.Error(std::string(valid.message()));
    }
  }
  errors->Add(role_status);

  JsonNode weight_node = n.Get("weight");
  double weight = 0;
  absl::Status weight_status =
      weight_node.IsUnset() ? weight_node.Error("required") : ReadDouble(weight_node, &weight);
  if (weight_status.ok() && !std::isfinite(weight)) {
    weight_status = weight_node.Error(StrCat("must be finite, got ", weight));
  } else if (weight_status.ok() && !(weight > 0)) {
    weight_status = weight_node.Error(StrCat("must be positive, got ", weight));
  }
  errors->Add(weight_status);

  if (role_status.ok() && weight_status.ok()) (*out)[role] = weight;  // the last one wins
}

// The elements of the array `n` (unset = none), all of them checked.
absl::Status ReadWeightInfos(const JsonNode& n, std::map<std::string, double>* out) {
  if (n.IsUnset()) return absl::OkStatus();
  RETURN_IF_ERROR(n.ExpectArray());
  Errors errors;
  for (size_t i = 0; i < n.Size(); ++i) {
    JsonNode element = n.At(i);
    ReadWeightInfo(element, out, &errors);
  }
  return errors.ToStatus();
}

void WriteWeightInfos(JsonWriter& w, const std::map<std::string, double>& weights) {
  w.StartArray();
  for (const auto& [role, weight] : weights) {
    w.StartObject().Key("role").String(role).Key("weight").Double(weight).EndObject();
  }
  w.EndArray();
}

// ---- quota ----

// {"cpus": {"value": 10}, ...}. Only the shape is checked here (the master checks names and
// signs, with every problem at once); a key given twice keeps its first value.
absl::Status ReadQuantities(const JsonNode& n, std::map<std::string, model::Scalar>* out) {
  return n.ForEachMember([&](std::string_view name, const JsonNode& value) -> absl::Status {
    model::Scalar scalar;
    RETURN_IF_ERROR(ReadScalarValue(value, /*non_negative=*/false, &scalar));
    out->emplace(std::string(name), scalar);
    return absl::OkStatus();
  });
}

void WriteQuantities(JsonWriter& w, const std::map<std::string, model::Scalar>& quantities) {
  w.StartObject();
  for (const auto& [name, scalar] : quantities) {
    w.Key(name);
    WriteScalarValue(w, scalar);
  }
  w.EndObject();
}

absl::Status ReadQuotaConfig(const JsonNode& n, QuotaConfig* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Req(n, "role", &out->role));
  RETURN_IF_ERROR(Opt(n, "guarantees", &out->guarantees, ReadQuantities));
  return Opt(n, "limits", &out->limits, ReadQuantities);
}

void WriteQuotaConfig(JsonWriter& w, const QuotaConfig& config) {
  w.StartObject().Key("role").String(config.role);
  if (!config.guarantees.empty()) {
    w.Key("guarantees");
    WriteQuantities(w, config.guarantees);
  }
  if (!config.limits.empty()) {
    w.Key("limits");
    WriteQuantities(w, config.limits);
  }
  w.EndObject();
}

void WriteQuotaStatus(JsonWriter& w, const std::vector<QuotaConfig>& configs) {
  w.StartObject();
  if (!configs.empty()) {
    // The legacy QuotaInfo: guarantees only, as Resource objects.
    w.Key("infos").StartArray();
    for (const QuotaConfig& config : configs) {
      w.StartObject().Key("role").String(config.role);
      if (!config.guarantees.empty()) {
        w.Key("guarantee").StartArray();
        for (const auto& [name, scalar] : config.guarantees) {
          WriteResource(w, model::Resource::MakeScalar(name, scalar));
        }
        w.EndArray();
      }
      w.EndObject();
    }
    w.EndArray();
    w.Key("configs").StartArray();
    for (const QuotaConfig& config : configs) WriteQuotaConfig(w, config);
    w.EndArray();
  }
  w.EndObject();
}

// ---- call bodies: GET_* have none; UPDATE_* require theirs ----

template <typename T>
constexpr bool kHasBody = std::is_same_v<T, operator_call::UpdateWeights> ||
                          std::is_same_v<T, operator_call::UpdateQuota>;

absl::Status ParseBody(const JsonNode& n, operator_call::UpdateWeights* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  JsonNode infos = n.Get("weight_infos");
  return ReadWeightInfos(infos, &out->weights);
}

absl::Status ParseBody(const JsonNode& n, operator_call::UpdateQuota* out) {
  RETURN_IF_ERROR(n.ExpectObject());
  RETURN_IF_ERROR(Opt(n, "force", &out->force));
  return Array(n, "quota_configs", &out->configs, ReadQuotaConfig);
}

void WriteBody(JsonWriter& w, const operator_call::UpdateWeights& b) {
  w.StartObject();
  if (!b.weights.empty()) {
    w.Key("weight_infos");
    WriteWeightInfos(w, b.weights);
  }
  w.EndObject();
}

void WriteBody(JsonWriter& w, const operator_call::UpdateQuota& b) {
  w.StartObject();
  if (b.force) w.Key("force").Bool(true);
  if (!b.configs.empty()) {
    w.Key("quota_configs").StartArray();
    for (const QuotaConfig& config : b.configs) WriteQuotaConfig(w, config);
    w.EndArray();
  }
  w.EndObject();
}

// "UPDATE_QUOTA" -> "update_quota".
std::string BodyKey(std::string_view type) {
  std::string key(type);
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

// Sets *out to the alternative called `type`; false if there is none.
template <size_t I = 0>
bool MakeCallBody(std::string_view type, OperatorCall::Body* out) {
  if constexpr (I < std::variant_size_v<OperatorCall::Body>) {
    OperatorCall::Body candidate{std::in_place_index<I>};
    if (OperatorCallTypeName(candidate) == type) {
      *out = std::move(candidate);
      return true;
    }
    return MakeCallBody<I + 1>(type, out);
  } else {
    return false;
  }
}

// ---- response bodies ----

void WriteResponseBody(JsonWriter& w, const operator_response::GetHealth& b) {
  w.StartObject().Key("healthy").Bool(b.healthy).EndObject();
}

void WriteResponseBody(JsonWriter& w, const operator_response::GetVersion& b) {
  w.StartObject().Key("version_info").StartObject();
  w.Key("version").String(b.version);
  if (!b.build_date.empty()) w.Key("build_date").String(b.build_date);
  w.Key("build_time").Double(b.build_time);
  if (!b.build_user.empty()) w.Key("build_user").String(b.build_user);
  if (!b.git_sha.empty()) w.Key("git_sha").String(b.git_sha);
  w.EndObject().EndObject();
}

void WriteResponseBody(JsonWriter& w, const operator_response::GetRoles& b) {
  w.StartObject();
  if (!b.roles.empty()) {
    w.Key("roles").StartArray();
    for (const RoleInfo& role : b.roles) {
      w.StartObject();
      w.Key("name").String(role.name);
      w.Key("weight").Double(role.weight);
      if (!role.frameworks.empty()) {
        w.Key("frameworks").StartArray();
        for (const model::FrameworkId& id : role.frameworks) WriteId(w, id);
        w.EndArray();
      }
      if (!role.resources.empty()) {
        w.Key("resources");
        WriteResources(w, role.resources);
      }
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

void WriteResponseBody(JsonWriter& w, const operator_response::GetWeights& b) {
  w.StartObject();
  if (!b.weights.empty()) {
    w.Key("weight_infos");
    WriteWeightInfos(w, b.weights);
  }
  w.EndObject();
}

void WriteResponseBody(JsonWriter& w, const operator_response::GetQuota& b) {
  w.StartObject().Key("status");
  WriteQuotaStatus(w, b.configs);
  w.EndObject();
}

}  // namespace

absl::StatusOr<std::map<std::string, double>> ParseWeights(std::string_view json) {
  std::map<std::string, double> weights;
  RETURN_IF_ERROR(ParseJsonDocument(json, "", [&](const JsonNode& root) {
    RETURN_IF_ERROR(root.ExpectArray());
    return ReadWeightInfos(root, &weights);
  }));
  return weights;
}

std::string SerializeWeights(const std::map<std::string, double>& weights) {
  JsonWriter w;
  WriteWeightInfos(w, weights);
  return w.Finish();
}

absl::StatusOr<OperatorCall> ParseOperatorCall(std::string_view json) {
  OperatorCall call;
  RETURN_IF_ERROR(ParseJsonDocument(json, "", [&](const JsonNode& root) -> absl::Status {
    RETURN_IF_ERROR(root.ExpectObject());
    JsonNode type_node = root.Get("type");
    if (type_node.IsUnset()) return type_node.Error("required");
    std::string type;
    RETURN_IF_ERROR(ReadString(type_node, &type));
    if (!MakeCallBody(type, &call.body)) {
      for (std::string_view name : kUnsupportedCalls) {
        if (name == type) return type_node.Error(StrCat("call type '", type, "' is not supported"));
      }
      return type_node.Error(StrCat("unknown call type '", type, "'"));
    }
    return std::visit(
        [&](auto& body) -> absl::Status {
          using T = std::decay_t<decltype(body)>;
          if constexpr (kHasBody<T>) {
            std::string key = BodyKey(type);
            JsonNode body_node = root.Get(key);
            if (body_node.IsUnset()) return body_node.Error(StrCat("required by type ", type));
            return ParseBody(body_node, &body);
          } else {
            return absl::OkStatus();
          }
        },
        call.body);
  }));
  return call;
}

std::string SerializeOperatorCall(const OperatorCall& call) {
  JsonWriter w;
  std::string_view type = OperatorCallTypeName(call.body);
  w.StartObject().Key("type").String(type);
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (kHasBody<T>) {
          w.Key(BodyKey(type));
          WriteBody(w, body);
        }
      },
      call.body);
  w.EndObject();
  return w.Finish();
}

std::string SerializeOperatorResponse(const OperatorResponse& response) {
  JsonWriter w;
  std::string_view type = OperatorResponseTypeName(response.body);
  w.StartObject().Key("type").String(type).Key(BodyKey(type));
  std::visit([&](const auto& body) { WriteResponseBody(w, body); }, response.body);
  w.EndObject();
  return w.Finish();
}

std::string SerializeQuotaStatus(const std::vector<QuotaConfig>& configs) {
  JsonWriter w;
  WriteQuotaStatus(w, configs);
  return w.Finish();
}

}  // namespace atl::api
