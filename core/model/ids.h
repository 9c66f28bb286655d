// Strong ids of the Mesos model.
#pragma once

#include "core/base/id.h"

namespace atl::model {

using FrameworkId = Id<struct FrameworkIdTag>;
using AgentId = Id<struct AgentIdTag>;
using OfferId = Id<struct OfferIdTag>;
using TaskId = Id<struct TaskIdTag>;
using ExecutorId = Id<struct ExecutorIdTag>;
using ContainerId = Id<struct ContainerIdTag>;
using OperationId = Id<struct OperationIdTag>;

}  // namespace atl::model
