// Role weights and quotas over real HTTP on 127.0.0.1 (port 0), the way Mesos operators set
// and read them (reference/mesos.md §6.6, §6.7, §10): `GET|PUT /master/weights`,
// `GET /master/quota`, the v1 operator API on `POST /api/v1`, `/master/roles` reflecting the
// changes, the 4xx answers, and the changes surviving a master restart.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/base/strings.h"
#include "core/cmd/master_runtime.h"
#include "core/io/http_client.h"
#include "core/io/real_clock.h"
#include "core/io/registry_store.h"
#include "gmock/gmock.h"
#include "tests/io/io_test_util.h"

namespace atl::cmd {
namespace {

using io::ClientRequest;
using io::HttpResponse;
using ::testing::HasSubstr;

constexpr char kSetQuota[] =
    R"({"type":"UPDATE_QUOTA","update_quota":{"force":false,"quota_configs":[)"
    R"({"role":"dev","guarantees":{"cpus":{"value":1}},)"
    R"("limits":{"cpus":{"value":2},"mem":{"value":2048}}}]}})";

constexpr char kDevQuotaStatus[] =
    R"({"infos":[{"role":"dev","guarantee":[{"name":"cpus","type":"SCALAR",)"
    R"("scalar":{"value":1.0},"role":"*"}]}],"configs":[{"role":"dev",)"
    R"("guarantees":{"cpus":{"value":1.0}},"limits":{"cpus":{"value":2.0},)"
    R"("mem":{"value":2048.0}}}]})";

class OperatorHttp : public ::testing::Test {
 protected:
  void SetUp() override { Start(nullptr); }

  void Start(io::RegistryStore* store) {
    master::Options options;
    options.seed = 11;
    runtime_ = std::make_unique<MasterRuntime>(loop_, clock_, options, store);
    ASSERT_TRUE(runtime_->Start({}).ok());
  }

  HttpResponse Fetch(std::string method, std::string target, std::string body = "",
                     io::HttpHeaders headers = {}) {
    return io::testing::FetchOnLoop(loop_, runtime_->port(), std::move(method), std::move(target),
                                    std::move(body), std::move(headers));
  }

  HttpResponse Operator(std::string body,
                        io::HttpHeaders headers = {{"Content-Type", "application/json"}}) {
    return Fetch("POST", "/api/v1", std::move(body), std::move(headers));
  }

  static std::string ContentType(const HttpResponse& r) {
    const std::string* v = r.Header("Content-Type");
    return v ? *v : "";
  }

  io::EventLoop loop_;
  io::RealClock clock_;
  std::unique_ptr<MasterRuntime> runtime_;
};

TEST_F(OperatorHttp, WeightsAreSetWithPutAndReadBackEverywhere) {
  EXPECT_EQ(Fetch("GET", "/master/weights").body, "[]");
  HttpResponse put = Fetch("PUT", "/master/weights",
                           R"([{"role":"web","weight":2.0},{"role":"batch","weight":0.5}])");
  EXPECT_EQ(put.status, 200) << put.body;
  EXPECT_TRUE(put.body.empty());

  HttpResponse get = Fetch("GET", "/master/weights");
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(ContentType(get), "application/json");
  EXPECT_EQ(get.body, R"([{"role":"batch","weight":0.5},{"role":"web","weight":2.0}])");
  EXPECT_EQ(Fetch("GET", "/weights").body, get.body);  // also without the prefix
  EXPECT_THAT(Fetch("GET", "/master/roles").body, HasSubstr(R"("name":"web","weight":2.0)"));

  HttpResponse v1 = Operator(R"({"type":"GET_WEIGHTS"})");
  EXPECT_EQ(v1.status, 200);
  EXPECT_EQ(ContentType(v1), "application/json");
  EXPECT_EQ(v1.body, R"({"type":"GET_WEIGHTS","get_weights":{"weight_infos":[{"role":"batch",)"
                     R"("weight":0.5},{"role":"web","weight":2.0}]}})");
  // The master applied them: the registry and the allocator agree.
  EXPECT_EQ(runtime_->master().registry().weights.at("web"), 2.0);
}

TEST_F(OperatorHttp, UpdateWeightsOverTheOperatorApi) {
  HttpResponse update = Operator(
      R"({"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"web","weight":4}]}})");
  EXPECT_EQ(update.status, 200) << update.body;
  EXPECT_TRUE(update.body.empty());
  EXPECT_EQ(Fetch("GET", "/master/weights").body, R"([{"role":"web","weight":4.0}])");
  HttpResponse roles = Operator(R"({"type":"GET_ROLES"})");
  EXPECT_EQ(roles.status, 200);
  EXPECT_THAT(
      roles.body,
      HasSubstr(R"({"type":"GET_ROLES","get_roles":{"roles":[{"name":"web","weight":4.0})"));
}

TEST_F(OperatorHttp, QuotaIsSetOverTheOperatorApiAndReadBackEverywhere) {
  EXPECT_EQ(Fetch("GET", "/master/quota").body, "{}");
  HttpResponse set = Operator(kSetQuota);
  EXPECT_EQ(set.status, 200) << set.body;
  EXPECT_TRUE(set.body.empty());

  HttpResponse legacy = Fetch("GET", "/master/quota");
  EXPECT_EQ(legacy.status, 200);
  EXPECT_EQ(ContentType(legacy), "application/json");
  EXPECT_EQ(legacy.body, kDevQuotaStatus);
  EXPECT_EQ(Fetch("GET", "/quota").body, kDevQuotaStatus);

  HttpResponse v1 = Operator(R"({"type":"GET_QUOTA"})");
  EXPECT_EQ(v1.status, 200);
  EXPECT_EQ(v1.body,
            StrCat(R"({"type":"GET_QUOTA","get_quota":{"status":)", kDevQuotaStatus, "}}"));

  std::string roles = Fetch("GET", "/master/roles").body;
  EXPECT_THAT(roles, HasSubstr(R"("name":"dev")"));
  EXPECT_THAT(roles, HasSubstr(R"("quota":{"role":"dev","guarantee":{"cpus":1.0,"gpus":0.0,)"
                               R"("mem":0.0,"disk":0.0},"limit":{"cpus":2.0,"gpus":0.0,)"
                               R"("mem":2048.0,"disk":0.0})"));

  // Removing it: a config with neither guarantees nor limits.
  EXPECT_EQ(Operator(R"({"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[{"role":"dev"}]}})")
                .status,
            200);
  EXPECT_EQ(Fetch("GET", "/master/quota").body, "{}");
}

TEST_F(OperatorHttp, HealthAndVersionOverTheOperatorApi) {
  // The C++ library style path, with a charset parameter.
  HttpResponse health =
      Fetch("POST", "/master/api/v1", R"({"type":"GET_HEALTH"})",
            {{"Content-Type", "application/json; charset=utf-8"}, {"Accept", "application/json"}});
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, R"({"type":"GET_HEALTH","get_health":{"healthy":true}})");
  HttpResponse version = Operator(R"({"type":"GET_VERSION"})");
  EXPECT_EQ(version.status, 200);
  EXPECT_THAT(version.body, HasSubstr(R"("get_version":{"version_info":{"version":"1.11.0")"));
}

TEST_F(OperatorHttp, BadRequestsGetMesosCodesAndChangeNothing) {
  // Transport rules, as for the scheduler API.
  EXPECT_EQ(Fetch("GET", "/api/v1").status, 405);
  EXPECT_EQ(Operator(R"({"type":"GET_HEALTH"})", {}).status, 400);  // no Content-Type
  EXPECT_EQ(Operator(R"({"type":"GET_HEALTH"})", {{"Content-Type", "text/plain"}}).status, 415);
  EXPECT_EQ(
      Operator(R"({"type":"GET_HEALTH"})", {{"Content-Type", "application/x-protobuf"}}).status,
      415);
  EXPECT_EQ(Operator(R"({"type":"GET_HEALTH"})",
                     {{"Content-Type", "application/json"}, {"Accept", "application/x-protobuf"}})
                .status,
            406);

  // Bodies.
  HttpResponse junk = Operator("{not json");
  EXPECT_EQ(junk.status, 400);
  EXPECT_THAT(junk.body, HasSubstr("Failed to parse body into Call"));
  HttpResponse unsupported = Operator(R"({"type":"GET_STATE"})");
  EXPECT_EQ(unsupported.status, 400);
  EXPECT_EQ(unsupported.body,
            "Failed to parse body into Call: type: call type 'GET_STATE' is not supported");
  EXPECT_EQ(Operator(R"({"type":"NOPE"})").body,
            "Failed to parse body into Call: type: unknown call type 'NOPE'");
  HttpResponse bad_weight = Operator(
      R"({"type":"UPDATE_WEIGHTS","update_weights":{"weight_infos":[{"role":"a","weight":0}]}})");
  EXPECT_EQ(bad_weight.status, 400);
  EXPECT_THAT(bad_weight.body, HasSubstr("update_weights.weight_infos[0].weight: must be "
                                         "positive, got 0"));
  HttpResponse nested = Operator(R"({"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[)"
                                 R"({"role":"dev","limits":{"cpus":{"value":1}}},)"
                                 R"({"role":"eng/web","limits":{"cpus":{"value":1}}}]}})");
  EXPECT_EQ(nested.status, 400);
  EXPECT_EQ(nested.body,
            "Invalid QuotaConfig: update_quota.quota_configs[1].role: quota on nested role "
            "'eng/web' is not supported: quota applies to top-level roles only");
  HttpResponse too_big = Operator(
      R"({"type":"UPDATE_QUOTA","update_quota":{"quota_configs":[)"
      R"({"role":"dev","guarantees":{"cpus":{"value":3}},"limits":{"cpus":{"value":2}}}]}})");
  EXPECT_EQ(too_big.status, 400);
  EXPECT_THAT(too_big.body, HasSubstr("the guarantee 3 exceeds the limit 2"));

  // The weights endpoint.
  HttpResponse negative =
      Fetch("PUT", "/master/weights", R"([{"role":"a","weight":1},{"role":"b","weight":-1}])");
  EXPECT_EQ(negative.status, 400);
  EXPECT_EQ(negative.body,
            "Failed to validate update weights request JSON: [1].weight: must be positive, got -1");
  EXPECT_EQ(Fetch("PUT", "/master/weights", "{}").status, 400);
  EXPECT_EQ(Fetch("POST", "/master/weights", "[]").status, 405);
  EXPECT_EQ(Fetch("DELETE", "/master/quota").status, 405);

  // Nothing was applied, not even the valid half of a request.
  EXPECT_TRUE(runtime_->master().registry().weights.empty());
  EXPECT_TRUE(runtime_->master().registry().quotas.empty());
  EXPECT_EQ(Fetch("GET", "/master/weights").body, "[]");
  EXPECT_EQ(Fetch("GET", "/master/quota").body, "{}");
}

TEST(OperatorRegistry, WeightsAndQuotasSurviveAMasterRestart) {
  std::string dir = StrCat(::testing::TempDir(), "atoll-operator-", getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  io::EventLoop loop;
  io::RealClock clock;
  auto fetch = [&](MasterRuntime& runtime, std::string method, std::string target, std::string body,
                   io::HttpHeaders headers) {
    io::HttpClient client(loop);
    ClientRequest req;
    req.method = std::move(method);
    req.port = runtime.port();
    req.target = std::move(target);
    req.body = std::move(body);
    req.headers = std::move(headers);
    HttpResponse out;
    client.Request(req, [&](absl::StatusOr<HttpResponse> r) {
      EXPECT_TRUE(r.ok()) << r.status().message();
      if (r.ok()) out = *r;
      loop.Stop();
    });
    io::testing::RunUntilStopped(loop);
    return out;
  };
  for (int run = 0; run < 2; ++run) {
    auto store = io::SqliteRegistryStore::Open(dir + "/registry.db");
    ASSERT_TRUE(store.ok()) << store.status().message();
    master::Options options;
    options.seed = 200 + run;
    MasterRuntime runtime(loop, clock, options, store->get());
    ASSERT_TRUE(runtime.Start({}).ok());
    if (run == 0) {
      EXPECT_EQ(
          fetch(runtime, "PUT", "/master/weights", R"([{"role":"web","weight":3}])", {}).status,
          200);
      EXPECT_EQ(fetch(runtime, "POST", "/api/v1", kSetQuota, {{"Content-Type", "application/json"}})
                    .status,
                200);
    } else {
      EXPECT_EQ(fetch(runtime, "GET", "/master/weights", "", {}).body,
                R"([{"role":"web","weight":3.0}])");
      EXPECT_EQ(fetch(runtime, "GET", "/master/quota", "", {}).body, kDevQuotaStatus);
    }
    runtime.Stop();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace atl::cmd
