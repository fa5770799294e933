#include "scenarios/simulation.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/check.h"
#include "base/strings.h"
#include "checker/invariants.h"
#include "checker/linearizability.h"
#include "checker/witness.h"
#include "protocol/common/command.h"
#include "protocol/common/hash.h"
#include "protocol/common/id_map.h"
#include "protocol/common/kv_store.h"
#include "protocol/common/protocol.h"
#include "protocol/common/replica.h"
#include "protocol/common/request_map.h"
#include "scenarios/script.h"
#include "sim/payload.h"
#include "sim/process.h"
#include "sim/world.h"

namespace epsim::scenarios {
namespace {

using protocol::Command;
using protocol::CommandId;
using protocol::RequestId;

constexpr uint64_t kClientTimeoutTag = 1;
constexpr uint64_t kClientThinkTag = 2;

uint64_t Mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

class ClientRequestPayload : public sim::Payload {
 public:
  explicit ClientRequestPayload(Command command)
      : command_(std::move(command)) {}
  std::string_view Type() const override { return "ClientRequest"; }
  std::string Describe() const override {
    return absl::StrCat("ClientRequest ", command_.ToString());
  }
  uint64_t ComputeFingerprint() const override {
    return Mix(protocol::StableHasher().Add(command_).value(), 0xc1);
  }
  const Command& command() const { return command_; }

 private:
  Command command_;
};

class ClientReplyPayload : public sim::Payload {
 public:
  ClientReplyPayload(RequestId request, protocol::KvResult result)
      : request_(request), result_(std::move(result)) {}
  std::string_view Type() const override { return "ClientReply"; }
  std::string Describe() const override {
    return absl::StrCat("ClientReply c", request_.client, "#", request_.number,
                        " ", result_.value ? *result_.value : "-",
                        result_.cas_succeeded ? " cas-ok" : "");
  }
  uint64_t ComputeFingerprint() const override {
    uint64_t h = Mix(request_.client, request_.number);
    return Mix(h, protocol::Fnv1a(result_.value.value_or("\x01")) +
                      result_.cas_succeeded);
  }
  RequestId request() const { return request_; }
  const protocol::KvResult& result() const { return result_; }

 private:
  RequestId request_;
  protocol::KvResult result_;
};

class Run;
class ScriptAdapter;

// Hosts one protocol replica in the world: the replica's Env.
class ReplicaHost : public sim::Process, public protocol::Env {
 public:
  ReplicaHost(Run& run, sim::World& world, int index, int n)
      : run_(run), world_(world), index_(index), n_(n) {}
  void Attach(std::unique_ptr<protocol::Replica> replica) {
    replica_ = std::move(replica);
  }
  protocol::Replica& replica() { return *replica_; }
  bool inert() const { return inert_; }

  // sim::Process
  void OnMessage(sim::NodeId from, const sim::PayloadPtr& payload) override;
  void OnTimer(sim::TimerId id, uint64_t tag) override {
    if (inert_) return;
    replica_->OnTimer(id, tag);
  }
  void OnCrash() override { pending_clients_.clear(); }
  void OnRestart() override {
    if (inert_) return;
    replica_->Restart();
    replica_->Start();
  }

  // protocol::Env
  protocol::NodeId Self() const override { return index_; }
  int ClusterSize() const override { return n_; }
  protocol::Time Now() const override { return world_.Now(); }
  void Send(protocol::NodeId to, protocol::MessagePtr message) override {
    EPSIM_CHECK(to != index_) << "a replica sends to itself synchronously";
    EPSIM_CHECK(to >= 0 && to < n_) << "no replica " << to;
    // A protocol message is a payload: it travels as it is (a broadcast
    // shares one message among its copies).
    world_.Send(index_, to, std::move(message));
  }
  protocol::TimerId SetTimer(protocol::Duration after, uint64_t tag) override {
    return world_.SetTimer(index_, after, tag);
  }
  void CancelTimer(protocol::TimerId id) override {
    world_.CancelTimer(index_, id);
  }
  uint64_t Random(uint64_t bound) override { return world_.rng().Below(bound); }
  void Committed(const protocol::CommitRecord& record) override;
  void Executed(const protocol::ExecutionRecord& record) override;
  void Cover(std::string_view branch) override;
  bool TraceEnabled() const override;
  void Trace(std::string_view line) override;

 private:
  Run& run_;
  sim::World& world_;
  int index_;
  int n_;
  bool inert_ = false;  // a protocol "panicked" (EPaxos quirks)
  std::unique_ptr<protocol::Replica> replica_;
  // Client requests this replica received and must answer: request -> client
  // node.
  // (Looked up only.)
  absl::flat_hash_map<RequestId, sim::NodeId> pending_clients_;
};

// A closed-loop client: one request at a time, retried at the next replica
// after a timeout.
class ClientNode : public sim::Process {
 public:
  ClientNode(Run& run, sim::World& world, int client_id, sim::NodeId node,
             int target, int site)
      : run_(run),
        world_(world),
        client_id_(client_id),
        node_(node),
        target_(target),
        site_(site) {}

  void Begin();
  void OnMessage(sim::NodeId from, const sim::PayloadPtr& payload) override;
  void OnTimer(sim::TimerId id, uint64_t tag) override;
  int site() const { return site_; }
  bool finished() const { return finished_; }

 private:
  void Issue();
  void SendCurrent();

  Run& run_;
  sim::World& world_;
  int client_id_;
  sim::NodeId node_;
  int target_;
  int site_;
  int64_t next_number_ = 0;
  bool finished_ = false;
  bool in_flight_ = false;
  Command current_;
  int64_t history_id_ = -1;
  sim::TimerId timeout_timer_ = 0;
};

struct RequestState {
  bool known = false;  // a client called it
  sim::Time call = 0;
  int site = 0;
  // When the replica the client talks to learnt the commit.
  std::optional<sim::Time> first_commit;
  uint64_t executed_mask = 0;  // replicas where it took effect
  bool committed = false;
  bool returned = false;
};

// Client requests by id (a RequestMap: dense tables, no look-up tree on
// the per-commit and per-execution paths), counting those a client called;
// ForEach visits them in (client, number) order.
class RequestTable {
 public:
  // Null for a request no client called.
  RequestState* Find(const RequestId& request) {
    RequestState* state = states_.Find(request);
    return state != nullptr && state->known ? state : nullptr;
  }
  // The request's state, created (known) if new.
  RequestState& Get(const RequestId& request) {
    RequestState& state = states_[request];
    if (!state.known) {
      state.known = true;
      ++size_;
    }
    return state;
  }
  int64_t size() const { return size_; }
  template <typename F>  // f(const RequestId&, const RequestState&)
  void ForEach(F f) const {
    states_.ForEach([&f](const RequestId& request, const RequestState& state) {
      if (state.known) f(request, state);
    });
  }

 private:
  protocol::RequestMap<RequestState> states_;
  int64_t size_ = 0;
};

class Run {
 public:
  Run(const Scenario& scenario, const RunOptions& options,
      std::unique_ptr<protocol::Protocol> protocol, uint64_t seed)
      : scenario_(scenario),
        options_(options),
        protocol_(std::move(protocol)),
        seed_(seed),
        world_(seed, scenario.topology, scenario.network) {}

  absl::StatusOr<RunResult> Execute();
  // A scenario with a message-level script (scenarios/script.h): replicas
  // are up, the choice scheduler holds everything, the script drives.
  absl::StatusOr<RunResult> ExecuteScript();

  // Called by hosts and clients.
  void OnCommitted(int replica, const protocol::CommitRecord& record);
  void OnExecuted(int replica, const protocol::ExecutionRecord& record);
  void OnCover(std::string_view branch, int replica);
  void OnPanic(int replica, std::string_view what);
  void OnClientReplicaCommit(const RequestId& request) {
    RequestState* state = requests_.Find(request);
    if (state != nullptr && !state->first_commit) {
      state->first_commit = world_.Now();
    }
  }
  bool verbose() const { return static_cast<bool>(options_.verbose); }
  void Verbose(const std::string& line) {
    if (options_.verbose) options_.verbose(line);
  }
  int64_t OnClientCall(int client, const Command& command, int site);
  void OnClientReturn(int64_t history_id, const Command& command,
                      const protocol::KvResult& result);
  Command NextCommand(int client, int64_t number);
  int replicas() const { return static_cast<int>(hosts_.size()); }
  sim::Duration client_timeout() const { return client_timeout_; }
  sim::Duration think_time() const { return scenario_.workload.think_time; }
  int commands_per_client() const {
    return scenario_.workload.commands_per_client;
  }
  void ClientFinished() { ++clients_finished_; }

 private:
  friend class ScriptAdapter;
  void ObserveWorld();
  void ScheduleFaults();
  void ApplyFault(const FaultEvent& fault);
  void AddViolation(Violation v);
  bool AllDone() const;
  // Recounts requests_fully_executed_ (the set of live replicas changed).
  void RecountFullyExecuted();
  void CheckLiveness(RunResult& result);
  // End-of-run work shared by timed and scripted runs: linearizability of
  // the clients' history, recovery counts.
  void FinishRun();

  const Scenario& scenario_;
  const RunOptions& options_;
  std::unique_ptr<protocol::Protocol> protocol_;
  uint64_t seed_;
  sim::World world_;
  std::vector<std::unique_ptr<ReplicaHost>> hosts_;
  std::vector<std::unique_ptr<ClientNode>> clients_;
  // The safety checks of checker/invariants.h, the protocol's own included.
  std::unique_ptr<checker::RunChecker> checks_;
  sim::Duration client_timeout_ = 0;
  int clients_finished_ = 0;

  checker::HistoryRecorder history_;
  RequestTable requests_;
  // The request of each history operation, by operation id (ids are the
  // operations' indexes).
  std::vector<RequestId> request_of_history_;
  // Requests executed at every replica of live_mask_.
  int64_t requests_fully_executed_ = 0;
  // Env::Cover counts; merged into result_.coverage when the run ends
  // (looked up by the branch's text without building a string).
  absl::flat_hash_map<std::string, int64_t> coverage_;
  uint64_t live_mask_ = 0;  // replicas that never crashed
  uint64_t ever_crashed_ = 0;

  // The first commit of each id: counted once, and what a script's end
  // checks need (the checker library does the rest).
  struct FirstCommit {
    bool seen = false;
    bool nop = false;
    RequestId request;
  };
  protocol::IdMap<FirstCommit> first_commit_;
  bool scripted_ = false;  // the scenario has a message-level script
  // Per replica: id -> committed as Nop (kept for scripted runs only).
  std::vector<absl::flat_hash_map<CommandId, bool>> committed_at_;
  // Per replica, the requests in the order they took effect (a candidate
  // linearization for the history check).
  std::vector<std::vector<RequestId>> effect_order_;

  RunResult result_;
  bool stop_ = false;
};

void ReplicaHost::OnMessage(sim::NodeId from, const sim::PayloadPtr& payload) {
  if (inert_) return;
  if (payload->is_protocol_message()) {
    replica_->OnMessage(from, static_cast<const protocol::Message&>(*payload));
    return;
  }
  if (auto* r = dynamic_cast<const ClientRequestPayload*>(payload.get())) {
    const RequestId req = r->command().request;
    pending_clients_[req] = from;
    replica_->OnClientRequest(r->command());
    return;
  }
}

void ReplicaHost::Committed(const protocol::CommitRecord& record) {
  run_.OnCommitted(index_, record);
  // Commit latency is what the client's replica sees: for leaderless
  // protocols the coordinator, for Multi-Paxos the replica that forwarded.
  const RequestId req = record.command.request;
  if (!record.command.nop && pending_clients_.contains(req)) {
    run_.OnClientReplicaCommit(req);
  }
}

void ReplicaHost::Executed(const protocol::ExecutionRecord& record) {
  run_.OnExecuted(index_, record);
  const RequestId req = record.command.request;
  auto it = pending_clients_.find(req);
  if (it != pending_clients_.end()) {
    world_.Send(index_, it->second,
                std::make_shared<ClientReplyPayload>(req, record.result));
    pending_clients_.erase(it);
  }
}

void ReplicaHost::Cover(std::string_view branch) {
  run_.OnCover(branch, index_);
  if (branch.starts_with("panic/")) {
    // The protocol reproduces a process crash of its reference
    // implementation (a nil dereference, say): the replica stops.
    inert_ = true;
    run_.OnPanic(index_, branch);
  }
}

bool ReplicaHost::TraceEnabled() const { return run_.verbose(); }

void ReplicaHost::Trace(std::string_view line) {
  run_.Verbose(absl::StrCat("  ", world_.Now() / 1000, ".",
                            absl::StrFormat("%03d", world_.Now() % 1000),
                            "ms r", index_, ": ", Av(line)));
}

void ClientNode::Begin() { Issue(); }

void ClientNode::Issue() {
  if (next_number_ >= run_.commands_per_client()) {
    finished_ = true;
    run_.ClientFinished();
    return;
  }
  current_ = run_.NextCommand(client_id_, next_number_++);
  history_id_ = run_.OnClientCall(client_id_, current_, site_);
  in_flight_ = true;
  SendCurrent();
}

void ClientNode::SendCurrent() {
  world_.Send(node_, target_, std::make_shared<ClientRequestPayload>(current_));
  timeout_timer_ =
      world_.SetTimer(node_, run_.client_timeout(), kClientTimeoutTag);
}

void ClientNode::OnMessage(sim::NodeId, const sim::PayloadPtr& payload) {
  auto* reply = dynamic_cast<const ClientReplyPayload*>(payload.get());
  if (reply == nullptr || !in_flight_ || reply->request() != current_.request) {
    return;  // a late reply to an earlier attempt
  }
  in_flight_ = false;
  world_.CancelTimer(node_, timeout_timer_);
  run_.OnClientReturn(history_id_, current_, reply->result());
  // The next call comes strictly after this return (at least 1 us later):
  // in a history, equal times count as overlapping, and one client's
  // operations must not overlap.
  world_.SetTimer(node_, std::max<sim::Duration>(run_.think_time(), 1),
                  kClientThinkTag);
}

void ClientNode::OnTimer(sim::TimerId, uint64_t tag) {
  if (tag == kClientThinkTag) {
    Issue();
  } else if (tag == kClientTimeoutTag && in_flight_) {
    // Fail over: the same request (same request id) at the next replica.
    target_ = (target_ + 1) % run_.replicas();
    SendCurrent();
  }
}

Command Run::NextCommand(int client, int64_t number) {
  const Workload& w = scenario_.workload;
  sim::Rng& rng = world_.rng();
  Command c;
  c.request = RequestId{client, number};
  const bool hot = rng.Bernoulli(w.conflict);
  c.key = hot ? "hot" : absl::StrCat("c", client, ".", number);
  if (rng.Bernoulli(w.reads)) {
    c.op = protocol::OpType::kGet;
    return c;
  }
  const double total = w.put_weight + w.append_weight + w.cas_weight;
  const double pick = rng.Real() * total;
  if (pick < w.put_weight) {
    c.op = protocol::OpType::kPut;
  } else if (pick < w.put_weight + w.append_weight) {
    c.op = protocol::OpType::kAppend;
  } else {
    c.op = protocol::OpType::kCas;
  }
  // Values unique per request, so a read tells which write it saw.
  c.value = absl::StrCat("v", client, ".", number);
  if (static_cast<int>(c.value.size()) < w.value_size) {
    c.value.append(w.value_size - c.value.size(), '.');
  }
  if (c.op == protocol::OpType::kCas) {
    // Expect either absent or a value this client wrote last.
    if (number > 0 && rng.Bernoulli(0.5)) {
      std::string prev = absl::StrCat("v", client, ".", number - 1);
      if (static_cast<int>(prev.size()) < w.value_size) {
        prev.append(w.value_size - prev.size(), '.');
      }
      c.expected = prev;
    }
  }
  return c;
}

int64_t Run::OnClientCall(int client, const Command& command, int site) {
  const int64_t id = history_.Call(client, command, world_.Now());
  checks_->OnSubmitted(command);
  RequestState& state = requests_.Get(command.request);
  if (live_mask_ == 0) ++requests_fully_executed_;  // nobody left to wait for
  state.call = world_.Now();
  state.site = site;
  EPSIM_CHECK(id == static_cast<int64_t>(request_of_history_.size()));
  request_of_history_.push_back(command.request);
  ++result_.submitted;
  return id;
}

void Run::OnClientReturn(int64_t history_id, const Command& command,
                         const protocol::KvResult& result) {
  history_.Return(history_id, result, world_.Now());
  RequestState& state = requests_.Get(command.request);
  state.returned = true;
  ++result_.completed;
  LatencySamples& lat =
      result_.latency_by_site[scenario_.topology.sites[state.site]];
  lat.execute_ms.push_back(static_cast<double>(world_.Now() - state.call) /
                           1000.0);
  if (state.first_commit) {
    lat.commit_ms.push_back(
        static_cast<double>(*state.first_commit - state.call) / 1000.0);
  }
  result_.completions.push_back(
      {state.site, state.call, state.first_commit.value_or(-1), world_.Now()});
}

void Run::AddViolation(Violation v) {
  result_.checks[v.check] = "violation";
  result_.violations.push_back(std::move(v));
}

void Run::OnCommitted(int replica, const protocol::CommitRecord& record) {
  checks_->OnCommitted(replica, record,
                       {world_.Now(), replica, "commit of", record.id});
  // Which replicas committed what: only a script's end checks ask.
  if (scripted_) {
    committed_at_[replica].try_emplace(record.id, record.command.nop);
  }
  FirstCommit& first = first_commit_[record.id];
  if (first.seen) return;
  first = FirstCommit{true, record.command.nop, record.command.request};
  if (record.command.nop) {
    ++result_.nop;
  } else if (record.path == "fast") {
    ++result_.fast;
  } else if (record.path == "slow") {
    ++result_.slow;
  } else {
    ++result_.recovered;
  }
  if (record.command.nop) return;
  RequestState* req = requests_.Find(record.command.request);
  if (req != nullptr && !req->committed) {
    req->committed = true;
    ++result_.committed;
  }
}

void Run::OnExecuted(int replica, const protocol::ExecutionRecord& record) {
  checks_->OnExecuted(replica, record,
                      {world_.Now(), replica, "execution of", record.id});
  RequestState* req = requests_.Find(record.command.request);
  if (req == nullptr) return;
  RequestState& state = *req;
  const uint64_t bit = uint64_t{1} << replica;
  if (!record.duplicate) {
    if (state.executed_mask == 0) ++result_.executed;
    effect_order_[replica].push_back(record.command.request);
    const bool was_complete = (state.executed_mask & live_mask_) == live_mask_;
    state.executed_mask |= bit;
    if (!was_complete && (state.executed_mask & live_mask_) == live_mask_) {
      ++requests_fully_executed_;
    }
  }
}

void Run::OnCover(std::string_view branch, int) {
  auto it = coverage_.find(Av(branch));
  if (it == coverage_.end()) it = coverage_.emplace(branch, 0).first;
  ++it->second;
}

void Run::OnPanic(int replica, std::string_view what) {
  AddViolation(
      {"no-panic", world_.Now(), replica, std::string(what),
       absl::StrCat("r", replica, " crashed in the protocol: ", Av(what))});
}

bool Run::AllDone() const {
  if (clients_finished_ < static_cast<int>(clients_.size())) return false;
  return requests_fully_executed_ == requests_.size();
}

void Run::RecountFullyExecuted() {
  requests_fully_executed_ = 0;
  requests_.ForEach([this](const RequestId&, const RequestState& state) {
    if ((state.executed_mask & live_mask_) == live_mask_) {
      ++requests_fully_executed_;
    }
  });
}

void Run::ApplyFault(const FaultEvent& f) {
  switch (f.kind) {
    case FaultEvent::Kind::kCrash:
      world_.Crash(f.replica);
      ever_crashed_ |= uint64_t{1} << f.replica;
      live_mask_ &= ~(uint64_t{1} << f.replica);
      RecountFullyExecuted();
      break;
    case FaultEvent::Kind::kRestart:
      world_.Restart(f.replica);
      break;
    case FaultEvent::Kind::kPause:
      world_.Pause(f.replica);
      break;
    case FaultEvent::Kind::kResume:
      world_.Resume(f.replica);
      break;
    case FaultEvent::Kind::kPartition:
      world_.Partition(f.groups);
      break;
    case FaultEvent::Kind::kHeal:
      world_.HealPartition();
      break;
    case FaultEvent::Kind::kCut:
      world_.CutLink(f.from, f.to);
      break;
    case FaultEvent::Kind::kRestore:
      world_.RestoreLink(f.from, f.to);
      break;
    case FaultEvent::Kind::kLoss:
      world_.SetLoss(f.probability);
      break;
    case FaultEvent::Kind::kDuplication:
      world_.SetDuplication(f.probability);
      break;
    case FaultEvent::Kind::kJitter:
      world_.SetJitter(f.jitter);
      break;
    case FaultEvent::Kind::kSlow:
      world_.SetSlowdown(f.from, f.to, f.factor);
      break;
    case FaultEvent::Kind::kLinkKind:
      world_.SetLinkKind(f.link_kind);
      break;
  }
}

void Run::ScheduleFaults() {
  for (const FaultEvent& f : scenario_.faults) {
    world_.At(
        f.at, [this, f] { ApplyFault(f); }, std::string(FaultKindName(f.kind)));
  }
}

absl::StatusOr<RunResult> Run::Execute() {
  const int n = static_cast<int>(scenario_.replica_sites.size());
  if (n > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat(scenario_.file, ": replicas: at most 64 supported"));
  }
  result_.scenario = scenario_.name;
  result_.protocol = protocol_->Name();
  result_.seed = seed_;
  result_.sites = scenario_.topology.sites;
  result_.coverage_branches = protocol_->CoverageBranches();
  result_.replay_command =
      absl::StrCat("epsim replay ", scenario_.file, " --seed ", seed_,
                   " --protocol ", protocol_->Name());
  result_.checks["liveness"] = "ok";
  checks_ = std::make_unique<checker::RunChecker>(protocol_->MakeChecks());
  committed_at_.resize(n);
  effect_order_.resize(n);
  live_mask_ = n == 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1;
  scripted_ = !scenario_.script.is_null();
  if (scripted_) world_.UseChoiceScheduler();

  for (int i = 0; i < n; ++i) {
    hosts_.push_back(std::make_unique<ReplicaHost>(*this, world_, i, n));
    const sim::NodeId node = world_.AddNode(
        absl::StrCat("r", i), scenario_.replica_sites[i], hosts_.back().get());
    EPSIM_CHECK_EQ(node, i);
    hosts_.back()->Attach(protocol_->MakeReplica(i, *hosts_.back()));
  }
  if (!scenario_.script.is_null()) return ExecuteScript();
  // Clients: at each client site, talking to the replica at that site, or
  // the closest one.
  const double max_rtt = scenario_.topology.MaxRttMs();
  client_timeout_ =
      scenario_.workload.client_timeout > 0
          ? scenario_.workload.client_timeout
          : std::max<sim::Duration>(500 * sim::kMillisecond,
                                    static_cast<sim::Duration>(max_rtt * 8000));
  int client_id = 0;
  for (int site : scenario_.workload.client_sites) {
    int target = -1;
    double best = 1e300;
    for (int i = 0; i < n; ++i) {
      const double d =
          scenario_.topology.rtt_ms[site][scenario_.replica_sites[i]];
      if (d < best) {
        best = d;
        target = i;
      }
    }
    for (int k = 0; k < scenario_.workload.clients_per_site; ++k) {
      const sim::NodeId node = world_.NodeCount();
      clients_.push_back(std::make_unique<ClientNode>(*this, world_, client_id,
                                                      node, target, site));
      EPSIM_CHECK_EQ(world_.AddNode(absl::StrCat("c", client_id), site,
                                    clients_.back().get()),
                     node);
      ++client_id;
    }
  }
  // Every client's budget is known: the history's tables are laid out once
  // instead of doubling (and faulting in fresh pages) as the run goes. Capped:
  // a run may end long before its clients' budgets.
  constexpr size_t kMaxReserved = size_t{1} << 16;
  const size_t operations =
      std::min(kMaxReserved, clients_.size() * static_cast<size_t>(std::max(
                                                   commands_per_client(), 0)));
  history_.Reserve(operations);
  request_of_history_.reserve(operations);
  ObserveWorld();
  for (auto& host : hosts_) host->replica().Start();
  for (auto& client : clients_) {
    ClientNode* c = client.get();
    world_.At(
        0, [c] { c->Begin(); }, "client-start");
  }
  ScheduleFaults();

  // Run until everything submitted has executed at every live replica, or
  // until the liveness deadline.
  sim::Time last_fault = 0;
  for (const FaultEvent& f : scenario_.faults)
    last_fault = std::max(last_fault, f.at);
  const sim::Duration bound = static_cast<sim::Duration>(
      scenario_.liveness_rtts * std::max(max_rtt, 1.0) * 1000);
  const sim::Time deadline = std::max(scenario_.duration, last_fault + bound);
  bool over_budget = false;
  try {
    while (world_.Now() <= deadline) {
      if (scenario_.max_events > 0 &&
          static_cast<int64_t>(world_.stats().events) >= scenario_.max_events) {
        over_budget = true;
        break;
      }
      if (!world_.Step()) break;
      if (world_.Now() >= last_fault &&
          clients_finished_ == static_cast<int>(clients_.size()) && AllDone()) {
        break;
      }
    }
  } catch (const CheckFailure& failure) {
    AddViolation(
        {"assertion", world_.Now(), -1, "protocol assertion", failure.what()});
  }
  result_.end_time = world_.Now();
  if (over_budget) {
    AddViolation({"budget", world_.Now(), -1, "event budget",
                  absl::StrCat("stopped after ", scenario_.max_events,
                               " events at ", world_.Now() / sim::kMillisecond,
                               " ms without settling (a livelock or a "
                               "message storm); checks.max_events sets the "
                               "budget")});
  } else if (!AllDone() && result_.violations.empty()) {
    CheckLiveness(result_);
  }
  result_.trace_hash = world_.TraceHash();
  result_.events = world_.stats().events;
  result_.messages = world_.stats().messages_sent;
  result_.history = history_.Take();
  FinishRun();
  return std::move(result_);
}

void Run::ObserveWorld() {
  if (options_.trace != nullptr) world_.SetTraceSink(options_.trace);
  if (options_.verbose) {
    world_.SetDeliveryObserver([this](const sim::DeliveryEvent& e) {
      Verbose(absl::StrCat(e.time / 1000, ".",
                           absl::StrFormat("%03d", e.time % 1000), "ms ",
                           world_.NameOf(e.from), " -> ", world_.NameOf(e.to),
                           ": ", e.payload->Describe()));
    });
  }
}

// The script's client node: one logical client per submitted command (each
// has at most one request outstanding, as the history format wants).
class ScriptClient : public sim::Process {
 public:
  explicit ScriptClient(Run& run) : run_(run) {}
  void Expect(const RequestId& request, int64_t history_id, Command command) {
    calls_[request] = {history_id, std::move(command)};
  }
  void OnMessage(sim::NodeId, const sim::PayloadPtr& payload) override {
    auto* reply = dynamic_cast<const ClientReplyPayload*>(payload.get());
    if (reply == nullptr) return;
    auto it = calls_.find(reply->request());
    if (it == calls_.end()) return;  // answered already
    run_.OnClientReturn(it->second.first, it->second.second, reply->result());
    calls_.erase(it);
  }
  void OnTimer(sim::TimerId, uint64_t) override {}

 private:
  Run& run_;
  absl::btree_map<RequestId, std::pair<int64_t, Command>> calls_;
};

// What the script driver sees of the run (scenarios/script.h ScriptHost).
class ScriptAdapter : public ScriptHost {
 public:
  ScriptAdapter(Run& run, ScriptClient& client, sim::NodeId client_node)
      : run_(run), client_(client), client_node_(client_node) {}

  sim::World& world() override { return run_.world_; }
  const protocol::Message* MessageOf(const sim::Payload& payload) override {
    return payload.is_protocol_message()
               ? static_cast<const protocol::Message*>(&payload)
               : nullptr;
  }
  absl::StatusOr<CommandId> Submit(int replica,
                                   const Command& command) override;
  void Crash(int replica) override {
    FaultEvent crash;
    crash.kind = FaultEvent::Kind::kCrash;
    crash.replica = replica;
    run_.ApplyFault(crash);
  }
  absl::Status StartRecovery(int replica, CommandId id,
                             std::optional<protocol::Ballot> ballot) override {
    if (run_.world_.IsCrashed(replica) || run_.hosts_[replica]->inert()) {
      return absl::FailedPreconditionError(
          absl::StrCat("r", replica, " is down"));
    }
    return run_.hosts_[replica]->replica().StartRecovery(id, ballot);
  }
  bool AllDone() override { return Unfinished().empty(); }
  void Verbose(const std::string& line) override { run_.Verbose(line); }

  // LIVE-COMMIT and LIVE-EXEC over the script's commands (docs/bug-corpus.md
  // §2): each is committed (a Nop counts) at every replica still up, and a
  // committed non-Nop is executed there too. A command whose coordinator
  // crashed may end as Nop: its client would have to resubmit.
  std::vector<std::string> Unfinished() {
    std::vector<std::string> out;
    for (const CommandId& id : submitted_) {
      for (int q = 0; q < run_.replicas(); ++q) {
        if (run_.world_.IsCrashed(q) || run_.hosts_[q]->inert()) continue;
        auto c = run_.committed_at_[q].find(id);
        if (c == run_.committed_at_[q].end()) {
          out.push_back(absl::StrCat(id.ToString(), " not committed at r", q));
        } else if (!c->second && !run_.checks_->Executed(q, id)) {
          out.push_back(absl::StrCat(id.ToString(),
                                     " committed but not executed at r", q));
        }
      }
    }
    return out;
  }
  // Replicas down: crashed, or stopped by a ported panic (counted against f).
  int Down() {
    int down = 0;
    for (int q = 0; q < run_.replicas(); ++q) {
      down += run_.world_.IsCrashed(q) || run_.hosts_[q]->inert();
    }
    return down;
  }

 private:
  absl::btree_set<CommandId> PendingIds(int replica) {
    absl::btree_set<CommandId> ids;
    for (const protocol::PendingCommand& p :
         run_.hosts_[replica]->replica().Pending()) {
      ids.insert(p.id);
    }
    return ids;
  }

  Run& run_;
  ScriptClient& client_;
  sim::NodeId client_node_;
  int32_t next_client_ = 0;
  std::vector<CommandId> submitted_;
};

absl::StatusOr<CommandId> ScriptAdapter::Submit(int replica,
                                                const Command& command) {
  sim::World& world = run_.world_;
  if (world.IsCrashed(replica) || run_.hosts_[replica]->inert()) {
    return absl::FailedPreconditionError(
        absl::StrCat("r", replica, " is down"));
  }
  Command c = command;
  c.request = RequestId{next_client_++, 0};
  client_.Expect(c.request,
                 run_.OnClientCall(c.request.client, c,
                                   run_.scenario_.replica_sites[replica]),
                 c);
  const absl::btree_set<CommandId> before = PendingIds(replica);
  sim::ChoiceScheduler& choice = *world.choice();
  absl::btree_set<uint64_t> held;
  for (const sim::PendingChoice& p : choice.Pending())
    held.insert(p.message_id);
  world.Send(client_node_, replica, std::make_shared<ClientRequestPayload>(c));
  choice.Deliver(choice.PendingCount() - 1);  // the request just sent
  for (const CommandId& id : PendingIds(replica)) {
    if (!before.contains(id)) {
      submitted_.push_back(id);
      return id;
    }
  }
  // Not pending any more (committed and executed at once): the protocol
  // still announced it in what the replica sent.
  for (const sim::PendingChoice& p : choice.Pending()) {
    if (p.kind != sim::PendingChoice::Kind::kMessage || p.from != replica ||
        held.contains(p.message_id)) {
      continue;
    }
    if (const protocol::Message* m = MessageOf(*p.payload)) {
      if (m->Command()) {
        submitted_.push_back(*m->Command());
        return *m->Command();
      }
    }
  }
  return absl::FailedPreconditionError(
      absl::StrCat("r", replica, " started no command for ", c.ToString()));
}

absl::StatusOr<RunResult> Run::ExecuteScript() {
  absl::StatusOr<Script> script =
      Script::FromJson(scenario_.script, scenario_.file, replicas());
  if (!script.ok()) return script.status();
  absl::StatusOr<protocol::ProtocolSpec> spec =
      protocol::ProtocolSpec::Parse(protocol_->Name());
  if (!spec.ok()) return spec.status();
  ScriptClient client(*this);
  const sim::NodeId client_node =
      world_.AddNode("script", scenario_.replica_sites[0], &client);
  ObserveWorld();
  ScriptAdapter adapter(*this, client, client_node);
  absl::Status status;
  try {
    for (auto& host : hosts_) host->replica().Start();
    status = RunScript(*script, scenario_.file, *spec, replicas(), adapter);
  } catch (const CheckFailure& failure) {
    AddViolation(
        {"assertion", world_.Now(), -1, "protocol assertion", failure.what()});
  }
  if (!status.ok()) return status;
  result_.end_time = world_.Now();
  // Liveness is judged only when the script ends by running the rest: a
  // message held to the end is a schedule choice, not a stuck protocol.
  if (!script->EndsWithRun()) {
    result_.checks["liveness"] = "not-judged";
  } else if (adapter.Down() <= protocol_->MaxFailures()) {
    const std::vector<std::string> unfinished = adapter.Unfinished();
    if (!unfinished.empty()) {
      std::string detail = absl::StrCat("after running the rest: ",
                                        absl::StrJoin(unfinished, ", "));
      for (int i = 0; i < replicas(); ++i) {
        if (world_.IsCrashed(i) || hosts_[i]->inert()) continue;
        for (const protocol::PendingCommand& p :
             hosts_[i]->replica().Pending()) {
          std::vector<std::string> deps;
          for (const CommandId& d : p.waiting_on) deps.push_back(d.ToString());
          absl::StrAppend(
              &detail, "\n  r", i, ": ", p.id.ToString(), " ", p.phase,
              deps.empty()
                  ? ""
                  : absl::StrCat(" waits on ", absl::StrJoin(deps, ",")));
        }
      }
      AddViolation({"liveness", world_.Now(), -1, "end of script", detail});
    }
  }
  // The script's client never retries, so one request carried by two
  // committed non-Nop commands was duplicated by the protocol (ONCE).
  absl::btree_map<RequestId, std::vector<CommandId>> carriers;
  first_commit_.ForEach([&](const CommandId& id, const FirstCommit& first) {
    if (!first.nop) carriers[first.request].push_back(id);
  });
  for (auto& [request, ids] : carriers) std::sort(ids.begin(), ids.end());
  for (const auto& [request, ids] : carriers) {
    if (ids.size() < 2) continue;
    std::vector<std::string> names;
    for (const CommandId& id : ids) names.push_back(id.ToString());
    AddViolation(
        {"exactly-once", world_.Now(), -1, "end of script",
         absl::StrCat("request c", request.client, "#", request.number,
                      " was committed as ", absl::StrJoin(names, " and "),
                      " although its client never retried")});
  }
  result_.trace_hash = world_.TraceHash();
  result_.events = world_.stats().events;
  result_.messages = world_.stats().messages_sent;
  result_.history = history_.Take();
  FinishRun();
  return std::move(result_);
}

void Run::CheckLiveness(RunResult& result) {
  // Liveness is owed only inside the protocol's model: reliable links, at
  // most f replicas crashed, no partition left in place.
  int crashed = 0;
  for (int i = 0; i < replicas(); ++i) crashed += world_.IsCrashed(i);
  if (crashed > protocol_->MaxFailures()) return;
  if (scenario_.network.link_kind == sim::LinkKind::kLossy) return;
  for (const FaultEvent& f : scenario_.faults) {
    if (f.kind == FaultEvent::Kind::kLinkKind &&
        f.link_kind == sim::LinkKind::kLossy) {
      return;
    }
  }
  std::vector<std::string> stuck;
  requests_.ForEach([&](const RequestId& req, const RequestState& state) {
    if ((state.executed_mask & live_mask_) == live_mask_) return;
    if (stuck.size() >= 10) return;
    stuck.push_back(absl::StrCat("c", req.client, "#", req.number,
                                 state.committed ? " (committed)" : ""));
  });
  std::string detail =
      absl::StrCat("not executed at every live replica by ",
                   world_.Now() / 1000, "ms: ", absl::StrJoin(stuck, ", "));
  for (int i = 0; i < replicas(); ++i) {
    if (world_.IsCrashed(i) || !(live_mask_ >> i & 1)) continue;
    int shown = 0;
    for (const protocol::PendingCommand& p : hosts_[i]->replica().Pending()) {
      if (shown++ >= 5) break;
      std::vector<std::string> deps;
      for (const CommandId& d : p.waiting_on) deps.push_back(d.ToString());
      absl::StrAppend(
          &detail, "\n  r", i, ": ", p.id.ToString(), " ", p.phase,
          deps.empty() ? ""
                       : absl::StrCat(" waits on ", absl::StrJoin(deps, ",")),
          p.recovery ? absl::StrCat(" recovering at ballot ", *p.recovery)
                     : "");
    }
  }
  result.checks["liveness"] = "violation";
  result.violations.push_back(
      {"liveness", world_.Now(), -1, "end of run", detail});
}

void Run::FinishRun() {
  // Convergence among the replicas still up, then every verdict and
  // violation of checker/invariants.h into the result.
  std::vector<checker::ReplicaFinalState> finals;
  for (int i = 0; i < replicas(); ++i) {
    if (world_.IsCrashed(i) || hosts_[i]->inert()) continue;
    finals.push_back(
        {i, checks_->ExecutedBy(i), hosts_[i]->replica().StoreDigest()});
  }
  checks_->Finish(finals, {world_.Now(), -1, "end of run"});
  for (const auto& [name, verdict] : checks_->verdicts()) {
    if (verdict == checker::CheckVerdict::kNotRun) continue;
    std::string& mine = result_.checks[name];
    if (mine != "violation") mine = std::string(CheckVerdictName(verdict));
  }
  for (const checker::InvariantViolation& v : checks_->violations()) {
    std::vector<std::string> ids;
    for (const CommandId& id : v.commands) ids.push_back(id.ToString());
    result_.violations.push_back(
        {v.check,
         v.where.replica < 0 && v.where.event == "end of run" ? -1
                                                              : v.where.time,
         v.where.replica, v.where.event,
         ids.empty() ? v.detail
                     : absl::StrCat(v.detail, " [commands ",
                                    absl::StrJoin(ids, ", "), "]")});
  }
  // First broken first; end-of-run findings last.
  std::stable_sort(result_.violations.begin(), result_.violations.end(),
                   [](const Violation& a, const Violation& b) {
                     const auto key = [](const Violation& v) {
                       return v.time < 0 ? std::numeric_limits<int64_t>::max()
                                         : v.time;
                     };
                     return key(a) < key(b);
                   });
  for (const auto& [branch, count] : coverage_) {
    result_.coverage[branch] += count;
  }
  coverage_.clear();
  result_.recoveries_started = result_.coverage["recovery/started"];
  result_.recoveries_finished = result_.coverage["recovery/decided"];
  if (options_.skip_linearizability) return;
  result_.checks["linearizability"] = "ok";
  const checker::History& history = result_.history;
  // Each replica's order of effects is a candidate linearization: checking
  // it is linear, while the search can take exponential time on a hot key
  // with dozens of concurrent writers. The search runs only when no replica
  // yields a witness.
  // (Dense tables and hash maps that are only looked up: nothing below
  // iterates them.)
  protocol::RequestMap<std::optional<size_t>> index_of;
  for (size_t i = 0; i < history.operations.size(); ++i) {
    const int64_t id = history.operations[i].id;
    if (id >= 0 && id < static_cast<int64_t>(request_of_history_.size())) {
      index_of[request_of_history_[id]] = i;
    }
  }
  std::vector<absl::flat_hash_map<std::string, std::vector<size_t>>> candidates(
      effect_order_.size());
  for (size_t r = 0; r < effect_order_.size(); ++r) {
    for (const RequestId& req : effect_order_[r]) {
      const std::optional<size_t>* index = index_of.Find(req);
      if (index == nullptr || !index->has_value()) continue;
      candidates[r][history.operations[**index].key].push_back(**index);
    }
  }
  for (const checker::KeyHistory& key : checker::SplitByKey(history)) {
    bool witnessed = false;
    for (const auto& by_key : candidates) {
      auto it = by_key.find(key.key);
      const std::vector<size_t> empty;
      if (checker::IsLinearizationWitness(
              history, key.initial, key.operations,
              it == by_key.end() ? empty : it->second)) {
        witnessed = true;
        break;
      }
    }
    if (witnessed) continue;
    // A step budget, not a clock, so the verdict is the same everywhere.
    int64_t polls = 0;
    checker::SearchLimits limits;
    limits.expired = [&polls] { return ++polls > 20000; };
    const checker::KeyResult result = checker::CheckKey(history, key, limits);
    if (result.verdict == checker::Verdict::kLinearizable) continue;
    if (result.verdict == checker::Verdict::kTimeout) {
      if (result_.checks["linearizability"] == "ok") {
        result_.checks["linearizability"] = "undecided";
      }
      continue;
    }
    AddViolation({"linearizability", -1, -1,
                  absl::StrCat("client history, key ", key.key),
                  checker::DescribeKeyResult(history, result)});
  }
}

}  // namespace

double Percentile(std::vector<double> samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const double rank = std::ceil(p / 100.0 * samples.size());
  const size_t index =
      static_cast<size_t>(std::clamp(rank, 1.0, double(samples.size()))) - 1;
  return samples[index];
}

absl::StatusOr<RunResult> Simulate(const Scenario& scenario,
                                   const RunOptions& options) {
  protocol::ProtocolContext context;
  context.replicas = static_cast<int>(scenario.replica_sites.size());
  double max_rtt = 0;
  for (int a : scenario.replica_sites) {
    for (int b : scenario.replica_sites) {
      max_rtt = std::max(max_rtt, scenario.topology.rtt_ms[a][b]);
    }
  }
  context.max_round_trip = std::max<protocol::Duration>(
      static_cast<protocol::Duration>(max_rtt * 1000), 200);
  const std::string spec =
      options.protocol.empty() ? scenario.protocol : options.protocol;
  absl::StatusOr<std::unique_ptr<protocol::Protocol>> protocol =
      (options.registry != nullptr ? *options.registry
                                   : protocol::ProtocolRegistry::Builtin())
          .Make(spec, context);
  if (!protocol.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.protocol.empty() ? scenario.file + ": protocol: "
                                              : std::string("--protocol: "),
                     protocol.status().message()));
  }
  Run run(scenario, options, *std::move(protocol),
          options.seed.value_or(scenario.seed));
  return run.Execute();
}

}  // namespace epsim::scenarios
