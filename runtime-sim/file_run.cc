#include "runtime-sim/file_run.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/assert.h"
#include "runtime-sim/sim_world.h"

namespace cairn::sim {
namespace {

using check::KvOpKind;
using client::FileOpKind;

bool maybe_applied(const absl::Status& st) {
  return absl::IsUnavailable(st) || absl::IsDeadlineExceeded(st);
}

std::string parent_of(const std::string& path) { return path.substr(0, path.rfind('/')); }

std::string name(const cas::Digest& d) { return d.format().substr(0, 16); }

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

FileRun::FileRun(const Scenario& scenario, NodeId first_id)
    : scenario_(scenario), first_id_(first_id) {}

std::vector<NodeSpec> FileRun::client_specs() const {
  std::vector<NodeSpec> out;
  NodeId id = first_id_;
  for (int i = 1; i <= scenario_.files().clients; ++i) {
    out.push_back(NodeSpec{id++, absl::StrCat("f", i), "clients", {"file_client"}});
  }
  return out;
}

void FileRun::add_hooks(Hooks& hooks) { hooks.set<client::FileHistorySink>(this); }

std::string FileRun::client_name(NodeId id) const { return absl::StrCat("f", id - first_id_ + 1); }

uint64_t FileRun::invoke(NodeId client, const client::FileOpRecord& op) {
  ops_.push_back(Op{client, op, {}, ++clock_, 0, World::now(), Time::max()});
  return ops_.size() - 1;
}

void FileRun::complete(uint64_t handle, const client::FileOpOutcome& outcome) {
  CAIRN_ASSERT(handle < ops_.size());
  Op& op = ops_[handle];
  CAIRN_ASSERT(op.ret == 0);
  op.outcome = outcome;
  op.ret = ++clock_;
  op.answered = World::now();
}

std::map<uint64_t, cas::Digest> FileRun::versions() const {
  std::map<uint64_t, cas::Digest> out;
  for (const Op& op : ops_) {
    if (op.ret == 0 || !op.outcome.status.ok() || op.outcome.version == 0) continue;
    if (op.record.kind == FileOpKind::kPut) out[op.outcome.version] = op.record.content;
    if (op.record.kind == FileOpKind::kGet) out[op.outcome.version] = op.outcome.content;
  }
  return out;
}

std::vector<check::KvOperation> FileRun::register_history(std::set<std::string>* left_out) const {
  const std::map<uint64_t, cas::Digest> known = versions();
  std::map<std::string, std::set<std::string>> dirs;  // every path named, by directory
  for (const Op& op : ops_) {
    if (op.record.kind == FileOpKind::kList) continue;
    dirs[parent_of(op.record.path)].insert(op.record.path);
    if (!op.record.to.empty()) dirs[parent_of(op.record.to)].insert(op.record.to);
  }
  std::set<std::string> tainted;
  std::vector<check::KvOperation> h;
  for (const Op& op : ops_) {
    const absl::Status& st = op.outcome.status;
    const bool maybe = op.ret == 0 || maybe_applied(st);
    auto add = [&](KvOpKind kind, const std::string& key, bool ok, std::string value = "") {
      check::KvOperation k;
      k.client = op.client;
      k.kind = kind;
      k.key = key;
      k.value = std::move(value);
      k.ok = ok;
      k.call = op.call;
      if (!maybe) k.ret = op.ret;
      h.push_back(std::move(k));
      return &h.back();
    };
    auto read = [&](const std::string& key, std::optional<uint64_t> version) {
      if (!version) return void(add(KvOpKind::kGet, key, false));
      auto it = known.find(*version);
      if (it != known.end()) add(KvOpKind::kGet, key, true)->output = name(it->second);
    };
    const std::string& path = op.record.path;
    switch (op.record.kind) {
      case FileOpKind::kPut: {
        const std::string value = name(op.record.content);
        if (op.record.condition == meta::wire::ANY) {
          if (maybe || st.ok()) add(KvOpKind::kPut, path, true, value);
        } else if (op.record.condition == meta::wire::IF_ABSENT) {
          if (maybe || st.ok() || absl::IsAlreadyExists(st))
            add(KvOpKind::kPutIfAbsent, path, st.ok(), value);
        } else {
          const bool refused = !maybe && (absl::IsFailedPrecondition(st) || absl::IsNotFound(st));
          if (!maybe && !st.ok() && !refused) break;
          auto it = known.find(op.record.if_version);
          if (it == known.end()) {
            if (!refused) tainted.insert(path);  // it may have written, over what nobody saw
            break;
          }
          add(KvOpKind::kCas, path, st.ok(), value)->expected = name(it->second);
        }
        break;
      }
      case FileOpKind::kGet:
      case FileOpKind::kStat:
        if (maybe) break;
        if (st.ok() && op.outcome.is_file) read(path, op.outcome.version);
        if (absl::IsNotFound(st)) read(path, std::nullopt);
        break;
      case FileOpKind::kList: {
        if (maybe || !st.ok()) break;
        std::map<std::string, uint64_t> listed;
        for (const auto& [n, v] : op.outcome.files) listed[absl::StrCat(path, "/", n)] = v;
        for (const std::string& p : dirs[path]) {
          auto it = listed.find(p);
          read(p, it == listed.end() ? std::nullopt : std::optional<uint64_t>(it->second));
        }
        break;
      }
      case FileOpKind::kRemove:
        if (maybe || st.ok() || absl::IsNotFound(st)) add(KvOpKind::kDelete, path, st.ok());
        break;
      case FileOpKind::kMove: {
        if (maybe) {
          tainted.insert(path);  // what it moved, if it did, nobody knows
          tainted.insert(op.record.to);
          break;
        }
        if (absl::IsNotFound(st)) read(path, std::nullopt);
        if (!st.ok()) break;
        add(KvOpKind::kDelete, path, true);
        auto it = known.find(op.outcome.version);
        if (it == known.end()) {
          tainted.insert(op.record.to);
        } else {
          add(KvOpKind::kPutIfAbsent, op.record.to, true, name(it->second));
        }
        break;
      }
    }
  }
  std::erase_if(h, [&](const check::KvOperation& k) { return tainted.contains(k.key); });
  if (left_out != nullptr) *left_out = std::move(tainted);
  return h;
}

CheckResult FileRun::judge_linearizable(const CheckSpec& spec) const {
  std::set<std::string> left_out;
  const std::vector<check::KvOperation> h = register_history(&left_out);
  const check::LinearizabilityResult l = check::check_kv_linearizable(h, spec.max_steps);
  CheckResult r;
  r.pass = l.verdict != check::LinVerdict::kNotLinearizable && !ops_.empty();
  r.judged = l.verdict != check::LinVerdict::kUnknown && !ops_.empty();
  r.detail =
      ops_.empty()
          ? "no file operation was made"
          : absl::StrCat(
                check::verdict_name(l.verdict), ", ", ops_.size(), " file operations as ", h.size(),
                " register operations",
                left_out.empty() ? "" : absl::StrCat(", ", left_out.size(), " paths left out"),
                l.key.empty() ? "" : absl::StrCat("; path ", l.key, ":\n"),
                l.explanation.substr(0, 1200));
  r.figures["operations"] = static_cast<double>(ops_.size());
  r.figures["register_operations"] = static_cast<double>(h.size());
  r.figures["paths_left_out"] = static_cast<double>(left_out.size());
  r.figures["steps"] = static_cast<double>(l.steps);
  return r;
}

// The writes of one path, to find what its last one left (if the history fixes it).
struct FileRun::Writes {
  struct Write {
    const Op* op;
    std::optional<std::string> leaves;  // the content it leaves; nullopt: nothing
    bool known = true;                  // false: it wrote something nobody saw
  };
  std::map<std::string, std::vector<Write>> by_path;

  // What `path` must hold for a read invoked at `call`, if the history fixes it: the last
  // write's content when it was acknowledged before `call` and overlapped no other write.
  std::optional<std::optional<std::string>> fixed(const std::string& path, uint64_t call) const {
    auto it = by_path.find(path);
    if (it == by_path.end()) return std::optional<std::string>();  // never written
    const Write* last = nullptr;
    for (const Write& w : it->second) {
      if (w.op->call < call && (last == nullptr || w.op->call > last->op->call)) last = &w;
    }
    if (last == nullptr) return std::optional<std::string>();
    if (!last->known || last->op->ret == 0 || last->op->ret > call ||
        maybe_applied(last->op->outcome.status)) {
      return std::nullopt;
    }
    for (const Write& w : it->second) {
      if (&w != last && w.op->call < call && (w.op->ret == 0 || w.op->ret > last->op->call)) {
        return std::nullopt;
      }
    }
    return last->leaves;
  }
};

CheckResult FileRun::judge_durability() const {
  const std::map<uint64_t, cas::Digest> known = versions();
  std::map<std::string, cas::Digest> bytes_of;  // content name -> digest of the bytes put
  Writes writes;
  uint64_t acknowledged = 0;
  for (const Op& op : ops_) {
    const absl::Status& st = op.outcome.status;
    const bool refused = op.ret != 0 && !st.ok() && !maybe_applied(st);
    const std::string& path = op.record.path;
    if (op.record.kind == FileOpKind::kPut) {
      bytes_of[name(op.record.content)] = op.record.bytes;
      if (op.ret != 0 && st.ok()) ++acknowledged;
      if (!refused) writes.by_path[path].push_back({&op, name(op.record.content)});
    } else if (op.record.kind == FileOpKind::kRemove && !refused) {
      writes.by_path[path].push_back({&op, std::nullopt});
    } else if (op.record.kind == FileOpKind::kMove && !refused) {
      writes.by_path[path].push_back({&op, std::nullopt});
      auto it = known.find(op.outcome.version);
      const bool seen = op.ret != 0 && st.ok() && it != known.end();
      writes.by_path[op.record.to].push_back(
          {&op, seen ? std::optional<std::string>(name(it->second)) : std::nullopt, seen});
    }
  }
  // Per (client, path), the last read-back; every get's bytes.
  std::map<std::pair<NodeId, std::string>, const Op*> final_reads;
  uint64_t corrupt = 0, lost = 0, not_read = 0, fixed = 0, intact = 0;
  std::string first;
  auto note = [&](const Op& op, const std::string& what) {
    if (first.empty())
      first = absl::StrCat(client_name(op.client), " ", op.record.path, ": ", what);
  };
  for (const Op& op : ops_) {
    if (op.record.kind != FileOpKind::kGet || op.ret == 0) continue;
    if (op.record.verify) final_reads[{op.client, op.record.path}] = &op;
    if (!op.outcome.status.ok()) continue;
    auto it = bytes_of.find(name(op.outcome.content));
    if (it == bytes_of.end() || it->second != op.outcome.bytes) {
      ++corrupt;
      note(op, absl::StrCat("version ", op.outcome.version, " read back as other bytes"));
    }
  }
  for (const auto& [key, op] : final_reads) {
    const absl::Status& st = op->outcome.status;
    if (!st.ok() && !absl::IsNotFound(st)) {
      ++not_read;
      note(*op, absl::StrCat("not read back: ", st.ToString()));
      continue;
    }
    const std::optional<std::optional<std::string>> want = writes.fixed(key.second, op->call);
    if (!want) continue;
    ++fixed;
    const std::optional<std::string> got =
        st.ok() ? std::optional<std::string>(name(op->outcome.content)) : std::nullopt;
    if (got == *want) {
      ++intact;
    } else {
      ++lost;
      note(*op, absl::StrCat("should hold ", want->value_or("nothing"), ", holds ",
                             got.value_or("nothing")));
    }
  }
  CheckResult r;
  r.figures["acknowledged"] = static_cast<double>(acknowledged);
  r.figures["read_back"] = static_cast<double>(final_reads.size());
  r.figures["fixed_by_history"] = static_cast<double>(fixed);
  r.figures["lost"] = static_cast<double>(lost);
  r.figures["corrupt"] = static_cast<double>(corrupt);
  r.figures["not_read"] = static_cast<double>(not_read);
  if (acknowledged == 0 || final_reads.empty()) {
    r.judged = r.pass = false;
    r.detail = acknowledged == 0 ? "no file was acknowledged" : "no file was read back";
    return r;
  }
  r.pass = lost == 0 && corrupt == 0 && not_read == 0;
  r.detail =
      absl::StrCat(acknowledged, " puts acknowledged; ", final_reads.size(), " paths read back, ",
                   intact, " of ", fixed, " whose state the history fixes as they should be");
  if (!r.pass) {
    absl::StrAppend(&r.detail, "; ", lost, " lost, ", corrupt, " corrupt, ", not_read,
                    " not read: first ", first);
  }
  return r;
}

namespace {

// PREFIX_p50_ms, PREFIX_p99_ms and PREFIX_mean_ms of `ms`.
void add_latencies(std::map<std::string, double>& m, const std::string& prefix,
                   const std::vector<double>& ms) {
  double sum = 0;
  for (double x : ms) sum += x;
  m[prefix + "_p50_ms"] = percentile(ms, 0.5);
  m[prefix + "_p99_ms"] = percentile(ms, 0.99);
  m[prefix + "_mean_ms"] = ms.empty() ? 0 : sum / static_cast<double>(ms.size());
}

}  // namespace

void FileRun::add_metrics(std::map<std::string, double>& m) const {
  // Conditional puts, and how many the namespace refused (the race was lost).
  for (const Op& op : ops_) {
    if (op.record.kind != FileOpKind::kPut || op.record.condition == meta::wire::ANY) continue;
    const bool absent = op.record.condition == meta::wire::IF_ABSENT;
    m[absent ? "file_put_if_absent" : "file_put_if_version"] += 1;
    const absl::Status& st = op.outcome.status;
    if (op.ret != 0 && (absl::IsAlreadyExists(st) || absl::IsFailedPrecondition(st))) {
      m[absent ? "file_put_if_absent_refused" : "file_put_if_version_refused"] += 1;
    }
  }
  for (int k = 0; k < client::kFileOpKinds; ++k) {
    std::vector<double> ms, found;  // found: gets that returned a file
    uint64_t count = 0, errors = 0;
    for (const Op& op : ops_) {
      if (static_cast<int>(op.record.kind) != k || op.record.verify) continue;
      ++count;
      if (op.ret == 0 || maybe_applied(op.outcome.status)) {
        ++errors;
        continue;
      }
      ms.push_back(1e3 * to_seconds(op.answered - op.invoked));
      if (op.record.kind == FileOpKind::kGet && op.outcome.status.ok()) found.push_back(ms.back());
    }
    const std::string kind = client::file_op_name(static_cast<FileOpKind>(k));
    m[absl::StrCat("file_", kind, "_ops")] = static_cast<double>(count);
    m[absl::StrCat("file_", kind, "_unanswered")] = static_cast<double>(errors);
    add_latencies(m, absl::StrCat("file_", kind), ms);
    if (k == static_cast<int>(FileOpKind::kGet)) {
      m["file_get_found_ops"] = static_cast<double>(found.size());
      add_latencies(m, "file_get_found", found);
    }
  }
}

std::string FileRun::latency_report() const {
  std::map<std::string, double> m;
  add_metrics(m);
  std::string out = "file operations (latency of answered ones):\n";
  for (int k = 0; k < client::kFileOpKinds; ++k) {
    const std::string kind = client::file_op_name(static_cast<FileOpKind>(k));
    auto at = [&](const char* what) { return m[absl::StrCat("file_", kind, what)]; };
    absl::StrAppend(
        &out, absl::StrFormat("  %-5s %5.0f ops, %4.0f timed out   p50 %7.1f ms   p99 "
                              "%7.1f ms\n",
                              kind, at("_ops"), at("_unanswered"), at("_p50_ms"), at("_p99_ms")));
  }
  return out;
}

}  // namespace cairn::sim
