// Placeholder until this benchmark lands.
#include "harness/bench.h"
#include "harness/commands.h"

namespace epsim::harness {

int BenchCheck(const BenchOptions& /*options*/) {
  return NotBuiltYet("bench (check)");
}

}  // namespace epsim::harness
