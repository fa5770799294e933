// A tiny deterministic network for EPaxos* unit tests (not the simulator):
// one FakeEnv per replica and a list of in-flight messages the test
// controls. Tests deliver, hold or drop particular messages, fire timers by
// hand and crash replicas (a crashed replica receives nothing and fires no
// timers). Every commit is checked for Agreement and Visibility on the fly.
#ifndef EPSIM_TESTS_EPAXOS_STAR_CLUSTER_H_
#define EPSIM_TESTS_EPAXOS_STAR_CLUSTER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "gtest/gtest.h"
#include "protocol/common/env.h"
#include "protocol/common/protocol.h"
#include "protocol/common/visibility_check.h"
#include "protocol/epaxos_star/messages.h"
#include "protocol/epaxos_star/options.h"
#include "protocol/epaxos_star/replica.h"

namespace epsim::protocol {
// Readable gtest output for commands.
inline void PrintTo(const Command& c, std::ostream* os) { *os << c.ToString(); }
}  // namespace epsim::protocol

namespace epsim::protocol::epaxos_star::testing {

// A put; every call is a distinct client request unless given one.
inline Command Put(std::string key, std::string value, int32_t client = -1,
                   int64_t number = 1) {
  static int32_t next_client = 1000;
  if (client < 0) client = next_client++;
  Command c;
  c.op = OpType::kPut;
  c.key = std::move(key);
  c.value = std::move(value);
  c.request = {client, number};
  return c;
}

// Which in-flight messages a step means; unset fields match anything.
struct Filter {
  std::optional<MsgKind> kind;
  std::optional<NodeId> from;
  std::optional<NodeId> to;
  std::optional<CommandId> id;
};

class Cluster;

class FakeEnv final : public Env {
 public:
  FakeEnv(Cluster& cluster, NodeId self) : cluster_(cluster), self_(self) {}
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
  Cluster& cluster_;
  NodeId self_;
};

class Cluster {
 public:
  struct InFlight {
    NodeId from;
    NodeId to;
    std::shared_ptr<const StarMessage> message;
  };
  struct Timer {
    NodeId node;
    uint64_t tag;
    Time at;
  };

  explicit Cluster(int n, std::string options = "", uint64_t seed = 1)
      : rng_(seed) {
    ProtocolSpec spec;
    spec.name = "epaxos-star";
    if (!options.empty()) {
      absl::StatusOr<ProtocolSpec> parsed =
          ProtocolSpec::Parse("epaxos-star:" + options);
      EXPECT_TRUE(parsed.ok()) << parsed.status();
      spec = *parsed;
    }
    absl::StatusOr<StarOptions> o =
        ParseStarOptions(spec, ProtocolContext{n, 100 * kMillisecond});
    EXPECT_TRUE(o.ok()) << o.status();
    options_ = std::make_shared<const StarOptions>(*o);
    for (NodeId i = 0; i < n; ++i) {
      envs_.push_back(std::make_unique<FakeEnv>(*this, i));
      replicas_.push_back(
          std::make_unique<StarReplica>(options_, i, *envs_.back()));
      crashed_.push_back(false);
      commits_.emplace_back();
      executions_.emplace_back();
    }
    for (auto& r : replicas_) r->Start();
  }

  int n() const { return static_cast<int>(replicas_.size()); }
  StarReplica& replica(NodeId i) { return *replicas_[i]; }
  const StarReplica::Instance* At(NodeId i, const CommandId& id) {
    return replicas_[i]->Find(id);
  }

  // Submits at `at`; returns the new command's id (its PreAccept's).
  CommandId Submit(NodeId at, const Command& command) {
    replicas_[at]->OnClientRequest(command);
    return NewestPreAccept(at);
  }
  CommandId NewestPreAccept(NodeId from) const {
    for (size_t i = in_flight_.size(); i-- > 0;) {
      const InFlight& m = in_flight_[i];
      if (m.from == from && m.message->kind == MsgKind::kPreAccept) {
        return m.message->id;
      }
    }
    ADD_FAILURE() << "no PreAccept from " << from;
    return {};
  }

  std::vector<size_t> Matching(const Filter& f) const {
    std::vector<size_t> out;
    for (size_t i = 0; i < in_flight_.size(); ++i) {
      const InFlight& m = in_flight_[i];
      if (f.kind && m.message->kind != *f.kind) continue;
      if (f.from && m.from != *f.from) continue;
      if (f.to && m.to != *f.to) continue;
      if (f.id && m.message->id != *f.id) continue;
      out.push_back(i);
    }
    return out;
  }
  size_t Count(const Filter& f) const { return Matching(f).size(); }

  // Delivers the oldest matching message; false if none.
  bool Deliver(const Filter& f) {
    std::vector<size_t> m = Matching(f);
    if (m.empty()) return false;
    DeliverAt(m.front());
    return true;
  }
  bool Deliver(MsgKind kind, NodeId from, NodeId to,
               std::optional<CommandId> id = std::nullopt) {
    return Deliver(Filter{kind, from, to, id});
  }
  // Delivers every matching message, including ones sent meanwhile.
  int DeliverAll(const Filter& f) {
    int count = 0;
    while (Deliver(f)) ++count;
    return count;
  }
  int Drop(const Filter& f) {
    std::vector<size_t> m = Matching(f);
    for (size_t k = m.size(); k-- > 0;) {
      in_flight_.erase(in_flight_.begin() + static_cast<long>(m[k]));
    }
    return static_cast<int>(m.size());
  }
  void DeliverAt(size_t index, bool keep_copy = false) {
    InFlight m = in_flight_[index];
    if (!keep_copy) {
      in_flight_.erase(in_flight_.begin() + static_cast<long>(index));
    }
    ++delivered_;
    if (crashed_[m.to]) return;
    replicas_[m.to]->OnMessage(m.from, *m.message);
  }

  void Crash(NodeId i) { crashed_[i] = true; }
  // Crash-restart: the node's timers are lost, its durable state kept.
  void Restart(NodeId i) {
    for (auto it = timers_.begin(); it != timers_.end();) {
      it = it->second.node == i ? timers_.erase(it) : std::next(it);
    }
    replicas_[i]->Restart();
    replicas_[i]->Start();
  }
  bool crashed(NodeId i) const { return crashed_[i]; }

  // Fires the earliest pending timer of `node` with `tag` (any if unset).
  bool FireTimer(NodeId node, std::optional<uint64_t> tag = std::nullopt) {
    std::optional<TimerId> best;
    for (const auto& [id, t] : timers_) {
      if (t.node != node || (tag && t.tag != *tag)) continue;
      if (!best || t.at < timers_.at(*best).at) best = id;
    }
    if (!best) return false;
    FireTimerId(*best);
    return true;
  }
  // Fires the earliest timer of any live replica; false if none.
  bool FireEarliestTimer() {
    std::optional<TimerId> best;
    for (const auto& [id, t] : timers_) {
      if (crashed_[t.node]) continue;
      if (!best || t.at < timers_.at(*best).at) best = id;
    }
    if (!best) return false;
    FireTimerId(*best);
    return true;
  }
  void FireTimerId(TimerId id) {
    const Timer t = timers_.at(id);
    timers_.erase(id);
    now_ = std::max(now_, t.at);
    replicas_[t.node]->OnTimer(id, t.tag);
  }

  // Delivers everything (live replicas) until nothing is in flight.
  void Settle(int max_steps = 1000000) {
    for (int i = 0; i < max_steps && !in_flight_.empty(); ++i) DeliverAt(0);
  }
  // Settles and fires timers until every live replica has executed
  // everything it knows or the step budget runs out.
  void RunToQuiescence(int max_timer_fires = 2000) {
    Settle();
    for (int i = 0; i < max_timer_fires && !AllDone(); ++i) {
      if (!FireEarliestTimer()) break;
      Settle();
    }
  }
  bool AllDone() const {
    for (NodeId i = 0; i < n(); ++i) {
      if (!crashed_[i] && !replicas_[i]->Pending().empty()) return false;
    }
    return true;
  }

  const std::vector<CommitRecord>& commits(NodeId i) const {
    return commits_[i];
  }
  const std::vector<ExecutionRecord>& executions(NodeId i) const {
    return executions_[i];
  }
  std::optional<CommitRecord> CommitAt(NodeId i, const CommandId& id) const {
    for (const CommitRecord& r : commits_[i]) {
      if (r.id == id) return r;
    }
    return std::nullopt;
  }
  int64_t coverage(const std::string& branch) const {
    auto it = coverage_.find(branch);
    return it == coverage_.end() ? 0 : it->second;
  }
  const std::vector<std::string>& violations() const { return violations_; }
  const std::vector<InFlight>& in_flight() const { return in_flight_; }
  int64_t delivered() const { return delivered_; }
  const StarOptions& options() const { return *options_; }
  std::vector<std::string>& trace() { return trace_; }
  void set_trace(bool on) { trace_on_ = on; }

 private:
  friend class FakeEnv;
  uint64_t NextRandom() {
    rng_ += 0x9e3779b97f4a7c15ULL;
    return SplitMix64(rng_);
  }
  void OnCommit(NodeId at, const CommitRecord& r) {
    commits_[at].push_back(r);
    auto [it, first] = decided_.try_emplace(r.id, r);
    if (first) {
      if (auto v = visibility_.OnFirstCommit(r)) violations_.push_back(*v);
    } else if (!it->second.SameDecision(r)) {
      violations_.push_back("Agreement: " + it->second.ToString() + " vs " +
                            r.ToString() + " at p" + std::to_string(at));
    }
  }

  uint64_t rng_;
  std::shared_ptr<const StarOptions> options_;
  std::vector<std::unique_ptr<FakeEnv>> envs_;
  std::vector<std::unique_ptr<StarReplica>> replicas_;
  std::vector<bool> crashed_;
  std::vector<InFlight> in_flight_;
  std::map<TimerId, Timer> timers_;
  TimerId next_timer_ = 0;
  Time now_ = 0;
  std::vector<std::vector<CommitRecord>> commits_;
  std::vector<std::vector<ExecutionRecord>> executions_;
  std::map<CommandId, CommitRecord> decided_;
  VisibilityCheck visibility_{"visibility"};
  std::vector<std::string> violations_;
  std::map<std::string, int64_t> coverage_;
  int64_t delivered_ = 0;
  bool trace_on_ = false;
  std::vector<std::string> trace_;
};

inline int FakeEnv::ClusterSize() const { return cluster_.n(); }
inline Time FakeEnv::Now() const { return cluster_.now_; }
inline void FakeEnv::Send(NodeId to, MessagePtr message) {
  EXPECT_NE(to, self_) << "a replica sent a message to itself";
  auto m = std::dynamic_pointer_cast<const StarMessage>(message);
  EXPECT_NE(m, nullptr);
  cluster_.in_flight_.push_back({self_, to, std::move(m)});
}
inline TimerId FakeEnv::SetTimer(Duration after, uint64_t tag) {
  EXPECT_GE(after, 0);
  const TimerId id = ++cluster_.next_timer_;
  cluster_.timers_[id] = {self_, tag, cluster_.now_ + after};
  return id;
}
inline void FakeEnv::CancelTimer(TimerId id) { cluster_.timers_.erase(id); }
inline uint64_t FakeEnv::Random(uint64_t bound) {
  return bound == 0 ? 0 : cluster_.NextRandom() % bound;
}
inline void FakeEnv::Committed(const CommitRecord& record) {
  cluster_.OnCommit(self_, record);
}
inline void FakeEnv::Executed(const ExecutionRecord& record) {
  cluster_.executions_[self_].push_back(record);
}
inline void FakeEnv::Cover(std::string_view branch) {
  ++cluster_.coverage_[std::string(branch)];
}
inline bool FakeEnv::TraceEnabled() const { return cluster_.trace_on_; }
inline void FakeEnv::Trace(std::string_view line) {
  cluster_.trace_.emplace_back(line);
}

}  // namespace epsim::protocol::epaxos_star::testing

#endif  // EPSIM_TESTS_EPAXOS_STAR_CLUSTER_H_
