#include "core/model/info.h"

#include <algorithm>
#include <array>
#include <utility>

namespace atl::model {
namespace {

constexpr std::array<std::pair<FrameworkCapability, std::string_view>, 8> kCapabilities = {{
    {FrameworkCapability::kRevocableResources, "REVOCABLE_RESOURCES"},
    {FrameworkCapability::kTaskKillingState, "TASK_KILLING_STATE"},
    {FrameworkCapability::kGpuResources, "GPU_RESOURCES"},
    {FrameworkCapability::kSharedResources, "SHARED_RESOURCES"},
    {FrameworkCapability::kPartitionAware, "PARTITION_AWARE"},
    {FrameworkCapability::kMultiRole, "MULTI_ROLE"},
    {FrameworkCapability::kReservationRefinement, "RESERVATION_REFINEMENT"},
    {FrameworkCapability::kRegionAware, "REGION_AWARE"},
}};

constexpr std::array<std::pair<Operation::Type, std::string_view>, 6> kOperations = {{
    {Operation::Type::kLaunch, "LAUNCH"},
    {Operation::Type::kLaunchGroup, "LAUNCH_GROUP"},
    {Operation::Type::kReserve, "RESERVE"},
    {Operation::Type::kUnreserve, "UNRESERVE"},
    {Operation::Type::kCreate, "CREATE"},
    {Operation::Type::kDestroy, "DESTROY"},
}};

}  // namespace

std::string_view FrameworkCapabilityName(FrameworkCapability c) {
  for (const auto& [v, n] : kCapabilities) {
    if (v == c) return n;
  }
  return "UNKNOWN";
}

std::optional<FrameworkCapability> ParseFrameworkCapability(std::string_view name) {
  for (const auto& [v, n] : kCapabilities) {
    if (n == name) return v;
  }
  return std::nullopt;
}

std::string_view OperationTypeName(Operation::Type t) {
  for (const auto& [v, n] : kOperations) {
    if (v == t) return n;
  }
  return "UNKNOWN";
}

std::optional<Operation::Type> ParseOperationType(std::string_view name) {
  for (const auto& [v, n] : kOperations) {
    if (n == name) return v;
  }
  return std::nullopt;
}

CommandLine CommandLineOf(const CommandInfo& command) {
  if (command.shell) return {"/bin/sh", {"sh", "-c", *command.value}};
  return {*command.value,
          command.arguments.empty() ? std::vector<std::string>{*command.value} : command.arguments};
}

bool FrameworkInfo::HasCapability(FrameworkCapability c) const {
  return std::find(capabilities.begin(), capabilities.end(), c) != capabilities.end();
}

std::vector<std::string> FrameworkInfo::EffectiveRoles() const {
  if (HasCapability(FrameworkCapability::kMultiRole)) return roles;
  return {role.value_or("*")};
}

}  // namespace atl::model
