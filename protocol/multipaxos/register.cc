// Placeholder until the protocol lands: registers nothing.
#include "protocol/builtin.h"

namespace epsim::protocol {

void RegisterMultiPaxos(ProtocolRegistry& /*registry*/) {}

}  // namespace epsim::protocol
