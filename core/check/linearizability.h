// Linearizability checker for client histories of a key-value store (core/check).
//
// Wing & Gong's search with Lowe's memoization (as in Porcupine): operations are placed
// one at a time in an order consistent with real time, backtracking on a wrong guess, and
// a (set of placed operations, state) pair already explored is never explored again. The
// history is partitioned by key (linearizability is compositional), and the search is
// bounded by a step budget per key, so a hard history yields kUnknown instead of hanging —
// deterministically, since the budget counts steps, not time.
//
// A history that is not linearizable comes with its shortest counterexample found: a
// subset of the failing key's operations that still cannot be ordered, 1-minimal (taking
// away any one more of its operations makes it linearizable, or breaks the next rule), and
// closed: every value a kept get returned or a kept successful cas expected is written by
// a kept operation (values are unique per write in Cairn's workloads), so it never blames
// a read of a value it does not show being written. Shrinking first cuts the history to
// its shortest failing prefix (by invocation), then removes halves, quarters ... and
// finally single operations while the rest still fails, each attempt within the same
// per-key step budget (an attempt that runs out counts as "still linearizable").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cairn::check {

// kPutIfAbsent writes `value` only where the key has none (ok = written).
enum class KvOpKind { kGet, kPut, kCas, kDelete, kPutIfAbsent };

struct KvOperation {
  uint64_t client = 0;
  KvOpKind kind = KvOpKind::kGet;
  std::string key;
  std::string value;     // put, cas: the new value
  std::string expected;  // cas: the value it must find
  // Output, meaningful only when `ret` is set. get: ok = found, output = value; put: ok;
  // cas: ok = swapped; delete: ok = existed; put_if_absent: ok = written.
  bool ok = false;
  std::string output;
  uint64_t call = 0;            // logical times, unique across the history
  std::optional<uint64_t> ret;  // nullopt: no answer seen (may or may not have happened)
};

std::string describe(const KvOperation& op);

// (Named apart from detection.h's check::Verdict so both headers can meet in one file.)
enum class LinVerdict { kLinearizable, kNotLinearizable, kUnknown };
const char* verdict_name(LinVerdict v);

struct LinearizabilityResult {
  LinVerdict verdict = LinVerdict::kLinearizable;
  std::string key;          // the first key that is not linearizable (or unknown)
  std::string explanation;  // its shortest counterexample (or, if unknown, its operations)
  // Not linearizable: indices into the history of the shortest counterexample, by call.
  std::vector<size_t> counterexample;
  size_t key_operations = 0;  // operations of `key` in the history
  uint64_t steps = 0;         // search steps spent over all keys
};

// REQUIRES: call < *ret for every answered operation.
LinearizabilityResult check_kv_linearizable(const std::vector<KvOperation>& history,
                                            uint64_t max_steps_per_key = 2'000'000);

}  // namespace cairn::check
