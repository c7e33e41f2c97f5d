// cairn.v1.Namespace (services.h): the file namespace for clients in any language, through
// the same file client as `cairn put/get/ls/...`.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "cairn/v1/namespace.grpc.pb.h"
#include "runtime-real/grpc/services.h"
#include "runtime-real/host/posix_files.h"
#include "runtime-real/tools/file_blocking_client.h"

namespace cairn::real::reapi {
namespace {

namespace v1 = cairn::v1;

void to_entry(const meta::wire::EntryInfo& e, v1::Entry* out) {
  out->set_name(e.name());
  out->set_is_directory(e.kind() == meta::wire::KIND_DIRECTORY);
  out->set_size_bytes(e.size_bytes());
  out->set_version(e.version());
  out->set_mtime_ms(e.mtime_ms());
  out->set_children(e.children());
}

// A file under the gateway's temporary directory, removed with this object.
class TempFile {
 public:
  explicit TempFile(const std::string& dir) {
    static std::atomic<uint64_t> next{0};
    path_ = absl::StrCat(dir, "/put-", ::getpid(), "-", next.fetch_add(1));
    fd_ = ::open(path_.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  absl::Status append(const std::string& bytes) {
    if (fd_ < 0) return errno_status(EIO, path_);
    size_t put = 0;
    while (put < bytes.size()) {
      const ssize_t n = ::write(fd_, bytes.data() + put, bytes.size() - put);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_status(errno, path_);
      put += static_cast<size_t>(n);
    }
    return absl::OkStatus();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

class NamespaceService final : public v1::Namespace::Service {
 public:
  explicit NamespaceService(Gateway& g) : g_(g) {}

  grpc::Status Put(grpc::ServerContext*, grpc::ServerReader<v1::PutRequest>* reader,
                   v1::Entry* out) override {
    v1::PutRequest req;
    if (!reader->Read(&req) || req.path().empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the first request names no path");
    }
    client::PutOptions options;
    if (req.if_absent()) options.condition = meta::wire::IF_ABSENT;
    if (req.if_version() > 0) {
      options.condition = meta::wire::IF_VERSION;
      options.if_version = req.if_version();
    }
    const std::string path = req.path();
    TempFile tmp(g_.tmp_dir);
    do {
      if (absl::Status s = tmp.append(req.data()); !s.ok()) return to_grpc(s);
    } while (reader->Read(&req));
    auto source = FileSource::open(tmp.path());
    if (!source.ok()) return to_grpc(source.status());
    auto r = g_.store->put_file(path, std::move(*source), options);
    if (!r.ok()) return to_grpc(r.status());
    to_entry(r->entry, out);
    return grpc::Status::OK;
  }

  grpc::Status Get(grpc::ServerContext*, const v1::GetRequest* req,
                   grpc::ServerWriter<v1::GetResponse>* writer) override {
    const uint64_t length = req->length() == 0 ? client::FileClient::kToEnd : req->length();
    return to_grpc(g_.store->read(
        req->path(), req->offset(), length,
        [&](const Payload& piece) {
          for (uint64_t at = 0; at < piece.size(); at += g_.limits.read_piece_bytes) {
            v1::GetResponse r;
            r.set_data(piece.data() + at,
                       std::min<uint64_t>(g_.limits.read_piece_bytes, piece.size() - at));
            if (!writer->Write(r)) return absl::CancelledError("the reader went away");
          }
          return absl::OkStatus();
        },
        req->version()));
  }

  grpc::Status Stat(grpc::ServerContext*, const v1::PathRequest* req, v1::Entry* out) override {
    meta::wire::NsQuery q;
    q.mutable_stat()->set_path(req->path());
    auto r = g_.store->query(std::move(q));
    if (!r.ok()) return to_grpc(r.status());
    to_entry(r->entry(), out);
    return grpc::Status::OK;
  }

  grpc::Status List(grpc::ServerContext*, const v1::ListRequest* req,
                    v1::ListResponse* out) override {
    meta::wire::NsQuery q;
    q.mutable_list()->set_path(req->path());
    q.mutable_list()->set_start_after(req->start_after());
    q.mutable_list()->set_limit(req->limit());
    auto r = g_.store->query(std::move(q));
    if (!r.ok()) return to_grpc(r.status());
    for (const auto& e : r->entries()) to_entry(e, out->add_entries());
    out->set_next_after(r->next_after());
    return grpc::Status::OK;
  }

  grpc::Status Versions(grpc::ServerContext*, const v1::PathRequest* req,
                        v1::VersionsResponse* out) override {
    meta::wire::NsQuery q;
    q.mutable_versions()->set_path(req->path());
    auto r = g_.store->query(std::move(q));
    if (!r.ok()) return to_grpc(r.status());
    for (const auto& m : r->versions()) {
      v1::Entry* e = out->add_versions();
      e->set_size_bytes(m.size_bytes());
      e->set_version(m.version());
      e->set_mtime_ms(m.mtime_ms());
    }
    return grpc::Status::OK;
  }

  grpc::Status Remove(grpc::ServerContext*, const v1::PathRequest* req,
                      v1::RemoveResponse*) override {
    meta::wire::NsCommand c;
    c.mutable_remove()->set_path(req->path());
    return to_grpc(g_.store->command(std::move(c)).status());
  }

  grpc::Status Move(grpc::ServerContext*, const v1::MoveRequest* req, v1::Entry* out) override {
    meta::wire::NsCommand c;
    c.mutable_move()->set_from(req->from());
    c.mutable_move()->set_to(req->to());
    auto r = g_.store->command(std::move(c));
    if (!r.ok()) return to_grpc(r.status());
    to_entry(r->entry(), out);
    return grpc::Status::OK;
  }

 private:
  Gateway& g_;
};

}  // namespace

std::unique_ptr<grpc::Service> make_namespace_service(Gateway& g) {
  return std::make_unique<NamespaceService>(g);
}

}  // namespace cairn::real::reapi
