// Placeholder: `epsim fuzz` is not built yet.
#include "harness/commands.h"

namespace epsim::harness {

int FuzzCommand(const Args& /*args*/) { return NotBuiltYet("fuzz"); }

}  // namespace epsim::harness
