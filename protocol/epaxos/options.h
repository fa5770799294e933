// Configuration of the original EPaxos plug-in ("epaxos:key=value,...").
//
// Two published protocol variants (docs/protocols.md II.1, II.6, II.10):
//   recovery=simple     fast quorum 2F, simplified explicit prepare (II.6a);
//   recovery=optimized  fast quorum F + floor((F+1)/2), "all dependencies
//                       committed" fast-path rule, TryPreAccept (II.6b).
// The fast quorum always follows the recovery option: the unsafe mix
// (optimized quorum, simple recovery) cannot be expressed.
//
// ballots=single keeps one ballot per instance as published (Sutra's flaw,
// docs/bug-corpus.md 3.1); ballots=split keeps the promise and the vote apart.
//
// quirks=... switch on behaviours of the reference Go code and its
// derivatives, each named after its docs/bug-corpus.md entry; all off by
// default.
#ifndef EPSIM_PROTOCOL_EPAXOS_OPTIONS_H_
#define EPSIM_PROTOCOL_EPAXOS_OPTIONS_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "protocol/common/protocol.h"
#include "protocol/common/types.h"

namespace epsim::protocol::epaxos {

// Each quirk reproduces the behaviour of one docs/bug-corpus.md entry.
enum class Quirk : uint8_t {
  kExecSeqTie,                // 4.1: equal seq in an SCC ordered by DFS root
  kGoPrepareMiscount,         // 4.2: recovery counts replies vs its local copy
  kGoAcceptNoPayload,         // 4.3: Accept and Commit carry no command
  kGoNoopKeepsStaleCmd,       // 4.4: Go no-op recovery; Accept/Commit keep cmd
  kGoCommitshortRepropose,    // 4.5: leader re-proposes on any learned commit
  kGoExecBusywait,            // 4.6: executor blocks; recovery lives inside it
  kGoExecNilCmds,             // 4.7: executor stalls on a nil/no-op payload
  kGoPhase1WrongRow,          // 4.9: recovery Phase 1 in the recoverer's row
  kGoAcceptWrongRow,          // 4.10: Accept filed under the sender's row
  kGoTpaWrongMessage,         // 4.11: TryPreAccept sends the last PreAccept
  kGoLeaderReplyEarlyReturn,  // 4.14: owner's PrepareReply skips quorum test
  kGoCommitOverExecuted,      // 4.15: Commit resets EXECUTED to COMMITTED
  kGoPrepareReplyBallot,      // 3.2: PrepareReply carries the new ballot
  kSwiftLocalVbalWins,        // 5.1: recoverer stamps its reply with new ballot
  kSpecTpaPlaceholderStall,   // 3.4: a not-seen placeholder is a TPA conflict
  kProtoRecoveryDeadlock,     // 3.3: deferral waits for the conflict's commit
  kCount,
};

constexpr int kQuirkCount = static_cast<int>(Quirk::kCount);
std::string_view QuirkName(Quirk quirk);

struct EpaxosOptions {
  enum class Recovery : uint8_t { kSimple, kOptimized };
  enum class Ballots : uint8_t { kSingle, kSplit };

  int n = 3;
  int f = 1;
  Recovery recovery = Recovery::kOptimized;
  Ballots ballots = Ballots::kSingle;
  // Thrifty: PreAccept to the fast quorum's other members, Accept and
  // Prepare to F peers, taken in order from thrifty_peers[leader]. The env
  // gives no latencies, so the order is an option (default: next ids).
  bool thrifty = false;
  std::vector<std::vector<NodeId>> thrifty_peers;  // [leader] -> peers
  // Replicas whose commit timers start explicit prepares; empty: every
  // replica. Scripted "timeout(P, I)" steps work everywhere. Lets one
  // replica own recovery (docs/bug-corpus.md 3.4: LIVE-RECOVERY as
  // LIVE-COMMIT).
  std::vector<NodeId> recoverers;
  bool durable = true;  // false: a restart forgets everything (ctl-amnesia)
  Duration recovery_timeout = 0;  // commit timeout before explicit prepare
  Duration backoff = 0;           // randomized extra delay, [0, backoff]
  std::array<bool, kQuirkCount> quirks{};

  bool Has(Quirk q) const { return quirks[static_cast<int>(q)]; }
  bool AnyQuirk() const;
  bool Split() const { return ballots == Ballots::kSplit; }
  bool Optimized() const { return recovery == Recovery::kOptimized; }
  bool Recovers(NodeId replica) const;
  // Leader included.
  int FastQuorum() const { return Optimized() ? f + (f + 1) / 2 : 2 * f; }
  int SlowQuorum() const { return f + 1; }

  // Canonical spec text: "epaxos:ballots=single,recovery=optimized,...".
  std::string ToString() const;
};

// Validates `spec` against `context`; errors are InvalidArgument naming the
// option and the expected values.
absl::StatusOr<EpaxosOptions> ParseEpaxosOptions(
    const ProtocolSpec& spec, const ProtocolContext& context);

}  // namespace epsim::protocol::epaxos

#endif  // EPSIM_PROTOCOL_EPAXOS_OPTIONS_H_
