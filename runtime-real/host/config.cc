#include "runtime-real/host/config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/kv/roles.h"
#include "core/roles/builtin.h"
#include "core/storage/roles.h"
#include "runtime-real/host/spd_log.h"
#include "runtime-real/settings/role_settings.h"

namespace cairn::real {
namespace {

using namespace settings;  // NOLINT: the reader's vocabulary

HostPort address(const YAML::Node& n, const std::string& key) {
  auto hp = parse_host_port(scalar(n, key));
  if (!hp.ok()) fail(n, absl::StrCat("'", key, "': ", hp.status().message()));
  return *hp;
}

NodeId node_id(const YAML::Node& n, const std::string& what) {
  return static_cast<NodeId>(integer(n, what, 1, kFirstClientId - 1));
}

void read_transport(const YAML::Node& m, TransportConfig* t) {
  only_keys(m, "transport", {"shm", "shm_threshold", "shm_ring", "send_queue"});
  if (m["shm"]) {
    const std::string v = scalar(m["shm"], "shm");
    if (v != "auto" && v != "off") fail(m["shm"], "'shm' must be auto or off");
    t->shm = v == "auto";
  }
  if (m["shm_threshold"]) t->shm_threshold_bytes = size(m["shm_threshold"], "shm_threshold");
  if (m["shm_ring"]) t->shm_ring_bytes = size(m["shm_ring"], "shm_ring");
  if (m["send_queue"]) t->send_queue_bytes = size(m["send_queue"], "send_queue");
  if (t->shm_ring_bytes < (1 << 16)) fail(m, "'shm_ring' must be at least 64KiB");
}

void read_peers(const YAML::Node& list, NodeConfig* c) {
  if (!list.IsSequence()) fail(list, "'peers' must be a list");
  for (const auto& p : list) {
    only_keys(p, "a peer", {"node", "address", "zone"});
    if (!p["node"] || !p["address"]) fail(p, "a peer needs 'node' and 'address'");
    const NodeId id = node_id(p["node"], "peer node");
    if (id == c->node) fail(p["node"], "peer node ids differ from 'node'");
    for (const auto& other : c->peers) {
      if (other.node == id) fail(p["node"], absl::StrCat("peer n", id, " listed twice"));
    }
    c->peers.push_back(PeerConfig{id, address(p["address"], "address"),
                                  p["zone"] ? scalar(p["zone"], "zone") : std::string()});
  }
}

// `grpc: {listen: H:P, cluster: [H:P, ...], data_listen: H:P, shared_memory: B,
// token_ttl: D}`: the gateway, the client ports it uses and its transfer data plane.
void read_grpc(const YAML::Node& m, NodeConfig* c) {
  only_keys(m, "grpc", {"listen", "cluster", "data_listen", "shared_memory", "token_ttl"});
  if (!m["listen"]) fail(m, "'grpc' needs 'listen' (host:port of the gRPC server)");
  c->grpc = address(m["listen"], "listen");
  if (m["data_listen"]) c->grpc_data_listen = address(m["data_listen"], "data_listen");
  if (m["shared_memory"]) c->grpc_shared_memory = boolean(m["shared_memory"], "shared_memory");
  if (m["token_ttl"]) {
    const auto ttl = std::chrono::duration_cast<std::chrono::milliseconds>(
        duration(m["token_ttl"], "token_ttl"));
    if (ttl.count() < 1) fail(m["token_ttl"], "'token_ttl' must be at least 1ms");
    c->grpc_token_ttl_ms = ttl.count();
  }
  if (!m["cluster"]) return;
  if (!m["cluster"].IsSequence()) fail(m["cluster"], "'cluster' must be a list of host:port");
  for (const auto& a : m["cluster"]) c->grpc_cluster.push_back(address(a, "cluster"));
}

void read_roles(const YAML::Node& list, const RoleRegistry& registry, NodeConfig* c) {
  if (!list.IsSequence()) fail(list, "'roles' must be a list");
  c->roles.clear();
  for (const auto& item : list) {
    const std::string name = scalar(item, "roles");
    const RoleInfo* role = registry.find(name);
    if (role == nullptr || role->client_endpoint) {
      std::vector<std::string> known;
      for (const RoleInfo& r : registry.roles()) {
        if (!r.client_endpoint) known.push_back(r.name);
      }
      fail(item,
           absl::StrCat("unknown role '", name, "' (known: ", absl::StrJoin(known, ", "), ")"));
    }
    if (c->has_role(name)) fail(item, absl::StrCat("role '", name, "' listed twice"));
    c->roles.push_back(name);
  }
}

// Role sections: each must belong to a role this node runs; voters are this node or peers.
void read_role_options(const YAML::Node& root, const RoleRegistry& registry, NodeConfig* c) {
  if (root["meta"]) fail(root["meta"], "the 'meta' section is now 'raft' (see docs/settings.md)");
  read_role_sections(root, registry, c->role_options,
                     [](const YAML::Node& n) { return parse_node_id(n); });
  for (const RoleInfo& role : registry.roles()) {
    if (role.settings.empty() || !root[role.settings] || c->has_role(role.name)) continue;
    fail(root[role.settings],
         absl::StrCat("'", role.settings, "' given but '", role.name, "' is no role of this node"));
  }
  for (NodeId v : c->role_options.get_or_default<kv::MetaOptions>("meta").raft.voters) {
    bool known = v == c->node;
    for (const auto& p : c->peers) known = known || p.node == v;
    if (!known) fail(root["raft"], absl::StrCat("voter n", v, " is neither this node nor a peer"));
  }
}

void read_top(const YAML::Node& root, const RoleRegistry& registry, NodeConfig* c) {
  std::vector<std::string> keys{"node", "listen",       "http",        "client", "data_dir",
                                "zone", "roles",        "log_level",   "peers",  "transport",
                                "meta", "disk_threads", "max_clients", "grpc"};
  for (const RoleInfo& r : registry.roles()) {
    if (!r.settings.empty()) keys.push_back(r.settings);
  }
  only_keys(root, "the node config", keys);
  if (!root["node"]) fail(root, "missing 'node' (this node's id, >= 1)");
  if (!root["data_dir"]) fail(root, "missing 'data_dir'");
  c->node = node_id(root["node"], "node");
  c->data_dir = scalar(root["data_dir"], "data_dir");
  if (root["zone"]) c->zone = scalar(root["zone"], "zone");
  if (root["listen"]) c->listen = address(root["listen"], "listen");
  if (root["http"]) c->http = address(root["http"], "http");
  if (root["client"]) c->client = address(root["client"], "client");
  if (root["log_level"]) {
    if (!parse_log_level(scalar(root["log_level"], "log_level"), &c->log_level)) {
      fail(root["log_level"], "'log_level' must be debug, info, warn or error");
    }
  }
  if (root["roles"]) read_roles(root["roles"], registry, c);
  if (root["peers"]) read_peers(root["peers"], c);
  if (root["transport"]) read_transport(root["transport"], &c->transport);
  if (root["disk_threads"]) {
    c->disk_threads = static_cast<int>(integer(root["disk_threads"], "disk_threads", 1, 256));
  }
  if (root["max_clients"]) {
    c->max_clients = static_cast<size_t>(integer(root["max_clients"], "max_clients", 1, 1000000));
  }
  if (root["grpc"]) read_grpc(root["grpc"], c);
  read_role_options(root, registry, c);
}

}  // namespace

bool NodeConfig::has_role(const std::string& role) const {
  for (const auto& r : roles) {
    if (r == role) return true;
  }
  return false;
}

absl::StatusOr<HostPort> parse_host_port(const std::string& text) {
  const size_t colon = text.rfind(':');
  uint32_t port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(text.substr(colon + 1), &port) || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not host:port"));
  }
  return HostPort{text.substr(0, colon), static_cast<uint16_t>(port)};
}

absl::StatusOr<NodeConfig> parse_node_config(const std::string& text, const std::string& path) {
  NodeConfig c;
  const RoleRegistry registry = builtin_roles();
  try {
    const YAML::Node root = YAML::Load(text);
    if (!root.IsMap())
      return absl::InvalidArgumentError(absl::StrCat(path, ":1: a node config must be a mapping"));
    read_top(root, registry, &c);
  } catch (const ParseError& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", e.line, ": ", e.message));
  } catch (const YAML::Exception& e) {  // syntax, and conversions of odd nodes: still file:line
    return absl::InvalidArgumentError(absl::StrCat(path, ":", e.mark.line + 1, ": ", e.msg));
  }
  return c;
}

absl::StatusOr<NodeConfig> load_node_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ":0: cannot open the config file"));
  std::stringstream text;
  text << in.rdbuf();
  return parse_node_config(text.str(), path);
}

namespace {

// A dev cluster smaller than the default codes need (rep(3), RS(3,2) acknowledged at 4
// shards) gets codes that fit: as many replicas as nodes (at most 3); RS(n-1, 1)
// acknowledged at n-1 shards on 3 or 4 nodes; on 1 or 2 nodes every chunk replicated.
void fit_storage_to(int nodes, storage::CoordinatorOptions* c) {
  if (nodes >= c->data_shards + c->parity_shards) return;
  c->replicas = std::min(c->replicas, nodes);
  c->replica_quorum = std::min(c->replica_quorum, c->replicas);
  if (nodes >= 3) {
    c->data_shards = nodes - 1;
    c->parity_shards = 1;
    c->extra_quorum = 0;
  } else {
    c->replicate_below_bytes = c->max_chunk_bytes + 1;
  }
}

// The nodes of a dev cluster share one machine's cores with each other and with their
// clients, so a node's loop can be late by more than the 150-300 ms election timeout that
// suits a quiet network; etcd's defaults (heartbeat 100 ms, elections after 1-2 s) keep a
// busy cluster from electing over and over.
void fit_raft_to_one_machine(raft::GroupOptions* raft) {
  raft->heartbeat = std::chrono::milliseconds(100);
  raft->election_timeout_min = std::chrono::milliseconds(1000);
  raft->election_timeout_max = std::chrono::milliseconds(2000);
}

}  // namespace

std::vector<NodeConfig> dev_cluster(int nodes, uint16_t base_port, const std::string& data_dir,
                                    bool meta) {
  std::vector<NodeConfig> out;
  for (int i = 1; i <= nodes; ++i) {
    NodeConfig c;
    c.node = static_cast<NodeId>(i);
    c.listen = HostPort{"127.0.0.1", static_cast<uint16_t>(base_port + i)};
    c.http = HostPort{"127.0.0.1", static_cast<uint16_t>(base_port + 100 + i)};
    c.client = HostPort{"127.0.0.1", static_cast<uint16_t>(base_port + 200 + i)};
    if (meta) {
      c.roles.push_back("meta");
      fit_raft_to_one_machine(&c.meta().raft);
    }
    c.roles.push_back("storage");
    fit_storage_to(nodes, &c.role_options.get<storage::StorageOptions>("storage").coordinator);
    c.data_dir = absl::StrCat(data_dir, "/n", i);
    for (int j = 1; j <= nodes; ++j) {
      if (j == i) continue;
      c.peers.push_back(PeerConfig{static_cast<NodeId>(j),
                                   HostPort{"127.0.0.1", static_cast<uint16_t>(base_port + j)}});
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace cairn::real
