// Key: a key of the replicated store, interned.
//
// Every Key with the same text points at one record that lives as long as
// the process, so a key copies as a pointer, compares equal by address and
// carries a dense number (index()) that per-key tables use instead of
// hashing and comparing text (KeyMap below). Commands are built once and
// then read by every replica, checker and table on the way, so interning at
// construction pays for itself many times over.
//
// Determinism: index() depends on the order keys were first interned in this
// process (a fuzz campaign interns across runs), so it may index tables but
// must never order anything. Keys order by text.
//
//   Key k("x");             // or from a std::string; "" by default
//   k == Key("x");          // true, by address
//   k.str();                // "x"
//   KeyMap<int> counts;     // counts[k] += 1;
#ifndef EPSIM_PROTOCOL_COMMON_KEY_H_
#define EPSIM_PROTOCOL_COMMON_KEY_H_

#include <compare>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/common/stable_chunks.h"

namespace epsim::protocol {

class Key {
 public:
  Key();  // the empty key
  // Implicit: a key is its text.
  Key(std::string_view text);  // NOLINT(google-explicit-constructor)
  Key(const std::string& text) : Key(std::string_view(text)) {}  // NOLINT
  Key(const char* text) : Key(std::string_view(text)) {}         // NOLINT

  const std::string& str() const { return rep_->text; }
  bool empty() const { return rep_->text.empty(); }
  // Dense, from 0, in the order keys were first interned in this process.
  uint32_t index() const { return rep_->index; }
  // Fnv1a(str()) (hash.h), computed once.
  uint64_t text_hash() const { return rep_->text_hash; }

  friend bool operator==(const Key& a, const Key& b) {
    return a.rep_ == b.rep_;
  }
  friend std::strong_ordering operator<=>(const Key& a, const Key& b) {
    return a.str() <=> b.str();
  }
  template <typename H>
  friend H AbslHashValue(H h, const Key& key) {
    return H::combine(std::move(h), key.rep_);
  }
  friend std::ostream& operator<<(std::ostream& out, const Key& key) {
    return out << key.str();
  }

  // The number of distinct keys interned so far (tests).
  static size_t InternedCount();

 private:
  struct Rep {
    std::string text;
    uint64_t text_hash;
    uint32_t index;
  };
  friend class KeyInterner;
  explicit Key(const Rep* rep) : rep_(rep) {}
  const Rep* rep_;
};

// Per-key values in a table indexed by Key::index(): a look-up is two loads,
// no hashing of text, and keys added one after another sit together in
// memory. Values stay in place as keys are added (they live in StableChunks,
// which never move), so a caller may hold one entry while creating another.
// Entries are never removed.
template <typename T>
class KeyMap {
 public:
  // The entry of `key`, default-constructed if new.
  T& operator[](const Key& key) {
    const uint32_t index = key.index();
    if (index >= slots_.size()) slots_.resize(index + 1, 0);
    uint32_t& slot = slots_[index];
    if (slot == 0) {
      keys_.push_back(key);
      slot = static_cast<uint32_t>(keys_.size());
    }
    return values_.Get(slot - 1);
  }

  // The entry of `key`, or null.
  T* Find(const Key& key) {
    return const_cast<T*>(static_cast<const KeyMap&>(*this).Find(key));
  }
  const T* Find(const Key& key) const {
    const uint32_t index = key.index();
    if (index >= slots_.size() || slots_[index] == 0) return nullptr;
    return values_.Find(slots_[index] - 1);
  }

  size_t size() const { return keys_.size(); }
  bool empty() const { return keys_.empty(); }

  // Calls fn(key, value) for every entry in the order the keys were added
  // (deterministic: the run adds them in its own order).
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (size_t i = 0; i < keys_.size(); ++i) fn(keys_[i], *values_.Find(i));
  }

  // Equal as maps: the same keys with equal values, whatever the order they
  // were added in.
  friend bool operator==(const KeyMap& a, const KeyMap& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.keys_.size(); ++i) {
      const T* other = b.Find(a.keys_[i]);
      if (other == nullptr || !(*other == *a.values_.Find(i))) return false;
    }
    return true;
  }

 private:
  std::vector<uint32_t> slots_;  // by Key::index(): 0 absent, else 1 + slot
  std::vector<Key> keys_;        // by slot
  StableChunks<T> values_;       // by slot (copies are deep)
};

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_KEY_H_
