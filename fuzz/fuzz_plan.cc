#include "fuzz/fuzz_plan.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/strings.h"
#include "sim/random.h"
#include "sim/time.h"

namespace epsim::fuzz {
namespace {

using scenarios::FaultEvent;
using scenarios::Scenario;
using Kind = FaultEvent::Kind;

constexpr sim::Time kForever = std::numeric_limits<sim::Time>::max();

// Independent random streams, so switching one family on or off does not
// change what the others draw.
enum Stream : uint64_t {
  kSwitches = 1,
  kReplicas,
  kProtocol,
  kWorkload,
  kNetwork,
  kFamilyBase = 100,
};

// Delays in the scenario file are milliseconds; multiples of 1/8 ms survive
// the microseconds -> milliseconds -> microseconds round trip exactly.
constexpr int64_t kEighthMs = 125;

double Round2(double x) { return std::round(x * 100) / 100; }

// The fault families of swarm testing, in the order their streams are
// numbered (never reorder: it would change every seed's plan).
enum Family : int {
  kCrash,
  kRestart,
  kPause,
  kLoss,
  kDuplication,
  kJitter,
  kPartition,
  kCut,
  kSlow,
  kTimers,
  kReorder,
  kLossyLinks,  // kAny only
  kUnhealed,    // kAny only
  kFamilyCount,
};
constexpr const char* kFamilyNames[kFamilyCount] = {
    "crash",   "restart",     "pause",    "loss", "duplication",
    "jitter",  "partition",   "cut",      "slow", "timers",
    "reorder", "lossy-links", "unhealed",
};

// Draws fault times and hold lengths for one seed's plan.
class PlanBuilder {
 public:
  PlanBuilder(const Scenario& scenario, FaultModel model, int f,
              sim::Duration rtt, sim::Time horizon)
      : scenario_(scenario),
        model_(model),
        n_(static_cast<int>(scenario.replica_sites.size())),
        f_(f),
        rtt_(rtt),
        horizon_(horizon) {}

  // `on`: the families switched on (SwitchFamilies).
  std::vector<FaultEvent> Build(const sim::Rng& rng,
                                const std::vector<bool>& on);

 private:
  // When a fault starts: often early, while the first commands are being
  // coordinated; otherwise anywhere in the workload's life.
  sim::Time StartTime(sim::Rng& rng) const {
    if (rng.Bernoulli(0.3)) return rng.Between(0, 4 * rtt_);
    return rng.Between(0, horizon_);
  }
  // How long a fault lasts: log-uniform from half a round trip to twice the
  // workload's expected life (long holds make recoveries race).
  sim::Duration Hold(sim::Rng& rng) const {
    const double lo = std::max<double>(rtt_ / 2.0, 1);
    const double hi = std::max<double>(2.0 * horizon_, lo * 2);
    return static_cast<sim::Duration>(lo *
                                      std::exp(rng.Real() * std::log(hi / lo)));
  }
  bool Heals(sim::Rng& rng, const std::vector<bool>& on) const {
    return model_ == FaultModel::kCrashStop || !on[kUnhealed] ||
           rng.Bernoulli(0.5);
  }
  int Replica(sim::Rng& rng) const {
    return static_cast<int>(rng.Below(static_cast<uint64_t>(n_)));
  }
  // Non-overlapping windows [start, end) of a global setting.
  std::vector<std::pair<sim::Time, sim::Time>> Windows(sim::Rng& rng) const;
  // Whether replica r may be down over [start, end) without more than the
  // model allows down at once.
  bool MayCrash(int r, sim::Time start, sim::Time end) const;

  void AddCrashes(sim::Rng& rng, const std::vector<bool>& on);
  void AddPauses(sim::Rng& rng, const std::vector<bool>& on);
  void AddProbability(sim::Rng& rng, Kind kind, double base, double max_p,
                      const std::vector<bool>& on);
  void AddJitter(sim::Rng& rng, const std::vector<bool>& on);
  void AddPartitions(sim::Rng& rng, const std::vector<bool>& on);
  void AddCuts(sim::Rng& rng, const std::vector<bool>& on);
  void AddSlowLinks(sim::Rng& rng, const std::vector<bool>& on);
  void AddLossyLinks(sim::Rng& rng);

  FaultEvent& Add(sim::Time at, Kind kind) {
    FaultEvent& e = events_.emplace_back();
    e.at = at;
    e.kind = kind;
    return e;
  }

  const Scenario& scenario_;
  FaultModel model_;
  int n_;
  int f_;
  sim::Duration rtt_;
  sim::Time horizon_;
  std::vector<FaultEvent> events_;
  struct Down {
    int replica;
    sim::Time start, end;
  };
  std::vector<Down> down_;
};

std::vector<std::pair<sim::Time, sim::Time>> PlanBuilder::Windows(
    sim::Rng& rng) const {
  const int count = static_cast<int>(rng.Between(1, 3));
  std::vector<std::pair<sim::Time, sim::Time>> windows;
  for (int i = 0; i < count; ++i) {
    const sim::Time start = StartTime(rng);
    windows.emplace_back(start, start + Hold(rng));
  }
  std::sort(windows.begin(), windows.end());
  for (size_t i = 0; i + 1 < windows.size(); ++i) {
    // Clip so that each window ends before the next begins.
    windows[i].second = std::min(windows[i].second, windows[i + 1].first);
  }
  std::erase_if(windows, [](const auto& w) { return w.second <= w.first; });
  return windows;
}

bool PlanBuilder::MayCrash(int r, sim::Time start, sim::Time end) const {
  const int limit = model_ == FaultModel::kCrashStop ? f_ : n_;
  std::vector<sim::Time> points = {start};
  for (const Down& d : down_) {
    if (d.replica == r && d.start < end && start < d.end) return false;
    if (d.start > start && d.start < end) points.push_back(d.start);
  }
  for (sim::Time p : points) {
    int down = 1;
    for (const Down& d : down_) down += d.start <= p && p < d.end;
    if (down > limit) return false;
  }
  return true;
}

void PlanBuilder::AddCrashes(sim::Rng& rng, const std::vector<bool>& on) {
  const int max_crashes = model_ == FaultModel::kCrashStop ? f_ + 1 : n_;
  const int count = static_cast<int>(rng.Between(1, std::max(1, max_crashes)));
  for (int i = 0; i < count; ++i) {
    for (int attempt = 0; attempt < 8; ++attempt) {
      const int r = Replica(rng);
      const sim::Time start = StartTime(rng);
      const bool restarts = on[kRestart] && rng.Bernoulli(0.8);
      const sim::Time end = restarts ? start + Hold(rng) : kForever;
      if (!MayCrash(r, start, end)) continue;
      down_.push_back({r, start, end});
      Add(start, Kind::kCrash).replica = r;
      if (restarts) Add(end, Kind::kRestart).replica = r;
      break;
    }
  }
}

void PlanBuilder::AddPauses(sim::Rng& rng, const std::vector<bool>& on) {
  const int count = static_cast<int>(rng.Between(1, 3));
  for (int i = 0; i < count; ++i) {
    const int r = Replica(rng);
    const sim::Time start = StartTime(rng);
    Add(start, Kind::kPause).replica = r;
    if (Heals(rng, on)) Add(start + Hold(rng), Kind::kResume).replica = r;
  }
}

void PlanBuilder::AddProbability(sim::Rng& rng, Kind kind, double base,
                                 double max_p, const std::vector<bool>& on) {
  for (const auto& [start, end] : Windows(rng)) {
    Add(start, kind).probability = Round2(0.01 + rng.Real() * (max_p - 0.01));
    if (Heals(rng, on)) Add(end, kind).probability = base;
  }
}

void PlanBuilder::AddJitter(sim::Rng& rng, const std::vector<bool>& on) {
  for (const auto& [start, end] : Windows(rng)) {
    FaultEvent& e = Add(start, Kind::kJitter);
    // A spike of extra delay: exponential (reorders everything) or a Lomax
    // tail (most messages on time, a few very late).
    const int64_t eighths = std::max<int64_t>(1, 4 * rtt_ / kEighthMs);
    if (rng.Bernoulli(0.5)) {
      e.jitter.kind = sim::JitterSpec::kExponential;
      e.jitter.a = static_cast<double>(rng.Between(1, eighths) * kEighthMs);
    } else {
      e.jitter.kind = sim::JitterSpec::kPareto;
      e.jitter.a = static_cast<double>(rng.Between(1, eighths) * kEighthMs);
      e.jitter.b = static_cast<double>(rng.Between(9, 20)) / 8;  // shape
    }
    if (Heals(rng, on))
      Add(end, Kind::kJitter).jitter = scenario_.network.jitter;
  }
}

void PlanBuilder::AddPartitions(sim::Rng& rng, const std::vector<bool>& on) {
  for (const auto& [start, end] : Windows(rng)) {
    FaultEvent& e = Add(start, Kind::kPartition);
    if (rng.Bernoulli(0.5)) {
      // One replica alone: everything it sends or should receive is held.
      const int r = Replica(rng);
      e.groups = {{r}};
      std::vector<int> rest;
      for (int i = 0; i < n_; ++i) {
        if (i != r) rest.push_back(i);
      }
      e.groups.push_back(rest);
    } else {
      const int group_count = static_cast<int>(rng.Between(2, 3));
      std::vector<std::vector<int>> groups(group_count);
      for (int i = 0; i < n_; ++i) groups[rng.Below(group_count)].push_back(i);
      std::erase_if(groups, [](const auto& g) { return g.empty(); });
      if (groups.size() < 2) {
        // Everybody landed together: split off the last replica.
        groups = {{}, {n_ - 1}};
        for (int i = 0; i + 1 < n_; ++i) groups[0].push_back(i);
      }
      e.groups = std::move(groups);
    }
    if (Heals(rng, on)) Add(end, Kind::kHeal);
  }
}

void PlanBuilder::AddCuts(sim::Rng& rng, const std::vector<bool>& on) {
  const int count = static_cast<int>(rng.Between(1, 3));
  for (int i = 0; i < count; ++i) {
    const sim::Time start = StartTime(rng);
    const sim::Time end = start + Hold(rng);
    const bool heals = Heals(rng, on);
    std::vector<std::pair<int, int>> links;
    const int r = Replica(rng);
    switch (rng.Below(3)) {
      case 0: {  // one link, one way
        const int to = static_cast<int>((r + 1 + rng.Below(n_ - 1)) % n_);
        links.emplace_back(r, to);
        break;
      }
      case 1:  // r hears nobody, but everybody hears r
        for (int k = 0; k < n_; ++k) {
          if (k != r) links.emplace_back(k, r);
        }
        break;
      default:  // r hears everybody, nobody hears r
        for (int k = 0; k < n_; ++k) {
          if (k != r) links.emplace_back(r, k);
        }
        break;
    }
    for (const auto& [from, to] : links) {
      FaultEvent& cut = Add(start, Kind::kCut);
      cut.from = from;
      cut.to = to;
      if (heals) {
        FaultEvent& restore = Add(end, Kind::kRestore);
        restore.from = from;
        restore.to = to;
      }
    }
  }
}

void PlanBuilder::AddSlowLinks(sim::Rng& rng, const std::vector<bool>& on) {
  const int count = static_cast<int>(rng.Between(1, 3));
  for (int i = 0; i < count; ++i) {
    const int a = Replica(rng);
    const int b = static_cast<int>((a + 1 + rng.Below(n_ - 1)) % n_);
    const sim::Time start = StartTime(rng);
    FaultEvent& slow = Add(start, Kind::kSlow);
    slow.from = a;
    slow.to = b;
    slow.factor = static_cast<double>(rng.Between(2, 50));
    if (Heals(rng, on)) {
      FaultEvent& back = Add(start + Hold(rng), Kind::kSlow);
      back.from = a;
      back.to = b;
      back.factor = 1;
    }
  }
}

void PlanBuilder::AddLossyLinks(sim::Rng& rng) {
  const sim::Time start = StartTime(rng);
  Add(start, Kind::kLinkKind).link_kind = sim::LinkKind::kLossy;
  if (rng.Bernoulli(0.5)) {
    Add(start + Hold(rng), Kind::kLinkKind).link_kind =
        sim::LinkKind::kReliable;
  }
}

std::vector<FaultEvent> PlanBuilder::Build(const sim::Rng& rng,
                                           const std::vector<bool>& on) {
  auto stream = [&](int family) { return rng.Fork(kFamilyBase + family); };
  if (on[kCrash]) {
    sim::Rng r = stream(kCrash);
    AddCrashes(r, on);
  }
  if (on[kPause]) {
    sim::Rng r = stream(kPause);
    AddPauses(r, on);
  }
  if (on[kLoss]) {
    sim::Rng r = stream(kLoss);
    AddProbability(r, Kind::kLoss, scenario_.network.loss, 0.5, on);
  }
  if (on[kDuplication]) {
    sim::Rng r = stream(kDuplication);
    AddProbability(r, Kind::kDuplication, scenario_.network.duplication, 0.3,
                   on);
  }
  if (on[kJitter]) {
    sim::Rng r = stream(kJitter);
    AddJitter(r, on);
  }
  if (on[kPartition]) {
    sim::Rng r = stream(kPartition);
    AddPartitions(r, on);
  }
  if (on[kCut]) {
    sim::Rng r = stream(kCut);
    AddCuts(r, on);
  }
  if (on[kSlow]) {
    sim::Rng r = stream(kSlow);
    AddSlowLinks(r, on);
  }
  if (on[kLossyLinks]) {
    sim::Rng r = stream(kLossyLinks);
    AddLossyLinks(r);
  }
  std::stable_sort(
      events_.begin(), events_.end(),
      [](const FaultEvent& a, const FaultEvent& b) { return a.at < b.at; });
  return std::move(events_);
}

// Swarm testing: each family on or off, from its own stream.
std::vector<bool> SwitchFamilies(const sim::Rng& rng, FaultModel model, int n) {
  sim::Rng switches = rng.Fork(kSwitches);
  std::vector<bool> on(kFamilyCount, false);
  for (int family = 0; family < kFamilyCount; ++family) {
    on[family] = switches.Bernoulli(0.5);
  }
  if (model == FaultModel::kCrashStop) on[kLossyLinks] = on[kUnhealed] = false;
  if (n < 2) on[kPartition] = on[kCut] = on[kSlow] = false;
  return on;
}

sim::Duration MaxRoundTrip(const Scenario& s) {
  double max_rtt = 0;
  for (int a : s.replica_sites) {
    for (int b : s.replica_sites) {
      max_rtt = std::max(max_rtt, s.topology.rtt_ms[a][b]);
    }
  }
  // As Simulate tells the protocol (scenarios/simulation.cc).
  return std::max<sim::Duration>(static_cast<sim::Duration>(max_rtt * 1000),
                                 200);
}

// Valid EPaxos* (f, e) for n: n >= max(2e + f - 1, 2f + 1), 0 <= e <= f,
// f >= 1 (docs/protocols.md I.1).
std::vector<std::pair<int, int>> StarParameters(int n) {
  std::vector<std::pair<int, int>> valid;
  for (int f = 1; 2 * f + 1 <= n; ++f) {
    for (int e = 0; e <= f; ++e) {
      if (2 * e + f - 1 <= n) valid.emplace_back(f, e);
    }
  }
  return valid;
}

// Fills the options the user left open; returns f (for the crash budget).
int DrawProtocol(sim::Rng rng, int n, sim::Duration rtt, bool timers,
                 protocol::ProtocolSpec& spec) {
  auto& o = spec.options;
  auto set_timer = [&](const char* key, sim::Duration lo, sim::Duration hi) {
    const sim::Duration value = rng.Between(lo, std::max(lo, hi));
    if (timers && !o.contains(key)) o[key] = absl::StrCat(value);
  };
  int f = (n - 1) / 2;
  if (spec.name == "epaxos-star") {
    if (!o.contains("f") && !o.contains("e")) {
      const std::vector<std::pair<int, int>> valid = StarParameters(n);
      if (!valid.empty()) {
        const auto [drawn_f, drawn_e] = valid[rng.Below(valid.size())];
        o["f"] = absl::StrCat(drawn_f);
        o["e"] = absl::StrCat(drawn_e);
      }
    }
    if (auto it = o.find("f"); it != o.end()) f = std::atoi(it->second.c_str());
    // Short timers: recoveries start while the coordinator is still
    // working, and several processes recover the same command at once.
    set_timer("commit_timeout", rtt, 3 * rtt);
    set_timer("recovery_timeout", 3 * rtt / 2, 4 * rtt);
    set_timer("fast_timeout", rtt / 10, rtt);
  } else if (spec.name == "epaxos") {
    // Both published recoveries, with and without fixed (thrifty) quorums,
    // unless the user chose.
    if (!o.contains("recovery")) {
      o["recovery"] = rng.Bernoulli(0.5) ? "simple" : "optimized";
    }
    if (!o.contains("thrifty") && !o.contains("thrifty_peers")) {
      o["thrifty"] = rng.Bernoulli(0.5) ? "true" : "false";
    }
    set_timer("timeout_us", 3 * rtt / 2, 4 * rtt);
    // The randomized backoff must span more than a round trip, or two
    // recoverers can duel for ever (a liveness artefact of the setting).
    set_timer("backoff_us", rtt, 3 * rtt);
  }
  return std::max(f, 1);
}

void DrawWorkload(sim::Rng rng, int64_t total_commands, sim::Duration rtt,
                  Scenario& s) {
  scenarios::Workload& w = s.workload;
  const int sites = std::max<int>(1, w.client_sites.size());
  w.clients_per_site = static_cast<int>(rng.Between(1, 3));
  w.commands_per_client = static_cast<int>(
      std::max<int64_t>(1, (total_commands + w.clients_per_site * sites - 1) /
                               (w.clients_per_site * sites)));
  switch (rng.Below(4)) {
    case 0:
      w.conflict = 0;
      break;
    case 1:
      w.conflict = Round2(rng.Real() * 0.1);
      break;
    case 2:
      w.conflict = Round2(0.1 + rng.Real() * 0.4);
      break;
    default:
      w.conflict = Round2(0.5 + rng.Real() * 0.5);
      break;
  }
  w.reads = Round2(rng.Real() * 0.4);
  w.put_weight = 1;
  w.append_weight = rng.Bernoulli(0.5) ? Round2(0.2 + rng.Real() * 1.8) : 0;
  w.cas_weight = rng.Bernoulli(0.5) ? Round2(0.2 + rng.Real() * 1.8) : 0;
  // Clients give up on a replica quickly, so requests are retried at
  // another replica while the first may still commit them (exactly-once),
  // and a crashed replica's clients move on within the run.
  w.client_timeout = rng.Between(std::max<int64_t>(1, 10 * rtt / kEighthMs),
                                 std::max<int64_t>(1, 50 * rtt / kEighthMs)) *
                     kEighthMs;
}

}  // namespace

std::string_view FaultModelName(FaultModel model) {
  return model == FaultModel::kCrashStop ? "crash-stop" : "any";
}

absl::StatusOr<FaultModel> ParseFaultModel(std::string_view name) {
  if (name == "crash-stop") return FaultModel::kCrashStop;
  if (name == "any") return FaultModel::kAny;
  return absl::InvalidArgumentError(
      absl::StrCat("--model \"", Av(name), "\": expected crash-stop or any"));
}

Scenario DefaultFuzzBase() {
  Scenario s;
  s.name = "fuzz-lan";
  s.description = "epsim fuzz's built-in base: a uniform 0.2 ms LAN.";
  s.topology = sim::Topology::Uniform("lan", 5, 0.2);
  s.topology_ref = "";  // written inline
  for (int i = 0; i < 5; ++i) s.replica_sites.push_back(i);
  s.workload.client_sites = s.replica_sites;
  s.workload.clients_per_site = 1;
  s.workload.commands_per_client = 40;
  s.duration = 1 * sim::kSecond;
  s.file = "(built-in fuzz base)";
  return s;
}

// Measured on the built-in base (400 seeds each): EPaxos* takes up to 230
// world events per command and replica inside the model; beyond it, where
// quorums may never form, timers and retransmissions run until the deadline
// (up to 7,000). The budgets stay well above both.
constexpr int64_t kEventBudgetPerCommandAndReplica = 2000;
constexpr int64_t kEventBudgetPerCommandAndReplicaAnyModel = 20000;

std::vector<std::string> TimerOptionNames(std::string_view protocol_name) {
  if (protocol_name == "epaxos-star") {
    return {"commit_timeout", "recovery_timeout", "fast_timeout"};
  }
  if (protocol_name == "epaxos") return {"timeout_us", "backoff_us"};
  return {};
}

absl::StatusOr<FuzzCase> GenerateFuzzCase(
    const Scenario& base, const protocol::ProtocolSpec& protocol, uint64_t seed,
    const FuzzPlanOptions& options) {
  if (!base.script.is_null()) {
    return absl::InvalidArgumentError(absl::StrCat(
        base.file,
        ": script: a scripted scenario cannot be fuzzed (its schedule is "
        "fixed); expected a scenario with a workload"));
  }
  const sim::Rng rng(seed);
  Scenario s = base;
  s.seed = seed;
  s.expect = nullptr;
  s.source = nullptr;
  const int64_t total_commands =
      static_cast<int64_t>(base.workload.clients_per_site) *
      std::max<size_t>(1, base.workload.client_sites.size()) *
      base.workload.commands_per_client;

  protocol::ProtocolSpec spec = protocol;
  if (options.vary_replicas) {
    int n = 0;
    if (auto it = spec.options.find("n"); it != spec.options.end()) {
      n = std::atoi(it->second.c_str());
    } else {
      sim::Rng r = rng.Fork(kReplicas);
      constexpr int kCounts[] = {3, 3, 5, 5, 7};
      n = kCounts[r.Below(5)];
    }
    if (n < 1 || n > 64) {
      return absl::InvalidArgumentError(
          absl::StrCat("--protocol: n=", n, ": expected 1 to 64 replicas"));
    }
    s.topology =
        sim::Topology::Uniform(base.topology.name, n, base.topology.MaxRttMs());
    s.replica_sites.clear();
    for (int i = 0; i < n; ++i) s.replica_sites.push_back(i);
    s.workload.client_sites = s.replica_sites;
  }
  const int n = static_cast<int>(s.replica_sites.size());
  const sim::Duration rtt = MaxRoundTrip(s);

  std::vector<bool> on = SwitchFamilies(rng, options.model, n);
  if (TimerOptionNames(spec.name).empty()) on[kTimers] = false;
  const int f = DrawProtocol(rng.Fork(kProtocol), n, rtt, on[kTimers], spec);
  s.protocol = spec.ToString();

  DrawWorkload(rng.Fork(kWorkload), total_commands, rtt, s);
  if (on[kReorder]) {
    // Reordering: a little jitter on every message for the whole run.
    sim::Rng net = rng.Fork(kNetwork);
    const int64_t eighths = std::max<int64_t>(1, rtt / 2 / kEighthMs);
    s.network.jitter.kind = sim::JitterSpec::kExponential;
    s.network.jitter.a =
        static_cast<double>(net.Between(1, eighths) * kEighthMs);
    s.network.jitter.b = 0;
  }
  // Expected life of the workload: each client's commands one after the
  // other, a couple of round trips each.
  const sim::Time horizon = std::max<sim::Time>(
      5 * sim::kMillisecond,
      2 * static_cast<sim::Time>(s.workload.commands_per_client) * rtt);
  PlanBuilder builder(s, options.model, f, rtt, horizon);
  std::vector<FaultEvent> generated = builder.Build(rng, on);
  s.faults.insert(s.faults.end(), generated.begin(), generated.end());
  std::stable_sort(
      s.faults.begin(), s.faults.end(),
      [](const FaultEvent& a, const FaultEvent& b) { return a.at < b.at; });

  // A seed that stops settling (duelling recoveries, a message storm) must
  // not hold up a campaign: it fails the budget check instead.
  if (s.max_events == 0) {
    s.max_events = (options.model == FaultModel::kAny
                        ? kEventBudgetPerCommandAndReplicaAnyModel
                        : kEventBudgetPerCommandAndReplica) *
                   total_commands * n;
  }

  FuzzCase result;
  for (int family = 0; family < kFamilyCount; ++family) {
    if (on[family]) result.families.push_back(kFamilyNames[family]);
  }
  s.name = absl::StrCat(base.name, "-seed-", seed);
  s.description =
      absl::StrCat("epsim fuzz seed ", seed, " (model ",
                   Av(FaultModelName(options.model)), ") on ", base.name,
                   "; fault families: ", result.families.empty() ? "none" : "");
  for (size_t i = 0; i < result.families.size(); ++i) {
    absl::StrAppend(&s.description, i ? ", " : "", result.families[i]);
  }
  absl::StatusOr<Scenario> round_trip =
      Scenario::FromJson(s.ToJson(), absl::StrCat("fuzz seed ", seed));
  if (!round_trip.ok()) return round_trip.status();
  result.scenario = *std::move(round_trip);
  return result;
}

}  // namespace epsim::fuzz
