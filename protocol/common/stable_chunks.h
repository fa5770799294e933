// StableChunks<E>: a growable array of E stored in fixed chunks of 64 that
// never move, so a reference to an element stays valid while others are
// added. A chunk is allocated (its elements value-initialized) the first time
// an index in it is asked for; an index is a shift and a mask. Copies are
// deep (a replica's Clone copies its tables).
//
// The storage under IdMap (one per origin, indexed by counter) and KeyMap
// (indexed by the order keys were added).
#ifndef EPSIM_PROTOCOL_COMMON_STABLE_CHUNKS_H_
#define EPSIM_PROTOCOL_COMMON_STABLE_CHUNKS_H_

#include <array>
#include <cstddef>
#include <memory>
#include <vector>

namespace epsim::protocol {

template <typename E>
class StableChunks {
 public:
  static constexpr size_t kChunkBits = 6;
  static constexpr size_t kChunkSize = size_t{1} << kChunkBits;

  // The element at `i`, its chunk allocated if new.
  E& Get(size_t i) {
    const size_t chunk = i >> kChunkBits;
    if (chunk >= chunks_.size()) chunks_.resize(chunk + 1);
    if (chunks_[chunk] == nullptr) chunks_[chunk] = std::make_unique<Chunk>();
    return (*chunks_[chunk])[i & kMask];
  }

  // The element at `i`, or null if its chunk was never allocated.
  E* Find(size_t i) {
    return const_cast<E*>(static_cast<const StableChunks&>(*this).Find(i));
  }
  const E* Find(size_t i) const {
    const size_t chunk = i >> kChunkBits;
    if (chunk >= chunks_.size() || chunks_[chunk] == nullptr) return nullptr;
    return &(*chunks_[chunk])[i & kMask];
  }

  // Calls fn(i, element) for every element of every allocated chunk, by
  // increasing i.
  template <typename Fn>
  void ForEachAllocated(Fn&& fn) const {
    for (size_t chunk = 0; chunk < chunks_.size(); ++chunk) {
      if (chunks_[chunk] == nullptr) continue;
      for (size_t k = 0; k < kChunkSize; ++k) {
        fn((chunk << kChunkBits) | k, (*chunks_[chunk])[k]);
      }
    }
  }

  StableChunks() = default;
  StableChunks(const StableChunks& other) { *this = other; }
  StableChunks& operator=(const StableChunks& other) {
    if (this == &other) return *this;
    chunks_.clear();
    chunks_.resize(other.chunks_.size());
    for (size_t chunk = 0; chunk < chunks_.size(); ++chunk) {
      if (other.chunks_[chunk] != nullptr) {
        chunks_[chunk] = std::make_unique<Chunk>(*other.chunks_[chunk]);
      }
    }
    return *this;
  }
  StableChunks(StableChunks&&) noexcept = default;
  StableChunks& operator=(StableChunks&&) noexcept = default;

 private:
  static constexpr size_t kMask = kChunkSize - 1;
  using Chunk = std::array<E, kChunkSize>;
  std::vector<std::unique_ptr<Chunk>> chunks_;  // null: not allocated yet
};

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_STABLE_CHUNKS_H_
