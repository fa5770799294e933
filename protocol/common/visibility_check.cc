#include "protocol/common/visibility_check.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace epsim::protocol {

std::optional<std::string> VisibilityCheck::OnFirstCommit(
    const CommitRecord& record) {
  if (record.command.nop) return std::nullopt;
  const bool write = record.command.IsWrite();
  IdSet& same_key = by_key_[record.command.key];
  std::optional<std::string> violation;
  // Walk the key's blocks and the new deps' blocks together (both by
  // block): a block both hold as one object needs no look, and in any
  // other only the key's commands missing from the deps need a look at
  // their own.
  const absl::Span<const IdSet::ChunkPtr> deps = record.deps.chunks();
  size_t d = 0;
  for (const IdSet::ChunkPtr& chunk : same_key.chunks()) {
    while (d < deps.size() && deps[d]->block < chunk->block) ++d;
    const IdSet::Chunk* dep_chunk =
        d < deps.size() && deps[d]->block == chunk->block ? deps[d].get()
                                                          : nullptr;
    if (dep_chunk == chunk.get()) continue;
    for (const CommandId& other : chunk->ids) {
      if (dep_chunk != nullptr &&
          std::binary_search(dep_chunk->ids.begin(), dep_chunk->ids.end(),
                             other)) {
        continue;
      }
      const Committed& c = *committed_.Find(other);  // indexed, so known
      if (!write && !c.write) continue;              // two reads commute
      if (c.deps.Contains(record.id)) continue;
      violation = absl::StrCat(
          "Visibility: conflicting commands ", other.ToString(), " (",
          c.command.ToString(), ") and ", record.id.ToString(), " (",
          record.command.ToString(),
          ") are both committed and neither is in the other's dependencies");
      break;
    }
    if (violation) break;
  }
  committed_[record.id] = Committed{write, record.deps, record.command};
  same_key = UnionSorted(same_key, {record.id});
  return violation;
}

}  // namespace epsim::protocol
