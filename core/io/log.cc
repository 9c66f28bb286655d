#include "core/io/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "core/io/http.h"

namespace atl::io {

void InitLogging(std::string_view level) {
  struct Name {
    std::string_view name;
    spdlog::level::level_enum level;
  };
  static constexpr Name kLevels[] = {
      {"trace", spdlog::level::trace},       {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},         {"warn", spdlog::level::warn},
      {"warning", spdlog::level::warn},      {"error", spdlog::level::err},
      {"critical", spdlog::level::critical}, {"off", spdlog::level::off},
  };
  bool known = false;
  spdlog::level::level_enum chosen = spdlog::level::info;
  for (const Name& n : kLevels) {
    if (EqualsIgnoreCase(n.name, level)) {
      chosen = n.level;
      known = true;
      break;
    }
  }
  // Built directly, not through the registry, so a second call replaces the first.
  auto logger = std::make_shared<spdlog::logger>(
      "atoll", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%f%z %^%L%$ %t %v");
  logger->set_level(chosen);
  // Errors reach the terminal even if the process dies right after logging them.
  logger->flush_on(spdlog::level::err);
  spdlog::set_default_logger(std::move(logger));
  if (!known) {
    spdlog::warn("unknown log level '{}'; using info", std::string(level));
  }
}

}  // namespace atl::io
