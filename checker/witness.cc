#include "checker/witness.h"

#include <algorithm>
#include <limits>

#include "absl/container/btree_set.h"

namespace epsim::checker {

bool IsLinearizationWitness(const History& history,
                            const std::optional<std::string>& initial,
                            const std::vector<size_t>& key_operations,
                            const std::vector<size_t>& order) {
  // Every returned operation of the key is placed, once.
  absl::btree_set<size_t> placed;
  for (size_t index : order) {
    if (!placed.insert(index).second) return false;
  }
  for (size_t index : key_operations) {
    if (history.operations[index].returned() && !placed.contains(index)) {
      return false;
    }
  }
  // Real time: no operation is placed after one that was called after it
  // returned. Equivalently, each operation returns no earlier than the
  // latest call placed before it.
  int64_t latest_call = std::numeric_limits<int64_t>::min();
  std::optional<std::string> value = initial;
  for (size_t index : order) {
    const Operation& op = history.operations[index];
    if (op.returned() && *op.ret < latest_call) return false;
    latest_call = std::max(latest_call, op.call);
    switch (op.op) {
      case protocol::OpType::kPut:
        value = op.value;
        break;
      case protocol::OpType::kAppend:
        value = value.value_or("") + op.value;
        break;
      case protocol::OpType::kGet:
        if (op.returned() && op.output.value != value) return false;
        break;
      case protocol::OpType::kCas: {
        const bool matches = value == op.expected;
        if (op.returned() && op.output.cas_succeeded != matches) return false;
        if (matches) value = op.value;
        break;
      }
    }
  }
  return true;
}

}  // namespace epsim::checker
