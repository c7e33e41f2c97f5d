// Property: any sequence of put, get, range read, remove, streaming put then abort, crash
// and crash part-way through a put agrees with a simple in-memory model (a set of the
// blobs present). Runs with the pinned seed of core/cas/CMakeLists.txt.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <tuple>

#include "absl/strings/match.h"
#include "core/cas/blob_format.h"
#include "core/cas/shard_store.h"
#include "core/cas/shard_store_testing.h"

namespace cairn::cas {
namespace {

using testing::bytes_of;
using testing::digest_of;
using testing::StoreHarness;

enum Kind { kPut, kGet, kRange, kRemove, kStreamAbort, kCrash, kCrashMidPut, kKinds };
using Op = std::tuple<int, int, uint32_t, uint32_t>;  // kind, blob, a, b

const std::vector<std::string>& pool() {
  static const std::vector<std::string> blobs = {bytes_of(0, 1),
                                                 bytes_of(1, 2),
                                                 bytes_of(100, 3),
                                                 bytes_of(kBlockBytes, 4),
                                                 bytes_of(kBlockBytes + 1, 5),
                                                 bytes_of(2 * kBlockBytes + 9, 6)};
  return blobs;
}

class ModelRun {
 public:
  ModelRun() : h_(options(), /*seed=*/7) { RC_ASSERT(h_.open().ok()); }

  void step(const Op& op) {
    const auto [kind, blob, a, b] = op;
    const std::string& bytes = pool()[blob];
    const Digest d = digest_of(bytes);
    switch (kind) {
      case kPut: {
        auto r = h_.put(bytes);
        RC_ASSERT(r.ok());
        RC_ASSERT(r->deduplicated == present_[blob]);
        present_[blob] = true;
        break;
      }
      case kGet: {
        auto r = h_.get(d);
        if (present_[blob]) {
          RC_ASSERT(r.ok());
          RC_ASSERT(*r == bytes);
        } else {
          RC_ASSERT(absl::IsNotFound(r.status()));
        }
        break;
      }
      case kRange: {
        const uint64_t off = a % (bytes.size() + 2), len = b % (bytes.size() + 2);
        auto r = h_.range(d, off, len);
        if (!present_[blob]) {
          RC_ASSERT(absl::IsNotFound(r.status()));
        } else if (off + len > bytes.size()) {
          RC_ASSERT(absl::IsOutOfRange(r.status()));
        } else {
          RC_ASSERT(r.ok());
          RC_ASSERT(*r == bytes.substr(off, len));
        }
        break;
      }
      case kRemove: {
        absl::Status s = h_.remove(d);
        const bool expected = present_[blob] ? s.ok() : absl::IsNotFound(s);
        RC_ASSERT(expected);
        present_[blob] = false;
        break;
      }
      case kStreamAbort: {
        auto id = h_.store().begin_put(d);
        RC_ASSERT(id.ok());
        const uint64_t n = std::min<uint64_t>(a % (bytes.size() + 1), options().max_piece_bytes);
        RC_ASSERT(h_.append(*id, bytes.substr(0, n)).ok());
        RC_ASSERT(h_.abort(*id).ok());
        break;
      }
      case kCrash: {
        auto rep = h_.crash_and_open();
        RC_ASSERT(rep.ok());
        RC_ASSERT(rep->blobs == count());
        break;
      }
      case kCrashMidPut:
        crash_mid_put(blob, a % 12);
        break;
    }
    check();
  }

 private:
  static ShardStoreOptions options() {
    ShardStoreOptions o;
    o.max_piece_bytes = 50000;  // puts of the larger blobs take several appends
    return o;
  }

  // A put cut short by a crash `steps` disk operations in: afterwards the blob is
  // present (with its exact bytes) or absent, and present if the put was acknowledged.
  void crash_mid_put(int blob, uint32_t steps) {
    const std::string& bytes = pool()[blob];
    if (present_[blob]) return;  // a dedup put touches nothing
    bool acked = false;
    h_.rt().set_disk_latency(std::chrono::milliseconds(1));
    h_.store().put(digest_of(bytes), Payload(bytes),
                   [&](absl::StatusOr<PutResult> r) { acked = r.ok(); });
    h_.cluster().advance(std::chrono::milliseconds(steps));
    h_.rt().set_disk_latency(Duration(0));
    RC_ASSERT(h_.crash_and_open().ok());
    auto r = h_.get(digest_of(bytes));
    RC_ASSERT(r.ok() || absl::IsNotFound(r.status()));
    if (r.ok()) RC_ASSERT(*r == bytes);
    if (acked) RC_ASSERT(r.ok());
    present_[blob] = r.ok();
  }

  uint64_t count() const {
    uint64_t n = 0;
    for (const auto& [blob, here] : present_) n += here;
    return n;
  }

  void check() {
    h_.store().check_invariants();
    const StoreStats s = h_.store().stats();
    RC_ASSERT(s.blobs == count());
    RC_ASSERT(s.reserved_bytes == 0u);
    uint64_t used = 0;
    for (const auto& [blob, here] : present_) {
      if (here) used += file_bytes_for(pool()[blob].size());
    }
    RC_ASSERT(s.used_bytes == used);
    for (const auto& name : h_.files()) RC_ASSERT(!absl::StartsWith(name, "cas/tmp/"));
  }

  StoreHarness h_;
  std::map<int, bool> present_;
};

RC_GTEST_PROP(ShardStoreProperty, AgreesWithAnInMemoryModelThroughCrashes, ()) {
  const int blobs = static_cast<int>(pool().size());
  const auto ops = *rc::gen::container<std::vector<Op>>(
      rc::gen::tuple(rc::gen::inRange(0, static_cast<int>(kKinds)), rc::gen::inRange(0, blobs),
                     rc::gen::arbitrary<uint32_t>(), rc::gen::arbitrary<uint32_t>()));
  ModelRun run;
  for (const Op& op : ops) run.step(op);
}

}  // namespace
}  // namespace cairn::cas
