// A tiny deterministic cluster for protocol unit tests: one FakeEnv per
// replica, a test-controlled pool of in-flight messages (deliver in a seeded
// random order, hold, drop, duplicate), a virtual clock whose timers fire
// only when the test advances it, crashes and restarts. It records what each
// replica reported (commits, executions, coverage) and checks agreement as
// it goes.
#ifndef EPSIM_TESTS_MULTIPAXOS_FAKE_CLUSTER_H_
#define EPSIM_TESTS_MULTIPAXOS_FAKE_CLUSTER_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "protocol/common/env.h"
#include "protocol/common/protocol.h"
#include "protocol/common/replica.h"
#include "sim/random.h"

namespace epsim::testing {

using protocol::Command;
using protocol::CommandId;
using protocol::CommitRecord;
using protocol::Duration;
using protocol::ExecutionRecord;
using protocol::MessagePtr;
using protocol::NodeId;
using protocol::Time;
using protocol::TimerId;

class FakeCluster {
 public:
  struct Envelope {
    NodeId from;
    NodeId to;
    MessagePtr message;
  };
  using Filter = std::function<bool(const Envelope&)>;

  // `spec` goes through the built-in registry ("multipaxos:leader=1").
  FakeCluster(const std::string& spec, int replicas, uint64_t seed,
              Duration max_round_trip = 100 * protocol::kMillisecond);
  ~FakeCluster();

  const protocol::Protocol& protocol() const { return *protocol_; }
  protocol::Replica& replica(NodeId id);
  protocol::Env& env(NodeId id);
  int size() const { return static_cast<int>(nodes_.size()); }
  Time now() const { return now_; }

  // A client request arrives at replica `at`.
  void Submit(NodeId at, const Command& command);

  // Messages matching a hold filter stay in the pool until released.
  void Hold(Filter filter) { hold_ = std::move(filter); }
  void ReleaseHold() { hold_ = nullptr; }
  // Removes every in-flight message matching `filter`; returns how many.
  int Drop(const Filter& filter);
  // Delivers one deliverable message chosen at random; false if none.
  bool DeliverOne();
  // Delivers until nothing deliverable is left (bounded).
  void DeliverAll(int max_steps = 100000);
  // Copies one random in-flight message (the network duplicated it).
  void DuplicateOne();
  std::vector<Envelope> InFlight() const { return pool_; }

  // Moves the clock to the next armed timer and fires it; false if none.
  bool FireNextTimer();
  // Alternates DeliverAll and timers until `until` holds or `limit` of
  // virtual time passed; returns whether `until` held.
  bool RunUntil(const std::function<bool()>& until, Duration limit);

  void Crash(NodeId id);
  void Restart(NodeId id);
  bool up(NodeId id) const;

  // What each replica reported.
  const std::vector<CommitRecord>& commits(NodeId id) const;
  const std::vector<ExecutionRecord>& executions(NodeId id) const;
  int Covered(const std::string& branch) const;
  // Violations seen so far: agreement between replicas, a command committed
  // twice at one replica, coverage names the protocol does not list, and
  // the protocol's own checks on first commits.
  const std::vector<std::string>& violations() const { return violations_; }

  // Whether every request in `requests` has executed (not as a duplicate)
  // exactly once at every live replica.
  bool AllExecuted(const std::vector<Command>& requests) const;
  // Empty if every pair of replicas executed in the same order (one is a
  // prefix of the other); else a description.
  std::string ExecutionOrderMismatch() const;

 private:
  class Node;
  friend class Node;

  void Record(NodeId id, const CommitRecord& record);
  void Violation(std::string text) { violations_.push_back(std::move(text)); }

  std::unique_ptr<protocol::Protocol> protocol_;
  std::vector<std::unique_ptr<protocol::ProtocolCheck>> checks_;
  absl::btree_set<std::string> branches_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<Envelope> pool_;
  Filter hold_;
  struct PendingTimer {
    NodeId node;
    uint64_t tag;
  };
  absl::btree_map<std::pair<Time, TimerId>, PendingTimer> timers_;
  TimerId next_timer_ = 1;
  Time now_ = 0;
  sim::Rng rng_;
  absl::btree_map<CommandId, CommitRecord> first_commits_;
  absl::btree_map<std::string, int> coverage_;
  std::vector<std::string> violations_;
};

// ---- Implementation (inline: test folders compile only *_test.cc) ----

class FakeCluster::Node final : public protocol::Env {
 public:
  Node(FakeCluster& cluster, NodeId id) : cluster_(cluster), id_(id) {}

  NodeId Self() const override { return id_; }
  int ClusterSize() const override { return cluster_.size(); }
  Time Now() const override { return cluster_.now_; }
  void Send(NodeId to, MessagePtr message) override {
    if (to == id_) {
      cluster_.Violation("replica " + std::to_string(id_) + " sent to itself");
      return;
    }
    if (!up || !cluster_.nodes_[to]->up) return;  // lost
    cluster_.pool_.push_back(Envelope{id_, to, std::move(message)});
  }
  TimerId SetTimer(Duration after, uint64_t tag) override {
    const TimerId id = cluster_.next_timer_++;
    const Time at = cluster_.now_ + after;
    cluster_.timers_[{at, id}] = PendingTimer{id_, tag};
    timer_times[id] = at;
    return id;
  }
  void CancelTimer(TimerId id) override {
    auto it = timer_times.find(id);
    if (it == timer_times.end()) return;
    cluster_.timers_.erase({it->second, id});
    timer_times.erase(it);
  }
  uint64_t Random(uint64_t bound) override {
    return bound == 0 ? 0 : cluster_.rng_.Below(bound);
  }
  void Committed(const CommitRecord& record) override {
    cluster_.Record(id_, record);
  }
  void Executed(const ExecutionRecord& record) override {
    executions.push_back(record);
  }
  void Cover(std::string_view branch) override {
    const std::string name(branch);
    ++cluster_.coverage_[name];
    if (!cluster_.branches_.contains(name)) {
      cluster_.Violation("Cover(\"" + name + "\") not in CoverageBranches()");
    }
  }
  bool TraceEnabled() const override { return true; }
  void Trace(std::string_view line) override { traces.emplace_back(line); }

  std::unique_ptr<protocol::Replica> replica;
  bool up = true;
  absl::btree_map<TimerId, Time> timer_times;
  std::vector<CommitRecord> commits;
  std::vector<ExecutionRecord> executions;
  std::vector<std::string> traces;

 private:
  FakeCluster& cluster_;
  NodeId id_;
};

inline FakeCluster::FakeCluster(const std::string& spec, int replicas,
                                uint64_t seed, Duration max_round_trip)
    : rng_(seed) {
  auto made = protocol::ProtocolRegistry::Builtin().Make(
      spec, protocol::ProtocolContext{replicas, max_round_trip});
  if (!made.ok())
    throw std::runtime_error(std::string(made.status().message()));
  protocol_ = std::move(*made);
  checks_ = protocol_->MakeChecks();
  for (const std::string& b : protocol_->CoverageBranches())
    branches_.insert(b);
  for (NodeId id = 0; id < replicas; ++id) {
    nodes_.push_back(std::make_unique<Node>(*this, id));
  }
  for (NodeId id = 0; id < replicas; ++id) {
    nodes_[id]->replica = protocol_->MakeReplica(id, *nodes_[id]);
  }
  for (NodeId id = 0; id < replicas; ++id) nodes_[id]->replica->Start();
}

inline FakeCluster::~FakeCluster() = default;

inline protocol::Env& FakeCluster::env(NodeId id) { return *nodes_[id]; }
inline protocol::Replica& FakeCluster::replica(NodeId id) {
  return *nodes_[id]->replica;
}
inline bool FakeCluster::up(NodeId id) const { return nodes_[id]->up; }
inline const std::vector<CommitRecord>& FakeCluster::commits(NodeId id) const {
  return nodes_[id]->commits;
}
inline const std::vector<ExecutionRecord>& FakeCluster::executions(
    NodeId id) const {
  return nodes_[id]->executions;
}

inline void FakeCluster::Submit(NodeId at, const Command& command) {
  if (nodes_[at]->up) nodes_[at]->replica->OnClientRequest(command);
}

inline int FakeCluster::Drop(const Filter& filter) {
  const size_t before = pool_.size();
  std::erase_if(pool_, filter);
  return static_cast<int>(before - pool_.size());
}

inline bool FakeCluster::DeliverOne() {
  std::vector<size_t> ready;
  for (size_t i = 0; i < pool_.size(); ++i) {
    if (!hold_ || !hold_(pool_[i])) ready.push_back(i);
  }
  if (ready.empty()) return false;
  const size_t pick = ready[rng_.Below(ready.size())];
  Envelope envelope = pool_[pick];
  pool_.erase(pool_.begin() + static_cast<std::ptrdiff_t>(pick));
  Node& to = *nodes_[envelope.to];
  if (to.up) to.replica->OnMessage(envelope.from, *envelope.message);
  return true;
}

inline void FakeCluster::DeliverAll(int max_steps) {
  for (int i = 0; i < max_steps && DeliverOne(); ++i) {
  }
}

inline void FakeCluster::DuplicateOne() {
  if (pool_.empty()) return;
  pool_.push_back(pool_[rng_.Below(pool_.size())]);
}

inline bool FakeCluster::FireNextTimer() {
  if (timers_.empty()) return false;
  auto it = timers_.begin();
  const auto [at, id] = it->first;
  const PendingTimer timer = it->second;
  timers_.erase(it);
  nodes_[timer.node]->timer_times.erase(id);
  now_ = std::max(now_, at);
  if (nodes_[timer.node]->up)
    nodes_[timer.node]->replica->OnTimer(id, timer.tag);
  return true;
}

inline bool FakeCluster::RunUntil(const std::function<bool()>& until,
                                  Duration limit) {
  const Time end = now_ + limit;
  while (true) {
    DeliverAll();
    if (until()) return true;
    if (timers_.empty() || timers_.begin()->first.first > end) return false;
    FireNextTimer();
  }
}

inline void FakeCluster::Crash(NodeId id) {
  Node& node = *nodes_[id];
  node.up = false;
  for (const auto& [timer, at] : node.timer_times) timers_.erase({at, timer});
  node.timer_times.clear();
  std::erase_if(pool_,
                [id](const Envelope& e) { return e.from == id || e.to == id; });
}

inline void FakeCluster::Restart(NodeId id) {
  Node& node = *nodes_[id];
  node.up = true;
  node.replica->Restart();
  node.replica->Start();
}

inline int FakeCluster::Covered(const std::string& branch) const {
  auto it = coverage_.find(branch);
  return it == coverage_.end() ? 0 : it->second;
}

inline void FakeCluster::Record(NodeId id, const CommitRecord& record) {
  Node& node = *nodes_[id];
  for (const CommitRecord& earlier : node.commits) {
    if (earlier.id == record.id) {
      Violation("replica " + std::to_string(id) + " committed " +
                record.id.ToString() + " twice");
    }
  }
  node.commits.push_back(record);
  auto [it, first] = first_commits_.try_emplace(record.id, record);
  if (!first) {
    if (!it->second.SameDecision(record)) {
      Violation("agreement: " + it->second.ToString() + " vs " +
                record.ToString() + " at replica " + std::to_string(id));
    }
    return;
  }
  for (auto& check : checks_) {
    if (auto v = check->OnFirstCommit(record)) {
      Violation(std::string(check->Name()) + ": " + *v);
    }
  }
}

inline bool FakeCluster::AllExecuted(
    const std::vector<Command>& requests) const {
  for (const auto& node : nodes_) {
    if (!node->up) continue;
    for (const Command& request : requests) {
      int fresh = 0;
      for (const ExecutionRecord& e : node->executions) {
        if (e.command.request == request.request && !e.duplicate) {
          if (!(e.command == request)) return false;
          ++fresh;
        }
      }
      if (fresh != 1) return false;
    }
  }
  return true;
}

inline std::string FakeCluster::ExecutionOrderMismatch() const {
  for (size_t a = 0; a < nodes_.size(); ++a) {
    for (size_t b = a + 1; b < nodes_.size(); ++b) {
      const auto& x = nodes_[a]->executions;
      const auto& y = nodes_[b]->executions;
      for (size_t i = 0; i < std::min(x.size(), y.size()); ++i) {
        if (x[i].id != y[i].id || !(x[i].command == y[i].command)) {
          return "replicas " + std::to_string(a) + " and " + std::to_string(b) +
                 " differ at execution " + std::to_string(i) + ": " +
                 x[i].id.ToString() + " vs " + y[i].id.ToString();
        }
      }
    }
  }
  return "";
}

}  // namespace epsim::testing

#endif  // EPSIM_TESTS_MULTIPAXOS_FAKE_CLUSTER_H_
