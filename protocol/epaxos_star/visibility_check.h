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

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
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
    std::vector<CommandId> deps;  // sorted
    std::string command;          // for the report
  };
  // key -> committed commands on it, by id.
  absl::flat_hash_map<std::string, absl::btree_map<CommandId, Committed>>
      by_key_;
};

}  // namespace epsim::protocol::epaxos_star

#endif  // EPSIM_PROTOCOL_EPAXOS_STAR_VISIBILITY_CHECK_H_
