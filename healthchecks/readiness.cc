#include "healthchecks/readiness.h"

#include <algorithm>

#include "core/base/strings.h"

namespace atl::healthchecks {
namespace {

constexpr char kName[] = "atoll.readiness.name";
constexpr char kScheme[] = "atoll.readiness.scheme";
constexpr char kPath[] = "atoll.readiness.path";
constexpr char kPort[] = "atoll.readiness.port";
constexpr char kIntervalMs[] = "atoll.readiness.interval_ms";
constexpr char kTimeoutMs[] = "atoll.readiness.timeout_ms";
constexpr char kReadyCodes[] = "atoll.readiness.ready_codes";
constexpr char kLastStatus[] = "atoll.readiness.last_status";
constexpr char kLastError[] = "atoll.readiness.last_error";
constexpr char kPreserve[] = "atoll.readiness.preserve_last_response";
constexpr char kLastContentType[] = "atoll.readiness.last_content_type";
constexpr char kLastBody[] = "atoll.readiness.last_body";

const std::string* Find(const model::Labels& labels, std::string_view key) {
  for (const model::Label& l : labels) {
    if (l.key == key && l.value.has_value()) return &*l.value;
  }
  return nullptr;
}

std::optional<int64_t> IntOf(const model::Labels& labels, std::string_view key, int64_t min,
                             int64_t max) {
  const std::string* v = Find(labels, key);
  int64_t n = 0;
  if (v == nullptr || !ParseInt64(*v, &n) || n < min || n > max) return std::nullopt;
  return n;
}

}  // namespace

model::Labels SpecLabels(const ReadinessSpec& spec) {
  std::string codes;
  for (int c : spec.ready_codes) StrAppend(&codes, codes.empty() ? "" : ",", c);
  model::Labels out = {{kName, spec.name},
                       {kScheme, spec.tls ? "https" : "http"},
                       {kPath, spec.path},
                       {kPort, StrCat(spec.port)},
                       {kIntervalMs, StrCat(spec.interval.milliseconds())},
                       {kTimeoutMs, StrCat(spec.timeout.milliseconds())},
                       {kReadyCodes, codes}};
  if (spec.preserve_last_response) out.push_back({kPreserve, "true"});
  return out;
}

std::optional<ReadinessSpec> SpecFromLabels(const model::Labels& labels) {
  const std::string* scheme = Find(labels, kScheme);
  const std::optional<int64_t> port = IntOf(labels, kPort, 1, 65535);
  const std::optional<int64_t> interval = IntOf(labels, kIntervalMs, 1, int64_t{1} << 40);
  const std::optional<int64_t> timeout = IntOf(labels, kTimeoutMs, 1, int64_t{1} << 40);
  if (scheme == nullptr || (*scheme != "http" && *scheme != "https") || !port || !interval ||
      !timeout) {
    return std::nullopt;
  }
  ReadinessSpec spec;
  if (const std::string* name = Find(labels, kName)) spec.name = *name;
  if (const std::string* path = Find(labels, kPath); path != nullptr && !path->empty()) {
    spec.path = *path;
  }
  spec.tls = *scheme == "https";
  if (const std::string* preserve = Find(labels, kPreserve)) {
    spec.preserve_last_response = *preserve == "true";
  }
  spec.port = static_cast<uint32_t>(*port);
  spec.interval = Duration::Milliseconds(*interval);
  spec.timeout = Duration::Milliseconds(*timeout);
  if (const std::string* codes = Find(labels, kReadyCodes)) {
    spec.ready_codes.clear();
    for (std::string_view part : Split(*codes, ',')) {
      int64_t c = 0;
      if (ParseInt64(Strip(part), &c) && c >= 100 && c <= 999) {
        spec.ready_codes.push_back(static_cast<int>(c));
      }
    }
    if (spec.ready_codes.empty()) return std::nullopt;
  }
  return spec;
}

bool IsReadyStatus(const ReadinessSpec& spec, int status) {
  return std::find(spec.ready_codes.begin(), spec.ready_codes.end(), status) !=
         spec.ready_codes.end();
}

model::Labels ResultLabels(const Readiness& r) {
  model::Labels out = {{kReadyLabel, r.ready ? "true" : "false"}};
  if (r.last_status) out.push_back({kLastStatus, StrCat(*r.last_status)});
  if (!r.last_content_type.empty()) out.push_back({kLastContentType, r.last_content_type});
  if (!r.last_body.empty()) out.push_back({kLastBody, r.last_body});
  if (!r.last_error.empty()) out.push_back({kLastError, r.last_error});
  return out;
}

std::optional<Readiness> ResultFromLabels(const model::Labels& labels) {
  const std::string* ready = Find(labels, kReadyLabel);
  if (ready == nullptr) return std::nullopt;
  Readiness r;
  r.ready = *ready == "true";
  if (std::optional<int64_t> s = IntOf(labels, kLastStatus, 0, 999))
    r.last_status = static_cast<int>(*s);
  if (const std::string* t = Find(labels, kLastContentType)) r.last_content_type = *t;
  if (const std::string* b = Find(labels, kLastBody)) r.last_body = *b;
  if (const std::string* e = Find(labels, kLastError)) r.last_error = *e;
  return r;
}

}  // namespace atl::healthchecks
