// NodeMap and NodeSet: what a coordinator collects per sender (replies,
// acknowledgements) for one command.
//
// A quorum has a handful of members, and one such collection is built and
// dropped per command per phase: a search tree allocated a node for each.
// These keep up to 7 entries inline, sorted by node id, so they iterate in
// node order like the ordered containers they replace, and offer the part
// of their interface the protocols use.
#ifndef EPSIM_PROTOCOL_COMMON_BY_NODE_H_
#define EPSIM_PROTOCOL_COMMON_BY_NODE_H_

#include <algorithm>
#include <cstddef>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "protocol/common/types.h"

namespace epsim::protocol {
namespace by_node_internal {

// Entries sorted by NodeOf(entry), at most one per node.
template <typename Entry>
class SortedByNode {
 public:
  using value_type = Entry;
  using const_iterator = typename absl::InlinedVector<Entry, 7>::const_iterator;

  bool contains(NodeId node) const {
    auto it = LowerBound(node);
    return it != entries_.end() && NodeOf(*it) == node;
  }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  void clear() { entries_.clear(); }
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }

 protected:
  // Inserts unless its node has an entry already (then keeps the first, as
  // map::emplace does); returns whether it inserted.
  bool Insert(Entry entry) {
    auto it = LowerBound(NodeOf(entry));
    if (it != entries_.end() && NodeOf(*it) == NodeOf(entry)) return false;
    // Appended, then rotated into place: InlinedVector's insert at a
    // position trips GCC 12's maybe-uninitialized warning.
    const auto at = it - entries_.begin();
    entries_.push_back(std::move(entry));
    std::rotate(entries_.begin() + at, entries_.end() - 1, entries_.end());
    return true;
  }

 private:
  static NodeId NodeOf(NodeId node) { return node; }
  template <typename T>
  static NodeId NodeOf(const std::pair<NodeId, T>& entry) {
    return entry.first;
  }
  const_iterator LowerBound(NodeId node) const {
    return std::lower_bound(
        entries_.begin(), entries_.end(), node,
        [](const Entry& e, NodeId n) { return NodeOf(e) < n; });
  }

  absl::InlinedVector<Entry, 7> entries_;
};

}  // namespace by_node_internal

// node -> T, at most one entry per node; iterates (node, T) pairs.
template <typename T>
class NodeMap : public by_node_internal::SortedByNode<std::pair<NodeId, T>> {
 public:
  bool emplace(NodeId node, T value) {
    return this->Insert(std::pair<NodeId, T>(node, std::move(value)));
  }
};

// A set of nodes, iterated in node order.
class NodeSet : public by_node_internal::SortedByNode<NodeId> {
 public:
  bool insert(NodeId node) { return Insert(node); }  // whether new
};

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_BY_NODE_H_
