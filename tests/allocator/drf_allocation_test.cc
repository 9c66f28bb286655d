// DRF ordering as seen through HierarchicalAllocator: the worked example of
// reference/mesos.md §6.4, progressive filling, and the role tree with weights.
#include <cmath>
#include <cstdlib>

#include "core/allocator/allocator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/allocator/allocator_test_util.h"

namespace atl::allocator {
namespace {

using testing::At;
using testing::CountByFramework;
using ::testing::ElementsAre;
using testing::Fid;
using testing::Harness;
using testing::On;
using testing::R;

// 4 agents x (8 cpus, 32768 MB). web holds 6 cpus / 8192 MB and batch 2 cpus / 49152 MB, each
// in two allocations (so the allocation counts tie): a1 and a2 are partly used, a3 and a4 free.
class WorkedExample : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.AddFramework("web-fw", {"web"});
    h_.AddFramework("batch-fw", {"batch"});
    h_.AddAgent("a1", "cpus:8;mem:32768",
                {{Fid("web-fw"), R("cpus:3;mem:4096").AllocatedTo("web")},
                 {Fid("batch-fw"), R("cpus:1;mem:28672").AllocatedTo("batch")}});
    h_.AddAgent("a2", "cpus:8;mem:32768",
                {{Fid("web-fw"), R("cpus:3;mem:4096").AllocatedTo("web")},
                 {Fid("batch-fw"), R("cpus:1;mem:20480").AllocatedTo("batch")}});
    h_.AddAgent("a3", "cpus:8;mem:32768");
    h_.AddAgent("a4", "cpus:8;mem:32768");
  }

  std::string NextAgentGoesTo(const std::string& agent) {
    std::vector<Allocation> out = h_.AllocateOn({agent});
    EXPECT_EQ(out.size(), 1u);
    if (out.size() != 1) return "";
    EXPECT_THAT(out[0].resources, testing::SameAs(R("cpus:8;mem:32768").AllocatedTo(out[0].role)));
    return out[0].framework_id.value();
  }

  Harness h_;
};

TEST_F(WorkedExample, RolesHoldTheTableAllocations) {
  std::vector<RoleSummary> roles = h_.allocator().Roles();
  ASSERT_EQ(roles.size(), 2u);
  EXPECT_EQ(roles[0].role, "batch");
  EXPECT_THAT(roles[0].allocated, testing::SameAs(R("cpus:2;mem:49152")));
  EXPECT_EQ(roles[1].role, "web");
  EXPECT_THAT(roles[1].allocated, testing::SameAs(R("cpus:6;mem:8192")));
  EXPECT_EQ(roles[1].frameworks, std::vector<model::FrameworkId>{Fid("web-fw")});
}

TEST_F(WorkedExample, WebFirstThenBatch) {
  // web 0.1875 (cpus) < batch 0.375 (mem).
  EXPECT_EQ(NextAgentGoesTo("a3"), "web-fw");
  // web is now 14/32 = 0.4375 > batch 0.375.
  EXPECT_EQ(NextAgentGoesTo("a4"), "batch-fw");
}

TEST_F(WorkedExample, BatchWeightTwoTiesAndWinsByName) {
  h_.allocator().UpdateWeights({{"batch", 2.0}});  // 0.375 / 2 = 0.1875 = web
  EXPECT_EQ(NextAgentGoesTo("a3"), "batch-fw");
}

TEST_F(WorkedExample, BatchWeightThreeIsStrictlyFirst) {
  h_.allocator().UpdateWeights({{"batch", 3.0}});  // 0.125 < 0.1875
  EXPECT_EQ(NextAgentGoesTo("a3"), "batch-fw");
  // batch: (2 + 8) cpus / 32 = 0.3125, (49152 + 32768) / 131072 = 0.625 -> 0.2083 > web.
  EXPECT_EQ(NextAgentGoesTo("a4"), "web-fw");
}

// The DRF paper's example (9 cpus, 18 GB; A's tasks <1 cpu, 4 GB>, B's <3 cpus, 1 GB>). Each
// run offers everything free to the framework with the lowest dominant share; it launches one
// task if it fits and gives the rest back (no filter), or declines for an hour if nothing fits.
TEST(ProgressiveFilling, EqualizesDominantShares) {
  Harness h;
  h.AddAgent("agent", "cpus:9;mem:18432");
  h.AddFramework("A", {"a"});
  h.AddFramework("B", {"b"});
  const std::map<std::string, model::Resources> task = {{"A", R("cpus:1;mem:4096")},
                                                        {"B", R("cpus:3;mem:1024")}};
  std::vector<std::string> launches;
  for (int round = 0; round < 20; ++round) {
    std::vector<Allocation> out = h.Allocate(round);
    if (out.empty()) break;
    ASSERT_EQ(out.size(), 1u);
    const Allocation& offer = out[0];
    const std::string fw = offer.framework_id.value();
    const model::Resources need = task.at(fw).AllocatedTo(offer.role);
    if (offer.resources.Contains(need)) {
      launches.push_back(fw);
      h.allocator().RecoverResources(offer.framework_id, offer.agent_id, offer.resources - need,
                                     std::nullopt, At(round));
    } else {
      h.Recover(offer, Duration::Hours(1), round);
    }
  }
  EXPECT_THAT(launches, ElementsAre("A", "B", "A", "B", "A"));
  EXPECT_THAT(h.Held("A", "agent"),
              testing::SameAs(R("cpus:3;mem:12288").AllocatedTo("a")));  // 12/18 mem
  EXPECT_THAT(h.Held("B", "agent"),
              testing::SameAs(R("cpus:6;mem:2048").AllocatedTo("b")));  // 6/9 cpus
}

class RoleTree : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.AddFramework("web", {"eng/web"});
    h_.AddFramework("batch", {"eng/batch"});
    h_.AddFramework("ops", {"ops"});
  }
  void AddAgents(int n) {
    for (int i = 0; i < n; ++i) h_.AddAgent("agent" + std::to_string(i), "cpus:4;mem:16384");
  }
  Harness h_;
};

TEST_F(RoleTree, OpsMatchesAllOfEng) {
  AddAgents(12);
  EXPECT_EQ(CountByFramework(h_.Allocate()),
            (std::map<std::string, int>{{"batch", 3}, {"ops", 6}, {"web", 3}}));
}

TEST_F(RoleTree, ParentWeightScalesTheWholeSubtree) {
  h_.allocator().UpdateWeights({{"eng", 2.0}});
  AddAgents(12);
  EXPECT_EQ(CountByFramework(h_.Allocate()),
            (std::map<std::string, int>{{"batch", 4}, {"ops", 4}, {"web", 4}}));
}

TEST_F(RoleTree, ChildWeightSplitsTheParentsShare) {
  h_.allocator().UpdateWeights({{"eng/web", 3.0}});
  AddAgents(40);
  std::map<std::string, int> got = CountByFramework(h_.Allocate());
  EXPECT_EQ(got["ops"], 20);  // eng and ops still alternate
  // Inside eng, web's weighted share web/3 tracks batch's: 15 vs 5, give or take one agent.
  EXPECT_LE(std::abs(got["web"] - 15), 1) << got["web"];
  EXPECT_EQ(got["web"] + got["batch"], 20);
}

TEST_F(RoleTree, ParentRoleFrameworkCompetesWithChildren) {
  h_.AddFramework("eng-admin", {"eng"});
  AddAgents(12);
  // ops gets half; eng's own leaf, eng/web and eng/batch share the other half.
  EXPECT_EQ(CountByFramework(h_.Allocate()),
            (std::map<std::string, int>{{"batch", 2}, {"eng-admin", 2}, {"ops", 6}, {"web", 2}}));
}

TEST(Shares, PortsNeverCount) {
  Harness h;
  h.AddFramework("ports-only", {"p"});
  h.AddFramework("cpu-user", {"c"});
  h.AddAgent("a1", "cpus:4;mem:4096;ports:[31000-31999]",
             {{Fid("ports-only"), R("ports:[31000-31999]").AllocatedTo("p")},
              {Fid("cpu-user"), R("cpus:1").AllocatedTo("c")}});
  h.AddAgent("a2", "cpus:4;mem:4096");
  std::optional<Allocation> next = On(h.AllocateOn({"a2"}), "a2");
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->framework_id, Fid("ports-only"));
}

TEST(Shares, ExcludedResourceNamesAreIgnored) {
  for (bool exclude : {false, true}) {
    Options options;
    if (exclude) options.fair_sharing_excluded_resource_names = {"gpus"};
    Harness h(options);
    h.AddFramework("gpu-user", {"g"});
    h.AddFramework("cpu-user", {"c"});
    h.AddAgent("a1", "cpus:8;mem:4096;gpus:4",
               {{Fid("gpu-user"), R("gpus:4").AllocatedTo("g")},
                {Fid("cpu-user"), R("cpus:1").AllocatedTo("c")}});
    h.AddAgent("a2", "cpus:8;mem:4096");
    std::optional<Allocation> next = On(h.AllocateOn({"a2"}), "a2");
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->framework_id, Fid(exclude ? "gpu-user" : "cpu-user")) << exclude;
  }
}

TEST(Shares, FrameworksWithinARoleAreOrderedByTheirOwnAllocation) {
  Harness h;
  h.AddFramework("f1", {"r"});
  h.AddFramework("f2", {"r"});
  h.AddAgent("a1", "cpus:8;mem:8192", {{Fid("f1"), R("cpus:2").AllocatedTo("r")}});
  h.AddAgent("a2", "cpus:8;mem:8192");
  h.AddAgent("a3", "cpus:8;mem:8192");
  std::optional<Allocation> next = On(h.AllocateOn({"a2"}), "a2");
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->framework_id, Fid("f2"));
  next = On(h.AllocateOn({"a3"}), "a3");
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->framework_id, Fid("f1"));  // f2 now holds 8 cpus, f1 2
}

TEST(Determinism, SameSeedSameDecisions) {
  auto run = [](uint64_t seed) {
    Options options;
    options.seed = seed;
    Harness h(options);
    for (int i = 0; i < 5; ++i)
      h.AddFramework("f" + std::to_string(i), {"r" + std::to_string(i % 2)});
    for (int i = 0; i < 50; ++i) {
      h.AddAgent("a" + std::to_string(i), i % 3 == 0 ? "cpus:8;mem:8192" : "cpus:2;mem:16384");
    }
    return h.Allocate();
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));  // the shuffle differs
}

}  // namespace
}  // namespace atl::allocator
