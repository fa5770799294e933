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
  uint64_t sum = 0;
  for (const CommandId& id : sorted) sum += SetDigestTerm(id);
  return Make(std::move(sorted), sum);
}

IdSet IdSet::Make(std::vector<CommandId> sorted, uint64_t sum_of_terms) {
  IdSet set;
  if (!sorted.empty()) {
    const uint64_t digest = SetDigestOf(sum_of_terms, sorted.size());
    set.rep_ = std::make_shared<const Rep>(
        Rep{std::move(sorted), sum_of_terms, digest});
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

template <typename SortedRange>
IdSet IdSet::UnionOf(const IdSet& a, const SortedRange& b, const IdSet* b_set) {
  // First compare (no writes): most unions add nothing to one side, and
  // then that side is shared. The terms of b's extras make the union's
  // digest from a's.
  size_t only_a = 0, only_b = 0;
  uint64_t only_b_sum = 0;
  auto x = a.begin(), y = b.begin();
  const auto x_end = a.end();
  const auto y_end = b.end();
  while (x != x_end && y != y_end) {
    if (*x == *y) {
      ++x;
      ++y;
    } else if (*x < *y) {
      ++only_a;
      ++x;
    } else {
      ++only_b;
      only_b_sum += SetDigestTerm(*y);
      ++y;
    }
  }
  only_a += static_cast<size_t>(x_end - x);
  for (; y != y_end; ++y) {
    ++only_b;
    only_b_sum += SetDigestTerm(*y);
  }
  if (only_b == 0) return a;
  if (only_a == 0 && b_set != nullptr) return *b_set;
  std::vector<CommandId> out;
  out.reserve(a.size() + only_b);
  std::set_union(a.begin(), a.end(), b.begin(), b.end(),
                 std::back_inserter(out));
  return Make(std::move(out), a.sum_of_terms() + only_b_sum);
}

IdSet Union(const IdSet& a, const IdSet& b) {
  if (a.SharesStorageWith(b) || b.empty()) return a;
  if (a.empty()) return b;
  return IdSet::UnionOf(a, b, &b);
}

IdSet Union(const IdSet& a, const std::vector<CommandId>& sorted_b) {
  if (sorted_b.empty()) return a;
  return IdSet::UnionOf(a, sorted_b, nullptr);
}

}  // namespace epsim::protocol
