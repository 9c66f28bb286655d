// The operator side of the master (reference/mesos.md §6.6, §6.7, §10): the v1 operator API
// calls of api::OperatorCall (`POST /api/v1`) and the weights and quota endpoints
// (`GET|PUT /master/weights`, `GET /master/quota`), decided against a Master's state.
//
// Pure, like the master: reads are answered from the state; an update is validated here and
// comes back as master inputs (in::UpdateWeights, in::UpdateQuota) that the shell applies with
// Master::Handle, so it is persisted in the registry and reaches the allocator like any other
// input. Nothing here touches the allocator directly.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/api/operator_call.h"
#include "core/master/master.h"

namespace atl::master {

struct OperatorAnswer {
  // 200, or 400 with a text reason in `body`.
  int http_status = 200;
  // On 200: the JSON response of a GET_* call, or empty for an update (Mesos answers 200 OK
  // with no body once an update is applied).
  std::string body;
  // On 200: inputs to apply, in order, before answering. Empty for reads.
  std::vector<Input> inputs;
};

// Answers one operator call. UPDATE_WEIGHTS fails (400) if a role is not on the whitelist
// (Options::roles, when set); UPDATE_QUOTA fails as ValidateQuotaUpdate documents
// (core/master/quota_validation.h), all or nothing, with "Invalid QuotaConfig: " in front.
OperatorAnswer AnswerOperatorCall(const Master& master, const api::OperatorCall& call);

// `PUT /master/weights` with already parsed weights (api::ParseWeights): as UPDATE_WEIGHTS.
OperatorAnswer AnswerWeightsUpdate(const Master& master,
                                   const std::map<std::string, double>& weights);

// GET /master/weights: `[{"role":"web","weight":2.0}]`, every role with a weight set (by flag
// or operator), in role order.
std::string RenderWeights(const Master& master);

// GET /master/quota: Mesos 1.11's QuotaStatus, `{"infos":[{"role","guarantee":[Resource]}],
// "configs":[{"role","guarantees":{...},"limits":{...}}]}` (`{}` without quotas).
std::string RenderQuota(const Master& master);

// The quota of every role that has one, as api::QuotaConfig, in role order.
std::vector<api::QuotaConfig> QuotaConfigs(const Master& master);

}  // namespace atl::master
