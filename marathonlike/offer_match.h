// Offer matching for one app (reference/marathon.md §2.5, §2.16, §4.2): how many instances of an
// app fit into one Mesos offer, which resources and host ports each takes, and, when none fits,
// why, in Marathon's NoOfferMatchReason vocabulary so /v2/queue can count rejects per reason.
// Pure and deterministic: the same offer and app always give the same result.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/info.h"
#include "core/model/resources.h"
#include "marathonlike/app.h"

namespace atl::marathonlike {

// Marathon's reject reasons (`NoOfferMatchReason`), as /v2/queue prints them.
inline constexpr char kUnfulfilledRole[] = "UnfulfilledRole";
inline constexpr char kUnfulfilledConstraint[] = "UnfulfilledConstraint";
inline constexpr char kInsufficientCpus[] = "InsufficientCpus";
inline constexpr char kInsufficientMemory[] = "InsufficientMemory";
inline constexpr char kInsufficientDisk[] = "InsufficientDisk";
inline constexpr char kInsufficientGpus[] = "InsufficientGpus";
inline constexpr char kInsufficientPorts[] = "InsufficientPorts";
inline constexpr char kAgentMaintenance[] = "AgentMaintenance";

// Judges the app's placement constraints against `offer`, given that `placed_in_offer` instances
// of the app were already fitted into this same offer by this match: true when one more may go
// there (otherwise the reason is kUnfulfilledConstraint).
using ConstraintCheck =
    std::function<bool(const model::Offer& offer, const AppDefinition& app, int placed_in_offer)>;

struct MatchOptions {
  int max_instances_per_offer = 5;   // Marathon's --max_instances_per_offer
  ConstraintCheck constraint_check;  // empty: no constraints are checked
};

struct MatchedInstance {
  // What the instance consumes, as items of the offer: reservations and allocation role kept,
  // scalars split off the offer's items, one single-port range per host port.
  model::Resources resources;
  std::vector<int> host_ports;  // one per portDefinition, in portDefinitions order
  bool operator==(const MatchedInstance&) const = default;
};

struct MatchResult {
  std::vector<MatchedInstance> instances;  // at most min(wanted, max_instances_per_offer)
  // Set only when nothing fitted (and wanted > 0): every failing dimension of the first
  // instance, in Marathon's funnel order (role, constraint, cpus, mem, disk, gpus, ports).
  // (The k* constants above: static text, so matching allocates no strings.)
  std::vector<std::string_view> reasons;
};

// The roles whose resources `app` may use: `acceptedResourceRoles` when given, otherwise "*"
// (unreserved) plus the app's role when set. "*" stands for unreserved resources.
std::vector<std::string> EffectiveAcceptedRoles(const AppDefinition& app);

// Fits up to `wanted` instances of `app` (host networking) into `offer`, one after another; each
// takes cpus/mem/disk/gpus (reserved items of an accepted role before unreserved ones, in offer
// order) and one host port per portDefinition: the literal `port` when requirePorts (and port !=
// 0), otherwise the lowest free port of the accepted `ports` items. Nothing is used twice.
// An offer whose allocation role differs from the app's role (both set) fits nothing
// (UnfulfilledRole); so does an offer without any item of an accepted role. Persistent volumes and
// shared resources are never taken.
MatchResult MatchOffer(const model::Offer& offer, const AppDefinition& app, int wanted,
                       const MatchOptions& options = {});

}  // namespace atl::marathonlike
