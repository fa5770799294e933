// The interface every protocol's replica implements: a deterministic state
// machine driven by client requests, messages and timers (docs/design.md, "The
// seam between protocol and world").
#ifndef EPSIM_PROTOCOL_COMMON_REPLICA_H_
#define EPSIM_PROTOCOL_COMMON_REPLICA_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "protocol/common/command.h"
#include "protocol/common/env.h"
#include "protocol/common/message.h"
#include "protocol/common/types.h"

namespace epsim::protocol {

// Why a known command has not executed at a replica yet (liveness reports'
// wait-for graph).
struct PendingCommand {
  CommandId id;
  std::string phase;                  // "preaccepted", "committed", ...
  std::vector<CommandId> waiting_on;  // uncommitted/unknown deps blocking it
  std::optional<Ballot> recovery;     // ballot of this replica's live attempt
  // The client request it carries, where this replica knows it and the
  // protocol may give one request several ids (EPaxos* resubmits a request
  // under a new id when its first id became Nop). The explorer's recovery
  // budget counts per request then, so that resubmission cannot make a
  // state space infinite.
  std::optional<RequestId> request;
};

class Replica {
 public:
  virtual ~Replica() = default;

  // Called once when the replica starts (and after a restart).
  virtual void Start() {}
  // A client's request arrived at this replica (this replica coordinates it,
  // or forwards it, as the protocol says).
  virtual void OnClientRequest(const Command& command) = 0;
  virtual void OnMessage(NodeId from, const Message& message) = 0;
  virtual void OnTimer(TimerId id, uint64_t tag) = 0;

  // Crash-restart: forget everything the protocol does not declare durable.
  // Timers are already gone (the environment dropped them).
  virtual void Restart() = 0;

  // Scripted schedules (bug corpus, explorer): start recovering `id` now, as
  // the recovery timer would, at `ballot` if given (a protocol refuses a
  // ballot this replica does not own or that is not above its current one,
  // with InvalidArgument). Protocols without recovery return Unimplemented.
  virtual absl::Status StartRecovery(CommandId /*id*/,
                                     std::optional<Ballot> /*ballot*/) {
    return absl::UnimplementedError("this protocol has no recovery to start");
  }

  // KvStore::Digest() of this replica's state machine now: the final states
  // the convergence check compares.
  virtual uint64_t StoreDigest() const = 0;

  // Commands known here but not executed, with what each waits on.
  virtual std::vector<PendingCommand> Pending() const = 0;

  // For the explorer: a deep copy bound to another environment, and a digest
  // of the whole state (equal states give equal digests on every platform).
  virtual std::unique_ptr<Replica> Clone(Env& env) const = 0;
  virtual uint64_t StateHash() const = 0;

  // For the explorer's ignored-message reduction, which drops a message
  // whose delivery would change nothing here, on the premise that it would
  // change nothing later either. A replica that ignores `message` now but
  // may act on it after a later step says so here, and the message stays
  // a choice. `epsim explore --check-reductions` finds the cases a replica
  // forgot.
  virtual bool MayActLaterOnIgnored(NodeId /*from*/,
                                    const Message& /*message*/) const {
    return false;
  }
};

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_REPLICA_H_
