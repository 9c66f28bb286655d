#include "core/io/cgroups.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <set>
#include <thread>

#include "core/base/status.h"
#include "core/base/strings.h"
#include "core/io/posix.h"

namespace atl::io {
namespace {

constexpr const char* kCgroupMount = "/sys/fs/cgroup";
constexpr int64_t kCfsPeriodUs = 100000;
constexpr int64_t kMinCfsQuotaUs = 1000;
// Controllers we use; the first three are required.
constexpr const char* kRequiredV1[] = {"cpu", "memory", "pids"};
constexpr const char* kOptionalV1[] = {"cpuacct"};
constexpr std::chrono::seconds kDestroyTimeout{5};

std::string MessageOf(const absl::Status& s) {
  return std::string(s.message().data(), s.message().size());
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, StrCat("open ", path));
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return ErrnoError(err, StrCat("read ", path));
    }
    if (n == 0) break;
    out.append(buf, n);
  }
  ::close(fd);
  return out;
}

// One write(2), as cgroup files expect.
absl::Status WriteFile(const std::string& path, std::string_view value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, StrCat("open ", path));
  ssize_t n = ::write(fd, value.data(), value.size());
  int err = n < 0 ? errno : EIO;
  ::close(fd);
  if (n != static_cast<ssize_t>(value.size())) {
    return ErrnoError(err, StrCat("write '", value, "' to ", path));
  }
  return absl::OkStatus();
}

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

absl::Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return absl::OkStatus();
  return ErrnoError(errno, StrCat("mkdir ", path));
}

// One path component: no '/', not "." or "..", not empty.
bool IsName(std::string_view s) {
  return !s.empty() && s != "." && s != ".." && s.find('/') == std::string_view::npos &&
         s.find('\0') == std::string_view::npos && s.size() <= 255;
}

absl::Status CheckContainerId(const std::string& id) {
  if (IsName(id)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      StrCat("container id '", id, "' is not usable as a cgroup name (one path component)"));
}

// Mount points in /proc/self/mountinfo escape space, tab, newline and backslash as \ooo.
std::string UnescapeMountPath(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
        s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
      out.push_back(
          static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Subdirectories of `dir` (names only).
std::vector<std::string> SubDirs(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    if (e->d_type == DT_DIR) out.emplace_back(name);
  }
  ::closedir(d);
  return out;
}

// Kills whatever runs in `dir` and its nested cgroups, then removes them, until `deadline`.
absl::Status RemoveTree(const std::string& dir, std::chrono::steady_clock::time_point deadline) {
  for (const std::string& sub : SubDirs(dir)) {
    RETURN_IF_ERROR(RemoveTree(StrCat(dir, "/", sub), deadline));
  }
  auto pause = std::chrono::microseconds(100);
  for (;;) {
    absl::StatusOr<std::string> procs = ReadFile(StrCat(dir, "/cgroup.procs"));
    if (absl::IsNotFound(procs.status())) return absl::OkStatus();  // Already removed.
    if (!procs.ok()) return procs.status();
    // A listed pid belongs to a live member (exited processes leave the list); it could only
    // be recycled if the process exited and was reaped between the read and the kill (the
    // race Mesos accepts; freezing first would close it). Forks are caught by later rounds.
    std::vector<pid_t> pids = ParseCgroupProcs(*procs);
    for (pid_t pid : pids) ::kill(pid, SIGKILL);
    if (pids.empty()) {
      if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return absl::OkStatus();
      if (errno != EBUSY) return ErrnoError(errno, StrCat("rmdir ", dir));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::DeadlineExceededError(StrCat("destroy cgroup ", dir, ": still busy after ",
                                                kDestroyTimeout.count(), " s (", pids.size(),
                                                " processes left)"));
    }
    // SIGKILLed processes need a moment to exit.
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(10));
  }
}

uint64_t ValueOr0(const absl::StatusOr<std::string>& text, std::string_view key) {
  if (!text.ok()) return 0;
  return FlatKeyedValue(*text, key).value_or(0);
}

uint64_t NumberOr0(const absl::StatusOr<std::string>& text) {
  uint64_t v = 0;
  if (text.ok()) ParseUint64(Strip(*text), &v);
  return v;
}

}  // namespace

// ---- pure parts -----------------------------------------------------------------------------

CgroupLayout ChooseCgroupLayout(bool sys_fs_cgroup_is_cgroup2, std::string_view mountinfo) {
  CgroupLayout layout;
  if (sys_fs_cgroup_is_cgroup2) {
    layout.mode = CgroupMode::kV2;
    layout.mounts[""] = kCgroupMount;
    return layout;
  }
  const std::string preferred = StrCat(kCgroupMount, "/");
  for (std::string_view line : Split(mountinfo, '\n')) {
    // "36 35 0:32 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory"
    std::vector<std::string_view> f = Split(Strip(line), ' ');
    auto dash = std::find(f.begin(), f.end(), std::string_view("-"));
    if (f.size() < 5 || dash == f.end() || f.end() - dash < 4 || dash[1] != "cgroup") continue;
    std::string mount_point = UnescapeMountPath(f[4]);
    for (std::string_view option : Split(dash[3], ',')) {
      bool wanted = std::find(std::begin(kRequiredV1), std::end(kRequiredV1), option) !=
                        std::end(kRequiredV1) ||
                    std::find(std::begin(kOptionalV1), std::end(kOptionalV1), option) !=
                        std::end(kOptionalV1);
      if (!wanted) continue;
      auto [it, inserted] = layout.mounts.emplace(std::string(option), mount_point);
      // A controller mounted twice (bind mounts): prefer the one under /sys/fs/cgroup.
      if (!inserted && !StartsWith(it->second, preferred) && StartsWith(mount_point, preferred)) {
        it->second = mount_point;
      }
    }
  }
  for (const char* controller : kRequiredV1) {
    if (!layout.mounts.contains(controller)) {
      layout.reason = StrCat(kCgroupMount, " is not cgroup2 and no cgroup v1 hierarchy with the '",
                             controller, "' controller is mounted");
      layout.mounts.clear();
      return layout;
    }
  }
  layout.mode = CgroupMode::kV1;
  return layout;
}

uint64_t CpuSharesFor(double cpus) {
  double shares = std::floor(1024 * std::max(cpus, 0.0));
  return std::max<uint64_t>(static_cast<uint64_t>(std::min(shares, 1e12)), 2);
}

uint64_t CpuWeightFromShares(uint64_t shares) {
  shares = std::clamp<uint64_t>(shares, 2, 262144);
  return 1 + ((shares - 2) * 9999) / 262142;
}

int64_t CfsQuotaFor(double cpus) {
  double quota = std::ceil(std::max(cpus, 0.0) * kCfsPeriodUs);
  return std::max<int64_t>(static_cast<int64_t>(std::min(quota, 1e15)), kMinCfsQuotaUs);
}

std::optional<uint64_t> FlatKeyedValue(std::string_view text, std::string_view key) {
  for (std::string_view line : Split(text, '\n')) {
    line = Strip(line);
    size_t space = line.find(' ');
    if (space == std::string_view::npos || line.substr(0, space) != key) continue;
    uint64_t v;
    if (ParseUint64(line.substr(space + 1), &v)) return v;
    return std::nullopt;
  }
  return std::nullopt;
}

std::vector<pid_t> ParseCgroupProcs(std::string_view text) {
  std::vector<pid_t> out;
  for (std::string_view line : Split(text, '\n')) {
    int64_t pid;
    if (ParseInt64(line, &pid) && pid > 0 && pid <= INT32_MAX)
      out.push_back(static_cast<pid_t>(pid));
  }
  return out;
}

// ---- Cgroups ----------------------------------------------------------------------------

Cgroups Cgroups::Detect(std::string root_name) {
  Cgroups cg;
  cg.root_name_ = root_name;
  auto none = [&cg](std::string why) {
    cg.mode_ = CgroupMode::kNone;
    cg.reason_ = std::move(why);
    cg.roots_.clear();
    return cg;
  };
  std::vector<std::string_view> parts = Split(root_name, '/', /*skip_empty=*/false);
  if (root_name.empty() || !std::all_of(parts.begin(), parts.end(), IsName)) {
    return none(StrCat("cgroups root '", root_name, "' is not a relative path"));
  }

  struct statfs fs;
  bool v2 = ::statfs(kCgroupMount, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
  absl::StatusOr<std::string> mountinfo = ReadFile("/proc/self/mountinfo");
  CgroupLayout layout = ChooseCgroupLayout(v2, mountinfo.ok() ? *mountinfo : "");
  if (layout.mode == CgroupMode::kNone) return none(layout.reason);
  if (::geteuid() != 0) {
    return none(StrCat("cgroups need root; the agent runs as uid ", ::geteuid()));
  }

  std::set<std::string> mounts;
  for (const auto& [controller, mount] : layout.mounts) {
    cg.roots_[controller] = StrCat(mount, "/", root_name);
    mounts.insert(mount);
  }
  for (const std::string& mount : mounts) {
    std::string dir = mount;
    for (std::string_view part : parts) {
      // v2: a cgroup's children get only the controllers enabled in its subtree_control, so
      // enable ours at every level from the mount down to the root of our containers.
      if (v2) {
        absl::StatusOr<std::string> enabled = ReadFile(StrCat(dir, "/cgroup.subtree_control"));
        if (!enabled.ok()) return none(MessageOf(enabled.status()));
        std::string missing;
        for (const char* controller : kRequiredV1) {
          std::vector<std::string_view> have = Split(Strip(*enabled), ' ');
          if (std::find(have.begin(), have.end(), controller) == have.end()) {
            StrAppend(&missing, missing.empty() ? "" : " ", "+", controller);
          }
        }
        if (!missing.empty()) {
          absl::Status s = WriteFile(StrCat(dir, "/cgroup.subtree_control"), missing);
          if (!s.ok()) {
            return none(StrCat(s.message(), " (cgroup v2 forbids controllers below a cgroup ",
                               "that holds processes; is this the root of a cgroup namespace?)"));
          }
        }
      }
      StrAppend(&dir, "/", part);
      absl::Status s = MakeDir(dir);
      if (!s.ok()) return none(MessageOf(s));
    }
    if (v2) {
      absl::Status s = WriteFile(StrCat(dir, "/cgroup.subtree_control"), "+cpu +memory +pids");
      if (!s.ok()) return none(MessageOf(s));
    }
  }
  cg.mode_ = layout.mode;
  return cg;
}

std::string Cgroups::Describe() const {
  switch (mode_) {
    case CgroupMode::kNone:
      return StrCat("cgroups: disabled: ", reason_);
    case CgroupMode::kV2:
      return StrCat("cgroups: v2, containers under ", roots_.at(""));
    case CgroupMode::kV1:
      break;
  }
  std::string out = "cgroups: v1, containers under";
  for (const auto& [controller, dir] : roots_) StrAppend(&out, " ", controller, "=", dir);
  return out;
}

std::vector<std::string> Cgroups::RootDirs() const {
  std::set<std::string> dirs;
  for (const auto& [controller, dir] : roots_) dirs.insert(dir);
  return {dirs.begin(), dirs.end()};
}

std::vector<std::string> Cgroups::ContainerDirs(const std::string& container_id) const {
  std::vector<std::string> out;
  for (const std::string& root : RootDirs()) out.push_back(StrCat(root, "/", container_id));
  return out;
}

std::string Cgroups::Dir(std::string_view controller, const std::string& container_id) const {
  if (mode_ == CgroupMode::kV2) return StrCat(roots_.at(""), "/", container_id);
  auto it = roots_.find(std::string(controller));
  if (it == roots_.end()) return "";
  return StrCat(it->second, "/", container_id);
}

std::vector<std::string> Cgroups::ProcsFiles(const std::string& container_id) const {
  std::vector<std::string> out;
  for (const std::string& dir : ContainerDirs(container_id)) {
    out.push_back(StrCat(dir, "/cgroup.procs"));
  }
  return out;
}

absl::Status Cgroups::Create(const std::string& container_id, const Limits& limits) {
  if (!enabled()) return absl::FailedPreconditionError(StrCat("cgroups disabled: ", reason_));
  RETURN_IF_ERROR(CheckContainerId(container_id));
  for (const std::string& dir : ContainerDirs(container_id)) RETURN_IF_ERROR(MakeDir(dir));
  return mode_ == CgroupMode::kV1 ? CreateV1(container_id, limits) : CreateV2(container_id, limits);
}

absl::Status Cgroups::CreateV1(const std::string& container_id, const Limits& limits) {
  std::string cpu = Dir("cpu", container_id);
  RETURN_IF_ERROR(WriteFile(cpu + "/cpu.shares", StrCat(CpuSharesFor(limits.cpus))));
  RETURN_IF_ERROR(WriteFile(cpu + "/cpu.cfs_period_us", StrCat(kCfsPeriodUs)));
  RETURN_IF_ERROR(WriteFile(cpu + "/cpu.cfs_quota_us",
                            limits.cpu_limit ? StrCat(CfsQuotaFor(*limits.cpu_limit)) : "-1"));

  std::string memory = Dir("memory", container_id);
  std::string limit = StrCat(std::max(limits.mem_bytes, kMinMemoryBytes));
  // memory + swap must stay >= memory: lift it first (a reused cgroup may hold a lower one),
  // then cap swap at the same value, so the limit bounds RAM and swap together.
  std::string memsw = memory + "/memory.memsw.limit_in_bytes";
  bool swap_accounting = Exists(memsw);
  if (swap_accounting) RETURN_IF_ERROR(WriteFile(memsw, "-1"));
  RETURN_IF_ERROR(WriteFile(memory + "/memory.limit_in_bytes", limit));
  if (swap_accounting) RETURN_IF_ERROR(WriteFile(memsw, limit));
  return WriteFile(memory + "/memory.soft_limit_in_bytes", StrCat(limits.mem_bytes));
}

absl::Status Cgroups::CreateV2(const std::string& container_id, const Limits& limits) {
  std::string dir = Dir("", container_id);
  RETURN_IF_ERROR(
      WriteFile(dir + "/cpu.weight", StrCat(CpuWeightFromShares(CpuSharesFor(limits.cpus)))));
  RETURN_IF_ERROR(WriteFile(
      dir + "/cpu.max",
      StrCat(limits.cpu_limit ? StrCat(CfsQuotaFor(*limits.cpu_limit)) : std::string("max"), " ",
             kCfsPeriodUs)));
  RETURN_IF_ERROR(
      WriteFile(dir + "/memory.max", StrCat(std::max(limits.mem_bytes, kMinMemoryBytes))));
  RETURN_IF_ERROR(WriteFile(dir + "/memory.low", StrCat(limits.mem_bytes)));
  // The limit is for memory, not memory + swap (v1 caps the sum; v2 counts swap apart).
  if (Exists(dir + "/memory.swap.max")) RETURN_IF_ERROR(WriteFile(dir + "/memory.swap.max", "0"));
  return absl::OkStatus();
}

absl::Status Cgroups::Attach(const std::string& container_id, pid_t pid) {
  if (!enabled()) return absl::FailedPreconditionError(StrCat("cgroups disabled: ", reason_));
  RETURN_IF_ERROR(CheckContainerId(container_id));
  for (const std::string& procs : ProcsFiles(container_id)) {
    absl::Status s = WriteFile(procs, StrCat(pid));
    if (!s.ok()) {
      return absl::Status(s.code(), StrCat("attach pid ", pid, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

bool Cgroups::OomKilled(const std::string& container_id) const {
  if (!enabled() || !IsName(container_id)) return false;
  if (mode_ == CgroupMode::kV2) {
    return ValueOr0(ReadFile(Dir("", container_id) + "/memory.events"), "oom_kill") > 0;
  }
  std::string memory = Dir("memory", container_id);
  absl::StatusOr<std::string> control = ReadFile(memory + "/memory.oom_control");
  if (!control.ok()) return false;
  if (std::optional<uint64_t> kills = FlatKeyedValue(*control, "oom_kill")) return *kills > 0;
  return NumberOr0(ReadFile(memory + "/memory.failcnt")) > 0;
}

absl::StatusOr<Cgroups::ResourceUsage> Cgroups::Usage(const std::string& container_id) const {
  if (!enabled()) return absl::FailedPreconditionError(StrCat("cgroups disabled: ", reason_));
  RETURN_IF_ERROR(CheckContainerId(container_id));
  ResourceUsage u;
  if (mode_ == CgroupMode::kV2) {
    std::string dir = Dir("", container_id);
    ASSIGN_OR_RETURN(std::string cpu, ReadFile(dir + "/cpu.stat"));
    u.cpu_user_seconds = FlatKeyedValue(cpu, "user_usec").value_or(0) / 1e6;
    u.cpu_system_seconds = FlatKeyedValue(cpu, "system_usec").value_or(0) / 1e6;
    u.cpu_periods = FlatKeyedValue(cpu, "nr_periods").value_or(0);
    u.cpu_throttled_periods = FlatKeyedValue(cpu, "nr_throttled").value_or(0);
    u.cpu_throttled_seconds = FlatKeyedValue(cpu, "throttled_usec").value_or(0) / 1e6;
    u.mem_total_bytes = NumberOr0(ReadFile(dir + "/memory.current"));
    u.mem_rss_bytes = ValueOr0(ReadFile(dir + "/memory.stat"), "anon");
    u.processes = NumberOr0(ReadFile(dir + "/pids.current"));
    return u;
  }
  std::string memory = Dir("memory", container_id);
  ASSIGN_OR_RETURN(std::string usage, ReadFile(memory + "/memory.usage_in_bytes"));
  ParseUint64(Strip(usage), &u.mem_total_bytes);
  absl::StatusOr<std::string> stat = ReadFile(memory + "/memory.stat");
  u.mem_rss_bytes =
      stat.ok()
          ? FlatKeyedValue(*stat, "total_rss").value_or(FlatKeyedValue(*stat, "rss").value_or(0))
          : 0;
  absl::StatusOr<std::string> cpu = ReadFile(Dir("cpu", container_id) + "/cpu.stat");
  u.cpu_periods = ValueOr0(cpu, "nr_periods");
  u.cpu_throttled_periods = ValueOr0(cpu, "nr_throttled");
  u.cpu_throttled_seconds = ValueOr0(cpu, "throttled_time") / 1e9;
  if (std::string cpuacct = Dir("cpuacct", container_id); !cpuacct.empty()) {
    absl::StatusOr<std::string> times = ReadFile(cpuacct + "/cpuacct.stat");  // USER_HZ ticks.
    double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
    u.cpu_user_seconds = ValueOr0(times, "user") / hz;
    u.cpu_system_seconds = ValueOr0(times, "system") / hz;
  }
  u.processes = NumberOr0(ReadFile(Dir("pids", container_id) + "/pids.current"));
  return u;
}

absl::Status Cgroups::Destroy(const std::string& container_id) {
  if (!enabled()) return absl::OkStatus();
  RETURN_IF_ERROR(CheckContainerId(container_id));
  auto deadline = std::chrono::steady_clock::now() + kDestroyTimeout;
  if (mode_ == CgroupMode::kV2) {
    // Kernel 5.14+: kills the whole subtree at once, forks in flight included.
    std::string kill = Dir("", container_id) + "/cgroup.kill";
    if (Exists(kill)) WriteFile(kill, "1").IgnoreError();
  }
  for (const std::string& dir : ContainerDirs(container_id)) {
    RETURN_IF_ERROR(RemoveTree(dir, deadline));
  }
  return absl::OkStatus();
}

std::vector<std::string> Cgroups::List() const {
  std::set<std::string> ids;
  for (const std::string& root : RootDirs()) {
    for (std::string& name : SubDirs(root)) ids.insert(std::move(name));
  }
  return {ids.begin(), ids.end()};
}

}  // namespace atl::io
