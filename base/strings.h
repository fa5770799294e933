// Debian's Abseil is built with ABSL_OPTION_USE_STD_STRING_VIEW 0, so
// absl::string_view is not std::string_view and absl::StrCat & co. do not
// accept the latter. Av() bridges the two without copying.
#ifndef EPSIM_BASE_STRINGS_H_
#define EPSIM_BASE_STRINGS_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace epsim {

inline absl::string_view Av(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace epsim

#endif  // EPSIM_BASE_STRINGS_H_
