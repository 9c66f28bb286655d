// The rule an operator's quota update must pass before the master applies it
// (reference/mesos.md §6.7; Mesos 1.11's QuotaHandler::update). Pure: the facts it needs from
// the master come in a QuotaContext, so the rule is tested without a cluster.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/api/operator_call.h"
#include "core/master/master.h"

namespace atl::master {

// What a quota update is checked against.
struct QuotaContext {
  // Roles frameworks may use (Options::roles); empty = any valid role. "*" is always allowed.
  std::vector<std::string> role_whitelist;
  // Resource names that are not scalars (ranges or sets on some agent); "ports" always is.
  std::set<std::string> non_scalar_names = {"ports"};
  // Current quota consumption per role (allocator::RoleSummary::consumed_quota): reservations
  // plus unreserved resources allocated or offered to the role. Absent = nothing.
  std::map<std::string, model::Resources> consumed;
};

// The context from the master's current state.
QuotaContext QuotaContextOf(const Master& master);

// Checks every config of `update` and, if all pass, returns one in::UpdateQuota with them all, in
// request order, to apply with Master::Handle (a config without guarantees and limits removes
// the role's quota). All or nothing: any problem fails the whole update, and the error lists
// every problem, "; "-separated, each with its path under `path` (`<path>[i].limits.cpus`):
//  - the role is valid (model::ValidateRole), top-level (quota on nested roles such as
//    "eng/web" is not supported: the allocator enforces quota on top-level roles, and Mesos
//    1.11 refuses it too), on the whitelist, and given once per update;
//  - resource names are non-empty and scalar ("ports" is not);
//  - values are non-negative, and a limit is positive (0 would mean "nothing", which the
//    allocator's quota cannot express: an absent limit means "no limit");
//  - each guarantee is at most the limit of the same resource;
//  - unless `update.force`, the role's current consumption of each limited resource is within
//    the new limit ("role 'dev' consumption exceeds the new limit ...; use force").
absl::StatusOr<in::UpdateQuota> ValidateQuotaUpdate(
    const api::operator_call::UpdateQuota& update, const QuotaContext& context,
    std::string_view path = "update_quota.quota_configs");

}  // namespace atl::master
