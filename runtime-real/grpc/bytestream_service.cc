// google.bytestream.ByteStream over Cairn's blobs (services.h): Read with offset and limit,
// resumable Write through the UploadSpool, QueryWriteStatus.
#include "absl/strings/str_cat.h"
#include "google/bytestream/bytestream.grpc.pb.h"
#include "runtime-real/grpc/resource_name.h"
#include "runtime-real/grpc/services.h"
#include "runtime-real/tools/file_blocking_client.h"

namespace cairn::real::reapi {
namespace {

namespace bs = google::bytestream;

grpc::Status status(grpc::StatusCode code, const std::string& message) {
  return grpc::Status(code, message);
}

class ByteStreamService final : public bs::ByteStream::Service {
 public:
  explicit ByteStreamService(Gateway& g) : g_(g) {}

  grpc::Status Read(grpc::ServerContext*, const bs::ReadRequest* req,
                    grpc::ServerWriter<bs::ReadResponse>* writer) override {
    auto name = parse_read_name(req->resource_name());
    if (!name.ok()) return to_grpc(name.status());
    const uint64_t size = name->digest.size_bytes();
    if (req->read_offset() < 0 || static_cast<uint64_t>(req->read_offset()) > size) {
      return status(grpc::StatusCode::OUT_OF_RANGE,
                    absl::StrCat("read_offset ", req->read_offset(), " is outside the blob's ",
                                 size, " bytes"));
    }
    if (req->read_limit() < 0) {
      return status(grpc::StatusCode::INVALID_ARGUMENT, "read_limit is negative");
    }
    const std::string dir = *instance_dir(name->instance);
    const uint64_t offset = static_cast<uint64_t>(req->read_offset());
    uint64_t length = size - offset;
    if (req->read_limit() > 0) length = std::min(length, static_cast<uint64_t>(req->read_limit()));
    if (length == 0) {  // nothing to send, but the blob must exist
      auto held = g_.has_blob(dir, name->digest);
      if (!held.ok()) return to_grpc(held.status());
      if (!*held) return status(grpc::StatusCode::NOT_FOUND, "no such blob");
      return grpc::Status::OK;
    }
    absl::Status s =
        g_.store->read(blob_path(dir, name->digest), offset, length, [&](const Payload& piece) {
          for (uint64_t at = 0; at < piece.size(); at += g_.limits.read_piece_bytes) {
            bs::ReadResponse r;
            const uint64_t n = std::min<uint64_t>(g_.limits.read_piece_bytes, piece.size() - at);
            r.set_data(piece.data() + at, n);
            if (!writer->Write(r)) return absl::CancelledError("the reader went away");
          }
          return absl::OkStatus();
        });
    return to_grpc(s);
  }

  grpc::Status Write(grpc::ServerContext*, grpc::ServerReader<bs::WriteRequest>* reader,
                     bs::WriteResponse* out) override {
    bs::WriteRequest req;
    if (!reader->Read(&req)) {
      return status(grpc::StatusCode::INVALID_ARGUMENT, "a Write stream with no request");
    }
    const std::string resource = req.resource_name();
    auto name = parse_write_name(resource);
    if (!name.ok()) return to_grpc(name.status());
    const std::string dir = *instance_dir(name->instance);
    auto held = g_.has_blob(dir, name->digest);
    if (!held.ok()) return to_grpc(held.status());
    if (*held) return drain(reader, req, out, name->digest.size_bytes());
    auto upload = g_.spool->open(resource, name->digest);
    if (!upload.ok()) return to_grpc(upload.status());
    for (;;) {
      if (!req.resource_name().empty() && req.resource_name() != resource) {
        (*upload)->done();
        return status(grpc::StatusCode::INVALID_ARGUMENT,
                      "a Write stream names more than one resource");
      }
      if (req.write_offset() < 0) {
        (*upload)->done();
        return status(grpc::StatusCode::INVALID_ARGUMENT, "write_offset is negative");
      }
      absl::Status s = (*upload)->append(static_cast<uint64_t>(req.write_offset()), req.data());
      if (!s.ok()) return to_grpc(s);
      if (req.finish_write()) return finish(**upload, dir, name->digest, out);
      if (!reader->Read(&req)) {  // cut off: the upload stays, to be resumed
        return status(grpc::StatusCode::CANCELLED,
                      absl::StrCat("the stream ended before finish_write, at ",
                                   (*upload)->committed(), " bytes"));
      }
    }
  }

  grpc::Status QueryWriteStatus(grpc::ServerContext*, const bs::QueryWriteStatusRequest* req,
                                bs::QueryWriteStatusResponse* out) override {
    auto name = parse_write_name(req->resource_name());
    if (!name.ok()) return to_grpc(name.status());
    auto committed = g_.spool->committed(req->resource_name());
    if (committed.ok()) {
      out->set_committed_size(static_cast<int64_t>(*committed));
      out->set_complete(false);
      return grpc::Status::OK;
    }
    auto held = g_.has_blob(*instance_dir(name->instance), name->digest);
    if (!held.ok()) return to_grpc(held.status());
    if (!*held) return status(grpc::StatusCode::NOT_FOUND, "no such upload or blob");
    out->set_committed_size(static_cast<int64_t>(name->digest.size_bytes()));
    out->set_complete(true);
    return grpc::Status::OK;
  }

 private:
  // The blob is stored already: take the client's bytes without keeping them.
  grpc::Status drain(grpc::ServerReader<bs::WriteRequest>* reader, bs::WriteRequest req,
                     bs::WriteResponse* out, uint64_t size) {
    while (!req.finish_write() && reader->Read(&req)) {
    }
    out->set_committed_size(static_cast<int64_t>(size));
    return grpc::Status::OK;
  }

  grpc::Status finish(UploadSpool::Handle& upload, const std::string& dir,
                      const cas::Digest& digest, bs::WriteResponse* out) {
    auto path = upload.finish();
    if (!path.ok()) return to_grpc(path.status());
    auto source = FileSource::open(*path);
    absl::Status s = source.ok() ? g_.store_blob(dir, digest, std::move(*source)) : source.status();
    upload.done();
    if (!s.ok()) return to_grpc(s);
    out->set_committed_size(static_cast<int64_t>(digest.size_bytes()));
    return grpc::Status::OK;
  }

  Gateway& g_;
};

}  // namespace

std::unique_ptr<grpc::Service> make_bytestream_service(Gateway& g) {
  return std::make_unique<ByteStreamService>(g);
}

}  // namespace cairn::real::reapi
