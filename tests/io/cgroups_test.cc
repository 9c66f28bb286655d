// Cgroups: the pure parsers everywhere, and the real thing (limits, attach, OOM, destroy)
// where the machine allows it; otherwise those tests skip with Detect()'s reason.
#include "core/io/cgroups.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "core/base/strings.h"
#include "core/io/event_loop.h"
#include "core/io/process.h"
#include "tests/io/io_test_util.h"

namespace atl::io {
namespace {

using testing::RunUntilStopped;

// ---- pure parts -----------------------------------------------------------------------------

// This machine's mount table (v1 hierarchies, each controller mounted alone, and an empty
// cgroup2 at /sys/fs/cgroup/unified).
constexpr char kHybridMountinfo[] =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

TEST(CgroupLayout, UnifiedMountIsV2) {
  CgroupLayout layout = ChooseCgroupLayout(true, kHybridMountinfo);
  EXPECT_EQ(layout.mode, CgroupMode::kV2);
  EXPECT_EQ(layout.mounts, (std::map<std::string, std::string>{{"", "/sys/fs/cgroup"}}));
}

TEST(CgroupLayout, V1HierarchiesFromTheMountTable) {
  CgroupLayout layout = ChooseCgroupLayout(false, kHybridMountinfo);
  EXPECT_EQ(layout.mode, CgroupMode::kV1);
  EXPECT_EQ(layout.reason, "");
  EXPECT_EQ(layout.mounts,
            (std::map<std::string, std::string>{{"cpu", "/sys/fs/cgroup/cpu"},
                                                {"cpuacct", "/sys/fs/cgroup/cpuacct"},
                                                {"memory", "/sys/fs/cgroup/memory"},
                                                {"pids", "/sys/fs/cgroup/pids"}}));
}

TEST(CgroupLayout, CoMountedControllersShareAHierarchy) {
  // systemd's usual v1 layout, with optional fields before the separator, and a bind mount of
  // the memory hierarchy elsewhere (escaped space) that loses to the /sys/fs/cgroup one.
  CgroupLayout layout = ChooseCgroupLayout(
      false,
      "50 40 0:44 / /mnt/my\\040mem rw shared:1 - cgroup cgroup rw,memory\n"
      "41 30 0:41 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:20 - cgroup cgroup "
      "rw,cpu,cpuacct\n"
      "42 30 0:42 / /sys/fs/cgroup/memory rw,nosuid shared:21 master:3 - cgroup cgroup "
      "rw,memory\n"
      "43 30 0:43 / /sys/fs/cgroup/pids rw shared:22 - cgroup cgroup rw,pids\n");
  EXPECT_EQ(layout.mode, CgroupMode::kV1);
  EXPECT_EQ(layout.mounts,
            (std::map<std::string, std::string>{{"cpu", "/sys/fs/cgroup/cpu,cpuacct"},
                                                {"cpuacct", "/sys/fs/cgroup/cpu,cpuacct"},
                                                {"memory", "/sys/fs/cgroup/memory"},
                                                {"pids", "/sys/fs/cgroup/pids"}}));

  // Mount points are octal-escaped in mountinfo.
  layout = ChooseCgroupLayout(
      false, "50 40 0:44 / /mnt/my\\040cgroups rw - cgroup cgroup rw,cpu,memory,pids\n");
  EXPECT_EQ(layout.mode, CgroupMode::kV1);
  EXPECT_EQ(layout.mounts.at("memory"), "/mnt/my cgroups");
}

TEST(CgroupLayout, MissingControllerMeansNone) {
  CgroupLayout layout =
      ChooseCgroupLayout(false,
                         "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
                         "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
  EXPECT_EQ(layout.mode, CgroupMode::kNone);
  EXPECT_TRUE(layout.mounts.empty());
  EXPECT_EQ(layout.reason,
            "/sys/fs/cgroup is not cgroup2 and no cgroup v1 hierarchy with the 'pids' controller "
            "is mounted");
  EXPECT_EQ(ChooseCgroupLayout(false, "").mode, CgroupMode::kNone);
}

TEST(CgroupFiles, CpuSharesAndWeights) {
  EXPECT_EQ(CpuSharesFor(1), 1024u);
  EXPECT_EQ(CpuSharesFor(0.5), 512u);
  EXPECT_EQ(CpuSharesFor(0.001), 2u);
  EXPECT_EQ(CpuSharesFor(0), 2u);
  EXPECT_EQ(CpuSharesFor(-1), 2u);
  EXPECT_EQ(CpuWeightFromShares(2), 1u);
  EXPECT_EQ(CpuWeightFromShares(1024), 39u);
  EXPECT_EQ(CpuWeightFromShares(262144), 10000u);
  EXPECT_EQ(CpuWeightFromShares(0), 1u);
  EXPECT_EQ(CpuWeightFromShares(1u << 30), 10000u);
  EXPECT_EQ(CfsQuotaFor(1.5), 150000);
  EXPECT_EQ(CfsQuotaFor(0.001), 1000);
  EXPECT_EQ(CfsQuotaFor(0), 1000);
}

TEST(CgroupFiles, FlatKeyedValues) {
  constexpr char kOomControl[] = "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n";
  EXPECT_EQ(FlatKeyedValue(kOomControl, "oom_kill"), 2u);
  EXPECT_EQ(FlatKeyedValue(kOomControl, "oom_kill_disable"), 0u);
  EXPECT_EQ(FlatKeyedValue(kOomControl, "oom"), std::nullopt);
  EXPECT_EQ(FlatKeyedValue("low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\noom_group_kill 0\n", "max"),
            5u);
  EXPECT_EQ(FlatKeyedValue("usage_usec 12\nbad x\n", "bad"), std::nullopt);
  EXPECT_EQ(FlatKeyedValue("", "oom_kill"), std::nullopt);
}

TEST(CgroupFiles, ProcsList) {
  EXPECT_EQ(ParseCgroupProcs("12\n345\n"), (std::vector<pid_t>{12, 345}));
  EXPECT_EQ(ParseCgroupProcs(""), (std::vector<pid_t>{}));
  EXPECT_EQ(ParseCgroupProcs("7\njunk\n-3\n0\n"), (std::vector<pid_t>{7}));
}

// ---- on this machine ------------------------------------------------------------------------

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trimmed(const std::string& path) { return std::string(Strip(ReadAll(path))); }

bool DirExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Cgroups::Limits OneCpu(uint64_t mem_bytes) {
  Cgroups::Limits limits;
  limits.cpus = 1;
  limits.mem_bytes = mem_bytes;
  return limits;
}

bool Lists(const std::string& procs_file, pid_t pid) {
  std::vector<pid_t> pids = ParseCgroupProcs(ReadAll(procs_file));
  return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

// Each test gets its own root ("atoll-test-<pid>-<n>") so parallel runs never meet, and
// removes it at the end.
class CgroupsLive : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    cgroups_.emplace(Cgroups::Detect(StrCat("atoll-test-", ::getpid(), "-", ++counter)));
    if (!cgroups_->enabled()) GTEST_SKIP() << "no cgroups here: " << cgroups_->reason();
  }
  void TearDown() override {
    if (!cgroups_ || !cgroups_->enabled()) return;
    for (const std::string& id : cgroups_->List()) {
      EXPECT_TRUE(cgroups_->Destroy(id).ok()) << id;
    }
    for (const std::string& root : cgroups_->RootDirs()) {
      EXPECT_EQ(::rmdir(root.c_str()), 0) << root << ": " << std::strerror(errno);
    }
  }

  // Spawns `script` inside container `id` (joined before exec).
  pid_t SpawnIn(const std::string& id, std::string script) {
    SpawnOptions o;
    o.path = "/bin/sh";
    o.argv = {"sh", "-c", std::move(script)};
    o.env = {"PATH=/usr/bin:/bin"};
    o.cgroup_procs = cgroups().ProcsFiles(id);
    absl::StatusOr<pid_t> pid = Spawn(o);
    EXPECT_TRUE(pid.ok()) << pid.status();
    return pid.value_or(-1);
  }

  Cgroups& cgroups() { return *cgroups_; }
  EventLoop loop_;
  std::optional<Cgroups> cgroups_;
};

TEST_F(CgroupsLive, DescribesWhereContainersLive) {
  std::string line = cgroups().Describe();
  EXPECT_TRUE(StartsWith(line, cgroups().mode() == CgroupMode::kV1 ? "cgroups: v1" : "cgroups: v2"))
      << line;
  for (const std::string& root : cgroups().RootDirs()) {
    EXPECT_TRUE(DirExists(root)) << root;
    EXPECT_NE(line.find(root), std::string::npos) << line;
  }
}

TEST_F(CgroupsLive, CreateWritesTheLimits) {
  Cgroups::Limits limits;
  limits.cpus = 0.5;
  limits.cpu_limit = 1.5;
  limits.mem_bytes = 64 << 20;
  ASSERT_TRUE(cgroups().Create("c1", limits).ok());
  if (cgroups().mode() == CgroupMode::kV1) {
    std::string cpu = cgroups().Dir("cpu", "c1"), memory = cgroups().Dir("memory", "c1");
    EXPECT_EQ(Trimmed(cpu + "/cpu.shares"), "512");
    EXPECT_EQ(Trimmed(cpu + "/cpu.cfs_period_us"), "100000");
    EXPECT_EQ(Trimmed(cpu + "/cpu.cfs_quota_us"), "150000");
    EXPECT_EQ(Trimmed(memory + "/memory.limit_in_bytes"), StrCat(64 << 20));
    EXPECT_EQ(Trimmed(memory + "/memory.soft_limit_in_bytes"), StrCat(64 << 20));
    EXPECT_TRUE(DirExists(cgroups().Dir("pids", "c1")));
  } else {
    std::string dir = cgroups().Dir("", "c1");
    EXPECT_EQ(Trimmed(dir + "/cpu.weight"), StrCat(CpuWeightFromShares(512)));
    EXPECT_EQ(Trimmed(dir + "/cpu.max"), "150000 100000");
    EXPECT_EQ(Trimmed(dir + "/memory.max"), StrCat(64 << 20));
    EXPECT_EQ(Trimmed(dir + "/memory.low"), StrCat(64 << 20));
  }
  EXPECT_EQ(cgroups().List(), (std::vector<std::string>{"c1"}));

  // Creating again rewrites: no hard CPU limit, and a memory limit raised to the minimum.
  limits.cpu_limit.reset();
  limits.mem_bytes = 1 << 20;
  ASSERT_TRUE(cgroups().Create("c1", limits).ok());
  if (cgroups().mode() == CgroupMode::kV1) {
    EXPECT_EQ(Trimmed(cgroups().Dir("cpu", "c1") + "/cpu.cfs_quota_us"), "-1");
    EXPECT_EQ(Trimmed(cgroups().Dir("memory", "c1") + "/memory.limit_in_bytes"),
              StrCat(Cgroups::kMinMemoryBytes));
    EXPECT_EQ(Trimmed(cgroups().Dir("memory", "c1") + "/memory.soft_limit_in_bytes"),
              StrCat(1 << 20));
  } else {
    EXPECT_EQ(Trimmed(cgroups().Dir("", "c1") + "/cpu.max"), "max 100000");
    EXPECT_EQ(Trimmed(cgroups().Dir("", "c1") + "/memory.max"), StrCat(Cgroups::kMinMemoryBytes));
  }
}

TEST_F(CgroupsLive, RejectsIdsThatAreNotOneName) {
  for (std::string id : {"", ".", "..", "a/b", "../escape"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(cgroups().Create(id, {}))) << id;
    EXPECT_TRUE(absl::IsInvalidArgument(cgroups().Destroy(id))) << id;
  }
}

TEST_F(CgroupsLive, AttachMovesAProcessIntoEveryHierarchy) {
  ASSERT_TRUE(cgroups().Create("c2", OneCpu(64 << 20)).ok());
  SpawnOptions o;
  o.path = "/bin/sleep";
  o.argv = {"sleep", "30"};
  absl::StatusOr<pid_t> pid = Spawn(o);
  ASSERT_TRUE(pid.ok()) << pid.status();
  ASSERT_TRUE(cgroups().Attach("c2", *pid).ok());
  for (const std::string& procs : cgroups().ProcsFiles("c2")) {
    EXPECT_TRUE(Lists(procs, *pid)) << procs;
  }
  absl::StatusOr<Cgroups::ResourceUsage> usage = cgroups().Usage("c2");
  ASSERT_TRUE(usage.ok()) << usage.status();
  EXPECT_EQ(usage->processes, 1u);

  std::optional<int> status;
  auto watcher = ProcessWatcher::Watch(loop_, *pid, [&](std::optional<int> s) {
    status = s;
    loop_.Stop();
  });
  ASSERT_TRUE(watcher.ok());
  ASSERT_TRUE(cgroups().Destroy("c2").ok());
  RunUntilStopped(loop_);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(DescribeWaitStatus(*status), "terminated with signal Killed");

  EXPECT_TRUE(absl::IsNotFound(cgroups().Attach("c2", ::getpid()))) << "container gone";
}

TEST_F(CgroupsLive, SpawnJoinsBeforeExecAndUsageCounts) {
  ASSERT_TRUE(cgroups().Create("c3", OneCpu(64 << 20)).ok());
  // Two grandchildren and a shell: all inside, since the shell joined before it ran.
  pid_t pid = SpawnIn("c3", "sleep 30 & sleep 30 & wait");
  ASSERT_GT(pid, 0);
  for (const std::string& procs : cgroups().ProcsFiles("c3")) {
    EXPECT_TRUE(Lists(procs, pid)) << procs;
  }
  std::string own = ReadAll(StrCat("/proc/", pid, "/cgroup"));
  EXPECT_NE(own.find(StrCat("/c3\n")), std::string::npos) << own;

  absl::StatusOr<Cgroups::ResourceUsage> usage = cgroups().Usage("c3");
  ASSERT_TRUE(usage.ok()) << usage.status();
  EXPECT_GE(usage->processes, 1u);
  EXPECT_GT(usage->mem_total_bytes, 0u);
  EXPECT_FALSE(cgroups().OomKilled("c3"));

  std::optional<int> status;
  auto watcher = ProcessWatcher::Watch(loop_, pid, [&](std::optional<int> s) {
    status = s;
    loop_.Stop();
  });
  ASSERT_TRUE(watcher.ok());
  ASSERT_TRUE(cgroups().Destroy("c3").ok());
  RunUntilStopped(loop_);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFSIGNALED(*status));
  for (const std::string& procs : cgroups().ProcsFiles("c3")) {
    EXPECT_FALSE(DirExists(procs.substr(0, procs.rfind('/')))) << procs;
  }
}

TEST_F(CgroupsLive, MemoryHogIsOomKilled) {
  ASSERT_TRUE(cgroups().Create("hog", OneCpu(32 << 20)).ok());
  // dd allocates its 200 MiB block and read() from /dev/zero fills every page of it.
  pid_t pid = SpawnIn("hog", "exec dd if=/dev/zero of=/dev/null bs=200M count=1");
  ASSERT_GT(pid, 0);
  std::optional<int> status;
  auto watcher = ProcessWatcher::Watch(loop_, pid, [&](std::optional<int> s) {
    status = s;
    loop_.Stop();
  });
  ASSERT_TRUE(watcher.ok());
  RunUntilStopped(loop_, Duration::Seconds(30));
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(DescribeWaitStatus(*status), "terminated with signal Killed");
  EXPECT_TRUE(cgroups().OomKilled("hog"));

  ASSERT_TRUE(cgroups().Destroy("hog").ok());
  for (const std::string& root : cgroups().RootDirs()) {
    EXPECT_FALSE(DirExists(root + "/hog")) << root;
  }
  EXPECT_FALSE(cgroups().OomKilled("hog")) << "gone";
}

TEST_F(CgroupsLive, DestroyRemovesNestedCgroupsAndIsIdempotent) {
  ASSERT_TRUE(cgroups().Create("c4", OneCpu(64 << 20)).ok());
  // A task that made its own sub-cgroup (as a nested container runtime would) and moved in.
  std::string nested = cgroups().Dir("memory", "c4") + "/inner";
  ASSERT_EQ(::mkdir(nested.c_str(), 0755), 0);
  pid_t pid = SpawnIn("c4", StrCat("echo 0 > ", nested, "/cgroup.procs && exec sleep 30"));
  ASSERT_GT(pid, 0);
  std::optional<int> status;
  auto watcher = ProcessWatcher::Watch(loop_, pid, [&](std::optional<int> s) {
    status = s;
    loop_.Stop();
  });
  ASSERT_TRUE(watcher.ok());
  ASSERT_TRUE(cgroups().Destroy("c4").ok());
  RunUntilStopped(loop_);
  EXPECT_TRUE(status.has_value());
  EXPECT_FALSE(DirExists(nested));
  EXPECT_TRUE(cgroups().List().empty());
  EXPECT_TRUE(cgroups().Destroy("c4").ok());
  EXPECT_TRUE(cgroups().Destroy("never-created").ok());
}

}  // namespace
}  // namespace atl::io
