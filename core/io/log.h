// Process-wide logging setup. core/io code logs with spdlog directly (spdlog::info(...));
// code outside core/io does not log: state machines return decisions, and the shell that runs
// them logs what it does.
#pragma once

#include <string_view>

namespace atl::io {

// Sends the default spdlog logger to stderr with an ISO-8601 timestamp, the level and the
// thread id, at `level`: one of trace, debug, info, warn (or warning), error, critical, off,
// case-insensitive. An unknown level selects info and logs a warning naming the bad value.
// Call once, early in main(), before other threads start.
void InitLogging(std::string_view level);

}  // namespace atl::io
