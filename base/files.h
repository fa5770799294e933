// Whole-file reads and writes for every engine and the command line: an
// output is written atomically, so a failure never leaves a partial file
// (the project's rule for bad input and interrupted runs).
#ifndef EPSIM_BASE_FILES_H_
#define EPSIM_BASE_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace epsim {

// Writes `contents` to `path` atomically (temporary file, then rename), so a
// failure never leaves a partial file behind.
absl::Status WriteFileAtomically(const std::string& path,
                                 const std::string& contents);
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace epsim

#endif  // EPSIM_BASE_FILES_H_
