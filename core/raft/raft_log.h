// The Raft log as one node sees it (core/raft): the entries after the last snapshot, kept
// in memory, with the commit and applied indexes and the boundary between entries that
// are synced to disk (stable) and entries still to be handed to the driver (unstable).
//
// Promises: indexes are contiguous from snapshot_index() + 1; committed entries are never
// truncated; snapshot_index() <= applied() <= commit() <= last_index().
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "core/raft/raft.pb.h"

namespace cairn::raft {

class RaftLog {
 public:
  RaftLog() = default;
  // Rebuilds the log from what the driver persisted.
  // REQUIRES: entries contiguous from snapshot_index + 1; commit within the log.
  RaftLog(uint64_t snapshot_index, uint64_t snapshot_term, std::vector<wire::Entry> entries,
          uint64_t commit);

  uint64_t snapshot_index() const { return snapshot_index_; }
  uint64_t snapshot_term() const { return snapshot_term_; }
  uint64_t first_index() const { return snapshot_index_ + 1; }
  uint64_t last_index() const { return snapshot_index_ + entries_.size(); }
  uint64_t last_term() const { return *term(last_index()); }
  uint64_t commit() const { return commit_; }
  uint64_t applied() const { return applied_; }
  uint64_t stable_index() const { return stable_index_; }

  // Term of the entry at `index`; nullopt if compacted away or beyond the end.
  std::optional<uint64_t> term(uint64_t index) const;
  bool match_term(uint64_t index, uint64_t term) const;
  // §5.4.1: is a log ending at (last_index, last_term) at least as up to date as ours?
  bool is_up_to_date(uint64_t last_index, uint64_t last_term) const;
  // REQUIRES: first_index() <= index <= last_index().
  const wire::Entry& at(uint64_t index) const;

  // Entries in [lo, hi), at most max_count and about max_bytes (at least one entry).
  // REQUIRES: first_index() <= lo <= hi <= last_index() + 1.
  std::vector<wire::Entry> slice(uint64_t lo, uint64_t hi, uint64_t max_count,
                                 uint64_t max_bytes) const;

  // Appends after truncating any suffix from entries.front().index(). Returns the new
  // last index. REQUIRES: contiguous, front().index() in (commit, last_index() + 1].
  uint64_t append(const std::vector<wire::Entry>& entries);
  // The AppendEntries receiver rule: if our entry at prev_index has prev_term, append the
  // entries that are new or conflicting and advance commit. Returns the last new index, or
  // nullopt on mismatch. With a planted bug only, a conflict below commit may happen: the
  // entries are then refused, nullopt returned and *refused set.
  std::optional<uint64_t> maybe_append(uint64_t prev_index, uint64_t prev_term,
                                       uint64_t leader_commit,
                                       const std::vector<wire::Entry>& entries,
                                       bool tolerate_committed_conflict, bool* refused);
  // A hint for a rejected AppendEntries: the last index <= index whose term <= term.
  uint64_t find_conflict_by_term(uint64_t index, uint64_t term) const;

  // REQUIRES: index <= last_index(). Never moves commit backwards.
  void commit_to(uint64_t index);
  void applied_to(uint64_t index);
  // Marks entries up to `index` synced, if the entry there still has `term`.
  void stable_to(uint64_t index, uint64_t term);
  std::vector<wire::Entry> unstable_entries() const;
  // Committed entries not yet applied, starting at applied() + 1, at most max_count.
  std::vector<wire::Entry> next_committed(uint64_t max_count) const;

  // Drops entries up to `index` (a local snapshot). REQUIRES: index <= applied().
  void compact(uint64_t index);
  // Replaces everything with a snapshot from the leader (commit = applied = index).
  void restore(uint64_t index, uint64_t term);

  void check_invariants(uint64_t current_term) const;

 private:
  uint64_t find_conflict(const std::vector<wire::Entry>& entries) const;

  uint64_t snapshot_index_ = 0;
  uint64_t snapshot_term_ = 0;
  std::deque<wire::Entry> entries_;
  uint64_t commit_ = 0;
  uint64_t applied_ = 0;
  uint64_t stable_index_ = 0;
};

}  // namespace cairn::raft
