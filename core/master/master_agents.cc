// The master's side of the agent protocol: registration, status updates, liveness.
#include <algorithm>
#include <set>

#include "core/base/check.h"
#include "core/base/strings.h"
#include "core/master/master.h"
#include "core/master/master_internal.h"

namespace atl::master {

using model::TaskState;
using model::TaskStatusReason;

void Master::Persist(Context& ctx, const std::optional<model::AgentId>& agent) {
  ctx.persist = true;
  if (agent) ctx.persist_agents.push_back(*agent);
}

void Master::SendToAgent(Context& ctx, const model::AgentId& agent_id, MasterToAgent msg) {
  auto it = agents_.find(agent_id);
  if (it == agents_.end() || !it->second.conn) {
    metrics_.Inc("master/dropped_messages");
    return;
  }
  ctx.out.commands.push_back(cmd::SendToAgent{*it->second.conn, std::move(msg)});
}

void Master::OnAgentMessage(Context& ctx, ConnId conn, const AgentToMaster& msg) {
  if (const auto* reg = std::get_if<agent_msg::Register>(&msg)) {
    OnRegister(ctx, conn, *reg);
    return;
  }
  auto it = agent_by_conn_.find(conn);
  if (it == agent_by_conn_.end()) {
    metrics_.Inc("master/dropped_messages");
    return;
  }
  Agent& agent = agents_.at(it->second);
  agent.last_heard = ctx.now;
  std::visit(
      Overloaded{
          [&](const agent_msg::Register&) {},
          [&](const agent_msg::StatusUpdate& u) { OnStatusUpdate(ctx, agent, u); },
          [&](const agent_msg::Heartbeat&) {},
          [&](const agent_msg::ExecutorMessage& m) {
            metrics_.Inc("master/messages_executor_to_framework");
            auto fw = frameworks_.find(m.framework_id);
            if (fw == frameworks_.end()) return;
            SendToFramework(ctx, fw->second,
                            api::Event{api::event::Message{agent.id, m.executor_id, m.data}});
          },
          [&](const agent_msg::ExecutorExited& e) {
            auto by_fw = agent.executors.find(e.framework_id);
            if (by_fw != agent.executors.end()) {
              auto ex = by_fw->second.find(e.executor_id);
              if (ex != by_fw->second.end()) {
                allocator_->RecoverResources(e.framework_id, agent.id, ex->second.resources,
                                             std::nullopt, ctx.now);
                by_fw->second.erase(ex);
                if (by_fw->second.empty()) agent.executors.erase(by_fw);
              }
            }
            auto fw = frameworks_.find(e.framework_id);
            if (fw == frameworks_.end()) return;
            SendToFramework(ctx, fw->second,
                            api::Event{api::event::Failure{agent.id, e.executor_id, e.status}});
          },
      },
      msg);
}

void Master::OnRegister(Context& ctx, ConnId conn, const agent_msg::Register& reg) {
  // A connection registers once; a Register from another agent on it ends the first agent's
  // use of the connection exactly as a disconnect would.
  if (auto old = agent_by_conn_.find(conn); old != agent_by_conn_.end()) {
    if (!reg.info.id || *reg.info.id != old->second) {
      OnAgentClosed(ctx, conn);
    } else {
      agent_by_conn_.erase(old);
    }
  }
  if (!reg.info.id) {
    metrics_.Inc("master/slave_registrations");
    Agent agent;
    agent.id = model::AgentId(StrCat(info_.id, "-S", registry_.next_agent_number++));
    agent.info = reg.info;
    agent.info.id = agent.id;
    agent.total = reg.info.resources;
    agent.conn = conn;
    agent.registered_time = ctx.now;
    agent.last_heard = ctx.now;
    registry_.agents[agent.id] = {agent.info, false, {}, false};
    Persist(ctx, agent.id);
    allocator_->AddAgent(agent.id, agent.info, agent.total, {});
    agent_by_conn_[conn] = agent.id;
    ctx.out.commands.push_back(cmd::SendToAgent{
        conn, master_msg::Registered{agent.id, options_.agent_heartbeat_interval}});
    ctx.allocate_agents.push_back(agent.id);
    agents_.emplace(agent.id, std::move(agent));
    return;
  }

  const model::AgentId id = *reg.info.id;
  auto it = agents_.find(id);
  if (it != agents_.end() && it->second.state == Agent::State::kGone) {
    ctx.out.commands.push_back(
        cmd::SendToAgent{conn, master_msg::Shutdown{"Agent has been marked gone"}});
    ctx.out.commands.push_back(cmd::CloseAgent{conn});
    return;
  }
  metrics_.Inc("master/slave_reregistrations");
  bool in_allocator = false;
  if (it == agents_.end()) {
    // Unknown to us (registry lost or garbage-collected): admit it under its own id.
    Agent agent;
    agent.id = id;
    agent.registered_time = ctx.now;
    agent.state = Agent::State::kRecovered;
    it = agents_.emplace(id, std::move(agent)).first;
    registry_.agents[id] = {reg.info, false, {}, false};
  } else {
    in_allocator = it->second.state == Agent::State::kRegistered;
  }
  Agent& agent = it->second;
  const bool was_unreachable = agent.state == Agent::State::kUnreachable;
  // Reservations and volumes accepted before are in the registry (written before the agent was
  // told); if the agent missed that CheckpointResources, the registry's total wins and the
  // agent is told again.
  // (Only when the machine is the same: equal quantities, different reservations/volumes.)
  model::Resources total = reg.info.resources;
  if (auto e = registry_.agents.find(id);
      e != registry_.agents.end() &&
      e->second.info.resources.Flatten() == reg.info.resources.Flatten()) {
    total = e->second.info.resources;
  }
  if (agent.conn && *agent.conn != conn) {
    agent_by_conn_.erase(*agent.conn);
    ctx.out.commands.push_back(cmd::CloseAgent{*agent.conn});
  }
  agent.conn = conn;
  agent.info = reg.info;
  agent.info.resources = total;
  agent.total = total;
  agent.last_heard = ctx.now;
  agent.reregistered_time = ctx.now;
  agent.disconnected_at.reset();
  agent.state = Agent::State::kRegistered;
  agent_by_conn_[conn] = id;
  Registry::AgentEntry& entry = registry_.agents[id];
  entry.info = agent.info;
  entry.info.id = id;
  entry.unreachable = false;
  Persist(ctx, id);

  // Frameworks the agent knows that we do not (master failover) come back as recovered.
  std::set<model::FrameworkId> recovered_frameworks;
  for (const model::FrameworkInfo& info : reg.frameworks) {
    if (!info.id || frameworks_.contains(*info.id) || removed_framework_ids_.contains(*info.id)) {
      continue;
    }
    recovered_frameworks.insert(*info.id);
    Framework fw;
    fw.id = *info.id;
    fw.info = info;
    fw.registered_time = ctx.now;
    frameworks_.emplace(fw.id, std::move(fw));
    allocator_->AddFramework(*info.id, info, {}, /*active=*/false);
  }

  // Reconcile the agent's tasks with ours.
  absl::flat_hash_set<TaskKey, TaskKeyHash> reported;
  std::set<model::FrameworkId> shutdown;
  for (const ReportedTask& rt : reg.tasks) {
    if (removed_framework_ids_.contains(rt.framework_id) ||
        !frameworks_.contains(rt.framework_id)) {
      shutdown.insert(rt.framework_id);
      continue;
    }
    TaskKey key{rt.framework_id, rt.task.task_id};
    Framework& fw = frameworks_.at(rt.framework_id);
    auto t = tasks_.find(key);
    if (t == tasks_.end() && !fw.info.checkpoint && !recovered_frameworks.contains(fw.id)) {
      // We ended it when the agent disconnected: the agent must not keep running it.
      if (!model::IsTerminal(rt.state)) {
        ctx.out.commands.push_back(
            cmd::SendToAgent{conn, master_msg::KillTask{rt.framework_id, rt.task.task_id, {}}});
      }
      continue;
    }
    reported.insert(key);
    if (t == tasks_.end()) {
      Task task;
      task.info = std::make_shared<const model::TaskInfo>(rt.task);
      task.framework_id = rt.framework_id;
      task.agent_id = id;
      task.role = rt.task.resources.empty() || !rt.task.resources.items()[0].allocation_role
                      ? fw.info.EffectiveRoles().front()
                      : *rt.task.resources.items()[0].allocation_role;
      task.state = rt.state;
      task.history.push_back(rt.state);
      task.staged_at = ctx.now;
      task.resources_released = model::IsTerminal(rt.state);
      fw.tasks.insert(rt.task.task_id);
      agent.tasks[rt.framework_id].insert(rt.task.task_id);
      tasks_.emplace(key, std::move(task));
      continue;
    }
    Task& task = t->second;
    const bool restate = task.state == TaskState::kUnreachable || was_unreachable;
    if (task.state != rt.state) task.history.push_back(rt.state);
    task.state = rt.state;
    task.resources_released = model::IsTerminal(rt.state);
    if (restate) {
      // The framework saw UNREACHABLE (or LOST); tell it the real state again.
      model::TaskStatus s =
          MasterStatus(fw, task.info->task_id, id, rt.state, TaskStatusReason::kAgentReregistered,
                       "Agent reregistered");
      s.timestamp = ctx.now.seconds();
      task.status = s;
      SendToFramework(ctx, fw, api::Event{api::event::Update{s}});
    }
  }
  // Tasks we believed on this agent that it no longer has are gone.
  std::vector<TaskKey> missing;
  for (const auto& [fw_id, ids] : agent.tasks) {
    for (const model::TaskId& tid : ids) {
      if (!reported.contains({fw_id, tid})) missing.push_back({fw_id, tid});
    }
  }
  for (const TaskKey& key : missing) {
    Task& task = tasks_.at(key);
    if (model::IsTerminal(task.state)) {
      // Its updates were delivered; the agent has nothing left to retry.
      RemoveTask(ctx, key);
      continue;
    }
    // A re-registration reports everything the agent processed on its old connection, so a
    // task it does not report is not running there: a STAGING one never arrived (the launch
    // was lost with the connection, safe to retry), any other one is gone.
    const bool never_arrived = task.state == TaskState::kStaging;
    const TaskState state = never_arrived ? TaskState::kDropped : TaskState::kGone;
    Framework& fw = frameworks_.at(key.first);
    task.state = state;
    task.history.push_back(state);
    model::TaskStatus s =
        MasterStatus(fw, key.second, id, state, TaskStatusReason::kAgentRestarted,
                     never_arrived ? "Task was not received by the reregistered agent"
                                   : "Task is unknown to the reregistered agent");
    s.timestamp = ctx.now.seconds();
    task.status = s;
    SendToFramework(ctx, fw, api::Event{api::event::Update{s}});
    RemoveTask(ctx, key);
  }

  // Executors are those of its live tasks (the agent reports tasks with their ExecutorInfo).
  agent.executors.clear();
  for (const auto& [fw_id, ids] : agent.tasks) {
    for (const model::TaskId& tid : ids) {
      const Task& task = tasks_.at({fw_id, tid});
      if (!task.info->executor || model::IsTerminal(task.state)) continue;
      auto& executors = agent.executors[fw_id];
      if (!executors.contains(task.info->executor->executor_id)) {
        executors.emplace(task.info->executor->executor_id,
                          Agent::Executor{*task.info->executor, task.role,
                                          task.info->executor->resources.AllocatedTo(task.role)});
      }
    }
  }
  // The allocator learns the agent again, with what its tasks and executors use.
  absl::flat_hash_map<model::FrameworkId, model::Resources> used;
  for (const auto& [fw_id, executors] : agent.executors) {
    for (const auto& [eid, e] : executors) used[fw_id].Add(e.resources);
  }
  for (const auto& [fw_id, ids] : agent.tasks) {
    for (const model::TaskId& tid : ids) {
      const Task& task = tasks_.at({fw_id, tid});
      if (!task.resources_released) used[fw_id].Add(task.info->resources.AllocatedTo(task.role));
    }
  }
  if (in_allocator) {
    allocator_->RemoveAgent(id);
  }
  // Resources of offers on the old connection went back with RemoveAgent; drop the offers.
  for (const model::OfferId& oid :
       std::vector<model::OfferId>(agent.offers.begin(), agent.offers.end())) {
    auto o = offers_.find(oid);
    if (o == offers_.end()) continue;
    if (o->second.expires) offer_expiry_.erase({*o->second.expires, oid});
    if (auto fw = frameworks_.find(o->second.offer.framework_id); fw != frameworks_.end()) {
      fw->second.offers.erase(oid);
      SendToFramework(ctx, fw->second, api::Event{api::event::Rescind{oid}});
    }
    offers_.erase(o);
  }
  agent.offers.clear();
  allocator_->AddAgent(id, agent.info, agent.total, used);
  for (const model::FrameworkId& fw : shutdown) {
    ctx.out.commands.push_back(cmd::SendToAgent{conn, master_msg::ShutdownFramework{fw}});
  }
  ctx.out.commands.push_back(
      cmd::SendToAgent{conn, master_msg::Registered{id, options_.agent_heartbeat_interval}});
  if (!(total == reg.info.resources)) {
    ctx.out.commands.push_back(cmd::SendToAgent{conn, master_msg::CheckpointResources{total}});
  }
  for (master_msg::KillTask& kill : agent.pending_kills) {
    ctx.out.commands.push_back(cmd::SendToAgent{conn, std::move(kill)});
  }
  agent.pending_kills.clear();
  ctx.allocate_agents.push_back(id);
}

void Master::OnStatusUpdate(Context& ctx, Agent& agent, const agent_msg::StatusUpdate& update) {
  metrics_.Inc("master/messages_status_update");
  const TaskKey key{update.framework_id, update.status.task_id};
  auto fw_it = frameworks_.find(update.framework_id);
  auto task_it = tasks_.find(key);
  if (fw_it != frameworks_.end() && task_it == tasks_.end()) {
    // A task we do not know (declared lost, or its terminal update already acknowledged): the
    // framework still hears of it — Mesos forwards before looking the task up — and a task
    // that claims to be alive is killed, since nothing accounts for its resources.
    metrics_.Inc("master/invalid_status_updates");
    model::TaskStatus status = update.status;
    status.agent_id = agent.id;
    if (!status.source) status.source = model::TaskStatusSource::kExecutor;
    if (!fw_it->second.partition_aware()) status.state = model::ForNonPartitionAware(status.state);
    const TaskState latest = update.latest_state.value_or(update.status.state);
    if (!model::IsTerminal(latest) && agent.conn) {
      ctx.out.commands.push_back(cmd::SendToAgent{
          *agent.conn, master_msg::KillTask{update.framework_id, update.status.task_id, {}}});
    }
    SendToFramework(ctx, fw_it->second, api::Event{api::event::Update{std::move(status)}});
    return;
  }
  if (fw_it == frameworks_.end()) {
    // A removed framework: acknowledge on its behalf so the agent stops retrying.
    metrics_.Inc("master/invalid_status_updates");
    if (!update.status.uuid.empty() && agent.conn) {
      ctx.out.commands.push_back(cmd::SendToAgent{
          *agent.conn, master_msg::AcknowledgeUpdate{update.framework_id, update.status.task_id,
                                                     update.status.uuid}});
    }
    return;
  }
  metrics_.Inc("master/valid_status_updates");
  Framework& fw = fw_it->second;
  Task& task = task_it->second;
  const TaskState latest = update.latest_state.value_or(update.status.state);
  if (task.state != latest) task.history.push_back(latest);
  task.state = latest;
  metrics_.Inc(StrCat("master/task_", model::TaskStateName(update.status.state).substr(5)));
  if (model::IsTerminal(latest) && !task.resources_released) {
    ReleaseTaskResources(ctx, task);
  }
  model::TaskStatus status = update.status;
  status.agent_id = agent.id;
  if (!status.source) status.source = model::TaskStatusSource::kExecutor;
  if (!fw.partition_aware()) status.state = model::ForNonPartitionAware(status.state);
  task.status = status;
  SendToFramework(ctx, fw, api::Event{api::event::Update{std::move(status)}});
}

void Master::ReleaseTaskResources(Context& ctx, Task& task) {
  if (task.resources_released) return;
  task.resources_released = true;
  allocator_->RecoverResources(task.framework_id, task.agent_id,
                               task.info->resources.AllocatedTo(task.role), std::nullopt, ctx.now);
}

void Master::RemoveTask(Context& ctx, const TaskKey& key) {
  auto it = tasks_.find(key);
  if (it == tasks_.end()) return;
  Task& task = it->second;
  if (!task.resources_released) ReleaseTaskResources(ctx, task);
  if (auto agent = agents_.find(task.agent_id); agent != agents_.end()) {
    auto& ids = agent->second.tasks[key.first];
    ids.erase(key.second);
    if (ids.empty()) agent->second.tasks.erase(key.first);
  }
  auto fw = frameworks_.find(key.first);
  if (fw != frameworks_.end()) {
    fw->second.tasks.erase(key.second);
    fw->second.completed_tasks.push_back(std::move(task));
    while (fw->second.completed_tasks.size() > options_.max_completed_tasks_per_framework) {
      fw->second.completed_tasks.pop_front();
    }
  }
  tasks_.erase(it);
}

void Master::OnAgentClosed(Context& ctx, ConnId conn) {
  auto it = agent_by_conn_.find(conn);
  if (it == agent_by_conn_.end()) return;
  Agent& agent = agents_.at(it->second);
  agent_by_conn_.erase(it);
  agent.conn.reset();
  agent.disconnected_at = ctx.now;
  allocator_->DeactivateAgent(agent.id);
  RescindAgentOffers(ctx, agent, /*rescind_event=*/true);
  // Frameworks that do not checkpoint cannot keep tasks across an agent's disconnection
  // (reference/mesos.md §8.2): their tasks end now.
  std::vector<TaskKey> lost;
  for (const auto& [fw_id, ids] : agent.tasks) {
    auto fw = frameworks_.find(fw_id);
    if (fw == frameworks_.end() || fw->second.info.checkpoint) continue;
    for (const model::TaskId& tid : ids) lost.push_back({fw_id, tid});
  }
  std::sort(lost.begin(), lost.end());
  for (const TaskKey& key : lost) {
    Task& task = tasks_.at(key);
    if (model::IsTerminal(task.state)) continue;
    Framework& fw = frameworks_.at(key.first);
    task.state = TaskState::kGone;
    task.history.push_back(TaskState::kGone);
    model::TaskStatus s = MasterStatus(fw, key.second, agent.id, TaskState::kGone,
                                       TaskStatusReason::kAgentDisconnected,
                                       "Agent disconnected and the framework does not checkpoint");
    s.timestamp = ctx.now.seconds();
    task.status = s;
    SendToFramework(ctx, fw, api::Event{api::event::Update{s}});
    RemoveTask(ctx, key);
  }
}

void Master::MarkUnreachable(Context& ctx, Agent& agent) {
  metrics_.Inc("master/slave_unreachable_completed");
  const bool in_allocator = agent.state == Agent::State::kRegistered;
  RescindAgentOffers(ctx, agent, /*rescind_event=*/true);
  agent.state = Agent::State::kUnreachable;
  agent.unreachable_time = ctx.now;
  Registry::AgentEntry& entry = registry_.agents[agent.id];
  entry.unreachable = true;
  entry.unreachable_time = ctx.now;
  Persist(ctx, agent.id);
  std::vector<TaskKey> keys;
  for (const auto& [fw_id, ids] : agent.tasks) {
    for (const model::TaskId& tid : ids) keys.push_back({fw_id, tid});
  }
  std::sort(keys.begin(), keys.end());
  for (const TaskKey& key : keys) {
    Task& task = tasks_.at(key);
    if (model::IsTerminal(task.state)) continue;
    task.state = TaskState::kUnreachable;
    task.history.push_back(TaskState::kUnreachable);
    task.resources_released = true;  // the whole agent leaves the allocator below
    auto fw = frameworks_.find(key.first);
    if (fw == frameworks_.end()) continue;
    model::TaskStatus s = MasterStatus(fw->second, key.second, agent.id, TaskState::kUnreachable,
                                       TaskStatusReason::kAgentRemoved, "Agent is unreachable");
    s.unreachable_time = ctx.now;
    s.timestamp = ctx.now.seconds();
    task.status = s;
    SendToFramework(ctx, fw->second, api::Event{api::event::Update{s}});
  }
  for (auto& [id, fw] : frameworks_) {
    SendToFramework(ctx, fw, api::Event{api::event::Failure{agent.id, std::nullopt, std::nullopt}});
  }
  if (in_allocator) allocator_->RemoveAgent(agent.id);
  if (agent.conn) {
    ctx.out.commands.push_back(cmd::CloseAgent{*agent.conn});
    agent_by_conn_.erase(*agent.conn);
    agent.conn.reset();
  }
}

}  // namespace atl::master
