#include "core/base/strings.h"

#include <cctype>
#include <cmath>

namespace atl {

std::vector<std::string_view> Split(std::string_view s, char sep, bool skip_empty) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    std::string_view piece = s.substr(start, pos == std::string_view::npos ? pos : pos - start);
    if (!skip_empty || !Strip(piece).empty()) out.push_back(piece);
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

std::string_view Strip(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool ConsumePrefix(std::string_view* s, std::string_view prefix) {
  if (!StartsWith(*s, prefix)) return false;
  s->remove_prefix(prefix.size());
  return true;
}

bool ConsumeSuffix(std::string_view* s, std::string_view suffix) {
  if (s->size() < suffix.size() || s->substr(s->size() - suffix.size()) != suffix) return false;
  s->remove_suffix(suffix.size());
  return true;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

namespace {
template <typename T>
bool ParseWhole(std::string_view s, T* out) {
  s = Strip(s);
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  T v{};
  auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size()) return false;
  *out = v;
  return true;
}
}  // namespace

bool ParseInt64(std::string_view s, int64_t* out) { return ParseWhole(s, out); }
bool ParseUint64(std::string_view s, uint64_t* out) { return ParseWhole(s, out); }
bool ParseDouble(std::string_view s, double* out) {
  double v;
  if (!ParseWhole(s, &v) || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

}  // namespace atl
