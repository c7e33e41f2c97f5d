#include "core/check/raft_safety.h"

#include "absl/strings/str_cat.h"

namespace cairn::check {

namespace {
constexpr size_t kMaxViolations = 32;
}

uint64_t fnv1a64(std::string_view bytes, uint64_t seed) {
  uint64_t h = seed;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

void RaftSafetyChecker::violation(std::string text) {
  if (violations_.size() < kMaxViolations) violations_.push_back(std::move(text));
}

void RaftSafetyChecker::on_leader(uint64_t node, uint64_t term, uint64_t snapshot_index,
                                  std::vector<LogRecord> log) {
  auto [it, inserted] = leaders_.try_emplace(term);
  if (!inserted) {
    if (it->second.node != node) {
      violation(absl::StrCat("election safety: nodes ", it->second.node, " and ", node,
                             " both leaders of term ", term));
    }
    return;
  }
  it->second.node = node;
  it->second.term = term;
  it->second.snapshot_index = snapshot_index;
  for (const LogRecord& r : log) it->second.log[r.index] = r;
  for (const auto& [index, c] : committed_) {
    if (!check_completeness(it->second, c)) break;
  }
}

bool RaftSafetyChecker::check_completeness(const Leader& leader, const LogRecord& c) {
  if (c.commit_term >= leader.term || c.index <= leader.snapshot_index) return true;
  auto it = leader.log.find(c.index);
  if (it != leader.log.end() && it->second.term == c.term && it->second.digest == c.digest) {
    return true;
  }
  violation(absl::StrCat("leader completeness: leader ", leader.node, " of term ", leader.term,
                         " lacks entry (", c.index, ", ", c.term, ") committed by term ",
                         c.commit_term));
  return false;
}

void RaftSafetyChecker::on_append(uint64_t node, uint64_t index, uint64_t term, uint64_t prev_term,
                                  uint64_t digest) {
  auto [it, inserted] = entries_.try_emplace({index, term}, digest, prev_term);
  if (inserted) return;
  if (it->second.first != digest) {
    violation(absl::StrCat("log matching: node ", node, " wrote a different entry at index ", index,
                           " term ", term));
  } else if (it->second.second != prev_term) {
    violation(absl::StrCat("log matching: node ", node, " has entry (", index, ", ", term,
                           ") after term ", prev_term, ", another node after term ",
                           it->second.second));
  }
}

void RaftSafetyChecker::on_commit(uint64_t node, uint64_t index, uint64_t term, uint64_t digest,
                                  uint64_t node_term) {
  auto [it, inserted] = committed_.try_emplace(index, LogRecord{index, term, digest, node_term});
  if (!inserted && (it->second.term != term || it->second.digest != digest)) {
    violation(absl::StrCat("state machine safety: node ", node, " committed (", index, ", ", term,
                           ") but (", index, ", ", it->second.term, ") was committed before"));
    return;
  }
  if (!inserted && node_term >= it->second.commit_term) return;
  // A tighter bound on the commit term: leaders of later terms must hold the entry.
  it->second.commit_term = node_term;
  for (auto l = leaders_.upper_bound(node_term); l != leaders_.end(); ++l) {
    if (!check_completeness(l->second, it->second)) break;
  }
}

void RaftSafetyChecker::on_apply(uint64_t node, uint64_t index, uint64_t digest) {
  auto [last, fresh] = last_applied_.try_emplace(node, 0);
  if (!fresh && last->second != 0 && index != last->second + 1) {
    violation(
        absl::StrCat("apply order: node ", node, " applied ", index, " after ", last->second));
  }
  last->second = index;
  auto [it, inserted] = applied_.try_emplace(index, digest);
  if (!inserted && it->second != digest) {
    violation(absl::StrCat("state machine safety: node ", node,
                           " applied a different command at index ", index));
  }
}

void RaftSafetyChecker::on_restart(uint64_t node) { last_applied_.erase(node); }

void RaftSafetyChecker::on_restore(uint64_t node, uint64_t index) { last_applied_[node] = index; }

}  // namespace cairn::check
