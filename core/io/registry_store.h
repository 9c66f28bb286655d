// Durable storage for the master's registry. SQLite (WAL) under the master's work dir is the
// embedded default; ZooKeeper comes with HA.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/master/registry.h"

struct sqlite3;

namespace atl::io {

class RegistryStore {
 public:
  virtual ~RegistryStore() = default;
  // The registry as last saved (empty on first use).
  virtual absl::StatusOr<master::Registry> Load() = 0;
  // Applies one change atomically (one transaction): upserts agents, replaces weights/quotas
  // when the delta carries them.
  virtual absl::Status Apply(const master::RegistryDelta& delta) = 0;
};

class SqliteRegistryStore : public RegistryStore {
 public:
  // Opens (creating if needed) the database file at `path`.
  static absl::StatusOr<std::unique_ptr<SqliteRegistryStore>> Open(const std::string& path);
  ~SqliteRegistryStore() override;

  absl::StatusOr<master::Registry> Load() override;
  absl::Status Apply(const master::RegistryDelta& delta) override;

 private:
  explicit SqliteRegistryStore(sqlite3* db) : db_(db) {}
  absl::Status Exec(const std::string& sql);
  sqlite3* db_;
};

}  // namespace atl::io
