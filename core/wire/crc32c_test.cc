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

RC_GTEST_PROP(Crc32c, CombineEqualsTheWhole, (const std::string& a, const std::string& b)) {
  const std::string ab = a + b;
  RC_ASSERT(crc32c_combine(crc32c(a.data(), a.size()), crc32c(b.data(), b.size()), b.size()) ==
            crc32c(ab.data(), ab.size()));
}

TEST(Crc32c, CombineOfLargePieces) {
  std::string a(5000, '\0'), b((1 << 20) + 7, '\0');
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<char>(i * 31);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<char>((i * 2654435761u) >> 11);
  const uint32_t whole = crc32c(b.data(), b.size(), crc32c(a.data(), a.size()));
  EXPECT_EQ(crc32c_combine(crc32c(a.data(), a.size()), crc32c(b.data(), b.size()), b.size()),
            whole);
  // A wrong piece CRC gives a wrong whole: nothing is taken on trust silently.
  EXPECT_NE(crc32c_combine(crc32c(a.data(), a.size()), crc32c(b.data(), b.size()) ^ 1, b.size()),
            whole);
}

}  // namespace
}  // namespace cairn::wire
