// The readiness check's codecs: the spec in TaskInfo labels, the result in TaskStatus labels.
#include "healthchecks/readiness.h"

#include <gtest/gtest.h>

namespace atl::healthchecks {
namespace {

TEST(ReadinessTest, TheSpecTravelsInTaskLabels) {
  ReadinessSpec spec;
  spec.name = "ready-api";
  spec.tls = true;
  spec.path = "/ready?x=1";
  spec.port = 31005;
  spec.interval = Duration::Seconds(5);
  spec.timeout = Duration::Milliseconds(1500);
  spec.ready_codes = {200, 204};
  model::Labels labels = {{"app", "label"}};
  for (const model::Label& l : SpecLabels(spec)) labels.push_back(l);
  EXPECT_EQ(SpecFromLabels(labels), spec);
  EXPECT_TRUE(IsReadyStatus(spec, 204));
  EXPECT_FALSE(IsReadyStatus(spec, 503));
}

TEST(ReadinessTest, AnIncompleteOrBrokenSpecIsNoSpec) {
  EXPECT_FALSE(SpecFromLabels({}).has_value());
  ReadinessSpec spec;
  spec.port = 31000;
  model::Labels labels = SpecLabels(spec);
  for (model::Label& l : labels) {
    if (l.key == "atoll.readiness.port") l.value = "0";
  }
  EXPECT_FALSE(SpecFromLabels(labels).has_value()) << "no port";
  labels = SpecLabels(spec);
  for (model::Label& l : labels) {
    if (l.key == "atoll.readiness.ready_codes") l.value = "x,y";
  }
  EXPECT_FALSE(SpecFromLabels(labels).has_value()) << "no usable status code";
  labels = SpecLabels(spec);
  for (model::Label& l : labels) {
    if (l.key == "atoll.readiness.scheme") l.value = "gopher";
  }
  EXPECT_FALSE(SpecFromLabels(labels).has_value());
}

TEST(ReadinessTest, TheResultTravelsInStatusLabels) {
  Readiness r;
  r.ready = false;
  r.last_status = 503;
  EXPECT_EQ(ResultFromLabels(ResultLabels(r)), r);
  r = Readiness{};
  r.last_error = "connection refused";
  EXPECT_EQ(ResultFromLabels(ResultLabels(r)), r);
  r = Readiness{.ready = true,
                .last_status = 200,
                .last_content_type = "application/json",
                .last_body = "{\"warm\": true}\n",
                .last_error = ""};
  EXPECT_EQ(ResultFromLabels(ResultLabels(r)), r);
  EXPECT_FALSE(ResultFromLabels({{"atoll.health.consecutive_failures", "0"}}).has_value());
}

}  // namespace
}  // namespace atl::healthchecks
