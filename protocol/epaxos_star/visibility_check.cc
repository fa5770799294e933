#include "protocol/epaxos_star/visibility_check.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace epsim::protocol::epaxos_star {

std::optional<std::string> VisibilityCheck::OnFirstCommit(
    const CommitRecord& record) {
  if (record.command.nop) return std::nullopt;
  const bool write = record.command.IsWrite();
  KeyCommits& same_key = by_key_[record.command.key];
  std::optional<std::string> violation;
  // Walk the key's commands and the new deps together (both sorted by id):
  // only the commands missing from the new deps need a look at their own.
  auto dep = record.deps.begin();
  const auto deps_end = record.deps.end();
  for (size_t i = 0; i < same_key.ids.size(); ++i) {
    const CommandId& other = same_key.ids[i];
    while (dep != deps_end && *dep < other) ++dep;
    if (dep != deps_end && *dep == other) continue;
    const Committed& c = same_key.commits[i];
    if (!write && !c.write) continue;  // two reads commute
    if (c.deps.Contains(record.id)) continue;
    violation = absl::StrCat(
        "Visibility: conflicting commands ", other.ToString(), " (",
        c.command.ToString(), ") and ", record.id.ToString(), " (",
        record.command.ToString(),
        ") are both committed and neither is in the other's dependencies");
    break;
  }
  // Ids are created with growing counters: the new one lands near the end.
  const auto at =
      std::lower_bound(same_key.ids.begin(), same_key.ids.end(), record.id);
  const auto index = at - same_key.ids.begin();
  if (at != same_key.ids.end() && *at == record.id) {
    same_key.commits[index] = Committed{write, record.deps, record.command};
  } else {
    same_key.ids.insert(at, record.id);
    same_key.commits.insert(same_key.commits.begin() + index,
                            Committed{write, record.deps, record.command});
  }
  return violation;
}

}  // namespace epsim::protocol::epaxos_star
