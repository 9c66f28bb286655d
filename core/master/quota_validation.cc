#include "core/master/quota_validation.h"

#include <algorithm>
#include <utility>

#include "core/base/strings.h"

namespace atl::master {
namespace {

bool Whitelisted(const std::vector<std::string>& whitelist, const std::string& role) {
  return whitelist.empty() || role == "*" ||
         std::find(whitelist.begin(), whitelist.end(), role) != whitelist.end();
}

// Checks the names and values of one guarantees or limits map.
void CheckQuantities(const std::string& where, bool is_limit,
                     const std::map<std::string, model::Scalar>& quantities,
                     const QuotaContext& context, std::vector<std::string>* errors) {
  for (const auto& [name, value] : quantities) {
    if (name.empty()) {
      errors->push_back(StrCat(where, ": a resource name must not be empty"));
      continue;
    }
    const std::string at = StrCat(where, ".", name);
    if (context.non_scalar_names.contains(name)) {
      errors->push_back(
          StrCat(at, ": quota applies to scalar resources only, and '", name, "' is not one"));
    } else if (value < model::Scalar::Zero()) {
      errors->push_back(StrCat(at, ": must not be negative, got ", value.ToString()));
    } else if (is_limit && value == model::Scalar::Zero()) {
      errors->push_back(StrCat(at, ": a limit of 0 is not supported; give a positive limit"));
    }
  }
}

model::Resources ToResources(const std::map<std::string, model::Scalar>& quantities) {
  model::Resources out;
  for (const auto& [name, value] : quantities) out.Add(model::Resource::MakeScalar(name, value));
  return out;
}

}  // namespace

QuotaContext QuotaContextOf(const Master& master) {
  QuotaContext context;
  context.role_whitelist = master.options().roles;
  for (const auto& [id, agent] : master.agents()) {
    for (const model::Resource& r : agent.total.items()) {
      if (r.type != model::ValueType::kScalar) context.non_scalar_names.insert(r.name);
    }
  }
  for (const allocator::RoleSummary& role : master.allocator().Roles()) {
    if (!role.consumed_quota.empty()) context.consumed[role.role] = role.consumed_quota;
  }
  return context;
}

absl::StatusOr<in::UpdateQuota> ValidateQuotaUpdate(const api::operator_call::UpdateQuota& update,
                                                    const QuotaContext& context,
                                                    std::string_view path) {
  std::vector<std::string> errors;
  std::map<std::string, size_t> first_index;  // role -> index of its first config
  for (size_t i = 0; i < update.configs.size(); ++i) {
    const api::QuotaConfig& config = update.configs[i];
    const std::string at = StrCat(path, "[", i, "]");

    // The role: cheap structural checks first, then the whitelist, then uniqueness.
    if (absl::Status valid = model::ValidateRole(config.role); !valid.ok()) {
      errors.push_back(StrCat(at, ".role: ", valid.message()));
    } else if (config.role.find('/') != std::string::npos) {
      errors.push_back(StrCat(at, ".role: quota on nested role '", config.role,
                              "' is not supported: quota applies to top-level roles only"));
    } else if (!Whitelisted(context.role_whitelist, config.role)) {
      errors.push_back(StrCat(at, ".role: role '", config.role, "' is not on the roles whitelist"));
    } else if (auto [it, inserted] = first_index.emplace(config.role, i); !inserted) {
      errors.push_back(StrCat(at, ".role: role '", config.role, "' is also configured at ", path,
                              "[", it->second, "]; give each role once"));
    }

    size_t before = errors.size();
    CheckQuantities(StrCat(at, ".guarantees"), /*is_limit=*/false, config.guarantees, context,
                    &errors);
    CheckQuantities(StrCat(at, ".limits"), /*is_limit=*/true, config.limits, context, &errors);
    if (errors.size() != before) continue;  // comparisons of bad values would only add noise

    for (const auto& [name, guarantee] : config.guarantees) {
      auto limit = config.limits.find(name);
      if (limit != config.limits.end() && guarantee > limit->second) {
        errors.push_back(StrCat(at, ".guarantees.", name, ": the guarantee ", guarantee.ToString(),
                                " exceeds the limit ", limit->second.ToString()));
      }
    }

    if (update.force) continue;
    auto consumed = context.consumed.find(config.role);
    if (consumed == context.consumed.end()) continue;
    for (const auto& [name, limit] : config.limits) {
      model::Scalar used = consumed->second.GetScalar(name);
      if (used > limit) {
        errors.push_back(StrCat(at, ".limits.", name, ": role '", config.role,
                                "' consumption exceeds the new limit (it consumes ",
                                used.ToString(), ", the limit is ", limit.ToString(),
                                "); use force to set it anyway"));
      }
    }
  }
  if (!errors.empty()) return absl::InvalidArgumentError(Join(errors, "; "));

  in::UpdateQuota out;
  for (const api::QuotaConfig& config : update.configs) {
    out.quotas[config.role] =
        allocator::Quota{ToResources(config.guarantees), ToResources(config.limits)};
  }
  return out;
}

}  // namespace atl::master
