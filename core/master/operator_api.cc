#include "core/master/operator_api.h"

#include <algorithm>
#include <utility>

#include "core/api/json_operator.h"
#include "core/base/overloaded.h"
#include "core/base/strings.h"
#include "core/master/quota_validation.h"

namespace atl::master {
namespace {

OperatorAnswer BadRequest(std::string reason) {
  OperatorAnswer answer;
  answer.http_status = 400;
  answer.body = std::move(reason);
  return answer;
}

OperatorAnswer Respond(api::OperatorResponse::Body body) {
  OperatorAnswer answer;
  answer.body = api::SerializeOperatorResponse(api::OperatorResponse{std::move(body)});
  return answer;
}

std::map<std::string, model::Scalar> Quantities(const model::Resources& resources) {
  std::map<std::string, model::Scalar> out;
  for (const model::Resource& r : resources.items()) {
    if (r.type == model::ValueType::kScalar) out[r.name] += r.scalar;
  }
  return out;
}

api::operator_response::GetRoles Roles(const Master& master) {
  api::operator_response::GetRoles out;
  for (const allocator::RoleSummary& summary : master.allocator().Roles()) {
    api::RoleInfo role;
    role.name = summary.role;
    role.weight = summary.weight;
    role.frameworks = summary.frameworks;
    role.resources = summary.allocated.AllocatedTo(summary.role);
    out.roles.push_back(std::move(role));
  }
  return out;
}

api::operator_response::GetVersion Version(const Master& master) {
  // The same facts as GET /version (state_json.cc).
  api::operator_response::GetVersion out;
  out.version = master.info().version;
  out.build_date = __DATE__;
  out.build_user = "atoll";
  return out;
}

}  // namespace

std::vector<api::QuotaConfig> QuotaConfigs(const Master& master) {
  std::vector<api::QuotaConfig> configs;
  for (const auto& [role, quota] : master.registry().quotas) {
    configs.push_back(
        api::QuotaConfig{role, Quantities(quota.guarantees), Quantities(quota.limits)});
  }
  return configs;
}

OperatorAnswer AnswerWeightsUpdate(const Master& master,
                                   const std::map<std::string, double>& weights) {
  const std::vector<std::string>& whitelist = master.options().roles;
  std::vector<std::string> unknown;
  for (const auto& [role, weight] : weights) {
    if (whitelist.empty() || role == "*") continue;
    if (std::find(whitelist.begin(), whitelist.end(), role) == whitelist.end()) {
      unknown.push_back(StrCat("'", role, "'"));
    }
  }
  if (!unknown.empty()) {
    return BadRequest(StrCat("Failed to validate update weights request: unknown role(s) ",
                             Join(unknown, ", "), " (not on the roles whitelist)"));
  }
  OperatorAnswer answer;
  if (!weights.empty()) answer.inputs.push_back(in::UpdateWeights{weights});
  return answer;
}

OperatorAnswer AnswerOperatorCall(const Master& master, const api::OperatorCall& call) {
  namespace op = api::operator_call;
  namespace resp = api::operator_response;
  return std::visit(
      Overloaded{
          [&](const op::GetHealth&) { return Respond(resp::GetHealth{true}); },
          [&](const op::GetVersion&) { return Respond(Version(master)); },
          [&](const op::GetRoles&) { return Respond(Roles(master)); },
          [&](const op::GetWeights&) {
            return Respond(resp::GetWeights{master.registry().weights});
          },
          [&](const op::GetQuota&) { return Respond(resp::GetQuota{QuotaConfigs(master)}); },
          [&](const op::UpdateWeights& update) {
            return AnswerWeightsUpdate(master, update.weights);
          },
          [&](const op::UpdateQuota& update) {
            absl::StatusOr<in::UpdateQuota> quotas =
                ValidateQuotaUpdate(update, QuotaContextOf(master));
            if (!quotas.ok()) {
              return BadRequest(StrCat("Invalid QuotaConfig: ", quotas.status().message()));
            }
            OperatorAnswer answer;
            answer.inputs.push_back(*std::move(quotas));
            return answer;
          },
      },
      call.body);
}

std::string RenderWeights(const Master& master) {
  return api::SerializeWeights(master.registry().weights);
}

std::string RenderQuota(const Master& master) {
  return api::SerializeQuotaStatus(QuotaConfigs(master));
}

}  // namespace atl::master
