// Shared pieces of the `epsim` command line: exit codes, a small flag
// parser, the progress line. Every subcommand uses these, so they behave
// alike (same --help, same errors, same exit codes).
#ifndef EPSIM_CLI_CLI_H_
#define EPSIM_CLI_CLI_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/files.h"

namespace epsim::cli {

// Exit codes of every subcommand.
enum ExitCode : int {
  kExitOk = 0,         // done, nothing violated
  kExitViolation = 1,  // a check found a violation
  kExitBadInput = 2,   // bad input or usage; nothing partial written
  kExitUndecided = 3,  // undecided within a time limit
};

// A subcommand's flags. Parse() fills the bound variables; "--help" makes it
// return a status whose message is the usage text and help_requested() true.
//
//   FlagParser flags("epsim run", "Runs one scenario.");
//   flags.Positional("SCENARIO", &scenario, "scenario file");
//   flags.Int("seed", &seed, "seed (default: the scenario's)");
//   if (auto s = flags.Parse(args); !s.ok()) return flags.Fail(s);
class FlagParser {
 public:
  FlagParser(std::string command, std::string summary);

  void Bool(std::string name, bool* out, std::string help);
  void String(std::string name, std::string* out, std::string help);
  void Int(std::string name, int64_t* out, std::string help);
  void Double(std::string name, double* out, std::string help);
  // Required positional arguments come first, in the order declared.
  void Positional(std::string name, std::string* out, std::string help,
                  bool required = true);
  // Collects every remaining positional argument.
  void Rest(std::string name, std::vector<std::string>* out, std::string help);

  absl::Status Parse(const std::vector<std::string>& args);
  bool help_requested() const { return help_requested_; }
  std::string Usage() const;
  // Prints the usage (for --help, to stdout, returns 0) or the error and a
  // hint (to stderr, returns kExitBadInput).
  int Fail(const absl::Status& status) const;

 private:
  struct Flag {
    std::string name;
    std::string kind;  // "bool", "string", "int", "double"
    std::string help;
    std::function<bool(const std::string&)> set;
  };
  struct Arg {
    std::string name;
    std::string help;
    bool required;
    std::string* out;
  };
  std::string command_;
  std::string summary_;
  std::vector<Flag> flags_;
  std::vector<Arg> positionals_;
  std::string rest_name_;
  std::string rest_help_;
  std::vector<std::string>* rest_ = nullptr;
  bool help_requested_ = false;
};

// One progress line on standard error, redrawn in place; silent when
// standard error is not a terminal or when quiet. Call Update() as often as
// you like: it redraws at most ten times a second.
class ProgressLine {
 public:
  explicit ProgressLine(bool quiet);
  ~ProgressLine();
  void Update(const std::string& text);
  void Finish();  // clears the line

 private:
  bool enabled_;
  int64_t last_draw_ns_ = 0;
  size_t last_width_ = 0;
};

}  // namespace epsim::cli

#endif  // EPSIM_CLI_CLI_H_
