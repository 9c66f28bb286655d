// SchedulerRuntime: the imperative shell around marathonlike::ServiceScheduler (`atoll
// scheduler`, and inside `atoll up`). It keeps the scheduler's state in a KvStore
// (<work_dir>/scheduler.db), talks to the master through a SchedulerDriver (the v1 HTTP API of
// a remote master, or in-process structs inside `atoll up`), serves Marathon's /v2 REST API
// (marathonlike::V2Api) and the /v2/events Server-Sent-Events stream. Everything runs on the
// loop thread.
//
// Executing an Output (of a driver callback, a timer, or a REST request), strictly in the
// order the Outputs were produced:
//   1. its durable commands (marathonlike::IsDurable) become store ops (cmd::ToOps) and one
//      KvBatcher op-set; the batcher commits every op-set of a loop turn in one transaction
//      (group commit);
//   2. once committed: driver calls (launch, decline, kill, reconcile, revive, suppress),
//      events to the /v2/events streams, the next wake-up timer;
//   3. last, what depended on it: the HTTP response of the request, the acknowledgement of the
//      status update (acknowledgements are explicit, so an update is acknowledged only once
//      its effect is on disk).
// An Output without durable commands runs at once when nothing is waiting for a commit.
//
// A failed commit is fatal: the scheduler's memory is then ahead of its disk. The requests
// waiting for that commit (and any later one) get 503 {"message"}, nothing more is sent to
// the master, and the runtime stops the loop shortly afterwards (Options::on_fatal decides;
// `atoll scheduler` and `atoll up` exit with status 1). The restart reloads the store, which
// holds every write that was acknowledged.
//
// /v2/events: every client gets event_stream_attached first (published to every stream, as
// Marathon does); `event_type=` filters; each event is serialized once per publication for all
// streams, framed with an increasing `id:`. A client with more than
// Options::max_event_stream_bytes unread is disconnected: a slow reader never stalls the
// scheduler nor grows its memory without bound. A comment line every
// Options::event_heartbeat keeps proxies from closing idle streams.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/status/status.h"
#include "core/api/scheduler_driver.h"
#include "core/base/clock.h"
#include "core/io/event_loop.h"
#include "core/io/http.h"
#include "core/io/http_server.h"
#include "core/io/kv_store.h"
#include "marathonlike/events.h"
#include "marathonlike/service_scheduler.h"
#include "marathonlike/v2_api.h"

namespace atl::cmd {

class MasterRuntime;
class StoreVersionReader;

struct SchedulerRuntimeOptions {
  // The REST API's address and port (0 = any free port; read it back with http_port()).
  std::string http_address = "127.0.0.1";
  uint16_t http_port = 8080;
  // The store lives at <work_dir>/scheduler.db.
  std::string work_dir = "atoll-work/scheduler";
  // FrameworkInfo: name, role (subscribed as MULTI_ROLE with this one role), user (default:
  // the user running the scheduler), failover timeout (Marathon's default: one week), and the
  // hostname advertised (default: http_address, or the machine's name when that is a wildcard).
  std::string framework_name = "marathon";
  std::string role = "*";
  std::string user;
  double failover_timeout_seconds = 7 * 86400.0;
  std::string hostname;
  // The master: "host:port" for the HTTP driver, or `in_process_master` (then `master` is only
  // what /v2/info reports).
  std::string master = "127.0.0.1:5050";
  MasterRuntime* in_process_master = nullptr;
  marathonlike::SchedulerOptions scheduler;
  // A /v2/events client with more unread bytes than this is disconnected.
  size_t max_event_stream_bytes = 4 << 20;
  // Interval of the ":" comment line on /v2/events (zero: none).
  Duration event_heartbeat = Duration::Seconds(15);
  // Called (on the loop, shortly after the failure) once a store commit failed; null stops
  // the loop.
  std::function<void()> on_fatal;
};

class SchedulerRuntime {
 public:
  // `loop`, `clock` (and options.in_process_master) outlive the runtime.
  SchedulerRuntime(io::EventLoop& loop, const Clock& clock, SchedulerRuntimeOptions options);
  ~SchedulerRuntime();
  SchedulerRuntime(const SchedulerRuntime&) = delete;
  SchedulerRuntime& operator=(const SchedulerRuntime&) = delete;

  // Opens and loads the store, recovers the scheduler, serves HTTP and subscribes to the
  // master (with the stored framework id, if any). Errors: the work dir or the store cannot be
  // used (DataLoss when the stored state cannot be read: refusing to start rather than forget
  // tasks), a bad master address, the port cannot be bound. REQUIRES: the loop thread (or the
  // loop not running); called once.
  absl::Status Start();
  // Commits what is pending, closes the streams, stops serving and closes the driver's stream
  // without TEARDOWN (the framework and its tasks outlive the scheduler for the failover
  // timeout). Idempotent. REQUIRES: the loop thread.
  void Stop();

  uint16_t http_port() const;
  // Not OK once a store commit failed; the process should exit non-zero.
  const absl::Status& fatal() const { return fatal_; }
  const marathonlike::ServiceScheduler& scheduler() const { return *scheduler_; }
  size_t event_stream_count() const { return event_streams_.size(); }

 private:
  class DriverCallbacks;
  struct EventStream {
    std::shared_ptr<io::HttpStream> stream;
    marathonlike::EventFilter filter;
    std::string remote_address;
  };
  // What to run once an Output was carried out (OK) or could not be (the fatal status).
  using Then = std::function<void(const absl::Status&)>;

  Timestamp Now() const;
  void Handle(const marathonlike::Input& input, Then then = nullptr);
  // Carries out `out` in order with every other Output (see the file comment).
  void Submit(marathonlike::Output out, Then then);
  void Execute(marathonlike::Output& out);
  void Launch(marathonlike::cmd::Launch& launch);
  void ArmWake(Timestamp at);
  void Publish(const marathonlike::MarathonEvent& event);
  void Fail(const absl::Status& status);
  void OnHttp(const io::HttpRequest& req, std::shared_ptr<io::HttpResponder> responder);
  void OpenEventStream(const io::HttpRequest& req, std::shared_ptr<io::HttpResponder> responder);
  void Heartbeat();

  io::EventLoop& loop_;
  const Clock& clock_;
  SchedulerRuntimeOptions options_;
  std::unique_ptr<io::KvStore> store_;
  std::unique_ptr<io::KvBatcher> batcher_;
  std::unique_ptr<StoreVersionReader> versions_;
  std::unique_ptr<marathonlike::ServiceScheduler> scheduler_;
  std::unique_ptr<marathonlike::V2Api> api_;
  std::unique_ptr<DriverCallbacks> callbacks_;
  std::unique_ptr<api::SchedulerDriver> driver_;
  std::unique_ptr<io::HttpServer> server_;
  // Outputs handed to the batcher and not carried out yet.
  int64_t in_flight_ = 0;
  std::map<uint64_t, EventStream> event_streams_;
  uint64_t next_stream_ = 1;
  uint64_t next_event_id_ = 1;  // set from the clock at start (see OpenEventStream)
  // The last events sent, for clients reconnecting with Last-Event-ID.
  struct RecentEvent {
    uint64_t id = 0;
    std::string type;
    std::string frame;
  };
  static constexpr size_t kRecentEvents = 10000;
  static constexpr size_t kRecentEventBytes = 16 << 20;
  std::deque<RecentEvent> recent_events_;
  size_t recent_bytes_ = 0;
  std::optional<Timestamp> wake_;
  io::EventLoop::TimerId wake_timer_ = 0;
  io::EventLoop::TimerId heartbeat_timer_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  absl::Status fatal_;
  // Answers of GETs of the state, by request target and Accept, valid until the next Output
  // that writes durable state (see OnHttp and Submit).
  static constexpr size_t kGetCacheEntries = 256;
  std::unordered_map<std::string, io::HttpResponse> get_cache_;
  static io::HttpResponse ToHttpResponse(const marathonlike::V2Response& answer);
  // Posted work and timers hold it weakly: nothing runs into a destroyed runtime.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace atl::cmd
