// The master over real HTTP on 127.0.0.1 (port 0): the v1 scheduler API's status codes and
// streams as a v1 framework sees them (reference/mesos.md §1.1-1.2, §10), the read-only
// endpoints, and the registry surviving a restart.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/api/json_scheduler.h"
#include "core/api/recordio.h"
#include "core/base/strings.h"
#include "core/base/uuid.h"
#include "core/cmd/master_runtime.h"
#include "core/io/http_client.h"
#include "core/io/real_clock.h"
#include "core/io/registry_store.h"
#include "tests/io/io_test_util.h"

namespace atl::cmd {
namespace {

using io::ClientRequest;
using io::HttpResponse;

constexpr char kSubscribe[] =
    R"({"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"root","name":"http-test",)"
    R"("roles":["*"],"capabilities":[{"type":"MULTI_ROLE"}],"failover_timeout":60}}})";

class MasterHttp : public ::testing::Test {
 protected:
  void SetUp() override { Start(nullptr); }

  void Start(io::RegistryStore* store) {
    master::Options options;
    options.seed = 7;
    runtime_ = std::make_unique<MasterRuntime>(loop_, clock_, options, store);
    ASSERT_TRUE(runtime_->Start({}).ok());
    runtime_->AddSimulatedAgents(2, *model::Resources::Parse("cpus:4;mem:4096;ports:[31000-31099]"),
                                 2, 1, {}, "sim");
  }

  HttpResponse Fetch(std::string method, std::string target, std::string body = "",
                     io::HttpHeaders headers = {}) {
    return io::testing::FetchOnLoop(loop_, runtime_->port(), std::move(method), std::move(target),
                                    std::move(body), std::move(headers));
  }

  HttpResponse Post(std::string body,
                    io::HttpHeaders headers = {{"Content-Type", "application/json"}}) {
    return Fetch("POST", "/api/v1/scheduler", std::move(body), std::move(headers));
  }

  io::EventLoop loop_;
  io::RealClock clock_;
  std::unique_ptr<MasterRuntime> runtime_;
};

TEST_F(MasterHttp, SchedulerEndpointRejectsBadRequestsWithMesosCodes) {
  EXPECT_EQ(Fetch("GET", "/api/v1/scheduler").status, 405);
  EXPECT_EQ(Post(kSubscribe, {}).status, 400);  // no Content-Type
  EXPECT_EQ(Post(kSubscribe, {{"Content-Type", "text/plain"}}).status, 415);
  EXPECT_EQ(Post(kSubscribe, {{"Content-Type", "application/x-protobuf"}}).status, 415);
  HttpResponse bad = Post("{not json");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("Failed to parse body into Call"), std::string::npos);
  EXPECT_EQ(Post(R"({"type":"NOT_A_CALL"})").status, 400);
  EXPECT_EQ(
      Post(kSubscribe, {{"Content-Type", "application/json"}, {"Accept", "text/html"}}).status,
      406);
  EXPECT_EQ(Post(kSubscribe, {{"Content-Type", "application/json"},
                              {"Mesos-Stream-Id", "0b1f6c64-7e3a-4c2e-9d55-3f1c2b8a9e10"}})
                .status,
            400);
  HttpResponse unknown = Post(R"({"type":"REVIVE","framework_id":{"value":"nope"}})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.body, "Framework cannot be found");
  // The bad calls disturbed nothing.
  EXPECT_TRUE(runtime_->master().frameworks().empty());
}

TEST_F(MasterHttp, SubscribeStreamsRecordIoWithAStreamIdThenCallsNeedIt) {
  io::HttpClient client(loop_);
  ClientRequest req;
  req.method = "POST";
  req.port = runtime_->port();
  req.target = "/master/api/v1/scheduler";  // the path the C++ library uses
  req.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  req.body = kSubscribe;
  int status = 0;
  std::string stream_id, content_type;
  api::RecordIoDecoder decoder;
  std::vector<api::Event> events;
  std::string raw;
  auto stream = client.OpenStream(
      req,
      [&](int s, const io::HttpHeaders& headers) {
        status = s;
        if (auto* v = io::FindHeader(headers, "Mesos-Stream-Id")) stream_id = *v;
        if (auto* v = io::FindHeader(headers, "Content-Type")) content_type = *v;
      },
      [&](std::string_view bytes) {
        raw.append(bytes);
        std::vector<std::string> records;
        ASSERT_TRUE(decoder.Feed(bytes, &records).ok());
        for (const std::string& r : records) {
          EXPECT_EQ(r.find('\n'), std::string::npos) << "a newline inside a record";
          auto e = api::ParseEvent(r);
          ASSERT_TRUE(e.ok()) << e.status().message();
          events.push_back(*e);
        }
        bool offers = std::any_of(events.begin(), events.end(), [](const api::Event& e) {
          return std::holds_alternative<api::event::Offers>(e.body);
        });
        if (offers) loop_.Stop();
      },
      [&](absl::Status) { loop_.Stop(); });
  io::testing::RunUntilStopped(loop_);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(content_type, "application/json");
  EXPECT_TRUE(UuidFromString(stream_id).ok()) << stream_id;
  ASSERT_GE(events.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<api::event::Subscribed>(events[0].body));
  // Exact framing: "<length>\n<payload>" with the payload's byte length, nothing in between.
  size_t nl = raw.find('\n');
  uint64_t length = 0;
  ASSERT_TRUE(ParseUint64(raw.substr(0, nl), &length));
  EXPECT_TRUE(StartsWith(raw.substr(nl + 1, length), R"({"type":"SUBSCRIBED")"));
  EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(raw[nl + 1 + length])));
  const auto& sub = std::get<api::event::Subscribed>(events[0].body);
  const auto& offers = std::get<api::event::Offers>(events[1].body);
  EXPECT_EQ(offers.offers.size(), 2u);  // one per simulated agent

  std::string decline =
      StrCat(R"({"type":"DECLINE","framework_id":{"value":")", sub.framework_id.value(),
             R"("},"decline":{"offer_ids":[{"value":")", offers.offers[0].id.value(),
             R"("}],"filters":{"refuse_seconds":60}}})");
  EXPECT_EQ(Post(decline).status, 400);  // no Mesos-Stream-Id
  EXPECT_EQ(Post(decline, {{"Content-Type", "application/json"},
                           {"Mesos-Stream-Id", "0b1f6c64-7e3a-4c2e-9d55-3f1c2b8a9e10"}})
                .status,
            400);
  HttpResponse ok =
      Post(decline, {{"Content-Type", "application/json"}, {"Mesos-Stream-Id", stream_id}});
  EXPECT_EQ(ok.status, 202);
  EXPECT_TRUE(ok.body.empty());
  EXPECT_EQ(runtime_->master().offers().size(), 1u);

  // Closing the stream disconnects the framework; calls are then forbidden.
  stream->Close();
  loop_.Post([&] { loop_.Stop(); });
  io::testing::RunUntilStopped(loop_);
  EXPECT_EQ(
      Post(decline, {{"Content-Type", "application/json"}, {"Mesos-Stream-Id", stream_id}}).status,
      403);
}

TEST_F(MasterHttp, ReadOnlyEndpointsAnswerInMesosShapes) {
  // Let the simulated agents register.
  loop_.RunAfter(Duration::Milliseconds(50), [&] { loop_.Stop(); });
  io::testing::RunUntilStopped(loop_);
  HttpResponse state = Fetch("GET", "/master/state");
  EXPECT_EQ(state.status, 200);
  EXPECT_NE(state.body.find(R"("activated_slaves":2)"), std::string::npos) << state.body;
  EXPECT_NE(state.body.find(R"("hostname":"sim-0")"), std::string::npos);
  EXPECT_NE(state.body.find(R"("ports":"[31000-31099]")"), std::string::npos);
  EXPECT_EQ(Fetch("GET", "/state").body.substr(0, 20), state.body.substr(0, 20));
  EXPECT_EQ(Fetch("GET", "/health").status, 200);
  HttpResponse version = Fetch("GET", "/version");
  EXPECT_NE(version.body.find(R"("version":"1.11.0")"), std::string::npos);
  HttpResponse metrics = Fetch("GET", "/metrics/snapshot");
  EXPECT_NE(metrics.body.find(R"("master/slaves_active":2.0)"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find(R"("master/cpus_total":8.0)"), std::string::npos);
  HttpResponse prom = Fetch("GET", "/metrics");
  EXPECT_NE(prom.body.find("mesos_master_slaves_active 2"), std::string::npos);
  EXPECT_EQ(Fetch("GET", "/master/state-summary").status, 200);
  EXPECT_EQ(Fetch("GET", "/master/roles").status, 200);
  HttpResponse redirect = Fetch("GET", "/master/redirect");
  EXPECT_EQ(redirect.status, 307);
  ASSERT_NE(redirect.Header("Location"), nullptr);
  EXPECT_TRUE(StartsWith(*redirect.Header("Location"), "//127.0.0.1:"));
  EXPECT_EQ(Fetch("GET", "/nope").status, 404);
}

TEST(MasterRegistry, ARestartedMasterRecognisesItsAgents) {
  std::string dir = StrCat(::testing::TempDir(), "atoll-registry-", getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  io::EventLoop loop;
  io::RealClock clock;
  std::set<std::string> first_ids;
  for (int run = 0; run < 2; ++run) {
    auto store = io::SqliteRegistryStore::Open(dir + "/registry.db");
    ASSERT_TRUE(store.ok()) << store.status().message();
    master::Options options;
    options.seed = 100 + run;  // a new master id each run, as in Mesos
    MasterRuntime runtime(loop, clock, options, store->get());
    ASSERT_TRUE(runtime.Start({}).ok());
    if (run == 1) {
      // The restarted master knows the agents admitted before, as "recovered" until they
      // re-register (real agents keep their id in their work dir).
      std::set<std::string> ids;
      for (const auto& [id, a] : runtime.master().agents()) {
        ids.insert(id.value());
        EXPECT_EQ(a.state, master::Agent::State::kRecovered);
        EXPECT_EQ(a.info.hostname.substr(0, 2), "r-");
      }
      EXPECT_EQ(ids, first_ids);
      // The same simulated agents come back under their ids and are registered again.
      runtime.AddSimulatedAgents(2, *model::Resources::Parse("cpus:1;mem:128"), 1, 1, {}, "r");
      loop.RunAfter(Duration::Milliseconds(50), [&] { loop.Stop(); });
      io::testing::RunUntilStopped(loop);
      ASSERT_EQ(runtime.master().agents().size(), 2u);
      for (const auto& [id, a] : runtime.master().agents()) {
        EXPECT_EQ(a.state, master::Agent::State::kRegistered);
      }
      runtime.Stop();
      break;
    }
    runtime.AddSimulatedAgents(2, *model::Resources::Parse("cpus:1;mem:128"), 1, 1, {}, "r");
    loop.RunAfter(Duration::Milliseconds(50), [&] { loop.Stop(); });
    io::testing::RunUntilStopped(loop);
    for (const auto& [id, a] : runtime.master().agents()) first_ids.insert(id.value());
    EXPECT_EQ(first_ids.size(), 2u);
    runtime.Stop();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace atl::cmd
