// Protocol-neutral safety checks over what replicas report during a run
// (docs/design.md, "What is checked on every run"), plus the protocol's own
// checks, gathered behind one small facade the harness drives:
//
//   RunChecker checks(protocol.MakeChecks());
//   checks.OnSubmitted(command);                  // a client sent it
//   checks.OnCommitted(replica, record, where);   // Env reported a commit
//   checks.OnExecuted(replica, record, where);    // Env reported an execution
//   ...
//   checks.Finish(final_states, where);           // after quiescence
//   checks.SetLinearizability(history, result);   // checker/linearizability.h
//   for (auto& [name, verdict] : checks.verdicts()) ...
//   for (auto& v : checks.violations()) std::cout << v.ToString();
//
// Checks (names as in `verdicts()`):
//   agreement        every replica that commits an id commits the same
//                    command, deps and seq (CommitRecord::SameDecision)
//   execution-order  no two replicas execute two conflicting commands in
//                    opposite orders
//   exactly-once     no replica executes one command id twice, or lets one
//                    client request take effect twice; only submitted
//                    commands (or Nop) are committed or executed
//   convergence      replicas that executed the same commands hold the same
//                    key-value state (checked by Finish)
//   linearizability  the clients' history (fed by SetLinearizability)
//   <protocol's>     each ProtocolCheck, run at the first commit of each id
// Anything else (liveness) can be reported with Report().
//
// Each violation records the first event where the property broke: the
// simulated time, the replica, and the harness's short description of the
// triggering event. Not thread-safe; one RunChecker per run.
#ifndef EPSIM_CHECKER_INVARIANTS_H_
#define EPSIM_CHECKER_INVARIANTS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "checker/history.h"
#include "checker/linearizability.h"
#include "protocol/common/command.h"
#include "protocol/common/id_map.h"
#include "protocol/common/key.h"
#include "protocol/common/protocol.h"
#include "protocol/common/records.h"
#include "protocol/common/request_map.h"
#include "protocol/common/types.h"

namespace epsim::checker {

// The event during which a check saw something.
struct Where {
  Where() = default;
  Where(protocol::Time time, protocol::NodeId replica, std::string event)
      : time(time), replica(replica), event(std::move(event)) {}
  Where(protocol::Time time, protocol::NodeId replica, std::string_view action,
        protocol::CommandId subject)
      : time(time), replica(replica), action(action), subject(subject) {}

  protocol::Time time = 0;
  protocol::NodeId replica = -1;  // -1: not one replica's event (end of run)
  std::string event;              // e.g. "deliver Commit(1.3) from 2"
  // The same, built only if a check reports (the harness calls the checker
  // at every commit and execution): when `event` is empty and `action` is
  // not, the event reads "<action> <subject> at r<replica>". `action` must
  // outlive the call (a string literal); a stored violation has `event`.
  std::string_view action;
  protocol::CommandId subject;

  // `event`, or the text `action` and `subject` stand for.
  std::string Event() const;
};

struct InvariantViolation {
  std::string check;
  Where where;
  std::vector<protocol::CommandId> commands;
  std::vector<protocol::NodeId> replicas;
  std::string detail;
  // "agreement violated at t=1200 replica 2 (deliver ...): detail
  //  [commands 1.3; replicas 0, 2]".
  std::string ToString() const;
};

enum class CheckVerdict { kOk, kViolation, kUndecided, kNotRun };
std::string_view CheckVerdictName(CheckVerdict v);  // "ok", "violation", ...

// A replica's state after quiescence, for convergence.
struct ReplicaFinalState {
  protocol::NodeId replica = 0;
  std::vector<protocol::CommandId> executed;  // any order; sorted inside
  uint64_t digest = 0;                        // KvStore::Digest()
};

class RunChecker {
 public:
  static constexpr std::string_view kAgreement = "agreement";
  static constexpr std::string_view kExecutionOrder = "execution-order";
  static constexpr std::string_view kExactlyOnce = "exactly-once";
  static constexpr std::string_view kConvergence = "convergence";
  static constexpr std::string_view kLinearizability = "linearizability";

  explicit RunChecker(std::vector<std::unique_ptr<protocol::ProtocolCheck>>
                          protocol_checks = {});
  RunChecker(const RunChecker&) = delete;
  RunChecker& operator=(const RunChecker&) = delete;

  // A client submitted `command` (retries of one request submit the same
  // command again; that is fine).
  void OnSubmitted(const protocol::Command& command);
  void OnCommitted(protocol::NodeId replica,
                   const protocol::CommitRecord& record, const Where& where);
  void OnExecuted(protocol::NodeId replica,
                  const protocol::ExecutionRecord& record, const Where& where);
  // What the executions reported so far say: whether `replica` executed
  // `id`, and every id it executed, sorted.
  bool Executed(protocol::NodeId replica, const protocol::CommandId& id) const;
  std::vector<protocol::CommandId> ExecutedBy(protocol::NodeId replica) const;
  // Convergence, after quiescence: pass every live replica.
  void Finish(const std::vector<ReplicaFinalState>& replicas,
              const Where& where);
  // The linearizability checker's result on the run's history.
  void SetLinearizability(const History& history,
                          const LinearizabilityResult& result);
  // A check run elsewhere (e.g. "liveness"): marks it run, and violated when
  // `violation` is given (its `check` field is set to `check`).
  void Report(std::string_view check,
              std::optional<InvariantViolation> violation);

  // Check name -> verdict; every check above appears (kNotRun until run).
  const absl::btree_map<std::string, CheckVerdict>& verdicts() const {
    return verdicts_;
  }
  // In the order found; at most kMaxViolationsPerCheck per check (the rest
  // are counted in `violation_counts()`).
  const std::vector<InvariantViolation>& violations() const {
    return violations_;
  }
  const absl::btree_map<std::string, int64_t>& violation_counts() const {
    return violation_counts_;
  }
  bool ok() const;  // no check violated
  static constexpr int64_t kMaxViolationsPerCheck = 10;

 private:
  // The first commit of an id, compared with every later one. The deps are
  // shared with the record (no copy); a report lists them only while short.
  struct FirstCommit {
    protocol::NodeId replica = -1;
    protocol::Command command;
    std::optional<int64_t> seq;
    protocol::Ballot ballot = 0;
    protocol::IdSet deps;
    bool Same(const protocol::CommitRecord& record) const;
    std::string ToString(const protocol::CommandId& id) const;
  };
  static constexpr size_t kListedDeps = 32;
  // Where one id was executed: per replica, its position in that
  // replica's log of the id's key (-1: not executed there).
  struct Executions {
    absl::InlinedVector<int32_t, 7> position;
  };
  // Every replica's executions of one key.
  struct KeyLog {
    struct Entry {
      protocol::CommandId id;
      int32_t replica;
      int32_t position;  // in `replica`'s log of the key
      bool write;
    };
    // For a pair of replicas (r, r'): the largest position at r' of a
    // command (of a write) both r and r' executed; -1 if none.
    struct Common {
      int32_t any = -1;
      int32_t write = -1;
    };
    std::vector<Entry> entries;              // in the order reported
    absl::InlinedVector<int32_t, 7> length;  // per replica
    // Common of (r, r') at [r * replicas + r'], one block per key (most keys
    // are new: at low conflict every command has a key of its own).
    std::vector<Common> common;
    size_t replicas = 0;

    // Makes room for replicas 0 .. n-1.
    void Fit(size_t n);
    Common& CommonOf(protocol::NodeId r, protocol::NodeId other) {
      return common[static_cast<size_t>(r) * replicas +
                    static_cast<size_t>(other)];
    }
  };

  void Violate(std::string_view check, const Where& where,
               std::vector<protocol::CommandId> commands,
               std::vector<protocol::NodeId> replicas, std::string detail);
  bool Submitted(const protocol::Command& command) const;
  void CheckExecutionOrder(protocol::NodeId replica,
                           const protocol::ExecutionRecord& record,
                           const Where& where, Executions& executions);

  std::vector<std::unique_ptr<protocol::ProtocolCheck>> protocol_checks_;
  absl::btree_map<std::string, CheckVerdict> verdicts_;
  absl::btree_map<std::string, int64_t> violation_counts_;
  std::vector<InvariantViolation> violations_;

  // Per-request, per-id and per-key state in dense tables; the hash map
  // (repeated_) is only looked up, never iterated (docs/design.md).
  protocol::RequestMap<protocol::Command> submitted_;  // Command{}: none
  protocol::IdMap<FirstCommit> first_commit_;  // replica -1: not committed
  protocol::IdMap<Executions> executions_;
  // (replica, id) -> executions beyond the first (exactly-once reports).
  absl::flat_hash_map<std::pair<protocol::NodeId, protocol::CommandId>, int64_t>
      repeated_;
  // [replica][request]: took effect as this id.
  std::vector<protocol::RequestMap<std::optional<protocol::CommandId>>>
      took_effect_;
  protocol::KeyMap<KeyLog> key_logs_;
  size_t replicas_seen_ = 0;  // 1 + the largest replica id executing
};

}  // namespace epsim::checker

#endif  // EPSIM_CHECKER_INVARIANTS_H_
