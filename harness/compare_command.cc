// Placeholder: `epsim compare` is not built yet.
#include "harness/commands.h"

namespace epsim::harness {

int CompareCommand(const Args& /*args*/) { return NotBuiltYet("compare"); }

}  // namespace epsim::harness
