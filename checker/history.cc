#include "checker/history.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "base/strings.h"
#include "nlohmann/json.hpp"

namespace epsim::checker {
namespace {

using Json = nlohmann::json;
using protocol::OpType;

std::string Quoted(std::string_view s) { return Json(std::string(s)).dump(); }

std::string_view JsonTypeName(const Json& j) {
  if (j.is_number_integer()) return "integer";
  if (j.is_number_float()) return "number with a fraction";
  return j.type_name();
}

// Where an error is: "file: operation id 3 (index 2): ".
std::string OperationContext(std::string_view source, size_t index,
                             std::optional<int64_t> id) {
  if (id.has_value()) {
    return absl::StrCat(Av(source), ": operation id ", *id, " (index ", index,
                        "): ");
  }
  return absl::StrCat(Av(source), ": operation at index ", index, ": ");
}

absl::Status FieldError(std::string_view context, std::string_view field,
                        std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(Av(context), "field \"", Av(field), "\": ", Av(what)));
}

std::string Expected(std::string_view what, const Json& got) {
  return absl::StrCat("expected ", Av(what), ", got ", Av(JsonTypeName(got)));
}

// The typed readers below return an error naming `field` within `context`.
absl::StatusOr<int64_t> ReadInt(const Json& object, std::string_view field,
                                std::string_view context) {
  auto it = object.find(field);
  if (it == object.end()) return FieldError(context, field, "missing");
  if (it->is_number_unsigned()) {
    if (it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return FieldError(context, field, "integer out of range");
    }
    return static_cast<int64_t>(it->get<uint64_t>());
  }
  if (!it->is_number_integer()) {
    return FieldError(context, field, Expected("an integer", *it));
  }
  return it->get<int64_t>();
}

absl::StatusOr<std::string> ReadString(const Json& object,
                                       std::string_view field,
                                       std::string_view context) {
  auto it = object.find(field);
  if (it == object.end()) return FieldError(context, field, "missing");
  if (!it->is_string()) {
    return FieldError(context, field, Expected("a string", *it));
  }
  return it->get<std::string>();
}

// A string, or null for "absent". The field must be present.
absl::StatusOr<std::optional<std::string>> ReadStringOrNull(
    const Json& object, std::string_view field, std::string_view context,
    std::string_view why) {
  auto it = object.find(field);
  if (it == object.end()) {
    return FieldError(context, field, absl::StrCat("missing (", Av(why), ")"));
  }
  if (it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) {
    return FieldError(
        context, field,
        absl::StrCat(Expected("a string or null", *it), " (", Av(why), ")"));
  }
  return std::optional<std::string>(it->get<std::string>());
}

// A field an operation of this kind does not take: absent or null only.
absl::Status RequireAbsent(const Json& object, std::string_view field,
                           std::string_view context, std::string_view why) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return absl::OkStatus();
  return FieldError(context, field,
                    absl::StrCat("must be absent or null (", Av(why), "), got ",
                                 Av(JsonTypeName(*it))));
}

absl::StatusOr<OpType> ParseOpType(const std::string& name,
                                   std::string_view context) {
  if (name == "put") return OpType::kPut;
  if (name == "get") return OpType::kGet;
  if (name == "append") return OpType::kAppend;
  if (name == "cas") return OpType::kCas;
  return FieldError(
      context, "op",
      absl::StrCat("unknown operation ", Quoted(name),
                   " (expected \"put\", \"get\", \"append\" or \"cas\")"));
}

absl::StatusOr<Operation> ParseOperation(const Json& j, size_t index,
                                         std::string_view source) {
  std::string context = OperationContext(source, index, std::nullopt);
  if (!j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(context, Expected("an object", j)));
  }
  Operation op;
  absl::StatusOr<int64_t> id = ReadInt(j, "id", context);
  if (!id.ok()) return id.status();
  op.id = *id;
  context = OperationContext(source, index, op.id);

  absl::StatusOr<int64_t> client = ReadInt(j, "client", context);
  if (!client.ok()) return client.status();
  op.client = *client;
  absl::StatusOr<std::string> name = ReadString(j, "op", context);
  if (!name.ok()) return name.status();
  absl::StatusOr<OpType> type = ParseOpType(*name, context);
  if (!type.ok()) return type.status();
  op.op = *type;
  absl::StatusOr<std::string> key = ReadString(j, "key", context);
  if (!key.ok()) return key.status();
  op.key = std::move(*key);

  absl::StatusOr<int64_t> call = ReadInt(j, "call", context);
  if (!call.ok()) return call.status();
  op.call = *call;
  auto ret = j.find("return");
  if (ret == j.end()) {
    return FieldError(context, "return",
                      "missing (use null for an operation that never "
                      "returned)");
  }
  if (!ret->is_null()) {
    absl::StatusOr<int64_t> value = ReadInt(j, "return", context);
    if (!value.ok()) {
      return FieldError(context, "return",
                        Expected("an integer or null", *ret));
    }
    op.ret = *value;
  }

  const std::string op_name = *name;
  if (op.op == OpType::kGet) {
    if (absl::Status s = RequireAbsent(j, "value", context, "get takes none");
        !s.ok()) {
      return s;
    }
  } else {
    absl::StatusOr<std::string> value = ReadString(j, "value", context);
    if (!value.ok()) return value.status();
    op.value = std::move(*value);
  }
  if (op.op == OpType::kCas) {
    absl::StatusOr<std::optional<std::string>> expected = ReadStringOrNull(
        j, "expected", context, "cas needs the value it expects, null: absent");
    if (!expected.ok()) return expected.status();
    op.expected = std::move(*expected);
  } else if (absl::Status s = RequireAbsent(
                 j, "expected", context,
                 absl::StrCat("only cas takes one, not ", Av(op_name)));
             !s.ok()) {
    return s;
  }

  // An operation that never returned has no output; one given is ignored.
  if (op.returned()) {
    switch (op.op) {
      case OpType::kGet: {
        absl::StatusOr<std::optional<std::string>> output = ReadStringOrNull(
            j, "output", context, "get returns the value, or null if absent");
        if (!output.ok()) return output.status();
        op.output.value = std::move(*output);
        break;
      }
      case OpType::kCas: {
        auto it = j.find("output");
        if (it == j.end()) {
          return FieldError(context, "output",
                            "missing (cas returns true or false)");
        }
        if (!it->is_boolean()) {
          return FieldError(context, "output",
                            absl::StrCat(Expected("true or false", *it),
                                         " (cas returns whether it swapped)"));
        }
        op.output.cas_succeeded = it->get<bool>();
        break;
      }
      case OpType::kPut:
      case OpType::kAppend:
        if (absl::Status s =
                RequireAbsent(j, "output", context,
                              absl::StrCat(Av(op_name), " has no output"));
            !s.ok()) {
          return s;
        }
        break;
    }
  }
  return op;
}

}  // namespace

std::string Operation::ToString() const {
  std::string out = absl::StrCat("#", id, " c", client, " ",
                                 Av(protocol::OpTypeName(op)), "(", key);
  if (op == OpType::kCas) {
    absl::StrAppend(&out, ", ", expected ? Quoted(*expected) : "null");
  }
  if (op != OpType::kGet) absl::StrAppend(&out, ", ", Quoted(value));
  absl::StrAppend(&out, ")");
  if (returned()) {
    if (op == OpType::kGet) {
      absl::StrAppend(&out, " -> ",
                      output.value ? Quoted(*output.value) : "null");
    } else if (op == OpType::kCas) {
      absl::StrAppend(&out, " -> ", output.cas_succeeded ? "true" : "false");
    }
    absl::StrAppend(&out, " [", call, ", ", *ret, "]");
  } else {
    absl::StrAppend(&out, " [", call, ", never returned]");
  }
  return out;
}

absl::Status ValidateHistory(const History& history, std::string_view source) {
  const std::vector<Operation>& ops = history.operations;
  absl::flat_hash_map<int64_t, size_t> index_of_id;
  absl::btree_map<int64_t, std::vector<size_t>> by_client;
  for (size_t i = 0; i < ops.size(); ++i) {
    const Operation& op = ops[i];
    const std::string context = OperationContext(source, i, op.id);
    if (auto [it, fresh] = index_of_id.emplace(op.id, i); !fresh) {
      return FieldError(context, "id",
                        absl::StrCat("duplicate: operation at index ",
                                     it->second, " has the same id"));
    }
    if (op.ret.has_value() && *op.ret < op.call) {
      return FieldError(context, "return",
                        absl::StrCat(*op.ret, " is before its call ", op.call));
    }
    by_client[op.client].push_back(i);
  }
  for (auto& [client, indices] : by_client) {
    std::sort(indices.begin(), indices.end(), [&](size_t a, size_t b) {
      return std::make_pair(ops[a].call, a) < std::make_pair(ops[b].call, b);
    });
    for (size_t k = 1; k < indices.size(); ++k) {
      const Operation& before = ops[indices[k - 1]];
      const Operation& after = ops[indices[k]];
      if (!before.Precedes(after)) {
        return FieldError(
            OperationContext(source, indices[k], after.id), "call",
            absl::StrCat(
                "client ", client, " still has operation id ", before.id,
                " in flight (called at ", before.call, ", ",
                before.returned() ? absl::StrCat("returned at ", *before.ret)
                                  : std::string("never returned"),
                "); one client's operations must not overlap, and equal "
                "times overlap"));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<History> ParseHistory(std::string_view text,
                                     std::string_view source) {
  Json root;
  try {
    root = Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(Av(source), ": not valid JSON: ", e.what()));
  }
  const std::string context = absl::StrCat(Av(source), ": ");
  if (!root.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(context, "expected a JSON object at the top, got ",
                     Av(JsonTypeName(root))));
  }
  absl::StatusOr<std::string> format = ReadString(root, "format", context);
  if (!format.ok()) return format.status();
  if (*format != "epsim-history") {
    return FieldError(
        context, "format",
        absl::StrCat("expected \"epsim-history\", got ", Quoted(*format)));
  }
  absl::StatusOr<int64_t> version = ReadInt(root, "version", context);
  if (!version.ok()) return version.status();
  if (*version != 1) {
    return FieldError(
        context, "version",
        absl::StrCat("unsupported version ", *version, " (expected 1)"));
  }
  absl::StatusOr<std::string> model = ReadString(root, "model", context);
  if (!model.ok()) return model.status();
  if (*model != "kv") {
    return FieldError(context, "model",
                      absl::StrCat("unsupported model ", Quoted(*model),
                                   " (expected \"kv\")"));
  }

  History history;
  if (auto it = root.find("initial"); it != root.end() && !it->is_null()) {
    if (!it->is_object()) {
      return FieldError(context, "initial",
                        Expected("an object from keys to strings", *it));
    }
    for (const auto& [key, value] : it->items()) {
      if (value.is_null()) continue;  // absent, like a key not named
      if (!value.is_string()) {
        return FieldError(context, absl::StrCat("initial.", key),
                          Expected("a string (or null for absent)", value));
      }
      history.initial.emplace(key, value.get<std::string>());
    }
  }

  auto ops = root.find("operations");
  if (ops == root.end()) return FieldError(context, "operations", "missing");
  if (!ops->is_array()) {
    return FieldError(context, "operations", Expected("an array", *ops));
  }
  history.operations.reserve(ops->size());
  for (size_t i = 0; i < ops->size(); ++i) {
    absl::StatusOr<Operation> op = ParseOperation((*ops)[i], i, source);
    if (!op.ok()) return op.status();
    history.operations.push_back(std::move(*op));
  }
  if (absl::Status s = ValidateHistory(history, source); !s.ok()) return s;
  return history;
}

absl::StatusOr<History> ReadHistoryFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot open the history file"));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot read the history file"));
  }
  return ParseHistory(buffer.str(), path);
}

std::string HistoryToJson(const History& history) {
  std::string out =
      "{\n  \"format\": \"epsim-history\",\n  \"version\": 1,\n  \"model\": "
      "\"kv\",\n";
  if (!history.initial.empty()) {
    Json initial = Json::object();
    for (const auto& [key, value] : history.initial) initial[key] = value;
    absl::StrAppend(&out, "  \"initial\": ", initial.dump(), ",\n");
  }
  absl::StrAppend(&out, "  \"operations\": [");
  bool first = true;
  for (const Operation& op : history.operations) {
    nlohmann::ordered_json j;
    j["id"] = op.id;
    j["client"] = op.client;
    j["op"] = std::string(protocol::OpTypeName(op.op));
    j["key"] = op.key;
    if (op.op == OpType::kCas) {
      j["expected"] = op.expected ? Json(*op.expected) : Json(nullptr);
    }
    if (op.op != OpType::kGet) j["value"] = op.value;
    if (op.returned() && op.op == OpType::kGet) {
      j["output"] = op.output.value ? Json(*op.output.value) : Json(nullptr);
    }
    if (op.returned() && op.op == OpType::kCas) {
      j["output"] = op.output.cas_succeeded;
    }
    j["call"] = op.call;
    j["return"] = op.ret ? Json(*op.ret) : Json(nullptr);
    absl::StrAppend(&out, first ? "\n    " : ",\n    ", j.dump());
    first = false;
  }
  absl::StrAppend(&out, first ? "]\n}\n" : "\n  ]\n}\n");
  return out;
}

int64_t HistoryRecorder::Call(int64_t client, const protocol::Command& command,
                              int64_t now) {
  EPSIM_CHECK(!command.nop) << "a client never submits a Nop";
  Operation op;
  op.id = static_cast<int64_t>(history_.operations.size());
  op.client = client;
  op.op = command.op;
  op.key = command.key.str();
  op.value = command.value;
  op.expected = command.expected;
  op.call = now;
  history_.operations.push_back(std::move(op));
  return history_.operations.back().id;
}

void HistoryRecorder::Return(int64_t id, const protocol::KvResult& result,
                             int64_t now) {
  EPSIM_CHECK(id >= 0 && id < static_cast<int64_t>(history_.operations.size()))
      << "unknown operation id " << id;
  Operation& op = history_.operations[id];
  EPSIM_CHECK(!op.returned()) << "operation " << id << " returned twice";
  op.ret = now;
  // Keep only what the format records, so a written history reads back equal.
  if (op.op == OpType::kGet) op.output.value = result.value;
  if (op.op == OpType::kCas) op.output.cas_succeeded = result.cas_succeeded;
}

void HistoryRecorder::SetInitial(std::string key, std::string value) {
  history_.initial.insert_or_assign(std::move(key), std::move(value));
}

}  // namespace epsim::checker
