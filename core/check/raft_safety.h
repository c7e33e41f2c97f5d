// Raft's safety properties checked over a recorded run (core/check), fed by a recorder
// API that any driver can call: the in-memory cluster harness, the simulator, a test.
//
// Properties (Raft paper, Figure 3): Election Safety (at most one leader per term), Log
// Matching (entries with the same index and term are identical, and so are their
// predecessors), Leader Completeness (a leader holds every entry committed in an earlier
// term), State Machine Safety (no two nodes apply different commands at one index).
// Entries are identified by a digest of their type and payload, so the checker stays
// independent of the command format. Violations are reported, never asserted.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::check {

// 64-bit FNV-1a: a stable digest for entries (not cryptographic).
uint64_t fnv1a64(std::string_view bytes, uint64_t seed = 0xcbf29ce484222325ULL);

struct LogRecord {
  uint64_t index = 0;
  uint64_t term = 0;
  uint64_t digest = 0;
  // Committed entries only: the term in which the entry became committed, or an upper
  // bound on it (the smallest term of any node when it learned the commit).
  uint64_t commit_term = 0;
};

class RaftSafetyChecker {
 public:
  // `node` became leader of `term`; `log` is its log after its snapshot at
  // `snapshot_index` (entries up to there were committed and are not listed).
  void on_leader(uint64_t node, uint64_t term, uint64_t snapshot_index, std::vector<LogRecord> log);
  // `node` wrote the entry (index, term) whose predecessor has `prev_term`.
  void on_append(uint64_t node, uint64_t index, uint64_t term, uint64_t prev_term, uint64_t digest);
  // `node`, whose current term is `node_term`, learned that the entry at `index` is
  // committed. Leader Completeness is checked against leaders of terms > node_term only:
  // an entry of an old term may be committed in a later one (§5.4.2).
  void on_commit(uint64_t node, uint64_t index, uint64_t term, uint64_t digest, uint64_t node_term);
  // `node`'s state machine applied the entry at `index`.
  void on_apply(uint64_t node, uint64_t index, uint64_t digest);
  // `node` lost its volatile state (crash) or loaded a snapshot ending at `index`.
  void on_restart(uint64_t node);
  void on_restore(uint64_t node, uint64_t index);

  // Every violation found so far (at most 32). Each property is checked as soon as the
  // events that could break it arrive, so a run can stop at the first violation.
  const std::vector<std::string>& violations() const { return violations_; }
  bool ok() const { return violations_.empty(); }

 private:
  struct Leader {
    uint64_t node = 0;
    uint64_t term = 0;
    uint64_t snapshot_index = 0;
    std::map<uint64_t, LogRecord> log;
  };
  void violation(std::string text);
  // Leader Completeness for one leader and one committed entry; false on a violation.
  bool check_completeness(const Leader& leader, const LogRecord& committed);

  std::map<uint64_t, Leader> leaders_;  // by term
  std::map<std::pair<uint64_t, uint64_t>, std::pair<uint64_t, uint64_t>>
      entries_;                                // (index, term) -> (digest, prev term)
  std::map<uint64_t, LogRecord> committed_;    // by index
  std::map<uint64_t, uint64_t> applied_;       // index -> digest
  std::map<uint64_t, uint64_t> last_applied_;  // node -> index
  std::vector<std::string> violations_;
};

}  // namespace cairn::check
