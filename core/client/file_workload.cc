#include "core/client/file_workload.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/client/chunker.h"
#include "core/meta/chunk_table.h"
#include "core/wire/message_types.h"

namespace cairn::client {
namespace {

Duration since_start(Runtime& rt) { return rt.now().time_since_epoch(); }

raft::LeaderSessionOptions ns_options(const FileWorkloadOptions& o) {
  raft::LeaderSessionOptions s;
  s.attempt_timeout = o.timeout;
  s.backoff = std::chrono::milliseconds(50);
  s.max_attempts = static_cast<uint32_t>(o.retries);
  return s;
}

FileClientOptions client_options(const FileWorkloadOptions& o) {
  FileClientOptions c;
  c.chunk_bytes = o.chunk_bytes;
  c.window = static_cast<uint32_t>(o.window);
  c.cache_bytes = 0;  // every get reads the chunks from storage
  c.inline_bytes = o.inline_bytes;
  return c;
}

cas::Digest id_of(const std::string& hashes, uint64_t size) {
  return cas::Digest(cas::Digest::of(hashes).hash(), size);
}

bool maybe_applied(const absl::Status& st) {
  return absl::IsUnavailable(st) || absl::IsDeadlineExceeded(st);
}

}  // namespace

const char* file_op_name(FileOpKind kind) {
  switch (kind) {
    case FileOpKind::kPut:
      return "put";
    case FileOpKind::kGet:
      return "get";
    case FileOpKind::kStat:
      return "stat";
    case FileOpKind::kList:
      return "ls";
    case FileOpKind::kRemove:
      return "rm";
    case FileOpKind::kMove:
      return "mv";
  }
  return "unknown";
}

cas::Digest content_id(std::string_view bytes, uint64_t chunk_bytes, uint64_t inline_bytes) {
  if (!bytes.empty() && bytes.size() <= inline_bytes) chunk_bytes = bytes.size();
  std::string hashes;
  for (const ChunkSpan& s : fixed_chunks(bytes.size(), chunk_bytes)) {
    const cas::Digest d = cas::Digest::of(bytes.substr(s.offset, s.length));
    hashes.append(reinterpret_cast<const char*>(d.hash().data()), d.hash().size());
  }
  return id_of(hashes, bytes.size());
}

cas::Digest content_id(const meta::wire::Manifest& manifest) {
  std::string hashes;
  if (!manifest.inline_data().empty()) {
    const cas::Digest d = cas::Digest::of(manifest.inline_data());
    hashes.append(reinterpret_cast<const char*>(d.hash().data()), d.hash().size());
  }
  for (const auto& layout : manifest.chunks()) hashes.append(layout.chunk().sha256());
  return id_of(hashes, manifest.size_bytes());
}

void FileWorkloadOptions::visit(SettingsVisitor& v) {
  v.count("clients", clients, 0, 10000);
  v.count("concurrency", concurrency, 1, 1024);
  v.rate("rate", rate_per_s);
  v.group("mix", [this](SettingsVisitor& m) {
    // A mix that is written replaces the default one: kinds it does not name get 0.
    if (m.fills()) put = get = stat = list = remove = mv = 0;
    m.count("put", put, 0, 1000);
    m.count("get", get, 0, 1000);
    m.count("stat", stat, 0, 1000);
    m.count("ls", list, 0, 1000);
    m.count("rm", remove, 0, 1000);
    m.count("mv", mv, 0, 1000);
  });
  v.count("files", files, 1, 10000);
  v.number("shared", shared, 0, 1);
  v.group("size", [this](SettingsVisitor& s) {
    s.bytes("min", size_min);
    s.bytes("max", size_max);
  });
  v.bytes("chunk", chunk_bytes);
  v.count("window", window, 1, 64);
  v.bytes("inline", inline_bytes);
  v.duration("start", start);
  v.duration("until", until);
  v.duration("verify", verify);
  v.duration("timeout", timeout);
  v.count("retries", retries, 1, 255);
}

absl::Status FileWorkloadOptions::validate() const {
  if (put + get + stat + list + remove + mv <= 0) {
    return absl::InvalidArgumentError("mix needs a positive weight (e.g. {put: 2, get: 1})");
  }
  if (size_min > size_max) return absl::InvalidArgumentError("size min is above size max");
  if (size_max > (uint64_t{256} << 20)) {
    return absl::InvalidArgumentError("size max is above 256 MiB (bytes are real in simulation)");
  }
  if (chunk_bytes < 1 || chunk_bytes > (uint64_t{64} << 20)) {
    return absl::InvalidArgumentError("chunk must be in [1 B, 64 MiB]");
  }
  if (inline_bytes > meta::kMaxInlineBytes) {
    return absl::InvalidArgumentError("inline must be at most 64 KiB");
  }
  if (timeout <= Duration(0)) return absl::InvalidArgumentError("timeout must be positive");
  if (verify > Duration(0) && until > verify) {
    return absl::InvalidArgumentError("until is after verify: writes must stop before read-back");
  }
  return absl::OkStatus();
}

FileWorkload::FileWorkload(Runtime& rt, std::vector<NodeId> meta, std::vector<NodeId> coordinators,
                           const FileWorkloadOptions& options, FileHistorySink* sink)
    : rt_(rt),
      options_(options),
      sink_(sink),
      ns_(rt, std::move(meta), rt.self(), ns_options(options)),
      chunks_(
          rt, std::move(coordinators),
          storage::ChunkSessionOptions{options.timeout, static_cast<uint32_t>(options.retries)}),
      files_(rt, ns_, chunks_, client_options(options)) {
  CAIRN_ASSERT(sink_ != nullptr);
}

FileWorkload::~FileWorkload() { rt_.cancel(timer_); }

std::vector<MessageType> FileWorkload::types() {
  return {cairn::wire::kNsResponse, cairn::wire::kChunkResponse};
}

void FileWorkload::on_message(NodeId from, const Message& message) {
  if (message.type == cairn::wire::kNsResponse) return ns_.on_response(from, message);
  chunks_.on_response(from, message);
}

void FileWorkload::start() {
  const Duration phase = from_seconds(rt_.rng().uniform01() * 0.1);
  timer_ = rt_.after(options_.start - since_start(rt_) + phase, [this] {
    timer_ = kNoTimer;
    set_up();
  });
  if (options_.verify > Duration(0)) {
    rt_.after(options_.verify - since_start(rt_), [this, token = std::weak_ptr<bool>(alive_)] {
      if (!token.expired()) start_verify();
    });
  }
}

std::string FileWorkload::dir_of(bool shared) const {
  return shared ? std::string("/shared") : absl::StrCat("/client", rt_.self());
}

bool FileWorkload::stopped() const {
  const Duration until = options_.until > Duration(0) ? options_.until : options_.verify;
  return until > Duration(0) && since_start(rt_) >= until;
}

// Makes both directories (mkdir -p: no error if they exist), retrying until they are.
void FileWorkload::set_up() {
  if (stopped()) return;
  auto made = std::make_shared<int>(0);
  for (bool shared : {false, true}) {
    meta::wire::NsCommand c;
    c.mutable_mkdir()->set_path(dir_of(shared));
    c.mutable_mkdir()->set_parents(true);
    ns_.command(std::move(c), [this, made, token = std::weak_ptr<bool>(alive_)](auto r) {
      if (token.expired()) return;
      if (!r.ok()) *made = -10;  // one failed: try again once both are answered
      if (++*made < 2) return;
      if (*made != 2) {
        timer_ = rt_.after(std::chrono::seconds(1), [this] {
          timer_ = kNoTimer;
          set_up();
        });
        return;
      }
      ready_ = true;
      tick();
    });
  }
}

void FileWorkload::tick() {
  if (stopped()) return;
  if (options_.rate_per_s <= 0) return fill();
  // A slot that comes while the window is full is skipped (no unbounded queue).
  if (in_flight_ < options_.concurrency) start_one();
  timer_ = rt_.after(from_seconds(1 / options_.rate_per_s), [this] {
    timer_ = kNoTimer;
    tick();
  });
}

void FileWorkload::fill() {
  while (ready_ && !stopped() && in_flight_ < options_.concurrency) start_one();
}

std::string FileWorkload::pick_path(bool shared) {
  return absl::StrCat(dir_of(shared), "/f", rt_.rng().below(static_cast<uint64_t>(options_.files)));
}

void FileWorkload::start_one() {
  const FileWorkloadOptions& o = options_;
  const int64_t weights[kFileOpKinds] = {o.put, o.get, o.stat, o.list, o.remove, o.mv};
  int64_t total = 0;
  for (int64_t w : weights) total += w;
  auto draw = static_cast<int64_t>(rt_.rng().below(static_cast<uint64_t>(total)));
  int kind = 0;
  while (draw >= weights[kind]) draw -= weights[kind++];
  const bool shared = rt_.rng().chance(o.shared);
  const std::string path = pick_path(shared);
  ++in_flight_;
  switch (static_cast<FileOpKind>(kind)) {
    case FileOpKind::kPut:
      return do_put(path);
    case FileOpKind::kGet:
      return do_get(path, false, 0);
    case FileOpKind::kStat:
      return do_stat(path);
    case FileOpKind::kList:
      return do_list(dir_of(shared));
    case FileOpKind::kRemove:
      return do_remove(path);
    case FileOpKind::kMove: {
      if (o.files < 2) return do_stat(path);
      std::string to = pick_path(shared);
      while (to == path) to = pick_path(shared);
      return do_move(path, to);
    }
  }
}

// Remembers what the answer says is at `path`, then starts the next operation.
void FileWorkload::finish_op(uint64_t handle, const std::string& path,
                             const FileOpOutcome& outcome) {
  sink_->complete(handle, outcome);
  if (maybe_applied(outcome.status)) {
    seen_.erase(path);
  } else if (absl::IsNotFound(outcome.status)) {
    seen_[path] = 0;
  } else if (outcome.status.ok() && outcome.version > 0) {
    seen_[path] = outcome.version;
  }
  --in_flight_;
  if (options_.rate_per_s <= 0) fill();
}

void FileWorkload::do_put(const std::string& path) {
  const uint64_t size = std::max<uint64_t>(
      16, options_.size_min + rt_.rng().below(options_.size_max - options_.size_min + 1));
  std::string data(size, '\0');
  const uint64_t header[2] = {rt_.self(), ++puts_};  // unique bytes per put
  std::memcpy(data.data(), header, sizeof header);
  for (size_t i = sizeof header; i < size; i += 8) {
    const uint64_t x = rt_.rng().next();
    std::memcpy(data.data() + i, &x, std::min<size_t>(8, size - i));
  }
  FileOpRecord op{.kind = FileOpKind::kPut, .path = path};
  op.content = content_id(data, options_.chunk_bytes, options_.inline_bytes);
  op.bytes = cas::Digest::of(data);
  PutOptions put;
  auto seen = seen_.find(path);
  if (seen != seen_.end() && seen->second > 0 && rt_.rng().chance(0.5)) {
    put.condition = meta::wire::IF_VERSION;
    put.if_version = seen->second;
  } else if (rt_.rng().chance(seen != seen_.end() && seen->second == 0 ? 0.5 : 0.25)) {
    put.condition = meta::wire::IF_ABSENT;
  }
  op.condition = put.condition;
  op.if_version = put.if_version;
  const uint64_t handle = sink_->invoke(rt_.self(), op);
  files_.put(path, std::make_shared<MemorySource>(Payload(std::move(data))), put, nullptr,
             [this, handle, path, token = std::weak_ptr<bool>(alive_)](auto r) {
               if (token.expired()) return;
               FileOpOutcome out;
               out.status = r.status();
               if (r.ok()) out.version = r->entry.version();
               finish_op(handle, path, out);
             });
}

void FileWorkload::do_get(const std::string& path, bool verify, int attempt) {
  FileOpRecord op{.kind = FileOpKind::kGet, .path = path, .verify = verify};
  const uint64_t handle = sink_->invoke(rt_.self(), op);
  auto digester = std::make_shared<cas::Digester>();
  auto size = std::make_shared<uint64_t>(0);
  auto sink = [digester, size](const Payload& piece) {
    const std::string_view v = piece.view();
    digester->update({reinterpret_cast<const uint8_t*>(v.data()), v.size()});
    *size += v.size();
    return absl::OkStatus();
  };
  files_.get(path, 0, 0, FileClient::kToEnd, sink, nullptr,
             [=, this, token = std::weak_ptr<bool>(alive_)](auto r) {
               if (token.expired()) return;
               FileOpOutcome out;
               out.status = r.status();
               if (r.ok()) {
                 out.version = r->version();
                 out.content = content_id(*r);
                 out.bytes = cas::Digest(digester->finish().hash(), *size);
               }
               if (!verify) return finish_op(handle, path, out);
               sink_->complete(handle, out);
               // A read-back that could not be made is tried again, a bounded number of times.
               if (!r.ok() && !absl::IsNotFound(r.status()) && attempt + 1 < options_.retries) {
                 rt_.after(std::chrono::seconds(1), [this, path, attempt, token] {
                   if (!token.expired()) do_get(path, true, attempt + 1);
                 });
               }
             });
}

void FileWorkload::do_stat(const std::string& path) {
  const uint64_t handle = sink_->invoke(rt_.self(), {.kind = FileOpKind::kStat, .path = path});
  meta::wire::NsQuery q;
  q.mutable_stat()->set_path(path);
  ns_.query(std::move(q), [this, handle, path, token = std::weak_ptr<bool>(alive_)](auto r) {
    if (token.expired()) return;
    FileOpOutcome out;
    out.status = r.status();
    if (r.ok()) {
      out.version = r->entry().version();
      out.is_file = r->entry().kind() == meta::wire::KIND_FILE;
    }
    finish_op(handle, path, out);
  });
}

void FileWorkload::do_list(const std::string& dir) {
  const uint64_t handle = sink_->invoke(rt_.self(), {.kind = FileOpKind::kList, .path = dir});
  meta::wire::NsQuery q;
  q.mutable_list()->set_path(dir);
  ns_.query(std::move(q), [this, handle, token = std::weak_ptr<bool>(alive_)](auto r) {
    if (token.expired()) return;
    FileOpOutcome out;
    out.status = r.status();
    // A listing cut short (more than one page) is not a complete view: drop the files.
    if (r.ok() && r->next_after().empty()) {
      for (const auto& e : r->entries()) {
        if (e.kind() == meta::wire::KIND_FILE) out.files.emplace_back(e.name(), e.version());
      }
    } else if (r.ok()) {
      out.status = absl::OutOfRangeError("listing longer than a page");
    }
    sink_->complete(handle, out);
    --in_flight_;
    if (options_.rate_per_s <= 0) fill();
  });
}

void FileWorkload::do_remove(const std::string& path) {
  const uint64_t handle = sink_->invoke(rt_.self(), {.kind = FileOpKind::kRemove, .path = path});
  meta::wire::NsCommand c;
  c.mutable_remove()->set_path(path);
  ns_.command(std::move(c), [this, handle, path, token = std::weak_ptr<bool>(alive_)](auto r) {
    if (token.expired()) return;
    FileOpOutcome out;
    out.status = r.status();
    finish_op(handle, path, out);
    if (r.ok()) seen_[path] = 0;
  });
}

void FileWorkload::do_move(const std::string& from, const std::string& to) {
  const uint64_t handle =
      sink_->invoke(rt_.self(), {.kind = FileOpKind::kMove, .path = from, .to = to});
  meta::wire::NsCommand c;
  c.mutable_move()->set_from(from);
  c.mutable_move()->set_to(to);
  ns_.command(std::move(c), [this, handle, from, to, token = std::weak_ptr<bool>(alive_)](auto r) {
    if (token.expired()) return;
    FileOpOutcome out;
    out.status = r.status();
    if (r.ok()) out.version = r->entry().version();
    seen_.erase(to);
    finish_op(handle, from, out);
    if (r.ok()) seen_[from] = 0;
  });
}

void FileWorkload::start_verify() {
  rt_.cancel(timer_);
  timer_ = kNoTimer;
  for (bool shared : {false, true}) {
    for (int64_t i = 0; i < options_.files; ++i) {
      do_get(absl::StrCat(dir_of(shared), "/f", i), true, 0);
    }
  }
}

}  // namespace cairn::client
