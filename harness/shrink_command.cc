// Placeholder: `epsim shrink` is not built yet.
#include "harness/commands.h"

namespace epsim::harness {

int ShrinkCommand(const Args& /*args*/) { return NotBuiltYet("shrink"); }

}  // namespace epsim::harness
