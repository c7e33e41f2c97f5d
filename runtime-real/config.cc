#include "runtime-real/config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/base/units.h"
#include "runtime-real/spd_log.h"

namespace cairn::real {
namespace {

// Every error names the file and the (1-based) line of the offending YAML node.
class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  absl::Status error(const YAML::Node& at, const std::string& message) const {
    return absl::InvalidArgumentError(absl::StrCat(path_, ":", at.Mark().line + 1, ": ", message));
  }
  absl::Status known_keys(const YAML::Node& map, const std::set<std::string>& keys,
                          const std::string& where) const {
    if (!map.IsMap()) return error(map, absl::StrCat(where, " must be a mapping"));
    for (const auto& kv : map) {
      const std::string key = kv.first.as<std::string>();
      if (!keys.contains(key))
        return error(kv.first, absl::StrCat("unknown key '", key, "' in ", where));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> scalar(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) return error(n, absl::StrCat("'", key, "' must be a single value"));
    return n.as<std::string>();
  }
  absl::StatusOr<uint64_t> integer(const YAML::Node& n, const std::string& key) const {
    auto s = scalar(n, key);
    uint64_t v = 0;
    if (!s.ok()) return s.status();
    if (!absl::SimpleAtoi(*s, &v)) return error(n, absl::StrCat("'", key, "' must be an integer"));
    return v;
  }
  absl::StatusOr<Duration> duration(const YAML::Node& n, const std::string& key) const {
    auto s = scalar(n, key);
    if (!s.ok()) return s.status();
    auto d = parse_duration(*s);
    if (!d.ok()) return error(n, absl::StrCat("'", key, "': ", d.status().message()));
    return *d;
  }
  absl::StatusOr<uint64_t> size(const YAML::Node& n, const std::string& key) const {
    auto s = scalar(n, key);
    if (!s.ok()) return s.status();
    auto v = parse_size(*s);
    if (!v.ok()) return error(n, absl::StrCat("'", key, "': ", v.status().message()));
    return *v;
  }
  absl::StatusOr<bool> boolean(const YAML::Node& n, const std::string& key) const {
    auto s = scalar(n, key);
    if (!s.ok()) return s.status();
    if (*s == "true") return true;
    if (*s == "false") return false;
    return error(n, absl::StrCat("'", key, "' must be true or false"));
  }
  absl::StatusOr<HostPort> address(const YAML::Node& n, const std::string& key) const {
    auto s = scalar(n, key);
    if (!s.ok()) return s.status();
    auto hp = parse_host_port(*s);
    if (!hp.ok()) return error(n, absl::StrCat("'", key, "': ", hp.status().message()));
    return *hp;
  }

 private:
  std::string path_;
};

#define CAIRN_ASSIGN(lhs, expr)       \
  do {                                \
    auto _v = (expr);                 \
    if (!_v.ok()) return _v.status(); \
    lhs = *_v;                        \
  } while (0)

absl::Status read_membership(const Reader& r, const YAML::Node& m,
                             membership::MembershipOptions* o) {
  if (auto s = r.known_keys(
          m,
          {"heartbeat", "suspect_timeout", "phi_threshold", "monitors", "gossip_fanout",
           "anti_entropy", "min_std_dev", "acceptable_pause", "first_contact"},
          "membership");
      !s.ok()) {
    return s;
  }
  for (const auto& kv : m) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (key == "heartbeat") CAIRN_ASSIGN(o->heartbeat_interval, r.duration(v, key));
    if (key == "suspect_timeout") CAIRN_ASSIGN(o->suspect_timeout, r.duration(v, key));
    if (key == "anti_entropy") CAIRN_ASSIGN(o->anti_entropy_interval, r.duration(v, key));
    if (key == "first_contact") CAIRN_ASSIGN(o->first_contact_grace, r.duration(v, key));
    if (key == "min_std_dev") CAIRN_ASSIGN(o->detector.min_std_dev, r.duration(v, key));
    if (key == "acceptable_pause") CAIRN_ASSIGN(o->detector.acceptable_pause, r.duration(v, key));
    if (key == "monitors") CAIRN_ASSIGN(o->monitors, r.integer(v, key));
    if (key == "gossip_fanout") CAIRN_ASSIGN(o->gossip_fanout, r.integer(v, key));
    if (key == "phi_threshold") {
      auto s = r.scalar(v, key);
      if (!s.ok()) return s.status();
      if (!absl::SimpleAtod(*s, &o->detector.phi_threshold)) {
        return r.error(v, "'phi_threshold' must be a number");
      }
    }
  }
  o->detector.first_interval = o->heartbeat_interval;
  if (auto s = o->validate(); !s.ok()) return r.error(m, std::string(s.message()));
  return absl::OkStatus();
}

absl::Status read_transport(const Reader& r, const YAML::Node& m, TransportConfig* t) {
  if (auto s = r.known_keys(m, {"shm", "shm_threshold", "shm_ring", "send_queue"}, "transport");
      !s.ok()) {
    return s;
  }
  for (const auto& kv : m) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (key == "shm") {
      auto s = r.scalar(v, key);
      if (!s.ok()) return s.status();
      if (*s != "auto" && *s != "off") return r.error(v, "'shm' must be auto or off");
      t->shm = *s == "auto";
    }
    if (key == "shm_threshold") CAIRN_ASSIGN(t->shm_threshold, r.size(v, key));
    if (key == "shm_ring") CAIRN_ASSIGN(t->shm_ring, r.size(v, key));
    if (key == "send_queue") CAIRN_ASSIGN(t->send_queue, r.size(v, key));
  }
  if (t->shm_ring < (1 << 16)) return r.error(m, "'shm_ring' must be at least 64KiB");
  return absl::OkStatus();
}

absl::Status check_meta(const Reader& r, const YAML::Node& m, const NodeConfig& c) {
  const MetaConfig& meta = c.meta;
  if (meta.tick < std::chrono::milliseconds(1)) return r.error(m, "'tick' must be at least 1ms");
  if (meta.heartbeat_ticks < 1) return r.error(m, "'heartbeat_ticks' must be >= 1");
  if (meta.election_ticks < 2 * meta.heartbeat_ticks) {
    return r.error(m, "'election_ticks' must be at least twice 'heartbeat_ticks'");
  }
  if (meta.max_pending_requests < 1 || meta.max_sessions < 1) {
    return r.error(m, "'max_pending_requests' and 'max_sessions' must be >= 1");
  }
  for (NodeId v : meta.voters) {
    bool known = v == c.node;
    for (const auto& p : c.peers) known = known || p.node == v;
    if (!known) return r.error(m, absl::StrCat("voter n", v, " is neither this node nor a peer"));
  }
  return absl::OkStatus();
}

absl::Status read_voters(const Reader& r, const YAML::Node& list, MetaConfig* meta) {
  if (!list.IsSequence()) return r.error(list, "'voters' must be a list of node ids");
  for (const auto& v : list) {
    uint64_t id = 0;
    CAIRN_ASSIGN(id, r.integer(v, "voters"));
    if (id == 0 || id >= kFirstClientId) return r.error(v, "voter ids are node ids (>= 1)");
    meta->voters.push_back(static_cast<NodeId>(id));
  }
  return absl::OkStatus();
}

// After 'node' and 'peers' (voters are checked against them).
absl::Status read_meta(const Reader& r, const YAML::Node& m, NodeConfig* c) {
  if (auto s = r.known_keys(
          m,
          {"voters", "tick", "election_ticks", "heartbeat_ticks", "snapshot_every",
           "max_pending_requests", "max_sessions", "pre_vote", "check_quorum", "lease_reads"},
          "meta");
      !s.ok()) {
    return s;
  }
  MetaConfig* o = &c->meta;
  for (const auto& kv : m) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    uint64_t n = 0;
    if (key == "voters") {
      if (auto s = read_voters(r, v, o); !s.ok()) return s;
    }
    if (key == "tick") CAIRN_ASSIGN(o->tick, r.duration(v, key));
    if (key == "election_ticks" || key == "heartbeat_ticks") {
      CAIRN_ASSIGN(n, r.integer(v, key));
      if (n > 10000) return r.error(v, absl::StrCat("'", key, "' must be at most 10000"));
      (key == "election_ticks" ? o->election_ticks : o->heartbeat_ticks) = static_cast<int>(n);
    }
    if (key == "snapshot_every") CAIRN_ASSIGN(o->snapshot_every, r.integer(v, key));
    if (key == "max_pending_requests") CAIRN_ASSIGN(o->max_pending_requests, r.integer(v, key));
    if (key == "max_sessions") CAIRN_ASSIGN(o->max_sessions, r.integer(v, key));
    if (key == "pre_vote") CAIRN_ASSIGN(o->pre_vote, r.boolean(v, key));
    if (key == "check_quorum") CAIRN_ASSIGN(o->check_quorum, r.boolean(v, key));
    if (key == "lease_reads") CAIRN_ASSIGN(o->lease_reads, r.boolean(v, key));
  }
  if (o->lease_reads && !o->check_quorum) {
    return r.error(m, "'lease_reads' needs 'check_quorum: true'");
  }
  return check_meta(r, m, *c);
}

absl::Status read_peers(const Reader& r, const YAML::Node& list, NodeConfig* c) {
  if (!list.IsSequence()) return r.error(list, "'peers' must be a list");
  for (const auto& p : list) {
    if (auto s = r.known_keys(p, {"node", "address"}, "a peer"); !s.ok()) return s;
    if (!p["node"] || !p["address"]) return r.error(p, "a peer needs 'node' and 'address'");
    PeerConfig peer;
    uint64_t id = 0;
    CAIRN_ASSIGN(id, r.integer(p["node"], "node"));
    if (id == 0 || id >= kFirstClientId || id == c->node) {
      return r.error(p["node"], "peer node ids are >= 1 and differ from 'node'");
    }
    for (const auto& other : c->peers) {
      if (other.node == id) return r.error(p["node"], absl::StrCat("peer n", id, " listed twice"));
    }
    peer.node = static_cast<NodeId>(id);
    CAIRN_ASSIGN(peer.address, r.address(p["address"], "address"));
    c->peers.push_back(peer);
  }
  return absl::OkStatus();
}

absl::Status read_top(const Reader& r, const YAML::Node& root, NodeConfig* c) {
  if (auto s = r.known_keys(root,
                            {"node", "listen", "http", "client", "data_dir", "roles", "log_level",
                             "peers", "membership", "transport", "meta"},
                            "the node config");
      !s.ok()) {
    return s;
  }
  if (!root["node"]) return r.error(root, "missing 'node' (this node's id, >= 1)");
  if (!root["data_dir"]) return r.error(root, "missing 'data_dir'");
  uint64_t id = 0;
  CAIRN_ASSIGN(id, r.integer(root["node"], "node"));
  if (id == 0 || id >= kFirstClientId) {
    return r.error(root["node"], absl::StrCat("'node' must be >= 1 and < ", kFirstClientId));
  }
  c->node = static_cast<NodeId>(id);
  CAIRN_ASSIGN(c->data_dir, r.scalar(root["data_dir"], "data_dir"));
  if (root["listen"]) CAIRN_ASSIGN(c->listen, r.address(root["listen"], "listen"));
  if (root["http"]) CAIRN_ASSIGN(c->http, r.address(root["http"], "http"));
  if (root["client"]) CAIRN_ASSIGN(c->client, r.address(root["client"], "client"));
  if (root["log_level"]) {
    std::string level;
    CAIRN_ASSIGN(level, r.scalar(root["log_level"], "log_level"));
    if (!parse_log_level(level, &c->log_level)) {
      return r.error(root["log_level"], "'log_level' must be debug, info, warn or error");
    }
  }
  if (root["roles"]) {
    const YAML::Node& roles = root["roles"];
    if (!roles.IsSequence()) return r.error(roles, "'roles' must be a list");
    c->roles.clear();
    for (const auto& role : roles) {
      std::string name;
      CAIRN_ASSIGN(name, r.scalar(role, "roles"));
      if (name != "membership" && name != "meta") {
        return r.error(role, absl::StrCat("unknown role '", name, "' (known: membership, meta)"));
      }
      if (c->has_role(name)) return r.error(role, absl::StrCat("role '", name, "' listed twice"));
      c->roles.push_back(name);
    }
  }
  if (root["peers"]) {
    if (auto s = read_peers(r, root["peers"], c); !s.ok()) return s;
  }
  if (root["membership"]) {
    if (auto s = read_membership(r, root["membership"], &c->membership); !s.ok()) return s;
  }
  if (root["transport"]) {
    if (auto s = read_transport(r, root["transport"], &c->transport); !s.ok()) return s;
  }
  if (root["meta"]) {
    if (!c->has_role("meta")) return r.error(root["meta"], "'meta' given but 'meta' is no role");
    return read_meta(r, root["meta"], c);
  }
  return absl::OkStatus();
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
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", e.mark.line + 1, ": ", e.msg));
  }
  NodeConfig c;
  const Reader r(path);
  try {
    if (auto s = read_top(r, root, &c); !s.ok()) return s;
  } catch (const YAML::Exception& e) {  // conversions of odd nodes: still file:line
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

std::vector<NodeConfig> dev_cluster(int nodes, uint16_t base_port, const std::string& data_dir,
                                    bool meta) {
  std::vector<NodeConfig> out;
  for (int i = 1; i <= nodes; ++i) {
    NodeConfig c;
    c.node = static_cast<NodeId>(i);
    c.listen = HostPort{"127.0.0.1", static_cast<uint16_t>(base_port + i)};
    c.http = HostPort{"127.0.0.1", static_cast<uint16_t>(base_port + 100 + i)};
    c.client = HostPort{"127.0.0.1", static_cast<uint16_t>(base_port + 200 + i)};
    if (meta) c.roles.push_back("meta");
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
