// Messages of EPaxos* (docs/protocols.md I.5) and the value types they carry.
//
// One message class with a kind: every message is a subset of the same
// fields, so describing and fingerprinting them is written once. Payloads
// and dependency sets are immutable and shared (a broadcast, a buffered
// copy and the replica state all point at one vector), which keeps the
// dependency sets exact (pitfall 9) without copying them per message.
#ifndef EPSIM_PROTOCOL_EPAXOS_STAR_MESSAGES_H_
#define EPSIM_PROTOCOL_EPAXOS_STAR_MESSAGES_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/common/command.h"
#include "protocol/common/hash.h"
#include "protocol/common/id_set.h"
#include "protocol/common/message.h"
#include "protocol/common/types.h"

namespace epsim::protocol::epaxos_star {

// phase[id] (I.4), ordered.
enum class Phase : uint8_t { kInitial, kPreAccepted, kAccepted, kCommitted };
std::string_view PhaseName(Phase phase);

// A payload: null is ⊥ ("unknown"); a Command with nop set is Nop.
using Payload = std::shared_ptr<const Command>;
bool SamePayload(const Payload& a, const Payload& b);
inline bool IsNop(const Payload& p) { return p != nullptr && p->nop; }
const Payload& NopPayload();
std::string PayloadString(const Payload& p);

// Dependency sets: immutable, shared between copies, digest computed once
// (protocol/common/id_set.h).
using DepSet = IdSet;

// The shared StableHasher (protocol/common/hash.h) plus this protocol's
// value types: message fingerprints and replica state hashes.
class Hasher {
 public:
  template <typename T>
  Hasher& Add(const T& v) {
    base_.Add(v);
    return *this;
  }
  Hasher& Add(bool v) { return Add(uint64_t{v}); }
  Hasher& Add(const Payload& p);
  Hasher& Add(const DepSet& d) { return Add(d.digest()); }
  uint64_t value() const { return base_.value(); }

 private:
  StableHasher base_;
};

enum class MsgKind : uint8_t {
  kPreAccept,
  kPreAcceptOK,
  kAccept,
  kAcceptOK,
  kCommit,
  kRecover,
  kRecoverOK,
  kValidate,
  kValidateOK,
  kWaiting,
  kBallotHint,  // outside the paper: "ignored, my ballot is ..."
};

// How a commit was decided (CommitRecord::path).
enum class CommitPath : uint8_t { kFast, kSlow, kRecovery };
std::string_view CommitPathName(CommitPath path);

// One element of I_q (R4): a conflicting command and its phase at q.
struct Invalidating {
  CommandId id;
  Phase phase = Phase::kInitial;
  friend bool operator==(const Invalidating&, const Invalidating&) = default;
  friend auto operator<=>(const Invalidating&, const Invalidating&) = default;
};

class StarMessage final : public Message {
 public:
  MsgKind kind = MsgKind::kPreAccept;
  CommandId id;
  Ballot ballot = 0;  // b; BallotHint: the replier's bal
  Payload cmd;        // c, c_q
  DepSet deps;        // D, D_q, dep_q
  // RecoverOK only.
  DepSet init_deps;
  Ballot abal = 0;
  Phase phase = Phase::kInitial;
  // ValidateOK only: I_q, sorted.
  std::vector<Invalidating> invalidating;
  // Waiting only: k = |R_max|.
  int64_t k = 0;
  // Commit only (metadata for statistics; no rule reads it).
  CommitPath path = CommitPath::kSlow;

  std::string_view Type() const override;
  std::optional<CommandId> Command() const override { return id; }
  std::optional<Ballot> MessageBallot() const override;
  std::string Describe() const override;
  uint64_t ComputeFingerprint() const override;
};

}  // namespace epsim::protocol::epaxos_star

#endif  // EPSIM_PROTOCOL_EPAXOS_STAR_MESSAGES_H_
