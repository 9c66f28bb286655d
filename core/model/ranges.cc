#include "core/model/ranges.h"

#include <algorithm>

#include "core/base/strings.h"

namespace atl::model {

Ranges::Ranges(std::vector<Range> ranges) : ranges_(std::move(ranges)) { Normalize(); }

void Ranges::Normalize() {
  std::erase_if(ranges_, [](const Range& r) { return r.begin > r.end; });
  std::sort(ranges_.begin(), ranges_.end(),
            [](const Range& a, const Range& b) { return a.begin < b.begin; });
  std::vector<Range> out;
  out.reserve(ranges_.size());
  for (const Range& r : ranges_) {
    if (!out.empty() && (out.back().end == UINT64_MAX || r.begin <= out.back().end + 1)) {
      out.back().end = std::max(out.back().end, r.end);
    } else {
      out.push_back(r);
    }
  }
  ranges_ = std::move(out);
}

uint64_t Ranges::Count() const {
  uint64_t n = 0;
  for (const Range& r : ranges_) n += r.end - r.begin + 1;
  return n;
}

bool Ranges::Contains(uint64_t value) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), value,
                             [](uint64_t v, const Range& r) { return v < r.begin; });
  if (it == ranges_.begin()) return false;
  --it;
  return value <= it->end;
}

bool Ranges::Contains(const Ranges& other) const {
  // Both sides are sorted and coalesced, so each range of `other` must fit in one of ours.
  size_t i = 0;
  for (const Range& r : other.ranges_) {
    while (i < ranges_.size() && ranges_[i].end < r.begin) ++i;
    if (i == ranges_.size() || ranges_[i].begin > r.begin || ranges_[i].end < r.end) return false;
  }
  return true;
}

void Ranges::Add(const Ranges& other) {
  if (other.ranges_.empty()) return;
  ranges_.insert(ranges_.end(), other.ranges_.begin(), other.ranges_.end());
  Normalize();
}

void Ranges::Subtract(const Ranges& other) {
  if (other.ranges_.empty() || ranges_.empty()) return;
  std::vector<Range> out;
  size_t j = 0;
  for (Range cur : ranges_) {
    bool alive = true;
    while (j < other.ranges_.size() && other.ranges_[j].end < cur.begin) ++j;
    size_t k = j;
    while (alive && k < other.ranges_.size() && other.ranges_[k].begin <= cur.end) {
      const Range& cut = other.ranges_[k];
      if (cut.begin > cur.begin) out.push_back({cur.begin, cut.begin - 1});
      if (cut.end >= cur.end) {
        alive = false;
      } else {
        cur.begin = cut.end + 1;
        ++k;
      }
    }
    if (alive) out.push_back(cur);
  }
  ranges_ = std::move(out);
}

Ranges Ranges::TakeLowest(uint64_t n) const {
  std::vector<Range> out;
  for (const Range& r : ranges_) {
    if (n == 0) break;
    uint64_t len = r.end - r.begin + 1;
    if (len <= n) {
      out.push_back(r);
      n -= len;
    } else {
      out.push_back({r.begin, r.begin + n - 1});
      n = 0;
    }
  }
  return Ranges(std::move(out));
}

std::string Ranges::ToString() const {
  std::string s = "[";
  for (size_t i = 0; i < ranges_.size(); ++i) {
    if (i > 0) s += ", ";
    atl::StrAppend(&s, ranges_[i].begin, "-", ranges_[i].end);
  }
  s += "]";
  return s;
}

absl::StatusOr<Ranges> Ranges::Parse(std::string_view text) {
  std::string_view t = atl::Strip(text);
  if (atl::ConsumePrefix(&t, "[")) {
    if (!atl::ConsumeSuffix(&t, "]")) {
      return absl::InvalidArgumentError(atl::StrCat("ranges '", text, "': missing ']'"));
    }
  }
  std::vector<Range> out;
  for (std::string_view part : atl::Split(t, ',')) {
    part = atl::Strip(part);
    size_t dash = part.find('-');
    uint64_t b, e;
    if (dash == std::string_view::npos || !atl::ParseUint64(part.substr(0, dash), &b) ||
        !atl::ParseUint64(part.substr(dash + 1), &e) || b > e) {
      return absl::InvalidArgumentError(
          atl::StrCat("ranges '", text, "': '", part, "' is not BEGIN-END with BEGIN <= END"));
    }
    out.push_back({b, e});
  }
  return Ranges(std::move(out));
}

}  // namespace atl::model
