#include "protocol/multipaxos/messages.h"

#include "absl/strings/str_cat.h"
#include "protocol/multipaxos/digest.h"

namespace epsim::protocol::multipaxos {
namespace {

// Distinct per message type, so equal fields of two types hash apart.
enum Kind : uint64_t {
  kForward = 1,
  kPrepare,
  kPromise,
  kAccept,
  kAccepted,
  kCommit,
  kHeartbeat,
  kCatchUp,
  kNack,
};

std::string Flag(bool recovered) { return recovered ? " (recovered)" : ""; }

}  // namespace

std::string Forward::Describe() const {
  return absl::StrCat("Forward ", command.ToString());
}
uint64_t Forward::ComputeFingerprint() const {
  return Digest().Add(kForward).Add(command).value();
}

std::string Prepare::Describe() const {
  return absl::StrCat("Prepare b=", ballot, " from slot ", from);
}
uint64_t Prepare::ComputeFingerprint() const {
  return Digest()
      .Add(kPrepare)
      .Add(ballot)
      .Add(static_cast<uint64_t>(from))
      .value();
}

std::string Promise::Describe() const {
  std::string out = absl::StrCat("Promise b=", ballot, " accepted={");
  for (const SlotEntry& e : accepted) {
    absl::StrAppend(&out, " ", e.slot, ":", e.command.ToString(), "@", e.ballot,
                    e.chosen ? "!" : "");
  }
  absl::StrAppend(&out, " }");
  return out;
}
uint64_t Promise::ComputeFingerprint() const {
  Digest d;
  d.Add(kPromise).Add(ballot).Add(static_cast<uint64_t>(accepted.size()));
  for (const SlotEntry& e : accepted) {
    d.Add(static_cast<uint64_t>(e.slot))
        .Add(e.ballot)
        .Add(e.command)
        .Add(e.chosen ? 1 : 0)
        .Add(e.recovered ? 1 : 0);
  }
  return d.value();
}

std::string Accept::Describe() const {
  return absl::StrCat("Accept b=", ballot, " slot ", slot, " ",
                      command.ToString(), Flag(recovered));
}
uint64_t Accept::ComputeFingerprint() const {
  return Digest()
      .Add(kAccept)
      .Add(ballot)
      .Add(static_cast<uint64_t>(slot))
      .Add(command)
      .Add(recovered ? 1 : 0)
      .value();
}

std::string Accepted::Describe() const {
  return absl::StrCat("Accepted b=", ballot, " slot ", slot);
}
uint64_t Accepted::ComputeFingerprint() const {
  return Digest()
      .Add(kAccepted)
      .Add(ballot)
      .Add(static_cast<uint64_t>(slot))
      .value();
}

std::string Commit::Describe() const {
  return absl::StrCat("Commit b=", ballot, " slot ", slot, " ",
                      command.ToString(), Flag(recovered));
}
uint64_t Commit::ComputeFingerprint() const {
  return Digest()
      .Add(kCommit)
      .Add(ballot)
      .Add(static_cast<uint64_t>(slot))
      .Add(command)
      .Add(recovered ? 1 : 0)
      .value();
}

std::string Heartbeat::Describe() const {
  return absl::StrCat("Heartbeat b=", ballot, " chosen below ", chosen_below);
}
uint64_t Heartbeat::ComputeFingerprint() const {
  return Digest()
      .Add(kHeartbeat)
      .Add(ballot)
      .Add(static_cast<uint64_t>(chosen_below))
      .value();
}

std::string CatchUp::Describe() const {
  return absl::StrCat("CatchUp from slot ", from);
}
uint64_t CatchUp::ComputeFingerprint() const {
  return Digest().Add(kCatchUp).Add(static_cast<uint64_t>(from)).value();
}

std::string Nack::Describe() const {
  return absl::StrCat("Nack promised=", promised);
}
uint64_t Nack::ComputeFingerprint() const {
  return Digest().Add(kNack).Add(promised).value();
}

}  // namespace epsim::protocol::multipaxos
