#include "protocol/common/id_set.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "protocol/common/hash.h"

namespace epsim::protocol {
namespace {

using ChunkPtr = IdSet::ChunkPtr;
using Chunk = IdSet::Chunk;

// Chunks by content, so that equal chunks built apart are one object. Per
// thread (a fuzz campaign runs seeds on several threads), weakly held (a
// chunk lives as long as some set holds it). Only looked up and pruned,
// never iterated for anything a run could observe: whether a chunk came
// from here changes addresses, never a set's value.
class ChunkPool {
 public:
  ChunkPtr Intern(Chunk chunk) {
    auto [it, fresh] = pool_.try_emplace(Key{chunk.block, chunk.sum});
    if (!fresh) {
      if (ChunkPtr existing = it->second.lock()) {
        if (existing->ids == chunk.ids) return existing;
        // Two contents with one key: keep the first pooled, share nothing.
        return std::make_shared<const Chunk>(std::move(chunk));
      }
    }
    auto made = std::make_shared<const Chunk>(std::move(chunk));
    it->second = made;
    if (pool_.size() >= prune_at_) Prune();
    return made;
  }

 private:
  struct Key {
    uint64_t block;
    uint64_t sum;
    friend bool operator==(const Key&, const Key&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.block, k.sum);
    }
  };
  void Prune() {
    absl::erase_if(pool_,
                   [](const auto& entry) { return entry.second.expired(); });
    prune_at_ = std::max<size_t>(kMinPruneAt, 2 * pool_.size());
  }

  static constexpr size_t kMinPruneAt = 4096;
  absl::flat_hash_map<Key, std::weak_ptr<const Chunk>> pool_;
  size_t prune_at_ = kMinPruneAt;
};

ChunkPtr Intern(Chunk chunk) {
  thread_local ChunkPool pool;
  return pool.Intern(std::move(chunk));
}

// A chunk of the ids [first, last) (sorted, all of one block).
template <typename It>
ChunkPtr ChunkOf(It first, It last) {
  // (Built in place: GCC takes an assign() into a fresh InlinedVector for a
  // read of uninitialized storage, -Wmaybe-uninitialized.)
  Chunk chunk{.block = IdSet::BlockOf(*first), .ids = {first, last}};
  for (const CommandId& id : chunk.ids) chunk.sum += SetDigestTerm(id);
  return Intern(std::move(chunk));
}

// x ∪ y of one block. Returns null if y ⊆ x (x is the union).
template <typename It>
ChunkPtr MergeInto(const Chunk& x, It y, It y_end) {
  if (x.ids.back() < *y) {
    // All of y comes after x (new ids are the highest): an append, without
    // the merge walk.
    Chunk chunk;
    chunk.block = x.block;
    chunk.ids.reserve(x.ids.size() +
                      static_cast<size_t>(std::distance(y, y_end)));
    chunk.ids.assign(x.ids.begin(), x.ids.end());
    chunk.sum = x.sum;
    for (It it = y; it != y_end; ++it) {
      chunk.ids.push_back(*it);
      chunk.sum += SetDigestTerm(*it);
    }
    return Intern(std::move(chunk));
  }
  uint64_t added = 0;
  bool any = false;
  auto in = x.ids.begin();
  for (It it = y; it != y_end; ++it) {
    while (in != x.ids.end() && *in < *it) ++in;
    if (in != x.ids.end() && *in == *it) continue;
    any = true;
    added += SetDigestTerm(*it);
  }
  if (!any) return nullptr;
  Chunk chunk;
  chunk.block = x.block;
  chunk.ids.reserve(x.ids.size() +
                    static_cast<size_t>(std::distance(y, y_end)));
  std::set_union(x.ids.begin(), x.ids.end(), y, y_end,
                 std::back_inserter(chunk.ids));
  chunk.sum = x.sum + added;
  return Intern(std::move(chunk));
}

bool SameChunk(const ChunkPtr& x, const ChunkPtr& y) {
  return x == y || (x->sum == y->sum && x->ids == y->ids);
}

// Whether `set` holds every id of `sorted` (sorted, without duplicates): one
// search for the first id's block, then a walk forward.
bool HoldsAllSorted(absl::Span<const ChunkPtr> set,
                    absl::Span<const CommandId> sorted) {
  auto chunk = set.begin();
  for (const CommandId& id : sorted) {
    const uint64_t block = IdSet::BlockOf(id);
    if (chunk != set.end() && (*chunk)->block < block) {
      chunk = std::lower_bound(
          chunk, set.end(), block,
          [](const ChunkPtr& c, uint64_t b) { return c->block < b; });
    }
    if (chunk == set.end() || (*chunk)->block != block ||
        !std::binary_search((*chunk)->ids.begin(), (*chunk)->ids.end(), id)) {
      return false;
    }
  }
  return true;
}

// Walks the chunks of x and y together by block, calling f(cx, cy) with
// the chunks of each block (null where a set has none), while f returns
// true.
template <typename F>
void ZipBlocks(absl::Span<const ChunkPtr> x, absl::Span<const ChunkPtr> y,
               F f) {
  size_t i = 0, j = 0;
  while (i < x.size() || j < y.size()) {
    const ChunkPtr* cx = nullptr;
    const ChunkPtr* cy = nullptr;
    if (j == y.size() || (i < x.size() && x[i]->block < y[j]->block)) {
      cx = &x[i++];
    } else if (i == x.size() || y[j]->block < x[i]->block) {
      cy = &y[j++];
    } else {
      cx = &x[i++];
      cy = &y[j++];
    }
    if (!f(cx, cy)) return;
  }
}

}  // namespace

IdSet::IdSet(std::vector<CommandId> ids) {
  // Almost always sorted already: checking is one pass, sorting is not.
  if (!std::is_sorted(ids.begin(), ids.end())) {
    std::sort(ids.begin(), ids.end());
  }
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  *this = FromSorted(ids);
}

IdSet::IdSet(std::initializer_list<CommandId> ids)
    : IdSet(std::vector<CommandId>(ids)) {}

IdSet IdSet::FromSorted(absl::Span<const CommandId> sorted) {
  return UnionSorted(IdSet(), sorted);  // one chunk per block of `sorted`
}

IdSet IdSet::Make(Chunks chunks) {
  IdSet set;
  if (chunks.empty()) return set;
  auto rep = std::make_shared<Rep>();
  uint64_t sum = 0;
  for (const ChunkPtr& chunk : chunks) {
    rep->size += chunk->ids.size();
    sum += chunk->sum;
  }
  rep->digest = SetDigestOf(sum, rep->size);
  rep->chunks = std::move(chunks);
  set.rep_ = std::move(rep);
  return set;
}

IdSet::const_iterator IdSet::begin() const {
  return const_iterator(chunks().data(), 0);
}

IdSet::const_iterator IdSet::end() const {
  const absl::Span<const ChunkPtr> all = chunks();
  return const_iterator(all.data() + all.size(), 0);
}

absl::Span<const ChunkPtr> IdSet::chunks() const {
  if (rep_ == nullptr) return {};
  return rep_->chunks;
}

bool IdSet::Contains(const CommandId& id) const {
  return HoldsAllSorted(chunks(), absl::MakeConstSpan(&id, 1));
}

std::vector<CommandId> IdSet::ToVector() const {
  return std::vector<CommandId>(begin(), end());
}

uint64_t IdSet::digest() const {
  static const uint64_t empty = SetDigest({});
  return rep_ == nullptr ? empty : rep_->digest;
}

bool operator==(const IdSet& a, const IdSet& b) {
  if (a.rep_ == b.rep_) return true;
  if (a.size() != b.size() || a.digest() != b.digest()) return false;
  const absl::Span<const ChunkPtr> x = a.chunks();
  const absl::Span<const ChunkPtr> y = b.chunks();
  if (x.size() != y.size()) return false;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i]->block != y[i]->block || !SameChunk(x[i], y[i])) return false;
  }
  return true;
}

std::string IdSet::ToString() const {
  return absl::StrCat("{",
                      absl::StrJoin(begin(), end(), ",",
                                    [](std::string* out, const CommandId& id) {
                                      absl::StrAppend(out, id.ToString());
                                    }),
                      "}");
}

IdSet Union(const IdSet& a, const IdSet& b) {
  if (a.SharesStorageWith(b) || b.empty()) return a;
  if (a.empty()) return b;
  const absl::Span<const ChunkPtr> x = a.chunks();
  const absl::Span<const ChunkPtr> y = b.chunks();
  // Usually one operand holds the other: then it is the answer. Found
  // without copying a chunk pointer (chunks held by both as one object are
  // passed over by address), stopping once both are known to lack ids.
  bool beyond_a = false;  // the union holds ids a lacks
  bool beyond_b = false;  // ... ids b lacks
  ZipBlocks(x, y, [&](const ChunkPtr* cx, const ChunkPtr* cy) {
    if (cy == nullptr) {
      beyond_b = true;
    } else if (cx == nullptr) {
      beyond_a = true;
    } else if (*cx != *cy) {
      const auto& xs = (*cx)->ids;
      const auto& ys = (*cy)->ids;
      beyond_a = beyond_a ||
                 !std::includes(xs.begin(), xs.end(), ys.begin(), ys.end());
      beyond_b = beyond_b ||
                 !std::includes(ys.begin(), ys.end(), xs.begin(), xs.end());
    }
    return !(beyond_a && beyond_b);
  });
  if (!beyond_a) return a;
  if (!beyond_b) return b;
  IdSet::Chunks out;
  out.reserve(std::max(x.size(), y.size()));
  ZipBlocks(x, y, [&out](const ChunkPtr* cx, const ChunkPtr* cy) {
    if (cy == nullptr || (cx != nullptr && SameChunk(*cx, *cy))) {
      out.push_back(*cx);
    } else if (cx == nullptr) {
      out.push_back(*cy);
    } else if (ChunkPtr merged =
                   MergeInto(**cx, (*cy)->ids.begin(), (*cy)->ids.end())) {
      out.push_back(std::move(merged));
    } else {
      out.push_back(*cx);  // cy ⊂ cx
    }
    return true;
  });
  return IdSet::Make(std::move(out));
}

IdSet UnionSorted(const IdSet& a, absl::Span<const CommandId> sorted_b) {
  if (sorted_b.empty()) return a;
  // A set that holds them all is the answer: no chunk pointer is copied.
  if (HoldsAllSorted(a.chunks(), sorted_b)) return a;
  const absl::Span<const ChunkPtr> x = a.chunks();
  IdSet::Chunks out;
  out.reserve(x.size() + 1);
  bool beyond_a = false;
  size_t i = 0;
  for (auto first = sorted_b.begin(); first != sorted_b.end();) {
    const uint64_t block = IdSet::BlockOf(*first);
    auto last = std::find_if(
        first, sorted_b.end(),
        [block](const CommandId& id) { return IdSet::BlockOf(id) != block; });
    while (i < x.size() && x[i]->block < block) out.push_back(x[i++]);
    if (i < x.size() && x[i]->block == block) {
      if (ChunkPtr merged = MergeInto(*x[i], first, last)) {
        beyond_a = true;
        out.push_back(std::move(merged));
      } else {
        out.push_back(x[i]);
      }
      ++i;
    } else {
      beyond_a = true;
      out.push_back(ChunkOf(first, last));
    }
    first = last;
  }
  if (!beyond_a) return a;
  while (i < x.size()) out.push_back(x[i++]);
  return IdSet::Make(std::move(out));
}

IdSet Without(const IdSet& a, const CommandId& id) {
  return WithoutSorted(a, absl::MakeConstSpan(&id, 1));
}

IdSet WithoutSorted(const IdSet& a, absl::Span<const CommandId> sorted_b) {
  const absl::Span<const ChunkPtr> x = a.chunks();
  IdSet::Chunks out;  // built once some chunk changes
  size_t copied = 0;  // x[0, copied) are accounted for in `out`
  bool changed = false;
  auto chunk = x.begin();
  for (auto first = sorted_b.begin(); first != sorted_b.end();) {
    const uint64_t block = IdSet::BlockOf(*first);
    auto last = std::find_if(
        first, sorted_b.end(),
        [block](const CommandId& id) { return IdSet::BlockOf(id) != block; });
    chunk = std::lower_bound(
        chunk, x.end(), block,
        [](const ChunkPtr& c, uint64_t b) { return c->block < b; });
    if (chunk == x.end()) break;
    const Chunk& old = **chunk;
    const bool hit =
        old.block == block &&
        std::any_of(first, last, [&old](const CommandId& id) {
          return std::binary_search(old.ids.begin(), old.ids.end(), id);
        });
    if (hit) {
      const size_t at = static_cast<size_t>(chunk - x.begin());
      out.insert(out.end(), x.begin() + copied, x.begin() + at);
      copied = at + 1;
      changed = true;
      std::vector<CommandId> kept;
      std::set_difference(old.ids.begin(), old.ids.end(), first, last,
                          std::back_inserter(kept));
      if (!kept.empty()) out.push_back(ChunkOf(kept.begin(), kept.end()));
    }
    first = last;
  }
  if (!changed) return a;
  out.insert(out.end(), x.begin() + copied, x.end());
  return IdSet::Make(std::move(out));
}

}  // namespace epsim::protocol
