// A scenario: everything a run depends on besides the seed and the code.
// One JSON file (see README "Scenario format"); Scenario::Load checks it
// strictly and names the file and field of any error.
#ifndef EPSIM_SCENARIOS_SCENARIO_H_
#define EPSIM_SCENARIOS_SCENARIO_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "sim/network.h"
#include "sim/time.h"
#include "sim/topology.h"

namespace epsim::scenarios {

// One timed fault (docs/design.md "timed faults"). Replicas are named by index.
struct FaultEvent {
  enum class Kind {
    kCrash,
    kRestart,
    kPause,
    kResume,
    kPartition,    // groups
    kHeal,         // ends every partition and cut
    kCut,          // one-way: from -> to
    kRestore,      // undoes a cut
    kLoss,         // probability
    kDuplication,  // probability
    kJitter,       // jitter
    kSlow,         // link a <-> b slowed by factor
    kLinkKind,     // reliable or lossy from now on
  };
  sim::Time at = 0;
  Kind kind = Kind::kCrash;
  int replica = -1;
  std::vector<std::vector<int>> groups;
  int from = -1;
  int to = -1;
  double probability = 0;
  double factor = 1;
  sim::JitterSpec jitter;
  sim::LinkKind link_kind = sim::LinkKind::kReliable;
};
std::string_view FaultKindName(FaultEvent::Kind kind);

struct Workload {
  int clients_per_site = 1;
  std::vector<int> client_sites;  // default: the sites of the replicas
  int commands_per_client = 10;   // each client's budget
  double conflict = 0;            // share of commands on the hot key
  double reads = 0;               // share of gets (the rest: the mix below)
  // Relative weights of write kinds among non-reads.
  double put_weight = 1, append_weight = 0, cas_weight = 0;
  int value_size = 8;
  sim::Duration think_time = 0;      // between a reply and the next request
  sim::Duration client_timeout = 0;  // 0: derived from the topology
};

struct Scenario {
  std::string file;  // where it was loaded from
  std::string name;
  std::string description;
  sim::Topology topology;
  std::string topology_ref;  // the name or file given, for messages
  std::string protocol = "epaxos-star";
  std::vector<int> replica_sites;  // replica i sits at site replica_sites[i]
  Workload workload;
  sim::NetworkConfig network;
  std::vector<FaultEvent> faults;              // sorted by time
  sim::Duration duration = 60 * sim::kSecond;  // hard cap on the run
  uint64_t seed = 1;
  // Liveness bound after the last fault heals, in multiples of the largest
  // RTT between replicas.
  double liveness_rtts = 50;
  // The "budget" check: a run that processes more world events than this
  // stops there and fails it (a livelock or a message storm: duelling
  // recoveries, quadratic blow-up). 0: no budget.
  int64_t max_events = 0;
  // Bug-corpus parts (message scripts, expected verdicts), kept as JSON and
  // interpreted by scenarios/script.h.
  nlohmann::json script;  // null when absent
  nlohmann::json expect;  // null when absent
  // The scenario as read, for writing derived scenarios (fuzz, shrink).
  nlohmann::json source;

  static absl::StatusOr<Scenario> Load(const std::string& path);
  static absl::StatusOr<Scenario> FromJson(const nlohmann::json& json,
                                           const std::string& file);
  // Back to the file format (round-trips through FromJson).
  nlohmann::json ToJson() const;
};

// The folder holding the shipped topologies (scenarios/topologies), found
// relative to the source tree the binary was built from.
std::string TopologyDir();
// Resolves a topology given by name ("epaxos-sosp13-5site", "lan") or path.
absl::StatusOr<sim::Topology> LoadTopology(const std::string& name_or_path);

}  // namespace epsim::scenarios

#endif  // EPSIM_SCENARIOS_SCENARIO_H_
