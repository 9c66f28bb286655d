// Container isolation through Linux control groups: one cgroup per container, with CPU and
// memory limits from the task's resources, OOM detection, usage for /monitor-like statistics,
// and clean-up (kill everything left, remove the directories).
//
// Placement: "<hierarchy root>/<root_name>/<container_id>", where the hierarchy root is the
// mount point (the cgroup namespace's root inside a container), like Mesos' --cgroups_root.
// Not under the agent's own cgroup, because containers must outlive the agent (a service
// manager removes or kills the agent's cgroup when it stops it), must not count against the
// agent's own limits, must be found at the same path by an agent restarted elsewhere, and
// because cgroup v2 forbids enabling controllers below a cgroup that holds processes (the
// agent's). See core/io/README.md, "Cgroups", for what this machine taught us.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace atl::io {

enum class CgroupMode {
  kNone,  // No isolation: tasks run in the agent's cgroups.
  kV1,    // Separate hierarchies per controller (cpu, cpuacct, memory, pids).
  kV2,    // The unified hierarchy at /sys/fs/cgroup.
};

// Which hierarchies to use, decided from the mount table alone (pure; see ChooseCgroupLayout).
struct CgroupLayout {
  CgroupMode mode = CgroupMode::kNone;
  // Why kNone, for the log; empty otherwise.
  std::string reason;
  // v1: controller -> mount point ("memory" -> "/sys/fs/cgroup/memory"); co-mounted
  // controllers share one ("cpu" and "cpuacct" -> "/sys/fs/cgroup/cpu,cpuacct").
  // v2: "" -> the unified mount point.
  std::map<std::string, std::string> mounts;
};

// Chooses the mode. `sys_fs_cgroup_is_cgroup2`: statfs("/sys/fs/cgroup") says cgroup2fs;
// then v2 at /sys/fs/cgroup. Otherwise v1 when `mountinfo` (/proc/self/mountinfo) has cgroup
// v1 mounts with the cpu, memory and pids controllers (cpuacct is optional: CPU time), under
// /sys/fs/cgroup preferred; else kNone with the missing controller as reason.
CgroupLayout ChooseCgroupLayout(bool sys_fs_cgroup_is_cgroup2, std::string_view mountinfo);

// v1 cpu.shares for `cpus`: max(1024 * cpus, 2), as Mesos does.
uint64_t CpuSharesFor(double cpus);
// v2 cpu.weight for v1 `shares` (clamped to [2, 262144]), as systemd and Kubernetes convert:
// 1 + ((shares - 2) * 9999) / 262142, so 2 -> 1, 1024 -> 39, 262144 -> 10000.
uint64_t CpuWeightFromShares(uint64_t shares);
// CFS quota in microseconds per 100 ms period for a hard limit of `cpus`; at least 1 ms.
int64_t CfsQuotaFor(double cpus);
// The value of `key` in a flat-keyed cgroup file ("oom_kill 3\n..." as in memory.events,
// memory.oom_control, memory.stat, cpu.stat); nullopt if absent or not a number.
std::optional<uint64_t> FlatKeyedValue(std::string_view text, std::string_view key);
// The pids listed in a cgroup.procs file (one per line); junk lines are skipped.
std::vector<pid_t> ParseCgroupProcs(std::string_view text);

class Cgroups {
 public:
  struct Limits {
    // CPU share (weight) in cpus: 0.5 gets half the weight of 1.0 under contention.
    double cpus = 0;
    // Hard CFS limit in cpus; nullopt: none (may use idle CPU beyond `cpus`).
    std::optional<double> cpu_limit;
    // Memory + swap limit; raised to at least kMinMemoryBytes so a runtime can start. Also the
    // soft limit (v1) / protection (v2 memory.low).
    uint64_t mem_bytes = 0;
  };

  struct ResourceUsage {
    double cpu_user_seconds = 0;
    double cpu_system_seconds = 0;
    uint64_t cpu_periods = 0;  // CFS periods elapsed, of which throttled:
    uint64_t cpu_throttled_periods = 0;
    double cpu_throttled_seconds = 0;
    uint64_t mem_total_bytes = 0;  // Charged memory, page cache included.
    uint64_t mem_rss_bytes = 0;    // Anonymous memory.
    uint64_t processes = 0;        // pids.current.
  };

  static constexpr uint64_t kMinMemoryBytes = 32 << 20;

  // Disabled (mode kNone, empty reason): no isolation was asked for.
  Cgroups() = default;

  // Detects what this machine offers and prepares "<root>/<root_name>" in every hierarchy
  // (mkdir -p; on v2 also enables the cpu, memory and pids controllers down to it). Never
  // fails: without the means (not root, nothing mounted, mkdir refused) mode() is kNone and
  // reason() says why, to be logged once at start-up. `root_name` is a relative path.
  static Cgroups Detect(std::string root_name = "atoll");

  CgroupMode mode() const { return mode_; }
  bool enabled() const { return mode_ != CgroupMode::kNone; }
  // Why the mode is kNone; empty otherwise.
  const std::string& reason() const { return reason_; }
  // One line for the start-up log: the mode and the directories, or the reason.
  std::string Describe() const;

  // Creates the container's cgroups (an existing one is reused) and writes `limits`.
  // InvalidArgument for an id that is not one path component; FailedPrecondition when
  // disabled; otherwise the errno's code with the file and value in the message.
  absl::Status Create(const std::string& container_id, const Limits& limits);

  // Moves process `pid` (not its existing children) into the container's cgroups. Prefer
  // SpawnOptions::cgroup_procs = ProcsFiles(id), which joins before exec and so cannot miss
  // early children. NotFound when the process or the container does not exist.
  absl::Status Attach(const std::string& container_id, pid_t pid);

  // The container's cgroup.procs files, one per hierarchy; empty when disabled.
  std::vector<std::string> ProcsFiles(const std::string& container_id) const;

  // The container's directory for `controller` ("cpu", "cpuacct", "memory", "pids"; any for
  // v2); "" when disabled or the controller is not in use.
  std::string Dir(std::string_view controller, const std::string& container_id) const;

  // True once the kernel's OOM killer killed a process of the container: the oom_kill
  // counter of memory.oom_control (v1; kernels before 4.13 lack it and fall back to
  // memory.failcnt, i.e. "hit its limit") or memory.events (v2). False when disabled or gone.
  bool OomKilled(const std::string& container_id) const;

  // CPU, memory and process counters of the container. NotFound when it does not exist.
  absl::StatusOr<ResourceUsage> Usage(const std::string& container_id) const;

  // Kills every process left in the container (SIGKILL, repeated until the cgroups are
  // empty; also in nested cgroups a task may have made), then removes the directories.
  // Idempotent: a missing container is OK. Blocks until the processes are gone, at most a
  // few seconds (normally ~1 ms: processes are usually gone already); DeadlineExceeded after.
  absl::Status Destroy(const std::string& container_id);

  // Ids of the container cgroups that exist in any hierarchy, sorted: for clean-up and
  // recovery after an agent restart.
  std::vector<std::string> List() const;

  // "<root>/<root_name>" in every hierarchy in use.
  std::vector<std::string> RootDirs() const;

 private:
  std::vector<std::string> ContainerDirs(const std::string& container_id) const;
  absl::Status CreateV1(const std::string& container_id, const Limits& limits);
  absl::Status CreateV2(const std::string& container_id, const Limits& limits);

  CgroupMode mode_ = CgroupMode::kNone;
  std::string reason_;
  std::string root_name_;
  // controller -> "<mount>/<root_name>" (v2: "" -> the one directory).
  std::map<std::string, std::string> roots_;
};

}  // namespace atl::io
