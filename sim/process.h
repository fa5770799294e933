// A node's behaviour as the world sees it: something that reacts to messages
// and timers. The world calls these one at a time, never concurrently, and
// never while the node is crashed or paused.
#ifndef EPSIM_SIM_PROCESS_H_
#define EPSIM_SIM_PROCESS_H_

#include <cstdint>

#include "sim/payload.h"
#include "sim/time.h"

namespace epsim::sim {

class Process {
 public:
  virtual ~Process() = default;
  virtual void OnMessage(NodeId from, const PayloadPtr& msg) = 0;
  virtual void OnTimer(TimerId id, uint64_t tag) = 0;
  // The node just crashed: its timers and undelivered messages are gone.
  virtual void OnCrash() {}
  // The node is up again; the process decides what it remembers.
  virtual void OnRestart() {}
};

}  // namespace epsim::sim

#endif  // EPSIM_SIM_PROCESS_H_
