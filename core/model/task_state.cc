#include "core/model/task_state.h"

#include <array>
#include <utility>

namespace atl::model {
namespace {

constexpr std::array<std::pair<TaskState, std::string_view>, 14> kStates = {{
    {TaskState::kStaging, "TASK_STAGING"},
    {TaskState::kStarting, "TASK_STARTING"},
    {TaskState::kRunning, "TASK_RUNNING"},
    {TaskState::kKilling, "TASK_KILLING"},
    {TaskState::kFinished, "TASK_FINISHED"},
    {TaskState::kFailed, "TASK_FAILED"},
    {TaskState::kKilled, "TASK_KILLED"},
    {TaskState::kError, "TASK_ERROR"},
    {TaskState::kLost, "TASK_LOST"},
    {TaskState::kDropped, "TASK_DROPPED"},
    {TaskState::kUnreachable, "TASK_UNREACHABLE"},
    {TaskState::kGone, "TASK_GONE"},
    {TaskState::kGoneByOperator, "TASK_GONE_BY_OPERATOR"},
    {TaskState::kUnknown, "TASK_UNKNOWN"},
}};

constexpr std::array<std::pair<TaskStatusSource, std::string_view>, 3> kSources = {{
    {TaskStatusSource::kMaster, "SOURCE_MASTER"},
    {TaskStatusSource::kAgent, "SOURCE_AGENT"},
    {TaskStatusSource::kExecutor, "SOURCE_EXECUTOR"},
}};

constexpr std::array<std::pair<TaskStatusReason, std::string_view>, 35> kReasons = {{
    {TaskStatusReason::kNone, "REASON_COMMAND_EXECUTOR_FAILED"},
    {TaskStatusReason::kAgentDisconnected, "REASON_AGENT_DISCONNECTED"},
    {TaskStatusReason::kAgentDraining, "REASON_AGENT_DRAINING"},
    {TaskStatusReason::kAgentRemoved, "REASON_AGENT_REMOVED"},
    {TaskStatusReason::kAgentRemovedByOperator, "REASON_AGENT_REMOVED_BY_OPERATOR"},
    {TaskStatusReason::kAgentReregistered, "REASON_AGENT_REREGISTERED"},
    {TaskStatusReason::kAgentRestarted, "REASON_AGENT_RESTARTED"},
    {TaskStatusReason::kAgentUnknown, "REASON_AGENT_UNKNOWN"},
    {TaskStatusReason::kContainerLaunchFailed, "REASON_CONTAINER_LAUNCH_FAILED"},
    {TaskStatusReason::kContainerLimitation, "REASON_CONTAINER_LIMITATION"},
    {TaskStatusReason::kContainerLimitationDisk, "REASON_CONTAINER_LIMITATION_DISK"},
    {TaskStatusReason::kContainerLimitationMemory, "REASON_CONTAINER_LIMITATION_MEMORY"},
    {TaskStatusReason::kContainerPreempted, "REASON_CONTAINER_PREEMPTED"},
    {TaskStatusReason::kContainerUpdateFailed, "REASON_CONTAINER_UPDATE_FAILED"},
    {TaskStatusReason::kExecutorRegistrationTimeout, "REASON_EXECUTOR_REGISTRATION_TIMEOUT"},
    {TaskStatusReason::kExecutorReregistrationTimeout, "REASON_EXECUTOR_REREGISTRATION_TIMEOUT"},
    {TaskStatusReason::kExecutorTerminated, "REASON_EXECUTOR_TERMINATED"},
    {TaskStatusReason::kExecutorUnregistered, "REASON_EXECUTOR_UNREGISTERED"},
    {TaskStatusReason::kFrameworkRemoved, "REASON_FRAMEWORK_REMOVED"},
    {TaskStatusReason::kGcError, "REASON_GC_ERROR"},
    {TaskStatusReason::kInvalidFrameworkId, "REASON_INVALID_FRAMEWORKID"},
    {TaskStatusReason::kInvalidOffers, "REASON_INVALID_OFFERS"},
    {TaskStatusReason::kIoSwitchboardExited, "REASON_IO_SWITCHBOARD_EXITED"},
    {TaskStatusReason::kMasterDisconnected, "REASON_MASTER_DISCONNECTED"},
    {TaskStatusReason::kMaxCompletionTimeReached, "REASON_MAX_COMPLETION_TIME_REACHED"},
    {TaskStatusReason::kReconciliation, "REASON_RECONCILIATION"},
    {TaskStatusReason::kResourcesUnknown, "REASON_RESOURCES_UNKNOWN"},
    {TaskStatusReason::kTaskCheckStatusUpdated, "REASON_TASK_CHECK_STATUS_UPDATED"},
    {TaskStatusReason::kTaskHealthCheckStatusUpdated, "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED"},
    {TaskStatusReason::kTaskGroupInvalid, "REASON_TASK_GROUP_INVALID"},
    {TaskStatusReason::kTaskGroupUnauthorized, "REASON_TASK_GROUP_UNAUTHORIZED"},
    {TaskStatusReason::kTaskInvalid, "REASON_TASK_INVALID"},
    {TaskStatusReason::kTaskKilledDuringLaunch, "REASON_TASK_KILLED_DURING_LAUNCH"},
    {TaskStatusReason::kTaskUnauthorized, "REASON_TASK_UNAUTHORIZED"},
    {TaskStatusReason::kTaskUnknown, "REASON_TASK_UNKNOWN"},
}};

template <typename E, size_t N>
std::string_view NameOf(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
  for (const auto& [v, name] : table) {
    if (v == e) return name;
  }
  return "";
}

template <typename E, size_t N>
std::optional<E> ParseName(const std::array<std::pair<E, std::string_view>, N>& table,
                           std::string_view name) {
  for (const auto& [v, n] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

}  // namespace

bool IsTerminal(TaskState state) {
  switch (state) {
    case TaskState::kFinished:
    case TaskState::kFailed:
    case TaskState::kKilled:
    case TaskState::kError:
    case TaskState::kLost:
    case TaskState::kDropped:
    case TaskState::kGone:
    case TaskState::kGoneByOperator:
      return true;
    default:
      return false;
  }
}

TaskState ForNonPartitionAware(TaskState state) {
  switch (state) {
    case TaskState::kUnreachable:
    case TaskState::kGone:
    case TaskState::kGoneByOperator:
    case TaskState::kUnknown:
    case TaskState::kDropped:
      return TaskState::kLost;
    default:
      return state;
  }
}

std::string_view TaskStateName(TaskState s) { return NameOf(kStates, s); }
std::optional<TaskState> ParseTaskState(std::string_view n) { return ParseName(kStates, n); }
std::string_view SourceName(TaskStatusSource s) { return NameOf(kSources, s); }
std::optional<TaskStatusSource> ParseSource(std::string_view n) { return ParseName(kSources, n); }
std::string_view ReasonName(TaskStatusReason r) { return NameOf(kReasons, r); }
std::optional<TaskStatusReason> ParseReason(std::string_view n) {
  if (n == "REASON_SLAVE_REMOVED") return TaskStatusReason::kAgentRemoved;
  if (n == "REASON_SLAVE_DISCONNECTED") return TaskStatusReason::kAgentDisconnected;
  if (n == "REASON_SLAVE_RESTARTED") return TaskStatusReason::kAgentRestarted;
  if (n == "REASON_SLAVE_UNKNOWN") return TaskStatusReason::kAgentUnknown;
  return ParseName(kReasons, n);
}

}  // namespace atl::model
