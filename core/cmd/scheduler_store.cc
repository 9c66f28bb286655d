#include "core/cmd/scheduler_store.h"

#include <algorithm>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/base/status.h"
#include "core/base/strings.h"
#include "marathonlike/state_json.h"

namespace atl::cmd {

namespace mk = marathonlike;
using io::KvStore;

namespace {

// DataLoss naming `key`, with the decoder's (or our) reason.
absl::Status KeyError(std::string_view key, std::string_view reason) {
  return absl::DataLossError(StrCat("scheduler store key '", key, "': ", reason));
}

// The same for a decoder's error.
absl::Status KeyError(std::string_view key, const absl::Status& decode_error) {
  return absl::DataLossError(StrCat("scheduler store key '", key, "': ", decode_error.message()));
}

absl::StatusOr<Timestamp> KeyTime(std::string_view key, std::string_view text) {
  std::optional<Timestamp> t = ParseIso8601(text);
  if (!t.has_value()) return KeyError(key, StrCat("'", text, "' is not an ISO-8601 time"));
  return *t;
}

void AppendOps(const mk::Command& command, std::vector<KvStore::Op>* ops) {
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, mk::cmd::PutFrameworkId>) {
          ops->push_back(KvStore::Op::Put(kFrameworkIdKey, c.framework_id));
        } else if constexpr (std::is_same_v<T, mk::cmd::PutRoot>) {
          // The tree once, as a root version with the apps by reference (their definitions
          // are under app-versions/); "root" names the current version.
          ops->push_back(
              KvStore::Op::Put(RootVersionKey(c.root->version), mk::EncodeGroupRefs(*c.root)));
          ops->push_back(KvStore::Op::Put(kRootKey, FormatIso8601(c.root->version)));
        } else if constexpr (std::is_same_v<T, mk::cmd::RemoveRootVersion>) {
          ops->push_back(KvStore::Op::Delete(RootVersionKey(c.version)));
        } else if constexpr (std::is_same_v<T, mk::cmd::PutAppVersion>) {
          ops->push_back(
              KvStore::Op::Put(AppVersionKey(c.app.id, c.app.version), mk::EncodeApp(c.app)));
        } else if constexpr (std::is_same_v<T, mk::cmd::RemoveAppVersion>) {
          ops->push_back(KvStore::Op::Delete(AppVersionKey(c.app_id, c.version)));
        } else if constexpr (std::is_same_v<T, mk::cmd::PutDeployment>) {
          ops->push_back(KvStore::Op::Put(DeploymentKey(c.deployment.plan.id),
                                          mk::EncodeDeployment(c.deployment)));
        } else if constexpr (std::is_same_v<T, mk::cmd::RemoveDeployment>) {
          ops->push_back(KvStore::Op::Delete(DeploymentKey(c.id)));
        } else if constexpr (std::is_same_v<T, mk::cmd::PutInstance>) {
          ops->push_back(
              KvStore::Op::Put(InstanceKey(c.instance.id), mk::EncodeInstance(c.instance)));
        } else if constexpr (std::is_same_v<T, mk::cmd::RemoveInstance>) {
          ops->push_back(KvStore::Op::Delete(InstanceKey(c.id)));
        }
        // Everything else (driver calls, Publish, WakeAt) is not durable.
      },
      command);
}

}  // namespace

std::string RootVersionKey(Timestamp version) {
  return StrCat(kRootVersionsPrefix, FormatIso8601(version));
}

std::string AppVersionKey(const mk::PathId& app_id, Timestamp version) {
  return StrCat(kAppVersionsPrefix, app_id, "/", FormatIso8601(version));
}

std::string DeploymentKey(const std::string& deployment_id) {
  return StrCat(kDeploymentsPrefix, deployment_id);
}

std::string InstanceKey(const mk::InstanceId& instance_id) {
  return StrCat(kInstancesPrefix, instance_id.value());
}

std::vector<KvStore::Op> ToOps(const mk::Command& command) {
  std::vector<KvStore::Op> ops;
  AppendOps(command, &ops);
  return ops;
}

std::vector<KvStore::Op> ToOps(const std::vector<mk::Command>& commands) {
  std::vector<KvStore::Op> ops;
  for (const mk::Command& command : commands) AppendOps(command, &ops);
  return ops;
}

// Resolves the app references of a stored root group from app-versions/.
static mk::AppResolver StoredApps(KvStore& store) {
  return [&store](const mk::PathId& id, Timestamp version) -> absl::StatusOr<mk::AppDefinition> {
    std::string key = AppVersionKey(id, version);
    absl::StatusOr<std::optional<KvStore::Entry>> entry = store.Get(key);
    if (!entry.ok()) return entry.status();
    if (!entry->has_value()) return absl::NotFoundError(StrCat("no stored app version ", key));
    absl::StatusOr<mk::AppDefinition> app = mk::DecodeApp((*entry)->value);
    if (!app.ok()) return KeyError(key, app.status());
    return app;
  };
}

absl::StatusOr<mk::StoredState> LoadState(KvStore& store) {
  mk::StoredState state;

  ASSIGN_OR_RETURN(std::optional<KvStore::Entry> framework_id, store.Get(kFrameworkIdKey));
  if (framework_id.has_value()) state.framework_id = std::move(framework_id->value);

  ASSIGN_OR_RETURN(std::optional<KvStore::Entry> root, store.Get(kRootKey));
  if (root.has_value()) {
    ASSIGN_OR_RETURN(Timestamp version, KeyTime(kRootKey, root->value));
    const std::string key = RootVersionKey(version);
    ASSIGN_OR_RETURN(std::optional<KvStore::Entry> tree, store.Get(key));
    if (!tree.has_value()) return KeyError(kRootKey, StrCat("names ", key, ", which is missing"));
    absl::StatusOr<mk::Group> group = mk::DecodeGroupRefs(tree->value, StoredApps(store));
    if (!group.ok()) return KeyError(key, group.status());
    state.root = *std::move(group);
  }

  ASSIGN_OR_RETURN(std::vector<std::string> root_keys, store.Keys(kRootVersionsPrefix));
  for (const std::string& key : root_keys) {
    std::string_view text(key);
    text.remove_prefix(std::string_view(kRootVersionsPrefix).size());
    ASSIGN_OR_RETURN(Timestamp version, KeyTime(key, text));
    state.root_versions.push_back(version);
  }
  std::sort(state.root_versions.begin(), state.root_versions.end());

  ASSIGN_OR_RETURN(std::vector<std::string> app_keys, store.Keys(kAppVersionsPrefix));
  for (const std::string& key : app_keys) {
    std::string_view rest(key);
    rest.remove_prefix(std::string_view(kAppVersionsPrefix).size());
    size_t slash = rest.rfind('/');
    if (slash == std::string_view::npos || slash == 0 || rest[0] != '/') {
      return KeyError(key, "not app-versions/<app id>/<time>");
    }
    ASSIGN_OR_RETURN(Timestamp version, KeyTime(key, rest.substr(slash + 1)));
    state.app_versions[mk::PathId(rest.substr(0, slash))].push_back(version);
  }
  for (auto& [app_id, versions] : state.app_versions) {
    std::sort(versions.begin(), versions.end());
  }

  ASSIGN_OR_RETURN(std::vector<KvStore::Entry> deployments, store.List(kDeploymentsPrefix));
  for (const KvStore::Entry& entry : deployments) {
    absl::StatusOr<mk::Deployment> d = mk::DecodeDeployment(entry.value);
    if (!d.ok()) return KeyError(entry.key, d.status());
    if (DeploymentKey(d->plan.id) != entry.key) {
      return KeyError(entry.key, StrCat("holds deployment '", d->plan.id, "'"));
    }
    state.deployments.push_back(*std::move(d));
  }

  ASSIGN_OR_RETURN(std::vector<KvStore::Entry> instances, store.List(kInstancesPrefix));
  for (const KvStore::Entry& entry : instances) {
    absl::StatusOr<mk::Instance> i = mk::DecodeInstance(entry.value);
    if (!i.ok()) return KeyError(entry.key, i.status());
    if (InstanceKey(i->id) != entry.key) {
      return KeyError(entry.key, StrCat("holds instance '", i->id.value(), "'"));
    }
    state.instances.push_back(*std::move(i));
  }
  return state;
}

std::optional<mk::AppDefinition> StoreVersionReader::ReadAppVersion(const mk::PathId& app_id,
                                                                    Timestamp version) {
  last_error_ = absl::OkStatus();
  std::string key = AppVersionKey(app_id, version);
  absl::StatusOr<std::optional<KvStore::Entry>> entry = store_.Get(key);
  if (!entry.ok()) {
    last_error_ = entry.status();
    return std::nullopt;
  }
  if (!entry->has_value()) return std::nullopt;
  absl::StatusOr<mk::AppDefinition> app = mk::DecodeApp((*entry)->value);
  if (!app.ok()) {
    last_error_ = KeyError(key, app.status());
    return std::nullopt;
  }
  return *std::move(app);
}

std::optional<mk::Group> StoreVersionReader::ReadRootVersion(Timestamp version) {
  last_error_ = absl::OkStatus();
  std::string key = RootVersionKey(version);
  absl::StatusOr<std::optional<KvStore::Entry>> entry = store_.Get(key);
  if (!entry.ok()) {
    last_error_ = entry.status();
    return std::nullopt;
  }
  if (!entry->has_value()) return std::nullopt;
  absl::StatusOr<mk::Group> group = mk::DecodeGroupRefs((*entry)->value, StoredApps(store_));
  if (!group.ok()) {
    last_error_ = KeyError(key, group.status());
    return std::nullopt;
  }
  return *std::move(group);
}

}  // namespace atl::cmd
