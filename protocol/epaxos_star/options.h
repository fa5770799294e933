// Configuration of the EPaxos* plug-in ("epaxos-star:f=2,e=2,...").
//
//   n                 replicas; taken from the scenario, may be repeated
//                     here only with the same value
//   f                 crashes tolerated (default (n-1)/2)
//   e                 crashes the fast path tolerates (default ceil((f+1)/2),
//                     the original EPaxos setting)
//   commit_timeout    T2 base, microseconds: how long a process that knows a
//                     command waits for its commit before recovering it;
//                     the k-th process after the coordinator waits k+1 times
//                     this (default 3 x the largest round trip)
//   recovery_timeout  T3 base, microseconds: how long a recovery attempt may
//                     take before a new ballot is tried; doubles per attempt
//                     (default 4 x the largest round trip)
//   fast_timeout      T1, microseconds: how long the coordinator waits for a
//                     fast quorum once it holds n-f replies (default half the
//                     largest round trip)
//   hint              true|false (default true): answer a Recover/Accept
//                     ignored for its low ballot with the current ballot, so
//                     the recoverer's next ballot jumps above it. Outside the
//                     paper (docs/protocols.md I.11 [CHOICE, optional]); it
//                     changes no receiver state, so it cannot affect safety.
//
// The choices the paper leaves open (docs/protocols.md I.12 rows 1-3, Part V
// items 2-3; docs/open-questions.md has what exploring each one found):
//
//   accept_guard      which Accept(b) a COMMITTED process takes [P L27]:
//                     abal (default): the TLA+ guard abal = b => phase !=
//                       COMMITTED, answered without leaving COMMITTED (C4's
//                       no-downgrade rule: bal <- b, AcceptOK, value kept);
//                     abal-downgrade: the TLA+ guard as the spec applies
//                       it: the process becomes ACCEPTED at b again until
//                       Commit(b) arrives;
//                     bal: the paper's guard bal = b => phase != COMMITTED
//                       (so b > bal), no downgrade;
//                     bal-downgrade: the paper's guard applied literally
//                       (lines 28-33 run, COMMITTED becomes ACCEPTED).
//                     A downgraded command stays committed for execution
//                     (the executor never takes a commit back); its phase,
//                     abal and value are what RecoverOK and Validate see.
//   waiting_to_self   true|false (default true): whether a recoverer's
//                     Waiting(id, k) [P L68] reaches its own waitingSeen
//                     (paper "to all"; the TLA+ spec sends it to the others
//                     only).
//   validate_ok_to    sender|all (default sender): ValidateOK [P L87] goes
//                     to the Validate's sender (TLA+) or to every process
//                     (the figure's "to all"; only the recoverer has a
//                     handler for it).
//   commit_lower_ballot  false|true (default false): whether Commit(b) is
//                     applied at a process that has joined a higher ballot
//                     (bal > b). The paper's guard is bal = b [P L38];
//                     Agreement makes the lower-ballot value the decided
//                     one (docs/protocols.md Part V item 3).
//
// Every (n, f, e) must satisfy n >= max(2e + f - 1, 2f + 1), 0 <= e <= f,
// f >= 1 (docs/protocols.md I.1).
#ifndef EPSIM_PROTOCOL_EPAXOS_STAR_OPTIONS_H_
#define EPSIM_PROTOCOL_EPAXOS_STAR_OPTIONS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "protocol/common/protocol.h"
#include "protocol/common/types.h"

namespace epsim::protocol::epaxos_star {

// The Accept guard of a COMMITTED process (accept_guard above).
enum class AcceptGuard : uint8_t {
  kAbal,           // TLA+ guard, stays COMMITTED (today's choice)
  kAbalDowngrade,  // TLA+ guard, COMMITTED -> ACCEPTED
  kBal,            // paper guard, stays COMMITTED
  kBalDowngrade,   // paper guard, COMMITTED -> ACCEPTED
};

struct StarOptions {
  int n = 5;
  int f = 2;
  int e = 2;
  Duration commit_timeout = 0;
  Duration recovery_timeout = 0;
  Duration fast_timeout = 0;
  bool hint = true;
  AcceptGuard accept_guard = AcceptGuard::kAbal;
  bool waiting_to_self = true;
  bool validate_ok_to_all = false;
  bool commit_lower_ballot = false;
  // Which timer options were given explicitly (canonical name keeps them).
  bool explicit_commit_timeout = false;
  bool explicit_recovery_timeout = false;
  bool explicit_fast_timeout = false;

  int SlowQuorum() const { return n - f; }
  int FastQuorum() const { return n - e; }
  // Waiting threshold of W3: k > n - f - e.
  int WaitingThreshold() const { return n - f - e; }
  // Accept guard: on bal (the paper) rather than abal (TLA+).
  bool GuardOnBal() const {
    return accept_guard == AcceptGuard::kBal ||
           accept_guard == AcceptGuard::kBalDowngrade;
  }
  // Accept turns a COMMITTED process back into ACCEPTED.
  bool Downgrades() const {
    return accept_guard == AcceptGuard::kAbalDowngrade ||
           accept_guard == AcceptGuard::kBalDowngrade;
  }

  // Canonical spec: "epaxos-star:n=5,f=2,e=2" (+ timers given explicitly
  // and the other options where they differ from their defaults).
  std::string ToString() const;
};

// "abal", "abal-downgrade", "bal", "bal-downgrade".
std::string_view AcceptGuardName(AcceptGuard guard);

// Reads `spec` for a cluster of context.replicas. Bad values and invalid
// (n, f, e) triples are InvalidArgument errors stating the rule.
absl::StatusOr<StarOptions> ParseStarOptions(const ProtocolSpec& spec,
                                             const ProtocolContext& context);

}  // namespace epsim::protocol::epaxos_star

#endif  // EPSIM_PROTOCOL_EPAXOS_STAR_OPTIONS_H_
