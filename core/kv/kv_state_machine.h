// A replicated key-value store (core/kv): the state machine that tests and teaching
// scenarios put on top of Raft (core/raft/state_machine.h).
//
// Commands are wire::KvCommand (get, put, compare-and-set, delete); results are
// wire::KvResult, serialized. Client sessions (dissertation §6.3) make a retried command
// apply once: a command whose (client id, sequence) was already applied returns the
// recorded result instead of running again (core/raft/client_sessions.h). Sessions are
// bounded; the least recently active one is expired first, the same way on every replica
// because expiry depends only on the applied log.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "core/kv/kv.pb.h"
#include "core/raft/client_sessions.h"
#include "core/raft/state_machine.h"

namespace cairn::kv {

class KvStateMachine final : public raft::StateMachine {
 public:
  explicit KvStateMachine(size_t max_sessions = 1024) : sessions_(max_sessions) {}

  // StateMachine. apply() returns a serialized KvResult for a command and "" for entries
  // that carry none (no-ops, configuration changes); InvalidArgument if the data is not a
  // KvCommand. query() takes a serialized KvCommand with op KV_GET.
  absl::StatusOr<std::string> apply(const raft::wire::Entry& e) override;
  absl::StatusOr<std::string> query(std::string_view query) const override;
  uint64_t applied_index() const override { return applied_index_; }
  std::string snapshot() const override;
  absl::Status restore(const std::string& data) override;

  // A local read (tests, and the result of a linearizable query).
  std::optional<std::string> get(const std::string& key) const;
  size_t session_count() const { return sessions_.size(); }

 private:
  wire::KvResult execute(const wire::KvCommand& c);

  uint64_t applied_index_ = 0;
  std::map<std::string, std::string> data_;
  raft::ClientSessions<wire::KvSession> sessions_;
};

}  // namespace cairn::kv
