#include "protocol/common/hash.h"

namespace epsim::protocol {

StableHasher& StableHasher::Add(const Command& c) {
  if (c.nop) return Add(uint64_t{0x40b});
  Add(uint64_t{1}).Add(static_cast<uint64_t>(c.request.client));
  Add(static_cast<uint64_t>(c.request.number));
  Add(static_cast<uint64_t>(c.op)).AddKey(c.key).Add(c.value);
  if (c.expected) return Add(uint64_t{1}).Add(*c.expected);
  return Add(uint64_t{0});
}

StableHasher& StableHasher::Add(const std::optional<Command>& c) {
  if (!c) return Add(uint64_t{0xb07});
  return Add(*c);
}

template <typename Ids>
StableHasher& StableHasher::AddIds(const Ids& ids) {
  // One mix per id (exact dependency sets are long): (counter, origin) as
  // one word, distinct for distinct ids below 2^64 / golden ratio steps.
  Add(uint64_t{ids.size()});
  for (const CommandId& id : ids) {
    h_ = SplitMix64(h_ ^ (id.counter * 0x9e3779b97f4a7c15ULL + id.origin));
  }
  return *this;
}

StableHasher& StableHasher::Add(const std::vector<CommandId>& ids) {
  return AddIds(ids);
}

StableHasher& StableHasher::Add(const IdSet& ids) { return AddIds(ids); }

uint64_t SetDigest(const std::vector<CommandId>& sorted_ids) {
  uint64_t sum = 0;
  for (const CommandId& id : sorted_ids) sum += SetDigestTerm(id);
  return SetDigestOf(sum, sorted_ids.size());
}

}  // namespace epsim::protocol
