// One EPaxos* process (Ryabinin, Gotsman, Sutra, OPODIS 2025), written
// handler by handler from docs/protocols.md Part I: the commit protocol (Fig.
// 3, C1-C6), recovery (Fig. 5, R1-R7) and execution (Fig. 1) over the shared
// dependency-graph executor.
//
// Execution model (I.6): a handler's precondition is a guard. The only
// messages whose guard can become true later are Commit(b) and Validate(b)
// arriving before this process joined ballot b; they wait in a per-id
// buffer that is retried whenever bal[id] changes and pruned once
// bal[id] > b. Every other message is either enabled or dead on arrival.
// Messages to oneself never go through Env::Send: they are queued and
// handled before the current step returns (same atomic step).
//
// Durability (pitfall 22): the paper is crash-stop. epsim may restart a
// node, so the whole per-id state of I.4, waitingSeen, the id counter, the
// executor and the key-value store are declared durable (assumed written to
// stable storage before any reply leaves); Restart() drops only the volatile
// bookkeeping (coordinator replies, recovery attempts, buffers, timers) and
// re-arms the recovery timers of every command not committed yet.
#ifndef EPSIM_PROTOCOL_EPAXOS_STAR_REPLICA_H_
#define EPSIM_PROTOCOL_EPAXOS_STAR_REPLICA_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "protocol/common/by_node.h"
#include "protocol/common/executor.h"
#include "protocol/common/id_map.h"
#include "protocol/common/key.h"
#include "protocol/common/key_ids.h"
#include "protocol/common/kv_store.h"
#include "protocol/common/replica.h"
#include "protocol/epaxos_star/messages.h"
#include "protocol/epaxos_star/options.h"

namespace epsim::protocol::epaxos_star {

// Every branch name passed to Env::Cover with these options.
std::vector<std::string> StarCoverageBranches(const StarOptions& options);

// Timer tags (a script may fire a replica's timer by tag).
enum TimerTag : uint64_t {
  kFastPathTimer = 1,  // T1
  kRecoveryTimer = 2,  // T2 (commit timeout) and T3 (stuck attempt)
};

// Ballot arithmetic of I.3 with 0-based process ids: process p owns
// p+1, p+1+n, p+1+2n, ...; ballot 0 is the initial coordinator's.
Ballot NextOwnedBallot(NodeId p, int n, Ballot above);
inline NodeId BallotOwner(Ballot b, int n) {
  return b == 0 ? -1 : static_cast<NodeId>((b - 1) % n);
}

class StarReplica final : public Replica {
 public:
  StarReplica(std::shared_ptr<const StarOptions> options, NodeId self,
              Env& env);

  void Start() override;
  void OnClientRequest(const Command& command) override;
  void OnMessage(NodeId from, const Message& message) override;
  void OnTimer(TimerId id, uint64_t tag) override;
  void Restart() override;
  absl::Status StartRecovery(CommandId id,
                             std::optional<Ballot> ballot) override;
  uint64_t StoreDigest() const override { return kv_.Digest(); }
  std::vector<PendingCommand> Pending() const override;
  std::unique_ptr<Replica> Clone(Env& env) const override;
  uint64_t StateHash() const override;
  bool MayActLaterOnIgnored(NodeId from, const Message& message) const override;

  // Read access for tests and tools.
  struct Instance {  // I.4, per id (durable)
    Phase phase = Phase::kInitial;
    Ballot bal = 0;
    Ballot abal = 0;
    Payload cmd;       // null: ⊥
    Payload init_cmd;  // null: ⊥; never Nop
    DepSet dep;
    DepSet init_dep;
    CommitPath path = CommitPath::kSlow;  // how it committed here
  };
  const Instance* Find(const CommandId& id) const;
  const KvStore& kv() const { return kv_; }
  const DependencyExecutor& executor() const { return executor_; }
  // Ballot of this process's recovery attempt of `id`, if one is live.
  std::optional<Ballot> RecoveryBallot(const CommandId& id) const;
  NodeId self() const { return self_; }
  // C1/C2's conflict set { id' != exclude | cmd[id'] ⋈ c } as the indexes
  // compute it (tests compare it with the literal scan of every id).
  std::vector<CommandId> ConflictsOf(const Command& c,
                                     const CommandId& exclude) const {
    return LocalConflicts(c, exclude).ToVector();
  }

 private:
  // --- volatile bookkeeping (I.4) ---
  struct Coordination {       // as initial coordinator of an id at ballot 0
    NodeMap<DepSet> replies;  // PreAcceptOK: q -> D_q
    bool timer_expired = false;
    bool timer_armed = false;
  };
  struct AcceptRound {  // as coordinator of ballot b in the Accept phase
    Ballot ballot = 0;
    Payload cmd;
    DepSet dep;
    NodeSet oks;
    bool committed = false;
  };
  struct RecoverReply {
    Ballot abal = 0;
    Payload cmd;
    DepSet dep;
    DepSet init_dep;
    Phase phase = Phase::kInitial;
  };
  enum class Stage : uint8_t { kCollect, kValidate, kWait, kDone };
  struct RecoveryAttempt {  // R1-R6
    Ballot ballot = 0;
    Stage stage = Stage::kCollect;
    NodeMap<RecoverReply> replies;  // all RecoverOK(b)
    NodeSet quorum;                 // Q
    Payload cmd;                    // c
    DepSet dep;                     // D
    int r_max = 0;
    NodeMap<std::vector<Invalidating>> validate_ok;
    absl::btree_set<CommandId> invalidating;  // ids of I (WAIT)
  };
  struct Buffered {
    NodeId from;
    std::shared_ptr<const StarMessage> message;
  };
  struct IdTimers {
    TimerId fast = 0;      // 0: none
    TimerId recovery = 0;  // 0: none
    int attempts = 0;      // recovery attempts started (back-off)
  };
  struct TimerInfo {
    CommandId id;
    uint64_t tag = 0;
  };

  // Instances and the conflict indexes.
  Instance& Get(const CommandId& id);
  void SetCmd(const CommandId& id, Instance& inst, Payload cmd);
  void SetInitCmd(const CommandId& id, Instance& inst, Payload cmd);
  void SetBal(const CommandId& id, Instance& inst, Ballot b);
  // Drops the bookkeeping bal = b made dead (see the definition).
  void ForgetBelow(const CommandId& id, Ballot b);
  // (base ∪ { id' | cmd[id'] ⋈ c }) \ {exclude} over every locally known
  // id': C1's D (base empty) or C2's D ∪ conflicts, never holding the
  // command's own id (pitfall 8).
  IdSet LocalConflicts(const Command& c, const CommandId& exclude,
                       const IdSet& base = IdSet()) const;

  // Sending. Self copies are queued and handled before the step ends.
  void SendTo(NodeId to, std::shared_ptr<StarMessage> m);
  void Broadcast(std::shared_ptr<StarMessage> m);
  void DrainSelfQueue();
  // Runs the handler; false if its guard may still become true (buffer).
  bool Dispatch(NodeId from, const StarMessage& m);
  void RetryBuffer(const CommandId& id);

  // Commit protocol.
  void Submit(const Command& command);
  void HandlePreAccept(NodeId from, const StarMessage& m);
  void HandlePreAcceptOK(NodeId from, const StarMessage& m);
  void TryDecidePreAccept(const CommandId& id);
  void SendAccept(const CommandId& id, Ballot b, Payload cmd, DepSet dep);
  void SendCommit(const CommandId& id, Ballot b, Payload cmd, DepSet dep,
                  CommitPath path);
  void HandleAccept(NodeId from, const StarMessage& m);
  void HandleAcceptOK(NodeId from, const StarMessage& m);
  // Returns false if the guard does not hold yet (buffer it).
  bool HandleCommit(NodeId from, const StarMessage& m);
  // `first`: the first commit here (false: one ending a downgrade).
  void CommitLocally(const CommandId& id, Instance& inst, CommitPath path,
                     bool first);
  void ExecuteOne(const CommandId& id);

  // Recovery.
  void Recover(const CommandId& id, std::optional<Ballot> ballot);
  void HandleRecover(NodeId from, const StarMessage& m);
  void HandleRecoverOK(NodeId from, const StarMessage& m);
  void DecideRecovery(const CommandId& id, RecoveryAttempt& attempt);
  bool HandleValidate(NodeId from, const StarMessage& m);
  void HandleValidateOK(NodeId from, const StarMessage& m);
  void EvaluateWait(const CommandId& id);
  void HandleWaiting(const StarMessage& m);
  void HandleBallotHint(const StarMessage& m);
  void FinishAttempt(const CommandId& id, RecoveryAttempt& attempt);
  // An attempt decided (R3/R5/R6 sends its Accept or Commit) by `branch`.
  void CoverDecision(std::string_view branch);
  void SendHint(NodeId to, const CommandId& id, Ballot bal);
  RecoveryAttempt* LiveAttempt(const CommandId& id);

  // Timers (I.11).
  void ArmRecoveryTimer(const CommandId& id, bool after_attempt);
  void CancelTimers(const CommandId& id);
  void ArmFastTimer(const CommandId& id);
  void CancelFastTimer(const CommandId& id);

  void TraceInstance(const CommandId& id, const Instance& inst,
                     std::string_view why);
  void Trace(std::string_view what);

  std::shared_ptr<const StarOptions> options_;
  NodeId self_;
  Env* env_;

  // --- durable state ---
  uint64_t next_counter_ = 0;
  // Handlers hold an Instance& across look-ups of other ids (IdMap keeps
  // entries in place).
  IdMap<Instance> instances_;
  absl::btree_map<CommandId, int64_t> waiting_seen_;  // waitingSeen (R7)
  // accept_guard=*-downgrade: commands committed here and since turned
  // back into ACCEPTED, with the value they were committed (and execute)
  // with. Empty with the default guard.
  struct Decided {
    Payload cmd;
    DepSet dep;
  };
  absl::btree_map<CommandId, Decided> downgraded_;
  DependencyExecutor executor_;
  KvStore kv_;
  // Conflict indexes (derived from instances_): per key, the ids whose
  // cmd[id] is on it and those whose initCmd[id] is (one map, so a
  // PreAccept's look-ups of its key hit one entry; KeyIds keeps a busy
  // key's conflict sets as IdSets); the ids whose cmd is Nop (nop_ids_, a
  // set: it joins every conflict set).
  struct KeyIndex {
    KeyIds cmd;
    KeyIds init_cmd;
  };
  // Per key, in a table indexed by the interned key (entries stay in place
  // as keys are added).
  KeyMap<KeyIndex> key_indexes_;
  IdSet nop_ids_;

  // --- volatile state ---
  absl::btree_map<CommandId, Coordination> coordinating_;
  absl::btree_map<CommandId, AcceptRound> accept_rounds_;
  absl::btree_map<CommandId, RecoveryAttempt> attempts_;
  absl::btree_map<CommandId, Ballot> ballot_hints_;
  // id' -> ids whose attempt waits (stage WAIT) with id' in I (R6 wake-ups).
  absl::btree_map<CommandId, absl::btree_set<CommandId>> waiting_on_;
  absl::btree_map<CommandId, std::vector<Buffered>> buffered_;
  IdMap<IdTimers> timers_;  // an id without timers holds IdTimers{}
  // Looked up by the timer that fired, never iterated.
  absl::flat_hash_map<TimerId, TimerInfo> timer_info_;
  std::deque<std::shared_ptr<const StarMessage>> self_queue_;
  std::vector<CommandId> retry_ids_;  // ids whose bal changed (buffer)
  std::vector<Command> resubmit_queue_;
  bool draining_ = false;
};

}  // namespace epsim::protocol::epaxos_star

#endif  // EPSIM_PROTOCOL_EPAXOS_STAR_REPLICA_H_
