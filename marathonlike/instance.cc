#include "marathonlike/instance.h"

namespace atl::marathonlike {

bool IsTerminal(Condition condition) {
  switch (condition) {
    case Condition::kFinished:
    case Condition::kFailed:
    case Condition::kKilled:
    case Condition::kError:
    case Condition::kGone:
    case Condition::kDropped:
    case Condition::kUnknown:
      return true;
    case Condition::kScheduled:
    case Condition::kProvisioned:
    case Condition::kStaging:
    case Condition::kStarting:
    case Condition::kRunning:
    case Condition::kKilling:
    case Condition::kUnreachable:
    case Condition::kUnreachableInactive:
      return false;
  }
  return false;
}

const char* GoalName(Goal goal) {
  switch (goal) {
    case Goal::kRunning:
      return "Running";
    case Goal::kStopped:
      return "Stopped";
    case Goal::kDecommissioned:
      return "Decommissioned";
  }
  return "Running";
}

const char* ConditionName(Condition condition) {
  switch (condition) {
    case Condition::kScheduled:
      return "Scheduled";
    case Condition::kProvisioned:
      return "Provisioned";
    case Condition::kStaging:
      return "Staging";
    case Condition::kStarting:
      return "Starting";
    case Condition::kRunning:
      return "Running";
    case Condition::kKilling:
      return "Killing";
    case Condition::kUnreachable:
      return "Unreachable";
    case Condition::kUnreachableInactive:
      return "UnreachableInactive";
    case Condition::kFinished:
      return "Finished";
    case Condition::kFailed:
      return "Failed";
    case Condition::kKilled:
      return "Killed";
    case Condition::kError:
      return "Error";
    case Condition::kGone:
      return "Gone";
    case Condition::kDropped:
      return "Dropped";
    case Condition::kUnknown:
      return "Unknown";
  }
  return "Unknown";
}

}  // namespace atl::marathonlike
