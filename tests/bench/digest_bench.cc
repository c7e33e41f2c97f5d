// SHA-256 content digests (cairn::cas::Digest) against raw OpenSSL EVP on the same buffer.
#include <openssl/evp.h>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/cas/digest.h"
#include "tests/bench/datapath_timing.h"

int main() {
  std::printf("| operation | ours | raw EVP | ratio |\n|---|---|---|---|\n");
  for (size_t bytes : {size_t{8} << 10, size_t{64} << 10, size_t{1} << 20}) {
    const auto buffer = cairn::bench::random_buffer(bytes, 1);
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    auto c = cairn::bench::compare(
        [&] { CAIRN_ASSERT(cairn::cas::Digest::of(buffer).size_bytes() == bytes); },
        [&] {
          CAIRN_ASSERT(EVP_Digest(buffer.data(), bytes, out, &len, EVP_sha256(), nullptr) == 1);
        });
    cairn::bench::print_throughput(absl::StrCat("SHA-256 of ", bytes >> 10, " KiB").c_str(), c,
                                   static_cast<double>(bytes));
  }
  return 0;
}
