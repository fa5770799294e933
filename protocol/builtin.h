// Registration hooks of the built-in protocols. Adding a protocol means a
// folder under protocol/, one declaration here and one call in builtin.cc.
#ifndef EPSIM_PROTOCOL_BUILTIN_H_
#define EPSIM_PROTOCOL_BUILTIN_H_

#include "protocol/common/protocol.h"

namespace epsim::protocol {

void RegisterEpaxosStar(ProtocolRegistry& registry);  // protocol/epaxos_star/
void RegisterEpaxos(ProtocolRegistry& registry);      // protocol/epaxos/
void RegisterMultiPaxos(ProtocolRegistry& registry);  // protocol/multipaxos/

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_BUILTIN_H_
