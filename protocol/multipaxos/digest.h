// A stable 64-bit digest (FNV-1a over an explicit little-endian encoding) for
// message fingerprints and replica state hashes: the same content gives the
// same value on every platform and in every process.
#ifndef EPSIM_PROTOCOL_MULTIPAXOS_DIGEST_H_
#define EPSIM_PROTOCOL_MULTIPAXOS_DIGEST_H_

#include <cstdint>
#include <string_view>

#include "protocol/common/command.h"

namespace epsim::protocol::multipaxos {

class Digest {
 public:
  Digest& Add(uint64_t value) {
    for (int i = 0; i < 8; ++i) Byte(static_cast<uint8_t>(value >> (8 * i)));
    return *this;
  }
  Digest& Add(std::string_view text) {
    Add(static_cast<uint64_t>(text.size()));
    for (unsigned char c : text) Byte(c);
    return *this;
  }
  Digest& Add(const Command& command) {
    Add(command.nop ? 1 : 0);
    if (command.nop) return *this;
    Add(static_cast<uint64_t>(static_cast<uint32_t>(command.request.client)));
    Add(static_cast<uint64_t>(command.request.number));
    Add(static_cast<uint64_t>(command.op));
    Add(command.key.str());
    Add(command.value);
    Add(command.expected.has_value() ? 1 : 0);
    if (command.expected) Add(*command.expected);
    return *this;
  }
  uint64_t value() const { return hash_; }

 private:
  void Byte(uint8_t b) {
    hash_ ^= b;
    hash_ *= 1099511628211ULL;
  }
  uint64_t hash_ = 1469598103934665603ULL;
};

}  // namespace epsim::protocol::multipaxos

#endif  // EPSIM_PROTOCOL_MULTIPAXOS_DIGEST_H_
