// Allocation, offers, ACCEPT and DECLINE.
#include <algorithm>
#include <map>
#include <set>

#include "core/base/check.h"
#include "core/base/strings.h"
#include "core/master/master.h"
#include "core/master/master_internal.h"

namespace atl::master {

using model::FrameworkCapability;
using model::Operation;
using model::TaskState;
using model::TaskStatusReason;

namespace {

constexpr double kDefaultRefuseSeconds = 5.0;
constexpr double kMaxRefuseSeconds = 365.0 * 24 * 3600;

// The decline filter an ACCEPT/DECLINE installs: default 5 s, negative = default, 0 = none,
// capped at 365 days (reference/mesos.md §1.8).
std::optional<Duration> RefuseDuration(const model::Filters& filters) {
  double s = filters.refuse_seconds.value_or(kDefaultRefuseSeconds);
  if (s < 0) s = kDefaultRefuseSeconds;
  if (s == 0) return std::nullopt;
  return Duration::FromSecondsDouble(std::min(s, kMaxRefuseSeconds));
}

// Non-MULTI_ROLE frameworks send resources without allocation_info; the offer's role applies.
model::Resources WithAllocationRole(const model::Resources& resources, const std::string& role) {
  model::Resources out;
  for (model::Resource r : resources.items()) {
    if (!r.allocation_role) r.allocation_role = role;
    out.Add(r);
  }
  return out;
}

// The resources a RESERVE consumes: each item with its last reservation popped.
model::Resources PopReservation(const model::Resources& resources) {
  model::Resources out;
  for (model::Resource r : resources.items()) {
    if (!r.reservations.empty()) r.reservations.pop_back();
    out.Add(r);
  }
  return out;
}

model::Resources StripVolumes(const model::Resources& resources) {
  model::Resources out;
  for (model::Resource r : resources.items()) {
    r.disk.reset();
    out.Add(r);
  }
  return out;
}

}  // namespace

void Master::Allocate(Context& ctx, const std::vector<model::AgentId>* agents) {
  std::vector<allocator::Allocation> allocations =
      agents ? allocator_->Allocate(ctx.now, *agents) : allocator_->Allocate(ctx.now);
  if (allocations.empty()) return;
  // One OFFERS event per framework, offers in allocation order.
  std::map<model::FrameworkId, std::vector<model::Offer>> by_framework;
  for (allocator::Allocation& a : allocations) {
    auto fw_it = frameworks_.find(a.framework_id);
    auto agent_it = agents_.find(a.agent_id);
    if (fw_it == frameworks_.end() || agent_it == agents_.end() || !fw_it->second.connected()) {
      // Defensive: the allocator only offers to active frameworks on active agents.
      allocator_->RecoverResources(a.framework_id, a.agent_id, a.resources, std::nullopt, ctx.now);
      continue;
    }
    Framework& fw = fw_it->second;
    Agent& agent = agent_it->second;
    const bool multi_role = fw.info.HasCapability(FrameworkCapability::kMultiRole);
    OfferEntry entry;
    entry.role = a.role;
    entry.resources = a.resources;
    entry.created = ctx.now;
    model::Offer& offer = entry.offer;
    offer.id = model::OfferId(NextId('O'));
    offer.framework_id = fw.id;
    offer.agent_id = agent.id;
    offer.hostname = agent.info.hostname;
    offer.url_address = model::Address{agent.info.hostname, agent.info.hostname, agent.info.port};
    if (multi_role) {
      offer.allocation_role = a.role;
      offer.resources = a.resources;
    } else {
      offer.resources = a.resources.Unallocated();
    }
    offer.attributes = agent.info.attributes;
    if (auto ex = agent.executors.find(fw.id); ex != agent.executors.end()) {
      for (const auto& [id, e] : ex->second) offer.executor_ids.push_back(id);
    }
    offer.domain = agent.info.domain;
    if (options_.offer_timeout) {
      entry.expires = ctx.now + *options_.offer_timeout;
      offer_expiry_.insert({*entry.expires, offer.id});
    }
    fw.offers.insert(offer.id);
    agent.offers.insert(offer.id);
    fw.offers_sent++;
    metrics_.Inc("master/offers_sent");
    by_framework[fw.id].push_back(offer);
    offers_.emplace(offer.id, std::move(entry));
  }
  for (auto& [id, offers] : by_framework) {
    SendToFramework(ctx, frameworks_.at(id), api::Event{api::event::Offers{std::move(offers)}});
  }
}

void Master::RemoveOffer(Context& ctx, const model::OfferId& id, bool rescind,
                         std::optional<Duration> refuse) {
  auto it = offers_.find(id);
  if (it == offers_.end()) return;
  OfferEntry entry = std::move(it->second);
  offers_.erase(it);
  if (entry.expires) offer_expiry_.erase({*entry.expires, id});
  allocator_->RecoverResources(entry.offer.framework_id, entry.offer.agent_id, entry.resources,
                               refuse, ctx.now);
  if (auto agent = agents_.find(entry.offer.agent_id); agent != agents_.end()) {
    agent->second.offers.erase(id);
  }
  if (auto fw = frameworks_.find(entry.offer.framework_id); fw != frameworks_.end()) {
    fw->second.offers.erase(id);
    if (rescind) {
      fw->second.offers_rescinded++;
      metrics_.Inc("master/offers_rescinded");
      SendToFramework(ctx, fw->second, api::Event{api::event::Rescind{id}});
    }
  }
}

void Master::RescindAgentOffers(Context& ctx, Agent& agent, bool rescind_event) {
  std::vector<model::OfferId> offers(agent.offers.begin(), agent.offers.end());
  std::sort(offers.begin(), offers.end());
  for (const model::OfferId& id : offers) RemoveOffer(ctx, id, rescind_event, std::nullopt);
}

void Master::Decline(Context& ctx, Framework& fw, const api::call::Decline& decline) {
  std::optional<Duration> refuse = RefuseDuration(decline.filters);
  for (const model::OfferId& id : decline.offer_ids) {
    auto it = offers_.find(id);
    // Unknown or stale ids are ignored, as in Mesos.
    if (it == offers_.end() || it->second.offer.framework_id != fw.id) continue;
    fw.offers_declined++;
    metrics_.Inc("master/offers_declined");
    RemoveOffer(ctx, id, /*rescind=*/false, refuse);
  }
}

model::Resources Master::NewExecutorResources(const Framework& fw, const Agent& agent,
                                              const model::TaskInfo& task) const {
  if (!task.executor) return {};
  auto by_fw = agent.executors.find(fw.id);
  if (by_fw != agent.executors.end() && by_fw->second.contains(task.executor->executor_id)) {
    return {};
  }
  return task.executor->resources;
}

absl::Status Master::ValidateTask(const Framework& fw, const model::TaskInfo& task,
                                  const Agent& agent_state, const model::Resources& pool) const {
  const model::AgentId& agent = agent_state.id;
  if (task.task_id.empty()) return absl::InvalidArgumentError("Task has an empty 'task_id'");
  if (task.task_id.value().find('/') != std::string::npos ||
      task.task_id.value().find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        StrCat("Task ID '", task.task_id.value(), "' contains invalid characters"));
  }
  if (tasks_.contains({fw.id, task.task_id})) {
    return absl::InvalidArgumentError(StrCat("Task has duplicate ID: ", task.task_id.value()));
  }
  if (task.command.has_value() == task.executor.has_value()) {
    return absl::InvalidArgumentError(
        "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present");
  }
  if (task.command && !task.command->value && task.command->shell) {
    return absl::InvalidArgumentError("Task's 'command.value' is required for a shell command");
  }
  if (task.agent_id != agent) {
    return absl::InvalidArgumentError(StrCat("Task uses invalid agent: ", task.agent_id.value(),
                                             " (the offers are on ", agent.value(), ")"));
  }
  if (task.resources.empty()) return absl::InvalidArgumentError("Task uses no resources");
  if (task.executor) {
    auto by_fw = agent_state.executors.find(fw.id);
    if (by_fw != agent_state.executors.end()) {
      auto running = by_fw->second.find(task.executor->executor_id);
      if (running != by_fw->second.end()) {
        model::ExecutorInfo given = *task.executor;
        given.framework_id = fw.id;
        if (!(given == running->second.info)) {
          return absl::InvalidArgumentError(
              StrCat("ExecutorInfo of executor '", task.executor->executor_id.value(),
                     "' differs from the one already running on the agent"));
        }
      }
    }
  }
  model::Resources needed = task.resources;
  needed.Add(NewExecutorResources(fw, agent_state, task));
  if (!pool.Contains(needed)) {
    return absl::InvalidArgumentError(StrCat("Task uses more resources ", needed.ToString(),
                                             " than available ", pool.ToString()));
  }
  return absl::OkStatus();
}

void Master::LaunchTask(Context& ctx, Framework& fw, Agent& agent, model::TaskInfo task,
                        const std::string& role) {
  if (task.executor) {
    task.executor->framework_id = fw.id;
    auto& executors = agent.executors[fw.id];
    if (!executors.contains(task.executor->executor_id)) {
      executors.emplace(task.executor->executor_id,
                        Agent::Executor{*task.executor, role, task.executor->resources});
    }
  }
  Task t;
  t.framework_id = fw.id;
  t.agent_id = agent.id;
  t.role = role;
  t.state = TaskState::kStaging;
  t.history.push_back(TaskState::kStaging);
  t.staged_at = ctx.now;
  t.info = std::make_shared<const model::TaskInfo>(std::move(task));
  model::TaskId id = t.info->task_id;
  fw.tasks.insert(id);
  metrics_.Inc("master/tasks_staged");
  std::shared_ptr<const model::TaskInfo> info = t.info;
  // FrameworkInfo travels only with the first task of the framework on this agent.
  auto& on_agent = agent.tasks[fw.id];
  Boxed<model::FrameworkInfo> framework;
  if (on_agent.empty()) framework = fw.info;
  on_agent.insert(id);
  tasks_.emplace(TaskKey{fw.id, id}, std::move(t));
  if (agent.conn) {
    ctx.out.commands.push_back(cmd::SendToAgent{
        *agent.conn, master_msg::RunTask{fw.id, std::move(framework), std::move(info)}});
  }
}

void Master::Accept(Context& ctx, Framework& fw, const api::call::Accept& accept) {
  auto send_update = [&](const model::TaskId& id, const model::AgentId* agent, TaskState state,
                         TaskStatusReason reason, std::string message) {
    model::TaskStatus s = MasterStatus(fw, id, agent ? std::optional(*agent) : std::nullopt, state,
                                       reason, std::move(message));
    s.timestamp = ctx.now.seconds();
    SendToFramework(ctx, fw, api::Event{api::event::Update{std::move(s)}});
  };
  auto each_launch_task = [&](auto fn) {
    for (const Operation& op : accept.operations) {
      for (const model::TaskInfo& t : op.launch_tasks) fn(t);
      for (const model::TaskInfo& t : op.group_tasks) fn(t);
    }
  };

  // 1. The offers: live, this framework's, one agent, one role, each once.
  std::string error;
  std::set<model::OfferId> seen;
  const OfferEntry* first = nullptr;
  if (accept.offer_ids.empty()) error = "No offers specified";
  for (const model::OfferId& id : accept.offer_ids) {
    if (!error.empty()) break;
    if (!seen.insert(id).second) {
      error = StrCat("Duplicate offer ", id.value(), " in ACCEPT");
      break;
    }
    auto it = offers_.find(id);
    if (it == offers_.end() || it->second.offer.framework_id != fw.id) {
      error = StrCat("Offer ", id.value(), " is no longer valid");
      break;
    }
    if (first == nullptr) {
      first = &it->second;
    } else if (it->second.offer.agent_id != first->offer.agent_id) {
      error = "Aggregated offers must belong to one single agent";
    } else if (it->second.role != first->role) {
      error = "Aggregated offers must be allocated to the same role";
    }
  }
  if (!error.empty()) {
    // Still-valid offers among them are discarded; every task is answered as lost/dropped.
    for (const model::OfferId& id : accept.offer_ids) {
      auto it = offers_.find(id);
      if (it != offers_.end() && it->second.offer.framework_id == fw.id) {
        RemoveOffer(ctx, id, /*rescind=*/false, std::nullopt);
      }
    }
    each_launch_task([&](const model::TaskInfo& t) {
      metrics_.Inc("master/invalid_offers");
      send_update(t.task_id, nullptr, TaskState::kDropped, TaskStatusReason::kInvalidOffers, error);
    });
    return;
  }

  const model::AgentId agent_id = first->offer.agent_id;
  const std::string role = first->role;
  Agent& agent = agents_.at(agent_id);
  model::Resources pool;
  for (const model::OfferId& id : accept.offer_ids) {
    auto it = offers_.find(id);
    pool.Add(it->second.resources);
    if (it->second.expires) offer_expiry_.erase({*it->second.expires, id});
    agent.offers.erase(id);
    fw.offers.erase(id);
    offers_.erase(it);
    fw.offers_accepted++;
    metrics_.Inc("master/offers_accepted");
  }

  // 2. Operations, in order, against the pooled resources.
  bool total_changed = false;
  auto convert = [&](const model::Resources& from, const model::Resources& to) {
    pool.Subtract(from);
    pool.Add(to);
    allocator_->UpdateAllocation(fw.id, agent_id, from, to);
    agent.total.Subtract(from.Unallocated());
    agent.total.Add(to.Unallocated());
    total_changed = true;
  };
  for (const Operation& op : accept.operations) {
    switch (op.type) {
      case Operation::Type::kLaunch:
        for (model::TaskInfo task : op.launch_tasks) {
          task.resources = WithAllocationRole(task.resources, role);
          if (task.executor)
            task.executor->resources = WithAllocationRole(task.executor->resources, role);
          if (absl::Status s = ValidateTask(fw, task, agent, pool); !s.ok()) {
            metrics_.Inc("master/invalid_tasks");
            send_update(task.task_id, &agent_id, TaskState::kError, TaskStatusReason::kTaskInvalid,
                        std::string(s.message()));
            continue;
          }
          pool.Subtract(task.resources);
          pool.Subtract(NewExecutorResources(fw, agent, task));
          LaunchTask(ctx, fw, agent, std::move(task), role);
        }
        break;
      case Operation::Type::kLaunchGroup: {
        std::vector<model::TaskInfo> tasks = op.group_tasks;
        absl::Status status = absl::OkStatus();
        if (!op.group_executor) {
          status = absl::InvalidArgumentError("LAUNCH_GROUP needs an 'executor'");
        } else if (tasks.empty()) {
          status = absl::InvalidArgumentError("LAUNCH_GROUP needs at least one task");
        }
        std::set<model::TaskId> group_ids;
        for (const model::TaskInfo& task : tasks) {
          if (status.ok() && !group_ids.insert(task.task_id).second) {
            status = absl::InvalidArgumentError(
                StrCat("Task group has duplicate task ID: ", task.task_id.value()));
          }
        }
        model::Resources group_pool = pool;
        model::ExecutorInfo group_executor;
        if (op.group_executor) {
          group_executor = *op.group_executor;
          group_executor.resources = WithAllocationRole(group_executor.resources, role);
        }
        if (status.ok()) {
          model::TaskInfo probe;
          probe.executor = group_executor;
          model::Resources exec = NewExecutorResources(fw, agent, probe);
          if (!group_pool.Contains(exec)) {
            status =
                absl::InvalidArgumentError("The group's executor uses more resources than offered");
          } else {
            group_pool.Subtract(exec);
          }
        }
        for (model::TaskInfo& task : tasks) {
          if (!status.ok()) break;
          task.resources = WithAllocationRole(task.resources, role);
          if (task.executor) {
            status = absl::InvalidArgumentError("Tasks of a group must not set 'executor'");
            break;
          }
          // Group tasks run under the group's executor: validate as executor tasks.
          model::TaskInfo probe = task;
          probe.command.reset();
          probe.executor = group_executor;
          // The executor was charged above (if new); validate the task's own resources.
          model::Resources without_executor = group_pool;
          without_executor.Add(NewExecutorResources(fw, agent, probe));
          status = ValidateTask(fw, probe, agent, without_executor);
          if (status.ok()) group_pool.Subtract(task.resources);
        }
        if (!status.ok()) {
          for (const model::TaskInfo& task : op.group_tasks) {
            send_update(task.task_id, &agent_id, TaskState::kError,
                        TaskStatusReason::kTaskGroupInvalid, std::string(status.message()));
          }
          break;
        }
        pool = group_pool;
        for (model::TaskInfo& task : tasks) {
          task.executor = group_executor;
          LaunchTask(ctx, fw, agent, std::move(task), role);
        }
        break;
      }
      case Operation::Type::kReserve: {
        model::Resources to = WithAllocationRole(op.resources, role);
        bool ok = !to.empty();
        for (const model::Resource& r : to.items()) {
          if (r.reservations.empty() || r.ReservationRole() != role ||
              r.reservations.back().type != model::ReservationInfo::Type::kDynamic ||
              (!fw.info.principal.empty() &&
               r.reservations.back().principal != fw.info.principal)) {
            ok = false;
          }
        }
        model::Resources from = PopReservation(to);
        if (!ok || !pool.Contains(from)) {
          metrics_.Inc("master/invalid_operations");
          break;
        }
        convert(from, to);
        break;
      }
      case Operation::Type::kUnreserve: {
        model::Resources from = WithAllocationRole(op.resources, role);
        bool ok = !from.empty();
        for (const model::Resource& r : from.items()) {
          if (r.reservations.empty() || r.IsPersistentVolume() ||
              r.reservations.back().type != model::ReservationInfo::Type::kDynamic) {
            ok = false;
          }
        }
        if (!ok || !pool.Contains(from)) {
          metrics_.Inc("master/invalid_operations");
          break;
        }
        convert(from, PopReservation(from));
        break;
      }
      case Operation::Type::kCreate: {
        model::Resources to = WithAllocationRole(op.resources, role);
        bool ok = !to.empty();
        for (const model::Resource& r : to.items()) {
          if (!r.IsPersistentVolume() || !r.IsReserved() || r.name != "disk") ok = false;
          // Persistence ids are unique per role on an agent.
          for (const model::Resource& existing : agent.total.items()) {
            if (r.IsPersistentVolume() && existing.IsPersistentVolume() &&
                existing.disk->persistence_id == r.disk->persistence_id &&
                existing.ReservationRole() == r.ReservationRole()) {
              ok = false;
            }
          }
        }
        model::Resources from = StripVolumes(to);
        if (!ok || !pool.Contains(from)) {
          metrics_.Inc("master/invalid_operations");
          break;
        }
        convert(from, to);
        break;
      }
      case Operation::Type::kDestroy: {
        model::Resources from = WithAllocationRole(op.resources, role);
        bool ok = !from.empty();
        for (const model::Resource& r : from.items()) {
          if (!r.IsPersistentVolume()) ok = false;
        }
        if (!ok || !pool.Contains(from)) {
          metrics_.Inc("master/invalid_operations");
          break;
        }
        convert(from, StripVolumes(from));
        break;
      }
      case Operation::Type::kUnknown:
        metrics_.Inc("master/invalid_operations");
        break;
    }
  }
  if (total_changed) {
    registry_.agents[agent_id].info.resources = agent.total;
    agent.info.resources = agent.total;
    Persist(ctx, agent_id);
    SendToAgent(ctx, agent_id, master_msg::CheckpointResources{agent.total});
  }
  // 3. What is left goes back, filtered as the call asked.
  if (!pool.empty()) {
    allocator_->RecoverResources(fw.id, agent_id, pool, RefuseDuration(accept.filters), ctx.now);
  }
}

}  // namespace atl::master
