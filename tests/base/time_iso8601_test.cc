// ISO-8601 timestamps as Marathon writes them (versions, task times): "2015-09-29T15:59:51.164Z".
#include <gtest/gtest.h>

#include "core/base/time.h"

namespace atl {
namespace {

Timestamp At(int64_t seconds, int64_t millis = 0) {
  return Timestamp::FromNanoseconds(seconds * 1000000000 + millis * 1000000);
}

TEST(Iso8601, FormatsUtcWithMillisecondsAndZ) {
  EXPECT_EQ(FormatIso8601(Timestamp::Epoch()), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601(At(1443542391, 164)), "2015-09-29T15:59:51.164Z");
  EXPECT_EQ(FormatIso8601(At(951782400)), "2000-02-29T00:00:00.000Z");  // leap day
  EXPECT_EQ(FormatIso8601(At(-1, 999)), "1969-12-31T23:59:59.999Z");
  // Sub-millisecond digits are truncated toward the past, also before 1970.
  EXPECT_EQ(FormatIso8601(Timestamp::FromNanoseconds(1999999)), "1970-01-01T00:00:00.001Z");
  EXPECT_EQ(FormatIso8601(Timestamp::FromNanoseconds(-1)), "1969-12-31T23:59:59.999Z");
}

TEST(Iso8601, FormatAndParseRoundTripOverTheWholeRange) {
  // Every ~1.7 days and an odd millisecond from 1678 to 2262 (what a Timestamp holds): the
  // hand-written formatter and the parser agree.
  for (int64_t ms = -9'200'000'000'000; ms < 9'200'000'000'000; ms += 147'483'647'013) {
    Timestamp t = Timestamp::FromNanoseconds(ms * 1000000);
    std::string text = FormatIso8601(t);
    ASSERT_EQ(text.size(), 24u) << text;
    EXPECT_EQ(ParseIso8601(text), t) << text;
  }
}

TEST(Iso8601, ParsesWhatItFormatsAndCommonVariants) {
  EXPECT_EQ(ParseIso8601("2015-09-29T15:59:51.164Z"), At(1443542391, 164));
  EXPECT_EQ(ParseIso8601("2015-09-29T15:59:51Z"), At(1443542391));
  EXPECT_EQ(ParseIso8601("2015-09-29t15:59:51.1z"), At(1443542391, 100));
  EXPECT_EQ(ParseIso8601("2015-09-29T17:59:51.164+02:00"), At(1443542391, 164));
  EXPECT_EQ(ParseIso8601("2015-09-29T10:29:51.164-0530"), At(1443542391, 164));
  EXPECT_EQ(ParseIso8601("1970-01-01T00:00:00.000000001Z"), Timestamp::FromNanoseconds(1));
  EXPECT_EQ(ParseIso8601("1969-12-31T23:59:59.999Z"), At(-1, 999));
  for (int64_t s : {int64_t{0}, int64_t{1443542391}, int64_t{-86400 * 365}, int64_t{4102444800}}) {
    Timestamp t = At(s, 123);
    EXPECT_EQ(ParseIso8601(FormatIso8601(t)), t) << s;
  }
}

TEST(Iso8601, RejectsAnythingElse) {
  for (const char* bad :
       {"", "2015-09-29", "2015-09-29T15:59:51", "2015-09-29 15:59:51Z", "2015-13-01T00:00:00Z",
        "2015-02-29T00:00:00Z", "2015-09-31T00:00:00Z", "2015-09-29T24:00:00Z",
        "2015-09-29T15:60:00Z", "2015-09-29T15:59:60Z", "2015-09-29T15:59:51.Z",
        "2015-09-29T15:59:51.1234567890Z", "2015-09-29T15:59:51Zjunk", "15-09-29T15:59:51Z",
        "2015-09-29T15:59:51+2:00", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"}) {
    EXPECT_EQ(ParseIso8601(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace atl
