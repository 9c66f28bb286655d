// Who may receive an offer: decline filters, revive, suppress, (de)activation, minimum offer
// size, capabilities, reservations and agent state.
#include "core/allocator/allocator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/allocator/allocator_test_util.h"

namespace atl::allocator {
namespace {

using testing::Aid;
using testing::At;
using testing::CountByFramework;
using testing::Fid;
using testing::Harness;
using testing::MultiRole;
using testing::On;
using testing::R;
using testing::Reserved;

// ---- decline filters ----

TEST(DeclineFilter, HidesTheAgentWhileRefusedContainsCandidate) {
  Harness h;
  h.AddFramework("f", {"r"});
  h.AddAgent("a", "cpus:4;mem:4096");
  ASSERT_EQ(h.Allocate(0).size(), 1u);
  // Launch <1 cpu, 1024 MB>; decline the rest for 10 s.
  h.allocator().RecoverResources(Fid("f"), Aid("a"), R("cpus:3;mem:3072").AllocatedTo("r"),
                                 Duration::Seconds(10), At(0));
  EXPECT_TRUE(h.Allocate(1).empty());  // the same leftover: filtered
  // The task ends: the candidate is now bigger than what was refused.
  h.allocator().RecoverResources(Fid("f"), Aid("a"), R("cpus:1;mem:1024").AllocatedTo("r"),
                                 std::nullopt, At(2));
  std::optional<Allocation> offer = On(h.Allocate(2), "a");
  ASSERT_TRUE(offer.has_value());
  EXPECT_THAT(offer->resources, testing::SameAs(R("cpus:4;mem:4096").AllocatedTo("r")));
}

TEST(DeclineFilter, ExpiresAfterRefuseSeconds) {
  Harness h;
  h.AddFramework("f", {"r"});
  h.AddAgent("a", "cpus:4;mem:4096");
  ASSERT_EQ(h.Allocate(0).size(), 1u);
  h.RecoverAll("f", "a", Duration::Seconds(5), 0);
  EXPECT_TRUE(h.Allocate(4).empty());
  EXPECT_EQ(h.Allocate(5).size(), 1u);
}

TEST(DeclineFilter, LastsAtLeastOneAllocationInterval) {
  Options options;
  options.allocation_interval = Duration::Seconds(10);
  Harness h(options);
  h.AddFramework("f", {"r"});
  h.AddAgent("a", "cpus:4;mem:4096");
  ASSERT_EQ(h.Allocate(0).size(), 1u);
  h.RecoverAll("f", "a", Duration::Seconds(2), 0);
  EXPECT_TRUE(h.Allocate(2).empty());
  EXPECT_TRUE(h.Allocate(9).empty());
  EXPECT_EQ(h.Allocate(10).size(), 1u);
}

TEST(DeclineFilter, IsCappedAtOneYear) {
  Harness h;
  h.AddFramework("f", {"r"});
  h.AddAgent("a", "cpus:4;mem:4096");
  ASSERT_EQ(h.Allocate(0).size(), 1u);
  h.RecoverAll("f", "a", Duration::Days(5000), 0);
  const int64_t year = Duration::Days(365).nanoseconds() / 1000000000;
  EXPECT_TRUE(h.Allocate(year - 1).empty());
  EXPECT_EQ(h.Allocate(year).size(), 1u);
}

TEST(DeclineFilter, RefuseZeroInstallsNone) {
  Harness h;
  h.AddFramework("f", {"r"});
  h.AddAgent("a", "cpus:4;mem:4096");
  ASSERT_EQ(h.Allocate(0).size(), 1u);
  h.RecoverAll("f", "a", Duration::Zero(), 0);
  EXPECT_EQ(h.Allocate(0).size(), 1u);
}

TEST(DeclineFilter, OnlyHidesTheDecliningFramework) {
  Harness h;
  h.AddFramework("f1", {"r"});
  h.AddFramework("f2", {"r"});
  h.AddAgent("a", "cpus:4;mem:4096");
  std::optional<Allocation> first = On(h.Allocate(0), "a");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->framework_id, Fid("f1"));
  h.Recover(*first, Duration::Hours(1), 0);
  std::optional<Allocation> second = On(h.Allocate(1), "a");
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->framework_id, Fid("f2"));
}

// ---- revive, suppress, activation ----

TEST(Revive, ClearsFiltersOfTheNamedRolesOnly) {
  Harness h;
  h.AddFramework("f", {"r1", "r2"});
  h.AddAgent("a", "cpus:4;mem:4096");
  std::optional<Allocation> o1 = On(h.Allocate(0), "a");
  ASSERT_TRUE(o1.has_value());
  EXPECT_EQ(o1->role, "r1");  // tie on shares and counts: by name
  h.Recover(*o1, Duration::Hours(1), 0);
  std::optional<Allocation> o2 = On(h.Allocate(1), "a");
  ASSERT_TRUE(o2.has_value());
  EXPECT_EQ(o2->role, "r2");
  h.Recover(*o2, Duration::Hours(1), 1);
  EXPECT_TRUE(h.Allocate(2).empty());

  h.allocator().Revive(Fid("f"), {"r2"});
  std::optional<Allocation> o3 = On(h.Allocate(3), "a");
  ASSERT_TRUE(o3.has_value());
  EXPECT_EQ(o3->role, "r2");
  h.Recover(*o3, Duration::Hours(1), 3);

  h.allocator().Revive(Fid("f"), {});  // all roles
  EXPECT_EQ(h.Allocate(4).size(), 1u);
}

TEST(Suppress, SuppressedRoleReceivesNothingUntilRevived) {
  Harness h;
  h.AddFramework("f", {"r"});
  h.AddFramework("g", {"s"});
  h.allocator().Suppress(Fid("f"), {});
  h.AddAgent("a1", "cpus:4;mem:4096");
  h.AddAgent("a2", "cpus:4;mem:4096");
  EXPECT_EQ(CountByFramework(h.Allocate(0)), (std::map<std::string, int>{{"g", 2}}));
  h.allocator().Revive(Fid("f"), {"r"});
  h.AddAgent("a3", "cpus:4;mem:4096");
  EXPECT_EQ(CountByFramework(h.Allocate(1)), (std::map<std::string, int>{{"f", 1}}));
}

TEST(Suppress, InitiallySuppressedRolesAndUpdateFramework) {
  Harness h;
  h.AddFramework("f", {"r1", "r2"}, /*suppressed=*/{"r1"});
  h.AddAgent("a", "cpus:4;mem:4096");
  std::optional<Allocation> o = On(h.Allocate(0), "a");
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->role, "r2");
  h.Recover(*o, Duration::Hours(1), 0);
  // r2 leaves... nothing; r1 leaves the suppressed set, r2 joins it.
  h.allocator().UpdateFramework(Fid("f"), MultiRole({"r1", "r2"}), {"r2"});
  o = On(h.Allocate(1), "a");
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->role, "r1");
}

TEST(UpdateFramework, ClearsFiltersOfRolesLeavingTheSuppressedSet) {
  Harness h;
  h.AddFramework("f", {"r"});
  h.AddAgent("a", "cpus:4;mem:4096");
  ASSERT_EQ(h.Allocate(0).size(), 1u);
  h.RecoverAll("f", "a", Duration::Hours(1), 0);
  h.allocator().UpdateFramework(Fid("f"), MultiRole({"r"}), {"r"});
  EXPECT_TRUE(h.Allocate(1).empty());
  h.allocator().UpdateFramework(Fid("f"), MultiRole({"r"}), {});
  EXPECT_EQ(h.Allocate(2).size(), 1u);  // filter gone with the suppression
}

TEST(UpdateFramework, RoleLeftKeepsItsAllocationAccounted) {
  Harness h;
  h.AddFramework("f", {"old"});
  h.AddAgent("a", "cpus:4;mem:4096");
  ASSERT_EQ(h.Allocate(0).size(), 1u);
  h.allocator().UpdateFramework(Fid("f"), MultiRole({"new"}), {});
  std::vector<RoleSummary> roles = h.allocator().Roles();
  ASSERT_EQ(roles.size(), 2u);
  EXPECT_EQ(roles[0].role, "new");
  EXPECT_EQ(roles[1].role, "old");
  EXPECT_THAT(roles[1].allocated, testing::SameAs(R("cpus:4;mem:4096")));
  h.RecoverAll("f", "a");
  roles = h.allocator().Roles();
  ASSERT_EQ(roles.size(), 1u);
  EXPECT_EQ(roles[0].role, "new");
  std::optional<Allocation> o = On(h.Allocate(1), "a");
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->role, "new");
}

TEST(Activation, InactiveFrameworkReceivesNothing) {
  Harness h;
  h.AddFramework("f", {"r"});
  h.AddAgent("a", "cpus:4;mem:4096");
  h.allocator().DeactivateFramework(Fid("f"));
  EXPECT_TRUE(h.Allocate(0).empty());
  h.allocator().ActivateFramework(Fid("f"));
  EXPECT_EQ(h.Allocate(0).size(), 1u);
}

TEST(Activation, InactiveAgentIsSkipped) {
  Harness h;
  h.AddFramework("f", {"r"});
  h.AddAgent("a", "cpus:4;mem:4096");
  h.AddAgent("b", "cpus:4;mem:4096");
  h.allocator().DeactivateAgent(Aid("a"));
  EXPECT_THAT(h.allocator().ClusterTotal(), testing::SameAs(R("cpus:4;mem:4096")));
  std::vector<Allocation> out = h.Allocate(0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].agent_id, Aid("b"));
  h.allocator().ActivateAgent(Aid("a"));
  out = h.Allocate(0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].agent_id, Aid("a"));
}

TEST(Allocate, OnlyTheNamedAgents) {
  Harness h;
  h.AddFramework("f", {"r"});
  h.AddAgent("a", "cpus:4;mem:4096");
  h.AddAgent("b", "cpus:4;mem:4096");
  std::vector<Allocation> out = h.AllocateOn({"b", "unknown", "b"});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].agent_id, Aid("b"));
  EXPECT_EQ(h.allocator().allocation_runs(), 1u);
}

// ---- minimum offer size ----

TEST(MinAllocatable, DefaultIsOneHundredthCpuOrThirtyTwoMegabytes) {
  Harness h;
  h.AddFramework("f", {"r"});
  h.AddAgent("crumbs", "cpus:0.005;mem:16;disk:100");
  h.AddAgent("cpu-only", "cpus:0.01");
  h.AddAgent("mem-only", "mem:32");
  std::vector<Allocation> out = h.Allocate(0);
  EXPECT_FALSE(On(out, "crumbs").has_value());
  EXPECT_TRUE(On(out, "cpu-only").has_value());
  EXPECT_TRUE(On(out, "mem-only").has_value());
}

TEST(MinAllocatable, OptionsReplaceTheDefault) {
  Options options;
  options.min_allocatable_resources = {R("cpus:1;mem:1024"), R("ports:[1-10]")};
  Harness h(options);
  h.AddFramework("f", {"r"});
  h.AddAgent("small", "cpus:2;mem:512");
  h.AddAgent("big", "cpus:2;mem:2048");
  h.AddAgent("ports", "cpus:0.1;ports:[100-109]");
  h.AddAgent("few-ports", "cpus:0.1;ports:[100-108]");
  std::vector<Allocation> out = h.Allocate(0);
  EXPECT_FALSE(On(out, "small").has_value());
  EXPECT_TRUE(On(out, "big").has_value());
  EXPECT_TRUE(On(out, "ports").has_value());
  EXPECT_FALSE(On(out, "few-ports").has_value());
}

TEST(MinAllocatable, FrameworkOverrideForItsRole) {
  Harness h;
  model::FrameworkInfo picky = MultiRole({"r"});
  picky.min_allocatable_resources["r"] = {R("cpus:2;mem:1024")};
  h.AddFrameworkInfo("picky", picky);
  h.AddFramework("zz-any", {"r"});
  h.AddAgent("small", "cpus:1;mem:4096");
  h.AddAgent("big", "cpus:4;mem:4096");
  std::vector<Allocation> out = h.AllocateOn({"small"});
  ASSERT_TRUE(On(out, "small").has_value());
  EXPECT_EQ(On(out, "small")->framework_id, Fid("zz-any"));  // picky is first but skips it
  out = h.AllocateOn({"big"});
  ASSERT_TRUE(On(out, "big").has_value());
  EXPECT_EQ(On(out, "big")->framework_id, Fid("picky"));
}

// ---- capabilities ----

TEST(Capabilities, GpuAgentsOnlyForGpuFrameworks) {
  Harness h;
  h.AddFramework("plain", {"a"});
  model::FrameworkInfo gpu = MultiRole({"b"});
  gpu.capabilities.push_back(model::FrameworkCapability::kGpuResources);
  h.AddFrameworkInfo("gpu", gpu);
  h.AddAgent("g", "cpus:4;mem:4096;gpus:2");
  std::vector<Allocation> out = h.Allocate(0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].framework_id, Fid("gpu"));
}

// ---- reservations ----

TEST(Reservations, StaticReservationOnlyForItsRoleAndDescendants) {
  Harness h;
  h.AddFramework("alpha", {"alpha"});  // first by name: sees only unreserved resources
  h.AddFramework("zeta-sub", {"zeta/sub"});
  h.AddFramework("zetax", {"zetax"});  // not a descendant of zeta
  h.AddAgent("a", "cpus(zeta):4;mem(zeta):1024;cpus:4;mem:4096");
  std::vector<Allocation> out = h.Allocate(0);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].framework_id, Fid("alpha"));
  EXPECT_THAT(out[0].resources, testing::SameAs(R("cpus:4;mem:4096").AllocatedTo("alpha")));
  EXPECT_EQ(out[1].framework_id, Fid("zeta-sub"));
  EXPECT_THAT(out[1].resources,
              testing::SameAs(R("cpus:4;mem:1024", "zeta").AllocatedTo("zeta/sub")));
  std::vector<RoleSummary> roles = h.allocator().Roles();
  auto zeta = std::find_if(roles.begin(), roles.end(),
                           [](const RoleSummary& s) { return s.role == "zeta"; });
  ASSERT_NE(zeta, roles.end());
  EXPECT_THAT(zeta->reserved, testing::SameAs(R("cpus:4;mem:1024")));
}

TEST(Reservations, ReserveThenUnreserveThroughUpdateAllocation) {
  Harness h;
  h.AddFramework("db", {"db"});
  h.AddFramework("other", {"other"});
  h.AddAgent("a", "cpus:8;mem:8192");
  std::optional<Allocation> offer = On(h.Allocate(0), "a");
  ASSERT_TRUE(offer.has_value());
  ASSERT_EQ(offer->framework_id, Fid("db"));

  const model::Resources plain = R("cpus:4;mem:2048").AllocatedTo("db");
  const model::Resources reserved = Reserved("cpus:4;mem:2048", "db").AllocatedTo("db");
  h.allocator().UpdateAllocation(Fid("db"), Aid("a"), plain, reserved);
  EXPECT_TRUE(h.Held("db", "a").Contains(reserved));
  EXPECT_TRUE(h.allocator().Available(Aid("a")).empty());
  EXPECT_THAT(h.allocator().ClusterTotal(), testing::SameAs(R("cpus:8;mem:8192")));

  // Everything back: the unreserved part goes to `other` (fewer allocations), and the
  // reservation, invisible to `other`, to db.
  h.RecoverAll("db", "a");
  std::vector<Allocation> out = h.Allocate(1);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].framework_id, Fid("other"));
  EXPECT_THAT(out[0].resources, testing::SameAs(R("cpus:4;mem:6144").AllocatedTo("other")));
  EXPECT_EQ(out[1].framework_id, Fid("db"));
  EXPECT_THAT(out[1].resources, testing::SameAs(reserved));

  h.allocator().UpdateAllocation(Fid("db"), Aid("a"), reserved, plain);
  for (const RoleSummary& s : h.allocator().Roles()) EXPECT_TRUE(s.reserved.empty()) << s.role;
  h.RecoverAll("db", "a");
  EXPECT_THAT(h.allocator().Available(Aid("a")), testing::SameAs(R("cpus:4;mem:2048")));
}

// ---- agents and frameworks coming and going ----

TEST(Lifecycle, RemovingAFrameworkFreesItsResources) {
  Harness h;
  h.AddFramework("f", {"r"});
  h.AddAgent("a", "cpus:4;mem:4096");
  ASSERT_EQ(h.Allocate(0).size(), 1u);
  EXPECT_TRUE(h.allocator().Available(Aid("a")).empty());
  h.allocator().RemoveFramework(Fid("f"));
  EXPECT_THAT(h.allocator().Available(Aid("a")), testing::SameAs(R("cpus:4;mem:4096")));
  EXPECT_TRUE(h.allocator().Roles().empty());
}

TEST(Lifecycle, RemovingAnAgentDropsItsAllocations) {
  Harness h;
  h.AddFramework("f", {"r"});
  h.AddAgent("a", "cpus:4;mem:4096");
  h.AddAgent("b", "cpus:4;mem:4096");
  ASSERT_EQ(h.Allocate(0).size(), 2u);
  h.allocator().RemoveAgent(Aid("a"));
  EXPECT_TRUE(h.Held("f", "a").empty());
  EXPECT_THAT(h.allocator().ClusterTotal(), testing::SameAs(R("cpus:4;mem:4096")));
  std::vector<RoleSummary> roles = h.allocator().Roles();
  ASSERT_EQ(roles.size(), 1u);
  EXPECT_THAT(roles[0].allocated, testing::SameAs(R("cpus:4;mem:4096")));
}

TEST(Lifecycle, UsedResourcesOfAnUnknownFrameworkStayAllocated) {
  Harness h;
  h.AddAgent("a", "cpus:4;mem:4096", {{Fid("ghost"), R("cpus:1;mem:1024").AllocatedTo("r")}});
  h.AddFramework("f", {"s"});
  std::vector<Allocation> out = h.Allocate(0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_THAT(out[0].resources, testing::SameAs(R("cpus:3;mem:3072").AllocatedTo("s")));
  // The framework re-registers: it holds its resources, and releases them normally.
  h.AddFramework("ghost", {"r"});
  EXPECT_THAT(h.Held("ghost", "a"), testing::SameAs(R("cpus:1;mem:1024").AllocatedTo("r")));
  h.RecoverAll("ghost", "a");
  EXPECT_THAT(h.allocator().Available(Aid("a")), testing::SameAs(R("cpus:1;mem:1024")));
}

TEST(Lifecycle, RecoveringWhatIsNotHeldIsHarmless) {
  Harness h;
  h.AddFramework("f", {"r"});
  h.AddAgent("a", "cpus:4;mem:4096");
  ASSERT_EQ(h.Allocate(0).size(), 1u);
  h.allocator().RecoverResources(Fid("f"), Aid("a"), R("cpus:6;mem:1024").AllocatedTo("r"),
                                 std::nullopt, At(0));
  EXPECT_THAT(h.allocator().Available(Aid("a")), testing::SameAs(R("cpus:4;mem:1024")));
  h.allocator().RecoverResources(Fid("nobody"), Aid("a"), R("cpus:1"), std::nullopt, At(0));
  h.allocator().RecoverResources(Fid("f"), Aid("nowhere"), R("cpus:1"), std::nullopt, At(0));
  EXPECT_THAT(h.Held("f", "a"), testing::SameAs(R("mem:3072").AllocatedTo("r")));
}

TEST(Lifecycle, RolesReportWeightsQuotaAndFrameworks) {
  Harness h;
  h.allocator().UpdateWeights({{"weighted", 2.5}});
  Quota quota;
  quota.limits = R("cpus:10");
  h.allocator().UpdateQuota("limited", quota);
  h.AddFramework("f", {"limited"});
  h.AddAgent("a", "cpus:4;mem:4096");
  ASSERT_EQ(h.Allocate(0).size(), 1u);
  std::vector<RoleSummary> roles = h.allocator().Roles();
  ASSERT_EQ(roles.size(), 2u);
  EXPECT_EQ(roles[0].role, "limited");
  EXPECT_EQ(roles[0].quota, quota);
  EXPECT_THAT(roles[0].consumed_quota, testing::SameAs(R("cpus:4;mem:4096")));
  EXPECT_EQ(roles[0].frameworks, std::vector<model::FrameworkId>{Fid("f")});
  EXPECT_EQ(roles[1].role, "weighted");
  EXPECT_DOUBLE_EQ(roles[1].weight, 2.5);
}

}  // namespace
}  // namespace atl::allocator
