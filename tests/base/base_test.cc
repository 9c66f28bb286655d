#include <gtest/gtest.h>

#include <set>

#include "core/base/clock.h"
#include "core/base/id.h"
#include "core/base/random.h"
#include "core/base/status.h"
#include "core/base/strings.h"
#include "core/base/uuid.h"

namespace atl {
namespace {

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError(StrCat("odd: ", x));
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

absl::Status CheckEven(int x) {
  RETURN_IF_ERROR(Half(x).status());
  return absl::OkStatus();
}

TEST(StatusMacros, PropagateTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().message(), "odd: 3");
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_FALSE(CheckEven(5).ok());
}

TEST(Time, DurationArithmeticAndFormatting) {
  EXPECT_EQ(Duration::Seconds(1) + Duration::Milliseconds(500), Duration::FromSecondsDouble(1.5));
  EXPECT_EQ(Duration::Seconds(15).ToString(), "15s");
  EXPECT_EQ(Duration::Milliseconds(200).ToString(), "200ms");
  EXPECT_EQ(Timestamp::Max() + Duration::Seconds(1), Timestamp::Max());  // saturates
  FakeClock clock;
  Timestamp t0 = clock.Now();
  clock.Advance(Duration::Seconds(3));
  EXPECT_EQ(clock.Now() - t0, Duration::Seconds(3));
  clock.AdvanceTo(t0);  // never backwards
  EXPECT_EQ(clock.Now() - t0, Duration::Seconds(3));
}

TEST(Random, SameSeedSameSequenceAndUniformBounds) {
  Random a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.Next64(), b.Next64());
  EXPECT_NE(Random(42).Next64(), c.Next64());
  Random r(7);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(r.Uniform(10), 10u);
  std::vector<int> v{1, 2, 3, 4, 5};
  r.Shuffle(v);
  EXPECT_EQ(std::set<int>(v.begin(), v.end()), (std::set<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(StableHash("web"), StableHash("web"));
}

TEST(Uuid, CanonicalFormRoundTripsAndIsVersion4) {
  Random r(1);
  UuidBytes u = r.Uuid();
  std::string s = UuidToString(u);
  EXPECT_EQ(s.size(), 36u);
  EXPECT_EQ(s[14], '4');
  EXPECT_EQ(*UuidFromString(s), u);
  EXPECT_FALSE(UuidFromString("not-a-uuid").ok());
  EXPECT_FALSE(UuidFromString("0b1f6c64-7e3a-4c2e-9d55-3f1c2b8a9e1g").ok());
  EXPECT_EQ(UuidToBytes(u).size(), 16u);
}

TEST(Strings, SplitStripParse) {
  EXPECT_EQ(Split("a;;b; ", ';').size(), 2u);
  EXPECT_EQ(Split("a;;b", ';', false).size(), 3u);
  EXPECT_EQ(Strip("  x \n"), "x");
  int64_t i;
  EXPECT_TRUE(ParseInt64(" -12 ", &i));
  EXPECT_EQ(i, -12);
  EXPECT_FALSE(ParseInt64("12x", &i));
  double d;
  EXPECT_TRUE(ParseDouble("1.5", &d));
  EXPECT_FALSE(ParseDouble("inf", &d));
  EXPECT_EQ(StrCat("a", 1, '-', 2.5, std::string_view("z")), "a1-2.5z");
  EXPECT_EQ(Join(std::vector<std::string>{"a", "b"}, ","), "a,b");
}

TEST(Id, StrongIdsCompareAndHash) {
  using A = Id<struct ATag>;
  A x("1"), y("2");
  EXPECT_LT(x, y);
  EXPECT_EQ(absl::HashOf(x), absl::HashOf(A("1")));
}

}  // namespace
}  // namespace atl
