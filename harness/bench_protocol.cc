// `epsim bench --protocol P`: how fast a protocol runs in the simulator.
// n = 5 on a LAN, no faults, 0 % and 25 % conflict, long enough to be steady;
// reports simulated messages and committed commands per second of wall time
// on one core, and the cost per event relative to the bare event loop.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <vector>

#include "absl/strings/str_format.h"
#include "harness/bench.h"
#include "harness/cli.h"
#include "nlohmann/json.hpp"
#include "scenarios/scenario.h"
#include "scenarios/simulation.h"

namespace epsim::harness {
namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

absl::StatusOr<scenarios::Scenario> BenchScenario(const std::string& protocol,
                                                  double conflict) {
  nlohmann::json j = {
      {"name", absl::StrFormat("bench-%s-%g", protocol, conflict * 100)},
      {"topology", "lan"},
      {"protocol", protocol},
      {"replicas", {0, 1, 2, 3, 4}},
      {"workload",
       {{"clients_per_site", 10},
        {"commands_per_client", 400},
        {"conflict", conflict}}},
      {"network", {{"jitter", {{"dist", "exponential"}, {"a", 0.02}}}}},
      {"seed", 1}};
  return scenarios::Scenario::FromJson(j, "(bench)");
}

}  // namespace

int BenchProtocol(const std::string& protocol, const BenchOptions& options) {
  const double bare = BareLoopEventsPerSecond(options.repetitions);
  nlohmann::json report = {{"protocol", protocol},
                           {"bare_loop_events_per_second", bare},
                           {"runs", nlohmann::json::array()}};
  if (!options.json) {
    std::cout << absl::StrFormat(
        "bare event loop: %.2fM events/s (median of %d)\n", bare / 1e6,
        options.repetitions);
  }
  for (double conflict : {0.0, 0.25}) {
    absl::StatusOr<scenarios::Scenario> scenario =
        BenchScenario(protocol, conflict);
    if (!scenario.ok()) {
      std::cerr << "epsim bench: " << scenario.status().message() << "\n";
      return kExitBadInput;
    }
    scenarios::RunOptions run_options;
    run_options.skip_linearizability = true;
    std::vector<double> messages_per_s, commits_per_s, events_per_s;
    int64_t messages = 0, commits = 0, events = 0;
    for (int64_t rep = 0; rep < options.repetitions; ++rep) {
      const auto start = std::chrono::steady_clock::now();
      absl::StatusOr<scenarios::RunResult> result =
          scenarios::Simulate(*scenario, run_options);
      const double seconds = std::chrono::duration<double>(
                                 std::chrono::steady_clock::now() - start)
                                 .count();
      if (!result.ok()) {
        std::cerr << "epsim bench: " << result.status().message() << "\n";
        return kExitBadInput;
      }
      if (!result->ok()) {
        std::cerr << "epsim bench: the benchmark run broke a check: "
                  << result->violations.front().check << "\n";
        return kExitViolation;
      }
      messages = result->messages;
      commits = result->committed;
      events = result->events;
      messages_per_s.push_back(messages / seconds);
      commits_per_s.push_back(commits / seconds);
      events_per_s.push_back(events / seconds);
    }
    const double eps = Median(events_per_s);
    const double cost_ratio = eps > 0 ? bare / eps : 0;
    report["runs"].push_back({{"conflict", conflict},
                              {"messages", messages},
                              {"commits", commits},
                              {"events", events},
                              {"messages_per_second", Median(messages_per_s)},
                              {"commits_per_second", Median(commits_per_s)},
                              {"events_per_second", eps},
                              {"cost_per_event_vs_bare_loop", cost_ratio}});
    if (!options.json) {
      std::cout << absl::StrFormat(
          "%s n=5 conflict %2.0f%%: %.2fM messages/s, %.0fk commits/s, "
          "%.2fM events/s (%.1fx the bare loop's cost per event)\n",
          protocol, conflict * 100, Median(messages_per_s) / 1e6,
          Median(commits_per_s) / 1e3, eps / 1e6, cost_ratio);
    }
  }
  if (options.json) std::cout << report.dump(2) << "\n";
  return kExitOk;
}

}  // namespace epsim::harness
