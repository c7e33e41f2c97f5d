// The chunk protocol end to end on the manual cluster: a ChunkSession on a client node,
// ChunkServices with coordinators on two storage nodes, shards in a fake.
#include <gtest/gtest.h>

#include "core/cas/shard_store_testing.h"
#include "core/placement/ring.h"
#include "core/runtime/manual_runtime.h"
#include "core/storage/chunk_service.h"
#include "core/storage/chunk_session.h"
#include "core/storage/chunk_wire.h"
#include "core/storage/status_wire.h"
#include "core/storage/testing/fake_shards.h"
#include "core/wire/message_types.h"

namespace cairn::storage {
namespace {

using cas::testing::bytes_of;
using cas::testing::digest_of;
using std::chrono::milliseconds;

std::shared_ptr<const placement::PlacementPolicy> ring_of(int nodes) {
  placement::Membership m;
  m.epoch = 1;
  for (int i = 1; i <= nodes; ++i) m.nodes.push_back({static_cast<NodeId>(i), "z", "r", 1.0});
  return std::make_shared<placement::Ring>(std::move(*placement::Ring::build(m, {})));
}

struct Harness {
  explicit Harness(ChunkSessionOptions o = {}) : cluster(3) {
    ManualRuntime& store_rt = cluster.add_node(50);
    shards = std::make_unique<testing::FakeShards>(store_rt);
    for (NodeId id : {1u, 2u}) {
      ManualRuntime& rt = cluster.add_node(id);
      coordinators[id] =
          std::make_unique<Coordinator>(rt, *shards, ring_of(5), CoordinatorOptions{});
      services[id] = std::make_unique<ChunkService>(rt, *coordinators[id]);
      cluster.set_handler(id, [this, id](NodeId from, const Message& m) {
        if (m.type == cairn::wire::kChunkRequest && busy_answers > 0)
          return answer_busy(id, from, m);
        services[id]->on_message(from, m);
      });
    }
    ManualRuntime& client_rt = cluster.add_node(10);
    o.attempt_timeout = milliseconds(200);
    session = std::make_unique<ChunkSession>(client_rt, std::vector<NodeId>{1, 2}, o);
    cluster.set_handler(10, [this](NodeId from, const Message& m) {
      if (m.type == cairn::wire::kChunkResponse) session->on_response(from, m);
      responses.push_back(m);
    });
  }

  // Both coordinators answer the next `busy_answers` chunk requests Unavailable, as a
  // node at its admission limits does.
  void answer_busy(NodeId id, NodeId from, const Message& request) {
    --busy_answers;
    wire::ChunkRequest r;
    ASSERT_TRUE(r.ParseFromString(request.header));
    wire::ChunkResponse response;
    response.set_request_id(r.request_id());
    *response.mutable_status() = to_wire(absl::UnavailableError("coordinator busy"));
    Message m;
    m.type = cairn::wire::kChunkResponse;
    response.SerializeToString(&m.header);
    cluster.node(id).send(from, std::move(m));
  }

  absl::StatusOr<ChunkLayout> put(const std::string& bytes, WriteOptions o = {}) {
    std::optional<absl::StatusOr<ChunkLayout>> out;
    session->put(digest_of(bytes), Payload(bytes), o, [&](auto r) { out = std::move(r); });
    while (!out) cluster.advance(milliseconds(1));
    return *out;
  }
  absl::StatusOr<std::string> read(const ChunkLayout& l, uint64_t offset, uint64_t length) {
    std::optional<absl::StatusOr<Payload>> out;
    session->read(l, offset, length, [&](auto r) { out = std::move(r); });
    while (!out) cluster.advance(milliseconds(1));
    if (!out->ok()) return out->status();
    return std::string((*out)->view());
  }

  ManualCluster cluster;
  std::unique_ptr<testing::FakeShards> shards;
  std::map<NodeId, std::unique_ptr<Coordinator>> coordinators;
  std::map<NodeId, std::unique_ptr<ChunkService>> services;
  std::unique_ptr<ChunkSession> session;
  std::vector<Message> responses;
  int busy_answers = 0;
};

TEST(ChunkProtocol, PutThenReadRangesThroughAnyCoordinator) {
  Harness h;
  std::string data(2 << 20, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 % 251);
  WriteOptions o;
  o.mode = StorageMode::kErasure;
  auto layout = h.put(data, o);
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(layout->code_name(), "rs(3,2)");
  EXPECT_EQ(h.read(*layout, 0, data.size()).value(), data);
  EXPECT_EQ(h.read(*layout, 777, 100000).value(), data.substr(777, 100000));
}

TEST(ChunkProtocol, TheCoordinatorsStatusArrivesUnchanged) {
  Harness h;
  const std::string data = "some bytes";
  std::optional<absl::StatusOr<ChunkLayout>> out;
  h.session->put(digest_of("other bytes!"), Payload(data), {}, [&](auto r) { out = r; });
  while (!out) h.cluster.advance(milliseconds(1));
  EXPECT_TRUE(absl::IsInvalidArgument(out->status())) << out->status();
  auto layout = h.put(data);
  ASSERT_TRUE(layout.ok());
  auto past = h.read(*layout, 5, 100);
  EXPECT_TRUE(absl::IsOutOfRange(past.status())) << past.status();
  EXPECT_NE(past.status().message().find("past the end"), std::string::npos);
}

TEST(ChunkProtocol, ADeadCoordinatorIsRetriedElsewhere) {
  Harness h;
  h.cluster.crash(1);
  const std::string data(5000, 'q');
  for (int i = 0; i < 4; ++i) {
    auto layout = h.put(data + std::to_string(i));
    ASSERT_TRUE(layout.ok()) << layout.status();
  }
  h.cluster.crash(2);
  auto none = h.put(data);
  EXPECT_TRUE(absl::IsUnavailable(none.status())) << none.status();
  EXPECT_NE(none.status().message().find("after 3 attempts"), std::string::npos);
}

TEST(ChunkProtocol, UnreadableRequestsAreAnsweredAndTheNodeKeepsServing) {
  Harness h;
  ManualRuntime& client = h.cluster.node(10);
  Message junk;
  junk.type = cairn::wire::kChunkRequest;
  junk.header = "\xff\xff\xff not a protobuf";
  client.send(1, junk);
  wire::ChunkRequest empty;
  empty.set_request_id(99);
  Message neither;
  neither.type = cairn::wire::kChunkRequest;
  empty.SerializeToString(&neither.header);
  client.send(1, neither);
  wire::ChunkRequest bad_layout;
  bad_layout.set_request_id(100);
  bad_layout.mutable_get()->mutable_layout()->mutable_chunk()->set_sha256("short");
  Message m;
  m.type = cairn::wire::kChunkRequest;
  bad_layout.SerializeToString(&m.header);
  client.send(1, m);
  h.cluster.advance(milliseconds(50));
  ASSERT_EQ(h.responses.size(), 3u);
  for (const Message& r : h.responses) {
    wire::ChunkResponse resp;
    ASSERT_TRUE(resp.ParseFromString(r.header));
    EXPECT_EQ(resp.status().code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_TRUE(h.put("still serving").ok());
}

TEST(ChunkWire, LayoutsRoundTripAndBadOnesAreRefused) {
  ChunkLayout l;
  l.chunk = digest_of("abc");
  l.mode = StorageMode::kReplicated;
  l.data_shards = 1;
  l.parity_shards = 2;
  l.shard_bytes = 3;
  l.epoch = 9;
  for (NodeId n : {4u, 5u, 6u}) l.shards.push_back({l.chunk, n});
  auto back = from_wire(to_wire(l));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->code_name(), "rep(3)");
  EXPECT_EQ(back->shards[2].node, 6u);
  EXPECT_EQ(back->epoch, 9u);
  wire::Layout w = to_wire(l);
  w.mutable_shards(1)->set_node(0);
  EXPECT_TRUE(absl::IsInvalidArgument(from_wire(w).status()));
  w = to_wire(l);
  w.set_mode(static_cast<wire::Mode>(7));
  EXPECT_TRUE(absl::IsInvalidArgument(from_wire(w).status()));
  wire::Status odd;
  odd.set_code(1234);
  EXPECT_TRUE(absl::IsUnknown(from_wire(odd)));
  EXPECT_TRUE(absl::IsDataLoss(from_wire(to_wire(absl::DataLossError("x")))));
}

}  // namespace
}  // namespace cairn::storage

namespace cairn::storage {
namespace {

TEST(ChunkProtocol, BusyAnswersUseUpAttemptsWithoutBusyRetry) {
  Harness h;  // busy_retry_for 0: three answers, three attempts, then the error
  h.busy_answers = 3;
  auto none = h.put("refused three times");
  EXPECT_TRUE(absl::IsUnavailable(none.status())) << none.status();
  EXPECT_NE(none.status().message().find("after 3 attempts"), std::string::npos);
  EXPECT_NE(none.status().message().find("coordinator busy"), std::string::npos);
}

TEST(ChunkProtocol, BusyAnswersAreWaitedForWithGrowingPauses) {
  ChunkSessionOptions o;
  o.busy_retry_for = std::chrono::seconds(2);
  Harness h(o);
  h.busy_answers = 8;
  const Time start = h.cluster.node(10).now();
  auto layout = h.put("busy eight times, then stored");
  ASSERT_TRUE(layout.ok()) << layout.status();
  EXPECT_EQ(h.busy_answers, 0);
  // Pauses 5, 10, 20, 40, 80, 160, 200, 200 ms: at least 715 ms passed.
  EXPECT_GE(h.cluster.node(10).now() - start, milliseconds(715));
  EXPECT_TRUE(h.read(*layout, 0, 5).ok());
}

TEST(ChunkProtocol, BusyPastTheRetryWindowFailsAfterTheAttempts) {
  ChunkSessionOptions o;
  o.busy_retry_for = milliseconds(100);
  Harness h(o);
  h.busy_answers = 1000;
  auto none = h.put("never admitted");
  EXPECT_TRUE(absl::IsUnavailable(none.status())) << none.status();
  EXPECT_NE(none.status().message().find("after 3 attempts"), std::string::npos);
  // Pauses 5..80 ms (155 ms) carried it past 100 ms, then three counted attempts.
  EXPECT_GT(h.busy_answers, 1000 - 10);
}

}  // namespace
}  // namespace cairn::storage
