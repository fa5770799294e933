// Sendable: what travels in a message between processes. The simulated
// world carries sendables (its payloads) without looking inside; protocols'
// messages are sendables, so a message is handed to the network as it is,
// with no wrapper around it.
//
// A sendable needs a type name (traces, a script's filters), a description
// (traces) and a fingerprint (the trace hash, the explorer's state hash).
// It is immutable once sent: senders build one and hand over a shared
// pointer to const, so a buffered or duplicated copy is indistinguishable
// from a fresh copy and processes never share mutable memory. That is also
// why the fingerprint is computed once, on first use: a broadcast is
// fingerprinted at every send and every delivery.
#ifndef EPSIM_BASE_SENDABLE_H_
#define EPSIM_BASE_SENDABLE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>

namespace epsim {

class Sendable {
 public:
  virtual ~Sendable() = default;
  // Short type name: "PreAccept", "Ping".
  virtual std::string_view Type() const = 0;
  // One line for traces.
  virtual std::string Describe() const = 0;
  // Whether this is a protocol's message (protocol::Message), so that a
  // host hands it to its replica without a dynamic_cast per delivery.
  bool is_protocol_message() const { return protocol_message_; }
  // Stable 64-bit digest of the content, equal on every platform.
  uint64_t Fingerprint() const {
    if (!fingerprinted_) {
      fingerprint_ = ComputeFingerprint();
      fingerprinted_ = true;
    }
    return fingerprint_;
  }

 protected:
  Sendable() = default;
  explicit Sendable(bool protocol_message)
      : protocol_message_(protocol_message) {}
  // What Fingerprint() returns; called at most once per sendable.
  virtual uint64_t ComputeFingerprint() const = 0;

 private:
  mutable uint64_t fingerprint_ = 0;
  mutable bool fingerprinted_ = false;
  bool protocol_message_ = false;
};

// `p` as a T if its dynamic type is exactly T, else null. T must be final,
// so this agrees with dynamic_cast, which walks the class hierarchy and
// costs several times more (a replica casts every message it receives).
template <typename T, typename From>
const T* ExactCast(const From* p) {
  static_assert(std::is_final_v<T>, "ExactCast needs a final class");
  if (p == nullptr || typeid(*p) != typeid(T)) return nullptr;
  return static_cast<const T*>(p);
}

using SendablePtr = std::shared_ptr<const Sendable>;

}  // namespace epsim

#endif  // EPSIM_BASE_SENDABLE_H_
