// MuxStateMachine: several application state machines behind one Raft group. The meta
// group replicates the key-value store and the namespace this way, one log, one leader.
//
// Routing: a command or query that starts with the byte 0x00 is for the machine on the
// channel named by its second byte, and the rest is that machine's own bytes; anything else
// is for the default machine, unchanged. A serialized protobuf message never starts with
// 0x00 (field number 0 does not exist), so the default machine's commands keep their exact
// bytes. Every machine sees every index: entries for others, no-ops and configuration
// changes reach it as an entry without data, so each applied_index() follows the log.
//
// Promises: deterministic like its machines; snapshot() holds every machine's snapshot and
// restore() refuses (DataLoss) a snapshot whose channels differ from this mux's.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/raft/state_machine.h"

namespace cairn::raft {

class MuxStateMachine final : public StateMachine {
 public:
  // REQUIRES: default_machine non-null.
  explicit MuxStateMachine(std::unique_ptr<StateMachine> default_machine);

  // Adds `machine` on `channel`. REQUIRES: before any apply; channel not taken; non-null.
  void add(uint8_t channel, std::unique_ptr<StateMachine> machine);
  // The bytes that route `command` (or a query) to `channel`'s machine.
  static std::string wrap(uint8_t channel, std::string_view command);

  absl::StatusOr<std::string> apply(const wire::Entry& e) override;
  absl::StatusOr<std::string> query(std::string_view query) const override;
  uint64_t applied_index() const override { return default_->applied_index(); }
  std::string snapshot() const override;
  absl::Status restore(const std::string& data) override;

  StateMachine& machine(uint8_t channel);  // REQUIRES: the channel exists
  const StateMachine& machine(uint8_t channel) const;
  StateMachine& default_machine() { return *default_; }

 private:
  // The machine a command is for and its own bytes; InvalidArgument for an unknown channel.
  absl::StatusOr<std::pair<StateMachine*, std::string_view>> route(std::string_view bytes) const;

  std::unique_ptr<StateMachine> default_;
  std::map<uint8_t, std::unique_ptr<StateMachine>> channels_;
};

}  // namespace cairn::raft
