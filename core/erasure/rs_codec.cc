// Reed-Solomon over GF(2^8) with ISA-L. The generator is the (k+m) x k matrix whose top
// k rows are the identity (data shards are stored verbatim) and whose bottom m rows are a
// Cauchy matrix, so every k x k submatrix is invertible: any k shards determine the rest.
#include <isa-l/erasure_code.h>

#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/erasure/codec.h"

namespace cairn::erasure {
namespace {

// ISA-L expands each matrix coefficient into a 32-byte multiplication table.
constexpr size_t kTableBytesPerCoefficient = 32;

class ReedSolomonCodec final : public Codec {
 public:
  ReedSolomonCodec(int k, int m)
      : k_(k),
        m_(m),
        matrix_(static_cast<size_t>((k + m) * k)),
        encode_tables_(kTableBytesPerCoefficient * k * m) {
    CAIRN_ASSERT(k >= 1 && m >= 1);
    CAIRN_ASSERT(k + m <= kMaxShards);
    gf_gen_cauchy1_matrix(matrix_.data(), k + m, k);
    ec_init_tables(k, m, &matrix_[static_cast<size_t>(k * k)], encode_tables_.data());
  }

  std::string name() const override { return absl::StrCat("rs(", k_, ",", m_, ")"); }
  int data_shards() const override { return k_; }
  int parity_shards() const override { return m_; }

  void encode(absl::Span<const uint8_t* const> data, absl::Span<uint8_t* const> parity,
              size_t shard_bytes) const override {
    CAIRN_ASSERT(static_cast<int>(data.size()) == k_);
    CAIRN_ASSERT(static_cast<int>(parity.size()) == m_);
    if (shard_bytes == 0) return;
    // ISA-L takes non-const pointers but only reads the sources and the tables.
    ec_encode_data(
        checked_len(shard_bytes), k_, m_, const_cast<unsigned char*>(encode_tables_.data()),
        const_cast<unsigned char**>(data.data()), const_cast<unsigned char**>(parity.data()));
  }

  absl::Status reconstruct(absl::Span<const uint8_t* const> shards, absl::Span<const int> lost,
                           absl::Span<uint8_t* const> out, size_t shard_bytes) const override {
    if (auto status = check_reconstruct_args(*this, shards, lost, out); !status.ok()) {
      return status;
    }
    if (lost.empty() || shard_bytes == 0) return absl::OkStatus();
    std::vector<const uint8_t*> sources;
    std::vector<int> source_rows;
    for (int i = 0; i < k_ + m_ && static_cast<int>(sources.size()) < k_; ++i) {
      if (shards[i] == nullptr) continue;
      sources.push_back(shards[i]);
      source_rows.push_back(i);
    }
    CAIRN_ASSERT(static_cast<int>(sources.size()) == k_);
    const std::vector<uint8_t> rows = recovery_rows(source_rows, lost);
    std::vector<uint8_t> tables(kTableBytesPerCoefficient * k_ * lost.size());
    const int nlost = static_cast<int>(lost.size());
    ec_init_tables(k_, nlost, const_cast<unsigned char*>(rows.data()), tables.data());
    ec_encode_data(checked_len(shard_bytes), k_, nlost, tables.data(),
                   const_cast<unsigned char**>(sources.data()),
                   const_cast<unsigned char**>(out.data()));
    return absl::OkStatus();
  }

 private:
  static int checked_len(size_t shard_bytes) {
    CAIRN_ASSERT(shard_bytes <= static_cast<size_t>(INT32_MAX));
    return static_cast<int>(shard_bytes);
  }

  // The rows (one per lost shard, k coefficients each) that compute the lost shards from
  // the survivors: invert the survivors' generator rows to get data = D * survivors, then
  // a lost data shard is its row of D and a lost parity shard is its generator row times D.
  std::vector<uint8_t> recovery_rows(const std::vector<int>& source_rows,
                                     absl::Span<const int> lost) const {
    const size_t k = static_cast<size_t>(k_);
    std::vector<uint8_t> survivors(k * k);
    for (size_t r = 0; r < k; ++r) {
      std::memcpy(&survivors[r * k], &matrix_[static_cast<size_t>(source_rows[r]) * k], k);
    }
    std::vector<uint8_t> inverse(k * k);
    const int singular = gf_invert_matrix(survivors.data(), inverse.data(), k_);
    CAIRN_ASSERT(singular == 0);  // Cauchy: every k x k submatrix is invertible.
    std::vector<uint8_t> rows(lost.size() * k);
    for (size_t i = 0; i < lost.size(); ++i) {
      const size_t target = static_cast<size_t>(lost[i]);
      if (target < k) {
        std::memcpy(&rows[i * k], &inverse[target * k], k);
        continue;
      }
      for (size_t c = 0; c < k; ++c) {
        uint8_t sum = 0;
        for (size_t j = 0; j < k; ++j) sum ^= gf_mul(matrix_[target * k + j], inverse[j * k + c]);
        rows[i * k + c] = sum;
      }
    }
    return rows;
  }

  const int k_;
  const int m_;
  std::vector<uint8_t> matrix_;         // (k+m) x k generator, row-major
  std::vector<uint8_t> encode_tables_;  // expanded parity rows for ec_encode_data
};

}  // namespace

absl::StatusOr<std::unique_ptr<Codec>> make_reed_solomon(int k, int m) {
  if (k < 1 || m < 1 || k + m > kMaxShards) {
    return absl::InvalidArgumentError(
        absl::StrCat("rs(", k, ",", m, "): need k >= 1, m >= 1 and k + m <= ", kMaxShards));
  }
  return std::make_unique<ReedSolomonCodec>(k, m);
}

}  // namespace cairn::erasure
