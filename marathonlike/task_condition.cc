#include "marathonlike/task_condition.h"

namespace atl::marathonlike {

using model::TaskState;
using model::TaskStatusReason;

Condition ConditionOf(TaskState state, TaskStatusReason reason) {
  switch (state) {
    case TaskState::kStaging:
      return Condition::kStaging;
    case TaskState::kStarting:
      return Condition::kStarting;
    case TaskState::kRunning:
      return Condition::kRunning;
    case TaskState::kKilling:
      return Condition::kKilling;
    case TaskState::kFinished:
      return Condition::kFinished;
    case TaskState::kFailed:
      return Condition::kFailed;
    case TaskState::kKilled:
      return Condition::kKilled;
    case TaskState::kError:
      return Condition::kError;
    case TaskState::kDropped:
      return Condition::kDropped;
    case TaskState::kUnreachable:
      return Condition::kUnreachable;
    case TaskState::kGone:
    case TaskState::kGoneByOperator:
      return Condition::kGone;
    case TaskState::kUnknown:
      return Condition::kUnknown;
    case TaskState::kLost:
      switch (reason) {
        case TaskStatusReason::kReconciliation:
        case TaskStatusReason::kAgentDisconnected:
        case TaskStatusReason::kAgentRemoved:
          return Condition::kUnreachable;
        case TaskStatusReason::kTaskUnknown:
          return Condition::kUnknown;
        default:
          return Condition::kGone;
      }
  }
  return Condition::kUnknown;
}

}  // namespace atl::marathonlike
