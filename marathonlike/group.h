// Marathon groups (reference/marathon.md §1.4, §6): a tree of groups holding apps. The root
// group "/" is the single source of truth: every API write computes a new root from the old
// one (a pure function), and the deployment plan is the diff of the two (plan.h).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "marathonlike/app.h"

namespace atl::marathonlike {

struct Group {
  PathId id = "/";
  std::map<PathId, AppDefinition> apps;  // by absolute app id; direct children only
  std::map<PathId, Group> groups;        // by absolute group id; direct children only
  std::vector<PathId> dependencies;      // absolute
  bool enforce_role = false;
  Timestamp version;
  bool operator==(const Group&) const = default;
};

}  // namespace atl::marathonlike
