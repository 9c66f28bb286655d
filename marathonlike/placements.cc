#include "marathonlike/placements.h"

#include <algorithm>

#include "constraints/scale_down.h"
#include "core/base/strings.h"

namespace atl::marathonlike {
namespace {

// The view of a placed instance's agent. Attributes are compared as Mesos prints them, which is
// also how ReadField prints an offer's typed attributes, so counts match offers.
constraints::AgentView ViewOf(const std::string& hostname,
                              const std::map<std::string, std::string>& attributes) {
  constraints::AgentView v;
  v.hostname = hostname;
  for (const auto& [name, value] : attributes) {
    if (name == kRegionKey) {
      v.region = value;
    } else if (name == kZoneKey) {
      v.zone = value;
    } else {
      model::Attribute a;
      a.name = name;
      a.type = model::ValueType::kText;
      a.text = value;
      v.attributes.push_back(std::move(a));
    }
  }
  return v;
}

bool IsPlaced(const InstanceView& i) { return !i.agent_id.empty() && !IsTerminal(i.condition); }

bool SpreadsOut(const std::vector<constraints::Constraint>& parsed) {
  return std::any_of(parsed.begin(), parsed.end(), [](const constraints::Constraint& c) {
    return c.op == constraints::Operator::kGroupBy || c.op == constraints::Operator::kMaxPer;
  });
}

}  // namespace

std::map<std::string, std::string> AgentAttributesOf(const model::Offer& offer) {
  std::map<std::string, std::string> out;
  for (const model::Attribute& a : offer.attributes) out[a.name] = a.ValueString();
  if (offer.domain) {
    out[kRegionKey] = offer.domain->region;
    out[kZoneKey] = offer.domain->zone;
  }
  return out;
}

AppPlacement& Placements::For(
    const AppDefinition& app,
    absl::FunctionRef<std::vector<const InstanceView*>()> instances_of_app) {
  auto it = apps_.find(app.id);
  if (it != apps_.end() && it->second.placement.source == app.constraints) {
    return it->second.placement;
  }
  if (it != apps_.end()) {
    for (auto& [id, agent] : it->second.counted) {
      const std::string agent_id = agent->agent_id;
      agent.reset();
      if (auto a = agents_.find(agent_id); a != agents_.end() && a->second.use_count() == 1) {
        agents_.erase(a);
      }
    }
    apps_.erase(it);
  }
  Entry entry;
  AppPlacement& p = entry.placement;
  p.source = app.constraints;
  for (const std::vector<std::string>& c : app.constraints) {
    constraints::ParseResult r = constraints::ParseMarathonConstraint(c);
    if (!r.constraint) {
      p.readable = false;
      continue;
    }
    p.parsed.push_back(*std::move(r.constraint));
  }
  p.counts = constraints::PlacementCounts(p.parsed);
  Entry& e = apps_.emplace(app.id, std::move(entry)).first->second;
  for (const InstanceView* i : instances_of_app()) {
    if (!IsPlaced(*i)) continue;
    std::shared_ptr<const Agent> agent = AgentOf(*i);
    e.placement.counts.Add(agent->view);
    e.counted.emplace(i->id, std::move(agent));
  }
  return e.placement;
}

const AppPlacement* Placements::Find(const AppDefinition& app) const {
  auto it = apps_.find(app.id);
  if (it == apps_.end() || it->second.placement.source != app.constraints) return nullptr;
  return &it->second.placement;
}

std::shared_ptr<const Placements::Agent> Placements::AgentOf(const InstanceView& instance) {
  std::shared_ptr<const Agent>& slot = agents_[instance.agent_id];
  if (slot == nullptr) {
    slot = std::make_shared<const Agent>(
        Agent{instance.agent_id, ViewOf(instance.hostname, instance.agent_attributes)});
  }
  return slot;
}

void Placements::Uncount(Entry& entry, const InstanceId& id) {
  auto c = entry.counted.find(id);
  if (c == entry.counted.end()) return;
  entry.placement.counts.Remove(c->second->view);
  const std::string agent_id = c->second->agent_id;
  entry.counted.erase(c);
  if (auto a = agents_.find(agent_id); a != agents_.end() && a->second.use_count() == 1) {
    agents_.erase(a);
  }
}

void Placements::Update(const InstanceView& instance) {
  auto it = apps_.find(instance.app_id);
  if (it == apps_.end()) return;
  Entry& e = it->second;
  auto c = e.counted.find(instance.id);
  const bool placed = IsPlaced(instance);
  if (c != e.counted.end()) {
    if (placed && c->second->agent_id == instance.agent_id) return;  // unchanged
    Uncount(e, instance.id);
  }
  if (placed) {
    std::shared_ptr<const Agent> agent = AgentOf(instance);
    e.placement.counts.Add(agent->view);
    e.counted.emplace(instance.id, std::move(agent));
  }
}

void Placements::Remove(const InstanceView& instance) {
  auto it = apps_.find(instance.app_id);
  if (it != apps_.end()) Uncount(it->second, instance.id);
}

void Placements::DropIfEmpty(const PathId& app_id) {
  auto it = apps_.find(app_id);
  if (it != apps_.end() && it->second.counted.empty()) apps_.erase(it);
}

const constraints::AgentView& Placements::Offered(const model::Offer& offer) {
  auto it = known_.find(offer.agent_id.value());
  if (it == known_.end()) {
    it = known_.emplace(offer.agent_id.value(), constraints::AgentViewOf(offer)).first;
  }
  return it->second;
}

void Placements::ForgetAgent(const std::string& agent_id) { known_.erase(agent_id); }

std::optional<Unplaceable> Placements::CheckPlaceable(
    const AppDefinition& app, const AppPlacement& placement,
    const constraints::CheckOptions& options) const {
  if (known_.empty()) return std::nullopt;
  Unplaceable u;
  u.known_agents = static_cast<int>(known_.size());
  if (!placement.readable) {
    u.rejected_by[-1] = u.known_agents;
    u.message = "The app's constraints cannot be read, so no agent can take its instances";
    return u;
  }
  for (const auto& [id, view] : known_) {
    constraints::Result r =
        constraints::CheckAll(placement.parsed, view, placement.counts, options);
    if (r.ok) return std::nullopt;
    u.rejected_by[r.index]++;
  }
  std::string by;
  for (const auto& [index, agents] : u.rejected_by) {
    if (!by.empty()) by += ", ";
    const std::string what =
        index >= 0 && index < static_cast<int>(app.constraints.size())
            ? StrCat("[", Join(app.constraints[static_cast<size_t>(index)], ","), "]")
            : std::string("the dedicated-agent rule");
    StrAppend(&by, what, " rejects ", agents, agents == 1 ? " agent" : " agents");
  }
  u.message = StrCat("No known agent can take another instance: the constraints rule out all ",
                     u.known_agents, u.known_agents == 1 ? " agent" : " agents", " (", by, ")");
  return u;
}

std::vector<InstanceId> Placements::ProposeKills(const AppPlacement& placement,
                                                 const std::vector<InstanceView>& candidates,
                                                 int count) {
  std::vector<InstanceId> out;
  if (count <= 0 || !placement.readable || !SpreadsOut(placement.parsed)) return out;
  // Instances not on an agent spread nothing: they go first, in the caller's order.
  std::vector<constraints::KillCandidate> placed;
  for (const InstanceView& i : candidates) {
    if (!IsPlaced(i)) {
      if (static_cast<int>(out.size()) < count) out.push_back(i.id);
      continue;
    }
    placed.push_back(
        constraints::KillCandidate{i.id.value(), ViewOf(i.hostname, i.agent_attributes)});
  }
  const int more = count - static_cast<int>(out.size());
  for (std::string& id : constraints::ProposeKills(placement.parsed, placed, more)) {
    out.emplace_back(std::move(id));
  }
  return out;
}

}  // namespace atl::marathonlike
