// Base class of every protocol message: a sendable (base/sendable.h) that
// also says which command and ballot it is about.
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

#include "base/sendable.h"
#include "protocol/common/types.h"

namespace epsim::protocol {

class Message : public Sendable {
 public:
  Message() : Sendable(/*protocol_message=*/true) {}
  // Type() (used by scenario filters and traces: "PreAccept"), Describe()
  // (traces and `epsim replay --verbose`) and Fingerprint() (the run's
  // trace hash and the explorer's state hash) come from Sendable.

  // The command the message is about, if any (scenario filters use it).
  virtual std::optional<CommandId> Command() const = 0;
  // Ballot carried, if any (scenario filters and traces).
  virtual std::optional<Ballot> MessageBallot() const { return std::nullopt; }
};

using MessagePtr = std::shared_ptr<const Message>;

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_MESSAGE_H_
