#include "core/master/state_json.h"

#include <map>

#include "core/api/json.h"
#include "core/api/json_model.h"
#include "core/base/strings.h"

namespace atl::master {

using api::JsonWriter;

namespace {

void WriteTask(JsonWriter& w, const Task& t) {
  w.StartObject();
  w.Key("id").String(t.info->task_id.value());
  w.Key("name").String(t.info->name);
  w.Key("framework_id").String(t.framework_id.value());
  w.Key("executor_id").String(t.info->executor ? t.info->executor->executor_id.value() : "");
  w.Key("slave_id").String(t.agent_id.value());
  w.Key("state").String(model::TaskStateName(t.state));
  w.Key("role").String(t.role);
  w.Key("resources");
  api::WriteFlatResources(w, t.info->resources);
  w.Key("statuses").StartArray();
  if (t.status) {
    w.StartObject();
    w.Key("state").String(model::TaskStateName(t.status->state));
    w.Key("timestamp").Double(t.status->timestamp.value_or(0));
    if (t.status->healthy) w.Key("healthy").Bool(*t.status->healthy);
    w.EndObject();
  }
  w.EndArray();
  if (!t.info->labels.empty()) {
    w.Key("labels").StartArray();
    for (const model::Label& l : t.info->labels) {
      w.StartObject().Key("key").String(l.key);
      if (l.value) w.Key("value").String(*l.value);
      w.EndObject();
    }
    w.EndArray();
  }
  if (t.info->discovery) {
    w.Key("discovery");
    api::WriteDiscoveryInfo(w, *t.info->discovery);
  }
  if (t.info->health_check) {
    w.Key("health_check");
    api::WriteHealthCheck(w, *t.info->health_check);
  }
  w.EndObject();
}

void WriteAttributesFlat(JsonWriter& w, const model::Attributes& attributes) {
  w.StartObject();
  for (const model::Attribute& a : attributes) {
    w.Key(a.name);
    if (a.type == model::ValueType::kScalar) {
      w.Double(a.scalar.ToDouble());
    } else {
      w.String(a.ValueString());
    }
  }
  w.EndObject();
}

void WriteFramework(JsonWriter& w, const Master& m, const Framework& fw, bool completed) {
  model::Resources used, offered;
  std::vector<const Task*> tasks;
  for (const model::TaskId& id : fw.tasks) {
    if (const Task* t = m.FindTask(fw.id, id)) {
      tasks.push_back(t);
      if (!t->resources_released) used.Add(t->info->resources.Flatten());
    }
  }
  std::sort(tasks.begin(), tasks.end(),
            [](const Task* a, const Task* b) { return a->info->task_id < b->info->task_id; });
  std::vector<const OfferEntry*> offers;
  for (const model::OfferId& id : fw.offers) {
    const OfferEntry& o = m.offers().at(id);
    offers.push_back(&o);
    offered.Add(o.resources.Flatten());
  }
  std::sort(offers.begin(), offers.end(),
            [](const OfferEntry* a, const OfferEntry* b) { return a->offer.id < b->offer.id; });
  w.StartObject();
  w.Key("id").String(fw.id.value());
  w.Key("name").String(fw.info.name);
  w.Key("pid").String("");
  w.Key("user").String(fw.info.user);
  w.Key("hostname").String(fw.info.hostname);
  w.Key("webui_url").String(fw.info.webui_url);
  w.Key("principal").String(fw.info.principal);
  w.Key("failover_timeout").Double(fw.info.failover_timeout);
  w.Key("checkpoint").Bool(fw.info.checkpoint);
  w.Key("active").Bool(!completed && fw.active);
  w.Key("connected").Bool(!completed && fw.connected());
  w.Key("recovered").Bool(false);
  w.Key("roles").StartArray();
  for (const std::string& r : fw.info.EffectiveRoles()) w.String(r);
  w.EndArray();
  w.Key("role").String(fw.info.EffectiveRoles().empty() ? "*" : fw.info.EffectiveRoles().front());
  w.Key("capabilities").StartArray();
  for (model::FrameworkCapability c : fw.info.capabilities)
    w.String(model::FrameworkCapabilityName(c));
  w.EndArray();
  w.Key("registered_time").Double(fw.registered_time.seconds());
  if (fw.reregistered_time) w.Key("reregistered_time").Double(fw.reregistered_time->seconds());
  w.Key("unregistered_time").Double(fw.unregistered_time ? fw.unregistered_time->seconds() : 0);
  w.Key("used_resources");
  api::WriteFlatResources(w, used);
  w.Key("offered_resources");
  api::WriteFlatResources(w, offered);
  w.Key("tasks").StartArray();
  for (const Task* t : tasks) {
    if (t->state != model::TaskState::kUnreachable) WriteTask(w, *t);
  }
  w.EndArray();
  w.Key("unreachable_tasks").StartArray();
  for (const Task* t : tasks) {
    if (t->state == model::TaskState::kUnreachable) WriteTask(w, *t);
  }
  w.EndArray();
  w.Key("completed_tasks").StartArray();
  for (const Task& t : fw.completed_tasks) WriteTask(w, t);
  w.EndArray();
  w.Key("offers").StartArray();
  for (const OfferEntry* o : offers) {
    w.StartObject();
    w.Key("id").String(o->offer.id.value());
    w.Key("framework_id").String(fw.id.value());
    w.Key("slave_id").String(o->offer.agent_id.value());
    w.Key("resources");
    api::WriteFlatResources(w, o->resources);
    w.EndObject();
  }
  w.EndArray();
  w.Key("executors").StartArray();
  for (const auto& [agent_id, agent] : m.agents()) {
    auto executors = agent.executors.find(fw.id);
    if (executors == agent.executors.end()) continue;
    for (const auto& [id, e] : executors->second) {
      w.StartObject();
      w.Key("executor_id").String(id.value());
      w.Key("name").String(e.info.name);
      w.Key("framework_id").String(fw.id.value());
      w.Key("slave_id").String(agent_id.value());
      w.Key("resources");
      api::WriteFlatResources(w, e.resources);
      w.EndObject();
    }
  }
  w.EndArray();
  w.EndObject();
}

std::string_view AgentStateName(Agent::State s) {
  switch (s) {
    case Agent::State::kRegistered:
      return "registered";
    case Agent::State::kRecovered:
      return "recovered";
    case Agent::State::kUnreachable:
      return "unreachable";
    case Agent::State::kGone:
      return "gone";
  }
  return "";
}

void WriteAgent(JsonWriter& w, const Master& m, const Agent& a) {
  model::Resources used = m.UsedResources(a);
  model::Resources offered = m.OfferedResources(a);
  w.StartObject();
  w.Key("id").String(a.id.value());
  w.Key("hostname").String(a.info.hostname);
  w.Key("port").Int(a.info.port);
  w.Key("pid").String(StrCat("slave(1)@", a.info.hostname, ":", a.info.port));
  w.Key("attributes");
  WriteAttributesFlat(w, a.info.attributes);
  if (a.info.domain) {
    w.Key("domain");
    api::WriteDomainInfo(w, *a.info.domain);
  }
  w.Key("registered_time").Double(a.registered_time.seconds());
  if (a.reregistered_time) w.Key("reregistered_time").Double(a.reregistered_time->seconds());
  w.Key("resources");
  api::WriteFlatResources(w, a.total);
  w.Key("used_resources");
  api::WriteFlatResources(w, used);
  w.Key("offered_resources");
  api::WriteFlatResources(w, offered);
  w.Key("unreserved_resources");
  api::WriteFlatResources(w, a.total.Unreserved());
  w.Key("reserved_resources").StartObject();
  std::map<std::string, model::Resources> by_role;
  const model::Resources reserved = a.total.Reserved();
  for (const model::Resource& r : reserved.items()) by_role[r.ReservationRole()].Add(r);
  for (const auto& [role, rs] : by_role) {
    w.Key(role);
    api::WriteFlatResources(w, rs);
  }
  w.EndObject();
  w.Key("active").Bool(a.state == Agent::State::kRegistered && a.conn.has_value());
  w.Key("deactivated").Bool(false);
  w.Key("state").String(AgentStateName(a.state));
  w.Key("version").String(m.info().version);
  w.Key("capabilities")
      .StartArray()
      .String("MULTI_ROLE")
      .String("RESERVATION_REFINEMENT")
      .EndArray();
  w.EndObject();
}

}  // namespace

std::string RenderState(const Master& m, Timestamp now) {
  JsonWriter w;
  const model::MasterInfo& info = m.info();
  w.StartObject();
  w.Key("version").String(info.version);
  w.Key("git_sha").String("");
  w.Key("build_date").String(__DATE__);
  w.Key("build_user").String("atoll");
  w.Key("start_time").Double(m.start_time().seconds());
  w.Key("elected_time").Double(m.start_time().seconds());
  w.Key("id").String(info.id);
  w.Key("pid").String(info.pid);
  w.Key("hostname").String(info.hostname);
  w.Key("leader").String(info.pid);
  w.Key("leader_info");
  api::WriteMasterInfo(w, info);
  w.Key("capabilities").StartArray();
  for (const std::string& c : info.capabilities) w.String(c);
  w.EndArray();
  int active = 0, deactivated = 0, unreachable = 0;
  for (const auto& [id, a] : m.agents()) {
    if (a.state == Agent::State::kUnreachable) {
      ++unreachable;
    } else if (a.state == Agent::State::kRegistered && a.conn) {
      ++active;
    } else {
      ++deactivated;
    }
  }
  w.Key("activated_slaves").Int(active);
  w.Key("deactivated_slaves").Int(deactivated);
  w.Key("unreachable_slaves").Int(unreachable);
  w.Key("flags").StartObject();
  w.Key("allocation_interval").String(m.options().allocation_interval.ToString());
  w.Key("offer_timeout")
      .String(m.options().offer_timeout ? m.options().offer_timeout->ToString() : "");
  w.Key("port").String(std::to_string(m.options().port));
  w.Key("hostname").String(m.options().hostname);
  w.EndObject();
  w.Key("slaves").StartArray();
  for (const auto& [id, a] : m.agents()) {
    if (a.state == Agent::State::kRegistered) WriteAgent(w, m, a);
  }
  w.EndArray();
  w.Key("recovered_slaves").StartArray();
  for (const auto& [id, a] : m.agents()) {
    if (a.state == Agent::State::kRecovered) WriteAgent(w, m, a);
  }
  w.EndArray();
  w.Key("frameworks").StartArray();
  for (const auto& [id, fw] : m.frameworks()) WriteFramework(w, m, fw, false);
  w.EndArray();
  w.Key("completed_frameworks").StartArray();
  for (const Framework& fw : m.completed_frameworks()) WriteFramework(w, m, fw, true);
  w.EndArray();
  w.Key("orphan_tasks").StartArray().EndArray();
  w.Key("unregistered_frameworks").StartArray().EndArray();
  (void)now;
  w.EndObject();
  return w.Finish();
}

std::string RenderStateSummary(const Master& m) {
  JsonWriter w;
  w.StartObject();
  w.Key("hostname").String(m.info().hostname);
  w.Key("cluster").String("");
  w.Key("slaves").StartArray();
  for (const auto& [id, a] : m.agents()) {
    if (a.state != Agent::State::kRegistered) continue;
    w.StartObject();
    w.Key("id").String(id.value());
    w.Key("hostname").String(a.info.hostname);
    w.Key("pid").String(StrCat("slave(1)@", a.info.hostname, ":", a.info.port));
    w.Key("attributes");
    WriteAttributesFlat(w, a.info.attributes);
    w.Key("resources");
    api::WriteFlatResources(w, a.total);
    w.Key("used_resources");
    api::WriteFlatResources(w, m.UsedResources(a));
    w.Key("offered_resources");
    api::WriteFlatResources(w, m.OfferedResources(a));
    std::map<std::string, uint64_t> counts;
    std::vector<std::string> fws;
    for (const auto& [fw, ids] : a.tasks) {
      fws.push_back(fw.value());
      for (const model::TaskId& tid : ids) {
        if (const Task* t = m.FindTask(fw, tid))
          counts[std::string(model::TaskStateName(t->state))]++;
      }
    }
    for (const auto& [state, n] : counts) w.Key(state).Uint64(n);
    std::sort(fws.begin(), fws.end());
    w.Key("framework_ids").StartArray();
    for (const std::string& f : fws) w.String(f);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("frameworks").StartArray();
  for (const auto& [id, fw] : m.frameworks()) {
    w.StartObject();
    w.Key("id").String(id.value());
    w.Key("name").String(fw.info.name);
    w.Key("active").Bool(fw.active);
    std::set<std::string> agents;
    std::map<std::string, uint64_t> counts;
    for (const model::TaskId& tid : fw.tasks) {
      if (const Task* t = m.FindTask(id, tid)) {
        agents.insert(t->agent_id.value());
        counts[std::string(model::TaskStateName(t->state))]++;
      }
    }
    for (const auto& [state, n] : counts) w.Key(state).Uint64(n);
    w.Key("slave_ids").StartArray();
    for (const std::string& a : agents) w.String(a);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Finish();
}

std::string RenderRoles(const Master& m) {
  JsonWriter w;
  w.StartObject();
  w.Key("roles").StartArray();
  for (const allocator::RoleSummary& r : m.allocator().Roles()) {
    w.StartObject();
    w.Key("name").String(r.role);
    w.Key("weight").Double(r.weight);
    w.Key("resources");
    api::WriteFlatResources(w, r.allocated);
    w.Key("allocated");
    api::WriteFlatResources(w, r.allocated);
    w.Key("reserved");
    api::WriteFlatResources(w, r.reserved);
    w.Key("quota").StartObject();
    w.Key("role").String(r.role);
    w.Key("guarantee");
    api::WriteFlatResources(w, r.quota.guarantees);
    w.Key("limit");
    api::WriteFlatResources(w, r.quota.limits);
    w.Key("consumed");
    api::WriteFlatResources(w, r.consumed_quota);
    w.EndObject();
    w.Key("frameworks").StartArray();
    for (const model::FrameworkId& f : r.frameworks) w.String(f.value());
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Finish();
}

namespace {

std::map<std::string, double> Figures(const Master& m, Timestamp now) {
  std::map<std::string, double> f;
  f["master/elected"] = 1;
  f["master/uptime_secs"] = (now - m.start_time()).seconds();
  int active = 0, inactive = 0, connected = 0, disconnected = 0, unreachable = 0;
  model::Resources total, used;
  for (const auto& [id, a] : m.agents()) {
    if (a.state == Agent::State::kUnreachable) {
      ++unreachable;
      continue;
    }
    if (a.state != Agent::State::kRegistered) continue;
    (a.conn ? active : inactive)++;
    (a.conn ? connected : disconnected)++;
    total.Add(a.total.Flatten());
    used.Add(m.UsedResources(a));
    used.Add(m.OfferedResources(a));
  }
  f["master/slaves_active"] = active;
  f["master/slaves_inactive"] = inactive;
  f["master/slaves_connected"] = connected;
  f["master/slaves_disconnected"] = disconnected;
  f["master/slaves_unreachable"] = unreachable;
  int fa = 0, fi = 0, fc = 0, fd = 0;
  for (const auto& [id, fw] : m.frameworks()) {
    (fw.active ? fa : fi)++;
    (fw.connected() ? fc : fd)++;
  }
  f["master/frameworks_active"] = fa;
  f["master/frameworks_inactive"] = fi;
  f["master/frameworks_connected"] = fc;
  f["master/frameworks_disconnected"] = fd;
  f["master/outstanding_offers"] = static_cast<double>(m.offers().size());
  for (const char* state : {"staging", "starting", "running", "killing", "unreachable"}) {
    f[StrCat("master/tasks_", state)] = 0;
  }
  for (const auto& [state, n] : m.TaskStateCounts()) {
    std::string name = state.substr(5);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    f[StrCat("master/tasks_", name)] = static_cast<double>(n);
  }
  for (const char* r : {"cpus", "mem", "disk", "gpus"}) {
    double t = total.GetScalar(r).ToDouble(), u = used.GetScalar(r).ToDouble();
    f[StrCat("master/", r, "_total")] = t;
    f[StrCat("master/", r, "_used")] = u;
    f[StrCat("master/", r, "_percent")] = t > 0 ? u / t : 0;
  }
  for (const auto& [name, n] : m.metrics().counters) f[name] = static_cast<double>(n);
  f["allocator/mesos/allocation_runs"] = static_cast<double>(m.allocator().allocation_runs());
  return f;
}

}  // namespace

std::string RenderMetricsSnapshot(const Master& m, Timestamp now) {
  JsonWriter w;
  w.StartObject();
  for (const auto& [name, value] : Figures(m, now)) w.Key(name).Double(value);
  w.EndObject();
  return w.Finish();
}

std::string RenderPrometheus(const Master& m, Timestamp now) {
  std::string out;
  for (const auto& [name, value] : Figures(m, now)) {
    std::string metric = "mesos_" + name;
    for (char& c : metric) {
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    StrAppend(&out, "# TYPE ", metric, " gauge\n", metric, " ", value, "\n");
  }
  return out;
}

std::string RenderVersion(const Master& m) {
  JsonWriter w;
  w.StartObject();
  w.Key("version").String(m.info().version);
  w.Key("build_date").String(__DATE__);
  w.Key("build_time").Double(0);
  w.Key("build_user").String("atoll");
  w.Key("git_sha").String("");
  w.EndObject();
  return w.Finish();
}

}  // namespace atl::master
