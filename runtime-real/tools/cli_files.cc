#include "runtime-real/tools/cli_files.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/base/units.h"
#include "runtime-real/tools/file_blocking_client.h"
#include "runtime-real/tools/kv_blocking_client.h"

namespace cairn::real::cli {
namespace {

using meta::wire::EntryInfo;
using meta::wire::NsResult;

int file_exit_code(const absl::Status& st) {
  switch (st.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return kExitUsage;
    case absl::StatusCode::kNotFound:
      return kExitNo;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
      return kExitConflict;
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kInternal:  // a local file's errno (errno_status)
      return kExitData;
    default:
      return kExitUnavailable;
  }
}

std::string human_bytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

// A progress bar on stderr, drawn only on a terminal and once a transfer has run for half
// a second (short transfers stay quiet).
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled && ::isatty(STDERR_FILENO) == 1) {}
  ~ProgressBar() {
    if (drawn_) std::fputc('\n', stderr);
  }
  client::ProgressFn callback() {
    if (!enabled_) return nullptr;
    return [this](const client::Progress& p) { draw(p); };
  }

 private:
  void draw(const client::Progress& p) {
    if (std::chrono::steady_clock::now() - start_ < std::chrono::milliseconds(500)) return;
    drawn_ = true;
    const double share =
        p.total_bytes == 0 ? 1
                           : static_cast<double>(p.done_bytes) / static_cast<double>(p.total_bytes);
    std::string bar(static_cast<size_t>(share * 30), '#');
    bar.resize(30, '.');
    std::fprintf(stderr, "\r[%s] %s / %s  %s/s  %s left   ", bar.c_str(),
                 human_bytes(p.done_bytes).c_str(), human_bytes(p.total_bytes).c_str(),
                 human_bytes(static_cast<uint64_t>(p.bytes_per_second)).c_str(),
                 format_duration(p.left).c_str());
    std::fflush(stderr);
  }
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

const char* kind_name(const EntryInfo& e) {
  return e.kind() == meta::wire::KIND_DIRECTORY ? "directory" : "file";
}

JsonObject entry_json(const EntryInfo& e) {
  JsonObject o;
  o.bytes("name", e.name()).text("kind", kind_name(e));
  if (e.kind() == meta::wire::KIND_DIRECTORY) {
    o.number("children", static_cast<int64_t>(e.children()));
  } else {
    o.number("size", static_cast<int64_t>(e.size_bytes()))
        .number("version", static_cast<int64_t>(e.version()));
  }
  return o.number("mtime_ms", e.mtime_ms());
}

std::string entry_line(const EntryInfo& e) {
  if (e.kind() == meta::wire::KIND_DIRECTORY) {
    return absl::StrCat("d  ", e.children(), " entries\t", e.name(), "/\n");
  }
  return absl::StrCat("f  ", e.size_bytes(), " bytes  v", e.version(), "\t", e.name(), "\n");
}

absl::StatusOr<storage::WriteOptions> write_options(const FileArgs& a) {
  storage::WriteOptions w;
  if (a.replicas > 0 && !a.rs.empty()) {
    return absl::InvalidArgumentError("give --replicas or --rs, not both");
  }
  if (a.replicas > 0) {
    w.mode = storage::StorageMode::kReplicated;
    w.replicas = a.replicas;
  }
  if (!a.rs.empty()) {
    std::vector<std::string> km = absl::StrSplit(a.rs, '+');
    int k = 0, m = 0;
    if (km.size() != 2 || !absl::SimpleAtoi(km[0], &k) || !absl::SimpleAtoi(km[1], &m) || k < 1 ||
        m < 0 || k + m > 32) {
      return absl::InvalidArgumentError(
          absl::StrCat("--rs ", a.rs, ": expected K+M such as 3+2, with K >= 1 and K+M <= 32"));
    }
    w.mode = storage::StorageMode::kErasure;
    w.data_shards = k;
    w.parity_shards = m;
    w.no_parity = m == 0;
  }
  return w;
}

class Runner {
 public:
  Runner(const FileArgs& a, const Output& out) : a_(a), out_(out) {}

  int run() {
    auto target = resolve(a_.cluster);
    if (!target.ok()) return out_.error(kExitUsage, target.status());
    FileBlockingClientOptions o;
    o.meta = target->peers;
    if (!a_.storage.empty()) {
      auto storage = parse_peer_list(a_.storage);
      if (!storage.ok())
        return out_.error(kExitUsage, absl::StrCat("--storage: ", storage.status().message()));
      o.storage = *storage;
    }
    o.deadline = target->timeout;
    o.attempt_timeout = std::min(o.deadline, std::chrono::milliseconds(1000));
    if (absl::Status st = set_file_sizes(a_.chunk_size, a_.inline_size, &o.file); !st.ok()) {
      return out_.error(kExitUsage, st);
    }
    if (a_.cdc)
      o.file.cdc =
          client::CdcParams{.min_bytes = 256 << 10, .avg_bytes = 1 << 20, .max_bytes = 4 << 20};
    o.file.window = std::max<uint32_t>(1, a_.window);
    client_ = std::make_unique<FileBlockingClient>(o);
    const std::string& v = a_.verb;
    if (v == "put") return put();
    if (v == "get" || v == "cat") return get();
    if (v == "ls") return ls();
    if (v == "stat") return stat();
    if (v == "versions") return versions();
    return change();
  }

 private:
  int fail(const absl::Status& st) const { return out_.error(file_exit_code(st), st); }

  int put() {
    const std::string& local = a_.paths[0];
    std::shared_ptr<client::ByteSource> source;
    if (local == "-") {
      auto all = read_input("-", size_t{1} << 40);
      if (!all.ok()) return out_.error(kExitData, all.status());
      source = std::make_shared<client::MemorySource>(Payload(std::move(*all)));
    } else {
      auto file = FileSource::open(local);
      if (!file.ok()) return out_.error(kExitData, file.status());
      source = std::move(*file);
    }
    auto w = write_options(a_);
    if (!w.ok()) return out_.error(kExitUsage, w.status());
    client::PutOptions po;
    po.write = *w;
    if (a_.if_absent && a_.has_if_version) {
      return out_.error(kExitUsage, "give --if-absent or --if-version, not both");
    }
    if (a_.if_absent) po.condition = meta::wire::IF_ABSENT;
    if (a_.has_if_version) {
      po.condition = meta::wire::IF_VERSION;
      po.if_version = a_.if_version;
    }
    absl::StatusOr<client::PutResult> r;
    {
      ProgressBar bar(!out_.json());
      r = client_->put(a_.paths[1], source, po, bar.callback());
    }
    if (!r.ok()) return fail(r.status());
    JsonObject o;
    o.bytes("path", a_.paths[1])
        .number("size", static_cast<int64_t>(r->entry.size_bytes()))
        .number("version", static_cast<int64_t>(r->entry.version()))
        .number("chunks", static_cast<int64_t>(r->chunks))
        .number("chunks_sent", static_cast<int64_t>(r->chunks_sent))
        .number("bytes_sent", static_cast<int64_t>(r->bytes_sent));
    if (out_.json()) return out_.result(o, kExitOk);
    return out_.text(
        absl::StrCat(a_.paths[1], ": version ", r->entry.version(), ", ", r->entry.size_bytes(),
                     " bytes in ", r->chunks, " chunks (", r->chunks_sent, " sent, ",
                     r->chunks - r->chunks_sent, " already stored)\n"),
        kExitOk);
  }

  int get() {
    const bool to_stdout = a_.verb == "cat" || a_.paths[1] == "-";
    const std::string local = to_stdout ? "" : a_.paths[1];
    const std::string part = local + ".part";
    FILE* f = nullptr;
    if (!to_stdout) {
      f = std::fopen(part.c_str(), "wb");
      if (f == nullptr) {
        return out_.error(kExitData, absl::StrCat(part, ": ", std::strerror(errno)));
      }
    }
    client::Sink sink = [f, &part](const Payload& piece) -> absl::Status {
      if (f == nullptr) return write_stdout(piece.view());
      if (std::fwrite(piece.data(), 1, piece.view().size(), f) != piece.view().size()) {
        return absl::DataLossError(absl::StrCat(part, ": ", std::strerror(errno)));
      }
      return absl::OkStatus();
    };
    const uint64_t length = a_.has_length ? a_.length : client::FileClient::kToEnd;
    absl::StatusOr<meta::wire::Manifest> r;
    {
      ProgressBar bar(!out_.json() && !to_stdout);
      r = client_->get(a_.paths[0], a_.version, a_.offset, length, sink, bar.callback());
    }
    if (f != nullptr) {
      const bool closed = std::fclose(f) == 0;
      if (r.ok() && !closed)
        r = absl::DataLossError(absl::StrCat(part, ": ", std::strerror(errno)));
      std::error_code ec;
      if (r.ok()) std::filesystem::rename(part, local, ec);
      if (r.ok() && ec) r = absl::DataLossError(absl::StrCat(local, ": ", ec.message()));
      if (!r.ok()) std::filesystem::remove(part, ec);
    }
    if (!r.ok()) return fail(r.status());
    if (to_stdout) return kExitOk;
    JsonObject o;
    o.bytes("path", a_.paths[0])
        .bytes("local", local)
        .number("size", static_cast<int64_t>(r->size_bytes()))
        .number("version", static_cast<int64_t>(r->version()));
    if (out_.json()) return out_.result(o, kExitOk);
    return out_.text(
        absl::StrCat(local, ": ", r->size_bytes(), " bytes, version ", r->version(), "\n"),
        kExitOk);
  }

  int ls() {
    const std::string path = a_.paths.empty() ? "/" : a_.paths[0];
    std::string after = a_.after, text, items;
    uint64_t shown = 0;
    // Every page unless --limit says how many entries to show.
    while (true) {
      meta::wire::NsQuery q;
      q.mutable_list()->set_path(path);
      q.mutable_list()->set_start_after(after);
      q.mutable_list()->set_limit(
          static_cast<uint32_t>(a_.limit > 0 ? std::min<uint64_t>(a_.limit - shown, 10000) : 1000));
      auto r = client_->query(std::move(q));
      if (!r.ok()) return fail(r.status());
      for (const EntryInfo& e : r->entries()) {
        absl::StrAppend(&items, items.empty() ? "" : ",", entry_json(e).str());
        absl::StrAppend(&text, entry_line(e));
        ++shown;
      }
      after = r->next_after();
      if (after.empty() || (a_.limit > 0 && shown >= a_.limit)) break;
    }
    if (!out_.json()) return out_.text(text, kExitOk);
    JsonObject o;
    o.bytes("path", path).raw("entries", "[" + items + "]").bytes("next_after", after);
    return out_.result(o, kExitOk);
  }

  int stat() {
    meta::wire::NsQuery q;
    q.mutable_stat()->set_path(a_.paths[0]);
    auto r = client_->query(std::move(q));
    if (!r.ok()) return fail(r.status());
    if (out_.json()) return out_.result(entry_json(r->entry()), kExitOk);
    const EntryInfo& e = r->entry();
    return out_.text(
        absl::StrCat(a_.paths[0], ": ", kind_name(e),
                     e.kind() == meta::wire::KIND_FILE
                         ? absl::StrCat(", ", e.size_bytes(), " bytes, version ", e.version())
                         : absl::StrCat(", ", e.children(), " entries"),
                     ", modified ", e.mtime_ms(), " ms after the Unix epoch\n"),
        kExitOk);
  }

  int versions() {
    meta::wire::NsQuery q;
    q.mutable_versions()->set_path(a_.paths[0]);
    auto r = client_->query(std::move(q));
    if (!r.ok()) return fail(r.status());
    std::string text, items;
    for (const meta::wire::Manifest& m : r->versions()) {
      JsonObject o;
      o.number("version", static_cast<int64_t>(m.version()))
          .number("size", static_cast<int64_t>(m.size_bytes()))
          .number("mtime_ms", m.mtime_ms());
      absl::StrAppend(&items, items.empty() ? "" : ",", o.str());
      absl::StrAppend(&text, "v", m.version(), "  ", m.size_bytes(), " bytes  ", m.mtime_ms(),
                      "\n");
    }
    if (!out_.json()) return out_.text(text, kExitOk);
    JsonObject o;
    o.bytes("path", a_.paths[0]).raw("versions", "[" + items + "]");
    return out_.result(o, kExitOk);
  }

  // rm, mv, mkdir, rmdir.
  int change() {
    meta::wire::NsCommand c;
    const std::string& v = a_.verb;
    if (v == "rm") {
      c.mutable_remove()->set_path(a_.paths[0]);
      if (a_.has_if_version) {
        c.mutable_remove()->set_condition(meta::wire::IF_VERSION);
        c.mutable_remove()->set_if_version(a_.if_version);
      }
    } else if (v == "mv") {
      c.mutable_move()->set_from(a_.paths[0]);
      c.mutable_move()->set_to(a_.paths[1]);
    } else if (v == "mkdir") {
      c.mutable_mkdir()->set_path(a_.paths[0]);
      c.mutable_mkdir()->set_parents(a_.parents);
    } else {
      c.mutable_rmdir()->set_path(a_.paths[0]);
    }
    auto r = client_->command(std::move(c));
    if (!r.ok()) return fail(r.status());
    JsonObject o;
    o.text("done", v).bytes("path", a_.paths.back());
    return out_.json() ? out_.result(o, kExitOk) : kExitOk;
  }

  const FileArgs& a_;
  const Output& out_;
  std::unique_ptr<FileBlockingClient> client_;
};

}  // namespace

std::vector<CLI::App*> add_file_commands(CLI::App& app, FileArgs& a) {
  struct Verb {
    const char* name;
    const char* help;
    std::vector<const char*> positionals;
    size_t required;
  };
  const std::vector<Verb> verbs = {
      {"put", "store LOCAL (a file, or - for stdin) at PATH", {"LOCAL", "PATH"}, 2},
      {"get", "copy PATH to LOCAL (- for stdout)", {"PATH", "LOCAL"}, 2},
      {"cat", "write PATH's bytes to stdout", {"PATH"}, 1},
      {"ls", "list a directory (default /)", {"PATH"}, 0},
      {"stat", "describe a file or directory", {"PATH"}, 1},
      {"rm", "remove a file and all its versions", {"PATH"}, 1},
      {"mv", "rename a file or directory atomically", {"FROM", "TO"}, 2},
      {"mkdir", "make a directory", {"PATH"}, 1},
      {"rmdir", "remove an empty directory", {"PATH"}, 1},
      {"versions", "list a file's kept versions, newest first", {"PATH"}, 1},
  };
  std::vector<CLI::App*> out;
  for (const Verb& v : verbs) {
    CLI::App* sub = app.add_subcommand(v.name, v.help);
    const std::string shown = absl::StrJoin(v.positionals, " ");
    auto* pos = sub->add_option("args", a.paths, shown);
    pos->expected(static_cast<int>(v.required), static_cast<int>(v.positionals.size()));
    pos->option_text(shown);
    if (v.required > 0) pos->required();
    add_cluster_options(*sub, a.cluster);
    sub->add_option("--storage", a.storage,
                    "client ports of storage nodes when they differ from --peer");
    const std::string name = v.name;
    if (name == "put") {
      sub->add_flag("--if-absent", a.if_absent, "only if nothing is at PATH (else exit 4)");
      sub->add_option("--if-version", a.if_version,
                      "only if PATH's current version is N (else exit 4)")
          ->each([&a](const std::string&) { a.has_if_version = true; });
      sub->add_option("--chunk-size", a.chunk_size, "fixed chunk size (default 64MiB)");
      sub->add_flag("--cdc", a.cdc, "content-defined chunks (about 1 MiB): edits resend little");
      sub->add_option("--inline", a.inline_size,
                      "files up to this size live in the namespace, not in chunks (default 8KiB)");
      sub->add_option("--replicas", a.replicas, "store each chunk as R whole copies");
      sub->add_option("--rs", a.rs, "Reed-Solomon K+M, e.g. 3+2 (default: by chunk size)");
      sub->add_option("--window", a.window, "chunks in flight at once (default 4)");
    }
    if (name == "get" || name == "cat") {
      sub->add_option("--version", a.version, "a kept version (default: the latest)");
    }
    if (name == "cat") {
      sub->add_option("--offset", a.offset, "first byte (default 0)");
      sub->add_option("--length", a.length, "bytes from there (default: to the end)")
          ->each([&a](const std::string&) { a.has_length = true; });
    }
    if (name == "ls") {
      sub->add_option("--limit", a.limit, "show at most N entries (default: all)");
      sub->add_option("--after", a.after, "start after this name");
    }
    if (name == "rm") {
      sub->add_option("--if-version", a.if_version, "only if the current version is N")
          ->each([&a](const std::string&) { a.has_if_version = true; });
    }
    if (name == "mkdir")
      sub->add_flag("-p,--parents", a.parents, "make missing parents; no error if it exists");
    sub->callback([&a, name] { a.verb = name; });
    out.push_back(sub);
  }
  return out;
}

int run_file_command(const FileArgs& a) {
  const Output out(a.cluster.json);
  return Runner(a, out).run();
}

}  // namespace cairn::real::cli
