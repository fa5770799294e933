#include "protocol/common/kv_store.h"

#include "base/check.h"
#include "protocol/common/hash.h"

namespace epsim::protocol {

namespace {
// Codes of a recorded result (0: none); larger codes index results_.
constexpr uint32_t kEmptyResult = 1;   // no value, cas not succeeded
constexpr uint32_t kCasSucceeded = 2;  // no value, cas succeeded
constexpr uint32_t kFirstStored = 3;
}  // namespace

uint32_t KvStore::Encode(KvResult result) {
  if (!result.value.has_value()) {
    return result.cas_succeeded ? kCasSucceeded : kEmptyResult;
  }
  results_.push_back(std::move(result));
  return kFirstStored + static_cast<uint32_t>(results_.size() - 1);
}

KvResult KvStore::Decode(uint32_t code) const {
  if (code >= kFirstStored) return results_[code - kFirstStored];
  KvResult result;
  result.cas_succeeded = code == kCasSucceeded;
  return result;
}

KvStore::Outcome KvStore::Apply(const Command& command) {
  EPSIM_CHECK(!command.nop) << "a Nop is never executed";
  uint32_t& applied = applied_[command.request];
  // A retry that took effect before.
  if (applied != 0) return {Decode(applied), true};
  KvResult result;
  switch (command.op) {
    case OpType::kPut:
      data_[command.key] = command.value;
      break;
    case OpType::kGet:
      if (const std::string* found = data_.Find(command.key)) {
        result.value = *found;
      }
      break;
    case OpType::kAppend:
      data_[command.key] += command.value;
      break;
    case OpType::kCas: {
      std::string* found = data_.Find(command.key);
      const bool matches =
          command.expected.has_value()
              ? (found != nullptr && *found == *command.expected)
              : found == nullptr;
      if (matches) data_[command.key] = command.value;
      result.cas_succeeded = matches;
      break;
    }
  }
  // (The reference into applied_ is still valid: data_ is another
  // container.)
  applied = Encode(result);
  return {result, false};
}

uint64_t KvStore::Digest() const {
  // Each entry hashed on its own (FNV-1a, the same on every platform), the
  // entries summed: independent of the order keys were written in.
  uint64_t sum = 0;
  data_.ForEach([&](const Key& key, const std::string& value) {
    sum += SplitMix64(key.text_hash() ^ SplitMix64(Fnv1a(value)));
  });
  return SplitMix64(sum ^ SplitMix64(data_.size()));
}

}  // namespace epsim::protocol
