#include "tests/common/sim_cluster.h"

#include <algorithm>

#include "core/base/check.h"
#include "core/base/strings.h"

namespace atl::sim {

using master::ConnId;

size_t SimCluster::Framework::CountEvents(std::string_view type) const {
  return std::count_if(events.begin(), events.end(),
                       [&](const api::Event& e) { return api::EventTypeName(e.body) == type; });
}

std::vector<model::TaskStatus> SimCluster::Framework::Updates() const {
  std::vector<model::TaskStatus> out;
  for (const api::Event& e : events) {
    if (const auto* u = std::get_if<api::event::Update>(&e.body)) out.push_back(u->status);
  }
  return out;
}

SimCluster::SimCluster(Options options) : options_(std::move(options)) {
  master_ = std::make_unique<master::Master>(options_.master, master::Registry{}, clock_.Now());
  auto resources = model::Resources::Parse(options_.agent_resources);
  ATOLL_CHECK(resources.ok()) << resources.status().message();
  for (int i = 0; i < options_.agents; ++i) {
    model::AgentInfo info;
    info.hostname = StrCat("agent-", i, ".sim");
    info.port = 5051;
    info.resources = *resources;
    auto attrs = model::ParseAttributes(StrCat("rack:r", i % std::max(1, options_.racks), ";zone:z",
                                               i % std::max(1, options_.zones)));
    info.attributes = *attrs;
    AgentSlot slot;
    slot.sim =
        std::make_unique<agent::SimulatedAgent>(info, options_.agent, options_.seed * 1000003 + i);
    agents_.push_back(std::move(slot));
  }
  for (int i = 0; i < options_.agents; ++i) ConnectAgent(i);
}

void SimCluster::Schedule(Timestamp at, std::function<void()> fn) {
  queue_.push(Event{at, seq_++, std::move(fn)});
}

void SimCluster::ConnectAgent(int i) {
  AgentSlot& slot = agents_[i];
  slot.conn = next_conn_++;
  slot.connected = true;
  agent_by_conn_[slot.conn] = i;
  ApplyAgent(i, slot.sim->Connect(now()));
}

void SimCluster::ApplyAgent(int i, agent::SimulatedAgent::Output out) {
  AgentSlot& slot = agents_[i];
  for (master::AgentToMaster& msg : out.to_master) {
    if (!slot.connected || slot.partitioned) break;
    ConnId conn = slot.conn;
    Schedule(now() + options_.network_delay, [this, conn, msg = std::move(msg)]() {
      if (!agent_by_conn_.contains(conn)) return;  // connection gone meanwhile
      ApplyMaster(master_->Handle(master::in::AgentMessage{conn, msg}, now()));
    });
  }
  if (out.wake_at && (!slot.wake || *out.wake_at < *slot.wake || *slot.wake <= now())) {
    slot.wake = out.wake_at;
    Schedule(*out.wake_at, [this, i]() {
      agents_[i].wake.reset();
      ApplyAgent(i, agents_[i].sim->Tick(now()));
    });
  }
}

void SimCluster::ApplyMaster(master::Output out) {
  for (master::Command& c : out.commands) {
    std::visit(
        [&](auto& command) {
          using T = std::decay_t<decltype(command)>;
          if constexpr (std::is_same_v<T, master::cmd::SendEvent>) {
            ConnId conn = command.conn;
            Schedule(now() + options_.network_delay,
                     [this, conn, e = std::move(command.event)]() { DeliverEvent(conn, e); });
          } else if constexpr (std::is_same_v<T, master::cmd::CloseStream>) {
            ConnId conn = command.conn;
            Schedule(now() + options_.network_delay, [this, conn]() {
              auto it = framework_by_conn_.find(conn);
              if (it == framework_by_conn_.end()) return;
              it->second->closed = true;
              it->second->subscribed = false;
              framework_by_conn_.erase(it);
            });
          } else if constexpr (std::is_same_v<T, master::cmd::SendToAgent>) {
            ConnId conn = command.conn;
            Schedule(now() + options_.network_delay,
                     [this, conn, m = std::move(command.message)]() {
                       auto it = agent_by_conn_.find(conn);
                       if (it == agent_by_conn_.end() || agents_[it->second].partitioned) return;
                       ApplyAgent(it->second, agents_[it->second].sim->Handle(m, now()));
                     });
          } else if constexpr (std::is_same_v<T, master::cmd::CloseAgent>) {
            auto it = agent_by_conn_.find(command.conn);
            if (it != agent_by_conn_.end()) {
              agents_[it->second].connected = false;
              agent_by_conn_.erase(it);
            }
          } else if constexpr (std::is_same_v<T, master::cmd::WakeAt>) {
            if (!master_wake_ || command.at < *master_wake_ || *master_wake_ <= now()) {
              master_wake_ = command.at;
              Schedule(command.at, [this, at = command.at]() {
                if (master_wake_ == at) master_wake_.reset();
                ApplyMaster(master_->Handle(master::in::Tick{}, now()));
              });
            }
          } else if constexpr (std::is_same_v<T, master::cmd::PersistRegistry>) {
            command.delta.ApplyTo(&persisted_);
          }
        },
        c);
  }
}

void SimCluster::DeliverEvent(ConnId conn, const api::Event& event) {
  auto it = framework_by_conn_.find(conn);
  if (it == framework_by_conn_.end()) {
    violations_.push_back(
        StrCat("event ", api::EventTypeName(event.body), " sent to closed stream ", conn));
    return;
  }
  Framework& fw = *it->second;
  if (const auto* s = std::get_if<api::event::Subscribed>(&event.body)) {
    fw.id = s->framework_id;
    fw.info.id = s->framework_id;
    fw.subscribed = true;
  } else if (const auto* o = std::get_if<api::event::Offers>(&event.body)) {
    for (const model::Offer& offer : o->offers) fw.live_offers[offer.id] = offer;
  } else if (const auto* r = std::get_if<api::event::Rescind>(&event.body)) {
    fw.live_offers.erase(r->offer_id);
    fw.rescinded.push_back(r->offer_id);
  }
  fw.events.push_back(event);
  if (fw.on_event) fw.on_event(fw, event);
}

SimCluster::Framework& SimCluster::AddFramework(model::FrameworkInfo info,
                                                std::vector<std::string> suppressed) {
  auto fw = std::make_unique<Framework>();
  fw->info = std::move(info);
  Framework& ref = *fw;
  frameworks_.push_back(std::move(fw));
  ref.conn = next_conn_++;
  framework_by_conn_[ref.conn] = &ref;
  api::Call call;
  call.body = api::call::Subscribe{ref.info, std::move(suppressed)};
  master::Output out = master_->Handle(master::in::Subscribe{ref.conn, call}, now());
  ref.stream_id = out.stream_id;
  ApplyMaster(std::move(out));
  return ref;
}

void SimCluster::Resubscribe(Framework& fw) {
  if (fw.subscribed && framework_by_conn_.contains(fw.conn)) {
    // The old stream stays open until the master fails it over.
  }
  fw.conn = next_conn_++;
  fw.closed = false;
  fw.live_offers.clear();
  framework_by_conn_[fw.conn] = &fw;
  api::Call call;
  call.framework_id = fw.id;
  model::FrameworkInfo info = fw.info;
  info.id = fw.id;
  call.body = api::call::Subscribe{info, {}};
  master::Output out = master_->Handle(master::in::Subscribe{fw.conn, call}, now());
  fw.stream_id = out.stream_id;
  ApplyMaster(std::move(out));
}

int SimCluster::Call(Framework& fw, api::Call::Body body) {
  api::Call call;
  call.framework_id = fw.id;
  call.body = std::move(body);
  // Property: no task is launched from an offer that was not live when the call arrived.
  bool stale = false;
  if (const auto* a = std::get_if<api::call::Accept>(&call.body)) {
    for (const model::OfferId& id : a->offer_ids) {
      if (!master_->offers().contains(id)) stale = true;
      fw.live_offers.erase(id);
    }
  } else if (const auto* d = std::get_if<api::call::Decline>(&call.body)) {
    for (const model::OfferId& id : d->offer_ids) fw.live_offers.erase(id);
  }
  master::Output out = master_->Handle(master::in::Call{fw.stream_id, call}, now());
  if (stale) {
    for (const master::Command& c : out.commands) {
      if (const auto* s = std::get_if<master::cmd::SendToAgent>(&c);
          s && std::holds_alternative<master::master_msg::RunTask>(s->message)) {
        violations_.push_back("a task was launched from an offer that was no longer valid");
      }
    }
  }
  int status = out.http_status;
  ApplyMaster(std::move(out));
  if (options_.check_invariants) CheckInvariants();
  return status;
}

int SimCluster::Accept(Framework& fw, std::vector<model::OfferId> offers,
                       std::vector<model::Operation> operations,
                       std::optional<double> refuse_seconds) {
  api::call::Accept a;
  a.offer_ids = std::move(offers);
  a.operations = std::move(operations);
  a.filters.refuse_seconds = refuse_seconds;
  return Call(fw, a);
}

int SimCluster::Decline(Framework& fw, std::vector<model::OfferId> offers,
                        std::optional<double> refuse_seconds) {
  api::call::Decline d;
  d.offer_ids = std::move(offers);
  d.filters.refuse_seconds = refuse_seconds;
  return Call(fw, d);
}

model::Operation SimCluster::LaunchOp(std::vector<model::TaskInfo> tasks) {
  model::Operation op;
  op.type = model::Operation::Type::kLaunch;
  op.launch_tasks = std::move(tasks);
  return op;
}

model::TaskInfo SimCluster::MakeTask(const std::string& id, const model::Offer& offer,
                                     const std::string& resources, const std::string& command) {
  model::TaskInfo t;
  t.name = id;
  t.task_id = model::TaskId(id);
  t.agent_id = offer.agent_id;
  auto r = model::Resources::Parse(resources);
  ATOLL_CHECK(r.ok()) << r.status().message();
  t.resources = *r;
  if (offer.allocation_role) t.resources = t.resources.AllocatedTo(*offer.allocation_role);
  model::CommandInfo cmd;
  cmd.value = command;
  t.command = cmd;
  return t;
}

void SimCluster::AutoAcknowledge(SimCluster& c, Framework& fw, const api::Event& e) {
  const auto* u = std::get_if<api::event::Update>(&e.body);
  if (u == nullptr || u->status.uuid.empty() || !u->status.agent_id) return;
  c.Call(fw, api::call::Acknowledge{*u->status.agent_id, u->status.task_id, u->status.uuid});
}

void SimCluster::CloseStream(Framework& fw) {
  framework_by_conn_.erase(fw.conn);
  fw.subscribed = false;
  fw.closed = true;
  fw.live_offers.clear();
  ApplyMaster(master_->Handle(master::in::StreamClosed{fw.conn}, now()));
}

void SimCluster::DisconnectAgent(int i) {
  AgentSlot& slot = agents_[i];
  if (!slot.connected) return;
  slot.connected = false;
  agent_by_conn_.erase(slot.conn);
  ApplyMaster(master_->Handle(master::in::AgentClosed{slot.conn}, now()));
}

void SimCluster::SetAgentPartitioned(int i, bool partitioned) {
  agents_[i].partitioned = partitioned;
}

void SimCluster::ReconnectAgent(int i) {
  if (agents_[i].connected) DisconnectAgent(i);
  ConnectAgent(i);
}

void SimCluster::RestartMaster() {
  for (auto& [conn, fw] : framework_by_conn_) {
    fw->subscribed = false;
    fw->closed = true;
    fw->live_offers.clear();
  }
  framework_by_conn_.clear();
  agent_by_conn_.clear();
  for (AgentSlot& slot : agents_) slot.connected = false;
  master::Options opts = options_.master;
  opts.seed = options_.master.seed + 7919;
  master_ = std::make_unique<master::Master>(opts, persisted_, now());
  master_wake_.reset();
  for (int i = 0; i < agent_count(); ++i) ConnectAgent(i);
}

void SimCluster::UpdateWeights(std::map<std::string, double> weights) {
  ApplyMaster(master_->Handle(master::in::UpdateWeights{std::move(weights)}, now()));
}

void SimCluster::UpdateQuota(const std::string& role, allocator::Quota quota) {
  ApplyMaster(master_->Handle(master::in::UpdateQuota{{{role, std::move(quota)}}}, now()));
}

void SimCluster::UpdateQuotas(std::map<std::string, allocator::Quota> quotas) {
  ApplyMaster(master_->Handle(master::in::UpdateQuota{std::move(quotas)}, now()));
}

bool SimCluster::Step(Timestamp limit) {
  if (queue_.empty() || queue_.top().at > limit) return false;
  Event e = queue_.top();
  queue_.pop();
  clock_.AdvanceTo(e.at);
  e.fn();
  ++events_processed_;
  if (options_.check_invariants) CheckInvariants();
  return true;
}

void SimCluster::RunFor(Duration d) {
  const Timestamp limit = now() + d;
  while (Step(limit)) {
  }
  clock_.AdvanceTo(limit);
}

bool SimCluster::RunUntil(const std::function<bool()>& done, Duration limit) {
  const Timestamp end = now() + limit;
  while (!done()) {
    if (!Step(end)) {
      clock_.AdvanceTo(end);
      return done();
    }
  }
  return true;
}

void SimCluster::CheckInvariants() {
  const master::Master& m = *master_;
  for (const auto& [id, agent] : m.agents()) {
    if (agent.state != master::Agent::State::kRegistered) {
      if (!agent.offers.empty())
        violations_.push_back(StrCat("offers on non-registered agent ", id.value()));
      continue;
    }
    model::Resources used = m.UsedResources(agent);
    model::Resources offered = m.OfferedResources(agent);
    model::Resources total = agent.total.Flatten();
    if (!total.Contains(used + offered)) {
      violations_.push_back(StrCat("agent ", id.value(), " over-committed: used ", used.ToString(),
                                   " + offered ", offered.ToString(), " > total ",
                                   total.ToString()));
      continue;
    }
    // The allocator agrees with the master about what is free.
    model::Resources free = m.allocator().Available(id).Flatten();
    if (!(free + used + offered == total)) {
      violations_.push_back(StrCat("agent ", id.value(), ": allocator free ", free.ToString(),
                                   " + used ", used.ToString(), " + offered ", offered.ToString(),
                                   " != total ", total.ToString()));
    }
  }
  for (const auto& [id, fw] : m.frameworks()) {
    for (const model::OfferId& offer : fw.offers) {
      if (!m.offers().contains(offer)) violations_.push_back("framework lists an unknown offer");
    }
  }
}

}  // namespace atl::sim
