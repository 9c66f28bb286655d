// The C++ framework API end to end: a Scheduler on both driver transports against a real
// MasterRuntime (HTTP server on 127.0.0.1:0, simulated agents), plus the HTTP driver against
// small fake masters for redirects, protocol violations and silent streams.
// Everything runs on one EventLoop; RunUntil polls a condition from loop timers, with a safety
// timeout, so nothing sleeps.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/api/json_scheduler.h"
#include "core/api/recordio.h"
#include "core/api/scheduler_driver.h"
#include "core/base/strings.h"
#include "core/base/uuid.h"
#include "core/cmd/inprocess_driver.h"
#include "core/cmd/master_runtime.h"
#include "core/io/event_loop.h"
#include "core/io/http_client.h"
#include "core/io/http_scheduler_driver.h"
#include "core/io/http_server.h"
#include "core/io/real_clock.h"

namespace atl {
namespace {

using api::DriverState;
using model::TaskState;

constexpr Duration kSafety = Duration::Seconds(10);

// Runs `loop` until `done()` holds (checked every 5 ms) or `timeout` passes; true if it held.
bool RunUntil(io::EventLoop& loop, const std::function<bool()>& done, Duration timeout = kSafety) {
  bool held = false;
  io::EventLoop::TimerId poll = 0;
  std::function<void()> check = [&] {
    poll = 0;
    if (done()) {
      held = true;
      loop.Stop();
      return;
    }
    poll = loop.RunAfter(Duration::Milliseconds(5), check);
  };
  poll = loop.RunAfter(Duration::Zero(), check);
  const io::EventLoop::TimerId safety = loop.RunAfter(timeout, [&] { loop.Stop(); });
  loop.Run();
  if (poll != 0) loop.Cancel(poll);
  loop.Cancel(safety);
  return held;
}

// Runs `fn` on the loop thread (driver and client methods require it).
void OnLoop(io::EventLoop& loop, std::function<void()> fn) {
  bool ran = false;
  loop.Post([&] {
    fn();
    ran = true;
  });
  ASSERT_TRUE(RunUntil(loop, [&] { return ran; }));
}

api::DriverOptions DriverOptions(std::string name) {
  api::DriverOptions o;
  o.framework_info.user = "tester";
  o.framework_info.name = std::move(name);
  o.framework_info.failover_timeout = 60;
  o.reconnect_backoff_initial = Duration::Milliseconds(10);
  return o;
}

// Launches `tasks` command tasks (0.1 cpus, 32 MB), several per offer, declines other offers
// for an hour, and records everything it hears.
class TaskScheduler : public api::Scheduler {
 public:
  explicit TaskScheduler(int tasks) : tasks_(tasks) {}

  int subscribed = 0, resubscribed = 0, disconnected = 0, declined = 0;
  std::optional<model::FrameworkId> framework_id;
  std::vector<std::string> errors;
  std::vector<DriverState> error_states;  // driver state seen inside each Error()
  std::map<std::string, TaskState> states;
  std::map<std::string, model::AgentId> agents;

  int Count(TaskState state) const {
    int n = 0;
    for (const auto& [id, s] : states) n += s == state ? 1 : 0;
    return n;
  }

  void Subscribed(api::SchedulerDriver*, const model::FrameworkId& id,
                  const model::MasterInfo&) override {
    ++subscribed;
    framework_id = id;
  }
  void Resubscribed(api::SchedulerDriver*, const model::MasterInfo&) override { ++resubscribed; }
  void Disconnected(api::SchedulerDriver*) override { ++disconnected; }
  void ResourceOffers(api::SchedulerDriver* driver,
                      const std::vector<model::Offer>& offers) override {
    const model::Scalar cpus = model::Scalar::FromDouble(0.1);
    const model::Scalar mem = model::Scalar::FromMilli(32000);
    for (const model::Offer& offer : offers) {
      model::Scalar cpus_left = offer.resources.GetScalar("cpus");
      model::Scalar mem_left = offer.resources.GetScalar("mem");
      std::vector<model::TaskInfo> tasks;
      while (launched_ < tasks_ && cpus_left >= cpus && mem_left >= mem) {
        model::TaskInfo task;
        task.task_id = model::TaskId(StrCat("task-", launched_++));
        task.name = task.task_id.value();
        task.agent_id = offer.agent_id;
        task.resources = model::Resources{model::Resource::MakeScalar("cpus", cpus),
                                          model::Resource::MakeScalar("mem", mem)};
        task.command = model::CommandInfo{};
        task.command->value = "sleep 1000";
        states[task.task_id.value()] = TaskState::kStaging;
        agents[task.task_id.value()] = offer.agent_id;
        tasks.push_back(std::move(task));
        cpus_left -= cpus;
        mem_left -= mem;
      }
      if (tasks.empty()) {
        ++declined;
        EXPECT_TRUE(driver->DeclineOffer(offer.id, model::Filters{3600.0}).ok());
      } else {
        EXPECT_TRUE(driver->LaunchTasks({offer.id}, std::move(tasks), model::Filters{}).ok());
      }
    }
  }
  void StatusUpdate(api::SchedulerDriver*, const model::TaskStatus& status) override {
    states[status.task_id.value()] = status.state;
  }
  void Error(api::SchedulerDriver* driver, const std::string& message) override {
    errors.push_back(message);
    error_states.push_back(driver->state());
  }

 private:
  int tasks_;
  int launched_ = 0;
};

// A master on 127.0.0.1:0 with three simulated agents of 2 cpus / 2 GB each.
class FrameworkApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    master::Options options;
    options.allocation_interval = Duration::Milliseconds(20);
    runtime_ = std::make_unique<cmd::MasterRuntime>(loop_, clock_, options, nullptr);
    io::HttpServer::Options http;
    http.address = "127.0.0.1";
    http.port = 0;
    ASSERT_TRUE(runtime_->Start(http).ok());
    runtime_->AddSimulatedAgents(
        3, model::Resources::Parse("cpus:2;mem:2048;disk:4096;ports:[31000-32000]").value(), 1, 1,
        agent::SimulatedAgentOptions{}, "agent");
  }
  void TearDown() override {
    if (runtime_) runtime_->Stop();
  }

  io::HttpSchedulerDriver::Options HttpOptions(std::string name) {
    io::HttpSchedulerDriver::Options o;
    o.driver = DriverOptions(std::move(name));
    o.master_host = "127.0.0.1";
    o.master_port = runtime_->port();
    return o;
  }

  const master::Framework* FindFramework(const model::FrameworkId& id) const {
    auto it = runtime_->master().frameworks().find(id);
    return it == runtime_->master().frameworks().end() ? nullptr : &it->second;
  }

  // Starts `driver`, waits for 5 tasks RUNNING, kills task-0 and waits for it to be KILLED.
  void LaunchAndKill(api::SchedulerDriver& driver, TaskScheduler& scheduler) {
    OnLoop(loop_, [&] { ASSERT_TRUE(driver.Start().ok()); });
    ASSERT_TRUE(RunUntil(loop_, [&] { return scheduler.Count(TaskState::kRunning) == 5; }))
        << "running: " << scheduler.Count(TaskState::kRunning);
    EXPECT_EQ(scheduler.subscribed, 1);
    ASSERT_TRUE(scheduler.framework_id.has_value());
    EXPECT_EQ(driver.framework_id(), scheduler.framework_id);
    EXPECT_EQ(driver.state(), DriverState::kSubscribed);
    EXPECT_GE(scheduler.declined, 1);  // the other agents' offers
    // Implicit acknowledgements let every update through: the agents hold none back.
    EXPECT_EQ(runtime_->master().TaskStateCounts()["TASK_RUNNING"], 5u);

    OnLoop(loop_, [&] {
      EXPECT_TRUE(driver.KillTask(model::TaskId("task-0"), scheduler.agents["task-0"]).ok());
    });
    ASSERT_TRUE(RunUntil(loop_, [&] { return scheduler.states["task-0"] == TaskState::kKilled; }));
    EXPECT_EQ(scheduler.Count(TaskState::kRunning), 4);
    EXPECT_TRUE(scheduler.errors.empty()) << scheduler.errors.front();
  }

  // Stop(false) sends TEARDOWN: the master forgets the framework and kills its tasks.
  void StopTearsDown(api::SchedulerDriver& driver, TaskScheduler& scheduler) {
    OnLoop(loop_, [&] { driver.Stop(/*failover=*/false); });
    EXPECT_EQ(driver.state(), DriverState::kStopped);
    ASSERT_TRUE(RunUntil(loop_, [&] { return runtime_->master().frameworks().empty(); }));
    EXPECT_EQ(runtime_->master().task_count(), 0u);
    ASSERT_FALSE(runtime_->master().completed_frameworks().empty());
    EXPECT_EQ(runtime_->master().completed_frameworks().back().id, *scheduler.framework_id);
  }

  io::EventLoop loop_;
  io::RealClock clock_;
  std::unique_ptr<cmd::MasterRuntime> runtime_;
};

// ---- (a) the in-process transport ----

TEST_F(FrameworkApiTest, InProcessDriverLaunchesRunsAndKillsTasks) {
  TaskScheduler scheduler(5);
  cmd::InProcessSchedulerDriver driver(loop_, *runtime_, &scheduler, DriverOptions("inproc"));
  LaunchAndKill(driver, scheduler);
  EXPECT_FALSE(driver.stream_id().empty());
}

// ---- (b) the HTTP transport against the real port ----

TEST_F(FrameworkApiTest, HttpDriverLaunchesRunsAndKillsTasks) {
  TaskScheduler scheduler(5);
  io::HttpSchedulerDriver driver(loop_, &scheduler, HttpOptions("http"));
  LaunchAndKill(driver, scheduler);
  EXPECT_TRUE(UuidFromString(driver.stream_id()).ok()) << driver.stream_id();
}

// ---- (c) Stop(false) tears the framework down; Stop(true) leaves it registered ----

TEST_F(FrameworkApiTest, InProcessStopWithoutFailoverTearsTheFrameworkDown) {
  TaskScheduler scheduler(5);
  cmd::InProcessSchedulerDriver driver(loop_, *runtime_, &scheduler, DriverOptions("inproc"));
  LaunchAndKill(driver, scheduler);
  StopTearsDown(driver, scheduler);
}

TEST_F(FrameworkApiTest, HttpStopWithoutFailoverTearsTheFrameworkDown) {
  TaskScheduler scheduler(5);
  io::HttpSchedulerDriver driver(loop_, &scheduler, HttpOptions("http"));
  LaunchAndKill(driver, scheduler);
  StopTearsDown(driver, scheduler);
  EXPECT_TRUE(RunUntil(loop_, [&] { return !driver.stream_open(); }));
}

TEST_F(FrameworkApiTest, StopWithFailoverLeavesTheFrameworkAndItsTasks) {
  TaskScheduler scheduler(2);
  io::HttpSchedulerDriver driver(loop_, &scheduler, HttpOptions("http"));
  OnLoop(loop_, [&] { ASSERT_TRUE(driver.Start().ok()); });
  ASSERT_TRUE(RunUntil(loop_, [&] { return scheduler.Count(TaskState::kRunning) == 2; }));
  OnLoop(loop_, [&] { driver.Stop(/*failover=*/true); });
  ASSERT_TRUE(RunUntil(loop_, [&] {
    const master::Framework* fw = FindFramework(*scheduler.framework_id);
    return fw != nullptr && !fw->connected();
  }));
  EXPECT_EQ(runtime_->master().TaskStateCounts()["TASK_RUNNING"], 2u);
  EXPECT_EQ(scheduler.disconnected, 0);  // a stop is not a disconnection
}

// ---- (d) the HTTP API's bad cases ----

TEST_F(FrameworkApiTest, HttpCallsWithAWrongOrMissingStreamIdGet400) {
  TaskScheduler scheduler(0);
  io::HttpSchedulerDriver driver(loop_, &scheduler, HttpOptions("http"));
  OnLoop(loop_, [&] { ASSERT_TRUE(driver.Start().ok()); });
  ASSERT_TRUE(RunUntil(loop_, [&] { return scheduler.subscribed == 1; }));

  io::HttpClient client(loop_);
  auto post = [&](const api::Call& call, std::optional<std::string> stream_id) {
    io::ClientRequest request;
    request.method = "POST";
    request.port = runtime_->port();
    request.target = "/api/v1/scheduler";
    request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
    if (stream_id) request.headers.push_back({"Mesos-Stream-Id", *stream_id});
    request.body = api::SerializeCall(call);
    std::optional<absl::StatusOr<io::HttpResponse>> result;
    loop_.Post([&] {
      client.Request(request, [&](absl::StatusOr<io::HttpResponse> r) { result = std::move(r); });
    });
    EXPECT_TRUE(RunUntil(loop_, [&] { return result.has_value(); }));
    EXPECT_TRUE(result.has_value() && result->ok());
    return result && result->ok() ? (*result)->status : -1;
  };

  const api::Call revive{scheduler.framework_id, api::call::Revive{}};
  EXPECT_EQ(post(revive, "0b1f6c64-7e3a-4c2e-9d55-3f1c2b8a9e10"), 400);
  EXPECT_EQ(post(revive, std::nullopt), 400);
  EXPECT_EQ(post(revive, driver.stream_id()), 202);  // the driver's own stream id works
  api::Call subscribe{std::nullopt, api::call::Subscribe{DriverOptions("x").framework_info, {}}};
  EXPECT_EQ(post(subscribe, driver.stream_id()), 400);  // SUBSCRIBE must not carry one
  // The driver's stream is unaffected.
  EXPECT_EQ(driver.state(), DriverState::kSubscribed);
}

TEST_F(FrameworkApiTest, HttpDriverReportsARejectedCallAndKeepsRunning) {
  TaskScheduler scheduler(0);
  io::HttpSchedulerDriver driver(loop_, &scheduler, HttpOptions("http"));
  OnLoop(loop_, [&] { ASSERT_TRUE(driver.Start().ok()); });
  ASSERT_TRUE(RunUntil(loop_, [&] { return scheduler.subscribed == 1; }));
  OnLoop(loop_, [&] { EXPECT_TRUE(driver.SuppressOffers({"no-such-role"}).ok()); });
  ASSERT_TRUE(RunUntil(loop_, [&] { return !scheduler.errors.empty(); }));
  EXPECT_NE(scheduler.errors[0].find("SUPPRESS call rejected with 400"), std::string::npos)
      << scheduler.errors[0];
  EXPECT_EQ(scheduler.error_states[0], DriverState::kSubscribed);
  EXPECT_EQ(driver.state(), DriverState::kSubscribed);
}

TEST_F(FrameworkApiTest, RefusedSubscriptionIsFatalOnBothTransports) {
  api::DriverOptions bad = DriverOptions("");
  bad.framework_info.user.clear();  // no user and no name: 400

  TaskScheduler http_scheduler(0);
  io::HttpSchedulerDriver::Options http_options = HttpOptions("");
  http_options.driver = bad;
  io::HttpSchedulerDriver http_driver(loop_, &http_scheduler, http_options);
  TaskScheduler inproc_scheduler(0);
  cmd::InProcessSchedulerDriver inproc_driver(loop_, *runtime_, &inproc_scheduler, bad);
  OnLoop(loop_, [&] {
    ASSERT_TRUE(http_driver.Start().ok());
    ASSERT_TRUE(inproc_driver.Start().ok());
  });
  ASSERT_TRUE(RunUntil(
      loop_, [&] { return !http_scheduler.errors.empty() && !inproc_scheduler.errors.empty(); }));
  for (TaskScheduler* s : {&http_scheduler, &inproc_scheduler}) {
    EXPECT_NE(s->errors[0].find("rejected with 400"), std::string::npos) << s->errors[0];
    EXPECT_EQ(s->error_states[0], DriverState::kStopped);
    EXPECT_EQ(s->subscribed, 0);
  }
  EXPECT_EQ(http_driver.state(), DriverState::kStopped);
  EXPECT_EQ(inproc_driver.state(), DriverState::kStopped);
}

TEST_F(FrameworkApiTest, ASecondSchedulerTakingTheIdOverStopsTheFirst) {
  TaskScheduler first(1);
  cmd::InProcessSchedulerDriver first_driver(loop_, *runtime_, &first, DriverOptions("fw"));
  OnLoop(loop_, [&] { ASSERT_TRUE(first_driver.Start().ok()); });
  ASSERT_TRUE(RunUntil(loop_, [&] { return first.Count(TaskState::kRunning) == 1; }));

  TaskScheduler second(0);
  io::HttpSchedulerDriver::Options options = HttpOptions("fw");
  options.driver.framework_info.id = first.framework_id;
  io::HttpSchedulerDriver second_driver(loop_, &second, options);
  OnLoop(loop_, [&] { ASSERT_TRUE(second_driver.Start().ok()); });
  ASSERT_TRUE(RunUntil(loop_, [&] { return second.subscribed == 1 && !first.errors.empty(); }));
  EXPECT_EQ(second.framework_id, first.framework_id);
  EXPECT_EQ(first.errors[0], "Framework failed over");
  EXPECT_EQ(first_driver.state(), DriverState::kStopped);
  EXPECT_EQ(first.disconnected, 0);
  EXPECT_EQ(runtime_->master().TaskStateCounts()["TASK_RUNNING"], 1u);  // the task lives on
}

// ---- the HTTP driver against fake masters ----

// An HTTP server that plays a master's SUBSCRIBE endpoint: `on_subscribe` answers each request
// and returns the stream it opened (kept open here), or null.
class FakeMaster {
 public:
  using OnSubscribe = std::function<std::shared_ptr<io::HttpStream>(
      const io::HttpRequest&, std::shared_ptr<io::HttpResponder>)>;
  FakeMaster(io::EventLoop& loop, OnSubscribe on_subscribe)
      : server_(loop, io::HttpServer::Options{},
                [this, on_subscribe](const io::HttpRequest& req,
                                     std::shared_ptr<io::HttpResponder> responder) {
                  requests.push_back(req);
                  if (auto stream = on_subscribe(req, std::move(responder))) {
                    streams_.push_back(std::move(stream));
                  }
                }) {
    EXPECT_TRUE(server_.Start().ok());
  }
  uint16_t port() const { return server_.port(); }

  std::vector<io::HttpRequest> requests;

 private:
  io::HttpServer server_;
  std::vector<std::shared_ptr<io::HttpStream>> streams_;  // closed before the server stops
};

std::string Record(const api::Event& event) {
  return api::RecordIoEncode(api::SerializeEvent(event));
}

api::Event SubscribedEvent(const std::string& id, double heartbeat_seconds) {
  return api::Event{api::event::Subscribed{model::FrameworkId(id), heartbeat_seconds, {}}};
}

TEST_F(FrameworkApiTest, HttpDriverFollowsARedirectToTheLeader) {
  const uint16_t leader = runtime_->port();
  FakeMaster follower(
      loop_,
      [&](const io::HttpRequest& req,
          std::shared_ptr<io::HttpResponder> responder) -> std::shared_ptr<io::HttpStream> {
        io::HttpResponse r = io::HttpResponse::Text(307, "");
        r.headers.push_back({"Location", StrCat("//127.0.0.1:", leader, req.path)});
        responder->Respond(std::move(r));
        return nullptr;
      });
  TaskScheduler scheduler(1);
  io::HttpSchedulerDriver::Options options = HttpOptions("redirected");
  options.master_port = follower.port();
  io::HttpSchedulerDriver driver(loop_, &scheduler, options);
  OnLoop(loop_, [&] { ASSERT_TRUE(driver.Start().ok()); });
  ASSERT_TRUE(RunUntil(loop_, [&] { return scheduler.Count(TaskState::kRunning) == 1; }));
  EXPECT_EQ(driver.endpoint(), StrCat("127.0.0.1:", leader));
  EXPECT_EQ(follower.requests.size(), 1u);  // calls went to the leader directly
}

TEST_F(FrameworkApiTest, HttpDriverStopsOnAStreamIdThatIsNotAUuid) {
  FakeMaster fake(
      loop_,
      [&](const io::HttpRequest&,
          std::shared_ptr<io::HttpResponder> responder) -> std::shared_ptr<io::HttpStream> {
        auto stream = responder->StartStream(
            200, {{"Content-Type", "application/json"}, {"Mesos-Stream-Id", "stream-1"}});
        stream->Write(Record(SubscribedEvent("F-1", 15)));
        return stream;
      });
  TaskScheduler scheduler(0);
  io::HttpSchedulerDriver::Options options = HttpOptions("fw");
  options.master_port = fake.port();
  io::HttpSchedulerDriver driver(loop_, &scheduler, options);
  OnLoop(loop_, [&] { ASSERT_TRUE(driver.Start().ok()); });
  ASSERT_TRUE(RunUntil(loop_, [&] { return !scheduler.errors.empty(); }));
  EXPECT_NE(scheduler.errors[0].find("not a UUID: 'stream-1'"), std::string::npos)
      << scheduler.errors[0];
  EXPECT_EQ(driver.state(), DriverState::kStopped);
  EXPECT_EQ(scheduler.subscribed, 0);
  EXPECT_EQ(fake.requests.size(), 1u);  // no retry
}

TEST_F(FrameworkApiTest, HttpDriverDropsASilentStreamAndResubscribesWithTheId) {
  int subscribes = 0;
  std::optional<api::Call> second_subscribe;
  FakeMaster fake(
      loop_,
      [&](const io::HttpRequest& req,
          std::shared_ptr<io::HttpResponder> responder) -> std::shared_ptr<io::HttpStream> {
        ++subscribes;
        EXPECT_EQ(req.Header("Mesos-Stream-Id"), nullptr);
        EXPECT_EQ(*req.Header("Accept"), "application/json");
        auto stream = responder->StartStream(
            200, {{"Content-Type", "application/json"},
                  {"Mesos-Stream-Id", StrCat("0b1f6c64-7e3a-4c2e-9d55-3f1c2b8a9e1", subscribes)}});
        if (subscribes == 1) {
          // 20 ms heartbeats promised, none sent: dead after 5 x 20 ms.
          stream->Write(Record(SubscribedEvent("F-7", 0.02)));
        } else {
          absl::StatusOr<api::Call> call = api::ParseCall(req.body);
          if (call.ok()) second_subscribe = *call;
          // A record cut across two writes must still decode.
          const std::string bytes = Record(SubscribedEvent("F-7", 15));
          stream->Write(bytes.substr(0, 7));
          stream->Write(bytes.substr(7));
        }
        return stream;
      });
  TaskScheduler scheduler(0);
  io::HttpSchedulerDriver::Options options = HttpOptions("fw");
  options.master_port = fake.port();
  io::HttpSchedulerDriver driver(loop_, &scheduler, options);
  OnLoop(loop_, [&] { ASSERT_TRUE(driver.Start().ok()); });
  ASSERT_TRUE(RunUntil(loop_, [&] { return scheduler.resubscribed == 1; }));
  EXPECT_EQ(scheduler.subscribed, 1);
  EXPECT_EQ(scheduler.disconnected, 1);
  EXPECT_EQ(subscribes, 2);
  ASSERT_TRUE(second_subscribe.has_value());
  EXPECT_EQ(second_subscribe->framework_id, model::FrameworkId("F-7"));
  EXPECT_EQ(std::get<api::call::Subscribe>(second_subscribe->body).framework_info.id,
            model::FrameworkId("F-7"));
  EXPECT_EQ(driver.stream_id(), "0b1f6c64-7e3a-4c2e-9d55-3f1c2b8a9e12");
  EXPECT_EQ(driver.heartbeat_interval(), Duration::Seconds(15));
}

TEST_F(FrameworkApiTest, HttpDriverRetriesAnUnavailableMaster) {
  int attempts = 0;
  FakeMaster fake(
      loop_,
      [&](const io::HttpRequest&,
          std::shared_ptr<io::HttpResponder> responder) -> std::shared_ptr<io::HttpStream> {
        if (++attempts < 3) {
          responder->Respond(io::HttpResponse::Text(503, "Master has not finished recovery"));
          return std::shared_ptr<io::HttpStream>();
        }
        auto stream = responder->StartStream(
            200, {{"Mesos-Stream-Id", "0b1f6c64-7e3a-4c2e-9d55-3f1c2b8a9e10"}});
        stream->Write(Record(SubscribedEvent("F-3", 15)));
        return stream;
      });
  TaskScheduler scheduler(0);
  io::HttpSchedulerDriver::Options options = HttpOptions("fw");
  options.master_port = fake.port();
  io::HttpSchedulerDriver driver(loop_, &scheduler, options);
  OnLoop(loop_, [&] { ASSERT_TRUE(driver.Start().ok()); });
  ASSERT_TRUE(RunUntil(loop_, [&] { return scheduler.subscribed == 1; }));
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(scheduler.disconnected, 0);  // never subscribed before: nothing to lose
  EXPECT_TRUE(scheduler.errors.empty());
}

TEST(ParseMasterLocation, AcceptsMesosRedirectForms) {
  std::string host, path = "/api/v1/scheduler";
  uint16_t port = 0;
  ASSERT_TRUE(
      io::ParseMasterLocation("//m2.example:5050/master/api/v1/scheduler", &host, &port, &path));
  EXPECT_EQ(host, "m2.example");
  EXPECT_EQ(port, 5050);
  EXPECT_EQ(path, "/master/api/v1/scheduler");
  ASSERT_TRUE(io::ParseMasterLocation("http://10.0.0.2:6060", &host, &port, &path));
  EXPECT_EQ(host, "10.0.0.2");
  EXPECT_EQ(port, 6060);
  EXPECT_EQ(path, "/master/api/v1/scheduler");  // unchanged without a path
  ASSERT_TRUE(io::ParseMasterLocation("//[::1]:7070/api/v1/scheduler", &host, &port, &path));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 7070);
  ASSERT_TRUE(io::ParseMasterLocation("//m3", &host, &port, &path));
  EXPECT_EQ(port, 5050);
  EXPECT_FALSE(io::ParseMasterLocation("//:5050/x", &host, &port, &path));
  EXPECT_FALSE(io::ParseMasterLocation("//m:99999/x", &host, &port, &path));
  EXPECT_FALSE(io::ParseMasterLocation("//m:http/x", &host, &port, &path));
}

}  // namespace
}  // namespace atl
