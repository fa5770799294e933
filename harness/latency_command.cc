// Placeholder: `epsim latency` is not built yet.
#include "harness/commands.h"

namespace epsim::harness {

int LatencyCommand(const Args& /*args*/) { return NotBuiltYet("latency"); }

}  // namespace epsim::harness
