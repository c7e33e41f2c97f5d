#include "core/meta/namespace_state_machine.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/storage/status_wire.h"
#include "core/storage/storage_codec.h"

namespace cairn::meta {
namespace {

// Runs `op` on the parsed path, or answers the path's InvalidArgument.
template <typename Op>
absl::Status with_path(const std::string& text, Op op) {
  auto p = parse_path(text);
  if (!p.ok()) return p.status();
  return op(*p);
}

}  // namespace

NamespaceStateMachine::NamespaceStateMachine(NamespaceOptions options)
    : options_(options), tree_(options.keep_versions), sessions_(options.max_sessions) {
  CAIRN_ASSERT(options_.keep_versions >= 1);
  CAIRN_ASSERT(options_.max_sessions >= 1);
}

absl::StatusOr<std::string> NamespaceStateMachine::apply(const raft::wire::Entry& e) {
  CAIRN_ASSERT(e.index() == applied_index_ + 1);
  applied_index_ = e.index();
  if (e.type() != raft::wire::ENTRY_NORMAL || e.data().empty()) return std::string();
  wire::NsCommand c;
  if (!c.ParseFromString(e.data())) {
    return absl::InvalidArgumentError(
        absl::StrCat("namespace: entry ", e.index(), " is no command"));
  }
  if (const wire::NsResult* recorded = sessions_.replay(c.client_id(), c.sequence(), e.index())) {
    // A retry of a command already applied: answer as the first time, change nothing.
    return recorded->SerializeAsString();
  }
  const wire::NsResult r = execute(c, e.index());
  sessions_.remember(c.client_id(), c.sequence(), r, e.index());
  CAIRN_ASSERT(applied_index_ == e.index());
  return r.SerializeAsString();
}

wire::NsResult NamespaceStateMachine::execute(const wire::NsCommand& c, uint64_t index) {
  wire::NsResult r;
  const int64_t now = c.now_ms();
  wire::EntryInfo* entry = r.mutable_entry();
  absl::Status st;
  switch (c.op_case()) {
    case wire::NsCommand::kMkdir:
      st = with_path(c.mkdir().path(), [&](const Path& p) {
        return tree_.mkdir(p, c.mkdir().parents(), now, entry);
      });
      break;
    case wire::NsCommand::kRmdir:
      st = with_path(c.rmdir().path(), [&](const Path& p) { return tree_.rmdir(p, now); });
      break;
    case wire::NsCommand::kPutFile: {
      const wire::PutFile& put = c.put_file();
      st = check_known_chunks(put);
      if (st.ok())
        st = with_path(put.path(), [&](const Path& p) {
          return tree_.put_file(p, put.manifest(), put.condition(), put.if_version(), index, now,
                                entry);
        });
      break;
    }
    case wire::NsCommand::kRemove: {
      const wire::Remove& rm = c.remove();
      st = with_path(rm.path(), [&](const Path& p) {
        return tree_.remove(p, rm.condition(), rm.if_version(), now);
      });
      break;
    }
    case wire::NsCommand::kMove:
      st = with_path(c.move().from(), [&](const Path& from) {
        return with_path(c.move().to(),
                         [&](const Path& to) { return tree_.move(from, to, now, entry); });
      });
      break;
    case wire::NsCommand::kMoveShard: {
      const wire::MoveShard& mv = c.move_shard();
      auto d = storage::digest_from(mv.chunk());
      st = d.ok() ? tree_.chunks().move_shard(*d, mv.shard(), mv.from(), mv.to()) : d.status();
      break;
    }
    case wire::NsCommand::kRegisterNode:
      st = registry_.register_node(c.register_node().node(), c.register_node().only_if_up());
      r.set_epoch(registry_.epoch());
      break;
    default:
      st = absl::InvalidArgumentError("namespace: a command without an operation");
      break;
  }
  const bool writes_entry = c.op_case() == wire::NsCommand::kMkdir ||
                            c.op_case() == wire::NsCommand::kPutFile ||
                            c.op_case() == wire::NsCommand::kMove;
  if (!st.ok() || !writes_entry) r.clear_entry();
  storage::to_wire(st, r.mutable_status());
  return r;
}

absl::StatusOr<std::string> NamespaceStateMachine::query(std::string_view query) const {
  wire::NsQuery q;
  if (!q.ParseFromArray(query.data(), static_cast<int>(query.size()))) {
    return absl::InvalidArgumentError("namespace: a query must be an NsQuery");
  }
  return ask(q).SerializeAsString();
}

wire::NsResult NamespaceStateMachine::ask(const wire::NsQuery& q) const {
  wire::NsResult r;
  absl::Status st;
  switch (q.op_case()) {
    case wire::NsQuery::kStat:
      st = with_path(q.stat().path(),
                     [&](const Path& p) { return tree_.stat(p, r.mutable_entry()); });
      break;
    case wire::NsQuery::kList:
      st = with_path(q.list().path(), [&](const Path& p) {
        return tree_.list(p, q.list().start_after(), q.list().limit(), &r);
      });
      break;
    case wire::NsQuery::kGetFile:
      st = with_path(q.get_file().path(), [&](const Path& p) {
        return tree_.get_file(p, q.get_file().version(), r.mutable_manifest());
      });
      break;
    case wire::NsQuery::kVersions:
      st = with_path(q.versions().path(), [&](const Path& p) { return tree_.versions(p, &r); });
      break;
    case wire::NsQuery::kFindMissing:
      st = find_missing(q.find_missing(), &r);
      break;
    case wire::NsQuery::kNodes:
      for (const auto& [id, node] : registry_.nodes()) *r.add_nodes() = node;
      r.set_epoch(registry_.epoch());
      {
        std::map<uint32_t, uint64_t> placed;
        tree_.chunks().each([&](const storage::wire::Layout& layout) {
          for (const auto& shard : layout.shards()) ++placed[shard.node()];
        });
        for (const auto& [node, count] : placed) {
          wire::NodeShards* n = r.add_node_shards();
          n->set_node(node);
          n->set_shards(count);
        }
      }
      break;
    default:
      st = absl::InvalidArgumentError("namespace: a query without an operation");
      break;
  }
  if (!st.ok()) {
    // An error carries nothing else.
    r.Clear();
  }
  storage::to_wire(st, r.mutable_status());
  return r;
}

absl::Status NamespaceStateMachine::check_known_chunks(const wire::PutFile& put) const {
  for (int i = 0; i < put.known_chunks_size(); ++i) {
    absl::StatusOr<cas::Digest> d = storage::digest_from(put.known_chunks(i));
    if (!d.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("put known chunk ", i, ": ", d.status().message()));
    }
    if (tree_.chunks().refs(*d) == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("chunk ", d->format(),
                       " was no longer kept when the put applied (its shards may have been "
                       "collected); put the file again"));
    }
  }
  return absl::OkStatus();
}

absl::Status NamespaceStateMachine::find_missing(const wire::FindMissing& f,
                                                 wire::NsResult* r) const {
  if (static_cast<size_t>(f.chunks_size()) > kMaxFindMissing) {
    return absl::InvalidArgumentError(absl::StrCat("find_missing of ", f.chunks_size(),
                                                   " digests (at most ", kMaxFindMissing, ")"));
  }
  std::set<cas::Digest> seen;  // a digest asked twice is answered once
  for (int i = 0; i < f.chunks_size(); ++i) {
    auto d = storage::digest_from(f.chunks(i));
    if (!d.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("find_missing digest ", i, ": ", d.status().message()));
    }
    if (!seen.insert(*d).second) continue;
    if (const storage::wire::Layout* layout = tree_.chunks().layout(*d)) {
      *r->add_known() = *layout;
    } else {
      storage::digest_to(*d, r->add_missing());
    }
  }
  return absl::OkStatus();
}

std::string NamespaceStateMachine::snapshot() const {
  wire::NsSnapshot snap;
  snap.set_applied_index(applied_index_);
  tree_.save(&snap);
  registry_.save(&snap);
  for (const auto& [id, session] : sessions_.all()) *snap.add_sessions() = session;
  return snap.SerializeAsString();
}

absl::Status NamespaceStateMachine::restore(const std::string& data) {
  wire::NsSnapshot snap;
  if (!snap.ParseFromString(data)) return absl::DataLossError("namespace: unreadable snapshot");
  // Build everything aside first: a bad snapshot leaves the machine as it was.
  auto tree = NamespaceTree::load(snap, options_.keep_versions);
  if (!tree.ok()) return tree.status();
  NodeRegistry registry;
  if (absl::Status st = registry.load(snap); !st.ok()) return st;
  raft::ClientSessions<wire::NsSession> sessions(options_.max_sessions);
  for (const wire::NsSession& s : snap.sessions()) {
    if (s.client_id() == 0) return absl::DataLossError("namespace snapshot: session of client 0");
    sessions.insert(s);
  }
  tree_ = *std::move(tree);
  registry_ = std::move(registry);
  sessions_ = std::move(sessions);
  applied_index_ = snap.applied_index();
  return absl::OkStatus();
}

void NamespaceStateMachine::check_invariants() const {
  tree_.check_invariants();
  CAIRN_ASSERT(sessions_.size() <= options_.max_sessions);
  CAIRN_ASSERT(registry_.epoch() >= registry_.nodes().size());
}

}  // namespace cairn::meta
