// Payload: owned, shared and aliased bytes; virtual bytes count in size() only.
#include "core/runtime/message.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace cairn {
namespace {

TEST(Payload, OwnsSharesOrAliasesBytesWithoutCopying) {
  const Payload none;
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(none.view().empty());
  EXPECT_EQ(none.owner(), nullptr);

  auto shared = std::make_shared<const std::string>("abcdef");
  const Payload from_shared(shared);
  EXPECT_EQ(from_shared.data(), shared->data());  // the same bytes, not a copy
  EXPECT_EQ(from_shared.size(), 6u);
  const Payload copy = from_shared;
  EXPECT_EQ(copy.data(), shared->data());
  EXPECT_EQ(shared.use_count(), 3);

  const Payload owned(std::string(100, 'x'));
  EXPECT_EQ(owned.view(), std::string(100, 'x'));

  // An alias keeps its owner alive and releases it with its last copy.
  auto buffer = std::make_shared<std::string>("0123456789");
  bool released = false;
  std::shared_ptr<const void> owner(buffer->data(), [&released, buffer](const void*) mutable {
    released = true;
    buffer.reset();
  });
  buffer.reset();
  const char* base = static_cast<const char*>(owner.get());
  {
    Payload alias = Payload::alias(std::move(owner), std::string_view(base + 2, 5));
    EXPECT_EQ(alias.view(), "23456");
    EXPECT_EQ(alias.data(), base + 2);
    const Payload second = alias;
    alias = Payload();
    EXPECT_FALSE(released);
    EXPECT_EQ(second.view(), "23456");
  }
  EXPECT_TRUE(released);
}

TEST(Payload, VirtualBytesCountInSizeButHaveNoView) {
  Payload p(std::string(10, 'r'));
  p.virtual_bytes = 1000;
  EXPECT_EQ(p.size(), 1010u);
  EXPECT_EQ(p.view().size(), 10u);
  Payload only_virtual;
  only_virtual.virtual_bytes = 5;
  EXPECT_FALSE(only_virtual.empty());
  const Message m{1, "hdr", only_virtual};
  EXPECT_EQ(m.wire_size(), kFrameHeaderBytes + 3 + 5);
}

}  // namespace
}  // namespace cairn
