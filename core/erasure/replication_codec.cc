// Replication as the degenerate erasure code: one data shard and copies - 1 parity shards
// that are byte-for-byte copies of it, so any one shard rebuilds all the others.
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/erasure/codec.h"

namespace cairn::erasure {
namespace {

class ReplicationCodec final : public Codec {
 public:
  explicit ReplicationCodec(int copies) : copies_(copies) {
    CAIRN_ASSERT(copies >= 1 && copies <= kMaxShards);
  }

  std::string name() const override { return absl::StrCat("rep(", copies_, ")"); }
  int data_shards() const override { return 1; }
  int parity_shards() const override { return copies_ - 1; }

  bool parity_copies_data() const override { return true; }

  void encode(absl::Span<const uint8_t* const> data, absl::Span<uint8_t* const> parity,
              size_t shard_bytes) const override {
    CAIRN_ASSERT(data.size() == 1);
    CAIRN_ASSERT(static_cast<int>(parity.size()) == copies_ - 1);
    if (shard_bytes == 0) return;
    for (uint8_t* copy : parity) std::memcpy(copy, data[0], shard_bytes);
  }

  absl::Status reconstruct(absl::Span<const uint8_t* const> shards, absl::Span<const int> lost,
                           absl::Span<uint8_t* const> out, size_t shard_bytes) const override {
    if (auto status = check_reconstruct_args(*this, shards, lost, out); !status.ok()) {
      return status;
    }
    const uint8_t* source = nullptr;
    for (const uint8_t* shard : shards) {
      if (shard != nullptr) {
        source = shard;
        break;
      }
    }
    CAIRN_ASSERT(source != nullptr);  // check_reconstruct_args ensured one is present.
    if (shard_bytes == 0) return absl::OkStatus();
    for (uint8_t* copy : out) std::memcpy(copy, source, shard_bytes);
    return absl::OkStatus();
  }

 private:
  const int copies_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Codec>> make_replication(int copies) {
  if (copies < 1 || copies > kMaxShards) {
    return absl::InvalidArgumentError(
        absl::StrCat("rep(", copies, "): need 1 <= copies <= ", kMaxShards));
  }
  return std::make_unique<ReplicationCodec>(copies);
}

}  // namespace cairn::erasure
