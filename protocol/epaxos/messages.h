// Messages of the original EPaxos (docs/protocols.md II.4), as one value type
// with a kind: every message of the protocol is a subset of the same fields,
// so describing and fingerprinting them is written once.
//
// Unlike the Go code, Accept and Commit carry the command (II.4 [CHOICE]);
// quirk go-accept-no-payload leaves it out again (Go's Accept/CommitShort).
#ifndef EPSIM_PROTOCOL_EPAXOS_MESSAGES_H_
#define EPSIM_PROTOCOL_EPAXOS_MESSAGES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/common/command.h"
#include "protocol/common/hash.h"
#include "protocol/common/id_set.h"
#include "protocol/common/message.h"
#include "protocol/common/types.h"

namespace epsim::protocol::epaxos {

// Status of an instance at one replica, ordered (II.2).
enum class Status : uint8_t {
  kNone,  // not seen (or only a Prepare placeholder)
  kPreAccepted,
  kAccepted,
  kCommitted,
  kExecuted,
};
std::string_view StatusName(Status status);

enum class MsgKind : uint8_t {
  kPreAccept,
  kPreAcceptReply,
  kAccept,
  kAcceptReply,
  kCommit,
  kPrepare,
  kPrepareReply,
  kTryPreAccept,
  kTryPreAcceptReply,
};

// "k.R" for a recovery ballot, "0" for the owner's initial ballot. Ballots
// are (k << 8) | R, compared as integers (the paper's k.R, epoch fixed 0).
std::string BallotString(Ballot b);
constexpr Ballot MakeBallot(uint64_t k, NodeId r) {
  return (k << 8) | static_cast<uint64_t>(r);
}
constexpr uint64_t BallotRound(Ballot b) { return b >> 8; }

class EpaxosMessage final : public Message {
 public:
  MsgKind kind = MsgKind::kPreAccept;
  CommandId id;       // the instance (owner.instance)
  NodeId sender = 0;  // LeaderId for requests, AcceptorId for replies
  // Requests: the attempt's ballot. Replies: the request's ballot, echoed so
  // the leader can match replies to its current attempt.
  Ballot ballot = 0;
  bool ok = true;
  // NACK: the replier's promise. PrepareReply: the ballot the replier
  // reports for its vote (which one depends on ballots=single/split).
  Ballot other_ballot = 0;
  std::optional<protocol::Command> cmd;  // absent: no payload (Go nil)
  int64_t seq = 0;
  IdSet deps;
  // PrepareReply: the replier's status. TryPreAcceptReply: the conflict's.
  Status status = Status::kNone;
  bool unchanged = false;  // PREACCEPTED_EQ: leader's attributes kept
  IdSet committed_deps;    // PreAcceptReply: known committed
  std::optional<CommandId> conflict;  // TryPreAcceptReply NACK
  std::string path;                   // Commit: fast, slow, recovery

  std::string_view Type() const override;
  std::optional<CommandId> Command() const override { return id; }
  std::optional<Ballot> MessageBallot() const override { return ballot; }
  std::string Describe() const override;
  uint64_t ComputeFingerprint() const override;
};

// Message fingerprints and replica state hashes (protocol/common/hash.h).
using StableHasher = ::epsim::protocol::StableHasher;

std::string PayloadString(const std::optional<protocol::Command>& cmd);

}  // namespace epsim::protocol::epaxos

#endif  // EPSIM_PROTOCOL_EPAXOS_MESSAGES_H_
