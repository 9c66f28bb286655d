// RecordIoDecoder on arbitrary bytes, fed in two chunks cut at a point taken from the input,
// must never crash and must agree with a one-chunk decode; re-encoding what it decoded and
// decoding that again must give the same records.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/api/recordio.h"

namespace {

void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "recordio_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the cut and a small record limit, so both paths get exercised.
  const size_t cut = data[0] % size;
  atl::api::RecordIoDecoder::Options options;
  options.max_record_bytes = 1 + size_t{data[0]} * 64;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  atl::api::RecordIoDecoder whole(options);
  std::vector<std::string> whole_records;
  absl::Status whole_status = whole.Feed(input, &whole_records);

  atl::api::RecordIoDecoder split(options);
  std::vector<std::string> split_records;
  absl::Status split_status =
      split.Feed(input.substr(0, std::min(cut, input.size())), &split_records);
  if (split_status.ok())
    split_status = split.Feed(input.substr(std::min(cut, input.size())), &split_records);

  Check(whole_status.ok() == split_status.ok(), "chunking changed the outcome");
  Check(whole_records == split_records, "chunking changed the records");
  Check(whole.AtRecordBoundary() == split.AtRecordBoundary(), "chunking changed the boundary");

  std::string reencoded;
  for (const std::string& r : whole_records) {
    Check(!r.empty() && r.size() <= options.max_record_bytes, "record out of bounds");
    reencoded += atl::api::RecordIoEncode(r);
  }
  atl::api::RecordIoDecoder again(options);
  std::vector<std::string> again_records;
  Check(again.Feed(reencoded, &again_records).ok(), "re-encoded stream does not decode");
  Check(again_records == whole_records, "re-encoded stream decodes differently");
  Check(again.AtRecordBoundary(), "re-encoded stream ends mid-record");
  return 0;
}
