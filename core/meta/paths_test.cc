#include "core/meta/paths.h"

#include <gtest/gtest.h>

namespace cairn::meta {
namespace {

std::string text_of(absl::string_view path) {
  auto p = parse_path(path);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? p->text() : "";
}

void expect_invalid(absl::string_view path, absl::string_view why) {
  auto p = parse_path(path);
  ASSERT_FALSE(p.ok()) << "accepted " << meta::quoted(path);
  EXPECT_TRUE(absl::IsInvalidArgument(p.status())) << p.status();
  EXPECT_NE(p.status().message().find(why), absl::string_view::npos) << p.status();
}

TEST(Paths, RootAndCanonicalForms) {
  EXPECT_TRUE(parse_path("/")->is_root());
  EXPECT_EQ(text_of("/a"), "/a");
  EXPECT_EQ(text_of("/a/b/c"), "/a/b/c");
  EXPECT_EQ(text_of("/a/"), "/a");  // one trailing '/' is ignored
  EXPECT_EQ(parse_path("/a/b/")->parts(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(text_of("/.a/..b/..."), "/.a/..b/...");
  EXPECT_EQ(text_of("/caf\xc3\xa9/\xe2\x82\xac"), "/caf\xc3\xa9/\xe2\x82\xac");
}

TEST(Paths, RejectsEverythingElse) {
  expect_invalid("", "not absolute");
  expect_invalid("a/b", "not absolute");
  expect_invalid("//", "empty component");
  expect_invalid("/a//b", "empty component");
  expect_invalid("/a//", "empty component");
  expect_invalid("/a/./b", "the name");
  expect_invalid("/a/../b", "the name");
  expect_invalid("/..", "the name");
  expect_invalid(std::string("/a\0b", 4), "NUL");
  expect_invalid(std::string("/\0", 2), "NUL");
  expect_invalid("/\xff", "not UTF-8");
  expect_invalid("/\xc0\xaf", "not UTF-8");          // overlong '/'
  expect_invalid("/\xed\xa0\x80", "not UTF-8");      // a surrogate
  expect_invalid("/\xf4\x90\x80\x80", "not UTF-8");  // past U+10FFFF
  expect_invalid("/\xe2\x82", "not UTF-8");          // cut short
}

TEST(Paths, NameAndPathLengths) {
  EXPECT_TRUE(parse_path("/" + std::string(255, 'n')).ok());
  expect_invalid("/" + std::string(256, 'n'), "256 bytes");
  // 16 components of 255 bytes and 16 slashes: exactly 4096 bytes.
  std::string longest;
  for (int i = 0; i < 16; ++i) longest += "/" + std::string(255, 'x');
  ASSERT_EQ(longest.size(), kMaxPathBytes);
  EXPECT_TRUE(parse_path(longest).ok());
  expect_invalid(longest + "/", "4097 bytes");
}

TEST(Paths, Below) {
  const Path a = *parse_path("/a"), ab = *parse_path("/a/b"), abc = *parse_path("/a/bc");
  EXPECT_TRUE(ab.is_below(a));
  EXPECT_TRUE(ab.is_below(Path()));
  EXPECT_FALSE(a.is_below(a));
  EXPECT_FALSE(a.is_below(ab));
  EXPECT_FALSE(abc.is_below(ab));
  EXPECT_EQ(ab.prefix(1), "/a");
  EXPECT_EQ(ab.prefix(0), "/");
  EXPECT_EQ(ab.name(), "b");
}

TEST(Paths, QuotedEscapesWhatIsNotPrintable) {
  EXPECT_EQ(meta::quoted(std::string("a\0z", 3)), "\"a\\x00z\"");
  EXPECT_EQ(meta::quoted("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
}

}  // namespace
}  // namespace cairn::meta
