// IdSet: an immutable sorted set of command ids, shared between copies.
//
// Dependency sets are exact (docs/protocols.md pitfall 9), so they grow with
// the history of a key: with conflicts, sets of thousands of ids, built at
// every replica for every command, and mostly equal to each other except for
// the few most recent ids. So a set is stored in chunks, one per block of
// kBlockCounters consecutive counters (the ids sorted by counter, then
// origin), and equal chunks are one object: a chunk is interned when it is
// built (per thread, by content), so sets built apart at different replicas
// share their old chunks. A union then compares chunks by address and
// merges only the blocks where the operands differ; a copy is a pointer
// copy; the digest (SetDigest) is computed once, from per-chunk sums.
//
// Nothing observable depends on the sharing: iteration, equality, digests
// and unions are those of the plain sorted set.
#ifndef EPSIM_PROTOCOL_COMMON_ID_SET_H_
#define EPSIM_PROTOCOL_COMMON_ID_SET_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "protocol/common/types.h"

namespace epsim::protocol {

class IdSet {
 public:
  // Ids whose counters agree but for the low bits share a chunk.
  static constexpr int kBlockBits = 6;
  static uint64_t BlockOf(const CommandId& id) {
    return id.counter >> kBlockBits;
  }

  // The ids of one block, sorted; immutable and shared.
  struct Chunk {
    uint64_t block = 0;
    // Never empty. (One id inline: at low conflict most sets are small.)
    absl::InlinedVector<CommandId, 1> ids;
    uint64_t sum = 0;  // Σ SetDigestTerm(id)
  };
  using ChunkPtr = std::shared_ptr<const Chunk>;

  // A read-only forward iterator over the ids in order.
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = CommandId;
    using difference_type = std::ptrdiff_t;
    using pointer = const CommandId*;
    using reference = const CommandId&;

    const_iterator() = default;
    reference operator*() const { return (*chunk_)->ids[index_]; }
    pointer operator->() const { return &**this; }
    const_iterator& operator++() {
      if (++index_ == (*chunk_)->ids.size()) {
        ++chunk_;
        index_ = 0;
      }
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.chunk_ == b.chunk_ && a.index_ == b.index_;
    }

   private:
    friend class IdSet;
    const_iterator(const ChunkPtr* chunk, size_t index)
        : chunk_(chunk), index_(index) {}
    const ChunkPtr* chunk_ = nullptr;
    size_t index_ = 0;
  };
  // (For algorithms and test matchers.)
  using value_type = CommandId;
  using iterator = const_iterator;
  using size_type = size_t;

  IdSet() = default;
  // Any order, duplicates allowed (sorted and deduplicated here). Implicit:
  // a vector of ids is a set of ids wherever one is expected.
  IdSet(std::vector<CommandId> ids);  // NOLINT(google-explicit-constructor)
  IdSet(std::initializer_list<CommandId> ids);
  // `sorted` must be sorted without duplicates (not checked: the callers
  // build it by merging sorted sets).
  static IdSet FromSorted(absl::Span<const CommandId> sorted);

  const_iterator begin() const;
  const_iterator end() const;
  size_t size() const { return rep_ == nullptr ? 0 : rep_->size; }
  bool empty() const { return size() == 0; }
  bool Contains(const CommandId& id) const;
  // The ids in order, copied (tests and reports).
  std::vector<CommandId> ToVector() const;
  // The chunks in block order (for walks that skip whole blocks).
  absl::Span<const ChunkPtr> chunks() const;
  // SetDigest(ToVector()), computed when the set was built.
  uint64_t digest() const;
  // Whether both are copies of one built set (equal without a look at the
  // ids).
  bool SharesStorageWith(const IdSet& other) const {
    return rep_ == other.rep_;
  }

  friend bool operator==(const IdSet& a, const IdSet& b);
  // "{1.2,0.5}".
  std::string ToString() const;

 private:
  friend IdSet Union(const IdSet& a, const IdSet& b);
  friend IdSet UnionSorted(const IdSet& a,
                           absl::Span<const CommandId> sorted_b);
  friend IdSet WithoutSorted(const IdSet& a,
                             absl::Span<const CommandId> sorted_b);
  using Chunks = absl::InlinedVector<ChunkPtr, 1>;
  static IdSet Make(Chunks chunks);

  struct Rep {
    Chunks chunks;  // by block, none empty
    size_t size = 0;
    uint64_t digest = 0;
  };
  std::shared_ptr<const Rep> rep_;  // null: empty
};

// The sorted union of two sets; shares `a` (or `b`) when it already holds
// the other. Blocks whose chunks are one object are not looked into.
IdSet Union(const IdSet& a, const IdSet& b);
// The same with b given as sorted ids without duplicates (shares `a`
// when it holds b).
IdSet UnionSorted(const IdSet& a, absl::Span<const CommandId> sorted_b);
// a \ {id}; shares `a` when it does not hold id.
IdSet Without(const IdSet& a, const CommandId& id);
// a \ b with b given as sorted ids without duplicates; shares `a` when it
// holds none of them, and the chunks of the blocks b has no id in.
IdSet WithoutSorted(const IdSet& a, absl::Span<const CommandId> sorted_b);

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_ID_SET_H_
