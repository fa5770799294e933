#include "protocol/epaxos_star/replica.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "base/strings.h"

namespace epsim::protocol::epaxos_star {
namespace {

// Resets a flag when a handler leaves, even through a failed check.
class FlagGuard {
 public:
  explicit FlagGuard(bool& flag) : flag_(flag) { flag_ = true; }
  ~FlagGuard() { flag_ = false; }
  FlagGuard(const FlagGuard&) = delete;
  FlagGuard& operator=(const FlagGuard&) = delete;

 private:
  bool& flag_;
};

std::shared_ptr<StarMessage> NewMessage(MsgKind kind, const CommandId& id,
                                        Ballot b) {
  auto m = std::make_shared<StarMessage>();
  m->kind = kind;
  m->id = id;
  m->ballot = b;
  return m;
}

}  // namespace

std::vector<std::string> StarCoverageBranches(const StarOptions& options) {
  std::vector<std::string> branches = {
      "fast-path",
      "slow-path",
      "fast-path-timer",
      "accept/committed-ok",
      "nop-commit",
      "resubmit",
      "recover/committed",
      "recover/accepted",
      "recover/coord-in-Q-nop",
      "recover/rmax-too-small-nop",
      "recover/validate",
      "validate/empty-I-accept",
      "validate/committed-conflict-nop",
      "validate/tight-rmax-nop",
      "validate/wait",
      "wait/W1",
      "wait/W2",
      "wait/W3",
      "wait/W4-committed",
      "wait/W4-accepted",
      "wait/W4-coord-nop",
      "trigger/commit-timeout",
      "trigger/stuck-attempt",
      "trigger/blocked-execution",
      "trigger/dead-commit",
      "validate/after-commit",
      "trigger/wait-deps",
      "buffer/held",
      "buffer/released",
      "hint/sent",
      "hint/received",
      "recovery/started",
      "recovery/decided",
  };
  // A variant's own branches are listed only when it is on, so that the
  // default's coverage table flags no branch it cannot reach.
  if (options.Downgrades()) branches.push_back("accept/downgrade");
  if (options.Downgrades()) branches.push_back("commit/after-downgrade");
  if (options.commit_lower_ballot) branches.push_back("commit/lower-ballot");
  return branches;
}

Ballot NextOwnedBallot(NodeId p, int n, Ballot above) {
  const Ballot first = static_cast<Ballot>(p) + 1;
  if (above < first) return first;
  const Ballot nn = static_cast<Ballot>(n);
  return ((above - first) / nn + 1) * nn + first;
}

StarReplica::StarReplica(std::shared_ptr<const StarOptions> options,
                         NodeId self, Env& env)
    : options_(std::move(options)), self_(self), env_(&env) {}

// ---------------------------------------------------------------------------
// Instances and conflict indexes.

StarReplica::Instance& StarReplica::Get(const CommandId& id) {
  return instances_[id];
}

const StarReplica::Instance* StarReplica::Find(const CommandId& id) const {
  return instances_.Find(id);
}

void StarReplica::SetCmd(const CommandId& id, Instance& inst, Payload cmd) {
  // I.10: a committed entry never changes.
  EPSIM_CHECK(inst.phase != Phase::kCommitted)
      << "p" << self_ << ": cmd of committed " << id.ToString() << " rewritten";
  if (SamePayload(inst.cmd, cmd)) {
    inst.cmd = std::move(cmd);
    return;
  }
  if (inst.cmd != nullptr) {
    if (inst.cmd->nop) {
      nop_ids_ = Without(nop_ids_, id);
    } else {
      key_indexes_[inst.cmd->key].cmd.Erase(id, inst.cmd->IsWrite());
    }
  }
  inst.cmd = std::move(cmd);
  if (inst.cmd != nullptr) {
    if (inst.cmd->nop) {
      nop_ids_ = UnionSorted(nop_ids_, {id});
    } else {
      key_indexes_[inst.cmd->key].cmd.Insert(id, inst.cmd->IsWrite());
    }
  }
}

void StarReplica::SetInitCmd(const CommandId& id, Instance& inst, Payload cmd) {
  // I.10: initCmd is never Nop.
  EPSIM_CHECK(cmd != nullptr && !cmd->nop)
      << "p" << self_ << ": initCmd of " << id.ToString() << " set to "
      << PayloadString(cmd);
  if (SamePayload(inst.init_cmd, cmd)) return;
  if (inst.init_cmd != nullptr) {
    key_indexes_[inst.init_cmd->key].init_cmd.Erase(id,
                                                    inst.init_cmd->IsWrite());
  }
  inst.init_cmd = std::move(cmd);
  key_indexes_[inst.init_cmd->key].init_cmd.Insert(id,
                                                   inst.init_cmd->IsWrite());
}

void StarReplica::SetBal(const CommandId& id, Instance& inst, Ballot b) {
  // I.10: bal never decreases.
  EPSIM_CHECK(b >= inst.bal)
      << "p" << self_ << ": bal of " << id.ToString() << " would go down from "
      << inst.bal << " to " << b;
  if (b == inst.bal) return;
  inst.bal = b;
  if (buffered_.contains(id)) retry_ids_.push_back(id);
  ForgetBelow(id, b);
}

// Bookkeeping of a lower ballot is dead once bal rises to b, since bal never
// goes down: the ballot-0 coordination (C3 reads it only while bal = 0), an
// Accept round below b (C5 reads it only while bal is its ballot), a
// recovery attempt below b (R3-R6 read it only while bal is its ballot) and
// a ballot hint at or below b (R1 starts above max(bal, hint)). Dropping it
// changes no message or timer; it keeps states that differ only in dead
// bookkeeping equal, which is what `epsim explore` counts. A dead attempt
// stays as an empty, finished entry: a hint for its id is still taken.
void StarReplica::ForgetBelow(const CommandId& id, Ballot b) {
  coordinating_.erase(id);
  if (auto r = accept_rounds_.find(id);
      r != accept_rounds_.end() && r->second.ballot < b) {
    accept_rounds_.erase(r);
  }
  if (auto a = attempts_.find(id);
      a != attempts_.end() && a->second.ballot < b) {
    FinishAttempt(id, a->second);
    RecoveryAttempt finished;
    finished.ballot = a->second.ballot;
    finished.stage = Stage::kDone;
    a->second = std::move(finished);
  }
  if (auto h = ballot_hints_.find(id);
      h != ballot_hints_.end() && h->second <= b) {
    ballot_hints_.erase(h);
  }
}

IdSet StarReplica::LocalConflicts(const Command& c, const CommandId& exclude,
                                  const IdSet& base) const {
  EPSIM_CHECK(!c.nop) << "conflicts are computed for client payloads only";
  // Merged straight into base: a busy key's conflict set is never built
  // on its own when base (a PreAccept's D) already holds most of it.
  IdSet with_keyed = base;
  if (const KeyIndex* index = key_indexes_.Find(c.key)) {
    with_keyed = index->cmd.UnionWithConflicts(base, c.IsWrite());
  }
  // A Nop conflicts with every payload (I.2); never a self-dependency
  // (pitfall 8).
  return Without(Union(with_keyed, nop_ids_), exclude);
}

// ---------------------------------------------------------------------------
// Sending and the step loop.

void StarReplica::SendTo(NodeId to, std::shared_ptr<StarMessage> m) {
  if (to == self_) {
    self_queue_.push_back(std::move(m));  // I.6.3: same atomic step
  } else {
    env_->Send(to, std::move(m));
  }
}

void StarReplica::Broadcast(std::shared_ptr<StarMessage> m) {
  // The self copy is handled first (queued ahead of anything the others
  // could answer; they answer in later steps anyway).
  self_queue_.push_back(m);
  for (NodeId q = 0; q < options_->n; ++q) {
    if (q != self_) env_->Send(q, m);
  }
}

void StarReplica::DrainSelfQueue() {
  if (draining_) return;
  FlagGuard guard(draining_);
  while (true) {
    if (!self_queue_.empty()) {
      std::shared_ptr<const StarMessage> m = std::move(self_queue_.front());
      self_queue_.pop_front();
      if (!Dispatch(self_, *m)) {
        env_->Cover("buffer/held");
        buffered_[m->id].push_back({self_, std::move(m)});
      }
      continue;
    }
    if (!retry_ids_.empty()) {
      const CommandId id = retry_ids_.back();
      retry_ids_.pop_back();
      RetryBuffer(id);
      continue;
    }
    if (!resubmit_queue_.empty()) {
      Command command = std::move(resubmit_queue_.front());
      resubmit_queue_.erase(resubmit_queue_.begin());
      Submit(command);
      continue;
    }
    break;
  }
}

void StarReplica::RetryBuffer(const CommandId& id) {
  auto it = buffered_.find(id);
  if (it == buffered_.end()) return;
  std::vector<Buffered> pending = std::move(it->second);
  buffered_.erase(it);
  for (Buffered& b : pending) {
    const Instance* inst = Find(id);
    const Ballot bal = inst == nullptr ? 0 : inst->bal;
    // commit_lower_ballot: a Commit whose ballot this process has passed
    // is taken rather than dead.
    const bool lower_commit =
        options_->commit_lower_ballot && b.message->kind == MsgKind::kCommit;
    if (b.message->ballot < bal && !lower_commit) continue;  // dead (I.6.2)
    if (b.message->ballot <= bal && Dispatch(b.from, *b.message)) {
      env_->Cover("buffer/released");
      continue;
    }
    buffered_[id].push_back(std::move(b));
  }
}

bool StarReplica::Dispatch(NodeId from, const StarMessage& m) {
  switch (m.kind) {
    case MsgKind::kPreAccept:
      HandlePreAccept(from, m);
      return true;
    case MsgKind::kPreAcceptOK:
      HandlePreAcceptOK(from, m);
      return true;
    case MsgKind::kAccept:
      HandleAccept(from, m);
      return true;
    case MsgKind::kAcceptOK:
      HandleAcceptOK(from, m);
      return true;
    case MsgKind::kCommit:
      return HandleCommit(from, m);
    case MsgKind::kRecover:
      HandleRecover(from, m);
      return true;
    case MsgKind::kRecoverOK:
      HandleRecoverOK(from, m);
      return true;
    case MsgKind::kValidate:
      return HandleValidate(from, m);
    case MsgKind::kValidateOK:
      HandleValidateOK(from, m);
      return true;
    case MsgKind::kWaiting:
      HandleWaiting(m);
      return true;
    case MsgKind::kBallotHint:
      HandleBallotHint(m);
      return true;
  }
  return true;
}

void StarReplica::Start() {
  // After a restart: every known command not committed yet gets its
  // recovery timer back (the environment dropped all timers), in id order.
  std::vector<CommandId> uncommitted;
  instances_.ForEach([&](const CommandId& id, const Instance& inst) {
    if (inst.phase != Phase::kCommitted) uncommitted.push_back(id);
  });
  for (const CommandId& id : executor_.CommittedNotDone()) {
    for (const CommandId& d : executor_.BlockedOn(id, SIZE_MAX)) {
      uncommitted.push_back(d);
    }
  }
  std::sort(uncommitted.begin(), uncommitted.end());
  uncommitted.erase(std::unique(uncommitted.begin(), uncommitted.end()),
                    uncommitted.end());
  for (const CommandId& id : uncommitted) ArmRecoveryTimer(id, false);
}

void StarReplica::OnClientRequest(const Command& command) {
  Submit(command);
  DrainSelfQueue();
}

void StarReplica::OnMessage(NodeId from, const Message& message) {
  const auto* m = ExactCast<StarMessage>(&message);
  EPSIM_CHECK(m != nullptr)
      << "epaxos-star got a foreign message " << message.Describe();
  if (!Dispatch(from, *m)) {
    env_->Cover("buffer/held");
    buffered_[m->id].push_back({from, std::make_shared<StarMessage>(*m)});
  }
  DrainSelfQueue();
}

void StarReplica::OnTimer(TimerId timer, uint64_t /*tag*/) {
  auto it = timer_info_.find(timer);
  if (it == timer_info_.end()) return;  // cancelled or from before a restart
  const TimerInfo info = it->second;
  timer_info_.erase(it);
  IdTimers& t = timers_[info.id];
  if (info.tag == kFastPathTimer) {
    // T1 [C3 CHOICE]: give up waiting for a fast quorum.
    t.fast = 0;
    if (auto c = coordinating_.find(info.id); c != coordinating_.end()) {
      c->second.timer_expired = true;
      TryDecidePreAccept(info.id);
    }
  } else {
    // T2 (commit timeout) / T3 (stuck attempt): recover with a new ballot.
    t.recovery = 0;
    const Instance* inst = Find(info.id);
    if (inst == nullptr || inst->phase != Phase::kCommitted) {
      env_->Cover(t.attempts == 0 ? "trigger/commit-timeout"
                                  : "trigger/stuck-attempt");
      Recover(info.id, std::nullopt);
    }
  }
  DrainSelfQueue();
}

void StarReplica::Restart() {
  // Crash-restart (pitfall 22): the I.4 state, waitingSeen, the id counter,
  // the executor and the store are durable; the bookkeeping below is not.
  coordinating_.clear();
  accept_rounds_.clear();
  attempts_.clear();
  ballot_hints_.clear();
  waiting_on_.clear();
  buffered_.clear();
  timers_ = {};
  timer_info_.clear();
  self_queue_.clear();
  retry_ids_.clear();
  resubmit_queue_.clear();
  draining_ = false;
}

absl::Status StarReplica::StartRecovery(CommandId id,
                                        std::optional<Ballot> ballot) {
  const Instance* inst = Find(id);
  const Ballot bal = inst == nullptr ? 0 : inst->bal;
  if (ballot &&
      (BallotOwner(*ballot, options_->n) != self_ || *ballot <= bal)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "epaxos-star replica ", self_, ": recovery ballot ", *ballot, " for ",
        id.ToString(), " must be owned by ", self_, " (k*n + ", self_ + 1,
        ") and above its current ballot ", bal));
  }
  Recover(id, ballot);
  DrainSelfQueue();
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Commit protocol (Fig. 3).

// [P L8-10] C1: submit(c).
void StarReplica::Submit(const Command& command) {
  EPSIM_CHECK(!command.nop) << "a client cannot submit a Nop";
  const CommandId id{static_cast<uint32_t>(self_), ++next_counter_};
  auto m = NewMessage(MsgKind::kPreAccept, id, 0);
  m->cmd = std::make_shared<const Command>(command);
  m->deps = LocalConflicts(command, id);
  coordinating_[id];
  if (env_->TraceEnabled()) {
    Trace(absl::StrCat("submit ", id.ToString(), " ", command.ToString()));
  }
  Broadcast(std::move(m));
}

// [P L11-18] C2: on PreAccept(id, c, D).
void StarReplica::HandlePreAccept(NodeId from, const StarMessage& m) {
  Instance& inst = Get(m.id);
  if (inst.bal != 0 || inst.phase != Phase::kInitial) return;  // dead
  EPSIM_CHECK(m.cmd != nullptr && !m.cmd->nop);
  // D ∪ local conflicts, computed before cmd[id] is written. Usually the
  // coordinator saw everything this process has: then D is shared as is.
  inst.dep = LocalConflicts(*m.cmd, m.id, m.deps);
  SetCmd(m.id, inst, m.cmd);
  SetInitCmd(m.id, inst, m.cmd);
  inst.init_dep = m.deps;
  inst.phase = Phase::kPreAccepted;
  TraceInstance(m.id, inst, "preaccept");
  auto reply = NewMessage(MsgKind::kPreAcceptOK, m.id, 0);
  reply->deps = inst.dep;
  SendTo(from, std::move(reply));
  ArmRecoveryTimer(m.id, false);
}

// [P L19-25] C3: on PreAcceptOK(id, D_q), at initCoord(id).
void StarReplica::HandlePreAcceptOK(NodeId from, const StarMessage& m) {
  if (m.id.origin != static_cast<uint32_t>(self_)) return;
  const Instance* inst = Find(m.id);
  if (inst == nullptr || inst->bal != 0 || inst->phase != Phase::kPreAccepted) {
    return;  // dead: decided, or a recovery took over
  }
  auto c = coordinating_.find(m.id);
  if (c == coordinating_.end()) return;     // bookkeeping lost in a restart
  c->second.replies.emplace(from, m.deps);  // keyed by sender (pitfall 3)
  TryDecidePreAccept(m.id);
}

// [P L20-25] C3 [CHOICE]: fast path as soon as n-e replies equal initDep;
// slow path once n-f replies are in and the fast path is impossible, all n
// answered, or the fast-path timer T1 expired.
void StarReplica::TryDecidePreAccept(const CommandId& id) {
  auto c = coordinating_.find(id);
  if (c == coordinating_.end()) return;
  const Instance& inst = *Find(id);
  if (inst.bal != 0 || inst.phase != Phase::kPreAccepted) return;
  Coordination& coord = c->second;
  const int replies = static_cast<int>(coord.replies.size());
  int matching = 0;
  for (const auto& [q, d] : coord.replies) {
    if (d == inst.init_dep) ++matching;
  }
  if (matching >= options_->FastQuorum()) {
    env_->Cover("fast-path");
    coordinating_.erase(c);
    CancelFastTimer(id);
    SendCommit(id, 0, inst.cmd, inst.init_dep, CommitPath::kFast);
    return;
  }
  if (replies < options_->SlowQuorum()) return;
  const bool impossible = replies - matching > options_->e;
  if (impossible || replies == options_->n || coord.timer_expired) {
    env_->Cover("slow-path");
    if (!impossible && replies != options_->n) env_->Cover("fast-path-timer");
    DepSet d;
    for (const auto& [q, dq] : coord.replies) d = Union(d, dq);
    coordinating_.erase(c);
    CancelFastTimer(id);
    SendAccept(id, 0, inst.cmd, std::move(d));
    return;
  }
  if (!coord.timer_armed) {
    coord.timer_armed = true;
    ArmFastTimer(id);
  }
}

void StarReplica::SendAccept(const CommandId& id, Ballot b, Payload cmd,
                             DepSet dep) {
  auto [it, fresh] = accept_rounds_.try_emplace(id);
  AcceptRound& round = it->second;
  if (!fresh && round.ballot == b) {
    // I.10: one Accept value per (id, ballot).
    EPSIM_CHECK(SamePayload(round.cmd, cmd) && round.dep == dep)
        << "p" << self_ << ": two Accept values for " << id.ToString()
        << " at ballot " << b;
  }
  // (Field by field: a braced temporary with an empty NodeSet trips GCC's
  // maybe-uninitialized warning.)
  round.ballot = b;
  round.cmd = cmd;
  round.dep = dep;
  round.oks.clear();
  round.committed = false;
  auto m = NewMessage(MsgKind::kAccept, id, b);
  m->cmd = std::move(cmd);
  m->deps = std::move(dep);
  Broadcast(std::move(m));
}

void StarReplica::SendCommit(const CommandId& id, Ballot b, Payload cmd,
                             DepSet dep, CommitPath path) {
  if (path == CommitPath::kFast) {
    // I.10: a fast commit only at ballot 0 with D = initDep.
    EPSIM_CHECK(b == 0 && dep == Find(id)->init_dep);
  }
  auto m = NewMessage(MsgKind::kCommit, id, b);
  m->cmd = std::move(cmd);
  m->deps = std::move(dep);
  m->path = b == 0 ? path : CommitPath::kRecovery;
  Broadcast(std::move(m));
}

// [P L26-33] C4: on Accept(b, id, c, D). What a COMMITTED process takes is
// the accept_guard option; by default the TLA+ guard and the no-downgrade
// rule (docs/protocols.md C4 [CHOICE]).
void StarReplica::HandleAccept(NodeId from, const StarMessage& m) {
  Instance& inst = Get(m.id);
  const Ballot b = m.ballot;
  if (b < inst.bal) {
    SendHint(from, m.id, inst.bal);
    return;
  }
  if (inst.phase == Phase::kCommitted) {
    // [P L27] guard: bal = b => phase != COMMITTED (paper) or abal = b =>
    // phase != COMMITTED (TLA+). The paper's makes a process that joined
    // the recovery's Recover(b) after committing ignore its Accept(b).
    if ((options_->GuardOnBal() ? inst.bal : inst.abal) == b) return;
    if (!options_->Downgrades()) {
      // No downgrade: answer with the value kept. Any other value would be
      // an Agreement violation.
      EPSIM_CHECK(SamePayload(inst.cmd, m.cmd) && inst.dep == m.deps)
          << "p" << self_ << ": Accept(" << b << ") for committed "
          << m.id.ToString() << " carries another value";
      env_->Cover("accept/committed-ok");
      SetBal(m.id, inst, b);
      TraceInstance(m.id, inst, "accept (stays committed)");
      SendTo(from, NewMessage(MsgKind::kAcceptOK, m.id, b));
      return;
    }
    // [P L28-33] as written (and as the TLA+ spec applies its guard): back
    // to ACCEPTED at b with the Accept's value. The decision stays with
    // the executor; the value it was committed with is kept to check the
    // Commit that ends the downgrade against (Agreement).
    env_->Cover("accept/downgrade");
    downgraded_.try_emplace(m.id, Decided{inst.cmd, inst.dep});
    inst.phase = Phase::kAccepted;
  }
  if (inst.phase == Phase::kAccepted && inst.abal == b) {
    // I.10: one Accept value per (id, ballot).
    EPSIM_CHECK(SamePayload(inst.cmd, m.cmd) && inst.dep == m.deps)
        << "p" << self_ << ": two Accept values for " << m.id.ToString()
        << " at ballot " << b;
  }
  SetBal(m.id, inst, b);
  inst.abal = b;
  SetCmd(m.id, inst, m.cmd);
  inst.dep = m.deps;
  inst.phase = Phase::kAccepted;
  TraceInstance(m.id, inst, "accept");
  SendTo(from, NewMessage(MsgKind::kAcceptOK, m.id, b));
  ArmRecoveryTimer(m.id, false);
}

// [P L34-36] C5: on AcceptOK(b, id) from a slow quorum, at the coordinator of
// ballot b; the guard admits COMMITTED too (no-downgrade rule of C4).
void StarReplica::HandleAcceptOK(NodeId from, const StarMessage& m) {
  auto it = accept_rounds_.find(m.id);
  const Instance* inst = Find(m.id);
  if (it == accept_rounds_.end() || inst == nullptr) return;
  AcceptRound& round = it->second;
  if (round.ballot != m.ballot || round.committed || inst->bal != m.ballot ||
      (inst->phase != Phase::kAccepted && inst->phase != Phase::kCommitted)) {
    return;  // dead
  }
  round.oks.insert(from);
  if (static_cast<int>(round.oks.size()) < options_->SlowQuorum()) return;
  round.committed = true;
  EPSIM_CHECK(SamePayload(inst->cmd, round.cmd) && inst->dep == round.dep)
      << "p" << self_ << ": accepted value of " << m.id.ToString()
      << " differs from the one it proposed at " << m.ballot;
  SendCommit(m.id, m.ballot, inst->cmd, inst->dep,
             m.ballot == 0 ? CommitPath::kSlow : CommitPath::kRecovery);
}

// [P L37-42] C6: on Commit(b, id, c, D). Returns false while bal < b (the
// guard may still become true: buffer).
bool StarReplica::HandleCommit(NodeId /*from*/, const StarMessage& m) {
  Instance& inst = Get(m.id);
  if (inst.phase == Phase::kCommitted) {
    // Whatever its ballot, the handler would change nothing here (pitfall
    // 6: never rewrite a committed entry), so it is not buffered; a second
    // Commit must agree (a free Agreement check).
    EPSIM_CHECK(SamePayload(inst.cmd, m.cmd) && inst.dep == m.deps)
        << "p" << self_ << ": Agreement: " << m.id.ToString()
        << " committed as " << PayloadString(inst.cmd) << " "
        << inst.dep.ToString() << " and now as " << PayloadString(m.cmd) << " "
        << m.deps.ToString();
    return true;
  }
  if (inst.bal < m.ballot) return false;
  if (inst.bal > m.ballot) {
    if (options_->commit_lower_ballot) {
      // Outside the paper (guard bal = b, [P L38]; docs/protocols.md Part V
      // item 3): a Commit carries the decided value whatever ballot this
      // process joined since (Agreement), so it is taken. bal stays.
      env_->Cover("commit/lower-ballot");
    } else {
      // Dead here (I.6), yet the id is decided. I.11 "lagging processes":
      // T2 recovers it and R3 finds the commit. Without this, a process
      // that joined a recovery whose recoverer then crashed, and that never
      // saw the PreAccept, has no other reason to look at the id again.
      env_->Cover("trigger/dead-commit");
      ArmRecoveryTimer(m.id, false);
      return true;
    }
  }
  bool first = true;
  if (auto d = downgraded_.find(m.id); d != downgraded_.end()) {
    // accept_guard=*-downgrade: committed here before, so this ends a
    // downgrade; it must carry the value the executor already holds.
    EPSIM_CHECK(SamePayload(d->second.cmd, m.cmd) && d->second.dep == m.deps)
        << "p" << self_ << ": Agreement: " << m.id.ToString()
        << " committed as " << PayloadString(d->second.cmd) << " "
        << d->second.dep.ToString() << ", downgraded, and now committed as "
        << PayloadString(m.cmd) << " " << m.deps.ToString();
    env_->Cover("commit/after-downgrade");
    downgraded_.erase(d);
    first = false;
  }
  inst.abal = m.ballot;
  SetCmd(m.id, inst, m.cmd);
  inst.dep = m.deps;
  inst.phase = Phase::kCommitted;
  inst.path = m.ballot == 0 ? m.path : CommitPath::kRecovery;
  CommitLocally(m.id, inst, inst.path, first);
  return true;
}

void StarReplica::CommitLocally(const CommandId& id, Instance& inst,
                                CommitPath path, bool first) {
  EPSIM_CHECK(inst.abal <= inst.bal);
  EPSIM_CHECK(inst.cmd != nullptr) << "committed ⊥ for " << id.ToString();
  TraceInstance(id, inst, first ? "commit" : "commit (again)");
  const bool nop = inst.cmd->nop;
  if (first) {
    CommitRecord record;
    record.id = id;
    record.command = *inst.cmd;
    record.deps = inst.dep;  // shared, not copied
    record.ballot = inst.abal;
    record.path = std::string(CommitPathName(path));
    env_->Committed(record);
    if (nop) env_->Cover("nop-commit");
  }

  CancelTimers(id);
  // (Most of these maps are empty in a fault-free run: skip the look-ups.)
  const auto forget = [&id](auto& map) {
    if (!map.empty()) map.erase(id);
  };
  forget(coordinating_);
  forget(accept_rounds_);
  forget(buffered_);
  forget(ballot_hints_);
  if (auto a = attempts_.find(id); a != attempts_.end()) {
    FinishAttempt(id, a->second);
    attempts_.erase(a);
  }

  // A commit that ends a downgrade was executed (or is waiting) and
  // resubmitted already: only the protocol bookkeeping above and the
  // wake-ups below run again.
  if (first) {
    // Fig. 1 through the shared executor (order inside a component: by id).
    executor_.Commit(id, inst.dep, nop, ExecOrderKey{},
                     [this](const CommandId& e) { ExecuteOne(e); });
    // T2: execution blocked on an uncommitted or unknown dependency.
    if (!executor_.IsDone(id)) {
      for (const CommandId& d : executor_.UncommittedDeps(id)) {
        const IdTimers* t = timers_.Find(d);
        if (t != nullptr && t->recovery != 0) continue;
        env_->Cover("trigger/blocked-execution");
        ArmRecoveryTimer(d, false);
      }
    }
    // C6: the coordinator's payload was replaced by Nop: submit it again
    // under a new id (pitfall 14), after this step's messages to self.
    if (nop && id.origin == static_cast<uint32_t>(self_) &&
        inst.init_cmd != nullptr) {
      env_->Cover("resubmit");
      resubmit_queue_.push_back(*inst.init_cmd);
    }
  }
  // R6 wake-ups: attempts waiting with id in their I.
  if (auto w = waiting_on_.find(id); w != waiting_on_.end()) {
    const absl::btree_set<CommandId> waiters = w->second;
    for (const CommandId& waiter : waiters) EvaluateWait(waiter);
  }
}

// [P L5-7] Fig. 1: execute one command of an executable component.
void StarReplica::ExecuteOne(const CommandId& id) {
  const Instance* found = Find(id);
  // A downgraded command (accept_guard=*-downgrade) is still decided: it
  // executes with the value it was committed with.
  const auto d = downgraded_.find(id);
  const bool downgraded = d != downgraded_.end();
  EPSIM_CHECK(found != nullptr &&
              (found->phase == Phase::kCommitted || downgraded));
  const Payload& cmd = downgraded ? d->second.cmd : found->cmd;
  // I.10: a Nop is never executed (the executor skips them).
  EPSIM_CHECK(cmd != nullptr && !cmd->nop);
  const KvStore::Outcome outcome = kv_.Apply(*cmd);
  ExecutionRecord record;
  record.id = id;
  record.command = *cmd;
  record.result = outcome.result;
  record.duplicate = outcome.duplicate;
  if (env_->TraceEnabled()) {
    Trace(absl::StrCat("execute ", id.ToString(), " ", cmd->ToString(),
                       outcome.duplicate ? " (duplicate)" : ""));
  }
  env_->Executed(record);
}

// ---------------------------------------------------------------------------
// Recovery (Fig. 5).

StarReplica::RecoveryAttempt* StarReplica::LiveAttempt(const CommandId& id) {
  auto it = attempts_.find(id);
  if (it == attempts_.end()) return nullptr;
  const Instance* inst = Find(id);
  if (inst == nullptr || inst->bal != it->second.ballot) return nullptr;
  return &it->second;
}

std::optional<Ballot> StarReplica::RecoveryBallot(const CommandId& id) const {
  auto it = attempts_.find(id);
  if (it == attempts_.end() || it->second.stage == Stage::kDone) {
    return std::nullopt;
  }
  const Instance* inst = Find(id);
  if (inst == nullptr || inst->bal != it->second.ballot) return std::nullopt;
  return it->second.ballot;
}

void StarReplica::CoverDecision(std::string_view branch) {
  env_->Cover(branch);
  env_->Cover("recovery/decided");  // the run summary's count
}

void StarReplica::FinishAttempt(const CommandId& id, RecoveryAttempt& attempt) {
  for (const CommandId& other : attempt.invalidating) {
    auto w = waiting_on_.find(other);
    if (w == waiting_on_.end()) continue;
    w->second.erase(id);
    if (w->second.empty()) waiting_on_.erase(w);
  }
  attempt.stage = Stage::kDone;
}

// [P L43-45] R1: recover(id) with the smallest owned ballot above bal[id]
// (or above a ballot hint), replacing any older attempt.
void StarReplica::Recover(const CommandId& id, std::optional<Ballot> ballot) {
  Instance& inst = Get(id);
  Ballot above = inst.bal;
  if (auto h = ballot_hints_.find(id); h != ballot_hints_.end()) {
    above = std::max(above, h->second);
  }
  const Ballot b =
      ballot ? *ballot : NextOwnedBallot(self_, options_->n, above);
  EPSIM_CHECK(b > inst.bal && BallotOwner(b, options_->n) == self_);
  if (auto old = attempts_.find(id); old != attempts_.end()) {
    FinishAttempt(id, old->second);
  }
  RecoveryAttempt fresh;
  fresh.ballot = b;
  attempts_[id] = std::move(fresh);
  ++timers_[id].attempts;
  env_->Cover("recovery/started");  // also the run summary's count
  Trace(absl::StrCat("recover ", id.ToString(), " at ballot ", b));
  Broadcast(NewMessage(MsgKind::kRecover, id, b));
  ArmRecoveryTimer(id, true);  // T3
}

// [P L46-49] R2: on Recover(b, id).
void StarReplica::HandleRecover(NodeId from, const StarMessage& m) {
  Instance& inst = Get(m.id);
  if (inst.bal >= m.ballot) {
    if (inst.bal > m.ballot) SendHint(from, m.id, inst.bal);
    return;
  }
  SetBal(m.id, inst, m.ballot);
  TraceInstance(m.id, inst, "join recovery");
  auto reply = NewMessage(MsgKind::kRecoverOK, m.id, m.ballot);
  reply->abal = inst.abal;
  reply->cmd = inst.cmd;
  reply->deps = inst.dep;
  reply->init_deps = inst.init_dep;
  reply->phase = inst.phase;
  SendTo(from, std::move(reply));
}

// [P L50-59, L76-80] R3: on RecoverOK(b, ...); late replies feed W4.
void StarReplica::HandleRecoverOK(NodeId from, const StarMessage& m) {
  RecoveryAttempt* attempt = LiveAttempt(m.id);
  if (attempt == nullptr || attempt->ballot != m.ballot) return;  // dead
  attempt->replies.emplace(
      from, RecoverReply{m.abal, m.cmd, m.deps, m.init_deps, m.phase});
  if (attempt->stage == Stage::kCollect &&
      static_cast<int>(attempt->replies.size()) >= options_->SlowQuorum()) {
    DecideRecovery(m.id, *attempt);
  } else if (attempt->stage == Stage::kWait &&
             !attempt->quorum.contains(from)) {
    EvaluateWait(m.id);
  }
}

// [P L50-60, L80] R3 with Q = the first n-f repliers.
void StarReplica::DecideRecovery(const CommandId& id,
                                 RecoveryAttempt& attempt) {
  const Ballot b = attempt.ballot;
  for (const auto& [q, r] : attempt.replies) attempt.quorum.insert(q);
  Ballot b_max = 0;
  for (const auto& [q, r] : attempt.replies) b_max = std::max(b_max, r.abal);
  // [P L54] a committed vote among the highest wins.
  for (const auto& [q, r] : attempt.replies) {
    if (r.abal == b_max && r.phase == Phase::kCommitted) {
      CoverDecision("recover/committed");
      attempt.stage = Stage::kDone;
      SendCommit(id, b, r.cmd, r.dep, CommitPath::kRecovery);
      return;
    }
  }
  // [P L55] an accepted vote among the highest wins.
  for (const auto& [q, r] : attempt.replies) {
    if (r.abal == b_max && r.phase == Phase::kAccepted) {
      CoverDecision("recover/accepted");
      attempt.stage = Stage::kDone;
      SendAccept(id, b, r.cmd, r.dep);
      return;
    }
  }
  // Nobody in Q voted: b_max = 0.
  const NodeId coordinator = static_cast<NodeId>(id.origin);
  if (attempt.quorum.contains(coordinator)) {
    // [P L56] the coordinator joined b: it can no longer fast-commit.
    CoverDecision("recover/coord-in-Q-nop");
    attempt.stage = Stage::kDone;
    SendAccept(id, b, NopPayload(), DepSet());
    return;
  }
  // [P L57-58] R_max: pre-accepted with the coordinator's dependencies.
  const RecoverReply* witness = nullptr;
  int r_max = 0;
  for (const auto& [q, r] : attempt.replies) {
    if (r.phase != Phase::kPreAccepted || !(r.dep == r.init_dep)) continue;
    ++r_max;
    if (witness == nullptr) {
      witness = &r;
    } else {
      // Every witness holds the original payload and initDep.
      EPSIM_CHECK(SamePayload(witness->cmd, r.cmd) && witness->dep == r.dep)
          << "p" << self_ << ": R_max witnesses of " << id.ToString()
          << " disagree";
    }
  }
  const int q_size = static_cast<int>(attempt.quorum.size());
  if (r_max >= q_size - options_->e) {
    // [P L59-60] possibly fast-committed: validate (c, D) with Q.
    EPSIM_CHECK(witness != nullptr && witness->cmd != nullptr &&
                !witness->cmd->nop);
    env_->Cover("recover/validate");
    attempt.cmd = witness->cmd;
    attempt.dep = witness->dep;
    attempt.r_max = r_max;
    attempt.stage = Stage::kValidate;
    const NodeSet quorum = attempt.quorum;
    for (NodeId q : quorum) {
      auto m = NewMessage(MsgKind::kValidate, id, b);
      m->cmd = attempt.cmd;
      m->deps = attempt.dep;
      SendTo(q, std::move(m));
    }
    return;
  }
  // [P L80] too few witnesses: no fast commit happened.
  CoverDecision("recover/rmax-too-small-nop");
  attempt.stage = Stage::kDone;
  SendAccept(id, b, NopPayload(), DepSet());
}

// [P L81-87] R4: on Validate(b, id, c, D). Returns false while bal < b.
bool StarReplica::HandleValidate(NodeId from, const StarMessage& m) {
  Instance& inst = Get(m.id);
  if (inst.bal < m.ballot) return false;
  if (inst.bal > m.ballot) return true;  // dead
  // A member of Q answered RecoverOK(b) uncommitted, so only this ballot's
  // own Commit(b) can have committed it since: the recoverer decided while
  // this Validate(b) was in flight (presumably by W4 on a late committed
  // RecoverOK; not yet traced). docs/protocols.md R4 "Defensive" asserted this
  // cannot happen; fuzzing found it (4 of 89,213 seeds). The attempt is
  // decided, so the Validate is dead, and line 2 must not overwrite
  // committed state.
  if (inst.phase == Phase::kCommitted) {
    env_->Cover("validate/after-commit");
    return true;
  }
  EPSIM_CHECK(m.cmd != nullptr && !m.cmd->nop);
  // [P L82-86] I_q, computed before the writes of line 2.
  const Command& c = *m.cmd;
  absl::btree_set<Invalidating> found;
  const KeyIndex* key = key_indexes_.Find(c.key);
  if (key != nullptr) {
    std::vector<CommandId> candidates;
    key->cmd.AppendConflicting(c.IsWrite(), candidates);
    for (const CommandId& other : candidates) {
      if (other == m.id || m.deps.Contains(other)) continue;
      const Instance& o = *Find(other);  // indexed, so known
      if (o.phase == Phase::kCommitted && !IsNop(o.cmd) &&
          Conflicts(*o.cmd, c) && !o.dep.Contains(m.id)) {
        found.insert({other, Phase::kCommitted});
      }
    }
  }
  if (key != nullptr) {
    std::vector<CommandId> candidates;
    key->init_cmd.AppendConflicting(c.IsWrite(), candidates);
    for (const CommandId& other : candidates) {
      if (other == m.id || m.deps.Contains(other)) continue;
      const Instance& o = *Find(other);  // indexed, so known
      if (o.phase != Phase::kCommitted && o.init_cmd != nullptr &&
          Conflicts(*o.init_cmd, c) && !o.init_dep.Contains(m.id)) {
        found.insert({other, o.phase});
      }
    }
  }
  // [P L83-85] line 2: from now on this process knows id's payload.
  SetCmd(m.id, inst, m.cmd);
  SetInitCmd(m.id, inst, m.cmd);
  inst.init_dep = m.deps;
  TraceInstance(m.id, inst, "validate");
  auto reply = NewMessage(MsgKind::kValidateOK, m.id, m.ballot);
  reply->invalidating.assign(found.begin(), found.end());
  if (options_->validate_ok_to_all) {
    Broadcast(std::move(reply));  // [P L87] as the figure says: "to all"
  } else {
    SendTo(from, std::move(reply));  // TLA+: to the sender (I.12 #2)
  }
  return true;
}

// [P L61-68] R5: on ValidateOK(b, id, I_q) from every member of Q.
void StarReplica::HandleValidateOK(NodeId from, const StarMessage& m) {
  RecoveryAttempt* attempt = LiveAttempt(m.id);
  if (attempt == nullptr || attempt->ballot != m.ballot ||
      attempt->stage != Stage::kValidate || !attempt->quorum.contains(from)) {
    return;  // dead
  }
  attempt->validate_ok.emplace(from, m.invalidating);
  if (attempt->validate_ok.size() < attempt->quorum.size()) return;
  const Ballot b = attempt->ballot;
  absl::btree_set<Invalidating> all;
  for (const auto& [q, i] : attempt->validate_ok)
    all.insert(i.begin(), i.end());
  if (all.empty()) {
    // [P L63-64] nothing could contradict a fast commit: keep the payload.
    CoverDecision("validate/empty-I-accept");
    attempt->stage = Stage::kDone;
    SendAccept(m.id, b, attempt->cmd, attempt->dep);
    return;
  }
  bool committed_conflict = false;
  bool coordinator_outside = false;
  for (const Invalidating& i : all) {
    committed_conflict |= i.phase == Phase::kCommitted;
    coordinator_outside |=
        !attempt->quorum.contains(static_cast<NodeId>(i.id.origin));
  }
  if (committed_conflict) {
    // [P L65-66] a committed conflicting command does not see id.
    CoverDecision("validate/committed-conflict-nop");
    attempt->stage = Stage::kDone;
    SendAccept(m.id, b, NopPayload(), DepSet());
    return;
  }
  const int tight = static_cast<int>(attempt->quorum.size()) - options_->e;
  if (attempt->r_max == tight && coordinator_outside) {
    // [P L65-66] tight R_max: a fast quorum would need initCoord(id').
    CoverDecision("validate/tight-rmax-nop");
    attempt->stage = Stage::kDone;
    SendAccept(m.id, b, NopPayload(), DepSet());
    return;
  }
  // [P L67-68] wait for the conflicting commands to settle.
  env_->Cover("validate/wait");
  attempt->stage = Stage::kWait;
  for (const Invalidating& i : all) attempt->invalidating.insert(i.id);
  const CommandId id = m.id;
  const int64_t r_max = attempt->r_max;
  for (const CommandId& other : attempt->invalidating) {
    waiting_on_[other].insert(id);
    const Instance* o = Find(other);
    if (o == nullptr || o->phase != Phase::kCommitted) {
      const IdTimers* t = timers_.Find(other);
      if (t == nullptr || t->recovery == 0) {
        env_->Cover("trigger/wait-deps");  // T4
        ArmRecoveryTimer(other, false);
      }
    }
  }
  auto waiting = NewMessage(MsgKind::kWaiting, id, 0);
  waiting->k = r_max;
  if (options_->waiting_to_self) {
    Broadcast(std::move(waiting));  // [P L68] "to all", self included
  } else {
    // As the TLA+ spec: to the others only; this process's other attempts
    // do not learn that it saw r_max witnesses (I.12 #3).
    for (NodeId q = 0; q < options_->n; ++q) {
      if (q != self_) env_->Send(q, waiting);
    }
  }
  EvaluateWait(id);
}

// [P L69-79] R6: the WAIT conditions, in the order W4 (committed), W2, W1,
// W4 (accepted, coordinator), W3 (docs/protocols.md R6 [CHOICE]).
void StarReplica::EvaluateWait(const CommandId& id) {
  RecoveryAttempt* attempt = LiveAttempt(id);
  if (attempt == nullptr || attempt->stage != Stage::kWait) return;
  const Ballot b = attempt->ballot;
  // [P L76-79] replies to Recover(b) from outside Q.
  const RecoverReply* late_committed = nullptr;
  const RecoverReply* late_accepted = nullptr;
  bool late_coordinator = false;
  for (const auto& [q, r] : attempt->replies) {
    if (attempt->quorum.contains(q)) continue;
    if (r.phase == Phase::kCommitted && late_committed == nullptr) {
      late_committed = &r;
    } else if (r.phase == Phase::kAccepted &&
               (late_accepted == nullptr || r.abal > late_accepted->abal)) {
      late_accepted = &r;
    } else if (q == static_cast<NodeId>(id.origin)) {
      late_coordinator = true;
    }
  }
  if (late_committed != nullptr) {
    CoverDecision("wait/W4-committed");
    const RecoverReply r = *late_committed;
    FinishAttempt(id, *attempt);
    SendCommit(id, b, r.cmd, r.dep, CommitPath::kRecovery);
    return;
  }
  // [P L70-73] the local view of the commands in I.
  bool all_settled = true;
  bool contradicts = false;
  for (const CommandId& other : attempt->invalidating) {
    const Instance* o = Find(other);
    if (o == nullptr || o->phase != Phase::kCommitted) {
      all_settled = false;
    } else if (!IsNop(o->cmd) && !o->dep.Contains(id)) {
      contradicts = true;
      all_settled = false;
    }
  }
  if (all_settled) {
    CoverDecision("wait/W2");
    FinishAttempt(id, *attempt);
    SendAccept(id, b, attempt->cmd, attempt->dep);
    return;
  }
  if (contradicts) {
    CoverDecision("wait/W1");
    FinishAttempt(id, *attempt);
    SendAccept(id, b, NopPayload(), DepSet());
    return;
  }
  if (late_accepted != nullptr) {
    CoverDecision("wait/W4-accepted");
    const RecoverReply r = *late_accepted;
    FinishAttempt(id, *attempt);
    SendAccept(id, b, r.cmd, r.dep);
    return;
  }
  if (late_coordinator) {
    CoverDecision("wait/W4-coord-nop");
    FinishAttempt(id, *attempt);
    SendAccept(id, b, NopPayload(), DepSet());
    return;
  }
  // [P L74-75] another recovery saw too many witnesses for id' to have been
  // fast-committed alongside id.
  for (const CommandId& other : attempt->invalidating) {
    auto seen = waiting_seen_.find(other);
    if (seen != waiting_seen_.end() &&
        seen->second > options_->WaitingThreshold()) {
      CoverDecision("wait/W3");
      FinishAttempt(id, *attempt);
      SendAccept(id, b, NopPayload(), DepSet());
      return;
    }
  }
}

// R7: on Waiting(id', k) (no handler in the figure; I.8 R7).
void StarReplica::HandleWaiting(const StarMessage& m) {
  int64_t& seen = waiting_seen_[m.id];
  if (m.k <= seen) return;
  seen = m.k;
  if (auto w = waiting_on_.find(m.id); w != waiting_on_.end()) {
    const absl::btree_set<CommandId> waiters = w->second;
    for (const CommandId& waiter : waiters) EvaluateWait(waiter);
  }
}

// Outside the paper (I.11 [CHOICE, optional]): remember a higher ballot so
// the next attempt jumps above it.
void StarReplica::HandleBallotHint(const StarMessage& m) {
  if (!attempts_.contains(m.id)) return;
  env_->Cover("hint/received");
  const Instance* inst = Find(m.id);
  if (inst != nullptr && m.ballot <= inst->bal) return;  // dead (ForgetBelow)
  Ballot& hint = ballot_hints_[m.id];
  hint = std::max(hint, m.ballot);
}

void StarReplica::SendHint(NodeId to, const CommandId& id, Ballot bal) {
  if (!options_->hint || to == self_) return;
  env_->Cover("hint/sent");
  SendTo(to, NewMessage(MsgKind::kBallotHint, id, bal));
}

// ---------------------------------------------------------------------------
// Timers (I.11).

void StarReplica::ArmRecoveryTimer(const CommandId& id, bool after_attempt) {
  const Instance* inst = Find(id);
  if (inst != nullptr && inst->phase == Phase::kCommitted) return;
  IdTimers& t = timers_[id];
  if (t.recovery != 0) {
    if (!after_attempt) return;
    env_->CancelTimer(t.recovery);
    timer_info_.erase(t.recovery);
    t.recovery = 0;
  }
  Duration delay;
  if (!after_attempt) {
    // T2: the coordinator's successors first (rank 0 waits one timeout),
    // the coordinator itself last; jitter separates equal ranks.
    const int n = options_->n;
    const int rank = ((self_ - static_cast<int>(id.origin) - 1) % n + n) % n;
    const Duration base = options_->commit_timeout;
    delay = base * (1 + rank) +
            static_cast<Duration>(env_->Random(static_cast<uint64_t>(base)));
  } else {
    // T3: randomized exponential back-off per (process, id).
    const Duration base = options_->recovery_timeout;
    const int shift = std::min(std::max(t.attempts - 1, 0), 6);
    delay = (base << shift) + static_cast<Duration>(env_->Random(
                                  static_cast<uint64_t>(base << shift)));
  }
  t.recovery = env_->SetTimer(delay, kRecoveryTimer);
  timer_info_[t.recovery] = {id, kRecoveryTimer};
}

void StarReplica::ArmFastTimer(const CommandId& id) {
  IdTimers& t = timers_[id];
  if (t.fast != 0) return;
  t.fast = env_->SetTimer(options_->fast_timeout, kFastPathTimer);
  timer_info_[t.fast] = {id, kFastPathTimer};
}

void StarReplica::CancelFastTimer(const CommandId& id) {
  IdTimers* t = timers_.Find(id);
  if (t == nullptr || t->fast == 0) return;
  env_->CancelTimer(t->fast);
  timer_info_.erase(t->fast);
  t->fast = 0;
}

void StarReplica::CancelTimers(const CommandId& id) {
  IdTimers* t = timers_.Find(id);
  if (t == nullptr) return;
  for (TimerId timer : {t->fast, t->recovery}) {
    if (timer == 0) continue;
    env_->CancelTimer(timer);
    timer_info_.erase(timer);
  }
  *t = IdTimers{};
}

// ---------------------------------------------------------------------------
// Introspection.

void StarReplica::Trace(std::string_view what) {
  if (!env_->TraceEnabled()) return;
  env_->Trace(absl::StrCat("p", self_, " ", Av(what)));
}

void StarReplica::TraceInstance(const CommandId& id, const Instance& inst,
                                std::string_view why) {
  if (!env_->TraceEnabled()) return;
  env_->Trace(absl::StrCat("p", self_, " ", id.ToString(), " ", Av(why),
                           ": phase=", Av(PhaseName(inst.phase)),
                           " bal=", inst.bal, " abal=", inst.abal,
                           " cmd=", PayloadString(inst.cmd),
                           " dep=", inst.dep.ToString()));
}

std::vector<PendingCommand> StarReplica::Pending() const {
  std::vector<PendingCommand> out;
  instances_.ForEach([&](const CommandId& id, const Instance& inst) {
    if (inst.phase == Phase::kCommitted && executor_.IsDone(id)) return;
    PendingCommand p;
    p.id = id;
    p.phase = std::string(PhaseName(inst.phase));
    // Uncommitted: it waits for its own decision (phase, recovery say how
    // far); committed: for the uncommitted commands its execution needs.
    if (inst.phase == Phase::kCommitted) p.waiting_on = executor_.BlockedOn(id);
    p.recovery = RecoveryBallot(id);
    if (inst.init_cmd != nullptr) p.request = inst.init_cmd->request;
    out.push_back(std::move(p));
  });
  std::sort(out.begin(), out.end(),
            [](const PendingCommand& a, const PendingCommand& b) {
              return a.id < b.id;
            });
  return out;
}

// An Accept or Recover ignored at the ballot this replica holds is answered
// with a hint (I.11) once the ballot here grows past it. Every other
// message ignored here is ignored for good: replies name an attempt or
// ballot that never comes back, requests below the ballot stay below it.
//
// accept_guard=*-downgrade adds one: a COMMITTED process ignores every
// Commit, and a later Accept may turn it back into ACCEPTED at that
// Commit's ballot, where the Commit acts.
bool StarReplica::MayActLaterOnIgnored(NodeId /*from*/,
                                       const Message& message) const {
  const auto* m = ExactCast<StarMessage>(&message);
  if (m == nullptr) return false;
  if (options_->hint &&
      (m->kind == MsgKind::kAccept || m->kind == MsgKind::kRecover)) {
    return true;
  }
  return options_->Downgrades() && m->kind == MsgKind::kCommit;
}

std::unique_ptr<Replica> StarReplica::Clone(Env& env) const {
  auto copy = std::make_unique<StarReplica>(*this);
  copy->env_ = &env;
  return copy;
}

uint64_t StarReplica::StateHash() const {
  Hasher h;
  h.Add(static_cast<uint64_t>(self_)).Add(next_counter_);
  // Instances: order-independent sum of per-id digests.
  uint64_t sum = 0;
  instances_.ForEach([&](const CommandId& id, const Instance& inst) {
    Hasher i;
    i.Add(id).Add(static_cast<uint64_t>(inst.phase)).Add(inst.bal);
    i.Add(inst.abal).Add(inst.cmd).Add(inst.init_cmd).Add(inst.dep);
    i.Add(inst.init_dep);
    sum += i.value();
  });
  h.Add(sum).Add(instances_.size());
  for (const auto& [id, k] : waiting_seen_) {
    h.Add(id).Add(static_cast<uint64_t>(k));
  }
  for (const auto& [id, d] : downgraded_) h.Add(id).Add(d.cmd).Add(d.dep);
  h.Add(executor_.Digest()).Add(kv_.Digest());
  // Volatile bookkeeping is state too (I.4).
  for (const auto& [id, c] : coordinating_) {
    h.Add(id).Add(c.timer_expired);
    for (const auto& [q, d] : c.replies) h.Add(static_cast<uint64_t>(q)).Add(d);
  }
  for (const auto& [id, r] : accept_rounds_) {
    h.Add(id).Add(r.ballot).Add(r.committed).Add(r.oks.size());
    for (NodeId q : r.oks) h.Add(static_cast<uint64_t>(q));
  }
  for (const auto& [id, a] : attempts_) {
    h.Add(id).Add(a.ballot).Add(static_cast<uint64_t>(a.stage));
    // Every field an attempt's later steps read (explore's visited set
    // must not merge two states that can still diverge).
    for (const auto& [q, r] : a.replies) {
      h.Add(static_cast<uint64_t>(q)).Add(r.abal).Add(r.cmd).Add(r.dep);
      h.Add(r.init_dep).Add(static_cast<uint64_t>(r.phase));
    }
    for (NodeId q : a.quorum) h.Add(static_cast<uint64_t>(q));
    h.Add(static_cast<uint64_t>(a.r_max)).Add(a.cmd).Add(a.dep);
    for (const auto& [q, list] : a.validate_ok) {
      h.Add(static_cast<uint64_t>(q)).Add(list.size());
      for (const Invalidating& i : list) {
        h.Add(i.id).Add(static_cast<uint64_t>(i.phase));
      }
    }
    for (const CommandId& i : a.invalidating) h.Add(i);
  }
  for (const auto& [id, waiters] : waiting_on_) {
    h.Add(id).Add(waiters.size());
    for (const CommandId& w : waiters) h.Add(w);
  }
  for (const auto& [id, hint] : ballot_hints_) h.Add(id).Add(hint);
  for (const auto& [id, msgs] : buffered_) {
    for (const Buffered& b : msgs) {
      h.Add(static_cast<uint64_t>(b.from)).Add(b.message->Fingerprint());
    }
  }
  return h.value();
}

}  // namespace epsim::protocol::epaxos_star
