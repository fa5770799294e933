// `epsim bench` (no argument): events per second of the bare event loop.
//
// Two workloads, no protocol work at all, so the figure is the world's own
// cost per event (queue, network model, trace hash, virtual dispatch):
// - ping-pong: two nodes bouncing one message, no jitter;
// - many nodes: 50 nodes on 5 sites, 4 messages per node in flight, each
//   forwarded to a random peer, with exponential jitter.
// Payloads are shared (built once), so no allocation per message is timed.
// Wall-clock time is fine here: cli/ measures, sim/ never reads a clock.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/bench.h"
#include "cli/cli.h"
#include "nlohmann/json.hpp"
#include "sim/world.h"

namespace epsim::cli {
namespace {

class BenchPayload : public sim::Payload {
 public:
  std::string_view Type() const override { return "Bench"; }
  std::string Describe() const override { return "bench"; }
  uint64_t ComputeFingerprint() const override { return 0x5eed; }
};

// Forwards every message: back to the sender (ping-pong) or to a random
// other node.
class Forwarder : public sim::Process {
 public:
  Forwarder(sim::World& world, sim::NodeId self, bool random_peer,
            sim::PayloadPtr payload)
      : world_(world),
        self_(self),
        random_peer_(random_peer),
        payload_(std::move(payload)) {}
  void OnMessage(sim::NodeId from, const sim::PayloadPtr&) override {
    sim::NodeId to = from;
    if (random_peer_) {
      const int n = world_.NodeCount();
      to = static_cast<sim::NodeId>(world_.rng().Below(n - 1));
      if (to >= self_) ++to;
    }
    world_.Send(self_, to, payload_);
  }
  void OnTimer(sim::TimerId, uint64_t) override {}

 private:
  sim::World& world_;
  sim::NodeId self_;
  bool random_peer_;
  sim::PayloadPtr payload_;
};

struct Workload {
  std::string name;
  std::string description;
  int nodes;
  int sites;
  int in_flight_per_node;
  bool jitter;
  uint64_t events;
};

struct Sample {
  double events_per_second;
  double events_per_cpu_second;
  uint64_t events;
  uint64_t trace_hash;
};

Sample RunOnce(const Workload& w, uint64_t seed) {
  sim::NetworkConfig config;
  if (w.jitter) {
    config.jitter = {sim::JitterSpec::kExponential, 200, 0};
  }
  sim::World world(seed, sim::Topology::Uniform("bench", w.sites, 0.4), config);
  const sim::PayloadPtr payload = std::make_shared<BenchPayload>();
  std::vector<std::unique_ptr<Forwarder>> nodes;
  for (int i = 0; i < w.nodes; ++i) {
    nodes.push_back(
        std::make_unique<Forwarder>(world, i, w.nodes > 2, payload));
    world.AddNode(absl::StrCat("b", i), i % w.sites, nodes.back().get());
  }
  for (int i = 0; i < w.nodes; ++i) {
    for (int k = 0; k < w.in_flight_per_node; ++k) {
      world.Send(i, (i + 1 + k) % w.nodes, payload);
    }
  }
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = ThreadCpuSeconds();
  while (world.stats().events < w.events && world.Step()) {
  }
  const double cpu = ThreadCpuSeconds() - cpu_start;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  const auto events = static_cast<double>(world.stats().events);
  return {events / seconds, events / cpu, world.stats().events,
          world.TraceHash()};
}

const Workload kPingPong = {
    "ping-pong", "2 nodes, one message bouncing, no jitter", 2, 2, 1, false,
    4'000'000};
const Workload kManyNodes = {
    "many-nodes-jitter",
    "50 nodes on 5 sites, 200 messages in flight, exponential jitter",
    50,
    5,
    4,
    true,
    4'000'000};

}  // namespace

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  const size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) +
         static_cast<double>(ts.tv_nsec) * 1e-9;
}

BareLoopRate BareLoopEventsPerSecond(int64_t repetitions) {
  std::vector<double> wall, cpu;
  for (int64_t r = 0; r < std::max<int64_t>(repetitions, 1); ++r) {
    const Sample s = RunOnce(kPingPong, /*seed=*/1);
    wall.push_back(s.events_per_second);
    cpu.push_back(s.events_per_cpu_second);
  }
  return {Median(wall), Median(cpu)};
}

int BenchWorld(const BenchOptions& options) {
  const std::vector<Workload> workloads = {kPingPong, kManyNodes};
  ProgressLine progress(options.quiet || options.json);
  nlohmann::json results = nlohmann::json::array();
  for (const Workload& w : workloads) {
    std::vector<double> rates;
    std::vector<double> cpu_rates;
    uint64_t first_hash = 0;
    bool deterministic = true;
    for (int64_t r = 0; r < options.repetitions; ++r) {
      progress.Update(absl::StrFormat("bench world %s: run %d/%d", w.name,
                                      r + 1, options.repetitions));
      const Sample s = RunOnce(w, /*seed=*/1);
      if (r == 0) first_hash = s.trace_hash;
      deterministic &= s.trace_hash == first_hash;
      rates.push_back(s.events_per_second);
      cpu_rates.push_back(s.events_per_cpu_second);
    }
    progress.Finish();
    const double median = Median(rates);
    const double cpu_median = Median(cpu_rates);
    const auto [min, max] = std::minmax_element(rates.begin(), rates.end());
    results.push_back({{"name", w.name},
                       {"description", w.description},
                       {"events_per_run", w.events},
                       {"events_per_second_median", median},
                       {"events_per_second_min", *min},
                       {"events_per_second_max", *max},
                       {"runs", rates},
                       {"events_per_cpu_second_median", cpu_median},
                       {"trace_hash", absl::StrFormat("%016x", first_hash)},
                       {"deterministic", deterministic}});
    if (!options.json) {
      std::cout << absl::StrFormat(
          "world %-18s %6.2f M events/s wall (median of %d; min %.2f, max "
          "%.2f), %.2f M events/s of CPU time  [%s]\n",
          w.name, median / 1e6, options.repetitions, *min / 1e6, *max / 1e6,
          cpu_median / 1e6, w.description);
    }
    if (!deterministic) {
      std::cerr << "bench: " << w.name
                << ": repeated runs gave different trace hashes\n";
      return kExitViolation;
    }
  }
  if (options.json) {
    nlohmann::json out = {{"bench", "world"},
                          {"repetitions", options.repetitions},
                          {"results", results}};
    std::cout << out.dump() << "\n";
  }
  return kExitOk;
}

}  // namespace epsim::cli
