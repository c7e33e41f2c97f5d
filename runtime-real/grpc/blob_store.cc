#include "runtime-real/grpc/blob_store.h"

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "runtime-real/tools/file_blocking_client.h"

namespace cairn::real::reapi {

class BlobStore::Lease {
 public:
  explicit Lease(BlobStore& store) : store_(store), client_(store.acquire()) {}
  ~Lease() { store_.release(client_); }
  FileBlockingClient& operator*() { return *client_; }
  FileBlockingClient* operator->() { return client_; }

 private:
  BlobStore& store_;
  FileBlockingClient* client_;
};

BlobStore::BlobStore(BlobStoreOptions options) {
  CAIRN_ASSERT(!options.cluster.empty());
  CAIRN_ASSERT(options.clients >= 1);
  for (size_t i = 0; i < options.clients; ++i) {
    FileBlockingClientOptions o;
    o.meta = options.cluster;
    o.deadline = options.deadline;
    o.file.cache_bytes = options.cache_bytes_per_client;
    clients_.push_back(std::make_unique<FileBlockingClient>(o));
  }
  absl::MutexLock lock(&mu_);
  for (auto& c : clients_) idle_.push_back(c.get());
}

BlobStore::~BlobStore() = default;

FileBlockingClient* BlobStore::acquire() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](std::vector<FileBlockingClient*>* idle) { return !idle->empty(); }, &idle_));
  FileBlockingClient* c = idle_.back();
  idle_.pop_back();
  return c;
}

void BlobStore::release(FileBlockingClient* c) {
  CAIRN_ASSERT(c != nullptr);
  absl::MutexLock lock(&mu_);
  idle_.push_back(c);
}

absl::StatusOr<uint64_t> BlobStore::size_of(const std::string& path) {
  meta::wire::NsQuery q;
  q.mutable_stat()->set_path(path);
  Lease c(*this);
  auto r = c->query(std::move(q));
  if (!r.ok()) return r.status();
  if (r->entry().kind() != meta::wire::KIND_FILE) {
    return absl::NotFoundError(absl::StrCat(path, " is a directory"));
  }
  return r->entry().size_bytes();
}

absl::Status BlobStore::make_dir(FileBlockingClient& c, const std::string& dir) {
  {
    absl::MutexLock lock(&mu_);
    if (made_dirs_.contains(dir)) return absl::OkStatus();
  }
  meta::wire::NsCommand cmd;
  cmd.mutable_mkdir()->set_path(dir);
  cmd.mutable_mkdir()->set_parents(true);  // an existing directory is no error
  auto r = c.command(std::move(cmd));
  if (!r.ok()) return r.status();
  absl::MutexLock lock(&mu_);
  made_dirs_.insert(dir);
  return absl::OkStatus();
}

absl::Status BlobStore::put(const std::string& dir, const std::string& path,
                            std::shared_ptr<client::ByteSource> source) {
  Lease c(*this);
  if (absl::Status s = make_dir(*c, dir); !s.ok()) return s;
  auto r = c->put(path, std::move(source), client::PutOptions{});
  return r.status();
}

absl::Status BlobStore::read(const std::string& path, uint64_t offset, uint64_t length,
                             client::Sink sink, uint64_t version) {
  CAIRN_ASSERT(length > 0);
  Lease c(*this);
  return c->get(path, version, offset, length, std::move(sink)).status();
}

absl::StatusOr<client::PutResult> BlobStore::put_file(const std::string& path,
                                                      std::shared_ptr<client::ByteSource> source,
                                                      const client::PutOptions& options) {
  Lease c(*this);
  return c->put(path, std::move(source), options);
}

absl::StatusOr<meta::wire::NsResult> BlobStore::query(meta::wire::NsQuery q) {
  Lease c(*this);
  return c->query(std::move(q));
}

absl::StatusOr<meta::wire::NsResult> BlobStore::command(meta::wire::NsCommand c) {
  Lease lease(*this);
  return lease->command(std::move(c));
}

absl::StatusOr<std::string> BlobStore::read_all(const std::string& path, uint64_t max_bytes) {
  std::string out;
  Lease c(*this);
  auto r = c->get(path, 0, 0, client::FileClient::kToEnd, [&](const Payload& piece) {
    if (out.size() + piece.size() > max_bytes) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " is larger than ", max_bytes, " bytes"));
    }
    out.append(piece.data(), piece.size());
    return absl::OkStatus();
  });
  if (!r.ok()) return r.status();
  return out;
}

}  // namespace cairn::real::reapi
