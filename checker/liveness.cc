#include "checker/liveness.h"

#include <utility>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace epsim::checker {
namespace {

using protocol::CommandId;
using protocol::NodeId;
using protocol::PendingCommand;

// Every live replica's view of one command.
using Views = absl::btree_map<NodeId, const PendingCommand*>;

std::string DescribeViews(const Views& views, size_t live_replicas) {
  std::vector<std::string> parts;
  for (const auto& [replica, p] : views) {
    std::string part = absl::StrCat("replica ", replica, ": ", p->phase);
    if (p->recovery) absl::StrAppend(&part, ", recovery ballot ", *p->recovery);
    if (!p->waiting_on.empty()) {
      absl::StrAppend(&part, ", waiting on ",
                      absl::StrJoin(p->waiting_on, " ",
                                    [](std::string* out, const CommandId& id) {
                                      absl::StrAppend(out, id.ToString());
                                    }));
    }
    parts.push_back(std::move(part));
  }
  if (views.size() < live_replicas) {
    parts.push_back(absl::StrCat("not pending at the other ",
                                 live_replicas - views.size(),
                                 " live replica(s)"));
  }
  return absl::StrJoin(parts, "; ");
}

class GraphPrinter {
 public:
  GraphPrinter(const absl::btree_map<CommandId, Views>& graph,
               size_t live_replicas)
      : graph_(graph), live_replicas_(live_replicas) {}

  // Prints `id` and, indented below it, what it waits on, depth first. A
  // command printed before is only named again.
  void Print(const CommandId& id, int depth) {
    const std::string indent(2 * depth + 2, ' ');
    auto it = graph_.find(id);
    if (it == graph_.end()) {
      absl::StrAppend(&out_, indent, id.ToString(),
                      "  not pending at any live replica (executed there, or "
                      "never seen: unknown)\n");
      return;
    }
    if (!printed_.insert(id).second) {
      absl::StrAppend(&out_, indent, id.ToString(), "  (see above)\n");
      return;
    }
    absl::StrAppend(&out_, indent, id.ToString(), "  ",
                    DescribeViews(it->second, live_replicas_), "\n");
    absl::btree_set<CommandId> waits;
    for (const auto& [replica, p] : it->second) {
      waits.insert(p->waiting_on.begin(), p->waiting_on.end());
    }
    for (const CommandId& dep : waits) Print(dep, depth + 1);
  }
  bool Printed(const CommandId& id) const { return printed_.contains(id); }
  std::string& out() { return out_; }

 private:
  const absl::btree_map<CommandId, Views>& graph_;
  size_t live_replicas_;
  absl::btree_set<CommandId> printed_;
  std::string out_;
};

}  // namespace

std::optional<InvariantViolation> CheckLiveness(
    const std::vector<ReplicaPending>& replicas,
    const std::vector<RequestStatus>& requests, const Where& where) {
  std::vector<const RequestStatus*> stuck;
  for (const RequestStatus& r : requests) {
    if (!r.executed) stuck.push_back(&r);
  }
  if (stuck.empty()) return std::nullopt;

  absl::btree_map<CommandId, Views> graph;
  for (const ReplicaPending& r : replicas) {
    for (const PendingCommand& p : r.pending) graph[p.id][r.replica] = &p;
  }

  InvariantViolation v;
  v.check = "liveness";
  v.where = where;
  std::string& detail = v.detail;
  absl::StrAppend(&detail, stuck.size(),
                  " submitted request(s) of live clients never executed:\n");
  absl::btree_set<CommandId> roots;
  for (const RequestStatus* r : stuck) {
    absl::StrAppend(&detail, "  ", r->command.ToString());
    if (r->ids.empty()) {
      absl::StrAppend(&detail, "  (no command id known)\n");
    } else {
      absl::StrAppend(&detail, "  as ",
                      absl::StrJoin(r->ids, ", ",
                                    [](std::string* out, const CommandId& id) {
                                      absl::StrAppend(out, id.ToString());
                                    }),
                      "\n");
    }
    roots.insert(r->ids.begin(), r->ids.end());
  }

  GraphPrinter printer(graph, replicas.size());
  for (const CommandId& id : roots) printer.Print(id, 0);
  // Pending commands no stuck request leads to (ids the harness did not
  // know, Nops, other clients' commands) may still be what blocks.
  for (const auto& [id, views] : graph) {
    if (!printer.Printed(id)) printer.Print(id, 0);
  }
  std::vector<NodeId> live;
  for (const ReplicaPending& r : replicas) live.push_back(r.replica);
  absl::StrAppend(
      &detail, "wait-for graph (live replicas ", absl::StrJoin(live, ", "),
      "):\n",
      printer.out().empty() ? "  (nothing pending anywhere)\n" : printer.out());

  v.commands.assign(roots.begin(), roots.end());
  absl::btree_set<NodeId> holders;
  for (const CommandId& id : roots) {
    if (auto it = graph.find(id); it != graph.end()) {
      for (const auto& [replica, p] : it->second) holders.insert(replica);
    }
  }
  v.replicas.assign(holders.begin(), holders.end());
  return v;
}

}  // namespace epsim::checker
