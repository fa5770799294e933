// Simulated time and the small identifiers every part of the world uses.
//
// Time is an integer count of microseconds since the start of a run, so
// arithmetic on it is exact and identical on every platform.
#ifndef EPSIM_SIM_TIME_H_
#define EPSIM_SIM_TIME_H_

#include <cstdint>

namespace epsim::sim {

using Time = int64_t;      // microseconds since the run started
using Duration = int64_t;  // microseconds

constexpr Duration kMicrosecond = 1;
constexpr Duration kMillisecond = 1000;
constexpr Duration kSecond = 1000 * kMillisecond;

// A node of the world (a replica or a client), numbered from 0 in the order
// the nodes were added.
using NodeId = int32_t;
// Identifies one timer; unique within a World, never 0.
using TimerId = uint64_t;

}  // namespace epsim::sim

#endif  // EPSIM_SIM_TIME_H_
