// One replica of the original EPaxos (Moraru et al., SOSP 2013), as
// specified in docs/protocols.md Part II, with the reference implementation's
// behaviours available as quirks (options.h).
//
// State per instance L.i: (cmd, seq, deps, status) plus the ballot(s); the
// leader of an attempt (the owner at ballot 0, or a recoverer) keeps volatile
// bookkeeping in a Lead. Dependencies are explicit sets of instance ids.
//
// Self-addressed messages are handled synchronously (docs/protocols.md IV.2): a
// leader writes its own vote directly and counts itself in every quorum.
//
// Execution: without quirks, the shared DependencyExecutor, ordering inside a
// component by (seq, owner, instance). With any quirk on, a Go-faithful
// executor (go_executor in replica.cc): a row scan picks a DFS root that
// stays the root while the DFS waits for dependencies, as efficient/epaxos
// does; the quirks that re-commit or re-execute need it.
//
// Recovery: every uncommitted instance a replica knows (and every
// uncommitted dependency blocking execution) has a commit timer; its expiry
// starts an explicit prepare with a higher ballot and re-arms the timer
// with a random back-off. A live owner's own timer instead resends its
// PreAccept/Accept to the peers that did not answer (slow path from then
// on); the other replicas wait twice as long before preempting it. Thrifty
// fan-out widens to every peer once a replica had to recover an instance
// (no failure detector tells which preferred peer is alive), while the fast
// path still counts only the fixed fast quorum. RecoveryTimerTag() gives
// the tag of that timer, so a scripted scenario can fire "timeout(P, I)"
// for any instance.
//
// A Go panic (nil dereference) ported by a quirk is signalled by
// Env::Cover("panic/<what>"); the replica then goes inert like a crashed
// node until Restart().
#ifndef EPSIM_PROTOCOL_EPAXOS_REPLICA_H_
#define EPSIM_PROTOCOL_EPAXOS_REPLICA_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "protocol/common/command.h"
#include "protocol/common/env.h"
#include "protocol/common/executor.h"
#include "protocol/common/id_set.h"
#include "protocol/common/key.h"
#include "protocol/common/key_ids.h"
#include "protocol/common/kv_store.h"
#include "protocol/common/replica.h"
#include "protocol/epaxos/messages.h"
#include "protocol/epaxos/options.h"

namespace epsim::protocol::epaxos {

// Tag of the commit/recovery timer of `id`; OnTimer with this tag starts (or
// restarts) the explicit prepare of `id` at the receiving replica.
uint64_t RecoveryTimerTag(const CommandId& id);
std::optional<CommandId> RecoveryTimerInstance(uint64_t tag);

// Every name a replica with these options may pass to Env::Cover (a
// quirk's branch only when the quirk is on).
std::vector<std::string> EpaxosCoverageBranches(const EpaxosOptions& options);

class EpaxosReplica final : public Replica {
 public:
  // The replicated state of one instance at one replica.
  struct Instance {
    Status status = Status::kNone;
    std::optional<Command> cmd;  // absent: no payload known
    int64_t seq = 0;
    IdSet deps;
    Ballot bal = 0;          // promise; with ballots=single the only ballot
    Ballot vbal = 0;         // ballot of the last vote (ballots=split)
    bool unchanged = false;  // pre-accepted with the leader's attributes
    Ballot max_seen = 0;     // highest ballot heard of (NACKs)
  };

  EpaxosReplica(std::shared_ptr<const EpaxosOptions> options, NodeId self,
                Env& env);

  void Start() override;
  void OnClientRequest(const Command& command) override;
  void OnMessage(NodeId from, const Message& message) override;
  void OnTimer(TimerId id, uint64_t tag) override;
  void Restart() override;
  // Scripted "timeout(P, id)": what the commit timer does, at `ballot` if
  // given (it must be this replica's and above every ballot it knows).
  absl::Status StartRecovery(CommandId id,
                             std::optional<Ballot> ballot) override;
  uint64_t StoreDigest() const override { return kv_.Digest(); }
  std::vector<PendingCommand> Pending() const override;
  std::unique_ptr<Replica> Clone(Env& env) const override;
  uint64_t StateHash() const override;

  // Read-only inspection (tests, traces).
  const Instance* Find(const CommandId& id) const;
  const KvStore& store() const { return kv_; }
  bool inert() const { return inert_; }

 private:
  enum class Phase : uint8_t { kPreAccept, kAccept, kPrepare, kTryPreAccept };
  struct PreAcceptVote {
    int64_t seq = 0;
    IdSet deps;
    IdSet committed_deps;
    bool unchanged = false;
  };
  struct PrepareVote {
    NodeId from = 0;
    Ballot vote_ballot = 0;
    Status status = Status::kNone;
    std::optional<Command> cmd;
    int64_t seq = 0;
    IdSet deps;
    bool unchanged = false;
  };
  // Volatile bookkeeping of this replica's current attempt on an instance.
  struct Lead {
    Ballot ballot = 0;
    Phase phase = Phase::kPreAccept;
    bool fast_allowed = false;
    // The value proposed (PreAccept: the leader's initial attributes).
    std::optional<Command> cmd;
    int64_t seq = 0;
    IdSet deps;
    absl::btree_map<NodeId, PreAcceptVote> preaccept_votes;
    absl::btree_set<NodeId> accept_oks;
    std::vector<PrepareVote> prepare_votes;  // arrival order
    bool leader_responded = false;           // go-leader-reply-early-return
    absl::btree_set<NodeId> tpa_quorum;      // Q of the prepare phase
    absl::btree_set<NodeId> tpa_replied;
    absl::btree_set<NodeId> tpa_oks;
    std::vector<std::pair<CommandId, Status>> tpa_conflicts;
    // spec-tpa-placeholder-stall: no FinalizeTryPreAccept branch applies;
    // the attempt never ends and the timer never restarts it.
    bool stalled = false;
  };
  struct GoExecState {
    std::vector<uint64_t> execed_upto;  // per row; advanced by row scan only
    std::vector<uint64_t> row_max;      // per row: highest instance known
    std::optional<CommandId> root;      // sticky DFS root while blocked
    std::optional<CommandId> waiting_on;
    bool tick_armed = false;  // a next pass is scheduled
  };

  bool Q(Quirk q) const { return options_->Has(q); }
  int N() const { return options_->n; }
  int F() const { return options_->f; }

  // Handlers.
  void HandlePreAccept(const EpaxosMessage& m);
  void HandlePreAcceptReply(NodeId from, const EpaxosMessage& m);
  void HandleAccept(const EpaxosMessage& m);
  void HandleAcceptReply(NodeId from, const EpaxosMessage& m);
  void HandleCommit(const EpaxosMessage& m);
  void HandlePrepare(const EpaxosMessage& m);
  void HandlePrepareReply(NodeId from, const EpaxosMessage& m);
  void HandleTryPreAccept(const EpaxosMessage& m);
  void HandleTryPreAcceptReply(NodeId from, const EpaxosMessage& m);

  // Steps.
  void StartPhase1(const CommandId& id, const Command& cmd, Ballot ballot,
                   bool fast_allowed);
  void TryDecidePhase1(const CommandId& id);
  void StartAccept(const CommandId& id, const std::optional<Command>& cmd,
                   int64_t seq, IdSet deps, Ballot ballot);
  void SlowPath(const CommandId& id);
  void ResendAsOwner(const CommandId& id);
  void CommitAsLeader(const CommandId& id, const std::optional<Command>& cmd,
                      int64_t seq, const IdSet& deps, std::string_view path);
  void BroadcastCommit(const CommandId& id, const std::optional<Command>& cmd,
                       int64_t seq, const IdSet& deps, Ballot ballot,
                       std::string_view path);
  void CommitLocally(const CommandId& id, const std::optional<Command>& cmd,
                     int64_t seq, const IdSet& deps, Ballot ballot,
                     std::string_view path, bool learned);
  void SettleProposal(const CommandId& id, bool learned);
  void Timeout(const CommandId& id, std::optional<Ballot> ballot);
  void BeginRecovery(const CommandId& id, std::optional<Ballot> ballot);
  void DecidePrepare(const CommandId& id);
  void DecidePrepareGo(const CommandId& id);
  void RecoveryPhase1(const CommandId& id, const std::optional<Command>& cmd);
  void RecoveryNoop(const CommandId& id);
  void StartTryPreAccept(const CommandId& id, const PrepareVote& value);
  void FinishTryPreAccept(const CommandId& id);
  EpaxosMessage ZeroedGoPreAccept() const;
  std::optional<std::pair<CommandId, Status>> FindTpaConflict(
      const CommandId& id, const std::optional<Command>& cmd, int64_t seq,
      const IdSet& deps) const;
  void Panic(std::string_view what);

  // State helpers.
  Instance& GetOrCreate(const CommandId& id);
  void SetPayload(const CommandId& id, Instance& inst,
                  const std::optional<Command>& cmd);
  IdSet Interfering(const Command& cmd, const CommandId& exclude) const;
  int64_t MaxSeq(const IdSet& ids) const;
  // One chunk of a set: the highest seq of its ids known here, and whether
  // they are all committed here (remembered if so: committed_chunks_).
  struct ChunkScan {
    int64_t max_seq = 0;
    bool committed = false;
  };
  ChunkScan ScanChunk(const IdSet::ChunkPtr& chunk) const;
  // The ids of `ids` not committed here, in order.
  std::vector<CommandId> UncommittedIn(const IdSet& ids) const;
  bool IsCommitted(const CommandId& id) const;
  // Every status change goes through here (committed_chunks_ follows it).
  void SetStatus(Instance& inst, Status status);
  Ballot VoteBallot(const Instance& inst) const;
  Ballot NextBallot(const CommandId& id) const;
  void SetBallots(Instance& inst, Ballot b);
  void Preempt(const CommandId& id, Ballot promised);
  void TraceInstance(const CommandId& id, std::string_view why);
  void Send(NodeId to, const EpaxosMessage& m);
  void SendAll(const std::vector<NodeId>& to, const EpaxosMessage& m);
  std::vector<NodeId> Peers(int count) const;
  std::vector<NodeId> FanOut(const CommandId& id, int count) const;
  std::vector<NodeId> Others() const;
  bool InOwnersFastQuorum(NodeId replica, const CommandId& id) const;

  // Timers.
  void ArmTimer(const CommandId& id);
  void DisarmTimer(const CommandId& id);
  void ArmAllUncommitted();

  // Execution.
  absl::flat_hash_map<CommandId, std::vector<CommandId>> BlockedOnAll() const;
  void ExecutorCommitted(const CommandId& id);
  void ExecuteOne(const CommandId& id);
  void RunGoExecutor();
  bool GoExecuteFrom(const CommandId& root);  // false: stuck
  // 1: visit, 0: skip (executed), -1: stuck (the DFS waits here).
  int GoVisitable(const CommandId& id);
  bool GoExecBlocked() const { return go_exec_.root.has_value(); }

  std::shared_ptr<const EpaxosOptions> options_;
  NodeId self_;
  Env* env_;
  bool inert_ = false;  // a ported Go panic: behaves as crashed

  // Durable (kept by Restart unless durable=false).
  std::map<CommandId, Instance> instances_;  // std::map: stable references
  uint64_t next_instance_ = 1;               // own row; instances number from 1
  absl::btree_map<CommandId, Command> proposals_;  // own, awaiting commit
  KvStore kv_;
  DependencyExecutor executor_;  // used without quirks
  GoExecState go_exec_;          // used with quirks
  // Conflict index over instances with a payload: per key (KeyIds keeps a
  // busy key's conflict sets as IdSets), the no-ops (a set: it joins every
  // conflict set) and all of them (a no-op's conflicts).
  KeyMap<KeyIds> by_key_;
  IdSet noops_;
  absl::btree_set<CommandId> with_payload_;
  absl::btree_map<CommandId, CommandId> deferred_;  // id -> deferred on
  // Derived: the chunks of dependency sets (id_set.h) whose ids are all
  // committed here, with their highest seq, so that MaxSeq and
  // UncommittedIn skip them whole: sets of a busy key share their old
  // chunks, so a PreAccept looks only at the recent ones. Valid while no
  // committed instance leaves the committed states or changes its seq (only
  // quirks do either: SetStatus and CommitLocally then drop it all). Holds
  // the chunks, so an address is never reused by another; looked up only,
  // never iterated.
  struct Memo {
    IdSet::ChunkPtr chunk;
    ChunkScan scan;
  };
  mutable absl::flat_hash_map<const IdSet::Chunk*, Memo> committed_chunks_;

  // Volatile.
  std::map<CommandId, Lead> leads_;
  absl::btree_map<CommandId, TimerId> timers_;
  absl::btree_map<CommandId, int> attempts_;     // recoveries started per id
  std::optional<EpaxosMessage> last_preaccept_;  // go-tpa-wrong-message
};

}  // namespace epsim::protocol::epaxos

#endif  // EPSIM_PROTOCOL_EPAXOS_REPLICA_H_
