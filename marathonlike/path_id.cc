#include "marathonlike/path_id.h"

#include "core/base/strings.h"

namespace atl::marathonlike {

namespace {

bool IsLabelChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

// One dot-separated label: [a-z0-9] or [a-z0-9][a-z0-9-]*[a-z0-9].
bool IsValidLabel(std::string_view label) {
  if (label.empty() || label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!IsLabelChar(c)) return false;
  }
  return true;
}

}  // namespace

bool IsValidSegment(std::string_view segment) {
  if (segment == "." || segment == "..") return true;
  if (segment.empty()) return false;
  for (std::string_view label : Split(segment, '.', /*skip_empty=*/false)) {
    if (!IsValidLabel(label)) return false;
  }
  return true;
}

std::optional<PathId> ResolvePath(std::string_view id, const PathId& base) {
  std::vector<std::string_view> parts;
  if (id.empty() || id.front() != '/') parts = Segments(base);
  for (std::string_view s : Split(id, '/')) {
    if (s == ".") continue;
    if (s == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
      continue;
    }
    parts.push_back(s);
  }
  if (parts.empty()) return PathId("/");
  std::string out;
  for (std::string_view p : parts) StrAppend(&out, "/", p);
  return out;
}

std::vector<std::string_view> Segments(std::string_view id) { return Split(id, '/'); }

PathId Parent(std::string_view id) {
  size_t slash = id.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return "/";
  return PathId(id.substr(0, slash));
}

bool IsUnder(std::string_view id, std::string_view ancestor) {
  if (ancestor == "/") return !id.empty() && id.front() == '/';
  if (!StartsWith(id, ancestor)) return false;
  return id.size() == ancestor.size() || id[ancestor.size()] == '/';
}

std::vector<std::string> AppIdErrors(std::string_view id) {
  std::vector<std::string> errors;
  std::vector<std::string_view> segments = Segments(id);
  if (segments.empty()) {
    errors.push_back("Path must contain at least one path element");
    return errors;
  }
  for (std::string_view s : segments) {
    if (s == "." || s == ".." || !IsValidSegment(s)) {
      errors.push_back(StrCat("'", s,
                              "' must fully match regular expression '^(([a-z0-9]|[a-z0-9][a-z0-9"
                              "\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])|(\\.|\\."
                              "\\.)$'"));
    }
  }
  std::string_view last = segments.back();
  if (last == "restart" || last == "tasks" || last == "versions") {
    errors.push_back(StrCat("must not end with '", last, "'"));
  }
  return errors;
}

std::string SafeName(std::string_view id) {
  std::string out;
  for (std::string_view s : Segments(id)) {
    if (!out.empty()) out += '_';
    out += s;
  }
  return out;
}

}  // namespace atl::marathonlike
