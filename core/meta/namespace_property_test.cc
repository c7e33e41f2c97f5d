// A property: random commands applied to NamespaceStateMachine agree with a reference model
// (a std::map of full paths) on every result code and every stat, list and versions
// answer; chunk refs equal a recount of the kept versions; snapshot then restore at any
// point gives a machine that answers identically; a retried command changes nothing.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <memory>
#include <set>

#include "core/meta/namespace_test_util.h"

namespace cairn::meta {
namespace {

using absl::StatusCode;
using testing::chunk_digest;
using testing::code;

constexpr int kChunks = 6;

struct ModelVersion {
  uint64_t version = 0;
  int64_t mtime_ms = 0;
  uint64_t size_bytes = 0;
  std::vector<int> chunks;
};

struct ModelEntry {
  bool dir = false;
  int64_t mtime_ms = 0;                // directories
  std::vector<ModelVersion> versions;  // files, oldest first
};

std::string parent_of(const std::string& p) {
  const size_t slash = p.rfind('/');
  return slash == 0 ? "/" : p.substr(0, slash);
}

bool below(const std::string& p, const std::string& ancestor) {
  if (ancestor == "/") return p != "/";
  return p.size() > ancestor.size() && p.compare(0, ancestor.size(), ancestor) == 0 &&
         p[ancestor.size()] == '/';
}

// The namespace as a map of full paths, written as plainly as possible.
class Model {
 public:
  explicit Model(uint32_t keep) : keep_(keep) { entries_["/"] = {true, 0, {}}; }

  std::vector<std::string> children(const std::string& p) const {
    std::vector<std::string> out;
    for (const auto& [path, e] : entries_) {
      if (below(path, p) && parent_of(path) == p)
        out.push_back(path.substr(parent_of(path).size() + (p == "/" ? 0 : 1)));
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  const ModelEntry* find(const std::string& p) const {
    auto it = entries_.find(p);
    return it == entries_.end() ? nullptr : &it->second;
  }

  StatusCode mkdir(const std::string& p, bool parents, int64_t now) {
    if (p == "/") return parents ? StatusCode::kOk : StatusCode::kAlreadyExists;
    if (!parents) {
      if (StatusCode c = parent_dir(p); c != StatusCode::kOk) return c;
      if (find(p) != nullptr) return StatusCode::kAlreadyExists;
      make_dir(p, now);
      return StatusCode::kOk;
    }
    for (const std::string& prefix : prefixes(p)) {
      const ModelEntry* e = find(prefix);
      if (e == nullptr) {
        make_dir(prefix, now);
      } else if (!e->dir) {
        return prefix == p ? StatusCode::kAlreadyExists : StatusCode::kFailedPrecondition;
      }
    }
    return StatusCode::kOk;
  }
  StatusCode rmdir(const std::string& p, int64_t now) {
    if (p == "/") return StatusCode::kFailedPrecondition;
    if (StatusCode c = parent_dir(p); c != StatusCode::kOk) return c;
    const ModelEntry* e = find(p);
    if (e == nullptr) return StatusCode::kNotFound;
    if (!e->dir || !children(p).empty()) return StatusCode::kFailedPrecondition;
    erase(p, now);
    return StatusCode::kOk;
  }
  StatusCode put(const std::string& p, const std::vector<int>& chunks, wire::Condition cond,
                 uint64_t if_version, uint64_t index, int64_t now) {
    if (p == "/") return StatusCode::kFailedPrecondition;
    if (StatusCode c = parent_dir(p); c != StatusCode::kOk) return c;
    const ModelEntry* e = find(p);
    if (e != nullptr && e->dir) return StatusCode::kFailedPrecondition;
    if (cond == wire::IF_ABSENT && e != nullptr) return StatusCode::kAlreadyExists;
    if (cond == wire::IF_VERSION) {
      if (e == nullptr) return StatusCode::kNotFound;
      if (e->versions.back().version != if_version) return StatusCode::kFailedPrecondition;
    }
    if (e == nullptr) entries_[parent_of(p)].mtime_ms = now;
    ModelEntry& file = entries_[p];
    uint64_t size = 0;
    for (int c : chunks) size += chunk_digest(c).size_bytes();
    file.versions.push_back({index, now, size, chunks});
    if (file.versions.size() > keep_) file.versions.erase(file.versions.begin());
    return StatusCode::kOk;
  }
  StatusCode rm(const std::string& p, wire::Condition cond, uint64_t if_version, int64_t now) {
    if (p == "/") return StatusCode::kFailedPrecondition;
    if (StatusCode c = parent_dir(p); c != StatusCode::kOk) return c;
    const ModelEntry* e = find(p);
    if (e == nullptr) return StatusCode::kNotFound;
    if (e->dir) return StatusCode::kFailedPrecondition;
    if (cond == wire::IF_VERSION && e->versions.back().version != if_version) {
      return StatusCode::kFailedPrecondition;
    }
    erase(p, now);
    return StatusCode::kOk;
  }
  StatusCode mv(const std::string& from, const std::string& to, int64_t now) {
    if (from == "/" || from == to || below(to, from)) return StatusCode::kInvalidArgument;
    if (StatusCode c = parent_dir(from); c != StatusCode::kOk) return c;
    if (find(from) == nullptr) return StatusCode::kNotFound;
    if (to == "/") return StatusCode::kAlreadyExists;
    if (StatusCode c = parent_dir(to); c != StatusCode::kOk) return c;
    if (find(to) != nullptr) return StatusCode::kAlreadyExists;
    std::map<std::string, ModelEntry> moved;
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (it->first == from || below(it->first, from)) {
        moved[to + it->first.substr(from.size())] = it->second;
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
    entries_.merge(moved);
    entries_[parent_of(from)].mtime_ms = now;
    entries_[parent_of(to)].mtime_ms = now;
    return StatusCode::kOk;
  }

  StatusCode register_node(uint32_t id, const std::string& zone, int state) {
    if (id == 0) return StatusCode::kInvalidArgument;
    auto [it, inserted] = nodes_.try_emplace(id, zone, state);
    if (inserted || it->second != std::make_pair(zone, state)) ++epoch_;
    it->second = {zone, state};
    return StatusCode::kOk;
  }
  const std::map<uint32_t, std::pair<std::string, int>>& nodes() const { return nodes_; }
  uint64_t epoch() const { return epoch_; }

  // refs per chunk: the kept versions naming it, each version once.
  std::map<int, uint64_t> refs() const {
    std::map<int, uint64_t> out;
    for (const auto& [path, e] : entries_) {
      for (const ModelVersion& v : e.versions) {
        for (int c : std::set<int>(v.chunks.begin(), v.chunks.end())) ++out[c];
      }
    }
    return out;
  }

 private:
  static std::vector<std::string> prefixes(const std::string& p) {
    std::vector<std::string> out;
    for (size_t i = 1; i <= p.size(); ++i) {
      if (i == p.size() || p[i] == '/') out.push_back(p.substr(0, i));
    }
    return out;
  }
  // NotFound if a proper ancestor is missing, FailedPrecondition if one is a file.
  StatusCode parent_dir(const std::string& p) const {
    for (const std::string& prefix : prefixes(p)) {
      if (prefix == p) break;
      const ModelEntry* e = find(prefix);
      if (e == nullptr) return StatusCode::kNotFound;
      if (!e->dir) return StatusCode::kFailedPrecondition;
    }
    return StatusCode::kOk;
  }
  void make_dir(const std::string& p, int64_t now) {
    entries_[p] = {true, now, {}};
    entries_[parent_of(p)].mtime_ms = now;
  }
  void erase(const std::string& p, int64_t now) {
    entries_.erase(p);
    entries_[parent_of(p)].mtime_ms = now;
  }

  uint32_t keep_;
  std::map<std::string, ModelEntry> entries_;
  std::map<uint32_t, std::pair<std::string, int>> nodes_;  // zone, state by id
  uint64_t epoch_ = 0;
};

// "/", and every path of 1 to 3 components named a, b or c.
std::vector<std::string> universe() {
  std::vector<std::string> out = {"/"};
  for (const char* x : {"a", "b", "c"}) {
    out.push_back(std::string("/") + x);
    for (const char* y : {"a", "b", "c"}) {
      out.push_back(std::string("/") + x + "/" + y);
      for (const char* z : {"a", "b", "c"}) out.push_back(std::string("/") + x + "/" + y + "/" + z);
    }
  }
  return out;
}

void expect_agrees(const testing::NsDriver& ns, const Model& model,
                   const std::vector<std::string>& paths) {
  for (const std::string& p : paths) {
    const ModelEntry* e = model.find(p);
    const wire::NsResult stat = ns.stat(p);
    RC_ASSERT(code(stat) == (e ? StatusCode::kOk : StatusCode::kNotFound));
    const wire::NsResult list = ns.list(p);
    if (e == nullptr) {
      RC_ASSERT(code(list) == StatusCode::kNotFound);
      continue;
    }
    RC_ASSERT(stat.entry().kind() == (e->dir ? wire::KIND_DIRECTORY : wire::KIND_FILE));
    if (e->dir) {
      RC_ASSERT(stat.entry().mtime_ms() == e->mtime_ms);
      const std::vector<std::string> names = model.children(p);
      RC_ASSERT(stat.entry().children() == names.size());
      RC_ASSERT(code(list) == StatusCode::kOk);
      std::vector<std::string> listed;
      for (const wire::EntryInfo& c : list.entries()) listed.push_back(c.name());
      RC_ASSERT(listed == names);
      continue;
    }
    RC_ASSERT(code(list) == StatusCode::kFailedPrecondition);
    const ModelVersion& latest = e->versions.back();
    RC_ASSERT(stat.entry().version() == latest.version);
    RC_ASSERT(stat.entry().size_bytes() == latest.size_bytes);
    RC_ASSERT(stat.entry().mtime_ms() == latest.mtime_ms);
    const wire::NsResult vs = ns.versions(p);
    RC_ASSERT(static_cast<size_t>(vs.versions_size()) == e->versions.size());
    for (size_t i = 0; i < e->versions.size(); ++i) {
      RC_ASSERT(vs.versions(static_cast<int>(i)).version() ==
                e->versions[e->versions.size() - 1 - i].version);
    }
  }
  const std::map<int, uint64_t> refs = model.refs();
  for (int c = 0; c < kChunks; ++c) {
    auto it = refs.find(c);
    RC_ASSERT(ns.sm.chunk_refs(chunk_digest(c)) == (it == refs.end() ? 0u : it->second));
  }
  RC_ASSERT(ns.sm.chunk_count() == refs.size());
  wire::NsQuery q;
  q.mutable_nodes();
  const wire::NsResult nodes = ns.ask(q);
  RC_ASSERT(nodes.epoch() == model.epoch());
  RC_ASSERT(static_cast<size_t>(nodes.nodes_size()) == model.nodes().size());
  int i = 0;
  for (const auto& [id, node] : model.nodes()) {
    RC_ASSERT(nodes.nodes(i).id() == id);
    RC_ASSERT(nodes.nodes(i).zone() == node.first);
    RC_ASSERT(static_cast<int>(nodes.nodes(i).state()) == node.second);
    ++i;
  }
  ns.sm.check_invariants();
}

// Everything the machine answers about `paths` (and the chunks, and the registry).
std::string answers(const testing::NsDriver& ns, const std::vector<std::string>& paths) {
  std::string out;
  for (const std::string& p : paths) {
    out += ns.stat(p).SerializeAsString() + ns.list(p).SerializeAsString() +
           ns.list(p, "a", 1).SerializeAsString() + ns.get(p).SerializeAsString() +
           ns.versions(p).SerializeAsString();
  }
  wire::NsQuery q;
  for (int c = 0; c < kChunks; ++c) {
    storage::digest_to(chunk_digest(c), q.mutable_find_missing()->add_chunks());
  }
  out += ns.ask(q).SerializeAsString();
  q.mutable_nodes();
  out += ns.ask(q).SerializeAsString();
  return out;
}

RC_GTEST_PROP(NamespaceProperty, AgreesWithAMapOfPaths, ()) {
  const uint32_t keep = *rc::gen::inRange<uint32_t>(1, 4);
  auto ns = std::make_unique<testing::NsDriver>(NamespaceOptions{.keep_versions = keep});
  Model model(keep);
  const std::vector<std::string> paths = universe();
  const auto any_path = rc::gen::elementOf(paths);
  const int steps = *rc::gen::inRange(1, 60);
  wire::NsCommand last;
  std::string last_result;
  uint64_t sequence = 0;
  for (int step = 0; step < steps; ++step) {
    const int op = *rc::gen::inRange(0, 9);
    if (op == 6) {  // snapshot, restore into a new machine, carry on with it
      auto copy = std::make_unique<testing::NsDriver>(NamespaceOptions{.keep_versions = keep});
      const std::string snap = ns->sm.snapshot();
      RC_ASSERT(copy->sm.restore(snap).ok());
      RC_ASSERT(copy->sm.snapshot() == snap);
      RC_ASSERT(answers(*copy, paths) == answers(*ns, paths));
      ns = std::move(copy);
      continue;
    }
    if (op == 7) {  // a retry of the last command: the same answer, nothing changes
      if (sequence == 0) continue;
      const std::string before = answers(*ns, paths);
      RC_ASSERT(ns->apply(last, 1, sequence).SerializeAsString() == last_result);
      RC_ASSERT(answers(*ns, paths) == before);
      continue;
    }
    const int64_t now = 1000 + step * 10;
    const uint64_t index = ns->sm.applied_index() + 1;
    std::string p = *any_path;
    const std::string spelled = (p != "/" && *rc::gen::inRange(0, 4) == 0) ? p + "/" : p;
    wire::NsCommand c;
    c.set_now_ms(now);
    StatusCode expected = StatusCode::kOk;
    if (op == 0) {
      const bool parents = *rc::gen::arbitrary<bool>();
      c.mutable_mkdir()->set_path(spelled);
      c.mutable_mkdir()->set_parents(parents);
      expected = model.mkdir(p, parents, now);
    } else if (op == 1) {
      c.mutable_rmdir()->set_path(spelled);
      expected = model.rmdir(p, now);
    } else if (op == 2 || op == 3) {
      const auto chunks = *rc::gen::container<std::vector<int>>(*rc::gen::inRange(0, 4),
                                                                rc::gen::inRange(0, kChunks));
      const auto cond = static_cast<wire::Condition>(*rc::gen::inRange(0, 3));
      const ModelEntry* e = model.find(p);
      const bool current = *rc::gen::arbitrary<bool>() && e != nullptr && !e->dir;
      const uint64_t if_version = current ? e->versions.back().version : index - 1;
      wire::PutFile* put = c.mutable_put_file();
      put->set_path(spelled);
      *put->mutable_manifest() = testing::manifest(chunks);
      put->set_condition(cond);
      put->set_if_version(if_version);
      expected = model.put(p, chunks, cond, if_version, index, now);
    } else if (op == 4) {
      const auto cond = *rc::gen::arbitrary<bool>() ? wire::IF_VERSION : wire::ANY;
      const ModelEntry* e = model.find(p);
      const bool current = *rc::gen::arbitrary<bool>() && e != nullptr && !e->dir;
      const uint64_t if_version = current ? e->versions.back().version : index - 1;
      c.mutable_remove()->set_path(spelled);
      c.mutable_remove()->set_condition(cond);
      c.mutable_remove()->set_if_version(if_version);
      expected = model.rm(p, cond, if_version, now);
    } else if (op == 8) {
      const auto id = *rc::gen::inRange<uint32_t>(0, 4);
      const std::string zone = *rc::gen::elementOf(std::vector<std::string>{"z1", "z2"});
      const int state = *rc::gen::inRange(0, 3);
      wire::StorageNode* n = c.mutable_register_node()->mutable_node();
      n->set_id(id);
      n->set_zone(zone);
      n->set_state(static_cast<wire::NodeState>(state));
      expected = model.register_node(id, zone, state);
    } else {
      const std::string to = *any_path;
      c.mutable_move()->set_from(spelled);
      c.mutable_move()->set_to(to);
      expected = model.mv(p, to, now);
    }
    ++sequence;
    const wire::NsResult r = ns->apply(c, 1, sequence);
    RC_ASSERT(code(r) == expected);
    RC_ASSERT(ns->sm.applied_index() == index);
    last = c;
    last_result = r.SerializeAsString();
    expect_agrees(*ns, model, paths);
  }
}

}  // namespace
}  // namespace cairn::meta
