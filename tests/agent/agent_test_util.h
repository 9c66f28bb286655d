// Builders, command readers and the AgentTest fixture shared by the specification of the real
// agent's state machine (agent_test.cc, agent_recovery_test.cc) and its property test
// (agent_property_test.cc).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/agent/agent.h"
#include "core/base/overloaded.h"
#include "core/base/strings.h"

namespace atl::agent::test_util {

using model::TaskState;
using model::TaskStatusReason;
namespace amsg = api::agent_msg;
namespace mmsg = api::master_msg;
namespace ecall = api::executor_call;
namespace eev = api::executor_event;

inline const Timestamp kStart = Timestamp::FromNanoseconds(1'700'000'000'000'000'000);

// ---------------------------------------------------------------------------------------------
// Builders

inline model::Resources R(std::string_view text) { return *model::Resources::Parse(text); }

inline model::AgentInfo AgentInfoOf() {
  model::AgentInfo info;
  info.hostname = "agent1.example";
  info.port = 5051;
  info.resources = R("cpus:8;mem:8192;disk:10000");
  return info;
}

inline model::FrameworkInfo Framework(std::string name, bool checkpoint = true) {
  model::FrameworkInfo fw;
  fw.user = "alice";
  fw.name = std::move(name);
  fw.checkpoint = checkpoint;
  fw.failover_timeout = 3600;
  return fw;
}

inline model::TaskInfo CommandTask(const std::string& id,
                                   std::string_view resources = "cpus:1;mem:128") {
  model::TaskInfo t;
  t.name = id;
  t.task_id = model::TaskId(id);
  t.agent_id = model::AgentId("S1");
  t.resources = R(resources);
  t.command.emplace();
  t.command->value = "sleep 1000";
  return t;
}

inline model::ExecutorInfo CustomExecutor(const std::string& id) {
  model::ExecutorInfo e;
  e.type = model::ExecutorInfo::Type::kCustom;
  e.executor_id = model::ExecutorId(id);
  e.name = "my executor";
  e.command.emplace();
  e.command->value = "./my-executor";
  e.resources = R("cpus:0.5;mem:64");
  return e;
}

inline model::TaskInfo CustomTask(const std::string& id, const model::ExecutorInfo& executor) {
  model::TaskInfo t = CommandTask(id);
  t.command.reset();
  t.executor = executor;
  return t;
}

// A 16-byte status-update uuid, readable in failure messages.
inline std::string Uuid(int n) {
  std::string u = StrCat("uuid-", n);
  u.resize(16, '.');
  return u;
}

inline model::TaskStatus ExecutorStatus(const std::string& task, TaskState state,
                                        std::string uuid) {
  model::TaskStatus s;
  s.task_id = model::TaskId(task);
  s.state = state;
  s.source = model::TaskStatusSource::kExecutor;
  s.uuid = std::move(uuid);
  return s;
}

// The checkpoint an agent restarts from.
class CheckpointBuilder {
 public:
  CheckpointBuilder() {
    state_.info = AgentInfoOf();
    state_.info->id = model::AgentId("S1");
  }
  CheckpointBuilder& Framework(const model::FrameworkId& id, model::FrameworkInfo fw) {
    fw.id = id;
    state_.frameworks.push_back(std::move(fw));
    return *this;
  }
  // The command executor of `task` (or `custom`), with a pid when its process was spawned.
  CheckpointBuilder& Executor(const model::FrameworkId& fw, const model::TaskInfo& task,
                              std::optional<int> pid) {
    ExecutorRecord r;
    r.framework_id = fw;
    r.command_executor = !task.executor;
    if (task.executor) {
      r.info = *task.executor;
    } else {
      r.info.executor_id = model::ExecutorId(task.task_id.value());
      r.info.resources = R("cpus:0.1;mem:32");
    }
    r.info.framework_id = fw;
    r.container_id = model::ContainerId(StrCat("container-", r.info.executor_id.value()));
    r.pid = pid;
    r.pid_start_time = pid ? 777 : 0;
    state_.executors.push_back(std::move(r));
    return *this;
  }
  CheckpointBuilder& Task(const model::FrameworkId& fw, const model::TaskInfo& task,
                          TaskState state, bool launched) {
    model::ExecutorId executor =
        task.executor ? task.executor->executor_id : model::ExecutorId(task.task_id.value());
    state_.tasks.push_back({fw, executor, task, state, launched});
    return *this;
  }
  CheckpointBuilder& Updates(const model::FrameworkId& fw, const std::string& task,
                             std::vector<model::TaskStatus> updates) {
    state_.updates.push_back({{fw, model::TaskId(task)}, std::move(updates)});
    return *this;
  }
  const CheckpointedState& state() const { return state_; }

 private:
  CheckpointedState state_;
};

// ---------------------------------------------------------------------------------------------
// Reading an Output

template <typename T>
std::vector<T> All(const Output& out) {
  std::vector<T> v;
  for (const Command& c : out.commands) {
    if (const T* t = std::get_if<T>(&c)) v.push_back(*t);
  }
  return v;
}

template <typename M>
std::vector<M> ToMaster(const Output& out) {
  std::vector<M> v;
  for (const cmd::SendToMaster& s : All<cmd::SendToMaster>(out)) {
    if (const M* m = std::get_if<M>(&s.message)) v.push_back(*m);
  }
  return v;
}

inline std::vector<amsg::StatusUpdate> Forwarded(const Output& out) {
  return ToMaster<amsg::StatusUpdate>(out);
}

// The events of type E sent on `conn`.
template <typename E>
std::vector<E> Events(const Output& out, ExecutorConn conn) {
  std::vector<E> v;
  for (const cmd::SendToExecutor& s : All<cmd::SendToExecutor>(out)) {
    if (s.conn != conn) continue;
    if (const E* e = std::get_if<E>(&s.event.body)) v.push_back(*e);
  }
  return v;
}

// Names of the events sent on `conn`, in order.
inline std::vector<std::string> EventNames(const Output& out, ExecutorConn conn) {
  std::vector<std::string> v;
  for (const cmd::SendToExecutor& s : All<cmd::SendToExecutor>(out)) {
    if (s.conn != conn) continue;
    v.push_back(std::visit(Overloaded{
                               [](const eev::Subscribed&) { return "SUBSCRIBED"; },
                               [](const eev::Launch&) { return "LAUNCH"; },
                               [](const eev::LaunchGroup&) { return "LAUNCH_GROUP"; },
                               [](const eev::Kill&) { return "KILL"; },
                               [](const eev::Acknowledged&) { return "ACKNOWLEDGED"; },
                               [](const eev::Message&) { return "MESSAGE"; },
                               [](const eev::Error&) { return "ERROR"; },
                               [](const eev::Shutdown&) { return "SHUTDOWN"; },
                               [](const eev::Heartbeat&) { return "HEARTBEAT"; },
                           },
                           s.event.body));
  }
  return v;
}

// The position of the first command satisfying `pred` (-1: none).
template <typename T, typename Pred>
int IndexOf(const Output& out, Pred pred) {
  for (size_t i = 0; i < out.commands.size(); ++i) {
    if (const T* t = std::get_if<T>(&out.commands[i]); t != nullptr && pred(*t)) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

// The containers destroyed, as "<executor id>/<container id>".
inline std::vector<std::string> Destroyed(const Output& out) {
  std::vector<std::string> v;
  for (const cmd::DestroyContainer& d : All<cmd::DestroyContainer>(out)) {
    v.push_back(StrCat(d.executor_id.value(), "/", d.container_id.value()));
  }
  return v;
}

inline std::optional<Timestamp> WakeAt(const Output& out) {
  std::optional<Timestamp> at;
  for (const cmd::WakeAt& w : All<cmd::WakeAt>(out)) at = w.at;
  return at;
}

// Nothing but (possibly) a WakeAt.
inline bool DoesNothing(const Output& out) {
  return std::all_of(out.commands.begin(), out.commands.end(),
                     [](const Command& c) { return std::holds_alternative<cmd::WakeAt>(c); });
}

inline std::vector<TaskState> States(const std::vector<model::TaskStatus>& updates) {
  std::vector<TaskState> v;
  for (const model::TaskStatus& s : updates) v.push_back(s.state);
  return v;
}

// ---------------------------------------------------------------------------------------------
// The fixture: one agent, a clock, and one framework "fw-1".

class AgentTest : public ::testing::Test {
 protected:
  AgentTest() : agent_(AgentInfoOf(), AgentOptions{}, 7) {}

  void NewAgent(AgentOptions options) { agent_ = Agent(AgentInfoOf(), std::move(options), 7); }

  Output Do(const Input& input) { return agent_.Handle(input, now_); }
  Output TickAt(Timestamp at) {
    now_ = at;
    return Do(in::Tick{});
  }
  Output FromMaster(api::MasterToAgent m) { return Do(in::FromMaster{std::move(m)}); }

  // A fresh agent, connected and registered as S1; heartbeats every hour, out of the way.
  void StartRegistered() {
    Do(in::Recover{});
    Do(in::MasterConnected{});
    FromMaster(mmsg::Registered{model::AgentId("S1"), Duration::Hours(1)});
  }

  Output Run(const model::TaskInfo& task) { return Run(task, fw_); }
  Output Run(const model::TaskInfo& task, const model::FrameworkInfo& fw) {
    mmsg::RunTask run;
    run.framework_id = fw_id_;
    run.framework = fw;
    run.task = std::make_shared<const model::TaskInfo>(task);
    return FromMaster(std::move(run));
  }
  Output Kill(const std::string& task, std::optional<model::KillPolicy> policy = std::nullopt) {
    return FromMaster(mmsg::KillTask{fw_id_, model::TaskId(task), policy});
  }
  Output Ack(const std::string& task, const std::string& uuid) {
    return FromMaster(mmsg::AcknowledgeUpdate{fw_id_, model::TaskId(task), uuid});
  }

  Output Call(const std::string& executor, api::ExecutorCall::Body body, ExecutorConn conn = 0) {
    return Do(in::FromExecutor{
        api::ExecutorCall{model::ExecutorId(executor), fw_id_, std::move(body)}, conn});
  }
  Output Subscribe(const std::string& executor, ExecutorConn conn, ecall::Subscribe s = {}) {
    return Call(executor, std::move(s), conn);
  }
  Output Update(const std::string& executor, model::TaskStatus status) {
    return Call(executor, ecall::Update{std::move(status)});
  }
  Output Update(const std::string& executor, const std::string& task, TaskState state,
                const std::string& uuid) {
    return Update(executor, ExecutorStatus(task, state, uuid));
  }

  model::ContainerId Container(const std::string& executor) const {
    for (const Agent::ExecutorView& e : agent_.executors()) {
      if (e.record->info.executor_id.value() == executor) return e.record->container_id;
    }
    ADD_FAILURE() << "no executor " << executor;
    return {};
  }
  Output Launched(const std::string& executor, int pid = 4242) {
    return Do(
        in::ExecutorLaunched{fw_id_, model::ExecutorId(executor), Container(executor), pid, 99});
  }
  Output Exited(const std::string& executor, std::string description = "exited with status 1",
                bool oom = false, std::optional<int> wait_status = 256) {
    return Do(in::ExecutorExited{fw_id_, model::ExecutorId(executor), Container(executor),
                                 wait_status, std::move(description), oom});
  }

  // Runs command task `id` and subscribes its executor on `conn`.
  void RunSubscribed(const std::string& id, ExecutorConn conn) {
    Run(CommandTask(id));
    Launched(id);
    ASSERT_EQ(Subscribe(id, conn).http_status, 200);
  }

  TaskKey Key(const std::string& task) const { return {fw_id_, model::TaskId(task)}; }
  std::vector<model::TaskStatus> Pending(const std::string& task) const {
    const auto* p = agent_.streams().Pending(Key(task));
    return p == nullptr ? std::vector<model::TaskStatus>{}
                        : std::vector<model::TaskStatus>(p->begin(), p->end());
  }

  Agent agent_;
  Timestamp now_ = kStart;
  model::FrameworkId fw_id_{"fw-1"};
  model::FrameworkInfo fw_ = Framework("web");
};

}  // namespace atl::agent::test_util
