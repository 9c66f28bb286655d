// executor.Call and executor.Event of the Mesos v1 executor HTTP API (reference/mesos.md §2).
// The agent serves POST /api/v1/executor; SUBSCRIBE opens a RecordIO stream of events, every
// other call is answered 202. Every call carries `executor_id` and `framework_id`.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/model/info.h"

namespace atl::api {

namespace executor_call {

// An update the agent has not acknowledged yet (resent on re-subscription).
struct UnacknowledgedUpdate {
  model::TaskStatus status;
  bool operator==(const UnacknowledgedUpdate&) const = default;
};

// Opens the event stream. After an agent restart the executor resends the tasks it was given
// but never saw acknowledged updates for, and every update the agent never acknowledged.
struct Subscribe {
  std::vector<model::TaskInfo> unacknowledged_tasks;
  std::vector<UnacknowledgedUpdate> unacknowledged_updates;
  bool operator==(const Subscribe&) const = default;
};

// A status update: `status.uuid` (16 bytes, made by the executor) and source SOURCE_EXECUTOR.
struct Update {
  model::TaskStatus status;
  bool operator==(const Update&) const = default;
};

// Bytes for the scheduler (best effort).
struct Message {
  std::string data;
  bool operator==(const Message&) const = default;
};

struct Heartbeat {
  bool operator==(const Heartbeat&) const = default;
};

}  // namespace executor_call

struct ExecutorCall {
  model::ExecutorId executor_id;
  model::FrameworkId framework_id;
  using Body = std::variant<executor_call::Subscribe, executor_call::Update, executor_call::Message,
                            executor_call::Heartbeat>;
  Body body;
  bool operator==(const ExecutorCall&) const = default;
};

namespace executor_event {

struct Subscribed {
  model::ExecutorInfo executor_info;
  model::FrameworkInfo framework_info;
  model::AgentInfo agent_info;
  std::optional<model::ContainerId> container_id;
  bool operator==(const Subscribed&) const = default;
};

struct Launch {
  model::TaskInfo task;
  bool operator==(const Launch&) const = default;
};

// LAUNCH_GROUP {task_group {tasks[]}}: the tasks start together or not at all.
struct LaunchGroup {
  std::vector<model::TaskInfo> tasks;
  bool operator==(const LaunchGroup&) const = default;
};

struct Kill {
  model::TaskId task_id;
  std::optional<model::KillPolicy> kill_policy;
  bool operator==(const Kill&) const = default;
};

// The agent has durably recorded the update `uuid` (16 bytes) of `task_id`.
struct Acknowledged {
  model::TaskId task_id;
  std::string uuid;
  bool operator==(const Acknowledged&) const = default;
};

struct Message {
  std::string data;
  bool operator==(const Message&) const = default;
};

struct Error {
  std::string message;
  bool operator==(const Error&) const = default;
};

// Kill every task, send their terminal updates, exit.
struct Shutdown {
  bool operator==(const Shutdown&) const = default;
};

struct Heartbeat {
  bool operator==(const Heartbeat&) const = default;
};

}  // namespace executor_event

struct ExecutorEvent {
  using Body =
      std::variant<executor_event::Subscribed, executor_event::Launch, executor_event::LaunchGroup,
                   executor_event::Kill, executor_event::Acknowledged, executor_event::Message,
                   executor_event::Error, executor_event::Shutdown, executor_event::Heartbeat>;
  Body body;
  bool operator==(const ExecutorEvent&) const = default;
};

}  // namespace atl::api
