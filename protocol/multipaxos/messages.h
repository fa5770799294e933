// Multi-Paxos messages. Slot s of the log is the command id {origin 0,
// counter s} (see replica.h for why the origin is always 0).
//
//   Forward    replica -> leader   a client request to be given a slot
//   Prepare    1a  candidate -> all
//   Promise    1b  acceptor -> candidate, with its accepted slots
//   Accept     2a  leader -> all, one slot
//   Accepted   2b  acceptor -> leader
//   Commit     learn: leader -> all, the chosen value of one slot
//   Heartbeat  leader -> all, with the leader's chosen prefix
//   CatchUp    a lagging replica asks the leader for chosen slots
//   Nack       "I promised a higher ballot": lets a stale leader step down
#ifndef EPSIM_PROTOCOL_MULTIPAXOS_MESSAGES_H_
#define EPSIM_PROTOCOL_MULTIPAXOS_MESSAGES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/common/command.h"
#include "protocol/common/message.h"
#include "protocol/common/types.h"

namespace epsim::protocol::multipaxos {

using Slot = int64_t;

// The command id of a log slot.
inline CommandId SlotId(Slot slot) {
  return CommandId{0, static_cast<uint64_t>(slot)};
}

// What an acceptor holds for one slot.
struct SlotEntry {
  Slot slot = 0;
  Ballot ballot = 0;  // ballot of the last Accept (or Commit) applied
  Command command;
  bool chosen = false;
  bool recovered = false;  // proposed by a phase-1 winner, not fresh
  friend bool operator==(const SlotEntry&, const SlotEntry&) = default;
};

struct Forward final : Message {
  protocol::Command command;
  std::string_view Type() const override { return "Forward"; }
  std::optional<CommandId> Command() const override { return std::nullopt; }
  std::string Describe() const override;
  uint64_t ComputeFingerprint() const override;
};

struct Prepare final : Message {
  Ballot ballot = 0;
  Slot from = 1;  // the candidate knows every slot below `from` chosen
  std::string_view Type() const override { return "Prepare"; }
  std::optional<CommandId> Command() const override { return std::nullopt; }
  std::optional<Ballot> MessageBallot() const override { return ballot; }
  std::string Describe() const override;
  uint64_t ComputeFingerprint() const override;
};

struct Promise final : Message {
  Ballot ballot = 0;
  std::vector<SlotEntry> accepted;  // every slot >= Prepare.from, by slot
  std::string_view Type() const override { return "Promise"; }
  std::optional<CommandId> Command() const override { return std::nullopt; }
  std::optional<Ballot> MessageBallot() const override { return ballot; }
  std::string Describe() const override;
  uint64_t ComputeFingerprint() const override;
};

struct Accept final : Message {
  Ballot ballot = 0;
  Slot slot = 0;
  protocol::Command command;
  bool recovered = false;
  std::string_view Type() const override { return "Accept"; }
  std::optional<CommandId> Command() const override { return SlotId(slot); }
  std::optional<Ballot> MessageBallot() const override { return ballot; }
  std::string Describe() const override;
  uint64_t ComputeFingerprint() const override;
};

struct Accepted final : Message {
  Ballot ballot = 0;
  Slot slot = 0;
  std::string_view Type() const override { return "Accepted"; }
  std::optional<CommandId> Command() const override { return SlotId(slot); }
  std::optional<Ballot> MessageBallot() const override { return ballot; }
  std::string Describe() const override;
  uint64_t ComputeFingerprint() const override;
};

struct Commit final : Message {
  Ballot ballot = 0;  // the ballot the value was chosen (or learned) at
  Slot slot = 0;
  protocol::Command command;
  bool recovered = false;
  std::string_view Type() const override { return "Commit"; }
  std::optional<CommandId> Command() const override { return SlotId(slot); }
  std::optional<Ballot> MessageBallot() const override { return ballot; }
  std::string Describe() const override;
  uint64_t ComputeFingerprint() const override;
};

struct Heartbeat final : Message {
  Ballot ballot = 0;
  Slot chosen_below = 1;  // the leader knows every slot below this chosen
  std::string_view Type() const override { return "Heartbeat"; }
  std::optional<CommandId> Command() const override { return std::nullopt; }
  std::optional<Ballot> MessageBallot() const override { return ballot; }
  std::string Describe() const override;
  uint64_t ComputeFingerprint() const override;
};

struct CatchUp final : Message {
  Slot from = 1;
  std::string_view Type() const override { return "CatchUp"; }
  std::optional<CommandId> Command() const override { return std::nullopt; }
  std::string Describe() const override;
  uint64_t ComputeFingerprint() const override;
};

struct Nack final : Message {
  Ballot promised = 0;
  std::string_view Type() const override { return "Nack"; }
  std::optional<CommandId> Command() const override { return std::nullopt; }
  std::optional<Ballot> MessageBallot() const override { return promised; }
  std::string Describe() const override;
  uint64_t ComputeFingerprint() const override;
};

}  // namespace epsim::protocol::multipaxos

#endif  // EPSIM_PROTOCOL_MULTIPAXOS_MESSAGES_H_
