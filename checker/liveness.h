// Liveness: explains why submitted commands never executed.
//
// The harness decides when liveness is owed (reliable links, at most f
// replicas crashed, the last fault healed plus a bound) and then asks every
// live replica what it knows but has not executed (Replica::Pending()). This
// file turns that into a verdict and a wait-for graph: for each stuck
// command, the uncommitted or unknown dependency it waits on, transitively,
// and the recoveries in flight.
//
//   std::optional<InvariantViolation> v =
//       CheckLiveness(pending_per_replica, requests, where);
//   checks.Report("liveness", std::move(v));
#ifndef EPSIM_CHECKER_LIVENESS_H_
#define EPSIM_CHECKER_LIVENESS_H_

#include <optional>
#include <string>
#include <vector>

#include "checker/invariants.h"
#include "protocol/common/command.h"
#include "protocol/common/replica.h"
#include "protocol/common/types.h"

namespace epsim::checker {

// What one live replica has not executed.
struct ReplicaPending {
  protocol::NodeId replica = 0;
  std::vector<protocol::PendingCommand> pending;
};

// One request of a live client.
struct RequestStatus {
  protocol::Command command;
  // Command ids the request is known under (from commits or proposals the
  // harness saw); may be empty.
  std::vector<protocol::CommandId> ids;
  bool executed = false;  // took effect at a live replica
};

// nullopt when every request executed. Otherwise a "liveness" violation
// whose detail lists the stuck requests and the wait-for graph, whose
// commands are the stuck ids and whose replicas are those holding them.
std::optional<InvariantViolation> CheckLiveness(
    const std::vector<ReplicaPending>& replicas,
    const std::vector<RequestStatus>& requests, const Where& where);

}  // namespace epsim::checker

#endif  // EPSIM_CHECKER_LIVENESS_H_
