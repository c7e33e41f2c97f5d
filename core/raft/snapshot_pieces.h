// Snapshots in pieces: a Raft InstallSnapshot message (MSG_SNAPSHOT) whose state machine
// data is larger than a frame may carry travels as several Cairn messages, each a copy of
// the Raft message's header without the data plus one piece of the data as payload, and is
// put back together on the receiving node before Raft sees it. The Raft core still sends
// and receives one whole snapshot (core/raft/snapshot.cc); only the driver (RaftService)
// splits and joins.
//
// Promises: pieces may arrive in any order, twice, or not at all; a snapshot is handed on
// only when every byte arrived, exactly as sent. A piece of another snapshot from the same
// sender (a newer term or index, or another size) drops the one being assembled; a lost
// piece leaves it incomplete, and Raft's leader sends the snapshot again after its probe
// timeout. Memory: at most one snapshot being assembled per sender, of at most
// kMaxSnapshotBytes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/raft/raft.pb.h"
#include "core/runtime/message.h"

namespace cairn::raft {

inline constexpr uint64_t kSnapshotPieceBytes = 1 << 20;
inline constexpr uint64_t kMaxSnapshotBytes = uint64_t{4} << 30;

// The Cairn messages (type `type`) that carry `m`: one with the whole Raft message as its
// header when it is no snapshot or its data fits in a piece, else one per piece.
std::vector<Message> snapshot_pieces(const wire::Message& m, MessageType type,
                                     uint64_t piece_bytes = kSnapshotPieceBytes);

class SnapshotAssembler {
 public:
  // `header` arrived from `from` with `payload`. Returns the whole Raft message once it is
  // complete (at once for a message that is no piece); nullopt while pieces are missing or
  // for a piece that does not fit its snapshot (counted in rejected()).
  std::optional<wire::Message> add(NodeId from, wire::Message header, const Payload& payload);

  uint64_t rejected() const { return rejected_; }
  size_t assembling() const { return partial_.size(); }

 private:
  struct Partial {
    uint64_t term = 0, index = 0, size = 0;
    std::string data;
    std::map<uint64_t, uint64_t> pieces;  // offset -> length, of the pieces received
    uint64_t received = 0;
  };
  std::map<NodeId, Partial> partial_;
  uint64_t rejected_ = 0;
};

}  // namespace cairn::raft
