// `epsim check HISTORY`: is a history file linearizable?
//
// Keys are decided independently by checker::CheckKey; with --jobs N they are
// spread over N threads (threads are not allowed in checker/, so the pool
// lives here). Results are merged in key order, so the verdict and the output
// do not depend on thread timing (only a --timeout near the edge can).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "checker/history.h"
#include "checker/linearizability.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "nlohmann/json.hpp"

namespace epsim::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Checks every key on `jobs` threads. Each key may spend `timeout_seconds`
// (<= 0: no limit) in all of checker::CheckKeys's rounds together.
checker::LinearizabilityResult CheckParallel(const checker::History& history,
                                             int jobs, double timeout_seconds) {
  const std::vector<checker::KeyHistory> keys = checker::SplitByKey(history);
  std::vector<double> spent(keys.size(), 0.0);  // seconds, per key
  auto run = [&](const std::vector<size_t>& indices, int64_t max_steps) {
    std::vector<checker::KeyResult> results(indices.size());
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (size_t j = next++; j < indices.size(); j = next++) {
        const size_t k = indices[j];
        checker::SearchLimits limits;
        limits.max_steps = max_steps;
        const Clock::time_point start = Clock::now();
        if (timeout_seconds > 0) {
          const Clock::time_point deadline =
              start + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(
                              std::max(0.0, timeout_seconds - spent[k])));
          limits.expired = [deadline] { return Clock::now() >= deadline; };
        }
        results[j] = checker::CheckKey(history, keys[k], limits);
        spent[k] += std::chrono::duration<double>(Clock::now() - start).count();
      }
    };
    const int threads =
        std::max(1, std::min<int>(jobs, static_cast<int>(indices.size())));
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (std::thread& t : pool) t.join();
    return results;
  };
  return checker::CheckKeys(keys, checker::SearchLimits{}, run);
}

nlohmann::ordered_json OperationJson(const checker::History& history,
                                     const std::vector<size_t>& indices) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (size_t i : indices) {
    const checker::Operation& op = history.operations[i];
    out.push_back({{"id", op.id}, {"description", op.ToString()}});
  }
  return out;
}

}  // namespace

int CheckCommand(const Args& args) {
  std::string path;
  bool json = false;
  double timeout = 0;
  int64_t jobs = 1;
  FlagParser flags("epsim check",
                   "Decides whether a history file (docs/history-format.md) "
                   "is linearizable.\nExit 0 linearizable, 1 not, 2 invalid "
                   "file, 3 undecided within --timeout.");
  flags.Positional("HISTORY", &path, "an epsim-history JSON file");
  flags.Bool("json", &json, "print one JSON object instead of text");
  flags.Double("timeout", &timeout,
               "seconds allowed per key (default: no limit)");
  flags.Int("jobs", &jobs, "keys checked in parallel (default 1)");
  if (absl::Status s = flags.Parse(args); !s.ok()) return flags.Fail(s);
  if (jobs < 1) {
    return flags.Fail(absl::InvalidArgumentError("--jobs must be at least 1"));
  }
  if (timeout < 0) {
    return flags.Fail(
        absl::InvalidArgumentError("--timeout must not be negative"));
  }

  const Clock::time_point start = Clock::now();
  absl::StatusOr<checker::History> history = checker::ReadHistoryFile(path);
  if (!history.ok()) {
    const std::string message(history.status().message());
    if (json) {
      nlohmann::ordered_json out = {{"verdict", "invalid"},
                                    {"keys", 0},
                                    {"operations", 0},
                                    {"seconds", 0.0},
                                    {"error", message}};
      std::cout << out.dump() << "\n";
    }
    std::cerr << "epsim check: " << message << "\n";
    return kExitBadInput;
  }
  const checker::LinearizabilityResult result =
      CheckParallel(*history, static_cast<int>(jobs), timeout);
  const double seconds =
      std::chrono::duration<double>(Clock::now() - start).count();

  if (json) {
    nlohmann::ordered_json out;
    out["verdict"] = std::string(checker::VerdictName(result.verdict));
    out["keys"] = result.keys;
    out["operations"] = result.operations;
    out["seconds"] = seconds;
    nlohmann::ordered_json violations = nlohmann::ordered_json::array();
    nlohmann::ordered_json undecided = nlohmann::ordered_json::array();
    nlohmann::ordered_json skipped = nlohmann::ordered_json::array();
    for (const checker::KeyResult& r : result.results) {
      if (r.verdict == checker::Verdict::kViolation) {
        violations.push_back(
            {{"key", r.key},
             {"operations", OperationJson(*history, r.conflict)},
             {"longest_prefix", OperationJson(*history, r.longest_prefix)}});
      } else if (r.verdict == checker::Verdict::kTimeout) {
        undecided.push_back(r.key);
      } else if (r.verdict == checker::Verdict::kSkipped) {
        skipped.push_back(r.key);
      }
    }
    out["violations"] = violations;
    out["undecided_keys"] = undecided;
    out["skipped_keys"] = skipped;
    std::cout << out.dump() << "\n";
  } else {
    for (const checker::KeyResult& r : result.results) {
      if (r.verdict != checker::Verdict::kLinearizable) {
        std::cout << checker::DescribeKeyResult(*history, r);
      }
    }
    std::cout << absl::StrFormat("%s: %s (%d keys, %d operations, %.3f s)\n",
                                 path, checker::VerdictName(result.verdict),
                                 result.keys, result.operations, seconds);
  }
  switch (result.verdict) {
    case checker::Verdict::kLinearizable:
      return kExitOk;
    case checker::Verdict::kViolation:
      return kExitViolation;
    case checker::Verdict::kTimeout:
      return kExitUndecided;
    case checker::Verdict::kSkipped:
      break;  // never the verdict of a whole history
  }
  return kExitViolation;
}

}  // namespace epsim::cli
