#include "scenarios/scenario.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "scenarios/json_reader.h"
#include "scenarios/script.h"

namespace epsim::scenarios {
namespace {

constexpr double kMs = 1000.0;  // microseconds per millisecond

sim::Time Ms(double ms) { return static_cast<sim::Time>(ms * kMs + 0.5); }

struct FaultName {
  FaultEvent::Kind kind;
  const char* name;
};
constexpr FaultName kFaultNames[] = {
    {FaultEvent::Kind::kCrash, "crash"},
    {FaultEvent::Kind::kRestart, "restart"},
    {FaultEvent::Kind::kPause, "pause"},
    {FaultEvent::Kind::kResume, "resume"},
    {FaultEvent::Kind::kPartition, "partition"},
    {FaultEvent::Kind::kHeal, "heal"},
    {FaultEvent::Kind::kCut, "cut"},
    {FaultEvent::Kind::kRestore, "restore"},
    {FaultEvent::Kind::kLoss, "loss"},
    {FaultEvent::Kind::kDuplication, "duplication"},
    {FaultEvent::Kind::kJitter, "jitter"},
    {FaultEvent::Kind::kSlow, "slow"},
    {FaultEvent::Kind::kLinkKind, "links"},
};

std::string AllFaultNames() {
  std::vector<std::string> names;
  for (const auto& f : kFaultNames) names.push_back(f.name);
  return absl::StrJoin(names, ", ");
}

// Jitter: {"dist": "normal", "a": 0, "b": 0.5}. Times are milliseconds;
// the lognormal sigma and the Pareto shape (b) are dimensionless.
bool ShapeParameter(sim::JitterSpec::Kind kind) {
  return kind == sim::JitterSpec::kLogNormal ||
         kind == sim::JitterSpec::kPareto;
}

sim::JitterSpec ReadJitter(ObjectReader r) {
  sim::JitterSpec spec;
  absl::StatusOr<sim::JitterSpec::Kind> kind =
      sim::JitterSpec::ParseKind(r.String("dist"));
  if (!kind.ok()) {
    r.Fail("dist",
           "one of none, uniform, exponential, normal, lognormal, pareto");
  }
  spec.kind = *kind;
  spec.a = r.Number("a", 0, 1e7, 0) * kMs;
  spec.b = ShapeParameter(spec.kind) ? r.Number("b", 0, 1e3, 1)
                                     : r.Number("b", 0, 1e7, 0) * kMs;
  r.Done();
  return spec;
}

nlohmann::json JitterToJson(const sim::JitterSpec& spec) {
  nlohmann::json j;
  j["dist"] = std::string(sim::JitterSpec::KindName(spec.kind));
  if (spec.kind == sim::JitterSpec::kNone) return j;
  j["a"] = spec.a / kMs;
  j["b"] = ShapeParameter(spec.kind) ? spec.b : spec.b / kMs;
  return j;
}

int ReadReplica(ObjectReader& r, const std::string& key, int n) {
  return static_cast<int>(r.Int(key, 0, n - 1));
}

FaultEvent ReadFault(ObjectReader r, int n) {
  FaultEvent f;
  f.at = Ms(r.Number("at_ms", 0, 1e12));
  const std::string name = r.String("fault");
  bool found = false;
  for (const auto& k : kFaultNames) {
    if (name == k.name) {
      f.kind = k.kind;
      found = true;
    }
  }
  if (!found) r.Fail("fault", absl::StrCat("one of ", AllFaultNames()));
  switch (f.kind) {
    case FaultEvent::Kind::kCrash:
    case FaultEvent::Kind::kRestart:
    case FaultEvent::Kind::kPause:
    case FaultEvent::Kind::kResume:
      f.replica = ReadReplica(r, "replica", n);
      break;
    case FaultEvent::Kind::kPartition: {
      std::vector<bool> seen(n, false);
      for (const auto& [path, group] : r.Array("groups")) {
        if (!group->is_array()) FailAt(r.file(), path, "an array", *group);
        std::vector<int> members;
        for (size_t i = 0; i < group->size(); ++i) {
          const nlohmann::json& m = (*group)[i];
          const std::string mpath = absl::StrCat(path, "[", i, "]");
          if (!m.is_number_integer() || m.get<int64_t>() < 0 ||
              m.get<int64_t>() >= n) {
            FailAt(r.file(), mpath,
                   absl::StrCat("a replica index in [0, ", n - 1, "]"), m);
          }
          const int id = m.get<int>();
          if (seen[id]) {
            FailAt(r.file(), mpath, "each replica in at most one group", m);
          }
          seen[id] = true;
          members.push_back(id);
        }
        f.groups.push_back(std::move(members));
      }
      if (f.groups.size() < 2) {
        r.Fail("groups", "at least two groups of replica indexes");
      }
      break;
    }
    case FaultEvent::Kind::kHeal:
      break;
    case FaultEvent::Kind::kCut:
    case FaultEvent::Kind::kRestore:
      f.from = ReadReplica(r, "from", n);
      f.to = ReadReplica(r, "to", n);
      break;
    case FaultEvent::Kind::kLoss:
    case FaultEvent::Kind::kDuplication:
      f.probability = r.Number("p", 0, 1);
      break;
    case FaultEvent::Kind::kJitter:
      f.jitter = ReadJitter(r.Object("jitter"));
      break;
    case FaultEvent::Kind::kSlow:
      f.from = ReadReplica(r, "a", n);
      f.to = ReadReplica(r, "b", n);
      f.factor = r.Number("factor", 0.01, 1e6);
      break;
    case FaultEvent::Kind::kLinkKind: {
      const std::string kind = r.String("kind");
      if (kind == "reliable") {
        f.link_kind = sim::LinkKind::kReliable;
      } else if (kind == "lossy") {
        f.link_kind = sim::LinkKind::kLossy;
      } else {
        r.Fail("kind", "\"reliable\" or \"lossy\"");
      }
      break;
    }
  }
  r.Done();
  return f;
}

nlohmann::json FaultToJson(const FaultEvent& f) {
  nlohmann::json j;
  j["at_ms"] = static_cast<double>(f.at) / kMs;
  j["fault"] = std::string(FaultKindName(f.kind));
  switch (f.kind) {
    case FaultEvent::Kind::kCrash:
    case FaultEvent::Kind::kRestart:
    case FaultEvent::Kind::kPause:
    case FaultEvent::Kind::kResume:
      j["replica"] = f.replica;
      break;
    case FaultEvent::Kind::kPartition:
      j["groups"] = f.groups;
      break;
    case FaultEvent::Kind::kHeal:
      break;
    case FaultEvent::Kind::kCut:
    case FaultEvent::Kind::kRestore:
      j["from"] = f.from;
      j["to"] = f.to;
      break;
    case FaultEvent::Kind::kLoss:
    case FaultEvent::Kind::kDuplication:
      j["p"] = f.probability;
      break;
    case FaultEvent::Kind::kJitter:
      j["jitter"] = JitterToJson(f.jitter);
      break;
    case FaultEvent::Kind::kSlow:
      j["a"] = f.from;
      j["b"] = f.to;
      j["factor"] = f.factor;
      break;
    case FaultEvent::Kind::kLinkKind:
      j["kind"] = f.link_kind == sim::LinkKind::kLossy ? "lossy" : "reliable";
      break;
  }
  return j;
}

int ReadSite(const sim::Topology& topology, const std::string& file,
             const std::string& path, const nlohmann::json& value) {
  if (value.is_string()) {
    if (auto index = topology.SiteIndex(value.get<std::string>())) {
      return *index;
    }
  } else if (value.is_number_integer() && value.get<int64_t>() >= 0 &&
             value.get<int64_t>() <
                 static_cast<int64_t>(topology.sites.size())) {
    return value.get<int>();
  }
  FailAt(file, path,
         absl::StrCat("a site of topology \"", topology.name, "\" (",
                      absl::StrJoin(topology.sites, ", "), ")"),
         value);
}

void ReadWorkload(ObjectReader r, const sim::Topology& topology, Workload& w) {
  w.clients_per_site = static_cast<int>(r.Int("clients_per_site", 0, 10000, 1));
  if (r.Has("client_sites")) {
    for (const auto& [path, site] : r.Array("client_sites")) {
      w.client_sites.push_back(ReadSite(topology, r.file(), path, *site));
    }
  }
  w.commands_per_client =
      static_cast<int>(r.Int("commands_per_client", 0, 100000000, 10));
  w.conflict = r.Number("conflict", 0, 1, 0);
  w.reads = r.Number("reads", 0, 1, 0);
  if (r.Has("mix")) {
    ObjectReader mix = r.Object("mix");
    w.put_weight = mix.Number("put", 0, 1e9, 0);
    w.append_weight = mix.Number("append", 0, 1e9, 0);
    w.cas_weight = mix.Number("cas", 0, 1e9, 0);
    mix.Done();
    if (w.put_weight + w.append_weight + w.cas_weight <= 0) {
      r.Fail("mix", "at least one positive weight among put, append, cas");
    }
  }
  w.value_size = static_cast<int>(r.Int("value_size", 1, 1 << 20, 8));
  w.think_time = Ms(r.Number("think_ms", 0, 1e9, 0));
  w.client_timeout = Ms(r.Number("client_timeout_ms", 0, 1e9, 0));
  r.Done();
}

void ReadNetwork(ObjectReader r, sim::NetworkConfig& net) {
  const std::string links = r.String("links", "reliable");
  if (links == "reliable") {
    net.link_kind = sim::LinkKind::kReliable;
  } else if (links == "lossy") {
    net.link_kind = sim::LinkKind::kLossy;
  } else {
    r.Fail("links", "\"reliable\" or \"lossy\"");
  }
  if (r.Has("jitter")) net.jitter = ReadJitter(r.Object("jitter"));
  if (r.Has("same_site_delay_ms")) {
    net.same_site_delay = Ms(r.Number("same_site_delay_ms", 0, 1e6));
  }
  if (r.Has("retransmit_ms")) {
    net.retransmit_delay = Ms(r.Number("retransmit_ms", 0.001, 1e6));
  }
  net.loss = r.Number("loss", 0, 1, 0);
  net.duplication = r.Number("duplication", 0, 1, 0);
  net.processing_delay = Ms(r.Number("processing_ms", 0, 1e6, 0));
  r.Done();
}

Scenario ReadScenario(const nlohmann::json& json, const std::string& file) {
  Scenario s;
  s.file = file;
  s.source = json;
  ObjectReader r(json, file, "");
  s.name = r.String("name", std::filesystem::path(file).stem().string());
  s.description = r.String("description", "");

  // Topology: a name, a path, or an inline object.
  const nlohmann::json& topo = r.Raw("topology");
  if (topo.is_string()) {
    std::string ref = topo.get<std::string>();
    if (ref.ends_with(".json") && !std::filesystem::path(ref).is_absolute() &&
        !std::filesystem::exists(ref)) {
      ref = (std::filesystem::path(file).parent_path() / ref).string();
    }
    absl::StatusOr<sim::Topology> loaded = LoadTopology(ref);
    if (!loaded.ok()) {
      throw JsonInputError{
          absl::StrCat(file, ": topology: ", loaded.status().message())};
    }
    s.topology = *std::move(loaded);
    s.topology_ref = topo.get<std::string>();
  } else if (topo.is_object()) {
    absl::StatusOr<sim::Topology> parsed =
        sim::Topology::FromJson(topo, absl::StrCat(file, ": topology"));
    if (!parsed.ok())
      throw JsonInputError{std::string(parsed.status().message())};
    s.topology = *std::move(parsed);
    s.topology_ref = "(inline)";
  } else {
    r.Fail("topology", "a topology name, a file path, or an object");
  }

  s.protocol = r.String("protocol", "epaxos-star");
  for (const auto& [path, site] : r.Array("replicas")) {
    s.replica_sites.push_back(ReadSite(s.topology, file, path, *site));
  }
  const int n = static_cast<int>(s.replica_sites.size());
  if (n < 1) r.Fail("replicas", "at least one replica site");

  if (r.Has("workload")) {
    ReadWorkload(r.Object("workload"), s.topology, s.workload);
  }
  if (s.workload.client_sites.empty()) {
    for (int site : s.replica_sites) {
      if (std::find(s.workload.client_sites.begin(),
                    s.workload.client_sites.end(),
                    site) == s.workload.client_sites.end()) {
        s.workload.client_sites.push_back(site);
      }
    }
  }
  if (r.Has("network")) ReadNetwork(r.Object("network"), s.network);
  if (r.Has("faults")) {
    for (const auto& [path, fault] : r.Array("faults")) {
      s.faults.push_back(ReadFault(ObjectReader(*fault, file, path), n));
    }
    std::stable_sort(
        s.faults.begin(), s.faults.end(),
        [](const FaultEvent& a, const FaultEvent& b) { return a.at < b.at; });
  }
  s.duration = Ms(r.Number("duration_ms", 1, 1e10, 60000));
  s.seed = static_cast<uint64_t>(
      r.Int("seed", 0, std::numeric_limits<int64_t>::max(), 1));
  if (r.Has("checks")) {
    ObjectReader c = r.Object("checks");
    s.liveness_rtts = c.Number("liveness_rtts", 1, 1e6, s.liveness_rtts);
    s.max_events = c.Int("max_events", 0, int64_t{1} << 50, 0);
    c.Done();
  }
  // Bug-corpus parts, checked here so a bad script fails at load time.
  if (r.Has("script")) {
    s.script = r.Raw("script");
    if (!s.faults.empty()) {
      r.Fail("faults", "none in a scripted scenario (crash with script steps)");
    }
    if (auto script = Script::FromJson(s.script, file, n); !script.ok()) {
      throw JsonInputError{std::string(script.status().message())};
    }
  }
  if (r.Has("expect")) {
    s.expect = r.Raw("expect");
    if (auto expect = Expectation::FromJson(s.expect, file); !expect.ok()) {
      throw JsonInputError{std::string(expect.status().message())};
    }
  }
  r.Done();
  return s;
}

}  // namespace

std::string_view FaultKindName(FaultEvent::Kind kind) {
  for (const auto& k : kFaultNames) {
    if (k.kind == kind) return k.name;
  }
  return "?";
}

std::string TopologyDir() {
  return (std::filesystem::path(EPSIM_SOURCE_DIR) / "scenarios" / "topologies")
      .string();
}

absl::StatusOr<sim::Topology> LoadTopology(const std::string& name_or_path) {
  if (std::filesystem::exists(name_or_path) &&
      !std::filesystem::is_directory(name_or_path)) {
    return sim::Topology::Load(name_or_path);
  }
  const std::string& name = name_or_path;
  const std::filesystem::path path =
      std::filesystem::path(TopologyDir()) / (name + ".json");
  if (std::filesystem::exists(path)) return sim::Topology::Load(path.string());
  std::vector<std::string> known;
  if (std::filesystem::exists(TopologyDir())) {
    for (const auto& entry :
         std::filesystem::directory_iterator(TopologyDir())) {
      if (entry.path().extension() == ".json") {
        known.push_back(entry.path().stem().string());
      }
    }
  }
  std::sort(known.begin(), known.end());
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown topology \"", name_or_path,
      "\"; expected a file or one of: ", absl::StrJoin(known, ", ")));
}

absl::StatusOr<Scenario> Scenario::FromJson(const nlohmann::json& json,
                                            const std::string& file) {
  try {
    return ReadScenario(json, file);
  } catch (const JsonInputError& e) {
    return absl::InvalidArgumentError(e.message);
  }
}

absl::StatusOr<Scenario> Scenario::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot open scenario file"));
  }
  std::stringstream text;
  text << in.rdbuf();
  try {
    return ReadScenario(ParseJsonOrThrow(text.str(), path), path);
  } catch (const JsonInputError& e) {
    return absl::InvalidArgumentError(e.message);
  }
}

nlohmann::json Scenario::ToJson() const {
  nlohmann::json j;
  j["name"] = name;
  if (!description.empty()) j["description"] = description;
  if (topology_ref == "(inline)" || topology_ref.empty()) {
    nlohmann::json t;
    t["name"] = topology.name;
    t["sites"] = topology.sites;
    t["rtt_ms"] = topology.rtt_ms;
    j["topology"] = t;
  } else {
    j["topology"] = topology_ref;
  }
  j["protocol"] = protocol;
  nlohmann::json replicas = nlohmann::json::array();
  for (int site : replica_sites) replicas.push_back(topology.sites[site]);
  j["replicas"] = replicas;
  nlohmann::json w;
  w["clients_per_site"] = workload.clients_per_site;
  nlohmann::json sites = nlohmann::json::array();
  for (int site : workload.client_sites) sites.push_back(topology.sites[site]);
  w["client_sites"] = sites;
  w["commands_per_client"] = workload.commands_per_client;
  w["conflict"] = workload.conflict;
  w["reads"] = workload.reads;
  w["mix"] = {{"put", workload.put_weight},
              {"append", workload.append_weight},
              {"cas", workload.cas_weight}};
  w["value_size"] = workload.value_size;
  w["think_ms"] = static_cast<double>(workload.think_time) / kMs;
  w["client_timeout_ms"] = static_cast<double>(workload.client_timeout) / kMs;
  j["workload"] = w;
  nlohmann::json net;
  net["links"] =
      network.link_kind == sim::LinkKind::kLossy ? "lossy" : "reliable";
  net["jitter"] = JitterToJson(network.jitter);
  net["same_site_delay_ms"] =
      static_cast<double>(network.same_site_delay) / kMs;
  net["retransmit_ms"] = static_cast<double>(network.retransmit_delay) / kMs;
  net["loss"] = network.loss;
  net["duplication"] = network.duplication;
  net["processing_ms"] = static_cast<double>(network.processing_delay) / kMs;
  j["network"] = net;
  nlohmann::json faults_json = nlohmann::json::array();
  for (const FaultEvent& f : faults) faults_json.push_back(FaultToJson(f));
  j["faults"] = faults_json;
  j["duration_ms"] = static_cast<double>(duration) / kMs;
  j["seed"] = seed;
  j["checks"] = {{"liveness_rtts", liveness_rtts}};
  if (max_events > 0) j["checks"]["max_events"] = max_events;
  if (!script.is_null()) j["script"] = script;
  if (!expect.is_null()) j["expect"] = expect;
  return j;
}

}  // namespace epsim::scenarios
