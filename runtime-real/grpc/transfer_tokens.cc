#include "runtime-real/grpc/transfer_tokens.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace cairn::real::reapi {

namespace {
bool consume(std::string_view* s, std::string_view prefix) {
  if (s->substr(0, prefix.size()) != prefix) return false;
  s->remove_prefix(prefix.size());
  return true;
}
}  // namespace

std::string caller_host(std::string_view peer) {
  std::string_view host = peer;
  if (consume(&host, "unix:")) return "loopback";
  if (consume(&host, "ipv4:")) {
    host = host.substr(0, host.rfind(':'));
  } else if (consume(&host, "ipv6:") && consume(&host, "[")) {
    host = host.substr(0, host.find(']'));
  }
  if (!consume(&host, "::ffff:")) consume(&host, "::FFFF:");
  if (host == "::1" || host.substr(0, 4) == "127.") return "loopback";
  return std::string(host);
}

absl::StatusOr<std::string> TokenBook::mint(std::string_view secret, TokenGrant grant,
                                            int64_t now_ms) {
  if (secret.size() < 16) return absl::InvalidArgumentError("a token needs 16 secret bytes");
  if (grant.blobs.empty()) return absl::InvalidArgumentError("a token must cover some blob");
  if (tokens_.size() >= max_tokens_) expire(now_ms);
  if (tokens_.size() >= max_tokens_) {
    return absl::ResourceExhaustedError(
        absl::StrCat(tokens_.size(), " tokens are live, the most this node keeps"));
  }
  std::string token = absl::BytesToHexString(absl::string_view(secret.data(), secret.size()));
  if (tokens_.contains(token)) return absl::AlreadyExistsError("token secret used before");
  tokens_.emplace(token, Entry{std::move(grant), {}});
  return token;
}

absl::StatusOr<std::string> TokenBook::redeem(std::string_view token, const cas::Digest& blob,
                                              TransferDirection direction,
                                              const TokenCaller& caller, int64_t now_ms) {
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return absl::PermissionDeniedError("unknown token");
  Entry& e = it->second;
  if (now_ms >= e.grant.expires_ms) {
    return absl::PermissionDeniedError(
        absl::StrCat("the token expired ", now_ms - e.grant.expires_ms, " ms ago"));
  }
  if (direction != e.grant.direction) {
    return absl::PermissionDeniedError(
        absl::StrCat("the token is for ",
                     e.grant.direction == TransferDirection::kUpload ? "uploads" : "downloads"));
  }
  if (!(caller == e.grant.caller)) {
    return absl::PermissionDeniedError("the token was issued to another caller");
  }
  if (e.spent.contains(blob)) {
    return absl::PermissionDeniedError(
        absl::StrCat("the token was used already for blob ", blob.format()));
  }
  if (!e.grant.blobs.contains(blob)) {
    return absl::PermissionDeniedError(
        absl::StrCat("the token does not cover blob ", blob.format()));
  }
  e.spent.insert(blob);
  return e.grant.instance_dir;
}

void TokenBook::expire(int64_t now_ms) {
  std::erase_if(tokens_, [&](const auto& kv) { return now_ms >= kv.second.grant.expires_ms; });
}

}  // namespace cairn::real::reapi
