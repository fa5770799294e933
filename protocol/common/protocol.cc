#include "protocol/common/protocol.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/strings.h"

namespace epsim::protocol {

absl::StatusOr<ProtocolSpec> ProtocolSpec::Parse(std::string_view text_in) {
  const absl::string_view text = Av(text_in);
  ProtocolSpec spec;
  const size_t colon = text.find(':');
  spec.name = std::string(text.substr(0, colon));
  if (spec.name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "protocol \"", text, "\": expected NAME or NAME:key=value,..."));
  }
  if (colon == absl::string_view::npos) return spec;
  std::string* last_value = nullptr;
  for (absl::string_view token :
       absl::StrSplit(text.substr(colon + 1), ',', absl::SkipEmpty())) {
    const size_t eq = token.find('=');
    if (eq == absl::string_view::npos) {
      if (last_value == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("protocol \"", text, "\": option \"", token,
                         "\" has no value; expected key=value"));
      }
      absl::StrAppend(last_value, ",", token);
      continue;
    }
    auto [it, inserted] = spec.options.insert_or_assign(
        std::string(token.substr(0, eq)), std::string(token.substr(eq + 1)));
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(
          "protocol \"", text, "\": option \"", it->first, "\" given twice"));
    }
    last_value = &it->second;
  }
  return spec;
}

std::string ProtocolSpec::ToString() const {
  if (options.empty()) return name;
  return absl::StrCat(name, ":",
                      absl::StrJoin(options, ",", absl::PairFormatter("=")));
}

void ProtocolRegistry::Register(std::string name, std::string description,
                                ProtocolFactory factory) {
  entries_[std::move(name)] = Entry{std::move(description), std::move(factory)};
}

absl::StatusOr<std::unique_ptr<Protocol>> ProtocolRegistry::Make(
    std::string_view text, const ProtocolContext& context) const {
  absl::StatusOr<ProtocolSpec> spec = ProtocolSpec::Parse(text);
  if (!spec.ok()) return spec.status();
  auto it = entries_.find(spec->name);
  if (it == entries_.end()) {
    std::vector<std::string> known;
    for (const auto& [name, entry] : entries_) known.push_back(name);
    return absl::InvalidArgumentError(
        absl::StrCat("unknown protocol \"", spec->name,
                     "\"; expected one of: ", absl::StrJoin(known, ", ")));
  }
  return it->second.factory(*spec, context);
}

std::vector<std::pair<std::string, std::string>> ProtocolRegistry::List()
    const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, entry] : entries_) {
    out.emplace_back(name, entry.description);
  }
  return out;
}

}  // namespace epsim::protocol
