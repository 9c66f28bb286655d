#include "core/model/task_state.h"

#include <gtest/gtest.h>

namespace atl::model {
namespace {

TEST(TaskState, TerminalStatesAsMesosCodeTreatsThem) {
  for (TaskState s :
       {TaskState::kFinished, TaskState::kFailed, TaskState::kKilled, TaskState::kError,
        TaskState::kLost, TaskState::kDropped, TaskState::kGone, TaskState::kGoneByOperator}) {
    EXPECT_TRUE(IsTerminal(s)) << TaskStateName(s);
  }
  for (TaskState s : {TaskState::kStaging, TaskState::kStarting, TaskState::kRunning,
                      TaskState::kKilling, TaskState::kUnreachable, TaskState::kUnknown}) {
    EXPECT_FALSE(IsTerminal(s)) << TaskStateName(s);
  }
}

TEST(TaskState, PartitionAwareStatesReadAsLostForOthers) {
  EXPECT_EQ(ForNonPartitionAware(TaskState::kUnreachable), TaskState::kLost);
  EXPECT_EQ(ForNonPartitionAware(TaskState::kGone), TaskState::kLost);
  EXPECT_EQ(ForNonPartitionAware(TaskState::kGoneByOperator), TaskState::kLost);
  EXPECT_EQ(ForNonPartitionAware(TaskState::kUnknown), TaskState::kLost);
  EXPECT_EQ(ForNonPartitionAware(TaskState::kDropped), TaskState::kLost);
  EXPECT_EQ(ForNonPartitionAware(TaskState::kRunning), TaskState::kRunning);
}

TEST(TaskState, NamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(TaskState::kUnknown); ++i) {
    TaskState s = static_cast<TaskState>(i);
    EXPECT_EQ(ParseTaskState(TaskStateName(s)), s);
  }
  EXPECT_EQ(ParseReason("REASON_SLAVE_REMOVED"), TaskStatusReason::kAgentRemoved);
  EXPECT_EQ(ParseReason("REASON_INVALID_OFFERS"), TaskStatusReason::kInvalidOffers);
  EXPECT_EQ(ParseReason("REASON_NOT_A_THING"), std::nullopt);
  EXPECT_EQ(ParseSource("SOURCE_AGENT"), TaskStatusSource::kAgent);
}

}  // namespace
}  // namespace atl::model
