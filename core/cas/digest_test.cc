#include "core/cas/digest.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace cairn::cas {
namespace {

absl::Span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(Digest, MatchesKnownSha256Vectors) {
  EXPECT_EQ(Digest::of(std::string_view()).format(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855:0");
  EXPECT_EQ(Digest::of(as_bytes("abc")).format(),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad:3");
}

TEST(Digest, RejectsMalformedTextWithReasons) {
  const std::string hex(64, 'a');
  auto why = [](std::string_view text) {
    return std::string(Digest::parse(text).status().message());
  };
  EXPECT_NE(why("md5:" + hex + ":1").find("sha256:"), std::string::npos);
  EXPECT_NE(why("sha256:" + hex).find("missing ':'"), std::string::npos);
  EXPECT_NE(why("sha256:abc:1").find("64 hex digits"), std::string::npos);
  EXPECT_NE(why("sha256:" + std::string(64, 'A') + ":1").find("lowercase hex"), std::string::npos);
  EXPECT_NE(why("sha256:" + hex + ":").find("missing size"), std::string::npos);
  EXPECT_NE(why("sha256:" + hex + ":01").find("leading zero"), std::string::npos);
  EXPECT_NE(why("sha256:" + hex + ":-1").find("decimal"), std::string::npos);
  EXPECT_NE(why("sha256:" + hex + ":1 ").find("decimal"), std::string::npos);
  EXPECT_NE(why("sha256:" + hex + ":18446744073709551616").find("64 bits"), std::string::npos);
  EXPECT_TRUE(Digest::parse("sha256:" + hex + ":18446744073709551615").ok());
}

TEST(Digest, IncrementalEqualsOneShot) {
  Digester d;
  d.update(as_bytes("hello, "));
  d.update(as_bytes("world"));
  EXPECT_EQ(d.finish(), Digest::of(as_bytes("hello, world")));
}

RC_GTEST_PROP(Digest, FormatParseRoundTrips, (std::vector<uint8_t> seed, uint64_t size)) {
  Digest::Hash hash{};
  for (size_t i = 0; i < seed.size() && i < hash.size(); ++i) hash[i] = seed[i];
  const Digest digest(hash, size);
  auto parsed = Digest::parse(digest.format());
  RC_ASSERT(parsed.ok());
  RC_ASSERT(*parsed == digest);
  RC_ASSERT(parsed->format() == digest.format());
}

// Any single-character edit of a valid text either fails to parse or parses to a digest
// whose canonical form is exactly the edited text: nothing malformed slips through.
RC_GTEST_PROP(Digest, RejectsEveryNonCanonicalEdit, (uint64_t size, char c)) {
  const auto bytes = *rc::gen::container<std::vector<uint8_t>>(*rc::gen::inRange(0, 64),
                                                               rc::gen::arbitrary<uint8_t>());
  std::string text = Digest::of(bytes).format();
  text = Digest(Digest::parse(text)->hash(), size).format();
  const size_t at = *rc::gen::inRange<size_t>(0, text.size() + 1);
  switch (*rc::gen::inRange(0, 3)) {
    case 0:
      text.insert(at, 1, c);
      break;
    case 1:
      if (at < text.size()) text.erase(at, 1);
      break;
    default:
      if (at < text.size()) text[at] = c;
      break;
  }
  auto parsed = Digest::parse(text);
  if (parsed.ok()) {
    RC_ASSERT(parsed->format() == text);
  } else {
    RC_ASSERT(parsed.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

RC_GTEST_PROP(Digest, IncrementalEqualsOneShotAtAnySplit, (std::vector<uint8_t> bytes)) {
  const size_t split = *rc::gen::inRange<size_t>(0, bytes.size() + 1);
  Digester d;
  d.update(absl::MakeConstSpan(bytes).subspan(0, split));
  d.update(absl::MakeConstSpan(bytes).subspan(split));
  RC_ASSERT(d.finish() == Digest::of(bytes));
}

}  // namespace
}  // namespace cairn::cas
