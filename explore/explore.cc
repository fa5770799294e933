#include "explore/explore.h"

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <limits>
#include <memory>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/check.h"
#include "base/strings.h"
#include "protocol/common/env.h"
#include "protocol/common/records.h"
#include "protocol/common/replica.h"
#include "protocol/epaxos/replica.h"
#include "sim/random.h"

namespace epsim::explore {

using protocol::CommandId;
using protocol::CommitRecord;
using protocol::ExecutionRecord;
using protocol::MessagePtr;
using protocol::NodeId;
using protocol::Replica;
using protocol::TimerId;

// ---------------------------------------------------------------------------
// Configuration

protocol::Command ExploreConfig::CommandAt(int i) const {
  protocol::Command c;
  c.request = protocol::RequestId{i, 0};
  // kAll: every command writes "x". kNone: each its own key. kPairs: gets
  // do not conflict with each other, so "command 1 conflicts with every
  // other, the others not with each other" is one put and gets of "x".
  c.key = absl::StrCat(conflicts == Conflicts::kNone ? "k" : "x",
                       conflicts == Conflicts::kNone ? absl::StrCat(i) : "");
  const bool get = conflicts == Conflicts::kPairs && i > 0;
  c.op = get ? protocol::OpType::kGet : protocol::OpType::kPut;
  if (!get) c.value = absl::StrCat("v", i);
  return c;
}

std::string_view ConflictsName(ExploreConfig::Conflicts c) {
  switch (c) {
    case ExploreConfig::Conflicts::kAll:
      return "all";
    case ExploreConfig::Conflicts::kNone:
      return "none";
    case ExploreConfig::Conflicts::kPairs:
      return "pairs";
  }
  return "?";
}

std::string_view SubmitName(ExploreConfig::Submit s) {
  return s == ExploreConfig::Submit::kStart ? "start" : "any";
}

std::string_view SearchName(ExploreConfig::Search s) {
  switch (s) {
    case ExploreConfig::Search::kDfs:
      return "dfs";
    case ExploreConfig::Search::kBfs:
      return "bfs";
    case ExploreConfig::Search::kGuided:
      return "guided";
  }
  return "?";
}

bool ExploreConfig::Recovers(int replica) const {
  return recoverers.empty() || std::find(recoverers.begin(), recoverers.end(),
                                         replica) != recoverers.end();
}

std::string ExploreConfig::Describe() const {
  return absl::StrCat(
      "n=", replicas, " commands=", commands,
      " conflicts=", Av(ConflictsName(conflicts)),
      " submit=", Av(SubmitName(submit)),
      " model=", lossy ? "lossy" : "reliable", " max-crashes=", max_crashes,
      " max-recoveries=", max_recoveries,
      recoverers.empty()
          ? std::string()
          : absl::StrCat(" recoverers=", absl::StrJoin(recoverers, ",")),
      " max-depth=",
      max_depth > 0 ? absl::StrCat(max_depth) : std::string("none"),
      " timers=", timers ? "choice" : "ignore",
      " search=", Av(SearchName(search)),
      " reduce=", reduce_ignored ? "ignored" : "none");
}

std::function<bool(uint64_t)> RecoveryTimerClassifier(
    const protocol::ProtocolSpec& spec) {
  if (spec.name == "epaxos") {
    // Every EPaxos timer is an instance's commit/recovery timer.
    return [](uint64_t tag) {
      return protocol::epaxos::RecoveryTimerInstance(tag).has_value();
    };
  }
  if (spec.name == "epaxos-star") {
    // protocol/epaxos_star/replica.h: tag 1 is the fast-path timer T1 (a
    // choice: it lets the coordinator settle for the slow path with n - f
    // replies, as TLC's HandlePreAcceptOK may at any moment), tag 2 the
    // commit/stuck-recovery timer T2/T3 (replaced by StartRecovery choices).
    return [](uint64_t tag) { return tag == 2; };
  }
  return nullptr;
}

std::string_view StepKindName(ExploreStep::Kind kind) {
  switch (kind) {
    case ExploreStep::Kind::kSubmit:
      return "submit";
    case ExploreStep::Kind::kDeliver:
      return "deliver";
    case ExploreStep::Kind::kDrop:
      return "drop";
    case ExploreStep::Kind::kCrash:
      return "crash";
    case ExploreStep::Kind::kRecover:
      return "recover";
    case ExploreStep::Kind::kTimer:
      return "timer";
  }
  return "?";
}

namespace {

// ---------------------------------------------------------------------------
// Hashing

// splitmix64 (the sim's mixer after the golden-ratio increment).
uint64_t SplitMix(uint64_t x) { return sim::Mix64(x + 0x9e3779b97f4a7c15ULL); }

uint64_t Murmur(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  return k ^ (k >> 33);
}

uint64_t StringHash(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return SplitMix(h ^ s.size());
}

// A state's fingerprint: two independent 64-bit chains over the same words,
// of which the visited set keeps 112 bits (VisitedSet). With 64 bits, 10^8
// states would collide with probability about 3e-4 (birthday bound
// n^2 / 2^65), and a collision silently prunes a subtree; with 112 bits the
// chance is below 1e-17. What remains is the replicas' own 64-bit
// StateHash, whose collisions need two distinct states of one replica (far
// fewer than global states).
struct StateKey {
  uint64_t a = 0;
  uint64_t b = 0;
  friend bool operator==(const StateKey&, const StateKey&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const StateKey& k) {
    return H::combine(std::move(h), k.a);
  }
};

// The visited set: open addressing with linear probing over 16-byte slots
// (one cache miss per lookup, which is what a large exploration waits on).
// A slot holds the key's first word and the top 48 bits of its second (112
// bits of fingerprint in all) with the least depth it was reached at in the
// low 16 bits.
class VisitedSet {
 public:
  enum class Result { kNew, kLowered, kSeen };

  VisitedSet() { Allocate(1 << 16); }
  ~VisitedSet() { Release(); }
  VisitedSet(const VisitedSet&) = delete;
  VisitedSet& operator=(const VisitedSet&) = delete;

  // Records `key` at `depth`; kLowered when it was known at a greater depth
  // (the stored depth is lowered).
  Result Visit(const StateKey& key, uint32_t depth) {
    if ((size_ + 1) * 2 > capacity_) Grow();
    const uint64_t a = key.a | 1;  // never 0: 0 marks an empty slot
    const uint64_t b = key.b & ~uint64_t{0xffff};
    const uint64_t d = std::min<uint32_t>(depth, 0xffff);
    for (size_t i = Home(a);; i = (i + 1) & mask_) {
      Slot& slot = slots_[i];
      if (slot.a == 0) {
        slot = {a, b | d};
        ++size_;
        return Result::kNew;
      }
      if (slot.a == a && (slot.b & ~uint64_t{0xffff}) == b) {
        if (d < (slot.b & 0xffff)) {
          slot.b = b | d;
          return Result::kLowered;
        }
        return Result::kSeen;
      }
    }
  }
  // Starts loading the slot `key` will probe first.
  void Prefetch(const StateKey& key) const {
    __builtin_prefetch(&slots_[Home(key.a | 1)]);
  }
  size_t size() const { return size_; }
  void Clear() {
    Release();
    Allocate(1 << 16);
  }

 private:
  struct Slot {
    uint64_t a = 0;
    uint64_t b = 0;
  };
  // Bits above bit 0, which `a | 1` keeps intact.
  size_t Home(uint64_t a) const { return (a >> 1) & mask_; }

  // Anonymous memory comes zeroed (all slots empty); large tables ask for
  // transparent huge pages, which spares most lookups a TLB miss as well.
  void Allocate(size_t capacity) {
    void* p = mmap(nullptr, capacity * sizeof(Slot), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EPSIM_CHECK(p != MAP_FAILED) << "cannot map the visited set ("
                                 << capacity * sizeof(Slot) << " bytes)";
    madvise(p, capacity * sizeof(Slot), MADV_HUGEPAGE);
    slots_ = static_cast<Slot*>(p);
    capacity_ = capacity;
    mask_ = capacity - 1;
    size_ = 0;
  }
  void Release() {
    if (slots_ != nullptr) munmap(slots_, capacity_ * sizeof(Slot));
    slots_ = nullptr;
  }
  void Grow() {
    Slot* old = slots_;
    const size_t old_capacity = capacity_;
    const size_t size = size_;
    Allocate(capacity_ * 2);
    for (size_t k = 0; k < old_capacity; ++k) {
      if (old[k].a == 0) continue;
      size_t i = Home(old[k].a);
      while (slots_[i].a != 0) i = (i + 1) & mask_;
      slots_[i] = old[k];
    }
    size_ = size;
    munmap(old, old_capacity * sizeof(Slot));
  }

  Slot* slots_ = nullptr;
  size_t capacity_ = 0;
  size_t mask_ = 0;
  size_t size_ = 0;
};

class Hasher128 {
 public:
  // One multiply-xorshift round per word and chain; the words are already
  // well-mixed digests, and key() finishes each chain with a full mixer.
  Hasher128& Add(uint64_t w) {
    a_ = (a_ ^ w) * 0x9e3779b97f4a7c15ULL;
    a_ ^= a_ >> 29;
    b_ = (b_ + w) * 0xc2b2ae3d27d4eb4fULL;
    b_ ^= b_ >> 31;
    return *this;
  }
  StateKey key() const { return {SplitMix(a_), Murmur(b_)}; }

 private:
  uint64_t a_ = 0x243f6a8885a308d3ULL;
  uint64_t b_ = 0x13198a2e03707344ULL;
};

uint64_t IdWord(const CommandId& id) {
  return SplitMix((static_cast<uint64_t>(id.origin) << 48) ^ id.counter);
}

uint64_t CommandHash(const protocol::Command& c) {
  if (c.nop) return 0x4e6f70ULL;
  uint64_t h = SplitMix(static_cast<uint64_t>(c.request.client) * 1000003 +
                        static_cast<uint64_t>(c.request.number));
  h = SplitMix(h ^ static_cast<uint64_t>(c.op));
  h = SplitMix(h ^ StringHash(c.key.str()));
  h = SplitMix(h ^ StringHash(c.value));
  h = SplitMix(h ^ (c.expected ? StringHash(*c.expected) : 7));
  return h;
}

uint64_t RecordHash(const CommitRecord& r) {
  uint64_t h = SplitMix(IdWord(r.id) ^ CommandHash(r.command));
  for (const CommandId& d : r.deps) h = SplitMix(h ^ IdWord(d));
  return SplitMix(h ^ (r.seq ? static_cast<uint64_t>(*r.seq) + 1 : 0));
}

// ---------------------------------------------------------------------------
// State

struct InFlight {
  NodeId from = 0;
  NodeId to = 0;
  uint64_t key = 0;  // fingerprint mixed with sender and receiver
  MessagePtr message;
};

uint64_t InFlightKey(NodeId from, NodeId to, uint64_t fingerprint) {
  return SplitMix(fingerprint ^ SplitMix(static_cast<uint64_t>(from) * 64 +
                                         static_cast<uint64_t>(to) + 1));
}

struct PendingTimer {
  NodeId node = 0;
  uint64_t tag = 0;
  TimerId id = 0;
  friend bool operator<(const PendingTimer& x, const PendingTimer& y) {
    return std::tie(x.node, x.tag, x.id) < std::tie(y.node, y.tag, y.id);
  }
};

// What the checks remember; shared between states until a step changes it.
struct Verdicts {
  absl::btree_map<CommandId, CommitRecord> decided;  // first commit of each
  // Per replica, the commands it executed, in order.
  std::vector<std::vector<std::pair<CommandId, protocol::Command>>> executed;
  uint64_t hash = 0;

  void Rehash() {
    uint64_t h = 0x7665726469637473ULL;
    for (const auto& [id, record] : decided)
      h = SplitMix(h ^ RecordHash(record));
    for (const auto& log : executed) {
      h = SplitMix(h ^ 0xe7);
      for (const auto& [id, command] : log) h = SplitMix(h ^ IdWord(id));
    }
    hash = h;
  }
};

struct RecoveryKey {
  NodeId process = 0;
  bool by_request = false;
  uint64_t subject = 0;
  friend bool operator==(const RecoveryKey&, const RecoveryKey&) = default;
  friend auto operator<=>(const RecoveryKey&, const RecoveryKey&) = default;
};

struct State {
  // Null for a crashed replica: a crash-stopped replica never acts again,
  // and everything the checks still need of it (its commits, its
  // execution log) is in `verdicts`, so its internal state is forgotten.
  // Inline storage: states are copied for every transition, and these
  // stay small in the configurations an exploration can finish.
  absl::InlinedVector<std::shared_ptr<const Replica>, 5> replicas;
  absl::InlinedVector<uint64_t, 5> replica_hash;
  absl::InlinedVector<InFlight, 12>
      messages;  // sorted by key: a canonical multiset
  // Order-independent digest of `messages` (sums of two mixes of each key),
  // kept up to date as messages come and go.
  uint64_t messages_a = 0;
  uint64_t messages_b = 0;
  absl::InlinedVector<PendingTimer, 3> timers;  // sorted
  uint32_t crashed = 0;                         // bit per replica
  int crashes = 0;
  // (process, recovery subject) -> recoveries started; sorted. The subject
  // is Engine::RecoverySubject: a client request, or a command id.
  absl::InlinedVector<std::pair<RecoveryKey, int>, 4> recoveries;
  uint32_t submitted = 0;  // bit per command
  std::shared_ptr<const Verdicts> verdicts;

  bool Crashed(NodeId i) const { return (crashed >> i) & 1; }
  void AddMessage(InFlight m) {
    messages_a += SplitMix(m.key);
    messages_b += Murmur(m.key ^ 0x5bd1e9955bd1e995ULL);
    auto at = std::upper_bound(
        messages.begin(), messages.end(), m.key,
        [](uint64_t key, const InFlight& x) { return key < x.key; });
    messages.insert(at, std::move(m));
  }
  void RemoveMessage(size_t index) {
    const uint64_t key = messages[index].key;
    messages_a -= SplitMix(key);
    messages_b -= Murmur(key ^ 0x5bd1e9955bd1e995ULL);
    messages.erase(messages.begin() + static_cast<ptrdiff_t>(index));
  }
  int RecoveriesOf(const RecoveryKey& k) const {
    for (const auto& [key, count] : recoveries) {
      if (key == k) return count;
    }
    return 0;
  }
};

// One enabled step of a state (indexes refer to that state).
struct Choice {
  ExploreStep::Kind kind = ExploreStep::Kind::kDeliver;
  NodeId replica = -1;
  size_t index = 0;  // message or timer index
  CommandId command;
  int submission = -1;
};

struct Found {
  std::string check;
  std::string detail;
};

// ---------------------------------------------------------------------------
// The explorer's environment: one per replica index, shared by every copy
// of that replica (Replica::Clone binds the copy to it). It buffers what a
// handler does into the engine's sink; time stands still at 0 and Random()
// returns 0, since the explorer, not time, decides what happens next.

struct Sink {
  struct Send {
    NodeId from;
    NodeId to;
    uint64_t key;  // InFlightKey
    MessagePtr message;
  };
  struct TimerOp {
    bool set;
    NodeId node;
    uint64_t tag;
    TimerId id;
  };
  std::vector<Send> sends;
  std::vector<TimerOp> timer_ops;
  std::vector<std::pair<NodeId, CommitRecord>> commits;
  std::vector<std::pair<NodeId, ExecutionRecord>> executions;
  std::string panic;
  // The coverage branches the handler ran (Env::Cover), in order. Not an
  // effect on the state: Empty() ignores it.
  std::vector<std::string> covered;

  void Clear() {
    covered.clear();
    sends.clear();
    timer_ops.clear();
    commits.clear();
    executions.clear();
    panic.clear();
  }
  bool Empty() const {
    return sends.empty() && timer_ops.empty() && commits.empty() &&
           executions.empty() && panic.empty();
  }
};

class ExploreEnv final : public protocol::Env {
 public:
  ExploreEnv(NodeId self, int n, Sink* sink, TimerId* next_timer)
      : self_(self), n_(n), sink_(sink), next_timer_(next_timer) {}

  NodeId Self() const override { return self_; }
  int ClusterSize() const override { return n_; }
  protocol::Time Now() const override { return 0; }
  void Send(NodeId to, MessagePtr message) override {
    const uint64_t key = InFlightKey(self_, to, message->Fingerprint());
    sink_->sends.push_back({self_, to, key, std::move(message)});
  }
  // Timer ids are never reused within one exploration, so a stale id a
  // replica kept cannot be confused with a newer timer.
  TimerId SetTimer(protocol::Duration, uint64_t tag) override {
    const TimerId id = (*next_timer_)++;
    sink_->timer_ops.push_back({true, self_, tag, id});
    return id;
  }
  void CancelTimer(TimerId id) override {
    sink_->timer_ops.push_back({false, self_, 0, id});
  }
  uint64_t Random(uint64_t) override { return 0; }
  void Committed(const CommitRecord& record) override {
    sink_->commits.emplace_back(self_, record);
  }
  void Executed(const ExecutionRecord& record) override {
    sink_->executions.emplace_back(self_, record);
  }
  void Cover(std::string_view branch) override {
    sink_->covered.emplace_back(branch);
    if (branch.starts_with("panic/") && sink_->panic.empty()) {
      sink_->panic = std::string(branch);
    }
  }

 private:
  NodeId self_;
  int n_;
  Sink* sink_;
  TimerId* next_timer_;
};

// ---------------------------------------------------------------------------
// The engine: initial state, enabled choices, one step, checks, keys.

class Engine {
 public:
  Engine(const ExploreConfig& config, const protocol::Protocol& protocol)
      : config_(config), protocol_(protocol) {
    for (int i = 0; i < config_.replicas; ++i) {
      envs_.push_back(std::make_unique<ExploreEnv>(i, config_.replicas, &sink_,
                                                   &next_timer_));
    }
    for (int i = 0; i < config_.commands; ++i) {
      commands_.push_back(config_.CommandAt(i));
    }
  }

  // The state before any choice; with submit = kStart every command has
  // been submitted (in index order). A violation already there is returned
  // in `found`.
  State Initial(std::optional<Found>* found) {
    State s;
    sink_.Clear();
    for (int i = 0; i < config_.replicas; ++i) {
      std::unique_ptr<Replica> r = protocol_.MakeReplica(i, *envs_[i]);
      r->Start();
      s.replicas.push_back(std::move(r));
    }
    auto verdicts = std::make_shared<Verdicts>();
    verdicts->executed.resize(config_.replicas);
    verdicts->Rehash();
    s.verdicts = std::move(verdicts);
    for (int i = 0; i < config_.replicas; ++i) {
      s.replica_hash.push_back(s.replicas[i]->StateHash());
    }
    Found f;
    if (!Absorb(s, sink_, f)) {
      *found = f;
      return s;
    }
    if (config_.reduce_ignored) DiscardIgnored(s, -1, nullptr);
    if (config_.submit == ExploreConfig::Submit::kStart) {
      for (int i = 0; i < config_.commands; ++i) {
        State next;
        Choice c;
        c.kind = ExploreStep::Kind::kSubmit;
        c.submission = i;
        c.replica = i % config_.replicas;
        if (Apply(s, c, &next, &f) == Outcome::kViolation) {
          *found = f;
          return next;
        }
        s = std::move(next);
      }
    }
    return s;
  }

  std::vector<Choice> Enumerate(const State& s) {
    std::vector<Choice> out;
    using Kind = ExploreStep::Kind;
    // Deliveries (and drops), one per distinct message: delivering either
    // of two identical copies gives the same successor.
    for (int pass = 0; pass < (config_.lossy ? 2 : 1); ++pass) {
      for (size_t i = 0; i < s.messages.size(); ++i) {
        if (i > 0 && s.messages[i].key == s.messages[i - 1].key) continue;
        Choice c;
        c.kind = pass == 0 ? Kind::kDeliver : Kind::kDrop;
        c.replica = s.messages[i].to;
        c.index = i;
        out.push_back(c);
      }
    }
    for (size_t i = 0; i < s.timers.size(); ++i) {
      Choice c;
      c.kind = Kind::kTimer;
      c.replica = s.timers[i].node;
      c.index = i;
      out.push_back(c);
    }
    if (config_.submit == ExploreConfig::Submit::kAny) {
      for (int i = 0; i < config_.commands; ++i) {
        if ((s.submitted >> i) & 1) continue;
        if (s.Crashed(i % config_.replicas)) continue;
        Choice c;
        c.kind = Kind::kSubmit;
        c.submission = i;
        c.replica = i % config_.replicas;
        out.push_back(c);
      }
    }
    if (config_.max_recoveries > 0) {
      for (int p = 0; p < config_.replicas; ++p) {
        if (s.Crashed(p) || !config_.Recovers(p)) continue;
        for (const CommandId& id : Known(s.replicas[p])) {
          const auto [by_request, subject] = RecoverySubject(s, id);
          if (s.RecoveriesOf({p, by_request, subject}) >=
              config_.max_recoveries) {
            continue;
          }
          Choice c;
          c.kind = Kind::kRecover;
          c.replica = p;
          c.command = id;
          out.push_back(c);
        }
      }
    }
    if (s.crashes < config_.max_crashes) {
      for (int p = 0; p < config_.replicas; ++p) {
        if (s.Crashed(p)) continue;
        Choice c;
        c.kind = Kind::kCrash;
        c.replica = p;
        out.push_back(c);
      }
    }
    return out;
  }

  enum class Outcome { kDisabled, kOk, kViolation };

  // Applies `c` to `s`, giving `out`. kDisabled: the step changes nothing
  // (a recovery the replica refuses or that is a no-op); `out` is then
  // meaningless.
  Outcome Apply(const State& s, const Choice& c, State* out, Found* found) {
    using Kind = ExploreStep::Kind;
    // The memo is emptied only here, between steps, so that the reactions
    // one step looks at (and LastCovered()) stay valid until the next.
    if (memo_.size() >= memo_limit_) memo_.clear();
    if (known_.size() >= memo_limit_) known_.clear();
    const Reaction* rx = nullptr;
    last_covered_ = nullptr;
    if (c.kind != Kind::kDrop && c.kind != Kind::kCrash) {
      rx = &React(s, c);
      if (!rx->refused) last_covered_ = &rx->effects.covered;
      if (rx->refused) return Outcome::kDisabled;
      if (rx->failure) {
        *found = *rx->failure;
        return Outcome::kViolation;
      }
    }
    *out = s;
    switch (c.kind) {
      case Kind::kDeliver:
      case Kind::kDrop:
        out->RemoveMessage(c.index);
        break;
      case Kind::kCrash:
        Crash(*out, c.replica);
        break;
      case Kind::kRecover: {
        const auto [by_request, subject] = RecoverySubject(s, c.command);
        const RecoveryKey k{c.replica, by_request, subject};
        bool bumped = false;
        for (auto& [key, count] : out->recoveries) {
          if (key == k) {
            ++count;
            bumped = true;
          }
        }
        if (!bumped) {
          out->recoveries.push_back({k, 1});
          std::sort(out->recoveries.begin(), out->recoveries.end());
        }
        break;
      }
      case Kind::kTimer:
        out->timers.erase(out->timers.begin() +
                          static_cast<ptrdiff_t>(c.index));
        break;
      case Kind::kSubmit:
        out->submitted |= uint32_t{1} << c.submission;
        break;
    }
    if (rx == nullptr) return Outcome::kOk;
    out->replica_hash[c.replica] = rx->hash;
    out->replicas[c.replica] = rx->replica;
    if (!Absorb(*out, rx->effects, *found)) return Outcome::kViolation;
    if (!config_.reduce_ignored && !config_.check_reductions) {
      return Outcome::kOk;
    }
    // `rx` stays valid below: the memo is node-based and not emptied
    // within a step.
    if (config_.check_reductions &&
        !CheckIgnoredStayIgnored(s, c, *out, found)) {
      return Outcome::kViolation;
    }
    if (config_.reduce_ignored) {
      DiscardIgnored(*out, c.replica, &rx->effects.sends);
    }
    return Outcome::kOk;
  }

  // A delivery or timer firing pending in `s` at `index` of its list, as a
  // step.
  static Choice PendingStep(const State& s, ExploreStep::Kind kind,
                            size_t index) {
    Choice c;
    c.kind = kind;
    c.index = index;
    c.replica = kind == ExploreStep::Kind::kDeliver ? s.messages[index].to
                                                    : s.timers[index].node;
    return c;
  }

  // What identifies a pending step across states: a message's key, a
  // timer's id.
  static uint64_t PendingIdentity(const State& s, const Choice& c) {
    return c.kind == ExploreStep::Kind::kDeliver ? s.messages[c.index].key
                                                 : s.timers[c.index].id;
  }

  // Whether the pending delivery or timer `c` of `s` would change nothing:
  // its replica's state hash stays, and it sends nothing, sets or cancels no
  // timer, commits and executes nothing and runs no coverage branch (a
  // branch that only an ignored step runs stays reachable). A message the
  // receiver declares it may act on later (MayActLaterOnIgnored) is never
  // ignored. Typical: EPaxos*'s third PreAcceptOK, or its fast-path timer
  // once a recovery took the command over.
  bool IgnoredStep(const State& s, const Choice& c) {
    if (s.Crashed(c.replica)) return false;
    if (c.kind == ExploreStep::Kind::kDeliver) {
      const InFlight& m = s.messages[c.index];
      if (s.replicas[c.replica]->MayActLaterOnIgnored(m.from, *m.message)) {
        return false;
      }
    }
    const Reaction& rx = React(s, c);
    return !rx.failure && rx.effects.Empty() && rx.effects.covered.empty() &&
           rx.hash == s.replica_hash[c.replica];
  }

  // The ignored-step reduction (ExploreConfig::reduce_ignored): drops every
  // in-flight message and pending timer that would be ignored. After a step
  // only the replica that acted and the messages it `sent` can have become
  // ignored, so only those are looked at (everything when `sent` is null,
  // for the initial state); the states this leaves hold no ignored step.
  void DiscardIgnored(State& s, NodeId acted,
                      const std::vector<Sink::Send>* sent) {
    using Kind = ExploreStep::Kind;
    auto just_sent = [&](const InFlight& m) {
      return std::any_of(sent->begin(), sent->end(),
                         [&](const Sink::Send& x) { return x.key == m.key; });
    };
    for (size_t i = s.messages.size(); i-- > 0;) {
      const InFlight& m = s.messages[i];
      if (sent != nullptr && m.to != acted && !just_sent(m)) continue;
      if (IgnoredStep(s, PendingStep(s, Kind::kDeliver, i))) {
        s.RemoveMessage(i);
      }
    }
    for (size_t i = s.timers.size(); i-- > 0;) {
      if (sent != nullptr && s.timers[i].node != acted) continue;
      if (IgnoredStep(s, PendingStep(s, Kind::kTimer, i))) {
        s.timers.erase(s.timers.begin() + static_cast<ptrdiff_t>(i));
      }
    }
  }

  // The premise of the reduction, checked on the unreduced space: a message
  // or timer ignored in `s` is still ignored after step `c` (when still
  // pending). Only the replica that acted changed, so only its messages and
  // timers need a look. Checked in every state of a complete search, this
  // proves by induction that an ignored step is ignored for good.
  bool CheckIgnoredStayIgnored(const State& s, const Choice& c,
                               const State& next, Found* found) {
    using Kind = ExploreStep::Kind;
    if (next.Crashed(c.replica)) return true;
    auto pending_at_replica = [&](const State& state) {
      std::vector<Choice> steps;
      for (size_t i = 0; i < state.messages.size(); ++i) {
        if (state.messages[i].to == c.replica) {
          steps.push_back(PendingStep(state, Kind::kDeliver, i));
        }
      }
      for (size_t i = 0; i < state.timers.size(); ++i) {
        if (state.timers[i].node == c.replica) {
          steps.push_back(PendingStep(state, Kind::kTimer, i));
        }
      }
      return steps;
    };
    const std::vector<Choice> after = pending_at_replica(next);
    for (const Choice& p : pending_at_replica(s)) {
      if (p.kind == c.kind && p.index == c.index) continue;  // the step itself
      if (!IgnoredStep(s, p)) continue;
      const uint64_t identity = PendingIdentity(s, p);
      for (const Choice& q : after) {
        if (q.kind != p.kind || PendingIdentity(next, q) != identity) continue;
        if (IgnoredStep(next, q)) break;
        const std::string what =
            p.kind == Kind::kDeliver
                ? absl::StrCat(s.messages[p.index].message->Describe(),
                               " from r", s.messages[p.index].from)
                : absl::StrCat("its timer ", s.timers[p.index].tag);
        *found = {"reduction-premise",
                  absl::StrCat("r", c.replica, " ignored ", what,
                               " but no longer does after this step")};
        return false;
      }
    }
    return true;
  }

  // The coverage branches the last Apply ran (null: none), valid until the
  // next Apply.
  const std::vector<std::string>* LastCovered() const { return last_covered_; }

  StateKey Key(const State& s) const {
    Hasher128 h;
    for (size_t i = 0; i < s.replicas.size(); ++i) {
      h.Add(s.Crashed(static_cast<NodeId>(i)) ? 0xdeadULL : s.replica_hash[i]);
    }
    h.Add(s.messages.size()).Add(s.messages_a).Add(s.messages_b);
    h.Add(s.timers.size());
    for (const PendingTimer& t : s.timers) {
      h.Add(static_cast<uint64_t>(t.node) * 0x1000193 ^ SplitMix(t.tag));
    }
    for (const auto& [key, count] : s.recoveries) {
      h.Add(static_cast<uint64_t>(key.process) * 2 + key.by_request)
          .Add(key.subject)
          .Add(static_cast<uint64_t>(count));
    }
    h.Add(s.crashed).Add(s.submitted).Add(s.verdicts->hash);
    return h.key();
  }

  // What a state decided (CommitRecord::DecisionString per command), for
  // comparing the end states of two explorations.
  static std::string Decisions(const State& s) {
    std::string out;
    for (const auto& [id, record] : s.verdicts->decided) {
      absl::StrAppend(&out, record.DecisionString(), "; ");
    }
    return out;
  }

  // The step as a schedule entry (describing it needs the state it leaves).
  ExploreStep Describe(const State& s, const Choice& c) const {
    ExploreStep step;
    step.kind = c.kind;
    step.replica = c.replica;
    using Kind = ExploreStep::Kind;
    switch (c.kind) {
      case Kind::kDeliver:
      case Kind::kDrop: {
        const InFlight& m = s.messages[c.index];
        step.from = m.from;
        step.fingerprint = m.message->Fingerprint();
        step.type = std::string(m.message->Type());
        step.command = m.message->Command();
        step.text =
            absl::StrCat(Av(StepKindName(c.kind)), " r", m.from, " -> r", m.to,
                         ": ", Av(m.message->Describe()));
        break;
      }
      case Kind::kCrash:
        step.text = absl::StrCat("crash r", c.replica);
        break;
      case Kind::kRecover:
        step.command = c.command;
        step.text =
            absl::StrCat("recover ", c.command.ToString(), " at r", c.replica);
        break;
      case Kind::kTimer: {
        const PendingTimer& t = s.timers[c.index];
        step.tag = t.tag;
        for (size_t i = 0; i < c.index; ++i) {
          if (s.timers[i].node == t.node && s.timers[i].tag == t.tag) {
            ++step.ordinal;
          }
        }
        step.text =
            absl::StrCat("timer r", t.node, " tag ", t.tag,
                         step.ordinal > 0 ? absl::StrCat(" #", step.ordinal)
                                          : std::string());
        break;
      }
      case Kind::kSubmit:
        step.submission = c.submission;
        step.text = absl::StrCat("submit command ", c.submission + 1, " (",
                                 commands_[c.submission].ToString(), ") at r",
                                 c.replica);
        break;
    }
    return step;
  }

  static bool SameStep(const ExploreStep& a, const ExploreStep& b) {
    if (a.kind != b.kind || a.replica != b.replica) return false;
    using Kind = ExploreStep::Kind;
    switch (a.kind) {
      case Kind::kDeliver:
      case Kind::kDrop:
        return a.from == b.from && a.fingerprint == b.fingerprint;
      case Kind::kCrash:
        return true;
      case Kind::kRecover:
        return a.command == b.command;
      case Kind::kTimer:
        return a.tag == b.tag && a.ordinal == b.ordinal;
      case Kind::kSubmit:
        return a.submission == b.submission;
    }
    return false;
  }

  // The enabled choice `want` names in `s`, if any.
  std::optional<Choice> Match(const State& s, const ExploreStep& want) {
    for (const Choice& c : Enumerate(s)) {
      if (SameStep(Describe(s, c), want)) return c;
    }
    return std::nullopt;
  }

  // The in-flight messages a script filter (sender, receiver, type,
  // command) cannot tell apart from the one `c` delivers or drops: copies
  // with other contents. Identical copies do not count (either gives the
  // same successor).
  int Lookalikes(const State& s, const Choice& c) const {
    const InFlight& m = s.messages[c.index];
    int count = 0;
    for (const InFlight& other : s.messages) {
      if (other.key == m.key || other.from != m.from || other.to != m.to ||
          other.message->Type() != m.message->Type() ||
          other.message->Command() != m.message->Command()) {
        continue;
      }
      ++count;
    }
    return count;
  }

  // Turns a path of choices into a schedule by re-running it.
  std::vector<ExploreStep> ToSchedule(const std::vector<Choice>& path) {
    std::optional<Found> ignored;
    State s = Initial(&ignored);
    std::vector<ExploreStep> steps;
    for (const Choice& c : path) {
      steps.push_back(Describe(s, c));
      State next;
      Found f;
      if (Apply(s, c, &next, &f) == Outcome::kDisabled) break;
      s = std::move(next);
    }
    return steps;
  }

  // What one replica does with one input: a pure function of the replica
  // object and the input (time stands still, Random() is 0), so it is
  // computed once and shared by every global state holding that object.
  // The memo is keyed by object identity, not by StateHash, because a
  // replica may keep data its StateHash leaves out (timer ids, say).
  struct Reaction {
    bool refused = false;          // recover: refused, or changes nothing
    std::optional<Found> failure;  // the handler threw
    std::shared_ptr<const Replica> replica;
    uint64_t hash = 0;
    Sink effects;
    std::shared_ptr<const Replica> input;  // keeps the key's address alive
  };
  struct ReactionKey {
    const Replica* replica;
    int kind;
    uint64_t a;
    uint64_t b;
    friend bool operator==(const ReactionKey&, const ReactionKey&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const ReactionKey& k) {
      return H::combine(std::move(h), k.replica, k.kind, k.a, k.b);
    }
  };

  // The commands a replica knows and has not executed (Replica::Pending),
  // cached per replica object like the reactions.
  const std::vector<CommandId>& Known(
      const std::shared_ptr<const Replica>& replica) {
    return KnownEntry(replica).ids;
  }

  // What recovery budget a recovery of `id` draws on: its client request
  // when a live replica knows it (so a request resubmitted under new ids
  // keeps one budget per process), else the id itself.
  std::pair<bool, uint64_t> RecoverySubject(const State& s,
                                            const CommandId& id) {
    for (size_t q = 0; q < s.replicas.size(); ++q) {
      if (s.replicas[q] == nullptr) continue;
      const KnownCommands& known = KnownEntry(s.replicas[q]);
      for (size_t i = 0; i < known.ids.size(); ++i) {
        if (known.ids[i] != id || !known.requests[i]) continue;
        const protocol::RequestId& r = *known.requests[i];
        return {true, SplitMix(static_cast<uint64_t>(r.client) << 40 ^
                               static_cast<uint64_t>(r.number))};
      }
    }
    return {false, IdWord(id)};
  }

  const Reaction& React(const State& s, const Choice& c) {
    using Kind = ExploreStep::Kind;
    const std::shared_ptr<const Replica>& from = s.replicas[c.replica];
    ReactionKey key{from.get(), static_cast<int>(c.kind), 0, 0};
    switch (c.kind) {
      case Kind::kDeliver: {
        const InFlight& m = s.messages[c.index];
        key.a = static_cast<uint64_t>(m.from);
        key.b = m.key;
        break;
      }
      case Kind::kTimer:
        key.a = s.timers[c.index].id;
        key.b = s.timers[c.index].tag;
        break;
      case Kind::kRecover:
        key.a = c.command.origin;
        key.b = c.command.counter;
        break;
      case Kind::kSubmit:
        key.a = static_cast<uint64_t>(c.submission);
        break;
      case Kind::kDrop:
      case Kind::kCrash:
        break;
    }
    if (auto it = memo_.find(key); it != memo_.end()) {
      ++memo_hits_;
      return it->second;
    }
    Reaction rx;
    rx.input = from;
    sink_.Clear();
    std::unique_ptr<Replica> r = from->Clone(*envs_[c.replica]);
    try {
      switch (c.kind) {
        case Kind::kDeliver: {
          const InFlight& m = s.messages[c.index];
          r->OnMessage(m.from, *m.message);
          break;
        }
        case Kind::kTimer:
          r->OnTimer(s.timers[c.index].id, s.timers[c.index].tag);
          break;
        case Kind::kRecover:
          rx.refused = !r->StartRecovery(c.command, std::nullopt).ok();
          break;
        case Kind::kSubmit:
          r->OnClientRequest(commands_[c.submission]);
          break;
        case Kind::kDrop:
        case Kind::kCrash:
          break;
      }
    } catch (const CheckFailure& failure) {
      rx.failure = Found{"assertion", failure.what()};
    } catch (const std::exception& e) {
      rx.failure = Found{"exception", e.what()};
    }
    if (!rx.failure && !rx.refused) {
      rx.hash = r->StateHash();
      // A recovery of a command already committed here, say.
      rx.refused = c.kind == Kind::kRecover && sink_.Empty() &&
                   rx.hash == s.replica_hash[c.replica];
      rx.replica = std::move(r);
      rx.effects = std::move(sink_);
      sink_.Clear();
    }
    return memo_.emplace(key, std::move(rx)).first->second;
  }

 private:
  void Crash(State& s, NodeId p) {
    s.crashed |= uint32_t{1} << p;
    ++s.crashes;
    s.replicas[p] = nullptr;
    s.replica_hash[p] = 0;
    for (size_t i = s.messages.size(); i-- > 0;) {
      if (s.messages[i].to == p) s.RemoveMessage(i);
    }
    s.timers.erase(
        std::remove_if(s.timers.begin(), s.timers.end(),
                       [p](const PendingTimer& t) { return t.node == p; }),
        s.timers.end());
  }

  // Folds a replica's effects into `s` and runs the checks. False on a
  // violation.
  bool Absorb(State& s, const Sink& effects, Found& found) {
    for (const Sink::Send& send : effects.sends) {
      if (send.to < 0 || send.to >= config_.replicas) {
        found = {
            "protocol-error",
            absl::StrCat("r", send.from, " sent ", Av(send.message->Type()),
                         " to unknown replica ", send.to)};
        return false;
      }
      if (s.Crashed(send.to)) continue;
      InFlight m{send.from, send.to, send.key, send.message};
      s.AddMessage(std::move(m));
    }
    bool timers_changed = false;
    for (const Sink::TimerOp& op : effects.timer_ops) {
      if (op.set) {
        if (!config_.timers ||
            (config_.is_recovery_timer && config_.is_recovery_timer(op.tag))) {
          continue;
        }
        s.timers.push_back({op.node, op.tag, op.id});
        timers_changed = true;
      } else {
        const size_t before = s.timers.size();
        s.timers.erase(std::remove_if(s.timers.begin(), s.timers.end(),
                                      [&](const PendingTimer& t) {
                                        return t.id == op.id &&
                                               t.node == op.node;
                                      }),
                       s.timers.end());
        timers_changed |= s.timers.size() != before;
      }
    }
    if (timers_changed) std::sort(s.timers.begin(), s.timers.end());
    if (!effects.panic.empty()) {
      found = {"no-panic",
               absl::StrCat("the protocol crashed a replica: ", effects.panic)};
      return false;
    }
    if (effects.commits.empty() && effects.executions.empty()) return true;

    auto v = std::make_shared<Verdicts>(*s.verdicts);
    std::vector<CommitRecord> first;
    for (const auto& [replica, record] : effects.commits) {
      if (!CheckCommit(*v, replica, record, first, found)) return false;
    }
    if (!first.empty()) {
      // ProtocolCheck objects are stateful and cannot be copied, so each
      // state's checks are rebuilt from its first commits (a handful).
      std::vector<std::unique_ptr<protocol::ProtocolCheck>> checks =
          protocol_.MakeChecks();
      for (const auto& [id, record] : v->decided) {
        bool is_new = false;
        for (const CommitRecord& f : first) is_new |= f.id == id;
        if (is_new) continue;
        for (auto& check : checks) check->OnFirstCommit(record);
      }
      for (const CommitRecord& record : first) {
        for (auto& check : checks) {
          if (auto broken = check->OnFirstCommit(record)) {
            found = {std::string(check->Name()), *broken};
            return false;
          }
        }
      }
    }
    for (const auto& [replica, record] : effects.executions) {
      if (!CheckExecution(*v, replica, record, found)) return false;
    }
    v->Rehash();
    s.verdicts = std::move(v);
    return true;
  }

  bool CheckCommit(Verdicts& v, NodeId replica, const CommitRecord& record,
                   std::vector<CommitRecord>& first, Found& found) const {
    if (!record.command.nop) {
      const int i = record.command.request.client;
      if (i < 0 || i >= config_.commands || record.command != commands_[i]) {
        found = {"validity",
                 absl::StrCat("r", replica, " committed ", record.ToString(),
                              ", which no client submitted")};
        return false;
      }
    }
    auto [it, fresh] = v.decided.try_emplace(record.id, record);
    if (fresh) {
      first.push_back(record);
    } else if (!it->second.SameDecision(record)) {
      found = {
          "agreement",
          absl::StrCat("r", replica, " committed ", record.ToString(), " but ",
                       it->second.ToString(), " was committed before")};
      return false;
    }
    return true;
  }

  static bool CheckExecution(Verdicts& v, NodeId replica,
                             const ExecutionRecord& record, Found& found) {
    auto& mine = v.executed[replica];
    for (const auto& [id, command] : mine) {
      if (id == record.id) {
        found = {"exactly-once", absl::StrCat("r", replica, " executed ",
                                              record.id.ToString(), " twice")};
        return false;
      }
    }
    // Every conflicting command executed here before `record` must precede
    // it at every replica that executed both.
    for (size_t q = 0; q < v.executed.size(); ++q) {
      if (static_cast<NodeId>(q) == replica) continue;
      const auto& theirs = v.executed[q];
      auto pos = [&](const CommandId& id) -> std::optional<size_t> {
        for (size_t k = 0; k < theirs.size(); ++k) {
          if (theirs[k].first == id) return k;
        }
        return std::nullopt;
      };
      const std::optional<size_t> here = pos(record.id);
      if (!here) continue;
      for (const auto& [id, command] : mine) {
        if (!protocol::Conflicts(command, record.command)) continue;
        const std::optional<size_t> other = pos(id);
        if (other && *other > *here) {
          found = {"execution-order",
                   absl::StrCat("r", replica, " executed ", id.ToString(),
                                " before ", record.id.ToString(), ", r", q,
                                " in the opposite order")};
          return false;
        }
      }
    }
    mine.emplace_back(record.id, record.command);
    return true;
  }

  const ExploreConfig& config_;
  const protocol::Protocol& protocol_;
  Sink sink_;
  TimerId next_timer_ = 1;
  std::vector<std::unique_ptr<ExploreEnv>> envs_;
  std::vector<protocol::Command> commands_;
  // Node-based: a step holds references to several reactions at once.
  absl::node_hash_map<ReactionKey, Reaction> memo_;
  struct KnownCommands {
    std::shared_ptr<const Replica> replica;  // keeps the key's address alive
    std::vector<CommandId> ids;
    std::vector<std::optional<protocol::RequestId>> requests;
  };
  const KnownCommands& KnownEntry(
      const std::shared_ptr<const Replica>& replica) {
    auto [it, fresh] = known_.try_emplace(replica.get());
    if (fresh) {
      it->second.replica = replica;
      for (const protocol::PendingCommand& pc : replica->Pending()) {
        it->second.ids.push_back(pc.id);
        it->second.requests.push_back(pc.request);
      }
    }
    return it->second;
  }
  absl::node_hash_map<const Replica*, KnownCommands> known_;
  // Reactions and pending lists kept: 2^14 holds a search's working set;
  // 2^20 took 2.7 GB and was slower (3 commands, reduced: 12.2 s against
  // 8.7 s; unreduced 8 % faster).
  size_t memo_limit_ = size_t{1} << 14;
  uint64_t memo_hits_ = 0;
  const std::vector<std::string>* last_covered_ = nullptr;
};

// ---------------------------------------------------------------------------
// Searches

using Clock = std::chrono::steady_clock;

class Search {
 public:
  Search(const ExploreConfig& config, const protocol::Protocol& protocol,
         const ExploreProgress& progress)
      : config_(config),
        engine_(config, protocol),
        progress_(progress),
        start_(Clock::now()) {
    for (const std::string& branch : protocol.CoverageBranches()) {
      result_.coverage.try_emplace(branch, 0);
    }
    remaining_.insert(config.reach.begin(), config.reach.end());
    // The guide: one bit per branch of the targets' chains.
    for (const std::string& target : config.reach) {
      uint64_t chain = 0;
      for (const std::string& step : protocol.CoverageGuide(target)) {
        auto it = std::find(guide_.begin(), guide_.end(), step);
        if (it == guide_.end()) {
          if (guide_.size() == 64) break;
          it = guide_.insert(guide_.end(), step);
        }
        chain |= uint64_t{1} << (it - guide_.begin());
      }
      chains_.emplace_back(target, chain);
    }
  }

  ExploreResult Run() {
    std::optional<Found> found;
    const State initial = engine_.Initial(&found);
    result_.states = 1;
    if (found) {
      result_.violation = ExploreViolation{found->check, found->detail, {}};
      result_.shortest_proven = true;
      return Finish();
    }
    if (config_.search == ExploreConfig::Search::kBfs) {
      result_.complete = Bfs(initial, config_.max_depth);
      return Finish();
    }
    if (config_.search == ExploreConfig::Search::kGuided) {
      GuidedDeepening(initial);
      return Finish();
    }
    const bool depth_aware = config_.max_depth > 0;
    std::optional<std::pair<std::vector<Choice>, Found>> best =
        Dfs(initial, config_.max_depth, depth_aware, /*shorten=*/false);
    if (best) {
      std::vector<Choice> path = best->first;
      Found f = best->second;
      if (config_.shortest && !stopped_ && !stopped_by_reach_ &&
          path.size() > 1) {
        // Depth-bounded re-search with a depth-aware visited set: every
        // state within the bound is reached at its least depth, so the
        // shortest violation within the bound is found. Each violation
        // found lowers the bound.
        visited_.Clear();
        const uint64_t main_states = result_.states;
        auto shorter = Dfs(initial, static_cast<int>(path.size()) - 1,
                           /*depth_aware=*/true, /*shorten=*/true);
        result_.states = main_states;
        if (shorter) {
          path = shorter->first;
          f = shorter->second;
        }
        result_.shortest_proven = !stopped_;
      } else {
        result_.shortest_proven = path.size() <= 1;
      }
      result_.violation =
          ExploreViolation{f.check, f.detail, engine_.ToSchedule(path)};
    } else {
      result_.complete = !stopped_ && !stopped_by_reach_;
    }
    return Finish();
  }

 private:
  struct Frame {
    Choice taken;  // the choice that led here (unused at the root)
    // The successors to go down into, with the choice to each.
    std::vector<std::pair<State, Choice>> children;
    size_t next = 0;
  };

  // The guide bits of the branches the last Apply ran.
  uint64_t GuideBits() const {
    const std::vector<std::string>* covered = engine_.LastCovered();
    if (covered == nullptr || guide_.empty()) return 0;
    uint64_t bits = 0;
    for (const std::string& branch : *covered) {
      for (size_t i = 0; i < guide_.size(); ++i) {
        if (guide_[i] == branch) bits |= uint64_t{1} << i;
      }
    }
    return bits;
  }
  // How far along a path with these guide bits is towards a target not
  // reached yet: the most chain branches of one target it ran.
  int Progress(uint64_t bits) const {
    int best = 0;
    for (const auto& [target, chain] : chains_) {
      if (!remaining_.contains(target)) continue;
      best = std::max(best, __builtin_popcountll(bits & chain));
    }
    return best;
  }

  ExploreResult Finish() {
    for (auto& [branch, path] : reached_paths_) {
      result_.reached.push_back({branch, engine_.ToSchedule(path)});
    }
    result_.seconds = Elapsed();
    result_.time_limited = stopped_;
    return result_;
  }

  double Elapsed() const {
    return std::chrono::duration<double>(Clock::now() - start_).count();
  }

  // Counts the branches the transition just applied ran; when one of them
  // is a --reach target not reached yet, records `path()` (the choices from
  // the initial state up to and including this one) for it. Once every
  // target is reached the search stops (complete stays false: the rest of
  // the space was not visited).
  template <typename PathFn>
  void NoteCoverage(const PathFn& path) {
    const std::vector<std::string>* covered = engine_.LastCovered();
    if (covered == nullptr) return;
    for (const std::string& branch : *covered) {
      ++result_.coverage[branch];
      if (!remaining_.empty() && remaining_.erase(branch) > 0) {
        reached_paths_.emplace_back(branch, path());
        if (remaining_.empty()) stopped_by_reach_ = true;
      }
    }
  }

  // Every 256 transitions: progress and the limits.
  bool ShouldStop() {
    if (stopped_by_reach_) return true;
    if (stopped_) return true;
    if ((result_.transitions & 255) != 0) return false;
    const double t = Elapsed();
    if (progress_ && (result_.transitions & 4095) == 0) {
      progress_(result_.states, result_.transitions, result_.max_depth, t);
    }
    result_.state_limited = config_.max_states > 0 &&
                            result_.states - round_start_ >= config_.max_states;
    if ((config_.time_limit > 0 && t >= config_.time_limit) ||
        result_.state_limited) {
      stopped_ = true;
    }
    return stopped_;
  }

  // Returns whether `s` at `depth` is new (or newly reached at a lesser
  // depth, when depth-aware) and so must be expanded.
  bool Visit(const StateKey& key, int depth, bool depth_aware) {
    switch (visited_.Visit(key, static_cast<uint32_t>(depth))) {
      case VisitedSet::Result::kNew:
        ++result_.states;
        result_.max_depth = std::max(result_.max_depth, depth);
        return true;
      case VisitedSet::Result::kLowered:
        return depth_aware;
      case VisitedSet::Result::kSeen:
        return false;
    }
    return false;
  }

  // Depth-first search from `initial`; states at depth `bound` (> 0) are not
  // expanded. Without `shorten`, returns at the first violation; with it,
  // keeps the shortest, lowering the bound below each one found.
  //
  // A state's successors are all computed when it is expanded, and their
  // visited-set slots prefetched together: the lookups are what a large
  // exploration waits on (one cache miss each), and this overlaps them.
  std::optional<std::pair<std::vector<Choice>, Found>> Dfs(const State& initial,
                                                           int bound,
                                                           bool depth_aware,
                                                           bool shorten) {
    std::optional<std::pair<std::vector<Choice>, Found>> best;
    visited_.Visit(engine_.Key(initial), 0);
    std::vector<Frame> stack;
    std::vector<std::pair<State, Choice>> successors;
    std::vector<StateKey> keys;
    // Fills stack.back().children with the new successors of `state`;
    // false when a violation ends the search.
    auto expand = [&](const State& state) {
      const int depth = static_cast<int>(stack.size());  // of the successors
      successors.clear();
      keys.clear();
      State next;
      bool terminal = true;
      for (const Choice& c : engine_.Enumerate(state)) {
        Found f;
        const Engine::Outcome outcome = engine_.Apply(state, c, &next, &f);
        if (outcome == Engine::Outcome::kDisabled) continue;
        terminal = false;
        ++result_.transitions;
        auto path_here = [&] {
          std::vector<Choice> path;
          for (size_t i = 1; i < stack.size(); ++i) {
            path.push_back(stack[i].taken);
          }
          path.push_back(c);
          return path;
        };
        if (!shorten) NoteCoverage(path_here);
        if (outcome == Engine::Outcome::kViolation) {
          best = {path_here(), f};
          if (!shorten || depth <= 1) return false;
          bound = depth - 1;
          // Frames at or beyond the new bound cannot lead to a shorter one.
          while (static_cast<int>(stack.size()) > bound) stack.pop_back();
          return true;
        }
        keys.push_back(engine_.Key(next));
        visited_.Prefetch(keys.back());
        successors.emplace_back(std::move(next), c);
      }
      if (terminal) NoteTerminal(state);
      Frame& frame = stack.back();
      for (size_t i = 0; i < successors.size(); ++i) {
        if (!Visit(keys[i], depth, depth_aware)) continue;
        if (bound > 0 && depth >= bound) continue;
        frame.children.push_back(std::move(successors[i]));
      }
      return true;
    };
    stack.push_back({});
    if (!expand(initial)) return best;
    while (!stack.empty()) {
      if (ShouldStop()) break;
      Frame& top = stack.back();
      if (top.next == top.children.size()) {
        stack.pop_back();
        continue;
      }
      auto& [state, taken] = top.children[top.next++];
      const State here = std::move(state);
      if (bound > 0 && static_cast<int>(stack.size()) >= bound) continue;
      stack.push_back({taken, {}, 0});
      if (!expand(here)) return best;
    }
    return best;
  }

  // The guided search under growing depth bounds. Best-first alone fixes
  // on the subtree of the first path to climb a level (the earliest
  // recovery, say) and can spend the whole budget below it while the
  // target needs the recovery a few steps later; a depth bound makes that
  // subtree finite, so the search moves on to the other prefixes. Each
  // round starts afresh (the visited set keeps least depths per round
  // only); targets reached stay reached. Complete when a round cut no
  // state at its bound, or ran to the configuration's own --max-depth.
  // Fixing on one prefix is also what finds deep targets fast when the
  // first prefix is the right one, so a first round runs without a bound
  // on a small budget of states.
  void GuidedDeepening(const State& initial) {
    constexpr int kFirstBound = 6;
    constexpr int kBoundStep = 2;
    constexpr uint64_t kProbeStates = uint64_t{1} << 16;
    const int limit = config_.max_depth;
    round_states_ = kProbeStates;
    round_start_ = result_.states;
    const bool exhausted = Bfs(initial, limit);
    round_states_ = 0;
    if (result_.violation || stopped_ || stopped_by_reach_) return;
    if (exhausted) {
      result_.complete = true;
      return;
    }
    for (int bound = kFirstBound;; bound += kBoundStep) {
      if (limit > 0 && bound > limit) bound = limit;
      visited_.Clear();
      cut_by_bound_ = false;
      round_start_ = result_.states;  // max_states bounds memory: per round
      const bool exhausted = Bfs(initial, bound);
      if (!exhausted || result_.violation) return;
      if (!cut_by_bound_ || bound == limit) {
        result_.complete = true;
        return;
      }
    }
  }

  // Breadth-first search (guided: best-first) from `initial`, states at
  // depth `bound` (> 0) not expanded: the first violation found by plain
  // BFS is a shortest one. True when the queue ran dry (every state within
  // the bound visited), false when stopped by a limit, a violation or
  // every --reach target reached.
  bool Bfs(const State& initial, int bound) {
    struct Node {
      uint32_t parent;
      Choice choice;
    };
    struct Queued {
      State state;
      uint32_t node;
      int depth;
      uint64_t guide;  // guide bits of the path (guided search)
    };
    std::vector<Node> nodes;  // index 0: the initial state
    nodes.push_back({0, {}});
    // Guided: one FIFO per progress level, the highest non-empty one first
    // (best-first on how far along the targets' chains a path got); plain
    // BFS uses level 0 only.
    std::vector<std::deque<Queued>> levels(1);
    size_t queued = 0;
    visited_.Visit(engine_.Key(initial), 0);
    levels[0].push_back({initial, 0, 0, 0});
    ++queued;
    auto path_to = [&](uint32_t node, const Choice& last) {
      std::vector<Choice> path{last};
      for (uint32_t i = node; i != 0; i = nodes[i].parent) {
        path.push_back(nodes[i].choice);
      }
      std::reverse(path.begin(), path.end());
      return path;
    };
    const bool guided = config_.search == ExploreConfig::Search::kGuided;
    State next;
    while (queued > 0) {
      if (ShouldStop()) return false;
      if (round_states_ > 0 && result_.states - round_start_ >= round_states_) {
        return false;  // the probe round's budget
      }
      size_t level = levels.size() - 1;
      while (levels[level].empty()) --level;
      Queued front = std::move(levels[level].front());
      levels[level].pop_front();
      --queued;
      const State state = std::move(front.state);
      const uint32_t node = front.node;
      const int depth = front.depth;
      if (bound > 0 && depth >= bound) {
        cut_by_bound_ = true;
        continue;
      }
      bool terminal = true;
      for (const Choice& c : engine_.Enumerate(state)) {
        Found f;
        const Engine::Outcome outcome = engine_.Apply(state, c, &next, &f);
        if (outcome == Engine::Outcome::kDisabled) continue;
        terminal = false;
        ++result_.transitions;
        NoteCoverage([&] { return path_to(node, c); });
        if (outcome == Engine::Outcome::kViolation) {
          result_.violation = ExploreViolation{
              f.check, f.detail, engine_.ToSchedule(path_to(node, c))};
          result_.shortest_proven = !guided;
          return false;
        }
        const uint64_t guide = guided ? front.guide | GuideBits() : 0;
        if (!Visit(engine_.Key(next), depth + 1, false)) continue;
        nodes.push_back({node, c});
        const size_t at = guided ? static_cast<size_t>(Progress(guide)) : 0;
        if (levels.size() <= at) levels.resize(at + 1);
        levels[at].push_back({std::move(next),
                              static_cast<uint32_t>(nodes.size() - 1),
                              depth + 1, guide});
        ++queued;
      }
      if (terminal) NoteTerminal(state);
    }
    return true;
  }

  void NoteTerminal(const State& state) {
    if (config_.collect_outcomes) {
      result_.terminal_outcomes.insert(Engine::Decisions(state));
    }
  }

  const ExploreConfig& config_;
  Engine engine_;
  const ExploreProgress& progress_;
  Clock::time_point start_;
  VisitedSet visited_;
  ExploreResult result_;
  bool stopped_ = false;
  // --reach: targets not reached yet, and a path to each one reached.
  absl::btree_set<std::string> remaining_;
  std::vector<std::string> guide_;                        // bit i: guide_[i]
  std::vector<std::pair<std::string, uint64_t>> chains_;  // target, bits
  std::vector<std::pair<std::string, std::vector<Choice>>> reached_paths_;
  bool stopped_by_reach_ = false;
  bool cut_by_bound_ = false;  // the current round left a state unexpanded
  uint64_t round_states_ = 0;  // > 0: the round stops after this many states
  uint64_t round_start_ = 0;   // result_.states when the round began
};

absl::Status ValidateConfig(const ExploreConfig& config) {
  if (config.replicas < 1 || config.replicas > 31) {
    return absl::InvalidArgumentError(
        absl::StrCat("--n ", config.replicas, ": expected 1..31 replicas"));
  }
  if (config.commands < 0 || config.commands > 31) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--commands ", config.commands, ": expected 0..31 commands"));
  }
  if (config.max_crashes < 0 || config.max_recoveries < 0 ||
      config.max_depth < 0) {
    return absl::InvalidArgumentError(
        "--max-crashes, --max-recoveries and --max-depth must be >= 0");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ExploreResult> Explore(const ExploreConfig& config,
                                      const protocol::Protocol& protocol,
                                      const ExploreProgress& progress) {
  if (absl::Status s = ValidateConfig(config); !s.ok()) return s;
  if (protocol.Replicas() != config.replicas) {
    return absl::InvalidArgumentError(
        absl::StrCat("protocol ", protocol.Name(), " has ", protocol.Replicas(),
                     " replicas, the configuration ", config.replicas));
  }
  Search search(config, protocol, progress);
  return search.Run();
}

absl::StatusOr<std::optional<ExploreViolation>> ReplaySchedule(
    const ExploreConfig& config, const protocol::Protocol& protocol,
    const std::vector<ExploreStep>& schedule,
    const std::function<void(const std::string&)>& trace,
    absl::btree_map<std::string, int64_t>* coverage) {
  if (absl::Status s = ValidateConfig(config); !s.ok()) return s;
  Engine engine(config, protocol);
  if (coverage != nullptr) {
    for (const std::string& branch : protocol.CoverageBranches()) {
      coverage->try_emplace(branch, 0);
    }
  }
  std::optional<Found> found;
  State s = engine.Initial(&found);
  ExploreViolation done;
  if (found) {
    done.check = found->check;
    done.detail = found->detail;
    return done;
  }
  for (size_t i = 0; i < schedule.size(); ++i) {
    const ExploreStep& want = schedule[i];
    const std::optional<Choice> match = engine.Match(s, want);
    if (!match) {
      return absl::InvalidArgumentError(
          absl::StrCat("steps[", i, "] (", want.text,
                       "): no such choice is enabled at this point"));
    }
    done.schedule.push_back(engine.Describe(s, *match));
    if (trace) trace(absl::StrCat(i + 1, ". ", done.schedule.back().text));
    State next;
    Found f;
    const Engine::Outcome outcome = engine.Apply(s, *match, &next, &f);
    if (coverage != nullptr && engine.LastCovered() != nullptr) {
      for (const std::string& branch : *engine.LastCovered()) {
        ++(*coverage)[branch];
      }
    }
    switch (outcome) {
      case Engine::Outcome::kDisabled:
        return absl::InvalidArgumentError(absl::StrCat(
            "steps[", i, "] (", want.text, "): the step changes nothing"));
      case Engine::Outcome::kViolation:
        done.check = f.check;
        done.detail = f.detail;
        return done;
      case Engine::Outcome::kOk:
        break;
    }
    s = std::move(next);
  }
  return std::optional<ExploreViolation>();
}

absl::StatusOr<nlohmann::json> ScheduleToScenario(
    const ScheduleFile& file, const protocol::Protocol& protocol,
    const std::string& name) {
  ExploreConfig config = file.config;
  if (absl::Status s = ValidateConfig(config); !s.ok()) return s;
  // Submissions become script steps at the point they happen: with
  // submit = start, all of them first, in index order (as Initial does).
  const bool at_start = config.submit == ExploreConfig::Submit::kStart;
  config.submit = ExploreConfig::Submit::kAny;
  Engine engine(config, protocol);
  std::optional<Found> found;
  State s = engine.Initial(&found);
  if (found) {
    return absl::FailedPreconditionError(
        absl::StrCat("the initial state already violates ", found->check, ": ",
                     found->detail));
  }
  absl::btree_map<CommandId, std::string> labels;
  nlohmann::json steps = nlohmann::json::array();
  bool stopped = false;  // a violation ended the schedule
  // Takes `choice` in `s`; false once a violation is reached.
  auto take = [&](const Choice& choice,
                  const std::string& where) -> absl::StatusOr<bool> {
    State next;
    Found f;
    switch (engine.Apply(s, choice, &next, &f)) {
      case Engine::Outcome::kDisabled:
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": the step changes nothing"));
      case Engine::Outcome::kViolation:
        return false;
      case Engine::Outcome::kOk:
        break;
    }
    s = std::move(next);
    return true;
  };
  auto submit = [&](int i, const std::string& where) -> absl::Status {
    ExploreStep want;
    want.kind = ExploreStep::Kind::kSubmit;
    want.replica = i % config.replicas;
    want.submission = i;
    const std::optional<Choice> choice = engine.Match(s, want);
    if (!choice) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": command ", i + 1, " cannot be submitted here"));
    }
    // Copied: Known's cache may be cleared by the next call.
    const std::vector<CommandId> before =
        engine.Known(s.replicas[want.replica]);
    absl::StatusOr<bool> ok = take(*choice, where);
    if (!ok.ok()) return ok.status();
    stopped = !*ok;
    const std::string label = absl::StrCat("c", i + 1);
    if (!stopped) {
      for (const CommandId& id : engine.Known(s.replicas[want.replica])) {
        if (std::find(before.begin(), before.end(), id) == before.end()) {
          labels[id] = label;
        }
      }
    }
    const protocol::Command c = config.CommandAt(i);
    nlohmann::json submit = {{"replica", want.replica},
                             {"op", protocol::OpTypeName(c.op)},
                             {"key", c.key.str()}};
    if (c.op == protocol::OpType::kPut) submit["value"] = c.value;
    submit["as"] = label;
    steps.push_back(
        {{"submit", submit}, {"note", absl::StrCat("command ", i + 1)}});
    return absl::OkStatus();
  };
  if (at_start) {
    for (int i = 0; i < config.commands && !stopped; ++i) {
      if (absl::Status st = submit(i, "initial submissions"); !st.ok()) {
        return st;
      }
    }
  }
  using Kind = ExploreStep::Kind;
  for (size_t i = 0; i < file.steps.size() && !stopped; ++i) {
    const ExploreStep& want = file.steps[i];
    const std::string where = absl::StrCat("steps[", i, "] (", want.text, ")");
    if (want.kind == Kind::kSubmit) {
      if (absl::Status st = submit(want.submission, where); !st.ok()) {
        return st;
      }
      continue;
    }
    const std::optional<Choice> choice = engine.Match(s, want);
    if (!choice) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": no such choice is enabled at this point"));
    }
    auto label_of = [&](const CommandId& id) -> absl::StatusOr<std::string> {
      auto it = labels.find(id);
      if (it == labels.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": command ", id.ToString(), " was never submitted"));
      }
      return it->second;
    };
    nlohmann::json step;
    switch (want.kind) {
      case Kind::kDeliver:
      case Kind::kDrop: {
        if (const int others = engine.Lookalikes(s, *choice); others > 0) {
          return absl::FailedPreconditionError(absl::StrCat(
              where, ": ", others,
              " other in-flight message(s) have the same sender, receiver, "
              "type and command, so a script filter cannot pick this one"));
        }
        const InFlight& m = s.messages[choice->index];
        nlohmann::json filter = {{"type", std::string(m.message->Type())},
                                 {"from", m.from},
                                 {"to", m.to}};
        if (std::optional<CommandId> id = m.message->Command()) {
          absl::StatusOr<std::string> label = label_of(*id);
          if (!label.ok()) return label.status();
          filter["command"] = *label;
        }
        step[want.kind == Kind::kDeliver ? "deliver" : "lose"] = filter;
        break;
      }
      case Kind::kCrash:
        // The explorer's crash keeps what the replica already sent.
        step["crash"] = {{"replica", want.replica}, {"keep_sent", true}};
        break;
      case Kind::kRecover: {
        absl::StatusOr<std::string> label = label_of(choice->command);
        if (!label.ok()) return label.status();
        step["recover"] = {{"replica", want.replica}, {"command", *label}};
        break;
      }
      case Kind::kTimer:
        // The script fires a replica's oldest pending timer with the tag.
        if (want.ordinal != 0 ||
            want.tag >
                static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          return absl::FailedPreconditionError(
              absl::StrCat(where,
                           ": a script fires the oldest timer with a tag; this "
                           "step fires another"));
        }
        step["fire_timer"] = {{"replica", want.replica},
                              {"tag", static_cast<int64_t>(want.tag)}};
        break;
      case Kind::kSubmit:
        break;
    }
    step["note"] = absl::StrCat(i + 1, ". ", want.text);
    steps.push_back(std::move(step));
    absl::StatusOr<bool> ok = take(*choice, where);
    if (!ok.ok()) return ok.status();
    stopped = !*ok;
  }
  // Then everything held is released, so that liveness is judged too.
  steps.push_back({{"run", {{"mode", "quiescent"}}}});
  nlohmann::json replicas = nlohmann::json::array();
  for (int i = 0; i < config.replicas; ++i) replicas.push_back(i);
  const std::string what =
      !file.reached.empty()
          ? absl::StrCat("reaches coverage branch ", file.reached)
          : absl::StrCat("reproduces a violation of ", file.check);
  return nlohmann::json{
      {"name", name},
      {"description",
       absl::StrCat("Converted from an epsim explore schedule (",
                    config.Describe(), "): ", file.steps.size(), " steps that ",
                    what, ", then the rest of the run released.")},
      {"topology", "lan"},
      {"protocol", config.protocol},
      {"replicas", replicas},
      {"script", {{"steps", steps}}}};
}

// ---------------------------------------------------------------------------
// Schedule files

namespace {

absl::StatusOr<CommandId> ParseCommandId(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '.');
  CommandId id;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &id.origin) ||
      !absl::SimpleAtoi(parts[1], &id.counter)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", text, "\": expected a command id ORIGIN.COUNTER such as 0.1"));
  }
  return id;
}

}  // namespace

nlohmann::json ExploreStep::ToJson() const {
  nlohmann::json j;
  j["step"] = std::string(StepKindName(kind));
  j["replica"] = replica;
  switch (kind) {
    case Kind::kDeliver:
    case Kind::kDrop:
      j["from"] = from;
      j["type"] = type;
      j["fingerprint"] = absl::StrFormat("%016x", fingerprint);
      if (command) j["command"] = command->ToString();
      break;
    case Kind::kRecover:
      j["command"] = command->ToString();
      break;
    case Kind::kTimer:
      j["tag"] = tag;
      j["ordinal"] = ordinal;
      break;
    case Kind::kSubmit:
      j["submission"] = submission;
      break;
    case Kind::kCrash:
      break;
  }
  j["text"] = text;
  return j;
}

absl::StatusOr<ExploreStep> ExploreStep::FromJson(const nlohmann::json& j,
                                                  const std::string& where) {
  auto bad = [&](std::string_view field, std::string_view expected) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".", Av(field), ": expected ", Av(expected)));
  };
  if (!j.is_object()) return bad("", "an object");
  ExploreStep step;
  if (!j.contains("step") || !j["step"].is_string()) {
    return bad("step", "one of submit, deliver, drop, crash, recover, timer");
  }
  const std::string kind = j["step"];
  bool known = false;
  for (Kind k : {Kind::kSubmit, Kind::kDeliver, Kind::kDrop, Kind::kCrash,
                 Kind::kRecover, Kind::kTimer}) {
    if (kind == StepKindName(k)) {
      step.kind = k;
      known = true;
    }
  }
  if (!known) {
    return bad("step", "one of submit, deliver, drop, crash, recover, timer");
  }
  auto get_int = [&](const char* field, int* out) -> absl::Status {
    if (!j.contains(field) || !j[field].is_number_integer()) {
      return bad(field, "an integer");
    }
    *out = j[field].get<int>();
    return absl::OkStatus();
  };
  if (absl::Status s = get_int("replica", &step.replica); !s.ok()) return s;
  if (j.contains("text") && j["text"].is_string()) step.text = j["text"];
  switch (step.kind) {
    case Kind::kDeliver:
    case Kind::kDrop: {
      if (absl::Status s = get_int("from", &step.from); !s.ok()) return s;
      if (!j.contains("fingerprint") || !j["fingerprint"].is_string() ||
          !absl::SimpleHexAtoi(j["fingerprint"].get<std::string>(),
                               &step.fingerprint)) {
        return bad("fingerprint", "a hexadecimal string");
      }
      if (j.contains("type") && j["type"].is_string()) step.type = j["type"];
      break;
    }
    case Kind::kRecover: {
      if (!j.contains("command") || !j["command"].is_string()) {
        return bad("command", "a command id string such as \"0.1\"");
      }
      auto id = ParseCommandId(j["command"]);
      if (!id.ok()) return bad("command", std::string(id.status().message()));
      step.command = *id;
      break;
    }
    case Kind::kTimer: {
      if (!j.contains("tag") || !j["tag"].is_number_unsigned()) {
        return bad("tag", "a non-negative integer");
      }
      step.tag = j["tag"];
      if (absl::Status s = get_int("ordinal", &step.ordinal); !s.ok()) {
        return s;
      }
      break;
    }
    case Kind::kSubmit:
      if (absl::Status s = get_int("submission", &step.submission); !s.ok()) {
        return s;
      }
      break;
    case Kind::kCrash:
      break;
  }
  return step;
}

namespace {

nlohmann::json ScheduleJson(const ExploreConfig& config,
                            const std::vector<ExploreStep>& schedule) {
  nlohmann::json j;
  j["format"] = "epsim-explore-schedule";
  j["version"] = 1;
  j["protocol"] = config.protocol;
  j["replicas"] = config.replicas;
  j["commands"] = config.commands;
  j["conflicts"] = std::string(ConflictsName(config.conflicts));
  j["submit"] = std::string(SubmitName(config.submit));
  j["model"] = config.lossy ? "lossy" : "reliable";
  j["timers"] = config.timers ? "choice" : "ignore";
  // Which messages the state drops decides which steps exist.
  j["reduce"] = config.reduce_ignored ? "ignored" : "none";
  // The bounds that enable choices (a recover step needs max_recoveries).
  j["max_crashes"] = config.max_crashes;
  j["max_recoveries"] = config.max_recoveries;
  if (!config.recoverers.empty()) j["recoverers"] = config.recoverers;
  nlohmann::json steps = nlohmann::json::array();
  for (const ExploreStep& step : schedule) steps.push_back(step.ToJson());
  j["steps"] = std::move(steps);
  return j;
}

}  // namespace

nlohmann::json ScheduleToJson(const ExploreConfig& config,
                              const ExploreViolation& violation) {
  nlohmann::json j = ScheduleJson(config, violation.schedule);
  j["violation"] = {{"check", violation.check}, {"detail", violation.detail}};
  return j;
}

nlohmann::json ReachedScheduleToJson(const ExploreConfig& config,
                                     const ExploreReached& reached) {
  nlohmann::json j = ScheduleJson(config, reached.schedule);
  j["reached"] = reached.branch;
  return j;
}

absl::StatusOr<ScheduleFile> ScheduleFromJson(const nlohmann::json& j,
                                              const std::string& file) {
  auto bad = [&](std::string_view field, std::string_view expected) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": ", Av(field), ": expected ", Av(expected)));
  };
  if (!j.is_object()) return bad("(top level)", "a JSON object");
  if (j.value("format", "") != "epsim-explore-schedule") {
    return bad("format", "\"epsim-explore-schedule\"");
  }
  if (!j.contains("version") || j["version"] != 1) return bad("version", "1");
  ScheduleFile out;
  ExploreConfig& c = out.config;
  if (!j.contains("protocol") || !j["protocol"].is_string()) {
    return bad("protocol", "a protocol spec string");
  }
  c.protocol = j["protocol"];
  for (auto [field, target] :
       {std::pair{"replicas", &c.replicas}, {"commands", &c.commands}}) {
    if (!j.contains(field) || !j[field].is_number_integer()) {
      return bad(field, "an integer");
    }
    *target = j[field].get<int>();
  }
  // The index of the field's value among `options`.
  auto choose = [&](const char* field, const std::vector<std::string>& options,
                    int* index) -> absl::Status {
    const std::string v =
        j.contains(field) && j[field].is_string() ? j[field] : "";
    for (size_t i = 0; i < options.size(); ++i) {
      if (v == options[i]) {
        *index = static_cast<int>(i);
        return absl::OkStatus();
      }
    }
    return bad(field, absl::StrJoin(options, " or "));
  };
  int conflicts = 0, submit = 0, model = 0, timers = 0;
  if (absl::Status s =
          choose("conflicts", {"all", "none", "pairs"}, &conflicts);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = choose("submit", {"start", "any"}, &submit); !s.ok()) {
    return s;
  }
  if (absl::Status s = choose("model", {"reliable", "lossy"}, &model);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = choose("timers", {"choice", "ignore"}, &timers);
      !s.ok()) {
    return s;
  }
  for (auto [field, target] : {std::pair{"max_crashes", &c.max_crashes},
                               {"max_recoveries", &c.max_recoveries}}) {
    if (!j.contains(field)) continue;  // files written before they existed
    if (!j[field].is_number_integer() || j[field].get<int64_t>() < 0 ||
        j[field].get<int64_t>() > 1000) {
      return bad(field, "an integer 0..1000");
    }
    *target = j[field].get<int>();
  }
  if (j.contains("recoverers")) {
    const nlohmann::json& r = j["recoverers"];
    if (!r.is_array()) return bad("recoverers", "an array of replica indexes");
    for (const nlohmann::json& x : r) {
      if (!x.is_number_integer() || x.get<int64_t>() < 0 ||
          x.get<int64_t>() >= c.replicas) {
        return bad("recoverers",
                   absl::StrCat("replica indexes 0..", c.replicas - 1));
      }
      c.recoverers.push_back(x.get<int>());
    }
  }
  // Files written before the reduction existed have no field: none.
  int reduce = 1;
  if (j.contains("reduce")) {
    if (absl::Status s = choose("reduce", {"ignored", "none"}, &reduce);
        !s.ok()) {
      return s;
    }
  }
  c.conflicts = static_cast<ExploreConfig::Conflicts>(conflicts);
  c.submit = static_cast<ExploreConfig::Submit>(submit);
  c.lossy = model == 1;
  c.timers = timers == 0;
  c.reduce_ignored = reduce == 0;
  if (j.contains("violation") && j["violation"].is_object()) {
    out.check = j["violation"].value("check", "");
    out.detail = j["violation"].value("detail", "");
  }
  if (j.contains("reached")) {
    if (!j["reached"].is_string()) return bad("reached", "a branch name");
    out.reached = j["reached"];
  }
  if (!j.contains("steps") || !j["steps"].is_array()) {
    return bad("steps", "an array of steps");
  }
  for (size_t i = 0; i < j["steps"].size(); ++i) {
    auto step = ExploreStep::FromJson(j["steps"][i],
                                      absl::StrCat(file, ": steps[", i, "]"));
    if (!step.ok()) return step.status();
    out.steps.push_back(*std::move(step));
  }
  return out;
}

}  // namespace epsim::explore
