#include "core/wire/frame_reader.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace cairn::wire {
namespace {

Message message_with(size_t payload_bytes, char fill) {
  Message m;
  m.type = 0x0301;
  m.header = std::string(1 + payload_bytes % 7, 'h');
  if (payload_bytes > 0) m.payload = Payload(std::string(payload_bytes, fill));
  return m;
}

// Reads `stream` through `reader` as a socket would hand it over: at most `per_read`
// bytes a call, into whatever next() offers.
absl::Status read_all(FrameReader& reader, const std::string& stream, size_t per_read,
                      std::vector<Frame>* out) {
  size_t at = 0;
  while (at < stream.size()) {
    const std::span<char> into = reader.next();
    const size_t n = std::min({into.size(), per_read, stream.size() - at});
    std::memcpy(into.data(), stream.data() + at, n);
    at += n;
    if (absl::Status s = reader.landed(n, out); !s.ok()) return s;
  }
  return absl::OkStatus();
}

std::string encode_all(const std::vector<Message>& messages) {
  std::string stream;
  uint32_t seq = 0;
  for (const Message& m : messages) stream += encode_frame(m, FrameMeta{seq++, 0, 0});
  return stream;
}

TEST(FrameReader, LargePayloadsLandInPlaceAndEveryFrameComesOutWhole) {
  const std::vector<Message> sent = {message_with(0, 'a'),         message_with(10, 'b'),
                                     message_with(3 << 20, 'c'),   message_with(5, 'd'),
                                     message_with(100 << 10, 'e'), message_with(1, 'f')};
  const std::string stream = encode_all(sent);
  for (size_t per_read : {size_t{1} << 30, size_t{65536}, size_t{4097}}) {
    FrameReader reader;
    std::vector<Frame> got;
    ASSERT_TRUE(read_all(reader, stream, per_read, &got).ok()) << per_read;
    ASSERT_EQ(got.size(), sent.size()) << per_read;
    for (size_t i = 0; i < sent.size(); ++i) {
      EXPECT_EQ(got[i].message.header, sent[i].header) << i;
      EXPECT_EQ(got[i].message.payload.view(), sent[i].payload.view()) << i;
      EXPECT_EQ(got[i].meta.sequence, i);
    }
    // The 3 MiB and 100 KiB payloads went (mostly) straight into place.
    EXPECT_GT(reader.direct_reads(), 0u) << per_read;
  }
}

TEST(FrameReader, ACorruptByteInAPayloadReadInPlaceIsRefused) {
  std::string stream = encode_all({message_with(1 << 20, 'x'), message_with(8, 'y')});
  stream[kFrameHeaderSize + 200000] ^= 0x10;
  FrameReader reader;
  std::vector<Frame> got;
  const absl::Status s = read_all(reader, stream, 1 << 30, &got);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(reader.decoder().error(), FrameError::kCrcMismatch);
  EXPECT_GT(reader.direct_reads(), 0u);
}

TEST(FrameReader, ALengthOverTheLimitIsRefusedBeforeAnyPayloadIsRead) {
  const std::string stream = encode_all({message_with(2 << 20, 'z')});
  FrameReader reader(FrameLimits{.max_payload_bytes = 1 << 20});
  std::vector<Frame> got;
  EXPECT_FALSE(read_all(reader, stream, 1 << 30, &got).ok());
  EXPECT_EQ(reader.direct_reads(), 0u);
}

RC_GTEST_PROP(FrameReaderProperty, AnySplitOfAnyStreamGivesTheFramesSent,
              (const std::vector<uint32_t>& sizes, uint16_t per_read_seed)) {
  std::vector<Message> sent;
  for (size_t i = 0; i < std::min<size_t>(sizes.size(), 12); ++i) {
    // Payloads from empty to 200 KiB: around the staging buffer and the in-place threshold.
    sent.push_back(message_with(sizes[i] % (200 << 10), static_cast<char>('a' + i)));
  }
  const std::string stream = encode_all(sent);
  const size_t per_read = 1 + per_read_seed % (80 << 10);
  FrameReader reader;
  std::vector<Frame> got;
  RC_ASSERT(read_all(reader, stream, per_read, &got).ok());
  RC_ASSERT(got.size() == sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    RC_ASSERT(got[i].message.header == sent[i].header);
    RC_ASSERT(got[i].message.payload.view() == sent[i].payload.view());
  }
}

}  // namespace
}  // namespace cairn::wire
