// Placeholder until this benchmark lands.
#include "harness/bench.h"
#include "harness/commands.h"

namespace epsim::harness {

int BenchProtocol(const std::string& /*protocol*/,
                  const BenchOptions& /*options*/) {
  return NotBuiltYet("bench (protocol)");
}

}  // namespace epsim::harness
