#include "core/meta/namespace_tree.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/meta/namespace_node.h"
#include "core/storage/storage_codec.h"

namespace cairn::meta {

namespace {

using Node = NamespaceTree::Node;

void fill_info(const std::string& name, const Node& n, wire::EntryInfo* out) {
  out->Clear();
  out->set_name(name);
  if (n.dir) {
    out->set_kind(wire::KIND_DIRECTORY);
    out->set_mtime_ms(n.mtime_ms);
    out->set_children(n.children.size());
    return;
  }
  CAIRN_ASSERT(!n.versions.empty());
  const wire::Manifest& latest = n.versions.back();
  out->set_kind(wire::KIND_FILE);
  out->set_size_bytes(latest.size_bytes());
  out->set_version(latest.version());
  out->set_mtime_ms(latest.mtime_ms());
}

absl::Status is_a(const Path& p, absl::string_view what) {
  return absl::FailedPreconditionError(absl::StrCat(quoted(p.text()), " is a ", what));
}

absl::Status not_found(absl::string_view text) {
  return absl::NotFoundError(absl::StrCat(quoted(text), " does not exist"));
}

// The if_version check of put_file and remove on an existing file.
absl::Status check_version(const Path& p, const Node& file, uint64_t if_version) {
  const uint64_t latest = file.versions.back().version();
  if (latest == if_version) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(quoted(p.text()), " is at version ", latest, ", not ", if_version));
}

}  // namespace

NamespaceTree::NamespaceTree(uint32_t keep_versions)
    : keep_versions_(keep_versions), root_(Node::directory(0)) {
  CAIRN_ASSERT(keep_versions_ >= 1);
}
NamespaceTree::~NamespaceTree() = default;
NamespaceTree::NamespaceTree(NamespaceTree&&) noexcept = default;
NamespaceTree& NamespaceTree::operator=(NamespaceTree&&) noexcept = default;

absl::StatusOr<NamespaceTree::Node*> NamespaceTree::directory(const Path& p, size_t depth) const {
  CAIRN_ASSERT(depth <= p.parts().size());
  Node* n = root_.get();
  for (size_t i = 0; i < depth; ++i) {
    auto it = n->children.find(p.parts()[i]);
    if (it == n->children.end()) return not_found(p.prefix(i + 1));
    n = it->second.get();
    if (!n->dir) return is_a(Path({p.parts().begin(), p.parts().begin() + i + 1}), "file");
  }
  CAIRN_ASSERT(n->dir);
  return n;
}

const NamespaceTree::Node* NamespaceTree::find(const Path& p) const {
  const Node* n = root_.get();
  for (const std::string& part : p.parts()) {
    if (!n->dir) return nullptr;
    auto it = n->children.find(part);
    if (it == n->children.end()) return nullptr;
    n = it->second.get();
  }
  return n;
}

absl::Status NamespaceTree::mkdir(const Path& p, bool parents, int64_t now_ms,
                                  wire::EntryInfo* entry) {
  Node* n = root_.get();
  if (!parents) {
    if (p.is_root()) return absl::AlreadyExistsError("\"/\" exists");
    auto parent = directory(p, p.parts().size() - 1);
    if (!parent.ok()) return parent.status();
    if ((*parent)->children.count(p.name()) != 0) {
      return absl::AlreadyExistsError(absl::StrCat(quoted(p.text()), " exists"));
    }
    n = (*parent)->children.emplace(p.name(), Node::directory(now_ms)).first->second.get();
    (*parent)->mtime_ms = now_ms;
  } else {
    // Make what is missing. A failure can only be an existing file, met before anything
    // was made (everything below a made directory is made too), so it changes nothing.
    for (size_t i = 0; i < p.parts().size(); ++i) {
      auto it = n->children.find(p.parts()[i]);
      if (it == n->children.end()) {
        it = n->children.emplace(p.parts()[i], Node::directory(now_ms)).first;
        n->mtime_ms = now_ms;
      } else if (!it->second->dir) {
        const Path at({p.parts().begin(), p.parts().begin() + i + 1});
        if (i + 1 == p.parts().size()) {
          return absl::AlreadyExistsError(absl::StrCat(quoted(at.text()), " exists as a file"));
        }
        return is_a(at, "file");
      }
      n = it->second.get();
    }
  }
  CAIRN_ASSERT(n->dir);
  if (entry != nullptr) fill_info(p.is_root() ? "" : p.name(), *n, entry);
  return absl::OkStatus();
}

absl::Status NamespaceTree::rmdir(const Path& p, int64_t now_ms) {
  if (p.is_root()) return absl::FailedPreconditionError("the root \"/\" cannot be removed");
  auto parent = directory(p, p.parts().size() - 1);
  if (!parent.ok()) return parent.status();
  auto it = (*parent)->children.find(p.name());
  if (it == (*parent)->children.end()) return not_found(p.text());
  if (!it->second->dir) return is_a(p, "file");
  if (!it->second->children.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(quoted(p.text()), " is not empty (",
                                                      it->second->children.size(), " entries)"));
  }
  (*parent)->children.erase(it);
  (*parent)->mtime_ms = now_ms;
  return absl::OkStatus();
}

absl::Status NamespaceTree::put_file(const Path& p, wire::Manifest m, wire::Condition condition,
                                     uint64_t if_version, uint64_t version, int64_t now_ms,
                                     wire::EntryInfo* entry) {
  if (condition != wire::ANY && condition != wire::IF_ABSENT && condition != wire::IF_VERSION) {
    return absl::InvalidArgumentError(absl::StrCat("unknown condition ", condition));
  }
  if (absl::Status st = check_manifest(m); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("put ", quoted(p.text()), ": ", st.message()));
  }
  if (p.is_root()) return is_a(p, "directory");
  auto parent = directory(p, p.parts().size() - 1);
  if (!parent.ok()) return parent.status();
  auto it = (*parent)->children.find(p.name());
  const bool exists = it != (*parent)->children.end();
  if (exists && it->second->dir) return is_a(p, "directory");
  if (condition == wire::IF_ABSENT && exists) {
    return absl::AlreadyExistsError(absl::StrCat(quoted(p.text()), " exists"));
  }
  if (condition == wire::IF_VERSION) {
    if (!exists) return not_found(p.text());
    if (absl::Status st = check_version(p, *it->second, if_version); !st.ok()) return st;
  }
  if (!exists) {
    it = (*parent)->children.emplace(p.name(), std::make_unique<Node>()).first;
    (*parent)->mtime_ms = now_ms;
  }
  Node& file = *it->second;
  CAIRN_ASSERT(file.versions.empty() || file.versions.back().version() < version);
  m.set_version(version);
  m.set_mtime_ms(now_ms);
  chunks_.add(m);  // before dropping, so that a chunk still named keeps its entry
  file.versions.push_back(std::move(m));
  while (file.versions.size() > keep_versions_) {
    chunks_.drop(file.versions.front());
    file.versions.pop_front();
  }
  if (entry != nullptr) fill_info(p.name(), file, entry);
  return absl::OkStatus();
}

absl::Status NamespaceTree::remove(const Path& p, wire::Condition condition, uint64_t if_version,
                                   int64_t now_ms) {
  if (condition != wire::ANY && condition != wire::IF_VERSION) {
    return absl::InvalidArgumentError(
        absl::StrCat("remove takes the condition ANY or IF_VERSION, not ", condition));
  }
  if (p.is_root()) return is_a(p, "directory (use rmdir)");
  auto parent = directory(p, p.parts().size() - 1);
  if (!parent.ok()) return parent.status();
  auto it = (*parent)->children.find(p.name());
  if (it == (*parent)->children.end()) return not_found(p.text());
  if (it->second->dir) return is_a(p, "directory (use rmdir)");
  if (condition == wire::IF_VERSION) {
    if (absl::Status st = check_version(p, *it->second, if_version); !st.ok()) return st;
  }
  for (const wire::Manifest& m : it->second->versions) chunks_.drop(m);
  (*parent)->children.erase(it);
  (*parent)->mtime_ms = now_ms;
  return absl::OkStatus();
}

absl::Status NamespaceTree::move(const Path& from, const Path& to, int64_t now_ms,
                                 wire::EntryInfo* entry) {
  if (from.is_root()) return absl::InvalidArgumentError("the root \"/\" cannot be moved");
  if (from == to) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot move ", quoted(from.text()), " onto itself"));
  }
  if (to.is_below(from)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot move ", quoted(from.text()), " under itself, to ", quoted(to.text())));
  }
  auto from_parent = directory(from, from.parts().size() - 1);
  if (!from_parent.ok()) return from_parent.status();
  if ((*from_parent)->children.count(from.name()) == 0) return not_found(from.text());
  if (to.is_root()) return absl::AlreadyExistsError("\"/\" exists");
  auto to_parent = directory(to, to.parts().size() - 1);
  if (!to_parent.ok()) return to_parent.status();
  if ((*to_parent)->children.count(to.name()) != 0) {
    return absl::AlreadyExistsError(absl::StrCat(quoted(to.text()), " exists"));
  }
  // Relink the node: its subtree moves with it, untouched.
  auto handle = (*from_parent)->children.extract(from.name());
  CAIRN_ASSERT(!handle.empty());
  handle.key() = to.name();
  auto result = (*to_parent)->children.insert(std::move(handle));
  CAIRN_ASSERT(result.inserted);
  (*from_parent)->mtime_ms = now_ms;
  (*to_parent)->mtime_ms = now_ms;
  if (entry != nullptr) fill_info(to.name(), *result.position->second, entry);
  return absl::OkStatus();
}

absl::Status NamespaceTree::stat(const Path& p, wire::EntryInfo* entry) const {
  const Node* n = find(p);
  if (n == nullptr) return not_found(p.text());
  fill_info(p.is_root() ? "" : p.name(), *n, entry);
  return absl::OkStatus();
}

absl::Status NamespaceTree::list(const Path& p, const std::string& start_after, uint32_t limit,
                                 wire::NsResult* r) const {
  const Node* n = find(p);
  if (n == nullptr) return not_found(p.text());
  if (!n->dir) return is_a(p, "file");
  if (limit == 0) limit = kDefaultListLimit;
  if (limit > kMaxListLimit) limit = kMaxListLimit;
  auto it = start_after.empty() ? n->children.begin() : n->children.upper_bound(start_after);
  for (; it != n->children.end() && static_cast<uint32_t>(r->entries_size()) < limit; ++it) {
    fill_info(it->first, *it->second, r->add_entries());
  }
  if (it != n->children.end()) {
    CAIRN_ASSERT(r->entries_size() > 0);
    r->set_next_after(r->entries(r->entries_size() - 1).name());
  }
  return absl::OkStatus();
}

absl::Status NamespaceTree::get_file(const Path& p, uint64_t version, wire::Manifest* out) const {
  const Node* n = find(p);
  if (n == nullptr) return not_found(p.text());
  if (n->dir) return is_a(p, "directory");
  const wire::Manifest* found = version == 0 ? &n->versions.back() : nullptr;
  for (const wire::Manifest& m : n->versions) {
    if (m.version() == version) found = &m;
  }
  if (found == nullptr) {
    return absl::NotFoundError(absl::StrCat("version ", version, " of ", quoted(p.text()),
                                            " is not kept (kept: ", n->versions.front().version(),
                                            "..", n->versions.back().version(), ")"));
  }
  *out = *found;
  for (storage::wire::Layout& l : *out->mutable_chunks()) {
    auto d = storage::digest_from(l.chunk());
    CAIRN_ASSERT(d.ok());
    if (const storage::wire::Layout* current = chunks_.layout(*d)) l = *current;
  }
  return absl::OkStatus();
}

absl::Status NamespaceTree::versions(const Path& p, wire::NsResult* r) const {
  const Node* n = find(p);
  if (n == nullptr) return not_found(p.text());
  if (n->dir) return is_a(p, "directory");
  for (auto it = n->versions.rbegin(); it != n->versions.rend(); ++it) {
    wire::Manifest* m = r->add_versions();
    *m = *it;
    m->clear_chunks();
    m->clear_inline_data();
  }
  return absl::OkStatus();
}

}  // namespace cairn::meta
