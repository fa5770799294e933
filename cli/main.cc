// epsim: a deterministic simulator and model-checker harness for
// leaderless consensus. This file only dispatches to the subcommands.
#include <malloc.h>

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "base/check.h"
#include "cli/cli.h"
#include "cli/commands.h"

namespace {

struct Subcommand {
  const char* name;
  int (*run)(const epsim::cli::Args&);
  const char* summary;
};

constexpr Subcommand kSubcommands[] = {
    {"run", epsim::cli::RunCommand,
     "run a scenario, print its summary and every check's verdict"},
    {"replay", epsim::cli::ReplayCommand,
     "run a scenario step by step, showing each delivery and state change"},
    {"check", epsim::cli::CheckCommand,
     "decide whether a history file is linearizable"},
    {"compare", epsim::cli::CompareCommand,
     "run the bug corpus on several protocols, print the matrix"},
    {"fuzz", epsim::cli::FuzzCommand,
     "run many seeds with random fault plans, keep every violation"},
    {"shrink", epsim::cli::ShrinkCommand,
     "minimise a violating scenario while it still fails the same check"},
    {"explore", epsim::cli::ExploreCommand,
     "explore a small configuration exhaustively (model checking)"},
    {"latency", epsim::cli::LatencyCommand,
     "measure commit latency per site over a WAN topology"},
    {"merge", epsim::cli::MergeCommand,
     "combine the results of sharded fuzz campaigns"},
    {"bench", epsim::cli::BenchCommand,
     "measure events/s of the world, messages/s of a protocol, checker speed"},
};

void PrintHelp(std::ostream& out) {
  out << "usage: epsim SUBCOMMAND [args] [flags]\n\n"
         "A deterministic discrete-event simulator and model-checker harness "
         "for\nleaderless consensus (EPaxos*, EPaxos, Multi-Paxos).\n\n"
         "subcommands:\n";
  for (const Subcommand& s : kSubcommands) {
    out << "  " << s.name << std::string(10 - std::strlen(s.name), ' ')
        << s.summary << "\n";
  }
  out << "\n`epsim SUBCOMMAND --help` describes each. Exit codes: 0 ok, 1 "
         "violation,\n2 bad input or usage, 3 undecided within a time "
         "limit.\n";
}

}  // namespace

int main(int argc, char** argv) {
  // A run grows its state from nothing to hundreds of megabytes through
  // vectors that double. By default glibc maps each large block on its own
  // and unmaps it when freed, so every growth step touches fresh pages
  // (page faults were a sixth of a benchmark run). Keep large blocks on the
  // heap and keep freed memory for reuse: epsim is a batch tool that runs
  // many simulations in one process.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 16 << 20);
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 ||
      std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "help") == 0) {
    PrintHelp(argc < 2 ? std::cerr : std::cout);
    return argc < 2 ? epsim::cli::kExitBadInput : epsim::cli::kExitOk;
  }
  const std::vector<std::string> args(argv + 2, argv + argc);
  for (const Subcommand& s : kSubcommands) {
    if (std::strcmp(argv[1], s.name) == 0) {
      try {
        return s.run(args);
      } catch (const epsim::CheckFailure& failure) {
        // An internal invariant broke outside any run that could report it.
        std::cerr << "epsim " << s.name << ": " << failure.what() << "\n";
        return epsim::cli::kExitViolation;
      }
    }
  }
  std::cerr << "epsim: unknown subcommand \"" << argv[1] << "\"\n\n";
  PrintHelp(std::cerr);
  return epsim::cli::kExitBadInput;
}
