// The services of the gRPC gateway: the Remote Execution API's (Capabilities,
// ContentAddressableStorage, ActionCache, google.bytestream.ByteStream) and Cairn's own
// cairn.v1.Namespace and cairn.v1.Transfer, built over a BlobStore and an UploadSpool. Synchronous
// gRPC services: a handler runs on a gRPC thread and waits there for the cluster (blob_store.h),
// never on a node's loop.
//
// Promises: every blob is checked against its digest (SHA-256 and size) before anything is
// stored (InvalidArgument otherwise, nothing stored); Cairn's statuses reach the client
// with the gRPC code of the same meaning (to_grpc); a request over the limits is refused
// whole (gRPC's own RESOURCE_EXHAUSTED over max_request_bytes, InvalidArgument for a batch
// over max_batch_bytes).
#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/service_type.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/cas/digest.h"
#include "runtime-real/grpc/blob_store.h"
#include "runtime-real/grpc/upload_spool.h"

namespace cairn::real::reapi {

class DataPlane;

struct GatewayLimits {
  int64_t max_batch_bytes = int64_t{4} << 20;      // blob bytes in one Batch* request
  int max_request_bytes = (4 << 20) + (64 << 10);  // one gRPC message received
  uint64_t read_piece_bytes = 1 << 20;             // data in one ByteStream ReadResponse
  uint64_t max_action_result_bytes = 4 << 20;
};

// What the services share. REQUIRES: store and spool outlive the services.
struct Gateway {
  BlobStore* store = nullptr;
  UploadSpool* spool = nullptr;
  std::string tmp_dir;  // files being put through the namespace service
  size_t clients = 4;   // calls the store serves at once (a hint to clients)
  GatewayLimits limits;

  // Whether the instance (namespace directory `dir`) holds the blob; the empty blob is
  // always held.
  absl::StatusOr<bool> has_blob(const std::string& dir, const cas::Digest& digest);
  // Stores a blob whose bytes were checked against `digest` (a no-op if it is held).
  absl::Status store_blob(const std::string& dir, const cas::Digest& digest,
                          std::shared_ptr<client::ByteSource> source);
};

// The gRPC status of the same meaning as `s` (absl's canonical codes are gRPC's codes).
grpc::Status to_grpc(const absl::Status& s);

std::unique_ptr<grpc::Service> make_capabilities_service(Gateway& g);
std::unique_ptr<grpc::Service> make_cas_service(Gateway& g);
std::unique_ptr<grpc::Service> make_action_cache_service(Gateway& g);
std::unique_ptr<grpc::Service> make_bytestream_service(Gateway& g);
// cairn.v1.Namespace: Cairn's own file namespace (put, get, stat, ls, versions, rm, mv).
std::unique_ptr<grpc::Service> make_namespace_service(Gateway& g);
// cairn.v1.Transfer: tokens and endpoints for the data plane `dp`, and its statistics.
std::unique_ptr<grpc::Service> make_transfer_service(Gateway& g, DataPlane& dp);

}  // namespace cairn::real::reapi
