#include "runtime-real/transport/frame_queue.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cairn::real {
namespace {

Message message_with(std::string header, std::string payload) {
  Message m;
  m.type = 0x0302;
  m.header = std::move(header);
  if (!payload.empty()) m.payload = Payload(std::move(payload));
  return m;
}

std::string concat(const std::vector<asio::const_buffer>& buffers) {
  std::string out;
  for (const asio::const_buffer& b : buffers) {
    out.append(static_cast<const char*>(b.data()), b.size());
  }
  return out;
}

TEST(FrameQueue, GatheredBuffersAreTheFramesAndPayloadsAreNotCopied) {
  FrameQueue q;
  const std::vector<Message> sent = {message_with("a", ""), message_with("", "xyz"),
                                     message_with("hdr", std::string(3 << 20, 'p'))};
  uint64_t wire = 0;
  for (uint32_t i = 0; i < sent.size(); ++i) wire += q.push(sent[i], wire::FrameMeta{i, 7, 0});
  EXPECT_EQ(q.bytes(), wire);
  const std::vector<asio::const_buffer>& out = q.start_write();
  std::string expected;
  for (uint32_t i = 0; i < sent.size(); ++i) {
    expected += wire::encode_frame(sent[i], wire::FrameMeta{i, 7, 0});
  }
  EXPECT_EQ(concat(out), expected);
  EXPECT_EQ(expected.size(), wire);
  // The large payload is written from its own buffer.
  EXPECT_EQ(out.back().data(), static_cast<const void*>(sent[2].payload.data()));
  EXPECT_TRUE(q.writing());
  q.written();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(FrameQueue, AWriteTakesAtMostKGatherFramesMaxAndLaterFramesWait) {
  FrameQueue q;
  const size_t n = FrameQueue::kGatherFramesMax + 3;
  for (uint32_t i = 0; i < n; ++i) q.push(message_with("h", "p"), wire::FrameMeta{i, 0, 0});
  const uint64_t one = q.bytes() / n;
  EXPECT_EQ(concat(q.start_write()).size(), FrameQueue::kGatherFramesMax * one);
  q.push(message_with("h", "p"), wire::FrameMeta{static_cast<uint32_t>(n), 0, 0});
  q.written();
  EXPECT_EQ(q.bytes(), 4 * one);
  const std::string rest = concat(q.start_write());
  EXPECT_EQ(rest.size(), 4 * one);
  wire::FrameDecoder decoder;
  std::vector<wire::Frame> frames;
  ASSERT_TRUE(decoder.feed(rest.data(), rest.size(), &frames).ok());
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames.front().meta.sequence, FrameQueue::kGatherFramesMax);
  EXPECT_EQ(frames.back().meta.sequence, n);
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.writing());
}

}  // namespace
}  // namespace cairn::real
