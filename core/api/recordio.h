// RecordIO, the framing of Mesos event streams (reference/mesos.md §1.2): each record is
// "<decimal byte length>\n<payload>", with nothing between a payload and the next length.
//   20\n{"type":"HEARTBEAT"}20\n{"type":"HEARTBEAT"}
// Transport chunks are independent of records, so the decoder is incremental.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace atl::api {

// Frames one record. REQUIRES: !payload.empty() (a zero length is invalid on the wire).
std::string RecordIoEncode(std::string_view payload);

// Reassembles records from a byte stream cut at arbitrary points.
//
//   RecordIoDecoder decoder;
//   std::vector<std::string> records;
//   for (chunk : body) RETURN_IF_ERROR(decoder.Feed(chunk, &records));
//
// Errors are final: a length that is not decimal digits followed by '\n', a zero length, or
// a length above Options::max_record_bytes make Feed fail (InvalidArgument, or
// ResourceExhausted for the size limit) and every later Feed return the same error, since the
// stream can no longer be resynchronized.
class RecordIoDecoder {
 public:
  struct Options {
    // Largest accepted payload; a larger declared length fails as soon as it is read, before
    // any of its payload is buffered.
    uint64_t max_record_bytes = uint64_t{64} << 20;  // 64 MiB
  };

  RecordIoDecoder() : RecordIoDecoder(Options{}) {}
  explicit RecordIoDecoder(Options options) : options_(options) {}

  // Consumes `bytes` and appends every record it completes to *records, in order. Records
  // completed before an error in the same call are still appended.
  absl::Status Feed(std::string_view bytes, std::vector<std::string>* records);

  // True when no partial record is buffered: the stream may end cleanly here.
  bool AtRecordBoundary() const { return status_.ok() && state_ == State::kLength && digits_ == 0; }
  // OK until the first error, then that error.
  const absl::Status& status() const { return status_; }

 private:
  enum class State { kLength, kPayload };

  absl::Status Fail(absl::Status status);

  Options options_;
  State state_ = State::kLength;
  uint64_t length_ = 0;  // kLength: the digits so far; kPayload: the declared length
  int digits_ = 0;       // digits read of the current length
  std::string payload_;  // kPayload: bytes so far
  absl::Status status_;
};

}  // namespace atl::api
