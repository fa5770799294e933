#include "protocol/multipaxos/replica.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "protocol/multipaxos/digest.h"

namespace epsim::protocol::multipaxos {
namespace {

constexpr Duration kDefaultRoundTrip = 100 * kMillisecond;

template <typename M>
std::shared_ptr<M> Make() {
  return std::make_shared<M>();
}

// Phase 2a for a slot entry the leader holds at its ballot.
MessagePtr MakeAccept(const SlotEntry& entry) {
  auto accept = Make<Accept>();
  accept->ballot = entry.ballot;
  accept->slot = entry.slot;
  accept->command = entry.command;
  accept->recovered = entry.recovered;
  return accept;
}

MessagePtr MakeCommit(const SlotEntry& entry) {
  auto commit = Make<Commit>();
  commit->ballot = entry.ballot;
  commit->slot = entry.slot;
  commit->command = entry.command;
  commit->recovered = entry.recovered;
  return commit;
}

}  // namespace

Config Config::FromRoundTrip(int replicas, NodeId leader,
                             Duration max_round_trip) {
  const Duration rtt = max_round_trip > 0 ? max_round_trip : kDefaultRoundTrip;
  Config c;
  c.replicas = replicas;
  c.initial_leader = leader;
  c.heartbeat_interval = rtt;
  // Three heartbeats missed (one-way delays are at most rtt / 2) before a
  // follower suspects the leader; the jitter separates candidates by more
  // than a round trip most of the time.
  c.suspect_after = 3 * rtt;
  c.phase1_timeout = 2 * rtt;
  c.jitter = 2 * rtt;
  c.retry_interval = 4 * rtt;
  return c;
}

std::vector<std::string> CoverageBranches() {
  return {
      "forward",          // a replica sends a client request to its leader
      "forward-queued",   // held until this replica wins phase 1
      "forward-dropped",  // a non-leader got a Forward; origin retries
      "duplicate-request-skipped",  // the leader already has it in its log
      "phase2-accept",              // acceptor accepts (2b)
      "phase2-reject",              // acceptor refuses a lower ballot
      "accept-for-chosen-slot",     // Accept for a slot already known chosen
      "phase2-commit",              // leader sees a majority of Accepted
      "learn-commit",               // a replica learns a chosen value
      "heartbeat",                  // leader heartbeat sent
      "accept-retransmit",          // leader resends an unanswered Accept
      "catch-up-request",           // a lagging replica asks for chosen slots
      "catch-up-serve",             // ... and gets them
      "client-retry",               // unexecuted requests forwarded again
      "leader-suspected",           // election timeout
      "phase1-start",               // candidate sends Prepare (1a)
      "phase1-promise",             // acceptor promises (1b)
      "phase1-nack",                // acceptor refuses a lower Prepare
      "phase1-won",                 // majority of promises
      "phase1-learned-chosen",      // a promise reported a chosen slot
      "phase1-reproposed",          // highest-ballot accepted value re-proposed
      "gap-noop",                   // nobody accepted anything: Nop
      "phase1-preempted",           // a candidate saw a higher ballot
      "phase1-retry",               // a candidate timed out, higher ballot
      "leader-deposed",             // a leader saw a higher ballot
      "nack-received",              // a Nack raised this replica's promise
      "execute",                    // a command took effect
      "execute-duplicate",          // the KvStore recognised a retried request
      "restart",                    // crash-restart: volatile state dropped
  };
}

MultiPaxosReplica::MultiPaxosReplica(const Config& config, NodeId self,
                                     Env& env)
    : config_(config), self_(self), env_(&env) {
  EPSIM_CHECK(config.replicas >= 1) << "no replicas";
  EPSIM_CHECK(config.initial_leader >= 0 &&
              config.initial_leader < config.replicas)
      << "leader " << config.initial_leader;
  // Every acceptor starts promised to the initial leader's first ballot,
  // which therefore needs no phase 1.
  promised_ = static_cast<Ballot>(config.initial_leader) + 1;
  if (self_ == config.initial_leader) role_ = Role::kLeader;
}

void MultiPaxosReplica::Start() {
  if (role_ == Role::kLeader) {
    heartbeat_timer_ =
        env_->SetTimer(config_.heartbeat_interval, kHeartbeatTimer);
  } else {
    ArmElectionTimer();
  }
  ArmRetryTimer();
}

// A client request: hold it until executed here, and route it to the leader.
void MultiPaxosReplica::OnClientRequest(const Command& command) {
  if (command.nop) return;
  held_[command.request] = HeldRequest{command, retry_generation_};
  ArmRetryTimer();
  Route(command);
}

void MultiPaxosReplica::OnMessage(NodeId from, const Message& message) {
  const std::string_view type = message.Type();
  if (type == "Forward") {
    OnForward(static_cast<const Forward&>(message));
  } else if (type == "Prepare") {
    OnPrepare(from, static_cast<const Prepare&>(message));
  } else if (type == "Promise") {
    OnPromise(from, static_cast<const Promise&>(message));
  } else if (type == "Accept") {
    OnAccept(from, static_cast<const Accept&>(message));
  } else if (type == "Accepted") {
    OnAccepted(from, static_cast<const Accepted&>(message));
  } else if (type == "Commit") {
    OnCommit(from, static_cast<const Commit&>(message));
  } else if (type == "Heartbeat") {
    OnHeartbeat(from, static_cast<const Heartbeat&>(message));
  } else if (type == "CatchUp") {
    OnCatchUp(from, static_cast<const CatchUp&>(message));
  } else if (type == "Nack") {
    OnNack(static_cast<const Nack&>(message));
  } else {
    EPSIM_CHECK(false) << "multipaxos: unknown message type " << type;
  }
}

void MultiPaxosReplica::OnTimer(TimerId id, uint64_t tag) {
  auto matches = [id](std::optional<TimerId>& timer) {
    if (timer != id) return false;
    timer.reset();
    return true;
  };
  switch (tag) {
    case kHeartbeatTimer: {
      // Leader liveness, and phase 2a retransmission of unanswered slots.
      if (!matches(heartbeat_timer_) || role_ != Role::kLeader) return;
      ++tick_;
      auto beat = Make<Heartbeat>();
      beat->ballot = promised_;
      beat->chosen_below = FirstUnchosen();
      Broadcast(beat);
      env_->Cover("heartbeat");
      for (auto& [slot, proposal] : proposals_) {
        if (proposal.sent_tick + 2 > tick_) continue;
        proposal.sent_tick = tick_;
        const MessagePtr accept = MakeAccept(log_.at(slot));
        for (NodeId q = 0; q < config_.replicas; ++q) {
          if (!proposal.acks.contains(q)) env_->Send(q, accept);
        }
        env_->Cover("accept-retransmit");
      }
      heartbeat_timer_ =
          env_->SetTimer(config_.heartbeat_interval, kHeartbeatTimer);
      return;
    }
    case kElectionTimer:
      // No word from the leader: try to become leader (phase 1a).
      if (!matches(election_timer_) || role_ != Role::kFollower) return;
      env_->Cover("leader-suspected");
      Trace(absl::StrCat("suspects leader ", BelievedLeader()));
      StartPhase1();
      return;
    case kPhase1Timer:
      // Phase 1 did not gather a majority in time: retry, higher ballot.
      if (!matches(phase1_timer_) || role_ != Role::kCandidate) return;
      env_->Cover("phase1-retry");
      StartPhase1();
      return;
    case kRetryTimer: {
      // Requests still unexecuted since the last round go out again.
      if (!matches(retry_timer_)) return;
      const uint64_t generation = retry_generation_++;
      std::vector<Command> again;
      for (auto& [request, held] : held_) {
        if (held.generation >= generation) continue;
        held.generation = generation;
        again.push_back(held.command);
      }
      if (!again.empty()) env_->Cover("client-retry");
      for (const Command& command : again) Route(command);
      ArmRetryTimer();
      return;
    }
    default:
      EPSIM_CHECK(false) << "multipaxos: unknown timer tag " << tag;
  }
}

void MultiPaxosReplica::Restart() {
  env_->Cover("restart");
  role_ = Role::kFollower;
  next_slot_ = 1;
  proposals_.clear();
  tick_ = 0;
  phase1_from_ = 1;
  promises_.clear();
  held_.clear();
  queued_.clear();
  retry_generation_ = 0;
  heartbeat_timer_.reset();
  election_timer_.reset();
  phase1_timer_.reset();
  retry_timer_.reset();
  Trace(absl::StrCat("restarted, promised ", promised_, ", executed below ",
                     executed_below_));
}

std::vector<PendingCommand> MultiPaxosReplica::Pending() const {
  std::vector<PendingCommand> out;
  const Slot gap = FirstUnchosen();
  for (auto it = log_.lower_bound(executed_below_); it != log_.end(); ++it) {
    const SlotEntry& entry = it->second;
    PendingCommand pending;
    pending.id = SlotId(entry.slot);
    if (entry.chosen) {
      // Chosen but blocked by the first slot not known chosen here.
      pending.phase = "committed";
      pending.waiting_on.push_back(SlotId(gap));
    } else {
      pending.phase = "accepted";
    }
    if (role_ == Role::kCandidate) pending.recovery = promised_;
    out.push_back(std::move(pending));
  }
  return out;
}

std::unique_ptr<Replica> MultiPaxosReplica::Clone(Env& env) const {
  auto copy = std::make_unique<MultiPaxosReplica>(*this);
  copy->env_ = &env;
  return copy;
}

uint64_t MultiPaxosReplica::StateHash() const {
  // Heartbeat ticks enter only relative to each proposal, and timers only as
  // "armed": states that behave alike hash alike.
  Digest d;
  d.Add(static_cast<uint64_t>(self_))
      .Add(promised_)
      .Add(static_cast<uint64_t>(role_))
      .Add(static_cast<uint64_t>(executed_below_))
      .Add(kv_.Digest())
      .Add(static_cast<uint64_t>(next_slot_))
      .Add(static_cast<uint64_t>(phase1_from_));
  d.Add(static_cast<uint64_t>(log_.size()));
  for (const auto& [slot, e] : log_) {
    d.Add(static_cast<uint64_t>(slot))
        .Add(e.ballot)
        .Add(e.command)
        .Add(e.chosen ? 1 : 0)
        .Add(e.recovered ? 1 : 0);
  }
  d.Add(static_cast<uint64_t>(proposals_.size()));
  for (const auto& [slot, p] : proposals_) {
    d.Add(static_cast<uint64_t>(slot))
        .Add(std::min<uint64_t>(tick_ - p.sent_tick, 2));
    for (NodeId q : p.acks) d.Add(static_cast<uint64_t>(q));
  }
  d.Add(static_cast<uint64_t>(promises_.size()));
  for (const auto& [q, entries] : promises_) {
    d.Add(static_cast<uint64_t>(q)).Add(static_cast<uint64_t>(entries.size()));
    for (const SlotEntry& e : entries) {
      d.Add(static_cast<uint64_t>(e.slot))
          .Add(e.ballot)
          .Add(e.command)
          .Add(e.chosen ? 1 : 0);
    }
  }
  d.Add(static_cast<uint64_t>(held_.size()));
  for (const auto& [request, held] : held_) d.Add(held.command);
  d.Add(static_cast<uint64_t>(queued_.size()));
  for (const auto& [request, command] : queued_) d.Add(command);
  d.Add(heartbeat_timer_.has_value() ? 1 : 0)
      .Add(election_timer_.has_value() ? 1 : 0)
      .Add(phase1_timer_.has_value() ? 1 : 0)
      .Add(retry_timer_.has_value() ? 1 : 0);
  return d.value();
}

// A forwarded client request reaches the leader (input to phase 2a).
void MultiPaxosReplica::OnForward(const Forward& m) {
  if (role_ == Role::kLeader) {
    Propose(m.command);
  } else if (BelievedLeader() == self_) {
    queued_[m.command.request] = m.command;
    env_->Cover("forward-queued");
  } else {
    // Not ours to order; the origin forwards again when it learns the new
    // leader (relaying could bounce between replicas with stale beliefs).
    env_->Cover("forward-dropped");
  }
}

// Phase 1b: promise a ballot at least as high as any promised, reporting
// every accepted slot from the candidate's first unchosen one.
void MultiPaxosReplica::OnPrepare(NodeId from, const Prepare& m) {
  if (m.ballot < promised_) {
    SendNack(from);
    env_->Cover("phase1-nack");
    return;
  }
  ObserveBallot(m.ballot);
  auto promise = Make<Promise>();
  promise->ballot = m.ballot;
  promise->accepted = EntriesFrom(m.from);
  env_->Send(from, promise);
  env_->Cover("phase1-promise");
}

// Phase 1b received by the candidate: on a majority, phase 1 is won.
void MultiPaxosReplica::OnPromise(NodeId from, const Promise& m) {
  if (role_ != Role::kCandidate || m.ballot != promised_) return;
  promises_[from] = m.accepted;
  if (static_cast<int>(promises_.size()) >= Majority()) WinPhase1();
}

// Phase 2b: accept unless a higher ballot was promised.
void MultiPaxosReplica::OnAccept(NodeId from, const Accept& m) {
  if (m.ballot < promised_) {
    SendNack(from);
    env_->Cover("phase2-reject");
    return;
  }
  ObserveBallot(m.ballot);
  auto reply = Make<Accepted>();
  reply->ballot = m.ballot;
  reply->slot = m.slot;
  if (auto it = log_.find(m.slot); it != log_.end() && it->second.chosen) {
    // Paxos: every proposal at a ballot >= the chosen one carries the chosen
    // value (a free agreement check). A lower stale one gets no vote.
    const SlotEntry& chosen = it->second;
    EPSIM_CHECK(m.ballot < chosen.ballot || m.command == chosen.command)
        << "multipaxos: slot " << m.slot << " chosen as "
        << chosen.command.ToString() << " at ballot " << chosen.ballot
        << " but Accept at ballot " << m.ballot << " carries "
        << m.command.ToString();
    env_->Cover("accept-for-chosen-slot");
    if (m.command == chosen.command) env_->Send(from, reply);
    return;
  }
  log_[m.slot] = SlotEntry{m.slot, m.ballot, m.command, false, m.recovered};
  if (!m.command.nop) request_slots_[m.command.request] = m.slot;
  env_->Send(from, reply);
  env_->Cover("phase2-accept");
}

// Phase 2b received by the leader: a majority of the current ballot chooses.
void MultiPaxosReplica::OnAccepted(NodeId from, const Accepted& m) {
  if (role_ != Role::kLeader || m.ballot != promised_) return;
  auto it = proposals_.find(m.slot);
  if (it == proposals_.end()) return;
  it->second.acks.insert(from);
  if (static_cast<int>(it->second.acks.size()) >= Majority()) Choose(m.slot);
}

// Learn: a chosen value, from the leader (or from whoever answers CatchUp).
void MultiPaxosReplica::OnCommit(NodeId /*from*/, const Commit& m) {
  // A value chosen at a ballot above our promise: a newer leader exists.
  if (m.ballot > promised_) ObserveBallot(m.ballot);
  if (MarkChosen(m.slot, m.command, m.ballot, m.recovered)) {
    env_->Cover("learn-commit");
    Execute();
  }
}

// Leader liveness: a current heartbeat keeps this replica from suspecting it
// and tells it whether it lags behind the chosen prefix.
void MultiPaxosReplica::OnHeartbeat(NodeId from, const Heartbeat& m) {
  if (m.ballot < promised_) {
    SendNack(from);
    return;
  }
  ObserveBallot(m.ballot);
  const Slot mine = FirstUnchosen();
  if (m.chosen_below > mine) {
    auto ask = Make<CatchUp>();
    ask->from = mine;
    env_->Send(from, ask);
    env_->Cover("catch-up-request");
  }
}

// Learn (repair): resend the chosen slots a lagging replica lacks.
void MultiPaxosReplica::OnCatchUp(NodeId from, const CatchUp& m) {
  for (auto it = log_.lower_bound(m.from); it != log_.end(); ++it) {
    const SlotEntry& entry = it->second;
    if (!entry.chosen) continue;
    env_->Send(from, MakeCommit(entry));
    env_->Cover("catch-up-serve");
  }
}

// A higher promise elsewhere: a stale leader or candidate steps down.
void MultiPaxosReplica::OnNack(const Nack& m) {
  if (m.promised <= promised_) return;
  env_->Cover("nack-received");
  ObserveBallot(m.promised);
}

NodeId MultiPaxosReplica::Owner(Ballot b) const {
  return static_cast<NodeId>((b - 1) % static_cast<Ballot>(config_.replicas));
}

void MultiPaxosReplica::ObserveBallot(Ballot b) {
  const NodeId old_leader = BelievedLeader();
  if (b > promised_) {
    promised_ = b;
    if (role_ != Role::kFollower && Owner(b) != self_) StepDown();
  }
  // Word from (or on behalf of) the leader: restart the suspicion timeout.
  if (role_ == Role::kFollower && BelievedLeader() != self_) {
    ArmElectionTimer();
  }
  if (BelievedLeader() != old_leader) OnLeaderChanged();
}

void MultiPaxosReplica::StepDown() {
  env_->Cover(role_ == Role::kLeader ? "leader-deposed" : "phase1-preempted");
  Trace(absl::StrCat("steps down as ", RoleName(), ": promised ", promised_));
  role_ = Role::kFollower;
  proposals_.clear();
  promises_.clear();
  CancelTimer(heartbeat_timer_);
  CancelTimer(phase1_timer_);
  ArmElectionTimer();
}

void MultiPaxosReplica::OnLeaderChanged() {
  const NodeId leader = BelievedLeader();
  Trace(absl::StrCat("follows ", leader, " (ballot ", promised_, ")"));
  if (leader == self_) return;  // candidate: it proposes them when it wins
  std::vector<Command> again;
  for (auto& [request, held] : held_) {
    held.generation = retry_generation_;
    again.push_back(held.command);
  }
  for (auto& [request, command] : queued_) again.push_back(command);
  queued_.clear();
  for (const Command& command : again) Route(command);
}

// Phase 1a: prepare the smallest ballot this replica owns above its promise.
void MultiPaxosReplica::StartPhase1() {
  const Ballot n = static_cast<Ballot>(config_.replicas);
  Ballot ballot = (promised_ - 1) / n * n + static_cast<Ballot>(self_) + 1;
  if (ballot <= promised_) ballot += n;
  promised_ = ballot;
  role_ = Role::kCandidate;
  CancelTimer(election_timer_);
  CancelTimer(heartbeat_timer_);
  proposals_.clear();
  phase1_from_ = FirstUnchosen();
  promises_.clear();
  promises_[self_] = EntriesFrom(phase1_from_);
  env_->Cover("phase1-start");
  Trace(
      absl::StrCat("phase 1 at ballot ", ballot, " from slot ", phase1_from_));
  auto prepare = Make<Prepare>();
  prepare->ballot = ballot;
  prepare->from = phase1_from_;
  Broadcast(prepare);
  CancelTimer(phase1_timer_);
  phase1_timer_ = env_->SetTimer(
      config_.phase1_timeout +
          static_cast<Duration>(env_->Random(config_.jitter + 1)),
      kPhase1Timer);
  if (static_cast<int>(promises_.size()) >= Majority()) WinPhase1();
}

// Phase 1 won: for each slot from phase1_from_, adopt a chosen value, else
// the highest-ballot accepted one, else a Nop, and propose it (phase 2a).
void MultiPaxosReplica::WinPhase1() {
  env_->Cover("phase1-won");
  Trace(absl::StrCat("leader at ballot ", promised_));
  role_ = Role::kLeader;
  CancelTimer(phase1_timer_);
  absl::btree_map<Slot, SlotEntry> merged;
  for (const auto& [q, entries] : promises_) {
    for (const SlotEntry& e : entries) {
      auto [it, fresh] = merged.try_emplace(e.slot, e);
      SlotEntry& best = it->second;
      if (fresh || best.chosen) continue;
      if (e.chosen || e.ballot > best.ballot) best = e;
    }
  }
  promises_.clear();
  const Slot last = merged.empty() ? phase1_from_ - 1 : merged.rbegin()->first;
  next_slot_ = std::max(last + 1, phase1_from_);
  for (Slot slot = phase1_from_; slot <= last; ++slot) {
    // Learned during phase 1 (a Commit overtook the promises): settled.
    if (auto mine = log_.find(slot);
        mine != log_.end() && mine->second.chosen) {
      continue;
    }
    auto it = merged.find(slot);
    if (it != merged.end() && it->second.chosen) {
      env_->Cover("phase1-learned-chosen");
      const SlotEntry& e = it->second;
      if (MarkChosen(slot, e.command, e.ballot, e.recovered)) {
        BroadcastCommit(log_.at(slot));
      }
    } else if (it != merged.end()) {
      env_->Cover("phase1-reproposed");
      StartAccept(slot, it->second.command, /*recovered=*/true);
    } else {
      env_->Cover("gap-noop");
      StartAccept(slot, Command::Nop(), /*recovered=*/true);
    }
    if (role_ != Role::kLeader) return;  // deposed meanwhile (re-entrancy)
  }
  auto beat = Make<Heartbeat>();
  beat->ballot = promised_;
  beat->chosen_below = FirstUnchosen();
  Broadcast(beat);
  heartbeat_timer_ =
      env_->SetTimer(config_.heartbeat_interval, kHeartbeatTimer);
  std::vector<Command> waiting;
  for (const auto& [request, command] : queued_) waiting.push_back(command);
  queued_.clear();
  for (const auto& [request, held] : held_) waiting.push_back(held.command);
  for (const Command& command : waiting) Route(command);
  Execute();
}

void MultiPaxosReplica::Route(const Command& command) {
  if (role_ == Role::kLeader) {
    Propose(command);
  } else if (BelievedLeader() == self_) {
    queued_[command.request] = command;
    env_->Cover("forward-queued");
  } else {
    auto forward = Make<Forward>();
    forward->command = command;
    env_->Send(BelievedLeader(), forward);
    env_->Cover("forward");
  }
}

// Phase 2a for a client request: the next free slot, unless in flight.
void MultiPaxosReplica::Propose(const Command& command) {
  if (InFlight(command.request)) {
    env_->Cover("duplicate-request-skipped");
    return;
  }
  // Slots a newer leader chose are not ours to fill (we are stale and
  // will be deposed; our Accepts are refused meanwhile).
  for (auto it = log_.find(next_slot_);
       it != log_.end() && it->first == next_slot_ && it->second.chosen; ++it) {
    ++next_slot_;
  }
  StartAccept(next_slot_++, command, /*recovered=*/false);
}

// Phase 2a: the leader accepts its own proposal and asks everyone else.
void MultiPaxosReplica::StartAccept(Slot slot, const Command& command,
                                    bool recovered) {
  SlotEntry& entry = log_[slot];
  EPSIM_CHECK(!entry.chosen) << "multipaxos: proposing chosen slot " << slot;
  entry = SlotEntry{slot, promised_, command, false, recovered};
  if (!command.nop) request_slots_[command.request] = slot;
  Proposal& proposal = proposals_[slot];
  proposal.acks = {self_};
  proposal.sent_tick = tick_;
  Broadcast(MakeAccept(entry));
  if (static_cast<int>(proposal.acks.size()) >= Majority()) Choose(slot);
}

// Phase 2 done: the slot's value is chosen; tell every learner.
void MultiPaxosReplica::Choose(Slot slot) {
  proposals_.erase(slot);
  const SlotEntry entry = log_.at(slot);
  env_->Cover("phase2-commit");
  MarkChosen(slot, entry.command, promised_, entry.recovered);
  BroadcastCommit(log_.at(slot));
  Execute();
}

void MultiPaxosReplica::BroadcastCommit(const SlotEntry& entry) {
  Broadcast(MakeCommit(entry));
}

void MultiPaxosReplica::SendNack(NodeId to) {
  auto nack = Make<Nack>();
  nack->promised = promised_;
  env_->Send(to, nack);
}

bool MultiPaxosReplica::MarkChosen(Slot slot, const Command& command,
                                   Ballot ballot, bool recovered) {
  SlotEntry& entry = log_[slot];
  if (entry.chosen) {
    EPSIM_CHECK(entry.command == command)
        << "multipaxos: slot " << slot
        << " chosen twice: " << entry.command.ToString() << " and "
        << command.ToString();
    return false;
  }
  entry = SlotEntry{slot, ballot, command, true, recovered};
  if (!command.nop) request_slots_[command.request] = slot;
  proposals_.erase(slot);
  CommitRecord record;
  record.id = SlotId(slot);
  record.command = command;
  if (slot > 1) record.deps = {SlotId(slot - 1)};
  record.seq = slot;
  record.ballot = ballot;
  record.path = recovered ? "recovery" : "slow";
  if (env_->TraceEnabled()) {
    Trace(absl::StrCat("chose slot ", slot, ": ", command.ToString(),
                       " at ballot ", ballot));
  }
  env_->Committed(record);
  return true;
}

// Learner: apply chosen slots in order, stopping at the first gap.
void MultiPaxosReplica::Execute() {
  while (true) {
    auto it = log_.find(executed_below_);
    if (it == log_.end() || !it->second.chosen) return;
    const Slot slot = executed_below_++;
    const Command command = it->second.command;
    if (command.nop) continue;
    const KvStore::Outcome outcome = kv_.Apply(command);
    // Whatever this client had pending here is answered (closed loop).
    auto forget = [&command](auto& requests) {
      for (auto r = requests.lower_bound(RequestId{
               command.request.client, std::numeric_limits<int64_t>::min()});
           r != requests.end() && r->first.client == command.request.client &&
           r->first.number <= command.request.number;) {
        r = requests.erase(r);
      }
    };
    forget(held_);
    forget(queued_);
    if (held_.empty()) CancelTimer(retry_timer_);
    env_->Cover(outcome.duplicate ? "execute-duplicate" : "execute");
    ExecutionRecord record;
    record.id = SlotId(slot);
    record.command = command;
    record.result = outcome.result;
    record.duplicate = outcome.duplicate;
    env_->Executed(record);
  }
}

Slot MultiPaxosReplica::FirstUnchosen() const {
  Slot slot = executed_below_;
  for (auto it = log_.find(slot);
       it != log_.end() && it->first == slot && it->second.chosen; ++it) {
    ++slot;
  }
  return slot;
}

std::vector<SlotEntry> MultiPaxosReplica::EntriesFrom(Slot from) const {
  std::vector<SlotEntry> out;
  for (auto it = log_.lower_bound(from); it != log_.end(); ++it) {
    out.push_back(it->second);
  }
  return out;
}

bool MultiPaxosReplica::InFlight(const RequestId& request) const {
  auto slot = request_slots_.find(request);
  if (slot == request_slots_.end()) return false;
  // Only while it is in flight: a retry of a request that already took
  // effect gets a new slot, executes as a duplicate, and so gets answered.
  if (slot->second < executed_below_) return false;
  auto entry = log_.find(slot->second);
  return entry != log_.end() && !entry->second.command.nop &&
         entry->second.command.request == request;
}

void MultiPaxosReplica::Broadcast(const MessagePtr& message) {
  for (NodeId q = 0; q < config_.replicas; ++q) {
    if (q != self_) env_->Send(q, message);
  }
}

void MultiPaxosReplica::ArmElectionTimer() {
  CancelTimer(election_timer_);
  election_timer_ = env_->SetTimer(
      config_.suspect_after +
          static_cast<Duration>(env_->Random(config_.jitter + 1)),
      kElectionTimer);
}

void MultiPaxosReplica::ArmRetryTimer() {
  if (retry_timer_ || held_.empty()) return;
  retry_timer_ = env_->SetTimer(config_.retry_interval, kRetryTimer);
}

void MultiPaxosReplica::CancelTimer(std::optional<TimerId>& timer) {
  if (timer) env_->CancelTimer(*timer);
  timer.reset();
}

void MultiPaxosReplica::Trace(const std::string& line) {
  if (env_->TraceEnabled()) {
    env_->Trace(
        absl::StrCat("multipaxos r", self_, " [", RoleName(), "] ", line));
  }
}

std::string MultiPaxosReplica::RoleName() const {
  switch (role_) {
    case Role::kFollower:
      return "follower";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "?";
}

}  // namespace epsim::protocol::multipaxos
