// mesos.v1.master.Call and mesos.v1.master.Response, the subset this master serves on
// `POST /api/v1` (reference/mesos.md §6.6, §6.7, §10): role weights and quotas, roles, health
// and version. As with the scheduler API, `type` is the variant alternative and the body its
// payload, so a new call type fails to compile until every visitor handles it.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/model/ids.h"
#include "core/model/resources.h"
#include "core/model/scalar.h"

namespace atl::api {

// quota.QuotaConfig: per resource name, a scalar quantity. Kept as maps rather than
// model::Resources so that a value of 0 (a meaningful limit) and every name survive as sent.
struct QuotaConfig {
  std::string role;
  std::map<std::string, model::Scalar> guarantees;
  std::map<std::string, model::Scalar> limits;  // a name absent = no limit
  bool operator==(const QuotaConfig&) const = default;
};

// mesos.v1.Role as GET_ROLES reports it.
struct RoleInfo {
  std::string name;
  double weight = 1.0;
  std::vector<model::FrameworkId> frameworks;
  model::Resources resources;  // allocated to the role (offers included)
  bool operator==(const RoleInfo&) const = default;
};

namespace operator_call {

struct GetHealth {
  bool operator==(const GetHealth&) const = default;
};
struct GetVersion {
  bool operator==(const GetVersion&) const = default;
};
struct GetRoles {
  bool operator==(const GetRoles&) const = default;
};
struct GetWeights {
  bool operator==(const GetWeights&) const = default;
};
struct GetQuota {
  bool operator==(const GetQuota&) const = default;
};
// Sets the weight of each listed role; roles not listed keep theirs.
struct UpdateWeights {
  std::map<std::string, double> weights;  // validated roles, weights > 0 and finite
  bool operator==(const UpdateWeights&) const = default;
};
// Replaces the quota of each listed role (empty guarantees and limits remove it), all or
// nothing. `force` skips the "consumption above the new limit" check.
struct UpdateQuota {
  bool force = false;
  std::vector<QuotaConfig> configs;
  bool operator==(const UpdateQuota&) const = default;
};

}  // namespace operator_call

struct OperatorCall {
  using Body =
      std::variant<operator_call::GetHealth, operator_call::GetVersion, operator_call::GetRoles,
                   operator_call::GetWeights, operator_call::GetQuota, operator_call::UpdateWeights,
                   operator_call::UpdateQuota>;
  Body body;
  bool operator==(const OperatorCall&) const = default;
};

// "GET_HEALTH", "UPDATE_QUOTA", ... for the body's alternative.
std::string_view OperatorCallTypeName(const OperatorCall::Body& body);

namespace operator_response {

struct GetHealth {
  bool healthy = true;
  bool operator==(const GetHealth&) const = default;
};
// mesos.VersionInfo.
struct GetVersion {
  std::string version;
  std::string build_date;
  double build_time = 0;
  std::string build_user;
  std::string git_sha;  // omitted when empty
  bool operator==(const GetVersion&) const = default;
};
struct GetRoles {
  std::vector<RoleInfo> roles;
  bool operator==(const GetRoles&) const = default;
};
struct GetWeights {
  std::map<std::string, double> weights;
  bool operator==(const GetWeights&) const = default;
};
// quota.QuotaStatus: one config per role with quota.
struct GetQuota {
  std::vector<QuotaConfig> configs;
  bool operator==(const GetQuota&) const = default;
};

}  // namespace operator_response

// The synchronous answer to a GET_* call (UPDATE_* calls answer 200 with no body).
struct OperatorResponse {
  using Body = std::variant<operator_response::GetHealth, operator_response::GetVersion,
                            operator_response::GetRoles, operator_response::GetWeights,
                            operator_response::GetQuota>;
  Body body;
  bool operator==(const OperatorResponse&) const = default;
};

// "GET_HEALTH", ... for the body's alternative.
std::string_view OperatorResponseTypeName(const OperatorResponse::Body& body);

}  // namespace atl::api
