// The deterministic cluster of tests/sim and bench/: one master, N simulated agents and
// scripted frameworks, a fake clock and one event queue ordered by (time, sequence). Messages
// travel as in-process structs (no JSON), delivered after `network_delay`.
//
// After every event it checks the master's safety invariants (see core/master/master.h) and
// records violations as text; tests assert that `violations()` is empty.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "core/agent/simulated_agent.h"
#include "core/base/clock.h"
#include "core/master/master.h"

namespace atl::sim {

class SimCluster {
 public:
  struct Options {
    master::Options master;
    int agents = 3;
    // Resources of each agent; attributes rack:r<i % racks>, zone:z<i % zones>.
    std::string agent_resources = "cpus:4;mem:8192;disk:10000;ports:[31000-32000]";
    int racks = 3;
    int zones = 3;
    agent::SimulatedAgentOptions agent;
    Duration network_delay = Duration::Zero();
    bool check_invariants = true;
    uint64_t seed = 1;
  };

  // A scripted framework: sees every event; `on_event` may issue calls.
  struct Framework {
    master::ConnId conn = 0;
    std::string stream_id;
    std::optional<model::FrameworkId> id;
    model::FrameworkInfo info;
    bool subscribed = false;
    bool closed = false;
    std::vector<api::Event> events;
    std::function<void(Framework&, const api::Event&)> on_event;
    // Offers received and not yet used, declined or rescinded.
    std::map<model::OfferId, model::Offer> live_offers;
    std::vector<model::OfferId> rescinded;
    size_t CountEvents(std::string_view type) const;
    std::vector<model::TaskStatus> Updates() const;
  };

  explicit SimCluster(Options options);

  FakeClock& clock() { return clock_; }
  Timestamp now() const { return clock_.Now(); }
  master::Master& master() { return *master_; }
  agent::SimulatedAgent& agent(int i) { return *agents_[i].sim; }
  int agent_count() const { return static_cast<int>(agents_.size()); }

  // Subscribes a new framework (or re-subscribes `existing` with its id).
  Framework& AddFramework(model::FrameworkInfo info, std::vector<std::string> suppressed = {});
  void Resubscribe(Framework& fw);
  // Sends a call on the framework's stream; returns the HTTP status the master answered.
  int Call(Framework& fw, api::Call::Body body);
  // Convenience calls.
  int Accept(Framework& fw, std::vector<model::OfferId> offers,
             std::vector<model::Operation> operations, std::optional<double> refuse_seconds = {});
  int Decline(Framework& fw, std::vector<model::OfferId> offers,
              std::optional<double> refuse_seconds = {});
  // Launches one command task per given (offer, resources) using `command`.
  static model::Operation LaunchOp(std::vector<model::TaskInfo> tasks);
  static model::TaskInfo MakeTask(const std::string& id, const model::Offer& offer,
                                  const std::string& resources,
                                  const std::string& command = "sleep");
  // Acknowledges every update carrying a uuid as it arrives.
  static void AutoAcknowledge(SimCluster& c, Framework& fw, const api::Event& e);

  void CloseStream(Framework& fw);
  void DisconnectAgent(int i);
  void ReconnectAgent(int i);
  // A network partition: the connection stays up but nothing crosses it either way.
  void SetAgentPartitioned(int i, bool partitioned);
  // A new master from the persisted registry; every connection drops (frameworks must
  // re-subscribe, agents re-register — agents do so at once).
  void RestartMaster();
  void UpdateWeights(std::map<std::string, double> weights);
  void UpdateQuota(const std::string& role, allocator::Quota quota);
  void UpdateQuotas(std::map<std::string, allocator::Quota> quotas);

  // Processes events until the clock would pass now + d.
  void RunFor(Duration d);
  // Processes events until `done()` or `limit` of simulated time passes; returns done().
  bool RunUntil(const std::function<bool()>& done, Duration limit = Duration::Minutes(10));

  const std::vector<std::string>& violations() const { return violations_; }
  uint64_t events_processed() const { return events_processed_; }

 private:
  struct AgentSlot {
    std::unique_ptr<agent::SimulatedAgent> sim;
    master::ConnId conn = 0;
    bool connected = false;
    bool partitioned = false;
    std::optional<Timestamp> wake;
  };
  struct Event {
    Timestamp at;
    uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  void Schedule(Timestamp at, std::function<void()> fn);
  bool Step(Timestamp limit);
  void ApplyMaster(master::Output out);
  void ApplyAgent(int i, agent::SimulatedAgent::Output out);
  void DeliverEvent(master::ConnId conn, const api::Event& event);
  void ConnectAgent(int i);
  void CheckInvariants();

  Options options_;
  FakeClock clock_;
  std::unique_ptr<master::Master> master_;
  master::Registry persisted_;
  std::vector<AgentSlot> agents_;
  std::map<master::ConnId, int> agent_by_conn_;
  std::vector<std::unique_ptr<Framework>> frameworks_;
  std::map<master::ConnId, Framework*> framework_by_conn_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
  std::optional<Timestamp> master_wake_;
  uint64_t seq_ = 0;
  master::ConnId next_conn_ = 1;
  uint64_t events_processed_ = 0;
  std::vector<std::string> violations_;
};

}  // namespace atl::sim
