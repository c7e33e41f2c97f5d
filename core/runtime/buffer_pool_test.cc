// BufferPool: a buffer comes back only once nothing else holds it; the pool stays bounded.
#include "core/runtime/buffer_pool.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/runtime/message.h"

namespace cairn {
namespace {

TEST(BufferPool, ReusesABufferOnlyOnceEveryPayloadOfItIsGone) {
  BufferPool pool(16 << 20, 4);
  std::shared_ptr<std::string> a = pool.take(4 << 20);
  ASSERT_TRUE(a->empty());
  ASSERT_GE(a->capacity(), 4u << 20);
  a->append(4 << 20, 'a');
  const char* bytes = a->data();
  Payload p{std::shared_ptr<const std::string>(a)};
  Payload alias = Payload::alias(p.owner(), p.view().substr(10, 20));
  a.reset();

  // Payloads still hold it: a second buffer, not the first.
  std::shared_ptr<std::string> b = pool.take(4 << 20);
  EXPECT_NE(b->data(), bytes);
  EXPECT_EQ(pool.reused(), 0u);
  b.reset();
  p = Payload();
  EXPECT_EQ(alias.view(), std::string(20, 'a'));  // the alias alone keeps the bytes
  std::shared_ptr<std::string> c = pool.take(4 << 20);
  EXPECT_NE(c->data(), bytes);  // the idle second buffer is the one handed out
  EXPECT_EQ(pool.reused(), 1u);
  alias = Payload();

  // The last reference gone: the first buffer comes back as it was left.
  std::shared_ptr<std::string> d = pool.take(1 << 20);
  EXPECT_EQ(d->data(), bytes);
  EXPECT_EQ(d->size(), 4u << 20);
  EXPECT_EQ((*d)[10], 'a');
  EXPECT_EQ(pool.reused(), 2u);
  EXPECT_EQ(pool.pooled_buffers(), 2u);
}

TEST(BufferPool, HoldsNoMoreThanItsBoundAndHandsOutUnpooledBeyondIt) {
  BufferPool pool(10 << 20, 4);
  std::shared_ptr<std::string> a = pool.take(4 << 20);
  std::shared_ptr<std::string> b = pool.take(4 << 20);
  EXPECT_EQ(pool.pooled_buffers(), 2u);
  // A third does not fit while both are in use: handed out, not kept.
  std::shared_ptr<std::string> c = pool.take(4 << 20);
  EXPECT_GE(c->capacity(), 4u << 20);
  EXPECT_EQ(pool.pooled_buffers(), 2u);
  EXPECT_LE(pool.pooled_bytes(), 10u << 20);
  EXPECT_EQ(c.use_count(), 1);  // only the caller holds it

  // A larger request evicts idle buffers too small for it to make room.
  a.reset();
  b.reset();
  std::shared_ptr<std::string> big = pool.take(8 << 20);
  EXPECT_GE(big->capacity(), 8u << 20);
  EXPECT_EQ(pool.pooled_buffers(), 1u);
  EXPECT_LE(pool.pooled_bytes(), 10u << 20);
  EXPECT_EQ(pool.reused(), 0u);
}

TEST(BufferPool, ABufferLargerThanTheBoundIsNeverPooled) {
  BufferPool pool(1 << 20, 4);
  std::shared_ptr<std::string> a = pool.take(2 << 20);
  EXPECT_GE(a->capacity(), 2u << 20);
  EXPECT_EQ(pool.pooled_buffers(), 0u);
  EXPECT_EQ(pool.pooled_bytes(), 0u);
}

TEST(BufferPool, HoldsNoMoreBuffersThanItsSlots) {
  BufferPool pool(1 << 20, 2);
  std::vector<std::shared_ptr<std::string>> held;
  for (int i = 0; i < 5; ++i) held.push_back(pool.take(100));  // kept by their receivers
  EXPECT_EQ(pool.pooled_buffers(), 2u);
  held.resize(1);  // the first (pooled) still held; the second pooled one now idle
  std::shared_ptr<std::string> again = pool.take(50);
  EXPECT_EQ(pool.reused(), 1u);
  EXPECT_EQ(pool.pooled_buffers(), 2u);
}

}  // namespace
}  // namespace cairn
