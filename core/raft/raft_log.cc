#include "core/raft/raft_log.h"

#include <algorithm>

#include "core/base/assert.h"

namespace cairn::raft {

RaftLog::RaftLog(uint64_t snapshot_index, uint64_t snapshot_term, std::vector<wire::Entry> entries,
                 uint64_t commit)
    : snapshot_index_(snapshot_index), snapshot_term_(snapshot_term) {
  for (wire::Entry& e : entries) {
    CAIRN_ASSERT(e.index() == last_index() + 1);
    entries_.push_back(std::move(e));
  }
  CAIRN_ASSERT(commit <= last_index());
  commit_ = std::max(commit, snapshot_index);
  applied_ = snapshot_index;
  stable_index_ = last_index();
}

std::optional<uint64_t> RaftLog::term(uint64_t index) const {
  if (index == snapshot_index_) return snapshot_term_;
  if (index < snapshot_index_ || index > last_index()) return std::nullopt;
  return entries_[index - snapshot_index_ - 1].term();
}

bool RaftLog::match_term(uint64_t index, uint64_t t) const {
  const std::optional<uint64_t> found = term(index);
  return found && *found == t;
}

bool RaftLog::is_up_to_date(uint64_t index, uint64_t t) const {
  return t > last_term() || (t == last_term() && index >= last_index());
}

const wire::Entry& RaftLog::at(uint64_t index) const {
  CAIRN_ASSERT(index > snapshot_index_);
  CAIRN_ASSERT(index <= last_index());
  return entries_[index - snapshot_index_ - 1];
}

std::vector<wire::Entry> RaftLog::slice(uint64_t lo, uint64_t hi, uint64_t max_count,
                                        uint64_t max_bytes) const {
  CAIRN_ASSERT(lo >= first_index());
  CAIRN_ASSERT(lo <= hi && hi <= last_index() + 1);
  std::vector<wire::Entry> out;
  uint64_t bytes = 0;
  for (uint64_t i = lo; i < hi && out.size() < max_count; ++i) {
    const wire::Entry& e = at(i);
    bytes += e.data().size() + 16;
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(e);
  }
  return out;
}

uint64_t RaftLog::append(const std::vector<wire::Entry>& entries) {
  if (entries.empty()) return last_index();
  const uint64_t first = entries.front().index();
  CAIRN_ASSERT(first > snapshot_index_);
  CAIRN_ASSERT(first <= last_index() + 1);
  entries_.resize(first - snapshot_index_ - 1);
  stable_index_ = std::min(stable_index_, first - 1);
  for (const wire::Entry& e : entries) {
    CAIRN_ASSERT(e.index() == last_index() + 1);
    entries_.push_back(e);
  }
  return last_index();
}

uint64_t RaftLog::find_conflict(const std::vector<wire::Entry>& entries) const {
  for (const wire::Entry& e : entries) {
    if (!match_term(e.index(), e.term())) return e.index();
  }
  return 0;
}

std::optional<uint64_t> RaftLog::maybe_append(uint64_t prev_index, uint64_t prev_term,
                                              uint64_t leader_commit,
                                              const std::vector<wire::Entry>& entries,
                                              bool tolerate_committed_conflict, bool* refused) {
  if (!match_term(prev_index, prev_term)) return std::nullopt;
  const uint64_t last_new = prev_index + entries.size();
  const uint64_t conflict = find_conflict(entries);
  if (conflict != 0) {
    // Leader Completeness makes a conflict with a committed entry impossible; only a
    // planted test bug may reach it, and then the entry is refused instead.
    if (conflict <= commit_) {
      CAIRN_ASSERT(tolerate_committed_conflict);
      *refused = true;
      return std::nullopt;
    }
    const std::vector<wire::Entry> suffix(
        entries.begin() + static_cast<std::ptrdiff_t>(conflict - prev_index - 1), entries.end());
    append(suffix);
  }
  commit_to(std::min(leader_commit, last_new));
  return last_new;
}

uint64_t RaftLog::find_conflict_by_term(uint64_t index, uint64_t t) const {
  uint64_t i = std::min(index, last_index());
  while (i > snapshot_index_ && at(i).term() > t) --i;
  return i;
}

void RaftLog::commit_to(uint64_t index) {
  if (index <= commit_) return;
  CAIRN_ASSERT(index <= last_index());
  commit_ = index;
}

void RaftLog::applied_to(uint64_t index) {
  CAIRN_ASSERT(index <= commit_);
  applied_ = std::max(applied_, index);
}

void RaftLog::stable_to(uint64_t index, uint64_t t) {
  if (index <= stable_index_ || !match_term(index, t)) return;
  stable_index_ = index;
}

std::vector<wire::Entry> RaftLog::unstable_entries() const {
  std::vector<wire::Entry> out;
  for (uint64_t i = std::max(stable_index_, snapshot_index_) + 1; i <= last_index(); ++i) {
    out.push_back(at(i));
  }
  return out;
}

std::vector<wire::Entry> RaftLog::next_committed(uint64_t max_count) const {
  std::vector<wire::Entry> out;
  for (uint64_t i = applied_ + 1; i <= commit_ && out.size() < max_count; ++i) {
    out.push_back(at(i));
  }
  return out;
}

void RaftLog::compact(uint64_t index) {
  CAIRN_ASSERT(index > snapshot_index_);
  CAIRN_ASSERT(index <= applied_);
  CAIRN_ASSERT(index <= stable_index_);
  snapshot_term_ = *term(index);
  entries_.erase(entries_.begin(),
                 entries_.begin() + static_cast<std::ptrdiff_t>(index - snapshot_index_));
  snapshot_index_ = index;
}

void RaftLog::restore(uint64_t index, uint64_t t) {
  CAIRN_ASSERT(index > commit_);
  entries_.clear();
  snapshot_index_ = index;
  snapshot_term_ = t;
  commit_ = index;
  applied_ = index;
  stable_index_ = index;
}

void RaftLog::check_invariants(uint64_t current_term) const {
  CAIRN_ASSERT(snapshot_index_ <= applied_);
  CAIRN_ASSERT(applied_ <= commit_);
  CAIRN_ASSERT(commit_ <= last_index());
  CAIRN_ASSERT(stable_index_ >= snapshot_index_);
  CAIRN_ASSERT(stable_index_ <= last_index());
  uint64_t prev_term = snapshot_term_;
  for (uint64_t i = 0; i < entries_.size(); ++i) {
    const wire::Entry& e = entries_[i];
    CAIRN_ASSERT(e.index() == snapshot_index_ + i + 1);
    CAIRN_ASSERT(e.term() >= prev_term);
    CAIRN_ASSERT(e.term() <= current_term);
    prev_term = e.term();
  }
}

}  // namespace cairn::raft
