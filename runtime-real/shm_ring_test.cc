// The shared-memory ring and its two loop-driven ends: gathered writes that wrap around
// the ring's end, back-pressure when the ring and the queue are full, a consumer slower
// than the producer, bad frames refused, a dead peer detected; and the frame decoder's
// no-zero-fill, buffer-reusing paths that the ring's reader relies on.
#include "runtime-real/shm_ring.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <thread>

#include "core/wire/frame.h"
#include "runtime-real/asio_runtime.h"
#include "runtime-real/shm_channel.h"
#include "runtime-real/spd_log.h"
#include "tests/real/process.h"

namespace cairn::real {
namespace {

using namespace std::chrono_literals;

struct RingPair {
  explicit RingPair(uint64_t capacity) {
    const std::string name = ShmRing::make_name(7, 8);
    auto p = ShmRing::create(name, capacity);
    EXPECT_TRUE(p.ok()) << p.status();
    auto c = ShmRing::open(name);
    EXPECT_TRUE(c.ok()) << c.status();
    ShmRing::unlink(name);
    producer = std::move(*p);
    consumer = std::move(*c);
  }
  std::string read_all() {
    std::string out;
    for (auto r = consumer->readable(); !r.empty(); r = consumer->readable()) {
      out.append(r.data(), r.size());
      consumer->consume(r.size());
    }
    return out;
  }
  std::unique_ptr<ShmRing> producer;
  std::unique_ptr<ShmRing> consumer;
};

TEST(ShmRing, GatheredWriteWrapsAroundTheEndAndResumesAfterSkip) {
  RingPair ring(4096);
  // Move the indices near the end so that the next write wraps.
  ASSERT_EQ(ring.producer->write_some(std::string(4000, 'x').data(), 4000), 4000u);
  EXPECT_EQ(ring.read_all().size(), 4000u);
  const std::string a = "header-32-bytes-long-exactly-ok!", b = "proto", c(5000, 'p');
  const std::array<std::string_view, 3> pieces{a, b, c};
  const size_t total = a.size() + b.size() + c.size();
  size_t written = ring.producer->write_gather(pieces, 0);
  EXPECT_EQ(written, 4096u);  // full: the rest waits
  EXPECT_EQ(ring.producer->free_bytes(), 0u);
  EXPECT_EQ(ring.producer->write_gather(pieces, written), 0u);
  std::string got = ring.read_all();
  written += ring.producer->write_gather(pieces, written);
  EXPECT_EQ(written, total);
  got += ring.read_all();
  EXPECT_EQ(got, a + b + c);
}

TEST(ShmRing, ProducerWaitsForEnoughSpaceNotForAnyByte) {
  RingPair ring(4096);
  ASSERT_EQ(ring.producer->write_some(std::string(4096, 'f').data(), 4096), 4096u);
  std::atomic<bool> woke{false};
  std::thread producer([&] {
    while (ring.producer->free_bytes() < 2048) ring.producer->wait_for_space(1000, 2048);
    woke = true;
  });
  ring.consumer->consume(1024);  // not enough for the producer
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(woke.load());
  ring.consumer->consume(1024);
  producer.join();
  EXPECT_TRUE(woke.load());
}

// A writer node and a reader node in this process, joined by one ring (no TCP).
struct Channel {
  // Without `with_reader` nobody reads the ring (the reading end stays mapped, idle).
  Channel(uint64_t ring_bytes, size_t queue_max, uint64_t peer_pid = 0, bool with_reader = true) {
    for (int i = 0; i < 2; ++i) {
      rt[i] = std::make_unique<AsioRuntime>(static_cast<NodeId>(i + 1), dir, pool,
                                            make_process_logger(LogLevel::kError), i + 1);
    }
    const std::string name = ShmRing::make_name(1, 2);
    auto w = ShmRing::create(name, ring_bytes);
    auto r = ShmRing::open(name);
    ShmRing::unlink(name);
    writer = std::make_shared<ShmTransport::Writer>(*rt[0], std::move(*w), peer_pid, queue_max,
                                                    [this] { drained.fetch_add(1); });
    if (with_reader) {
      reader = std::make_shared<ShmTransport::Reader>(*rt[1], 1, std::move(*r), peer_pid,
                                                      wire::FrameLimits{});
    } else {
      idle_end = std::move(*r);
    }
    rt[1]->set_receiver([this](NodeId, const Message& m) {
      if (slow_consumer) std::this_thread::sleep_for(2ms);
      absl::MutexLock lock(&mu);
      got.push_back(m);
    });
    rt[0]->start();
    rt[1]->start();
    writer->start();
    if (reader) reader->start();
  }
  ~Channel() {
    writer->stop();
    if (reader) reader->stop();
    rt[0]->run_sync([this] { writer.reset(); });
    rt[1]->run_sync([this] { reader.reset(); });
    rt[0]->stop();
    rt[1]->stop();
    pool.join();
    std::filesystem::remove_all(dir);
  }
  absl::Status push(const Message& m) {
    absl::Status s;
    rt[0]->run_sync([&] { s = writer->push(m); });
    return s;
  }
  size_t count() {
    absl::MutexLock lock(&mu);
    return got.size();
  }

  std::string dir = "/tmp/cairn-shm-test-" + std::to_string(::getpid());
  asio::thread_pool pool{1};
  std::unique_ptr<AsioRuntime> rt[2];
  std::shared_ptr<ShmTransport::Writer> writer;
  std::shared_ptr<ShmTransport::Reader> reader;
  std::unique_ptr<ShmRing> idle_end;
  std::atomic<int> drained{0};
  std::atomic<bool> slow_consumer{false};
  absl::Mutex mu;
  std::vector<Message> got ABSL_GUARDED_BY(mu);
};

Message numbered(size_t bytes, int i) {
  std::string payload(bytes, static_cast<char>('a' + i % 26));
  payload.front() = static_cast<char>(i);
  return Message{0x0501, "n" + std::to_string(i), Payload(std::move(payload))};
}

TEST(ShmChannel, FramesLargerThanTheRingArriveIntactAndInOrder) {
  Channel ch(64 << 10, 8);
  constexpr int kCount = 12;
  for (int i = 0; i < kCount; ++i) {  // 100 KiB + 1..: every frame wraps a 64 KiB ring
    while (!ch.push(numbered((100 << 10) + i * 777, i)).ok()) std::this_thread::sleep_for(1ms);
  }
  ASSERT_TRUE(testing::wait_until(10s, [&] { return ch.count() == kCount; }));
  absl::MutexLock lock(&ch.mu);
  for (int i = 0; i < kCount; ++i) {
    const Message want = numbered((100 << 10) + i * 777, i);
    EXPECT_EQ(ch.got[i].header, want.header);
    EXPECT_EQ(ch.got[i].payload.view(), want.payload.view()) << "message " << i;
  }
}

TEST(ShmChannel, SlowConsumerFillsTheQueueThenDrainResumesTheProducer) {
  Channel ch(64 << 10, 4);
  ch.slow_consumer = true;
  int refused = 0, sent = 0;
  constexpr int kCount = 40;
  while (sent < kCount) {
    const int before = ch.drained.load();
    const absl::Status s = ch.push(numbered(30 << 10, sent));
    if (absl::IsResourceExhausted(s)) {  // back-pressure: wait for the drain notice
      ++refused;
      ASSERT_TRUE(testing::wait_until(10s, [&] { return ch.drained.load() > before; }));
      continue;
    }
    ASSERT_TRUE(s.ok()) << s;
    ++sent;
  }
  EXPECT_GT(refused, 0);
  ASSERT_TRUE(testing::wait_until(20s, [&] { return ch.count() == kCount; }));
  absl::MutexLock lock(&ch.mu);
  for (int i = 0; i < kCount; ++i) EXPECT_EQ(ch.got[i].payload.view().front(), char(i));
}

TEST(ShmChannel, BadFrameIsRefusedAndBreaksTheRing) {
  Channel ch(64 << 10, 4);
  // Bytes that are not a frame, written straight into the ring behind the writer's back.
  const std::string name = ShmRing::make_name(3, 4);
  auto w = ShmRing::create(name, 4096);
  auto r = ShmRing::open(name);
  ShmRing::unlink(name);
  auto reader =
      std::make_shared<ShmTransport::Reader>(*ch.rt[1], 3, std::move(*r), 0, wire::FrameLimits{});
  reader->start();
  const std::string junk(64, 'Z');
  ASSERT_EQ((*w)->write_some(junk.data(), junk.size()), junk.size());
  ASSERT_TRUE(testing::wait_until(5s, [&] { return (*w)->closed(); }));
  EXPECT_EQ(ch.count(), 0u);
  ch.rt[1]->run_sync([&] { reader.reset(); });
  // The good channel still works.
  ASSERT_TRUE(ch.push(numbered(1000, 1)).ok());
  ASSERT_TRUE(testing::wait_until(5s, [&] { return ch.count() == 1; }));
}

TEST(ShmChannel, WriterNoticesADeadReaderWhenTheRingIsFull) {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);  // `child` is now a pid nobody has
  Channel ch(64 << 10, 64, static_cast<uint64_t>(child), /*with_reader=*/false);
  absl::Status s;  // the ring fills, the queue waits, the waker finds the reader gone
  ASSERT_TRUE(testing::wait_until(10s, [&] {
    s = ch.push(numbered(16 << 10, 0));
    return absl::IsUnavailable(s);
  })) << s;
}

Message with_payload(const std::string& p) { return Message{0x0501, "h", Payload(p)}; }

TEST(FrameDecoderBuffers, DroppedPayloadIsReusedHeldPayloadIsNot) {
  const std::string f1 = wire::encode_frame(with_payload(std::string(5000, '1')), {});
  const std::string f2 = wire::encode_frame(with_payload(std::string(5000, '2')), {});
  wire::FrameDecoder d;
  std::vector<wire::Frame> out;
  ASSERT_TRUE(d.feed(f1.data(), f1.size(), &out).ok());
  const char* first = out[0].message.payload.data();
  const Payload held = out[0].message.payload;
  out.clear();
  ASSERT_TRUE(d.feed(f2.data(), f2.size(), &out).ok());
  EXPECT_NE(out[0].message.payload.data(), first);  // still held: a new string
  EXPECT_EQ(held.view(), std::string(5000, '1'));   // and the held one unchanged
  const char* second = out[0].message.payload.data();
  out.clear();
  ASSERT_TRUE(d.feed(f1.data(), f1.size(), &out).ok());
  EXPECT_EQ(out[0].message.payload.data(), second);  // dropped: reused
  EXPECT_EQ(out[0].message.payload.view(), std::string(5000, '1'));
}

TEST(FrameDecoderBuffers, WantAndAbsorbMixFreelyWithinOnePayload) {
  for (size_t split : {32u, 33u, 40u, 500u, 4000u}) {
    const std::string f = wire::encode_frame(with_payload(std::string(4096, 'q')), {});
    wire::FrameDecoder d;
    size_t at = d.absorb(f.data(), split);  // frame header, protobuf header, some payload
    while (at < split) at += d.absorb(f.data() + at, split - at);
    while (!d.has_frame()) {  // the rest through want()/commit()
      const std::span<char> dst = d.want();
      ASSERT_FALSE(dst.empty());
      const size_t n = std::min<size_t>(dst.size(), 1000);
      std::memcpy(dst.data(), f.data() + at, n);
      at += n;
      ASSERT_TRUE(d.commit(n).ok());
    }
    EXPECT_EQ(at, f.size());
    EXPECT_EQ(d.take().message.payload.view(), std::string(4096, 'q')) << "split " << split;
  }
}

}  // namespace
}  // namespace cairn::real
