#include "cli/run_report.h"

#include "absl/strings/str_format.h"

namespace epsim::cli {

using scenarios::Percentile;
using scenarios::RunResult;

void PrintViolations(const RunResult& result, std::ostream& out) {
  for (const scenarios::Violation& v : result.violations) {
    out << "VIOLATION " << v.check;
    if (v.time >= 0) {
      out << absl::StrFormat(" at %.3fms", static_cast<double>(v.time) / 1000);
    }
    if (v.replica >= 0) out << " r" << v.replica;
    if (!v.event.empty()) out << " (" << v.event << ")";
    out << "\n  " << v.detail << "\n";
  }
  if (!result.violations.empty()) {
    out << "  seed " << result.seed << "; replay: " << result.replay_command
        << "\n";
  }
}

void PrintRunSummary(const RunResult& result, std::ostream& out) {
  out << "scenario   " << result.scenario << "\n"
      << "protocol   " << result.protocol << "\n"
      << "seed       " << result.seed << "\n"
      << absl::StrFormat("simulated  %.3f s, %d events, %d messages\n",
                         static_cast<double>(result.end_time) / 1e6,
                         result.events, result.messages)
      << absl::StrFormat(
             "commands   submitted %d, committed %d, executed %d, "
             "answered %d\n",
             result.submitted, result.committed, result.executed,
             result.completed)
      << absl::StrFormat(
             "commits    fast %d, slow %d, by recovery %d, as Nop %d\n",
             result.fast, result.slow, result.recovered, result.nop)
      << absl::StrFormat("recoveries started %d, finished %d\n",
                         result.recoveries_started, result.recoveries_finished);
  out << "latency ms  site   commit p50  p99    execute p50  p99\n";
  for (const auto& [site, samples] : result.latency_by_site) {
    out << absl::StrFormat(
        "            %-6s %10.1f %6.1f %14.1f %6.1f\n", site,
        Percentile(samples.commit_ms, 50), Percentile(samples.commit_ms, 99),
        Percentile(samples.execute_ms, 50), Percentile(samples.execute_ms, 99));
  }
  out << absl::StrFormat("trace hash %016x\n", result.trace_hash);
  out << "checks    ";
  for (const auto& [name, verdict] : result.checks) {
    out << " " << name << "=" << verdict;
  }
  out << "\n";
  PrintViolations(result, out);
}

nlohmann::json RunResultToJson(const RunResult& result) {
  nlohmann::json j;
  j["scenario"] = result.scenario;
  j["protocol"] = result.protocol;
  j["seed"] = result.seed;
  j["trace_hash"] = absl::StrFormat("%016x", result.trace_hash);
  j["commands"] = {
      {"submitted", result.submitted}, {"committed", result.committed},
      {"executed", result.executed},   {"answered", result.completed},
      {"fast", result.fast},           {"slow", result.slow},
      {"recovered", result.recovered}, {"nop", result.nop}};
  j["recoveries"] = {{"started", result.recoveries_started},
                     {"finished", result.recoveries_finished}};
  nlohmann::json latency = nlohmann::json::object();
  for (const auto& [site, s] : result.latency_by_site) {
    latency[site] = {{"commit_p50", Percentile(s.commit_ms, 50)},
                     {"commit_p99", Percentile(s.commit_ms, 99)},
                     {"execute_p50", Percentile(s.execute_ms, 50)},
                     {"execute_p99", Percentile(s.execute_ms, 99)},
                     {"count", s.execute_ms.size()}};
  }
  j["latency_ms"] = latency;
  j["checks"] = result.checks;
  // Branch name to the times the run ran it, every branch of the protocol
  // listed (0 included).
  nlohmann::json coverage = nlohmann::json::object();
  for (const std::string& branch : result.coverage_branches) {
    coverage[branch] = 0;
  }
  for (const auto& [branch, count] : result.coverage) coverage[branch] = count;
  j["coverage"] = std::move(coverage);
  nlohmann::json violations = nlohmann::json::array();
  for (const scenarios::Violation& v : result.violations) {
    violations.push_back({{"check", v.check},
                          {"time_us", v.time},
                          {"replica", v.replica},
                          {"event", v.event},
                          {"detail", v.detail}});
  }
  j["violations"] = violations;
  j["replay"] = result.replay_command;
  j["simulated_us"] = result.end_time;
  j["events"] = result.events;
  j["messages"] = result.messages;
  return j;
}

}  // namespace epsim::cli
