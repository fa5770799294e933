#include "scenarios/json_reader.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace epsim::scenarios {

std::string Abbreviate(const nlohmann::json& value) {
  std::string text = value.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

void FailAt(const std::string& file, const std::string& path,
            const std::string& expected, const nlohmann::json& got) {
  throw JsonInputError{absl::StrCat(file, ": ", path.empty() ? "(top)" : path,
                                    ": expected ", expected, ", got ",
                                    Abbreviate(got))};
}

nlohmann::json ParseJsonOrThrow(const std::string& text,
                                const std::string& file) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw JsonInputError{absl::StrCat(file, ": not valid JSON at byte ", e.byte,
                                      ": ",
                                      std::string(e.what()).substr(0, 120))};
  }
}

ObjectReader::ObjectReader(const nlohmann::json& value, std::string file,
                           std::string path)
    : value_(value), file_(std::move(file)), path_(std::move(path)) {
  if (!value_.is_object()) FailAt(file_, path_, "an object", value_);
}

std::string ObjectReader::Path(const std::string& key) const {
  return path_.empty() ? key : absl::StrCat(path_, ".", key);
}

bool ObjectReader::Has(const std::string& key) const {
  known_.insert(key);
  return value_.contains(key) && !value_.at(key).is_null();
}

const nlohmann::json& ObjectReader::Raw(const std::string& key) {
  known_.insert(key);
  if (!value_.contains(key)) {
    throw JsonInputError{
        absl::StrCat(file_, ": ", Path(key), ": required field is missing")};
  }
  return value_.at(key);
}

void ObjectReader::Fail(const std::string& key,
                        const std::string& expected) const {
  FailAt(file_, Path(key), expected,
         value_.contains(key) ? value_.at(key) : nlohmann::json());
}

std::string ObjectReader::String(const std::string& key) {
  const nlohmann::json& v = Raw(key);
  if (!v.is_string()) Fail(key, "a string");
  return v.get<std::string>();
}

std::string ObjectReader::String(const std::string& key,
                                 const std::string& fallback) {
  return Has(key) ? String(key) : fallback;
}

int64_t ObjectReader::Int(const std::string& key, int64_t lo, int64_t hi) {
  const nlohmann::json& v = Raw(key);
  const bool integral =
      v.is_number_integer() ||
      (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
  if (!integral || v.get<double>() < static_cast<double>(lo) ||
      v.get<double>() > static_cast<double>(hi)) {
    Fail(key, absl::StrCat("an integer in [", lo, ", ", hi, "]"));
  }
  return v.is_number_integer() ? v.get<int64_t>()
                               : static_cast<int64_t>(v.get<double>());
}

int64_t ObjectReader::Int(const std::string& key, int64_t lo, int64_t hi,
                          int64_t fallback) {
  return Has(key) ? Int(key, lo, hi) : fallback;
}

double ObjectReader::Number(const std::string& key, double lo, double hi) {
  const nlohmann::json& v = Raw(key);
  if (!v.is_number() || v.get<double>() < lo || v.get<double>() > hi) {
    Fail(key, absl::StrCat("a number in [", lo, ", ", hi, "]"));
  }
  return v.get<double>();
}

double ObjectReader::Number(const std::string& key, double lo, double hi,
                            double fallback) {
  return Has(key) ? Number(key, lo, hi) : fallback;
}

bool ObjectReader::Bool(const std::string& key, bool fallback) {
  if (!Has(key)) return fallback;
  const nlohmann::json& v = Raw(key);
  if (!v.is_boolean()) Fail(key, "true or false");
  return v.get<bool>();
}

ObjectReader ObjectReader::Object(const std::string& key) {
  return ObjectReader(Raw(key), file_, Path(key));
}

std::vector<std::pair<std::string, const nlohmann::json*>> ObjectReader::Array(
    const std::string& key) {
  const nlohmann::json& v = Raw(key);
  if (!v.is_array()) Fail(key, "an array");
  std::vector<std::pair<std::string, const nlohmann::json*>> out;
  for (size_t i = 0; i < v.size(); ++i) {
    out.emplace_back(absl::StrCat(Path(key), "[", i, "]"), &v[i]);
  }
  return out;
}

void ObjectReader::Done() const {
  for (const auto& [key, unused] : value_.items()) {
    if (!known_.contains(key)) {
      throw JsonInputError{
          absl::StrCat(file_, ": ", Path(key), ": unknown field")};
    }
  }
}

}  // namespace epsim::scenarios
