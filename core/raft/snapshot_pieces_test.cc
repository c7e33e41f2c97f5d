// Snapshots in pieces: split, then joined in any order, with duplicates, losses, a newer
// snapshot replacing an older one, and pieces that do not fit.
#include "core/raft/snapshot_pieces.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "core/wire/message_types.h"

namespace cairn::raft {
namespace {

wire::Message snapshot_message(uint64_t term, uint64_t index, size_t bytes) {
  wire::Message m;
  m.set_type(wire::MSG_SNAPSHOT);
  m.set_from(1);
  m.set_to(2);
  m.set_term(term);
  m.mutable_snapshot()->mutable_metadata()->set_index(index);
  m.mutable_snapshot()->mutable_metadata()->set_term(term);
  std::string data(bytes, '\0');
  for (size_t i = 0; i < bytes; ++i) data[i] = static_cast<char>(i * 7 + term);
  m.mutable_snapshot()->set_data(std::move(data));
  return m;
}

std::optional<wire::Message> feed(SnapshotAssembler& a, const Message& piece) {
  wire::Message header;
  EXPECT_TRUE(header.ParseFromString(piece.header));
  return a.add(1, std::move(header), piece.payload);
}

TEST(SnapshotPieces, SmallSnapshotsAndOtherMessagesTravelWhole) {
  wire::Message append;
  append.set_type(wire::MSG_APPEND);
  EXPECT_EQ(snapshot_pieces(append, cairn::wire::kRaftMessage, 10).size(), 1u);
  const wire::Message small = snapshot_message(1, 5, 10);
  std::vector<Message> out = snapshot_pieces(small, cairn::wire::kRaftMessage, 10);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].header, small.SerializeAsString());  // the same bytes as before pieces
  SnapshotAssembler a;
  auto whole = feed(a, out[0]);
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(whole->SerializeAsString(), small.SerializeAsString());
}

TEST(SnapshotPieces, PiecesInAnyOrderWithDuplicatesGiveTheSnapshotBack) {
  const wire::Message m = snapshot_message(3, 40, 1000);
  std::vector<Message> pieces = snapshot_pieces(m, cairn::wire::kRaftMessage, 64);
  ASSERT_EQ(pieces.size(), 16u);
  for (const Message& p : pieces) EXPECT_TRUE(p.payload.size() <= 64 && !p.payload.empty());
  std::vector<Message> order = pieces;
  order.push_back(pieces[3]);  // a duplicate
  std::shuffle(order.begin(), order.end(), std::mt19937(42));
  SnapshotAssembler a;
  std::optional<wire::Message> got;
  for (size_t i = 0; i < order.size(); ++i) {
    auto r = feed(a, order[i]);
    if (r) {
      EXPECT_FALSE(got.has_value()) << "handed on twice";
      got = std::move(r);
    }
  }
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->SerializeAsString(), m.SerializeAsString());
  EXPECT_EQ(a.assembling(), 0u);
  EXPECT_EQ(a.rejected(), 0u);
}

TEST(SnapshotPieces, ALostPieceHandsNothingOnAndANewerSnapshotReplacesIt) {
  const wire::Message old = snapshot_message(2, 10, 300);
  std::vector<Message> pieces = snapshot_pieces(old, cairn::wire::kRaftMessage, 100);
  SnapshotAssembler a;
  EXPECT_FALSE(feed(a, pieces[0]).has_value());
  EXPECT_FALSE(feed(a, pieces[2]).has_value());  // pieces[1] is lost
  EXPECT_EQ(a.assembling(), 1u);
  const wire::Message newer = snapshot_message(3, 20, 250);
  std::optional<wire::Message> got;
  for (const Message& p : snapshot_pieces(newer, cairn::wire::kRaftMessage, 100)) {
    if (auto r = feed(a, p)) got = std::move(r);
  }
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->SerializeAsString(), newer.SerializeAsString());
  // The old snapshot's late piece starts over rather than mixing with anything.
  EXPECT_FALSE(feed(a, pieces[1]).has_value());
}

TEST(SnapshotPieces, PiecesThatDoNotFitAreRejected) {
  const wire::Message m = snapshot_message(1, 9, 200);
  std::vector<Message> pieces = snapshot_pieces(m, cairn::wire::kRaftMessage, 100);
  auto tampered = [&](auto edit) {
    wire::Message h;
    EXPECT_TRUE(h.ParseFromString(pieces[0].header));
    Payload payload = pieces[0].payload;
    edit(h, payload);
    SnapshotAssembler a;
    EXPECT_FALSE(a.add(1, h, payload).has_value());
    return a.rejected();
  };
  EXPECT_EQ(tampered([](wire::Message& h, Payload&) { h.set_snapshot_offset(200); }), 1u);
  EXPECT_EQ(tampered([](wire::Message& h, Payload&) { h.set_snapshot_offset(150); }), 1u);
  EXPECT_EQ(tampered([](wire::Message&, Payload& p) { p = Payload(); }), 1u);
  EXPECT_EQ(tampered([](wire::Message& h, Payload&) { h.set_type(wire::MSG_APPEND); }), 1u);
  EXPECT_EQ(
      tampered([](wire::Message& h, Payload&) { h.set_snapshot_size(kMaxSnapshotBytes + 1); }), 1u);
  // Overlapping pieces that add up to the size are not a snapshot.
  SnapshotAssembler a;
  wire::Message h;
  ASSERT_TRUE(h.ParseFromString(pieces[0].header));
  h.set_snapshot_offset(0);
  EXPECT_FALSE(a.add(1, h, Payload(std::string(150, 'x'))).has_value());
  h.set_snapshot_offset(100);
  EXPECT_FALSE(a.add(1, h, Payload(std::string(50, 'y'))).has_value());
  EXPECT_EQ(a.rejected(), 1u);
}

}  // namespace
}  // namespace cairn::raft
