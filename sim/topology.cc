#include "sim/topology.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"
#include "base/strings.h"

namespace epsim::sim {
namespace {

absl::Status Bad(const std::string& origin, std::string_view field,
                 std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(origin, ": field '", Av(field), "': ", Av(what)));
}

// A short rendering of a JSON value for error messages.
std::string Shown(const nlohmann::json& v) {
  std::string s = v.dump();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

absl::StatusOr<double> NonNegativeNumber(const nlohmann::json& v,
                                         const std::string& origin,
                                         const std::string& field) {
  if (!v.is_number()) {
    return Bad(
        origin, field,
        absl::StrCat("expected a non-negative number of ms, got ", Shown(v)));
  }
  const double x = v.get<double>();
  if (!std::isfinite(x) || x < 0) {
    return Bad(
        origin, field,
        absl::StrCat("expected a non-negative number of ms, got ", Shown(v)));
  }
  return x;
}

}  // namespace

absl::StatusOr<Topology> Topology::FromJson(const nlohmann::json& j,
                                            const std::string& origin) {
  if (!j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ": expected a topology object, got ", Shown(j)));
  }
  Topology t;
  if (auto it = j.find("name"); it != j.end()) {
    if (!it->is_string()) {
      return Bad(origin, "name", "expected a string, got " + Shown(*it));
    }
    t.name = it->get<std::string>();
  }
  if (auto it = j.find("unit"); it != j.end() && *it != "ms") {
    return Bad(origin, "unit", "expected \"ms\", got " + Shown(*it));
  }

  auto sites = j.find("sites");
  if (sites == j.end()) return Bad(origin, "sites", "missing");
  if (!sites->is_array() || sites->empty()) {
    return Bad(
        origin, "sites",
        "expected a non-empty array of site names, got " + Shown(*sites));
  }
  absl::btree_set<std::string> seen;
  for (size_t i = 0; i < sites->size(); ++i) {
    const auto& s = (*sites)[i];
    const std::string field = absl::StrCat("sites[", i, "]");
    if (!s.is_string() || s.get<std::string>().empty()) {
      return Bad(origin, field, "expected a non-empty string, got " + Shown(s));
    }
    if (!seen.insert(s.get<std::string>()).second) {
      return Bad(origin, field, "duplicate site " + Shown(s));
    }
    t.sites.push_back(s.get<std::string>());
  }
  const size_t n = t.sites.size();

  auto rtt = j.find("rtt_ms");
  if (rtt == j.end()) return Bad(origin, "rtt_ms", "missing");
  if (!rtt->is_array() || rtt->size() != n) {
    return Bad(origin, "rtt_ms",
               absl::StrCat("expected a square matrix with one row per site (",
                            n, " rows), got ",
                            rtt->is_array() ? absl::StrCat(rtt->size(), " rows")
                                            : Shown(*rtt)));
  }
  for (size_t a = 0; a < n; ++a) {
    const auto& row = (*rtt)[a];
    const std::string row_field = absl::StrCat("rtt_ms[", a, "]");
    if (!row.is_array() || row.size() != n) {
      return Bad(
          origin, row_field,
          absl::StrCat("expected a row of ", n,
                       " numbers (the matrix must be square), got ",
                       row.is_array() ? absl::StrCat(row.size(), " numbers")
                                      : Shown(row)));
    }
    std::vector<double> values;
    for (size_t b = 0; b < n; ++b) {
      auto x = NonNegativeNumber(row[b], origin,
                                 absl::StrCat(row_field, "[", b, "]"));
      if (!x.ok()) return x.status();
      values.push_back(*x);
    }
    t.rtt_ms.push_back(std::move(values));
  }

  if (auto it = j.find("self_rtt_ms"); it != j.end()) {
    if (it->is_number()) {
      auto x = NonNegativeNumber(*it, origin, "self_rtt_ms");
      if (!x.ok()) return x.status();
      t.self_rtt_ms = *x;
      t.site_self_rtt_ms.assign(n, *x);
    } else if (it->is_object()) {
      t.site_self_rtt_ms.assign(n, std::nullopt);
      for (const auto& [key, value] : it->items()) {
        const std::string field = absl::StrCat("self_rtt_ms.", key);
        auto site = t.SiteIndex(key);
        if (!site) return Bad(origin, field, "unknown site \"" + key + "\"");
        auto x = NonNegativeNumber(value, origin, field);
        if (!x.ok()) return x.status();
        t.site_self_rtt_ms[*site] = *x;
      }
    } else {
      return Bad(
          origin, "self_rtt_ms",
          "expected a number or an object {site: ms}, got " + Shown(*it));
    }
  }
  if (auto it = j.find("site_labels"); it != j.end()) {
    if (!it->is_object()) {
      return Bad(origin, "site_labels",
                 "expected an object {site: label}, got " + Shown(*it));
    }
    for (const auto& [key, value] : it->items()) {
      if (!t.SiteIndex(key)) {
        return Bad(origin, "site_labels." + key,
                   "unknown site \"" + key + "\"");
      }
    }
  }
  return t;
}

absl::StatusOr<Topology> Topology::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot read the file"));
  }
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not valid JSON"));
  }
  return FromJson(j, path);
}

Topology Topology::Uniform(std::string name, int sites, double rtt_ms) {
  Topology t;
  t.name = std::move(name);
  for (int i = 0; i < sites; ++i) t.sites.push_back(absl::StrCat("s", i));
  t.rtt_ms.assign(sites, std::vector<double>(sites, rtt_ms));
  for (int i = 0; i < sites; ++i) t.rtt_ms[i][i] = 0;
  return t;
}

std::optional<int> Topology::SiteIndex(std::string_view site) const {
  for (size_t i = 0; i < sites.size(); ++i) {
    if (sites[i] == site) return static_cast<int>(i);
  }
  return std::nullopt;
}

double Topology::MaxRttMs() const {
  double max = 0;
  for (size_t a = 0; a < rtt_ms.size(); ++a) {
    for (size_t b = 0; b < rtt_ms[a].size(); ++b) {
      if (a != b && rtt_ms[a][b] > max) max = rtt_ms[a][b];
    }
  }
  return max;
}

nlohmann::json Topology::ToJson() const {
  nlohmann::json j = {
      {"name", name}, {"unit", "ms"}, {"sites", sites}, {"rtt_ms", rtt_ms}};
  if (self_rtt_ms) {
    j["self_rtt_ms"] = *self_rtt_ms;
  } else if (!site_self_rtt_ms.empty()) {
    nlohmann::json self = nlohmann::json::object();
    for (size_t i = 0; i < sites.size(); ++i) {
      if (site_self_rtt_ms[i]) self[sites[i]] = *site_self_rtt_ms[i];
    }
    j["self_rtt_ms"] = std::move(self);
  }
  return j;
}

}  // namespace epsim::sim
