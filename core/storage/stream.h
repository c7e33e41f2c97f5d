// Credit-based flow control for one transfer of a known number of bytes, as pure state
// (no Runtime, no messages): the sender's side decides which frame may go next, the
// receiver's side checks each arriving frame and says how much it has consumed. The
// shard protocol uses it in both directions (put: client sends; get: node sends), and any
// other bulk protocol (a coordinator's chunk upload) can reuse it.
//
// The receiver grants credit by acknowledging bytes it has consumed; the sender never has
// more than `window_bytes` sent but unacknowledged, so a receiver that stops consuming
// stops the sender and nothing buffers without bound. Frames carry their offset in the
// transfer; a transport may lose, duplicate or reorder them. A frame that arrives ahead of
// the expected offset but within the credit (ahead()) is held by the caller until the gap
// before it is filled, so holding never exceeds the window either.
//
// Promises (CreditReceiver::on_frame): a frame is accepted only at the expected offset,
// within the declared total and within the credit granted; an exact or partial repeat of
// bytes already accepted is kDuplicate (to be ignored); everything else is
// InvalidArgument naming the fault, and the receiver's state is unchanged by it.
#pragma once

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"

namespace cairn::storage {

struct FrameSpan {
  uint64_t offset = 0;
  uint64_t length = 0;
};

class CreditSender {
 public:
  // REQUIRES: window_bytes > 0, frame_bytes > 0.
  CreditSender(uint64_t total_bytes, uint64_t window_bytes, uint64_t frame_bytes);

  // The next frame the credit allows (and marks it sent), or nullopt: all sent, or the
  // window is full.
  std::optional<FrameSpan> next();
  // The receiver has consumed everything before `acked_bytes`. An older ack is ignored;
  // one beyond what was sent is InvalidArgument (state unchanged).
  absl::Status on_ack(uint64_t acked_bytes);

  uint64_t total_bytes() const { return total_; }
  uint64_t sent_bytes() const { return sent_; }
  uint64_t acked_bytes() const { return acked_; }
  uint64_t outstanding_bytes() const { return sent_ - acked_; }
  bool all_sent() const { return sent_ == total_; }
  bool all_acked() const { return acked_ == total_; }

 private:
  uint64_t total_;
  uint64_t window_;
  uint64_t frame_;
  uint64_t sent_ = 0;
  uint64_t acked_ = 0;
};

class CreditReceiver {
 public:
  enum class Verdict { kAccept, kDuplicate };

  // REQUIRES: window_bytes > 0.
  CreditReceiver(uint64_t total_bytes, uint64_t window_bytes);

  // Checks a frame of `length` bytes at `offset`; an accepted one counts as received.
  absl::StatusOr<Verdict> on_frame(uint64_t offset, uint64_t length);
  // True when a frame at `offset` is not the next one but would fit within the declared
  // total and the credit once the frames before it arrive: the caller holds it.
  bool ahead(uint64_t offset, uint64_t length) const;
  // `length` more received bytes are consumed; returns the new ack (credit) to send.
  // REQUIRES: consumed_bytes() + length <= received_bytes().
  uint64_t consume(uint64_t length);

  uint64_t total_bytes() const { return total_; }
  uint64_t window_bytes() const { return window_; }
  uint64_t received_bytes() const { return received_; }
  uint64_t consumed_bytes() const { return consumed_; }
  // Received, not yet consumed: never more than the window.
  uint64_t buffered_bytes() const { return received_ - consumed_; }
  bool complete() const { return consumed_ == total_; }

 private:
  uint64_t total_;
  uint64_t window_;
  uint64_t received_ = 0;
  uint64_t consumed_ = 0;
};

}  // namespace cairn::storage
