// The coverage table every engine prints: each protocol branch (the names
// replicas pass to Env::Cover) with how often it ran, branches listed by
// the protocol but never run flagged NEVER REACHED. `epsim fuzz` sums it
// over seeds, `epsim explore` over the transitions it executed.
#ifndef EPSIM_SCENARIOS_COVERAGE_H_
#define EPSIM_SCENARIOS_COVERAGE_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"

namespace epsim::scenarios {

using Coverage = absl::btree_map<std::string, int64_t>;

// Prints "coverage (TITLE):", one line per branch of `counts` and of
// `branches`, and the number of `branches` never reached.
void PrintCoverage(const Coverage& counts,
                   const absl::btree_set<std::string>& branches,
                   const std::string& title, std::ostream& out);

}  // namespace epsim::scenarios

#endif  // EPSIM_SCENARIOS_COVERAGE_H_
