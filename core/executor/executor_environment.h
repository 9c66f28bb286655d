// The command executor's configuration, read from the environment its agent gives it
// (reference/mesos.md §2.2): MESOS_FRAMEWORK_ID, MESOS_EXECUTOR_ID, MESOS_AGENT_ENDPOINT,
// MESOS_SANDBOX / MESOS_DIRECTORY, MESOS_SLAVE_ID, MESOS_CHECKPOINT, MESOS_RECOVERY_TIMEOUT,
// MESOS_SUBSCRIPTION_BACKOFF_MAX and MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD; and Atoll's own
// ATOLL_SANDBOX_LOG_MAX_BYTES / ATOLL_SANDBOX_LOG_MAX_FILES. Pure: the runtime passes `environ`
// in.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/base/time.h"
#include "core/executor/command_executor.h"

namespace atl::executor {

// A Mesos duration string: a non-negative decimal number and a unit, as stout's
// Duration::parse reads it ("15mins", "2secs", "100ms", "1.5hrs"). Units: ns, us, ms,
// secs, mins, hrs, days, weeks; also s, sec, min, h, hr, d, day, w, week (Duration::ToString
// prints "2s"). Fails with InvalidArgument: "unknown duration unit 'x' in '15x'",
// "invalid duration 'abc'".
absl::StatusOr<Duration> ParseMesosDuration(std::string_view text);

// A size as stout's Bytes::parse reads it: a non-negative integer and B, KB, MB, GB or TB
// (binary multiples: "10MB" is 10 MiB); a bare integer is bytes too. Fails with
// InvalidArgument: "invalid size '10XB' (e.g. '10MB' or '4096')".
absl::StatusOr<uint64_t> ParseMesosBytes(std::string_view text);

// The sandbox's `stdout` and `stderr` (the task's output and the executor's log) are rotated
// when the next write would take them over this size (Mesos's LogrotateContainerLogger default
// max_stdout_size / max_stderr_size) ...
inline constexpr uint64_t kDefaultSandboxLogMaxBytes = uint64_t{10} << 20;
// ... keeping this many rotated files of each (`stdout.1` newest ... `stdout.5`).
inline constexpr int kDefaultSandboxLogMaxFiles = 5;
// Mesos refuses sizes below a memory page.
inline constexpr uint64_t kMinSandboxLogMaxBytes = 4096;
inline constexpr int kMaxSandboxLogMaxFiles = 1000;

struct ExecutorEnvironment {
  CommandExecutorOptions options;
  // MESOS_AGENT_ENDPOINT, "ip:port" ("[v6]:port" too).
  std::string agent_host;
  uint16_t agent_port = 0;
  // ATOLL_SANDBOX_LOG_MAX_BYTES (a ParseMesosBytes size, at least kMinSandboxLogMaxBytes).
  uint64_t sandbox_log_max_bytes = kDefaultSandboxLogMaxBytes;
  // ATOLL_SANDBOX_LOG_MAX_FILES (0 ... kMaxSandboxLogMaxFiles; 0 keeps no rotated file).
  int sandbox_log_max_files = kDefaultSandboxLogMaxFiles;
};

// Reads the environment ("K=V" entries, as in `environ`). Required: MESOS_FRAMEWORK_ID,
// MESOS_EXECUTOR_ID, MESOS_AGENT_ENDPOINT, and MESOS_SANDBOX or MESOS_DIRECTORY. Optional, with
// CommandExecutorOptions's defaults: MESOS_SLAVE_ID, MESOS_CHECKPOINT ("1" means on; anything
// else, or absent, off, as Mesos reads it), MESOS_RECOVERY_TIMEOUT,
// MESOS_SUBSCRIPTION_BACKOFF_MAX, MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD,
// ATOLL_SANDBOX_LOG_MAX_BYTES, ATOLL_SANDBOX_LOG_MAX_FILES. `options.environment` is
// `env` itself and `options.seed` a stable hash of the framework and executor ids.
// Fails with InvalidArgument listing every problem, one per line:
//   "MESOS_EXECUTOR_ID: required\nMESOS_RECOVERY_TIMEOUT: unknown duration unit 'x' in '15x'"
absl::StatusOr<ExecutorEnvironment> ReadExecutorEnvironment(const std::vector<std::string>& env);

}  // namespace atl::executor
