// From a Mesos task status to Marathon's instance condition (reference/marathon.md §4.1).
// TASK_LOST, which frameworks without PARTITION_AWARE still receive, is translated by its
// reason as Marathon does: a lost agent (REASON_AGENT_DISCONNECTED, REASON_AGENT_REMOVED) or a
// reconciliation answer (which hides the original reason) may come back, so Unreachable;
// REASON_TASK_UNKNOWN is Unknown; anything else is Gone.
#pragma once

#include "core/model/info.h"
#include "marathonlike/instance.h"

namespace atl::marathonlike {

Condition ConditionOf(model::TaskState state, model::TaskStatusReason reason);
inline Condition ConditionOf(const model::TaskStatus& status) {
  return ConditionOf(status.state, status.reason);
}

}  // namespace atl::marathonlike
