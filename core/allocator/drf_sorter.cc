#include "core/allocator/drf_sorter.h"

#include <algorithm>
#include <utility>

#include "core/base/check.h"
#include "core/base/strings.h"

namespace atl::allocator {

namespace {
constexpr char kLeafName[] = ".";
}  // namespace

bool DrfSorter::KeyLess::operator()(const Node* a, const Node* b) const {
  if (a->share != b->share) return a->share < b->share;
  if (a->allocations != b->allocations) return a->allocations < b->allocations;
  return a->path < b->path;
}

DrfSorter::DrfSorter(bool hierarchical) : hierarchical_(hierarchical) {}

DrfSorter::~DrfSorter() = default;

double DrfSorter::ComputeShare(const Node& node) const {
  double share = 0;
  const size_t n = std::min(total_.size(), node.allocation.size());
  const int64_t* total = total_.data();
  const int64_t* allocated = node.allocation.data();
  for (size_t k = 0; k < n; ++k) {
    if (total[k] <= 0) continue;
    share = std::max(share, static_cast<double>(allocated[k]) / static_cast<double>(total[k]));
  }
  return share / node.weight;
}

DrfSorter::Node* DrfSorter::Leaf(const std::string& client) const {
  auto it = clients_.find(client);
  ATOLL_CHECK(it != clients_.end()) << "unknown sorter client '" << client << "'";
  return it->second;
}

DrfSorter::Node* DrfSorter::Leaf(ClientId client) const {
  ATOLL_CHECK(client < leaves_.size() && leaves_[client] != nullptr)
      << "unknown sorter client id " << client;
  return leaves_[client];
}

bool DrfSorter::Contains(const std::string& client) const { return clients_.contains(client); }

void DrfSorter::Link(Node* node) {
  if (stale_) return;
  node->share = ComputeShare(*node);
  auto [it, inserted] = node->parent->ordered.insert(node);
  ATOLL_CHECK(inserted) << "sorter node '" << node->path << "' linked twice";
  node->self = it;
}

void DrfSorter::Unlink(Node* node) {
  if (stale_) return;
  node->parent->ordered.erase(node->self);
}

void DrfSorter::PropagateActive(Node* from, int64_t delta) {
  for (Node* n = from; n != &root_; n = n->parent) {
    const bool was = n->Linked();
    if (was && delta < 0 && n->active_leaves + delta == 0) Unlink(n);
    n->active_leaves += delta;
    if (!was && n->Linked()) Link(n);
  }
  root_.active_leaves += delta;
}

DrfSorter::ClientId DrfSorter::Add(const std::string& client, uint32_t tag, bool active) {
  ATOLL_CHECK(!client.empty()) << "empty sorter client";
  ATOLL_CHECK(!clients_.contains(client)) << "sorter client '" << client << "' added twice";
  Node* parent = &root_;
  if (hierarchical_) {
    std::string path;
    for (std::string_view part : Split(client, '/', /*skip_empty=*/false)) {
      if (!path.empty()) path += '/';
      path.append(part);
      std::unique_ptr<Node>& child = parent->children[std::string(part)];
      if (child == nullptr) {
        child = std::make_unique<Node>();
        child->path = path;
        child->parent = parent;
        auto w = weights_.find(path);
        if (w != weights_.end()) child->weight = w->second;
      }
      parent = child.get();
    }
  }
  const std::string leaf_name = hierarchical_ ? std::string(kLeafName) : client;
  std::unique_ptr<Node>& slot = parent->children[leaf_name];
  ATOLL_CHECK(slot == nullptr) << "sorter leaf '" << client << "' exists";
  slot = std::make_unique<Node>();
  Node* leaf = slot.get();
  leaf->path = hierarchical_ ? StrCat(client, "/", kLeafName) : client;
  leaf->client = client;
  leaf->parent = parent;
  leaf->leaf = true;
  leaf->tag = tag;
  if (!hierarchical_) {
    auto w = weights_.find(client);
    if (w != weights_.end()) leaf->weight = w->second;
  }
  clients_[client] = leaf;
  if (free_ids_.empty()) {
    leaf->id = static_cast<ClientId>(leaves_.size());
    leaves_.push_back(leaf);
  } else {
    leaf->id = free_ids_.back();
    free_ids_.pop_back();
    leaves_[leaf->id] = leaf;
  }
  if (active) Activate(client);
  return leaf->id;
}

void DrfSorter::Remove(const std::string& client) {
  Node* leaf = Leaf(client);
  if (!leaf->allocation.IsZero()) {
    const Quantities held = leaf->allocation;
    Change(leaf, nullptr, &held, /*count=*/false);
  }
  if (leaf->active) Deactivate(client);
  clients_.erase(client);
  leaves_[leaf->id] = nullptr;
  free_ids_.push_back(leaf->id);
  Node* parent = leaf->parent;
  const std::string name = hierarchical_ ? std::string(kLeafName) : client;
  parent->children.erase(name);  // destroys `leaf`
  // Drop internal nodes left without children; they hold nothing and are not linked.
  while (parent != &root_ && parent->children.empty()) {
    Node* up = parent->parent;
    std::string_view path = parent->path;
    const size_t slash = path.rfind('/');
    const std::string part(slash == std::string_view::npos ? path : path.substr(slash + 1));
    up->children.erase(part);
    parent = up;
  }
}

void DrfSorter::Activate(const std::string& client) {
  Node* leaf = Leaf(client);
  if (leaf->active) return;
  leaf->active = true;
  Link(leaf);
  PropagateActive(leaf->parent, +1);
}

void DrfSorter::Deactivate(const std::string& client) {
  Node* leaf = Leaf(client);
  if (!leaf->active) return;
  Unlink(leaf);
  leaf->active = false;
  PropagateActive(leaf->parent, -1);
}

bool DrfSorter::IsActive(const std::string& client) const { return Leaf(client)->active; }

void DrfSorter::UpdateWeight(const std::string& path, double weight) {
  ATOLL_CHECK(weight > 0) << "weight of '" << path << "' must be positive";
  weights_[path] = weight;
  Node* node = nullptr;
  if (hierarchical_) {
    node = &root_;
    for (std::string_view part : Split(path, '/', /*skip_empty=*/false)) {
      auto it = node->children.find(std::string(part));
      if (it == node->children.end()) {
        node = nullptr;
        break;
      }
      node = it->second.get();
    }
  } else if (auto it = clients_.find(path); it != clients_.end()) {
    node = it->second;
  }
  if (node != nullptr && node != &root_ && node->weight != weight) {
    node->weight = weight;
    stale_ = true;
  }
}

void DrfSorter::Change(Node* leaf, const Quantities* add, const Quantities* sub, bool count) {
  for (Node* n = leaf; n != nullptr; n = n->parent) {
    if (add != nullptr) n->allocation.Add(*add);
    if (sub != nullptr) n->allocation.Subtract(*sub);
    if (count) ++n->allocations;
    if (stale_ || n == &root_ || !n->Linked()) continue;
    n->share = ComputeShare(*n);
    // The key changed in place; nothing searches the set until the node is back in order.
    // Often it still is (an only child, or a small change): then the set is left alone.
    OrderedSet& siblings = n->parent->ordered;
    const KeyLess less;
    auto next = std::next(n->self);
    const bool before_next = next == siblings.end() || less(n, *next);
    const bool after_prev = n->self == siblings.begin() || less(*std::prev(n->self), n);
    if (before_next && after_prev) continue;
    // Re-insert without reallocating the set node.
    OrderedSet::node_type handle = siblings.extract(n->self);
    n->self = siblings.insert(std::move(handle)).position;
  }
}

void DrfSorter::Allocated(const std::string& client, const Quantities& quantities) {
  Allocated(Leaf(client)->id, quantities);
}

void DrfSorter::Allocated(ClientId client, const Quantities& quantities) {
  Change(Leaf(client), &quantities, nullptr, /*count=*/true);
}

void DrfSorter::Unallocated(const std::string& client, const Quantities& quantities) {
  Unallocated(Leaf(client)->id, quantities);
}

void DrfSorter::Unallocated(ClientId client, const Quantities& quantities) {
  Node* leaf = Leaf(client);
  Change(leaf, nullptr, &quantities, /*count=*/false);
  for (size_t k = 0; k < leaf->allocation.size(); ++k) {
    ATOLL_CHECK(leaf->allocation.Get(k) >= 0)
        << "sorter client '" << leaf->client << "' unallocated more than it held";
  }
}

void DrfSorter::Update(const std::string& client, const Quantities& from, const Quantities& to) {
  Update(Leaf(client)->id, from, to);
}

void DrfSorter::Update(ClientId client, const Quantities& from, const Quantities& to) {
  if (from == to) return;
  Change(Leaf(client), &to, &from, /*count=*/false);
}

void DrfSorter::AddTotal(const Quantities& quantities) {
  total_.Add(quantities);
  stale_ = true;
}

void DrfSorter::RemoveTotal(const Quantities& quantities) {
  total_.Subtract(quantities);
  stale_ = true;
}

const Quantities& DrfSorter::Allocation(const std::string& client) const {
  return Leaf(client)->allocation;
}

double DrfSorter::Share(const std::string& client) const {
  const Node* leaf = Leaf(client);
  // In a tree, the client competes with its siblings through its path node.
  return ComputeShare(hierarchical_ ? *leaf->parent : *leaf);
}

uint64_t DrfSorter::Allocations(const std::string& client) const {
  return Leaf(client)->allocations;
}

void DrfSorter::RebuildIfStale() {
  if (!stale_) return;
  // Recompute every key, then refill every set bottom-up in one pass.
  std::vector<Node*> stack = {&root_};
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    node->ordered.clear();
    for (auto& [name, child] : node->children) {
      child->share = ComputeShare(*child);
      if (child->Linked()) child->self = node->ordered.insert(child.get()).first;
      stack.push_back(child.get());
    }
  }
  stale_ = false;
}

void DrfSorter::Walk(Node* node, absl::FunctionRef<bool(const std::string&, uint32_t)> visit,
                     bool* go) {
  for (Node* child : node->ordered) {
    if (child->leaf) {
      *go = visit(child->client, child->tag);
    } else {
      Walk(child, visit, go);
    }
    if (!*go) return;
  }
}

void DrfSorter::ForEachActive(
    absl::FunctionRef<bool(const std::string& client, uint32_t tag)> visit) {
  RebuildIfStale();
  bool go = true;
  Walk(&root_, visit, &go);
}

std::vector<std::string> DrfSorter::Sort() {
  std::vector<std::string> out;
  ForEachActive([&](const std::string& client, uint32_t) {
    out.push_back(client);
    return true;
  });
  return out;
}

}  // namespace atl::allocator
