// The replicated key-value store's commands and the conflict relation.
//
// Semantics follow docs/history-format.md: put, get, append, cas on string
// keys. Every command carries the client request it answers, so retries of
// one request can be recognised and applied once (exactly-once).
#ifndef EPSIM_PROTOCOL_COMMON_COMMAND_H_
#define EPSIM_PROTOCOL_COMMON_COMMAND_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "protocol/common/key.h"
#include "protocol/common/types.h"

namespace epsim::protocol {

enum class OpType : uint8_t { kPut, kGet, kAppend, kCas };
std::string_view OpTypeName(OpType op);

// (client id, request number): unique per client request across retries.
struct RequestId {
  int32_t client = -1;
  int64_t number = -1;
  friend bool operator==(const RequestId&, const RequestId&) = default;
  friend auto operator<=>(const RequestId&, const RequestId&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const RequestId& r) {
    return H::combine(std::move(h), r.client, r.number);
  }
};

// A client's operation. A Nop is a Command with nop == true and nothing else.
struct Command {
  bool nop = false;
  RequestId request;
  OpType op = OpType::kGet;
  Key key;
  std::string value;                    // put, append, cas: the new value
  std::optional<std::string> expected;  // cas: nullopt means "absent"

  static Command Nop() {
    Command c;
    c.nop = true;
    return c;
  }
  bool IsWrite() const { return op != OpType::kGet; }
  friend bool operator==(const Command&, const Command&) = default;
  std::string ToString() const;
};

// The conflict relation (docs/protocols.md I.2): same key and at least one
// write; a Nop conflicts with every command.
bool Conflicts(const Command& a, const Command& b);

// What executing a command returned to its client.
struct KvResult {
  std::optional<std::string> value;  // get: the value, nullopt if absent
  bool cas_succeeded = false;        // cas only
  friend bool operator==(const KvResult&, const KvResult&) = default;
};

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_COMMAND_H_
