// The C++ framework API: a `Scheduler` receives callbacks, a `SchedulerDriver` turns method
// calls into v1 scheduler Calls. This is the old Mesos C++ driver's shape
// (reference/mesos.md §3) on top of the v1 protocol:
//
//   class MyScheduler : public api::Scheduler { ... };
//   MyScheduler scheduler;
//   io::HttpSchedulerDriver driver(loop, &scheduler, {.driver = {.framework_info = info},
//                                                     .master_host = "10.0.0.5"});
//   driver.Start();
//   loop.Run();
//
// Two transports implement it: cmd::InProcessSchedulerDriver (inside `atoll up`, structs
// without JSON) and io::HttpSchedulerDriver (the v1 HTTP API of a remote master). Both derive
// from api::SchedulerDriverBase, which holds everything that does not depend on the transport.
//
// Threading: a driver and its scheduler live on one EventLoop thread. Callbacks run on that
// thread, one at a time, never inside a driver method, so a callback may call any driver
// method (including Stop) but must not destroy the driver.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/base/time.h"
#include "core/model/info.h"

namespace atl::api {

class SchedulerDriver;

// Framework callbacks. The ones every framework must handle are pure; the rest default to
// doing nothing.
class Scheduler {
 public:
  virtual ~Scheduler() = default;

  // The first SUBSCRIBED this driver receives (a new framework, or this process taking over an
  // existing framework id given in DriverOptions::framework_info.id). Mesos: registered().
  virtual void Subscribed(SchedulerDriver* driver, const model::FrameworkId& framework_id,
                          const model::MasterInfo& master_info) = 0;

  // Every later SUBSCRIBED: the driver lost its stream and re-subscribed with the framework id.
  // Offers made before the disconnection are void; tasks kept running (within the framework's
  // failover_timeout). A good moment to reconcile. Mesos: reregistered().
  virtual void Resubscribed(SchedulerDriver* driver, const model::MasterInfo& master_info);

  // The event stream of a subscribed driver ended (closed by the master, broken, or silent for
  // DriverOptions::missed_heartbeats heartbeat intervals). Outstanding offers are void. The
  // driver re-subscribes by itself with backoff; calls fail until then.
  virtual void Disconnected(SchedulerDriver* driver);

  // OFFERS. Answer each offer with AcceptOffers/LaunchTasks or DeclineOffer; an unanswered
  // offer holds its resources until the master rescinds it.
  virtual void ResourceOffers(SchedulerDriver* driver, const std::vector<model::Offer>& offers) = 0;

  // RESCIND: the offer is no longer valid; using it answers its tasks with TASK_LOST.
  virtual void OfferRescinded(SchedulerDriver* driver, const model::OfferId& offer_id);

  // INVERSE_OFFERS and RESCIND_INVERSE_OFFER (maintenance).
  virtual void InverseOffers(SchedulerDriver* driver,
                             const std::vector<model::InverseOffer>& inverse_offers);
  virtual void InverseOfferRescinded(SchedulerDriver* driver, const model::OfferId& id);

  // UPDATE. With implicit acknowledgements (the default) the driver acknowledges the update
  // when this returns, if it carries a uuid and an agent id and the driver is still subscribed
  // on the stream it came from.
  virtual void StatusUpdate(SchedulerDriver* driver, const model::TaskStatus& status) = 0;

  // MESSAGE from an executor (best effort, raw bytes).
  virtual void FrameworkMessage(SchedulerDriver* driver, const model::ExecutorId& executor_id,
                                const model::AgentId& agent_id, const std::string& data);

  // FAILURE with only an agent id: the agent was removed. Mesos: slaveLost().
  virtual void AgentLost(SchedulerDriver* driver, const model::AgentId& agent_id);

  // FAILURE with an executor id: a custom executor exited with `status` (-1 if the master did
  // not say). `agent_id` is empty if the master did not say.
  virtual void ExecutorLost(SchedulerDriver* driver, const model::ExecutorId& executor_id,
                            const model::AgentId& agent_id, int status);

  // Two kinds of errors, told apart by driver->state():
  //  - fatal (state() == kStopped): an ERROR event (subscription refused, "Framework failed
  //    over" because another scheduler took the id over), a SUBSCRIBE answered with a 4xx, or a
  //    master that broke the protocol (e.g. a Mesos-Stream-Id that is not a UUID). The driver
  //    has stopped and will not reconnect.
  //  - a rejected call (state() unchanged): the master answered a call with a non-2xx status,
  //    or the call could not be delivered. `message` names the call type, status and reason.
  virtual void Error(SchedulerDriver* driver, const std::string& message) = 0;
};

enum class DriverState {
  kNotStarted,    // before Start()
  kConnecting,    // SUBSCRIBE sent (or being sent); waiting for SUBSCRIBED
  kSubscribed,    // SUBSCRIBED received on the current stream: calls can be sent
  kDisconnected,  // the stream ended; a re-subscription is scheduled
  kStopped,       // Stop() was called, or a fatal error happened; terminal
};

std::string_view DriverStateName(DriverState state);  // "SUBSCRIBED", ...

// Transport-independent driver options; each transport's Options embeds one.
struct DriverOptions {
  // Sent in SUBSCRIBE. `user` and `name` are required by the master. Set `id` to take over an
  // existing framework (scheduler failover). Set `failover_timeout` > 0 for tasks to survive a
  // disconnection (0, the default, makes the master tear the framework down when the stream
  // breaks, so reconnecting finds it gone).
  model::FrameworkInfo framework_info;
  // Roles to subscribe suppressed. SuppressOffers/ReviveOffers update this set, so a
  // re-subscription keeps the framework's suppression.
  std::vector<std::string> suppressed_roles;
  // Acknowledge each status update (with a uuid and an agent id) when StatusUpdate() returns.
  // When false, the scheduler must call AcknowledgeStatusUpdate itself, or the agent resends
  // the update and holds back the task's later ones.
  bool implicit_acknowledgements = true;
  // The stream is judged dead after this many heartbeat intervals without any event (the
  // interval comes from SUBSCRIBED; 15 s before it). Used by transports that can go silent.
  int missed_heartbeats = 5;
  // Re-subscription delay after a lost stream or a failed attempt: initial, doubling per
  // consecutive failure, capped. Reset by a SUBSCRIBED.
  Duration reconnect_backoff_initial = Duration::Milliseconds(500);
  Duration reconnect_backoff_max = Duration::Seconds(15);
};

// The driver interface a Scheduler talks to. Methods that send a call return:
//   OK                  the call was handed to the transport (the master answers
//                       asynchronously; a rejection comes back through Scheduler::Error)
//   FailedPrecondition  the driver is not subscribed (nothing is sent: offers died with the
//                       stream; re-issue after Subscribed/Resubscribed), or the method does not
//                       apply (AcknowledgeStatusUpdate with implicit acknowledgements)
//   InvalidArgument     the arguments cannot make a valid call (e.g. acknowledging an update
//                       without a uuid)
// REQUIRES (all methods): the driver's loop thread.
class SchedulerDriver {
 public:
  virtual ~SchedulerDriver() = default;

  // Opens the event stream (SUBSCRIBE). Fails with FailedPrecondition if already started.
  virtual absl::Status Start() = 0;

  // Ends the driver; idempotent, and the driver is then kStopped for good. failover=false
  // sends TEARDOWN first if subscribed (the master kills every task and forgets the
  // framework); failover=true only closes the stream, so the framework stays registered for
  // its failover_timeout and another scheduler may take its id over.
  virtual void Stop(bool failover) = 0;

  // ACCEPT: applies `operations` in order to the pooled offers (all on one agent). Unused
  // resources are declined with `filters` (refuse_seconds unset = the master's default, 5 s).
  virtual absl::Status AcceptOffers(const std::vector<model::OfferId>& offer_ids,
                                    std::vector<model::Operation> operations,
                                    const model::Filters& filters) = 0;

  // ACCEPT with one LAUNCH of `tasks` (none = decline the offers).
  virtual absl::Status LaunchTasks(const std::vector<model::OfferId>& offer_ids,
                                   std::vector<model::TaskInfo> tasks,
                                   const model::Filters& filters) = 0;

  // DECLINE: returns the offer; `filters.refuse_seconds` keeps its agent away from this
  // framework that long (use a long one for resources you will not need).
  virtual absl::Status DeclineOffer(const model::OfferId& offer_id,
                                    const model::Filters& filters) = 0;

  // KILL. An unknown task is answered by reconciliation (TASK_LOST / TASK_UNKNOWN).
  virtual absl::Status KillTask(const model::TaskId& task_id,
                                const std::optional<model::AgentId>& agent_id) = 0;

  // ACKNOWLEDGE an update from StatusUpdate(). FailedPrecondition with implicit
  // acknowledgements; InvalidArgument without a uuid (master-generated updates are never
  // acknowledged) or without an agent id.
  virtual absl::Status AcknowledgeStatusUpdate(const model::TaskStatus& status) = 0;

  // RECONCILE: explicit for the given tasks (task_id and agent_id of each status are used),
  // implicit (every task the master knows of the framework) when `statuses` is empty.
  virtual absl::Status ReconcileTasks(const std::vector<model::TaskStatus>& statuses) = 0;

  // REVIVE / SUPPRESS offers for `roles` (empty = every subscribed role). REVIVE also clears
  // the framework's decline filters.
  virtual absl::Status ReviveOffers(const std::vector<std::string>& roles) = 0;
  virtual absl::Status SuppressOffers(const std::vector<std::string>& roles) = 0;

  // MESSAGE to an executor (best effort, raw bytes).
  virtual absl::Status SendFrameworkMessage(const model::ExecutorId& executor_id,
                                            const model::AgentId& agent_id, std::string data) = 0;

  // The framework id: from DriverOptions::framework_info.id until the first SUBSCRIBED, then
  // the one the master assigned. Unset for a new framework not yet subscribed.
  virtual std::optional<model::FrameworkId> framework_id() const = 0;

  virtual DriverState state() const = 0;
};

}  // namespace atl::api
