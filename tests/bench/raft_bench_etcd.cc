// The etcd side of raft_bench: three etcd members on loopback (WAL fsync on, etcd's
// defaults otherwise), driven through the v3 gRPC API with asynchronous KV.Put calls on
// one completion queue.
#include "tests/bench/raft_bench_etcd.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/real/meta_cluster.h"
#include "tests/real/process.h"

#ifdef CAIRN_BENCH_GRPC
#include <grpcpp/grpcpp.h>

#include "etcd_kv.grpc.pb.h"
#endif

namespace cairn::bench {

#ifndef CAIRN_BENCH_GRPC
absl::StatusOr<std::vector<LoadResult>> run_etcd(const std::vector<LoadShape>&) {
  return absl::UnavailableError("raft_bench was built without gRPC (install libgrpc++-dev)");
}
#else
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kEtcd = "/usr/bin/etcd";

// Three members; kills and reaps them when it goes out of scope.
class EtcdCluster {
 public:
  explicit EtcdCluster(std::string dir) : dir_(std::move(dir)) {
    const auto ports = real::testing::pick_listen_ports(6);
    std::string initial;
    for (int i = 0; i < 3; ++i) {
      client_[i] = ports[2 * i];
      peer_[i] = ports[2 * i + 1];
      absl::StrAppend(&initial, i ? "," : "", "e", i, "=http://127.0.0.1:", peer_[i]);
    }
    for (int i = 0; i < 3; ++i) {
      const std::string c = absl::StrCat("http://127.0.0.1:", client_[i]);
      const std::string p = absl::StrCat("http://127.0.0.1:", peer_[i]);
      pids_.push_back(real::testing::spawn({kEtcd,
                                            "--name",
                                            absl::StrCat("e", i),
                                            "--data-dir",
                                            absl::StrCat(dir_, "/e", i),
                                            "--listen-client-urls",
                                            c,
                                            "--advertise-client-urls",
                                            c,
                                            "--listen-peer-urls",
                                            p,
                                            "--initial-advertise-peer-urls",
                                            p,
                                            "--initial-cluster",
                                            initial,
                                            "--initial-cluster-state",
                                            "new",
                                            "--initial-cluster-token",
                                            "raft-bench",
                                            "--logger",
                                            "zap",
                                            "--log-level",
                                            "warn"},
                                           absl::StrCat(dir_, "/e", i, ".log")));
    }
  }
  ~EtcdCluster() {
    for (pid_t p : pids_) ::kill(p, SIGTERM);
    for (pid_t p : pids_) {
      if (real::testing::wait_exit(p, 10s) < 0) ::kill(p, SIGKILL);
      real::testing::wait_exit(p, 5s);
    }
  }
  std::string target(int i) const { return absl::StrCat("127.0.0.1:", client_[i]); }

 private:
  std::string dir_;
  uint16_t client_[3] = {}, peer_[3] = {};
  std::vector<pid_t> pids_;
};

std::shared_ptr<grpc::Channel> channel_to(const std::string& target, int n) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one TCP connection per channel
  args.SetInt("cairn.raft_bench.channel", n);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

// The member that every member names as leader, or -1.
int find_leader(const EtcdCluster& cluster) {
  std::map<uint64_t, int> member_index;
  uint64_t leader = 0;
  for (int i = 0; i < 3; ++i) {
    auto stub = etcdserverpb::Maintenance::NewStub(channel_to(cluster.target(i), 100 + i));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 500ms);  // gRPC wants system time
    etcdserverpb::StatusResponse r;
    if (!stub->Status(&ctx, etcdserverpb::StatusRequest(), &r).ok() || r.leader() == 0) return -1;
    member_index[r.header().member_id()] = i;
    leader = r.leader();
  }
  auto it = member_index.find(leader);
  return it == member_index.end() ? -1 : it->second;
}

struct Call {
  size_t client = 0;
  Clock::time_point sent;
  grpc::ClientContext ctx;
  etcdserverpb::PutResponse response;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etcdserverpb::PutResponse>> rpc;
};

absl::StatusOr<LoadResult> etcd_load(const std::string& leader, const LoadShape& shape) {
  const size_t n_conns = std::min(shape.connections, shape.clients);
  std::vector<std::unique_ptr<etcdserverpb::KV::Stub>> stubs;
  for (size_t i = 0; i < n_conns; ++i) {
    stubs.push_back(etcdserverpb::KV::NewStub(channel_to(leader, static_cast<int>(i))));
  }
  grpc::CompletionQueue cq;
  const std::string value(shape.value_bytes, 'v');
  auto issue = [&](size_t c) {
    auto* call = new Call;
    call->client = c;
    etcdserverpb::PutRequest req;
    req.set_key(absl::StrCat("bench/", c));
    req.set_value(value);
    call->sent = Clock::now();
    call->rpc = stubs[c % n_conns]->AsyncPut(&call->ctx, req, &cq);
    call->rpc->Finish(&call->response, &call->status, call);
  };
  for (size_t c = 0; c < shape.clients; ++c) issue(c);
  LoadRecorder rec(shape);
  size_t in_flight = shape.clients;
  absl::Status failure = absl::OkStatus();
  while (in_flight > 0) {
    void* tag = nullptr;
    bool ok = false;
    if (cq.AsyncNext(&tag, &ok, std::chrono::system_clock::now() + 5s) !=
        grpc::CompletionQueue::GOT_EVENT) {
      return absl::DeadlineExceededError("etcd: no answer in 5 s");
    }
    std::unique_ptr<Call> call(static_cast<Call*>(tag));
    --in_flight;
    if (!ok || !call->status.ok()) {
      failure = absl::UnavailableError(absl::StrCat("etcd put: ", call->status.error_message()));
    } else {
      rec.record(call->sent, Clock::now());
    }
    if (failure.ok() && !rec.done()) {
      issue(call->client);
      ++in_flight;
    }
  }
  if (!failure.ok()) return failure;
  return rec.result();
}

}  // namespace

absl::StatusOr<std::vector<LoadResult>> run_etcd(const std::vector<LoadShape>& shapes) {
  if (::access(kEtcd, X_OK) != 0) {
    return absl::UnavailableError("/usr/bin/etcd is missing (apt-get install etcd-server)");
  }
  char tmpl[] = "/tmp/cairn-etcdbench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return absl::InternalError("mkdtemp");
  std::vector<LoadResult> out;
  {
    EtcdCluster cluster(tmpl);
    int leader = -1;
    if (!real::testing::wait_until(20s, [&] { return (leader = find_leader(cluster)) >= 0; })) {
      return absl::UnavailableError(absl::StrCat("etcd: no leader; logs in ", tmpl));
    }
    for (const LoadShape& shape : shapes) {
      auto r = etcd_load(cluster.target(leader), shape);
      if (!r.ok()) return r.status();
      out.push_back(*r);
    }
  }
  std::filesystem::remove_all(tmpl);
  return out;
}
#endif

}  // namespace cairn::bench
