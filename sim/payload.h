// The world's name for what a message carries (base/sendable.h): the
// world never looks inside a payload.
#ifndef EPSIM_SIM_PAYLOAD_H_
#define EPSIM_SIM_PAYLOAD_H_

#include "base/sendable.h"

namespace epsim::sim {

using Payload = ::epsim::Sendable;
using PayloadPtr = ::epsim::SendablePtr;

}  // namespace epsim::sim

#endif  // EPSIM_SIM_PAYLOAD_H_
