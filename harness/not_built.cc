#include <iostream>

#include "harness/cli.h"
#include "harness/commands.h"

namespace epsim::harness {

int NotBuiltYet(const char* name) {
  std::cerr << "epsim " << name << ": not built yet in this version of epsim\n";
  return kExitBadInput;
}

}  // namespace epsim::harness
