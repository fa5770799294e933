// IdSet: an immutable sorted set of command ids, shared between copies.
//
// Dependency sets are exact (protocols.md pitfall 9), so they grow with the
// history of a key: with conflicts, sets of thousands of ids. One set is
// built once and then travels through a broadcast, the replicas' state,
// commit records and the checkers; copying it or re-hashing it at each of
// those steps made every commit cost O(history) several times over. An IdSet
// copy is a pointer copy, and its digest (SetDigest) is computed once, when
// the set is built.
#ifndef EPSIM_PROTOCOL_COMMON_ID_SET_H_
#define EPSIM_PROTOCOL_COMMON_ID_SET_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "protocol/common/types.h"

namespace epsim::protocol {

class IdSet {
 public:
  // A read-only container of CommandId (for algorithms and test matchers).
  using value_type = CommandId;
  using const_iterator = std::vector<CommandId>::const_iterator;
  using iterator = const_iterator;
  using size_type = size_t;

  IdSet() = default;
  // Any order, duplicates allowed (sorted and deduplicated here). Implicit:
  // a vector of ids is a set of ids wherever one is expected.
  IdSet(std::vector<CommandId> ids);  // NOLINT(google-explicit-constructor)
  IdSet(std::initializer_list<CommandId> ids);
  // `sorted` must be sorted without duplicates (not checked: the callers
  // build it by merging sorted sets).
  static IdSet FromSorted(std::vector<CommandId> sorted);

  const std::vector<CommandId>& ids() const;
  const_iterator begin() const { return ids().begin(); }
  const_iterator end() const { return ids().end(); }
  size_t size() const { return rep_ == nullptr ? 0 : rep_->ids.size(); }
  bool empty() const { return size() == 0; }
  bool Contains(const CommandId& id) const {
    return std::binary_search(begin(), end(), id);
  }
  // SetDigest(ids()), computed when the set was built.
  uint64_t digest() const;
  // Whether both are copies of one built set (equal without a look at the
  // ids).
  bool SharesStorageWith(const IdSet& other) const {
    return rep_ == other.rep_;
  }

  friend bool operator==(const IdSet& a, const IdSet& b) {
    return a.rep_ == b.rep_ || (a.size() == b.size() &&
                                a.digest() == b.digest() && a.ids() == b.ids());
  }
  // "{1.2,0.5}".
  std::string ToString() const;

 private:
  friend IdSet Union(const IdSet& a, const IdSet& b);
  friend IdSet Union(const IdSet& a, const std::vector<CommandId>& sorted_b);
  static IdSet Make(std::vector<CommandId> sorted, uint64_t sum_of_terms);
  uint64_t sum_of_terms() const { return rep_ == nullptr ? 0 : rep_->sum; }
  // a ∪ b for b a sorted range without duplicates; `b_set` is b as a set
  // when there is one (shared if it holds a).
  template <typename SortedRange>
  static IdSet UnionOf(const IdSet& a, const SortedRange& b,
                       const IdSet* b_set);

  struct Rep {
    std::vector<CommandId> ids;
    uint64_t sum = 0;  // Σ SetDigestTerm(id): a union hashes only new ids
    uint64_t digest = 0;
  };
  std::shared_ptr<const Rep> rep_;  // null: empty
};

// The sorted union of two sets; shares `a` (or `b`) when it already holds
// the other. One pass to compare them, a second only to build a new set.
IdSet Union(const IdSet& a, const IdSet& b);
// The same with b given as a sorted vector without duplicates (shares `a`
// when it holds b; a result equal to b is a new set).
IdSet Union(const IdSet& a, const std::vector<CommandId>& sorted_b);

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_ID_SET_H_
