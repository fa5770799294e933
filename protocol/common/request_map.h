// RequestMap<T>: per-request state keyed by RequestId, stored densely.
//
// Clients number themselves densely from 0 and their requests densely from
// 0, so the state of request (client, number) lives in a table per client
// indexed by number: a look-up is two indexed loads, and one client's
// requests sit together in memory (a hash map paid a cache miss per request
// on every commit and execution). Ids outside the dense range go to a hash
// map, iterated only through ForEach, which sorts it.
//
// An entry is a plain T: a request never touched reads as T{} (pick a T
// whose default means "nothing yet"). References are invalidated when the
// table grows.
#ifndef EPSIM_PROTOCOL_COMMON_REQUEST_MAP_H_
#define EPSIM_PROTOCOL_COMMON_REQUEST_MAP_H_

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "protocol/common/command.h"

namespace epsim::protocol {

template <typename T>
class RequestMap {
 public:
  // The entry of `request`, T{} if new.
  T& operator[](const RequestId& request) {
    if (!IsDense(request)) return other_[request];
    if (static_cast<size_t>(request.client) >= by_client_.size()) {
      by_client_.resize(request.client + 1);
    }
    std::vector<T>& mine = by_client_[request.client];
    if (static_cast<size_t>(request.number) >= mine.size()) {
      mine.resize(request.number + 1);
    }
    return mine[request.number];
  }
  // The entry of `request`, or null if it was never created (an entry
  // created but still T{} may be returned).
  T* Find(const RequestId& request) {
    return const_cast<T*>(static_cast<const RequestMap&>(*this).Find(request));
  }
  const T* Find(const RequestId& request) const {
    if (!IsDense(request)) {
      auto it = other_.find(request);
      return it == other_.end() ? nullptr : &it->second;
    }
    if (static_cast<size_t>(request.client) >= by_client_.size()) {
      return nullptr;
    }
    const std::vector<T>& mine = by_client_[request.client];
    return static_cast<size_t>(request.number) < mine.size()
               ? &mine[request.number]
               : nullptr;
  }
  // Calls fn(request, entry) for every entry created, in request order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    // Spilled ids are negative or huge: the negative ones come first.
    std::vector<const std::pair<const RequestId, T>*> spilled;
    for (const auto& entry : other_) spilled.push_back(&entry);
    std::sort(spilled.begin(), spilled.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    auto next = spilled.begin();
    for (size_t c = 0; c < by_client_.size(); ++c) {
      const RequestId first{static_cast<int32_t>(c), 0};
      for (; next != spilled.end() && (*next)->first < first; ++next) {
        fn((*next)->first, (*next)->second);
      }
      for (size_t n = 0; n < by_client_[c].size(); ++n) {
        fn(RequestId{static_cast<int32_t>(c), static_cast<int64_t>(n)},
           by_client_[c][n]);
      }
    }
    for (; next != spilled.end(); ++next) fn((*next)->first, (*next)->second);
  }
  friend bool operator==(const RequestMap&, const RequestMap&) = default;

 private:
  static bool IsDense(const RequestId& request) {
    return request.client >= 0 && request.client < (1 << 16) &&
           request.number >= 0 && request.number < (int64_t{1} << 20);
  }

  std::vector<std::vector<T>> by_client_;
  absl::flat_hash_map<RequestId, T> other_;
};

}  // namespace epsim::protocol

#endif  // EPSIM_PROTOCOL_COMMON_REQUEST_MAP_H_
