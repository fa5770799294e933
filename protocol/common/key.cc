#include "protocol/common/key.h"

#include <deque>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "protocol/common/hash.h"

namespace epsim::protocol {

// One table for the process: keys cross threads (a fuzz campaign's workers
// hand results back), so a per-thread table would leave them dangling when
// its thread ends. Records are never freed; the workloads name keys after
// (client, request), so a campaign's runs share them.
class KeyInterner {
 public:
  static KeyInterner& Get() {
    static KeyInterner* const interner = new KeyInterner();  // never freed
    return *interner;
  }

  const Key::Rep* Intern(std::string_view text) {
    std::lock_guard<std::mutex> lock(mu_);
    auto found = by_text_.find(text);
    if (found != by_text_.end()) return found->second;
    reps_.push_back(Key::Rep{std::string(text), Fnv1a(text),
                             static_cast<uint32_t>(reps_.size())});
    const Key::Rep* rep = &reps_.back();
    // The map's key views the record's own text, which never moves.
    by_text_.emplace(std::string_view(rep->text), rep);
    return rep;
  }

  const Key::Rep* empty() const { return empty_; }

  size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return reps_.size();
  }

 private:
  KeyInterner() { empty_ = Intern(""); }

  std::mutex mu_;
  std::deque<Key::Rep> reps_;  // stays in place
  // Looked up only, never iterated.
  absl::flat_hash_map<std::string_view, const Key::Rep*> by_text_;
  const Key::Rep* empty_ = nullptr;
};

Key::Key() : rep_(KeyInterner::Get().empty()) {}

Key::Key(std::string_view text) : rep_(KeyInterner::Get().Intern(text)) {}

size_t Key::InternedCount() { return KeyInterner::Get().size(); }

}  // namespace epsim::protocol
