#include "tests/real/meta_cluster.h"

#include <signal.h>

#include <chrono>
#include <fstream>
#include <random>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime-real/host/http_server.h"
#include "runtime-real/tools/file_blocking_client.h"
#include "tests/real/process.h"
#include "tests/real/seeded_source.h"

namespace cairn::real::testing {

using namespace std::chrono_literals;

std::vector<uint16_t> pick_listen_ports(int n) {
  int ephemeral_low = 32768;
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  range >> ephemeral_low;
  const int low = 10000;
  const int high = std::max(low + 1000, ephemeral_low);  // exclusive
  std::mt19937 rng(std::random_device{}());
  std::set<uint16_t> picked;
  std::vector<uint16_t> out;
  for (int tries = 0; static_cast<int>(out.size()) < n && tries < 100000; ++tries) {
    const auto port = static_cast<uint16_t>(low + rng() % (high - low));
    if (picked.count(port) != 0 || !port_is_free(port)) continue;
    picked.insert(port);
    out.push_back(port);
  }
  return out;
}

MetaCluster::MetaCluster(std::string dir, MetaClusterOptions options)
    : dir_(std::move(dir)), options_(std::move(options)) {
  const auto ports = pick_listen_ports(3 * options_.nodes);
  for (int i = 1; i <= options_.nodes; ++i) {
    frame_port_[i] = ports.at(3 * (i - 1));
    http_port_[i] = ports.at(3 * (i - 1) + 1);
    client_port_[i] = ports.at(3 * (i - 1) + 2);
  }
  for (int i = 1; i <= options_.nodes; ++i) write_config(i);
}

MetaCluster::~MetaCluster() {
  for (const auto& [i, pid] : pid_) ::kill(pid, SIGKILL);
  for (const auto& [i, pid] : pid_) wait_exit(pid, 5s);
}

std::string MetaCluster::log_path(int i) const { return absl::StrCat(dir_, "/n", i, ".log"); }

std::vector<std::string> MetaCluster::log_lines(int i, const std::string& needle) const {
  std::vector<std::string> out;
  std::ifstream in(log_path(i));
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) out.push_back(line);
  }
  return out;
}

void MetaCluster::write_config(int i) const {
  std::ofstream out(absl::StrCat(dir_, "/n", i, ".yaml"));
  out << "node: " << i << "\nlisten: 127.0.0.1:" << frame_port_.at(i)
      << "\nhttp: 127.0.0.1:" << http_port_.at(i) << "\nclient: 127.0.0.1:" << client_port_.at(i)
      << "\ndata_dir: " << dir_ << "/n" << i << "\nroles: " << options_.roles
      << "\nlog_level: " << options_.log_level << "\n";
  if (options_.nodes > 1) out << "peers:\n";
  for (int j = 1; j <= options_.nodes; ++j) {
    if (j != i) out << "  - {node: " << j << ", address: 127.0.0.1:" << frame_port_.at(j) << "}\n";
  }
  // cairnd refuses a section for a role the node does not run.
  if (options_.roles.find("membership") != std::string::npos) {
    out << "membership: {heartbeat: 200ms, suspect_timeout: 1s}\n";
  }
  if (options_.roles.find("meta") != std::string::npos) {
    out << "raft: {tick: " << options_.tick << ", election_timeout: " << options_.election_timeout
        << ", heartbeat: " << options_.heartbeat << ", snapshot_every: " << options_.snapshot_every
        << "}\n";
  }
  out << options_.extra_config;
}

void MetaCluster::start(int i) {
  pid_[i] = spawn({options_.cairnd, "--config", absl::StrCat(dir_, "/n", i, ".yaml")}, log_path(i));
}

void MetaCluster::start_all() {
  for (int i = 1; i <= options_.nodes; ++i) start(i);
}

bool MetaCluster::kill9(int i) {
  auto it = pid_.find(i);
  if (it == pid_.end()) return false;
  ::kill(it->second, SIGKILL);
  const int code = wait_exit(it->second, 5s);
  pid_.erase(it);
  return code == 128 + SIGKILL;
}

bool MetaCluster::stop_all() {
  bool ok = true;
  for (const auto& [i, pid] : pid_) ::kill(pid, SIGTERM);
  for (const auto& [i, pid] : pid_) ok = wait_exit(pid, 10s) == 0 && ok;
  pid_.clear();
  return ok;
}

bool MetaCluster::any_exited(int* which, int* code) {
  for (auto it = pid_.begin(); it != pid_.end(); ++it) {
    if (exited(it->second, code)) {
      *which = it->first;
      pid_.erase(it);
      return true;
    }
  }
  return false;
}

std::vector<HostPort> MetaCluster::client_peers() const {
  std::vector<HostPort> out;
  for (const auto& [i, port] : client_port_) out.push_back(HostPort{"127.0.0.1", port});
  return out;
}

std::map<std::string, double> MetaCluster::metrics(int i) const {
  std::map<std::string, double> out;
  auto body = http_get("127.0.0.1", http_port_.at(i), "/metrics", 500);
  if (!body.ok()) return out;
  for (absl::string_view line : absl::StrSplit(*body, '\n', absl::SkipEmpty())) {
    const size_t brace = line.find('{');
    const size_t space = line.rfind(' ');
    double v = 0;
    if (brace == line.npos || space == line.npos || !absl::SimpleAtod(line.substr(space + 1), &v)) {
      continue;
    }
    out[std::string(line.substr(0, brace))] = v;
  }
  return out;
}

int MetaCluster::leader() const {
  int best = 0;
  double best_term = -1;
  for (const auto& [i, pid] : pid_) {
    auto m = metrics(i);
    if (m["cairn_raft_is_leader"] == 1 && m["cairn_raft_term"] > best_term) {
      best = i;
      best_term = m["cairn_raft_term"];
    }
  }
  return best;
}

MetaClusterOptions rs_cluster_options(const std::string& cairnd, int nodes) {
  MetaClusterOptions options;
  options.cairnd = cairnd;
  options.nodes = nodes;
  options.roles = "[membership, meta, storage]";
  options.extra_config = "storage: {replicas: 3, data_shards: 3, parity_shards: 2}\n";
  return options;
}

std::string start_storage_cluster(MetaCluster& cluster, std::chrono::milliseconds timeout) {
  cluster.start_all();
  for (int i = 1; i <= cluster.nodes(); ++i) {
    if (!wait_until(timeout,
                    [&] { return cluster.log_lines(i, "kind=storage_ready").size() == 1; })) {
      return absl::StrCat("n", i, " did not start its store; logs in ", cluster.dir());
    }
  }
  if (!wait_until(timeout, [&] { return cluster.leader() != 0; })) {
    return absl::StrCat("no meta leader; logs in ", cluster.dir());
  }
  return "";
}

absl::StatusOr<cas::Digest> read_digest(FileBlockingClient& client, const std::string& path,
                                        uint64_t* bytes) {
  cas::Digester d;
  *bytes = 0;
  auto r = client.get(path, 0, 0, client::FileClient::kToEnd, [&](const Payload& piece) {
    d.update({reinterpret_cast<const uint8_t*>(piece.data()), piece.view().size()});
    *bytes += piece.view().size();
    return absl::OkStatus();
  });
  if (!r.ok()) return r.status();
  return d.finish();
}

FileBlockingClientOptions patient_client_options(const MetaCluster& cluster,
                                                 std::chrono::seconds deadline) {
  FileBlockingClientOptions co;
  co.meta = cluster.client_peers();
  co.deadline = deadline;
  co.chunk_attempt_timeout = std::chrono::seconds(20);
  return co;
}

absl::Status put_seeded_files(FileBlockingClient& client, const SeededFiles& files, bool make_dir) {
  if (make_dir) {
    meta::wire::NsCommand mkdir;
    mkdir.mutable_mkdir()->set_path(files.dir);
    auto made = client.command(mkdir);
    if (!made.ok()) return made.status();
  }
  for (uint64_t i = files.first; i < files.first + files.count; ++i) {
    const std::string path = absl::StrCat(files.dir, "/f", i);
    auto r = client.put(path, std::make_shared<SeededSource>(files.seed, i, files.bytes),
                        client::PutOptions{});
    if (!r.ok())
      return absl::Status(r.status().code(),
                          absl::StrCat("put ", path, ": ", r.status().message()));
  }
  return absl::OkStatus();
}

absl::Status check_seeded_files(FileBlockingClient& client, const SeededFiles& files) {
  for (uint64_t i = files.first; i < files.first + files.count; ++i) {
    const std::string path = absl::StrCat(files.dir, "/f", i);
    uint64_t bytes = 0;
    auto got = read_digest(client, path, &bytes);
    if (!got.ok()) {
      return absl::Status(got.status().code(), absl::StrCat(path, ": ", got.status().message()));
    }
    if (bytes != files.bytes || *got != SeededSource(files.seed, i, files.bytes).digest()) {
      return absl::DataLossError(absl::StrCat(path, " read back ", bytes, " bytes hashing to ",
                                              got->format(), ", not what was written"));
    }
  }
  return absl::OkStatus();
}

}  // namespace cairn::real::testing
