// A Multi-Paxos replica: proposer, acceptor and learner of one replicated
// log, with a stable leader.
//
// Steady state: the leader owns a ballot every acceptor promised, gives each
// client request the next free slot and runs phase 2 only (Accept to all,
// chosen on a majority of Accepted, then Commit to all). Replicas execute
// the log in slot order on a KvStore. A client request that arrives at a
// follower is forwarded to the leader that follower believes in (the owner
// of the highest ballot it promised).
//
// Failures: the leader sends heartbeats; a replica that hears nothing from
// its leader within a randomised timeout runs phase 1 with the smallest
// ballot it owns above its promise (ballots k*n + id + 1), adopts for every
// slot from its first unchosen one the value of the highest ballot a
// majority reported (a Nop where nobody accepted anything), re-proposes
// them, and becomes leader. Replicas keep the client requests that arrived
// at them until they execute, and forward them again whenever they learn of
// a new leader (and periodically), so requests sent to a dead leader are
// served; the leader skips requests already in its log and the KvStore
// makes any remaining duplicate take effect once.
//
// Initially every acceptor has promised ballot leader + 1 (k = 0 of the
// configured leader), so the first leader starts in phase 2 without running
// phase 1: no acceptor can have accepted anything at a lower ballot.
//
// Command ids: slot s is CommandId{origin 0, counter s}, deps {slot s-1}
// (empty for slot 1), seq s. The origin is 0 rather than the proposing
// leader because the proposer of a slot can change across ballots while the
// id must be the same at every replica; the deps chain makes the generic
// execution-order checks see the log order.
//
// Durable across Restart(): the promised ballot, the log (accepted and
// chosen entries), the state machine and how far it has executed. Lost: the
// role (a restarted leader comes back as a follower and must win phase 1
// again, so it never reuses its old ballot), phase 1 and 2 bookkeeping, and
// the client requests it was holding (their clients retry).
#ifndef EPSIM_PROTOCOL_MULTIPAXOS_REPLICA_H_
#define EPSIM_PROTOCOL_MULTIPAXOS_REPLICA_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "protocol/common/command.h"
#include "protocol/common/env.h"
#include "protocol/common/kv_store.h"
#include "protocol/common/replica.h"
#include "protocol/multipaxos/messages.h"

namespace epsim::protocol::multipaxos {

struct Config {
  int replicas = 3;
  NodeId initial_leader = 0;
  Duration heartbeat_interval = 0;
  // A follower suspects its leader after suspect_after + Random(jitter) of
  // silence; a candidate retries phase 1 after phase1_timeout +
  // Random(jitter).
  Duration suspect_after = 0;
  Duration phase1_timeout = 0;
  Duration jitter = 0;
  // A replica forwards its unexecuted client requests again this often.
  Duration retry_interval = 0;

  // Timeouts as multiples of the largest round trip between replicas
  // (100 ms when the topology does not say).
  static Config FromRoundTrip(int replicas, NodeId leader,
                              Duration max_round_trip);
};

// Every name passed to Env::Cover.
std::vector<std::string> CoverageBranches();

class MultiPaxosReplica final : public Replica {
 public:
  enum TimerTag : uint64_t {
    kHeartbeatTimer = 1,
    kElectionTimer = 2,
    kPhase1Timer = 3,
    kRetryTimer = 4,
  };
  enum class Role : uint8_t { kFollower, kCandidate, kLeader };

  MultiPaxosReplica(const Config& config, NodeId self, Env& env);

  void Start() override;
  void OnClientRequest(const Command& command) override;
  void OnMessage(NodeId from, const Message& message) override;
  void OnTimer(TimerId id, uint64_t tag) override;
  void Restart() override;
  uint64_t StoreDigest() const override { return kv_.Digest(); }
  std::vector<PendingCommand> Pending() const override;
  std::unique_ptr<Replica> Clone(Env& env) const override;
  uint64_t StateHash() const override;

  // Inspection for tests and traces.
  Role role() const { return role_; }
  Ballot promised() const { return promised_; }
  NodeId BelievedLeader() const { return Owner(promised_); }
  Slot executed_below() const { return executed_below_; }
  const KvStore& store() const { return kv_; }

 private:
  struct Proposal {
    absl::btree_set<NodeId> acks;
    uint64_t sent_tick = 0;  // heartbeat tick of the last (re)send
  };
  struct HeldRequest {
    Command command;
    uint64_t generation = 0;  // retry generation it was last forwarded in
  };

  // Message handlers (one per message type).
  void OnForward(const Forward& m);
  void OnPrepare(NodeId from, const Prepare& m);
  void OnPromise(NodeId from, const Promise& m);
  void OnAccept(NodeId from, const Accept& m);
  void OnAccepted(NodeId from, const Accepted& m);
  void OnCommit(NodeId from, const Commit& m);
  void OnHeartbeat(NodeId from, const Heartbeat& m);
  void OnCatchUp(NodeId from, const CatchUp& m);
  void OnNack(const Nack& m);

  // Roles and ballots.
  NodeId Owner(Ballot b) const;
  int Majority() const { return config_.replicas / 2 + 1; }
  void ObserveBallot(Ballot b);
  void StepDown();
  void OnLeaderChanged();
  void StartPhase1();
  void WinPhase1();

  // Phase 2 and learning.
  void Route(const Command& command);
  void Propose(const Command& command);
  void StartAccept(Slot slot, const Command& command, bool recovered);
  void Choose(Slot slot);
  void BroadcastCommit(const SlotEntry& entry);
  bool MarkChosen(Slot slot, const Command& command, Ballot ballot,
                  bool recovered);
  void Execute();
  Slot FirstUnchosen() const;
  std::vector<SlotEntry> EntriesFrom(Slot from) const;
  // Whether `request` sits in an unexecuted slot of the log.
  bool InFlight(const RequestId& request) const;

  // Plumbing.
  void Broadcast(const MessagePtr& message);
  // "I promised a higher ballot": lets a stale leader or candidate step down.
  void SendNack(NodeId to);
  void ArmElectionTimer();
  void ArmRetryTimer();
  void CancelTimer(std::optional<TimerId>& timer);
  void Trace(const std::string& line);
  std::string RoleName() const;

  Config config_;
  NodeId self_;
  Env* env_;

  // Durable.
  Ballot promised_ = 0;
  absl::btree_map<Slot, SlotEntry> log_;
  absl::btree_map<RequestId, Slot> request_slots_;  // last slot holding it
  Slot executed_below_ = 1;
  KvStore kv_;

  // Volatile.
  Role role_ = Role::kFollower;
  Slot next_slot_ = 1;                         // leader
  absl::btree_map<Slot, Proposal> proposals_;  // leader: unchosen slots
  uint64_t tick_ = 0;                          // leader: heartbeats sent
  Slot phase1_from_ = 1;                       // candidate
  absl::btree_map<NodeId, std::vector<SlotEntry>> promises_;  // candidate
  absl::btree_map<RequestId, HeldRequest> held_;  // client requests here
  absl::btree_map<RequestId, Command> queued_;    // awaiting my leadership
  uint64_t retry_generation_ = 0;
  std::optional<TimerId> heartbeat_timer_;
  std::optional<TimerId> election_timer_;
  std::optional<TimerId> phase1_timer_;
  std::optional<TimerId> retry_timer_;
};

}  // namespace epsim::protocol::multipaxos

#endif  // EPSIM_PROTOCOL_MULTIPAXOS_REPLICA_H_
