// Marathon groups (reference/marathon.md §1.4, §6): a tree of groups holding apps. The root
// group "/" is the single source of truth: every API write computes a new root from the old
// one (a pure function), and the deployment plan is the diff of the two (plan.h).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "marathonlike/app.h"

namespace atl::marathonlike {

// An app definition inside a group tree. Trees share definitions: copying a tree copies
// pointers, and a write through Mutable() copies only the definition written (copy-on-write),
// so every API write — which computes a whole new root group — costs O(apps) pointer copies
// plus the apps it changes, not a deep copy of every definition. Reads see a const
// AppDefinition (`->`, `*`, or the implicit conversion).
class AppRef {
 public:
  AppRef() : p_(std::make_shared<AppDefinition>()) {}
  AppRef(AppDefinition app)  // NOLINT: implicit, so maps of AppRef take definitions
      : p_(std::make_shared<AppDefinition>(std::move(app))) {}

  const AppDefinition& operator*() const { return *p_; }
  const AppDefinition* operator->() const { return p_.get(); }
  operator const AppDefinition&() const { return *p_; }  // NOLINT: reads as a definition
  const AppDefinition& get() const { return *p_; }

  // The definition, to change: copied first when another tree shares it.
  AppDefinition& Mutable() {
    if (p_.use_count() > 1) p_ = std::make_shared<AppDefinition>(*p_);
    return *p_;
  }
  // Whether both hold the very same definition (then they are equal without comparing).
  bool SharesWith(const AppRef& other) const { return p_ == other.p_; }

  bool operator==(const AppRef& other) const { return p_ == other.p_ || *p_ == *other.p_; }

 private:
  std::shared_ptr<AppDefinition> p_;  // never null; written only through Mutable()
};

struct Group {
  PathId id = "/";
  std::map<PathId, AppRef> apps;     // by absolute app id; direct children only
  std::map<PathId, Group> groups;    // by absolute group id; direct children only
  std::vector<PathId> dependencies;  // absolute
  bool enforce_role = false;
  Timestamp version;
  bool operator==(const Group&) const = default;
};

}  // namespace atl::marathonlike
