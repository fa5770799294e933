#include "scenarios/coverage.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace epsim::scenarios {

void PrintCoverage(const Coverage& counts,
                   const absl::btree_set<std::string>& branches,
                   const std::string& title, std::ostream& out) {
  Coverage all = counts;
  for (const std::string& branch : branches) all.try_emplace(branch, 0);
  out << "coverage (" << title << "):\n";
  size_t width = 6;
  for (const auto& [branch, count] : all) {
    width = std::max(width, branch.size());
  }
  int64_t unreached = 0;
  for (const auto& [branch, count] : all) {
    const bool never = count == 0 && branches.contains(branch);
    unreached += never;
    out << absl::StrFormat("  %-*s %10d%s\n", width, branch, count,
                           never ? "  NEVER REACHED" : "");
  }
  out << absl::StrFormat("%d of %d branches never reached\n", unreached,
                         branches.size());
}

}  // namespace epsim::scenarios
