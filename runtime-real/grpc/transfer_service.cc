// cairn.v1.Transfer (services.h, data_plane.h): tokens and endpoints for the data plane,
// and its progress and statistics.
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cairn/v1/transfer.grpc.pb.h"
#include "runtime-real/grpc/data_plane.h"
#include "runtime-real/grpc/resource_name.h"
#include "runtime-real/grpc/services.h"

namespace cairn::real::reapi {
namespace {

namespace v1 = cairn::v1;
namespace v2 = build::bazel::remote::execution::v2;

v2::Digest to_api(const cas::Digest& d) {
  v2::Digest out;
  out.set_hash(hex_hash(d));
  out.set_size_bytes(static_cast<int64_t>(d.size_bytes()));
  return out;
}

class TransferService final : public v1::Transfer::Service {
 public:
  TransferService(Gateway& g, DataPlane& dp) : g_(g), dp_(dp) {}

  grpc::Status NegotiateBlobs(grpc::ServerContext* ctx, const v1::TransportRequest* req,
                              v1::NegotiateBlobsResponse* out) override {
    auto checked = check(*req);
    if (!checked.ok()) return to_grpc(checked.status());
    std::set<cas::Digest> move;
    for (const cas::Digest& d : checked->blobs) {
      auto held = g_.has_blob(checked->dir, d);
      if (!held.ok()) return to_grpc(held.status());
      if (!*held) *out->add_missing_blob_digests() = to_api(d);
      if (*held == (req->direction() == v1::DOWNLOAD))
        move.insert(d);  // up the missing,
                         // down the stored
    }
    if (move.empty()) return grpc::Status::OK;
    checked->blobs = std::move(move);
    return details(ctx, *req, std::move(*checked), out->mutable_transport());
  }

  grpc::Status GetTransportDetails(grpc::ServerContext* ctx, const v1::TransportRequest* req,
                                   v1::TransportDetails* out) override {
    auto checked = check(*req);
    if (!checked.ok()) return to_grpc(checked.status());
    return details(ctx, *req, std::move(*checked), out);
  }

  grpc::Status GetTransferStats(grpc::ServerContext*, const v1::TransferStatsRequest* req,
                                v1::TransferStats* out) override {
    return stats(req->transfer_id(), out);
  }

  grpc::Status WatchTransfers(grpc::ServerContext* ctx, const v1::TransferStatsRequest* req,
                              grpc::ServerWriter<v1::TransferStats>* writer) override {
    const int64_t ms = req->interval_ms() == 0 ? 500 : req->interval_ms();
    if (ms < 10 || ms > 60000) return to_grpc(absl::InvalidArgumentError("interval_ms"));
    for (;;) {
      v1::TransferStats out;
      if (grpc::Status s = stats(req->transfer_id(), &out); !s.ok()) return s;
      if (!writer->Write(out)) return grpc::Status::OK;  // the client went away
      if (!req->transfer_id().empty() && out.transfers(0).finished()) return grpc::Status::OK;
      if (ctx->IsCancelled()) return grpc::Status::CANCELLED;
      absl::SleepFor(absl::Milliseconds(ms));  // a gRPC thread's wait, never a node's loop
    }
  }

 private:
  grpc::Status stats(const std::string& transfer_id, v1::TransferStats* out) {
    TransferStatsSnapshot s = dp_.stats(transfer_id);
    if (!transfer_id.empty() && s.transfers.empty()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("no transfer ", transfer_id, " is remembered"));
    }
    for (const TransferProgress& p : s.transfers) {
      v1::TransferProgress* t = out->add_transfers();
      t->set_transfer_id(p.id);
      t->set_direction(p.direction == TransferDirection::kUpload ? v1::UPLOAD : v1::DOWNLOAD);
      t->set_data_plane(p.shared_memory ? v1::SHARED_MEMORY : v1::FRAMED_TCP);
      *t->mutable_digest() = to_api(p.digest);
      t->set_bytes_done(static_cast<int64_t>(p.bytes_done));
      t->set_bytes_total(static_cast<int64_t>(p.digest.size_bytes()));
      t->set_bytes_per_second(p.rate(s.now_ms));
      t->set_time_left_ms(p.time_left_ms(s.now_ms));
      t->set_elapsed_ms(p.elapsed_ms(s.now_ms));
      t->set_finished(p.finished());
      t->set_code(static_cast<int>(p.outcome.code()));
      t->set_message(std::string(p.outcome.message()));
    }
    v1::NodeTransferStats* n = out->mutable_node();
    n->set_bytes_uploaded(static_cast<int64_t>(s.totals.bytes_uploaded));
    n->set_bytes_downloaded(static_cast<int64_t>(s.totals.bytes_downloaded));
    n->set_transfers_active(static_cast<int64_t>(s.totals.active));
    n->set_transfers_done(static_cast<int64_t>(s.totals.done));
    n->set_transfers_failed(static_cast<int64_t>(s.totals.failed));
    n->set_tokens_refused(static_cast<int64_t>(s.totals.tokens_refused));
    n->set_bytes_per_second(s.active_rate);
    return grpc::Status::OK;
  }

  struct Checked {
    std::string dir;
    std::set<cas::Digest> blobs;
  };

  static absl::StatusOr<Checked> check(const v1::TransportRequest& req) {
    Checked c;
    auto dir = instance_dir(req.instance_name());
    if (!dir.ok()) return dir.status();
    c.dir = *dir;
    if (req.direction() != v1::UPLOAD && req.direction() != v1::DOWNLOAD) {
      return absl::InvalidArgumentError("direction must be UPLOAD or DOWNLOAD");
    }
    if (req.blob_digests().empty()) return absl::InvalidArgumentError("no blob digests");
    if (req.ttl_ms() < 0) return absl::InvalidArgumentError("ttl_ms is negative");
    for (const v2::Digest& d : req.blob_digests()) {
      auto digest = to_digest(d.hash(), d.size_bytes());
      if (!digest.ok()) return digest.status();
      c.blobs.insert(*digest);
    }
    return c;
  }

  bool shared_memory_possible(const grpc::ServerContext* ctx,
                              const v1::TransportRequest& req) const {
    if (!req.same_host() || !dp_.shared_memory()) return false;
    bool asked = false;
    for (int p : req.supported_data_planes()) asked = asked || p == v1::SHARED_MEMORY;
    return asked && caller_host(ctx->peer()) == "loopback";
  }

  grpc::Status details(grpc::ServerContext* ctx, const v1::TransportRequest& req, Checked c,
                       v1::TransportDetails* out) {
    TokenGrant grant;
    grant.instance_dir = c.dir;
    grant.direction =
        req.direction() == v1::UPLOAD ? TransferDirection::kUpload : TransferDirection::kDownload;
    grant.caller = TokenCaller{req.client_id(), caller_host(ctx->peer())};
    for (const cas::Digest& d : c.blobs) *out->add_blob_digests() = to_api(d);
    grant.blobs = std::move(c.blobs);
    int64_t life_ms = 0;
    auto token = dp_.mint(std::move(grant), req.ttl_ms(), &life_ms);
    if (!token.ok()) return to_grpc(token.status());
    out->set_data_plane(shared_memory_possible(ctx, req) ? v1::SHARED_MEMORY : v1::FRAMED_TCP);
    out->set_address(dp_.address());
    out->set_token(*token);
    out->set_expires_in_ms(life_ms);
    out->set_recommended_concurrency(static_cast<int32_t>(g_.clients));
    return grpc::Status::OK;
  }

  Gateway& g_;
  DataPlane& dp_;
};

}  // namespace

std::unique_ptr<grpc::Service> make_transfer_service(Gateway& g, DataPlane& dp) {
  return std::make_unique<TransferService>(g, dp);
}

}  // namespace cairn::real::reapi
