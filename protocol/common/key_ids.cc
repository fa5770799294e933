#include "protocol/common/key_ids.h"

#include <algorithm>
#include <iterator>

namespace epsim::protocol {
namespace {

// Sorted-vector set updates.
template <typename SortedIds>
void InsertSorted(SortedIds& v, const CommandId& id) {
  // Ids grow: most land at the end, found without a search.
  if (v.empty() || v.back() < id) {
    v.push_back(id);
    return;
  }
  auto at = std::lower_bound(v.begin(), v.end(), id);
  if (at == v.end() || *at != id) v.insert(at, id);
}
template <typename SortedIds>
void EraseSorted(SortedIds& v, const CommandId& id) {
  auto at = std::lower_bound(v.begin(), v.end(), id);
  if (at != v.end() && *at == id) v.erase(at);
}

}  // namespace

void KeyIds::Insert(const CommandId& id, bool write) {
  InsertSorted(write ? writes_ : reads_, id);
  if (sets_ != nullptr) {
    InsertSorted(sets_->pending_all, id);
    if (write) InsertSorted(sets_->pending_writes, id);
  }
}

void KeyIds::Erase(const CommandId& id, bool write) {
  EraseSorted(write ? writes_ : reads_, id);
  sets_.reset();
}

void KeyIds::AppendConflicting(bool write, std::vector<CommandId>& out) const {
  if (!write) {
    out.insert(out.end(), writes_.begin(), writes_.end());
    return;
  }
  std::merge(writes_.begin(), writes_.end(), reads_.begin(), reads_.end(),
             std::back_inserter(out));
}

IdSet KeyIds::Conflicts(bool write) const {
  return UnionWithConflicts(IdSet(), write);
}

IdSet KeyIds::UnionWithConflicts(const IdSet& base, bool write) const {
  // A key with a short history: a set built on the spot costs less than
  // keeping one up to date.
  constexpr size_t kBusy = 16;
  // Pending ids are folded into the kept sets this often: each fold builds
  // new sets, each unfolded id is merged into every answer.
  constexpr size_t kFold = 16;
  if (sets_ == nullptr && writes_.size() + reads_.size() < kBusy) {
    std::vector<CommandId> ids;
    AppendConflicting(write, ids);
    return UnionSorted(base, ids);
  }
  if (sets_ == nullptr) {
    sets_ = std::make_unique<Sets>();
    std::vector<CommandId> all;
    AppendConflicting(/*write=*/true, all);
    sets_->all = IdSet::FromSorted(all);
    sets_->writes = IdSet::FromSorted(writes_);
  } else if (sets_->pending_all.size() >= kFold) {
    sets_->all = UnionSorted(sets_->all, sets_->pending_all);
    sets_->writes = UnionSorted(sets_->writes, sets_->pending_writes);
    sets_->pending_all.clear();
    sets_->pending_writes.clear();
  }
  return write ? UnionSorted(Union(base, sets_->all), sets_->pending_all)
               : UnionSorted(Union(base, sets_->writes), sets_->pending_writes);
}

}  // namespace epsim::protocol
