// `epsim bench check`: operations per second of the linearizability checker.
//
// Histories are generated deterministically and are linearizable by
// construction: each operation gets a random interval (clients are
// closed-loop, intervals of different clients overlap heavily) and a
// linearization point inside it, and a real register applied in point order
// gives the outputs. A few operations never return (their client is replaced
// by a fresh one, as Jepsen does) and take effect or not. The third workload
// corrupts one read, to time the violation path (search, shrinking, prefix).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "checker/history.h"
#include "checker/linearizability.h"
#include "cli/bench.h"
#include "cli/cli.h"
#include "nlohmann/json.hpp"
#include "sim/random.h"

namespace epsim::cli {
namespace {

struct Workload {
  std::string name;
  std::string description;
  int keys;
  int clients;
  int operations;
  bool corrupt_one_read;
  checker::Verdict expected;
};

checker::History Generate(const Workload& w, uint64_t seed) {
  sim::Rng rng(seed);
  checker::History h;
  struct Point {
    int64_t at;
    size_t index;
    bool takes_effect;
  };
  std::vector<Point> points;
  std::vector<int64_t> client_id(w.clients);
  std::vector<int64_t> client_free(w.clients, 0);
  for (int c = 0; c < w.clients; ++c) client_id[c] = c;
  int64_t next_client = w.clients;
  for (int i = 0; i < w.operations; ++i) {
    const int c = static_cast<int>(rng.Below(w.clients));
    checker::Operation op;
    op.id = i;
    op.client = client_id[c];
    op.key = absl::StrCat("k", rng.Below(w.keys));
    const uint64_t kind = rng.Below(100);
    op.op = kind < 35   ? protocol::OpType::kPut
            : kind < 80 ? protocol::OpType::kGet
            : kind < 90 ? protocol::OpType::kAppend
                        : protocol::OpType::kCas;
    if (op.op != protocol::OpType::kGet) op.value = absl::StrCat("v", i);
    op.call = client_free[c] + rng.Between(0, 10);
    const int64_t duration = rng.Between(1, 20 * w.clients);
    op.ret = op.call + duration;
    bool takes_effect = true;
    if (rng.Bernoulli(0.01)) {
      op.ret.reset();
      takes_effect = rng.Bernoulli(0.5);
      client_id[c] = next_client++;  // the client is gone; a fresh one
    } else {
      client_free[c] = *op.ret + 1;
    }
    points.push_back({op.call + rng.Between(0, duration), h.operations.size(),
                      takes_effect});
    h.operations.push_back(std::move(op));
  }
  std::stable_sort(points.begin(), points.end(),
                   [](const Point& a, const Point& b) { return a.at < b.at; });
  std::map<std::string, std::optional<std::string>> state;
  std::vector<std::string> written;  // recent values, for cas expectations
  for (const Point& p : points) {
    checker::Operation& op = h.operations[p.index];
    if (!p.takes_effect) continue;
    std::optional<std::string>& value = state[op.key];
    switch (op.op) {
      case protocol::OpType::kPut:
        value = op.value;
        break;
      case protocol::OpType::kGet:
        op.output.value = value;
        break;
      case protocol::OpType::kAppend:
        value = value.value_or("") + op.value;
        break;
      case protocol::OpType::kCas:
        op.expected = rng.Bernoulli(0.5) || written.empty()
                          ? value
                          : written[rng.Below(written.size())];
        op.output.cas_succeeded = value == op.expected;
        if (op.output.cas_succeeded) value = op.value;
        break;
    }
    if (value) written.push_back(*value);
  }
  if (w.corrupt_one_read) {
    // The last returned read of the history sees a value never written.
    for (size_t i = h.operations.size(); i-- > 0;) {
      checker::Operation& op = h.operations[i];
      if (op.op == protocol::OpType::kGet && op.returned()) {
        op.output.value = "never-written";
        break;
      }
    }
  }
  return h;
}

}  // namespace

int BenchCheck(const BenchOptions& options) {
  const std::vector<Workload> workloads = {
      {"kv-10keys-50clients", "10 keys, 50 clients, 2,000 operations", 10, 50,
       2000, false, checker::Verdict::kLinearizable},
      {"register-20clients", "one key, 20 concurrent clients, 200 operations",
       1, 20, 200, false, checker::Verdict::kLinearizable},
      {"kv-10keys-violation",
       "10 keys, 50 clients, 2,000 operations, one read corrupted", 10, 50,
       2000, true, checker::Verdict::kViolation},
  };
  ProgressLine progress(options.quiet || options.json);
  nlohmann::json results = nlohmann::json::array();
  for (const Workload& w : workloads) {
    const checker::History history = Generate(w, /*seed=*/1);
    if (absl::Status s = checker::ValidateHistory(history, w.name); !s.ok()) {
      std::cerr << "bench check: generated an invalid history: " << s << "\n";
      return kExitViolation;
    }
    std::vector<double> rates;
    std::vector<double> seconds;
    checker::LinearizabilityResult result;
    for (int64_t r = 0; r < options.repetitions; ++r) {
      progress.Update(absl::StrFormat("bench check %s: run %d/%d", w.name,
                                      r + 1, options.repetitions));
      const auto start = std::chrono::steady_clock::now();
      result = checker::CheckLinearizability(history);
      const double s = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count();
      seconds.push_back(s);
      rates.push_back(static_cast<double>(history.operations.size()) / s);
    }
    progress.Finish();
    if (result.verdict != w.expected) {
      std::cerr << "bench check: " << w.name << ": expected "
                << checker::VerdictName(w.expected) << ", got "
                << checker::VerdictName(result.verdict) << "\n";
      return kExitViolation;
    }
    int64_t steps = 0;
    for (const checker::KeyResult& k : result.results) steps += k.steps;
    const double median = Median(rates);
    results.push_back(
        {{"name", w.name},
         {"description", w.description},
         {"operations", history.operations.size()},
         {"verdict", std::string(checker::VerdictName(result.verdict))},
         {"search_steps", steps},
         {"operations_per_second_median", median},
         {"seconds_median", Median(seconds)},
         {"runs", rates}});
    if (!options.json) {
      std::cout << absl::StrFormat(
          "check %-20s %9.0f ops/s (median of %d; %.4f s per history), %s, "
          "%d search steps  [%s]\n",
          w.name, median, options.repetitions, Median(seconds),
          checker::VerdictName(result.verdict), steps, w.description);
    }
  }
  if (options.json) {
    nlohmann::json out = {{"bench", "check"},
                          {"repetitions", options.repetitions},
                          {"results", results}};
    std::cout << out.dump() << "\n";
  }
  return kExitOk;
}

}  // namespace epsim::cli
