// JSON for the operator endpoints of the master (reference/mesos.md §6.6, §6.7, §10): the body
// of `PUT /master/weights`, the v1 operator API (`POST /api/v1`, mesos.v1.master.Call and
// Response) for the calls of operator_call.h, and the answers of `GET /master/weights` and
// `GET /master/quota`. Field conventions are those of json_model.h.
//
//   PUT /master/weights   [{"role":"web","weight":2.0}]
//   POST /api/v1          {"type":"UPDATE_QUOTA","update_quota":{"force":false,"quota_configs":
//                           [{"role":"dev","limits":{"cpus":{"value":10}}}]}}
//
// Quota configs carry maps of resource name -> {"value": double}, as Mesos's QuotaConfig; a
// quota status (GET_QUOTA and GET /master/quota) is Mesos 1.11's QuotaStatus: the legacy
// `infos` ({role, guarantee: [Resource]}) followed by `configs`.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/api/operator_call.h"

namespace atl::api {

// The body of `PUT /master/weights`: a JSON array of {"role", "weight"}. Roles are trimmed of
// surrounding whitespace (as Mesos does) and must pass model::ValidateRole; weights must be
// positive and finite; a role listed twice takes its last weight. Fails with InvalidArgument
// listing every bad element with its path, "; "-separated:
//   "[1].weight: must be positive, got -1; [2].role: required".
absl::StatusOr<std::map<std::string, double>> ParseWeights(std::string_view json);

// `[{"role":"web","weight":2.0}]` in role order: GET /master/weights.
std::string SerializeWeights(const std::map<std::string, double>& weights);

// Parses a v1 operator call. Fails with InvalidArgument on malformed JSON, a missing `type`
// ("type: required"), an unknown one ("type: unknown call type 'FLY'"), a Mesos call this
// master does not serve ("type: call type 'GET_STATE' is not supported"), a missing body
// ("update_quota: required by type UPDATE_QUOTA"), or a bad field named by its path
// ("update_weights.weight_infos[0].weight: must be positive, got 0"). Weight infos are
// validated as in ParseWeights; quota configs are checked for shape only (numbers, names):
// their meaning (roles, limits, consumption) is the master's, see core/master/quota_validation.h.
absl::StatusOr<OperatorCall> ParseOperatorCall(std::string_view json);

// Compact single-line JSON; ParseOperatorCall(SerializeOperatorCall(c)) == c for every call
// ParseOperatorCall can produce.
std::string SerializeOperatorCall(const OperatorCall& call);

// `{"type":"GET_WEIGHTS","get_weights":{"weight_infos":[...]}}` and so on; never contains a
// newline.
std::string SerializeOperatorResponse(const OperatorResponse& response);

// quota.QuotaStatus, the body of GET /master/quota:
//   {"infos":[{"role":"dev","guarantee":[{"name":"cpus","type":"SCALAR",...}]}],
//    "configs":[{"role":"dev","guarantees":{"cpus":{"value":10.0}},"limits":{...}}]}
// Empty lists and maps are omitted, as Mesos omits empty repeated fields.
std::string SerializeQuotaStatus(const std::vector<QuotaConfig>& configs);

}  // namespace atl::api
