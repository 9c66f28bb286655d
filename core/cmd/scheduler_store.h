// The service scheduler's durable state in a KvStore (core/io/kv_store.h): which key holds
// what, the store writes of the scheduler's commands, and reading everything back for
// in::Recover. The values are marathonlike/state_json.h's encodings.
//
// Key layout (one record per key; times as FormatIso8601, "2015-10-13T12:00:00.000Z", whose
// fixed width and millisecond precision make keys of one prefix sort by time):
//   "framework-id"                        the framework id, raw text (not JSON)
//   "root"                                the current root group's version (its time, as
//                                         text): the tree is that root version's
//   "root-versions/<time>"                a root group version (EncodeGroupRefs: the apps by
//                                         reference to app-versions/); <time> is its
//                                         `version`. PutRoot writes it and points "root" at it.
//   "app-versions/<app id>/<time>"        an app version (EncodeApp), e.g.
//                                         "app-versions//prod/web/2015-10-13T12:00:00.000Z"
//                                         (the app id keeps its leading '/'; the time is
//                                         what follows the last '/')
//   "deployments/<deployment id>"         a running deployment (EncodeDeployment)
//   "instances/<instance id>"             an instance (EncodeInstance)
// Versions are keyed at millisecond precision: two versions of one app (or root) within the
// same millisecond share a key, the later write winning, which is why the scheduler's versions
// must be whole milliseconds (state_json.h, "Times").
//
// Writes are unconditional puts and deletes (no compare-and-set): the scheduler is the only
// writer while it leads, and the store's leader election fences others (DESIGN.md §1, HA).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/time.h"
#include "core/io/kv_store.h"
#include "marathonlike/service_scheduler.h"
#include "marathonlike/v2_api.h"

namespace atl::cmd {

// ---- keys ----
inline constexpr char kFrameworkIdKey[] = "framework-id";
inline constexpr char kRootKey[] = "root";
inline constexpr char kRootVersionsPrefix[] = "root-versions/";
inline constexpr char kAppVersionsPrefix[] = "app-versions/";
inline constexpr char kDeploymentsPrefix[] = "deployments/";
inline constexpr char kInstancesPrefix[] = "instances/";

std::string RootVersionKey(Timestamp version);
std::string AppVersionKey(const marathonlike::PathId& app_id, Timestamp version);
std::string DeploymentKey(const std::string& deployment_id);
std::string InstanceKey(const marathonlike::InstanceId& instance_id);

// The store writes of one command, in order (apply them as one Commit, or through a
// KvBatcher as one op-set). Commands that write nothing durable (driver calls, Publish,
// WakeAt) give none. PutRoot gives two puts: "root-versions/<root.version>" and "root".
std::vector<io::KvStore::Op> ToOps(const marathonlike::Command& command);
// The ops of every command of `commands`, concatenated in order.
std::vector<io::KvStore::Op> ToOps(const std::vector<marathonlike::Command>& commands);

// Everything for in::Recover (an empty store gives an empty StoredState: no framework id, an
// empty root "/"). app_versions and root_versions are sorted oldest first; deployments and
// instances come in key order. The version lists are read from the keys alone (values are
// read on demand, StoreVersionReader). Errors: the store's, or DataLoss naming the key whose
// key or value is unreadable (or whose record's id differs from its key).
absl::StatusOr<marathonlike::StoredState> LoadState(io::KvStore& store);

// Stored versions on demand for the REST layer (GET .../versions/{v}, rollback), over the
// same key layout. A version that is absent reads as nullopt; so does one the store cannot
// give or that does not decode, and then last_error() says why (until the next read).
class StoreVersionReader : public marathonlike::VersionReader {
 public:
  // `store` outlives the reader.
  explicit StoreVersionReader(io::KvStore& store) : store_(store) {}

  std::optional<marathonlike::AppDefinition> ReadAppVersion(const marathonlike::PathId& app_id,
                                                            Timestamp version) override;
  std::optional<marathonlike::Group> ReadRootVersion(Timestamp version) override;

  // OK, or the error behind the last read's nullopt.
  const absl::Status& last_error() const { return last_error_; }

 private:
  io::KvStore& store_;
  absl::Status last_error_;
};

}  // namespace atl::cmd
