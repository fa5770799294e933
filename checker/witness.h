// Fast path of the linearizability check for histories the simulator
// produced: the protocol's own execution order is a candidate
// linearization. If the candidate respects real time and reproduces every
// output, the key is linearizable, in linear time; if not, nothing is
// concluded and the full search (linearizability.h) decides.
#ifndef EPSIM_CHECKER_WITNESS_H_
#define EPSIM_CHECKER_WITNESS_H_

#include <optional>
#include <string>
#include <vector>

#include "checker/history.h"

namespace epsim::checker {

// `order` lists indices into history.operations, all on one key, in the
// order they took effect; operations that never took effect are absent.
// Returns true when `order` is a valid linearization of that key's
// sub-history: it contains every operation that returned, each operation
// at most once, no operation is placed before one that returned before it
// was called, and replaying the order from `initial` gives every returned
// operation's output.
bool IsLinearizationWitness(const History& history,
                            const std::optional<std::string>& initial,
                            const std::vector<size_t>& key_operations,
                            const std::vector<size_t>& order);

}  // namespace epsim::checker

#endif  // EPSIM_CHECKER_WITNESS_H_
