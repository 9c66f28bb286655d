#include "marathonlike/path_id.h"

#include <gtest/gtest.h>

namespace atl::marathonlike {
namespace {

TEST(PathId, SegmentsFollowMarathonsLabelRules) {
  for (const char* ok : {"web", "a.b-c", "a1", "1a", "x.y.z", "a--b", ".", ".."}) {
    EXPECT_TRUE(IsValidSegment(ok)) << ok;
  }
  for (const char* bad : {"", "-a", "a-", "A", "a_b", "a..b", ".a", "a.", "a b", "é"}) {
    EXPECT_FALSE(IsValidSegment(bad)) << bad;
  }
}

TEST(PathId, RelativeIdsResolveAgainstTheEnclosingGroup) {
  EXPECT_EQ(ResolvePath("web", "/prod"), "/prod/web");
  EXPECT_EQ(ResolvePath("../db", "/prod/web"), "/prod/db");
  EXPECT_EQ(ResolvePath("./a/./b/", "/"), "/a/b");
  EXPECT_EQ(ResolvePath("/abs", "/prod"), "/abs");
  EXPECT_EQ(ResolvePath("..", "/prod"), "/");
  EXPECT_EQ(ResolvePath("../..", "/prod"), std::nullopt);
  EXPECT_EQ(ResolvePath("", "/prod"), "/prod");
}

TEST(PathId, ParentsAndAncestry) {
  EXPECT_EQ(Parent("/a/b/c"), "/a/b");
  EXPECT_EQ(Parent("/a"), "/");
  EXPECT_EQ(Parent("/"), "/");
  EXPECT_TRUE(IsUnder("/a/b", "/a"));
  EXPECT_TRUE(IsUnder("/a", "/a"));
  EXPECT_TRUE(IsUnder("/a", "/"));
  EXPECT_FALSE(IsUnder("/ab", "/a"));
  EXPECT_EQ(SafeName("/prod/web"), "prod_web");
}

TEST(PathId, AppIdErrorsNameEachProblem) {
  EXPECT_TRUE(AppIdErrors("/prod/web").empty());
  EXPECT_EQ(AppIdErrors("/").size(), 1u);
  EXPECT_EQ(AppIdErrors("/prod/restart"), std::vector<std::string>{"must not end with 'restart'"});
  std::vector<std::string> bad = AppIdErrors("/Prod/web_1");
  ASSERT_EQ(bad.size(), 2u);
  EXPECT_EQ(bad[0].substr(0, 7), "'Prod' ");
}

}  // namespace
}  // namespace atl::marathonlike
