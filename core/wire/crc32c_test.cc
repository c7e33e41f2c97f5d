#include "core/wire/crc32c.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

namespace cairn::wire {
namespace {

TEST(Crc32c, StandardCheckValue) {
  const std::string check = "123456789";
  EXPECT_EQ(crc32c(check.data(), check.size()), 0xE3069283u);
  EXPECT_EQ(crc32c_portable(check.data(), check.size()), 0xE3069283u);
  EXPECT_EQ(crc32c("", 0), 0u);
}

TEST(Crc32c, LargeBufferAgrees) {
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  EXPECT_EQ(crc32c(big.data(), big.size()), crc32c_portable(big.data(), big.size()));
}

RC_GTEST_PROP(Crc32c, HardwareAndPortableAgree, (const std::string& bytes)) {
  RC_ASSERT(crc32c(bytes.data(), bytes.size()) == crc32c_portable(bytes.data(), bytes.size()));
}

RC_GTEST_PROP(Crc32c, ContinuesAcrossPieces, (const std::string& a, const std::string& b)) {
  const std::string ab = a + b;
  const uint32_t whole = crc32c(ab.data(), ab.size());
  RC_ASSERT(crc32c(b.data(), b.size(), crc32c(a.data(), a.size())) == whole);
  RC_ASSERT(crc32c_portable(b.data(), b.size(), crc32c_portable(a.data(), a.size())) == whole);
}

}  // namespace
}  // namespace cairn::wire
