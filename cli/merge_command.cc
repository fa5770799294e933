// `epsim merge DIR|FILE...`: combines the shard results of one fuzz campaign
// (`epsim fuzz --shard i/N --out DIR`) into the summary the unsharded
// campaign prints.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "fuzz/fuzz_campaign.h"
#include "scenarios/json_reader.h"

namespace epsim::cli {

using fuzz::FuzzSummary;
using fuzz::MergeShards;
using fuzz::PrintFuzzSummary;

int MergeCommand(const Args& args) {
  std::vector<std::string> inputs;
  std::string out_path;
  bool json = false;
  FlagParser flags(
      "epsim merge",
      "Combines the shard result files of one fuzz campaign (written by "
      "`epsim fuzz\n--shard i/N --out DIR` as DIR/shard-i-of-N.json) into "
      "the summary the unsharded\ncampaign gives. Each argument is a shard "
      "file or a folder holding them. Exit 1\nif any seed violated a check.");
  flags.Rest("DIR|FILE", &inputs, "shard result files or folders");
  flags.Bool("json", &json, "print one JSON object instead of the report");
  flags.String("out", &out_path, "also write the merged JSON here");
  if (auto status = flags.Parse(args); !status.ok()) return flags.Fail(status);
  auto bad = [](const std::string& message) {
    std::cerr << "epsim merge: " << message << "\n";
    return kExitBadInput;
  };
  if (inputs.empty()) return bad("expected at least one folder or file");

  std::vector<std::string> files;
  for (const std::string& input : inputs) {
    if (std::filesystem::is_directory(input)) {
      std::vector<std::string> found;
      for (const auto& entry : std::filesystem::directory_iterator(input)) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with("shard-") && name.ends_with(".json")) {
          found.push_back(entry.path().string());
        }
      }
      if (found.empty()) {
        return bad(absl::StrCat(input, ": no shard-*.json result files"));
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (std::filesystem::exists(input)) {
      files.push_back(input);
    } else {
      return bad(absl::StrCat(input, ": no such file or folder"));
    }
  }
  std::vector<std::pair<std::string, FuzzSummary>> shards;
  for (const std::string& file : files) {
    absl::StatusOr<std::string> text = ReadFile(file);
    if (!text.ok()) return bad(std::string(text.status().message()));
    absl::StatusOr<FuzzSummary> shard;
    try {
      shard =
          FuzzSummary::FromJson(scenarios::ParseJsonOrThrow(*text, file), file);
    } catch (const scenarios::JsonInputError& e) {
      return bad(e.message);
    }
    if (!shard.ok()) return bad(std::string(shard.status().message()));
    shards.emplace_back(file, *std::move(shard));
  }
  absl::StatusOr<FuzzSummary> merged = MergeShards(shards);
  if (!merged.ok()) return bad(std::string(merged.status().message()));
  if (!out_path.empty()) {
    if (auto s = WriteFileAtomically(out_path, merged->ToJson().dump(2) + "\n");
        !s.ok()) {
      return bad(std::string(s.message()));
    }
  }
  if (json) {
    std::cout << merged->ToJson().dump(2) << "\n";
  } else {
    PrintFuzzSummary(*merged, std::cout);
  }
  return merged->findings.empty() ? kExitOk : kExitViolation;
}

}  // namespace epsim::cli
