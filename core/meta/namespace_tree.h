// The namespace tree (core/meta): directories and files with their kept versions, and the
// chunk table those versions feed. NamespaceStateMachine drives it from the Raft log; it
// knows nothing of the wire commands, sessions or the node registry.
//
// A directory holds its entries in an ordered map (byte-wise name order), so listing a
// page of a large directory costs O(log n + page) and moving a directory moves its
// subtree by relinking one node, O(log n), whatever its size.
//
// Promises: every operation either fails with a status naming the path (and changes
// nothing) or does all it says; the chunk table always equals a recount of the kept
// versions (check_invariants()). Commands are deterministic: time comes only from the
// `now_ms` they are given, versions only from the `version` they are given.
// Errors: InvalidArgument (bad input), NotFound (a path or its parent does not exist),
// AlreadyExists (the target exists), FailedPrecondition (the wrong kind of entry, a
// directory that is not empty, a version condition that does not hold).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/meta/chunk_table.h"
#include "core/meta/namespace.pb.h"
#include "core/meta/paths.h"

namespace cairn::meta {

inline constexpr uint32_t kDefaultListLimit = 1000;
inline constexpr uint32_t kMaxListLimit = 10000;

class NamespaceTree {
 public:
  // REQUIRES: keep_versions >= 1.
  explicit NamespaceTree(uint32_t keep_versions);
  ~NamespaceTree();
  NamespaceTree(NamespaceTree&&) noexcept;
  NamespaceTree& operator=(NamespaceTree&&) noexcept;

  // --- commands; on success `entry` (may be null) receives the entry written ---
  absl::Status mkdir(const Path& p, bool parents, int64_t now_ms, wire::EntryInfo* entry);
  absl::Status rmdir(const Path& p, int64_t now_ms);
  // `m` as the command carries it; its version and mtime are set here.
  absl::Status put_file(const Path& p, wire::Manifest m, wire::Condition condition,
                        uint64_t if_version, uint64_t version, int64_t now_ms,
                        wire::EntryInfo* entry);
  absl::Status remove(const Path& p, wire::Condition condition, uint64_t if_version,
                      int64_t now_ms);
  absl::Status move(const Path& from, const Path& to, int64_t now_ms, wire::EntryInfo* entry);

  // --- reads (a path that does not resolve is NotFound) ---
  absl::Status stat(const Path& p, wire::EntryInfo* entry) const;
  // Fills r->entries and r->next_after. `limit` 0 is kDefaultListLimit; over
  // kMaxListLimit is kMaxListLimit.
  absl::Status list(const Path& p, const std::string& start_after, uint32_t limit,
                    wire::NsResult* r) const;
  // Version 0 is the latest. The chunks carry the chunk table's current layouts.
  absl::Status get_file(const Path& p, uint64_t version, wire::Manifest* out) const;
  // Newest first, chunks left out.
  absl::Status versions(const Path& p, wire::NsResult* r) const;

  const ChunkTable& chunks() const { return chunks_; }
  ChunkTable& chunks() { return chunks_; }

  // Snapshots: save() writes paths (parents before children, the root first) and chunks;
  // load() rebuilds a tree from them, DataLoss if they are inconsistent.
  void save(wire::NsSnapshot* out) const;
  static absl::StatusOr<NamespaceTree> load(const wire::NsSnapshot& snap, uint32_t keep_versions);

  // Asserts the tree's invariants (children counts, versions increasing and at most
  // keep_versions, the chunk table equal to a recount). O(size): for tests and simulation.
  void check_invariants() const;

  struct Node;  // defined in namespace_tree.cc

 private:
  // The directory at the first `depth` components of `p`: NotFound naming the first
  // missing one, FailedPrecondition naming the first that is a file.
  absl::StatusOr<Node*> directory(const Path& p, size_t depth) const;
  // The node at `p`, or null if it does not resolve.
  const Node* find(const Path& p) const;
  absl::Status load_record(const wire::PathRecord& record);

  uint32_t keep_versions_;
  std::unique_ptr<Node> root_;
  ChunkTable chunks_;
};

}  // namespace cairn::meta
