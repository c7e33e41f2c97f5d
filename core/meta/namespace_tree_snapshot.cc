// NamespaceTree's snapshots and invariants (see namespace_tree.h).
#include <string>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/meta/namespace_node.h"
#include "core/meta/namespace_tree.h"

namespace cairn::meta {
namespace {

using Node = NamespaceTree::Node;

// Parents before children: the node's record, then its entries in name order.
void save_node(const std::string& path, const Node& n, wire::NsSnapshot* out) {
  wire::PathRecord* r = out->add_paths();
  r->set_path(path);
  if (!n.dir) {
    for (const wire::Manifest& m : n.versions) *r->mutable_file()->add_versions() = m;
    return;
  }
  r->mutable_dir()->set_mtime_ms(n.mtime_ms);
  for (const auto& [name, child] : n.children) {
    save_node(path == "/" ? absl::StrCat("/", name) : absl::StrCat(path, "/", name), *child, out);
  }
}

void add_versions(const Node& n, ChunkTable* table) {
  for (const wire::Manifest& m : n.versions) table->add(m);
  for (const auto& [name, child] : n.children) add_versions(*child, table);
}

void check_node(const Node& n) {
  if (n.dir) {
    CAIRN_ASSERT(n.versions.empty());
    for (const auto& [name, child] : n.children) {
      CAIRN_ASSERT(check_name(name).ok());
      check_node(*child);
    }
    return;
  }
  CAIRN_ASSERT(n.children.empty());
  CAIRN_ASSERT(!n.versions.empty());
  for (size_t i = 1; i < n.versions.size(); ++i) {
    CAIRN_ASSERT(n.versions[i - 1].version() < n.versions[i].version());
  }
}

absl::Status loss(absl::string_view path, absl::string_view why) {
  return absl::DataLossError(absl::StrCat("namespace snapshot: ", quoted(path), ": ", why));
}

}  // namespace

void NamespaceTree::save(wire::NsSnapshot* out) const {
  save_node("/", *root_, out);
  chunks_.save(out);
}

absl::Status NamespaceTree::load_record(const wire::PathRecord& record) {
  auto p = parse_path(record.path());
  if (!p.ok()) return loss(record.path(), p.status().message());
  if (record.record_case() == wire::PathRecord::RECORD_NOT_SET) {
    return loss(record.path(), "neither a file nor a directory");
  }
  if (p->is_root()) {
    if (!record.has_dir()) return loss("/", "the root is not a directory");
    root_->mtime_ms = record.dir().mtime_ms();
    return absl::OkStatus();
  }
  auto parent = directory(*p, p->parts().size() - 1);
  if (!parent.ok()) return loss(record.path(), parent.status().message());
  if ((*parent)->children.count(p->name()) != 0) return loss(record.path(), "recorded twice");
  if (record.has_dir()) {
    (*parent)->children.emplace(p->name(), Node::directory(record.dir().mtime_ms()));
    return absl::OkStatus();
  }
  auto file = std::make_unique<Node>();
  for (const wire::Manifest& m : record.file().versions()) {
    if (absl::Status st = check_manifest(m); !st.ok()) return loss(record.path(), st.message());
    if (!file->versions.empty() && file->versions.back().version() >= m.version()) {
      return loss(record.path(), "versions out of order");
    }
    file->versions.push_back(m);
  }
  if (file->versions.empty()) return loss(record.path(), "a file without versions");
  (*parent)->children.emplace(p->name(), std::move(file));
  return absl::OkStatus();
}

absl::StatusOr<NamespaceTree> NamespaceTree::load(const wire::NsSnapshot& snap,
                                                  uint32_t keep_versions) {
  NamespaceTree tree(keep_versions);
  for (const wire::PathRecord& r : snap.paths()) {
    if (absl::Status st = tree.load_record(r); !st.ok()) return st;
  }
  for (const wire::ChunkRecord& r : snap.chunks()) {
    if (absl::Status st = tree.chunks_.load(r); !st.ok()) return st;
  }
  ChunkTable recount;
  add_versions(*tree.root_, &recount);
  if (!recount.same_refs(tree.chunks_)) {
    return absl::DataLossError("namespace snapshot: the chunk table disagrees with the files");
  }
  return tree;
}

void NamespaceTree::check_invariants() const {
  CAIRN_ASSERT(root_ != nullptr && root_->dir);
  check_node(*root_);
  ChunkTable recount;
  add_versions(*root_, &recount);
  CAIRN_ASSERT(recount.same_refs(chunks_));
}

}  // namespace cairn::meta
