// A minimal read-only view of one instance of an app, as the deployment logic needs it
// (reference/marathon.md §2.12, §3.3, §4.1). The service scheduler owns the real instance
// records and extends this view as it grows (health, ports, reservations...); the pure
// functions in scaling.h and restart_strategy.h only read these fields.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/base/id.h"
#include "core/base/time.h"
#include "marathonlike/app.h"

namespace atl::marathonlike {

// "prod_web.instance-<uuid>" (Marathon's instance id form).
using InstanceId = Id<struct InstanceTag>;

// Marathon's instance condition (`core/condition/Condition.scala`), the subset we model.
enum class Condition {
  kScheduled,            // waiting in the launch queue, nothing launched yet
  kProvisioned,          // resources accepted, launch sent
  kStaging,              // TASK_STAGING
  kStarting,             // TASK_STARTING
  kRunning,              // TASK_RUNNING
  kKilling,              // TASK_KILLING (grace period)
  kUnreachable,          // agent unreachable, still within unreachableStrategy.inactiveAfter
  kUnreachableInactive,  // unreachable past inactiveAfter: replaced, no longer counted
  kFinished,             // terminal ...
  kFailed,
  kKilled,
  kError,
  kGone,
  kDropped,
  kUnknown,
};

// Whether the instance will never run again by itself (Marathon's `considerTerminal`).
bool IsTerminal(Condition condition);

// "Running", "Staging", ... as Marathon prints conditions.
const char* ConditionName(Condition condition);

// What the scheduler wants for the instance (`core/instance/Goal.scala`).
enum class Goal {
  kRunning,         // keep it running; relaunch when it ends
  kStopped,         // resident: stop, keep the reservation
  kDecommissioned,  // stop and forget
};

// "Running", "Stopped", "Decommissioned" (Marathon's Goal.toString).
const char* GoalName(Goal goal);

struct InstanceView {
  InstanceId id;
  PathId app_id;
  Timestamp app_version;  // the app version (AppDefinition::version) it was launched from
  Condition condition = Condition::kScheduled;
  Goal goal = Goal::kRunning;
  Timestamp condition_since;            // when `condition` was entered
  std::optional<Timestamp> staged_at;   // first TASK_STAGING
  std::optional<Timestamp> started_at;  // first TASK_RUNNING (Marathon's activeSince)
  // Where it runs, for constraint rebalancing (empty while kScheduled).
  std::string agent_id;
  std::string hostname;
  std::map<std::string, std::string> agent_attributes;
  bool operator==(const InstanceView&) const = default;
};

}  // namespace atl::marathonlike
