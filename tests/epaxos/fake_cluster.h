// A tiny deterministic cluster for EPaxos unit tests: one FakeEnv per
// replica and a test-controlled pool of in-flight messages. Nothing moves
// unless the test says so: deliver a chosen message, drop it, fire a
// replica's commit timer for an instance, crash a replica.
#ifndef EPSIM_TESTS_EPAXOS_FAKE_CLUSTER_H_
#define EPSIM_TESTS_EPAXOS_FAKE_CLUSTER_H_

#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "protocol/builtin.h"
#include "protocol/common/env.h"
#include "protocol/common/protocol.h"
#include "protocol/common/replica.h"
#include "protocol/epaxos/messages.h"
#include "protocol/epaxos/replica.h"

namespace epsim::protocol::epaxos::testing {

struct InFlight {
  NodeId from = 0;
  NodeId to = 0;
  MessagePtr message;
  const EpaxosMessage& m() const {
    return static_cast<const EpaxosMessage&>(*message);
  }
};

// Which messages a step talks about; unset fields match anything.
struct Match {
  std::optional<std::string> type;
  std::optional<NodeId> from;
  std::optional<NodeId> to;
  std::optional<CommandId> id;
  std::optional<Ballot> ballot;
  bool Matches(const InFlight& f) const;
};

class FakeCluster;

class FakeEnv final : public Env {
 public:
  FakeEnv(FakeCluster* cluster, NodeId self) : cluster_(cluster), self_(self) {}
  NodeId Self() const override { return self_; }
  int ClusterSize() const override;
  Time Now() const override;
  void Send(NodeId to, MessagePtr message) override;
  TimerId SetTimer(Duration after, uint64_t tag) override;
  void CancelTimer(TimerId id) override;
  uint64_t Random(uint64_t bound) override;
  void Committed(const CommitRecord& record) override;
  void Executed(const ExecutionRecord& record) override;
  void Cover(std::string_view branch) override;
  bool TraceEnabled() const override;
  void Trace(std::string_view line) override;

 private:
  FakeCluster* cluster_;
  NodeId self_;
};

class FakeCluster {
 public:
  // `spec` like "epaxos:ballots=split"; dies (gtest failure) on bad specs.
  FakeCluster(const std::string& spec, int n, uint64_t seed = 1);

  int n() const { return n_; }
  Replica& replica(NodeId i) { return *replicas_[i]; }
  const Protocol& protocol() const { return *protocol_; }

  // A client command at replica `at`; returns the instance it should get
  // (the next of that replica's row).
  void Submit(NodeId at, const Command& command);

  std::vector<InFlight>& pool() { return pool_; }
  // Delivers the first in-flight message matching `match` (in send order);
  // false if there is none.
  bool Deliver(const Match& match);
  // Like Deliver, but the step must exist (gtest failure otherwise).
  void Step(const Match& match);
  int Drop(const Match& match);
  void DeliverIndex(size_t index);
  // Delivers everything, in an order drawn from the seed, until the pool is
  // empty (messages to crashed replicas are dropped). Optionally duplicates
  // a message now and then.
  void DeliverAllRandomly(bool duplicate = false, int max_steps = 1000000);
  // The commit timer of `id` at `at` expires.
  void Timeout(NodeId at, const CommandId& id);
  // Fires every armed timer that is not a commit timer (the Go executor's
  // next pass).
  void FireExecutorTimers();
  void Crash(NodeId i) { crashed_.insert(i); }
  bool crashed(NodeId i) const { return crashed_.count(i) > 0; }

  uint64_t NextRandom(uint64_t bound);

  // Observations.
  const std::vector<CommitRecord>& commits(NodeId i) const {
    return commits_[i];
  }
  const std::vector<ExecutionRecord>& executions(NodeId i) const {
    return executions_[i];
  }
  const absl::btree_map<std::string, int>& coverage() const {
    return coverage_;
  }
  std::optional<CommitRecord> FirstCommit(NodeId i, const CommandId& id) const;
  // Descriptions of agreement violations: two commit events (any replicas,
  // including twice at one replica) with different decisions for one id.
  std::vector<std::string> AgreementViolations() const;
  // Two replicas executing two conflicting commands in opposite orders.
  std::vector<std::string> ExecutionOrderViolations() const;
  // Branch names passed to Cover that the protocol does not list.
  const absl::btree_set<std::string>& unknown_branches() const {
    return unknown_branches_;
  }
  void set_verbose(bool v) { verbose_ = v; }

 private:
  friend class FakeEnv;
  int n_;
  uint64_t rng_;
  std::unique_ptr<Protocol> protocol_;
  std::vector<std::unique_ptr<FakeEnv>> envs_;
  std::vector<std::unique_ptr<Replica>> replicas_;
  std::vector<InFlight> pool_;
  struct Timer {
    NodeId node;
    uint64_t tag;
  };
  absl::btree_map<TimerId, Timer> timers_;
  TimerId next_timer_ = 1;
  absl::btree_set<NodeId> crashed_;
  std::vector<std::vector<CommitRecord>> commits_;
  std::vector<std::vector<ExecutionRecord>> executions_;
  absl::btree_map<std::string, int> coverage_;
  absl::btree_set<std::string> known_branches_;
  absl::btree_set<std::string> unknown_branches_;
  bool verbose_ = false;
};

Command Put(const std::string& key, const std::string& value, int client,
            int64_t number);
Command Get(const std::string& key, int client, int64_t number);

// Definitions (header-only: the test glob compiles *_test.cc only).

inline bool Match::Matches(const InFlight& f) const {
  const EpaxosMessage& m = f.m();
  return (!type || m.Type() == *type) && (!from || f.from == *from) &&
         (!to || f.to == *to) && (!id || m.id == *id) &&
         (!ballot || m.ballot == *ballot);
}

inline int FakeEnv::ClusterSize() const { return cluster_->n_; }
inline Time FakeEnv::Now() const { return 0; }

inline void FakeEnv::Send(NodeId to, MessagePtr message) {
  EXPECT_NE(to, self_) << "a replica sent to itself";
  cluster_->pool_.push_back(InFlight{self_, to, std::move(message)});
}

inline TimerId FakeEnv::SetTimer(Duration /*after*/, uint64_t tag) {
  const TimerId id = cluster_->next_timer_++;
  cluster_->timers_[id] = FakeCluster::Timer{self_, tag};
  return id;
}

inline void FakeEnv::CancelTimer(TimerId id) { cluster_->timers_.erase(id); }

inline uint64_t FakeEnv::Random(uint64_t bound) {
  return cluster_->NextRandom(bound);
}

inline void FakeEnv::Committed(const CommitRecord& record) {
  cluster_->commits_[self_].push_back(record);
}

inline void FakeEnv::Executed(const ExecutionRecord& record) {
  cluster_->executions_[self_].push_back(record);
}

inline void FakeEnv::Cover(std::string_view branch) {
  const std::string b(branch);
  ++cluster_->coverage_[b];
  if (cluster_->known_branches_.count(b) == 0) {
    cluster_->unknown_branches_.insert(b);
  }
}

inline bool FakeEnv::TraceEnabled() const { return cluster_->verbose_; }
inline void FakeEnv::Trace(std::string_view line) { std::cerr << line << "\n"; }

inline FakeCluster::FakeCluster(const std::string& spec, int n, uint64_t seed)
    : n_(n), rng_(seed * 0x9e3779b97f4a7c15ULL + 1) {
  ProtocolContext context;
  context.replicas = n;
  context.max_round_trip = 10 * kMillisecond;
  auto made = ProtocolRegistry::Builtin().Make(spec, context);
  EXPECT_TRUE(made.ok()) << made.status();
  protocol_ = *std::move(made);
  for (const std::string& b : protocol_->CoverageBranches()) {
    known_branches_.insert(b);
  }
  commits_.resize(n);
  executions_.resize(n);
  for (NodeId i = 0; i < n; ++i) {
    envs_.push_back(std::make_unique<FakeEnv>(this, i));
  }
  for (NodeId i = 0; i < n; ++i) {
    replicas_.push_back(protocol_->MakeReplica(i, *envs_[i]));
    replicas_.back()->Start();
  }
}

inline uint64_t FakeCluster::NextRandom(uint64_t bound) {
  // splitmix64
  uint64_t z = (rng_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return bound == 0 ? 0 : z % bound;
}

inline void FakeCluster::Submit(NodeId at, const Command& command) {
  if (crashed(at)) return;
  replicas_[at]->OnClientRequest(command);
}

inline bool FakeCluster::Deliver(const Match& match) {
  for (size_t i = 0; i < pool_.size(); ++i) {
    if (match.Matches(pool_[i])) {
      DeliverIndex(i);
      return true;
    }
  }
  return false;
}

inline void FakeCluster::Step(const Match& match) {
  const bool delivered = Deliver(match);
  EXPECT_TRUE(delivered) << "no in-flight " << match.type.value_or("message")
                         << " from " << match.from.value_or(-1) << " to "
                         << match.to.value_or(-1);
}

inline int FakeCluster::Drop(const Match& match) {
  int dropped = 0;
  for (size_t i = 0; i < pool_.size();) {
    if (match.Matches(pool_[i])) {
      pool_.erase(pool_.begin() + i);
      ++dropped;
    } else {
      ++i;
    }
  }
  return dropped;
}

inline void FakeCluster::DeliverIndex(size_t index) {
  InFlight f = pool_[index];
  pool_.erase(pool_.begin() + index);
  if (crashed(f.to)) return;
  if (verbose_)
    std::cerr << "deliver to " << f.to << ": " << f.m().Describe() << "\n";
  replicas_[f.to]->OnMessage(f.from, *f.message);
}

inline void FakeCluster::DeliverAllRandomly(bool duplicate, int max_steps) {
  for (int step = 0; !pool_.empty() && step < max_steps; ++step) {
    const size_t i = NextRandom(pool_.size());
    if (duplicate && NextRandom(10) == 0) pool_.push_back(pool_[i]);
    DeliverIndex(i);
  }
}

inline void FakeCluster::Timeout(NodeId at, const CommandId& id) {
  if (crashed(at)) return;
  TimerId timer = 0;
  const uint64_t tag = RecoveryTimerTag(id);
  for (const auto& [tid, t] : timers_) {
    if (t.node == at && t.tag == tag) timer = tid;
  }
  timers_.erase(timer);
  replicas_[at]->OnTimer(timer, tag);
}

inline void FakeCluster::FireExecutorTimers() {
  std::vector<std::pair<TimerId, Timer>> due;
  for (const auto& [id, t] : timers_) {
    if (!RecoveryTimerInstance(t.tag) && !crashed(t.node))
      due.emplace_back(id, t);
  }
  for (const auto& [id, t] : due) {
    timers_.erase(id);
    replicas_[t.node]->OnTimer(id, t.tag);
  }
}

inline std::optional<CommitRecord> FakeCluster::FirstCommit(
    NodeId i, const CommandId& id) const {
  for (const CommitRecord& r : commits_[i]) {
    if (r.id == id) return r;
  }
  return std::nullopt;
}

inline std::vector<std::string> FakeCluster::AgreementViolations() const {
  std::vector<std::string> out;
  absl::btree_map<CommandId, std::pair<NodeId, CommitRecord>> first;
  for (NodeId i = 0; i < n_; ++i) {
    for (const CommitRecord& r : commits_[i]) {
      auto [it, inserted] = first.try_emplace(r.id, i, r);
      if (!inserted && !it->second.second.SameDecision(r)) {
        out.push_back(absl::StrCat("replica ", it->second.first, " committed ",
                                   it->second.second.ToString(), ", replica ",
                                   i, " committed ", r.ToString()));
      }
    }
  }
  return out;
}

inline std::vector<std::string> FakeCluster::ExecutionOrderViolations() const {
  std::vector<std::string> out;
  for (NodeId a = 0; a < n_; ++a) {
    for (NodeId b = a + 1; b < n_; ++b) {
      absl::btree_map<CommandId, size_t> pos_b;
      for (size_t k = 0; k < executions_[b].size(); ++k) {
        pos_b.try_emplace(executions_[b][k].id, k);
      }
      const auto& ea = executions_[a];
      for (size_t x = 0; x < ea.size(); ++x) {
        for (size_t y = x + 1; y < ea.size(); ++y) {
          if (!Conflicts(ea[x].command, ea[y].command)) continue;
          auto px = pos_b.find(ea[x].id);
          auto py = pos_b.find(ea[y].id);
          if (px == pos_b.end() || py == pos_b.end()) continue;
          if (px->second > py->second) {
            out.push_back(absl::StrCat(
                "replica ", a, " executed ", ea[x].id.ToString(), " before ",
                ea[y].id.ToString(), ", replica ", b, " the other way round"));
          }
        }
      }
    }
  }
  return out;
}

inline Command Put(const std::string& key, const std::string& value, int client,
                   int64_t number) {
  Command c;
  c.op = OpType::kPut;
  c.key = key;
  c.value = value;
  c.request = RequestId{client, number};
  return c;
}

inline Command Get(const std::string& key, int client, int64_t number) {
  Command c;
  c.op = OpType::kGet;
  c.key = key;
  c.request = RequestId{client, number};
  return c;
}

}  // namespace epsim::protocol::epaxos::testing

#endif  // EPSIM_TESTS_EPAXOS_FAKE_CLUSTER_H_
