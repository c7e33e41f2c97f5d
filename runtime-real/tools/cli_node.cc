#include "runtime-real/tools/cli_node.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "runtime-real/tools/file_blocking_client.h"

namespace cairn::real::cli {
namespace {

using meta::wire::NsResult;
using meta::wire::StorageNode;

const char* state_name(meta::wire::NodeState s) {
  switch (s) {
    case meta::wire::NODE_UP:
      return "up";
    case meta::wire::NODE_DRAINING:
      return "draining";
    case meta::wire::NODE_DEAD:
      return "dead";
    default:
      return "unknown";
  }
}

int node_exit_code(const absl::Status& st) {
  return absl::IsNotFound(st) ? kExitNo : exit_code_of(st);
}

class Runner {
 public:
  Runner(const NodeArgs& a, const Output& out) : a_(a), out_(out) {}

  int run() {
    auto target = resolve(a_.cluster);
    if (!target.ok()) return out_.error(kExitUsage, target.status());
    FileBlockingClientOptions o;
    o.meta = target->peers;
    o.deadline = target->timeout;
    o.attempt_timeout = std::min(o.deadline, std::chrono::milliseconds(1000));
    client_ = std::make_unique<FileBlockingClient>(o);
    if (a_.verb == "list") return list();
    return set_state(a_.verb == "drain" ? meta::wire::NODE_DRAINING : meta::wire::NODE_UP);
  }

 private:
  int fail(const absl::Status& st) { return out_.error(node_exit_code(st), st); }

  absl::StatusOr<NsResult> nodes() {
    meta::wire::NsQuery q;
    q.mutable_nodes();
    return client_->query(std::move(q));
  }

  int list() {
    auto r = nodes();
    if (!r.ok()) return fail(r.status());
    // Registered nodes, and nodes that hold shards without being registered (configured).
    std::map<uint32_t, const StorageNode*> by_id;
    std::map<uint32_t, uint64_t> placed;
    for (const StorageNode& n : r->nodes()) by_id[n.id()] = &n;
    for (const auto& p : r->node_shards()) {
      by_id.emplace(p.node(), nullptr);
      placed[p.node()] = p.shards();
    }
    std::string text = absl::StrCat("placement epoch ", r->epoch(), "\n");
    absl::StrAppend(&text, "id  zone        state            weight  shards\n");
    std::string items;
    for (const auto& [id, n] : by_id) {
      const auto it = placed.find(id);
      const uint64_t shards = it == placed.end() ? 0 : it->second;
      const std::string zone = n == nullptr ? "" : n->zone();
      const std::string state = n == nullptr ? "up (configured)" : state_name(n->state());
      const double weight = n == nullptr ? 0 : n->weight();
      // Weight 0 (or a node not registered): placement derives it (capacity, else 1).
      const std::string w = weight > 0 ? absl::StrFormat("%.2f", weight) : "-";
      text += absl::StrFormat("%-3u %-11s %-16s %6s  %u\n", id, zone.empty() ? "-" : zone, state, w,
                              shards);
      JsonObject o;
      o.number("id", id)
          .text("zone", zone)
          .text("state", state)
          .boolean("registered", n != nullptr)
          .number("shards", static_cast<int64_t>(shards));
      absl::StrAppend(&items, items.empty() ? "" : ",", o.str());
    }
    if (!out_.json()) return out_.text(text, kExitOk);
    JsonObject o;
    o.number("epoch", static_cast<int64_t>(r->epoch())).raw("nodes", "[" + items + "]");
    return out_.result(o, kExitOk);
  }

  int set_state(meta::wire::NodeState state) {
    auto r = nodes();
    if (!r.ok()) return fail(r.status());
    meta::wire::NsCommand c;
    StorageNode* n = c.mutable_register_node()->mutable_node();
    for (const StorageNode& known : r->nodes()) {
      if (known.id() == a_.node) *n = known;
    }
    n->set_id(a_.node);
    n->set_state(state);
    auto done = client_->command(std::move(c));
    if (!done.ok()) return fail(done.status());
    JsonObject o;
    o.number("id", a_.node)
        .text("state", state_name(state))
        .number("epoch", static_cast<int64_t>(done->epoch()));
    if (out_.json()) return out_.result(o, kExitOk);
    return out_.text(absl::StrCat("node ", a_.node, " registered ", state_name(state),
                                  " (placement epoch ", done->epoch(), ")",
                                  state == meta::wire::NODE_DRAINING
                                      ? "; repair moves its shards away: watch `cairn node list`"
                                      : "",
                                  "\n"),
                     kExitOk);
  }

  const NodeArgs& a_;
  const Output& out_;
  std::unique_ptr<FileBlockingClient> client_;
};

}  // namespace

CLI::App* add_node_command(CLI::App& app, NodeArgs& a) {
  CLI::App* node = app.add_subcommand("node", "the storage nodes placement knows; drain one");
  node->require_subcommand(1);
  CLI::App* list = node->add_subcommand("list", "id, zone, state, weight and shards of each node");
  add_cluster_options(*list, a.cluster);
  list->callback([&a] { a.verb = "list"; });
  struct Verb {
    const char* name;
    const char* help;
  };
  const Verb verbs[] = {
      {"drain", "register ID draining: repair moves every shard off it"},
      {"undrain", "register ID up again: placement may put shards on it"},
  };
  for (const Verb& v : verbs) {
    CLI::App* sub = node->add_subcommand(v.name, v.help);
    sub->add_option("ID", a.node, "the storage node's id")
        ->required()
        ->check(CLI::Range(1u, 0xFFFFFFFFu));
    add_cluster_options(*sub, a.cluster);
    const std::string name = v.name;
    sub->callback([&a, name] { a.verb = name; });
  }
  return node;
}

int run_node_command(const NodeArgs& a) {
  const Output out(a.cluster.json);
  return Runner(a, out).run();
}

}  // namespace cairn::real::cli
