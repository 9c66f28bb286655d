// Fuzzes the label selectors of GET /v2/apps?label= (marathonlike/app_info.h): any text parses
// or fails with InvalidArgument "Can not parse label selector ...", never crashes; a parsed
// selector matches no app without labels unless it is empty (every requirement needs its
// label), and each requirement matches the labels built to satisfy it. The query filter
// (MakeAppListFilter) agrees with the parser.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "marathonlike/app_info.h"

namespace {

namespace mk = atl::marathonlike;
using Labels = std::map<std::string, std::string>;
using Op = mk::LabelRequirement::Op;

// Labels that satisfy `req` alone; false when none can (`in ()`).
bool Satisfying(const mk::LabelRequirement& req, Labels* labels) {
  std::string value;
  switch (req.op) {
    case Op::kExists:
      break;
    case Op::kEquals:
    case Op::kIn:
      if (req.values.empty()) return false;
      value = req.values[0];
      break;
    case Op::kNotEquals:
    case Op::kNotIn:
      // Longer than any value, so different from all of them.
      for (const std::string& v : req.values) value += v;
      value += "~";
      break;
  }
  (*labels)[req.key] = value;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<mk::LabelSelector> selector = mk::ParseLabelSelector(text);
  absl::StatusOr<mk::AppListFilter> filter = mk::MakeAppListFilter({}, {}, text);
  if (filter.ok() != selector.ok()) std::abort();
  if (!selector.ok()) {
    if (selector.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    if (!absl::StartsWith(selector.status().message(), "Can not parse label selector")) {
      std::abort();
    }
    return 0;
  }
  if (!filter->label.has_value() || !(*filter->label == *selector)) std::abort();

  if (mk::Matches(*selector, Labels{}) != selector->requirements.empty()) std::abort();
  for (const mk::LabelRequirement& req : selector->requirements) {
    bool set_based = req.op == Op::kIn || req.op == Op::kNotIn;
    if (req.op == Op::kExists ? !req.values.empty() : !set_based && req.values.size() != 1) {
      std::abort();
    }
    Labels labels = {{"unrelated", "x"}};
    mk::LabelSelector one{{req}};
    if (Satisfying(req, &labels)) {
      if (!mk::Matches(one, labels)) std::abort();
    } else if (mk::Matches(one, labels)) {
      std::abort();
    }
  }
  // The selector as the app list applies it.
  mk::AppDefinition app;
  app.id = "/fuzz/app";
  app.cmd = "sleep 1";
  app.labels = {{"tier", "web"}, {"env", "prod"}};
  (void)mk::Matches(*filter, app);
  return 0;
}
