#include "protocol/common/kv_store.h"

#include "base/check.h"
#include "protocol/common/hash.h"

namespace epsim::protocol {

KvStore::Outcome KvStore::Apply(const Command& command) {
  EPSIM_CHECK(!command.nop) << "a Nop is never executed";
  auto [it, fresh] = applied_.try_emplace(command.request);
  if (!fresh) return {it->second, true};  // a retry that took effect before
  KvResult result;
  switch (command.op) {
    case OpType::kPut:
      data_.insert_or_assign(command.key, command.value);
      break;
    case OpType::kGet:
      if (auto found = data_.find(command.key); found != data_.end()) {
        result.value = found->second;
      }
      break;
    case OpType::kAppend:
      data_[command.key] += command.value;
      break;
    case OpType::kCas: {
      auto found = data_.find(command.key);
      const bool matches =
          command.expected.has_value()
              ? (found != data_.end() && found->second == *command.expected)
              : found == data_.end();
      if (matches) {
        if (found != data_.end()) {
          found->second = command.value;
        } else {
          data_.emplace(command.key, command.value);
        }
      }
      result.cas_succeeded = matches;
      break;
    }
  }
  it->second = result;
  return {result, false};
}

uint64_t KvStore::Digest() const {
  // Each entry hashed on its own (FNV-1a, the same on every platform), the
  // entries summed: independent of the hash map's order.
  const auto fnv = [](std::string_view s) {
    uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    return h;
  };
  uint64_t sum = 0;
  for (const auto& [key, value] : data_) {
    sum += SplitMix64(fnv(key) ^ SplitMix64(fnv(value)));
  }
  return SplitMix64(sum ^ SplitMix64(data_.size()));
}

}  // namespace epsim::protocol
