// DrfSorter: orders clients (roles, or the frameworks of one role) by weighted dominant share,
// as Mesos's DRFSorter does (reference/mesos.md §6.4).
//
//   share(node) = max over kinds k with total[k] > 0 of allocation[k] / total[k], / weight
//   order       = ascending (share, allocations made, path)
//
// Hierarchical mode splits client names on '/' into a tree ("eng/web" under "eng"); siblings
// are compared by their aggregated subtree allocation and the order is a depth-first walk that
// visits children in that order. A client's own allocation lives in a leaf named "." under its
// path node, so "eng" can be a client and a parent at once (its leaf competes with "eng/web").
// Flat mode (framework sorters) keeps every client a direct child of the root.
//
// Speed: every node keeps its children in a std::set ordered by the cached key. A change of one
// client's allocation re-keys that leaf and its ancestors (O(depth * log siblings)); a change of
// the cluster totals or of a weight invalidates all keys, which are rebuilt lazily once, at the
// next ordered walk. Only active leaves and internal nodes with an active leaf below them are in
// their parent's set, so a walk never visits idle subtrees.
//
// Excluded resource names (--fair_sharing_excluded_resource_names) are the caller's business:
// pass quantities without them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "core/allocator/quantities.h"

namespace atl::allocator {

class DrfSorter {
 public:
  // A client's handle, stable until it is removed (cheaper than its name on hot paths).
  using ClientId = uint32_t;

  // `hierarchical`: split client names on '/' (role sorter); else flat (framework sorters).
  explicit DrfSorter(bool hierarchical);
  ~DrfSorter();
  DrfSorter(const DrfSorter&) = delete;
  DrfSorter& operator=(const DrfSorter&) = delete;

  // Adds a client with no allocation. `tag` is handed back by ForEachActive (the caller's
  // index for the client). REQUIRES: !Contains(client), client non-empty.
  ClientId Add(const std::string& client, uint32_t tag, bool active);
  // Removes a client, first taking its remaining allocation off its ancestors.
  // REQUIRES: Contains(client).
  void Remove(const std::string& client);
  bool Contains(const std::string& client) const;

  // Inactive clients keep their allocation (it still weighs on their ancestors) but are not
  // visited by ForEachActive. REQUIRES: Contains(client).
  void Activate(const std::string& client);
  void Deactivate(const std::string& client);
  bool IsActive(const std::string& client) const;

  // Weight of a path (a role, or a parent of roles); default 1.0. Applies to nodes added later
  // too. REQUIRES: weight > 0.
  void UpdateWeight(const std::string& path, double weight);

  // One allocation to `client` (counts as an allocation made, for ties).
  void Allocated(const std::string& client, const Quantities& quantities);
  void Allocated(ClientId client, const Quantities& quantities);
  // Takes quantities back. REQUIRES: the client holds at least that much.
  void Unallocated(const std::string& client, const Quantities& quantities);
  void Unallocated(ClientId client, const Quantities& quantities);
  // Replaces `from` by `to` in the client's allocation without counting an allocation
  // (reservations and volumes change shape, not ownership).
  void Update(const std::string& client, const Quantities& from, const Quantities& to);
  void Update(ClientId client, const Quantities& from, const Quantities& to);

  void AddTotal(const Quantities& quantities);
  void RemoveTotal(const Quantities& quantities);
  const Quantities& total() const { return total_; }

  // The client's own allocation, weighted share (against the current totals) and number of
  // allocations made. REQUIRES: Contains(client).
  const Quantities& Allocation(const std::string& client) const;
  double Share(const std::string& client) const;
  uint64_t Allocations(const std::string& client) const;

  // Visits active clients in DRF order until `visit` returns false.
  // REQUIRES: `visit` does not change this sorter.
  void ForEachActive(absl::FunctionRef<bool(const std::string& client, uint32_t tag)> visit);
  // All active clients in order (tests, introspection).
  std::vector<std::string> Sort();

  size_t size() const { return clients_.size(); }

 private:
  struct Node;
  struct KeyLess {
    bool operator()(const Node* a, const Node* b) const;
  };
  using OrderedSet = std::set<Node*, KeyLess>;
  struct Node {
    std::string path;    // "eng/web"; a leaf under it is "eng/web/." (flat: the client name)
    std::string client;  // leaves only
    Node* parent = nullptr;
    bool leaf = false;
    bool active = false;        // leaves only
    int64_t active_leaves = 0;  // internal nodes: active leaves in the subtree
    uint32_t tag = 0;
    double weight = 1.0;
    // Cached sort key; changed only while the node is out of its parent's set.
    double share = 0;
    uint64_t allocations = 0;
    Quantities allocation;  // own (leaves) or aggregated over the subtree (internal nodes)
    absl::flat_hash_map<std::string, std::unique_ptr<Node>> children;  // by last component
    OrderedSet ordered;         // linked children, in DRF order
    OrderedSet::iterator self;  // this node in parent->ordered, while linked and fresh
    ClientId id = 0;            // leaves only

    bool Linked() const { return leaf ? active : active_leaves > 0; }
  };

  double ComputeShare(const Node& node) const;
  Node* Leaf(const std::string& client) const;
  Node* Leaf(ClientId client) const;
  // Applies `delta` (+1 / -1 quantities sign) and an allocation count to `leaf` and its
  // ancestors, re-keying each in its parent's set.
  void Change(Node* leaf, const Quantities* add, const Quantities* sub, bool count);
  // Moves a node's active-leaf count by `delta` up the tree, linking/unlinking as it crosses 0.
  void PropagateActive(Node* from, int64_t delta);
  void Link(Node* node);
  void Unlink(Node* node);
  void RebuildIfStale();
  void Walk(Node* node, absl::FunctionRef<bool(const std::string&, uint32_t)> visit, bool* go);

  const bool hierarchical_;
  Node root_;
  Quantities total_;
  std::map<std::string, double> weights_;
  absl::flat_hash_map<std::string, Node*> clients_;
  std::vector<Node*> leaves_;  // by ClientId; nullptr when free
  std::vector<ClientId> free_ids_;
  // Keys are stale (totals or weights changed): sets are not maintained until rebuilt.
  bool stale_ = true;
};

}  // namespace atl::allocator
