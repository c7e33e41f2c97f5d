#include "core/gc/collector.h"

#include <deque>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace cairn::gc {

struct Collector::Sweep {
  std::vector<NodeId> nodes;
  size_t at = 0;  // the node being listed
  std::optional<cas::Digest> cursor;
  bool more = false;     // the node has shards after the cursor
  bool listing = false;  // a list call is out
  storage::CallId list_call = 0;
  Time next_delete_at{};     // the rate's earliest start of the next delete
  TimerId paced = kNoTimer;  // a pump() waiting for the rate
  std::deque<std::pair<NodeId, cas::Digest>> doomed;  // judged unreferenced, not yet asked
  std::set<storage::CallId> deletes;                  // out
  SweepReport report;
  Done done;
};

Collector::Collector(Runtime& rt, storage::ShardClient& shards, CollectorOptions options,
                     Referenced referenced)
    : rt_(rt), shards_(shards), options_(options), referenced_(std::move(referenced)) {
  CAIRN_ASSERT(options_.page > 0 && options_.max_deletes_in_flight > 0);
  CAIRN_ASSERT(options_.deletes_per_second >= 0);
  CAIRN_ASSERT(referenced_ != nullptr);
}

Collector::~Collector() { stop(); }

void Collector::sweep(std::vector<NodeId> nodes, Done done) {
  CAIRN_ASSERT(!running() && done != nullptr);
  sweep_ = std::make_shared<Sweep>();
  sweep_->nodes = std::move(nodes);
  sweep_->done = std::move(done);
  rt_.log().info(absl::StrCat("gc: sweep of ", sweep_->nodes.size(), " storage nodes begins"));
  // Starts on a later turn, so that `done` never runs inside this call.
  std::weak_ptr<Sweep> s = sweep_;
  rt_.after(Duration(0), [this, s] {
    if (current(s, this)) next_node();
  });
}

void Collector::stop() {
  if (sweep_ == nullptr) return;
  if (sweep_->listing) shards_.cancel(sweep_->list_call);
  for (storage::CallId id : sweep_->deletes) shards_.cancel(id);
  rt_.cancel(sweep_->paced);
  sweep_.reset();
}

void Collector::abandon() {
  if (sweep_ == nullptr) return;
  rt_.cancel(sweep_->paced);
  sweep_.reset();
}

// Whether `s` is the running sweep. Tests the weak pointer before touching any member, so
// that a callback arriving after the collector is gone (abandon()) does nothing.
bool Collector::current(const std::weak_ptr<Sweep>& s, const Collector* self) {
  std::shared_ptr<Sweep> held = s.lock();
  return held != nullptr && held == self->sweep_;
}

void Collector::next_node() {
  Sweep& s = *sweep_;
  if (s.at == s.nodes.size()) return maybe_finish();
  s.cursor.reset();
  s.more = true;
  list_page();
}

void Collector::list_page() {
  Sweep& s = *sweep_;
  s.listing = true;
  std::weak_ptr<Sweep> alive = sweep_;
  s.list_call = shards_.list(s.nodes[s.at], s.cursor, options_.page,
                             [this, alive](absl::StatusOr<storage::ShardList> page) {
                               if (!current(alive, this)) return;
                               on_page(std::move(page));
                             });
}

void Collector::on_page(absl::StatusOr<storage::ShardList> page) {
  Sweep& s = *sweep_;
  s.listing = false;
  const NodeId node = s.nodes[s.at];
  if (!page.ok()) {
    rt_.log().warn(absl::StrCat("gc: n", node, " did not list its shards (",
                                page.status().ToString(), "); not swept this time"));
    s.report.unreachable.push_back(node);
    s.more = false;
    return pump();
  }
  for (const cas::Digest& d : page->digests) {
    ++s.report.listed;
    s.report.listed_bytes += d.size_bytes();
    if (referenced_(node, d)) {
      ++s.report.referenced;
    } else {
      s.doomed.emplace_back(node, d);
    }
  }
  // A page that ends without moving the cursor would list the same shards again.
  const bool moved = !page->digests.empty() && (!s.cursor || page->digests.back() > *s.cursor);
  if (moved) s.cursor = page->digests.back();
  s.more = page->more && moved;
  pump();
}

// Issues deletes up to the bound; when a page's deletes are all issued, lists the next
// page (or node), so that at most one page of judged shards is held at a time.
void Collector::pump() {
  Sweep& s = *sweep_;
  while (!s.doomed.empty() &&
         s.deletes.size() < static_cast<size_t>(options_.max_deletes_in_flight) &&
         may_delete_now()) {
    auto [node, digest] = s.doomed.front();
    s.doomed.pop_front();
    auto call = std::make_shared<storage::CallId>(0);
    std::weak_ptr<Sweep> alive = sweep_;
    *call = shards_.remove_if_idle(node, digest, options_.grace,
                                   [this, alive, call, node, digest](absl::Status st) {
                                     if (!current(alive, this)) return;
                                     on_deleted(*call, node, digest, st);
                                   });
    s.deletes.insert(*call);
  }
  if (!s.doomed.empty() || s.listing || s.at == s.nodes.size()) return maybe_finish();
  if (s.more) return list_page();
  ++s.at;
  next_node();
}

bool Collector::may_delete_now() {
  Sweep& s = *sweep_;
  if (options_.deletes_per_second <= 0) return true;
  if (s.paced != kNoTimer) return false;  // a pump is already waiting for the rate
  const Time now = rt_.now();
  if (now >= s.next_delete_at) {
    s.next_delete_at = now + from_seconds(1.0 / options_.deletes_per_second);
    return true;
  }
  std::weak_ptr<Sweep> alive = sweep_;
  s.paced = rt_.after(s.next_delete_at - now, [this, alive] {
    if (!current(alive, this)) return;
    sweep_->paced = kNoTimer;
    pump();
  });
  return false;
}

void Collector::on_deleted(storage::CallId call, NodeId node, const cas::Digest& digest,
                           const absl::Status& st) {
  Sweep& s = *sweep_;
  s.deletes.erase(call);
  if (st.ok()) {
    ++s.report.deleted;
    s.report.deleted_bytes += digest.size_bytes();
    // Counted as they happen, so that a sweep stopped half-way still shows its deletes.
    rt_.metrics().counter("gc_shards_deleted").add();
    rt_.metrics().counter("gc_bytes_deleted").add(static_cast<int64_t>(digest.size_bytes()));
  } else if (absl::IsFailedPrecondition(st)) {
    ++s.report.in_grace;
  } else if (!absl::IsNotFound(st)) {
    ++s.report.delete_errors;
    rt_.log().warn(
        absl::StrCat("gc: delete of ", digest.format(), " on n", node, " failed: ", st.ToString()));
  }
  pump();
}

void Collector::maybe_finish() {
  Sweep& s = *sweep_;
  if (s.at < s.nodes.size() || s.listing || !s.doomed.empty() || !s.deletes.empty()) return;
  CAIRN_ASSERT(s.paced == kNoTimer);
  std::shared_ptr<Sweep> done = std::move(sweep_);
  const SweepReport& r = done->report;
  rt_.log().info(absl::StrCat(
      "gc: sweep done: ", r.listed, " shards listed, ", r.referenced, " referenced, ", r.deleted,
      " deleted (", r.deleted_bytes, " bytes), ", r.in_grace, " kept in their grace period, ",
      r.delete_errors, " delete errors, ", r.unreachable.size(), " nodes not listed"));
  done->done(r);
}

}  // namespace cairn::gc
