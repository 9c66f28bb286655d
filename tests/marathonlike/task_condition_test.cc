#include "marathonlike/task_condition.h"

#include <gtest/gtest.h>

namespace atl::marathonlike {
namespace {

using model::TaskState;
using model::TaskStatusReason;

TEST(TaskCondition, MesosStatesMapOneToOne) {
  const std::pair<TaskState, Condition> cases[] = {
      {TaskState::kStaging, Condition::kStaging},
      {TaskState::kStarting, Condition::kStarting},
      {TaskState::kRunning, Condition::kRunning},
      {TaskState::kKilling, Condition::kKilling},
      {TaskState::kFinished, Condition::kFinished},
      {TaskState::kFailed, Condition::kFailed},
      {TaskState::kKilled, Condition::kKilled},
      {TaskState::kError, Condition::kError},
      {TaskState::kDropped, Condition::kDropped},
      {TaskState::kUnreachable, Condition::kUnreachable},
      {TaskState::kGone, Condition::kGone},
      {TaskState::kGoneByOperator, Condition::kGone},
      {TaskState::kUnknown, Condition::kUnknown},
  };
  for (const auto& [state, condition] : cases) {
    EXPECT_EQ(ConditionOf(state, TaskStatusReason::kNone), condition)
        << model::TaskStateName(state);
  }
}

TEST(TaskCondition, LostIsTranslatedByItsReason) {
  EXPECT_EQ(ConditionOf(TaskState::kLost, TaskStatusReason::kAgentRemoved),
            Condition::kUnreachable);
  EXPECT_EQ(ConditionOf(TaskState::kLost, TaskStatusReason::kAgentDisconnected),
            Condition::kUnreachable);
  EXPECT_EQ(ConditionOf(TaskState::kLost, TaskStatusReason::kReconciliation),
            Condition::kUnreachable)
      << "a reconciliation answer hides the original reason: assume it may come back";
  EXPECT_EQ(ConditionOf(TaskState::kLost, TaskStatusReason::kTaskUnknown), Condition::kUnknown);
  EXPECT_EQ(ConditionOf(TaskState::kLost, TaskStatusReason::kInvalidOffers), Condition::kGone);
  EXPECT_EQ(ConditionOf(TaskState::kLost, TaskStatusReason::kNone), Condition::kGone);
  model::TaskStatus status;
  status.state = TaskState::kLost;
  status.reason = TaskStatusReason::kAgentRemoved;
  EXPECT_EQ(ConditionOf(status), Condition::kUnreachable);
}

}  // namespace
}  // namespace atl::marathonlike
