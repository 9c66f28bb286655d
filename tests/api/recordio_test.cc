// RecordIO framing: "<length>\n<payload>" records reassembled across arbitrary chunk cuts.
#include "core/api/recordio.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace atl::api {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::vector<std::string> kRecords = {R"({"type":"HEARTBEAT"})", "x", std::string(300, 'p'),
                                           "multi\nline payload"};

std::string Stream() {
  std::string out;
  for (const std::string& r : kRecords) out += RecordIoEncode(r);
  return out;
}

TEST(RecordIo, EncodesLengthNewlinePayload) {
  EXPECT_EQ(RecordIoEncode(R"({"type":"HEARTBEAT"})"), "20\n{\"type\":\"HEARTBEAT\"}");
  EXPECT_EQ(RecordIoEncode("x"), "1\nx");
}

TEST(RecordIo, DecodesConsecutiveRecordsFromOneChunk) {
  RecordIoDecoder decoder;
  std::vector<std::string> records;
  ASSERT_TRUE(decoder.Feed(Stream(), &records).ok());
  EXPECT_EQ(records, kRecords);
  EXPECT_TRUE(decoder.AtRecordBoundary());
}

TEST(RecordIo, DecodesByteByByte) {
  RecordIoDecoder decoder;
  std::vector<std::string> records;
  for (char c : Stream()) {
    ASSERT_TRUE(decoder.Feed(std::string_view(&c, 1), &records).ok());
  }
  EXPECT_EQ(records, kRecords);
}

TEST(RecordIo, DecodesWhenSplitAtEveryByteBoundary) {
  const std::string stream = Stream();
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    RecordIoDecoder decoder;
    std::vector<std::string> records;
    ASSERT_TRUE(decoder.Feed(std::string_view(stream).substr(0, cut), &records).ok()) << cut;
    ASSERT_TRUE(decoder.Feed(std::string_view(stream).substr(cut), &records).ok()) << cut;
    EXPECT_EQ(records, kRecords) << "cut at " << cut;
  }
}

TEST(RecordIo, ReportsWhetherARecordIsPartial) {
  RecordIoDecoder decoder;
  std::vector<std::string> records;
  EXPECT_TRUE(decoder.AtRecordBoundary());
  ASSERT_TRUE(decoder.Feed("1", &records).ok());
  EXPECT_FALSE(decoder.AtRecordBoundary());
  ASSERT_TRUE(decoder.Feed("0\n01234", &records).ok());
  EXPECT_FALSE(decoder.AtRecordBoundary());
  ASSERT_TRUE(decoder.Feed("56789", &records).ok());
  EXPECT_TRUE(decoder.AtRecordBoundary());
  EXPECT_THAT(records, ElementsAre("0123456789"));
}

TEST(RecordIo, LeadingZerosInTheLengthAreDigits) {
  RecordIoDecoder decoder;
  std::vector<std::string> records;
  ASSERT_TRUE(decoder.Feed("002\nab", &records).ok());
  EXPECT_THAT(records, ElementsAre("ab"));
}

absl::Status FeedAll(std::string_view bytes, RecordIoDecoder::Options options = {}) {
  RecordIoDecoder decoder(options);
  std::vector<std::string> records;
  return decoder.Feed(bytes, &records);
}

TEST(RecordIo, RejectsLengthsThatAreNotDigits) {
  EXPECT_THAT(FeedAll("abc\n").message(), HasSubstr("expected a decimal length, got 'a'"));
  EXPECT_THAT(FeedAll("-1\nx").message(), HasSubstr("got '-'"));
  EXPECT_THAT(FeedAll(" 1\nx").message(), HasSubstr("got ' '"));
  EXPECT_THAT(FeedAll("1\r\nx").message(), HasSubstr("byte 13"));
  EXPECT_THAT(FeedAll("\n").message(), HasSubstr("empty record length"));
  EXPECT_EQ(FeedAll("abc").code(), absl::StatusCode::kInvalidArgument);
}

TEST(RecordIo, RejectsZeroLength) {
  EXPECT_THAT(FeedAll("0\n").message(), HasSubstr("zero record length"));
  EXPECT_THAT(FeedAll("000\n").message(), HasSubstr("zero record length"));
}

TEST(RecordIo, RejectsLengthsAboveTheLimitBeforeBufferingThePayload) {
  RecordIoDecoder::Options options{.max_record_bytes = 10};
  EXPECT_TRUE(FeedAll("10\n0123456789", options).ok());
  absl::Status status = FeedAll("11\n", options);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(status.message(), HasSubstr("limit of 10 bytes"));
  // Detected while reading digits, so no length can overflow.
  EXPECT_EQ(FeedAll("99999999999999999999999999999999").code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(FeedAll(std::to_string((uint64_t{64} << 20) + 1) + "\n").code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(RecordIo, StaysFailedAfterAnError) {
  RecordIoDecoder decoder;
  std::vector<std::string> records;
  absl::Status first = decoder.Feed("1\nax", &records);
  EXPECT_THAT(records, ElementsAre("a"));  // records before the error are delivered
  EXPECT_FALSE(first.ok());
  EXPECT_EQ(decoder.Feed("1\nb", &records), first);
  EXPECT_EQ(decoder.status(), first);
  EXPECT_FALSE(decoder.AtRecordBoundary());
  EXPECT_THAT(records, ElementsAre("a"));
}

}  // namespace
}  // namespace atl::api
