// Where nodes sit: named sites and the round-trip times between them, read
// from JSON files of the shape of scenarios/topologies/*.json:
//
//   {"name": "epaxos-sosp13-3site", "unit": "ms", "sites": ["CA", "VA", "EU"],
//    "rtt_ms": [[0, 85, 156], [85, 0, 90], [156, 90, 0]],
//    "self_rtt_ms": {"CA": 0.1, ...}}          // optional
//
// Other fields (source, kind, site_labels, provenance, ...) are kept only in
// the sense that they are allowed; site_labels and self_rtt_ms keys must name
// sites. The matrix must be square with one row per site and finite,
// non-negative numbers. It may be asymmetric (rtt_ms[a][b] is used for
// messages from a to b); the diagonal is not used for delays (nodes at one
// site get NetworkConfig::same_site_delay).
#ifndef EPSIM_SIM_TOPOLOGY_H_
#define EPSIM_SIM_TOPOLOGY_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace epsim::sim {

struct Topology {
  std::string name;
  std::vector<std::string> sites;
  std::vector<std::vector<double>> rtt_ms;  // [from][to], milliseconds
  // A self RTT given as one number for every site.
  std::optional<double> self_rtt_ms;
  // Self RTT per site (from a {"site": ms} object or the single number);
  // empty when the file gives none, else one entry per site (nullopt for a
  // site the object does not mention).
  std::vector<std::optional<double>> site_self_rtt_ms;

  // `origin` names the input in error messages: a file path, or
  // "scenario.json: topology" for a topology embedded in a scenario.
  static absl::StatusOr<Topology> FromJson(const nlohmann::json& j,
                                           const std::string& origin);
  static absl::StatusOr<Topology> Load(const std::string& path);
  // n sites named s0..s(n-1), every pair `rtt_ms` apart (tests, benches).
  static Topology Uniform(std::string name, int sites, double rtt_ms);

  int SiteCount() const { return static_cast<int>(sites.size()); }
  std::optional<int> SiteIndex(std::string_view site) const;
  // Largest RTT between two distinct sites (0 with fewer than two sites).
  double MaxRttMs() const;
  // Back to the file format (round-trips through FromJson).
  nlohmann::json ToJson() const;
};

}  // namespace epsim::sim

#endif  // EPSIM_SIM_TOPOLOGY_H_
