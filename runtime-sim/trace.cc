#include "runtime-sim/trace.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/assert.h"
#include "core/base/json.h"

namespace cairn::sim {
namespace {

// A field's value, as JSON or (json = false) as plain text for people.
void append_value(std::string& out, const EventField& f, bool json) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          absl::StrAppend(&out, json ? json_string(v) : v);
        } else if constexpr (std::is_same_v<T, bool>) {
          absl::StrAppend(&out, v ? "true" : "false");
        } else if constexpr (std::is_same_v<T, double>) {
          absl::StrAppend(&out, json_number(v));
        } else {
          absl::StrAppend(&out, v);
        }
      },
      f.value);
}

}  // namespace

std::string json_string(std::string_view s) { return json_quote(s); }

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return absl::StrCat(static_cast<int64_t>(v));
  return absl::StrFormat("%.9g", v);
}

std::string format_time(Time t) {
  const int64_t ns = t.time_since_epoch().count();
  return absl::StrFormat("%d.%09d", ns / 1'000'000'000, ns % 1'000'000'000);
}

std::string describe_event(Time at, std::string_view node, const Event& event) {
  std::string out = absl::StrFormat("[%9.3fs] %-5s %s", to_seconds(at.time_since_epoch()),
                                    std::string(node), event.kind);
  for (const EventField& f : event.fields) {
    absl::StrAppend(&out, " ", f.key, "=");
    append_value(out, f, /*json=*/false);
  }
  return out;
}

Trace::Trace(const std::string& path) : sha_(EVP_MD_CTX_new()) {
  CAIRN_ASSERT(sha_ != nullptr);
  CAIRN_ASSERT(EVP_DigestInit_ex(sha_, EVP_sha256(), nullptr) == 1);
  if (!path.empty()) {
    file_ = std::fopen(path.c_str(), "w");
    if (file_ == nullptr) std::fprintf(stderr, "cairn-sim: cannot write %s\n", path.c_str());
  }
}

Trace::~Trace() {
  if (file_ != nullptr) std::fclose(file_);
  EVP_MD_CTX_free(sha_);
}

void Trace::record(Time at, std::string_view node, const Event& event) {
  line_.clear();
  absl::StrAppend(&line_, "{\"t\":", format_time(at), ",\"node\":", json_string(node),
                  ",\"kind\":", json_string(event.kind));
  for (const EventField& f : event.fields) {
    absl::StrAppend(&line_, ",", json_string(f.key), ":");
    append_value(line_, f, /*json=*/true);
  }
  line_ += "}\n";
  EVP_DigestUpdate(sha_, line_.data(), line_.size());
  if (file_ != nullptr) std::fwrite(line_.data(), 1, line_.size(), file_);
  ++events_;
}

void Trace::hash_also(std::string_view bytes) {
  CAIRN_ASSERT(EVP_DigestUpdate(sha_, bytes.data(), bytes.size()) == 1);
}

std::string Trace::finish() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(sha_, digest, &len);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i)
    absl::StrAppend(&hex, absl::Hex(digest[i], absl::kZeroPad2));
  if (file_ != nullptr) {
    std::fclose(file_);
    file_ = nullptr;
  }
  return hex;
}

}  // namespace cairn::sim
