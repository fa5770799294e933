// The dependency-graph executor shared by EPaxos* and EPaxos (docs/protocols.md
// I.9 and II.8): commands are recorded as they commit locally, with their
// final dependency sets, and executed strongly-connected-component by
// component, dependencies first, in a caller-supplied order inside a
// component.
//
// Exactly the executable set runs: a committed command executes only when
// every command it reaches through dependencies is committed; a component
// runs whole or not at all. Nops are committed like any command (they order
// others) but never executed. Executed ids are never executed again.
//
// Incremental and amortised: each Commit() runs Tarjan's algorithm
// (iterative: chains can be thousands long) from the new command and from
// exactly the blocked commands that could have been waiting for it. A
// command blocked on an uncommitted dependency is remembered as blocked, so
// later commits above it do not re-walk the blocked region below.
//
// The executor is plain data: copyable (replica Clone) and hashable.
#ifndef EPSIM_PROTOCOL_COMMON_EXECUTOR_H_
#define EPSIM_PROTOCOL_COMMON_EXECUTOR_H_

#include <compare>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "protocol/common/id_set.h"
#include "protocol/common/types.h"

namespace epsim::protocol {

// Position of a command inside its component; ties (equal keys) are broken
// by CommandId. EPaxos* orders by id alone (key {} for every command, or
// {counter, origin}); EPaxos by (seq, owner, instance).
struct ExecOrderKey {
  int64_t major = 0;
  int64_t minor = 0;
  int64_t tie = 0;
  friend auto operator<=>(const ExecOrderKey&, const ExecOrderKey&) = default;
  friend bool operator==(const ExecOrderKey&, const ExecOrderKey&) = default;
};

class DependencyExecutor {
 public:
  // Called once per executed (non-Nop) id, in execution order.
  using ExecuteFn = absl::FunctionRef<void(const CommandId&)>;

  // Records that `id` committed locally with dependencies `deps` (the
  // command's own id must not be among them) and executes everything that
  // became executable, calling `execute` for each non-Nop id in order.
  // Committing an id again is a no-op if the decision is identical and a
  // check failure otherwise (a committed entry never changes).
  void Commit(const CommandId& id, const IdSet& deps, bool nop,
              ExecOrderKey key, ExecuteFn execute);

  bool IsCommitted(const CommandId& id) const;
  // Executed, or a committed Nop (which counts as done, never as executed).
  bool IsDone(const CommandId& id) const;
  bool IsExecuted(const CommandId& id) const;

  // The uncommitted (or never heard of) ids that keep committed `id` from
  // executing: every one reachable from `id` through committed,
  // not-yet-done commands, sorted, at most `limit` of them. Empty when `id`
  // is done or not committed. For recovery triggers and the liveness
  // wait-for graph.
  std::vector<CommandId> BlockedOn(const CommandId& id,
                                   size_t limit = 16) const;
  // The dependencies `id` was committed with that are not committed yet,
  // in the order Commit() got them: what keeps it from executing at first
  // hand.
  // Empty if `id` is not committed. Costs O(dependencies not done when it
  // committed), not O(its whole dependency set): a protocol arming timers
  // for these (EPaxos* T2) should ask here rather than scan its deps.
  std::vector<CommandId> UncommittedDeps(const CommandId& id) const;
  // Committed but not done: blocked, sorted.
  std::vector<CommandId> CommittedNotDone() const;

  int64_t executed_count() const { return executed_count_; }
  int64_t committed_count() const { return committed_count_; }

  // Order-independent digest of what is committed and done (the memo of
  // blocked commands is derived state and left out).
  uint64_t Digest() const;

 private:
  static constexpr uint32_t kNone = UINT32_MAX;

  struct Node {
    CommandId id;
    // Node indices of the dependencies not done when it committed.
    std::vector<uint32_t> deps;
    uint64_t deps_digest = 0;  // of the full decision, to check re-commits
    ExecOrderKey key;
    bool committed = false;
    bool nop = false;
    bool done = false;
    // Memo: committed, not done, and known not executable (every path of
    // its component to an uncommitted command was checked).
    bool blocked = false;
    // Number of `deps` not committed yet.
    uint32_t missing = 0;
    // Committed commands with this (uncommitted) id among their deps.
    std::vector<uint32_t> uncommitted_dependents;
    // Blocked commands with this (committed, not done) id among their deps.
    // A list, not a set: a duplicate only means a waiter looked at twice
    // (the walk skips one no longer blocked), and lists are smaller and
    // cheaper to fill than hash sets in every node.
    std::vector<uint32_t> blocked_dependents;
    // Tarjan bookkeeping of the current run.
    uint64_t visit_stamp = 0;
    uint32_t index = 0;
    uint32_t lowlink = 0;
    bool on_stack = false;
  };

  uint32_t NodeFor(const CommandId& id);
  const Node* Find(const CommandId& id) const;
  // The node index of `id`, or kNone.
  uint32_t IndexOf(const CommandId& id) const;
  // Tarjan from `root` (committed, not done, not blocked).
  void Run(uint32_t root, ExecuteFn execute);
  // Pops the component rooted at `root` off the Tarjan stack and executes it
  // or marks it blocked.
  void FinishComponent(uint32_t root, ExecuteFn execute);
  // Marks `node` done (executing it unless a Nop).
  void MarkDone(uint32_t node, ExecuteFn execute);

  std::vector<Node> nodes_;
  // Node::done of dense ids, packed and indexed by [origin][counter]:
  // Commit() scans every dependency (exact sets are long, and nearly all
  // done), and a done one should cost one load, not a look-up of its node.
  std::vector<std::vector<uint8_t>> dense_done_;
  bool KnownDone(const CommandId& id) const {
    if (id.origin < dense_done_.size()) {
      const std::vector<uint8_t>& row = dense_done_[id.origin];
      if (id.counter < row.size()) return row[id.counter] != 0;
    }
    return false;
  }
  // Chunks of dependency sets whose ids are all done (done is forever).
  // Held, so that an address is never reused by another chunk; looked up
  // only, never iterated.
  absl::flat_hash_map<const IdSet::Chunk*, IdSet::ChunkPtr> done_chunks_;
  // The leading chunks of the last dependency set that were all done (each
  // held by done_chunks_): the next set of a busy key starts with the same
  // chunks, compared here by address without a hash look-up.
  std::vector<const IdSet::Chunk*> done_prefix_;
  // CommandId -> node index: dense ids (IsDenseId) index a table per origin
  // (no hashing on the per-dependency path); the rest go to a hash map,
  // which is only ever looked up, never iterated.
  std::vector<std::vector<uint32_t>> dense_index_;
  absl::flat_hash_map<CommandId, uint32_t> sparse_index_;
  int64_t executed_count_ = 0;
  int64_t committed_count_ = 0;

  // Scratch of one run, kept to reuse allocations.
  uint64_t run_stamp_ = 0;
  uint32_t next_index_ = 0;
  std::vector<uint32_t> tarjan_stack_;
  struct Frame {
    uint32_t node;
    uint32_t next_dep;
  };
  std::vector<Frame> frames_;
  // Scratch of Commit() and FinishComponent().
  std::vector<uint32_t> dep_scratch_, work_, woken_, members_;
  bool executing_ = false;  // inside Run(): execute callbacks may be called
};

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_EXECUTOR_H_
