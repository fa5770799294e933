#include "protocol/epaxos_star/visibility_check.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace epsim::protocol::epaxos_star {

std::optional<std::string> VisibilityCheck::OnFirstCommit(
    const CommitRecord& record) {
  if (record.command.nop) return std::nullopt;
  const bool write = record.command.IsWrite();
  auto& same_key = by_key_[record.command.key];
  std::optional<std::string> violation;
  // Walk the key's commands and the new deps together (both sorted by id):
  // only the commands missing from the new deps need a look at their own.
  auto dep = record.deps.begin();
  for (const auto& [other, c] : same_key) {
    while (dep != record.deps.end() && *dep < other) ++dep;
    if (dep != record.deps.end() && *dep == other) continue;
    if (!write && !c.write) continue;  // two reads commute
    if (std::binary_search(c.deps.begin(), c.deps.end(), record.id)) continue;
    violation = absl::StrCat(
        "Visibility: conflicting commands ", other.ToString(), " (", c.command,
        ") and ", record.id.ToString(), " (", record.command.ToString(),
        ") are both committed and neither is in the other's dependencies");
    break;
  }
  same_key.insert_or_assign(
      record.id, Committed{write, record.deps, record.command.ToString()});
  return violation;
}

}  // namespace epsim::protocol::epaxos_star
