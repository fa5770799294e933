// `epsim bench --protocol P`: how fast a protocol runs in the simulator.
// n = 5 on a LAN, no faults, 0 % and 25 % conflict, long enough to be steady;
// reports simulated messages and committed commands per second on one core
// (by wall-clock and by CPU time), and the cost per event relative to the
// bare event loop measured in the same invocation with the same clock.
//
// The timed part is the whole of scenarios::Simulate() minus the
// linearizability search: world, protocol, clients, every other check.
#include <chrono>
#include <iostream>
#include <vector>

#include "absl/strings/str_format.h"
#include "cli/bench.h"
#include "cli/cli.h"
#include "nlohmann/json.hpp"
#include "scenarios/scenario.h"
#include "scenarios/simulation.h"

namespace epsim::cli {
namespace {

absl::StatusOr<scenarios::Scenario> BenchScenario(const std::string& protocol,
                                                  double conflict,
                                                  int64_t commands_per_client) {
  nlohmann::json j = {
      {"name", absl::StrFormat("bench-%s-%g", protocol, conflict * 100)},
      {"topology", "lan"},
      {"protocol", protocol},
      {"replicas", {0, 1, 2, 3, 4}},
      {"workload",
       {{"clients_per_site", 10},
        {"commands_per_client", commands_per_client},
        {"conflict", conflict}}},
      {"network", {{"jitter", {{"dist", "exponential"}, {"a", 0.02}}}}},
      {"seed", 1}};
  return scenarios::Scenario::FromJson(j, "(bench)");
}

// Medians of one workload's repetitions.
struct Rates {
  double messages = 0, commits = 0, events = 0;
};

}  // namespace

int BenchProtocol(const std::string& protocol, const BenchOptions& options) {
  ProgressLine progress(options.quiet || options.json);
  progress.Update("bench: the bare event loop");
  const BareLoopRate bare = BareLoopEventsPerSecond(options.repetitions);
  progress.Finish();
  nlohmann::json report = {{"protocol", protocol},
                           {"repetitions", options.repetitions},
                           {"commands_per_client", options.commands_per_client},
                           {"bare_loop_events_per_second", bare.wall},
                           {"bare_loop_events_per_cpu_second", bare.cpu},
                           {"runs", nlohmann::json::array()}};
  if (!options.json) {
    std::cout << absl::StrFormat(
        "bare event loop: %.2fM events/s wall, %.2fM events/s CPU (median of "
        "%d)\n",
        bare.wall / 1e6, bare.cpu / 1e6, options.repetitions);
  }
  for (double conflict : options.conflicts) {
    absl::StatusOr<scenarios::Scenario> scenario =
        BenchScenario(protocol, conflict, options.commands_per_client);
    if (!scenario.ok()) {
      std::cerr << "epsim bench: " << scenario.status().message() << "\n";
      return kExitBadInput;
    }
    scenarios::RunOptions run_options;
    run_options.skip_linearizability = true;
    std::vector<double> wall_seconds, cpu_seconds;
    int64_t messages = 0, commits = 0, events = 0;
    uint64_t trace_hash = 0;
    for (int64_t rep = 0; rep < options.repetitions; ++rep) {
      progress.Update(absl::StrFormat("bench %s conflict %g%%: run %d/%d",
                                      protocol, conflict * 100, rep + 1,
                                      options.repetitions));
      const auto start = std::chrono::steady_clock::now();
      const double cpu_start = ThreadCpuSeconds();
      absl::StatusOr<scenarios::RunResult> result =
          scenarios::Simulate(*scenario, run_options);
      cpu_seconds.push_back(ThreadCpuSeconds() - cpu_start);
      wall_seconds.push_back(std::chrono::duration<double>(
                                 std::chrono::steady_clock::now() - start)
                                 .count());
      if (!result.ok()) {
        progress.Finish();
        std::cerr << "epsim bench: " << result.status().message() << "\n";
        return kExitBadInput;
      }
      if (!result->ok()) {
        progress.Finish();
        std::cerr << "epsim bench: the benchmark run broke a check: "
                  << result->violations.front().check << "\n";
        return kExitViolation;
      }
      if (rep > 0 && result->trace_hash != trace_hash) {
        progress.Finish();
        std::cerr << "epsim bench: repeated runs gave different trace hashes\n";
        return kExitViolation;
      }
      messages = result->messages;
      commits = result->committed;
      events = result->events;
      trace_hash = result->trace_hash;
    }
    progress.Finish();
    // Every repetition does the same work, so the median rate is the work
    // over the median time.
    const auto rates = [&](const std::vector<double>& seconds) {
      const double s = Median(seconds);
      return s > 0 ? Rates{messages / s, commits / s, events / s} : Rates{};
    };
    const Rates wall = rates(wall_seconds);
    const Rates cpu = rates(cpu_seconds);
    const double wall_ratio = wall.events > 0 ? bare.wall / wall.events : 0;
    const double cpu_ratio = cpu.events > 0 ? bare.cpu / cpu.events : 0;
    report["runs"].push_back(
        {{"conflict", conflict},
         {"messages", messages},
         {"commits", commits},
         {"events", events},
         {"trace_hash", absl::StrFormat("%016x", trace_hash)},
         {"seconds_median", Median(wall_seconds)},
         {"cpu_seconds_median", Median(cpu_seconds)},
         {"messages_per_second", wall.messages},
         {"commits_per_second", wall.commits},
         {"events_per_second", wall.events},
         {"messages_per_cpu_second", cpu.messages},
         {"commits_per_cpu_second", cpu.commits},
         {"events_per_cpu_second", cpu.events},
         {"cost_per_event_vs_bare_loop", wall_ratio},
         {"cpu_cost_per_event_vs_bare_loop", cpu_ratio}});
    if (!options.json) {
      std::cout << absl::StrFormat(
          "%s n=5 conflict %2.0f%%: %.2fM messages/s, %.1fk commits/s, %.2fM "
          "events/s wall (%.1fx the bare loop's cost per event); CPU: %.2fM "
          "messages/s, %.1fk commits/s (%.1fx)\n",
          protocol, conflict * 100, wall.messages / 1e6, wall.commits / 1e3,
          wall.events / 1e6, wall_ratio, cpu.messages / 1e6, cpu.commits / 1e3,
          cpu_ratio);
    }
  }
  if (options.json) std::cout << report.dump(2) << "\n";
  return kExitOk;
}

}  // namespace epsim::cli
