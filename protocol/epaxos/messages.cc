#include "protocol/epaxos/messages.h"

#include "absl/strings/str_cat.h"
#include "base/strings.h"

namespace epsim::protocol::epaxos {

std::string_view StatusName(Status status) {
  switch (status) {
    case Status::kNone:
      return "none";
    case Status::kPreAccepted:
      return "preaccepted";
    case Status::kAccepted:
      return "accepted";
    case Status::kCommitted:
      return "committed";
    case Status::kExecuted:
      return "executed";
  }
  return "?";
}

std::string BallotString(Ballot b) {
  if (b == 0) return "0";
  return absl::StrCat(BallotRound(b), ".", b & 0xff);
}

std::string PayloadString(const std::optional<protocol::Command>& cmd) {
  return cmd ? cmd->ToString() : std::string("<nil>");
}

std::string_view EpaxosMessage::Type() const {
  switch (kind) {
    case MsgKind::kPreAccept:
      return "PreAccept";
    case MsgKind::kPreAcceptReply:
      return "PreAcceptReply";
    case MsgKind::kAccept:
      return "Accept";
    case MsgKind::kAcceptReply:
      return "AcceptReply";
    case MsgKind::kCommit:
      return cmd ? "Commit" : "CommitShort";
    case MsgKind::kPrepare:
      return "Prepare";
    case MsgKind::kPrepareReply:
      return "PrepareReply";
    case MsgKind::kTryPreAccept:
      return "TryPreAccept";
    case MsgKind::kTryPreAcceptReply:
      return "TryPreAcceptReply";
  }
  return "?";
}

std::string EpaxosMessage::Describe() const {
  std::string out = absl::StrCat(Av(Type()), " ", id.ToString(), " from ",
                                 sender, " b=", BallotString(ballot));
  const bool reply =
      kind == MsgKind::kPreAcceptReply || kind == MsgKind::kAcceptReply ||
      kind == MsgKind::kPrepareReply || kind == MsgKind::kTryPreAcceptReply;
  if (reply && !ok) {
    absl::StrAppend(&out, " NACK promise=", BallotString(other_ballot));
  }
  switch (kind) {
    case MsgKind::kPrepare:
    case MsgKind::kAcceptReply:
      break;
    case MsgKind::kPrepareReply:
      if (!ok) break;
      absl::StrAppend(&out, " status=", Av(StatusName(status)),
                      unchanged ? "(eq)" : "",
                      " vote=", BallotString(other_ballot));
      [[fallthrough]];
    case MsgKind::kPreAccept:
    case MsgKind::kAccept:
    case MsgKind::kCommit:
    case MsgKind::kTryPreAccept:
      absl::StrAppend(&out, " cmd=", PayloadString(cmd), " seq=", seq,
                      " deps=", deps.ToString());
      if (!path.empty()) absl::StrAppend(&out, " path=", path);
      break;
    case MsgKind::kPreAcceptReply:
      if (!ok) break;
      absl::StrAppend(&out, unchanged ? " unchanged" : " changed", " seq=", seq,
                      " deps=", deps.ToString(),
                      " committed=", committed_deps.ToString());
      break;
    case MsgKind::kTryPreAcceptReply:
      if (conflict) {
        absl::StrAppend(&out, " conflict=", conflict->ToString(), "(",
                        Av(StatusName(status)), ")");
      }
      break;
  }
  return out;
}

uint64_t EpaxosMessage::ComputeFingerprint() const {
  StableHasher h;
  h.Add(static_cast<uint64_t>(kind))
      .Add(id)
      .Add(static_cast<uint64_t>(sender))
      .Add(ballot)
      .Add(ok ? 1 : 0)
      .Add(other_ballot)
      .Add(cmd)
      .Add(static_cast<uint64_t>(seq))
      .Add(deps)
      .Add(static_cast<uint64_t>(status))
      .Add(unchanged ? 1 : 0)
      .Add(committed_deps)
      .Add(conflict ? 1 : 0)
      .Add(conflict.value_or(CommandId{}))
      .Add(path);
  return h.value();
}

}  // namespace epsim::protocol::epaxos
