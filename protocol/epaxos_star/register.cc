// Placeholder until the protocol lands: registers nothing.
#include "protocol/builtin.h"

namespace epsim::protocol {

void RegisterEpaxosStar(ProtocolRegistry& /*registry*/) {}

}  // namespace epsim::protocol
