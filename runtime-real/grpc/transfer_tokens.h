// TokenBook: the one-time tokens of the hybrid transfer service (docs/grpc.md). A token is
// minted for a set of blobs, one direction (upload or download), one instance, one caller
// (a client id and the host it called from) and an expiry; the data plane redeems it once
// per blob before moving that blob's bytes.
//
// Promises: redeem() succeeds at most once per (token, blob); a token that is unknown,
// expired, for the other direction, presented by another caller or for a blob it does not
// cover is refused with PermissionDenied naming the reason, and a refusal changes nothing.
// Pure: no clock, no randomness, no locking. Times are milliseconds on the caller's clock;
// token text comes from secret bytes the caller draws.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/cas/digest.h"

namespace cairn::real::reapi {

enum class TransferDirection { kUpload, kDownload };

struct TokenCaller {
  std::string client_id;  // empty: none given
  std::string host;       // caller_host() of the address it called from
  friend bool operator==(const TokenCaller&, const TokenCaller&) = default;
};

struct TokenGrant {
  std::string instance_dir;  // where the blobs live (resource_name.h)
  TransferDirection direction = TransferDirection::kUpload;
  TokenCaller caller;
  std::set<cas::Digest> blobs;
  int64_t expires_ms = 0;  // refused from this time on
};

// The host part of a gRPC peer ("ipv4:10.0.0.2:5000", "ipv6:[::1]:5000", "unix:/p") or of
// a bare address ("10.0.0.2", "::ffff:10.0.0.2"), with every loopback address written
// "loopback" so that a caller is the same over IPv4 and IPv6.
std::string caller_host(std::string_view peer);

class TokenBook {
 public:
  // At most `max_tokens` live at once (expired ones are dropped first when full).
  explicit TokenBook(size_t max_tokens = 4096) : max_tokens_(max_tokens) {}

  // A token for `grant`, written as the hex of `secret`. InvalidArgument for a secret of
  // fewer than 16 bytes or a grant without blobs, AlreadyExists for a secret used before,
  // ResourceExhausted when max_tokens are live.
  absl::StatusOr<std::string> mint(std::string_view secret, TokenGrant grant, int64_t now_ms);

  // Spends `token` for `blob`; the instance directory of the grant.
  absl::StatusOr<std::string> redeem(std::string_view token, const cas::Digest& blob,
                                     TransferDirection direction, const TokenCaller& caller,
                                     int64_t now_ms);

  // Forgets the tokens expired at `now_ms`.
  void expire(int64_t now_ms);
  size_t size() const { return tokens_.size(); }

 private:
  struct Entry {
    TokenGrant grant;
    std::set<cas::Digest> spent;
  };
  const size_t max_tokens_;
  std::map<std::string, Entry, std::less<>> tokens_;
};

}  // namespace cairn::real::reapi
