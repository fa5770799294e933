#include "protocol/common/executor.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "base/check.h"
#include "protocol/common/hash.h"

namespace epsim::protocol {
namespace {

uint64_t DepsDigest(const IdSet& deps, bool nop) {
  return deps.digest() ^ uint64_t { nop };
}

}  // namespace

uint32_t DependencyExecutor::IndexOf(const CommandId& id) const {
  if (IsDenseId(id)) {
    if (id.origin >= dense_index_.size()) return kNone;
    const std::vector<uint32_t>& table = dense_index_[id.origin];
    return id.counter < table.size() ? table[id.counter] : kNone;
  }
  auto it = sparse_index_.find(id);
  return it == sparse_index_.end() ? kNone : it->second;
}

uint32_t DependencyExecutor::NodeFor(const CommandId& id) {
  const uint32_t found = IndexOf(id);
  if (found != kNone) return found;
  const auto index = static_cast<uint32_t>(nodes_.size());
  if (IsDenseId(id)) {
    if (id.origin >= dense_index_.size()) dense_index_.resize(id.origin + 1);
    std::vector<uint32_t>& table = dense_index_[id.origin];
    if (id.counter >= table.size()) table.resize(id.counter + 1, kNone);
    table[id.counter] = index;
  } else {
    sparse_index_.emplace(id, index);
  }
  nodes_.emplace_back();
  nodes_.back().id = id;
  return index;
}

const DependencyExecutor::Node* DependencyExecutor::Find(
    const CommandId& id) const {
  const uint32_t index = IndexOf(id);
  return index == kNone ? nullptr : &nodes_[index];
}

bool DependencyExecutor::IsCommitted(const CommandId& id) const {
  const Node* node = Find(id);
  return node != nullptr && node->committed;
}

bool DependencyExecutor::IsDone(const CommandId& id) const {
  const Node* node = Find(id);
  return node != nullptr && node->done;
}

bool DependencyExecutor::IsExecuted(const CommandId& id) const {
  const Node* node = Find(id);
  return node != nullptr && node->done && !node->nop;
}

void DependencyExecutor::Commit(const CommandId& id, const IdSet& deps,
                                bool nop, ExecOrderKey key, ExecuteFn execute) {
  // The scratch vectors are reused across calls: an execute callback must
  // not commit (none needs to; it would clobber them).
  EPSIM_CHECK(!executing_) << "DependencyExecutor::Commit() called from "
                              "inside an execute callback";
  const uint64_t digest = DepsDigest(deps, nop);
  const uint32_t self = NodeFor(id);
  if (nodes_[self].committed) {
    EPSIM_CHECK(nodes_[self].deps_digest == digest)
        << "command " << id.ToString()
        << " committed twice with different decisions";
    return;
  }
  // Dependencies already done can never block anything: only the others
  // are kept (dependency sets are exact and grow with the history of a
  // key, the unfinished part stays small).
  std::vector<uint32_t>& dep_nodes = dep_scratch_;
  dep_nodes.clear();
  const absl::Span<const IdSet::ChunkPtr> chunks = deps.chunks();
  size_t next = 0;
  while (next < chunks.size() && next < done_prefix_.size() &&
         chunks[next].get() == done_prefix_[next]) {
    ++next;
  }
  // Whether chunks[0, next) are all done (then the prefix grows with them).
  bool leading_done = true;
  const size_t matched = next;
  for (; next < chunks.size(); ++next) {
    const IdSet::ChunkPtr& chunk = chunks[next];
    // A block found all done before is skipped whole: sets of a busy key
    // share their old blocks, so each commit looks only at the new ones.
    bool all_done = done_chunks_.contains(chunk.get());
    if (!all_done) {
      all_done = true;
      for (const CommandId& dep : chunk->ids) {
        EPSIM_CHECK(dep != id)
            << "command " << id.ToString() << " depends on itself";
        if (KnownDone(dep)) continue;
        all_done = false;
        const uint32_t node = NodeFor(dep);  // may grow nodes_
        if (!nodes_[node].done) dep_nodes.push_back(node);
      }
      if (all_done) done_chunks_.emplace(chunk.get(), chunk);
    }
    if (leading_done && all_done) {
      if (next == matched) done_prefix_.resize(matched);
      done_prefix_.push_back(chunk.get());
    } else {
      leading_done = false;
    }
  }
  uint32_t missing = 0;
  for (uint32_t dep : dep_nodes) {
    if (!nodes_[dep].committed) {
      ++missing;
      nodes_[dep].uncommitted_dependents.push_back(self);
    }
  }
  Node& node = nodes_[self];
  node.deps.assign(dep_nodes.begin(), dep_nodes.end());  // one allocation
  node.key = key;
  node.nop = nop;
  node.deps_digest = digest;
  node.committed = true;
  node.missing = missing;
  ++committed_count_;

  // Direct dependents whose last missing dependency this was: from now on
  // they wait on committed commands only, so they register as waiting on
  // each unfinished one (the walk below follows these registrations).
  {
    std::vector<uint32_t> direct =
        std::move(nodes_[self].uncommitted_dependents);
    nodes_[self].uncommitted_dependents.clear();
    for (uint32_t waiter : direct) {
      EPSIM_CHECK(nodes_[waiter].missing > 0);
      if (--nodes_[waiter].missing > 0) continue;
      for (uint32_t d : nodes_[waiter].deps) {
        if (nodes_[d].committed && !nodes_[d].done) {
          nodes_[d].blocked_dependents.push_back(waiter);
        }
      }
    }
  }
  if (missing > 0) {
    // `id` itself waits for an uncommitted command, and so does everything
    // that reaches it: nothing can run yet.
    nodes_[self].blocked = true;
    return;
  }
  // The blocked commands that may have been waiting for `id`: follow the
  // registrations backwards from it. A command with an uncommitted direct
  // dependency stays blocked whatever else happens, so the walk stops there.
  std::vector<uint32_t>& woken = woken_;
  std::vector<uint32_t>& work = work_;
  woken.clear();
  work.assign(1, self);
  for (size_t i = 0; i < work.size(); ++i) {
    std::vector<uint32_t> waiters =
        std::move(nodes_[work[i]].blocked_dependents);
    nodes_[work[i]].blocked_dependents.clear();
    for (uint32_t waiter : waiters) {
      Node& w = nodes_[waiter];
      if (w.blocked && w.missing == 0) {
        w.blocked = false;
        woken.push_back(waiter);
        work.push_back(waiter);
      }
    }
  }
  // Deterministic root order, whatever the order of registration.
  std::sort(woken.begin(), woken.end(), [this](uint32_t a, uint32_t b) {
    return nodes_[a].id < nodes_[b].id;
  });
  executing_ = true;
  struct Reset {  // even if a check throws out of a callback
    bool& flag;
    ~Reset() { flag = false; }
  } reset{executing_};
  Run(self, execute);
  for (uint32_t root : woken) Run(root, execute);
}

void DependencyExecutor::Run(uint32_t root, ExecuteFn execute) {
  {
    const Node& r = nodes_[root];
    // Done, or already found blocked by an earlier run of this commit.
    if (!r.committed || r.done || r.blocked) return;
    EPSIM_CHECK(r.missing == 0);
    if (r.deps.empty()) {
      // Every dependency is done: a component of its own, executable (what
      // the walk would find, without it; the common case).
      MarkDone(root, execute);
      return;
    }
  }
  ++run_stamp_;
  next_index_ = 0;
  auto visit = [this](uint32_t v) {
    Node& n = nodes_[v];
    n.visit_stamp = run_stamp_;
    n.index = n.lowlink = next_index_++;
    n.on_stack = true;
    tarjan_stack_.push_back(v);
    frames_.push_back({v, 0});
  };
  visit(root);
  while (!frames_.empty()) {
    Frame& frame = frames_.back();
    const uint32_t v = frame.node;
    if (frame.next_dep < nodes_[v].deps.size()) {
      const uint32_t w = nodes_[v].deps[frame.next_dep++];
      const Node& wn = nodes_[w];
      // Done, uncommitted and known-blocked dependencies are leaves; the
      // component check in FinishComponent() looks at them again.
      if (wn.done || !wn.committed || wn.blocked || wn.missing > 0) continue;
      if (wn.visit_stamp != run_stamp_) {
        visit(w);  // invalidates `frame`
      } else if (wn.on_stack) {
        nodes_[v].lowlink = std::min(nodes_[v].lowlink, wn.index);
      }
      continue;
    }
    frames_.pop_back();
    if (!frames_.empty()) {
      Node& parent = nodes_[frames_.back().node];
      parent.lowlink = std::min(parent.lowlink, nodes_[v].lowlink);
    }
    if (nodes_[v].lowlink == nodes_[v].index) FinishComponent(v, execute);
  }
}

void DependencyExecutor::FinishComponent(uint32_t root, ExecuteFn execute) {
  // Members are the stack above and including `root`; they keep on_stack
  // until the check below, and no member has an edge to any other node
  // still on the stack (Tarjan), so on_stack identifies members.
  auto first = std::find(tarjan_stack_.rbegin(), tarjan_stack_.rend(), root);
  const size_t begin = tarjan_stack_.size() - 1 -
                       static_cast<size_t>(first - tarjan_stack_.rbegin());
  std::vector<uint32_t>& members = members_;
  members.assign(tarjan_stack_.begin() + begin, tarjan_stack_.end());
  tarjan_stack_.resize(begin);

  // Executable iff every dependency outside the component is done: any other
  // dependency is uncommitted or in a component found blocked (a finished
  // component that was not blocked has executed).
  bool blocked = false;
  for (uint32_t m : members) {
    for (uint32_t d : nodes_[m].deps) {
      if (!nodes_[d].done && !nodes_[d].on_stack) {
        blocked = true;
        break;
      }
    }
    if (blocked) break;
  }
  for (uint32_t m : members) nodes_[m].on_stack = false;

  if (blocked) {
    // Remember why: each member waits on each committed, unfinished
    // dependency (uncommitted ones were registered at commit time).
    for (uint32_t m : members) {
      nodes_[m].blocked = true;
      for (uint32_t d : nodes_[m].deps) {
        if (nodes_[d].committed && !nodes_[d].done) {
          nodes_[d].blocked_dependents.push_back(m);
        }
      }
    }
    return;
  }
  std::sort(members.begin(), members.end(), [this](uint32_t a, uint32_t b) {
    const Node& x = nodes_[a];
    const Node& y = nodes_[b];
    if (x.key != y.key) return x.key < y.key;
    return x.id < y.id;
  });
  for (uint32_t m : members) MarkDone(m, execute);
}

void DependencyExecutor::MarkDone(uint32_t m, ExecuteFn execute) {
  Node& node = nodes_[m];
  EPSIM_CHECK(!node.done) << "command " << node.id.ToString()
                          << " executed twice";
  node.done = true;
  if (IsDenseId(node.id)) {
    if (node.id.origin >= dense_done_.size()) {
      dense_done_.resize(node.id.origin + 1);
    }
    std::vector<uint8_t>& row = dense_done_[node.id.origin];
    if (node.id.counter >= row.size()) row.resize(node.id.counter + 1, 0);
    row[node.id.counter] = 1;
  }
  // Nothing reads a done command's edges again (walks and checks stop at
  // done commands): give the memory back.
  std::vector<uint32_t>().swap(node.deps);
  std::vector<uint32_t>().swap(node.blocked_dependents);
  if (!node.nop) {
    ++executed_count_;
    execute(node.id);
  }
}

std::vector<CommandId> DependencyExecutor::BlockedOn(const CommandId& id,
                                                     size_t limit) const {
  std::vector<CommandId> out;
  const uint32_t index = IndexOf(id);
  if (index == kNone) return out;
  const Node& start = nodes_[index];
  if (!start.committed || start.done) return out;
  absl::flat_hash_set<uint32_t> seen = {index};
  std::vector<uint32_t> work = {index};
  while (!work.empty()) {
    const uint32_t v = work.back();
    work.pop_back();
    for (uint32_t d : nodes_[v].deps) {
      const Node& dn = nodes_[d];
      if (dn.done || !seen.insert(d).second) continue;
      if (dn.committed) {
        work.push_back(d);
      } else {
        out.push_back(dn.id);
      }
    }
  }
  std::sort(out.begin(), out.end());
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::vector<CommandId> DependencyExecutor::UncommittedDeps(
    const CommandId& id) const {
  std::vector<CommandId> out;
  const Node* node = Find(id);
  if (node == nullptr || !node->committed || node->missing == 0) return out;
  for (uint32_t d : node->deps) {
    if (!nodes_[d].committed) out.push_back(nodes_[d].id);
  }
  return out;
}

std::vector<CommandId> DependencyExecutor::CommittedNotDone() const {
  std::vector<CommandId> out;
  for (const Node& node : nodes_) {
    if (node.committed && !node.done) out.push_back(node.id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

uint64_t DependencyExecutor::Digest() const {
  uint64_t sum = 0;
  for (const Node& node : nodes_) {
    if (!node.committed) continue;
    // Summed: independent of insertion order.
    sum += StableHasher()
               .Add(node.id)
               .Add(uint64_t{node.nop} | uint64_t{node.done} << 1)
               .value();
  }
  return StableHasher().Add(sum).Add(committed_count_).value();
}

}  // namespace epsim::protocol
