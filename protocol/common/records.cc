#include "protocol/common/records.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace epsim::protocol {

std::string CommitRecord::DecisionString() const {
  std::string out =
      absl::StrCat(id.ToString(), " ", command.ToString(), " deps={");
  absl::StrAppend(&out,
                  absl::StrJoin(deps, ",",
                                [](std::string* o, const CommandId& d) {
                                  absl::StrAppend(o, d.ToString());
                                }),
                  "}");
  if (seq) absl::StrAppend(&out, " seq=", *seq);
  return out;
}

std::string CommitRecord::ToString() const {
  return absl::StrCat(DecisionString(), " ballot=", ballot);
}

}  // namespace epsim::protocol
