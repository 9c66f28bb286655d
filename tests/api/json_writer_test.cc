// JsonWriter: compact, single-line, valid JSON whatever the input bytes.
#include <cmath>
#include <limits>
#include <string>

#include "core/api/json.h"
#include "gtest/gtest.h"

namespace atl::api {
namespace {

TEST(JsonWriter, WritesCompactNestedDocuments) {
  JsonWriter w;
  w.StartObject();
  w.Key("a").Int(1);
  w.Key("b").StartArray().Bool(true).Bool(false).Null().StartObject().EndObject().EndArray();
  w.Key("c").StartObject().Key("d").String("e").EndObject();
  w.Key("empty").StartArray().EndArray();
  w.EndObject();
  ASSERT_TRUE(w.complete());
  EXPECT_EQ(w.str(), R"({"a":1,"b":[true,false,null,{}],"c":{"d":"e"},"empty":[]})");
}

TEST(JsonWriter, ScalarRootIsADocument) {
  JsonWriter w;
  EXPECT_FALSE(w.complete());
  w.String("x");
  EXPECT_TRUE(w.complete());
  EXPECT_EQ(w.Finish(), R"("x")");
}

TEST(JsonWriter, FinishResetsForReuse) {
  JsonWriter w;
  w.StartArray().EndArray();
  EXPECT_EQ(w.Finish(), "[]");
  EXPECT_FALSE(w.complete());
  w.StartObject().EndObject();
  EXPECT_EQ(w.Finish(), "{}");
}

TEST(JsonWriter, IntegersUseTheirFullRange) {
  JsonWriter w;
  w.StartArray()
      .Int(std::numeric_limits<int32_t>::min())
      .Uint(std::numeric_limits<uint32_t>::max())
      .Int64(std::numeric_limits<int64_t>::min())
      .Uint64(std::numeric_limits<uint64_t>::max())
      .EndArray();
  EXPECT_EQ(w.Finish(), "[-2147483648,4294967295,-9223372036854775808,18446744073709551615]");
}

std::string DoubleJson(double v) {
  JsonWriter w;
  w.Double(v);
  return w.Finish();
}

TEST(JsonWriter, DoublesAreShortestRoundTripWithPointZeroOnWholeNumbers) {
  EXPECT_EQ(DoubleJson(15), "15.0");
  EXPECT_EQ(DoubleJson(0), "0.0");
  EXPECT_EQ(DoubleJson(-0.0), "-0.0");
  EXPECT_EQ(DoubleJson(3.9), "3.9");
  EXPECT_EQ(DoubleJson(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(DoubleJson(1732170000.512), "1732170000.512");
  EXPECT_EQ(DoubleJson(1e300), "1e+300");
  EXPECT_EQ(DoubleJson(5e-324), "5e-324");
}

TEST(JsonWriter, NonFiniteDoublesBecomeNull) {
  EXPECT_EQ(DoubleJson(std::nan("")), "null");
  EXPECT_EQ(DoubleJson(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(DoubleJson(-std::numeric_limits<double>::infinity()), "null");
}

std::string StringJson(std::string_view s) {
  JsonWriter w;
  w.String(s);
  return w.Finish();
}

TEST(JsonWriter, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(StringJson("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(StringJson("line\nbreak\r\ttab"), R"("line\nbreak\r\ttab")");
  EXPECT_EQ(StringJson(std::string("\x00\x01\x1f\x7f", 4)), R"("\u0000\u0001\u001f\u007f")");
  EXPECT_EQ(StringJson("\b\f"), R"("\b\f")");
}

TEST(JsonWriter, NeverEmitsANewline) {
  JsonWriter w;
  w.StartObject().Key("multi\nline key").String("multi\nline\nvalue").EndObject();
  EXPECT_EQ(w.str().find('\n'), std::string::npos);
}

TEST(JsonWriter, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(StringJson("\xc3\xa9\xf0\x9f\x98\x80"), "\"\xc3\xa9\xf0\x9f\x98\x80\"");
  EXPECT_EQ(StringJson("a\xff"
                       "b"),
            "\"a\xef\xbf\xbd"
            "b\"");
  EXPECT_EQ(StringJson("\xc3"), "\"\xef\xbf\xbd\"");                  // truncated sequence
  EXPECT_EQ(StringJson("\xc0\xaf"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");  // overlong '/'
  EXPECT_EQ(StringJson("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");  // surrogate
}

TEST(JsonWriter, RawSplicesASerializedValue) {
  JsonWriter w;
  w.StartObject().Key("cached").Raw(R"({"x":[1,2]})").Key("n").Int(3).EndObject();
  EXPECT_EQ(w.Finish(), R"({"cached":{"x":[1,2]},"n":3})");
}

TEST(JsonWriterDeathTest, MisuseIsAProgrammingError) {
  EXPECT_DEATH(
      {
        JsonWriter w;
        w.StartObject().String("no key");
      },
      "without a key");
  EXPECT_DEATH(
      {
        JsonWriter w;
        w.StartArray().Key("k");
      },
      "outside an object");
  EXPECT_DEATH(
      {
        JsonWriter w;
        w.StartArray().EndObject();
      },
      "EndObject does not match");
  EXPECT_DEATH(
      {
        JsonWriter w;
        w.StartObject();
        w.Finish();
      },
      "incomplete");
}

}  // namespace
}  // namespace atl::api
