#include "core/model/resources.h"

#include <gtest/gtest.h>

#include "core/model/attributes.h"

namespace atl::model {
namespace {

Resources R(const std::string& text, const std::string& role = "*") {
  auto r = Resources::Parse(text, role);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return *r;
}

TEST(Scalar, FixedPointArithmeticDoesNotDrift) {
  Scalar sum;
  for (int i = 0; i < 1000; ++i) sum += Scalar::FromDouble(0.1);
  EXPECT_EQ(sum, Scalar::FromDouble(100));
  EXPECT_EQ(Scalar::FromDouble(0.1) + Scalar::FromDouble(0.2), Scalar::FromDouble(0.3));
  EXPECT_EQ(Scalar::FromDouble(1.0004).milli(), 1000);  // three decimals, like Mesos
  EXPECT_EQ(Scalar::FromDouble(0.5).ToString(), "0.5");
  EXPECT_EQ(Scalar::FromDouble(1024).ToString(), "1024");
}

TEST(Ranges, NormalizesSubtractsAndContains) {
  Ranges r({{31005, 31010}, {31000, 31004}, {31020, 31030}});
  EXPECT_EQ(r.ToString(), "[31000-31010, 31020-31030]");
  EXPECT_EQ(r.Count(), 22u);
  r.Subtract(Ranges({{31005, 31005}, {31025, 31040}}));
  EXPECT_EQ(r.ToString(), "[31000-31004, 31006-31010, 31020-31024]");
  EXPECT_TRUE(r.Contains(Ranges({{31001, 31003}, {31020, 31020}})));
  EXPECT_FALSE(r.Contains(Ranges({{31004, 31006}})));
  EXPECT_TRUE(r.Contains(31008));
  EXPECT_FALSE(r.Contains(31005));
  EXPECT_EQ(r.TakeLowest(6).ToString(), "[31000-31004, 31006-31006]");
  EXPECT_FALSE(Ranges::Parse("[5-1]").ok());
  EXPECT_FALSE(Ranges::Parse("[1-2").ok());
  EXPECT_EQ(Ranges::Parse("[1-2, 4-4]")->Count(), 3u);
}

TEST(Resources, ParsesMesosTextWithRolesRangesAndSets) {
  Resources r = R("cpus:4;mem:1024;ports:[31000-32000];cpus(ads):8;zones:{b,a}");
  EXPECT_EQ(r.GetScalar("cpus"), Scalar::FromDouble(12));
  EXPECT_EQ(r.Unreserved().GetScalar("cpus"), Scalar::FromDouble(4));
  EXPECT_EQ(r.ReservedTo("ads").GetScalar("cpus"), Scalar::FromDouble(8));
  EXPECT_EQ(r.GetRanges("ports").Count(), 1001u);
  EXPECT_FALSE(Resources::Parse("cpus").ok());
  EXPECT_FALSE(Resources::Parse("cpus:-1").ok());
  EXPECT_FALSE(Resources::Parse("cpus:abc").ok());
  EXPECT_FALSE(Resources::Parse("cpus(.):1").ok());
  EXPECT_EQ(R("cpus:1", "web").ReservedTo("web").GetScalar("cpus"), Scalar::FromDouble(1));
}

TEST(Resources, AddSubtractContainsAreExact) {
  Resources total = R("cpus:4;mem:1024;ports:[31000-31010]");
  Resources task = R("cpus:0.1;mem:32;ports:[31005-31005]");
  EXPECT_TRUE(total.Contains(task));
  Resources left = total - task;
  EXPECT_EQ(left.GetScalar("cpus"), Scalar::FromDouble(3.9));
  EXPECT_EQ(left.GetRanges("ports").ToString(), "[31000-31004, 31006-31010]");
  EXPECT_FALSE(left.Contains(R("ports:[31005-31005]")));
  EXPECT_EQ(left + task, total);
  EXPECT_FALSE(total.Contains(R("cpus:5")));
  EXPECT_FALSE(total.Contains(R("gpus:1")));
}

TEST(Resources, ReservationsAndAllocationRolesDoNotMix) {
  Resources r = R("cpus:2;cpus(web):2");
  EXPECT_FALSE(r.Unreserved().Contains(R("cpus:3")));
  EXPECT_TRUE(r.Contains(R("cpus:2", "web")));
  EXPECT_FALSE(r.Contains(R("cpus:3", "web")));
  EXPECT_EQ(r.AllocatableTo("web").GetScalar("cpus"), Scalar::FromDouble(4));
  EXPECT_EQ(r.AllocatableTo("web/api").GetScalar("cpus"), Scalar::FromDouble(4));
  EXPECT_EQ(r.AllocatableTo("batch").GetScalar("cpus"), Scalar::FromDouble(2));
  Resources allocated = r.AllocatedTo("web");
  EXPECT_FALSE(allocated.Contains(r));  // allocation info is part of identity
  EXPECT_EQ(allocated.Unallocated(), r);
  EXPECT_EQ(allocated.Flatten().GetScalar("cpus"), Scalar::FromDouble(4));
  EXPECT_EQ(allocated.Flatten().size(), 1u);
}

TEST(Resources, PersistentVolumesAreIndivisible) {
  Resource vol = Resource::MakeScalar("disk", Scalar::FromDouble(100));
  vol.reservations.push_back({ReservationInfo::Type::kDynamic, "db", "p", {}});
  vol.disk = DiskInfo{"pg-0", "p", "data", "RW"};
  Resources r({vol});
  Resource half = vol;
  half.scalar = Scalar::FromDouble(50);
  EXPECT_FALSE(r.Contains(Resources({half})));
  EXPECT_TRUE(r.Contains(Resources({vol})));
  Resources two = r + Resources({vol});
  EXPECT_EQ(two.size(), 2u);  // never merged
  EXPECT_EQ((two - Resources({vol})).size(), 1u);
}

TEST(Resources, EqualityIgnoresOrder) {
  EXPECT_EQ(R("cpus:1;mem:2"), R("mem:2;cpus:1"));
  EXPECT_NE(R("cpus:1;mem:2"), R("mem:2;cpus:2"));
}

TEST(Roles, ValidationAndHierarchy) {
  EXPECT_TRUE(ValidateRole("*").ok());
  EXPECT_TRUE(ValidateRole("eng/web").ok());
  for (const char* bad : {"", ".", "..", "-x", "a b", "/a", "a/", "a//b", "a/*"}) {
    EXPECT_FALSE(ValidateRole(bad).ok()) << bad;
  }
  EXPECT_TRUE(IsRoleOrDescendant("eng/web", "eng"));
  EXPECT_FALSE(IsRoleOrDescendant("engineering", "eng"));
  EXPECT_FALSE(IsRoleOrDescendant("eng", "*"));
}

TEST(Attributes, ParsesTheAgentFlagForm) {
  auto a = ParseAttributes("rack:r12;gen:3;slots:[1-4];features:{ssd,avx2}");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 4u);
  EXPECT_EQ((*a)[0].type, ValueType::kText);
  EXPECT_EQ((*a)[0].text, "r12");
  EXPECT_EQ((*a)[1].type, ValueType::kScalar);
  EXPECT_EQ((*a)[1].scalar, Scalar::FromDouble(3));
  EXPECT_EQ((*a)[2].type, ValueType::kRanges);
  EXPECT_EQ((*a)[3].type, ValueType::kSet);
  EXPECT_EQ(FindAttribute(*a, "rack")->ValueString(), "r12");
  EXPECT_EQ(FindAttribute(*a, "nope"), nullptr);
  EXPECT_FALSE(ParseAttributes("rack").ok());
}

}  // namespace
}  // namespace atl::model
