#include "core/api/recordio.h"

#include <algorithm>
#include <utility>

#include "core/base/check.h"
#include "core/base/strings.h"

namespace atl::api {

std::string RecordIoEncode(std::string_view payload) {
  ATOLL_CHECK(!payload.empty()) << "RecordIO cannot frame an empty record";
  std::string out = atl::StrCat(payload.size(), "\n");
  out.append(payload);
  return out;
}

absl::Status RecordIoDecoder::Fail(absl::Status status) {
  status_ = std::move(status);
  payload_.clear();
  payload_.shrink_to_fit();
  return status_;
}

absl::Status RecordIoDecoder::Feed(std::string_view bytes, std::vector<std::string>* records) {
  if (!status_.ok()) return status_;
  size_t i = 0;
  while (i < bytes.size()) {
    if (state_ == State::kLength) {
      char c = bytes[i++];
      if (c == '\n') {
        if (digits_ == 0) return Fail(absl::InvalidArgumentError("RecordIO: empty record length"));
        if (length_ == 0) return Fail(absl::InvalidArgumentError("RecordIO: zero record length"));
        state_ = State::kPayload;
        // A peer may declare a large length and send nothing: grow with what arrives.
        payload_.reserve(std::min<uint64_t>(length_, uint64_t{1} << 20));
        continue;
      }
      if (c < '0' || c > '9') {
        std::string shown =
            (c >= 0x20 && c < 0x7F)
                ? std::string(1, c)
                : atl::StrCat("byte ", static_cast<int>(static_cast<unsigned char>(c)));
        return Fail(absl::InvalidArgumentError(
            atl::StrCat("RecordIO: expected a decimal length, got '", shown, "'")));
      }
      // Checked before multiplying, so the length never overflows.
      uint64_t digit = static_cast<uint64_t>(c - '0');
      if (digit > options_.max_record_bytes || length_ > (options_.max_record_bytes - digit) / 10) {
        return Fail(absl::ResourceExhaustedError(atl::StrCat(
            "RecordIO: record longer than the limit of ", options_.max_record_bytes, " bytes")));
      }
      length_ = length_ * 10 + digit;
      ++digits_;
      continue;
    }
    size_t take = std::min<size_t>(bytes.size() - i, length_ - payload_.size());
    payload_.append(bytes.substr(i, take));
    i += take;
    if (payload_.size() == length_) {
      records->push_back(std::move(payload_));
      payload_ = std::string();
      state_ = State::kLength;
      length_ = 0;
      digits_ = 0;
    }
  }
  return absl::OkStatus();
}

}  // namespace atl::api
