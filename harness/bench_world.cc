// Placeholder until this benchmark lands.
#include "harness/bench.h"
#include "harness/commands.h"

namespace epsim::harness {

int BenchWorld(const BenchOptions& /*options*/) {
  return NotBuiltYet("bench (world)");
}

}  // namespace epsim::harness
