// Printing a run's result: the human summary of `epsim run` and its --json
// object. Shared by run, replay and the commands that show single runs.
#ifndef EPSIM_CLI_RUN_REPORT_H_
#define EPSIM_CLI_RUN_REPORT_H_

#include <ostream>

#include "nlohmann/json.hpp"
#include "scenarios/simulation.h"

namespace epsim::cli {

void PrintRunSummary(const scenarios::RunResult& result, std::ostream& out);
nlohmann::json RunResultToJson(const scenarios::RunResult& result);
// "agreement at 1234.500ms r2 (commit of 1.7 at r2): ..." plus the replay
// command, for reports.
void PrintViolations(const scenarios::RunResult& result, std::ostream& out);

}  // namespace epsim::cli

#endif  // EPSIM_CLI_RUN_REPORT_H_
