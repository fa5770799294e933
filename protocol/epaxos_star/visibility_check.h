// EPaxos*'s Visibility invariant (protocols.md I.10) as a run check: of two
// committed conflicting non-Nop commands, one is in the other's
// dependencies. Commands are indexed by key, so a commit is compared only
// with the committed commands on its own key that its dependencies lack.
#ifndef EPSIM_PROTOCOL_EPAXOS_STAR_VISIBILITY_CHECK_H_
#define EPSIM_PROTOCOL_EPAXOS_STAR_VISIBILITY_CHECK_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/common/id_map.h"
#include "protocol/common/id_set.h"
#include "protocol/common/key.h"
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
  // The committed commands on each key, as a set: its blocks are the same
  // objects as the equal blocks of the commands' dependency sets (IdSet
  // interns them), so a commit looks only at the blocks where its
  // dependencies differ from the key's history.
  KeyMap<IdSet> by_key_;
  IdMap<Committed> committed_;
};

}  // namespace epsim::protocol::epaxos_star

#endif  // EPSIM_PROTOCOL_EPAXOS_STAR_VISIBILITY_CHECK_H_
