#include "core/allocator/drf_sorter.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace atl::allocator {
namespace {

using ::testing::ElementsAre;

// Kinds: 0 = cpus (milli), 1 = mem (milli-MB).
Quantities Q(int64_t cpus, int64_t mem_mb) {
  Quantities q;
  q.Set(0, cpus * 1000);
  q.Set(1, mem_mb * 1000);
  return q;
}

// reference/mesos.md §6.4: 4 agents x (8 cpus, 32768 MB); web holds 6 cpus / 8192 MB
// (dominant cpus 0.1875), batch 2 cpus / 49152 MB (dominant mem 0.375).
class SorterWorkedExample : public ::testing::Test {
 protected:
  void SetUp() override {
    sorter_.AddTotal(Q(32, 131072));
    sorter_.Add("web", 0, true);
    sorter_.Add("batch", 1, true);
    sorter_.Allocated("web", Q(6, 8192));
    sorter_.Allocated("batch", Q(2, 49152));
  }
  DrfSorter sorter_{/*hierarchical=*/true};
};

TEST_F(SorterWorkedExample, SharesAreDominantFractions) {
  EXPECT_DOUBLE_EQ(sorter_.Share("web"), 0.1875);
  EXPECT_DOUBLE_EQ(sorter_.Share("batch"), 0.375);
  EXPECT_THAT(sorter_.Sort(), ElementsAre("web", "batch"));
}

TEST_F(SorterWorkedExample, WebTakingAnAgentPutsBatchFirst) {
  sorter_.Allocated("web", Q(8, 32768));
  EXPECT_DOUBLE_EQ(sorter_.Share("web"), 0.4375);  // 14/32 cpus beats 40960/131072 mem
  EXPECT_THAT(sorter_.Sort(), ElementsAre("batch", "web"));
}

TEST_F(SorterWorkedExample, WeightTwoTiesAndNameBreaksTheTie) {
  sorter_.UpdateWeight("batch", 2);
  EXPECT_DOUBLE_EQ(sorter_.Share("batch"), 0.1875);
  EXPECT_EQ(sorter_.Allocations("batch"), sorter_.Allocations("web"));
  EXPECT_THAT(sorter_.Sort(), ElementsAre("batch", "web"));
}

TEST_F(SorterWorkedExample, WeightThreePutsBatchStrictlyFirst) {
  sorter_.Allocated("batch", Q(0, 0));  // batch now has more allocations: ties would go to web
  sorter_.UpdateWeight("batch", 3);
  EXPECT_DOUBLE_EQ(sorter_.Share("batch"), 0.125);
  EXPECT_THAT(sorter_.Sort(), ElementsAre("batch", "web"));
}

TEST(DrfSorter, TiesGoToFewerAllocationsThenName) {
  DrfSorter sorter(/*hierarchical=*/false);
  sorter.AddTotal(Q(10, 1000));
  sorter.Add("b", 0, true);
  sorter.Add("a", 1, true);
  EXPECT_THAT(sorter.Sort(), ElementsAre("a", "b"));
  sorter.Allocated("a", Q(1, 0));
  sorter.Allocated("b", Q(1, 0));
  sorter.Allocated("a", Q(0, 0));  // same share, one more allocation made
  EXPECT_THAT(sorter.Sort(), ElementsAre("b", "a"));
}

TEST(DrfSorter, InactiveClientsAreSkippedButKeepTheirAllocation) {
  DrfSorter sorter(/*hierarchical=*/true);
  sorter.AddTotal(Q(10, 1000));
  sorter.Add("eng/web", 0, true);
  sorter.Add("eng/batch", 1, true);
  sorter.Add("ops", 2, true);
  sorter.Allocated("eng/batch", Q(4, 0));
  sorter.Deactivate("eng/batch");
  // eng carries batch's 0.4 although batch is not visited.
  EXPECT_THAT(sorter.Sort(), ElementsAre("ops", "eng/web"));
  sorter.Deactivate("eng/web");
  EXPECT_THAT(sorter.Sort(), ElementsAre("ops"));
  sorter.Activate("eng/batch");
  EXPECT_THAT(sorter.Sort(), ElementsAre("ops", "eng/batch"));
}

TEST(DrfSorter, SiblingsCompareBySubtreeAllocation) {
  DrfSorter sorter(/*hierarchical=*/true);
  sorter.AddTotal(Q(100, 1000));
  sorter.Add("eng/web", 0, true);
  sorter.Add("eng/batch", 1, true);
  sorter.Add("ops", 2, true);
  sorter.Allocated("eng/web", Q(10, 0));
  sorter.Allocated("eng/batch", Q(10, 0));
  sorter.Allocated("ops", Q(15, 0));
  // eng = 0.20 > ops = 0.15, although each eng child alone is below ops.
  EXPECT_THAT(sorter.Sort(), ElementsAre("ops", "eng/batch", "eng/web"));
  sorter.UpdateWeight("eng", 2);  // eng 0.10 < ops
  EXPECT_THAT(sorter.Sort(), ElementsAre("eng/batch", "eng/web", "ops"));
}

TEST(DrfSorter, ClientCanBeParentToo) {
  DrfSorter sorter(/*hierarchical=*/true);
  sorter.AddTotal(Q(100, 1000));
  sorter.Add("eng", 0, true);
  sorter.Add("eng/web", 1, true);
  sorter.Allocated("eng/web", Q(10, 0));
  // eng's own leaf (no allocation) competes with eng/web inside eng.
  EXPECT_THAT(sorter.Sort(), ElementsAre("eng", "eng/web"));
  sorter.Allocated("eng", Q(20, 0));
  EXPECT_THAT(sorter.Sort(), ElementsAre("eng/web", "eng"));
  sorter.Remove("eng/web");
  EXPECT_THAT(sorter.Sort(), ElementsAre("eng"));
  EXPECT_DOUBLE_EQ(sorter.Share("eng"), 0.2);
  sorter.Remove("eng");
  EXPECT_EQ(sorter.size(), 0u);
  EXPECT_TRUE(sorter.Sort().empty());
}

TEST(DrfSorter, TotalsChangeReordersLazily) {
  DrfSorter sorter(/*hierarchical=*/false);
  sorter.AddTotal(Q(10, 1000));
  sorter.Add("cpu-heavy", 0, true);
  sorter.Add("mem-heavy", 1, true);
  sorter.Allocated("cpu-heavy", Q(5, 0));    // 0.5
  sorter.Allocated("mem-heavy", Q(0, 400));  // 0.4
  EXPECT_THAT(sorter.Sort(), ElementsAre("mem-heavy", "cpu-heavy"));
  sorter.AddTotal(Q(90, 0));  // cpus now plentiful: cpu-heavy 0.05
  EXPECT_THAT(sorter.Sort(), ElementsAre("cpu-heavy", "mem-heavy"));
}

TEST(DrfSorter, UnallocatedAndUpdateDoNotCountAsAllocations) {
  DrfSorter sorter(/*hierarchical=*/false);
  sorter.AddTotal(Q(10, 1000));
  sorter.Add("a", 0, true);
  sorter.Allocated("a", Q(4, 0));
  sorter.Unallocated("a", Q(2, 0));
  sorter.Update("a", Q(2, 0), Q(2, 100));
  EXPECT_EQ(sorter.Allocations("a"), 1u);
  EXPECT_EQ(sorter.Allocation("a"), Q(2, 100));
}

TEST(DrfSorter, ForEachActiveStopsWhenAsked) {
  DrfSorter sorter(/*hierarchical=*/false);
  sorter.AddTotal(Q(10, 1000));
  for (uint32_t i = 0; i < 5; ++i) sorter.Add(std::string(1, static_cast<char>('a' + i)), i, true);
  std::vector<uint32_t> seen;
  sorter.ForEachActive([&](const std::string&, uint32_t tag) {
    seen.push_back(tag);
    return seen.size() < 2;
  });
  EXPECT_THAT(seen, ElementsAre(0u, 1u));
}

}  // namespace
}  // namespace atl::allocator
