// The replicated state machine: a map from keys to string values with
// exactly-once application of client requests.
//
// Every replica runs one KvStore and feeds it commands in execution order.
// A request that was committed twice (the client retried at another replica,
// or a Nop'd command was resubmitted under a new id) takes effect once: the
// second execution returns the first one's result and changes nothing.
#ifndef EPSIM_PROTOCOL_COMMON_KV_STORE_H_
#define EPSIM_PROTOCOL_COMMON_KV_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocol/common/command.h"
#include "protocol/common/key.h"
#include "protocol/common/request_map.h"

namespace epsim::protocol {

class KvStore {
 public:
  struct Outcome {
    KvResult result;
    bool duplicate = false;  // the request had already taken effect
  };

  // Applies `command` (never a Nop) unless its request already took effect.
  Outcome Apply(const Command& command);

  // The value of `key`, or null if it was never written.
  const std::string* Find(const Key& key) const { return data_.Find(key); }
  // Digest of the data, for convergence checks and state hashes: a sum over
  // the entries, so it does not depend on the order keys were written in.
  uint64_t Digest() const;

  friend bool operator==(const KvStore&, const KvStore&) = default;

 private:
  KeyMap<std::string> data_;
  uint32_t Encode(KvResult result);
  KvResult Decode(uint32_t code) const;

  // Every request that took effect, with its result (for retries): 0 if
  // it has not taken effect, else Encode(result). Not just each client's
  // latest: a client's requests touch different keys, so a replica may
  // execute request n+1 before request n (they do not conflict, and n may
  // wait on a dependency). 4 bytes per request: most results carry no value
  // and fit in the code; a read's value goes to results_.
  RequestMap<uint32_t> applied_;
  std::vector<KvResult> results_;
};

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_KV_STORE_H_
