#include "core/cmd/scheduler_runtime.h"

#include <pwd.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <system_error>
#include <utility>

#include "core/api/json.h"
#include "core/base/check.h"
#include "core/base/overloaded.h"
#include "core/base/status.h"
#include "core/base/strings.h"
#include "core/cmd/inprocess_driver.h"
#include "core/cmd/scheduler_store.h"
#include "core/io/http_scheduler_driver.h"

namespace atl::cmd {

namespace m = marathonlike;

namespace {

std::string CurrentUser() {
  if (struct passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  if (const char* user = std::getenv("USER"); user != nullptr && *user != '\0') return user;
  return "root";
}

std::string MachineName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) == 0 && name[0] != '\0') return name;
  return "localhost";
}

std::string MasterAddress(const model::MasterInfo& info) {
  const std::string& host = !info.hostname.empty() ? info.hostname : info.address.ip;
  return StrCat(host, ":", info.port);
}

size_t CountApps(const marathonlike::Group& group) {
  size_t n = group.apps.size();
  for (const auto& [id, g] : group.groups) n += CountApps(g);
  return n;
}

// One line per deployment step, success and failure (the events themselves are on /v2/events).
void LogEvent(const marathonlike::MarathonEvent& event) {
  auto actions = [](const marathonlike::Step& step) {
    std::string out;
    for (const marathonlike::Action& a : step.actions) {
      if (!out.empty()) out += ", ";
      out += StrCat(marathonlike::ActionName(a.type), " ", a.app_id);
    }
    return out;
  };
  std::visit(Overloaded{
                 [&](const marathonlike::DeploymentInfoEvent& e) {
                   spdlog::info("scheduler: deployment {}: step {}", e.plan.id,
                                actions(e.current_step));
                 },
                 [&](const marathonlike::DeploymentSuccessEvent& e) {
                   spdlog::info("scheduler: deployment {} succeeded", e.id);
                 },
                 [&](const marathonlike::DeploymentFailedEvent& e) {
                   spdlog::warn("scheduler: deployment {} failed: {}", e.id,
                                e.reason.value_or("canceled"));
                 },
                 [&](const auto&) {},
             },
             event);
}

std::string JsonMessage(std::string_view message) {
  api::JsonWriter w;
  w.StartObject();
  w.Key("message").String(message);
  w.EndObject();
  return w.Finish();
}

}  // namespace

// Turns driver callbacks into scheduler inputs.
class SchedulerRuntime::DriverCallbacks : public api::Scheduler {
 public:
  explicit DriverCallbacks(SchedulerRuntime& runtime) : r_(runtime) {}

  void Subscribed(api::SchedulerDriver*, const model::FrameworkId& framework_id,
                  const model::MasterInfo& master) override {
    spdlog::info("scheduler: subscribed as framework {} to {}", framework_id.value(),
                 MasterAddress(master));
    r_.Handle(m::in::Subscribed{framework_id.value(), false, MasterAddress(master)});
  }
  void Resubscribed(api::SchedulerDriver* driver, const model::MasterInfo& master) override {
    std::string id = driver->framework_id() ? driver->framework_id()->value() : "";
    spdlog::info("scheduler: re-subscribed as framework {} to {}", id, MasterAddress(master));
    r_.Handle(m::in::Subscribed{id, true, MasterAddress(master)});
  }
  void Disconnected(api::SchedulerDriver*) override {
    spdlog::warn("scheduler: disconnected from the master; re-subscribing");
    r_.Handle(m::in::Disconnected{});
  }
  void ResourceOffers(api::SchedulerDriver*, const std::vector<model::Offer>& offers) override {
    r_.Handle(m::in::Offers{offers});
  }
  void OfferRescinded(api::SchedulerDriver*, const model::OfferId& offer_id) override {
    r_.Handle(m::in::OfferRescinded{offer_id});
  }
  void StatusUpdate(api::SchedulerDriver* driver, const model::TaskStatus& status) override {
    // Acknowledged only once what the update changed is on disk: a crash before that makes
    // the agent resend it.
    r_.Handle(m::in::StatusUpdate{status}, [driver, status](const absl::Status& s) {
      if (!s.ok() || status.uuid.empty() || !status.agent_id) return;
      if (absl::Status a = driver->AcknowledgeStatusUpdate(status); !a.ok()) {
        spdlog::debug("scheduler: cannot acknowledge {} of {}: {}",
                      model::TaskStateName(status.state), status.task_id.value(),
                      std::string(a.message()));
      }
    });
  }
  void FrameworkMessage(api::SchedulerDriver*, const model::ExecutorId& executor_id,
                        const model::AgentId& agent_id, const std::string& data) override {
    m::Output out;
    out.commands.push_back(m::cmd::Publish{
        m::FrameworkMessageEvent{executor_id.value(), agent_id.value(), data, r_.Now()}});
    r_.Submit(std::move(out), nullptr);
  }
  void AgentLost(api::SchedulerDriver*, const model::AgentId& agent_id) override {
    spdlog::warn("scheduler: agent {} lost", agent_id.value());
    r_.Handle(m::in::AgentLost{agent_id});
  }
  void ExecutorLost(api::SchedulerDriver*, const model::ExecutorId& executor_id,
                    const model::AgentId& agent_id, int status) override {
    spdlog::info("scheduler: executor {} on agent {} exited with status {}", executor_id.value(),
                 agent_id.value(), status);
  }
  void Error(api::SchedulerDriver* driver, const std::string& message) override {
    if (driver->state() == api::DriverState::kStopped) {
      spdlog::critical(
          "scheduler: the driver stopped for good: {} (no more offers or status updates; "
          "restart the scheduler)",
          message);
    } else {
      spdlog::warn("scheduler: {}", message);
    }
  }

 private:
  SchedulerRuntime& r_;
};

SchedulerRuntime::SchedulerRuntime(io::EventLoop& loop, const Clock& clock,
                                   SchedulerRuntimeOptions options)
    : loop_(loop), clock_(clock), options_(std::move(options)) {}

SchedulerRuntime::~SchedulerRuntime() {
  if (started_ && !stopped_) Stop();
  if (wake_timer_) loop_.Cancel(wake_timer_);
  if (heartbeat_timer_) loop_.Cancel(heartbeat_timer_);
  // The driver goes before the scheduler and the callbacks it calls.
  driver_.reset();
}

Timestamp SchedulerRuntime::Now() const {
  // Whole milliseconds: app and group versions are stamped with `now`, and Marathon's
  // formats (and the store's keys) keep milliseconds.
  const int64_t ns = clock_.Now().nanoseconds();
  return Timestamp::FromNanoseconds(ns - ns % 1'000'000);
}

uint16_t SchedulerRuntime::http_port() const { return server_ ? server_->port() : 0; }

absl::Status SchedulerRuntime::Start() {
  ATOLL_CHECK(!started_) << "SchedulerRuntime::Start called twice";
  started_ = true;
  // Event ids grow across restarts: a reconnecting client's Last-Event-ID from before a restart
  // is older than every id of this run.
  next_event_id_ = static_cast<uint64_t>(std::max<int64_t>(1, clock_.Now().nanoseconds() / 1000));
  std::error_code ec;
  std::filesystem::create_directories(options_.work_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        StrCat("cannot create the work dir ", options_.work_dir, ": ", ec.message()));
  }
  const std::string path = options_.work_dir + "/scheduler.db";
  ASSIGN_OR_RETURN(store_, io::SqliteKvStore::Open(path));
  absl::StatusOr<m::StoredState> state = LoadState(*store_);
  if (!state.ok()) {
    return absl::DataLossError(StrCat("the scheduler's state in ", path,
                                      " cannot be read (refusing to start rather than forget "
                                      "apps and tasks): ",
                                      state.status().message()));
  }
  batcher_ = std::make_unique<io::KvBatcher>(*store_, loop_);
  versions_ = std::make_unique<StoreVersionReader>(*store_);
  // Ids (instances, deployments) must differ between runs: seed from real randomness.
  std::random_device entropy;
  const uint64_t seed = (static_cast<uint64_t>(entropy()) << 32) ^ entropy() ^
                        static_cast<uint64_t>(clock_.Now().nanoseconds());
  scheduler_ = std::make_unique<m::ServiceScheduler>(options_.scheduler, seed);

  std::string hostname = options_.hostname;
  if (hostname.empty()) {
    hostname = options_.http_address == "0.0.0.0" || options_.http_address == "::"
                   ? MachineName()
                   : options_.http_address;
  }
  // The HTTP server first: /v2/info and FrameworkInfo.webui_url report the bound port.
  io::HttpServer::Options http;
  http.address = options_.http_address;
  http.port = options_.http_port;
  server_ = std::make_unique<io::HttpServer>(
      loop_, http, [this](const io::HttpRequest& req, std::shared_ptr<io::HttpResponder> r) {
        OnHttp(req, std::move(r));
      });
  RETURN_IF_ERROR(server_->Start());

  // The driver, with the stored framework id (a restart takes the framework over).
  api::DriverOptions driver;
  model::FrameworkInfo& info = driver.framework_info;
  info.name = options_.framework_name;
  info.user = options_.user.empty() ? CurrentUser() : options_.user;
  info.roles = {options_.role};
  info.failover_timeout = options_.failover_timeout_seconds;
  info.checkpoint = true;
  info.hostname = hostname;
  info.webui_url = StrCat("http://", hostname, ":", server_->port());
  info.capabilities = {model::FrameworkCapability::kMultiRole,
                       model::FrameworkCapability::kPartitionAware,
                       model::FrameworkCapability::kTaskKillingState};
  if (state->framework_id && !state->framework_id->empty()) {
    info.id = model::FrameworkId(*state->framework_id);
  }
  // Acknowledged by hand once the update's effect is durable (DriverCallbacks::StatusUpdate).
  driver.implicit_acknowledgements = false;
  callbacks_ = std::make_unique<DriverCallbacks>(*this);
  if (options_.in_process_master != nullptr) {
    driver_ = std::make_unique<InProcessSchedulerDriver>(loop_, *options_.in_process_master,
                                                         callbacks_.get(), driver);
  } else {
    io::HttpSchedulerDriver::Options remote;
    std::string host, master_path = remote.path;
    uint16_t port = 5050;
    if (!io::ParseMasterLocation(options_.master, &host, &port, &master_path)) {
      return absl::InvalidArgumentError(
          StrCat("the master '", options_.master, "' is not HOST:PORT"));
    }
    remote.master_host = host;
    remote.master_port = port;
    remote.path = master_path;
    remote.driver = driver;
    driver_ = std::make_unique<io::HttpSchedulerDriver>(loop_, callbacks_.get(), remote);
  }

  m::V2Info v2;
  v2.name = "marathon";
  v2.hostname = hostname;
  v2.http_port = server_->port();
  v2.master = options_.master;
  v2.framework_name = options_.framework_name;
  v2.atoll_version = "0.1.0";
  api_ = std::make_unique<m::V2Api>(*scheduler_, *versions_, v2);

  const size_t apps = CountApps(state->root);
  spdlog::info(
      "scheduler: REST API on http://{}:{}/v2, store {}: {} apps, {} instances, {} "
      "deployments, framework id {}",
      options_.http_address, server_->port(), path, apps, state->instances.size(),
      state->deployments.size(), state->framework_id.value_or("(new)"));
  Handle(m::in::Recover{*std::move(state)});
  if (options_.event_heartbeat > Duration::Zero()) {
    heartbeat_timer_ =
        loop_.RunAfter(options_.event_heartbeat, [this, alive = std::weak_ptr<int>(alive_)] {
          if (alive.expired()) return;
          heartbeat_timer_ = 0;
          Heartbeat();
        });
  }
  RETURN_IF_ERROR(driver_->Start());
  return absl::OkStatus();
}

void SchedulerRuntime::Stop() {
  if (stopped_) return;
  // What was decided is committed (and carried out) before the driver goes.
  if (batcher_ != nullptr && fatal_.ok()) batcher_->Flush();
  stopped_ = true;
  if (batcher_ != nullptr && batcher_->stats().op_sets > 0) {
    const io::KvBatcher::Stats& st = batcher_->stats();
    spdlog::info("scheduler: stopping; the store took {} writes in {} transactions", st.op_sets,
                 st.commits);
  }
  if (driver_ != nullptr) driver_->Stop(/*failover=*/true);
  std::map<uint64_t, EventStream> streams = std::move(event_streams_);
  event_streams_.clear();
  for (auto& [id, s] : streams) s.stream->Close();
  if (server_ != nullptr) server_->Stop();
  if (wake_timer_) loop_.Cancel(wake_timer_);
  wake_timer_ = 0;
  if (heartbeat_timer_) loop_.Cancel(heartbeat_timer_);
  heartbeat_timer_ = 0;
}

void SchedulerRuntime::Handle(const m::Input& input, Then then) {
  if (stopped_ || !fatal_.ok()) return;
  Submit(scheduler_->Handle(input, Now()), std::move(then));
}

void SchedulerRuntime::Submit(m::Output out, Then then) {
  if (!fatal_.ok()) {
    if (then) then(fatal_);
    return;
  }
  std::vector<io::KvStore::Op> ops;
  for (const m::Command& c : out.commands) {
    if (!m::IsDurable(c)) continue;
    std::vector<io::KvStore::Op> more = ToOps(c);
    std::move(more.begin(), more.end(), std::back_inserter(ops));
  }
  if (!ops.empty()) {
    // The state GETs read changed: cached answers are stale.
    get_cache_.clear();
  }
  if (ops.empty() && in_flight_ == 0) {
    // Nothing to wait for: carry it out now (offers are answered without a loop turn's delay).
    Execute(out);
    if (then) then(absl::OkStatus());
    return;
  }
  ++in_flight_;
  // Empty op-sets join the batch too: the batcher completes op-sets in Add order, which keeps
  // this Output behind the ones still waiting for their commit.
  batcher_->Add(std::move(ops),
                [this, alive = std::weak_ptr<int>(alive_), out = std::move(out),
                 then = std::move(then)](absl::StatusOr<std::vector<int64_t>> versions) mutable {
                  if (alive.expired()) return;
                  --in_flight_;
                  if (!versions.ok() && fatal_.ok()) Fail(versions.status());
                  if (!fatal_.ok()) {
                    if (then) then(fatal_);
                    return;
                  }
                  Execute(out);
                  if (then) then(absl::OkStatus());
                });
}

void SchedulerRuntime::Fail(const absl::Status& status) {
  fatal_ = absl::UnavailableError(StrCat("the scheduler cannot write its store (", status.message(),
                                         "); it is stopping and will reload its state on restart"));
  spdlog::critical("scheduler: store commit failed: {}; stopping (the restart reloads the store)",
                   std::string(status.message()));
  if (driver_ != nullptr) driver_->Stop(/*failover=*/true);
  // A moment for the 503s of this turn to reach their clients, then stop.
  loop_.RunAfter(Duration::Milliseconds(200), [this, alive = std::weak_ptr<int>(alive_)] {
    if (alive.expired()) return;
    if (options_.on_fatal) {
      options_.on_fatal();
    } else {
      loop_.Stop();
    }
  });
}

void SchedulerRuntime::Execute(m::Output& out) {
  if (stopped_) return;
  for (m::Command& command : out.commands) {
    std::visit(Overloaded{
                   [&](m::cmd::Launch& l) { Launch(l); },
                   [&](m::cmd::Decline& d) {
                     model::Filters filters{d.refuse.seconds()};
                     if (absl::Status s = driver_->DeclineOffer(d.offer_id, filters); !s.ok()) {
                       spdlog::debug("scheduler: decline {}: {}", d.offer_id.value(),
                                     std::string(s.message()));
                     }
                   },
                   [&](m::cmd::Kill& k) {
                     spdlog::info("scheduler: killing task {}", k.task_id.value());
                     if (absl::Status s = driver_->KillTask(k.task_id, k.agent_id); !s.ok()) {
                       // Resent by the scheduler (kill_retry) until the task is terminal.
                       spdlog::warn("scheduler: cannot kill {} now: {}", k.task_id.value(),
                                    std::string(s.message()));
                     }
                   },
                   [&](m::cmd::Reconcile& r) {
                     if (absl::Status s = driver_->ReconcileTasks(r.tasks); !s.ok()) {
                       spdlog::debug("scheduler: reconcile: {}", std::string(s.message()));
                     }
                   },
                   [&](m::cmd::Revive&) {
                     if (absl::Status s = driver_->ReviveOffers({}); !s.ok()) {
                       spdlog::debug("scheduler: revive: {}", std::string(s.message()));
                     }
                   },
                   [&](m::cmd::Suppress&) {
                     if (absl::Status s = driver_->SuppressOffers({}); !s.ok()) {
                       spdlog::debug("scheduler: suppress: {}", std::string(s.message()));
                     }
                   },
                   [&](m::cmd::Publish& p) { Publish(p.event); },
                   [&](m::cmd::WakeAt& w) { ArmWake(w.at); },
                   [&](auto&) {},  // durable commands are in the store already
               },
               command);
  }
}

void SchedulerRuntime::Launch(m::cmd::Launch& launch) {
  for (const model::TaskInfo& t : launch.tasks) {
    spdlog::info("scheduler: launching {} on {}", t.task_id.value(), t.agent_id.value());
  }
  std::vector<model::TaskInfo> tasks = launch.tasks;
  model::Filters filters{launch.refuse.seconds()};
  absl::Status s = driver_->LaunchTasks(launch.offer_ids, std::move(tasks), filters);
  if (s.ok()) return;
  // Not sent (the driver is not subscribed): like the Mesos driver, report the tasks lost so
  // the scheduler relaunches them, on a later turn (never inside this Output).
  spdlog::warn("scheduler: cannot launch {} task(s): {}", launch.tasks.size(),
               std::string(s.message()));
  for (const model::TaskInfo& t : launch.tasks) {
    model::TaskStatus lost;
    lost.task_id = t.task_id;
    lost.state = model::TaskState::kLost;
    lost.source = model::TaskStatusSource::kMaster;
    lost.reason = model::TaskStatusReason::kMasterDisconnected;
    lost.message = StrCat("the launch was not sent: ", s.message());
    lost.agent_id = t.agent_id;
    loop_.Post([this, alive = std::weak_ptr<int>(alive_), lost] {
      if (!alive.expired()) Handle(m::in::StatusUpdate{lost});
    });
  }
}

void SchedulerRuntime::ArmWake(Timestamp at) {
  if (wake_ && *wake_ <= at && wake_timer_ != 0) return;  // an earlier wake-up is armed
  if (wake_timer_) loop_.Cancel(wake_timer_);
  wake_ = at;
  wake_timer_ = loop_.RunAt(at, [this, alive = std::weak_ptr<int>(alive_)] {
    if (alive.expired()) return;
    wake_.reset();
    wake_timer_ = 0;
    Handle(m::in::Tick{});
  });
}

void SchedulerRuntime::Publish(const m::MarathonEvent& event) {
  const uint64_t id = next_event_id_++;
  const std::string type = m::EventTypeOf(event);
  LogEvent(event);
  // Serialized once, for every stream that wants it and for clients that reconnect with
  // Last-Event-ID (the recent frames are kept, bounded in count and bytes).
  std::string frame = m::SseFrame(event, id);
  recent_bytes_ += frame.size();
  recent_events_.push_back(RecentEvent{id, type, frame});
  while (!recent_events_.empty() &&
         (recent_events_.size() > kRecentEvents || recent_bytes_ > kRecentEventBytes)) {
    recent_bytes_ -= recent_events_.front().frame.size();
    recent_events_.pop_front();
  }
  std::vector<uint64_t> slow;
  for (auto& [sid, s] : event_streams_) {
    if (!s.filter.Matches(type)) continue;
    s.stream->Write(frame);
    if (s.stream->queued_bytes() > options_.max_event_stream_bytes) slow.push_back(sid);
  }
  for (uint64_t sid : slow) {
    auto it = event_streams_.find(sid);
    spdlog::warn("scheduler: /v2/events client {} is too slow ({} bytes unread): disconnected",
                 it->second.remote_address, it->second.stream->queued_bytes());
    it->second.stream->Close();  // OnClose removes it and publishes event_stream_detached
  }
}

void SchedulerRuntime::Heartbeat() {
  for (auto& [sid, s] : event_streams_) s.stream->Write(":\n\n");
  if (stopped_) return;
  heartbeat_timer_ =
      loop_.RunAfter(options_.event_heartbeat, [this, alive = std::weak_ptr<int>(alive_)] {
        if (alive.expired()) return;
        heartbeat_timer_ = 0;
        Heartbeat();
      });
}

io::HttpResponse SchedulerRuntime::ToHttpResponse(const m::V2Response& answer) {
  io::HttpResponse response;
  response.status = answer.status;
  if (!answer.content_type.empty()) {
    response.headers.emplace_back("Content-Type", answer.content_type);
  }
  for (const auto& [name, value] : answer.headers) response.headers.emplace_back(name, value);
  response.body = answer.body;
  return response;
}

void SchedulerRuntime::OnHttp(const io::HttpRequest& req,
                              std::shared_ptr<io::HttpResponder> responder) {
  if (stopped_) {
    responder->Respond(io::HttpResponse::Json(503, JsonMessage("the scheduler is stopping")));
    return;
  }
  if (!fatal_.ok()) {
    responder->Respond(io::HttpResponse::Json(503, JsonMessage(std::string(fatal_.message()))));
    return;
  }
  if (req.path == "/v2/events" && req.method == "GET") {
    OpenEventStream(req, std::move(responder));
    return;
  }
  // Steady-state GETs of the state (no write since) are answered from cached bytes: a big
  // GET /v2/apps?embed=apps.tasks is serialized once per change, not once per request.
  // Time-dependent answers (/v2/queue's delays, /metrics) are never cached.
  const std::string* accept_header = req.Header("Accept");
  std::string cache_key;
  if (req.method == "GET" &&
      (StartsWith(req.path, "/v2/apps") || StartsWith(req.path, "/v2/groups") ||
       StartsWith(req.path, "/v2/tasks") || req.path == "/v2/deployments" ||
       req.path == "/v2/info" || req.path == "/v2/leader" || req.path == "/ping")) {
    cache_key = StrCat(req.target, "\n", accept_header != nullptr ? *accept_header : "");
    auto hit = get_cache_.find(cache_key);
    if (hit != get_cache_.end() && in_flight_ == 0) {
      responder->Respond(hit->second);
      return;
    }
  }
  m::V2Request request;
  request.method = req.method;
  request.path = req.path;
  request.query = req.query_params;
  request.body = req.body;
  request.remote_address = req.remote_address;
  if (accept_header != nullptr) request.accept = *accept_header;
  m::Output out;
  m::V2Response answer = api_->Handle(request, Now(), &out);
  if (!cache_key.empty() && out.commands.empty() && answer.status == 200) {
    if (get_cache_.size() >= kGetCacheEntries) get_cache_.clear();
    get_cache_[cache_key] = ToHttpResponse(answer);
  }
  Submit(std::move(out),
         [responder = std::move(responder), answer = std::move(answer)](const absl::Status& s) {
           if (!s.ok()) {
             responder->Respond(io::HttpResponse::Json(503, JsonMessage(std::string(s.message()))));
             return;
           }
           responder->Respond(ToHttpResponse(answer));
         });
}

void SchedulerRuntime::OpenEventStream(const io::HttpRequest& req,
                                       std::shared_ptr<io::HttpResponder> responder) {
  std::vector<std::string> types;
  for (const auto& [name, value] : req.query_params) {
    if (name == "event_type") types.push_back(value);
  }
  std::shared_ptr<io::HttpStream> stream = responder->StartStream(
      200, {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}});
  if (!stream->open()) return;
  const uint64_t sid = next_stream_++;
  const std::string remote = req.remote_address;
  // A client reconnecting with Last-Event-ID first gets the events it missed (those still
  // kept), beyond Marathon. Ids start at the scheduler's start time in microseconds, so they
  // keep growing across restarts.
  std::optional<uint64_t> last_seen;
  if (const std::string* last = req.Header("Last-Event-ID")) {
    uint64_t v = 0;
    if (ParseUint64(Strip(*last), &v)) last_seen = v;
  }
  spdlog::info("scheduler: /v2/events client {} attached", remote);
  // Joins the fan-out in order with the Outputs before it, and its own attached event is the
  // first it sees.
  m::Output none;
  Submit(std::move(none), [this, sid, stream, remote, last_seen,
                           filter = m::EventFilter(types)](const absl::Status& s) mutable {
    if (!s.ok() || stopped_) {
      stream->Close();
      return;
    }
    if (!stream->open()) return;
    if (last_seen) {
      for (const RecentEvent& e : recent_events_) {
        if (e.id > *last_seen && filter.Matches(e.type)) stream->Write(e.frame);
      }
    }
    event_streams_[sid] = EventStream{stream, std::move(filter), remote};
    stream->OnClose([this, alive = std::weak_ptr<int>(alive_), sid] {
      if (alive.expired()) return;
      auto it = event_streams_.find(sid);
      if (it == event_streams_.end()) return;
      std::string remote = it->second.remote_address;
      event_streams_.erase(it);
      spdlog::info("scheduler: /v2/events client {} detached", remote);
      if (stopped_) return;
      m::Output out;
      out.commands.push_back(m::cmd::Publish{m::EventStreamDetached{remote, Now()}});
      Submit(std::move(out), nullptr);
    });
    Publish(m::EventStreamAttached{remote, Now()});
  });
}

}  // namespace atl::cmd
