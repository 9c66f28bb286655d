#include "core/master/master.h"

#include <algorithm>

#include "core/base/check.h"
#include "core/base/strings.h"
#include "core/base/uuid.h"
#include "core/master/master_internal.h"

namespace atl::master {

using model::FrameworkCapability;
using model::TaskState;
using model::TaskStatusReason;

namespace {

uint32_t PackIpv4(const std::string& ip) {
  uint32_t parts[4] = {0, 0, 0, 0};
  std::vector<std::string_view> p = Split(ip, '.');
  if (p.size() != 4) return 0;
  for (int i = 0; i < 4; ++i) {
    uint64_t v;
    if (!ParseUint64(p[i], &v) || v > 255) return 0;
    parts[i] = static_cast<uint32_t>(v);
  }
  // Network byte order read as a little-endian host integer (as Mesos reports it).
  return parts[0] | parts[1] << 8 | parts[2] << 16 | parts[3] << 24;
}

// Validation that Mesos does inside the master: failures go to the stream as ERROR.
absl::Status ValidateFrameworkInfo(const model::FrameworkInfo& info, const Options& options) {
  const bool multi_role = info.HasCapability(FrameworkCapability::kMultiRole);
  if (multi_role && info.role.has_value()) {
    return absl::InvalidArgumentError(
        "'FrameworkInfo.role' must not be set when the MULTI_ROLE capability is present");
  }
  if (!multi_role && !info.roles.empty()) {
    return absl::InvalidArgumentError("'FrameworkInfo.roles' requires the MULTI_ROLE capability");
  }
  std::vector<std::string> roles = info.EffectiveRoles();
  std::vector<std::string> sorted = roles;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return absl::InvalidArgumentError("'FrameworkInfo.roles' contains duplicate entries");
  }
  for (const std::string& role : roles) {
    if (absl::Status s = model::ValidateRole(role); !s.ok()) return s;
    if (!options.roles.empty() && role != "*" &&
        std::find(options.roles.begin(), options.roles.end(), role) == options.roles.end()) {
      return absl::InvalidArgumentError(
          StrCat("Role '", role, "' is not present in the master's --roles"));
    }
  }
  if (info.failover_timeout < 0) {
    return absl::InvalidArgumentError("'FrameworkInfo.failover_timeout' must be non-negative");
  }
  return absl::OkStatus();
}

}  // namespace

size_t Master::TaskKeyHash::operator()(const TaskKey& k) const {
  return absl::HashOf(k.first, k.second);
}

Master::Master(Options options, Registry registry, Timestamp now)
    : options_(std::move(options)),
      registry_(std::move(registry)),
      rng_(options_.seed),
      start_time_(now) {
  info_.id = UuidToString(rng_.Uuid());
  info_.ip = PackIpv4(options_.ip);
  info_.port = options_.port;
  info_.pid = StrCat("master@", options_.ip, ":", options_.port);
  info_.hostname = options_.hostname;
  info_.version = options_.version;
  info_.address = {options_.hostname, options_.ip, options_.port};
  info_.capabilities = {"AGENT_UPDATE", "AGENT_DRAINING", "QUOTA_V2"};

  allocator::Options alloc;
  alloc.allocation_interval = options_.allocation_interval;
  alloc.min_allocatable_resources = options_.min_allocatable_resources;
  alloc.seed = options_.seed;
  allocator_ = std::make_unique<allocator::HierarchicalAllocator>(alloc);

  std::map<std::string, double> weights = options_.weights;
  for (const auto& [role, w] : registry_.weights) weights[role] = w;
  registry_.weights = weights;
  allocator_->UpdateWeights(weights);
  for (const auto& [role, quota] : registry_.quotas) allocator_->UpdateQuota(role, quota);

  // Agents admitted before a restart come back as "recovered" until they re-register.
  for (const auto& [agent_id, entry] : registry_.agents) {
    if (!entry.info.id) continue;
    Agent agent;
    agent.id = *entry.info.id;
    agent.info = entry.info;
    agent.total = entry.info.resources;
    agent.registered_time = now;
    agent.last_heard = now;
    if (entry.gone) {
      agent.state = Agent::State::kGone;
    } else if (entry.unreachable) {
      agent.state = Agent::State::kUnreachable;
      agent.unreachable_time = entry.unreachable_time;
    } else {
      agent.state = Agent::State::kRecovered;
    }
    agents_.emplace(agent.id, std::move(agent));
  }
  next_allocation_ = now + options_.allocation_interval;
  next_heartbeat_ = now + options_.heartbeat_interval;
}

std::string Master::NextId(char kind) {
  if (kind == 'F') {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%04llu", static_cast<unsigned long long>(next_framework_++));
    return StrCat(info_.id, "-", buf);
  }
  return StrCat(info_.id, "-O", next_offer_++);
}

Output Master::Handle(const Input& input, Timestamp now) {
  Context ctx;
  ctx.now = now;
  std::visit(Overloaded{
                 [&](const in::Subscribe& s) { OnSubscribe(ctx, s); },
                 [&](const in::Call& c) { OnCall(ctx, c); },
                 [&](const in::StreamClosed& s) { OnStreamClosed(ctx, s.conn); },
                 [&](const in::AgentMessage& m) { OnAgentMessage(ctx, m.conn, m.message); },
                 [&](const in::AgentClosed& c) { OnAgentClosed(ctx, c.conn); },
                 [&](const in::Tick&) { OnTick(ctx); },
                 [&](const in::UpdateWeights& w) {
                   for (const auto& [role, weight] : w.weights) registry_.weights[role] = weight;
                   allocator_->UpdateWeights(registry_.weights);
                   ctx.persist = ctx.persist_weights = true;
                 },
                 [&](const in::UpdateQuota& q) {
                   for (const auto& [role, quota] : q.quotas) {
                     if (quota == allocator::Quota{}) {
                       registry_.quotas.erase(role);
                     } else {
                       registry_.quotas[role] = quota;
                     }
                     allocator_->UpdateQuota(role, quota);
                   }
                   std::vector<model::OfferId> stale;
                   for (const auto& [id, offer] : offers_) {
                     if (q.quotas.contains(offer.role)) stale.push_back(id);
                   }
                   std::sort(stale.begin(), stale.end());
                   for (const model::OfferId& id : stale) {
                     RemoveOffer(ctx, id, /*rescind=*/true, std::nullopt);
                   }
                   ctx.persist = ctx.persist_quotas = true;
                   ctx.allocate_all = true;
                 },
             },
             input);
  if (ctx.allocate_all) {
    Allocate(ctx, nullptr);
  } else if (!ctx.allocate_agents.empty()) {
    Allocate(ctx, &ctx.allocate_agents);
  }
  if (ctx.persist) {
    // Durable first: the registry write precedes every message that relies on it.
    RegistryDelta delta;
    std::sort(ctx.persist_agents.begin(), ctx.persist_agents.end());
    ctx.persist_agents.erase(std::unique(ctx.persist_agents.begin(), ctx.persist_agents.end()),
                             ctx.persist_agents.end());
    for (const model::AgentId& id : ctx.persist_agents)
      delta.agents.push_back(registry_.agents.at(id));
    if (ctx.persist_weights) delta.weights = registry_.weights;
    if (ctx.persist_quotas) delta.quotas = registry_.quotas;
    delta.next_agent_number = registry_.next_agent_number;
    ctx.out.commands.insert(ctx.out.commands.begin(), cmd::PersistRegistry{std::move(delta)});
  }
  ScheduleWake(ctx);
  return std::move(ctx.out);
}

void Master::ScheduleWake(Context& ctx) {
  Timestamp next = std::min(next_allocation_, next_heartbeat_);
  if (!offer_expiry_.empty()) next = std::min(next, offer_expiry_.begin()->first);
  for (const auto& [id, fw] : frameworks_) {
    if (fw.failover_deadline) next = std::min(next, *fw.failover_deadline);
  }
  if (!last_wake_ || *last_wake_ <= ctx.now || next < *last_wake_) {
    last_wake_ = next;
    ctx.out.commands.push_back(cmd::WakeAt{next});
  }
}

void Master::SendToFramework(Context& ctx, Framework& fw, api::Event event) {
  if (!fw.conn) return;
  ctx.out.commands.push_back(cmd::SendEvent{*fw.conn, std::move(event)});
}

// ---------------------------------------------------------------------------------------------
// SUBSCRIBE

void Master::OnSubscribe(Context& ctx, const in::Subscribe& s) {
  const auto* sub = std::get_if<api::call::Subscribe>(&s.call.body);
  if (sub == nullptr) {
    ctx.out.http_status = 400;
    ctx.out.http_body = "Expecting 'type' to be SUBSCRIBE";
    return;
  }
  metrics_.Inc("master/messages_register_framework");
  model::FrameworkInfo info = sub->framework_info;
  if (s.call.framework_id.has_value() != info.id.has_value() ||
      (s.call.framework_id && *s.call.framework_id != *info.id)) {
    ctx.out.http_status = 400;
    ctx.out.http_body =
        "'framework_id' differs from 'subscribe.framework_info.id': both must be set and equal "
        "to re-subscribe, or both unset";
    return;
  }
  if (info.user.empty() && info.name.empty()) {
    ctx.out.http_status = 400;
    ctx.out.http_body = "'subscribe.framework_info.user' and 'name' are required";
    return;
  }

  ctx.out.http_status = 200;
  ctx.out.stream_id = UuidToString(rng_.Uuid());
  auto refuse = [&](const std::string& message) {
    ctx.out.commands.push_back(cmd::SendEvent{s.conn, api::Event{api::event::Error{message}}});
    ctx.out.commands.push_back(cmd::CloseStream{s.conn});
  };
  if (absl::Status v = ValidateFrameworkInfo(info, options_); !v.ok()) {
    refuse(std::string(v.message()));
    return;
  }
  if (info.id && removed_framework_ids_.contains(*info.id)) {
    refuse("Framework has been removed");
    return;
  }

  Framework* fw = nullptr;
  bool resubscribe = false;
  if (info.id) {
    auto it = frameworks_.find(*info.id);
    if (it != frameworks_.end()) {
      fw = &it->second;
      resubscribe = true;
      if (fw->info.principal != info.principal && !fw->info.principal.empty()) {
        refuse("Changing the framework's principal is not allowed");
        return;
      }
    }
  }
  if (fw != nullptr) {
    if (fw->conn) {
      // Failover: the old stream learns why it ends; its offers are discarded, not rescinded.
      ctx.out.commands.push_back(
          cmd::SendEvent{*fw->conn, api::Event{api::event::Error{"Framework failed over"}}});
      ctx.out.commands.push_back(cmd::CloseStream{*fw->conn});
      framework_by_conn_.erase(*fw->conn);
    }
    std::vector<model::OfferId> offers(fw->offers.begin(), fw->offers.end());
    for (const model::OfferId& id : offers) RemoveOffer(ctx, id, /*rescind=*/false, std::nullopt);
    // user and checkpoint cannot change on re-subscription (silently kept).
    info.user = fw->info.user;
    info.checkpoint = fw->info.checkpoint;
    fw->info = info;
    fw->reregistered_time = ctx.now;
    metrics_.Inc("master/messages_reregister_framework");
  } else {
    model::FrameworkId id = info.id ? *info.id : model::FrameworkId(NextId('F'));
    info.id = id;
    Framework created;
    created.id = id;
    created.info = info;
    created.registered_time = ctx.now;
    fw = &frameworks_.emplace(id, std::move(created)).first->second;
    allocator_->AddFramework(id, info, sub->suppressed_roles, /*active=*/false);
  }
  fw->conn = s.conn;
  fw->stream_id = ctx.out.stream_id;
  fw->active = true;
  fw->failover_deadline.reset();
  fw->unregistered_time.reset();
  fw->suppressed_roles = sub->suppressed_roles;
  framework_by_conn_[s.conn] = fw->id;
  if (resubscribe) allocator_->UpdateFramework(fw->id, fw->info, fw->suppressed_roles);
  allocator_->ActivateFramework(fw->id);

  api::event::Subscribed subscribed;
  subscribed.framework_id = fw->id;
  subscribed.heartbeat_interval_seconds = options_.heartbeat_interval.seconds();
  subscribed.master_info = info_;
  SendToFramework(ctx, *fw, api::Event{subscribed});
  ctx.allocate_all = true;
}

// ---------------------------------------------------------------------------------------------
// Other calls

void Master::OnCall(Context& ctx, const in::Call& c) {
  auto bad = [&](int status, std::string message) {
    ctx.out.http_status = status;
    ctx.out.http_body = std::move(message);
  };
  if (std::holds_alternative<api::call::Subscribe>(c.call.body)) {
    return bad(400, "A SUBSCRIBE call must not include the 'Mesos-Stream-Id' header");
  }
  if (!c.call.framework_id) return bad(400, "Expecting 'framework_id' to be present");
  auto it = frameworks_.find(*c.call.framework_id);
  if (it == frameworks_.end()) return bad(400, "Framework cannot be found");
  Framework& fw = it->second;
  if (!fw.connected()) return bad(403, "Framework is not subscribed");
  if (c.stream_id.empty()) {
    return bad(400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header");
  }
  if (c.stream_id != fw.stream_id) {
    return bad(400, StrCat("The stream ID '", c.stream_id,
                           "' included in this request didn't match the stream ID currently "
                           "associated with framework ID ",
                           fw.id.value()));
  }
  auto check_roles = [&](const std::vector<std::string>& roles) -> bool {
    std::vector<std::string> subscribed = fw.info.EffectiveRoles();
    for (const std::string& r : roles) {
      if (std::find(subscribed.begin(), subscribed.end(), r) == subscribed.end()) {
        bad(400, StrCat("Role '", r, "' is not one of the framework's subscribed roles"));
        return false;
      }
    }
    return true;
  };

  ctx.out.http_status = 202;
  std::visit(
      Overloaded{
          [&](const api::call::Subscribe&) {},
          [&](const api::call::Teardown&) {
            metrics_.Inc("master/messages_unregister_framework");
            Teardown(ctx, fw, "TEARDOWN call");
          },
          [&](const api::call::Accept& a) {
            metrics_.Inc("master/messages_launch_tasks");
            Accept(ctx, fw, a);
          },
          [&](const api::call::Decline& d) {
            metrics_.Inc("master/messages_decline_offers");
            Decline(ctx, fw, d);
          },
          [&](const api::call::AcceptInverseOffers&) {},
          [&](const api::call::DeclineInverseOffers&) {},
          [&](const api::call::Revive& r) {
            if (!check_roles(r.roles)) return;
            metrics_.Inc("master/messages_revive_offers");
            allocator_->Revive(fw.id, r.roles);
            std::vector<std::string> roles = r.roles.empty() ? fw.info.EffectiveRoles() : r.roles;
            std::erase_if(fw.suppressed_roles, [&](const std::string& s) {
              return std::find(roles.begin(), roles.end(), s) != roles.end();
            });
            ctx.allocate_all = true;
          },
          [&](const api::call::Suppress& s) {
            if (!check_roles(s.roles)) return;
            metrics_.Inc("master/messages_suppress_offers");
            allocator_->Suppress(fw.id, s.roles);
            std::vector<std::string> roles = s.roles.empty() ? fw.info.EffectiveRoles() : s.roles;
            for (const std::string& r : roles) {
              if (std::find(fw.suppressed_roles.begin(), fw.suppressed_roles.end(), r) ==
                  fw.suppressed_roles.end()) {
                fw.suppressed_roles.push_back(r);
              }
            }
          },
          [&](const api::call::Kill& k) {
            metrics_.Inc("master/messages_kill_task");
            Kill(ctx, fw, k);
          },
          [&](const api::call::Shutdown& s) {
            metrics_.Inc("master/messages_shutdown_executor");
            SendToAgent(ctx, s.agent_id, master_msg::ShutdownExecutor{fw.id, s.executor_id});
          },
          [&](const api::call::Acknowledge& a) {
            if (a.uuid.size() != 16) {
              return bad(
                  400, StrCat("'acknowledge.uuid' must be 16 bytes (a UUID), got ", a.uuid.size()));
            }
            metrics_.Inc("master/messages_status_update_acknowledgement");
            Acknowledge(ctx, fw, a);
          },
          [&](const api::call::Reconcile& r) {
            metrics_.Inc("master/messages_reconcile_tasks");
            Reconcile(ctx, fw, r);
          },
          [&](const api::call::Message& m) {
            metrics_.Inc("master/messages_framework_to_executor");
            SendToAgent(ctx, m.agent_id,
                        master_msg::FrameworkMessage{fw.id, m.executor_id, m.data});
          },
          [&](const api::call::Request&) {
            // An allocator hint; the hierarchical allocator ignores it, as Mesos's does.
            metrics_.Inc("master/messages_resource_request");
          },
          [&](const api::call::UpdateFramework& u) {
            if (!u.framework_info.id || *u.framework_info.id != fw.id) {
              return bad(400, "'update_framework.framework_info.id' must equal 'framework_id'");
            }
            if (u.framework_info.user != fw.info.user ||
                u.framework_info.checkpoint != fw.info.checkpoint ||
                u.framework_info.principal != fw.info.principal) {
              return bad(400, "'user', 'checkpoint' and 'principal' cannot be updated");
            }
            if (absl::Status v = ValidateFrameworkInfo(u.framework_info, options_); !v.ok()) {
              return bad(400, std::string(v.message()));
            }
            fw.info = u.framework_info;
            fw.suppressed_roles = u.suppressed_roles;
            allocator_->UpdateFramework(fw.id, fw.info, fw.suppressed_roles);
            // Offers for roles the framework left are withdrawn.
            std::vector<std::string> roles = fw.info.EffectiveRoles();
            std::vector<model::OfferId> stale;
            for (const model::OfferId& id : fw.offers) {
              if (std::find(roles.begin(), roles.end(), offers_.at(id).role) == roles.end()) {
                stale.push_back(id);
              }
            }
            for (const model::OfferId& id : stale) RemoveOffer(ctx, id, true, std::nullopt);
            ctx.out.http_status = 200;
            ctx.allocate_all = true;
          },
      },
      c.call.body);
}

void Master::OnStreamClosed(Context& ctx, ConnId conn) {
  auto it = framework_by_conn_.find(conn);
  if (it == framework_by_conn_.end()) return;
  Framework& fw = frameworks_.at(it->second);
  framework_by_conn_.erase(it);
  fw.conn.reset();
  fw.active = false;
  fw.unregistered_time = ctx.now;
  allocator_->DeactivateFramework(fw.id);
  std::vector<model::OfferId> offers(fw.offers.begin(), fw.offers.end());
  for (const model::OfferId& id : offers) RemoveOffer(ctx, id, /*rescind=*/false, std::nullopt);
  if (fw.info.failover_timeout <= 0) {
    Teardown(ctx, fw, "disconnected with failover_timeout 0");
    return;
  }
  fw.failover_deadline = ctx.now + Duration::FromSecondsDouble(fw.info.failover_timeout);
}

void Master::Teardown(Context& ctx, Framework& fw, const std::string& why) {
  (void)why;
  std::vector<model::OfferId> offers(fw.offers.begin(), fw.offers.end());
  for (const model::OfferId& id : offers) RemoveOffer(ctx, id, /*rescind=*/false, std::nullopt);

  // Every agent running its tasks shuts the framework down; the tasks end as KILLED.
  std::set<model::AgentId> agents;
  std::vector<model::TaskId> tasks(fw.tasks.begin(), fw.tasks.end());
  for (const model::TaskId& id : tasks) {
    auto it = tasks_.find({fw.id, id});
    if (it == tasks_.end()) continue;
    Task& task = it->second;
    agents.insert(task.agent_id);
    if (!model::IsTerminal(task.state)) {
      task.state = TaskState::kKilled;
      task.history.push_back(TaskState::kKilled);
      task.status = MasterStatus(fw, id, task.agent_id, TaskState::kKilled,
                                 TaskStatusReason::kFrameworkRemoved, "Framework was removed");
    }
    RemoveTask(ctx, {fw.id, id});
  }
  for (const model::AgentId& agent : agents) {
    SendToAgent(ctx, agent, master_msg::ShutdownFramework{fw.id});
  }
  // The allocator releases everything the framework held, executors included.
  for (auto& [id, agent] : agents_) agent.executors.erase(fw.id);
  allocator_->RemoveFramework(fw.id);
  if (fw.conn) {
    ctx.out.commands.push_back(cmd::CloseStream{*fw.conn});
    framework_by_conn_.erase(*fw.conn);
    fw.conn.reset();
  }
  fw.active = false;
  fw.unregistered_time = ctx.now;
  removed_framework_ids_.insert(fw.id);
  model::FrameworkId id = fw.id;
  completed_frameworks_.push_back(std::move(fw));
  while (completed_frameworks_.size() > options_.max_completed_frameworks) {
    completed_frameworks_.pop_front();
  }
  frameworks_.erase(id);
}

void Master::OnTick(Context& ctx) {
  const Timestamp now = ctx.now;
  if (now >= next_allocation_) {
    ctx.allocate_all = true;
    next_allocation_ = now + options_.allocation_interval;
    // Liveness of agents is checked at allocation granularity.
    const Duration silence =
        options_.agent_heartbeat_interval * options_.max_missed_agent_heartbeats;
    std::vector<model::AgentId> lost;
    for (auto& [id, agent] : agents_) {
      switch (agent.state) {
        case Agent::State::kRegistered:
          if ((agent.conn && now - agent.last_heard > silence) ||
              (!agent.conn && agent.disconnected_at &&
               now - *agent.disconnected_at > options_.agent_reregister_timeout)) {
            lost.push_back(id);
          }
          break;
        case Agent::State::kRecovered:
          if (now - start_time_ > options_.agent_reregister_timeout) lost.push_back(id);
          break;
        default:
          break;
      }
    }
    for (const model::AgentId& id : lost) MarkUnreachable(ctx, agents_.at(id));
  }
  while (!offer_expiry_.empty() && offer_expiry_.begin()->first <= now) {
    model::OfferId id = offer_expiry_.begin()->second;
    RemoveOffer(ctx, id, /*rescind=*/true, std::nullopt);
  }
  if (now >= next_heartbeat_) {
    for (auto& [id, fw] : frameworks_)
      SendToFramework(ctx, fw, api::Event{api::event::Heartbeat{}});
    next_heartbeat_ = now + options_.heartbeat_interval;
  }
  std::vector<model::FrameworkId> expired;
  for (const auto& [id, fw] : frameworks_) {
    if (fw.failover_deadline && *fw.failover_deadline <= now) expired.push_back(id);
  }
  for (const model::FrameworkId& id : expired) {
    Teardown(ctx, frameworks_.at(id), "failover timeout");
  }
}

// ---------------------------------------------------------------------------------------------
// KILL, ACKNOWLEDGE, RECONCILE

void Master::Kill(Context& ctx, Framework& fw, const api::call::Kill& kill) {
  auto it = tasks_.find({fw.id, kill.task_id});
  // Unknown, already reported terminal, or on an unreachable agent: answer as an explicit
  // reconciliation would (TASK_UNREACHABLE / TASK_LOST / TASK_GONE / TASK_UNKNOWN).
  if (it == tasks_.end() || model::IsTerminal(ForwardedState(it->second)) ||
      it->second.state == TaskState::kUnreachable) {
    api::call::Reconcile rec;
    rec.tasks.push_back({kill.task_id, kill.agent_id});
    Reconcile(ctx, fw, rec);
    return;
  }
  master_msg::KillTask msg{fw.id, kill.task_id, kill.kill_policy};
  Agent& agent = agents_.at(it->second.agent_id);
  if (!agent.conn) {
    // Delivered when the agent re-registers, as Mesos does for disconnected agents.
    agent.pending_kills.push_back(std::move(msg));
    return;
  }
  ctx.out.commands.push_back(cmd::SendToAgent{*agent.conn, std::move(msg)});
}

void Master::Acknowledge(Context& ctx, Framework& fw, const api::call::Acknowledge& ack) {
  SendToAgent(ctx, ack.agent_id, master_msg::AcknowledgeUpdate{fw.id, ack.task_id, ack.uuid});
  auto it = tasks_.find({fw.id, ack.task_id});
  if (it == tasks_.end()) return;
  const Task& task = it->second;
  // Once the terminal update is acknowledged the task is forgotten (moved to completed).
  if (task.status && task.status->uuid == ack.uuid && model::IsTerminal(task.status->state) &&
      model::IsTerminal(task.state)) {
    RemoveTask(ctx, it->first);
  }
}

model::TaskStatus Master::MasterStatus(const Framework& fw, const model::TaskId& task,
                                       std::optional<model::AgentId> agent, model::TaskState state,
                                       model::TaskStatusReason reason, std::string message) const {
  model::TaskStatus s;
  s.task_id = task;
  s.state = fw.partition_aware() ? state : model::ForNonPartitionAware(state);
  s.source = model::TaskStatusSource::kMaster;
  s.reason = reason;
  s.message = std::move(message);
  s.agent_id = std::move(agent);
  return s;
}

void Master::Reconcile(Context& ctx, Framework& fw, const api::call::Reconcile& rec) {
  auto answer = [&](model::TaskStatus status) {
    status.timestamp = ctx.now.seconds();
    SendToFramework(ctx, fw, api::Event{api::event::Update{std::move(status)}});
  };
  auto known = [&](const Task& task) {
    // The last state the framework was told (a newer one may still wait behind an
    // unacknowledged update on the agent), so answers never overtake the update stream.
    model::TaskStatus s =
        MasterStatus(fw, task.info->task_id, task.agent_id, ForwardedState(task),
                     TaskStatusReason::kReconciliation, "Reconciliation: Latest task state");
    if (task.status) {
      s.healthy = task.status->healthy;
      s.executor_id = task.status->executor_id;
      s.labels = task.status->labels;
      s.unreachable_time = task.status->unreachable_time;
    }
    return s;
  };
  if (rec.tasks.empty()) {
    std::vector<model::TaskId> ids(fw.tasks.begin(), fw.tasks.end());
    std::sort(ids.begin(), ids.end());
    for (const model::TaskId& id : ids) answer(known(tasks_.at({fw.id, id})));
    return;
  }
  bool any_recovering = false;
  for (const auto& [id, agent] : agents_) {
    if (agent.state == Agent::State::kRecovered) any_recovering = true;
  }
  for (const api::call::Reconcile::Task& t : rec.tasks) {
    auto it = tasks_.find({fw.id, t.task_id});
    if (it != tasks_.end()) {
      answer(known(it->second));
      continue;
    }
    if (!t.agent_id) {
      if (any_recovering) continue;  // no answer yet: the agent may still come back with it
      answer(MasterStatus(fw, t.task_id, std::nullopt, TaskState::kUnknown,
                          TaskStatusReason::kReconciliation, "Reconciliation: Task is unknown"));
      continue;
    }
    auto agent = agents_.find(*t.agent_id);
    if (agent == agents_.end()) {
      answer(MasterStatus(fw, t.task_id, t.agent_id, TaskState::kUnknown,
                          TaskStatusReason::kReconciliation, "Reconciliation: Task is unknown"));
      continue;
    }
    switch (agent->second.state) {
      case Agent::State::kRecovered:
        break;
      case Agent::State::kRegistered:
        answer(MasterStatus(fw, t.task_id, t.agent_id, TaskState::kGone,
                            TaskStatusReason::kReconciliation,
                            "Reconciliation: Task is unknown to the agent"));
        break;
      case Agent::State::kUnreachable: {
        model::TaskStatus s =
            MasterStatus(fw, t.task_id, t.agent_id, TaskState::kUnreachable,
                         TaskStatusReason::kReconciliation, "Reconciliation: Task is unreachable");
        s.unreachable_time = agent->second.unreachable_time;
        answer(std::move(s));
        break;
      }
      case Agent::State::kGone:
        answer(MasterStatus(fw, t.task_id, t.agent_id, TaskState::kGoneByOperator,
                            TaskStatusReason::kReconciliation, "Reconciliation: Task is gone"));
        break;
    }
  }
}

model::TaskState Master::ForwardedState(const Task& task) const {
  return task.status ? task.status->state : task.state;
}

// ---------------------------------------------------------------------------------------------
// Views

const Task* Master::FindTask(const model::FrameworkId& fw, const model::TaskId& task) const {
  auto it = tasks_.find({fw, task});
  return it == tasks_.end() ? nullptr : &it->second;
}

std::map<std::string, uint64_t> Master::TaskStateCounts() const {
  std::map<std::string, uint64_t> counts;
  for (const auto& [key, task] : tasks_) counts[std::string(model::TaskStateName(task.state))]++;
  return counts;
}

model::Resources Master::UsedResources(const Agent& agent) const {
  model::Resources used;
  for (const auto& [fw, ids] : agent.tasks) {
    for (const model::TaskId& id : ids) {
      auto it = tasks_.find({fw, id});
      if (it != tasks_.end() && !it->second.resources_released) {
        used.Add(it->second.info->resources.Flatten());
      }
    }
  }
  used.Add(ExecutorResources(agent));
  return used;
}

model::Resources Master::ExecutorResources(const Agent& agent) const {
  model::Resources used;
  for (const auto& [fw, executors] : agent.executors) {
    for (const auto& [id, e] : executors) used.Add(e.resources.Flatten());
  }
  return used;
}

model::Resources Master::OfferedResources(const Agent& agent) const {
  model::Resources offered;
  for (const model::OfferId& id : agent.offers) offered.Add(offers_.at(id).resources.Flatten());
  return offered;
}

}  // namespace atl::master
