// Visibility as a run check: of two committed conflicting non-Nop commands,
// one is in the other's dependencies (EPaxos*: docs/protocols.md I.10; EPaxos:
// VIS, docs/bug-corpus.md §2, which EPaxos guarantees because its deps are
// explicit sets of every interfering instance). Commands are indexed by
// key, so a commit is compared only with the committed commands on its own
// key that its dependencies lack.
#ifndef EPSIM_PROTOCOL_COMMON_VISIBILITY_CHECK_H_
#define EPSIM_PROTOCOL_COMMON_VISIBILITY_CHECK_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/common/id_map.h"
#include "protocol/common/id_set.h"
#include "protocol/common/key.h"
#include "protocol/common/protocol.h"
#include "protocol/common/records.h"

namespace epsim::protocol {

class VisibilityCheck final : public ProtocolCheck {
 public:
  // `name`: the check's name in reports ("visibility").
  explicit VisibilityCheck(std::string name) : name_(std::move(name)) {}
  std::string_view Name() const override { return name_; }
  std::optional<std::string> OnFirstCommit(const CommitRecord& record) override;

 private:
  struct Committed {
    bool write = false;
    IdSet deps;       // shared with the commit record
    Command command;  // for the report
  };
  std::string name_;
  // The committed commands on each key, as a set: its blocks are the same
  // objects as the equal blocks of the commands' dependency sets (IdSet
  // interns them), so a commit looks only at the blocks where its
  // dependencies differ from the key's history.
  KeyMap<IdSet> by_key_;
  IdMap<Committed> committed_;
};

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_VISIBILITY_CHECK_H_
