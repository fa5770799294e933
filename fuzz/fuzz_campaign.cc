#include "fuzz/fuzz_campaign.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <ostream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "base/files.h"
#include "base/strings.h"
#include "fuzz/shrink.h"
#include "scenarios/coverage.h"
#include "scenarios/json_reader.h"
#include "scenarios/simulation.h"

namespace epsim::fuzz {
namespace {

// What one seed gave. Coverage stays per seed until the end, so that the
// sums do not depend on which thread ran what.
struct SeedOutcome {
  bool ran = false;
  absl::Status error;
  std::vector<std::string> checks;  // distinct, in order of first failure
  std::string detail;
  std::string protocol;
  uint64_t trace_hash = 0;
  nlohmann::json scenario;  // the case as run; only when violated
  absl::btree_map<std::string, int64_t> coverage;
};

std::string FirstLine(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

SeedOutcome RunSeed(const FuzzConfig& config,
                    const protocol::ProtocolSpec& spec, uint64_t seed,
                    absl::btree_set<std::string>& branches,
                    std::mutex& branches_mu) {
  SeedOutcome outcome;
  outcome.ran = true;
  FuzzPlanOptions plan;
  plan.model = config.model;
  plan.vary_replicas = config.vary_replicas;
  absl::StatusOr<FuzzCase> fuzz_case =
      GenerateFuzzCase(config.base, spec, seed, plan);
  if (!fuzz_case.ok()) {
    outcome.error = fuzz_case.status();
    return outcome;
  }
  outcome.protocol = fuzz_case->scenario.protocol;
  if (config.write_cases) {
    const std::filesystem::path dir =
        std::filesystem::path(config.out_dir) / "cases";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    nlohmann::json file = fuzz_case->scenario.source;
    file["seed"] = seed;
    const std::string path =
        (dir / absl::StrCat(spec.name, "-seed-", seed, ".json")).string();
    if (auto s = WriteFileAtomically(path, file.dump(2) + "\n"); !s.ok()) {
      outcome.error = s;
      return outcome;
    }
  }
  absl::StatusOr<scenarios::RunResult> result =
      scenarios::Simulate(fuzz_case->scenario, scenarios::RunOptions{});
  if (!result.ok()) {
    outcome.error = absl::Status(
        result.status().code(),
        absl::StrCat("seed ", seed, ": ", result.status().message()));
    return outcome;
  }
  for (const scenarios::Violation& v : result->violations) {
    // Outside the model nothing promises progress.
    if (config.model == FaultModel::kAny &&
        (v.check == "liveness" || v.check == "budget")) {
      continue;
    }
    if (outcome.checks.empty()) outcome.detail = FirstLine(v.detail);
    if (std::find(outcome.checks.begin(), outcome.checks.end(), v.check) ==
        outcome.checks.end()) {
      outcome.checks.push_back(v.check);
    }
  }
  if (!outcome.checks.empty()) outcome.scenario = fuzz_case->scenario.source;
  outcome.trace_hash = result->trace_hash;
  outcome.coverage = std::move(result->coverage);
  {
    std::lock_guard<std::mutex> lock(branches_mu);
    branches.insert(result->coverage_branches.begin(),
                    result->coverage_branches.end());
  }
  return outcome;
}

// The file name of a violation: "<protocol>-seed-<seed>-<check>.json".
std::string ViolationPath(const std::string& dir, const std::string& protocol,
                          uint64_t seed, const std::string& check) {
  return (std::filesystem::path(dir) /
          absl::StrCat(protocol, "-seed-", seed, "-", check, ".json"))
      .string();
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

// Runs `work(i)` for i in [0, count) on `jobs` threads, in increasing i,
// until `stop()` says not to start more. Calls `tick` about ten times a second
// on this thread meanwhile.
void ParallelFor(int jobs, size_t count,
                 const std::function<void(size_t)>& work,
                 const std::function<bool()>& stop,
                 const std::function<void()>& tick) {
  std::atomic<size_t> next{0};
  std::atomic<int> running{jobs};
  std::vector<std::thread> threads;
  for (int j = 0; j < jobs; ++j) {
    threads.emplace_back([&] {
      while (!stop()) {
        const size_t i = next.fetch_add(1);
        if (i >= count) break;
        work(i);
      }
      --running;
    });
  }
  while (running.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (tick) tick();
  }
  for (std::thread& t : threads) t.join();
}

}  // namespace

absl::StatusOr<std::pair<uint64_t, uint64_t>> ParseSeedRange(
    const std::string& text) {
  const auto bad = absl::InvalidArgumentError(
      absl::StrCat("--seeds \"", text,
                   "\": expected A:B (first and last seed, A <= B) or N "
                   "(seeds 1 to N)"));
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  uint64_t a = 1, b = 0;
  if (parts.size() == 1) {
    if (!absl::SimpleAtoi(parts[0], &b) || b < 1) return bad;
  } else if (parts.size() == 2) {
    if (!absl::SimpleAtoi(parts[0], &a) || !absl::SimpleAtoi(parts[1], &b) ||
        a > b || b > (uint64_t{1} << 62)) {
      return bad;
    }
  } else {
    return bad;
  }
  return std::make_pair(a, b);
}

absl::StatusOr<std::pair<int, int>> ParseShard(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  int i = 0, n = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &i) ||
      !absl::SimpleAtoi(parts[1], &n) || n < 1 || i < 0 || i >= n) {
    return absl::InvalidArgumentError(
        absl::StrCat("--shard \"", text,
                     "\": expected i/N with 0 <= i < N (shard i runs "
                     "the seeds s with s mod N = i)"));
  }
  return std::make_pair(i, n);
}

absl::StatusOr<FuzzSummary> RunFuzz(const FuzzConfig& config) {
  absl::StatusOr<protocol::ProtocolSpec> spec =
      protocol::ProtocolSpec::Parse(config.protocol);
  if (!spec.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--protocol: ", spec.status().message()));
  }
  std::vector<uint64_t> seeds;
  for (uint64_t s = config.first_seed; s <= config.last_seed; ++s) {
    if (s % config.shard_count == static_cast<uint64_t>(config.shard_index)) {
      seeds.push_back(s);
    }
  }
  FuzzSummary summary;
  summary.protocol = config.protocol;
  summary.model = std::string(FaultModelName(config.model));
  summary.scenario = config.base_name;
  summary.seed_range = absl::StrCat(config.first_seed, ":", config.last_seed);
  if (config.shard_count > 1 || config.shard_index != 0) {
    summary.shard = absl::StrCat(config.shard_index, "/", config.shard_count);
  }

  const auto start = std::chrono::steady_clock::now();
  std::vector<SeedOutcome> outcomes(seeds.size());
  absl::btree_set<std::string> branches;
  std::mutex mu;  // guards branches and the progress counters
  int64_t done = 0;
  absl::btree_map<std::string, int64_t> failing;
  std::atomic<bool> failed{false};
  bool time_limited = false;
  auto stop = [&] {
    if (failed.load()) return true;
    if (config.time_limit_s > 0 && Seconds(start) >= config.time_limit_s) {
      time_limited = true;
      return true;
    }
    return false;
  };
  std::mutex stop_mu;
  ParallelFor(
      std::max(1, config.jobs), seeds.size(),
      [&](size_t i) {
        SeedOutcome outcome = RunSeed(config, *spec, seeds[i], branches, mu);
        if (!outcome.error.ok()) failed = true;
        std::lock_guard<std::mutex> lock(mu);
        ++done;
        for (const std::string& check : outcome.checks) ++failing[check];
        outcomes[i] = std::move(outcome);
      },
      [&] {
        std::lock_guard<std::mutex> lock(stop_mu);
        return stop();
      },
      [&] {
        if (!config.progress) return;
        std::lock_guard<std::mutex> lock(mu);
        std::string text = absl::StrFormat(
            "fuzz: %d/%d seeds, %.1f seeds/s", done, seeds.size(),
            done / std::max(Seconds(start), 1e-9));
        for (const auto& [check, count] : failing) {
          absl::StrAppend(&text, ", ", check, " ", count);
        }
        config.progress(text);
      });

  // Errors: the lowest seed's, as a serial run would meet it first.
  for (const SeedOutcome& outcome : outcomes) {
    if (outcome.ran && !outcome.error.ok()) return outcome.error;
  }
  summary.time_limited = time_limited;
  bool need_dir = false;
  for (size_t i = 0; i < seeds.size(); ++i) {
    const SeedOutcome& outcome = outcomes[i];
    if (!outcome.ran) continue;
    ++summary.seeds;
    for (const auto& [branch, count] : outcome.coverage) {
      summary.coverage[branch] += count;
    }
    if (outcome.checks.empty()) continue;
    need_dir = true;
    FuzzFinding finding;
    finding.seed = seeds[i];
    finding.check = outcome.checks.front();
    finding.checks = outcome.checks;
    finding.protocol = outcome.protocol;
    finding.detail = outcome.detail;
    finding.trace_hash = outcome.trace_hash;
    summary.findings.push_back(std::move(finding));
    for (const std::string& check : outcome.checks) ++summary.by_check[check];
  }
  summary.branches = std::move(branches);
  for (const std::string& branch : summary.branches) {
    summary.coverage.try_emplace(branch, 0);
  }

  // Violation files: the case as run, plus what it must fail.
  if (need_dir) {
    std::error_code ec;
    std::filesystem::create_directories(config.out_dir, ec);
    if (ec) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--out ", config.out_dir, ": cannot create: ", ec.message()));
    }
  }
  size_t next_outcome = 0;
  for (FuzzFinding& finding : summary.findings) {
    while (seeds[next_outcome] != finding.seed) ++next_outcome;
    nlohmann::json file = outcomes[next_outcome].scenario;
    file["seed"] = finding.seed;
    file["expect"] = ViolationExpect(
        finding.protocol, finding.check,
        absl::StrCat("found by epsim fuzz, seed ", finding.seed, ", model ",
                     summary.model, ": ", finding.detail));
    finding.file =
        ViolationPath(config.out_dir, spec->name, finding.seed, finding.check);
    if (auto s = WriteFileAtomically(finding.file, file.dump(2) + "\n");
        !s.ok()) {
      return s;
    }
  }

  if (config.shrink && !summary.findings.empty()) {
    std::vector<absl::Status> errors(summary.findings.size());
    int64_t shrunk = 0;
    ParallelFor(
        std::max(1, config.jobs), summary.findings.size(),
        [&](size_t i) {
          FuzzFinding& finding = summary.findings[i];
          absl::StatusOr<scenarios::Scenario> scenario =
              scenarios::Scenario::Load(finding.file);
          if (!scenario.ok()) {
            errors[i] = scenario.status();
            return;
          }
          ShrinkOptions options;
          options.check = finding.check;
          options.max_runs = config.shrink_max_runs;
          absl::StatusOr<ShrinkResult> result = Shrink(*scenario, options);
          if (!result.ok()) {
            // Not reproducible on reload: say so in the report rather than
            // fail the campaign.
            finding.shrink_note =
                absl::StrCat("not shrunk: ", result.status().message());
          } else {
            finding.shrunk_file =
                finding.file.substr(0, finding.file.size() - 5) + ".min.json";
            finding.shrink_note = result->Describe();
            const nlohmann::json json = MinimalScenarioJson(
                *result, absl::StrCat("epsim shrink of ", finding.file, ": ",
                                      finding.shrink_note));
            errors[i] =
                WriteFileAtomically(finding.shrunk_file, json.dump(2) + "\n");
          }
          std::lock_guard<std::mutex> lock(mu);
          ++shrunk;
        },
        [] { return false; },
        [&] {
          if (!config.progress) return;
          std::lock_guard<std::mutex> lock(mu);
          config.progress(absl::StrCat("fuzz: shrinking, ", shrunk, "/",
                                       summary.findings.size(), " done"));
        });
    for (const absl::Status& s : errors) {
      if (!s.ok()) return s;
    }
  }
  summary.elapsed_s = Seconds(start);
  return summary;
}

nlohmann::json FuzzSummary::ToJson() const {
  nlohmann::json j;
  j["protocol"] = protocol;
  j["model"] = model;
  j["scenario"] = scenario;
  j["seed_range"] = seed_range;
  if (!shard.empty()) j["shard"] = shard;
  j["seeds"] = seeds;
  j["time_limited"] = time_limited;
  j["violations"] = findings.size();
  j["by_check"] = nlohmann::json::object();
  for (const auto& [check, count] : by_check) j["by_check"][check] = count;
  nlohmann::json list = nlohmann::json::array();
  nlohmann::json files = nlohmann::json::array();
  for (const FuzzFinding& f : findings) {
    nlohmann::json one;
    one["seed"] = f.seed;
    one["check"] = f.check;
    one["checks"] = f.checks;
    one["protocol"] = f.protocol;
    one["detail"] = f.detail;
    one["trace_hash"] = absl::StrFormat("%016x", f.trace_hash);
    one["file"] = f.file;
    one["shrunk_file"] = f.shrunk_file;
    one["shrink"] = f.shrink_note;
    list.push_back(one);
    files.push_back(f.file);
  }
  j["findings"] = list;
  j["files"] = files;
  j["coverage"] = nlohmann::json::object();
  nlohmann::json unreached = nlohmann::json::array();
  for (const auto& [branch, count] : coverage) {
    j["coverage"][branch] = count;
    if (count == 0 && branches.contains(branch)) unreached.push_back(branch);
  }
  j["branches"] = branches;
  j["unreached"] = unreached;
  j["elapsed_s"] = elapsed_s;
  j["seeds_per_second"] = elapsed_s > 0 ? seeds / elapsed_s : 0.0;
  return j;
}

absl::StatusOr<FuzzSummary> FuzzSummary::FromJson(const nlohmann::json& json,
                                                  const std::string& file) {
  using scenarios::JsonInputError;
  using scenarios::ObjectReader;
  try {
    ObjectReader r(json, file, "");
    FuzzSummary s;
    s.protocol = r.String("protocol");
    s.model = r.String("model");
    s.scenario = r.String("scenario");
    s.seed_range = r.String("seed_range");
    s.shard = r.String("shard", "");
    s.seeds = r.Int("seeds", 0, std::numeric_limits<int64_t>::max());
    s.time_limited = r.Bool("time_limited", false);
    const int64_t violations =
        r.Int("violations", 0, std::numeric_limits<int64_t>::max());
    ObjectReader by_check = r.Object("by_check");
    for (const auto& [check, value] : json.at("by_check").items()) {
      s.by_check[check] =
          by_check.Int(check, 0, std::numeric_limits<int64_t>::max());
    }
    by_check.Done();
    for (const auto& [path, item] : r.Array("findings")) {
      ObjectReader f(*item, file, path);
      FuzzFinding finding;
      finding.seed = static_cast<uint64_t>(
          f.Int("seed", 0, std::numeric_limits<int64_t>::max()));
      finding.check = f.String("check");
      for (const auto& [check_path, check] : f.Array("checks")) {
        if (!check->is_string()) {
          scenarios::FailAt(file, check_path, "a check name", *check);
        }
        finding.checks.push_back(check->get<std::string>());
      }
      finding.protocol = f.String("protocol");
      finding.detail = f.String("detail", "");
      const std::string hash = f.String("trace_hash");
      if (!absl::SimpleHexAtoi(hash, &finding.trace_hash)) {
        f.Fail("trace_hash", "16 hexadecimal digits");
      }
      finding.file = f.String("file");
      finding.shrunk_file = f.String("shrunk_file", "");
      finding.shrink_note = f.String("shrink", "");
      f.Done();
      s.findings.push_back(std::move(finding));
    }
    if (violations != static_cast<int64_t>(s.findings.size())) {
      r.Fail("violations",
             absl::StrCat("the number of findings (", s.findings.size(), ")"));
    }
    r.Raw("files");  // derived from the findings
    ObjectReader coverage = r.Object("coverage");
    for (const auto& [branch, value] : json.at("coverage").items()) {
      s.coverage[branch] =
          coverage.Int(branch, 0, std::numeric_limits<int64_t>::max());
    }
    coverage.Done();
    for (const auto& [path, branch] : r.Array("branches")) {
      if (!branch->is_string()) {
        scenarios::FailAt(file, path, "a branch name", *branch);
      }
      s.branches.insert(branch->get<std::string>());
    }
    r.Raw("unreached");  // derived from coverage and branches
    s.elapsed_s = r.Number("elapsed_s", 0, 1e12);
    r.Number("seeds_per_second", 0, 1e12);
    r.Done();
    return s;
  } catch (const JsonInputError& e) {
    return absl::InvalidArgumentError(e.message);
  }
}

absl::StatusOr<FuzzSummary> MergeShards(
    const std::vector<std::pair<std::string, FuzzSummary>>& shards) {
  if (shards.empty()) {
    return absl::InvalidArgumentError("merge: no shard result files given");
  }
  const FuzzSummary& first = shards.front().second;
  const std::string& first_file = shards.front().first;
  FuzzSummary merged;
  merged.protocol = first.protocol;
  merged.model = first.model;
  merged.scenario = first.scenario;
  merged.seed_range = first.seed_range;
  int count = -1;
  std::vector<std::string> seen;
  for (const auto& [file, shard] : shards) {
    auto mismatch = [&](const char* field, const std::string& want,
                        const std::string& got) {
      return absl::InvalidArgumentError(absl::StrCat(
          file, ": ", field, ": expected \"", want, "\" as in ", first_file,
          " (shards of one campaign), got \"", got, "\""));
    };
    if (shard.protocol != first.protocol) {
      return mismatch("protocol", first.protocol, shard.protocol);
    }
    if (shard.model != first.model) {
      return mismatch("model", first.model, shard.model);
    }
    if (shard.scenario != first.scenario) {
      return mismatch("scenario", first.scenario, shard.scenario);
    }
    if (shard.seed_range != first.seed_range) {
      return mismatch("seed_range", first.seed_range, shard.seed_range);
    }
    absl::StatusOr<std::pair<int, int>> id =
        ParseShard(shard.shard.empty() ? "0/1" : shard.shard);
    if (!id.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(file, ": shard: ", id.status().message()));
    }
    if (count == -1) {
      count = id->second;
      seen.assign(count, "");
    } else if (id->second != count) {
      return mismatch("shard", absl::StrCat("i/", count), shard.shard);
    }
    if (!seen[id->first].empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          file, ": shard: ", shard.shard, " also in ", seen[id->first]));
    }
    seen[id->first] = file;
    merged.seeds += shard.seeds;
    merged.time_limited |= shard.time_limited;
    merged.findings.insert(merged.findings.end(), shard.findings.begin(),
                           shard.findings.end());
    for (const auto& [check, n] : shard.by_check) merged.by_check[check] += n;
    for (const auto& [branch, n] : shard.coverage) merged.coverage[branch] += n;
    merged.branches.insert(shard.branches.begin(), shard.branches.end());
    merged.elapsed_s = std::max(merged.elapsed_s, shard.elapsed_s);
  }
  for (int i = 0; i < count; ++i) {
    if (seen[i].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("merge: shard ", i, "/", count, " missing (have ",
                       shards.size(), " of ", count, " result files)"));
    }
  }
  std::stable_sort(merged.findings.begin(), merged.findings.end(),
                   [](const FuzzFinding& a, const FuzzFinding& b) {
                     return a.seed < b.seed;
                   });
  return merged;
}

void PrintFuzzSummary(const FuzzSummary& summary, std::ostream& out) {
  out << absl::StrFormat(
      "fuzz %s (model %s) on %s, seeds %s%s: %d seeds in %.1f s (%.1f "
      "seeds/s)%s\n",
      summary.protocol, summary.model, summary.scenario, summary.seed_range,
      summary.shard.empty() ? "" : absl::StrCat(", shard ", summary.shard),
      summary.seeds, summary.elapsed_s,
      summary.elapsed_s > 0 ? summary.seeds / summary.elapsed_s : 0.0,
      summary.time_limited ? " (stopped by --time-limit)" : "");
  out << "violations: " << summary.findings.size() << " seeds\n";
  for (const auto& [check, count] : summary.by_check) {
    out << absl::StrFormat("  %-18s %d\n", check, count);
  }
  for (const FuzzFinding& f : summary.findings) {
    out << absl::StrFormat("seed %d: %s (%s)\n  %s\n  replay: epsim run %s\n",
                           f.seed, f.check, f.protocol, f.detail, f.file);
    if (!f.shrunk_file.empty()) {
      out << "  shrunk: " << f.shrunk_file << " (" << f.shrink_note << ")\n";
    } else if (!f.shrink_note.empty()) {
      out << "  " << f.shrink_note << "\n";
    }
  }
  if (summary.coverage.empty()) return;
  scenarios::PrintCoverage(summary.coverage, summary.branches,
                           "summed over seeds", out);
}

}  // namespace epsim::fuzz
