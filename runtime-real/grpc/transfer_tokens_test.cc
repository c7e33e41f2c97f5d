// The one-time tokens of the transfer service: minted for blobs, a direction, a caller and
// an expiry; each blob redeemed once; everything else refused without changing anything.
#include "runtime-real/grpc/transfer_tokens.h"

#include <gtest/gtest.h>

namespace cairn::real::reapi {
namespace {

const cas::Digest kA = cas::Digest::of(std::string_view("a"));
const cas::Digest kB = cas::Digest::of(std::string_view("b"));
const cas::Digest kC = cas::Digest::of(std::string_view("c"));
const TokenCaller kAlice{"alice", "loopback"};
constexpr auto kUp = TransferDirection::kUpload;
constexpr auto kDown = TransferDirection::kDownload;

TokenGrant grant(int64_t expires_ms) {
  TokenGrant g;
  g.instance_dir = "/.reapi/main";
  g.direction = kUp;
  g.caller = kAlice;
  g.blobs = {kA, kB};
  g.expires_ms = expires_ms;
  return g;
}

std::string secret(char c) { return std::string(16, c); }

TEST(TokenBook, EachBlobOnceThenRefused) {
  TokenBook book;
  auto t = book.mint(secret('x'), grant(1000), 0);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, "78787878787878787878787878787878");  // the hex of the secret
  auto dir = book.redeem(*t, kA, kUp, kAlice, 10);
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(*dir, "/.reapi/main");
  auto again = book.redeem(*t, kA, kUp, kAlice, 11);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(again.status().message().find("used already"), std::string::npos);
  EXPECT_TRUE(book.redeem(*t, kB, kUp, kAlice, 12).ok());
}

TEST(TokenBook, RefusalsChangeNothing) {
  TokenBook book;
  auto t = book.mint(secret('y'), grant(1000), 0);
  ASSERT_TRUE(t.ok());
  const struct {
    std::string token;
    cas::Digest blob;
    TransferDirection direction;
    TokenCaller caller;
    int64_t now;
    std::string why;
  } refused[] = {
      {"00", kA, kUp, kAlice, 5, "unknown token"},
      {*t, kC, kUp, kAlice, 5, "does not cover"},
      {*t, kA, kDown, kAlice, 5, "for uploads"},
      {*t, kA, kUp, TokenCaller{"bob", "loopback"}, 5, "another caller"},
      {*t, kA, kUp, TokenCaller{"alice", "10.0.0.9"}, 5, "another caller"},
      {*t, kA, kUp, kAlice, 1000, "expired"},
  };
  for (const auto& r : refused) {
    auto s = book.redeem(r.token, r.blob, r.direction, r.caller, r.now);
    EXPECT_EQ(s.status().code(), absl::StatusCode::kPermissionDenied) << r.why;
    EXPECT_NE(s.status().message().find(r.why), std::string::npos) << s.status();
  }
  // Still good for both blobs just before it expires.
  EXPECT_TRUE(book.redeem(*t, kA, kUp, kAlice, 999).ok());
  EXPECT_TRUE(book.redeem(*t, kB, kUp, kAlice, 999).ok());
}

TEST(TokenBook, ExpiredTokensAreForgotten) {
  TokenBook book(2);
  ASSERT_TRUE(book.mint(secret('a'), grant(100), 0).ok());
  ASSERT_TRUE(book.mint(secret('b'), grant(500), 0).ok());
  auto full = book.mint(secret('c'), grant(500), 50);
  EXPECT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted);
  auto t = book.mint(secret('c'), grant(500), 100);  // the first expired: room again
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(book.size(), 2u);
  book.expire(500);
  EXPECT_EQ(book.size(), 0u);
  EXPECT_EQ(book.redeem(*t, kA, kUp, kAlice, 501).status().message(), "unknown token");
}

TEST(TokenBook, BadMints) {
  TokenBook book;
  EXPECT_EQ(book.mint("short", grant(10), 0).status().code(), absl::StatusCode::kInvalidArgument);
  TokenGrant empty = grant(10);
  empty.blobs.clear();
  EXPECT_EQ(book.mint(secret('d'), empty, 0).status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(book.mint(secret('d'), grant(10), 0).ok());
  EXPECT_EQ(book.mint(secret('d'), grant(10), 0).status().code(), absl::StatusCode::kAlreadyExists);
}

TEST(CallerHost, LoopbackIsOneCaller) {
  EXPECT_EQ(caller_host("ipv4:127.0.0.1:5000"), "loopback");
  EXPECT_EQ(caller_host("ipv6:[::1]:5000"), "loopback");
  EXPECT_EQ(caller_host("ipv6:[::ffff:127.0.0.1]:5000"), "loopback");
  EXPECT_EQ(caller_host("unix:/tmp/s"), "loopback");
  EXPECT_EQ(caller_host("127.0.0.1"), "loopback");
  EXPECT_EQ(caller_host("ipv4:10.0.0.2:6000"), "10.0.0.2");
  EXPECT_EQ(caller_host("::ffff:10.0.0.2"), "10.0.0.2");
  EXPECT_EQ(caller_host("ipv6:[fe80::1]:7"), "fe80::1");
}

}  // namespace
}  // namespace cairn::real::reapi
