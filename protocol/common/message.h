// Base class of every protocol message.
//
// Messages are immutable values once sent: a sender builds one, hands a
// shared pointer to the environment, and nobody mutates it afterwards, so a
// duplicated or buffered copy is indistinguishable from a fresh copy.
#ifndef EPSIM_PROTOCOL_COMMON_MESSAGE_H_
#define EPSIM_PROTOCOL_COMMON_MESSAGE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/common/types.h"

namespace epsim::protocol {

class Message {
 public:
  virtual ~Message() = default;
  // Short type name used by scenario filters and traces: "PreAccept".
  virtual std::string_view Type() const = 0;
  // The command the message is about, if any (scenario filters use it).
  virtual std::optional<CommandId> Command() const = 0;
  // Ballot carried, if any (scenario filters and traces).
  virtual std::optional<Ballot> MessageBallot() const { return std::nullopt; }
  // One line for traces and `epsim replay --verbose`.
  virtual std::string Describe() const = 0;
  // Stable 64-bit digest of the content (same on every platform); feeds the
  // run's trace hash and the explorer's state hash.
  virtual uint64_t Fingerprint() const = 0;
};

using MessagePtr = std::shared_ptr<const Message>;

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_MESSAGE_H_
