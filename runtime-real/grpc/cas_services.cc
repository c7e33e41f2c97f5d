// Capabilities, ContentAddressableStorage and ActionCache (services.h).
#include "absl/strings/str_cat.h"
#include "build/bazel/remote/execution/v2/remote_execution.grpc.pb.h"
#include "runtime-real/grpc/resource_name.h"
#include "runtime-real/grpc/services.h"

namespace cairn::real::reapi {
namespace {

namespace v2 = build::bazel::remote::execution::v2;

grpc::Status invalid(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

void set_status(const absl::Status& s, google::rpc::Status* out) {
  out->set_code(static_cast<int>(s.code()));
  out->set_message(std::string(s.message()));
}

class CapabilitiesService final : public v2::Capabilities::Service {
 public:
  explicit CapabilitiesService(Gateway& g) : g_(g) {}

  grpc::Status GetCapabilities(grpc::ServerContext*, const v2::GetCapabilitiesRequest* req,
                               v2::ServerCapabilities* out) override {
    if (auto dir = instance_dir(req->instance_name()); !dir.ok()) return to_grpc(dir.status());
    auto* cache = out->mutable_cache_capabilities();
    cache->add_digest_functions(v2::DigestFunction::SHA256);
    cache->mutable_action_cache_update_capabilities()->set_update_enabled(true);
    cache->set_max_batch_total_size_bytes(g_.limits.max_batch_bytes);
    cache->set_symlink_absolute_path_strategy(v2::SymlinkAbsolutePathStrategy::ALLOWED);
    auto* exec = out->mutable_execution_capabilities();
    exec->set_digest_function(v2::DigestFunction::SHA256);
    exec->set_exec_enabled(false);
    out->mutable_deprecated_api_version()->set_major(2);
    out->mutable_low_api_version()->set_major(2);
    out->mutable_high_api_version()->set_major(2);
    out->mutable_high_api_version()->set_minor(2);
    return grpc::Status::OK;
  }

 private:
  Gateway& g_;
};

class CasService final : public v2::ContentAddressableStorage::Service {
 public:
  explicit CasService(Gateway& g) : g_(g) {}

  grpc::Status FindMissingBlobs(grpc::ServerContext*, const v2::FindMissingBlobsRequest* req,
                                v2::FindMissingBlobsResponse* out) override {
    auto dir = instance_dir(req->instance_name());
    if (!dir.ok()) return to_grpc(dir.status());
    for (const v2::Digest& d : req->blob_digests()) {
      auto digest = to_digest(d.hash(), d.size_bytes());
      if (!digest.ok()) return to_grpc(digest.status());
      auto held = g_.has_blob(*dir, *digest);
      if (!held.ok()) return to_grpc(held.status());
      if (!*held) *out->add_missing_blob_digests() = d;
    }
    return grpc::Status::OK;
  }

  grpc::Status BatchUpdateBlobs(grpc::ServerContext*, const v2::BatchUpdateBlobsRequest* req,
                                v2::BatchUpdateBlobsResponse* out) override {
    auto dir = instance_dir(req->instance_name());
    if (!dir.ok()) return to_grpc(dir.status());
    int64_t total = 0;
    for (const auto& r : req->requests()) total += static_cast<int64_t>(r.data().size());
    if (total > g_.limits.max_batch_bytes) {
      return invalid(absl::StrCat("the batch holds ", total, " bytes, over the limit of ",
                                  g_.limits.max_batch_bytes));
    }
    for (const auto& r : req->requests()) {
      auto* resp = out->add_responses();
      *resp->mutable_digest() = r.digest();
      set_status(update_one(*dir, r), resp->mutable_status());
    }
    return grpc::Status::OK;
  }

  grpc::Status BatchReadBlobs(grpc::ServerContext*, const v2::BatchReadBlobsRequest* req,
                              v2::BatchReadBlobsResponse* out) override {
    auto dir = instance_dir(req->instance_name());
    if (!dir.ok()) return to_grpc(dir.status());
    int64_t total = 0;
    for (const auto& d : req->digests()) total += d.size_bytes();
    if (total > g_.limits.max_batch_bytes) {
      return invalid(absl::StrCat("the blobs asked for hold ", total, " bytes, over the limit of ",
                                  g_.limits.max_batch_bytes));
    }
    for (const auto& d : req->digests()) {
      auto* resp = out->add_responses();
      *resp->mutable_digest() = d;
      auto bytes = read_one(*dir, d);
      if (bytes.ok()) resp->set_data(std::move(*bytes));
      set_status(bytes.status(), resp->mutable_status());
    }
    return grpc::Status::OK;
  }

 private:
  absl::Status update_one(const std::string& dir, const v2::BatchUpdateBlobsRequest::Request& r) {
    if (r.compressor() != v2::Compressor::IDENTITY) {
      return absl::InvalidArgumentError("compressed blobs are not accepted (IDENTITY only)");
    }
    auto digest = to_digest(r.digest().hash(), r.digest().size_bytes());
    if (!digest.ok()) return digest.status();
    const cas::Digest got = cas::Digest::of(r.data());
    if (got != *digest) {
      return absl::InvalidArgumentError(absl::StrCat("the bytes are ", got.format(),
                                                     ", not the digest's ", digest->format(),
                                                     "; nothing was stored"));
    }
    return g_.store_blob(dir, *digest, std::make_shared<client::MemorySource>(Payload(r.data())));
  }

  absl::StatusOr<std::string> read_one(const std::string& dir, const v2::Digest& d) {
    auto digest = to_digest(d.hash(), d.size_bytes());
    if (!digest.ok()) return digest.status();
    if (digest->size_bytes() == 0) {
      auto held = g_.has_blob(dir, *digest);
      if (!held.ok()) return held.status();
      if (!*held) return absl::NotFoundError("no such blob");
      return std::string();
    }
    return g_.store->read_all(blob_path(dir, *digest), digest->size_bytes());
  }

  Gateway& g_;
};

class ActionCacheService final : public v2::ActionCache::Service {
 public:
  explicit ActionCacheService(Gateway& g) : g_(g) {}

  grpc::Status GetActionResult(grpc::ServerContext*, const v2::GetActionResultRequest* req,
                               v2::ActionResult* out) override {
    auto dir = instance_dir(req->instance_name());
    if (!dir.ok()) return to_grpc(dir.status());
    auto digest = to_digest(req->action_digest().hash(), req->action_digest().size_bytes());
    if (!digest.ok()) return to_grpc(digest.status());
    auto bytes = g_.store->read_all(action_path(*dir, *digest), g_.limits.max_action_result_bytes);
    if (!bytes.ok()) return to_grpc(bytes.status());
    if (bytes->empty() || (*bytes)[0] != kFormat ||
        !out->ParseFromArray(bytes->data() + 1, static_cast<int>(bytes->size() - 1))) {
      return to_grpc(absl::DataLossError("the stored action result does not parse"));
    }
    return to_grpc(outputs_held(*dir, *out));
  }

  grpc::Status UpdateActionResult(grpc::ServerContext*, const v2::UpdateActionResultRequest* req,
                                  v2::ActionResult* out) override {
    auto dir = instance_dir(req->instance_name());
    if (!dir.ok()) return to_grpc(dir.status());
    auto digest = to_digest(req->action_digest().hash(), req->action_digest().size_bytes());
    if (!digest.ok()) return to_grpc(digest.status());
    // A format byte first, so that even an all-default result is a file of one byte.
    std::string bytes(1, kFormat);
    req->action_result().AppendToString(&bytes);
    absl::Status s = g_.store->put(action_dir(*dir), action_path(*dir, *digest),
                                   std::make_shared<client::MemorySource>(Payload(bytes)));
    if (!s.ok()) return to_grpc(s);
    *out = req->action_result();
    return grpc::Status::OK;
  }

 private:
  // The API asks that a result be served only while the blobs it names are stored, so
  // that a client never takes a hit it cannot download (NotFound otherwise).
  absl::Status outputs_held(const std::string& dir, const v2::ActionResult& r) {
    std::vector<const v2::Digest*> named;
    for (const auto& f : r.output_files()) named.push_back(&f.digest());
    for (const auto& d : r.output_directories()) named.push_back(&d.tree_digest());
    if (r.has_stdout_digest()) named.push_back(&r.stdout_digest());
    if (r.has_stderr_digest()) named.push_back(&r.stderr_digest());
    for (const v2::Digest* d : named) {
      auto digest = to_digest(d->hash(), d->size_bytes());
      if (!digest.ok()) return absl::DataLossError("the stored action result names a bad digest");
      auto held = g_.has_blob(dir, *digest);
      if (!held.ok()) return held.status();
      if (!*held) {
        return absl::NotFoundError(
            absl::StrCat("the action result names blob ", digest->format(), ", not stored"));
      }
    }
    return absl::OkStatus();
  }

  static constexpr char kFormat = 1;
  Gateway& g_;
};

}  // namespace

grpc::Status to_grpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  // absl::StatusCode and grpc::StatusCode both number the canonical codes of google.rpc.Code.
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

absl::StatusOr<bool> Gateway::has_blob(const std::string& dir, const cas::Digest& digest) {
  if (digest.size_bytes() == 0) return digest == cas::Digest::of(std::string_view());
  auto size = store->size_of(blob_path(dir, digest));
  if (absl::IsNotFound(size.status())) return false;
  if (!size.ok()) return size.status();
  return *size == digest.size_bytes();
}

absl::Status Gateway::store_blob(const std::string& dir, const cas::Digest& digest,
                                 std::shared_ptr<client::ByteSource> source) {
  auto held = has_blob(dir, digest);
  if (!held.ok()) return held.status();
  if (*held) return absl::OkStatus();
  return store->put(blob_dir(dir), blob_path(dir, digest), std::move(source));
}

std::unique_ptr<grpc::Service> make_capabilities_service(Gateway& g) {
  return std::make_unique<CapabilitiesService>(g);
}
std::unique_ptr<grpc::Service> make_cas_service(Gateway& g) {
  return std::make_unique<CasService>(g);
}
std::unique_ptr<grpc::Service> make_action_cache_service(Gateway& g) {
  return std::make_unique<ActionCacheService>(g);
}

}  // namespace cairn::real::reapi
