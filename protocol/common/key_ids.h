// KeyIds: the ids of the commands on one key, split by write and read, and
// the conflict set a command on that key gets from them: a write conflicts
// with every id on the key, a read with the writes. A protocol's conflict
// index keeps one per key (KeyMap<...>), plus its Nop ids (a Nop conflicts
// with everything).
//
// With conflicts a key's history is long (thousands of ids on a hot key)
// and a conflict set is asked for at every PreAccept. A busy key therefore
// also keeps its conflict sets as IdSets plus the ids inserted since (folded
// in every kFold insertions): the caller's D ∪ conflicts then merges only
// the blocks where they differ (interned chunks, id_set.h) instead of
// walking the key's whole history. An erase drops them (rebuilt when next
// asked for).
#ifndef EPSIM_PROTOCOL_COMMON_KEY_IDS_H_
#define EPSIM_PROTOCOL_COMMON_KEY_IDS_H_

#include <memory>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "protocol/common/id_set.h"
#include "protocol/common/types.h"

namespace epsim::protocol {

class KeyIds {
 public:
  KeyIds() = default;
  // The cached sets are derived state: a copy (a replica's Clone) starts
  // without them.
  KeyIds(const KeyIds& other) : writes_(other.writes_), reads_(other.reads_) {}
  KeyIds& operator=(const KeyIds& other) {
    writes_ = other.writes_;
    reads_ = other.reads_;
    sets_.reset();
    return *this;
  }
  KeyIds(KeyIds&&) = default;
  KeyIds& operator=(KeyIds&&) = default;

  // No-ops if `id` is already in (resp. not in) the bucket.
  void Insert(const CommandId& id, bool write);
  void Erase(const CommandId& id, bool write);

  // Sorted, without duplicates.
  absl::Span<const CommandId> writes() const { return writes_; }
  absl::Span<const CommandId> reads() const { return reads_; }

  // Appends the ids that conflict with a write (all of them) or a read (the
  // writes) to `out`, sorted: for walks over the candidates.
  void AppendConflicting(bool write, std::vector<CommandId>& out) const;
  // The same ids as a set.
  IdSet Conflicts(bool write) const;
  // base ∪ Conflicts(write), without building the conflict set first: a
  // PreAccept's D usually holds most of a busy key's conflicts already, and
  // then the result shares D's storage (or its chunks).
  IdSet UnionWithConflicts(const IdSet& base, bool write) const;

 private:
  // Ids are created with growing counters, so an insertion lands at or near
  // the end. One id inline: without conflicts, most keys only ever hold one.
  using SortedIds = absl::InlinedVector<CommandId, 1>;
  struct Sets {
    IdSet all;
    IdSet writes;
    std::vector<CommandId> pending_all;     // inserted since, sorted
    std::vector<CommandId> pending_writes;  // ...
  };

  SortedIds writes_;
  SortedIds reads_;
  mutable std::unique_ptr<Sets> sets_;  // null until the key is busy
};

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_KEY_IDS_H_
