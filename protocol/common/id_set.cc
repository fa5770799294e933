#include "protocol/common/id_set.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "protocol/common/hash.h"

namespace epsim::protocol {

IdSet::IdSet(std::vector<CommandId> ids) {
  // Almost always sorted already: checking is one pass, sorting is not.
  if (!std::is_sorted(ids.begin(), ids.end())) {
    std::sort(ids.begin(), ids.end());
  }
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  *this = FromSorted(std::move(ids));
}

IdSet::IdSet(std::initializer_list<CommandId> ids)
    : IdSet(std::vector<CommandId>(ids)) {}

IdSet IdSet::FromSorted(std::vector<CommandId> sorted) {
  IdSet set;
  if (!sorted.empty()) {
    const uint64_t digest = SetDigest(sorted);
    set.rep_ = std::make_shared<const Rep>(Rep{std::move(sorted), digest});
  }
  return set;
}

const std::vector<CommandId>& IdSet::ids() const {
  static const std::vector<CommandId>* empty = new std::vector<CommandId>;
  return rep_ == nullptr ? *empty : rep_->ids;
}

uint64_t IdSet::digest() const {
  static const uint64_t empty = SetDigest({});
  return rep_ == nullptr ? empty : rep_->digest;
}

std::string IdSet::ToString() const {
  return absl::StrCat("{",
                      absl::StrJoin(ids(), ",",
                                    [](std::string* out, const CommandId& id) {
                                      absl::StrAppend(out, id.ToString());
                                    }),
                      "}");
}

IdSet Union(const IdSet& a, const IdSet& b) {
  if (a.SharesStorageWith(b) || b.empty()) return a;
  if (a.empty()) return b;
  if (a.size() >= b.size() &&
      std::includes(a.begin(), a.end(), b.begin(), b.end())) {
    return a;
  }
  if (b.size() > a.size() &&
      std::includes(b.begin(), b.end(), a.begin(), a.end())) {
    return b;
  }
  std::vector<CommandId> out;
  out.reserve(a.size() + b.size());
  std::set_union(a.begin(), a.end(), b.begin(), b.end(),
                 std::back_inserter(out));
  return IdSet::FromSorted(std::move(out));
}

}  // namespace epsim::protocol
