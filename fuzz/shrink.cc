#include "fuzz/shrink.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/strings.h"
#include "fuzz/fuzz_plan.h"
#include "protocol/common/protocol.h"
#include "scenarios/script.h"
#include "scenarios/simulation.h"

namespace epsim::fuzz {
namespace {

using scenarios::FaultEvent;
using scenarios::Scenario;
using Kind = FaultEvent::Kind;

// Zeller and Hildebrandt's ddmin over the items [0, count): returns a subset
// for which `fails` holds and from which no single item can be removed
// (unless `exhausted` cut the search short).
std::vector<int> DdMin(
    int count, bool allow_empty,
    const std::function<bool(const std::vector<int>&)>& fails,
    const std::function<bool()>& exhausted) {
  std::vector<int> items(count);
  for (int i = 0; i < count; ++i) items[i] = i;
  size_t granularity = 2;
  while (items.size() >= 2 && !exhausted()) {
    const size_t size = items.size();
    granularity = std::min(granularity, size);
    std::vector<std::vector<int>> chunks;
    for (size_t c = 0; c < granularity; ++c) {
      chunks.emplace_back(items.begin() + c * size / granularity,
                          items.begin() + (c + 1) * size / granularity);
    }
    bool reduced = false;
    if (granularity > 2) {
      for (const auto& chunk : chunks) {
        if (exhausted()) break;
        if (fails(chunk)) {
          items = chunk;
          granularity = 2;
          reduced = true;
          break;
        }
      }
    }
    for (size_t c = 0; !reduced && c < chunks.size() && !exhausted(); ++c) {
      std::vector<int> complement;
      for (size_t d = 0; d < chunks.size(); ++d) {
        if (d != c) {
          complement.insert(complement.end(), chunks[d].begin(),
                            chunks[d].end());
        }
      }
      if (fails(complement)) {
        items = std::move(complement);
        granularity = std::max<size_t>(granularity - 1, 2);
        reduced = true;
      }
    }
    if (!reduced) {
      if (granularity >= size) break;
      granularity = std::min(granularity * 2, size);
    }
  }
  if (items.size() == 1 && allow_empty && !exhausted() && fails({})) {
    items.clear();
  }
  return items;
}

// Whether `key`'s spec covers `run`: same name, and every option the key
// gives has the same value in the run (scenarios/script.h ProtocolSelector).
bool SpecCovers(const protocol::ProtocolSpec& key,
                const protocol::ProtocolSpec& run) {
  if (key.name != run.name) return false;
  for (const auto& [option, value] : key.options) {
    auto it = run.options.find(option);
    if (it == run.options.end() || it->second != value) return false;
  }
  return true;
}

class Shrinker {
 public:
  Shrinker(Scenario scenario, protocol::ProtocolSpec spec, std::string check,
           const ShrinkOptions& options)
      : current_(std::move(scenario)),
        spec_(std::move(spec)),
        check_(std::move(check)),
        options_(options) {
    current_.protocol = spec_.ToString();
  }

  bool Fails(const Scenario& candidate) {
    ++runs_;
    scenarios::RunOptions run;
    run.skip_linearizability = check_ != "linearizability";
    absl::StatusOr<scenarios::RunResult> result =
        scenarios::Simulate(candidate, run);
    if (!result.ok()) return false;
    for (const scenarios::Violation& v : result->violations) {
      if (v.check == check_) return true;
    }
    return false;
  }
  bool Exhausted() const { return runs_ >= options_.max_runs; }

  // One pass over every dimension; true if anything got smaller.
  bool Pass();

  Scenario& current() { return current_; }
  const protocol::ProtocolSpec& spec() const { return spec_; }
  int runs() const { return runs_; }
  std::vector<std::string>& timers_removed() { return timers_removed_; }

 private:
  bool ShrinkFaults();
  // Lowers *value towards `floor`, trying the smallest candidates first.
  bool ShrinkInt(int* value, int floor);
  bool ShrinkClientSites();
  bool ShrinkTimers();
  void Progress() {
    if (options_.progress) {
      options_.progress(absl::StrCat("shrink: ", runs_, " runs, ",
                                     current_.faults.size(), " fault events, ",
                                     current_.workload.commands_per_client,
                                     " commands per client"));
    }
  }

  Scenario current_;
  protocol::ProtocolSpec spec_;
  std::string check_;
  const ShrinkOptions& options_;
  int runs_ = 0;
  std::vector<std::string> timers_removed_;
};

bool Shrinker::ShrinkFaults() {
  const std::vector<FaultEvent> faults = current_.faults;
  const std::vector<std::vector<int>> units = FaultUnits(faults);
  auto with_units = [&](const std::vector<int>& chosen) {
    std::vector<int> events;
    for (int u : chosen)
      events.insert(events.end(), units[u].begin(), units[u].end());
    std::sort(events.begin(), events.end());
    std::vector<FaultEvent> kept;
    for (int e : events) kept.push_back(faults[e]);
    return kept;
  };
  const std::vector<int> kept = DdMin(
      static_cast<int>(units.size()), /*allow_empty=*/true,
      [&](const std::vector<int>& chosen) {
        Scenario candidate = current_;
        candidate.faults = with_units(chosen);
        const bool fails = Fails(candidate);
        Progress();
        return fails;
      },
      [&] { return Exhausted(); });
  if (kept.size() == units.size()) return false;
  current_.faults = with_units(kept);
  return true;
}

bool Shrinker::ShrinkInt(int* value, int floor) {
  bool changed = false;
  while (!Exhausted()) {
    const int v = *value;
    std::vector<int> candidates = {floor, floor + 1, v / 8, v / 4,
                                   v / 2, 3 * v / 4, v - 1};
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()),
                     candidates.end());
    bool reduced = false;
    for (int c : candidates) {
      if (c < floor || c >= v || Exhausted()) continue;
      *value = c;
      const bool fails = Fails(current_);
      Progress();
      if (fails) {
        reduced = changed = true;
        break;
      }
      *value = v;
    }
    if (!reduced) break;
  }
  return changed;
}

bool Shrinker::ShrinkClientSites() {
  const std::vector<int> sites = current_.workload.client_sites;
  if (sites.size() < 2) return false;
  auto pick = [&](const std::vector<int>& chosen) {
    std::vector<int> kept;
    for (int i : chosen) kept.push_back(sites[i]);
    return kept;
  };
  const std::vector<int> kept = DdMin(
      static_cast<int>(sites.size()), /*allow_empty=*/false,
      [&](const std::vector<int>& chosen) {
        if (chosen.empty()) return false;
        Scenario candidate = current_;
        candidate.workload.client_sites = pick(chosen);
        return Fails(candidate);
      },
      [&] { return Exhausted(); });
  if (kept.size() == sites.size()) return false;
  current_.workload.client_sites = pick(kept);
  return true;
}

bool Shrinker::ShrinkTimers() {
  bool changed = false;
  for (const std::string& key : TimerOptionNames(spec_.name)) {
    if (!spec_.options.contains(key) || Exhausted()) continue;
    protocol::ProtocolSpec without = spec_;
    without.options.erase(key);
    Scenario candidate = current_;
    candidate.protocol = without.ToString();
    if (Fails(candidate)) {
      spec_ = std::move(without);
      current_.protocol = spec_.ToString();
      timers_removed_.push_back(key);
      changed = true;
    }
  }
  return changed;
}

bool Shrinker::Pass() {
  bool changed = ShrinkFaults();
  changed |= ShrinkInt(&current_.workload.commands_per_client, 1);
  changed |= ShrinkInt(&current_.workload.clients_per_site, 1);
  changed |= ShrinkClientSites();
  changed |= ShrinkTimers();
  return changed;
}

int Commands(const Scenario& s) {
  return s.workload.commands_per_client * s.workload.clients_per_site *
         static_cast<int>(s.workload.client_sites.size());
}
int Clients(const Scenario& s) {
  return s.workload.clients_per_site *
         static_cast<int>(s.workload.client_sites.size());
}

// The check the scenario's "expect" says `spec` must fail, if any.
std::string ExpectedCheck(const Scenario& scenario,
                          const protocol::ProtocolSpec& spec) {
  if (scenario.expect.is_null()) return "";
  absl::StatusOr<scenarios::Expectation> expect =
      scenarios::Expectation::FromJson(scenario.expect, scenario.file);
  if (!expect.ok()) return "";
  for (const auto& [key, verdict] : expect->verdicts) {
    absl::StatusOr<protocol::ProtocolSpec> key_spec =
        protocol::ProtocolSpec::Parse(key);
    if (key_spec.ok() && verdict != "ok" && SpecCovers(*key_spec, spec)) {
      return verdict;
    }
  }
  return "";
}

}  // namespace

std::vector<std::vector<int>> FaultUnits(
    const std::vector<FaultEvent>& faults) {
  const int count = static_cast<int>(faults.size());
  std::vector<bool> taken(count, false);
  std::vector<std::vector<int>> units;
  auto closes = [](const FaultEvent& open, const FaultEvent& e) {
    switch (open.kind) {
      case Kind::kCrash:
        return e.kind == Kind::kRestart && e.replica == open.replica;
      case Kind::kPause:
        return e.kind == Kind::kResume && e.replica == open.replica;
      case Kind::kPartition:
        return e.kind == Kind::kHeal;
      case Kind::kCut:
        return e.kind == Kind::kRestore && e.from == open.from &&
               e.to == open.to;
      case Kind::kLoss:
      case Kind::kDuplication:
      case Kind::kJitter:
      case Kind::kLinkKind:
        return e.kind == open.kind;
      case Kind::kSlow:
        return e.kind == Kind::kSlow && e.from == open.from && e.to == open.to;
      default:
        return false;
    }
  };
  for (int i = 0; i < count; ++i) {
    if (taken[i]) continue;
    taken[i] = true;
    std::vector<int> unit = {i};
    for (int j = i + 1; j < count; ++j) {
      if (!taken[j] && closes(faults[i], faults[j])) {
        taken[j] = true;
        unit.push_back(j);
        break;
      }
    }
    units.push_back(std::move(unit));
  }
  return units;
}

std::string ShrinkResult::Describe() const {
  std::string text = absl::StrCat(
      "fault events ", fault_events_before, " -> ", fault_events_after,
      ", commands ", commands_before, " -> ", commands_after, ", clients ",
      clients_before, " -> ", clients_after);
  if (!timers_removed.empty()) {
    absl::StrAppend(
        &text, ", timer options dropped: ", absl::StrJoin(timers_removed, " "));
  }
  absl::StrAppend(&text, " (", runs, " runs",
                  budget_exhausted ? ", run budget exhausted" : "", ")");
  return text;
}

nlohmann::json ViolationExpect(const std::string& protocol,
                               const std::string& check,
                               const std::string& note) {
  nlohmann::json expect = nlohmann::json::object();
  expect[protocol] = check;
  expect["class"] = check == "liveness" || check == "budget"
                        ? std::string("liveness")
                        : "safety: " + check;
  if (!note.empty()) expect["note"] = note;
  return expect;
}

nlohmann::json MinimalScenarioJson(const ShrinkResult& result,
                                   const std::string& note) {
  Scenario minimal = result.minimal;
  minimal.expect = ViolationExpect(result.protocol, result.check, note);
  return minimal.ToJson();
}

absl::StatusOr<ShrinkResult> Shrink(const Scenario& scenario,
                                    const ShrinkOptions& options) {
  if (!scenario.script.is_null()) {
    return absl::InvalidArgumentError(absl::StrCat(
        scenario.file,
        ": script: shrink works on timed fault plans; a scripted scenario's "
        "steps are not shrunk"));
  }
  absl::StatusOr<protocol::ProtocolSpec> spec = protocol::ProtocolSpec::Parse(
      options.protocol.empty() ? scenario.protocol : options.protocol);
  if (!spec.ok()) return spec.status();
  std::string check = options.check;
  if (check.empty()) check = ExpectedCheck(scenario, *spec);
  Scenario start = scenario;
  start.protocol = spec->ToString();
  if (check.empty()) {
    scenarios::RunOptions run;
    absl::StatusOr<scenarios::RunResult> result =
        scenarios::Simulate(start, run);
    if (!result.ok()) return result.status();
    if (result->ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(scenario.file, ": passes every check with ",
                       start.protocol, "; nothing to shrink"));
    }
    check = result->violations.front().check;
  }
  Shrinker shrinker(start, *spec, check, options);
  if (!shrinker.Fails(shrinker.current())) {
    return absl::FailedPreconditionError(
        absl::StrCat(scenario.file, ": does not fail check \"", check,
                     "\" with ", start.protocol, "; nothing to shrink"));
  }
  while (!shrinker.Exhausted() && shrinker.Pass()) {
  }
  ShrinkResult result;
  result.minimal = shrinker.current();
  // What gets written must fail as it is read back.
  absl::StatusOr<Scenario> reread =
      Scenario::FromJson(result.minimal.ToJson(), scenario.file);
  result.verified = reread.ok() && shrinker.Fails(*reread);
  result.minimal.name = scenario.name + "-min";
  result.check = check;
  result.protocol = shrinker.spec().ToString();
  result.runs = shrinker.runs();
  result.budget_exhausted = shrinker.Exhausted();
  result.fault_events_before = static_cast<int>(scenario.faults.size());
  result.fault_events_after = static_cast<int>(result.minimal.faults.size());
  result.commands_before = Commands(scenario);
  result.commands_after = Commands(result.minimal);
  result.clients_before = Clients(scenario);
  result.clients_after = Clients(result.minimal);
  result.timers_removed = shrinker.timers_removed();
  return result;
}

}  // namespace epsim::fuzz
