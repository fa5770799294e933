#include "checker/linearizability.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "base/strings.h"

namespace epsim::checker {
namespace {

using protocol::OpType;

// Register states and values are interned strings; these two are not.
constexpr int32_t kAbsent = -1;
constexpr int32_t kImpossible = -2;
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Interns the register's values so that states compare as integers.
class Values {
 public:
  int32_t Intern(const std::string& s) {
    auto [it, fresh] =
        ids_.try_emplace(s, static_cast<int32_t>(strings_.size()));
    if (fresh) strings_.push_back(s);
    return it->second;
  }
  int32_t Intern(const std::optional<std::string>& s) {
    return s ? Intern(*s) : kAbsent;
  }
  // The state after appending `suffix` to `state` (absent counts as "").
  int32_t Append(int32_t state, int32_t suffix) {
    const uint64_t key =
        (static_cast<uint64_t>(static_cast<uint32_t>(state)) << 32) |
        static_cast<uint32_t>(suffix);
    auto it = appended_.find(key);
    if (it != appended_.end()) return it->second;
    std::string joined = state == kAbsent ? std::string() : strings_[state];
    joined += strings_[suffix];
    const int32_t result = Intern(joined);
    appended_.emplace(key, result);
    return result;
  }

  // Whether appends alone can turn `from` into `to`: `to` extends `from`
  // (absent counts as the empty string, and only absent reaches absent).
  bool Reaches(int32_t from, int32_t to) {
    if (to == kAbsent) return from == kAbsent;
    if (from == kAbsent || from == to) return true;
    const uint64_t key =
        (static_cast<uint64_t>(static_cast<uint32_t>(from)) << 32) |
        static_cast<uint32_t>(to);
    auto it = reaches_.find(key);
    if (it != reaches_.end()) return it->second;
    const std::string& a = strings_[from];
    const std::string& b = strings_[to];
    const bool result = b.size() >= a.size() && b.compare(0, a.size(), a) == 0;
    reaches_.emplace(key, result);
    return result;
  }

 private:
  absl::flat_hash_map<uint64_t, bool> reaches_;
  absl::flat_hash_map<std::string, int32_t> ids_;
  std::vector<std::string> strings_;
  absl::flat_hash_map<uint64_t, int32_t> appended_;
};

// One operation of the key, ready for the search.
struct RegisterOp {
  OpType kind = OpType::kGet;
  bool pending = false;
  int32_t value = kAbsent;     // put, append, cas
  int32_t expected = kAbsent;  // cas
  int32_t output = kAbsent;    // get
  bool swapped = false;        // cas
  int64_t call = 0;
  int64_t ret = kNever;
  size_t origin = 0;  // index in History::operations
};

// The register's sequential specification: the state after `op`, or
// kImpossible when `op` could not have returned what it did in `state`.
int32_t Step(int32_t state, const RegisterOp& op, Values& values) {
  switch (op.kind) {
    case OpType::kPut:
      return op.value;
    case OpType::kGet:
      return op.pending || op.output == state ? state : kImpossible;
    case OpType::kAppend:
      return values.Append(state, op.value);
    case OpType::kCas: {
      const bool matches = state == op.expected;
      if (op.pending) return matches ? op.value : state;
      if (op.swapped) return matches ? op.value : kImpossible;
      return matches ? kImpossible : state;
    }
  }
  return kImpossible;
}

// The set of configurations (linearized operations, state) already visited.
// Open addressing over an arena of bitsets: no allocation per entry.
class ConfigCache {
 public:
  explicit ConfigCache(size_t words) : words_(words) { Rehash(1024); }

  // Adds the configuration; false if it was there already.
  bool Insert(const std::vector<uint64_t>& bits, uint64_t bits_hash,
              int32_t state) {
    const uint64_t hash = SplitMix64(
        bits_hash ^ (static_cast<uint64_t>(state) + 3) * 0x9E3779B97F4A7C15ULL);
    size_t slot = hash & mask_;
    while (slots_[slot] != 0) {
      const uint32_t e = slots_[slot] - 1;
      if (entries_[e].hash == hash && entries_[e].state == state &&
          std::memcmp(&pool_[e * words_], bits.data(),
                      words_ * sizeof(uint64_t)) == 0) {
        return false;
      }
      slot = (slot + 1) & mask_;
    }
    slots_[slot] = static_cast<uint32_t>(entries_.size()) + 1;
    entries_.push_back({hash, state});
    pool_.insert(pool_.end(), bits.begin(), bits.end());
    if (entries_.size() * 2 > slots_.size()) Rehash(slots_.size() * 2);
    return true;
  }

 private:
  struct Entry {
    uint64_t hash;
    int32_t state;
  };
  void Rehash(size_t size) {
    slots_.assign(size, 0);
    mask_ = size - 1;
    for (size_t e = 0; e < entries_.size(); ++e) {
      size_t slot = entries_[e].hash & mask_;
      while (slots_[slot] != 0) slot = (slot + 1) & mask_;
      slots_[slot] = static_cast<uint32_t>(e) + 1;
    }
  }

  size_t words_;
  std::vector<uint64_t> pool_;
  std::vector<Entry> entries_;
  std::vector<uint32_t> slots_;
  size_t mask_ = 0;
};

enum class Outcome { kLinearizable, kViolation, kAbandoned };

struct SearchResult {
  Outcome outcome = Outcome::kLinearizable;
  std::vector<size_t> longest;  // positions in `ops`, linearization order
  // Latest call the search ever looked at. Operations called after it were
  // never looked at, so dropping them leaves the search (and its failure)
  // unchanged.
  int64_t frontier = std::numeric_limits<int64_t>::min();
  int64_t steps = 0;
  bool out_of_steps = false;  // abandoned for max_steps, not `expired`
};

// Wing-Gong-Lowe search over `ops` (one key). Gives up after `max_steps`
// steps or when `expired` says so.
SearchResult Search(const std::vector<RegisterOp>& ops, int32_t initial,
                    Values& values, int64_t max_steps,
                    const std::function<bool()>& expired) {
  SearchResult result;
  const size_t n = ops.size();
  size_t remaining = 0;  // returned operations not linearized yet
  for (const RegisterOp& op : ops) remaining += op.pending ? 0 : 1;
  if (remaining == 0) return result;

  // Entries 0..n-1 are calls, n..2n-1 returns, 2n the list head. At equal
  // times calls come first (equal times overlap), and the returns of
  // pending operations come last.
  const int head = static_cast<int>(2 * n);
  std::vector<int> order(2 * n);
  for (size_t i = 0; i < 2 * n; ++i) order[i] = static_cast<int>(i);
  auto sort_key = [&](int e) {
    const RegisterOp& op = ops[e % n];
    const bool is_return = e >= static_cast<int>(n);
    return std::make_tuple(is_return ? op.ret : op.call, is_return,
                           is_return && op.pending, e % n);
  };
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return sort_key(a) < sort_key(b); });
  std::vector<int> next(2 * n + 1), prev(2 * n + 1);
  int last = head;
  for (int e : order) {
    next[last] = e;
    prev[e] = last;
    last = e;
  }
  next[last] = -1;

  auto lift = [&](int call) {
    for (int e : {call, call + static_cast<int>(n)}) {
      next[prev[e]] = next[e];
      if (next[e] != -1) prev[next[e]] = prev[e];
    }
  };
  auto unlift = [&](int call) {
    for (int e : {call + static_cast<int>(n), call}) {
      next[prev[e]] = e;
      if (next[e] != -1) prev[next[e]] = e;
    }
  };

  std::vector<uint64_t> zobrist(n);
  for (size_t i = 0; i < n; ++i) zobrist[i] = SplitMix64(i * 0x1000193ULL);
  std::vector<uint64_t> bits((n + 63) / 64, 0);
  uint64_t bits_hash = 0;
  auto flip = [&](size_t i) {
    bits[i / 64] ^= uint64_t{1} << (i % 64);
    bits_hash ^= zobrist[i];
  };
  ConfigCache cache(bits.size());
  int32_t state = initial;

  // A read-only operation (a get, a cas that failed) leaves the state as it
  // was. If one is legal in the current configuration C, linearizing it now
  // loses nothing: any linearization from C can be rearranged to start with
  // it (nothing unlinearized precedes it, and the state it leaves is the one
  // it found). So (1) legal read-only operations are taken first, without
  // trying alternatives, and (2) when the configuration after one fails, so
  // does C: backtracking goes on past it.
  auto read_only = [&](int call) {
    const RegisterOp& op = ops[call];
    return !op.pending && (op.kind == OpType::kGet ||
                           (op.kind == OpType::kCas && !op.swapped));
  };
  // Dead configurations. An operation that returned and saw a value (a get
  // its output, a successful cas its expected value) must find the register
  // holding it. From state x the register only grows by appends, or is reset
  // by a put or successful cas to that op's value and grows from there; and
  // only operations called by the observer's return can come before it. So
  // if the observed value extends neither x nor the value of any such reset
  // not yet linearized, no continuation exists. `resets_seen_by[r]` lists
  // the observers reset r could serve; `open_resets[o]` counts those of o
  // not linearized yet.
  constexpr size_t kMaxOpsForLookahead = 4000;  // the set-up is quadratic
  const bool lookahead = n <= kMaxOpsForLookahead;
  std::vector<int32_t> observed(n, kImpossible);
  std::vector<std::vector<int>> resets_seen_by(n);
  std::vector<int> open_resets(n, 0);
  if (lookahead) {
    for (size_t o = 0; o < n; ++o) {
      const RegisterOp& op = ops[o];
      if (op.pending) continue;
      if (op.kind == OpType::kGet) observed[o] = op.output;
      if (op.kind == OpType::kCas && op.swapped) observed[o] = op.expected;
    }
    for (size_t r = 0; r < n; ++r) {
      const RegisterOp& reset = ops[r];
      if (reset.kind != OpType::kPut &&
          !(reset.kind == OpType::kCas && (reset.swapped || reset.pending))) {
        continue;
      }
      for (size_t o = 0; o < n; ++o) {
        if (o == r || observed[o] == kImpossible || reset.call > ops[o].ret ||
            !values.Reaches(reset.value, observed[o])) {
          continue;
        }
        resets_seen_by[r].push_back(static_cast<int>(o));
        ++open_resets[o];
      }
    }
  }
  auto dead = [&](int o) {
    return observed[o] != kImpossible && open_resets[o] == 0 &&
           !values.Reaches(state, observed[o]);
  };

  struct Choice {
    int call;
    int32_t state_before;
  };
  std::vector<Choice> stack;
  stack.reserve(n);
  size_t synced = 0;  // stack[0..synced) equals result.longest[0..synced)

  // Linearizes `call` (legal, configuration new). Returns true when every
  // returned operation is placed.
  auto push = [&](int call, int32_t after) {
    stack.push_back({call, state});
    state = after;
    lift(call);
    for (int o : resets_seen_by[call]) --open_resets[o];
    if (!ops[call].pending && --remaining == 0) return true;
    if (stack.size() > result.longest.size()) {
      result.longest.resize(stack.size());
      for (size_t i = synced; i < stack.size(); ++i) {
        result.longest[i] = stack[i].call;
      }
      synced = stack.size();
    }
    return false;
  };
  // The current configuration failed: undo choices until one that may have
  // alternatives. Returns the entry to continue from, or -1 if none is left.
  auto backtrack = [&]() {
    while (!stack.empty()) {
      const Choice choice = stack.back();
      stack.pop_back();
      synced = std::min(synced, stack.size());
      state = choice.state_before;
      flip(choice.call);
      if (!ops[choice.call].pending) ++remaining;
      unlift(choice.call);
      for (int o : resets_seen_by[choice.call]) ++open_resets[o];
      if (!read_only(choice.call)) return next[choice.call];
    }
    return -1;
  };

  bool fresh = true;  // a configuration not yet scanned for read-only ops
  int e = next[head];
  while (true) {
    if ((++result.steps & 4095) == 0 &&
        (result.steps > max_steps || (expired && expired()))) {
      result.outcome = Outcome::kAbandoned;
      result.out_of_steps = result.steps > max_steps;
      return result;
    }
    if (fresh) {
      fresh = false;
      int found = -1;
      bool doomed = false;
      for (int x = next[head]; x != -1 && x < static_cast<int>(n);
           x = next[x]) {
        result.frontier = std::max(result.frontier, ops[x].call);
        if (lookahead && dead(x)) {
          doomed = true;
          break;
        }
        if (found == -1 && read_only(x) &&
            Step(state, ops[x], values) == state) {
          found = x;
        }
      }
      if (doomed) {
        e = backtrack();
        if (e == -1) {
          result.outcome = Outcome::kViolation;
          return result;
        }
        continue;
      }
      if (found != -1) {
        flip(found);
        if (cache.Insert(bits, bits_hash, state)) {
          if (push(found, state)) return result;
          fresh = true;
          e = next[head];
          continue;
        }
        // Seen before, so it failed, and with it this configuration.
        flip(found);
        e = backtrack();
        if (e == -1) {
          result.outcome = Outcome::kViolation;
          return result;
        }
        continue;
      }
      e = next[head];
    }
    EPSIM_CHECK(e != -1) << "linearizability search ran off the event list";
    if (e < static_cast<int>(n)) {  // a call: try to linearize it here
      result.frontier = std::max(result.frontier, ops[e].call);
      // Legal read-only operations were taken by the scan above.
      if (!read_only(e)) {
        const int32_t after = Step(state, ops[e], values);
        if (after != kImpossible) {
          flip(e);
          if (cache.Insert(bits, bits_hash, after)) {
            if (push(e, after)) return result;
            fresh = true;
            continue;
          }
          flip(e);
        }
      }
      e = next[e];
      continue;
    }
    // The return of an operation not linearized: this configuration fails.
    e = backtrack();
    if (e == -1) {
      result.outcome = Outcome::kViolation;
      return result;
    }
  }
}

// Drops operations from a violating set while the rest still violates.
// A write stays while an operation that stays observed its value
// (`observers`), so that the report never turns a stale read into a read of
// a value nobody wrote. Spends at most `budget` search steps; returns
// positions in `ops`, in call order.
std::vector<size_t> Shrink(const std::vector<RegisterOp>& ops,
                           const std::vector<std::vector<size_t>>& observers,
                           int32_t initial, Values& values, int64_t frontier,
                           int64_t found_in, int64_t budget,
                           const std::function<bool()>& expired,
                           int64_t* steps) {
  auto violates = [&](const std::vector<size_t>& subset) -> bool {
    if (budget <= *steps) return false;
    std::vector<RegisterOp> sub;
    sub.reserve(subset.size());
    for (size_t i : subset) sub.push_back(ops[i]);
    // A trial far harder than the search that found the violation is
    // treated as "no longer violates": shrinking is a nicety, bounded.
    const int64_t trial_cap = 4 * found_in + 10'000;
    SearchResult r = Search(sub, initial, values,
                            std::min(budget - *steps, trial_cap), expired);
    *steps += r.steps;
    frontier = r.frontier;
    return r.outcome == Outcome::kViolation;
  };
  std::vector<char> kept(ops.size(), 0);
  // Whether `removed` may go while `rest` stays: nothing in `rest` saw a
  // value written by something in `removed`.
  auto may_drop = [&](const std::vector<size_t>& removed,
                      const std::vector<size_t>& rest) {
    for (size_t i : rest) kept[i] = 1;
    bool ok = true;
    for (size_t i : removed) {
      for (size_t j : observers[i]) ok = ok && !kept[j];
    }
    for (size_t i : rest) kept[i] = 0;
    return ok;
  };
  // Operations called after the search's frontier were never tried, so
  // dropping them leaves the search (and its failure) unchanged; the same
  // holds for any subset of them, so writes a kept operation observed may
  // come back.
  auto cut = [&](const std::vector<size_t>& subset) {
    std::vector<size_t> out;
    for (size_t i : subset) kept[i] = ops[i].call <= frontier;
    for (size_t i : subset) {
      if (kept[i]) continue;
      for (size_t j : observers[i]) {
        if (kept[j] && ops[j].call <= frontier) kept[i] = 1;
      }
    }
    for (size_t i : subset) {
      if (kept[i]) out.push_back(i);
      kept[i] = 0;
    }
    return out;
  };
  std::vector<size_t> current(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) current[i] = i;
  current = cut(current);
  // Calls in time order, so chunks are neighbours in time.
  std::sort(current.begin(), current.end(), [&](size_t a, size_t b) {
    return std::make_pair(ops[a].call, a) < std::make_pair(ops[b].call, b);
  });
  // Tries `current` without [start, start + count); keeps the removal if the
  // rest still violates.
  auto try_drop = [&](size_t start, size_t count) {
    std::vector<size_t> trial;
    std::vector<size_t> removed;
    trial.reserve(current.size());
    for (size_t i = 0; i < current.size(); ++i) {
      (i < start || i >= start + count ? trial : removed).push_back(current[i]);
    }
    if (trial.empty() || !may_drop(removed, trial) || !violates(trial)) {
      return false;
    }
    current = cut(trial);
    return true;
  };
  for (size_t chunk = std::max<size_t>(current.size() / 2, 1); chunk > 1;
       chunk /= 2) {
    for (size_t start = 0; start < current.size() && *steps < budget;) {
      if (!try_drop(start, chunk)) start += chunk;
    }
  }
  // One at a time, until none can go (each removal may free another).
  for (bool changed = true; changed && *steps < budget;) {
    changed = false;
    for (size_t i = 0; i < current.size() && *steps < budget;) {
      if (try_drop(i, 1)) {
        changed = true;
      } else {
        ++i;
      }
    }
  }
  return current;
}

// observers[i]: the positions of operations that saw the value operation i
// wrote (a get returning a value containing it, a cas expecting one).
std::vector<std::vector<size_t>> Observers(const History& history,
                                           const std::vector<RegisterOp>& ops) {
  std::vector<std::vector<size_t>> observers(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].kind == OpType::kGet) continue;
    const std::string& written = history.operations[ops[i].origin].value;
    for (size_t j = 0; j < ops.size(); ++j) {
      const Operation& reader = history.operations[ops[j].origin];
      const std::optional<std::string>* seen =
          reader.op == OpType::kGet   ? &reader.output.value
          : reader.op == OpType::kCas ? &reader.expected
                                      : nullptr;
      if (j != i && !ops[j].pending && seen != nullptr && seen->has_value() &&
          (*seen)->find(written) != std::string::npos) {
        observers[i].push_back(j);
      }
    }
  }
  return observers;
}

}  // namespace

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kLinearizable:
      return "linearizable";
    case Verdict::kViolation:
      return "violation";
    case Verdict::kTimeout:
      return "timeout";
    case Verdict::kSkipped:
      return "skipped";
  }
  return "?";
}

std::vector<KeyHistory> SplitByKey(const History& history) {
  absl::btree_map<std::string, KeyHistory> keys;
  for (size_t i = 0; i < history.operations.size(); ++i) {
    const std::string& key = history.operations[i].key;
    auto [it, fresh] = keys.try_emplace(key);
    if (fresh) {
      it->second.key = key;
      if (auto init = history.initial.find(key);
          init != history.initial.end()) {
        it->second.initial = init->second;
      }
    }
    it->second.operations.push_back(i);
  }
  std::vector<KeyHistory> out;
  out.reserve(keys.size());
  for (auto& [key, k] : keys) out.push_back(std::move(k));
  return out;
}

KeyResult CheckKey(const History& history, const KeyHistory& key,
                   const SearchLimits& limits) {
  KeyResult result;
  result.key = key.key;
  result.operations = key.operations.size();

  Values values;
  const int32_t initial = values.Intern(key.initial);
  std::vector<RegisterOp> ops;
  ops.reserve(key.operations.size());
  for (size_t index : key.operations) {
    const Operation& op = history.operations[index];
    RegisterOp r;
    r.kind = op.op;
    r.pending = !op.returned();
    // A get that never returned changes nothing and shows nothing.
    if (r.pending && r.kind == OpType::kGet) continue;
    if (r.kind != OpType::kGet) r.value = values.Intern(op.value);
    if (r.kind == OpType::kCas) {
      r.expected = values.Intern(op.expected);
      r.swapped = op.output.cas_succeeded;
    }
    if (r.kind == OpType::kGet) r.output = values.Intern(op.output.value);
    r.call = op.call;
    r.ret = op.ret.value_or(kNever);
    r.origin = index;
    ops.push_back(r);
  }

  SearchResult search =
      Search(ops, initial, values, limits.max_steps, limits.expired);
  result.steps = search.steps;
  switch (search.outcome) {
    case Outcome::kLinearizable:
      result.verdict = Verdict::kLinearizable;
      return result;
    case Outcome::kAbandoned:
      result.verdict = Verdict::kTimeout;
      result.out_of_steps = search.out_of_steps;
      break;
    case Outcome::kViolation: {
      result.verdict = Verdict::kViolation;
      int64_t shrink_steps = 0;
      std::vector<size_t> conflict = Shrink(
          ops, Observers(history, ops), initial, values, search.frontier,
          search.steps, limits.shrink_steps, limits.expired, &shrink_steps);
      result.steps += shrink_steps;
      for (size_t i : conflict) result.conflict.push_back(ops[i].origin);
      break;
    }
  }
  for (size_t i : search.longest) {
    result.longest_prefix.push_back(ops[i].origin);
  }
  return result;
}

LinearizabilityResult MergeKeyResults(std::vector<KeyResult> results) {
  std::sort(
      results.begin(), results.end(),
      [](const KeyResult& a, const KeyResult& b) { return a.key < b.key; });
  LinearizabilityResult merged;
  merged.keys = results.size();
  bool violated = false;
  bool abandoned = false;
  for (const KeyResult& r : results) {
    merged.operations += r.operations;
    violated |= r.verdict == Verdict::kViolation;
    abandoned |= r.verdict == Verdict::kTimeout;
  }
  merged.verdict = violated    ? Verdict::kViolation
                   : abandoned ? Verdict::kTimeout
                               : Verdict::kLinearizable;
  merged.results = std::move(results);
  return merged;
}

LinearizabilityResult CheckKeys(const std::vector<KeyHistory>& keys,
                                const SearchLimits& limits,
                                const KeyRunner& run) {
  std::vector<KeyResult> results(keys.size());
  std::vector<size_t> open(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) open[i] = i;
  const int64_t unlimited = limits.max_steps;
  for (int64_t budget = 100'000; !open.empty(); budget *= 10) {
    const bool last_round = budget > 10'000'000 || budget >= unlimited;
    const int64_t steps = last_round ? unlimited : budget;
    std::vector<KeyResult> round = run(open, steps);
    EPSIM_CHECK_EQ(round.size(), open.size());
    std::vector<size_t> still_open;
    bool violated = false;
    for (size_t j = 0; j < open.size(); ++j) {
      violated |= round[j].verdict == Verdict::kViolation;
      if (!last_round && round[j].verdict == Verdict::kTimeout &&
          round[j].out_of_steps) {
        still_open.push_back(open[j]);
        results[open[j]].steps += round[j].steps;
        continue;
      }
      round[j].steps += results[open[j]].steps;
      results[open[j]] = std::move(round[j]);
    }
    if (violated && limits.stop_at_first_violation) {
      for (size_t i : still_open) {
        results[i].key = keys[i].key;
        results[i].operations = keys[i].operations.size();
        results[i].verdict = Verdict::kSkipped;
      }
      break;
    }
    open = std::move(still_open);
    if (last_round) break;
  }
  return MergeKeyResults(std::move(results));
}

LinearizabilityResult CheckLinearizability(const History& history,
                                           const SearchLimits& limits) {
  const std::vector<KeyHistory> keys = SplitByKey(history);
  return CheckKeys(keys, limits,
                   [&](const std::vector<size_t>& indices, int64_t max_steps) {
                     SearchLimits round = limits;
                     round.max_steps = max_steps;
                     std::vector<KeyResult> out;
                     for (size_t i : indices) {
                       out.push_back(CheckKey(history, keys[i], round));
                     }
                     return out;
                   });
}

std::string DescribeKeyResult(const History& history, const KeyResult& result) {
  const std::string key = absl::StrCat("key \"", result.key, "\"");
  switch (result.verdict) {
    case Verdict::kLinearizable:
      return absl::StrCat(key, ": linearizable (", result.operations,
                          " operations)\n");
    case Verdict::kTimeout:
      return absl::StrCat(key, ": undecided within the time limit (",
                          result.operations, " operations, ", result.steps,
                          " search steps)\n");
    case Verdict::kSkipped:
      return absl::StrCat(key, ": not decided (", result.operations,
                          " operations): another key is not linearizable\n");
    case Verdict::kViolation:
      break;
  }
  std::string out = absl::StrCat(
      key, ": not linearizable: these ", result.conflict.size(), " of ",
      result.operations, " operations cannot be ordered:\n");
  for (size_t i : result.conflict) {
    absl::StrAppend(&out, "  ", history.operations[i].ToString(), "\n");
  }
  absl::StrAppend(&out, "longest linearizable prefix found (",
                  result.longest_prefix.size(), " operations",
                  result.longest_prefix.empty() ? "" : ", in order", ")",
                  result.longest_prefix.empty() ? "\n" : ":\n");
  for (size_t i : result.longest_prefix) {
    absl::StrAppend(&out, "  ", history.operations[i].ToString(), "\n");
  }
  return out;
}

}  // namespace epsim::checker
