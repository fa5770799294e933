// Placeholder: `epsim merge` is not built yet.
#include "harness/commands.h"

namespace epsim::harness {

int MergeCommand(const Args& /*args*/) { return NotBuiltYet("merge"); }

}  // namespace epsim::harness
