// Placeholder: `epsim check` is not built yet.
#include "harness/commands.h"

namespace epsim::harness {

int CheckCommand(const Args& /*args*/) { return NotBuiltYet("check"); }

}  // namespace epsim::harness
