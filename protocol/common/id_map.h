// IdMap<T>: per-command state keyed by CommandId, stored densely.
//
// Ids are dense (IsDenseId, types.h), so the state of id {origin, counter}
// lives in a table per origin indexed by counter: a look-up is two indexed
// loads, not a hash probe, neighbouring commands sit together in memory, and no
// per-entry allocation is made. Ids outside the dense range (huge origins or
// counters, as tests and the explorer may build) go to an ordered map.
// (DependencyExecutor indexes its nodes the same way with flat vectors: its
// hottest loop wants a packed flag per id, not an entry.)
//
// Entries are never removed. References stay valid while other ids are
// added (entries live in fixed chunks that never move), so a handler may
// hold one entry while creating another. Iteration is by origin, then counter,
// then the ordered spill-over: deterministic, whatever the insertion order.
#ifndef EPSIM_PROTOCOL_COMMON_ID_MAP_H_
#define EPSIM_PROTOCOL_COMMON_ID_MAP_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "protocol/common/types.h"

namespace epsim::protocol {

template <typename T>
class IdMap {
 public:
  // The entry of `id`, default-constructed if new.
  T& operator[](const CommandId& id) {
    if (!IsDenseId(id)) return spill_[id];
    if (id.origin >= rows_.size()) rows_.resize(id.origin + 1);
    Row& row = rows_[id.origin];
    const size_t chunk = id.counter >> kChunkBits;
    if (chunk >= row.size()) row.resize(chunk + 1);
    if (row[chunk] == nullptr) row[chunk] = std::make_unique<Chunk>();
    std::optional<T>& slot = (*row[chunk])[id.counter & kChunkMask];
    if (!slot.has_value()) {
      slot.emplace();
      ++size_;
    }
    return *slot;
  }

  // The entry of `id`, or null.
  T* Find(const CommandId& id) {
    return const_cast<T*>(static_cast<const IdMap&>(*this).Find(id));
  }
  const T* Find(const CommandId& id) const {
    if (!IsDenseId(id)) {
      auto it = spill_.find(id);
      return it == spill_.end() ? nullptr : &it->second;
    }
    if (id.origin >= rows_.size()) return nullptr;
    const Row& row = rows_[id.origin];
    const size_t chunk = id.counter >> kChunkBits;
    if (chunk >= row.size() || row[chunk] == nullptr) return nullptr;
    const std::optional<T>& slot = (*row[chunk])[id.counter & kChunkMask];
    return slot.has_value() ? &*slot : nullptr;
  }

  size_t size() const { return size_ + spill_.size(); }

  // Calls fn(id, entry) for every entry, in the order above.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (size_t origin = 0; origin < rows_.size(); ++origin) {
      const Row& row = rows_[origin];
      for (size_t chunk = 0; chunk < row.size(); ++chunk) {
        if (row[chunk] == nullptr) continue;
        for (size_t i = 0; i < kChunkSize; ++i) {
          const std::optional<T>& slot = (*row[chunk])[i];
          if (slot.has_value()) {
            fn(CommandId{static_cast<uint32_t>(origin),
                         (chunk << kChunkBits) | i},
               *slot);
          }
        }
      }
    }
    for (const auto& [id, entry] : spill_) fn(id, entry);
  }

  // Deep copies (a replica's Clone copies its tables).
  IdMap() = default;
  IdMap(const IdMap& other) { *this = other; }
  IdMap& operator=(const IdMap& other) {
    if (this == &other) return *this;
    rows_.clear();
    rows_.resize(other.rows_.size());
    for (size_t origin = 0; origin < rows_.size(); ++origin) {
      const Row& from = other.rows_[origin];
      rows_[origin].resize(from.size());
      for (size_t chunk = 0; chunk < from.size(); ++chunk) {
        if (from[chunk] != nullptr) {
          rows_[origin][chunk] = std::make_unique<Chunk>(*from[chunk]);
        }
      }
    }
    size_ = other.size_;
    spill_ = other.spill_;
    return *this;
  }
  IdMap(IdMap&&) noexcept = default;
  IdMap& operator=(IdMap&&) noexcept = default;

 private:
  // A row holds one origin's counters in fixed-size chunks, allocated on
  // first use and never moved: an index is a shift and a mask (no deque
  // arithmetic), neighbouring counters share a chunk, and one allocation
  // serves kChunkSize commands.
  static constexpr size_t kChunkBits = 6;
  static constexpr size_t kChunkSize = size_t{1} << kChunkBits;
  static constexpr uint64_t kChunkMask = kChunkSize - 1;
  using Chunk = std::array<std::optional<T>, kChunkSize>;
  using Row = std::vector<std::unique_ptr<Chunk>>;
  std::vector<Row> rows_;
  size_t size_ = 0;  // dense entries
  std::map<CommandId, T> spill_;
};

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_ID_MAP_H_
