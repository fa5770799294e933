// The fuzzer's per-seed test case: from a base scenario and a seed, a fault
// plan, a workload and protocol parameters, drawn by swarm testing (every
// fault family is switched on or off per seed, then its intensity drawn), so
// that different seeds stress different mixes instead of all seeds sharing
// one diluted mix. The case is plain data (a Scenario), so every violation it
// provokes can be written out and replayed with `epsim run`.
#ifndef EPSIM_FUZZ_FUZZ_PLAN_H_
#define EPSIM_FUZZ_FUZZ_PLAN_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "protocol/common/protocol.h"
#include "scenarios/scenario.h"

namespace epsim::fuzz {

// Which faults a plan may contain.
//   kCrashStop: the papers' model. At most f replicas down at once, restarts
//     keep durable state, reliable links (loss only delays a message), every
//     partition, cut, pause and link fault heals before the end. Safety and
//     liveness are both owed.
//   kAny: anything: lossy links, more than f crashes, faults that never heal.
//     Only safety is owed; the fuzzer ignores liveness verdicts.
enum class FaultModel { kCrashStop, kAny };
std::string_view FaultModelName(FaultModel model);
absl::StatusOr<FaultModel> ParseFaultModel(std::string_view name);

// The built-in base scenario for `epsim fuzz` without a scenario file: five
// replicas on a uniform 0.2 ms LAN, one client per replica, 200 commands in
// all, no faults.
scenarios::Scenario DefaultFuzzBase();

struct FuzzPlanOptions {
  FaultModel model = FaultModel::kCrashStop;
  // Draw the replica count from {3, 5, 7} per seed (the built-in base only:
  // a scenario file fixes its placement).
  bool vary_replicas = false;
};

struct FuzzCase {
  // Ready to run: protocol holds the full spec drawn for this seed, seed is
  // the fuzz seed. Already round-tripped through JSON, so running it gives
  // exactly what running its file gives.
  scenarios::Scenario scenario;
  std::vector<std::string> families;  // fault families switched on
};

// The test case of `seed`. `protocol` is the spec the user asked for; the
// options it gives are kept, the others (EPaxos* f and e, timer settings)
// may be drawn. Errors (a base that cannot carry faults, a protocol that
// cannot run on it) are InvalidArgument.
absl::StatusOr<FuzzCase> GenerateFuzzCase(
    const scenarios::Scenario& base, const protocol::ProtocolSpec& protocol,
    uint64_t seed, const FuzzPlanOptions& options);

// The timer options of a protocol that the fuzzer draws and the shrinker
// may drop (protocol/epaxos_star/options.h, protocol/epaxos/options.h).
std::vector<std::string> TimerOptionNames(std::string_view protocol_name);

}  // namespace epsim::fuzz

#endif  // EPSIM_FUZZ_FUZZ_PLAN_H_
