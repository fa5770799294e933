// Placeholder until the protocol lands: registers nothing.
#include "protocol/builtin.h"

namespace epsim::protocol {

void RegisterEpaxos(ProtocolRegistry& /*registry*/) {}

}  // namespace epsim::protocol
