// AgentViewOf / ReadField: what the checkers read from an offer.
#include "constraints/agent_view.h"

#include <gtest/gtest.h>

namespace atl::constraints {
namespace {

Constraint C(std::vector<std::string> array) { return *ParseMarathonConstraint(array).constraint; }

TEST(AgentView, ReadsHostnameDomainAndAttributesFromAnOffer) {
  model::Offer offer;
  offer.hostname = "host-1";
  offer.domain = model::DomainInfo{"eu", "eu-1a"};
  offer.attributes = *model::ParseAttributes("rack:r1;gen:0.80;slots:[1-4,6-8];disks:{ssd,hdd}");
  const AgentView a = AgentViewOf(offer);
  EXPECT_EQ(a.hostname, "host-1");
  EXPECT_EQ(a.region, "eu");
  EXPECT_EQ(a.zone, "eu-1a");

  EXPECT_EQ(ReadField(C({"hostname", "UNIQUE"}), a)->text, "host-1");
  EXPECT_EQ(ReadField(C({"@hostname", "UNIQUE"}), a)->text, "host-1");
  EXPECT_EQ(ReadField(C({"@region", "UNIQUE"}), a)->text, "eu");
  EXPECT_EQ(ReadField(C({"@zone", "UNIQUE"}), a)->text, "eu-1a");
  EXPECT_EQ(ReadField(C({"rack", "UNIQUE"}), a)->text, "r1");
  EXPECT_FALSE(ReadField(C({"rack", "UNIQUE"}), a)->scalar);
  EXPECT_EQ(ReadField(C({"gen", "UNIQUE"}), a)->text, "0.8");
  EXPECT_TRUE(ReadField(C({"gen", "UNIQUE"}), a)->scalar);
  EXPECT_EQ(ReadField(C({"slots", "UNIQUE"}), a)->text, "[1-4,6-8]");
  EXPECT_EQ(ReadField(C({"disks", "UNIQUE"}), a)->text, "{hdd,ssd}");
  EXPECT_EQ(ReadField(C({"ssd", "UNIQUE"}), a), std::nullopt);
}

TEST(AgentView, HasNoRegionOrZoneWithoutAFaultDomain) {
  model::Offer offer;
  offer.hostname = "host-1";
  const AgentView a = AgentViewOf(offer);
  EXPECT_EQ(ReadField(C({"@region", "UNIQUE"}), a), std::nullopt);
  EXPECT_EQ(ReadField(C({"@zone", "UNIQUE"}), a), std::nullopt);
}

}  // namespace
}  // namespace atl::constraints
