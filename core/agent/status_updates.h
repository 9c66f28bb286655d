// StatusUpdateStreams: the agent side of reliable status updates (reference/mesos.md §4.3).
// Each task has a stream of updates, oldest first. Only the head of a stream is forwarded to
// the master; it is resent with exponential backoff until the master relays the scheduler's
// acknowledgement, then the next update goes out. So a task's updates reach the scheduler in
// order and at least once. Shared by the real agent and the simulated one. Deterministic.
#pragma once

#include <cstdint>
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
  // Like Tick, but handles only the earliest retry, if it is due; returns false if none is.
  // Lets a caller interleave retries with timers of its own in (deadline, task) order.
  bool TickOne(Timestamp now, bool connected, std::vector<api::AgentToMaster>& out);

  // The earliest retry deadline, if any.
  std::optional<Timestamp> next_wake() const;
  struct Retry {
    Timestamp at;
    const TaskKey* key;  // the stream's own key: no copy per timer
  };
  // The earliest retry (nullptr: none). Valid until the next change.
  const Retry* next_retry() const { return retries_.empty() ? nullptr : &*retries_.begin(); }

  // The unacknowledged updates of a task, oldest first (nullptr: none).
  const std::vector<model::TaskStatus>* Pending(const TaskKey& key) const;
  bool Contains(const TaskKey& key, const std::string& uuid) const;
  // Drops a task's stream (its updates will never be delivered).
  void Erase(const TaskKey& key);
  size_t pending_updates() const;
  size_t streams() const { return streams_.size(); }

 private:
  struct KeyHash {
    size_t operator()(const TaskKey& k) const { return absl::HashOf(k.first, k.second); }
  };
  // Deadlines are now + a positive backoff, never this.
  static constexpr Timestamp kNoRetry = Timestamp::FromNanoseconds(INT64_MIN);
  struct Stream {
    // Oldest first; a few at most. A vector: a one-element std::deque costs a map and two
    // nodes, and a busy agent has a stream per recently changed task.
    std::vector<model::TaskStatus> pending;
    Duration backoff;
    Timestamp retry_at = kNoRetry;
  };
  // (deadline, task) order; keys compared by value, so any equal key finds an entry.
  struct RetryOrder {
    bool operator()(const Retry& a, const Retry& b) const {
      return a.at != b.at ? a.at < b.at : *a.key < *b.key;
    }
  };
  // `key` is always the stream's own key in streams_ (node_hash_map: its address is stable).
  void SendHead(const TaskKey& key, Stream& s, Timestamp now, std::vector<api::AgentToMaster>& out);
  void SetRetry(const TaskKey& key, Stream& s, std::optional<Timestamp> at);

  Duration retry_initial_;
  Duration retry_max_;
  absl::node_hash_map<TaskKey, Stream, KeyHash> streams_;
  std::set<Retry, RetryOrder> retries_;  // a stream's entry is removed before the stream
};

}  // namespace atl::agent
