// Quota: guarantees are served first (stage 1) and protected by headroom; limits cap what a
// role's unreserved allocations may consume (reference/mesos.md §6.7).
#include "core/allocator/allocator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/allocator/allocator_test_util.h"

namespace atl::allocator {
namespace {

using testing::Aid;
using testing::CountByFramework;
using testing::Fid;
using testing::Harness;
using testing::R;

Quota Guarantee(std::string_view text) {
  Quota q;
  q.guarantees = R(text);
  return q;
}

Quota Limit(std::string_view text) {
  Quota q;
  q.limits = R(text);
  return q;
}

model::Scalar Cpus(const std::vector<Allocation>& out, const std::string& framework) {
  model::Scalar total;
  for (const Allocation& a : out) {
    if (a.framework_id.value() == framework) total += a.resources.GetScalar("cpus");
  }
  return total;
}

class QuotaTest : public ::testing::Test {
 protected:
  void AddAgents(int n, std::string_view resources = "cpus:8;mem:8192") {
    for (int i = 0; i < n; ++i) h_.AddAgent("a" + std::to_string(i), resources);
  }
  Harness h_;
};

TEST_F(QuotaTest, WithoutQuotaRolesAlternate) {
  h_.AddFramework("dev", {"dev"});
  h_.AddFramework("prod", {"prod"});
  AddAgents(4);
  EXPECT_EQ(CountByFramework(h_.Allocate()), (std::map<std::string, int>{{"dev", 2}, {"prod", 2}}));
}

TEST_F(QuotaTest, GuaranteeIsServedFirst) {
  h_.AddFramework("dev", {"dev"});
  h_.AddFramework("prod", {"prod"});
  h_.allocator().UpdateQuota("prod", Guarantee("cpus:24"));
  AddAgents(4);
  std::vector<Allocation> out = h_.Allocate();
  EXPECT_EQ(CountByFramework(out), (std::map<std::string, int>{{"dev", 1}, {"prod", 3}}));
  EXPECT_EQ(Cpus(out, "prod"), model::Scalar::FromMilli(24000));
  // Unguaranteed kinds come along with the guaranteed ones (nobody else needs the headroom).
  for (const Allocation& a : out) {
    EXPECT_EQ(a.resources.GetScalar("mem"), model::Scalar::FromMilli(8192000)) << a.role;
  }
}

TEST_F(QuotaTest, StageOneChopsToTheUnmetGuarantee) {
  h_.AddFramework("prod", {"prod"});
  h_.AddFramework("dev", {"dev"});
  h_.allocator().UpdateQuota("prod", Guarantee("cpus:4"));
  AddAgents(1);
  std::vector<Allocation> out = h_.Allocate();
  // Stage 1 gives prod its 4 cpus; in stage 2 dev (share 0) takes the rest of the agent.
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].framework_id, Fid("prod"));
  EXPECT_EQ(out[0].resources.GetScalar("cpus"), model::Scalar::FromMilli(4000));
  EXPECT_EQ(out[1].framework_id, Fid("dev"));
  EXPECT_EQ(out[1].resources.GetScalar("cpus"), model::Scalar::FromMilli(4000));
}

TEST_F(QuotaTest, HeadroomIsKeptForAnUnmetGuarantee) {
  h_.AddFramework("dev", {"dev"});
  h_.allocator().UpdateQuota("prod", Guarantee("cpus:16"));  // no prod framework yet
  AddAgents(4);
  std::vector<Allocation> out = h_.Allocate();
  EXPECT_EQ(Cpus(out, "dev"), model::Scalar::FromMilli(16000));
  model::Scalar free_cpus;
  for (int i = 0; i < 4; ++i) {
    free_cpus += h_.allocator().Available(Aid("a" + std::to_string(i))).GetScalar("cpus");
  }
  EXPECT_EQ(free_cpus, model::Scalar::FromMilli(16000));

  // The guaranteed role shows up and gets the kept cpus in stage 1.
  h_.AddFramework("prod", {"prod"});
  out = h_.Allocate();
  EXPECT_EQ(Cpus(out, "prod"), model::Scalar::FromMilli(16000));
}

TEST_F(QuotaTest, GuaranteeCoveredByReservationsNeedsNoHeadroom) {
  h_.AddFramework("dev", {"dev"});
  h_.allocator().UpdateQuota("prod", Guarantee("cpus:4"));
  h_.AddAgent("reserved", "cpus(prod):4;mem(prod):1024");
  AddAgents(2);
  std::vector<Allocation> out = h_.Allocate();
  EXPECT_EQ(Cpus(out, "dev"), model::Scalar::FromMilli(16000));
}

TEST_F(QuotaTest, LimitCapsUnreservedScalars) {
  h_.AddFramework("dev", {"dev"});
  h_.allocator().UpdateQuota("dev", Limit("cpus:10"));
  AddAgents(2);
  std::vector<Allocation> out = h_.Allocate();
  EXPECT_EQ(Cpus(out, "dev"), model::Scalar::FromMilli(10000));
  for (const Allocation& a : out) {
    EXPECT_EQ(a.resources.GetScalar("mem"), model::Scalar::FromMilli(8192000));  // no mem limit
  }
  EXPECT_TRUE(h_.Allocate().empty());  // 6 cpus free, but dev is at its limit; mem is all gone
  std::vector<RoleSummary> roles = h_.allocator().Roles();
  ASSERT_EQ(roles.size(), 1u);
  EXPECT_EQ(roles[0].consumed_quota.GetScalar("cpus"), model::Scalar::FromMilli(10000));
}

TEST_F(QuotaTest, LimitCoversDescendantRoles) {
  h_.AddFramework("team-a", {"dev/a"});
  h_.AddFramework("team-b", {"dev/b"});
  h_.allocator().UpdateQuota("dev", Limit("cpus:12"));
  AddAgents(3);
  std::vector<Allocation> out = h_.Allocate();
  EXPECT_EQ(Cpus(out, "team-a") + Cpus(out, "team-b"), model::Scalar::FromMilli(12000));
}

TEST_F(QuotaTest, ReservedResourcesAreNotChoppedByLimits) {
  h_.AddFramework("dev", {"dev"});
  h_.allocator().UpdateQuota("dev", Limit("cpus:2"));
  h_.AddAgent("a", "cpus(dev):4;cpus:8;mem:1024");
  std::vector<Allocation> out = h_.Allocate();
  ASSERT_EQ(out.size(), 1u);
  // The reservation alone (4) already exceeds the limit: no unreserved cpus on top.
  EXPECT_THAT(out[0].resources, testing::SameAs(R("cpus(dev):4;mem:1024").AllocatedTo("dev")));
}

TEST_F(QuotaTest, RemovingQuotaLiftsTheCap) {
  h_.AddFramework("dev", {"dev"});
  h_.allocator().UpdateQuota("dev", Limit("cpus:4"));
  AddAgents(1, "cpus:8;mem:8192;disk:100");
  EXPECT_EQ(Cpus(h_.Allocate(), "dev"), model::Scalar::FromMilli(4000));
  h_.allocator().UpdateQuota("dev", Quota{});
  EXPECT_EQ(Cpus(h_.Allocate(), "dev"), model::Scalar::FromMilli(4000));  // the other 4
  EXPECT_TRUE(h_.allocator().Roles()[0].quota == Quota{});
}

}  // namespace
}  // namespace atl::allocator
