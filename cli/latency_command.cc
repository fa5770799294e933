// `epsim latency`: commit and execution latency per site over a topology,
// for every (protocol, conflict rate, seed); writes CSV files that
// scripts/plot_latency.py turns into figures.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "nlohmann/json.hpp"
#include "scenarios/scenario.h"
#include "scenarios/simulation.h"

namespace epsim::cli {
namespace {

using scenarios::Percentile;

struct Job {
  std::string protocol;  // as the user wrote it (leader=CA)
  std::string resolved;  // with site names turned into replica indexes
  int conflict = 0;      // percent
  uint64_t seed = 0;
};

struct JobResult {
  absl::StatusOr<scenarios::RunResult> run = absl::UnknownError("not run");
};

double Mean(const std::vector<double>& v) {
  if (v.empty()) return 0;
  double sum = 0;
  for (double x : v) sum += x;
  return sum / v.size();
}

// "multipaxos:leader=CA" -> "multipaxos:leader=1" when CA is replica 1.
absl::StatusOr<std::string> ResolveSites(const std::string& spec,
                                         const scenarios::Scenario& s) {
  std::vector<std::string> parts = absl::StrSplit(spec, ',');
  for (std::string& part : parts) {
    const size_t eq = part.find('=');
    if (eq == std::string::npos) continue;
    const size_t colon = part.find(':');
    const std::string option = colon == std::string::npos || colon > eq
                                   ? part
                                   : part.substr(colon + 1);
    const std::string key = option.substr(0, option.find('='));
    if (key != "leader") continue;
    const std::string value = part.substr(eq + 1);
    int index;
    if (absl::SimpleAtoi(value, &index)) continue;
    auto site = s.topology.SiteIndex(value);
    if (!site) {
      return absl::InvalidArgumentError(
          absl::StrCat("--protocols: leader=", value, ": no such site in ",
                       s.topology.name));
    }
    for (size_t r = 0; r < s.replica_sites.size(); ++r) {
      if (s.replica_sites[r] == *site) {
        part = absl::StrCat(part.substr(0, eq + 1), r);
        break;
      }
    }
  }
  return absl::StrJoin(parts, ",");
}

// "crash:CA@5000,restart:CA@9000" or a JSON file with a faults array.
absl::StatusOr<nlohmann::json> ParseFaults(const std::string& spec,
                                           const scenarios::Scenario& s) {
  nlohmann::json faults = nlohmann::json::array();
  if (spec.empty()) return faults;
  if (std::filesystem::exists(spec)) {
    absl::StatusOr<std::string> text = ReadFile(spec);
    if (!text.ok()) return text.status();
    nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_array()) {
      return absl::InvalidArgumentError(
          absl::StrCat(spec, ": expected a JSON array of faults"));
    }
    return j;
  }
  for (absl::string_view item : absl::StrSplit(spec, ',')) {
    std::vector<std::string> kind_rest = absl::StrSplit(item, ':');
    std::vector<std::string> where_when =
        kind_rest.size() == 2 ? absl::StrSplit(kind_rest[1], '@')
                              : std::vector<std::string>{};
    double at_ms;
    if (where_when.size() != 2 || !absl::SimpleAtod(where_when[1], &at_ms)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--faults: \"", item,
          "\": expected KIND:SITE@MS (crash, restart, pause, resume)"));
    }
    auto site = s.topology.SiteIndex(where_when[0]);
    int replica = -1;
    for (size_t r = 0; site && r < s.replica_sites.size(); ++r) {
      if (s.replica_sites[r] == *site) replica = static_cast<int>(r);
    }
    if (replica < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--faults: \"", item, "\": no replica at site ", where_when[0]));
    }
    faults.push_back(
        {{"at_ms", at_ms}, {"fault", kind_rest[0]}, {"replica", replica}});
  }
  return faults;
}

std::string Csv(const std::string& s) {
  if (s.find_first_of(",\"") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

int LatencyCommand(const Args& args) {
  std::string topology = "epaxos-sosp13-5site";
  std::string protocols = "epaxos-star,epaxos,multipaxos:leader=CA";
  std::string conflicts = "0,2,25,100";
  std::string faults_spec, out_dir;
  int64_t clients_per_site = 10, commands = 50, seeds = 1, jobs = 1;
  double processing_ms = 0;
  bool json = false, quiet = false;
  FlagParser flags(
      "epsim latency",
      "Runs every (protocol, conflict rate, seed) on a topology with one "
      "replica per\nsite and clients at every site, and writes "
      "DIR/latency.csv (per protocol,\nconflict, site and seed: commit and "
      "execution latency p50/p90/p99/mean,\ncount, share of fast commits), "
      "DIR/samples.csv, DIR/timeline.csv,\nDIR/events.csv and "
      "DIR/summary.json. Plot them with\n  /usr/bin/python3 "
      "scripts/plot_latency.py DIR/latency.csv --out PLOTDIR");
  flags.String("topology", &topology,
               "topology name or file (default epaxos-sosp13-5site)");
  flags.String("protocols", &protocols,
               "comma-separated protocol specs; leader=SITE allowed");
  flags.String("conflict", &conflicts, "conflict rates in percent");
  flags.Int("clients-per-site", &clients_per_site, "closed-loop clients");
  flags.Int("commands", &commands, "commands per client");
  flags.Int("seeds", &seeds, "seeds per combination (1..seeds)");
  flags.String("faults", &faults_spec,
               "KIND:SITE@MS,... (crash, restart, pause, resume) or a JSON "
               "file of faults");
  flags.Double("processing-ms", &processing_ms,
               "per-message processing cost added to every hop (default 0)");
  flags.Int("jobs", &jobs, "runs in parallel");
  flags.String("out", &out_dir, "output folder (required)");
  flags.Bool("json", &json, "print summary.json to standard output");
  flags.Bool("quiet", &quiet, "no progress line");
  if (auto s = flags.Parse(args); !s.ok()) return flags.Fail(s);
  if (out_dir.empty())
    return flags.Fail(absl::InvalidArgumentError("--out is required"));
  if (seeds < 1 || jobs < 1 || commands < 1 || clients_per_site < 1) {
    return flags.Fail(absl::InvalidArgumentError(
        "--seeds, --jobs, --commands and --clients-per-site must be >= 1"));
  }

  absl::StatusOr<sim::Topology> topo = scenarios::LoadTopology(topology);
  if (!topo.ok()) {
    std::cerr << "epsim latency: " << topo.status().message() << "\n";
    return kExitBadInput;
  }
  // The base scenario: one replica per site, clients everywhere.
  nlohmann::json base = {
      {"name", absl::StrCat("latency-", topo->name)},
      {"topology", topology},
      {"replicas", topo->sites},
      {"workload",
       {{"clients_per_site", clients_per_site},
        {"commands_per_client", commands}}},
      {"network",
       {{"jitter", {{"dist", "normal"}, {"a", 0}, {"b", 0.5}}},
        {"processing_ms", processing_ms}}}};
  absl::StatusOr<scenarios::Scenario> probe =
      scenarios::Scenario::FromJson(base, "(latency)");
  if (!probe.ok()) {
    std::cerr << "epsim latency: " << probe.status().message() << "\n";
    return kExitBadInput;
  }
  absl::StatusOr<nlohmann::json> faults = ParseFaults(faults_spec, *probe);
  if (!faults.ok()) {
    std::cerr << "epsim latency: " << faults.status().message() << "\n";
    return kExitBadInput;
  }
  base["faults"] = *faults;

  std::vector<Job> plan;
  std::vector<int> rates;
  for (absl::string_view c : absl::StrSplit(conflicts, ',')) {
    int rate;
    if (!absl::SimpleAtoi(c, &rate) || rate < 0 || rate > 100) {
      return flags.Fail(absl::InvalidArgumentError(absl::StrCat(
          "--conflict: \"", c, "\" is not a percentage in [0, 100]")));
    }
    rates.push_back(rate);
  }
  // Protocol specs contain commas themselves (options); split on commas
  // that start a new protocol name, i.e. before a token without '='.
  std::vector<std::string> specs;
  for (absl::string_view token : absl::StrSplit(protocols, ',')) {
    if (!specs.empty() && token.find('=') != absl::string_view::npos &&
        token.find(':') == absl::string_view::npos) {
      absl::StrAppend(&specs.back(), ",", token);
    } else {
      specs.emplace_back(token);
    }
  }
  for (const std::string& spec : specs) {
    absl::StatusOr<std::string> resolved = ResolveSites(spec, *probe);
    if (!resolved.ok()) {
      std::cerr << "epsim latency: " << resolved.status().message() << "\n";
      return kExitBadInput;
    }
    for (int rate : rates) {
      for (int64_t seed = 1; seed <= seeds; ++seed) {
        plan.push_back({spec, *resolved, rate, static_cast<uint64_t>(seed)});
      }
    }
  }
  // Validate every scenario and protocol before running anything.
  std::vector<scenarios::Scenario> scenarios_by_job;
  for (const Job& job : plan) {
    nlohmann::json j = base;
    j["protocol"] = job.resolved;
    j["workload"]["conflict"] = job.conflict / 100.0;
    j["seed"] = job.seed;
    absl::StatusOr<scenarios::Scenario> s =
        scenarios::Scenario::FromJson(j, "(latency)");
    if (!s.ok()) {
      std::cerr << "epsim latency: " << s.status().message() << "\n";
      return kExitBadInput;
    }
    scenarios_by_job.push_back(*std::move(s));
  }

  std::vector<JobResult> results(plan.size());
  std::atomic<size_t> next{0}, done{0};
  ProgressLine progress(quiet || json);
  std::mutex progress_mu;
  auto worker = [&] {
    for (size_t i = next++; i < plan.size(); i = next++) {
      scenarios::RunOptions options;
      results[i].run = scenarios::Simulate(scenarios_by_job[i], options);
      const size_t d = ++done;
      std::lock_guard<std::mutex> lock(progress_mu);
      progress.Update(absl::StrFormat("latency: %d/%d runs (%s, %d%%)", d,
                                      plan.size(), plan[i].protocol,
                                      plan[i].conflict));
    }
  };
  std::vector<std::thread> threads;
  for (int64_t t = 0; t < std::min<int64_t>(jobs, plan.size()); ++t) {
    threads.emplace_back(worker);
  }
  for (auto& t : threads) t.join();
  progress.Finish();

  std::string latency_csv =
      "protocol,conflict,site,seed,commit_p50_ms,commit_p90_ms,"
      "commit_p99_ms,commit_mean_ms,execute_p50_ms,execute_p90_ms,"
      "execute_p99_ms,execute_mean_ms,count,fast_share\n";
  std::string samples_csv = "protocol,conflict,site,seed,commit_latency_ms\n";
  std::string timeline_csv =
      "protocol,seed,conflict,time_ms,site,commit_latency_ms\n";
  std::string events_csv = "protocol,seed,conflict,time_ms,event,detail\n";
  nlohmann::json summary = {{"topology", topo->name},
                            {"runs", nlohmann::json::array()}};
  int violations = 0;
  for (size_t i = 0; i < plan.size(); ++i) {
    const Job& job = plan[i];
    if (!results[i].run.ok()) {
      std::cerr << "epsim latency: " << results[i].run.status().message()
                << "\n";
      return kExitBadInput;
    }
    const scenarios::RunResult& r = *results[i].run;
    const int64_t decided = r.fast + r.slow + r.recovered;
    const double fast_share = decided > 0 ? double(r.fast) / decided : 0;
    nlohmann::json sites = nlohmann::json::object();
    for (const auto& [site, s] : r.latency_by_site) {
      absl::StrAppend(
          &latency_csv,
          absl::StrFormat(
              "%s,%d,%s,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,"
              "%.3f,%d,%.4f\n",
              Csv(job.protocol), job.conflict, site, job.seed,
              Percentile(s.commit_ms, 50), Percentile(s.commit_ms, 90),
              Percentile(s.commit_ms, 99), Mean(s.commit_ms),
              Percentile(s.execute_ms, 50), Percentile(s.execute_ms, 90),
              Percentile(s.execute_ms, 99), Mean(s.execute_ms),
              s.execute_ms.size(), fast_share));
      for (double ms : s.commit_ms) {
        absl::StrAppend(&samples_csv,
                        absl::StrFormat("%s,%d,%s,%d,%.3f\n", Csv(job.protocol),
                                        job.conflict, site, job.seed, ms));
      }
      sites[site] = {{"commit_p50_ms", Percentile(s.commit_ms, 50)},
                     {"commit_p99_ms", Percentile(s.commit_ms, 99)},
                     {"execute_p50_ms", Percentile(s.execute_ms, 50)},
                     {"count", s.execute_ms.size()}};
    }
    for (const scenarios::Completion& c : r.completions) {
      if (c.commit < 0) continue;
      absl::StrAppend(
          &timeline_csv,
          absl::StrFormat("%s,%d,%d,%.3f,%s,%.3f\n", Csv(job.protocol),
                          job.seed, job.conflict, c.returned / 1000.0,
                          r.sites[c.site], (c.commit - c.call) / 1000.0));
    }
    for (const auto& f : scenarios_by_job[i].faults) {
      absl::StrAppend(
          &events_csv,
          absl::StrFormat(
              "%s,%d,%d,%.3f,%s,replica %d (%s)\n", Csv(job.protocol), job.seed,
              job.conflict, f.at / 1000.0, scenarios::FaultKindName(f.kind),
              f.replica,
              f.replica >= 0
                  ? r.sites[scenarios_by_job[i].replica_sites[f.replica]]
                  : "-"));
    }
    violations += static_cast<int>(r.violations.size());
    summary["runs"].push_back({{"protocol", job.protocol},
                               {"resolved", r.protocol},
                               {"conflict", job.conflict},
                               {"seed", job.seed},
                               {"fast_share", fast_share},
                               {"checks", r.checks},
                               {"sites", sites}});
  }
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    std::cerr << "epsim latency: --out " << out_dir << ": cannot create\n";
    return kExitBadInput;
  }
  const std::filesystem::path dir(out_dir);
  for (const auto& [name, text] :
       std::vector<std::pair<std::string, std::string>>{
           {"latency.csv", latency_csv},
           {"samples.csv", samples_csv},
           {"timeline.csv", timeline_csv},
           {"events.csv", events_csv},
           {"summary.json", summary.dump(2) + "\n"}}) {
    if (auto s = WriteFileAtomically((dir / name).string(), text); !s.ok()) {
      std::cerr << "epsim latency: " << s.message() << "\n";
      return kExitBadInput;
    }
  }
  if (json) {
    std::cout << summary.dump(2) << "\n";
  } else {
    std::cout << "site   protocol                       conflict  commit p50  "
                 "p99    (ms, seed 1)\n";
    for (size_t i = 0; i < plan.size(); ++i) {
      if (plan[i].seed != 1) continue;
      for (const auto& [site, s] : results[i].run->latency_by_site) {
        std::cout << absl::StrFormat("%-6s %-30s %7d%% %10.1f %6.1f\n", site,
                                     plan[i].protocol, plan[i].conflict,
                                     Percentile(s.commit_ms, 50),
                                     Percentile(s.commit_ms, 99));
      }
    }
    std::cout << "wrote " << (dir / "latency.csv").string() << " and "
              << plan.size() << " runs' samples, timeline, events, summary\n";
  }
  if (violations > 0) {
    std::cerr << "epsim latency: " << violations
              << " check violation(s); see summary.json\n";
    return kExitViolation;
  }
  return kExitOk;
}

}  // namespace epsim::cli
