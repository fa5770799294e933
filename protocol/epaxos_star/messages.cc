#include "protocol/epaxos_star/messages.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/strings.h"

namespace epsim::protocol::epaxos_star {

std::string_view PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kInitial:
      return "initial";
    case Phase::kPreAccepted:
      return "preaccepted";
    case Phase::kAccepted:
      return "accepted";
    case Phase::kCommitted:
      return "committed";
  }
  return "?";
}

std::string_view CommitPathName(CommitPath path) {
  switch (path) {
    case CommitPath::kFast:
      return "fast";
    case CommitPath::kSlow:
      return "slow";
    case CommitPath::kRecovery:
      return "recovery";
  }
  return "?";
}

bool SamePayload(const Payload& a, const Payload& b) {
  if (a == b) return true;
  if (a == nullptr || b == nullptr) return false;
  return *a == *b;
}

const Payload& NopPayload() {
  static const Payload* nop =
      new Payload(std::make_shared<const Command>(Command::Nop()));
  return *nop;
}

std::string PayloadString(const Payload& p) {
  return p == nullptr ? std::string("⊥") : p->ToString();
}

Hasher& Hasher::Add(const Payload& p) {
  if (p == nullptr) return Add(uint64_t{0xb07});
  return Add(*p);
}

std::string_view StarMessage::Type() const {
  switch (kind) {
    case MsgKind::kPreAccept:
      return "PreAccept";
    case MsgKind::kPreAcceptOK:
      return "PreAcceptOK";
    case MsgKind::kAccept:
      return "Accept";
    case MsgKind::kAcceptOK:
      return "AcceptOK";
    case MsgKind::kCommit:
      return "Commit";
    case MsgKind::kRecover:
      return "Recover";
    case MsgKind::kRecoverOK:
      return "RecoverOK";
    case MsgKind::kValidate:
      return "Validate";
    case MsgKind::kValidateOK:
      return "ValidateOK";
    case MsgKind::kWaiting:
      return "Waiting";
    case MsgKind::kBallotHint:
      return "BallotHint";
  }
  return "?";
}

std::optional<Ballot> StarMessage::MessageBallot() const {
  switch (kind) {
    case MsgKind::kPreAccept:
    case MsgKind::kPreAcceptOK:
    case MsgKind::kWaiting:
      return std::nullopt;
    default:
      return ballot;
  }
}

std::string StarMessage::Describe() const {
  std::string out = absl::StrCat(Av(Type()), "(");
  if (MessageBallot()) absl::StrAppend(&out, "b=", ballot, ", ");
  absl::StrAppend(&out, id.ToString());
  switch (kind) {
    case MsgKind::kPreAccept:
    case MsgKind::kAccept:
    case MsgKind::kValidate:
      absl::StrAppend(&out, ", ", PayloadString(cmd), ", ", deps.ToString());
      break;
    case MsgKind::kCommit:
      absl::StrAppend(&out, ", ", PayloadString(cmd), ", ", deps.ToString(),
                      " [", Av(CommitPathName(path)), "]");
      break;
    case MsgKind::kPreAcceptOK:
      absl::StrAppend(&out, ", ", deps.ToString());
      break;
    case MsgKind::kRecoverOK:
      absl::StrAppend(&out, ", abal=", abal, ", ", PayloadString(cmd),
                      ", dep=", deps.ToString(),
                      ", initDep=", init_deps.ToString(), ", ",
                      Av(PhaseName(phase)));
      break;
    case MsgKind::kValidateOK:
      absl::StrAppend(&out, ", I={",
                      absl::StrJoin(invalidating, ",",
                                    [](std::string* o, const Invalidating& i) {
                                      absl::StrAppend(o, i.id.ToString(), ":",
                                                      Av(PhaseName(i.phase)));
                                    }),
                      "}");
      break;
    case MsgKind::kWaiting:
      absl::StrAppend(&out, ", k=", k);
      break;
    case MsgKind::kAcceptOK:
    case MsgKind::kRecover:
    case MsgKind::kBallotHint:
      break;
  }
  absl::StrAppend(&out, ")");
  return out;
}

uint64_t StarMessage::ComputeFingerprint() const {
  Hasher h;
  h.Add(static_cast<uint64_t>(kind)).Add(id).Add(ballot).Add(cmd).Add(deps);
  h.Add(init_deps).Add(abal).Add(static_cast<uint64_t>(phase));
  h.Add(invalidating.size());
  for (const Invalidating& i : invalidating) {
    h.Add(i.id).Add(static_cast<uint64_t>(i.phase));
  }
  h.Add(static_cast<uint64_t>(k)).Add(static_cast<uint64_t>(path));
  return h.value();
}

}  // namespace epsim::protocol::epaxos_star
