#include "core/check/linearizability.h"

#include <algorithm>
#include <limits>
#include <map>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace cairn::check {

namespace {

using State = std::optional<std::string>;

// The sequential specification of one key. Returns false if `op`'s output is impossible
// from `state`; otherwise updates `state`. A pending operation accepts any output.
bool step_model(const KvOperation& op, State& state) {
  const bool pending = !op.ret.has_value();
  switch (op.kind) {
    case KvOpKind::kGet:
      return pending || (op.ok == state.has_value() && (!op.ok || op.output == *state));
    case KvOpKind::kPut:
      state = op.value;
      return true;
    case KvOpKind::kCas: {
      const bool swap = state.has_value() && *state == op.expected;
      if (!pending && op.ok != swap) return false;
      if (swap) state = op.value;
      return true;
    }
    case KvOpKind::kDelete:
      if (!pending && op.ok != state.has_value()) return false;
      state.reset();
      return true;
    case KvOpKind::kPutIfAbsent: {
      const bool write = !state.has_value();
      if (!pending && op.ok != write) return false;
      if (write) state = op.value;
      return true;
    }
  }
  return false;
}

// A doubly linked list of call/return events that supports removing an operation and
// putting it back in LIFO order (dancing links).
struct Event {
  bool is_call = false;
  size_t op = 0;
  size_t match = 0;  // the other event of the same operation
  size_t prev = 0;
  size_t next = 0;
};

class Search {
 public:
  Search(const std::vector<const KvOperation*>& ops, uint64_t budget) : ops_(ops), budget_(budget) {
    build();
  }

  LinVerdict run(uint64_t& steps);

 private:
  void build();
  void lift(size_t call);
  void unlift(size_t call);

  const std::vector<const KvOperation*>& ops_;
  uint64_t budget_;
  std::vector<Event> events_;  // index 0 is the list head sentinel
};

void Search::build() {
  struct Item {
    uint64_t time;
    bool is_call;
    size_t op;
  };
  std::vector<Item> items;
  constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();
  for (size_t i = 0; i < ops_.size(); ++i) {
    items.push_back({ops_[i]->call, true, i});
    items.push_back({ops_[i]->ret.value_or(kNever), false, i});
  }
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return a.time != b.time ? a.time < b.time : a.is_call && !b.is_call;
  });
  events_.assign(items.size() + 1, Event{});
  std::vector<size_t> call_of(ops_.size()), ret_of(ops_.size());
  for (size_t k = 0; k < items.size(); ++k) {
    Event& e = events_[k + 1];
    e.is_call = items[k].is_call;
    e.op = items[k].op;
    e.prev = k;
    e.next = k + 2 <= items.size() ? k + 2 : 0;
    (e.is_call ? call_of : ret_of)[e.op] = k + 1;
  }
  events_[0].next = items.empty() ? 0 : 1;
  for (size_t i = 0; i < ops_.size(); ++i) {
    events_[call_of[i]].match = ret_of[i];
    events_[ret_of[i]].match = call_of[i];
  }
}

void Search::lift(size_t call) {
  for (size_t e : {call, events_[call].match}) {
    events_[events_[e].prev].next = events_[e].next;
    if (events_[e].next != 0) events_[events_[e].next].prev = events_[e].prev;
  }
}

void Search::unlift(size_t call) {
  for (size_t e : {events_[call].match, call}) {
    events_[events_[e].prev].next = e;
    if (events_[e].next != 0) events_[events_[e].next].prev = e;
  }
}

LinVerdict Search::run(uint64_t& steps) {
  std::vector<uint64_t> placed((ops_.size() + 63) / 64, 0);
  absl::flat_hash_set<std::pair<std::vector<uint64_t>, State>> seen;
  std::vector<std::pair<size_t, State>> stack;  // (call event, state before it)
  State state;
  size_t e = events_[0].next;
  while (events_[0].next != 0) {
    if (++steps > budget_) return LinVerdict::kUnknown;
    if (e == 0) return LinVerdict::kNotLinearizable;  // cannot happen: a return ends the list
    const Event& ev = events_[e];
    if (ev.is_call) {
      State next = state;
      if (step_model(*ops_[ev.op], next)) {
        placed[ev.op / 64] |= uint64_t{1} << (ev.op % 64);
        if (seen.insert({placed, next}).second) {
          stack.emplace_back(e, std::move(state));
          state = std::move(next);
          lift(e);
          e = events_[0].next;
          continue;
        }
        placed[ev.op / 64] &= ~(uint64_t{1} << (ev.op % 64));
      }
      e = ev.next;
      continue;
    }
    // A return whose operation is not placed yet: an earlier guess was wrong.
    if (stack.empty()) return LinVerdict::kNotLinearizable;
    auto [call, before] = std::move(stack.back());
    stack.pop_back();
    state = std::move(before);
    placed[events_[call].op / 64] &= ~(uint64_t{1} << (events_[call].op % 64));
    unlift(call);
    e = events_[call].next;
  }
  return LinVerdict::kLinearizable;
}

std::string explain(const std::vector<const KvOperation*>& ops) {
  std::string out;
  size_t shown = 0;
  for (const KvOperation* op : ops) {
    if (++shown > 40) {
      absl::StrAppend(&out, "  ... ", ops.size() - 40, " more\n");
      break;
    }
    absl::StrAppend(&out, "  ", describe(*op), "\n");
  }
  return out;
}

// Shrinks one key's failing history (see the header). Works on positions into `ops`.
class Shrinker {
 public:
  Shrinker(const std::vector<const KvOperation*>& ops, uint64_t budget)
      : ops_(ops), budget_(budget) {
    for (size_t i = 0; i < ops_.size(); ++i) {
      if (writes_value(*ops_[i])) writer_[ops_[i]->value] = i;
    }
  }

  std::vector<size_t> run(uint64_t& steps);

 private:
  static bool writes_value(const KvOperation& op) {
    return op.kind == KvOpKind::kPut || op.kind == KvOpKind::kCas ||
           op.kind == KvOpKind::kPutIfAbsent;
  }
  // The value `op` needs someone to have written, if any.
  const std::string* needs(const KvOperation& op) const {
    if (!op.ret || !op.ok) return nullptr;
    if (op.kind == KvOpKind::kGet) return &op.output;
    if (op.kind == KvOpKind::kCas) return &op.expected;
    return nullptr;
  }
  // `set` plus the writers its operations need, transitively; sorted.
  std::vector<size_t> closure(std::vector<size_t> set) const;
  bool closed(const std::vector<size_t>& set) const { return closure(set).size() == set.size(); }
  bool fails(const std::vector<size_t>& set, uint64_t& steps) const;

  const std::vector<const KvOperation*>& ops_;
  uint64_t budget_;
  std::map<std::string, size_t> writer_;  // value -> position of the op writing it
};

std::vector<size_t> Shrinker::closure(std::vector<size_t> set) const {
  std::vector<bool> in(ops_.size(), false);
  for (size_t i : set) in[i] = true;
  for (size_t k = 0; k < set.size(); ++k) {
    const std::string* v = needs(*ops_[set[k]]);
    if (v == nullptr) continue;
    auto it = writer_.find(*v);
    if (it == writer_.end() || in[it->second]) continue;
    in[it->second] = true;
    set.push_back(it->second);
  }
  std::sort(set.begin(), set.end());
  return set;
}

bool Shrinker::fails(const std::vector<size_t>& set, uint64_t& steps) const {
  std::vector<const KvOperation*> sub;
  for (size_t i : set) sub.push_back(ops_[i]);
  Search search(sub, budget_);
  return search.run(steps) == LinVerdict::kNotLinearizable;
}

std::vector<size_t> Shrinker::run(uint64_t& steps) {
  // Positions in invocation order, so that a prefix is "everything invoked before".
  std::vector<size_t> by_call(ops_.size());
  for (size_t i = 0; i < by_call.size(); ++i) by_call[i] = i;
  std::stable_sort(by_call.begin(), by_call.end(),
                   [&](size_t a, size_t b) { return ops_[a]->call < ops_[b]->call; });
  auto prefix = [&](size_t n) {
    return closure(std::vector<size_t>(by_call.begin(), by_call.begin() + static_cast<long>(n)));
  };
  size_t lo = 0, hi = ops_.size();  // prefix(hi) fails (the whole key does)
  while (hi - lo > 1) {
    const size_t mid = lo + (hi - lo) / 2;
    (fails(prefix(mid), steps) ? hi : lo) = mid;
  }
  std::vector<size_t> set = prefix(hi);
  CAIRN_ASSERT(!set.empty());
  // Remove chunks, halving their size down to single operations, later ones first; then
  // single operations again until a whole pass removes none (1-minimal). Every pass after
  // the first single one removed an operation, so there are at most set.size() of them.
  auto pass = [&](size_t chunk) {
    size_t removed = 0;
    for (size_t end = set.size(); end > 0 && set.size() > 1;) {
      const size_t begin = end > chunk ? end - chunk : 0;
      std::vector<size_t> rest(set.begin(), set.begin() + static_cast<long>(begin));
      rest.insert(rest.end(), set.begin() + static_cast<long>(end), set.end());
      if (!rest.empty() && closed(rest) && fails(rest, steps)) {
        set = std::move(rest);
        removed += end - begin;
      }
      end = std::min(begin, set.size());
    }
    return removed;
  };
  for (size_t chunk = set.size() / 2; chunk > 1; chunk /= 2) pass(chunk);
  while (pass(1) > 0) {
  }
  CAIRN_ASSERT(closed(set));
  return set;
}

}  // namespace

const char* verdict_name(LinVerdict v) {
  switch (v) {
    case LinVerdict::kLinearizable:
      return "linearizable";
    case LinVerdict::kNotLinearizable:
      return "NOT linearizable";
    case LinVerdict::kUnknown:
      return "unknown (search budget exhausted)";
  }
  return "?";
}

std::string describe(const KvOperation& op) {
  static constexpr const char* kNames[] = {"get", "put", "cas", "delete", "put_if_absent"};
  std::string s =
      absl::StrCat("[", op.call, ", ", op.ret ? absl::StrCat(*op.ret) : std::string("pending"),
                   "] client ", op.client, " ", kNames[static_cast<int>(op.kind)], "(", op.key);
  if (op.kind == KvOpKind::kCas) absl::StrAppend(&s, ", ", op.expected);
  if (op.kind == KvOpKind::kPut || op.kind == KvOpKind::kCas || op.kind == KvOpKind::kPutIfAbsent) {
    absl::StrAppend(&s, ", ", op.value);
  }
  absl::StrAppend(&s, ")");
  if (op.ret) {
    absl::StrAppend(&s, " -> ", op.ok ? "ok" : "fail");
    if (op.kind == KvOpKind::kGet && op.ok) absl::StrAppend(&s, " ", op.output);
  }
  return s;
}

LinearizabilityResult check_kv_linearizable(const std::vector<KvOperation>& history,
                                            uint64_t max_steps_per_key) {
  std::map<std::string, std::vector<const KvOperation*>> by_key;
  for (const KvOperation& op : history) {
    CAIRN_ASSERT(!op.ret || op.call < *op.ret);
    by_key[op.key].push_back(&op);
  }
  LinearizabilityResult result;
  for (const auto& [key, ops] : by_key) {
    uint64_t steps = 0;
    Search search(ops, max_steps_per_key);
    const LinVerdict v = search.run(steps);
    result.steps += steps;
    if (v == LinVerdict::kLinearizable) continue;
    if (result.verdict == LinVerdict::kNotLinearizable) continue;  // keep the first violation
    result.verdict = v;
    result.key = key;
    result.key_operations = ops.size();
    if (v == LinVerdict::kUnknown) {
      result.explanation = explain(ops);
      continue;
    }
    std::vector<const KvOperation*> shortest;
    for (size_t i : Shrinker(ops, max_steps_per_key).run(result.steps)) {
      shortest.push_back(ops[i]);
      result.counterexample.push_back(static_cast<size_t>(ops[i] - history.data()));
    }
    result.explanation = explain(shortest);
  }
  return result;
}

}  // namespace cairn::check
