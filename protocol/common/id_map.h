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
// added (entries live in StableChunks, which never move), so a handler may
// hold one entry while creating another. Iteration is by origin, then counter,
// then the ordered spill-over: deterministic, whatever the insertion order.
#ifndef EPSIM_PROTOCOL_COMMON_ID_MAP_H_
#define EPSIM_PROTOCOL_COMMON_ID_MAP_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "protocol/common/stable_chunks.h"
#include "protocol/common/types.h"

namespace epsim::protocol {

template <typename T>
class IdMap {
 public:
  // The entry of `id`, default-constructed if new.
  T& operator[](const CommandId& id) {
    if (!IsDenseId(id)) return spill_[id];
    if (id.origin >= rows_.size()) rows_.resize(id.origin + 1);
    std::optional<T>& slot = rows_[id.origin].Get(id.counter);
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
    const std::optional<T>* slot = rows_[id.origin].Find(id.counter);
    return slot != nullptr && slot->has_value() ? &**slot : nullptr;
  }

  size_t size() const { return size_ + spill_.size(); }

  // Calls fn(id, entry) for every entry, in the order above.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (size_t origin = 0; origin < rows_.size(); ++origin) {
      rows_[origin].ForEachAllocated(
          [&](size_t counter, const std::optional<T>& slot) {
            if (slot.has_value()) {
              fn(CommandId{static_cast<uint32_t>(origin), counter}, *slot);
            }
          });
    }
    for (const auto& [id, entry] : spill_) fn(id, entry);
  }

 private:
  // One row per origin, indexed by counter: neighbouring counters share a
  // chunk, and one allocation serves 64 commands. (Copies are deep.)
  std::vector<StableChunks<std::optional<T>>> rows_;
  size_t size_ = 0;  // dense entries
  std::map<CommandId, T> spill_;
};

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_ID_MAP_H_
