// The replicated state machine: a string-to-string map with exactly-once
// application of client requests.
//
// Every replica runs one KvStore and feeds it commands in execution order.
// A request that was committed twice (the client retried at another replica,
// or a Nop'd command was resubmitted under a new id) takes effect once: the
// second execution returns the first one's result and changes nothing.
#ifndef EPSIM_PROTOCOL_COMMON_KV_STORE_H_
#define EPSIM_PROTOCOL_COMMON_KV_STORE_H_

#include <cstdint>
#include <string>

#include "absl/container/btree_map.h"
#include "protocol/common/command.h"

namespace epsim::protocol {

class KvStore {
 public:
  struct Outcome {
    KvResult result;
    bool duplicate = false;  // the request had already taken effect
  };

  // Applies `command` (never a Nop) unless its request already took effect.
  Outcome Apply(const Command& command);

  const absl::btree_map<std::string, std::string>& data() const {
    return data_;
  }
  // Order-independent digest of the data, for convergence checks.
  uint64_t Digest() const;

  friend bool operator==(const KvStore&, const KvStore&) = default;

 private:
  struct LastApplied {
    int64_t number = -1;
    KvResult result;
    friend bool operator==(const LastApplied&, const LastApplied&) = default;
  };
  absl::btree_map<std::string, std::string> data_;
  // Clients are closed-loop (one request in flight), so remembering each
  // client's latest request is enough to recognise a retry.
  absl::btree_map<int32_t, LastApplied> last_applied_;
};

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_KV_STORE_H_
