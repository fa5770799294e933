// Shrinking a violating scenario: delta debugging (Zeller's ddmin) over its
// fault events, then smaller workloads (commands per client, clients per
// site, client sites) and the protocol's timer options, repeated until no
// single removal keeps the SAME check failing. Every candidate is one
// Simulate() run with the scenario's seed.
#ifndef EPSIM_FUZZ_SHRINK_H_
#define EPSIM_FUZZ_SHRINK_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "scenarios/scenario.h"

namespace epsim::fuzz {

struct ShrinkOptions {
  std::string protocol;  // default: the scenario's
  std::string check;     // default: the scenario's "expect", else the first
                         // violation of a run
  int max_runs = 1000;   // candidate runs at most; then stop where it is
  std::function<void(const std::string&)> progress;
};

struct ShrinkResult {
  scenarios::Scenario minimal;  // protocol set to the (reduced) spec
  std::string check;
  std::string protocol;  // the reduced spec
  int runs = 0;
  bool budget_exhausted = false;  // max_runs reached: maybe not 1-minimal
  // The minimal scenario, written out and read back, still fails the check
  // (false would mean the file format loses something the run depends on).
  bool verified = false;
  // Before -> after.
  int fault_events_before = 0, fault_events_after = 0;
  int commands_before = 0, commands_after = 0;  // over all clients
  int clients_before = 0, clients_after = 0;
  std::vector<std::string> timers_removed;

  // "faults 14 -> 3, commands 200 -> 12, clients 6 -> 2, timers dropped:
  // fast_timeout (41 runs)".
  std::string Describe() const;
};

// Fault events that belong together (a crash and its restart, a partition
// and its heal, a cut and its restore, a setting and its reset), as index
// lists into `faults`: the units ddmin removes, so that removing a fault
// never leaves half of it behind (a dropped heal would turn a safety
// counterexample into one outside the model).
std::vector<std::vector<int>> FaultUnits(
    const std::vector<scenarios::FaultEvent>& faults);

// Errors: the scenario does not fail `check` (or any check) to begin with,
// or cannot run.
absl::StatusOr<ShrinkResult> Shrink(const scenarios::Scenario& scenario,
                                    const ShrinkOptions& options);

// The scenario file of a shrink result: the minimal scenario with "seed"
// and an "expect" naming the protocol and the check.
nlohmann::json MinimalScenarioJson(const ShrinkResult& result,
                                   const std::string& note);

// The "expect" object of a violation file (scenarios/script.h Expectation):
// {"<protocol spec>": "<check>", "class": "safety: <check>", "note": ...}.
nlohmann::json ViolationExpect(const std::string& protocol,
                               const std::string& check,
                               const std::string& note);

}  // namespace epsim::fuzz

#endif  // EPSIM_FUZZ_SHRINK_H_
