// Task states, reasons and sources, with their Mesos names.
#pragma once

#include <optional>
#include <string_view>

namespace atl::model {

enum class TaskState {
  kStaging,
  kStarting,
  kRunning,
  kKilling,
  kFinished,
  kFailed,
  kKilled,
  kError,
  kLost,
  kDropped,
  kUnreachable,
  kGone,
  kGoneByOperator,
  kUnknown,
};

enum class TaskStatusSource { kMaster, kAgent, kExecutor };

enum class TaskStatusReason {
  kNone,  // unset (REASON_COMMAND_EXECUTOR_FAILED is value 0 and treated as unset)
  kAgentDisconnected,
  kAgentDraining,
  kAgentRemoved,
  kAgentRemovedByOperator,
  kAgentReregistered,
  kAgentRestarted,
  kAgentUnknown,
  kContainerLaunchFailed,
  kContainerLimitation,
  kContainerLimitationDisk,
  kContainerLimitationMemory,
  kContainerPreempted,
  kContainerUpdateFailed,
  kExecutorRegistrationTimeout,
  kExecutorReregistrationTimeout,
  kExecutorTerminated,
  kExecutorUnregistered,
  kFrameworkRemoved,
  kGcError,
  kInvalidFrameworkId,
  kInvalidOffers,
  kIoSwitchboardExited,
  kMasterDisconnected,
  kMaxCompletionTimeReached,
  kReconciliation,
  kResourcesUnknown,
  kTaskCheckStatusUpdated,
  kTaskHealthCheckStatusUpdated,
  kTaskGroupInvalid,
  kTaskGroupUnauthorized,
  kTaskInvalid,
  kTaskKilledDuringLaunch,
  kTaskUnauthorized,
  kTaskUnknown,
};

// Terminal as Mesos's code treats it: resources released, the task moves to completed.
bool IsTerminal(TaskState state);

// The state a framework without PARTITION_AWARE sees: UNREACHABLE, GONE, GONE_BY_OPERATOR,
// UNKNOWN and DROPPED all read as TASK_LOST.
TaskState ForNonPartitionAware(TaskState state);

std::string_view TaskStateName(TaskState state);  // "TASK_RUNNING"
std::optional<TaskState> ParseTaskState(std::string_view name);
std::string_view SourceName(TaskStatusSource source);  // "SOURCE_MASTER"
std::optional<TaskStatusSource> ParseSource(std::string_view name);
std::string_view ReasonName(TaskStatusReason reason);  // "REASON_INVALID_OFFERS"
std::optional<TaskStatusReason> ParseReason(std::string_view name);

}  // namespace atl::model
