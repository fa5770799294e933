// Strict reading of JSON input files (scenarios, fault plans): every field
// is checked for type and range, unknown fields are errors, and every error
// names the file, the field's path inside it and what was expected:
//
//   scenarios/x.json: faults[2].replica: expected an integer in [0, 4], got "a"
#ifndef EPSIM_SCENARIOS_JSON_READER_H_
#define EPSIM_SCENARIOS_JSON_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace epsim::scenarios {

// Thrown inside the readers, turned into an InvalidArgument status by
// ReadJson(); it never crosses a library boundary.
struct JsonInputError {
  std::string message;
};

// A view of one JSON object at a path. Accessors mark the key as known;
// Done() rejects any key that was not asked for.
class ObjectReader {
 public:
  ObjectReader(const nlohmann::json& value, std::string file, std::string path);

  bool Has(const std::string& key) const;
  const nlohmann::json& Raw(const std::string& key);  // required
  std::string Path(const std::string& key) const;     // "a.b" for messages

  std::string String(const std::string& key);
  std::string String(const std::string& key, const std::string& fallback);
  int64_t Int(const std::string& key, int64_t lo, int64_t hi);
  int64_t Int(const std::string& key, int64_t lo, int64_t hi, int64_t fallback);
  double Number(const std::string& key, double lo, double hi);
  double Number(const std::string& key, double lo, double hi, double fallback);
  bool Bool(const std::string& key, bool fallback);
  ObjectReader Object(const std::string& key);
  // Array elements, each with its path "key[i]".
  std::vector<std::pair<std::string, const nlohmann::json*>> Array(
      const std::string& key);

  // Rejects unknown keys.
  void Done() const;

  [[noreturn]] void Fail(const std::string& key,
                         const std::string& expected) const;
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }

 private:
  const nlohmann::json& value_;
  std::string file_;
  std::string path_;
  mutable absl::btree_set<std::string> known_;
};

// Short rendering of a JSON value for error messages.
std::string Abbreviate(const nlohmann::json& value);

[[noreturn]] void FailAt(const std::string& file, const std::string& path,
                         const std::string& expected,
                         const nlohmann::json& got);

// Parses `text` as JSON; a syntax error names the file and byte offset.
nlohmann::json ParseJsonOrThrow(const std::string& text,
                                const std::string& file);

}  // namespace epsim::scenarios

#endif  // EPSIM_SCENARIOS_JSON_READER_H_
