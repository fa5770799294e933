// The environment a replica runs in: the only way a protocol touches the
// outside world. The simulated world implements it (scenarios/simulation.cc),
// the explorer its own (explore/explore.cc), and a real runtime could too;
// protocol code never includes anything of sim/.
#ifndef EPSIM_PROTOCOL_COMMON_ENV_H_
#define EPSIM_PROTOCOL_COMMON_ENV_H_

#include <cstdint>
#include <string_view>

#include "protocol/common/message.h"
#include "protocol/common/records.h"
#include "protocol/common/types.h"

namespace epsim::protocol {

class Env {
 public:
  virtual ~Env() = default;

  virtual NodeId Self() const = 0;
  virtual int ClusterSize() const = 0;
  virtual Time Now() const = 0;

  // Sends to another replica. Sending to Self() is a protocol error:
  // protocols deliver to themselves synchronously (docs/protocols.md I.6.3).
  virtual void Send(NodeId to, MessagePtr message) = 0;

  // Timers fire OnTimer(id, tag) once unless cancelled. A crashed replica
  // loses its timers.
  virtual TimerId SetTimer(Duration after, uint64_t tag) = 0;
  virtual void CancelTimer(TimerId id) = 0;

  // Uniform in [0, bound) from the run's seeded generator: the only source
  // of randomness a protocol may use (back-off, duelling recoverers).
  virtual uint64_t Random(uint64_t bound) = 0;

  // Reports a local commit (every replica, every command, once per replica)
  // and a local execution. The host answers clients and feeds the checkers.
  virtual void Committed(const CommitRecord& record) = 0;
  virtual void Executed(const ExecutionRecord& record) = 0;

  // Counts one pass through a named protocol branch ("fast-path",
  // "recover/accepted-wins", ...): the fuzzer's coverage table.
  virtual void Cover(std::string_view branch) = 0;

  // A human-readable state change for `epsim replay --verbose`; cheap to call
  // (the host drops it unless verbose tracing is on, so build strings only
  // when TraceEnabled()).
  virtual bool TraceEnabled() const { return false; }
  virtual void Trace(std::string_view /*line*/) {}
};

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_ENV_H_
