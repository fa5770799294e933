// Placeholder: `epsim replay` is not built yet.
#include "harness/commands.h"

namespace epsim::harness {

int ReplayCommand(const Args& /*args*/) { return NotBuiltYet("replay"); }

}  // namespace epsim::harness
