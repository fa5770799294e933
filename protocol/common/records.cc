#include "protocol/common/records.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace epsim::protocol {

std::string CommitRecord::ToString() const {
  std::string out =
      absl::StrCat(id.ToString(), " ", command.ToString(), " deps={");
  absl::StrAppend(&out,
                  absl::StrJoin(deps, ",",
                                [](std::string* o, const CommandId& d) {
                                  absl::StrAppend(o, d.ToString());
                                }),
                  "}");
  if (seq) absl::StrAppend(&out, " seq=", *seq);
  absl::StrAppend(&out, " ballot=", ballot);
  return out;
}

}  // namespace epsim::protocol
