#include "core/storage/storage_codec.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "core/storage/status_wire.h"
#include "core/wire/message_types.h"

namespace cairn::storage {
namespace {

cas::Digest digest_of(const std::string& s) {
  return cas::Digest::of({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
}

TEST(StatusWire, CanonicalCodesTravelUnchanged) {
  for (int code = 0; code <= 16; ++code) {
    const absl::Status st(static_cast<absl::StatusCode>(code), code == 0 ? "" : "why");
    wire::Status w;
    ASSERT_TRUE(w.ParseFromString(to_wire(st).SerializeAsString()));
    EXPECT_EQ(from_wire(w), st) << code;
  }
}

TEST(StatusWire, UnknownNumbersBecomeUnknownAndLongMessagesAreCut) {
  wire::Status w;
  w.set_code(99);
  w.set_message("odd");
  absl::Status st = from_wire(w);
  EXPECT_TRUE(absl::IsUnknown(st));
  EXPECT_TRUE(absl::StrContains(st.message(), "99")) << st;
  w.set_code(-3);
  EXPECT_TRUE(absl::IsUnknown(from_wire(w)));
  w.set_code(0);
  EXPECT_TRUE(from_wire(w).ok());
  EXPECT_EQ(to_wire(absl::DataLossError(std::string(5000, 'x'))).message().size(),
            kMaxStatusMessageBytes);
}

TEST(StorageCodec, RequestsRoundTrip) {
  const cas::Digest a = digest_of("a"), b = digest_of("bb");
  const Request in[] = {
      {.id = 1, .kind = RequestKind::kFindMissing, .digests = {a, b}},
      {.id = 2, .kind = RequestKind::kFindMissing},
      {.id = 3, .kind = RequestKind::kStat, .digest = a},
      {.id = 4, .kind = RequestKind::kDelete, .digest = b},
      {.id = 7, .kind = RequestKind::kDelete, .digest = b, .idle_for_ms = 60000},
      {.id = 8, .kind = RequestKind::kList, .has_digest = false, .max = 3},
      {.id = 9, .kind = RequestKind::kList, .digest = a, .max = 0},
      {.id = 5, .kind = RequestKind::kPut, .digest = a, .window_bytes = 9},
      {.id = 6,
       .kind = RequestKind::kGet,
       .digest = b,
       .offset = 1,
       .length = 1,
       .window_bytes = 7},
  };
  for (const Request& r : in) {
    uint64_t id = 0;
    auto got = decode_node_bound(encode(r), DecodeLimits{}, &id);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(id, r.id);
    const Request& out = std::get<Request>(*got);
    EXPECT_EQ(out.kind, r.kind);
    EXPECT_EQ(out.digests, r.digests);
    EXPECT_EQ(out.digest, r.digest);
    EXPECT_EQ(out.offset, r.offset);
    EXPECT_EQ(out.length, r.length);
    EXPECT_EQ(out.window_bytes, r.window_bytes);
    EXPECT_EQ(out.has_digest, r.has_digest);
    EXPECT_EQ(out.idle_for_ms, r.idle_for_ms);
    EXPECT_EQ(out.max, r.max);
  }
}

TEST(StorageCodec, ResponsesFramesAndControlsRoundTrip) {
  const Response r{.id = 9,
                   .status = absl::OutOfRangeError("past"),
                   .missing = {digest_of("m")},
                   .listed = {digest_of("l1"), digest_of("l2")},
                   .more = true,
                   .size_bytes = 5,
                   .deduplicated = true};
  auto got = decode_client_bound(encode(r), DecodeLimits{}, nullptr);
  ASSERT_TRUE(got.ok()) << got.status();
  const Response& out = std::get<Response>(*got);
  EXPECT_EQ(out.status, r.status);
  EXPECT_EQ(out.missing, r.missing);
  EXPECT_EQ(out.listed, r.listed);
  EXPECT_TRUE(out.more);
  EXPECT_EQ(out.size_bytes, 5u);
  EXPECT_TRUE(out.deduplicated);

  auto f = decode_node_bound(encode_put_frame({.id = 3, .offset = 10, .bytes = Payload("xyz")}),
                             DecodeLimits{}, nullptr);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(std::get<Frame>(*f).offset, 10u);
  EXPECT_EQ(std::get<Frame>(*f).bytes.view(), "xyz");

  auto c = decode_client_bound(
      encode_put_credit({.id = 3, .acked_bytes = 8, .window_bytes = 4, .frame_bytes = 2}),
      DecodeLimits{}, nullptr);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(std::get<Control>(*c).acked_bytes, 8u);
  EXPECT_EQ(std::get<Control>(*c).window_bytes, 4u);
  EXPECT_EQ(std::get<Control>(*c).frame_bytes, 2u);
  EXPECT_FALSE(std::get<Control>(*c).working);

  uint64_t id = 0;
  auto w = decode_client_bound(encode_working(12), DecodeLimits{}, &id);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(id, 12u);
  EXPECT_EQ(std::get<Control>(*w).id, 12u);
  EXPECT_TRUE(std::get<Control>(*w).working);
}

TEST(StorageCodec, AWorkingNoticeCarriesNothingButItsRequestId) {
  const Message credit = encode_put_credit({.id = 13, .acked_bytes = 8});
  uint64_t id = 0;
  auto got = decode_client_bound(
      Message{.type = cairn::wire::kShardWorking, .header = credit.header}, DecodeLimits{}, &id);
  EXPECT_TRUE(absl::IsInvalidArgument(got.status())) << got.status();
  EXPECT_EQ(id, 13u);
  auto node = decode_node_bound(encode_working(14), DecodeLimits{}, &id);
  EXPECT_TRUE(absl::IsInvalidArgument(node.status())) << "a notice is client-bound";
}

TEST(StorageCodec, BadMessagesAreInvalidArgumentWithTheirIdWhenReadable) {
  const cas::Digest a = digest_of("a");
  auto expect_bad = [](const Message& m, bool node_bound, uint64_t want_id, const char* says) {
    uint64_t id = 77;
    DecodeLimits limits{.max_header_bytes = 1000, .max_find_missing = 3, .max_frame_bytes = 8};
    absl::Status st = node_bound ? decode_node_bound(m, limits, &id).status()
                                 : decode_client_bound(m, limits, &id).status();
    EXPECT_TRUE(absl::IsInvalidArgument(st)) << says << ": " << st;
    EXPECT_TRUE(absl::StrContains(st.message(), says)) << st;
    EXPECT_EQ(id, want_id) << says;
  };
  expect_bad(encode(Request{.id = 1, .kind = RequestKind::kFindMissing, .digests = {a, a, a, a}}),
             true, 1, "over the limit of 3");
  expect_bad(encode(Request{.id = 12, .kind = RequestKind::kList, .has_digest = false, .max = 4}),
             true, 12, "listing of 4 digests over the limit of 3");
  expect_bad(encode(Response{.id = 13, .listed = {a, a, a, a}}), false, 13, "more than 3 digests");
  expect_bad(encode(Request{.id = 2, .kind = RequestKind::kPut, .digest = a}), true, 2,
             "window of 0");
  expect_bad(encode(Request{.id = 3,
                            .kind = RequestKind::kGet,
                            .digest = a,
                            .offset = UINT64_MAX,
                            .length = 2,
                            .window_bytes = 1}),
             true, 3, "wraps");
  expect_bad(encode(Request{.id = 0, .kind = RequestKind::kStat, .digest = a}), true, 0,
             "without a request id");
  expect_bad(Message{.type = cairn::wire::kShardRequest, .header = std::string(2000, 'x')}, true, 0,
             "header of 2000 bytes");
  expect_bad(Message{.type = cairn::wire::kShardRequest, .header = "\x08\x05"}, true, 5,
             "without a body");
  wire::ShardRequest short_hash;
  short_hash.set_request_id(6);
  short_hash.mutable_stat()->mutable_digest()->set_sha256("abc");
  expect_bad(Message{.type = cairn::wire::kShardRequest, .header = short_hash.SerializeAsString()},
             true, 6, "3 hash bytes");
  expect_bad(encode_put_frame({.id = 7, .offset = 0, .bytes = Payload()}), true, 7, "empty");
  expect_bad(encode_put_frame({.id = 8, .offset = 0, .bytes = Payload(std::string(9, 'x'))}), true,
             8, "over the limit of 8");
  expect_bad(encode_get_frame({.id = 9, .offset = 0, .bytes = Payload("x")}), true, 0,
             "not a node-bound");
  expect_bad(encode(Request{.id = 10, .kind = RequestKind::kStat, .digest = a}), false, 0,
             "not a client-bound");
  expect_bad(encode_control({.id = 11, .cancel = true}).type == cairn::wire::kShardControl
                 ? Message{.type = cairn::wire::kShardPutCredit,
                           .header = encode_control({.id = 11, .cancel = true}).header}
                 : Message{},
             false, 11, "cancel sent to a client");
}

}  // namespace
}  // namespace cairn::storage
