// The subcommands of `epsim`. Each lives in cli/<name>_command.cc and
// takes the arguments after its name; the return value is the exit code
// (cli/cli.h).
#ifndef EPSIM_CLI_COMMANDS_H_
#define EPSIM_CLI_COMMANDS_H_

#include <string>
#include <vector>

namespace epsim::cli {

using Args = std::vector<std::string>;

int RunCommand(const Args& args);      // run one scenario, check it
int ReplayCommand(const Args& args);   // run one scenario step by step
int CheckCommand(const Args& args);    // linearizability of a history file
int CompareCommand(const Args& args);  // the bug corpus across protocols
int FuzzCommand(const Args& args);     // many seeds, random fault plans
int ShrinkCommand(const Args& args);   // minimise a violating scenario
int ExploreCommand(const Args& args);  // bounded exhaustive exploration
int LatencyCommand(const Args& args);  // WAN latency experiments
int MergeCommand(const Args& args);    // combine fuzz shards
int BenchCommand(const Args& args);    // events/s, messages/s, checker speed

// For subcommands not built yet: says so on stderr and returns 2.
int NotBuiltYet(const char* name);

}  // namespace epsim::cli

#endif  // EPSIM_CLI_COMMANDS_H_
