#include "protocol/common/kv_store.h"

#include "base/check.h"

namespace epsim::protocol {

KvStore::Outcome KvStore::Apply(const Command& command) {
  EPSIM_CHECK(!command.nop) << "a Nop is never executed";
  auto [it, fresh] = applied_.try_emplace(command.request);
  if (!fresh) return {it->second, true};  // a retry that took effect before
  KvResult result;
  auto found = data_.find(command.key);
  switch (command.op) {
    case OpType::kPut:
      data_[command.key] = command.value;
      break;
    case OpType::kGet:
      if (found != data_.end()) result.value = found->second;
      break;
    case OpType::kAppend:
      data_[command.key] += command.value;
      break;
    case OpType::kCas: {
      const bool matches =
          command.expected.has_value()
              ? (found != data_.end() && found->second == *command.expected)
              : found == data_.end();
      if (matches) data_[command.key] = command.value;
      result.cas_succeeded = matches;
      break;
    }
  }
  it->second = result;
  return {result, false};
}

uint64_t KvStore::Digest() const {
  // FNV-1a over the ordered map: the same contents give the same digest on
  // every platform.
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;
    h *= 1099511628211ULL;
  };
  for (const auto& [key, value] : data_) {
    mix(key);
    mix(value);
  }
  return h;
}

}  // namespace epsim::protocol
