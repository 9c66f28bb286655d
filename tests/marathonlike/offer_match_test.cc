#include "marathonlike/offer_match.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace atl::marathonlike {
namespace {

using model::Resources;
using ::testing::ElementsAre;

Resources Parse(const char* text) {
  auto r = Resources::Parse(text);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : Resources();
}

model::Offer MakeOffer(const char* resources, std::optional<std::string> role = std::nullopt) {
  model::Offer offer;
  offer.id = model::OfferId("o1");
  offer.agent_id = model::AgentId("a1");
  offer.hostname = "host1";
  offer.resources = Parse(resources);
  if (role.has_value()) {
    offer.allocation_role = role;
    offer.resources = offer.resources.AllocatedTo(*role);
  }
  return offer;
}

AppDefinition App(double cpus, double mem, int ports = 1) {
  AppDefinition app;
  app.id = "/web";
  app.cmd = "sleep 100";
  app.cpus = cpus;
  app.mem = mem;
  app.port_definitions.assign(ports, PortDefinition{});
  return app;
}

TEST(MatchOfferTest, FitsSeveralInstancesWithoutReuse) {
  model::Offer offer = MakeOffer("cpus:4;mem:1024;disk:100;ports:[31000-31002]");
  AppDefinition app = App(1, 256);
  app.disk = 10;
  MatchResult result = MatchOffer(offer, app, 10);
  ASSERT_EQ(result.instances.size(), 3u);  // ports run out after three
  EXPECT_TRUE(result.reasons.empty());
  EXPECT_THAT(result.instances[0].host_ports, ElementsAre(31000));
  EXPECT_THAT(result.instances[1].host_ports, ElementsAre(31001));
  EXPECT_THAT(result.instances[2].host_ports, ElementsAre(31002));
  EXPECT_EQ(result.instances[0].resources, Parse("cpus:1;mem:256;disk:10;ports:[31000-31000]"));
  Resources total;
  for (const MatchedInstance& m : result.instances) total += m.resources;
  EXPECT_TRUE(offer.resources.Contains(total));
}

TEST(MatchOfferTest, StopsAtWantedAndAtMaxPerOffer) {
  model::Offer offer = MakeOffer("cpus:100;mem:10000;ports:[31000-32000]");
  EXPECT_EQ(MatchOffer(offer, App(1, 10), 2).instances.size(), 2u);
  EXPECT_EQ(MatchOffer(offer, App(1, 10), 50).instances.size(), 5u);  // Marathon's default
  MatchOptions options;
  options.max_instances_per_offer = 7;
  EXPECT_EQ(MatchOffer(offer, App(1, 10), 50, options).instances.size(), 7u);
  MatchResult none = MatchOffer(offer, App(1, 10), 0);
  EXPECT_TRUE(none.instances.empty());
  EXPECT_TRUE(none.reasons.empty());
}

TEST(MatchOfferTest, ScalarsLimitTheCount) {
  model::Offer offer = MakeOffer("cpus:2.5;mem:1024;ports:[31000-32000]");
  MatchResult result = MatchOffer(offer, App(0.5, 100), 10);
  EXPECT_EQ(result.instances.size(), 5u);
  result = MatchOffer(offer, App(1, 300), 10);
  EXPECT_EQ(result.instances.size(), 2u);  // cpus 2.5 -> 2
  result = MatchOffer(offer, App(0.1, 300), 10);
  EXPECT_EQ(result.instances.size(), 3u);  // mem 1024 -> 3
  EXPECT_TRUE(result.reasons.empty());     // reasons only when nothing fits
}

TEST(MatchOfferTest, EachShortageHasItsReason) {
  model::Offer offer = MakeOffer("cpus:1;mem:128;disk:10;ports:[31000-31000]");
  EXPECT_THAT(MatchOffer(offer, App(2, 64), 1).reasons, ElementsAre(kInsufficientCpus));
  EXPECT_THAT(MatchOffer(offer, App(1, 256), 1).reasons, ElementsAre(kInsufficientMemory));
  AppDefinition big_disk = App(1, 64);
  big_disk.disk = 11;
  EXPECT_THAT(MatchOffer(offer, big_disk, 1).reasons, ElementsAre(kInsufficientDisk));
  EXPECT_THAT(MatchOffer(offer, App(1, 64, 2), 1).reasons, ElementsAre(kInsufficientPorts));
  AppDefinition gpu = App(1, 64);
  gpu.gpus = 1;
  EXPECT_THAT(MatchOffer(offer, gpu, 1).reasons, ElementsAre(kInsufficientGpus));
  // Every failing dimension, in funnel order.
  EXPECT_THAT(MatchOffer(offer, App(4, 4096, 3), 1).reasons,
              ElementsAre(kInsufficientCpus, kInsufficientMemory, kInsufficientPorts));
  // No ports resource at all.
  EXPECT_THAT(MatchOffer(MakeOffer("cpus:1;mem:128"), App(1, 64), 1).reasons,
              ElementsAre(kInsufficientPorts));
  // An app without ports needs none.
  EXPECT_EQ(MatchOffer(MakeOffer("cpus:1;mem:128"), App(1, 64, 0), 1).instances.size(), 1u);
}

TEST(MatchOfferTest, RequirePortsTakesTheLiteralPorts) {
  model::Offer offer = MakeOffer("cpus:4;mem:1024;ports:[31000-31010, 8080-8080]");
  AppDefinition app = App(1, 64, 2);
  app.require_ports = true;
  app.port_definitions[0].port = 31005;
  app.port_definitions[1].port = 8080;
  MatchResult result = MatchOffer(offer, app, 3);
  ASSERT_EQ(result.instances.size(), 1u);  // the literal ports can be had only once
  EXPECT_THAT(result.instances[0].host_ports, ElementsAre(31005, 8080));
  EXPECT_EQ(result.instances[0].resources.GetRanges("ports"),
            model::Ranges({{8080, 8080}, {31005, 31005}}));

  app.port_definitions[1].port = 9090;  // not in the offer
  EXPECT_THAT(MatchOffer(offer, app, 1).reasons, ElementsAre(kInsufficientPorts));

  // Without requirePorts the numbers are service ports: host ports are the lowest free.
  app.require_ports = false;
  result = MatchOffer(offer, app, 2);
  ASSERT_EQ(result.instances.size(), 2u);
  EXPECT_THAT(result.instances[0].host_ports, ElementsAre(8080, 31000));
  EXPECT_THAT(result.instances[1].host_ports, ElementsAre(31001, 31002));
}

TEST(MatchOfferTest, RequirePortsWithDynamicPortDoesNotStealLiteral) {
  model::Offer offer = MakeOffer("cpus:4;mem:1024;ports:[31000-31001]");
  AppDefinition app = App(1, 64, 2);
  app.require_ports = true;
  app.port_definitions[0].port = 0;  // dynamic
  app.port_definitions[1].port = 31000;
  MatchResult result = MatchOffer(offer, app, 1);
  ASSERT_EQ(result.instances.size(), 1u);
  EXPECT_THAT(result.instances[0].host_ports, ElementsAre(31001, 31000));
}

TEST(MatchOfferTest, PortsAreNeverPickedTwice) {
  model::Offer offer = MakeOffer("cpus:10;mem:1024;ports:[31000-31003, 31005-31007]");
  MatchResult result = MatchOffer(offer, App(0.1, 1, 3), 5);
  ASSERT_EQ(result.instances.size(), 2u);  // 7 ports, 3 each
  EXPECT_THAT(result.instances[0].host_ports, ElementsAre(31000, 31001, 31002));
  EXPECT_THAT(result.instances[1].host_ports, ElementsAre(31003, 31005, 31006));
  // Deterministic.
  EXPECT_EQ(MatchOffer(offer, App(0.1, 1, 3), 5).instances, result.instances);
}

TEST(MatchOfferTest, ReservedResourcesOfTheAppRole) {
  // 1 cpu reserved for "web", 1 unreserved; offer allocated to "web".
  model::Offer offer =
      MakeOffer("cpus(web):1;mem(web):256;cpus:1;mem:256;ports:[31000-31009]", "web");
  AppDefinition app = App(1, 256);
  app.role = "web";
  // Default accepted roles: "*" and the app's role. Reserved ones are used first.
  MatchResult result = MatchOffer(offer, app, 5);
  ASSERT_EQ(result.instances.size(), 2u);
  EXPECT_EQ(result.instances[0].resources,
            Parse("cpus(web):1;mem(web):256;ports:[31000-31000]").AllocatedTo("web"));
  EXPECT_EQ(result.instances[1].resources,
            Parse("cpus:1;mem:256;ports:[31001-31001]").AllocatedTo("web"));
  for (const model::Resource& r : result.instances[0].resources.items()) {
    EXPECT_EQ(r.allocation_role, "web");
  }

  // Only the role: unreserved resources (here: all the ports) are off limits.
  app.accepted_resource_roles = {"web"};
  EXPECT_THAT(MatchOffer(offer, app, 5).reasons, ElementsAre(kInsufficientPorts));
  app.port_definitions.clear();
  EXPECT_EQ(MatchOffer(offer, app, 5).instances.size(), 1u);

  // Only "*": the reservation is off limits.
  app.accepted_resource_roles = {"*"};
  result = MatchOffer(offer, app, 5);
  ASSERT_EQ(result.instances.size(), 1u);
  EXPECT_EQ(result.instances[0].resources, Parse("cpus:1;mem:256").AllocatedTo("web"));
}

TEST(MatchOfferTest, UnfulfilledRole) {
  AppDefinition app = App(1, 64);
  app.role = "web";
  // Offered to another role.
  model::Offer other = MakeOffer("cpus:4;mem:1024;ports:[31000-31009]", "batch");
  EXPECT_THAT(MatchOffer(other, app, 1).reasons, ElementsAre(kUnfulfilledRole));
  // Only resources reserved for a role the app does not accept.
  model::Offer reserved = MakeOffer("cpus(ads):4;mem(ads):1024;ports(ads):[31000-31009]");
  EXPECT_THAT(MatchOffer(reserved, app, 1).reasons, ElementsAre(kUnfulfilledRole));
  // An app without a role accepts unreserved resources of any allocation.
  app.role.reset();
  EXPECT_EQ(MatchOffer(other, app, 1).instances.size(), 1u);
}

TEST(MatchOfferTest, ConstraintHook) {
  model::Offer offer = MakeOffer("cpus:4;mem:1024;ports:[31000-31009]");
  MatchOptions options;
  std::vector<int> calls;
  options.constraint_check = [&](const model::Offer& o, const AppDefinition& app, int placed) {
    EXPECT_EQ(o.hostname, "host1");
    EXPECT_EQ(app.id, "/web");
    calls.push_back(placed);
    return placed == 0;
  };
  MatchResult result = MatchOffer(offer, App(1, 64), 3, options);
  EXPECT_EQ(result.instances.size(), 1u);  // e.g. hostname:UNIQUE
  EXPECT_TRUE(result.reasons.empty());
  EXPECT_THAT(calls, ElementsAre(0, 1));

  options.constraint_check = [](const model::Offer&, const AppDefinition&, int) { return false; };
  EXPECT_THAT(MatchOffer(offer, App(8, 64), 3, options).reasons,
              ElementsAre(kUnfulfilledConstraint, kInsufficientCpus));
}

}  // namespace
}  // namespace atl::marathonlike
