#include "protocol/common/command.h"

#include "absl/strings/str_cat.h"
#include "base/strings.h"
#include "protocol/common/types.h"

namespace epsim::protocol {

std::string CommandId::ToString() const {
  return absl::StrCat(origin, ".", counter);
}

std::string_view OpTypeName(OpType op) {
  switch (op) {
    case OpType::kPut:
      return "put";
    case OpType::kGet:
      return "get";
    case OpType::kAppend:
      return "append";
    case OpType::kCas:
      return "cas";
  }
  return "?";
}

bool Conflicts(const Command& a, const Command& b) {
  if (a.nop || b.nop) return true;
  return a.key == b.key && (a.IsWrite() || b.IsWrite());
}

std::string Command::ToString() const {
  if (nop) return "Nop";
  std::string out = absl::StrCat(Av(OpTypeName(op)), "(", key.str());
  if (op == OpType::kCas) {
    absl::StrAppend(
        &out, ", ",
        expected ? absl::StrCat("\"", *expected, "\"") : std::string("null"));
  }
  if (op != OpType::kGet) absl::StrAppend(&out, ", \"", value, "\"");
  absl::StrAppend(&out, ") c", request.client, "#", request.number);
  return out;
}

}  // namespace epsim::protocol
