// EPaxos*'s Visibility invariant (protocols.md I.10) as a run check: of two
// committed conflicting non-Nop commands, one is in the other's
// dependencies. Commands are indexed by key, so a commit is compared only
// with the committed commands on its own key.
#ifndef EPSIM_PROTOCOL_EPAXOS_STAR_VISIBILITY_CHECK_H_
#define EPSIM_PROTOCOL_EPAXOS_STAR_VISIBILITY_CHECK_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "protocol/common/protocol.h"
#include "protocol/common/records.h"

namespace epsim::protocol::epaxos_star {

class VisibilityCheck final : public ProtocolCheck {
 public:
  std::string_view Name() const override { return "visibility"; }
  std::optional<std::string> OnFirstCommit(const CommitRecord& record) override;

 private:
  struct Committed {
    bool write = false;
    IdSet deps;       // shared with the commit record
    Command command;  // for the report
  };
  // The committed commands on one key, sorted by id. The ids sit apart from
  // the rest: every commit walks them all (its deps hold most of them).
  struct KeyCommits {
    // (Inline room for one: at low conflict most keys have one command.)
    absl::InlinedVector<CommandId, 1> ids;
    absl::InlinedVector<Committed, 1> commits;  // commits[i] is ids[i]'s
  };
  absl::flat_hash_map<std::string, KeyCommits> by_key_;
};

}  // namespace epsim::protocol::epaxos_star

#endif  // EPSIM_PROTOCOL_EPAXOS_STAR_VISIBILITY_CHECK_H_
