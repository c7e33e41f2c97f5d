// The shared-memory ring and its two loop-driven ends: gathered writes that wrap around
// the ring's end, back-pressure when the ring and the queue are full, a consumer slower
// than the producer, bad frames refused, a dead peer detected; payloads delivered in place
// (aliasing the ring, also across its end), released out of order and on other threads,
// held until they stall the writer, or held after the ring is gone; and the frame
// decoder's no-zero-fill, buffer-reusing paths that the ring's reader uses for copies.
#include "runtime-real/shm/shm_ring.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/wire/frame.h"
#include "runtime-real/host/asio_runtime.h"
#include "runtime-real/host/spd_log.h"
#include "runtime-real/shm/shm_channel.h"
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

TEST(ShmRing, ReservedBytesStayUnseenUntilPublishedAndMayCrossTheEnd) {
  RingPair ring(4096);
  ASSERT_EQ(ring.producer->write_some(std::string(3000, 'x').data(), 3000), 3000u);
  EXPECT_TRUE(ring.producer->reserve(2000).empty());  // only 1096 free
  EXPECT_EQ(ring.read_all().size(), 3000u);
  const std::span<char> space = ring.producer->reserve(2000);  // crosses the ring's end
  ASSERT_EQ(space.size(), 2000u);
  for (size_t i = 0; i < space.size(); ++i) space[i] = static_cast<char>('a' + i % 26);
  EXPECT_TRUE(ring.consumer->readable().empty());
  ring.producer->publish(2000);
  const std::string got = ring.read_all();
  ASSERT_EQ(got.size(), 2000u);
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], static_cast<char>('a' + i % 26));
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
    writer = std::make_shared<ShmTransport::Writer>(
        *rt[0], std::move(*w), peer_pid, queue_max, [this] { drained.fetch_add(1); },
        [this](std::vector<Message> back) {
          absl::MutexLock lock(&mu);
          for (Message& m : back) unsent.push_back(std::move(m));
        });
    reader_ring = r->get();
    if (with_reader) {
      reader = std::make_shared<ShmTransport::Reader>(*rt[1], 1, std::move(*r), peer_pid,
                                                      wire::FrameLimits{});
    } else {
      idle_end = std::move(*r);
    }
    rt[1]->set_receiver([this](NodeId, const Message& m) {
      if (slow_consumer) std::this_thread::sleep_for(2ms);
      Message kept = m;
      // Unless told to keep them, payloads are copied so that the ring is not held.
      if (!keep_payloads) kept.payload = Payload(std::string(m.payload.view()));
      absl::MutexLock lock(&mu);
      in_ring.push_back(reader_ring->contains(m.payload.data()));
      got.push_back(std::move(kept));
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
  int64_t received(const char* how) {
    int64_t n = 0;
    rt[1]->run_sync([&] {
      n = rt[1]->metrics().counter(absl::StrCat("transport_shm_frames_received_", how)).value();
    });
    return n;
  }
  bool reader_retired() {
    bool r = false;
    rt[1]->run_sync([&] { r = reader->retired(); });
    return r;
  }

  std::string dir = "/tmp/cairn-shm-test-" + std::to_string(::getpid());
  asio::thread_pool pool{1};
  std::unique_ptr<AsioRuntime> rt[2];
  std::shared_ptr<ShmTransport::Writer> writer;
  std::shared_ptr<ShmTransport::Reader> reader;
  std::unique_ptr<ShmRing> idle_end;
  std::atomic<int> drained{0};
  std::atomic<bool> slow_consumer{false};
  std::atomic<bool> keep_payloads{false};
  ShmRing* reader_ring = nullptr;  // the reading end's mapping
  absl::Mutex mu;
  std::vector<Message> got ABSL_GUARDED_BY(mu);
  std::vector<bool> in_ring ABSL_GUARDED_BY(mu);    // got[i]'s payload pointed into the ring
  std::vector<Message> unsent ABSL_GUARDED_BY(mu);  // handed back when the ring retired
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

TEST(ShmRing, ReleasesOutOfOrderFreeTheRingInOrderFromAnyThread) {
  RingPair ring(4096);
  ASSERT_EQ(ring.producer->write_some(std::string(4096, 'r').data(), 4096), 4096u);
  auto shared = std::shared_ptr<ShmRing>(std::move(ring.consumer));
  auto releases = std::make_shared<RingReleases>(shared);
  auto a = releases->pin(1000);
  auto b = releases->pin(2000);
  releases->pass(2500);  // copied out, behind b
  auto c = releases->pin(3000);
  EXPECT_EQ(releases->pinned(), 3u);
  b.reset();
  c.reset();
  EXPECT_EQ(shared->read_index(), 0u);  // a still holds the start
  // The producer sleeps for space; the last release comes from another thread.
  std::atomic<bool> woke{false};
  std::thread producer([&] {
    while (ring.producer->free_bytes() < 3000) ring.producer->wait_for_space(1000, 3000);
    woke = true;
  });
  std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(woke.load());
  std::thread([&] { a.reset(); }).join();
  producer.join();
  EXPECT_EQ(shared->read_index(), 3000u);
  EXPECT_EQ(releases->pinned(), 0u);
  releases->pass(4096);  // nothing pinned: freed at once
  EXPECT_EQ(shared->read_index(), 4096u);
}

TEST(ShmChannel, LargePayloadsArriveInPlaceEvenAcrossTheRingsEndSmallOnesCopied) {
  Channel ch(64 << 10, 8);
  constexpr int kCount = 20;  // 20 KiB frames: several straddle the 64 KiB ring's end
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(ch.push(numbered(20 << 10, i)).ok());
    ASSERT_TRUE(testing::wait_until(5s, [&] { return ch.count() == size_t(i) + 1; }));
  }
  ASSERT_TRUE(ch.push(numbered(100, kCount)).ok());  // small: copied
  ASSERT_TRUE(testing::wait_until(5s, [&] { return ch.count() == kCount + 1; }));
  EXPECT_EQ(ch.received("in_place"), kCount);
  EXPECT_EQ(ch.received("copied"), 1);
  absl::MutexLock lock(&ch.mu);
  for (int i = 0; i <= kCount; ++i) {
    EXPECT_EQ(ch.in_ring[i], i < kCount) << "message " << i;
    EXPECT_EQ(ch.got[i].payload.view(), numbered(i < kCount ? 20 << 10 : 100, i).payload.view())
        << "message " << i;
  }
}

TEST(ShmChannel, PayloadsHeldAndReleasedOutOfOrderOnAnotherThreadLetTheRingGoOn) {
  Channel ch(64 << 10, 8);
  ch.keep_payloads = true;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ch.push(numbered(8 << 10, i)).ok());
  ASSERT_TRUE(testing::wait_until(5s, [&] { return ch.count() == 3; }));
  std::vector<Message> held;
  {
    absl::MutexLock lock(&ch.mu);
    held.swap(ch.got);
    EXPECT_EQ(ch.in_ring, std::vector<bool>(3, true));
    ch.in_ring.clear();
  }
  std::thread([&] {  // released out of order, on a thread that is not the reader's loop
    for (int i : {1, 2, 0}) {
      EXPECT_EQ(held[i].payload.view(), numbered(8 << 10, i).payload.view());
      held[i] = Message{};
    }
  })
      .join();
  ch.keep_payloads = false;
  constexpr int kCount = 40;  // ten times what the ring holds
  for (int i = 0; i < kCount; ++i) {
    while (!ch.push(numbered(16 << 10, i)).ok()) std::this_thread::sleep_for(1ms);
  }
  ASSERT_TRUE(testing::wait_until(10s, [&] { return ch.count() == kCount; }));
  EXPECT_FALSE(ch.reader_retired());
  absl::MutexLock lock(&ch.mu);
  for (int i = 0; i < kCount; ++i) EXPECT_EQ(ch.got[i].payload.view().front(), char(i));
}

// The receiver keeps every payload: the ring fills behind the first one, the reader
// retires it, and the writer hands back what it could not write (ShmTransport would send
// it over TCP). Nothing is lost or delivered twice, and no kept payload changes.
TEST(ShmChannel, KeptPayloadsStayIntactAndDoNotStarveTheWriter) {
  Channel ch(64 << 10, 8);
  ch.keep_payloads = true;
  constexpr int kCount = 40;
  std::vector<int> refused_by_broken_ring;
  for (int i = 0; i < kCount; ++i) {
    const int before = ch.drained.load();
    const absl::Status s = ch.push(numbered(8 << 10, i));
    if (absl::IsResourceExhausted(s)) {
      ASSERT_TRUE(testing::wait_until(10s, [&] { return ch.drained.load() > before; }));
      --i;
      continue;
    }
    if (absl::IsUnavailable(s)) refused_by_broken_ring.push_back(i);  // the caller uses TCP
  }
  ASSERT_FALSE(refused_by_broken_ring.empty());
  EXPECT_TRUE(ch.reader_retired());
  ASSERT_TRUE(testing::wait_until(5s, [&] {  // the reader delivers what is left in the ring
    absl::MutexLock lock(&ch.mu);
    return ch.got.size() + ch.unsent.size() + refused_by_broken_ring.size() >= kCount;
  }));
  absl::MutexLock lock(&ch.mu);
  std::vector<int> times_seen(kCount, 0);
  for (const Message& m : ch.got) {
    const int i = std::stoi(m.header.substr(1));
    ++times_seen[i];
    EXPECT_EQ(m.payload.view(), numbered(8 << 10, i).payload.view()) << "message " << i;
  }
  for (const Message& m : ch.unsent) ++times_seen[std::stoi(m.header.substr(1))];
  for (int i : refused_by_broken_ring) ++times_seen[i];
  EXPECT_EQ(times_seen, std::vector<int>(kCount, 1));
  EXPECT_GT(ch.got.size(), 4u);
  EXPECT_TRUE(ch.in_ring.front());
}

TEST(ShmChannel, HeldPayloadsOutliveTheRingAndBothEnds) {
  std::vector<Message> held;
  {
    Channel ch(64 << 10, 8);
    ch.keep_payloads = true;
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(ch.push(numbered(8 << 10, i)).ok());
    ASSERT_TRUE(testing::wait_until(5s, [&] { return ch.count() == 2; }));
    absl::MutexLock lock(&ch.mu);
    EXPECT_EQ(ch.in_ring, std::vector<bool>(2, true));
    held.swap(ch.got);
  }  // both ends stopped and destroyed, the ring closed and its name long unlinked
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(held[i].payload.view(), numbered(8 << 10, i).payload.view());
  }
  held.clear();  // the last owner unmaps the ring
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
