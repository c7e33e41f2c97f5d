#include "core/wire/frame.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/wire/crc32c.h"

namespace cairn::wire {
namespace {

Message make_message(MessageType type, std::string header, std::string payload) {
  Message m;
  m.type = type;
  m.header = std::move(header);
  if (!payload.empty()) m.payload = Payload(std::move(payload));
  return m;
}

std::string payload_of(const Message& m) { return std::string(m.payload.view()); }

TEST(Frame, HeaderLayoutIsLittleEndianAndDocumented) {
  const Message m = make_message(0x0102, "hdr", "payload!");
  const auto h = encode_frame_header(m, FrameMeta{7, 0x0102030405060708ull, 0});
  EXPECT_EQ(std::string(h.data(), 4), "CARN");
  EXPECT_EQ(h[4], 1);
  EXPECT_EQ(h[6], 0x02);
  EXPECT_EQ(h[7], 0x01);
  EXPECT_EQ(h[8], 3);   // protobuf header length
  EXPECT_EQ(h[12], 8);  // payload length
  EXPECT_EQ(h[16], 7);  // sequence
  EXPECT_EQ(h[20], 0x08);
  EXPECT_EQ(h[27], 0x01);
}

TEST(Frame, RoundTripsOneByteAtATime) {
  const Message m = make_message(0x0101, "a protobuf header", std::string(1000, 'x'));
  const std::string bytes = encode_frame(m, FrameMeta{42, 123456, 0});
  FrameDecoder d;
  std::vector<Frame> out;
  for (char c : bytes) ASSERT_TRUE(d.feed(&c, 1, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].message.type, 0x0101);
  EXPECT_EQ(out[0].message.header, m.header);
  EXPECT_EQ(payload_of(out[0].message), payload_of(m));
  EXPECT_EQ(out[0].meta.sequence, 42u);
  EXPECT_EQ(out[0].meta.timestamp_us, 123456u);
  EXPECT_TRUE(d.finish().ok());
}

TEST(Frame, PayloadWithKnownCrcGivesTheSameFrame) {
  const Message plain = make_message(0x0501, "shard header", std::string(100000, 's'));
  Message known = plain;
  const std::string_view p = plain.payload.view();
  known.payload = plain.payload.with_crc32c(crc32c(p.data(), p.size()));
  EXPECT_EQ(encode_frame(known, FrameMeta{3, 4, 0}), encode_frame(plain, FrameMeta{3, 4, 0}));
}

TEST(Frame, PayloadWithWrongKnownCrcIsRefused) {
  Message m = make_message(0x0501, "shard header", std::string(5000, 's'));
  const std::string_view p = m.payload.view();
  m.payload = m.payload.with_crc32c(crc32c(p.data(), p.size()) ^ 0x10);
  const std::string bytes = encode_frame(m, FrameMeta{});
  FrameDecoder d;
  std::vector<Frame> out;
  EXPECT_TRUE(absl::IsDataLoss(d.feed(bytes.data(), bytes.size(), &out)));
  EXPECT_EQ(d.error(), FrameError::kCrcMismatch);
  EXPECT_TRUE(out.empty());
}

TEST(Frame, EmptyFrameRoundTrips) {
  const std::string bytes = encode_frame(make_message(9, "", ""), FrameMeta{});
  FrameDecoder d;
  std::vector<Frame> out;
  ASSERT_TRUE(d.feed(bytes.data(), bytes.size(), &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].message.type, 9);
  EXPECT_TRUE(out[0].message.payload.empty());
  EXPECT_FALSE(out[0].message.payload.owner());
}

TEST(Frame, WantNeverReachesPastTheFrame) {
  const std::string a = encode_frame(make_message(1, "h", "p1"), FrameMeta{});
  FrameDecoder d;
  size_t offered = 0;
  while (!d.has_frame()) {
    auto dst = d.want();
    ASSERT_LE(offered + dst.size(), a.size());
    std::memcpy(dst.data(), a.data() + offered, dst.size());
    offered += dst.size();
    ASSERT_TRUE(d.commit(dst.size()).ok());
  }
  EXPECT_EQ(offered, a.size());
  EXPECT_TRUE(d.want().empty());  // nothing more until the frame is taken
}

struct Corruption {
  size_t offset;
  char value;
  FrameError expected;
};

TEST(Frame, EachKindOfBadFrameGivesItsError) {
  const std::string good = encode_frame(make_message(1, "header", "payload"), FrameMeta{});
  const std::vector<Corruption> cases = {
      {0, 'X', FrameError::kBadMagic},          {4, 2, FrameError::kUnknownVersion},
      {5, 0x40, FrameError::kUnknownFlags},     {15, 0x7F, FrameError::kLengthOverLimit},
      {11, 0x7F, FrameError::kLengthOverLimit}, {good.size() - 1, '?', FrameError::kCrcMismatch},
      {16, 9, FrameError::kCrcMismatch},
  };
  for (const auto& c : cases) {
    std::string bad = good;
    bad[c.offset] = c.value;
    FrameDecoder d;
    std::vector<Frame> out;
    const absl::Status s = d.feed(bad.data(), bad.size(), &out);
    EXPECT_FALSE(s.ok()) << c.offset;
    EXPECT_EQ(d.error(), c.expected) << c.offset << " " << s;
    EXPECT_TRUE(out.empty());
    EXPECT_TRUE(d.want().empty());  // sticky
  }
}

TEST(Frame, TruncationIsReportedAtEndOfStream) {
  const std::string good = encode_frame(make_message(1, "header", "payload"), FrameMeta{});
  for (size_t cut : {size_t{1}, size_t{31}, size_t{32}, good.size() - 1}) {
    FrameDecoder d;
    std::vector<Frame> out;
    ASSERT_TRUE(d.feed(good.data(), cut, &out).ok());
    EXPECT_TRUE(out.empty());
    EXPECT_FALSE(d.finish().ok());
    EXPECT_EQ(d.error(), FrameError::kTruncated);
  }
}

TEST(Frame, UncheckedPayloadSkipsOnlyThePayload) {
  std::string bytes =
      encode_frame(make_message(1, "hdr", "data"), FrameMeta{0, 0, kFlagPayloadUnchecked});
  bytes.back() = 'X';  // payload changes: still accepted
  FrameDecoder d;
  std::vector<Frame> out;
  EXPECT_TRUE(d.feed(bytes.data(), bytes.size(), &out).ok());
  bytes[kFrameHeaderSize] = 'H';  // protobuf header changes: refused
  FrameDecoder d2;
  EXPECT_EQ(d2.feed(bytes.data(), bytes.size(), &out).code(), absl::StatusCode::kDataLoss);
}

TEST(Frame, InPlaceDecodingAliasesThePayloadAndChecksTheCrc) {
  for (uint8_t flags : {uint8_t{0}, kFlagPayloadUnchecked}) {
    auto bytes = std::make_shared<std::string>(
        encode_frame(make_message(7, "proto", std::string(3000, 'w')), FrameMeta{9, 77, flags}));
    FrameHeader fh;
    std::string why;
    ASSERT_EQ(parse_frame_header(bytes->data(), FrameLimits{}, &fh, &why), FrameError::kNone);
    EXPECT_EQ(fh.frame_bytes(), bytes->size());
    EXPECT_EQ(fh.meta.sequence, 9u);
    Frame f;
    ASSERT_EQ(decode_frame_in_place(*bytes, fh, bytes, &f, &why), FrameError::kNone) << why;
    EXPECT_EQ(f.message.type, 7);
    EXPECT_EQ(f.message.header, "proto");
    EXPECT_EQ(f.message.payload.data(), bytes->data() + kFrameHeaderSize + 5);  // no copy
    EXPECT_EQ(f.message.payload.view(), std::string(3000, 'w'));
    EXPECT_EQ(f.message.payload.owner(), bytes);
    (*bytes)[kFrameHeaderSize] = 'P';  // the protobuf header is always checked
    EXPECT_EQ(decode_frame_in_place(*bytes, fh, bytes, &f, &why), FrameError::kCrcMismatch);
    EXPECT_FALSE(why.empty());
  }
  std::string why;
  FrameHeader fh;
  const std::string junk(kFrameHeaderSize, 'j');
  EXPECT_EQ(parse_frame_header(junk.data(), FrameLimits{}, &fh, &why), FrameError::kBadMagic);
  EXPECT_EQ(frame_status(FrameError::kBadMagic, why).code(), absl::StatusCode::kInvalidArgument);
}

// Several large payloads held at once (answers a client handles on other threads) get
// buffers of their own; each is reused once its receiver drops it, never while held.
TEST(Frame, LargePayloadBuffersAreReusedOnceDroppedEvenWithOthersHeld) {
  const size_t big = (4u << 20);
  FrameDecoder d;
  auto decode = [&](char fill) {
    const std::string bytes = encode_frame(make_message(5, "h", std::string(big, fill)), {});
    std::vector<Frame> out;
    EXPECT_TRUE(d.feed(bytes.data(), bytes.size(), &out).ok());
    EXPECT_EQ(out.size(), 1u);
    return out.at(0).message.payload;
  };
  std::vector<Payload> held;
  std::set<const char*> seen;
  for (char fill : {'a', 'b', 'c', 'd'}) {
    held.push_back(decode(fill));
    seen.insert(held.back().data());
  }
  EXPECT_EQ(seen.size(), 4u);  // all held: four buffers
  const char* second = held[1].data();
  held[1] = Payload();
  const Payload e = decode('e');
  EXPECT_EQ(e.data(), second);  // the dropped one, reused
  EXPECT_EQ(e.view(), std::string(big, 'e'));
  EXPECT_EQ(held[0].view(), std::string(big, 'a'));  // the held ones untouched
  EXPECT_EQ(held[3].view(), std::string(big, 'd'));
}

// A stream reader feeds the start of a payload from its staging buffer (absorb) and reads
// the rest in place (want). In a reused buffer, want() then points at the bytes its last
// user left there: the buffer was not shrunk by the first bytes and zero-filled again.
TEST(Frame, ReusedPayloadBufferIsWrittenInPlaceWhenItsStartWasAbsorbed) {
  const size_t big = 4u << 20;
  FrameDecoder d;
  const std::string first = encode_frame(make_message(5, "h", std::string(big, 'a')), {});
  std::vector<Frame> out;
  ASSERT_TRUE(d.feed(first.data(), first.size(), &out).ok());
  const char* buffer = out.at(0).message.payload.data();
  out.clear();  // the payload dropped: its buffer goes back to the decoder's pool

  const std::string second = encode_frame(make_message(5, "h", std::string(big, 'b')), {});
  const size_t staged = kFrameHeaderSize + 1 + 1000;  // header, "h", 1000 payload bytes
  for (size_t at = 0; at < staged;) {
    const size_t n = d.absorb(second.data() + at, staged - at);  // one part at a time
    ASSERT_GT(n, 0u);
    at += n;
  }
  const std::span<char> rest = d.want();
  ASSERT_EQ(rest.size(), big - 1000);
  EXPECT_EQ(rest.data(), buffer + 1000);  // the same buffer, in place
  EXPECT_EQ(rest[0], 'a');                // not zero-filled
  EXPECT_EQ(rest[rest.size() - 1], 'a');
  std::memcpy(rest.data(), second.data() + staged, rest.size());
  ASSERT_TRUE(d.commit(rest.size()).ok());
  ASSERT_TRUE(d.has_frame());
  EXPECT_EQ(d.take().message.payload.view(), std::string(big, 'b'));
}

// A pool given to several decoders keeps payloads of the size it was made for (over a
// decoder's own pool of four 4 MiB payloads), and a payload one decoder produced is reused
// by another once dropped.
TEST(Frame, DecodersSharingAPoolReuseEachOthersLargePayloads) {
  const size_t huge = 20u << 20;  // over a decoder's own pool (four 4 MiB payloads)
  auto decode = [&](FrameDecoder& d, char fill) {
    const std::string bytes = encode_frame(make_message(5, "h", std::string(huge, fill)), {});
    std::vector<Frame> out;
    EXPECT_TRUE(d.feed(bytes.data(), bytes.size(), &out).ok());
    EXPECT_EQ(out.size(), 1u);
    return out.at(0).message.payload;
  };
  auto pool =
      std::make_shared<BufferPool>(2 * (huge + FrameDecoder::kZeroTailBytes), /*buffers_max=*/4);
  FrameDecoder one({}, pool), two({}, pool);
  Payload first = decode(one, 'c');
  Payload second = decode(two, 'd');  // `first` held: another buffer
  EXPECT_NE(second.data(), first.data());
  const char* from_one = first.data();
  first = Payload();
  const Payload third = decode(two, 'e');
  EXPECT_EQ(third.data(), from_one);  // decoded by `one`, dropped, reused by `two`
  EXPECT_EQ(third.view(), std::string(huge, 'e'));
  EXPECT_EQ(second.view(), std::string(huge, 'd'));
  EXPECT_EQ(pool->reused(), 1u);
  EXPECT_EQ(pool->pooled_buffers(), 2u);
}

// Large payloads carry zeros after them (Payload::zero_tail) so an erasure coder reads a
// padded shard in place; a recycled buffer that held other bytes there is zeroed again.
TEST(Frame, LargePayloadsComeWithAZeroTail) {
  const size_t big = FrameDecoder::kZeroTailFrom + 5;
  FrameDecoder d;
  for (int round = 0; round < 4; ++round) {
    const char fill = static_cast<char>('a' + round);
    const size_t size = big + (round % 2 == 0 ? 3000 : 0);  // a shorter frame after a longer
    const std::string bytes = encode_frame(make_message(5, "h", std::string(size, fill)), {});
    Frame f;
    if (round < 2) {  // feed(): the payload is appended
      std::vector<Frame> out;
      ASSERT_TRUE(d.feed(bytes.data(), bytes.size(), &out).ok());
      ASSERT_EQ(out.size(), 1u);
      f = std::move(out[0]);
    } else {  // want() and commit(): the payload is written in place
      size_t at = 0;
      while (!d.has_frame()) {
        std::span<char> w = d.want();
        const size_t n = std::min(w.size(), bytes.size() - at);
        std::memcpy(w.data(), bytes.data() + at, n);
        ASSERT_TRUE(d.commit(n).ok());
        at += n;
      }
      f = d.take();
    }
    const Payload& p = f.message.payload;
    EXPECT_EQ(p.view(), std::string(size, fill)) << round;
    ASSERT_EQ(p.zero_tail(), FrameDecoder::kZeroTailBytes);
    EXPECT_EQ(std::string_view(p.data() + p.view().size(), p.zero_tail()),
              std::string(p.zero_tail(), '\0'))
        << round;
  }
  const std::string small = encode_frame(make_message(5, "h", std::string(1000, 's')), {});
  std::vector<Frame> out;
  ASSERT_TRUE(d.feed(small.data(), small.size(), &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].message.payload.zero_tail(), 0);
}

TEST(Frame, VirtualPayloadIsNotFrameable) {
  Message m;
  m.payload.virtual_bytes = 10;
  EXPECT_FALSE(check_frameable(m, FrameLimits{}).ok());
}

RC_GTEST_PROP(Frame, StreamsOfFramesRoundTripInAnyChunking,
              (const std::vector<std::string>& headers, const std::string& payload,
               uint8_t chunk)) {
  std::string stream;
  std::vector<Message> sent;
  uint32_t seq = 0;
  for (const auto& h : headers) {
    sent.push_back(make_message(static_cast<MessageType>(h.size()), h, payload + h));
    stream += encode_frame(sent.back(), FrameMeta{seq++, 5, 0});
  }
  FrameDecoder d;
  std::vector<Frame> out;
  const size_t step = 1 + chunk;
  for (size_t at = 0; at < stream.size(); at += step) {
    RC_ASSERT(d.feed(stream.data() + at, std::min(step, stream.size() - at), &out).ok());
  }
  RC_ASSERT(d.finish().ok());
  RC_ASSERT(out.size() == sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    RC_ASSERT(out[i].message.type == sent[i].type);
    RC_ASSERT(out[i].message.header == sent[i].header);
    RC_ASSERT(payload_of(out[i].message) == payload_of(sent[i]));
    RC_ASSERT(out[i].meta.sequence == i);
  }
}

// Arbitrary bytes, possibly starting with a valid frame prefix and then damaged or cut:
// the decoder yields frames or one clear error, never crashes, never reads past the input
// (the input lives in an exactly sized heap buffer, so ASan builds catch any over-read).
RC_GTEST_PROP(Frame, ArbitraryBytesGiveFramesOrAClearError,
              (const std::string& junk, bool start_valid, uint16_t cut, uint16_t flip_at)) {
  std::string input;
  if (start_valid) input = encode_frame(make_message(3, "hh", junk), FrameMeta{});
  input += junk;
  if (!input.empty() && flip_at % 3 == 0) input[flip_at % input.size()] ^= 0x20;
  input.resize(std::min<size_t>(input.size(), cut));
  auto exact = std::make_unique<char[]>(input.size() + 1);
  std::memcpy(exact.get(), input.data(), input.size());
  FrameDecoder d(FrameLimits{4096, 1u << 16});
  std::vector<Frame> out;
  const absl::Status fed = d.feed(exact.get(), input.size(), &out);
  const absl::Status end = d.finish();
  if (fed.ok() && end.ok()) {
    RC_ASSERT(d.error() == FrameError::kNone);
    RC_ASSERT(out.size() == d.frames_decoded());
  } else {
    RC_ASSERT(d.error() != FrameError::kNone);
    RC_ASSERT(!d.status().message().empty());
    RC_ASSERT(d.want().empty());
  }
}

}  // namespace
}  // namespace cairn::wire
