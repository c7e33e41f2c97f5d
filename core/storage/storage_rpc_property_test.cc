// A property of the shard protocol on the manual runtime: random shards, frame sizes,
// windows, message drops and rot at rest. Every call finishes exactly once; a put that
// returned OK reads back byte-identical; a get that returned OK returned exactly the
// shard's bytes (nothing unverified is served); once the dust settles no transfer or
// reservation is left on any node.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>

#include "core/cas/blob_format.h"
#include "core/storage/testing/storage_harness.h"

namespace cairn::storage {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::digest_of;
constexpr NodeId kClient = 100;

std::string random_bytes(Rng& rng, uint64_t n) {
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng.next());
  return out;
}

struct Shard {
  std::string bytes;
  cas::Digest digest;
  NodeId node = kNoNode;
  bool stored = false;   // its put returned OK
  bool damaged = false;  // a bit of its blob file was flipped on disk
};

RC_GTEST_PROP(StorageRpcProperty, CallsFinishOnceAndOnlyVerifiedBytesAreServed, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  const double drop = *rc::gen::element(0.0, 0.02, 0.1);
  testing::StorageCluster c(seed);
  Rng rng(seed);
  c.service_options.frame_bytes = *rc::gen::inRange<uint64_t>(1, 16 << 10);
  c.service_options.window_bytes = *rc::gen::inRange<uint64_t>(1, 40 << 10);
  c.service_options.idle_timeout = seconds(2);
  c.client_options.frame_bytes = *rc::gen::inRange<uint64_t>(1, 16 << 10);
  c.client_options.window_bytes = *rc::gen::inRange<uint64_t>(1, 40 << 10);
  c.client_options.call_timeout = seconds(1);
  for (NodeId n : {NodeId{1}, NodeId{2}, kClient}) c.up(n);
  c.cluster().filter = [&](NodeId, NodeId, const Message&) { return !rng.chance(drop); };

  std::vector<Shard> shards(*rc::gen::inRange<size_t>(1, 7));
  for (Shard& s : shards) {
    s.bytes = random_bytes(rng, *rc::gen::inRange<uint64_t>(0, 60'000));
    s.digest = digest_of(s.bytes);
    s.node = *rc::gen::element<NodeId>(1, 2);
  }
  std::map<CallId, int> finished;  // call -> times its callback ran
  size_t calls = 0;
  bool wrong_bytes = false;
  auto settle = [&] {
    RC_ASSERT(c.run_until([&] { return c.at(kClient).client->calls() == 0; }, seconds(120)));
    for (const auto& [id, times] : finished) RC_ASSERT(times == 1);
    RC_ASSERT(finished.size() == calls);
  };

  // Puts, all at once, through the lossy network (some twice: dedup or a second chance).
  for (size_t i = 0; i < shards.size(); ++i) {
    for (int twice = 0; twice < 1 + static_cast<int>(rng.below(2)); ++twice) {
      auto id = std::make_shared<CallId>();
      *id = c.at(kClient).client->put(shards[i].node, shards[i].digest, Payload(shards[i].bytes),
                                      [&, i, id](absl::StatusOr<cas::PutResult> r) {
                                        ++finished[*id];
                                        if (r.ok()) shards[i].stored = true;
                                      });
      ++calls;
    }
  }
  settle();

  // Rot at rest on one stored shard, sometimes.
  for (Shard& s : shards) {
    if (!s.stored || s.bytes.empty() || !rng.chance(0.3)) continue;
    const std::string name = cas::blob_name("cas", s.digest);
    std::string file = c.disk(s.node).read(name).value();
    file[rng.below(s.bytes.size())] ^= 0x01;
    RC_ASSERT(c.disk(s.node).write(name, file).ok());
    RC_ASSERT(c.disk(s.node).sync(name).ok());
    s.damaged = true;
    break;
  }

  // Random ranges, lossy: what comes back OK is exactly the shard's bytes.
  for (size_t i = 0; i < shards.size(); ++i) {
    const uint64_t size = shards[i].bytes.size();
    const uint64_t offset = rng.below(size + 1);
    const uint64_t length = rng.below(size - offset + 1);
    auto id = std::make_shared<CallId>();
    *id = c.at(kClient).client->get(
        shards[i].node, shards[i].digest, offset, length,
        [&, i, id, offset, length](absl::StatusOr<Payload> r) {
          ++finished[*id];
          if (r.ok())
            RC_ASSERT(r->view() == std::string_view(shards[i].bytes).substr(offset, length));
        });
    ++calls;
  }
  settle();
  RC_ASSERT(!wrong_bytes);

  // Quiet network: every transfer ends, nothing stays reserved, stored shards read back.
  c.cluster().filter = nullptr;
  c.run_for(seconds(3));
  for (NodeId n : {NodeId{1}, NodeId{2}, kClient}) {
    RC_ASSERT(c.at(n).service->transfers() == 0u);
    RC_ASSERT(c.at(n).store->stats().reserved_bytes == 0u);
    RC_ASSERT(c.disk(n).list(cas::tmp_dir("cas") + "/").empty());
  }
  // A get takes a round trip per frame, and frames may be as small as a byte: its time
  // grows with the shard (seed 15333935983166184758 found 60 s too short for 30 kB).
  const uint64_t step = std::min({c.service_options.frame_bytes, c.service_options.window_bytes,
                                  c.client_options.frame_bytes, c.client_options.window_bytes});
  for (const Shard& s : shards) {
    const Duration limit = seconds(10) + milliseconds(10) * (s.bytes.size() / step + 1);
    absl::StatusOr<std::string> got = c.get(kClient, s.node, s.digest, limit);
    if (s.damaged) {
      RC_ASSERT(!got.ok());
    } else if (s.stored) {
      if (!got.ok()) RC_FAIL("a stored shard does not read back: " + got.status().ToString());
      RC_ASSERT(*got == s.bytes);
    }
  }
}

// Slow disks, a quiet network: a node whose disk takes longer than the client's call
// timeout for every operation is waited for (working notices), never taken for dead. Every
// put succeeds and every get returns exactly the shard's bytes, with no call timed out.
RC_GTEST_PROP(StorageRpcProperty, SlowDisksAreWaitedForNotTakenForDead, ()) {
  const uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  testing::StorageCluster c(seed);
  Rng rng(seed);
  c.service_options.frame_bytes = *rc::gen::inRange<uint64_t>(4 << 10, 16 << 10);
  c.service_options.window_bytes = *rc::gen::inRange<uint64_t>(4 << 10, 40 << 10);
  c.service_options.idle_timeout = seconds(2);
  c.service_options.working_notice = milliseconds(*rc::gen::inRange<int64_t>(100, 900));
  c.client_options.frame_bytes = *rc::gen::inRange<uint64_t>(4 << 10, 16 << 10);
  c.client_options.window_bytes = *rc::gen::inRange<uint64_t>(4 << 10, 40 << 10);
  c.client_options.call_timeout = seconds(1);
  for (NodeId n : {NodeId{1}, NodeId{2}, kClient}) c.up(n);
  for (NodeId n : {NodeId{1}, NodeId{2}}) {
    c.cluster().node(n).set_disk_latency(milliseconds(*rc::gen::inRange<int64_t>(0, 3000)));
  }

  std::vector<Shard> shards(*rc::gen::inRange<size_t>(1, 4));
  for (Shard& s : shards) {
    s.bytes = random_bytes(rng, *rc::gen::inRange<uint64_t>(1, 20'000));
    s.digest = digest_of(s.bytes);
    s.node = *rc::gen::element<NodeId>(1, 2);
  }
  size_t done = 0;
  for (Shard& s : shards) {
    c.at(kClient).client->put(s.node, s.digest, Payload(s.bytes), [&](auto r) {
      ++done;
      if (!r.ok()) RC_FAIL("a put to a slow disk failed: " + r.status().ToString());
    });
  }
  RC_ASSERT(c.run_until([&] { return done == shards.size(); }, seconds(600)));
  for (Shard& s : shards) {
    const uint64_t offset = rng.below(s.bytes.size());
    const uint64_t length = rng.below(s.bytes.size() - offset) + 1;
    c.at(kClient).client->get(
        s.node, s.digest, offset, length, [&, offset, length](absl::StatusOr<Payload> r) {
          ++done;
          if (!r.ok()) RC_FAIL("a get failed: " + r.status().ToString());
          RC_ASSERT(r->view() == std::string_view(s.bytes).substr(offset, length));
        });
  }
  RC_ASSERT(c.run_until([&] { return done == 2 * shards.size(); }, seconds(600)));
  RC_ASSERT(c.cluster().node(kClient).metrics().counter("storage_client_timeouts").value() == 0);
  c.run_for(seconds(3));
  for (NodeId n : {NodeId{1}, NodeId{2}}) RC_ASSERT(c.at(n).service->transfers() == 0u);
}

}  // namespace
}  // namespace cairn::storage
