// gRPC gateway benchmark (issue 13): bytes through google.bytestream into and out of a
// 3-node `cairnd dev --grpc` (Write of a whole blob in 1 MiB messages, then Read of it),
// and through the hybrid path (cairn.v1.Transfer's NegotiateBlobs for a token, then the
// bytes over the data plane: framed TCP, and shared memory), beside baselines measured in
// the same run: the native file client on the same cluster (`cairn put` / `cairn get` of
// as many other bytes), iperf3 over loopback and memcpy. Each rep and path uses fresh bytes
// (no deduplication); every download is checked against its digest.
//
//   grpc_bench [--reps N] [--mib M]      (default 3 reps of 1024 MiB)
#include <grpcpp/grpcpp.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "build/bazel/remote/execution/v2/remote_execution.grpc.pb.h"
#include "cairn/v1/transfer.grpc.pb.h"
#include "core/cas/digest.h"
#include "google/bytestream/bytestream.grpc.pb.h"
#include "runtime-real/grpc/data_plane_client.h"
#include "runtime-real/grpc/resource_name.h"
#include "tests/bench/baselines.h"
#include "tests/real/process.h"

namespace cairn::real::bench {
namespace {

namespace v2 = build::bazel::remote::execution::v2;
namespace bs = google::bytestream;
namespace t = real::testing;
using Clock = std::chrono::steady_clock;
constexpr uint64_t kMiB = 1 << 20;

// MiB number `i` of the blob numbered `seed`: distinct for every (seed, i).
void fill(std::string* piece, uint64_t seed, uint64_t i) {
  piece->assign(kMiB, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + i * 0xBF58476D1CE4E5B9ull + 1;
  for (size_t at = 0; at + 8 <= kMiB; at += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::memcpy(piece->data() + at, &x, 8);
  }
}

cas::Digest digest_of(uint64_t seed, uint64_t mib) {
  cas::Digester d;
  std::string piece;
  for (uint64_t i = 0; i < mib; ++i) {
    fill(&piece, seed, i);
    d.update({reinterpret_cast<const uint8_t*>(piece.data()), piece.size()});
  }
  return d.finish();
}

struct Cluster {
  std::string dir;
  uint16_t base = 0;
  pid_t pid = -1;
  std::shared_ptr<grpc::Channel> channel;
  std::string data_address;  // the data plane, as NegotiateBlobs named it

  std::string peers() const {
    return absl::StrCat("127.0.0.1:", base + 201, ",127.0.0.1:", base + 202,
                        ",127.0.0.1:", base + 203);
  }
};

bool start(Cluster* c) {
  char tmpl[] = "/tmp/cairn-grpcbench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return false;
  c->dir = tmpl;
  // Below the ephemeral range (32768 up), where the nodes' outgoing connections could take
  // a port of a node that has not bound it yet.
  for (int attempt = 0; attempt < 50 && c->base == 0; ++attempt) {
    const auto b = static_cast<uint16_t>(20000 + (::getpid() * 7919 + attempt * 997) % 12000);
    bool all = true;
    for (int off : {0, 100, 200, 300}) {
      for (int i = 1; i <= 3; ++i) all = all && t::port_is_free(static_cast<uint16_t>(b + off + i));
    }
    if (all) c->base = b;
  }
  if (c->base == 0) return false;
  c->pid = t::spawn({CAIRND_PATH, "dev", "--nodes", "3", "--port", std::to_string(c->base),
                     "--data-dir", c->dir + "/data", "--log-level", "warn", "--grpc"},
                    c->dir + "/cairnd.log");
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  c->channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", c->base + 301),
                                         grpc::InsecureChannelCredentials(), args);
  auto cas = v2::ContentAddressableStorage::NewStub(c->channel);
  return t::wait_until(std::chrono::seconds(60), [&] {
    grpc::ClientContext ctx;
    v2::FindMissingBlobsRequest req;
    v2::FindMissingBlobsResponse resp;
    return cas->FindMissingBlobs(&ctx, req, &resp).ok();
  });
}

// ByteStream Write of blob `seed`; GB/s, or 0 on failure.
double bytestream_write(Cluster& c, uint64_t seed, uint64_t mib, const cas::Digest& d) {
  auto stub = bs::ByteStream::NewStub(c.channel);
  const auto at = Clock::now();
  grpc::ClientContext ctx;
  bs::WriteResponse resp;
  auto writer = stub->Write(&ctx, &resp);
  bs::WriteRequest req;
  req.set_resource_name(absl::StrCat("bench/uploads/", seed, "/blobs/", real::reapi::hex_hash(d),
                                     "/", d.size_bytes()));
  for (uint64_t i = 0; i < mib; ++i) {
    fill(req.mutable_data(), seed, i);
    req.set_write_offset(static_cast<int64_t>(i * kMiB));
    req.set_finish_write(i + 1 == mib);
    if (!writer->Write(req)) break;
    req.clear_resource_name();
  }
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  if (!s.ok() || resp.committed_size() != static_cast<int64_t>(d.size_bytes())) {
    std::fprintf(stderr, "write failed: %s\n", s.error_message().c_str());
    return 0;
  }
  return double(mib * kMiB) / seconds_since(at) / 1e9;
}

// ByteStream Read of the blob `d`, checked against it; GB/s, or 0 on failure.
double bytestream_read(Cluster& c, const cas::Digest& d) {
  auto stub = bs::ByteStream::NewStub(c.channel);
  const auto at = Clock::now();
  grpc::ClientContext ctx;
  bs::ReadRequest req;
  req.set_resource_name(
      absl::StrCat("bench/blobs/", real::reapi::hex_hash(d), "/", d.size_bytes()));
  auto reader = stub->Read(&ctx, req);
  bs::ReadResponse resp;
  cas::Digester got;
  while (reader->Read(&resp)) {
    got.update({reinterpret_cast<const uint8_t*>(resp.data().data()), resp.data().size()});
  }
  grpc::Status s = reader->Finish();
  const double gbps = double(d.size_bytes()) / seconds_since(at) / 1e9;
  if (!s.ok() || got.finish() != d) {
    std::fprintf(stderr, "read failed or wrong bytes: %s\n", s.error_message().c_str());
    return 0;
  }
  return gbps;
}

// Blob `seed` made on demand, a MiB at a time, as the data plane client reads it.
class BlobSource final : public client::ByteSource {
 public:
  BlobSource(uint64_t seed, uint64_t mib) : seed_(seed), mib_(mib) {}
  uint64_t size() const override { return mib_ * kMiB; }
  absl::StatusOr<Payload> read(uint64_t offset, uint64_t length) override {
    std::string out, piece;
    out.reserve(length);
    for (uint64_t at = offset; at < offset + length; at += kMiB) {  // MiB-aligned reads
      fill(&piece, seed_, at / kMiB);
      out.append(piece, 0, std::min<uint64_t>(kMiB, offset + length - at));
    }
    return Payload(std::move(out));
  }

 private:
  uint64_t seed_, mib_;
};

// The hybrid path for blob `seed`: NegotiateBlobs (upload) and the bytes over the data
// plane, then NegotiateBlobs (download) and the bytes back, checked; GB/s each.
std::pair<double, double> data_plane(Cluster& c, uint64_t seed, uint64_t mib, bool shm) {
  namespace v1 = cairn::v1;
  const cas::Digest d = digest_of(seed, mib);
  auto stub = v1::Transfer::NewStub(c.channel);
  auto negotiate = [&](v1::Direction dir) -> absl::StatusOr<reapi::DataPlaneGrant> {
    v1::TransportRequest req;
    req.set_instance_name("bench");
    req.set_direction(dir);
    req.add_supported_data_planes(shm ? v1::SHARED_MEMORY : v1::FRAMED_TCP);
    req.set_same_host(shm);
    req.mutable_blob_digests()->Add()->set_hash(real::reapi::hex_hash(d));
    req.mutable_blob_digests(0)->set_size_bytes(static_cast<int64_t>(d.size_bytes()));
    grpc::ClientContext ctx;
    v1::NegotiateBlobsResponse resp;
    grpc::Status s = stub->NegotiateBlobs(&ctx, req, &resp);
    if (!s.ok() || !resp.has_transport()) return absl::UnavailableError(s.error_message());
    if (resp.transport().data_plane() != (shm ? v1::SHARED_MEMORY : v1::FRAMED_TCP)) {
      return absl::FailedPreconditionError("another data plane offered");
    }
    c.data_address = resp.transport().address();
    return reapi::DataPlaneGrant{resp.transport().token(), "", shm};
  };
  auto at = Clock::now();
  auto up = negotiate(v1::UPLOAD);
  absl::Status s = up.status();
  if (s.ok()) {
    auto conn = reapi::DataPlaneClient::connect(c.data_address);
    BlobSource source(seed, mib);
    s = conn.ok() ? (*conn)->upload(*up, d, source) : conn.status();
  }
  if (!s.ok()) {
    std::fprintf(stderr, "data plane upload failed: %s\n", s.ToString().c_str());
    return {0, 0};
  }
  const double put = double(mib * kMiB) / seconds_since(at) / 1e9;
  at = Clock::now();
  auto down = negotiate(v1::DOWNLOAD);
  s = down.status();
  if (s.ok()) {
    auto conn = reapi::DataPlaneClient::connect(c.data_address);
    s = conn.ok() ? (*conn)->download(*down, d, [](std::string_view) { return absl::OkStatus(); })
                  : conn.status();
  }
  if (!s.ok()) {
    std::fprintf(stderr, "data plane download failed: %s\n", s.ToString().c_str());
    return {put, 0};
  }
  return {put, double(mib * kMiB) / seconds_since(at) / 1e9};
}

// `cairn put` then `cairn get` of blob `seed` written to a local file; GB/s each.
std::pair<double, double> native(Cluster& c, uint64_t seed, uint64_t mib) {
  const std::string in = c.dir + "/in.bin", out = c.dir + "/out.bin";
  {
    std::ofstream f(in, std::ios::binary);
    std::string piece;
    for (uint64_t i = 0; i < mib; ++i) {
      fill(&piece, seed, i);
      f.write(piece.data(), static_cast<std::streamsize>(piece.size()));
    }
  }
  const std::string path = absl::StrCat("/bench-", seed);
  int code = -1;
  auto at = Clock::now();
  t::run_capture({CAIRN_CLI_PATH, "put", in, path, "--peer", c.peers(), "--timeout", "120s"},
                 &code);
  const double put = code == 0 ? double(mib * kMiB) / seconds_since(at) / 1e9 : 0;
  at = Clock::now();
  t::run_capture({CAIRN_CLI_PATH, "get", path, out, "--peer", c.peers(), "--timeout", "120s"},
                 &code);
  const double get = code == 0 ? double(mib * kMiB) / seconds_since(at) / 1e9 : 0;
  const bool same = code == 0 && std::filesystem::file_size(out) == mib * kMiB;
  std::filesystem::remove(in);
  std::filesystem::remove(out);
  return {put, same ? get : 0};
}

int run(int reps, uint64_t mib) {
  Cluster c;
  if (!start(&c)) {
    std::fprintf(stderr, "the cluster did not start\n%s\n",
                 t::read_whole_file(c.dir + "/cairnd.log").c_str());
    if (c.pid > 0) {
      ::kill(c.pid, SIGTERM);
      t::wait_exit(c.pid, std::chrono::seconds(30));
    }
    if (!c.dir.empty()) std::filesystem::remove_all(c.dir);
    return 1;
  }
  std::printf("%d reps of %llu MiB, 3-node cairnd dev --grpc on 127.0.0.1:%u\n", reps,
              static_cast<unsigned long long>(mib), c.base + 301);
  Samples s;
  int failures = 0;
  for (int rep = 0; rep < reps; ++rep) {
    const uint64_t seed = 1000 + static_cast<uint64_t>(rep);
    const cas::Digest d = digest_of(seed, mib);
    const double w = bytestream_write(c, seed, mib, d);
    const double r = w > 0 ? bytestream_read(c, d) : 0;
    failures += (w == 0) + (r == 0);
    s.add("bytestream write GB/s", w);
    s.add("bytestream read GB/s", r);
    const auto [tcp_up, tcp_down] = data_plane(c, seed + 100, mib, false);
    const auto [shm_up, shm_down] = data_plane(c, seed + 200, mib, true);
    failures += (tcp_up == 0) + (tcp_down == 0) + (shm_up == 0) + (shm_down == 0);
    s.add("token+tcp upload GB/s", tcp_up);
    s.add("token+tcp download GB/s", tcp_down);
    s.add("token+shm upload GB/s", shm_up);
    s.add("token+shm download GB/s", shm_down);
    const auto [put, get] = native(c, seed + 500, mib);
    s.add("cairn put GB/s", put);
    s.add("cairn get GB/s", get);
    s.add("iperf3 GB/s", iperf3_gbps(mib * kMiB));
    s.add("memcpy 1 MiB into 64 MiB GB/s", memcpy_gbps(mib * kMiB, 64 * kMiB));
  }
  s.print();
  std::printf("\n");
  s.ratio("bytestream write / cairn put", "bytestream write GB/s", "cairn put GB/s");
  s.ratio("bytestream read / cairn get", "bytestream read GB/s", "cairn get GB/s");
  s.ratio("bytestream write / iperf3", "bytestream write GB/s", "iperf3 GB/s");
  s.ratio("bytestream read / iperf3", "bytestream read GB/s", "iperf3 GB/s");
  s.ratio("bytestream read / memcpy", "bytestream read GB/s", "memcpy 1 MiB into 64 MiB GB/s");
  s.ratio("token+tcp upload / bytestream write", "token+tcp upload GB/s", "bytestream write GB/s");
  s.ratio("token+tcp download / bytestream read", "token+tcp download GB/s",
          "bytestream read GB/s");
  s.ratio("token+shm upload / bytestream write", "token+shm upload GB/s", "bytestream write GB/s");
  s.ratio("token+shm download / bytestream read", "token+shm download GB/s",
          "bytestream read GB/s");
  s.ratio("token+shm download / token+tcp download", "token+shm download GB/s",
          "token+tcp download GB/s");
  s.ratio("token+tcp upload / iperf3", "token+tcp upload GB/s", "iperf3 GB/s");
  s.ratio("token+tcp download / iperf3", "token+tcp download GB/s", "iperf3 GB/s");
  s.ratio("token+shm upload / memcpy", "token+shm upload GB/s", "memcpy 1 MiB into 64 MiB GB/s");
  s.ratio("token+shm download / memcpy", "token+shm download GB/s",
          "memcpy 1 MiB into 64 MiB GB/s");
  ::kill(c.pid, SIGTERM);
  t::wait_exit(c.pid, std::chrono::seconds(30));
  std::filesystem::remove_all(c.dir);
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace cairn::real::bench

int main(int argc, char** argv) {
  int reps = 3;
  uint64_t mib = 1024;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--reps") == 0) reps = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--mib") == 0) mib = std::strtoull(argv[i + 1], nullptr, 10);
  }
  if (reps < 1 || mib < 1) {
    std::fprintf(stderr, "usage: grpc_bench [--reps N>=1] [--mib M>=1]\n");
    return 2;
  }
  return cairn::real::bench::run(reps, mib);
}
