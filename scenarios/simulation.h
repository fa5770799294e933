// Turns a scenario into a run: builds the world, places replicas and
// clients, schedules the faults, runs to completion, and checks everything
// (docs/design.md "What is checked on every run"). Every subcommand that runs a
// scenario (run, replay, fuzz, compare, latency) goes through Simulate().
#ifndef EPSIM_SCENARIOS_SIMULATION_H_
#define EPSIM_SCENARIOS_SIMULATION_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "checker/history.h"
#include "scenarios/scenario.h"
#include "sim/time.h"

namespace epsim::protocol {
class ProtocolRegistry;
}  // namespace epsim::protocol

namespace epsim::scenarios {

struct RunOptions {
  std::optional<uint64_t> seed;   // default: the scenario's
  std::string protocol;           // default: the scenario's
  std::ostream* trace = nullptr;  // JSON Lines of every world event
  // `epsim replay --verbose`: one line per delivery and per state change.
  std::function<void(const std::string&)> verbose;
  // Skip the (comparatively slow) linearizability check; the other checks
  // always run.
  bool skip_linearizability = false;
  // Where the scenario's protocol is looked up; null: the built-in
  // protocols (tests and embedders register their own).
  const protocol::ProtocolRegistry* registry = nullptr;
};

// One broken check, with enough context to act on it.
struct Violation {
  std::string check;    // "agreement", "linearizability", "liveness", ...
  sim::Time time = -1;  // first event where it broke (-1: end of run)
  int replica = -1;     // where, if one replica
  std::string event;    // the event that broke it
  std::string detail;   // commands, replicas, values involved
};

struct LatencySamples {
  std::vector<double> commit_ms;   // client call -> first commit
  std::vector<double> execute_ms;  // client call -> client return
};

// One client request that completed (the client learnt its result).
struct Completion {
  int site = 0;            // the client's site
  sim::Time call = 0;      // the client sent it
  sim::Time commit = -1;   // its replica learnt the commit (-1: unknown)
  sim::Time returned = 0;  // the client learnt the result
};

struct RunResult {
  std::string scenario;
  std::string protocol;  // canonical spec
  uint64_t seed = 0;
  uint64_t trace_hash = 0;
  std::string replay_command;

  // Client requests.
  int64_t submitted = 0;
  int64_t committed = 0;  // carried by a committed non-Nop command
  int64_t executed = 0;   // took effect at some replica
  int64_t completed = 0;  // the client learnt the result
  // Command ids by how they were first committed.
  int64_t fast = 0, slow = 0, recovered = 0, nop = 0;
  int64_t recoveries_started = 0, recoveries_finished = 0;

  std::vector<std::string> sites;  // names, for the latency table
  absl::btree_map<std::string, LatencySamples> latency_by_site;
  std::vector<Completion> completions;  // in completion order

  absl::btree_map<std::string, std::string> checks;  // name -> ok|violation
  std::vector<Violation> violations;
  absl::btree_map<std::string, int64_t> coverage;
  std::vector<std::string> coverage_branches;  // every branch of the protocol

  checker::History history;
  sim::Time end_time = 0;
  int64_t events = 0;
  int64_t messages = 0;

  bool ok() const { return violations.empty(); }
};

absl::StatusOr<RunResult> Simulate(const Scenario& scenario,
                                   const RunOptions& options);

// The p-th percentile (0..100) of `samples` (nearest rank); 0 when empty.
double Percentile(std::vector<double> samples, double p);

}  // namespace epsim::scenarios

#endif  // EPSIM_SCENARIOS_SIMULATION_H_
