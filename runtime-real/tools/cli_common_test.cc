// The CLI's shared parts: JSON objects with base64 for bytes that are not UTF-8, exit codes,
// whole-file input with its limit.
#include "runtime-real/tools/cli_common.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/status/status.h"

namespace cairn::real::cli {
namespace {

using namespace std::string_literals;

TEST(JsonObject, WritesFieldsInOrderAndBase64ForBytesThatAreNotUtf8) {
  JsonObject o;
  o.bytes("key", "k\"1").boolean("found", true).number("code", 3).bytes("value", "\xFF\x00"s);
  EXPECT_EQ(o.str(), R"({"key":"k\"1","found":true,"code":3,"value_base64":"/wA="})");
  EXPECT_EQ(JsonObject().str(), "{}");
  EXPECT_EQ(JsonObject().bytes("value", "two\nlines").str(), R"({"value":"two\nlines"})");
}

TEST(ExitCodes, InputMistakesAreUsageEverythingElseIsUnavailable) {
  EXPECT_EQ(exit_code_of(absl::InvalidArgumentError("x")), kExitUsage);
  EXPECT_EQ(exit_code_of(absl::OutOfRangeError("x")), kExitUsage);
  EXPECT_EQ(exit_code_of(absl::UnavailableError("x")), kExitUnavailable);
  EXPECT_EQ(exit_code_of(absl::DeadlineExceededError("x")), kExitUnavailable);
}

TEST(ReadInput, RefusesMoreThanTheLimitAndNamesTheSource) {
  char path[] = "/tmp/cairn-cli-input-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  ASSERT_TRUE(write_file(path, "0123456789").ok());
  auto all = read_input(path, 10);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(*all, "0123456789");
  auto over = read_input(path, 9);
  EXPECT_TRUE(absl::IsOutOfRange(over.status())) << over.status();
  EXPECT_NE(over.status().message().find(path), absl::string_view::npos) << over.status();
  EXPECT_NE(over.status().message().find("10 bytes"), absl::string_view::npos) << over.status();
  ::unlink(path);
  auto gone = read_input(path, 10);
  EXPECT_TRUE(absl::IsInvalidArgument(gone.status())) << gone.status();
}

}  // namespace
}  // namespace cairn::real::cli
