// Placeholder: `epsim bench` is not built yet.
#include "harness/commands.h"

namespace epsim::harness {

int BenchCommand(const Args& /*args*/) { return NotBuiltYet("bench"); }

}  // namespace epsim::harness
