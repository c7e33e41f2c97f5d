// The shard protocol end to end on the manual runtime: RpcShardClient on node 100,
// StorageServices with real ShardStores on nodes 1 and 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "core/cas/blob_format.h"
#include "core/cas/shard_store_testing.h"
#include "core/storage/storage_codec.h"
#include "core/storage/testing/storage_harness.h"
#include "core/wire/crc32c.h"
#include "core/wire/message_types.h"

namespace cairn::storage {
namespace {

using cas::testing::bytes_of;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::digest_of;
using testing::StorageCluster;
constexpr NodeId kNode = 1;
constexpr NodeId kClient = 100;

bool any_with_prefix(MemDisk& disk, const std::string& prefix) {
  return !disk.list(prefix).empty();
}

class StorageRpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    c_.service_options.frame_bytes = 4 << 10;
    c_.service_options.window_bytes = 16 << 10;
    c_.service_options.idle_timeout = seconds(2);
    c_.service_options.working_notice = milliseconds(500);
    c_.client_options.frame_bytes = 4 << 10;
    c_.client_options.window_bytes = 16 << 10;
    c_.client_options.call_timeout = seconds(1);
  }
  void start() {
    c_.up(kNode);
    c_.up(kClient);
  }
  StorageService& service() { return *c_.at(kNode).service; }
  cas::ShardStore& store() { return *c_.at(kNode).store; }
  RpcShardClient& client() { return *c_.at(kClient).client; }
  // Nothing of an unfinished put is left on the node.
  void expect_nothing_half_stored() {
    EXPECT_EQ(service().transfers(), 0u);
    EXPECT_EQ(store().stats().reserved_bytes, 0u);
    EXPECT_FALSE(any_with_prefix(c_.disk(kNode), cas::tmp_dir("cas") + "/"));
  }

  StorageCluster c_;
};

TEST_F(StorageRpcTest, EveryRequestRoundTrips) {
  start();
  const std::string a = bytes_of(50'000, 1), b = bytes_of(10, 2), empty;
  const cas::Digest da = digest_of(a), db = digest_of(b), de = digest_of(empty);
  auto put = c_.put(kClient, kNode, a);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_FALSE(put->deduplicated);
  auto put_empty = c_.put(kClient, kNode, empty);
  ASSERT_TRUE(put_empty.ok()) << put_empty.status();
  EXPECT_EQ(c_.get(kClient, kNode, da).value(), a);
  EXPECT_EQ(c_.get(kClient, kNode, da, 4095, 9000).value(), a.substr(4095, 9000));
  EXPECT_EQ(c_.get(kClient, kNode, da, 50'000, 0).value(), "");
  EXPECT_EQ(c_.get(kClient, kNode, de).value(), "");
  EXPECT_EQ(c_.stat(kClient, kNode, da)->size_bytes, 50'000u);
  EXPECT_EQ(c_.find_missing(kClient, kNode, {db, da, de, db}).value(),
            (std::vector<cas::Digest>{db, db}));
  EXPECT_TRUE(c_.put(kClient, kNode, a)->deduplicated);
  EXPECT_TRUE(c_.remove(kClient, kNode, da).ok());
  EXPECT_TRUE(absl::IsNotFound(c_.stat(kClient, kNode, da).status()));
  EXPECT_TRUE(absl::IsNotFound(c_.get(kClient, kNode, da).status()));
  EXPECT_TRUE(absl::IsNotFound(c_.remove(kClient, kNode, da)));
  EXPECT_EQ(client().calls(), 0u);
  EXPECT_EQ(service().transfers(), 0u);
  // Both directions kept within the window.
  EXPECT_LE(client().peak_outstanding_bytes(), 16u << 10);
  EXPECT_GT(client().peak_outstanding_bytes(), 4u << 10);
  EXPECT_LE(service().peak_outstanding_bytes(), 16u << 10);
}

TEST_F(StorageRpcTest, ListingWalksEveryShardInPagesInDigestOrder) {
  start();
  std::set<cas::Digest> stored;
  for (uint64_t i = 0; i < 7; ++i) {
    const std::string bytes = bytes_of(100 + i, 40 + i);
    ASSERT_TRUE(c_.put(kClient, kNode, bytes).ok());
    stored.insert(digest_of(bytes));
  }
  std::vector<cas::Digest> seen;
  std::optional<cas::Digest> after;
  int pages = 0;
  for (bool more = true; more; ++pages) {
    auto page = c_.list(kClient, kNode, after, 3);
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_LE(page->digests.size(), 3u);
    seen.insert(seen.end(), page->digests.begin(), page->digests.end());
    more = page->more;
    if (!page->digests.empty()) after = page->digests.back();
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, std::vector<cas::Digest>(stored.begin(), stored.end()));
  // 0 asks for the node's own limit: everything, in one page.
  EXPECT_EQ(c_.list(kClient, kNode, std::nullopt, 0)->digests.size(), 7u);
}

TEST_F(StorageRpcTest, AConditionalDeleteKeepsAShardUsedWithinTheGrace) {
  using std::chrono::seconds;
  start();
  const std::string a = bytes_of(3000, 1);
  ASSERT_TRUE(c_.put(kClient, kNode, a).ok());
  c_.cluster().advance(seconds(30));
  const absl::Status early = c_.remove_if_idle(kClient, kNode, digest_of(a), seconds(60));
  EXPECT_TRUE(absl::IsFailedPrecondition(early)) << early;
  EXPECT_EQ(c_.get(kClient, kNode, digest_of(a)).value(), a);
  c_.cluster().advance(seconds(31));
  EXPECT_TRUE(c_.remove_if_idle(kClient, kNode, digest_of(a), seconds(60)).ok());
  EXPECT_TRUE(absl::IsNotFound(c_.stat(kClient, kNode, digest_of(a)).status()));
}

TEST_F(StorageRpcTest, OutOfRangePastTheEnd) {
  start();
  const std::string a = bytes_of(1000, 3);
  ASSERT_TRUE(c_.put(kClient, kNode, a).ok());
  auto r = c_.get(kClient, kNode, digest_of(a), 999, 2);
  EXPECT_TRUE(absl::IsOutOfRange(r.status())) << r.status();
}

TEST_F(StorageRpcTest, CorruptShardIsDataLossThenQuarantinedAndNeverServed) {
  start();
  const std::string a = bytes_of(20'000, 4);
  const cas::Digest d = digest_of(a);
  ASSERT_TRUE(c_.put(kClient, kNode, a).ok());
  const std::string name = cas::blob_name("cas", d);
  std::string file = c_.disk(kNode).read(name).value();
  file[12'345] ^= 0x10;
  ASSERT_TRUE(c_.disk(kNode).write(name, file).ok());
  ASSERT_TRUE(c_.disk(kNode).sync(name).ok());
  auto r = c_.get(kClient, kNode, d);
  EXPECT_TRUE(absl::IsDataLoss(r.status())) << r.status();
  EXPECT_FALSE(store().contains(d));
  EXPECT_EQ(store().stats().quarantined, 1u);
  EXPECT_TRUE(absl::IsNotFound(c_.get(kClient, kNode, d).status()));
  EXPECT_EQ(c_.find_missing(kClient, kNode, {d}).value(), std::vector<cas::Digest>{d});
  EXPECT_EQ(service().transfers(), 0u);
}

TEST_F(StorageRpcTest, FullStoreIsResourceExhaustedWithNothingStored) {
  c_.store_options.capacity_bytes = 10'000;
  start();
  const std::string a = bytes_of(20'000, 5);
  auto r = c_.put(kClient, kNode, a);
  EXPECT_TRUE(absl::IsResourceExhausted(r.status())) << r.status();
  EXPECT_EQ(store().stats().used_bytes, 0u);
  expect_nothing_half_stored();
}

TEST_F(StorageRpcTest, BytesThatDoNotHashToTheDigestAreInvalidWithNothingStored) {
  start();
  const std::string a = bytes_of(30'000, 6), b = bytes_of(30'000, 7);
  auto r = c_.put_as(kClient, kNode, digest_of(a), b);
  EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
  EXPECT_FALSE(store().contains(digest_of(a)));
  EXPECT_EQ(store().stats().blobs, 0u);
  expect_nothing_half_stored();
  // Of the wrong length: refused by the client without a byte sent.
  r = c_.put_as(kClient, kNode, digest_of(a), "short");
  EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
  expect_nothing_half_stored();
}

TEST_F(StorageRpcTest, FindMissingOverTheLimitIsInvalidArgument) {
  c_.client_options.max_find_missing = 10'000;  // let it through to the node
  start();
  std::vector<cas::Digest> many(4097, digest_of("x"));
  auto r = c_.find_missing(kClient, kNode, many);
  EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
  EXPECT_TRUE(absl::StrContains(r.status().message(), "4097")) << r.status();
  many.pop_back();
  EXPECT_EQ(c_.find_missing(kClient, kNode, many)->size(), 4096u);
}

TEST_F(StorageRpcTest, DroppedFramesMidPutAreUnavailableAndTheNodeFreesTheTransfer) {
  start();
  int frames = 0;
  c_.cluster().filter = [&](NodeId, NodeId, const Message& m) {
    return m.type != cairn::wire::kShardPutFrame || ++frames <= 3;
  };
  const std::string a = bytes_of(100'000, 8);
  auto r = c_.put(kClient, kNode, a);
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  EXPECT_TRUE(absl::StrContains(r.status().message(), "did not answer")) << r.status();
  c_.run_for(milliseconds(2));
  EXPECT_FALSE(store().contains(digest_of(a)));
  expect_nothing_half_stored();  // the client's cancel reached the node
}

TEST_F(StorageRpcTest, AClientThatVanishesMidPutIsDroppedAfterTheIdleTimeout) {
  start();
  const std::string a = bytes_of(100'000, 9);
  std::optional<absl::StatusOr<cas::PutResult>> out;
  client().put(kNode, digest_of(a), Payload(a), [&](auto r) { out = std::move(r); });
  c_.run_for(milliseconds(3));
  ASSERT_EQ(service().transfers(), 1u);
  EXPECT_GT(store().stats().reserved_bytes, 0u);
  c_.crash(kClient);
  c_.run_for(milliseconds(1900));
  EXPECT_EQ(service().transfers(), 1u);  // not yet idle for 2 s
  c_.run_for(milliseconds(200));
  EXPECT_FALSE(store().contains(digest_of(a)));
  expect_nothing_half_stored();
  EXPECT_EQ(c_.cluster().node(kNode).metrics().counter("storage_transfers_idle").value(), 1);
}

TEST_F(StorageRpcTest, ANodeThatCrashesMidGetIsUnavailable) {
  start();
  const std::string a = bytes_of(100'000, 10);
  ASSERT_TRUE(c_.put(kClient, kNode, a).ok());
  std::optional<absl::StatusOr<Payload>> out;
  client().get(kNode, digest_of(a), 0, a.size(), [&](auto r) { out = std::move(r); });
  c_.run_for(milliseconds(3));
  ASSERT_FALSE(out.has_value());
  c_.crash(kNode);
  c_.run_until([&] { return out.has_value(); });
  ASSERT_TRUE(out.has_value());
  EXPECT_TRUE(absl::IsUnavailable(out->status())) << out->status();
  EXPECT_EQ(client().calls(), 0u);
}

TEST_F(StorageRpcTest, ASlowDiskIsWaitedForWhileTheNodeSaysItIsWorkingOnIt) {
  c_.service_options.working_notice = milliseconds(300);
  start();
  const std::string a = bytes_of(20'000, 31);
  ASSERT_TRUE(c_.put(kClient, kNode, a).ok());
  Metrics& node_metrics = c_.cluster().node(kNode).metrics();
  Metrics& client_metrics = c_.cluster().node(kClient).metrics();
  EXPECT_EQ(node_metrics.counter("storage_working_notices").value(), 0) << "a fast disk owes none";
  // Every disk operation now outlasts the client's call timeout (1 s) and the node's idle
  // timeout (2 s): the client hears only working notices while each runs.
  c_.cluster().node(kNode).set_disk_latency(seconds(3));
  auto got = c_.get(kClient, kNode, digest_of(a), seconds(120));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, a);
  const std::string b = bytes_of(20'000, 32);
  auto put = c_.put(kClient, kNode, b);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_TRUE(store().contains(digest_of(b)));
  EXPECT_GT(node_metrics.counter("storage_working_notices").value(), 0);
  EXPECT_EQ(client_metrics.counter("storage_client_working_notices").value(),
            node_metrics.counter("storage_working_notices").value());
  EXPECT_EQ(client_metrics.counter("storage_client_timeouts").value(), 0);
  EXPECT_EQ(node_metrics.counter("storage_transfers_idle").value(), 0);
  EXPECT_EQ(service().transfers(), 0u);
}

// Soak seeds 9808671232020378079 and 6293719256100985493: the node counted its own
// append against the client. With a window of one frame, the client has nothing to send
// until the append ends; the idle clock now starts when it does.
TEST_F(StorageRpcTest, AnAppendAlmostAsLongAsTheIdleTimeoutDoesNotEndThePut) {
  c_.service_options.window_bytes = 4 << 10;  // one frame: the client waits for each append
  start();
  c_.cluster().node(kNode).set_disk_latency(milliseconds(1999));  // idle_timeout is 2 s
  const std::string a = bytes_of((4 << 10) + 1, 34);
  auto put = c_.put(kClient, kNode, a);
  ASSERT_TRUE(put.ok()) << put.status();
  EXPECT_TRUE(store().contains(digest_of(a)));
  EXPECT_EQ(c_.cluster().node(kNode).metrics().counter("storage_transfers_idle").value(), 0);
}

TEST_F(StorageRpcTest, ACallWithNothingButWorkingNoticesEndsAfterTheProgressTimeout) {
  c_.service_options.working_notice = milliseconds(300);
  c_.client_options.progress_timeout = seconds(10);
  start();
  const std::string a = bytes_of(20'000, 33);
  ASSERT_TRUE(c_.put(kClient, kNode, a).ok());
  c_.cluster().node(kNode).set_disk_latency(seconds(100));  // a disk that serves nothing
  const Time start = c_.cluster().now();
  auto got = c_.get(kClient, kNode, digest_of(a), seconds(60));
  EXPECT_TRUE(absl::IsUnavailable(got.status())) << got.status();
  const Duration took = c_.cluster().now() - start;
  EXPECT_GE(took, seconds(10));
  EXPECT_LE(took, seconds(12));  // the progress limit, then one call timeout (1 s)
  EXPECT_GT(c_.cluster().node(kClient).metrics().counter("storage_client_working_notices").value(),
            0);
  EXPECT_EQ(client().calls(), 0u);
}

TEST_F(StorageRpcTest, ASlowReaderHoldsTheNodeToOneWindow) {
  start();
  const std::string a = bytes_of(200'000, 11);
  ASSERT_TRUE(c_.put(kClient, kNode, a).ok());
  uint64_t frame_bytes = 0;
  bool acks = false;
  c_.cluster().filter = [&](NodeId, NodeId, const Message& m) {
    if (m.type == cairn::wire::kShardGetFrame) frame_bytes += m.payload.size();
    return m.type != cairn::wire::kShardControl || acks;
  };
  std::optional<absl::StatusOr<Payload>> out;
  client().get(kNode, digest_of(a), 0, a.size(), [&](auto r) { out = std::move(r); });
  c_.run_for(milliseconds(500));  // no credit comes back
  EXPECT_EQ(frame_bytes, 16u << 10);
  EXPECT_EQ(service().peak_outstanding_bytes(), 16u << 10);
  EXPECT_FALSE(out.has_value());
  acks = true;  // the reader wakes up (the first window's acks were lost: it times out)
  c_.run_until([&] { return out.has_value(); });
  EXPECT_TRUE(absl::IsUnavailable(out->status())) << out->status();
  c_.run_for(seconds(3));
  EXPECT_EQ(service().transfers(), 0u);
  // A reader that keeps up gets it all, never more than a window ahead.
  EXPECT_EQ(c_.get(kClient, kNode, digest_of(a)).value(), a);
  EXPECT_EQ(service().peak_outstanding_bytes(), 16u << 10);
}

// A get reassembles its frames into one buffer, reused by a later get only once every
// payload of the earlier one is dropped; a payload still held keeps its bytes.
TEST_F(StorageRpcTest, AGetReusesAReassemblyBufferOnlyOnceItsBytesAreDropped) {
  start();
  const std::string a = bytes_of(100'000, 12);
  const std::string b = bytes_of(100'000, 13);
  ASSERT_TRUE(c_.put(kClient, kNode, a).ok());
  ASSERT_TRUE(c_.put(kClient, kNode, b).ok());
  auto get = [&](const std::string& bytes) {
    std::optional<absl::StatusOr<Payload>> out;
    client().get(kNode, digest_of(bytes), 0, bytes.size(), [&](auto r) { out = std::move(r); });
    c_.run_until([&] { return out.has_value(); });
    return std::move(*out);
  };
  absl::StatusOr<Payload> held = get(a);
  ASSERT_TRUE(held.ok()) << held.status();
  const char* first = held->data();
  absl::StatusOr<Payload> other = get(b);  // `held` still holds the first buffer
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->data(), first);
  EXPECT_EQ(other->view(), b);
  EXPECT_EQ(held->view(), a);
  EXPECT_EQ(client().reused_buffers(), 0u);
  held = absl::UnknownError("dropped");
  absl::StatusOr<Payload> again = get(b);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->data(), first);  // the dropped buffer, filled again
  EXPECT_EQ(again->view(), b);
  EXPECT_EQ(other->view(), b);
  EXPECT_EQ(client().reused_buffers(), 1u);
}

TEST_F(StorageRpcTest, AGetOfWholeBlocksCarriesTheCrcOfItsFramesCombined) {
  // Frames of whole 64 KiB blocks (the default 256 KiB frames are): each carries the CRC
  // its blocks were verified with, and the range's is their combination.
  c_.service_options.frame_bytes = 128 << 10;
  c_.service_options.window_bytes = 256 << 10;
  c_.client_options.window_bytes = 256 << 10;
  start();
  const std::string a = bytes_of(300'000, 14);  // three frames, the last a part block
  ASSERT_TRUE(c_.put(kClient, kNode, a).ok());
  auto get = [&](uint64_t offset, uint64_t length) {
    std::optional<absl::StatusOr<Payload>> out;
    client().get(kNode, digest_of(a), offset, length, [&](auto r) { out = std::move(r); });
    c_.run_until([&] { return out.has_value(); });
    return std::move(*out);
  };
  absl::StatusOr<Payload> whole = get(0, a.size());
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(whole->view(), a);
  ASSERT_TRUE(whole->has_crc32c());
  EXPECT_EQ(whole->crc32c(), cairn::wire::crc32c(a.data(), a.size()));
  absl::StatusOr<Payload> inner = get(100, 200'000);  // frames starting within blocks
  ASSERT_TRUE(inner.ok());
  EXPECT_EQ(inner->view(), a.substr(100, 200'000));
  EXPECT_FALSE(inner->has_crc32c());
}

// The default pool keeps reassembly buffers of several whole 64 MiB ranges (a client's
// reads of large chunks in flight together), not one: each of three gets at once, once
// dropped, is refilled by a later get instead of fresh memory.
TEST_F(StorageRpcTest, SeveralGetsOfA64MiBRangeReuseTheirBuffersByDefault) {
  c_.service_options.frame_bytes = c_.client_options.frame_bytes = 256 << 10;
  c_.service_options.window_bytes = c_.client_options.window_bytes = 1 << 20;
  c_.client_options.call_timeout = seconds(5);
  c_.client_options.reuse_bytes_max = RpcShardClientOptions{}.reuse_bytes_max;
  start();
  const uint64_t big = 64u << 20;
  const std::string a = bytes_of(big, 21);
  ASSERT_TRUE(c_.put(kClient, kNode, a).ok());
  auto three_at_once = [&] {
    std::vector<std::optional<absl::StatusOr<Payload>>> out(3);
    for (auto& o : out) {
      client().get(kNode, digest_of(a), 0, big, [&o](auto r) { o = std::move(r); });
    }
    c_.run_until([&] {
      return std::all_of(out.begin(), out.end(), [](const auto& o) { return o.has_value(); });
    });
    std::set<const char*> buffers;
    for (auto& o : out) {
      EXPECT_TRUE(o->ok()) << o->status();
      if (!o->ok()) continue;
      EXPECT_TRUE((*o)->view() == a);
      buffers.insert((*o)->data());
    }
    return buffers;
  };
  const std::set<const char*> first = three_at_once();  // dropped on return
  EXPECT_EQ(first.size(), 3u);
  EXPECT_EQ(client().reused_buffers(), 0u);
  const std::set<const char*> again = three_at_once();
  EXPECT_EQ(again, first);
  EXPECT_EQ(client().reused_buffers(), 3u);
}

TEST_F(StorageRpcTest, TransfersBeyondTheLimitAreUnavailable) {
  c_.service_options.max_transfers = 2;
  start();
  const std::string a = bytes_of(100'000, 12);
  ASSERT_TRUE(c_.put(kClient, kNode, a).ok());
  c_.cluster().filter = [](NodeId, NodeId, const Message& m) {
    return m.type != cairn::wire::kShardControl;  // the gets stall
  };
  std::vector<absl::Status> got;
  for (int i = 0; i < 3; ++i) {
    client().get(kNode, digest_of(a), 0, a.size(), [&](auto r) { got.push_back(r.status()); });
  }
  c_.run_for(milliseconds(10));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(absl::IsUnavailable(got[0])) << got[0];
  EXPECT_EQ(service().transfers(), 2u);
  c_.run_for(seconds(5));
  EXPECT_EQ(got.size(), 3u);
  EXPECT_EQ(service().transfers(), 0u);
}

TEST_F(StorageRpcTest, CancelStopsATransferWithoutACallback) {
  start();
  const std::string a = bytes_of(200'000, 13);
  bool called = false;
  const CallId id = client().put(kNode, digest_of(a), Payload(a), [&](auto) { called = true; });
  c_.run_for(milliseconds(4));
  ASSERT_EQ(service().transfers(), 1u);
  client().cancel(id);
  client().cancel(id);  // a no-op the second time
  c_.run_for(milliseconds(10));
  EXPECT_FALSE(called);
  EXPECT_EQ(client().calls(), 0u);
  EXPECT_FALSE(store().contains(digest_of(a)));
  expect_nothing_half_stored();
  c_.run_for(seconds(5));
  EXPECT_FALSE(called);
}

TEST_F(StorageRpcTest, CancelStopsAGetOnTheNode) {
  start();
  const std::string a = bytes_of(200'000, 17);
  ASSERT_TRUE(c_.put(kClient, kNode, a).ok());
  bool called = false;
  uint64_t frames = 0;
  c_.cluster().filter = [&](NodeId, NodeId, const Message& m) {
    frames += m.type == cairn::wire::kShardGetFrame;
    return true;
  };
  const CallId id = client().get(kNode, digest_of(a), 0, a.size(), [&](auto) { called = true; });
  c_.run_for(milliseconds(4));
  ASSERT_EQ(service().transfers(), 1u);
  client().cancel(id);
  c_.run_for(milliseconds(3));
  EXPECT_EQ(service().transfers(), 0u);
  const uint64_t sent = frames;
  c_.run_for(seconds(3));
  EXPECT_EQ(frames, sent);  // nothing more was read or sent
  EXPECT_LT(sent * (4u << 10), a.size());
  EXPECT_FALSE(called);
}

TEST_F(StorageRpcTest, NodesThatAreBothClientAndStorageServeEachOther) {
  c_.up(1);
  c_.up(2);
  const std::string a = bytes_of(30'000, 18), b = bytes_of(20'000, 19);
  ASSERT_TRUE(c_.put(1, 2, a).ok());
  ASSERT_TRUE(c_.put(2, 1, b).ok());
  EXPECT_EQ(c_.get(1, 2, digest_of(a)).value(), a);
  EXPECT_EQ(c_.get(2, 1, digest_of(b)).value(), b);
  EXPECT_FALSE(c_.at(1).store->contains(digest_of(a)));
  EXPECT_FALSE(c_.at(2).store->contains(digest_of(b)));
}

// Frames a well-behaved client never sends, from a raw sender (node 200).
class StorageRawTest : public StorageRpcTest {
 protected:
  void SetUp() override {
    StorageRpcTest::SetUp();
    start();
    c_.cluster().add_node(kRaw);
    c_.cluster().set_handler(kRaw, [this](NodeId, const Message& m) {
      uint64_t id = 0;
      auto got = decode_client_bound(m, DecodeLimits{}, &id);
      ASSERT_TRUE(got.ok()) << got.status();
      if (auto* r = std::get_if<Response>(&*got)) responses_.push_back(*r);
    });
  }
  void send(Message m) {
    c_.cluster().node(kRaw).send(kNode, std::move(m));
    c_.run_for(milliseconds(5));
  }
  void begin(const cas::Digest& d) {
    send(encode(Request{.id = 7, .kind = RequestKind::kPut, .digest = d, .window_bytes = 1 << 20}));
  }
  void frame(uint64_t offset, std::string bytes) {
    send(encode_put_frame(Frame{.id = 7, .offset = offset, .bytes = Payload(std::move(bytes))}));
  }
  absl::Status last() { return responses_.empty() ? absl::OkStatus() : responses_.back().status; }

  static constexpr NodeId kRaw = 200;
  std::vector<Response> responses_;
};

TEST_F(StorageRawTest, AFrameArrivingEarlyWaitsForTheGapBeforeIt) {
  // Transports may reorder: a frame ahead of the expected offset, within the credit, is
  // held until the frames before it arrive.
  const std::string a = bytes_of(10'000, 14);
  begin(digest_of(a));
  frame(0, a.substr(0, 4000));
  frame(8000, a.substr(8000, 2000));
  frame(5000, a.substr(5000, 3000));
  EXPECT_EQ(responses_.size(), 0u);
  EXPECT_FALSE(store().contains(digest_of(a)));
  frame(4000, a.substr(4000, 1000));
  c_.run_for(milliseconds(50));
  ASSERT_EQ(responses_.size(), 1u);
  EXPECT_TRUE(last().ok()) << last();
  EXPECT_TRUE(store().contains(digest_of(a)));
}

TEST_F(StorageRawTest, AFrameOverlappingAHeldOneEndsThePutWithNothingStored) {
  const std::string a = bytes_of(10'000, 15);
  begin(digest_of(a));
  frame(0, a.substr(0, 4000));
  frame(6000, a.substr(6000, 2000));
  frame(4000, a.substr(4000, 3000));  // fills the gap and overlaps the held frame
  ASSERT_EQ(responses_.size(), 1u);
  EXPECT_TRUE(absl::IsInvalidArgument(last())) << last();
  expect_nothing_half_stored();
  EXPECT_FALSE(store().contains(digest_of(a)));
}

TEST_F(StorageRawTest, AFramePastTheDeclaredSizeEndsThePut) {
  const std::string a = bytes_of(10'000, 15);
  begin(digest_of(a));
  frame(0, a.substr(0, 4000));
  frame(4000, a.substr(4000, 4000));
  frame(8000, a.substr(8000) + "extra");
  EXPECT_TRUE(absl::IsInvalidArgument(last())) << last();
  EXPECT_TRUE(absl::StrContains(last().message(), "past the declared size")) << last();
  expect_nothing_half_stored();
}

TEST_F(StorageRawTest, DuplicatesAreIgnoredAndThePutCompletes) {
  const std::string a = bytes_of(10'000, 16);
  begin(digest_of(a));
  frame(0, a.substr(0, 4000));
  frame(0, a.substr(0, 4000));
  frame(4000, a.substr(4000, 4000));
  frame(8000, a.substr(8000));
  frame(8000, a.substr(8000));
  ASSERT_GE(responses_.size(), 1u);
  EXPECT_TRUE(responses_[0].status.ok()) << responses_[0].status;
  EXPECT_EQ(c_.get(kClient, kNode, digest_of(a)).value(), a);
}

TEST_F(StorageRawTest, AFrameForAnUnknownTransferIsFailedPrecondition) {
  frame(0, "abc");
  EXPECT_TRUE(absl::IsFailedPrecondition(last())) << last();
  Message junk{.type = cairn::wire::kShardRequest, .header = "\xff\xff\xff"};
  send(junk);  // unreadable, no id: dropped and counted
  EXPECT_EQ(responses_.size(), 1u);
  EXPECT_EQ(c_.cluster().node(kNode).metrics().counter("storage_bad_messages").value(), 1);
}

}  // namespace
}  // namespace cairn::storage
