// A node's pending timers in the simulator: due time order, ties broken by the order they
// were set (their ids), so a node's timers fire in the same order on every run.
//
// A binary heap of (due, id) with lazy cancellation: cancel() forgets the callback and the
// heap entry is skipped when it comes up. A node that re-arms a deadline on every message
// (the failure detector does) thus costs a heap push and a hash erase instead of two
// balanced-tree updates. Stale entries stay until their due time passes.
#pragma once

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/runtime/runtime.h"

namespace cairn::sim {

class TimerQueue {
 public:
  using Callback = Runtime::Callback;

  TimerId add(Time due, Callback fn) {
    const TimerId id = next_id_++;
    heap_.push_back(Entry{due, id});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
    live_.emplace(id, std::move(fn));
    return id;
  }
  // Unknown, fired or cancelled ids are ignored.
  void cancel(TimerId id) { live_.erase(id); }

  // The earliest live timer's due time, if any.
  std::optional<Time> next() {
    drop_cancelled();
    if (heap_.empty()) return std::nullopt;
    return heap_.front().due;
  }
  // Removes and returns the earliest live timer's callback if it is due at `now`.
  std::optional<Callback> pop_due(Time now) {
    drop_cancelled();
    if (heap_.empty() || heap_.front().due > now) return std::nullopt;
    const TimerId id = heap_.front().id;
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    heap_.pop_back();
    auto it = live_.find(id);
    Callback fn = std::move(it->second);
    live_.erase(it);
    return fn;
  }
  void clear() {
    heap_.clear();
    live_.clear();
  }
  size_t size() const { return live_.size(); }

 private:
  struct Entry {
    Time due;
    TimerId id;
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.due != b.due ? a.due > b.due : a.id > b.id;
    }
  };
  void drop_cancelled() {
    while (!heap_.empty() && !live_.contains(heap_.front().id)) {
      std::pop_heap(heap_.begin(), heap_.end(), Later{});
      heap_.pop_back();
    }
  }

  std::vector<Entry> heap_;
  absl::flat_hash_map<TimerId, Callback> live_;
  TimerId next_id_ = 1;
};

}  // namespace cairn::sim
