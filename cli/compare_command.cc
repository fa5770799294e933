// `epsim compare DIR|FILES`: the bug corpus across protocols. Each entry is
// run on every protocol its "expect" names (or on --protocols), and the
// matrix shows, per entry and protocol, the failing check or "ok". Exit 1 if
// any outcome differs from what the entry's file expects.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "nlohmann/json.hpp"
#include "protocol/common/protocol.h"
#include "scenarios/scenario.h"
#include "scenarios/script.h"
#include "scenarios/simulation.h"

namespace epsim::cli {
namespace {

struct Cell {
  std::string protocol;  // as written (expect key or --protocols entry)
  std::string expected;  // "" when the entry says nothing about it
  std::string actual;    // "ok", checks joined by '+', or "error"
  std::string error;     // why the run could not be done
  bool matches = true;
};

struct Row {
  std::string entry;
  std::string file;
  std::string bug_class;
  std::string layer;
  std::vector<Cell> cells;
};

// "epaxos,epaxos:ballots=split,recovery=simple,epaxos-star": a comma starts
// a new spec only where a registered protocol name (alone or followed by
// ':') begins; ';' always does.
std::vector<std::string> SplitProtocols(const std::string& text) {
  std::vector<std::string> names;
  for (const auto& [name, description] :
       protocol::ProtocolRegistry::Builtin().List()) {
    names.push_back(name);
  }
  std::vector<std::string> out;
  for (absl::string_view group : absl::StrSplit(text, ';', absl::SkipEmpty())) {
    for (absl::string_view token :
         absl::StrSplit(group, ',', absl::SkipEmpty())) {
      const std::string t(token);
      const bool starts_spec =
          out.empty() ||
          std::any_of(names.begin(), names.end(), [&](const std::string& n) {
            return t == n || t.starts_with(n + ":");
          });
      if (starts_spec) {
        out.push_back(t);
      } else {
        absl::StrAppend(&out.back(), ",", t);
      }
    }
  }
  return out;
}

// The canonical name of `spec` for a scenario with n replicas (empty if the
// registry refuses it).
std::string Canonical(const std::string& spec, int n) {
  protocol::ProtocolContext context;
  context.replicas = n;
  context.max_round_trip = 1000;
  absl::StatusOr<std::unique_ptr<protocol::Protocol>> p =
      protocol::ProtocolRegistry::Builtin().Make(spec, context);
  return p.ok() ? (*p)->Name() : std::string();
}

std::string Verdict(const scenarios::RunResult& result) {
  if (result.ok()) return "ok";
  std::vector<std::string> checks;
  for (const scenarios::Violation& v : result.violations) {
    if (std::find(checks.begin(), checks.end(), v.check) == checks.end()) {
      checks.push_back(v.check);
    }
  }
  return absl::StrJoin(checks, "+");
}

bool Matches(const std::string& expected, const scenarios::RunResult& result) {
  if (expected.empty()) return true;
  if (expected == "ok") return result.ok();
  return std::any_of(
      result.violations.begin(), result.violations.end(),
      [&](const scenarios::Violation& v) { return v.check == expected; });
}

absl::StatusOr<std::vector<std::string>> CorpusFiles(
    const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const std::string& in : inputs) {
    std::error_code ec;
    if (std::filesystem::is_directory(in, ec)) {
      std::vector<std::string> here;
      for (const auto& e : std::filesystem::directory_iterator(in, ec)) {
        if (e.path().extension() == ".json") here.push_back(e.path().string());
      }
      std::sort(here.begin(), here.end());
      files.insert(files.end(), here.begin(), here.end());
    } else if (std::filesystem::exists(in, ec)) {
      files.push_back(in);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(in, ": no such file or directory"));
    }
  }
  if (files.empty()) {
    return absl::InvalidArgumentError("no scenario files (*.json) given");
  }
  return files;
}

absl::StatusOr<Row> RunEntry(const std::string& file,
                             const std::vector<std::string>& protocols) {
  absl::StatusOr<scenarios::Scenario> scenario =
      scenarios::Scenario::Load(file);
  if (!scenario.ok()) return scenario.status();
  Row row;
  row.entry = scenario->name;
  row.file = file;
  std::vector<std::pair<std::string, std::string>> expected;
  if (!scenario->expect.is_null()) {
    absl::StatusOr<scenarios::Expectation> e =
        scenarios::Expectation::FromJson(scenario->expect, file);
    if (!e.ok()) return e.status();
    row.bug_class = e->bug_class;
    row.layer = e->layer;
    expected = e->verdicts;
  }
  const int n = static_cast<int>(scenario->replica_sites.size());
  std::vector<std::string> to_run = protocols;
  if (to_run.empty()) {
    for (const auto& [spec, verdict] : expected) to_run.push_back(spec);
  }
  if (to_run.empty()) to_run.push_back(scenario->protocol);
  for (const std::string& spec : to_run) {
    Cell cell;
    cell.protocol = spec;
    // The expectation written for this spec, literally or by canonical name.
    const std::string canonical = Canonical(spec, n);
    for (const auto& [key, verdict] : expected) {
      if (key == spec ||
          (!canonical.empty() && Canonical(key, n) == canonical)) {
        cell.expected = verdict;
        break;
      }
    }
    scenarios::RunOptions options;
    options.protocol = spec;
    absl::StatusOr<scenarios::RunResult> result =
        scenarios::Simulate(*scenario, options);
    if (!result.ok()) {
      cell.actual = "error";
      cell.error = std::string(result.status().message());
      cell.matches = false;
    } else {
      cell.actual = Verdict(*result);
      cell.matches = Matches(cell.expected, *result);
    }
    row.cells.push_back(std::move(cell));
  }
  return row;
}

void PrintMatrix(const std::vector<Row>& rows, std::ostream& out) {
  std::vector<std::string> columns;
  for (const Row& row : rows) {
    for (const Cell& c : row.cells) {
      if (std::find(columns.begin(), columns.end(), c.protocol) ==
          columns.end()) {
        columns.push_back(c.protocol);
      }
    }
  }
  out << "protocols:\n";
  for (size_t i = 0; i < columns.size(); ++i) {
    out << "  [" << i + 1 << "] " << columns[i] << "\n";
  }
  size_t entry_width = 5, class_width = 5;
  for (const Row& row : rows) {
    entry_width = std::max(entry_width, row.entry.size());
    class_width = std::max(class_width, row.bug_class.size());
  }
  std::vector<size_t> widths(columns.size(), 3);
  for (const Row& row : rows) {
    for (const Cell& c : row.cells) {
      const size_t i = std::find(columns.begin(), columns.end(), c.protocol) -
                       columns.begin();
      widths[i] = std::max(widths[i], c.actual.size() + (c.matches ? 0 : 1));
    }
  }
  out << "\n"
      << absl::StrFormat("%-*s  %-*s", entry_width, "entry", class_width,
                         "class");
  for (size_t i = 0; i < columns.size(); ++i) {
    out << "  "
        << absl::StrFormat("%-*s", widths[i], absl::StrCat("[", i + 1, "]"));
  }
  out << "\n";
  std::vector<std::string> differences;
  for (const Row& row : rows) {
    out << absl::StrFormat("%-*s  %-*s", entry_width, row.entry, class_width,
                           row.bug_class);
    for (size_t i = 0; i < columns.size(); ++i) {
      std::string text = "-";
      for (const Cell& c : row.cells) {
        if (c.protocol != columns[i]) continue;
        text = c.matches ? c.actual : c.actual + "!";
        if (!c.matches) {
          differences.push_back(absl::StrCat(
              row.entry, " on ", c.protocol, ": expected ",
              c.expected.empty() ? std::string("(nothing)") : c.expected,
              ", got ", c.actual, c.error.empty() ? "" : ": ", c.error));
        }
      }
      out << "  " << absl::StrFormat("%-*s", widths[i], text);
    }
    out << "\n";
  }
  out << "\n"
      << rows.size() << " entries; "
      << (differences.empty()
              ? std::string("every outcome as expected")
              : absl::StrCat(differences.size(),
                             " outcome(s) differ from the expectation (!):"))
      << "\n";
  for (const std::string& d : differences) out << "  " << d << "\n";
}

nlohmann::json MatrixJson(const std::vector<Row>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const Row& row : rows) {
    nlohmann::json expected = nlohmann::json::object();
    nlohmann::json actual = nlohmann::json::object();
    for (const Cell& c : row.cells) {
      if (!c.expected.empty()) expected[c.protocol] = c.expected;
      actual[c.protocol] = c.actual;
    }
    out.push_back({{"entry", row.entry},
                   {"class", row.bug_class},
                   {"expected", expected},
                   {"actual", actual}});
  }
  return out;
}

}  // namespace

int CompareCommand(const Args& args) {
  std::vector<std::string> inputs;
  std::string protocols_flag;
  bool json = false;
  FlagParser flags(
      "epsim compare",
      "Runs each bug-corpus entry (scenarios/bugs/*.json) on several\n"
      "protocols and prints the matrix: entry, class, and per protocol the\n"
      "failing check or \"ok\" ('!' marks an outcome that differs from the\n"
      "entry's \"expect\"). Exit 1 if any outcome differs; 2 on bad input or\n"
      "a script step that cannot be carried out (the matrix says \"error\").");
  flags.Rest("DIR|FILES", &inputs, "corpus folder(s) or scenario files");
  flags.String("protocols", &protocols_flag,
               "protocols to run, comma-separated (default: those each "
               "entry's expect names)");
  flags.Bool("json", &json,
             "print a JSON list of {entry, class, expected, actual}");
  if (auto status = flags.Parse(args); !status.ok()) return flags.Fail(status);
  if (inputs.empty()) {
    return flags.Fail(
        absl::InvalidArgumentError("give a corpus folder or scenario files"));
  }
  const std::vector<std::string> protocols = SplitProtocols(protocols_flag);
  absl::StatusOr<std::vector<std::string>> files = CorpusFiles(inputs);
  if (!files.ok()) {
    std::cerr << "epsim compare: " << files.status().message() << "\n";
    return kExitBadInput;
  }
  std::vector<Row> rows;
  ProgressLine progress(json);
  for (const std::string& file : *files) {
    progress.Update(absl::StrCat("compare ", rows.size() + 1, "/",
                                 files->size(), " ", file));
    absl::StatusOr<Row> row = RunEntry(file, protocols);
    if (!row.ok()) {
      progress.Finish();
      std::cerr << "epsim compare: " << row.status().message() << "\n";
      return kExitBadInput;
    }
    rows.push_back(*std::move(row));
  }
  progress.Finish();
  bool all_match = true, any_error = false;
  for (const Row& row : rows) {
    for (const Cell& c : row.cells) {
      all_match = all_match && c.matches;
      any_error = any_error || !c.error.empty();
    }
  }
  if (json) {
    std::cout << MatrixJson(rows).dump(2) << "\n";
  } else {
    PrintMatrix(rows, std::cout);
  }
  if (any_error) return kExitBadInput;  // a script that cannot be run
  return all_match ? kExitOk : kExitViolation;
}

}  // namespace epsim::cli
