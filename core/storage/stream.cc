#include "core/storage/stream.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"

namespace cairn::storage {

CreditSender::CreditSender(uint64_t total_bytes, uint64_t window_bytes, uint64_t frame_bytes)
    : total_(total_bytes), window_(window_bytes), frame_(frame_bytes) {
  CAIRN_ASSERT(window_ > 0);
  CAIRN_ASSERT(frame_ > 0);
}

std::optional<FrameSpan> CreditSender::next() {
  CAIRN_ASSERT(sent_ >= acked_ && sent_ <= total_);
  const uint64_t credit = window_ - std::min(window_, sent_ - acked_);
  const uint64_t length = std::min({frame_, credit, total_ - sent_});
  if (length == 0) return std::nullopt;
  FrameSpan span{.offset = sent_, .length = length};
  sent_ += length;
  CAIRN_ASSERT(sent_ - acked_ <= window_);
  return span;
}

absl::Status CreditSender::on_ack(uint64_t acked_bytes) {
  if (acked_bytes > sent_) {
    return absl::InvalidArgumentError(
        absl::StrCat("credit for ", acked_bytes, " bytes, only ", sent_, " were sent"));
  }
  acked_ = std::max(acked_, acked_bytes);
  return absl::OkStatus();
}

CreditReceiver::CreditReceiver(uint64_t total_bytes, uint64_t window_bytes)
    : total_(total_bytes), window_(window_bytes) {
  CAIRN_ASSERT(window_ > 0);
}

absl::StatusOr<CreditReceiver::Verdict> CreditReceiver::on_frame(uint64_t offset, uint64_t length) {
  if (length == 0) return absl::InvalidArgumentError("an empty frame");
  if (offset + length < offset || offset + length > total_) {
    return absl::InvalidArgumentError(absl::StrCat("frame at ", offset, " of ", length,
                                                   " bytes runs past the declared size of ", total_,
                                                   " bytes"));
  }
  if (offset < received_) {
    if (offset + length <= received_) return Verdict::kDuplicate;
    return absl::InvalidArgumentError(absl::StrCat(
        "frame at ", offset, " overlaps bytes received already (up to ", received_, ")"));
  }
  if (offset > received_) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame at ", offset, " out of order: expected offset ", received_));
  }
  if (received_ + length - consumed_ > window_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "frame at ", offset, " of ", length, " bytes exceeds the credit of ", window_, " bytes"));
  }
  received_ += length;
  return Verdict::kAccept;
}

bool CreditReceiver::ahead(uint64_t offset, uint64_t length) const {
  return length > 0 && offset > received_ && offset + length > offset &&
         offset + length <= total_ && offset + length - consumed_ <= window_;
}

uint64_t CreditReceiver::consume(uint64_t length) {
  CAIRN_ASSERT(consumed_ + length <= received_);
  consumed_ += length;
  return consumed_;
}

}  // namespace cairn::storage
