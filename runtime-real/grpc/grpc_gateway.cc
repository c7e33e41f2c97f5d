#include "runtime-real/grpc/grpc_gateway.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "runtime-real/grpc/data_plane.h"
#include "runtime-real/grpc/services.h"

namespace cairn::real {

struct GrpcGateway::State {
  std::unique_ptr<reapi::BlobStore> store;
  std::unique_ptr<reapi::UploadSpool> spool;
  reapi::Gateway gateway;
  std::unique_ptr<reapi::DataPlane> data_plane;
  std::vector<std::unique_ptr<grpc::Service>> services;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  bool stopped = false;
};

GrpcGateway::GrpcGateway(std::unique_ptr<State> state) : state_(std::move(state)) {}

GrpcGateway::~GrpcGateway() { stop(); }

absl::StatusOr<std::unique_ptr<GrpcGateway>> GrpcGateway::start(GrpcGatewayOptions options) {
  CAIRN_ASSERT(!options.cluster.empty());
  auto st = std::make_unique<State>();
  reapi::BlobStoreOptions store;
  store.cluster = options.cluster;
  store.clients = options.clients;
  st->store = std::make_unique<reapi::BlobStore>(store);
  st->spool = std::make_unique<reapi::UploadSpool>(options.spool_dir, options.max_uploads);
  st->gateway.store = st->store.get();
  st->gateway.spool = st->spool.get();
  st->gateway.tmp_dir = options.spool_dir;
  st->gateway.clients = options.clients;
  reapi::DataPlaneOptions dp;
  dp.listen = options.data_listen;
  if (dp.listen.host.empty()) dp.listen.host = options.listen.host;
  dp.shared_memory = options.shared_memory;
  dp.token_ttl_ms = options.token_ttl_ms;
  auto data_plane = reapi::DataPlane::start(st->gateway, dp);
  if (!data_plane.ok()) return data_plane.status();
  st->data_plane = std::move(*data_plane);
  st->services.push_back(reapi::make_capabilities_service(st->gateway));
  st->services.push_back(reapi::make_cas_service(st->gateway));
  st->services.push_back(reapi::make_action_cache_service(st->gateway));
  st->services.push_back(reapi::make_bytestream_service(st->gateway));
  st->services.push_back(reapi::make_namespace_service(st->gateway));
  st->services.push_back(reapi::make_transfer_service(st->gateway, *st->data_plane));

  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat(options.listen.host, ":", options.listen.port),
                           grpc::InsecureServerCredentials(), &st->port);
  // Bounded: each call holds one gRPC thread while it waits for the cluster.
  grpc::ResourceQuota quota("cairn-grpc");
  quota.SetMaxThreads(static_cast<int>(options.max_threads));
  builder.SetResourceQuota(quota);
  builder.SetMaxReceiveMessageSize(st->gateway.limits.max_request_bytes);
  builder.SetMaxSendMessageSize(st->gateway.limits.max_request_bytes);
  for (auto& s : st->services) builder.RegisterService(s.get());
  st->server = builder.BuildAndStart();
  if (st->server == nullptr || st->port == 0) {
    return absl::UnavailableError(
        absl::StrCat("gRPC cannot listen on ", options.listen.host, ":", options.listen.port));
  }
  return std::unique_ptr<GrpcGateway>(new GrpcGateway(std::move(st)));
}

void GrpcGateway::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  state_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  state_->server->Wait();
  state_->data_plane->stop();
}

uint16_t GrpcGateway::port() const { return static_cast<uint16_t>(state_->port); }

std::string GrpcGateway::data_plane_address() const { return state_->data_plane->address(); }

}  // namespace cairn::real
