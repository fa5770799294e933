// Linearizability of a key-value history (docs/history-format.md).
//
// Keys are independent, so a history is split by key and each key is decided
// on its own (`CheckKey`), which is also the unit a caller may run in
// parallel: `CheckKey` touches nothing shared, and `MergeKeyResults` combines
// per-key results in key order, so the verdict and the report do not depend
// on which thread finished first.
//
// The search is Wing & Gong's, with Lowe's just-in-time linearization and a
// cache of (set of linearized operations, register state) as in Knossos and
// Porcupine: walk the calls and returns in time order; at a call, try to
// linearize that operation now (if the register allows its output and the
// resulting configuration is new), else look further; at the return of an
// operation not yet linearized, undo the last choice. An operation that never
// returned has its return at +infinity and need not be linearized at all: the
// search succeeds once every operation that returned is placed.
//
// A violation is explained by a small set of operations of one key that
// cannot be ordered (shrunk by dropping operations while the rest stays
// non-linearizable) and by the longest linearization the search found.
#ifndef EPSIM_CHECKER_LINEARIZABILITY_H_
#define EPSIM_CHECKER_LINEARIZABILITY_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checker/history.h"

namespace epsim::checker {

// The operations of one key, as indices into History::operations.
struct KeyHistory {
  std::string key;
  std::optional<std::string> initial;  // nullopt: the key starts absent
  std::vector<size_t> operations;      // in history order
};

// One KeyHistory per key that has operations, sorted by key.
std::vector<KeyHistory> SplitByKey(const History& history);

struct SearchLimits {
  // Polled every few thousand steps; returning true abandons the key as
  // undecided. The checker reads no clock itself (determinism rules): the
  // caller supplies one, or leaves it empty for no limit.
  std::function<bool()> expired;
  // Search steps allowed for deciding the key; beyond them the result is
  // kTimeout with `out_of_steps` set.
  int64_t max_steps = std::numeric_limits<int64_t>::max();
  // Search steps spent at most on shrinking one violation. A step budget,
  // not a time, so the reported operations are the same on every machine.
  int64_t shrink_steps = 1'000'000;
  // CheckKeys: once a key is found violated, leave the undecided ones
  // (kSkipped) instead of searching them to the end.
  bool stop_at_first_violation = true;
};

// kSkipped: not decided because another key was found violated first.
enum class Verdict { kLinearizable, kViolation, kTimeout, kSkipped };
std::string_view VerdictName(Verdict verdict);  // "linearizable", ...

struct KeyResult {
  std::string key;
  Verdict verdict = Verdict::kLinearizable;
  size_t operations = 0;  // operations of this key
  // Violation only: operations (indices into History::operations, in call
  // order) that cannot be ordered, as few as shrinking found ...
  std::vector<size_t> conflict;
  // ... and the longest linearization found of the key's operations, in
  // linearization order.
  std::vector<size_t> longest_prefix;
  int64_t steps = 0;          // search steps, shrinking included
  bool out_of_steps = false;  // kTimeout because of SearchLimits::max_steps
};

// Decides one key. Thread-compatible: touches nothing but its arguments
// (`limits.expired` may be called from the calling thread).
KeyResult CheckKey(const History& history, const KeyHistory& key,
                   const SearchLimits& limits);

struct LinearizabilityResult {
  // kViolation if any key is violated, else kTimeout if any key was
  // abandoned, else kLinearizable.
  Verdict verdict = Verdict::kLinearizable;
  size_t keys = 0;
  size_t operations = 0;
  std::vector<KeyResult> results;  // one per key, in key order
};

// Combines per-key results (any order) into the history's verdict.
LinearizabilityResult MergeKeyResults(std::vector<KeyResult> results);

// Runs CheckKey on keys[i] for each i in `indices` with the given step
// budget (and the caller's own time limit), in any order or in parallel, and
// returns the results in the order of `indices`.
using KeyRunner = std::function<std::vector<KeyResult>(
    const std::vector<size_t>& indices, int64_t max_steps)>;

// Decides every key, in rounds of growing step budgets (1e5, 1e6, 1e7, then
// unlimited): keys decided in a round are done; the others start again with
// the next budget. With `limits.stop_at_first_violation`, the first round
// that finds a violation is the last, and the keys still open are kSkipped:
// one hard key does not hold up the verdict that an easy one settles. The
// budgets are steps, so which keys are reported does not depend on timing.
LinearizabilityResult CheckKeys(const std::vector<KeyHistory>& keys,
                                const SearchLimits& limits,
                                const KeyRunner& run);

// CheckKeys over SplitByKey, one key after the other.
LinearizabilityResult CheckLinearizability(const History& history,
                                           const SearchLimits& limits = {});

// Human-readable report of one key that is not linearizable (or timed out):
// the key, the operations that cannot be ordered and the longest
// linearization found, one operation per line.
std::string DescribeKeyResult(const History& history, const KeyResult& result);

}  // namespace epsim::checker

#endif  // EPSIM_CHECKER_LINEARIZABILITY_H_
