#include "protocol/epaxos/replica.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "base/strings.h"

namespace epsim::protocol::epaxos {
namespace {

constexpr uint64_t kRecoveryTimerKind = 1;
// The Go executor loop's next pass (it sleeps between passes).
constexpr uint64_t kExecutorTickTag = uint64_t{2} << 60;
constexpr uint64_t kCounterBits = 48;
constexpr uint64_t kCounterMask = (uint64_t{1} << kCounterBits) - 1;

// Row order (owner, instance), as the Go executor walks dependencies.
bool RowLess(const CommandId& a, const CommandId& b) {
  return a.origin != b.origin ? a.origin < b.origin : a.counter < b.counter;
}

}  // namespace

uint64_t RecoveryTimerTag(const CommandId& id) {
  return (kRecoveryTimerKind << 60) |
         (static_cast<uint64_t>(id.origin & 0xfff) << kCounterBits) |
         (id.counter & kCounterMask);
}

std::optional<CommandId> RecoveryTimerInstance(uint64_t tag) {
  if ((tag >> 60) != kRecoveryTimerKind) return std::nullopt;
  return CommandId{static_cast<uint32_t>((tag >> kCounterBits) & 0xfff),
                   tag & kCounterMask};
}

std::vector<std::string> EpaxosCoverageBranches(const EpaxosOptions& options) {
  std::vector<std::string> branches = {
      "fast-path",
      "slow-path",
      "slow-path/timeout",
      "owner/resend",
      "preempted",
      "commit/learned",
      "commit/duplicate",
      "commit/conflicting-ignored",
      "commit/overwrite",
      "nop-commit",
      "repropose",
      "recovery/started",
      "recovery/decided",
      "recovery/nack",
      "prepare/committed",
      "prepare/accepted",
      "prepare/preaccepted-accept",
      "prepare/trypreaccept",
      "prepare/phase1",
      "prepare/noop",
      "prepare/leader-early-return",
      "tpa/ok-accept",
      "tpa/conflict-committed-phase1",
      "tpa/defer",
      "tpa/cycle-phase1",
      "tpa/nack-ballot",
      "tpa/nack-self",
      "exec/blocked",
      "panic/tpa-nil-instance",
      "panic/tpa-scan-index",
  };
  // A quirk's branch is listed only when the quirk is switched on: off, it
  // cannot run, and the coverage table should not call it NEVER REACHED.
  static constexpr std::pair<Quirk, std::string_view> kQuirkBranches[] = {
      {Quirk::kGoAcceptWrongRow, "quirk/accept-wrong-row"},
      {Quirk::kGoPhase1WrongRow, "quirk/phase1-wrong-row"},
      {Quirk::kGoTpaWrongMessage, "quirk/tpa-wrong-message"},
      {Quirk::kGoNoopKeepsStaleCmd, "quirk/noop-direct-accept"},
      {Quirk::kGoCommitshortRepropose, "quirk/commitshort-repropose"},
      {Quirk::kGoCommitOverExecuted, "quirk/commit-over-executed"},
      {Quirk::kGoPrepareMiscount, "quirk/prepare-miscount"},
      {Quirk::kGoExecBusywait, "quirk/exec-busywait"},
      {Quirk::kGoExecNilCmds, "quirk/exec-nil-stall"},
      {Quirk::kSpecTpaPlaceholderStall, "quirk/tpa-placeholder-stall"},
      {Quirk::kProtoRecoveryDeadlock, "quirk/recovery-deadlock-wait"},
  };
  for (const auto& [quirk, branch] : kQuirkBranches) {
    if (options.Has(quirk)) branches.emplace_back(branch);
  }
  return branches;
}

EpaxosReplica::EpaxosReplica(std::shared_ptr<const EpaxosOptions> options,
                             NodeId self, Env& env)
    : options_(std::move(options)), self_(self), env_(&env) {
  go_exec_.execed_upto.assign(options_->n, 0);
  go_exec_.row_max.assign(options_->n, 0);
}

// ---------------------------------------------------------------------------
// Entry points

void EpaxosReplica::Start() {
  if (inert_) return;
  ArmAllUncommitted();
}

// [SOSP Fig.2 E1] a client command gets the next instance of this replica.
void EpaxosReplica::OnClientRequest(const Command& command) {
  if (inert_) return;
  const CommandId id{static_cast<uint32_t>(self_), next_instance_++};
  proposals_[id] = command;
  StartPhase1(id, command, /*ballot=*/0, /*fast_allowed=*/true);
  RunGoExecutor();
}

void EpaxosReplica::OnMessage(NodeId from, const Message& message) {
  if (inert_) return;
  const auto* m = ExactCast<EpaxosMessage>(&message);
  if (m == nullptr) return;
  switch (m->kind) {
    case MsgKind::kPreAccept:
      HandlePreAccept(*m);
      break;
    case MsgKind::kPreAcceptReply:
      HandlePreAcceptReply(from, *m);
      break;
    case MsgKind::kAccept:
      HandleAccept(*m);
      break;
    case MsgKind::kAcceptReply:
      HandleAcceptReply(from, *m);
      break;
    case MsgKind::kCommit:
      HandleCommit(*m);
      break;
    case MsgKind::kPrepare:
      HandlePrepare(*m);
      break;
    case MsgKind::kPrepareReply:
      HandlePrepareReply(from, *m);
      break;
    case MsgKind::kTryPreAccept:
      HandleTryPreAccept(*m);
      break;
    case MsgKind::kTryPreAcceptReply:
      HandleTryPreAcceptReply(from, *m);
      break;
  }
  if (!inert_) RunGoExecutor();
}

// [GO executeCommands; II.6 trigger] commit timeout of one instance.
void EpaxosReplica::OnTimer(TimerId timer, uint64_t tag) {
  if (inert_) return;
  if (tag == kExecutorTickTag) {
    go_exec_.tick_armed = false;
    RunGoExecutor();
    return;
  }
  const std::optional<CommandId> id = RecoveryTimerInstance(tag);
  if (!id) return;
  if (auto t = timers_.find(*id); t != timers_.end()) {
    // A scripted timeout may fire while the real timer is still armed.
    if (t->second != timer) env_->CancelTimer(t->second);
    timers_.erase(t);
  }
  Timeout(*id, std::nullopt);
}

absl::Status EpaxosReplica::StartRecovery(CommandId id,
                                          std::optional<Ballot> ballot) {
  if (inert_) {
    return absl::FailedPreconditionError(
        absl::StrCat("replica ", self_, " has crashed (ported Go panic)"));
  }
  if (ballot && (static_cast<NodeId>(*ballot & 0xff) != self_ ||
                 BallotRound(*ballot) == 0 || *ballot < NextBallot(id))) {
    return absl::InvalidArgumentError(
        absl::StrCat("epaxos replica ", self_, ": recovery ballot ", *ballot,
                     " (", BallotString(*ballot), ") must be (k << 8) | ",
                     self_, " with k >= 1 and at least ", NextBallot(id), " (",
                     BallotString(NextBallot(id)), ") for ", id.ToString()));
  }
  if (auto t = timers_.find(id); t != timers_.end()) {
    env_->CancelTimer(t->second);
    timers_.erase(t);
  }
  Timeout(id, ballot);
  return absl::OkStatus();
}

// The commit timer of `id` expired (or a script says so).
void EpaxosReplica::Timeout(const CommandId& id, std::optional<Ballot> ballot) {
  if (IsCommitted(id)) return;
  if (auto l = leads_.find(id); l != leads_.end() && l->second.stalled) {
    // SPEC quirk 3.4: the instance stays in leaderOfInst, which disables
    // SendPrepare for it here for good.
    env_->Cover("quirk/tpa-placeholder-stall");
    return;
  }
  if (auto d = deferred_.find(id); d != deferred_.end() &&
                                   Q(Quirk::kProtoRecoveryDeadlock) &&
                                   !IsCommitted(d->second)) {
    // PROTO quirk 3.3: the TR defers the victim until the conflicting
    // command commits; its timer is re-armed by that commit.
    env_->Cover("quirk/recovery-deadlock-wait");
    return;
  }
  if (Q(Quirk::kGoExecBusywait) && GoExecBlocked()) {
    // GO quirk 4.6: the only recovery trigger lives in the executor loop,
    // which is spinning inside its DFS. Timers are re-armed when it leaves.
    env_->Cover("quirk/exec-busywait");
    return;
  }
  auto lead = leads_.find(id);
  if (!ballot && lead != leads_.end() && lead->second.ballot == 0 &&
      lead->second.phase == Phase::kPreAccept &&
      static_cast<int>(lead->second.preaccept_votes.size()) >= F()) {
    // The owner has a slow quorum of PreAccept replies but not the fast
    // quorum it waited for: settle for the slow path.
    env_->Cover("slow-path/timeout");
    SlowPath(id);
  } else if (!ballot && lead != leads_.end() && lead->second.ballot == 0 &&
             (lead->second.phase == Phase::kPreAccept ||
              lead->second.phase == Phase::kAccept)) {
    // The owner's own attempt is alive (nobody made it promise a higher
    // ballot): ask every peer that has not answered again rather than
    // recover its own command, which preempts the attempt and, with
    // timeouts near the round trip, duels with every other recoverer.
    env_->Cover("owner/resend");
    ResendAsOwner(id);
  } else {
    BeginRecovery(id, ballot);
  }
  ArmTimer(id);
  RunGoExecutor();
}

void EpaxosReplica::Restart() {
  inert_ = false;
  leads_.clear();
  timers_.clear();
  attempts_.clear();
  last_preaccept_.reset();
  go_exec_.root.reset();
  go_exec_.waiting_on.reset();
  go_exec_.tick_armed = false;
  if (!options_->durable) {
    // ctl-amnesia: the restarted process is a fresh one.
    instances_.clear();
    next_instance_ = 1;
    proposals_.clear();
    kv_ = KvStore();
    executor_ = DependencyExecutor();
    go_exec_.execed_upto.assign(options_->n, 0);
    go_exec_.row_max.assign(options_->n, 0);
    by_key_ = KeyMap<KeyIds>();
    noops_ = IdSet();
    with_payload_.clear();
    deferred_.clear();
    committed_chunks_.clear();
  }
}

// What DependencyExecutor::BlockedOn(id) gives for every committed, not yet
// executed instance at once: the (at most kBlockedOnLimit smallest)
// uncommitted ids reachable through committed, unexecuted instances. One
// backward walk per uncommitted id instead of one forward walk per blocked
// instance: the liveness report asks for all of them, and thousands of
// commands blocked behind one hole made the forward walks quadratic.
absl::flat_hash_map<CommandId, std::vector<CommandId>>
EpaxosReplica::BlockedOnAll() const {
  constexpr size_t kBlockedOnLimit = 16;
  auto blocked = [this](const CommandId& id, const Instance& inst) {
    return inst.status >= Status::kCommitted && !executor_.IsDone(id);
  };
  // Blocked instance -> the blocked instances that list it as a dep; and
  // uncommitted id -> the blocked instances that list it (ascending ids).
  absl::flat_hash_map<CommandId, std::vector<CommandId>> listed_by;
  absl::btree_map<CommandId, std::vector<CommandId>> holes;
  for (const auto& [id, inst] : instances_) {
    if (!blocked(id, inst)) continue;
    for (const CommandId& d : inst.deps) {
      auto it = instances_.find(d);
      if (it == instances_.end() || it->second.status < Status::kCommitted) {
        holes[d].push_back(id);
      } else if (blocked(d, it->second)) {
        listed_by[d].push_back(id);
      }
    }
  }
  absl::flat_hash_map<CommandId, std::vector<CommandId>> out;
  for (const auto& [hole, first] : holes) {
    absl::flat_hash_set<CommandId> seen(first.begin(), first.end());
    std::vector<CommandId> work = first;
    while (!work.empty()) {
      const CommandId v = work.back();
      work.pop_back();
      std::vector<CommandId>& waits = out[v];
      if (waits.size() < kBlockedOnLimit) waits.push_back(hole);
      if (auto users = listed_by.find(v); users != listed_by.end()) {
        for (const CommandId& u : users->second) {
          if (seen.insert(u).second) work.push_back(u);
        }
      }
    }
  }
  return out;
}

std::vector<PendingCommand> EpaxosReplica::Pending() const {
  std::vector<PendingCommand> out;
  absl::flat_hash_map<CommandId, std::vector<CommandId>> blocked_on;
  if (!options_->AnyQuirk()) blocked_on = BlockedOnAll();
  for (const auto& [id, inst] : instances_) {
    if (inst.status == Status::kNone || inst.status == Status::kExecuted) {
      continue;
    }
    if (!options_->AnyQuirk() && executor_.IsDone(id)) continue;
    PendingCommand p;
    p.id = id;
    p.phase = std::string(StatusName(inst.status));
    if (inst.status == Status::kCommitted) {
      if (options_->AnyQuirk()) {
        p.waiting_on = UncommittedIn(inst.deps);
        if (go_exec_.waiting_on && p.waiting_on.empty()) {
          p.waiting_on.push_back(*go_exec_.waiting_on);
        }
      } else if (auto b = blocked_on.find(id); b != blocked_on.end()) {
        p.waiting_on = std::move(b->second);
      }
    }
    if (auto l = leads_.find(id); l != leads_.end() && l->second.ballot > 0) {
      p.recovery = l->second.ballot;
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::unique_ptr<Replica> EpaxosReplica::Clone(Env& env) const {
  auto copy = std::make_unique<EpaxosReplica>(*this);
  copy->env_ = &env;
  return copy;
}

uint64_t EpaxosReplica::StateHash() const {
  StableHasher h;
  h.Add(static_cast<uint64_t>(self_)).Add(inert_ ? 1 : 0).Add(next_instance_);
  for (const auto& [id, inst] : instances_) {
    h.Add(id)
        .Add(static_cast<uint64_t>(inst.status))
        .Add(inst.cmd)
        .Add(static_cast<uint64_t>(inst.seq))
        .Add(inst.deps)
        .Add(inst.bal)
        .Add(inst.vbal)
        .Add(inst.unchanged ? 1 : 0)
        .Add(inst.max_seen);
  }
  for (const auto& [id, cmd] : proposals_) h.Add(id).Add(cmd);
  h.Add(kv_.Digest()).Add(executor_.Digest());
  for (uint64_t upto : go_exec_.execed_upto) h.Add(upto);
  h.Add(go_exec_.root ? 1 : 0).Add(go_exec_.root.value_or(CommandId{}));
  h.Add(go_exec_.tick_armed ? 1 : 0);
  for (const auto& [id, on] : deferred_) h.Add(id).Add(on);
  for (const auto& [id, lead] : leads_) {
    h.Add(id)
        .Add(lead.ballot)
        .Add(static_cast<uint64_t>(lead.phase))
        .Add(lead.fast_allowed ? 1 : 0)
        .Add(lead.cmd)
        .Add(static_cast<uint64_t>(lead.seq))
        .Add(lead.deps)
        .Add(lead.stalled ? 1 : 0);
    for (const auto& [from, v] : lead.preaccept_votes) {
      h.Add(static_cast<uint64_t>(from))
          .Add(static_cast<uint64_t>(v.seq))
          .Add(v.deps)
          .Add(v.unchanged ? 1 : 0);
    }
    for (NodeId q : lead.accept_oks) h.Add(static_cast<uint64_t>(q));
    for (const PrepareVote& v : lead.prepare_votes) {
      h.Add(static_cast<uint64_t>(v.from))
          .Add(v.vote_ballot)
          .Add(static_cast<uint64_t>(v.status))
          .Add(v.cmd)
          .Add(static_cast<uint64_t>(v.seq))
          .Add(v.deps);
    }
    for (NodeId q : lead.tpa_replied) h.Add(static_cast<uint64_t>(q));
    for (NodeId q : lead.tpa_oks) h.Add(static_cast<uint64_t>(q) + 1000);
  }
  for (const auto& [id, timer] : timers_) h.Add(id);
  for (const auto& [id, tries] : attempts_) {
    h.Add(id).Add(static_cast<uint64_t>(tries));
  }
  return h.value();
}

const EpaxosReplica::Instance* EpaxosReplica::Find(const CommandId& id) const {
  auto it = instances_.find(id);
  return it == instances_.end() ? nullptr : &it->second;
}

// ---------------------------------------------------------------------------
// Commit protocol

// [SOSP Fig.2 E1] Phase 1 at the leader (also recovery's "restart Phase 1"
// at a higher ballot, where the fast path is not allowed).
void EpaxosReplica::StartPhase1(const CommandId& id, const Command& cmd,
                                Ballot ballot, bool fast_allowed) {
  IdSet deps = Interfering(cmd, id);
  const int64_t seq = 1 + MaxSeq(deps);
  Instance& inst = GetOrCreate(id);
  SetPayload(id, inst, cmd);
  inst.seq = seq;
  inst.deps = deps;
  SetStatus(inst, Status::kPreAccepted);
  inst.unchanged = false;
  SetBallots(inst, ballot);
  Lead& lead = leads_[id] = Lead{};
  lead.ballot = ballot;
  lead.phase = Phase::kPreAccept;
  lead.fast_allowed = fast_allowed;
  lead.cmd = cmd;
  lead.seq = seq;
  lead.deps = deps;
  TraceInstance(id, ballot == 0 ? "propose" : "recovery phase 1");

  EpaxosMessage m;
  m.kind = MsgKind::kPreAccept;
  m.id = id;
  m.sender = self_;
  m.ballot = ballot;
  m.cmd = cmd;
  m.seq = seq;
  m.deps = std::move(deps);
  last_preaccept_ = m;
  SendAll(FanOut(id, options_->FastQuorum() - 1), m);
  ArmTimer(id);
}

// [SOSP Fig.2 E2] PreAccept at a replica: merge local interference.
void EpaxosReplica::HandlePreAccept(const EpaxosMessage& m) {
  Instance& inst = GetOrCreate(m.id);
  if (inst.status >= Status::kAccepted) {
    // [GO handlePreAccept] an accepted/committed instance only gets a
    // missing payload filled in, and no reply.
    if (!inst.cmd && m.cmd) {
      SetPayload(m.id, inst, m.cmd);
      TraceInstance(m.id, "payload filled by PreAccept");
    }
    return;
  }
  EpaxosMessage reply;
  reply.kind = MsgKind::kPreAcceptReply;
  reply.id = m.id;
  reply.sender = self_;
  reply.ballot = m.ballot;
  if (m.ballot < inst.bal || !m.cmd) {
    reply.ok = false;
    reply.other_ballot = inst.bal;
    Send(m.sender, reply);
    return;
  }
  // vbal is the ballot of the last vote in both modes (a Prepare raises
  // only bal), so this recognises a duplicate of the PreAccept we answered.
  const bool duplicate = inst.status == Status::kPreAccepted &&
                         inst.bal == m.ballot && inst.vbal == m.ballot &&
                         inst.cmd == m.cmd;
  if (!duplicate) {
    Preempt(m.id, m.ballot);
    const IdSet local = Interfering(*m.cmd, m.id);
    const int64_t seq = std::max(m.seq, 1 + MaxSeq(local));
    IdSet deps = Without(Union(m.deps, local), m.id);
    Instance& in = instances_[m.id];
    in.unchanged = seq == m.seq && deps == m.deps;
    SetPayload(m.id, in, m.cmd);
    in.seq = seq;
    in.deps = std::move(deps);
    SetStatus(in, Status::kPreAccepted);
    SetBallots(in, m.ballot);
    TraceInstance(m.id, "preaccept");
  }
  const Instance& in = instances_[m.id];
  reply.seq = in.seq;
  reply.deps = in.deps;
  reply.unchanged = in.unchanged;
  reply.committed_deps = WithoutSorted(in.deps, UncommittedIn(in.deps));
  Send(m.sender, reply);
  ArmTimer(m.id);
}

// [SOSP Fig.2 E3] leader collects PreAccept replies.
void EpaxosReplica::HandlePreAcceptReply(NodeId from, const EpaxosMessage& m) {
  auto it = leads_.find(m.id);
  if (it == leads_.end() || it->second.phase != Phase::kPreAccept ||
      it->second.ballot != m.ballot) {
    return;
  }
  if (!m.ok) {
    Preempt(m.id, m.other_ballot);
    return;
  }
  PreAcceptVote vote{m.seq, m.deps, m.committed_deps, m.unchanged};
  if (!it->second.preaccept_votes.emplace(from, std::move(vote)).second) {
    return;  // duplicate
  }
  TryDecidePhase1(m.id);
}

// [SOSP Fig.2 E3; TLA Phase1Fast] fast path when the fast quorum's replies
// are identical (and, optimized, every dependency is committed); else slow.
void EpaxosReplica::TryDecidePhase1(const CommandId& id) {
  Lead& lead = leads_.at(id);
  const int replies = static_cast<int>(lead.preaccept_votes.size());
  const int need = options_->FastQuorum() - 1;
  // Thrifty: a recovery only counts the fixed fast quorum's pre-accepts
  // (InOwnersFastQuorum), so only those make the fast path, also once a
  // resend reached the other peers.
  std::vector<const PreAcceptVote*> fast;
  for (const auto& [from, v] : lead.preaccept_votes) {
    if (!options_->thrifty || InOwnersFastQuorum(from, id)) fast.push_back(&v);
  }
  bool identical = true;
  for (const PreAcceptVote* v : fast) {
    identical = identical && v->seq == fast.front()->seq &&
                v->deps == fast.front()->deps;
  }
  const int fast_replies = static_cast<int>(fast.size());
  if (lead.fast_allowed && fast_replies >= need && identical) {
    const PreAcceptVote& first = *fast.front();
    bool committed = true;
    if (options_->Optimized()) {
      // The deps committed here are known; each other one must be known
      // committed by some reply.
      for (const CommandId& d : UncommittedIn(first.deps)) {
        bool known = false;
        for (const auto& [from, v] : lead.preaccept_votes) {
          known = known || v.committed_deps.Contains(d);
        }
        committed = committed && known;
      }
    }
    if (committed) {
      env_->Cover("fast-path");
      CommitAsLeader(id, lead.cmd, first.seq, first.deps, "fast");
      return;
    }
  }
  const bool fast_impossible =
      !lead.fast_allowed || !identical || fast_replies >= need;
  if (replies >= F() && fast_impossible) {
    env_->Cover("slow-path");
    SlowPath(id);
  }
}

// The owner's Phase 1 or Accept timed out: the same message again, to
// every peer whose reply is missing (thrifty peers may have crashed).
void EpaxosReplica::ResendAsOwner(const CommandId& id) {
  Lead& lead = leads_.at(id);
  // The fast quorum had its chance: a slow quorum of replies now decides.
  lead.fast_allowed = false;
  EpaxosMessage m;
  m.kind =
      lead.phase == Phase::kPreAccept ? MsgKind::kPreAccept : MsgKind::kAccept;
  m.id = id;
  m.sender = self_;
  m.ballot = lead.ballot;
  if (m.kind == MsgKind::kPreAccept || !Q(Quirk::kGoAcceptNoPayload)) {
    m.cmd = lead.cmd;
  }
  m.seq = lead.seq;
  m.deps = lead.deps;
  std::vector<NodeId> to;
  for (NodeId q : Others()) {
    const bool answered = m.kind == MsgKind::kPreAccept
                              ? lead.preaccept_votes.contains(q)
                              : lead.accept_oks.contains(q);
    if (!answered) to.push_back(q);
  }
  SendAll(to, m);
}

// [SOSP Fig.2 E3 line 4] union of the replies' deps, max of their seq.
void EpaxosReplica::SlowPath(const CommandId& id) {
  const Lead& lead = leads_.at(id);
  int64_t seq = lead.seq;
  IdSet deps = lead.deps;
  for (const auto& [from, v] : lead.preaccept_votes) {
    seq = std::max(seq, v.seq);
    deps = Union(deps, v.deps);
  }
  StartAccept(id, lead.cmd, seq, std::move(deps), lead.ballot);
}

// [SOSP Fig.2 E4] Paxos-Accept at the leader.
void EpaxosReplica::StartAccept(const CommandId& id,
                                const std::optional<Command>& cmd, int64_t seq,
                                IdSet deps, Ballot ballot) {
  Instance& inst = GetOrCreate(id);
  SetPayload(id, inst, cmd);
  inst.seq = seq;
  inst.deps = deps;
  SetStatus(inst, Status::kAccepted);
  inst.unchanged = false;
  SetBallots(inst, ballot);
  Lead& lead = leads_[id];
  lead.ballot = ballot;
  lead.phase = Phase::kAccept;
  lead.cmd = cmd;
  lead.seq = seq;
  lead.deps = deps;
  lead.accept_oks = {self_};
  TraceInstance(id, "accept (leader)");

  EpaxosMessage m;
  m.kind = MsgKind::kAccept;
  m.id = id;
  m.sender = self_;
  m.ballot = ballot;
  if (!Q(Quirk::kGoAcceptNoPayload)) m.cmd = cmd;
  m.seq = seq;
  m.deps = std::move(deps);
  SendAll(FanOut(id, F()), m);
}

// [SOSP Fig.2 E4] Accept at a replica. GO quirk 4.10 files a recovery
// Accept under the sender's row; GO quirk 4.4 keeps an existing payload.
void EpaxosReplica::HandleAccept(const EpaxosMessage& m) {
  CommandId slot = m.id;
  if (Q(Quirk::kGoAcceptWrongRow) &&
      m.sender != static_cast<NodeId>(m.id.origin)) {
    slot = CommandId{static_cast<uint32_t>(m.sender), m.id.counter};
    env_->Cover("quirk/accept-wrong-row");
  }
  Instance& inst = GetOrCreate(slot);
  if (inst.status >= Status::kCommitted) return;  // [GO] silently ignored
  EpaxosMessage reply;
  reply.kind = MsgKind::kAcceptReply;
  reply.id = m.id;
  reply.sender = self_;
  reply.ballot = m.ballot;
  if (m.ballot < inst.bal) {
    reply.ok = false;
    reply.other_ballot = inst.bal;
    Send(m.sender, reply);
    return;
  }
  Preempt(slot, m.ballot);
  Instance& in = instances_[slot];
  const bool keep = Q(Quirk::kGoNoopKeepsStaleCmd) && in.cmd.has_value();
  if (m.cmd && slot == m.id && !keep) SetPayload(slot, in, m.cmd);
  in.seq = m.seq;
  in.deps = m.deps;
  SetStatus(in, Status::kAccepted);
  in.unchanged = false;
  SetBallots(in, m.ballot);
  TraceInstance(slot, "accept");
  Send(m.sender, reply);
  ArmTimer(slot);
}

// [SOSP Fig.2 E4] leader commits after F+1 votes (itself included).
void EpaxosReplica::HandleAcceptReply(NodeId from, const EpaxosMessage& m) {
  auto it = leads_.find(m.id);
  if (it == leads_.end() || it->second.phase != Phase::kAccept ||
      it->second.ballot != m.ballot) {
    return;
  }
  if (!m.ok) {
    Preempt(m.id, m.other_ballot);
    return;
  }
  Lead& lead = it->second;
  lead.accept_oks.insert(from);
  if (static_cast<int>(lead.accept_oks.size()) >= options_->SlowQuorum()) {
    CommitAsLeader(m.id, lead.cmd, lead.seq, lead.deps,
                   lead.ballot == 0 ? "slow" : "recovery");
  }
}

// [SOSP Fig.2 E5] leader: commit locally and tell everybody.
void EpaxosReplica::CommitAsLeader(const CommandId& id,
                                   const std::optional<Command>& cmd_in,
                                   int64_t seq, const IdSet& deps_in,
                                   std::string_view path_in) {
  // Copies: the lead holding the arguments is erased by CommitLocally.
  const std::optional<Command> cmd = cmd_in;
  const IdSet deps = deps_in;
  const std::string path(path_in);
  const Ballot ballot = leads_.at(id).ballot;
  BroadcastCommit(id, cmd, seq, deps, ballot, path);
  CommitLocally(id, cmd, seq, deps, ballot, path, /*learned=*/false);
}

void EpaxosReplica::BroadcastCommit(const CommandId& id,
                                    const std::optional<Command>& cmd,
                                    int64_t seq, const IdSet& deps,
                                    Ballot ballot, std::string_view path) {
  EpaxosMessage m;
  m.kind = MsgKind::kCommit;
  m.id = id;
  m.sender = self_;
  m.ballot = ballot;
  if (!Q(Quirk::kGoAcceptNoPayload)) m.cmd = cmd;
  m.seq = seq;
  m.deps = deps;
  m.path = std::string(path);
  SendAll(Others(), m);
}

// [SOSP Fig.2 E5] Commit at a replica.
void EpaxosReplica::HandleCommit(const EpaxosMessage& m) {
  env_->Cover("commit/learned");
  CommitLocally(m.id, m.cmd, m.seq, m.deps, m.ballot, m.path,
                /*learned=*/true);
}

// [SOSP Fig.2 E5; GO handleCommit/handleCommitShort] record a commit,
// report it, hand it to the executor, re-propose a displaced client command.
void EpaxosReplica::CommitLocally(const CommandId& id,
                                  const std::optional<Command>& cmd,
                                  int64_t seq, const IdSet& deps, Ballot ballot,
                                  std::string_view path, bool learned) {
  Instance& inst = GetOrCreate(id);
  // GO quirk 4.4: Commit on an existing instance never replaces Cmds.
  const bool keep =
      !cmd || (Q(Quirk::kGoNoopKeepsStaleCmd) && inst.cmd.has_value());
  const std::optional<Command> payload = keep ? inst.cmd : cmd;
  if (inst.status >= Status::kCommitted) {
    const bool same =
        payload == inst.cmd && seq == inst.seq && deps == inst.deps;
    if (inst.status == Status::kExecuted && Q(Quirk::kGoCommitOverExecuted)) {
      // GO quirk 4.15 (issue #27): EXECUTED goes back to COMMITTED and the
      // executor will run the command again; reported as a second commit.
      env_->Cover("quirk/commit-over-executed");
    } else if (same) {
      env_->Cover("commit/duplicate");
      if (Q(Quirk::kGoCommitshortRepropose)) SettleProposal(id, learned);
      return;
    } else if (!options_->AnyQuirk()) {
      // A committed entry never changes (STABLE); a different decision for
      // it is an agreement violation the checkers see across replicas.
      env_->Cover("commit/conflicting-ignored");
      TraceInstance(id, absl::StrCat("ignored conflicting commit seq=", seq,
                                     " deps=", deps.ToString()));
      return;
    } else {
      // GO overwrites a committed instance's attributes unconditionally.
      env_->Cover("commit/overwrite");
    }
    committed_chunks_.clear();  // a committed seq may change
  }
  SetPayload(id, inst, payload);
  inst.seq = seq;
  inst.deps = deps;
  SetStatus(inst, Status::kCommitted);
  TraceInstance(id, absl::StrCat("commit (", Av(path), ")"));
  DisarmTimer(id);
  leads_.erase(id);
  deferred_.erase(id);
  attempts_.erase(id);

  CommitRecord record;
  record.id = id;
  record.command = inst.cmd.value_or(Command::Nop());
  record.deps = inst.deps;
  record.seq = seq;
  record.ballot = ballot;
  record.path = std::string(path);
  env_->Committed(record);
  if (!inst.cmd || inst.cmd->nop) env_->Cover("nop-commit");

  ExecutorCommitted(id);
  if (Q(Quirk::kProtoRecoveryDeadlock)) {
    // PROTO quirk 3.3: what waited for this commit may recover again.
    for (const auto& [waiting, on] : deferred_) {
      if (on == id) ArmTimer(waiting);
    }
  }

  SettleProposal(id, learned);
}

// [SOSP] a no-op took the slot of a client command: propose it again in a
// new instance. GO quirk 4.5 (handleCommitShort) keeps the proposal after
// the leader's own commit and re-proposes on any learned commit.
void EpaxosReplica::SettleProposal(const CommandId& id, bool learned) {
  auto p = proposals_.find(id);
  if (p == proposals_.end()) return;
  const bool displaced = instances_.at(id).cmd != p->second;
  const bool quirk = Q(Quirk::kGoCommitshortRepropose);
  if (displaced || (quirk && learned)) {
    if (!displaced) env_->Cover("quirk/commitshort-repropose");
    env_->Cover("repropose");
    const Command again = p->second;
    proposals_.erase(p);
    OnClientRequest(again);
  } else if (!quirk) {
    proposals_.erase(p);
  }
}

// ---------------------------------------------------------------------------
// Recovery (explicit prepare)

// [SOSP Fig.3; II.6; GO startRecoveryForInstance] Prepare at a new ballot.
void EpaxosReplica::BeginRecovery(const CommandId& id,
                                  std::optional<Ballot> chosen) {
  if (IsCommitted(id)) return;
  GetOrCreate(id);
  const Ballot ballot = chosen.value_or(NextBallot(id));
  ++attempts_[id];
  Lead& lead = leads_[id] = Lead{};
  lead.ballot = ballot;
  lead.phase = Phase::kPrepare;
  env_->Cover("recovery/started");  // also the run summary's count
  TraceInstance(id, absl::StrCat("recovery at ", BallotString(ballot)));
  EpaxosMessage m;
  m.kind = MsgKind::kPrepare;
  m.id = id;
  m.sender = self_;
  m.ballot = ballot;
  SendAll(FanOut(id, F()), m);
  HandlePrepare(m);  // own reply, synchronously
}

// [SOSP Fig.3; TLA ReplyPrepare; GO handlePrepare] promise and report.
// ballots=single reports the one ballot and then overwrites it (the flaw);
// ballots=split reports the vote ballot and raises only the promise.
void EpaxosReplica::HandlePrepare(const EpaxosMessage& m) {
  Instance& inst = GetOrCreate(m.id);
  EpaxosMessage reply;
  reply.kind = MsgKind::kPrepareReply;
  reply.id = m.id;
  reply.sender = self_;
  reply.ballot = m.ballot;
  if (m.ballot < inst.bal) {
    reply.ok = false;
    reply.other_ballot = inst.bal;
  } else {
    const Ballot previous = VoteBallot(inst);
    inst.bal = m.ballot;
    if (m.sender != self_) Preempt(m.id, m.ballot);
    Ballot reported = previous;
    if (Q(Quirk::kGoPrepareReplyBallot) && m.sender != self_) {
      reported = inst.bal;  // GO quirk 3.2: the reply carries the new ballot
    }
    if (Q(Quirk::kSwiftLocalVbalWins) && m.sender == self_) {
      reported = m.ballot;  // SWIFT quirk 5.1: own reply stamped new ballot
    }
    reply.other_ballot = reported;
    reply.status = std::min(inst.status, Status::kCommitted);
    reply.cmd = inst.cmd;
    reply.seq = inst.seq;
    reply.deps = inst.deps;
    reply.unchanged = inst.unchanged;
    TraceInstance(m.id, absl::StrCat("promise ", BallotString(m.ballot)));
  }
  if (m.sender == self_) {
    HandlePrepareReply(self_, reply);
  } else {
    Send(m.sender, reply);
    ArmTimer(m.id);
  }
}

// [SOSP Fig.3; II.7 GO handlePrepareReply] collect F+1 replies, then decide.
void EpaxosReplica::HandlePrepareReply(NodeId from, const EpaxosMessage& m) {
  auto it = leads_.find(m.id);
  if (it == leads_.end() || it->second.phase != Phase::kPrepare ||
      it->second.ballot != m.ballot) {
    return;
  }
  Lead& lead = it->second;
  if (!m.ok) {
    env_->Cover("recovery/nack");
    Preempt(m.id, m.other_ballot);
    return;
  }
  for (const PrepareVote& v : lead.prepare_votes) {
    if (v.from == from) return;  // duplicate
  }
  lead.prepare_votes.push_back(PrepareVote{from, m.other_ballot, m.status,
                                           m.cmd, m.seq, m.deps, m.unchanged});
  if (m.status >= Status::kCommitted && !Q(Quirk::kSwiftLocalVbalWins)) {
    // [II.6 P1; GO] a committed reply decides at once.
    env_->Cover("prepare/committed");
    env_->Cover("recovery/decided");  // the run summary's count
    const Ballot ballot = lead.ballot;
    BroadcastCommit(m.id, m.cmd, m.seq, m.deps, ballot, "recovery");
    CommitLocally(m.id, m.cmd, m.seq, m.deps, ballot, "recovery",
                  /*learned=*/false);
    return;
  }
  if (Q(Quirk::kGoLeaderReplyEarlyReturn) && from != self_ &&
      from == static_cast<NodeId>(m.id.origin) &&
      m.status == Status::kPreAccepted) {
    // GO quirk 4.14 (B7): the owner's reply returns before the quorum test.
    lead.leader_responded = true;
    env_->Cover("prepare/leader-early-return");
    return;
  }
  if (static_cast<int>(lead.prepare_votes.size()) < options_->SlowQuorum()) {
    return;
  }
  if (Q(Quirk::kGoPrepareMiscount)) {
    DecidePrepareGo(m.id);
  } else {
    DecidePrepare(m.id);
  }
}

// [SOSP Fig.3 (II.6a, simple); TR/TLA PrepareFinalize (II.6b, optimized)]
void EpaxosReplica::DecidePrepare(const CommandId& id) {
  Lead& lead = leads_.at(id);
  std::vector<const PrepareVote*> q;
  for (const PrepareVote& v : lead.prepare_votes) q.push_back(&v);
  if (Q(Quirk::kSwiftLocalVbalWins)) {
    // SWIFT 5.1: only the replies with the largest reported vote ballot.
    Ballot top = 0;
    for (const PrepareVote* v : q) top = std::max(top, v->vote_ballot);
    std::erase_if(
        q, [top](const PrepareVote* v) { return v->vote_ballot != top; });
  }
  // P1: committed.
  for (const PrepareVote* v : q) {
    if (v->status >= Status::kCommitted) {
      env_->Cover("prepare/committed");
      env_->Cover("recovery/decided");  // the run summary's count
      const Ballot ballot = lead.ballot;
      const PrepareVote chosen = *v;
      BroadcastCommit(id, chosen.cmd, chosen.seq, chosen.deps, ballot,
                      "recovery");
      CommitLocally(id, chosen.cmd, chosen.seq, chosen.deps, ballot, "recovery",
                    false);
      return;
    }
  }
  // P2: accepted with the highest reported ballot. Ties (possible only with
  // ballots=single or quirks) go to the reply that arrived last, so a
  // schedule chooses by delivery order; GO's strict comparison keeps the
  // first (quirk go-prepare-reply-ballot).
  const PrepareVote* best = nullptr;
  for (const PrepareVote* v : q) {
    if (v->status != Status::kAccepted) continue;
    const bool better = best == nullptr || v->vote_ballot > best->vote_ballot ||
                        (v->vote_ballot == best->vote_ballot &&
                         !Q(Quirk::kGoPrepareReplyBallot));
    if (better) best = v;
  }
  if (best != nullptr) {
    env_->Cover("prepare/accepted");
    env_->Cover("recovery/decided");  // the run summary's count
    const PrepareVote chosen = *best;
    StartAccept(id, chosen.cmd, chosen.seq, chosen.deps, lead.ballot);
    return;
  }
  // P3: identical pre-accepts of the default ballot, none from the owner.
  const NodeId owner = static_cast<NodeId>(id.origin);
  bool owner_preaccepted = false;
  for (const PrepareVote* v : q) {
    owner_preaccepted = owner_preaccepted ||
                        (v->from == owner && v->status == Status::kPreAccepted);
  }
  struct Group {
    const PrepareVote* first;
    int count;
  };
  std::vector<Group> groups;
  for (const PrepareVote* v : q) {
    if (v->status != Status::kPreAccepted || v->vote_ballot != 0 ||
        v->from == owner || !v->cmd ||
        (options_->thrifty && !InOwnersFastQuorum(v->from, id))) {
      continue;
    }
    auto g = std::find_if(groups.begin(), groups.end(), [v](const Group& g) {
      return g.first->cmd == v->cmd && g.first->seq == v->seq &&
             g.first->deps == v->deps;
    });
    if (g == groups.end()) {
      groups.push_back(Group{v, 1});
    } else {
      ++g->count;
    }
  }
  const Group* largest = nullptr;
  for (const Group& g : groups) {
    if (largest == nullptr || g.count > largest->count) largest = &g;
  }
  if (!owner_preaccepted && largest != nullptr) {
    if (largest->count >= F()) {  // |Q| - 1 = F = floor(N/2)
      env_->Cover("prepare/preaccepted-accept");
      env_->Cover("recovery/decided");  // the run summary's count
      const PrepareVote chosen = *largest->first;
      StartAccept(id, chosen.cmd, chosen.seq, chosen.deps, lead.ballot);
      return;
    }
    if (options_->Optimized() && largest->count >= (F() + 1) / 2) {
      env_->Cover("prepare/trypreaccept");
      env_->Cover("recovery/decided");  // the run summary's count
      const PrepareVote chosen = *largest->first;
      StartTryPreAccept(id, chosen);
      return;
    }
  }
  // P3c: some pre-accept: Phase 1 for its command (the latest vote's).
  const PrepareVote* pre = nullptr;
  for (const PrepareVote* v : q) {
    if (v->status == Status::kPreAccepted && v->cmd &&
        (pre == nullptr || v->vote_ballot > pre->vote_ballot)) {
      pre = v;
    }
  }
  if (pre != nullptr) {
    env_->Cover("prepare/phase1");
    env_->Cover("recovery/decided");  // the run summary's count
    const std::optional<Command> cmd = pre->cmd;
    RecoveryPhase1(id, cmd);
    return;
  }
  // P4: nobody in Q saw the command.
  env_->Cover("prepare/noop");
  env_->Cover("recovery/decided");  // the run summary's count
  RecoveryNoop(id);
}

// GO quirk 4.2 (go-prepare-miscount): handlePrepareReply's candidate logic.
// The candidate is seeded with the local record; a pre-accept reply equal
// to the LOCAL record (not the candidate) increments the count, and an EQ
// reply that differs replaces the candidate.
void EpaxosReplica::DecidePrepareGo(const CommandId& id) {
  env_->Cover("quirk/prepare-miscount");
  Lead& lead = leads_.at(id);
  const PrepareVote* local = nullptr;
  for (const PrepareVote& v : lead.prepare_votes) {
    if (v.from == self_) local = &v;
  }
  const PrepareVote* candidate = nullptr;
  int count = 0;
  Ballot max_received = 0;
  bool leader_responded = lead.leader_responded;
  if (local != nullptr && local->status == Status::kAccepted) {
    candidate = local;
    max_received = local->vote_ballot;
  } else if (local != nullptr && local->status == Status::kPreAccepted) {
    candidate = local;
    count = 1;
    leader_responded = self_ == static_cast<NodeId>(id.origin);
  }
  for (const PrepareVote& v : lead.prepare_votes) {
    if (&v == local) continue;
    if (v.status == Status::kAccepted) {
      if (candidate == nullptr || max_received < v.vote_ballot) {
        candidate = &v;
        max_received = v.vote_ballot;
      }
    } else if (v.status == Status::kPreAccepted &&
               (candidate == nullptr ||
                candidate->status != Status::kAccepted)) {
      if (candidate == nullptr) {
        candidate = &v;
        count = 1;
      } else if (local != nullptr && v.seq == local->seq &&
                 v.deps == local->deps) {
        ++count;
      } else if (v.unchanged) {
        candidate = &v;
        count = 1;
      }
      if (v.from == static_cast<NodeId>(id.origin)) leader_responded = true;
    }
  }
  const int half = N() / 2;
  if (candidate != nullptr && (candidate->status == Status::kAccepted ||
                               (!leader_responded && count >= half &&
                                (options_->thrifty || candidate->unchanged)))) {
    env_->Cover(candidate->status == Status::kAccepted
                    ? "prepare/accepted"
                    : "prepare/preaccepted-accept");
    env_->Cover("recovery/decided");  // the run summary's count
    const PrepareVote chosen = *candidate;
    StartAccept(id, chosen.cmd, chosen.seq, chosen.deps, lead.ballot);
  } else if (candidate != nullptr && !leader_responded &&
             count >= (half + 1) / 2) {
    env_->Cover("prepare/trypreaccept");
    env_->Cover("recovery/decided");  // the run summary's count
    const PrepareVote chosen = *candidate;
    StartTryPreAccept(id, chosen);
  } else if (candidate != nullptr) {
    env_->Cover("prepare/phase1");
    env_->Cover("recovery/decided");  // the run summary's count
    const std::optional<Command> cmd = candidate->cmd;
    RecoveryPhase1(id, cmd);
  } else {
    env_->Cover("prepare/noop");
    env_->Cover("recovery/decided");  // the run summary's count
    RecoveryNoop(id);
  }
}

// [SOSP Fig.3 line 7] restart Phase 1 for the command at the new ballot.
// GO quirk 4.9 runs it in the recoverer's own row instead.
void EpaxosReplica::RecoveryPhase1(const CommandId& id,
                                   const std::optional<Command>& cmd) {
  const Ballot ballot = leads_.at(id).ballot;
  CommandId target = id;
  if (Q(Quirk::kGoPhase1WrongRow)) {
    target = CommandId{static_cast<uint32_t>(self_), id.counter};
    env_->Cover("quirk/phase1-wrong-row");
    leads_.erase(id);
  }
  StartPhase1(target, cmd.value_or(Command::Nop()), ballot,
              /*fast_allowed=*/false);
}

// [SOSP Fig.3 line 8] nobody saw it: Phase 1 for a no-op. GO (quirk 4.4)
// accepts a nil no-op directly, depending on the owner's previous instance.
void EpaxosReplica::RecoveryNoop(const CommandId& id) {
  if (Q(Quirk::kGoNoopKeepsStaleCmd)) {
    env_->Cover("quirk/noop-direct-accept");
    IdSet deps;
    if (id.counter > 1) deps = {CommandId{id.origin, id.counter - 1}};
    StartAccept(id, std::nullopt, 0, std::move(deps), leads_.at(id).ballot);
    return;
  }
  RecoveryPhase1(id, Command::Nop());
}

// GO's global PreAccept `pa` before this replica broadcast any: all zero,
// i.e. Replica 0, Instance 0 (our 0.1: we number instances from 1), ballot
// 0, no command, deps "instance 0 of every row" (docs/bug-corpus.md 4.11).
EpaxosMessage EpaxosReplica::ZeroedGoPreAccept() const {
  EpaxosMessage m;
  m.kind = MsgKind::kPreAccept;
  m.id = CommandId{0, 1};
  std::vector<CommandId> deps;
  for (NodeId q = 0; q < N(); ++q) {
    deps.push_back(CommandId{static_cast<uint32_t>(q), 1});
  }
  m.deps = IdSet::FromSorted(deps);
  return m;
}

// [TR; TLA SendTryPreAccept; GO bcastTryPreAccept] ask Q to pre-accept the
// candidate tuple unless they hold a conflicting command.
void EpaxosReplica::StartTryPreAccept(const CommandId& id,
                                      const PrepareVote& value) {
  Lead& lead = leads_.at(id);
  lead.phase = Phase::kTryPreAccept;
  lead.cmd = value.cmd;
  lead.seq = value.seq;
  lead.deps = value.deps;
  lead.tpa_quorum.clear();
  for (const PrepareVote& v : lead.prepare_votes)
    lead.tpa_quorum.insert(v.from);
  lead.tpa_replied = {self_};
  lead.tpa_oks.clear();
  lead.tpa_conflicts.clear();
  if (Q(Quirk::kGoTpaWrongMessage)) {
    // GO 4.11 cold start: findPreAcceptConflicts reads row q from
    // ExecedUpTo[q] = -1 when nothing of that row executed here.
    for (const CommandId& d : value.deps) {
      if (go_exec_.execed_upto[d.origin % N()] == 0) {
        Panic("tpa-scan-index");
        return;
      }
    }
  }
  const auto conflict = FindTpaConflict(id, value.cmd, value.seq, value.deps);
  if (conflict && conflict->second >= Status::kCommitted) {
    env_->Cover("tpa/conflict-committed-phase1");
    RecoveryPhase1(id, value.cmd);
    return;
  }
  if (conflict) {
    lead.tpa_conflicts.push_back(*conflict);
  } else {
    Instance& inst = instances_[id];
    SetPayload(id, inst, value.cmd);
    inst.seq = value.seq;
    inst.deps = value.deps;
    SetStatus(inst, Status::kPreAccepted);
    inst.unchanged = false;
    SetBallots(inst, lead.ballot);
    lead.tpa_oks.insert(self_);
    TraceInstance(id, "try-preaccept (self)");
  }
  EpaxosMessage m;
  m.kind = MsgKind::kTryPreAccept;
  m.id = id;
  m.sender = self_;
  m.ballot = lead.ballot;
  m.cmd = value.cmd;
  m.seq = value.seq;
  m.deps = value.deps;
  if (Q(Quirk::kGoTpaWrongMessage)) {
    // GO 4.11 (B3): the broadcast sends the last PreAccept this replica
    // sent, which decodes as a TryPreAccept for that other instance.
    env_->Cover("quirk/tpa-wrong-message");
    m = last_preaccept_.value_or(ZeroedGoPreAccept());
    m.kind = MsgKind::kTryPreAccept;
    m.sender = self_;
  }
  for (NodeId q : lead.tpa_quorum) {
    if (q != self_) Send(q, m);
  }
  if (lead.tpa_quorum.size() <= 1) FinishTryPreAccept(id);
}

// [TR; TLA ReplyTryPreaccept; GO handleTryPreAccept]
void EpaxosReplica::HandleTryPreAccept(const EpaxosMessage& m) {
  if (Q(Quirk::kGoTpaWrongMessage) && instances_.count(m.id) == 0) {
    // GO 4.11 (B5): inst.ballot read from a nil instance.
    Panic("tpa-nil-instance");
    return;
  }
  Instance& inst = GetOrCreate(m.id);
  EpaxosMessage reply;
  reply.kind = MsgKind::kTryPreAcceptReply;
  reply.id = m.id;
  reply.sender = self_;
  reply.ballot = m.ballot;
  reply.other_ballot = inst.bal;
  if (m.ballot < inst.bal) {
    reply.ok = false;
  } else if (inst.status >= Status::kAccepted) {
    reply.ok = false;
    reply.conflict = m.id;
    reply.status = inst.status;
  } else if (auto c = FindTpaConflict(m.id, m.cmd, m.seq, m.deps); c) {
    reply.ok = false;
    reply.conflict = c->first;
    reply.status = c->second;
  } else {
    Preempt(m.id, m.ballot);
    Instance& in = instances_[m.id];
    SetPayload(m.id, in, m.cmd);
    in.seq = m.seq;
    in.deps = m.deps;
    SetStatus(in, Status::kPreAccepted);
    in.unchanged = false;
    SetBallots(in, m.ballot);
    reply.other_ballot = m.ballot;
    TraceInstance(m.id, "try-preaccept");
  }
  Send(m.sender, reply);
  ArmTimer(m.id);
}

// [TR; TLA FinalizeTryPreAccept; GO handleTryPreAcceptReply]
void EpaxosReplica::HandleTryPreAcceptReply(NodeId from,
                                            const EpaxosMessage& m) {
  auto it = leads_.find(m.id);
  if (it == leads_.end() || it->second.phase != Phase::kTryPreAccept ||
      it->second.ballot != m.ballot) {
    return;
  }
  Lead& lead = it->second;
  if (!lead.tpa_replied.insert(from).second) return;
  if (m.ok) {
    lead.tpa_oks.insert(from);
  } else if (!m.conflict) {
    env_->Cover("tpa/nack-ballot");
    Preempt(m.id, m.other_ballot);
    return;
  } else if (*m.conflict == m.id) {
    env_->Cover("tpa/nack-self");  // accepted/committed there: retry later
    leads_.erase(it);
    return;
  } else {
    lead.tpa_conflicts.emplace_back(*m.conflict, m.status);
  }
  if (static_cast<int>(lead.tpa_oks.size()) >= options_->SlowQuorum()) {
    env_->Cover("tpa/ok-accept");
    const std::optional<Command> cmd = lead.cmd;
    StartAccept(m.id, cmd, lead.seq, lead.deps, lead.ballot);
    return;
  }
  if (lead.tpa_replied.size() >= lead.tpa_quorum.size()) {
    FinishTryPreAccept(m.id);
  }
}

// Every member of Q answered and some reported a conflict.
void EpaxosReplica::FinishTryPreAccept(const CommandId& id) {
  Lead& lead = leads_.at(id);
  const std::optional<Command> cmd = lead.cmd;
  for (const auto& [conflict, status] : lead.tpa_conflicts) {
    if (status >= Status::kAccepted) {
      // The conflict is past pre-accept: id cannot have been fast-committed.
      env_->Cover("tpa/conflict-committed-phase1");
      RecoveryPhase1(id, cmd);
      return;
    }
  }
  if (lead.tpa_conflicts.empty()) {
    RecoveryPhase1(id, cmd);
    return;
  }
  if (Q(Quirk::kSpecTpaPlaceholderStall)) {
    for (const auto& [conflict, status] : lead.tpa_conflicts) {
      if (status != Status::kNone) continue;
      // SPEC 3.4: FinalizeTryPreAccept has branches for all-OK, accepted/
      // committed and pre-accepted conflicts, none for "not-seen".
      env_->Cover("quirk/tpa-placeholder-stall");
      lead.stalled = true;
      TraceInstance(id, absl::StrCat("recovery stalled: ", conflict.ToString(),
                                     " is not-seen"));
      return;
    }
  }
  const CommandId on = lead.tpa_conflicts.front().first;
  if (auto d = deferred_.find(on); d != deferred_.end() && d->second == id &&
                                   !Q(Quirk::kProtoRecoveryDeadlock)) {
    // Both recoveries defer on each other: break the cycle.
    env_->Cover("tpa/cycle-phase1");
    deferred_.erase(d);
    RecoveryPhase1(id, cmd);
    return;
  }
  env_->Cover("tpa/defer");
  deferred_[id] = on;
  leads_.erase(id);
  TraceInstance(id, absl::StrCat("recovery deferred on ", on.ToString()));
}

// [TLA ReplyTryPreaccept] an interfering δ that does not list id, and that
// id either does not list or lists with seq_δ >= seq.
std::optional<std::pair<CommandId, Status>> EpaxosReplica::FindTpaConflict(
    const CommandId& id, const std::optional<Command>& cmd, int64_t seq,
    const IdSet& deps) const {
  if (!cmd) return std::nullopt;
  for (const CommandId& other : Interfering(*cmd, id)) {
    const Instance& d = instances_.at(other);
    if (d.status == Status::kNone || d.deps.Contains(id)) continue;
    if (!deps.Contains(other) || d.seq >= seq) {
      return std::make_pair(other, d.status);
    }
  }
  if (Q(Quirk::kSpecTpaPlaceholderStall)) {
    // SPEC 3.4 (ReplyTryPreaccept): every record conflicts (the spec's
    // commands all interfere), including a Prepare's "not-seen"
    // placeholder, whose status the reply then carries.
    for (const auto& [other, d] : instances_) {
      if (other == id || d.status != Status::kNone || d.cmd) continue;
      if (!deps.Contains(other)) return std::make_pair(other, d.status);
    }
  }
  return std::nullopt;
}

void EpaxosReplica::Panic(std::string_view what) {
  env_->Cover(absl::StrCat("panic/", Av(what)));
  if (env_->TraceEnabled()) {
    env_->Trace(absl::StrCat("r", self_, " PANIC ", Av(what),
                             ": replica stops (ported Go crash)"));
  }
  for (const auto& [id, timer] : timers_) env_->CancelTimer(timer);
  timers_.clear();
  inert_ = true;
}

// ---------------------------------------------------------------------------
// State helpers

EpaxosReplica::Instance& EpaxosReplica::GetOrCreate(const CommandId& id) {
  uint64_t& row_max = go_exec_.row_max[id.origin % options_->n];
  row_max = std::max(row_max, id.counter);
  return instances_[id];
}

void EpaxosReplica::SetPayload(const CommandId& id, Instance& inst,
                               const std::optional<Command>& cmd) {
  // The same payload again (accept, commit): the indexes stay as they are
  // (a key's kept conflict sets would be dropped by an erase).
  if (inst.cmd == cmd) return;
  if (inst.cmd) {
    with_payload_.erase(id);
    if (inst.cmd->nop) {
      noops_ = Without(noops_, id);
    } else {
      by_key_[inst.cmd->key].Erase(id, inst.cmd->IsWrite());
    }
  }
  inst.cmd = cmd;
  if (cmd) {
    with_payload_.insert(id);
    if (cmd->nop) {
      noops_ = UnionSorted(noops_, {id});
    } else {
      by_key_[cmd->key].Insert(id, cmd->IsWrite());
    }
  }
}

// interf(γ): instances with a payload that conflicts with `cmd`.
IdSet EpaxosReplica::Interfering(const Command& cmd,
                                 const CommandId& exclude) const {
  if (cmd.nop) {
    // Rare (recovery no-ops): built on the spot.
    return Without(IdSet::FromSorted(std::vector<CommandId>(
                       with_payload_.begin(), with_payload_.end())),
                   exclude);
  }
  IdSet keyed;
  if (const KeyIds* key = by_key_.Find(cmd.key)) {
    keyed = key->Conflicts(cmd.IsWrite());
  }
  return Without(Union(keyed, noops_), exclude);
}

int64_t EpaxosReplica::MaxSeq(const IdSet& ids) const {
  int64_t seq = 0;
  for (const IdSet::ChunkPtr& chunk : ids.chunks()) {
    seq = std::max(seq, ScanChunk(chunk).max_seq);
  }
  return seq;
}

std::vector<CommandId> EpaxosReplica::UncommittedIn(const IdSet& ids) const {
  std::vector<CommandId> out;
  for (const IdSet::ChunkPtr& chunk : ids.chunks()) {
    if (ScanChunk(chunk).committed) continue;
    for (const CommandId& id : chunk->ids) {
      if (!IsCommitted(id)) out.push_back(id);
    }
  }
  return out;
}

EpaxosReplica::ChunkScan EpaxosReplica::ScanChunk(
    const IdSet::ChunkPtr& chunk) const {
  if (auto memo = committed_chunks_.find(chunk.get());
      memo != committed_chunks_.end()) {
    return memo->second.scan;
  }
  ChunkScan scan{.max_seq = 0, .committed = true};
  for (const CommandId& id : chunk->ids) {
    auto it = instances_.find(id);
    if (it == instances_.end()) {
      scan.committed = false;
      continue;
    }
    scan.max_seq = std::max(scan.max_seq, it->second.seq);
    scan.committed = scan.committed && it->second.status >= Status::kCommitted;
  }
  if (scan.committed) committed_chunks_.emplace(chunk.get(), Memo{chunk, scan});
  return scan;
}

bool EpaxosReplica::IsCommitted(const CommandId& id) const {
  auto it = instances_.find(id);
  return it != instances_.end() && it->second.status >= Status::kCommitted;
}

void EpaxosReplica::SetStatus(Instance& inst, Status status) {
  // Only quirks take a committed instance back (go-phase1-wrong-row).
  if (inst.status >= Status::kCommitted && status < Status::kCommitted) {
    committed_chunks_.clear();
  }
  inst.status = status;
}

Ballot EpaxosReplica::VoteBallot(const Instance& inst) const {
  return options_->Split() ? inst.vbal : inst.bal;
}

Ballot EpaxosReplica::NextBallot(const CommandId& id) const {
  Ballot top = 0;
  if (auto it = instances_.find(id); it != instances_.end()) {
    top = std::max({it->second.bal, it->second.vbal, it->second.max_seen});
  }
  if (auto l = leads_.find(id); l != leads_.end()) {
    top = std::max(top, l->second.ballot);
  }
  return MakeBallot(BallotRound(top) + 1, self_);
}

void EpaxosReplica::SetBallots(Instance& inst, Ballot b) {
  inst.bal = b;
  inst.vbal = b;
}

// A higher ballot was promised or reported: an attempt of ours below it is
// dead (docs/protocols.md IV.4).
void EpaxosReplica::Preempt(const CommandId& id, Ballot promised) {
  Instance& inst = GetOrCreate(id);
  inst.max_seen = std::max(inst.max_seen, promised);
  auto it = leads_.find(id);
  if (it != leads_.end() && it->second.ballot < promised) {
    env_->Cover("preempted");
    leads_.erase(it);
  }
}

void EpaxosReplica::TraceInstance(const CommandId& id, std::string_view why) {
  if (!env_->TraceEnabled()) return;
  const Instance& inst = instances_[id];
  std::string line =
      absl::StrCat("r", self_, " ", id.ToString(), " ", Av(why), ": ",
                   Av(StatusName(inst.status)), inst.unchanged ? "(eq)" : "",
                   " bal=", BallotString(inst.bal));
  if (options_->Split()) {
    absl::StrAppend(&line, " vbal=", BallotString(inst.vbal));
  }
  absl::StrAppend(&line, " seq=", inst.seq, " deps=", inst.deps.ToString(),
                  " cmd=", PayloadString(inst.cmd));
  env_->Trace(line);
}

void EpaxosReplica::Send(NodeId to, const EpaxosMessage& m) {
  env_->Send(to, std::make_shared<const EpaxosMessage>(m));
}

void EpaxosReplica::SendAll(const std::vector<NodeId>& to,
                            const EpaxosMessage& m) {
  auto shared = std::make_shared<const EpaxosMessage>(m);
  for (NodeId q : to) env_->Send(q, shared);
}

std::vector<NodeId> EpaxosReplica::Peers(int count) const {
  const std::vector<NodeId>& all = options_->thrifty_peers[self_];
  return std::vector<NodeId>(all.begin(), all.begin() + count);
}

// Thrifty: the first `count` preferred peers, as GO's PreferredPeerOrder.
// GO skips peers whose connection broke (Alive[q]); the simulator gives no
// failure detector, so once this replica had to recover `id` it asks every
// peer: a crashed preferred peer must not stall the instance forever (with
// fixed peers every retry waited on the same dead replica, and with 3 of 7
// crashed every command needed several timeouts while clients kept
// retrying). Scripts hold the extra messages like any other.
std::vector<NodeId> EpaxosReplica::FanOut(const CommandId& id,
                                          int count) const {
  if (!options_->thrifty) return Others();
  if (auto tries = attempts_.find(id);
      tries != attempts_.end() && tries->second > 0) {
    return Others();
  }
  return Peers(count);
}

std::vector<NodeId> EpaxosReplica::Others() const {
  std::vector<NodeId> out;
  for (NodeId q = 0; q < N(); ++q) {
    if (q != self_) out.push_back(q);
  }
  return out;
}

// Thrifty: the owner's fast quorum is fixed (itself and its first peers), so
// only those replicas' pre-accepts are evidence of a fast commit (TR 7.d).
bool EpaxosReplica::InOwnersFastQuorum(NodeId replica,
                                       const CommandId& id) const {
  const std::vector<NodeId>& peers =
      options_->thrifty_peers[id.origin % options_->n];
  const auto end = peers.begin() + (options_->FastQuorum() - 1);
  return std::find(peers.begin(), end, replica) != end;
}

// ---------------------------------------------------------------------------
// Timers

void EpaxosReplica::ArmTimer(const CommandId& id) {
  if (inert_ || timers_.count(id) > 0 || IsCommitted(id)) return;
  if (!options_->Recovers(self_)) return;
  // Randomized back-off, doubled per recovery attempt this replica made on
  // `id` (up to 64x): duelling recoverers otherwise preempt each other
  // forever when the timeout is short against the round trip.
  const auto tries = attempts_.find(id);
  const int doublings =
      tries == attempts_.end() ? 0 : std::min(tries->second, 6);
  // A live owner settles its own command within one timeout (slow path or
  // resend); the others give it that much more before they preempt it.
  const Duration grace = static_cast<NodeId>(id.origin) == self_
                             ? options_->recovery_timeout
                             : 2 * options_->recovery_timeout;
  const Duration after =
      grace + static_cast<Duration>(env_->Random(
                  (static_cast<uint64_t>(options_->backoff) << doublings) + 1));
  timers_[id] = env_->SetTimer(after, RecoveryTimerTag(id));
}

void EpaxosReplica::DisarmTimer(const CommandId& id) {
  if (auto t = timers_.find(id); t != timers_.end()) {
    env_->CancelTimer(t->second);
    timers_.erase(t);
  }
}

void EpaxosReplica::ArmAllUncommitted() {
  for (const auto& [id, inst] : instances_) {
    if (inst.status < Status::kCommitted) {
      ArmTimer(id);
    } else if (inst.status == Status::kCommitted) {
      for (const CommandId& d : UncommittedIn(inst.deps)) ArmTimer(d);
    }
  }
}

// ---------------------------------------------------------------------------
// Execution

void EpaxosReplica::ExecutorCommitted(const CommandId& id) {
  if (options_->AnyQuirk()) return;  // the Go executor runs per event
  const Instance& inst = instances_.at(id);
  const bool nop = !inst.cmd || inst.cmd->nop;
  const ExecOrderKey key{inst.seq, static_cast<int64_t>(id.origin),
                         static_cast<int64_t>(id.counter)};
  executor_.Commit(id, inst.deps, nop, key,
                   [this](const CommandId& e) { ExecuteOne(e); });
  if (!executor_.IsDone(id)) {
    // [IV.19] execution blocked on uncommitted deps: their commit timers
    // lead to an explicit prepare. Direct deps suffice: every uncommitted id
    // the executor waits on is a direct dep of some committed command, armed
    // when that one committed. The executor lists them (in deps order)
    // without a look at the deps done before. (Without quirks an id is
    // committed here exactly when the executor has it committed.)
    for (const CommandId& d : executor_.UncommittedDeps(id)) ArmTimer(d);
  }
}

void EpaxosReplica::ExecuteOne(const CommandId& id) {
  Instance& inst = instances_.at(id);
  SetStatus(inst, Status::kExecuted);
  if (!inst.cmd || inst.cmd->nop) return;
  const KvStore::Outcome outcome = kv_.Apply(*inst.cmd);
  TraceInstance(id, "execute");
  env_->Executed(
      ExecutionRecord{id, *inst.cmd, outcome.result, outcome.duplicate});
}

// [GO executeCommands] one pass of the executor loop: resume the blocked
// DFS (its root stays the root), then scan each row from ExecedUpTo.
void EpaxosReplica::RunGoExecutor() {
  if (!options_->AnyQuirk() || inert_) return;
  const bool was_blocked = GoExecBlocked();
  NodeId first_row = 0;
  uint64_t first_index = 0;
  if (go_exec_.root) {
    if (!GoExecuteFrom(*go_exec_.root)) return;  // still spinning
    first_row = static_cast<NodeId>(go_exec_.root->origin);
    first_index = go_exec_.root->counter + 1;
    go_exec_.root.reset();
    // This pass resumes mid-scan; the rows before the root wait for the
    // next pass, as in GO (quirk 4.15 needs the gap).
    if (!go_exec_.tick_armed && first_row > 0) {
      go_exec_.tick_armed = true;
      env_->SetTimer(kMillisecond, kExecutorTickTag);
    }
  }
  for (NodeId q = first_row; q < N() && !GoExecBlocked(); ++q) {
    uint64_t& upto = go_exec_.execed_upto[q];
    uint64_t i = q == first_row && first_index > 0
                     ? std::max(first_index, upto + 1)
                     : upto + 1;
    for (;; ++i) {
      const CommandId id{static_cast<uint32_t>(q), i};
      auto it = instances_.find(id);
      if (it == instances_.end() || it->second.status < Status::kCommitted) {
        // [GO executeCommands] a hole below a known later instance of the
        // row blocks the row; its commit timer recovers it.
        if (go_exec_.row_max[q] > i) ArmTimer(id);
        break;
      }
      if (it->second.status == Status::kExecuted) {
        if (i == upto + 1) upto = i;
        continue;
      }
      if (!GoExecuteFrom(id)) {
        go_exec_.root = id;
        break;
      }
      if (i == upto + 1) upto = i;
    }
  }
  if (GoExecBlocked()) return;
  go_exec_.waiting_on.reset();
  if (was_blocked && Q(Quirk::kGoExecBusywait)) ArmAllUncommitted();
}

int EpaxosReplica::GoVisitable(const CommandId& id) {
  auto it = instances_.find(id);
  if (it == instances_.end() || it->second.status < Status::kCommitted) {
    if (go_exec_.waiting_on != id) {
      go_exec_.waiting_on = id;
      env_->Cover("exec/blocked");
      // [IV.19] recover what blocks execution, unless GO quirk 4.6 (the
      // trigger lives in the loop that is now spinning).
      if (!Q(Quirk::kGoExecBusywait)) ArmTimer(id);
    }
    return -1;
  }
  if (it->second.status == Status::kExecuted) return 0;
  if (Q(Quirk::kGoExecNilCmds) && (!it->second.cmd || it->second.cmd->nop)) {
    if (go_exec_.waiting_on != id) {
      go_exec_.waiting_on = id;
      env_->Cover("quirk/exec-nil-stall");  // GO 4.7: spins on Cmds == nil
    }
    return -1;
  }
  return 1;
}

// [GO strongconnect] Tarjan from `root`; components execute as they
// complete, ordered by seq (exec-seq-tie: stable in push order, GO's
// insertion sort) or by (seq, owner, instance). False when the DFS reaches
// an instance it has to wait for.
bool EpaxosReplica::GoExecuteFrom(const CommandId& root) {
  const int start = GoVisitable(root);
  if (start <= 0) return start == 0;
  struct Frame {
    CommandId v;
    std::vector<CommandId> deps;
    size_t next = 0;
  };
  struct Mark {
    uint32_t index;
    uint32_t low;
    bool on_stack;
  };
  absl::btree_map<CommandId, Mark> marks;
  std::vector<CommandId> stack;
  std::vector<Frame> frames;
  uint32_t counter = 0;
  auto push = [&](const CommandId& v) {
    marks[v] = Mark{counter, counter, true};
    ++counter;
    stack.push_back(v);
    std::vector<CommandId> deps = instances_.at(v).deps.ToVector();
    std::sort(deps.begin(), deps.end(), RowLess);
    frames.push_back(Frame{v, std::move(deps), 0});
  };
  push(root);
  while (!frames.empty()) {
    Frame& f = frames.back();
    if (f.next < f.deps.size()) {
      const CommandId w = f.deps[f.next++];
      if (w == f.v) continue;
      auto m = marks.find(w);
      if (m == marks.end()) {
        const int visit = GoVisitable(w);
        if (visit < 0) return false;
        if (visit == 0) continue;
        push(w);
      } else if (m->second.on_stack) {
        Mark& mv = marks.at(f.v);
        mv.low = std::min(mv.low, m->second.index);
      }
      continue;
    }
    const CommandId v = f.v;
    frames.pop_back();
    const Mark mv = marks.at(v);
    if (!frames.empty()) {
      Mark& parent = marks.at(frames.back().v);
      parent.low = std::min(parent.low, mv.low);
    }
    if (mv.low != mv.index) continue;
    const auto from = std::find(stack.begin(), stack.end(), v);
    std::vector<CommandId> component(from, stack.end());
    stack.erase(from, stack.end());
    for (const CommandId& c : component) marks.at(c).on_stack = false;
    if (Q(Quirk::kExecSeqTie)) {
      std::stable_sort(component.begin(), component.end(),
                       [this](const CommandId& a, const CommandId& b) {
                         return instances_.at(a).seq < instances_.at(b).seq;
                       });
    } else {
      std::sort(component.begin(), component.end(),
                [this](const CommandId& a, const CommandId& b) {
                  const int64_t sa = instances_.at(a).seq;
                  const int64_t sb = instances_.at(b).seq;
                  return sa != sb ? sa < sb : RowLess(a, b);
                });
    }
    for (const CommandId& c : component) {
      if (instances_.at(c).status != Status::kExecuted) ExecuteOne(c);
    }
  }
  return true;
}

}  // namespace epsim::protocol::epaxos
