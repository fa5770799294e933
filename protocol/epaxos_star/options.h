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
//                     paper (protocols.md I.11 [CHOICE, optional]); it
//                     changes no receiver state, so it cannot affect safety.
//
// Every (n, f, e) must satisfy n >= max(2e + f - 1, 2f + 1), 0 <= e <= f,
// f >= 1 (protocols.md I.1).
#ifndef EPSIM_PROTOCOL_EPAXOS_STAR_OPTIONS_H_
#define EPSIM_PROTOCOL_EPAXOS_STAR_OPTIONS_H_

#include <string>

#include "absl/status/statusor.h"
#include "protocol/common/protocol.h"
#include "protocol/common/types.h"

namespace epsim::protocol::epaxos_star {

struct StarOptions {
  int n = 5;
  int f = 2;
  int e = 2;
  Duration commit_timeout = 0;
  Duration recovery_timeout = 0;
  Duration fast_timeout = 0;
  bool hint = true;
  // Which timer options were given explicitly (canonical name keeps them).
  bool explicit_commit_timeout = false;
  bool explicit_recovery_timeout = false;
  bool explicit_fast_timeout = false;

  int SlowQuorum() const { return n - f; }
  int FastQuorum() const { return n - e; }
  // Waiting threshold of W3: k > n - f - e.
  int WaitingThreshold() const { return n - f - e; }

  // Canonical spec: "epaxos-star:n=5,f=2,e=2" (+ options given explicitly).
  std::string ToString() const;
};

// Reads `spec` for a cluster of context.replicas. Bad values and invalid
// (n, f, e) triples are InvalidArgument errors stating the rule.
absl::StatusOr<StarOptions> ParseStarOptions(const ProtocolSpec& spec,
                                             const ProtocolContext& context);

}  // namespace epsim::protocol::epaxos_star

#endif  // EPSIM_PROTOCOL_EPAXOS_STAR_OPTIONS_H_
