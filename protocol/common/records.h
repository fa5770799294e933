// What a replica reports to its environment about commits and executions.
// The checkers consume these; they are protocol-neutral.
#ifndef EPSIM_PROTOCOL_COMMON_RECORDS_H_
#define EPSIM_PROTOCOL_COMMON_RECORDS_H_

#include <optional>
#include <string>
#include <vector>

#include "protocol/common/command.h"
#include "protocol/common/id_set.h"
#include "protocol/common/types.h"

namespace epsim::protocol {

// The decided value of one command at one replica.
struct CommitRecord {
  CommandId id;
  Command command;  // command.nop for a Nop
  IdSet deps;
  std::optional<int64_t> seq;  // EPaxos only
  Ballot ballot = 0;           // ballot the commit happened at
  // How it was decided, for statistics and coverage: "fast", "slow",
  // "recovery" (decided by a ballot > 0), as the protocol classifies it.
  std::string path;

  // Agreement compares exactly these fields.
  bool SameDecision(const CommitRecord& other) const {
    return command == other.command && deps == other.deps && seq == other.seq;
  }
  // The id and the fields SameDecision compares: "0.1 put(x, ...) deps={}".
  std::string DecisionString() const;
  std::string ToString() const;  // DecisionString() and the ballot
};

// One command taking effect at one replica's state machine.
struct ExecutionRecord {
  CommandId id;
  Command command;  // never a Nop
  KvResult result;
  bool duplicate = false;  // the state machine recognised a retried request
};

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_RECORDS_H_
