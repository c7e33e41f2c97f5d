#include "runtime-real/host/disk_scheduler.h"

#include <algorithm>
#include <utility>

#include "core/base/assert.h"

namespace cairn::real {

struct DiskScheduler::Op {
  OpId id = 0;
  Kind kind = Kind::kFree;
  std::vector<std::string> names;
  Start start;
  int blockers = 0;             // unfinished earlier ops it waits for
  std::vector<Op*> dependents;  // later ops waiting for it (one entry per wait)
};

DiskScheduler::DiskScheduler(size_t limit) : limit_(limit) { CAIRN_ASSERT(limit >= 1); }

DiskScheduler::~DiskScheduler() = default;

void DiskScheduler::after(Op* op, Op* before) {
  if (before == nullptr || before == op) return;
  ++op->blockers;
  before->dependents.push_back(op);
}

DiskScheduler::OpId DiskScheduler::issue(Kind kind, std::vector<std::string> names, Start start) {
  const bool named = kind == Kind::kRead || kind == Kind::kChange;
  CAIRN_ASSERT(named == !names.empty());
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());  // rename(a, a)
  auto owned = std::make_unique<Op>();
  Op* op = owned.get();
  op->id = next_id_++;
  op->kind = kind;
  op->names = std::move(names);
  op->start = std::move(start);
  switch (kind) {
    case Kind::kRead:
      for (const std::string& name : op->names) {
        NameState& s = names_[name];
        after(op, s.last_change);
        s.reads.push_back(op);
      }
      break;
    case Kind::kChange:
      for (const std::string& name : op->names) {
        NameState& s = names_[name];
        after(op, s.last_change);
        for (Op* r : s.reads) after(op, r);
        s.last_change = op;
        s.reads.clear();
      }
      for (Op* l : read_alls_) after(op, l);
      changes_.insert(op);
      break;
    case Kind::kReadAll:
      for (Op* c : changes_) after(op, c);
      read_alls_.insert(op);
      break;
    case Kind::kSyncDir:
      for (Op* c : changes_) after(op, c);
      break;
    case Kind::kFree:
      break;
  }
  ops_.emplace(op->id, std::move(owned));
  if (op->blockers == 0) ready_.emplace(op->id, op);
  const OpId id = op->id;
  start_ready();
  return id;
}

void DiskScheduler::finish(OpId id) {
  auto it = ops_.find(id);
  CAIRN_ASSERT(it != ops_.end());
  Op* op = it->second.get();
  CAIRN_ASSERT(op->blockers == 0 && !ready_.contains(id) && running_ > 0);
  --running_;
  for (const std::string& name : op->names) {
    auto s = names_.find(name);
    CAIRN_ASSERT(s != names_.end());
    if (s->second.last_change == op) s->second.last_change = nullptr;
    std::erase(s->second.reads, op);
    if (s->second.last_change == nullptr && s->second.reads.empty()) names_.erase(s);
  }
  changes_.erase(op);
  read_alls_.erase(op);
  for (Op* d : op->dependents) {
    CAIRN_ASSERT(d->blockers > 0);
    if (--d->blockers == 0) ready_.emplace(d->id, d);
  }
  ops_.erase(it);
  start_ready();
}

void DiskScheduler::start_ready() {
  while (running_ < limit_ && !ready_.empty()) {
    Op* op = ready_.begin()->second;
    ready_.erase(ready_.begin());
    ++running_;
    max_running_ = std::max(max_running_, running_);
    Start start = std::move(op->start);
    start(op->id);  // may issue more operations, never finish one
  }
}

}  // namespace cairn::real
