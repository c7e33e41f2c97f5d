// The namespace's replicated state machine (core/meta): what the meta Raft group applies
// for the file store. Directories, files and their kept versions (namespace_tree.h), the
// chunk table those versions name (chunk_table.h) and the storage node registry
// (node_registry.h), driven by wire::NsCommand entries and read by wire::NsQuery queries
// (core/meta/namespace.proto; docs/namespace.md).
//
// Promises:
//   - Determinism: the same entries from the same snapshot give the same results and
//     state on every replica. Time comes only from a command's now_ms, versions are the
//     Raft index of the entry that wrote them.
//   - Namespace errors are results: every readable command and query answers with a
//     serialized NsResult whose status says OK, InvalidArgument, NotFound,
//     AlreadyExists or FailedPrecondition with a message naming the path; a failed
//     command changes nothing.
//   - Sessions: a command with client_id != 0 whose (client_id, sequence) was already
//     applied returns the recorded result without running again (client_sessions.h).
//   - snapshot() then restore() gives a machine that answers every query identically.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "core/cas/digest.h"
#include "core/meta/namespace.pb.h"
#include "core/meta/namespace_tree.h"
#include "core/meta/node_registry.h"
#include "core/raft/client_sessions.h"
#include "core/raft/state_machine.h"

namespace cairn::meta {

inline constexpr size_t kMaxFindMissing = 10000;

struct NamespaceOptions {
  uint32_t keep_versions = 10;  // versions kept per file (>= 1), the newest
  size_t max_sessions = 1024;   // client sessions kept (>= 1), least recently active expire
};

class NamespaceStateMachine final : public raft::StateMachine {
 public:
  // REQUIRES: options.keep_versions >= 1, options.max_sessions >= 1.
  explicit NamespaceStateMachine(NamespaceOptions options = {});

  // StateMachine. apply() returns a serialized NsResult for a command and "" for entries
  // that carry none (no-ops, configuration changes); InvalidArgument if the data is not an
  // NsCommand. query() takes a serialized NsQuery and returns a serialized NsResult;
  // InvalidArgument if it is not an NsQuery.
  absl::StatusOr<std::string> apply(const raft::wire::Entry& e) override;
  absl::StatusOr<std::string> query(std::string_view query) const override;
  uint64_t applied_index() const override { return applied_index_; }
  std::string snapshot() const override;
  absl::Status restore(const std::string& data) override;

  // Local reads, for tests.
  wire::NsResult ask(const wire::NsQuery& q) const;
  uint64_t chunk_refs(const cas::Digest& d) const { return tree_.chunks().refs(d); }
  size_t chunk_count() const { return tree_.chunks().size(); }
  size_t session_count() const { return sessions_.size(); }
  uint64_t epoch() const { return registry_.epoch(); }
  // The storage node registry, for repair's placement on the leader.
  const NodeRegistry& registry() const { return registry_; }
  // The chunk table (every kept chunk's current layout), for repair on the leader.
  const ChunkTable& chunk_table() const { return tree_.chunks(); }
  // Asserts every invariant of the state (O(size)).
  void check_invariants() const;

 private:
  wire::NsResult execute(const wire::NsCommand& c, uint64_t index);
  // FailedPrecondition if a chunk the put names as known is no longer in the table.
  absl::Status check_known_chunks(const wire::PutFile& put) const;
  absl::Status find_missing(const wire::FindMissing& f, wire::NsResult* r) const;

  NamespaceOptions options_;
  uint64_t applied_index_ = 0;
  NamespaceTree tree_;
  NodeRegistry registry_;
  raft::ClientSessions<wire::NsSession> sessions_;
};

}  // namespace cairn::meta
