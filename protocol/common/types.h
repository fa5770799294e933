// Vocabulary shared by every protocol, the harness and the checkers.
#ifndef EPSIM_PROTOCOL_COMMON_TYPES_H_
#define EPSIM_PROTOCOL_COMMON_TYPES_H_

#include <compare>
#include <cstdint>
#include <string>

namespace epsim::protocol {

// Index of a replica in its cluster, 0..n-1. Clients are not replicas and
// never appear here: the host delivers their requests through
// Replica::OnClientRequest.
using NodeId = int32_t;

// Simulated (or real) time in integer microseconds.
using Time = int64_t;
using Duration = int64_t;
constexpr Duration kMillisecond = 1000;
constexpr Duration kSecond = 1000 * kMillisecond;

using TimerId = uint64_t;
using Ballot = uint64_t;

// Identifies one command (EPaxos*: new_id(); EPaxos: instance owner.i).
// `origin` is the replica that created it, so initCoord(id) == id.origin.
// The total order is (counter, origin), which docs/protocols.md I.2 recommends
// for ordering commands inside a strongly connected component.
struct CommandId {
  uint32_t origin = 0;
  uint64_t counter = 0;

  friend bool operator==(const CommandId&, const CommandId&) = default;
  friend std::strong_ordering operator<=>(const CommandId& a,
                                          const CommandId& b) {
    if (auto c = a.counter <=> b.counter; c != 0) return c;
    return a.origin <=> b.origin;
  }
  template <typename H>
  friend H AbslHashValue(H h, const CommandId& id) {
    return H::combine(std::move(h), id.origin, id.counter);
  }
  // "2.17" (origin 2, counter 17).
  std::string ToString() const;
};

// Every protocol here numbers an origin's commands densely (from 0 or 1),
// so per-command tables index small origins and counters directly (IdMap,
// DependencyExecutor) and send only the rest to a map.
inline bool IsDenseId(const CommandId& id) {
  return id.origin < 1024 && id.counter < (uint64_t{1} << 24);
}

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_TYPES_H_
