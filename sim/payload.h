// What travels in a simulated message. The world never looks inside: it
// needs a type name (traces, the choice scheduler's filters), a description
// (traces) and a fingerprint (the trace hash).
//
// A payload is immutable once sent: senders build one and hand over a shared
// pointer to const, so a buffered or duplicated copy is indistinguishable
// from a fresh copy and nodes never share mutable memory (value semantics).
#ifndef EPSIM_SIM_PAYLOAD_H_
#define EPSIM_SIM_PAYLOAD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace epsim::sim {

class Payload {
 public:
  virtual ~Payload() = default;
  // Short type name: "PreAccept", "Ping".
  virtual std::string_view Type() const = 0;
  // One line for traces.
  virtual std::string Describe() const = 0;
  // Stable 64-bit digest of the content, equal on every platform.
  virtual uint64_t Fingerprint() const = 0;
};

using PayloadPtr = std::shared_ptr<const Payload>;

}  // namespace epsim::sim

#endif  // EPSIM_SIM_PAYLOAD_H_
