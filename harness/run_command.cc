// Placeholder: `epsim run` is not built yet.
#include "harness/commands.h"

namespace epsim::harness {

int RunCommand(const Args& /*args*/) { return NotBuiltYet("run"); }

}  // namespace epsim::harness
