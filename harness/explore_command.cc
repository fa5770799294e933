// Placeholder: `epsim explore` is not built yet.
#include "harness/commands.h"

namespace epsim::harness {

int ExploreCommand(const Args& /*args*/) { return NotBuiltYet("explore"); }

}  // namespace epsim::harness
