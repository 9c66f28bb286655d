#include "marathonlike/offer_match.h"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>

namespace atl::marathonlike {
namespace {

using model::Resource;
using model::Resources;
using model::Scalar;

bool Accepted(const Resource& r, const std::vector<std::string>& roles) {
  if (r.IsPersistentVolume() || r.shared) return false;
  return std::find(roles.begin(), roles.end(), r.ReservationRole()) != roles.end();
}

// The usable items named `name` of `pool`: reserved ones first, then unreserved, each group in
// offer order.
std::vector<Resource> Candidates(const Resources& pool, std::string_view name,
                                 model::ValueType type, const std::vector<std::string>& roles) {
  std::vector<Resource> out;
  for (const Resource& r : pool.items()) {
    if (r.name == name && r.type == type && Accepted(r, roles)) out.push_back(r);
  }
  std::stable_partition(out.begin(), out.end(), [](const Resource& r) { return r.IsReserved(); });
  return out;
}

// Adds `amount` of scalar `name` from `pool` to `taken`; false when the pool is short (then
// `taken` holds a partial amount and must be discarded).
bool TakeScalar(const Resources& pool, std::string_view name, double amount,
                const std::vector<std::string>& roles, Resources* taken) {
  Scalar left = Scalar::FromDouble(amount);
  if (left <= Scalar::Zero()) return true;
  for (const Resource& r : Candidates(pool, name, model::ValueType::kScalar, roles)) {
    Resource piece = r;
    piece.scalar = std::min(left, r.scalar);
    taken->Add(piece);
    left -= piece.scalar;
    if (left <= Scalar::Zero()) return true;
  }
  return false;
}

// Takes one host port per portDefinition into `taken` and `host_ports`: literal ones first (so a
// dynamic pick never steals them), then the lowest free port for each dynamic one. False when
// some port cannot be had.
bool TakePorts(const Resources& pool, const AppDefinition& app,
               const std::vector<std::string>& roles, Resources* taken,
               std::vector<int>* host_ports) {
  const size_t n = app.port_definitions.size();
  host_ports->assign(n, 0);
  if (n == 0) return true;
  std::vector<Resource> items = Candidates(pool, "ports", model::ValueType::kRanges, roles);
  auto take = [&](Resource& item, uint64_t port, size_t index) {
    Resource piece = item;
    piece.ranges = model::Ranges({{port, port}});
    item.ranges.Subtract(piece.ranges);
    taken->Add(piece);
    (*host_ports)[index] = static_cast<int>(port);
  };
  std::vector<bool> done(n, false);
  if (app.require_ports) {
    for (size_t i = 0; i < n; ++i) {
      const int port = app.port_definitions[i].port;
      if (port == 0) continue;
      auto it = std::find_if(items.begin(), items.end(), [&](const Resource& r) {
        return r.ranges.Contains(static_cast<uint64_t>(port));
      });
      if (it == items.end()) return false;
      take(*it, static_cast<uint64_t>(port), i);
      done[i] = true;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (done[i]) continue;
    Resource* lowest = nullptr;
    for (Resource& r : items) {
      if (r.ranges.empty()) continue;
      if (lowest == nullptr || r.ranges.ranges()[0].begin < lowest->ranges.ranges()[0].begin) {
        lowest = &r;
      }
    }
    if (lowest == nullptr) return false;
    take(*lowest, lowest->ranges.ranges()[0].begin, i);
  }
  return true;
}

}  // namespace

std::vector<std::string> EffectiveAcceptedRoles(const AppDefinition& app) {
  if (!app.accepted_resource_roles.empty()) return app.accepted_resource_roles;
  std::vector<std::string> roles = {"*"};
  if (app.role.has_value() && *app.role != "*") roles.push_back(*app.role);
  return roles;
}

MatchResult MatchOffer(const model::Offer& offer, const AppDefinition& app, int wanted,
                       const MatchOptions& options) {
  MatchResult result;
  const int limit = std::min(wanted, options.max_instances_per_offer);
  if (limit <= 0) return result;

  const std::vector<std::string> roles = EffectiveAcceptedRoles(app);
  const bool allocated_elsewhere = offer.allocation_role.has_value() && app.role.has_value() &&
                                   *offer.allocation_role != *app.role;
  const bool any_accepted =
      std::any_of(offer.resources.items().begin(), offer.resources.items().end(),
                  [&](const Resource& r) { return Accepted(r, roles); });
  if (allocated_elsewhere || !any_accepted) {
    result.reasons.push_back(kUnfulfilledRole);
    return result;
  }

  Resources pool = offer.resources;
  for (int placed = 0; placed < limit; ++placed) {
    std::vector<std::string_view> reasons;
    if (options.constraint_check && !options.constraint_check(offer, app, placed)) {
      reasons.push_back(kUnfulfilledConstraint);
    }
    Resources taken;
    if (!TakeScalar(pool, "cpus", app.cpus, roles, &taken)) reasons.push_back(kInsufficientCpus);
    if (!TakeScalar(pool, "mem", app.mem, roles, &taken)) reasons.push_back(kInsufficientMemory);
    if (!TakeScalar(pool, "disk", app.disk, roles, &taken)) reasons.push_back(kInsufficientDisk);
    if (!TakeScalar(pool, "gpus", app.gpus, roles, &taken)) reasons.push_back(kInsufficientGpus);
    std::vector<int> host_ports;
    if (!TakePorts(pool, app, roles, &taken, &host_ports)) reasons.push_back(kInsufficientPorts);
    if (!reasons.empty()) {
      if (placed == 0) result.reasons = std::move(reasons);
      break;
    }
    pool.Subtract(taken);
    result.instances.push_back(MatchedInstance{std::move(taken), std::move(host_ports)});
  }
  return result;
}

}  // namespace atl::marathonlike
