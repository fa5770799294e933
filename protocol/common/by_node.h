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

// node -> T, at most one entry per node.
template <typename T>
class NodeMap {
 public:
  using value_type = std::pair<NodeId, T>;
  using const_iterator =
      typename absl::InlinedVector<value_type, 7>::const_iterator;

  // Inserts unless `node` has an entry already (then keeps the first, as
  // map::emplace does); returns whether it inserted.
  bool emplace(NodeId node, T value) {
    auto it = LowerBound(entries_, node);
    if (it != entries_.end() && it->first == node) return false;
    entries_.insert(it, value_type(node, std::move(value)));
    return true;
  }
  bool contains(NodeId node) const {
    auto it = LowerBound(entries_, node);
    return it != entries_.end() && it->first == node;
  }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  void clear() { entries_.clear(); }
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }

 private:
  // (A template so that one body serves the const and non-const calls.)
  template <typename Entries>
  static auto LowerBound(Entries& entries, NodeId node) {
    return std::lower_bound(
        entries.begin(), entries.end(), node,
        [](const value_type& e, NodeId n) { return e.first < n; });
  }

  absl::InlinedVector<value_type, 7> entries_;
};

// A set of nodes, iterated in node order.
class NodeSet {
 public:
  using const_iterator = absl::InlinedVector<NodeId, 7>::const_iterator;

  // Returns whether `node` was new.
  bool insert(NodeId node) {
    auto it = std::lower_bound(nodes_.begin(), nodes_.end(), node);
    if (it != nodes_.end() && *it == node) return false;
    nodes_.insert(it, node);
    return true;
  }
  bool contains(NodeId node) const {
    return std::binary_search(nodes_.begin(), nodes_.end(), node);
  }
  size_t size() const { return nodes_.size(); }
  bool empty() const { return nodes_.empty(); }
  void clear() { nodes_.clear(); }
  const_iterator begin() const { return nodes_.begin(); }
  const_iterator end() const { return nodes_.end(); }

 private:
  absl::InlinedVector<NodeId, 7> nodes_;
};

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_BY_NODE_H_
