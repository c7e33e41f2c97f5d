// A loopback cluster of cairnd processes running the meta role (or other roles, such as
// storage), for real-node tests and benchmarks: writes their configs, starts, kills (-9) and
// restarts them, finds the leader through /metrics. The destructor kills and reaps every process
// still running, so a failed assertion never leaves cairnd behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/cas/digest.h"
#include "runtime-real/host/config.h"

namespace cairn::real {
class FileBlockingClient;
struct FileBlockingClientOptions;
}  // namespace cairn::real

namespace cairn::real::testing {

struct MetaClusterOptions {
  std::string cairnd;  // path of the cairnd binary
  int nodes = 3;
  std::string tick = "20ms";
  std::string election_timeout = "[200ms, 400ms]";
  std::string heartbeat = "20ms";
  int snapshot_every = 10000;
  std::string log_level = "info";
  std::string roles = "[membership, meta]";
  // More top-level lines of every node's config (e.g. a `storage:` section). The `raft`
  // section is written only when `roles` names meta, `membership` only when it names that.
  std::string extra_config;
};

class MetaCluster {
 public:
  MetaCluster(std::string dir, MetaClusterOptions options);
  ~MetaCluster();
  MetaCluster(const MetaCluster&) = delete;
  MetaCluster& operator=(const MetaCluster&) = delete;

  void start(int i);
  void start_all();
  // kill -9 and reap. True if it died of SIGKILL.
  bool kill9(int i);
  // SIGTERM every running node; true if each exited 0 within the bound.
  bool stop_all();
  bool running(int i) const { return pid_.count(i) != 0; }
  int nodes() const { return options_.nodes; }

  std::vector<HostPort> client_peers() const;
  uint16_t http_port(int i) const { return http_port_.at(i); }
  uint16_t client_port(int i) const { return client_port_.at(i); }
  std::string log_path(int i) const;
  // The lines of node i's log (every run of it, appended) that contain `needle`.
  std::vector<std::string> log_lines(int i, const std::string& needle) const;
  const std::string& dir() const { return dir_; }

  // `cairn_<name>` gauges and counters of node i (empty if it cannot be reached).
  std::map<std::string, double> metrics(int i) const;
  // The running node that says it leads in the highest term; 0 if none does.
  int leader() const;
  // True if some running node that was not started and killed meanwhile has exited.
  bool any_exited(int* which, int* code);

 private:
  void write_config(int i) const;

  std::string dir_;
  MetaClusterOptions options_;
  std::map<int, uint16_t> frame_port_, http_port_, client_port_;
  std::map<int, pid_t> pid_;
};

// `nodes` cairnd nodes at `cairnd`, each [membership, meta, storage], storing chunks as
// three replicas or Reed-Solomon 3+2: the cluster the repair, drain and kill tests start.
MetaClusterOptions rs_cluster_options(const std::string& cairnd, int nodes);

// Starts every node of a cluster with the storage role and waits up to `timeout` for each
// store to be ready and then for a meta leader; "" when all is up, else what is missing.
std::string start_storage_cluster(MetaCluster& cluster, std::chrono::milliseconds timeout);

// The digest of the whole latest version of `path` as `client` reads it, its length in *bytes.
absl::StatusOr<cas::Digest> read_digest(FileBlockingClient& client, const std::string& path,
                                        uint64_t* bytes);

// Files of SeededSource bytes (seeded_source.h) named `dir`/f<i>, i in [first, first +
// count), each `bytes` long: what the kill tests write and check.
struct SeededFiles {
  std::string dir;
  uint64_t seed = 0;
  uint64_t first = 0;
  uint64_t count = 0;
  uint64_t bytes = 0;
};
// Options of a file client of `cluster` patient enough for nodes being killed.
FileBlockingClientOptions patient_client_options(const MetaCluster& cluster,
                                                 std::chrono::seconds deadline);
// Writes the files (making `dir` first when `make_dir`); OK or the first failure.
absl::Status put_seeded_files(FileBlockingClient& client, const SeededFiles& files, bool make_dir);
// Reads every file back; OK when each has its length and its digest, else the first that
// does not (or could not be read).
absl::Status check_seeded_files(FileBlockingClient& client, const SeededFiles& files);

// `n` distinct ports free on 127.0.0.1 now, drawn below the kernel's ephemeral range so
// that no outbound connection can take one while a node is down between kill and restart.
std::vector<uint16_t> pick_listen_ports(int n);

}  // namespace cairn::real::testing
