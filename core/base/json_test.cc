// JSON strings written by hand: what is escaped, and which bytes are UTF-8.
#include "core/base/json.h"

#include <gtest/gtest.h>

#include <string>

namespace cairn {
namespace {

using namespace std::string_literals;

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("a\0b"s));             // NUL is a character
  EXPECT_TRUE(is_valid_utf8("\xC3\xA9"));          // é, two bytes
  EXPECT_TRUE(is_valid_utf8("\xE2\x82\xAC"));      // €, three bytes
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x98\x80"));  // U+1F600, four bytes
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last code point
  EXPECT_TRUE(is_valid_utf8("\xED\x9F\xBF"));      // U+D7FF, just below the surrogates
}

TEST(Utf8, RejectsMalformedSequences) {
  EXPECT_FALSE(is_valid_utf8("\x80"));              // a continuation byte first
  EXPECT_FALSE(is_valid_utf8("\xC3"));              // truncated at the end
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));          // truncated at the end
  EXPECT_FALSE(is_valid_utf8("\xC3x"));             // a lead byte without continuation
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong, three bytes
  EXPECT_FALSE(is_valid_utf8("\xF0\x80\x80\xAF"));  // overlong, four bytes
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // U+D800, a surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // U+110000, beyond Unicode
  EXPECT_FALSE(is_valid_utf8("\xFF"));
  EXPECT_FALSE(is_valid_utf8("ok\xFE"));
}

TEST(JsonQuote, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(json_quote(""), R"("")");
  EXPECT_EQ(json_quote("say \"hi\""), R"("say \"hi\"")");
  EXPECT_EQ(json_quote("a\\b"), R"("a\\b")");
  EXPECT_EQ(json_quote("l1\nl2\r\t\b\f"), R"("l1\nl2\u000d\t\u0008\u000c")");
  EXPECT_EQ(json_quote("nul\0x\x01\x1f\x7f"s), "\"nul\\u0000x\\u0001\\u001f\x7f\"");
  EXPECT_EQ(json_quote("\xC3\xA9/\xF0\x9F\x98\x80"), "\"\xC3\xA9/\xF0\x9F\x98\x80\"");  // as is
}

}  // namespace
}  // namespace cairn
