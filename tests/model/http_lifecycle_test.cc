#include "core/model/http_lifecycle.h"

#include <gtest/gtest.h>

namespace atl::model {
namespace {

TEST(HttpLifecycle, RoundTripsThroughLabelsWithAuroraDefaults) {
  HttpLifecycle defaults;
  EXPECT_EQ(defaults.graceful_shutdown_endpoint, "/quitquitquit");
  EXPECT_EQ(defaults.shutdown_endpoint, "/abortabortabort");
  EXPECT_EQ(defaults.graceful_shutdown_wait, Duration::Seconds(5));
  EXPECT_EQ(defaults.shutdown_wait, Duration::Seconds(5));
  EXPECT_EQ(defaults.Budget(), Duration::Seconds(12)) << "two POSTs of 1 s, two waits of 5 s";

  HttpLifecycle l;
  l.port = 31005;
  l.graceful_shutdown_endpoint = "/admin/quit?now=1";
  l.shutdown_wait = Duration::Milliseconds(250);
  Labels labels = HttpLifecycleLabels(l);
  EXPECT_EQ(labels.front(), (Label{"atoll.lifecycle.port", "31005"}));
  EXPECT_EQ(HttpLifecycleFromLabels(labels), l);
  // Among other labels, in any order.
  labels.insert(labels.begin(), Label{"HAPROXY_GROUP", "external"});
  std::swap(labels[1], labels[4]);
  EXPECT_EQ(HttpLifecycleFromLabels(labels), l);
  // The port alone is enough: the rest are Aurora's defaults.
  HttpLifecycle port_only;
  port_only.port = 8080;
  EXPECT_EQ(HttpLifecycleFromLabels({{"atoll.lifecycle.port", "8080"}}), port_only);
}

TEST(HttpLifecycle, NoOrUnusableLabelsGiveNone) {
  EXPECT_EQ(HttpLifecycleFromLabels({}), std::nullopt);
  EXPECT_EQ(HttpLifecycleFromLabels({{"atoll.lifecycle.shutdown_endpoint", "/x"}}), std::nullopt)
      << "no port";
  for (const char* port : {"0", "65536", "-1", "http", ""}) {
    EXPECT_EQ(HttpLifecycleFromLabels({{"atoll.lifecycle.port", port}}), std::nullopt) << port;
  }
  EXPECT_EQ(HttpLifecycleFromLabels({{"atoll.lifecycle.port", std::nullopt}}), std::nullopt);
  auto with = [](const char* key, const char* value) {
    return HttpLifecycleFromLabels({{"atoll.lifecycle.port", "80"}, {key, value}});
  };
  for (const char* endpoint : {"quit", "", "/a b", "/a\r\nX-Injected: 1"}) {
    EXPECT_EQ(with("atoll.lifecycle.graceful_shutdown_endpoint", endpoint), std::nullopt)
        << endpoint;
  }
  for (const char* ms : {"-1", "300001", "5s", "99999999999999999999"}) {
    EXPECT_EQ(with("atoll.lifecycle.shutdown_wait_ms", ms), std::nullopt) << ms;
  }
  EXPECT_TRUE(with("atoll.lifecycle.shutdown_wait_ms", "300000").has_value());
  EXPECT_TRUE(with("atoll.lifecycle.shutdown_wait_ms", "0").has_value());
}

}  // namespace
}  // namespace atl::model
