// A stable 64-bit digest: the same value on every platform, compiler and
// run (unlike absl::Hash, which is seeded per process). For message
// fingerprints, replica state hashes and the executor's decision digests,
// which feed trace hashes and the explorer's visited set.
#ifndef EPSIM_PROTOCOL_COMMON_HASH_H_
#define EPSIM_PROTOCOL_COMMON_HASH_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "protocol/common/command.h"
#include "protocol/common/id_set.h"
#include "protocol/common/types.h"

namespace epsim::protocol {

// The SplitMix64 finalizer: a bijection that spreads every input bit.
inline uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// FNV-1a of the bytes: a string's stable hash (StableHasher::Add, the
// store's digest, a Key's text_hash()).
inline uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// Order-sensitive: Add(a).Add(b) differs from Add(b).Add(a). For an
// order-independent digest of a hash map, sum per-entry values.
class StableHasher {
 public:
  static constexpr uint64_t kDefaultSeed = 0x243f6a8885a308d3ULL;
  explicit StableHasher(uint64_t seed = kDefaultSeed) : h_(seed) {}

  StableHasher& Add(uint64_t v) {
    h_ = SplitMix64(h_ ^ SplitMix64(v));
    return *this;
  }
  // FNV-1a of the bytes, then the length.
  StableHasher& Add(std::string_view s) {
    return Add(Fnv1a(s)).Add(uint64_t{s.size()});
  }
  // As Add(key.str()), with the text's hash computed once at interning.
  StableHasher& AddKey(const Key& key) {
    return Add(key.text_hash()).Add(uint64_t{key.str().size()});
  }
  StableHasher& Add(const CommandId& id) {
    return Add(uint64_t{id.origin}).Add(id.counter);
  }
  StableHasher& Add(const Command& c);
  StableHasher& Add(const std::optional<Command>& c);
  // Size, then the ids in order (cheaper than Add(id) per id).
  StableHasher& Add(const std::vector<CommandId>& ids);
  // The same value as Add(ids.ToVector()), without the copy.
  StableHasher& Add(const IdSet& ids);

  uint64_t value() const { return h_; }

 private:
  template <typename Ids>
  StableHasher& AddIds(const Ids& ids);

  uint64_t h_;
};

// Digest of a set of ids given as a sorted vector without duplicates: the
// size plus a sum of independently mixed ids. No dependency chain between
// elements, so long exact dependency sets hash at memory speed; equal sets
// give equal digests (for agreement and re-commit checks, not for state
// hashes, which keep StableHasher's order-sensitive chain).
uint64_t SetDigest(const std::vector<CommandId>& sorted_ids);
// SetDigest's parts, for sets built incrementally: the digest of a set is
// SetDigestOf(Σ SetDigestTerm(id), size).
inline uint64_t SetDigestTerm(const CommandId& id) {
  return SplitMix64(id.counter * 0x9e3779b97f4a7c15ULL + id.origin);
}
inline uint64_t SetDigestOf(uint64_t sum_of_terms, size_t size) {
  return SplitMix64(sum_of_terms ^ SplitMix64(uint64_t{size}));
}

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_HASH_H_
