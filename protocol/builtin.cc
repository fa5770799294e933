#include "protocol/builtin.h"

namespace epsim::protocol {

const ProtocolRegistry& ProtocolRegistry::Builtin() {
  static const ProtocolRegistry* registry = [] {
    auto* r = new ProtocolRegistry;
    RegisterEpaxosStar(*r);
    RegisterEpaxos(*r);
    RegisterMultiPaxos(*r);
    return r;
  }();
  return *registry;
}

}  // namespace epsim::protocol
