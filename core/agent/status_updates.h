// StatusUpdateStreams: the agent side of reliable status updates (reference/mesos.md §4.3).
// Each task has a stream of updates, oldest first. Only the head of a stream is forwarded to
// the master; it is resent with exponential backoff until the master relays the scheduler's
// acknowledgement, then the next update goes out. So a task's updates reach the scheduler in
// order and at least once. Shared by the real agent and the simulated one. Deterministic.
#pragma once

#include <deque>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "core/api/agent_protocol.h"
#include "core/base/time.h"

namespace atl::agent {

using TaskKey = std::pair<model::FrameworkId, model::TaskId>;

class StatusUpdateStreams {
 public:
  // Mesos: 10 s doubling to 10 min.
  StatusUpdateStreams(Duration retry_initial, Duration retry_max)
      : retry_initial_(retry_initial), retry_max_(retry_max) {}

  // Appends `status` (uuid set) to the task's stream. When it is the head and `connected`, it is
  // forwarded at once (appended to `out`). Duplicates (same uuid already queued) are dropped;
  // returns false for them.
  bool Add(const TaskKey& key, model::TaskStatus status, Timestamp now, bool connected,
           std::vector<api::AgentToMaster>& out);

  enum class Ack {
    kIgnored,  // unknown task, or not the head's uuid (a stale or duplicate acknowledgement)
    kPopped,   // the head was removed; the next one (if any) was forwarded
  };
  // The scheduler acknowledged `uuid`. On kPopped with an empty stream the stream is erased.
  Ack Acknowledge(const TaskKey& key, const std::string& uuid, Timestamp now, bool connected,
                  std::vector<api::AgentToMaster>& out);

  // After (re-)registration: forwards every stream's head (in key order), backoff reset.
  void ForwardAll(Timestamp now, std::vector<api::AgentToMaster>& out);

  // Resends heads whose retry time has come (backoff doubles, capped) while `connected`.
  void Tick(Timestamp now, bool connected, std::vector<api::AgentToMaster>& out);

  // The earliest retry deadline, if any.
  std::optional<Timestamp> next_wake() const;

  // The unacknowledged updates of a task, oldest first (nullptr: none).
  const std::deque<model::TaskStatus>* Pending(const TaskKey& key) const;
  bool Contains(const TaskKey& key, const std::string& uuid) const;
  // Drops a task's stream (its updates will never be delivered).
  void Erase(const TaskKey& key);
  size_t pending_updates() const;
  size_t streams() const { return streams_.size(); }

 private:
  struct KeyHash {
    size_t operator()(const TaskKey& k) const { return absl::HashOf(k.first, k.second); }
  };
  struct Stream {
    std::deque<model::TaskStatus> pending;
    Duration backoff;
    std::optional<Timestamp> retry_at;
  };
  void SendHead(const TaskKey& key, Stream& s, Timestamp now, std::vector<api::AgentToMaster>& out);
  void SetRetry(const TaskKey& key, Stream& s, std::optional<Timestamp> at);

  Duration retry_initial_;
  Duration retry_max_;
  absl::node_hash_map<TaskKey, Stream, KeyHash> streams_;
  std::set<std::pair<Timestamp, TaskKey>> retries_;
};

}  // namespace atl::agent
