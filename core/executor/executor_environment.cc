#include "core/executor/executor_environment.h"

#include <map>
#include <optional>
#include <utility>

#include "core/base/random.h"
#include "core/base/strings.h"

namespace atl::executor {
namespace {

struct Unit {
  std::string_view name;
  double seconds;
};
constexpr Unit kUnits[] = {
    {"ns", 1e-9},     {"us", 1e-6},      {"ms", 1e-3},   {"s", 1},        {"sec", 1},
    {"secs", 1},      {"min", 60},       {"mins", 60},   {"h", 3600},     {"hr", 3600},
    {"hrs", 3600},    {"d", 86400},      {"day", 86400}, {"days", 86400}, {"w", 604800},
    {"week", 604800}, {"weeks", 604800},
};

// "host:port" or "[v6]:port".
bool ParseEndpoint(std::string_view text, std::string* host, uint16_t* port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  uint64_t p = 0;
  if (h.empty() || !ParseUint64(text.substr(colon + 1), &p) || p == 0 || p > 65535) return false;
  *host = std::string(h);
  *port = static_cast<uint16_t>(p);
  return true;
}

}  // namespace

absl::StatusOr<Duration> ParseMesosDuration(std::string_view text) {
  const std::string_view s = Strip(text);
  size_t i = 0;
  while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
  double value = 0;
  if (i == 0 || !ParseDouble(s.substr(0, i), &value)) {
    return absl::InvalidArgumentError(StrCat("invalid duration '", text, "'"));
  }
  const std::string_view unit = s.substr(i);
  for (const Unit& u : kUnits) {
    if (u.name == unit) return Duration::FromSecondsDouble(value * u.seconds);
  }
  return absl::InvalidArgumentError(
      unit.empty() ? StrCat("duration '", text, "' has no unit (e.g. '2secs')")
                   : StrCat("unknown duration unit '", unit, "' in '", text, "'"));
}

absl::StatusOr<uint64_t> ParseMesosBytes(std::string_view text) {
  struct Multiple {
    std::string_view unit;
    int shift;
  };
  static constexpr Multiple kMultiples[] = {{"", 0},    {"B", 0},   {"KB", 10},
                                            {"MB", 20}, {"GB", 30}, {"TB", 40}};
  const std::string_view s = Strip(text);
  size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  uint64_t value = 0;
  if (i > 0 && ParseUint64(s.substr(0, i), &value)) {
    for (const Multiple& m : kMultiples) {
      if (m.unit != s.substr(i)) continue;
      if (value > (~uint64_t{0} >> m.shift)) break;  // overflows
      return value << m.shift;
    }
  }
  return absl::InvalidArgumentError(StrCat("invalid size '", text, "' (e.g. '10MB' or '4096')"));
}

absl::StatusOr<ExecutorEnvironment> ReadExecutorEnvironment(const std::vector<std::string>& env) {
  std::map<std::string_view, std::string_view> vars;
  for (const std::string& entry : env) {
    const size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    // The first occurrence wins, as getenv(3) finds it.
    vars.emplace(std::string_view(entry).substr(0, eq), std::string_view(entry).substr(eq + 1));
  }
  std::vector<std::string> errors;
  auto get = [&](std::string_view name) -> std::optional<std::string_view> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  auto required = [&](std::string_view name) -> std::string {
    std::optional<std::string_view> v = get(name);
    if (!v || v->empty()) {
      errors.push_back(StrCat(name, ": required"));
      return "";
    }
    return std::string(*v);
  };
  auto duration = [&](std::string_view name, Duration* out) {
    std::optional<std::string_view> v = get(name);
    if (!v) return;
    absl::StatusOr<Duration> d = ParseMesosDuration(*v);
    if (!d.ok()) {
      errors.push_back(StrCat(name, ": ", d.status().message()));
      return;
    }
    *out = *d;
  };

  ExecutorEnvironment result;
  CommandExecutorOptions& o = result.options;
  o.framework_id = model::FrameworkId(required("MESOS_FRAMEWORK_ID"));
  o.executor_id = model::ExecutorId(required("MESOS_EXECUTOR_ID"));
  const std::string endpoint = required("MESOS_AGENT_ENDPOINT");
  if (!endpoint.empty() && !ParseEndpoint(endpoint, &result.agent_host, &result.agent_port)) {
    errors.push_back(StrCat("MESOS_AGENT_ENDPOINT: expected 'ip:port' (e.g. 127.0.0.1:5051), got '",
                            endpoint, "'"));
  }
  if (std::optional<std::string_view> sandbox = get("MESOS_SANDBOX");
      sandbox && !sandbox->empty()) {
    o.sandbox = std::string(*sandbox);
  } else if (std::optional<std::string_view> dir = get("MESOS_DIRECTORY"); dir && !dir->empty()) {
    o.sandbox = std::string(*dir);
  } else {
    errors.push_back("MESOS_SANDBOX: required (or MESOS_DIRECTORY)");
  }
  if (std::optional<std::string_view> agent = get("MESOS_SLAVE_ID"); agent && !agent->empty()) {
    o.agent_id = model::AgentId(std::string(*agent));
  }
  o.checkpoint = get("MESOS_CHECKPOINT") == std::optional<std::string_view>("1");
  duration("MESOS_RECOVERY_TIMEOUT", &o.recovery_timeout);
  duration("MESOS_SUBSCRIPTION_BACKOFF_MAX", &o.subscription_backoff_max);
  duration("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", &o.shutdown_grace_period);
  if (std::optional<std::string_view> v = get("ATOLL_SANDBOX_LOG_MAX_BYTES")) {
    absl::StatusOr<uint64_t> bytes = ParseMesosBytes(*v);
    if (!bytes.ok()) {
      errors.push_back(StrCat("ATOLL_SANDBOX_LOG_MAX_BYTES: ", bytes.status().message()));
    } else if (*bytes < kMinSandboxLogMaxBytes) {
      errors.push_back(StrCat("ATOLL_SANDBOX_LOG_MAX_BYTES: '", *v, "' is below the minimum of ",
                              kMinSandboxLogMaxBytes, " bytes"));
    } else {
      result.sandbox_log_max_bytes = *bytes;
    }
  }
  if (std::optional<std::string_view> v = get("ATOLL_SANDBOX_LOG_MAX_FILES")) {
    uint64_t files = 0;
    if (!ParseUint64(Strip(*v), &files) || files > kMaxSandboxLogMaxFiles) {
      errors.push_back(StrCat("ATOLL_SANDBOX_LOG_MAX_FILES: expected 0 to ", kMaxSandboxLogMaxFiles,
                              ", got '", *v, "'"));
    } else {
      result.sandbox_log_max_files = static_cast<int>(files);
    }
  }
  if (!errors.empty()) return absl::InvalidArgumentError(Join(errors, "\n"));

  o.environment = env;
  o.seed = StableHash(StrCat(o.framework_id.value(), "/", o.executor_id.value()));
  return result;
}

}  // namespace atl::executor
